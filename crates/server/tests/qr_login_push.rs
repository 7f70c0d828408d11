//! The desktop is told of the phone's answer at once, whichever instance holds its WebSocket:
//! on PostgreSQL two instances share one database, the desktop
//! waits on one and the phone answers at the other (LISTEN/NOTIFY); on SQLite, one instance
//! (an in-process wake-up). Either way the answer must arrive well before the server's 5-s
//! safety-net re-read, so a broken push cannot pass unnoticed. Also: the approximate place of
//! the desktop from a GeoIP table.

use crate::common;
use crate::identity;
use crate::qr_desktop;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{Auth, TestServer};
use common::{Backend, backend_test};
use dinhdanh_core::api::{QrLoginEvent, QrLoginRequestView, SessionKind, paths};
use dinhdanh_server::testing::ServerKeys;
use futures_util::StreamExt;
use identity::signed_in;
use qr_desktop::{Socket, approval, approve, open_events, path, start};
use tokio_tungstenite::tungstenite::Message;

/// Far under the QR-login safety net's recheck interval (5 s): only a push arrives this fast.
const PUSH_BOUND: Duration = Duration::from_secs(2);

/// Where the phone answers and where the desktop waits: two instances behind one origin on
/// PostgreSQL, the same instance on SQLite (which serves one instance per database file).
struct Instances {
    phone: TestServer,
    desktop: Option<TestServer>,
}

impl Instances {
    async fn start(db: Backend) -> Instances {
        if db == Backend::Sqlite {
            return Instances {
                phone: TestServer::start(db).await,
                desktop: None,
            };
        }
        let tag = dinhdanh_server::testing::unique_name("push");
        let dir = |n: &str| -> PathBuf {
            let d = std::env::temp_dir().join(format!("dd-test-{tag}-{n}"));
            std::fs::create_dir_all(&d).unwrap();
            d
        };
        let (dir_a, dir_b, keys_dir) = (dir("a"), dir("b"), dir("keys"));
        let database_url = common::fresh_database_url(db, &dir_a).await;
        let keys = || ServerKeys::load_or_create(&keys_dir).unwrap();
        let phone = TestServer::start_on(dir_a, database_url.clone(), keys()).await;
        // A deployment puts every instance behind one public origin: the code the desktop
        // shows names it, and the phone's approval is signed for it.
        let origin = phone.origin();
        let desktop =
            TestServer::start_with(dir_b, database_url, keys(), |c| c.origin = origin).await;
        std::fs::remove_dir_all(&keys_dir).ok();
        assert_ne!(phone.server.addr, desktop.server.addr);
        Instances {
            phone,
            desktop: Some(desktop),
        }
    }

    fn desktop(&self) -> &TestServer {
        self.desktop.as_ref().unwrap_or(&self.phone)
    }
}

/// The pushed event and how long after `since` it arrived.
async fn pushed(socket: &mut Socket, since: Instant) -> (QrLoginEvent, Duration) {
    let msg = tokio::time::timeout(Duration::from_secs(10), socket.next())
        .await
        .expect("an event within the safety net's time")
        .expect("the socket is open")
        .expect("a message");
    let took = since.elapsed();
    let Message::Text(text) = msg else {
        panic!("expected a text event, got {msg:?}");
    };
    (serde_json::from_str(text.as_str()).unwrap(), took)
}

backend_test!(
    an_approval_at_one_instance_reaches_the_desktop_waiting_at_another_at_once,
    flavor = "multi_thread",
    worker_threads = 2
);
async fn an_approval_at_one_instance_reaches_the_desktop_waiting_at_another_at_once(db: Backend) {
    let i = Instances::start(db).await;
    let (_p, device, _, phone) = signed_in(&i.phone).await;
    for round in 0..3 {
        let (desktop_key, payload) = start(i.desktop()).await;
        let mut socket = open_events(i.desktop(), &desktop_key, &payload).await;
        // Let the socket settle into its wait, so the answer really has to be pushed.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let confirmed = approval(
            &i.phone,
            &phone,
            &device,
            &payload,
            payload.approval_body(None),
        )
        .await;
        let sent = Instant::now();
        let resp = approve(&i.phone, &phone, &payload, &confirmed).await;
        assert_eq!(resp.status(), 204, "{}", resp.text().await.unwrap());
        let (event, took) = pushed(&mut socket, sent).await;
        let QrLoginEvent::Approved { session, token } = event else {
            panic!("round {round}: expected approval, got {event:?}");
        };
        assert!(took < PUSH_BOUND, "round {round}: pushed after {took:?}");
        assert_eq!(session.kind, SessionKind::Desktop);
        // The session works at the instance the desktop talks to.
        let desktop = common::Session {
            token,
            key: desktop_key,
            account: phone.account.clone(),
        };
        let me = i.desktop().get(paths::ME, Auth::Session(&desktop)).await;
        assert_eq!(me.status(), 200);
    }
}

