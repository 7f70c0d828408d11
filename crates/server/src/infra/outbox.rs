//! Every message to a person — one-time codes, results, alerts — is written to the `outbox`
//! table first, in the same flow as the change it reports, and then handed to a pluggable
//! [`Sender`]. The default sender appends to `outbox.log` in the data directory (the demo and
//! the tests read codes there) — a real deployment plugs in its SMS and e-mail gateways.
//! In-app notifications go to the `notifications` table (the inbox).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use dinhdanh_core::api::NotificationKind;

use crate::infra::error::ServerResult;
use crate::infra::ids::new_id;
use crate::infra::state::AppState;

/// Kinds of one-time-code messages start with this (`code.device_binding`).
pub const CODE_KIND_PREFIX: &str = "code.";

/// What a delivered code message's text is replaced with.
const REDACTED: &str = "[one-time code delivered; text removed]";

/// A channel a message goes out on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// Text message to the phone.
    Sms,
    /// E-mail.
    Email,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
        }
    }
}

/// A message ready to deliver.
#[derive(Clone, Debug)]
pub struct OutgoingMessage {
    /// Outbox row id.
    pub id: String,
    /// Channel.
    pub channel: Channel,
    /// Phone number or e-mail address.
    pub recipient: String,
    /// What it is (`code.device_binding`, `alert.device_changed`).
    pub kind: String,
    /// Subject line.
    pub subject: String,
    /// Text.
    pub body: String,
}

/// Delivers outbox messages.
pub trait Sender: Send + Sync + 'static {
    /// Delivers one message; an error leaves it in the outbox for a later try.
    fn send(&self, message: &OutgoingMessage) -> std::io::Result<()>;
}

/// The default sender: one JSON line per message appended to a log file.
pub struct LogFileSender {
    path: PathBuf,
    lock: Mutex<()>,
}

impl LogFileSender {
    /// Appends to `path`.
    pub fn new(path: PathBuf) -> Self {
        LogFileSender {
            path,
            lock: Mutex::new(()),
        }
    }
}

impl Sender for LogFileSender {
    fn send(&self, m: &OutgoingMessage) -> std::io::Result<()> {
        let _guard = self
            .lock
            .lock()
            .map_err(|_| std::io::Error::other("outbox log lock poisoned"))?;
        let line = serde_json::json!({
            "id": m.id, "channel": m.channel.as_str(), "to": m.recipient,
            "kind": m.kind, "subject": m.subject, "body": m.body,
        });
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        writeln!(f, "{line}")
    }
}

/// Writes a message to the outbox and tries to deliver it at once.
pub async fn send(
    state: &AppState,
    account: Option<&str>,
    channel: Channel,
    recipient: &str,
    kind: &str,
    subject: &str,
    body: &str,
) -> ServerResult<()> {
    let message = OutgoingMessage {
        id: new_id("msg"),
        channel,
        recipient: recipient.to_owned(),
        kind: kind.to_owned(),
        subject: subject.to_owned(),
        body: body.to_owned(),
    };
    let now = state.now();
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
    .bind(body)
    .bind(now)
    .execute(&state.pool)
    .await?;
    match state.sender.send(&message) {
        Ok(()) => {
            // Once delivered, a one-time code's text is no longer needed here: keeping it
            // would let a database dump read live codes (they are stored hashed elsewhere).
            let body = if kind.starts_with(CODE_KIND_PREFIX) {
                REDACTED
            } else {
                body
            };
            sqlx::query("UPDATE outbox SET delivered_at = $1, body = $2 WHERE id = $3")
                .bind(now)
                .bind(body)
                .bind(&message.id)
                .execute(&state.pool)
                .await?;
        }
        // Left undelivered in the outbox; the message is not lost.
        Err(e) => tracing::warn!(error = %e, kind, "outbox delivery failed"),
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

/// Puts a notification in a person's inbox.
pub async fn notify(state: &AppState, account: &str, item: InboxItem<'_>) -> ServerResult<()> {
    let kind = serde_json::to_value(item.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    sqlx::query(
        "INSERT INTO notifications (id, account_id, kind, title_vi, title_en, body_vi, body_en, link, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new_id("ntf"))
    .bind(account)
    .bind(kind)
    .bind(item.title_vi)
    .bind(item.title_en)
    .bind(item.body_vi)
    .bind(item.body_en)
    .bind(item.link)
    .bind(state.now())
    .execute(&state.pool)
    .await?;
    Ok(())
}
