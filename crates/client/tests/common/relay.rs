//! A lost connection, for real: a loopback HTTP/1.1 relay between the client and the server
//! that loses one action's request, or its answer, or everything after it. Which requests are
//! "the action" is the test's predicate over the request line (`POST /v1/... HTTP/1.1`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use dinhdanh_client::api::{Client, ClientConfig};
use dinhdanh_client::passcode::KdfParams;
use dinhdanh_client::profile::Profile;
use dinhdanh_core::signed_action::Origin;
use dinhdanh_server::testing::{self, Clock, ServerSetup};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{Device, TestServer};

/// What the relay does to the action's request (the requests its predicate picks); every
/// other request passes.
pub const PASS: u8 = 0;
/// The action reaches the server, its answer is lost: the connection closes.
pub const LOSE_ANSWER: u8 = 1;
/// The action never reaches the server: the connection closes.
pub const LOSE_REQUEST: u8 = 2;
/// The action reaches the server, its answer is lost, and the network stays down: every
/// later connection closes at once.
pub const LOSE_EVERYTHING: u8 = 3;
/// Set by the relay after [`LOSE_EVERYTHING`].
pub const DOWN: u8 = 4;

/// A loopback HTTP/1.1 relay in front of the server (one request at a time per connection,
/// bodies framed by `Content-Length`, as the client and axum send them).
pub struct Relay {
    mode: Arc<AtomicU8>,
}

impl Relay {
    pub async fn start(
        listener: TcpListener,
        upstream: String,
        is_action: fn(&str) -> bool,
    ) -> Relay {
        let mode = Arc::new(AtomicU8::new(PASS));
        let m = mode.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (m, upstream) = (m.clone(), upstream.clone());
                tokio::spawn(async move {
                    let _ = relay(client, &upstream, &m, is_action).await;
                });
            }
        });
        Relay { mode }
    }

    pub fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }
}

/// Reads one HTTP message (head and `Content-Length` body); `None` at a clean end.
async fn read_message(s: &mut TcpStream) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte).await? == 0 {
            return Ok(None);
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    s.read_exact(&mut body).await?;
    buf.extend_from_slice(&body);
    Ok(Some(buf))
}

async fn relay(
    mut client: TcpStream,
    upstream: &str,
    mode: &AtomicU8,
    is_action: fn(&str) -> bool,
) -> std::io::Result<()> {
    loop {
        if mode.load(Ordering::SeqCst) == DOWN {
            return Ok(());
        }
        let Some(request) = read_message(&mut client).await? else {
            return Ok(());
        };
        let line = String::from_utf8_lossy(&request[..request.len().min(200)]).into_owned();
        let action = is_action(&line);
        let now = mode.load(Ordering::SeqCst);
        if action && now == LOSE_REQUEST {
            mode.store(PASS, Ordering::SeqCst);
            return Ok(());
        }
        let mut server = TcpStream::connect(upstream).await?;
        server.write_all(&request).await?;
        let response = read_message(&mut server).await?.unwrap_or_default();
        if action && now == LOSE_ANSWER {
            mode.store(PASS, Ordering::SeqCst);
            return Ok(());
        }
        if action && now == LOSE_EVERYTHING {
            mode.store(DOWN, Ordering::SeqCst);
            return Ok(());
        }
        client.write_all(&response).await?;
    }
}

/// The server behind a relay: its origin is the relay's, so what the client signs names the
/// address it talks to.
pub async fn server_behind_relay(is_action: fn(&str) -> bool) -> (TestServer, Relay, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay_url = format!("http://{}", listener.local_addr().unwrap());
    let data_dir = std::env::temp_dir().join(format!("dd-client-srv-{}", super::random_hex(8)));
    std::fs::create_dir_all(&data_dir).unwrap();
    let mut setup = ServerSetup::new(data_dir.clone(), testing::sqlite_url(&data_dir));
    let clock = testing::ManualClock::new(testing::START_TIME);
    setup.clock = Some(clock.clone());
    let origin = Origin::parse(&relay_url).unwrap();
    let server = testing::start_server(setup, |c| c.origin = origin)
        .await
        .unwrap();
    let upstream = server
        .base_url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let relay = Relay::start(listener, upstream, is_action).await;
    (
        TestServer {
            server,
            clock,
            data_dir,
        },
        relay,
        relay_url,
    )
}

/// A device that talks to `url` (the relay) instead of the server itself.
pub fn device_at(t: &TestServer, url: &str, role: &str) -> Device {
    let name = format!("t{}-{role}", super::random_hex(6));
    let dir = std::env::temp_dir().join(format!("dd-client-profile-{name}"));
    let profile = Profile::open(&name, &dir).unwrap();
    let keystore = super::os_keystore(&name);
    let mut config = ClientConfig::new(url.to_owned());
    config.kdf = KdfParams::insecure_for_tests();
    let clock = t.clock.clone();
    config.clock = Arc::new(move || clock.now());
    let client = Client::new(config, profile.clone(), keystore.clone()).unwrap();
    Device {
        client,
        profile,
        keystore,
    }
}