backend_test!(
    a_decline_at_one_instance_reaches_the_desktop_waiting_at_another_at_once,
    flavor = "multi_thread",
    worker_threads = 2
);
async fn a_decline_at_one_instance_reaches_the_desktop_waiting_at_another_at_once(db: Backend) {
    let i = Instances::start(db).await;
    let (_p, _device, _, phone) = signed_in(&i.phone).await;
    let (desktop_key, payload) = start(i.desktop()).await;
    let mut socket = open_events(i.desktop(), &desktop_key, &payload).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = Instant::now();
    let resp = i
        .phone
        .send(
            "POST",
            &path(paths::QR_LOGIN_DECLINE, &payload),
            None,
            Auth::Session(&phone),
        )
        .await;
    assert_eq!(resp.status(), 204, "{}", resp.text().await.unwrap());
    let (event, took) = pushed(&mut socket, sent).await;
    assert!(matches!(event, QrLoginEvent::Declined), "{event:?}");
    assert!(took < PUSH_BOUND, "pushed after {took:?}");
}

backend_test!(the_phone_sees_the_desktops_approximate_place_when_a_geoip_table_is_configured);
async fn the_phone_sees_the_desktops_approximate_place_when_a_geoip_table_is_configured(
    db: Backend,
) {
    let data_dir = std::env::temp_dir().join(format!(
        "dd-test-{}",
        dinhdanh_server::testing::unique_name("geo")
    ));
    std::fs::create_dir_all(&data_dir).unwrap();
    let table = data_dir.join("geoip.csv");
    std::fs::write(
        &table,
        "ip_start,ip_end,country,region,city\n\
         127.0.0.0,127.255.255.255,VN,Hà Nội,Hà Nội\n\
         ::1,::1,VN,Hồ Chí Minh,Hồ Chí Minh\n",
    )
    .unwrap();
    let url = common::fresh_database_url(db, &data_dir).await;
    let t = TestServer::start_with(data_dir, url, ServerKeys::generate(), |c| {
        c.geoip_csv = Some(table);
    })
    .await;
    let (_p, _device, _, phone) = signed_in(&t).await;
    let (_key, payload) = start(&t).await;
    let resp = t
        .get(
            &path(paths::QR_LOGIN_REQUEST, &payload),
            Auth::Session(&phone),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let view: QrLoginRequestView = resp.json().await.unwrap();
    assert_eq!(view.ip_address, "127.0.0.1");
    assert_eq!(view.approximate_location.as_deref(), Some("Hà Nội, VN"));
    assert_eq!(view.phone_ip_address, "127.0.0.1");
    assert_eq!(
        view.phone_approximate_location.as_deref(),
        Some("Hà Nội, VN")
    );

    // Without a table, no place is made up.
    let plain = TestServer::start(db).await;
    let (_p, _device, _, phone) = signed_in(&plain).await;
    let (_key, payload) = start(&plain).await;
    let view: QrLoginRequestView = plain
        .get(
            &path(paths::QR_LOGIN_REQUEST, &payload),
            Auth::Session(&phone),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view.approximate_location, None);
    assert_eq!(view.phone_approximate_location, None);
}

/// An HTTP client that sends `X-Forwarded-For: <addr>` with every request, as a reverse proxy
/// in front of the server would.
fn forwarding(addr: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", addr.parse().unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

/// A server that trusts the loopback (where the tests connect from) as its reverse proxy.
async fn behind_a_proxy(db: Backend) -> TestServer {
    behind_a_proxy_with_places(db, None).await
}

/// [`behind_a_proxy`], with a GeoIP table of `places` (CSV rows after the header) if given.
async fn behind_a_proxy_with_places(db: Backend, places: Option<&str>) -> TestServer {
    let data_dir = std::env::temp_dir().join(format!(
        "dd-test-{}",
        dinhdanh_server::testing::unique_name("proxy")
    ));
    std::fs::create_dir_all(&data_dir).unwrap();
    let table = places.map(|rows| {
        let table = data_dir.join("geoip.csv");
        std::fs::write(
            &table,
            format!("ip_start,ip_end,country,region,city\n{rows}"),
        )
        .unwrap();
        table
    });
    let url = common::fresh_database_url(db, &data_dir).await;
    TestServer::start_with(data_dir, url, ServerKeys::generate(), |c| {
        c.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        c.geoip_csv = table;
    })
    .await
}

/// What the phone is shown of a desktop that asked through `desktop_addr`, when the phone asks
/// through `phone_addr`.
async fn seen_through(
    t: &mut TestServer,
    desktop_addr: &str,
    phone_addr: &str,
) -> QrLoginRequestView {
    let (_p, _device, _, phone) = signed_in(t).await;
    t.http = forwarding(desktop_addr);
    let (_key, payload) = start(t).await;
    t.http = forwarding(phone_addr);
    let resp = t
        .get(
            &path(paths::QR_LOGIN_REQUEST, &payload),
            Auth::Session(&phone),
        )
        .await;
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

backend_test!(behind_a_trusted_proxy_the_forwarded_address_is_the_clients_and_the_warning_fires);
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_clients_and_the_warning_fires(
    db: Backend,
) {
    let mut t = behind_a_proxy(db).await;
    let view = seen_through(&mut t, "203.0.113.7", "198.51.100.9").await;
    assert_eq!(view.ip_address, "203.0.113.7");
    assert!(view.address_warning);
}

backend_test!(the_phone_sees_its_own_address_and_place_beside_the_desktops);
async fn the_phone_sees_its_own_address_and_place_beside_the_desktops(db: Backend) {
    let mut t = behind_a_proxy_with_places(
        db,
        Some(
            "203.0.113.0,203.0.113.255,VN,Hà Nội,Hà Nội\n\
             198.51.100.0,198.51.100.255,VN,Đà Nẵng,Đà Nẵng\n",
        ),
    )
    .await;
    let view = seen_through(&mut t, "203.0.113.7", "198.51.100.9").await;
    assert_eq!(view.ip_address, "203.0.113.7");
    assert_eq!(view.approximate_location.as_deref(), Some("Hà Nội, VN"));
    // The phone's own, as the server saw the phone's request: not the desktop's.
    assert_eq!(view.phone_ip_address, "198.51.100.9");
    assert_eq!(
        view.phone_approximate_location.as_deref(),
        Some("Đà Nẵng, VN")
    );
    // An address outside the table has no made-up place.
    let view = seen_through(&mut t, "203.0.113.7", "192.0.2.1").await;
    assert_eq!(view.phone_ip_address, "192.0.2.1");
    assert_eq!(view.phone_approximate_location, None);
}

backend_test!(a_forwarded_address_from_an_untrusted_peer_is_ignored);
async fn a_forwarded_address_from_an_untrusted_peer_is_ignored(db: Backend) {
    let mut t = TestServer::start(db).await;
    let view = seen_through(&mut t, "203.0.113.7", "198.51.100.9").await;
    assert_eq!(view.ip_address, "127.0.0.1");
    assert!(!view.address_warning);
}

/// Fills the per-address bucket of `t.http`'s address on an unauthenticated route (the QR-login
/// start, which counts a hit before it reads the body), then tells whether one more request
/// from `next` is refused as `rate_limited`.
async fn one_more_is_limited(t: &mut TestServer, first: &str, next: &str) -> bool {
    let limit = t.state().config.limits.requests_per_ip;
    t.http = forwarding(first);
    for _ in 0..limit {
        let resp = t
            .send("POST", paths::QR_LOGIN, Some(b"{}"), Auth::None)
            .await;
        assert_ne!(resp.status(), 429);
    }
    let resp = t
        .send("POST", paths::QR_LOGIN, Some(b"{}"), Auth::None)
        .await;
    assert_eq!(resp.status(), 429, "the bucket is full");
    t.http = forwarding(next);
    let resp = t
        .send("POST", paths::QR_LOGIN, Some(b"{}"), Auth::None)
        .await;
    resp.status() == 429
}

backend_test!(behind_a_trusted_proxy_each_client_has_its_own_rate_limit_bucket);
async fn behind_a_trusted_proxy_each_client_has_its_own_rate_limit_bucket(db: Backend) {
    let mut t = behind_a_proxy(db).await;
    assert!(!one_more_is_limited(&mut t, "203.0.113.7", "198.51.100.9").await);
    // Without a trusted proxy, a forwarded address is no way around the limit.
    let mut t = TestServer::start(db).await;
    assert!(one_more_is_limited(&mut t, "203.0.113.7", "198.51.100.9").await);
}
