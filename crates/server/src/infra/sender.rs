//! Delivery of outbox messages: the [`Sender`] trait and its implementations — e-mail over SMTP
//! ([`SmtpSender`], STARTTLS required), SMS through an HTTP gateway ([`SmsGatewaySender`],
//! retried with backoff), the [`RoutingSender`] that sends each channel to its own, and the
//! development-only [`LogFileSender`] (`--dev-outbox-log`: one JSON line per message in a
//! 0600 file; the demo and the tests read codes there). [`from_config`] assembles them from
//! [`Delivery`].

use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use crate::infra::config::{
    Delivery, GatewayCredential, SmsGatewayConfig, SmtpConfig, SmtpSecurity,
};

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

/// What [`Sender::send`] returns.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = std::io::Result<()>> + Send + 'a>>;

/// Delivers outbox messages.
pub trait Sender: Send + Sync + 'static {
    /// Delivers one message; an error leaves it in the outbox, undelivered.
    fn send<'a>(&'a self, message: &'a OutgoingMessage) -> SendFuture<'a>;
}

/// Development only (`--dev-outbox-log`): one JSON line per message — codes, phone numbers and
/// e-mail addresses in clear — appended to a file only its owner may read (0600).
pub struct LogFileSender {
    path: PathBuf,
    lock: Mutex<()>,
}

impl LogFileSender {
    /// Creates `path` (or takes it over) with mode 0600, and appends to it.
    pub fn create(path: PathBuf) -> std::io::Result<Self> {
        drop(open_private(&path)?);
        Ok(LogFileSender {
            path,
            lock: Mutex::new(()),
        })
    }

    fn append(&self, m: &OutgoingMessage) -> std::io::Result<()> {
        let _guard = self
            .lock
            .lock()
            .map_err(|_| std::io::Error::other("outbox log lock poisoned"))?;
        let line = serde_json::json!({
            "id": m.id, "channel": m.channel.as_str(), "to": m.recipient,
            "kind": m.kind, "subject": m.subject, "body": m.body,
        });
        let mut f = open_private(&self.path)?;
        writeln!(f, "{line}")
    }
}

/// Opens `path` for appending, created with mode 0600; an existing file is narrowed to 0600.
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let f = options.open(path)?;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(f)
    }
    #[cfg(not(unix))]
    options.open(path)
}

impl Sender for LogFileSender {
    fn send<'a>(&'a self, m: &'a OutgoingMessage) -> SendFuture<'a> {
        Box::pin(async move { self.append(m) })
    }
}

/// A channel nothing delivers on: every message stays in the outbox (a CLI command run
/// without delivery configured).
pub struct NoSender;

impl Sender for NoSender {
    fn send<'a>(&'a self, m: &'a OutgoingMessage) -> SendFuture<'a> {
        let channel = m.channel.as_str();
        Box::pin(async move {
            Err(std::io::Error::other(format!(
                "no sender is configured for {channel}"
            )))
        })
    }
}

/// Sends e-mail to one sender and SMS to another.
pub struct RoutingSender {
    /// E-mail.
    pub email: Arc<dyn Sender>,
    /// SMS.
    pub sms: Arc<dyn Sender>,
}

impl Sender for RoutingSender {
    fn send<'a>(&'a self, m: &'a OutgoingMessage) -> SendFuture<'a> {
        match m.channel {
            Channel::Email => self.email.send(m),
            Channel::Sms => self.sms.send(m),
        }
    }
}

/// E-mail over SMTP (lettre, tokio, rustls). STARTTLS is required, and the server's
/// certificate checked against the web PKI roots; [`SmtpSecurity::PlainLoopback`] (no TLS at
/// all) is accepted only for a loopback host — tests and development.
pub struct SmtpSender {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl SmtpSender {
    /// A sender for `config`; fails on a bad sender address, or on plain SMTP to a host that
    /// is not loopback.
    pub fn new(config: &SmtpConfig) -> std::io::Result<Self> {
        use lettre::transport::smtp::authentication::Credentials;
        let from = config
            .from
            .parse()
            .map_err(|e| invalid(format!("SMTP sender address {:?}: {e}", config.from)))?;
        let mut builder = match config.security {
            SmtpSecurity::StartTls => {
                lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::starttls_relay(&config.host)
                    .map_err(|e| invalid(format!("SMTP host {:?}: {e}", config.host)))?
            }
            SmtpSecurity::PlainLoopback => {
                if !is_loopback_host(&config.host) {
                    return Err(invalid(format!(
                        "plain SMTP (no STARTTLS) is only allowed to a loopback host, not {:?}",
                        config.host
                    )));
                }
                lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous(
                    &config.host,
                )
            }
        };
        builder = builder.port(config.port).timeout(Some(config.timeout));
        if let Some((user, password)) = &config.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.0.clone()));
        }
        Ok(SmtpSender {
            transport: builder.build(),
            from,
        })
    }
}

