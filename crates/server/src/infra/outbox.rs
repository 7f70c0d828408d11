//! Every message to a person — one-time codes, results, alerts — is written to the `outbox`
//! table first, in the same flow as the change it reports, and then handed to a pluggable
//! [`Sender`] (SMTP for e-mail, an HTTP gateway for SMS; `--dev-outbox-log` for development,
//! see [`crate::infra::sender`]). The text of a one-time-code message never stays in the table
//! in clear: it is stored sealed with the server keys (AES-256-GCM, bound to the message id)
//! and, once delivered, replaced by a note. In-app notifications go to the `notifications`
//! table (the inbox).

use dinhdanh_core::api::NotificationKind;
use dinhdanh_core::ids::NotificationId;

use crate::infra::error::ServerResult;
use crate::infra::ids::new_id;
use crate::infra::keys::ServerKeys;
pub use crate::infra::sender::{Channel, OutgoingMessage, Sender};
use crate::infra::state::AppState;

/// Kinds of one-time-code messages start with this (`code.device_binding`).
pub const CODE_KIND_PREFIX: &str = "code.";

/// What a delivered code message's text is replaced with.
const REDACTED: &str = "[one-time code delivered; text removed]";

/// A sealed body in the table starts with this, then base64 of `nonce ‖ ciphertext`.
const SEALED_PREFIX: &str = "sealed:";

/// The associated data a code message's body is sealed with: its own row only.
fn seal_purpose(id: &str) -> String {
    format!("outbox.body:{id}")
}

/// The body as stored: a code message's sealed, any other as it is.
fn stored_body(keys: &ServerKeys, id: &str, kind: &str, body: &str) -> String {
    use base64::Engine;
    if kind.starts_with(CODE_KIND_PREFIX) {
        let blob = keys.encrypt_blob(&seal_purpose(id), body.as_bytes());
        format!(
            "{SEALED_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(blob)
        )
    } else {
        body.to_owned()
    }
}

/// Opens a body as stored (a sealed one with the keys that sealed it); `None` when it was
/// altered or sealed by other keys.
pub fn open_body(keys: &ServerKeys, id: &str, stored: &str) -> Option<String> {
    use base64::Engine;
    match stored.strip_prefix(SEALED_PREFIX) {
        None => Some(stored.to_owned()),
        Some(b64) => {
            let blob = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
            let plain = keys.decrypt_blob(&seal_purpose(id), &blob)?;
            String::from_utf8(plain.to_vec()).ok()
        }
    }
}

/// Writes a message to the outbox and tries to deliver it at once (outside any action's
/// transaction; an action queues its messages on its [`crate::store::tx::Tx`]).
pub async fn send(
    state: &AppState,
    account: Option<&str>,
    channel: Channel,
    recipient: &str,
    kind: &str,
    subject: &str,
    body: &str,
) -> ServerResult<()> {
    let mut conn = state.pool.acquire().await?;
    let message = insert_message(
        &mut conn,
        &state.keys,
        state.now(),
        account,
        channel,
        recipient,
        kind,
        subject,
        body,
    )
    .await?;
    drop(conn);
    deliver(state, &message).await
}

/// Writes a message to the outbox inside the caller's transaction (a code message's body
/// sealed); [`deliver`] it once that has committed.
#[allow(clippy::too_many_arguments)]
pub async fn insert_message(
    conn: &mut sqlx::AnyConnection,
    keys: &ServerKeys,
    now: i64,
    account: Option<&str>,
    channel: Channel,
    recipient: &str,
    kind: &str,
    subject: &str,
    body: &str,
) -> ServerResult<OutgoingMessage> {
    let message = OutgoingMessage {
        id: new_id("msg"),
        channel,
        recipient: recipient.to_owned(),
        kind: kind.to_owned(),
        subject: subject.to_owned(),
        body: body.to_owned(),
    };
    sqlx::query(
        "INSERT INTO outbox (id, account_id, channel, recipient, kind, subject, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&message.id)
    .bind(account)
    .bind(channel.as_str())
    .bind(recipient)
    .bind(kind)
    .bind(subject)
    .bind(stored_body(keys, &message.id, kind, body))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(message)
}

/// Hands a stored message to the sender and marks it delivered; a failed delivery leaves it in
/// the outbox for a later try.
pub async fn deliver(state: &AppState, message: &OutgoingMessage) -> ServerResult<()> {
    match state.sender.send(message).await {
        Ok(()) => {
            // Once delivered, a one-time code's text is no longer needed here: keeping it
            // would let a database dump read live codes (they are stored hashed elsewhere).
            let body = if message.kind.starts_with(CODE_KIND_PREFIX) {
                REDACTED
            } else {
                message.body.as_str()
            };
            sqlx::query("UPDATE outbox SET delivered_at = $1, body = $2 WHERE id = $3")
                .bind(state.now())
                .bind(body)
                .bind(&message.id)
                .execute(&state.pool)
                .await?;
        }
        // Left undelivered in the outbox (a code's text sealed); the message is not lost.
        Err(e) => tracing::warn!(error = %e, kind = %message.kind, "outbox delivery failed"),
    }
    Ok(())
}

/// A notification for the in-app inbox.
pub struct InboxItem<'a> {
    /// Kind.
    pub kind: NotificationKind,
    /// Title, Vietnamese.
    pub title_vi: &'a str,
    /// Title, English.
    pub title_en: &'a str,
    /// Text, Vietnamese.
    pub body_vi: &'a str,
    /// Text, English.
    pub body_en: &'a str,
    /// What it links to.
    pub link: Option<&'a str>,
}

/// Puts a notification in a person's inbox inside the caller's transaction; returns its id.
pub async fn notify_in(
    conn: &mut sqlx::AnyConnection,
    now: i64,
    account: &str,
    item: InboxItem<'_>,
) -> ServerResult<NotificationId> {
    let kind = serde_json::to_value(item.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let id = NotificationId::parse(&new_id("ntf"))
        .map_err(|e| crate::infra::error::ServerError::Internal(e.to_string()))?;
    sqlx::query(
        "INSERT INTO notifications (id, account_id, kind, title_vi, title_en, body_vi, body_en, link, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id.as_str())
    .bind(account)
    .bind(kind)
    .bind(item.title_vi)
    .bind(item.title_en)
    .bind(item.body_vi)
    .bind(item.body_en)
    .bind(item.link)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}
