//! The client's end of the server's WebSockets: a push channel (QR login, a desktop action
//! waiting for the phone: one JSON event, then close) and the session's live stream
//! ([`super::live`]), each authenticated by the upgrade request's headers.

use std::time::Duration;

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use dinhdanh_core::request_proof::{self, ProofClaims};
use rand_core::{OsRng, RngCore};

use super::{AUTH_SCHEME, Client, wrong_server};
use crate::error::ClientError;
use crate::json::from_json;

/// How long after the awaited thing's expiry the desktop keeps waiting for the server's own
/// "expired" (the server answers at expiry; this only bounds a silent connection).
const WAIT_MARGIN_SECS: i64 = 30;

/// An open WebSocket to the server.
pub(super) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl Client {
    /// The headers of a WebSocket opened in the session: its token, and a proof by its key
    /// over the `GET` of `path`, as every request of the session carries.
    pub(super) fn session_socket_headers(
        &self,
        path: &str,
    ) -> Result<[(&'static str, String); 2], ClientError> {
        let token = self
            .keystore
            .session_token()?
            .ok_or(ClientError::NotSignedIn)?;
        let key = self.session_key()?;
        let mut nonce = [0u8; request_proof::NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let proof = key
            .sign_proof(ProofClaims::new(
                "GET",
                path,
                &[],
                Some(token.hash()),
                self.now(),
                nonce,
            )?)
            .to_header_value();
        Ok([
            (request_proof::HEADER_NAME, proof),
            ("authorization", format!("{AUTH_SCHEME} {}", token.expose())),
        ])
    }

    /// Opens the WebSocket at `path` with `headers`. A refused upgrade answers the server's
    /// typed error (expired, not found, session ended).
    pub(super) async fn open_socket(
        &self,
        path: &str,
        headers: &[(&'static str, String)],
    ) -> Result<Socket, ClientError> {
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
        let resolve = self.config.resolve;
        let connect = tokio::time::timeout(self.config.connect_timeout, async move {
            match resolve {
                None => tokio_tungstenite::connect_async(request).await,
                // The host name stands for a given address (see `ClientConfig::resolve`):
                // connect there, on the URL's port, and speak to the URL's host.
                Some(ip) => {
                    let default = if request.uri().scheme_str() == Some("wss") {
                        443
                    } else {
                        80
                    };
                    let port = request.uri().port_u16().unwrap_or(default);
                    let stream = tokio::net::TcpStream::connect((ip, port))
                        .await
                        .map_err(tokio_tungstenite::tungstenite::Error::Io)?;
                    tokio_tungstenite::client_async_tls(request, stream).await
                }
            }
        });
        match connect.await {
            Err(_) => Err(ClientError::Timeout),
            Ok(Err(tokio_tungstenite::tungstenite::Error::Http(resp))) => {
                let body = resp.body().as_deref().unwrap_or_default();
                Err(match from_json::<dinhdanh_core::api::ApiError>(body) {
                    Ok(api) => ClientError::from(api),
                    Err(_) => ClientError::UnexpectedResponse {
                        status: resp.status().as_u16(),
                    },
                })
            }
            Ok(Err(e)) => Err(network(&e)),
            Ok(Ok((socket, _))) => Ok(socket),
        }
    }

    /// Opens the WebSocket at `path` with `headers` and returns its first text message, or
    /// `None` when none came before `expires_at` (Unix seconds) and the margin, or the
    /// connection ended without one. A refused upgrade answers the server's typed error.
    pub(super) async fn first_pushed_text(
        &self,
        path: &str,
        headers: &[(&'static str, String)],
        expires_at: i64,
    ) -> Result<Option<String>, ClientError> {
        let mut socket = self.open_socket(path, headers).await?;
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