impl Sender for SmtpSender {
    fn send<'a>(&'a self, m: &'a OutgoingMessage) -> SendFuture<'a> {
        Box::pin(async move {
            use lettre::AsyncTransport;
            let to: lettre::message::Mailbox = m
                .recipient
                .parse()
                .map_err(|e| invalid(format!("recipient address: {e}")))?;
            let email = lettre::Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(m.subject.clone())
                .header(lettre::message::header::ContentType::TEXT_PLAIN)
                .body(m.body.clone())
                .map_err(|e| invalid(format!("building the e-mail: {e}")))?;
            self.transport
                .send(email)
                .await
                .map(|_| ())
                .map_err(std::io::Error::other)
        })
    }
}

/// SMS through an HTTP gateway: `POST <url>` with JSON `{"id", "to", "text"}` (the outbox id
/// also as the `Idempotency-Key` header, so a retried request is not sent twice by a gateway
/// that honours it) and the configured credential. A 2xx is delivered; a 5xx, a timeout or a
/// connection failure is tried again after a doubling pause, up to the configured number of
/// attempts; a 4xx is not tried again.
pub struct SmsGatewaySender {
    client: reqwest::Client,
    config: SmsGatewayConfig,
}

impl SmsGatewaySender {
    /// A sender for `config`.
    pub fn new(config: SmsGatewayConfig) -> std::io::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(std::io::Error::other)?;
        Ok(SmsGatewaySender { client, config })
    }

    async fn attempt(&self, m: &OutgoingMessage) -> Attempt {
        let mut request = self
            .client
            .post(&self.config.url)
            .header("Idempotency-Key", &m.id)
            .json(&serde_json::json!({ "id": m.id, "to": m.recipient, "text": m.body }));
        request = match &self.config.credential {
            None => request,
            Some(GatewayCredential::Bearer(token)) => request.bearer_auth(&token.0),
            Some(GatewayCredential::Basic { user, password }) => {
                request.basic_auth(user, Some(&password.0))
            }
        };
        match request.send().await {
            Ok(r) if r.status().is_success() => Attempt::Delivered,
            Ok(r) if r.status().is_server_error() => {
                Attempt::Retry(format!("gateway answered {}", r.status()))
            }
            Ok(r) => Attempt::Refused(format!("gateway refused: {}", r.status())),
            // Timeouts and connection failures: the gateway may come back.
            Err(e) => Attempt::Retry(format!("gateway unreachable: {e}")),
        }
    }
}

enum Attempt {
    Delivered,
    Retry(String),
    Refused(String),
}

impl Sender for SmsGatewaySender {
    fn send<'a>(&'a self, m: &'a OutgoingMessage) -> SendFuture<'a> {
        Box::pin(async move {
            let mut pause = self.config.first_backoff;
            let attempts = self.config.max_attempts.max(1);
            let mut last = String::new();
            for n in 1..=attempts {
                match self.attempt(m).await {
                    Attempt::Delivered => return Ok(()),
                    Attempt::Refused(why) => return Err(std::io::Error::other(why)),
                    Attempt::Retry(why) => {
                        tracing::warn!(attempt = n, reason = %why, "SMS gateway attempt failed");
                        last = why;
                    }
                }
                if n < attempts {
                    tokio::time::sleep(pause).await;
                    pause = pause.saturating_mul(2);
                }
            }
            Err(std::io::Error::other(format!(
                "SMS gateway: {attempts} attempts failed, last: {last}"
            )))
        })
    }
}

/// Whether `host` names this machine's loopback (`localhost`, `127.0.0.0/8`, `::1`).
fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, message)
}

/// The sender `delivery` describes: SMTP for e-mail and the gateway for SMS where configured,
/// the development log (`data_dir/outbox.log`) for a channel without one when
/// `dev_outbox_log` is set, and otherwise nothing (those messages stay in the outbox).
pub fn from_config(delivery: &Delivery, data_dir: &Path) -> std::io::Result<Arc<dyn Sender>> {
    let log: Option<Arc<dyn Sender>> = if delivery.dev_outbox_log {
        let path = data_dir.join("outbox.log");
        let sender = LogFileSender::create(path.clone())?;
        tracing::warn!(
            path = %path.display(),
            "DEVELOPMENT ONLY: --dev-outbox-log writes one-time codes, phone numbers and e-mail \
             addresses in clear to this file; never use it on a real deployment"
        );
        Some(Arc::new(sender))
    } else {
        None
    };
    let fallback = || log.clone().unwrap_or_else(|| Arc::new(NoSender));
    let email: Arc<dyn Sender> = match &delivery.smtp {
        Some(c) => Arc::new(SmtpSender::new(c)?),
        None => fallback(),
    };
    let sms: Arc<dyn Sender> = match &delivery.sms {
        Some(c) => Arc::new(SmsGatewaySender::new(c.clone())?),
        None => fallback(),
    };
    Ok(Arc::new(RoutingSender { email, sms }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn plain_smtp_only_to_loopback() {
        for host in ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "smtp.example.vn",
            "10.0.0.1",
            "192.168.1.1",
            "localhost.example.vn",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
        let config = SmtpConfig {
            host: "smtp.example.vn".into(),
            port: 25,
            security: SmtpSecurity::PlainLoopback,
            from: "no-reply@example.vn".into(),
            credentials: None,
            timeout: Duration::from_secs(5),
        };
        assert!(SmtpSender::new(&config).is_err());
    }
}
