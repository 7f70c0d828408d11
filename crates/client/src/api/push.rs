//! The desktop's end of a push channel (QR login, a desktop action waiting for the phone):
//! one WebSocket, authenticated by the request's headers, one JSON event, then close.

use std::time::Duration;

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use super::{Client, wrong_server};
use crate::error::ClientError;

/// How long after the awaited thing's expiry the desktop keeps waiting for the server's own
/// "expired" (the server answers at expiry; this only bounds a silent connection).
const WAIT_MARGIN_SECS: i64 = 30;

impl Client {
    /// Opens the WebSocket at `path` with `headers` and returns its first text message, or
    /// `None` when none came before `expires_at` (Unix seconds) and the margin, or the
    /// connection ended without one. A refused upgrade answers the server's typed error.
    pub(super) async fn first_pushed_text(
        &self,
        path: &str,
        headers: &[(&'static str, String)],
        expires_at: i64,
    ) -> Result<Option<String>, ClientError> {
        let network = |e: &dyn std::fmt::Display| ClientError::Network {
            detail: e.to_string(),
        };
        let mut request = format!("{}{path}", websocket_base(&self.config.server)?)
            .into_client_request()
            .map_err(|e| network(&e))?;
        for (name, value) in headers {
            request.headers_mut().insert(
                *name,
                HeaderValue::from_str(value).map_err(|e| network(&e))?,
            );
        }
        let connect = tokio::time::timeout(
            self.config.connect_timeout,
            tokio_tungstenite::connect_async(request),
        );
        let (mut socket, _) = match connect.await {
            Err(_) => return Err(ClientError::Timeout),
            Ok(Err(tokio_tungstenite::tungstenite::Error::Http(resp))) => {
                // The server refused the upgrade with its typed error (expired, not found,
                // session ended).
                let body = resp.body().as_deref().unwrap_or_default();
                return Err(
                    match serde_json::from_slice::<dinhdanh_core::api::ApiError>(body) {
                        Ok(api) => ClientError::from(api),
                        Err(_) => ClientError::UnexpectedResponse {
                            status: resp.status().as_u16(),
                        },
                    },
                );
            }
            Ok(Err(e)) => return Err(network(&e)),
            Ok(Ok(pair)) => pair,
        };
        let left = expires_at - self.now() + WAIT_MARGIN_SECS;
        let limit = Duration::from_secs(u64::try_from(left.max(1)).unwrap_or(1));
        let text = tokio::time::timeout(limit, async {
            while let Some(message) = socket.next().await {
                match message {
                    Ok(Message::Text(text)) => return Some(text),
                    Ok(Message::Close(_)) | Err(_) => return None,
                    Ok(_) => {}
                }
            }
            None
        })
        .await;
        // Best effort: the server closes after its one event anyway.
        let _ = socket.close(None).await;
        Ok(text.ok().flatten().map(|t| t.as_str().to_owned()))
    }
}

/// The WebSocket base of the server's URL: `https` → `wss`, `http` (loopback) → `ws`.
fn websocket_base(server: &str) -> Result<String, ClientError> {
    if let Some(rest) = server.strip_prefix("https://") {
        Ok(format!("wss://{rest}"))
    } else if let Some(rest) = server.strip_prefix("http://") {
        Ok(format!("ws://{rest}"))
    } else {
        Err(wrong_server())
    }
}
