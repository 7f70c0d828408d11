//! The outbox (SMS and e-mail); tests read what it delivered from `outbox.log` in the data
//! directory.

use super::{AppState, ServerResult};

pub use crate::infra::outbox::Channel;

/// Sends a message through the outbox.
pub async fn send(
    state: &AppState,
    account: Option<&str>,
    channel: Channel,
    recipient: &str,
    kind: &str,
    subject: &str,
    body: &str,
) -> ServerResult<()> {
    crate::infra::outbox::send(state, account, channel, recipient, kind, subject, body).await
}

/// Every message the outbox of the server with data directory `data_dir` delivered,
/// oldest first, as JSON values.
pub fn delivered(data_dir: &std::path::Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(data_dir.join("outbox.log")).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}
