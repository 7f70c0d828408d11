//! Message delivery (`infra::sender`): the senders and their configuration, for tests that run
//! them against SMTP and SMS-gateway servers of their own, and the outbox table as stored.

pub use crate::infra::config::{
    Delivery, GatewayCredential, Secret, SmsGatewayConfig, SmtpConfig, SmtpSecurity,
};
pub use crate::infra::sender::{
    Channel, LogFileSender, OutgoingMessage, Sender, SmsGatewaySender, SmtpSender,
};

use super::{AppState, ServerResult};

/// One outbox row as stored.
#[derive(Debug, sqlx::FromRow)]
pub struct StoredMessage {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: String,
    /// Body, as it is in the table.
    pub body: String,
    /// When it was delivered; `None`: not (yet).
    pub delivered_at: Option<i64>,
}

/// Every outbox row, as stored.
pub async fn stored_outbox(state: &AppState) -> ServerResult<Vec<StoredMessage>> {
    Ok(sqlx::query_as::<_, StoredMessage>(
        "SELECT id, kind, body, delivered_at FROM outbox ORDER BY created_at, id",
    )
    .fetch_all(&state.pool)
    .await?)
}

/// A stored body opened with the server's keys (a sealed one decrypted).
pub fn open_body(state: &AppState, message: &StoredMessage) -> Option<String> {
    crate::infra::outbox::open_body(&state.keys, &message.id, &message.body)
}
