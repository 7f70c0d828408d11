//! Delivery of outbox messages: the [`Sender`] a deployment plugs in (SMS and e-mail gateways)
//! and the default one, which appends to a log file (the demo and the tests read codes there).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

/// A channel a message goes out on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// Text message to the phone.
    Sms,
    /// E-mail.
    Email,
}

impl Channel {
    /// As stored in `outbox.channel`.
    pub fn as_str(self) -> &'static str {
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
