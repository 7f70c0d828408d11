//! Message delivery (issue 14, finding 7): e-mail through the real SMTP client (lettre) to an
//! SMTP server on loopback, SMS through the HTTP gateway adapter to a gateway the test runs
//! (retries on 503, none on 400), the development log's permissions, and no one-time code in
//! clear in the outbox table, delivered or not.
//!
//! The SMTP server here is a minimal one written in the test (EHLO, MAIL, RCPT, DATA, QUIT,
//! and STARTTLS advertised or not): it records what the client sent over TCP.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Backend, TestServer, backend_test};
use dinhdanh_server::testing::delivery::{
    Channel, GatewayCredential, LogFileSender, OutgoingMessage, Secret, Sender, SmsGatewayConfig,
    SmsGatewaySender, SmtpConfig, SmtpSecurity, SmtpSender, open_body, stored_outbox,
};
use dinhdanh_server::testing::outbox;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const CODE: &str = "482913";

fn message(channel: Channel, recipient: &str) -> OutgoingMessage {
    OutgoingMessage {
        id: "msg_test".into(),
        channel,
        recipient: recipient.into(),
        kind: "code.device_binding".into(),
        subject: "Ma xac thuc Dinh Danh".into(),
        body: format!("Ma xac thuc cua ban: {CODE}"),
    }
}

// --- SMTP ---------------------------------------------------------------------------------

/// A one-connection-at-a-time SMTP server on loopback; every line the client sent is kept.
async fn smtp_server(offer_starttls: bool) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let seen = lines.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (read, mut write) = stream.into_split();
            let mut read = BufReader::new(read);
            write.write_all(b"220 test.local ESMTP\r\n").await.unwrap();
            let mut in_data = false;
            loop {
                let mut line = String::new();
                if read.read_line(&mut line).await.unwrap_or(0) == 0 {
                    break;
                }
                let line = line.trim_end_matches(['\r', '\n']).to_owned();
                seen.lock().unwrap().push(line.clone());
                if in_data {
                    if line == "." {
                        in_data = false;
                        write.write_all(b"250 2.0.0 queued\r\n").await.unwrap();
                    }
                    continue;
                }
                let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
                let reply: &[u8] = match verb.as_str() {
                    "EHLO" if offer_starttls => {
                        b"250-test.local\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
                    }
                    "EHLO" => b"250-test.local\r\n250 8BITMIME\r\n",
                    "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 2.1.0 ok\r\n",
                    "DATA" => {
                        in_data = true;
                        b"354 go ahead\r\n"
                    }
                    "QUIT" => {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        break;
                    }
                    // STARTTLS is advertised but this server has no certificate: refuse it.
                    _ => b"502 5.5.1 not implemented\r\n",
                };
                write.write_all(reply).await.unwrap();
            }
        }
    });
    (port, lines)
}

fn smtp_config(port: u16, security: SmtpSecurity) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        security,
        from: "Dinh Danh <no-reply@dinhdanh.example.vn>".into(),
        credentials: None,
        timeout: Duration::from_secs(5),
    }
}

#[tokio::test]
async fn smtp_delivers_to_a_server_on_loopback() {
    let (port, lines) = smtp_server(false).await;
    let sender = SmtpSender::new(&smtp_config(port, SmtpSecurity::PlainLoopback)).unwrap();
    sender
        .send(&message(Channel::Email, "an.nguyen@example.vn"))
        .await
        .expect("delivered");
    let lines = lines.lock().unwrap().clone();
    assert!(lines.iter().any(|l| l.starts_with("EHLO ")), "{lines:?}");
    assert!(
        lines.contains(&"MAIL FROM:<no-reply@dinhdanh.example.vn>".to_owned()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"RCPT TO:<an.nguyen@example.vn>".to_owned()),
        "{lines:?}"
    );
    assert!(lines.contains(&"DATA".to_owned()), "{lines:?}");
    assert!(
        lines.contains(&"Subject: Ma xac thuc Dinh Danh".to_owned()),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!("Ma xac thuc cua ban: {CODE}"))),
        "the text went in DATA: {lines:?}"
    );
}

