//! One answer pushed to a waiting WebSocket. A QR-login desktop waits for the phone's approval
//! and a desktop waits for its action to be confirmed in the same way: subscribe to the row's
//! wake-up topic ([`crate::infra::wakeups`]), read the row, and either send the answer it holds or
//! wait for a wake-up, the safety-net re-read, the deadline, or the desktop leaving.
//!
//! The desktop only listens. So a socket accepts tiny frames ([`MAX_INCOMING_BYTES`]), closes
//! on any data frame it receives (policy violation) without reading the database again, and
//! one waiting object has one socket at a time in an instance ([`accept`]): whoever holds a
//! rendezvous cannot make the server hold many sockets or run queries for it.

use std::future::Future;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::http::request::Parts;
use dinhdanh_core::api::ErrorCode;

use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
pub use crate::infra::wakeups::Claim;

/// Largest WebSocket frame or message accepted from a desktop, in bytes. A desktop sends no
/// data at all; control frames (ping, pong, close) are at most 125 bytes by the protocol.
pub const MAX_INCOMING_BYTES: usize = 1024;

/// What one socket waits for.
pub struct Wait {
    /// The row's wake-up topic.
    pub topic: String,
    /// When the row stops waiting for an answer (Unix seconds); it is read again then, so the
    /// desktop hears "expired" at once.
    pub expires_at: i64,
    /// How long after `expires_at` an answer already under way may still arrive.
    pub grace_secs: i64,
    /// How often the row is read again anyway (the safety net behind the wake-ups).
    pub recheck: Duration,
    /// What waits, for the logs.
    pub what: &'static str,
}

/// Accepts the upgrade of a request to a socket waiting on `topic`, with the frame limits,
/// and claims the topic for it: `already_waiting` while another socket of this instance waits
/// on it, `malformed_request` when the request is no WebSocket upgrade. Hand the claim to
/// [`push_one`], which holds it while the socket lives.
pub async fn accept(
    state: &AppState,
    parts: &mut Parts,
    topic: &str,
) -> ServerResult<(WebSocketUpgrade, Claim)> {
    let upgrade = WebSocketUpgrade::from_request_parts(parts, state)
        .await
        .map_err(|_| ServerError::code(ErrorCode::MalformedRequest))?;
    let claim = state
        .wakeups
        .claim(topic)
        .ok_or_else(|| ServerError::code(ErrorCode::AlreadyWaiting))?;
    let upgrade = upgrade
        .max_message_size(MAX_INCOMING_BYTES)
        .max_frame_size(MAX_INCOMING_BYTES);
    Ok((upgrade, claim))
}

/// Why a socket stopped waiting without an answer.
enum Stop {
    /// The desktop closed, or the connection failed (a frame over the limit among them).
    Gone,
    /// The desktop sent data.
    Data,
}

/// Sends the first answer `answer` finds (`Ok(None)`: not yet) as one text message, then
/// closes. Stops without an answer when the desktop goes away, sends data, or `answer` fails.
/// Pings are answered without reading the row again.
pub async fn push_one<F, Fut>(
    state: &AppState,
    wait: Wait,
    claim: Claim,
    mut socket: WebSocket,
    mut answer: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = ServerResult<Option<String>>>,
{
    let subscription = state.wakeups.subscribe(&wait.topic);
    let outcome = 'read: loop {
        let notified = subscription.notified();
        tokio::pin!(notified);
        // Enabled before the database is read, so an answer in between still wakes us.
        notified.as_mut().enable();
        match answer().await {
            Ok(Some(text)) => break Ok(text),
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %e, what = wait.what, "waiting for an answer failed");
                break Err(Stop::Gone);
            }
        }
        let now = state.now();
        let deadline = if now < wait.expires_at {
            wait.expires_at
        } else {
            wait.expires_at + wait.grace_secs
        };
        let left = Duration::from_secs(u64::try_from(deadline - now).unwrap_or(0));
        let pause = tokio::time::sleep(wait.recheck.min(left + Duration::from_millis(50)));
        tokio::pin!(pause);
        // Wait for a reason to read the row again; what the desktop sends is never one.
        loop {
            tokio::select! {
                () = notified.as_mut() => continue 'read,
                () = pause.as_mut() => continue 'read,
                msg = socket.recv() => match msg {
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(Message::Text(_) | Message::Binary(_))) => break 'read Err(Stop::Data),
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => {
                        break 'read Err(Stop::Gone);
                    }
                },
            }
        }
    };
    drop(subscription);
    // Released before the answer goes out, so a desktop that heard it may open another.
    drop(claim);
    let close = match outcome {
        Ok(text) => {
            if socket.send(Message::Text(text.into())).await.is_err() {
                tracing::info!(
                    what = wait.what,
                    "the desktop left before the answer was delivered"
                );
            }
            None
        }
        Err(Stop::Data) => {
            tracing::info!(what = wait.what, "the desktop sent data: closing");
            Some(CloseFrame {
                code: close_code::POLICY,
                reason: "the server sends; the client only listens".into(),
            })
        }
        Err(Stop::Gone) => None,
    };
    let _ = socket.send(Message::Close(close)).await;
}
