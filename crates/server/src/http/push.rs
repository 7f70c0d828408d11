//! One answer pushed to a waiting WebSocket. A QR-login desktop waits for the phone's approval
//! and a desktop waits for its action to be confirmed in the same way: subscribe to the row's
//! wake-up topic ([`crate::infra::wakeups`]), read the row, and either send the answer it holds or
//! wait for a wake-up, the safety-net re-read, the deadline, or the desktop leaving.

use std::future::Future;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};

use crate::infra::error::ServerResult;
use crate::infra::state::AppState;

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

/// Sends the first answer `answer` finds (`Ok(None)`: not yet) as one text message, then
/// closes. Stops without an answer when the desktop goes away or `answer` fails.
pub async fn push_one<F, Fut>(state: &AppState, wait: Wait, mut socket: WebSocket, mut answer: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ServerResult<Option<String>>>,
{
    let subscription = state.wakeups.subscribe(&wait.topic);
    let text = loop {
        let notified = subscription.notified();
        tokio::pin!(notified);
        // Enabled before the database is read, so an answer in between still wakes us.
        notified.as_mut().enable();
        match answer().await {
            Ok(Some(text)) => break Some(text),
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %e, what = wait.what, "waiting for an answer failed");
                break None;
            }
        }
        let now = state.now();
        let deadline = if now < wait.expires_at {
            wait.expires_at
        } else {
            wait.expires_at + wait.grace_secs
        };
        let left = Duration::from_secs(u64::try_from(deadline - now).unwrap_or(0));
        let pause = wait.recheck.min(left + Duration::from_millis(50));
        tokio::select! {
            () = notified => {}
            () = tokio::time::sleep(pause) => {}
            msg = socket.recv() => {
                // The desktop went away (or sent something it should not): stop waiting.
                if matches!(msg, None | Some(Err(_)) | Some(Ok(Message::Close(_)))) {
                    break None;
                }
            }
        }
    };
    drop(subscription);
    if let Some(text) = text {
        if socket.send(Message::Text(text.into())).await.is_err() {
            tracing::info!(
                what = wait.what,
                "the desktop left before the answer was delivered"
            );
        }
    }
    let _ = socket.send(Message::Close(None)).await;
}