#[tokio::test]
async fn smtp_requires_starttls_by_default() {
    // A server that does not offer STARTTLS gets nothing: no sender, no recipient, no text.
    let (port, lines) = smtp_server(false).await;
    let sender = SmtpSender::new(&smtp_config(port, SmtpSecurity::StartTls)).unwrap();
    let result = sender
        .send(&message(Channel::Email, "an.nguyen@example.vn"))
        .await;
    assert!(result.is_err(), "sent without TLS");
    let lines = lines.lock().unwrap().clone();
    assert!(lines.iter().any(|l| l.starts_with("EHLO ")), "{lines:?}");
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("MAIL") || l.contains(CODE)),
        "{lines:?}"
    );

    // One that offers it but fails the handshake gets nothing either.
    let (port, lines) = smtp_server(true).await;
    let sender = SmtpSender::new(&smtp_config(port, SmtpSecurity::StartTls)).unwrap();
    let result = sender
        .send(&message(Channel::Email, "an.nguyen@example.vn"))
        .await;
    assert!(result.is_err(), "sent without TLS");
    let lines = lines.lock().unwrap().clone();
    assert!(lines.contains(&"STARTTLS".to_owned()), "{lines:?}");
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("MAIL") || l.contains(CODE)),
        "{lines:?}"
    );
}

#[test]
fn plain_smtp_is_refused_to_a_host_off_loopback() {
    let mut config = smtp_config(25, SmtpSecurity::PlainLoopback);
    config.host = "smtp.example.vn".into();
    assert!(SmtpSender::new(&config).is_err());
}

// --- SMS gateway --------------------------------------------------------------------------

/// What the gateway saw of one request.
#[derive(Clone, Debug)]
struct GatewayRequest {
    authorization: Option<String>,
    idempotency_key: Option<String>,
    body: serde_json::Value,
}

