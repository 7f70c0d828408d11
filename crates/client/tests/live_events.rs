//! The session's live stream through the client as the app uses it: the real server
//! in-process on loopback, the secrets in the real OS keystore, and a real lost connection — a
//! loopback TCP cable between the client and the server that the test cuts. The stream tells
//! of a new inbox item (which the client then reads through the ordinary route), opens again
//! on its own after the cut, and ends with the session's typed error.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::relay::device_at;
use common::{Person, TestServer};
use dinhdanh_client::ClientError;
use dinhdanh_client::api::{Backoff, LiveEvents};
use dinhdanh_core::account::OrgRole;
use dinhdanh_core::api::{AddDelegate, ErrorCode, LiveEvent};
use dinhdanh_core::signed_action::Origin;
use dinhdanh_server::testing::organisations::{self, Actor};
use dinhdanh_server::testing::{self, Clock, ServerSetup};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// A loopback TCP cable in front of the server: bytes pass both ways untouched (HTTP and
/// WebSocket alike) until [`Cable::cut`] drops every connection through it; new ones pass.
struct Cable {
    open: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Cable {
    async fn start(listener: TcpListener, upstream: String) -> Cable {
        let open: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let held = open.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                held.lock().unwrap().push(task.abort_handle());
            }
        });
        Cable { open }
    }

    /// Every connection through the cable breaks, without a close frame or a FIN first.
    fn cut(&self) {
        for task in self.open.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

/// The server behind a cable, its origin the cable's (what the client signs names the address
/// it talks to), its streams re-checking their session every 200 ms.
async fn server_behind_cable() -> (TestServer, Cable, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let data_dir = std::env::temp_dir().join(format!("dd-client-srv-{}", common::random_hex(8)));
    std::fs::create_dir_all(&data_dir).unwrap();
    let mut setup = ServerSetup::new(data_dir.clone(), testing::sqlite_url(&data_dir));
    let clock = testing::ManualClock::new(testing::START_TIME);
    setup.clock = Some(clock.clone());
    let origin = Origin::parse(&url).unwrap();
    let server = testing::start_server(setup, |c| {
        c.origin = origin;
        c.live_recheck = Duration::from_millis(200);
    })
    .await
    .expect("server started");
    let cable = Cable::start(listener, server.addr.to_string()).await;
    (
        TestServer {
            server,
            clock,
            data_dir,
        },
        cable,
        url,
    )
}

fn actor(p: &Person) -> Actor {
    Actor {
        account: p.account.clone().unwrap(),
        acting_for: None,
        device: None,
    }
}

/// The next event, within 5 s.
async fn next(live: &mut LiveEvents<'_>) -> Result<LiveEvent, ClientError> {
    tokio::time::timeout(Duration::from_secs(5), live.next())
        .await
        .expect("the stream answers within 5 s")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_tells_of_an_inbox_item_opens_again_after_a_cut_and_ends_with_the_session() {
    let (t, cable, url) = server_behind_cable().await;
    let owner = t.person(true).await;
    let lan = t.person(true).await;
    let phone = device_at(&t, &url, "live");
    phone.bind_and_sign_in(&t, &lan).await;
    let eid = common::organisation_owned_by(&t, &owner, "Công ty TNHH Luồng Sự kiện").await;
    let mut live = phone.client.live_events_with(Backoff {
        first: Duration::from_millis(50),
        max: Duration::from_millis(400),
        silence: Duration::from_secs(10),
    });
    assert_eq!(next(&mut live).await.unwrap(), LiveEvent::Ready);

    // Lan is invited to act for the organisation: her inbox has it, and her stream says so.
    let invited = organisations::add_delegate(
        &t.server.state,
        &actor(&owner),
        &AddDelegate {
            organisation: eid.clone(),
            citizen_id: lan.citizen_id.clone(),
            role: OrgRole::Member,
            expires_on: None,
        },
    )
    .await
    .unwrap();
    let mut heard = vec![
        next(&mut live).await.unwrap(),
        next(&mut live).await.unwrap(),
    ];
    heard.sort_by_key(|e| format!("{e:?}"));
    let changed = LiveEvent::DelegationChanged {
        organisation: eid.clone(),
        id: invited.id.clone(),
    };
    assert!(heard.contains(&changed), "{heard:?}");
    let Some(LiveEvent::InboxItem { id }) = heard
        .iter()
        .find(|e| matches!(e, LiveEvent::InboxItem { .. }))
        .cloned()
    else {
        panic!("no inbox item told: {heard:?}");
    };
    // The event names the item; the client reads it through the inbox route.
    let inbox = phone.client.notifications().await.unwrap();
    assert!(inbox.iter().any(|n| n.id == id), "{inbox:?}");

    // The connection breaks: the stream opens again by itself and says `ready` (read again
    // what is shown), then goes on telling.
    cable.cut();
    assert_eq!(next(&mut live).await.unwrap(), LiveEvent::Ready);
    organisations::revoke_delegation(&t.server.state, &actor(&owner), &eid, &invited.id)
        .await
        .unwrap();
    loop {
        if next(&mut live).await.unwrap() == changed {
            break;
        }
    }

    // The session ends at the server: the stream ends with the reason, typed.
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE account_id = $2")
        .bind(t.clock.now())
        .bind(lan.account.as_ref().unwrap().as_str())
        .execute(&t.server.state.pool)
        .await
        .unwrap();
    let ended = loop {
        match next(&mut live).await {
            Ok(_) => continue,
            Err(e) => break e,
        }
    };
    match ended {
        ClientError::Api(api) => assert_eq!(api.kind(), Some(ErrorCode::Unauthenticated)),
        other => panic!("expected the session's end, got {other:?}"),
    }
}