/// A gateway on loopback answering each request with the next status of `statuses` (the last
/// one once they run out), or with `refuse_to`'s status for that recipient.
async fn gateway(
    statuses: Vec<u16>,
    refuse_to: Option<(&'static str, u16)>,
) -> (String, Arc<Mutex<Vec<GatewayRequest>>>) {
    use axum::http::{HeaderMap, StatusCode};
    let seen = Arc::new(Mutex::new(Vec::<GatewayRequest>::new()));
    let state = seen.clone();
    let app = axum::Router::new().route(
        "/sms",
        axum::routing::post(
            move |headers: HeaderMap, axum::Json(body): axum::Json<serde_json::Value>| {
                let state = state.clone();
                let statuses = statuses.clone();
                async move {
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned)
                    };
                    let mut seen = state.lock().unwrap();
                    let n = seen.len();
                    let refused = refuse_to
                        .filter(|(to, _)| body["to"] == *to)
                        .map(|(_, status)| status);
                    seen.push(GatewayRequest {
                        authorization: header("authorization"),
                        idempotency_key: header("idempotency-key"),
                        body,
                    });
                    let status = refused
                        .unwrap_or_else(|| *statuses.get(n).or(statuses.last()).unwrap_or(&200));
                    StatusCode::from_u16(status).unwrap()
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

fn gateway_config(url: String) -> SmsGatewayConfig {
    let mut config = SmsGatewayConfig::new(
        url,
        Some(GatewayCredential::Bearer(Secret("gateway-token".into()))),
    );
    config.first_backoff = Duration::from_millis(20);
    config
}

#[tokio::test]
async fn sms_gateway_retries_a_503_with_backoff_then_delivers() {
    let (url, seen) = gateway(vec![503, 503, 200], None).await;
    let sender = SmsGatewaySender::new(gateway_config(url)).unwrap();
    let started = std::time::Instant::now();
    sender
        .send(&message(Channel::Sms, "+84912345678"))
        .await
        .expect("delivered on the third try");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "two 503s, then accepted: {seen:?}");
    // The pauses were 20 ms then 40 ms: the backoff happened (a lower bound, not a timing).
    assert!(started.elapsed() >= Duration::from_millis(60));
    for r in &seen {
        assert_eq!(r.authorization.as_deref(), Some("Bearer gateway-token"));
        assert_eq!(r.idempotency_key.as_deref(), Some("msg_test"));
        assert_eq!(r.body["to"], "+84912345678");
        assert_eq!(r.body["id"], "msg_test");
        assert_eq!(r.body["text"], format!("Ma xac thuc cua ban: {CODE}"));
    }
}

#[tokio::test]
async fn sms_gateway_does_not_retry_a_400_and_gives_up_after_its_attempts() {
    let (url, seen) = gateway(vec![400, 200], None).await;
    let sender = SmsGatewaySender::new(gateway_config(url)).unwrap();
    let result = sender.send(&message(Channel::Sms, "+84912345678")).await;
    assert!(result.is_err(), "a 400 is a failure");
    assert_eq!(seen.lock().unwrap().len(), 1, "a 400 is not tried again");

    let (url, seen) = gateway(vec![503], None).await;
    let sender = SmsGatewaySender::new(gateway_config(url)).unwrap();
    let result = sender.send(&message(Channel::Sms, "+84912345678")).await;
    assert!(result.is_err(), "always 503: not delivered");
    assert_eq!(seen.lock().unwrap().len(), 3, "the configured 3 attempts");
}

#[tokio::test]
async fn sms_gateway_sends_basic_credentials() {
    let (url, seen) = gateway(vec![200], None).await;
    let mut config = gateway_config(url);
    config.credential = Some(GatewayCredential::Basic {
        user: "dinhdanh".into(),
        password: Secret("s3cret".into()),
    });
    let sender = SmsGatewaySender::new(config).unwrap();
    sender
        .send(&message(Channel::Sms, "+84912345678"))
        .await
        .unwrap();
    use base64::Engine;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("dinhdanh:s3cret")
    );
    assert_eq!(
        seen.lock().unwrap()[0].authorization.as_deref(),
        Some(expected.as_str())
    );
}

// --- the development log ------------------------------------------------------------------

#[cfg(unix)]
#[tokio::test]
async fn the_development_log_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = common::data_dir("devlog");
    let path = dir.join("outbox.log");
    // Even a file left readable by everyone is narrowed.
    std::fs::write(&path, "").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let sender = LogFileSender::create(path.clone()).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    sender
        .send(&message(Channel::Sms, "+84912345678"))
        .await
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(CODE));

    // A fresh one is created 0600.
    let fresh = dir.join("fresh.log");
    let sender = LogFileSender::create(fresh.clone()).unwrap();
    sender
        .send(&message(Channel::Sms, "+84912345678"))
        .await
        .unwrap();
    assert_eq!(
        std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

// --- the outbox table ---------------------------------------------------------------------

backend_test!(no_code_stays_in_clear_in_the_outbox_table);
async fn no_code_stays_in_clear_in_the_outbox_table(db: Backend) {
    // The gateway refuses one number (the message stays undelivered) and takes the others.
    let (url, seen) = gateway(vec![200], Some(("+84900000001", 400))).await;
    let data_dir = common::data_dir("delivery");
    let database_url = common::fresh_database_url(db, &data_dir).await;
    let t = TestServer::start_with(
        data_dir,
        database_url,
        dinhdanh_server::testing::ServerKeys::generate(),
        |config| {
            config.delivery.dev_outbox_log = false;
            config.delivery.sms = Some(gateway_config(url));
        },
    )
    .await;
    let state = t.state();
    let text = format!("Mã xác thực: {CODE}");
    let undelivered_code = "+84900000001";
    outbox::send(
        state,
        None,
        Channel::Sms,
        undelivered_code,
        "code.device_binding",
        "Mã",
        &text,
    )
    .await
    .unwrap();
    outbox::send(
        state,
        None,
        Channel::Sms,
        "+84912345678",
        "code.device_binding",
        "Mã",
        &text,
    )
    .await
    .unwrap();
    outbox::send(
        state,
        None,
        Channel::Sms,
        "+84912345678",
        "alert.device_changed",
        "Cảnh báo",
        "Thiết bị mới",
    )
    .await
    .unwrap();

    // The gateway got the code in clear (that is its job) ...
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|r| r.body["to"] == "+84912345678" && r.body["text"] == text)
    );
    // ... the table has it nowhere, delivered or not, and the log was not written.
    let rows = stored_outbox(state).await.unwrap();
    assert_eq!(rows.len(), 3);
    for row in &rows {
        assert!(
            !row.body.contains(CODE),
            "code in clear in the outbox: {row:?}"
        );
    }
    let undelivered: Vec<_> = rows.iter().filter(|r| r.delivered_at.is_none()).collect();
    assert_eq!(undelivered.len(), 1, "{rows:?}");
    // The undelivered one is sealed, not lost: the server's keys open it.
    assert_eq!(
        open_body(state, undelivered[0]).as_deref(),
        Some(text.as_str())
    );
    // A message that holds no code is kept as it is.
    assert!(
        rows.iter()
            .any(|r| r.kind == "alert.device_changed" && r.body == "Thiết bị mới")
    );
    assert!(t.outbox().is_empty(), "no development log");
}

// --- serve without a sender ---------------------------------------------------------------

#[test]
fn serve_refuses_to_start_without_a_sender() {
    let dir = common::data_dir("nosender");
    // The address is taken: without the refusal, serve would fail to bind instead (it never
    // gets to serve and hang the test).
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_dinhdanh-server"));
    for var in [
        "DINHDANH_SMTP_HOST",
        "DINHDANH_SMS_GATEWAY_URL",
        "DINHDANH_ADDR",
        "DATABASE_URL",
    ] {
        command.env_remove(var);
    }
    let out = command
        .arg("--data-dir")
        .arg(&dir)
        .args(["serve", "--addr", &addr])
        .output()
        .unwrap();
    assert!(!out.status.success(), "it served");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no sender for e-mail and SMS") && stderr.contains("--dev-outbox-log"),
        "{stderr}"
    );
    assert!(!dir.join("outbox.log").exists(), "no development log");
}
