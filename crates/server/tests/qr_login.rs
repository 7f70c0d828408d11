//! QR login over HTTP and WebSocket with real keys: the desktop starts with its ephemeral key,
//! the phone reads and approves with its passcode, the desktop receives its token on the
//! socket, and the token works only with the desktop key. Attacks: a replayed approval, an
//! approval after expiry, two approvals racing, a code from another server, a declined login,
//! a desktop session trying to confirm, and a delegation revoked between scan and approve.

use crate::common;
use crate::identity;
use crate::qr_desktop;

use common::{Auth, Device, Session, TestServer};
use common::{Backend, backend_test};
use dinhdanh_core::api::{
    AccountView, ErrorCode, Notification, NotificationKind, QrLoginEvent, QrLoginRequestView,
    QrLoginStart, SessionKind, SessionView, paths,
};
use dinhdanh_core::ids::{OrgEid, TaxCode};
use dinhdanh_core::qr_login::QrLoginPayload;
use dinhdanh_core::request_proof::{self, ProofClaims};
use dinhdanh_core::signed_action::Origin;
use dinhdanh_server::testing::{fail_action_after, faults_pending};
use futures_util::{SinkExt, StreamExt};
use identity::{PASSCODE, Person, assert_error, end_session_confirmed, signed_in};
use p256::ecdsa::SigningKey;
use qr_desktop::{approval, approve, next_event, open_events, path, start};
use rand_core::OsRng;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};

async fn request_view(t: &TestServer, phone: &Session, p: &QrLoginPayload) -> QrLoginRequestView {
    let resp = t
        .get(&path(paths::QR_LOGIN_REQUEST, p), Auth::Session(phone))
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

/// An active enterprise whose only representative (hence owner) is `p`.
async fn organisation_owned_by(t: &TestServer, p: &Person) -> OrgEid {
    let tax = (7001..).find_map(TaxCode::from_body).unwrap();
    identity::enterprise_owned_by(
        t,
        &p.account,
        &p.citizen_id,
        "Nguyễn Văn An",
        "Công ty TNHH Đăng nhập QR",
        tax,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// The whole flow
// ---------------------------------------------------------------------------------------------

backend_test!(the_desktop_gets_a_session_bound_to_its_key_the_moment_the_phone_approves);
async fn the_desktop_gets_a_session_bound_to_its_key_the_moment_the_phone_approves(db: Backend) {
    let t = TestServer::start(db).await;
    let (_p, device, _, phone) = signed_in(&t).await;
    let (desktop_key, payload) = start(&t).await;
    let mut socket = open_events(&t, &desktop_key, &payload).await;

    let view = request_view(&t, &phone, &payload).await;
    assert_eq!(view.client_name, "Máy tính văn phòng");
    assert_eq!(view.os, "Ubuntu 24.04");
    assert_eq!(view.ip_address, "127.0.0.1");
    assert_eq!(view.check_code, payload.check_code());
    assert!(!view.address_warning, "both on loopback");
    assert!(view.accounts.is_empty(), "no organisations yet");

    let confirmed = approval(&t, &phone, &device, &payload, payload.approval_body(None)).await;
    let resp = approve(&t, &phone, &payload, &confirmed).await;
    assert_eq!(resp.status(), 204, "{}", resp.text().await.unwrap());

    let QrLoginEvent::Approved { token, session } = next_event(&mut socket).await else {
        panic!("expected approval");
    };
    assert_eq!(session.kind, SessionKind::Desktop);
    assert_eq!(session.account, phone.account);
    assert_eq!(session.acting_for, None);
    assert_eq!(session.bound_key_id, Device::key_id(&desktop_key));

    let desktop = Session {
        token,
        key: desktop_key,
        account: phone.account.clone(),
    };
    let me = t.get(paths::ME, Auth::Session(&desktop)).await;
    assert_eq!(me.status(), 200);
    assert_eq!(me.json::<AccountView>().await.unwrap().id, phone.account);
    // The token with the phone's key, or with no proof at all, is refused.
    let foreign = t
        .get(paths::ME, Auth::ForeignKey(&desktop, &device.device_key))
        .await;
    assert_error(foreign, ErrorCode::InvalidRequestProof).await;
    let bare = t.get(paths::ME, Auth::TokenOnly(&desktop)).await;
    assert_eq!(bare.status(), 401);

    // The phone's inbox links the new desktop session, for one-tap sign-out.
    let inbox: Vec<Notification> = t
        .get(paths::NOTIFICATIONS, Auth::Session(&phone))
        .await
        .json()
        .await
        .unwrap();
    let signed_in_note = inbox
        .iter()
        .find(|n| n.kind == NotificationKind::DesktopSignedIn)
        .expect("a desktop sign-in notification");
    assert_eq!(
        signed_in_note.link.as_deref(),
        Some(format!("session:{}", session.id).as_str())
    );

    // The token is handed out once: a second socket gets no token.
    let mut again = open_events(&t, &desktop.key, &payload).await;
    assert!(matches!(
        next_event(&mut again).await,
        QrLoginEvent::Expired
    ));

    // The approval replayed (same envelope, same challenge) is refused.
    let replay = approve(&t, &phone, &payload, &confirmed).await;
    assert_error(replay, ErrorCode::QrLoginUsed).await;
}

backend_test!(only_the_holder_of_the_desktop_key_can_start_or_wait);
async fn only_the_holder_of_the_desktop_key_can_start_or_wait(db: Backend) {
    let t = TestServer::start(db).await;
    let (desktop_key, payload) = start(&t).await;
    let other = SigningKey::random(&mut OsRng);
    // Starting with a proof by another key than the one presented.
    let resp = t
        .post(
            paths::QR_LOGIN,
            &QrLoginStart {
                desktop_key: Device::public(&desktop_key),
                client_name: "Máy lạ".into(),
                os: "Windows 11".into(),
            },
            Auth::DeviceKey(&other),
        )
        .await;
    assert_error(resp, ErrorCode::InvalidRequestProof).await;
    // Waiting with another key: the upgrade is refused.
    let target = path(paths::QR_LOGIN_EVENTS, &payload);
    let proof = ProofClaims::new("GET", &target, &[], None, t.now(), [7; 16])
        .unwrap()
        .sign_with(&other)
        .to_header_value();
    let mut request = format!("ws://{}{target}", t.server.addr)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert(request_proof::HEADER_NAME, proof.parse().unwrap());
    assert!(tokio_tungstenite::connect_async(request).await.is_err());
}

backend_test!(a_computer_name_or_os_label_that_could_spoof_the_approval_screen_is_refused);
async fn a_computer_name_or_os_label_that_could_spoof_the_approval_screen_is_refused(db: Backend) {
    let t = TestServer::start(db).await;
    let cases = [
        // A right-to-left override turns "Máy exe.txt" into something else on screen.
        ("Máy \u{202E}txt.exe", "Windows 11", "client_name"),
        ("Máy tính", "Ubuntu\u{2067} 24.04", "os"),
        ("Máy\u{200B}tính", "Windows 11", "client_name"),
        ("Máy tính\nĐã xác minh", "Windows 11", "client_name"),
    ];
    for (client_name, os, field) in cases {
        let key = SigningKey::random(&mut OsRng);
        let resp = t
            .post(
                paths::QR_LOGIN,
                &QrLoginStart {
                    desktop_key: Device::public(&key),
                    client_name: client_name.into(),
                    os: os.into(),
                },
                Auth::DeviceKey(&key),
            )
            .await;
        let err = assert_error(resp, ErrorCode::ValidationFailed).await;
        assert_eq!(err.details.len(), 1, "{err:?}");
        assert_eq!(err.details[0].field.as_deref(), Some(field));
        assert_eq!(err.details[0].code, "control_character");
    }
}

/// The WebSocket request of `open_events`, not yet sent.
fn events_request(
    t: &TestServer,
    key: &SigningKey,
    payload: &QrLoginPayload,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let target = path(paths::QR_LOGIN_EVENTS, payload);
    let mut nonce = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut OsRng, &mut nonce);
    let proof = ProofClaims::new("GET", &target, &[], None, t.now(), nonce)
        .unwrap()
        .sign_with(key)
        .to_header_value();
    let mut request = format!("ws://{}{target}", t.server.addr)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert(request_proof::HEADER_NAME, proof.parse().unwrap());
    request
}

/// The next frame from the server within 3 s (far under the server's 5-s re-read): `None` when
/// the socket ended, by a close frame or without one.
async fn next_frame(socket: &mut qr_desktop::Socket) -> Option<Message> {
    let next = tokio::time::timeout(Duration::from_secs(3), socket.next())
        .await
        .expect("the server answers or closes within 3 s");
    match next {
        Some(Ok(Message::Close(frame))) => Some(Message::Close(frame)),
        Some(Ok(m)) => Some(m),
        None | Some(Err(_)) => None,
    }
}

backend_test!(a_desktop_socket_answers_pings_and_closes_on_any_data_frame);
async fn a_desktop_socket_answers_pings_and_closes_on_any_data_frame(db: Backend) {
    let t = TestServer::start(db).await;
    for data in [Message::text("hello"), Message::binary(vec![1u8, 2, 3])] {
        let (desktop_key, payload) = start(&t).await;
        let mut socket = open_events(&t, &desktop_key, &payload).await;
        socket.send(Message::Ping(vec![7u8].into())).await.unwrap();
        assert!(matches!(
            next_frame(&mut socket).await,
            Some(Message::Pong(_))
        ));
        socket.send(data).await.unwrap();
        match next_frame(&mut socket).await {
            Some(Message::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::Policy),
            other => panic!("expected a policy close, got {other:?}"),
        }
    }
}

backend_test!(a_frame_over_the_small_limit_ends_the_desktop_socket);
async fn a_frame_over_the_small_limit_ends_the_desktop_socket(db: Backend) {
    let t = TestServer::start(db).await;
    let (desktop_key, payload) = start(&t).await;
    let mut socket = open_events(&t, &desktop_key, &payload).await;
    // The first fragment of a larger message: without a frame limit the server would buffer
    // it and wait for the rest.
    let fragment = Frame::message(vec![0u8; 64 * 1024], OpCode::Data(Data::Binary), false);
    socket.send(Message::Frame(fragment)).await.unwrap();
    match next_frame(&mut socket).await {
        None | Some(Message::Close(_)) => {}
        Some(other) => panic!("expected the socket to end, got {other:?}"),
    }
}

backend_test!(a_rendezvous_has_one_socket_at_a_time);
async fn a_rendezvous_has_one_socket_at_a_time(db: Backend) {
    let t = TestServer::start(db).await;
    let (desktop_key, payload) = start(&t).await;
    let first = open_events(&t, &desktop_key, &payload).await;
    for _ in 0..3 {
        let second =
            tokio_tungstenite::connect_async(events_request(&t, &desktop_key, &payload)).await;
        match second {
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status().as_u16(), 409);
                let body = resp.body().as_deref().unwrap_or_default();
                let err: dinhdanh_core::api::ApiError = serde_json::from_slice(body).unwrap();
                assert_eq!(err.kind(), Some(ErrorCode::AlreadyWaiting));
            }
            other => panic!("a second socket was accepted: {:?}", other.map(|_| ())),
        }
    }
    // Once the first is gone, the desktop may wait again.
    drop(first);
    let mut opened = None;
    for _ in 0..50 {
        match tokio_tungstenite::connect_async(events_request(&t, &desktop_key, &payload)).await {
            Ok((socket, _)) => {
                opened = Some(socket);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    assert!(
        opened.is_some(),
        "the rendezvous stays claimed after its socket left"
    );
}

backend_test!(opening_an_events_socket_counts_against_the_address_like_a_start);
async fn opening_an_events_socket_counts_against_the_address_like_a_start(db: Backend) {
    let t = TestServer::start(db).await;
    let (desktop_key, payload) = start(&t).await;
    // The start counted once; fill the rest of the address's bucket.
    for _ in 1..t.state().config.limits.requests_per_ip {
        let resp = t
            .send("POST", paths::QR_LOGIN, Some(b"{}"), Auth::None)
            .await;
        assert_ne!(resp.status(), 429);
    }
    match tokio_tungstenite::connect_async(events_request(&t, &desktop_key, &payload)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 429);
        }
        other => panic!(
            "a socket was opened past the limit: {:?}",
            other.map(|_| ())
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Attacks
// ---------------------------------------------------------------------------------------------

backend_test!(an_approval_after_expiry_is_refused_and_the_desktop_is_told);
async fn an_approval_after_expiry_is_refused_and_the_desktop_is_told(db: Backend) {
    let t = TestServer::start(db).await;
    let (_p, device, _, phone) = signed_in(&t).await;
    let (desktop_key, payload) = start(&t).await;
    t.clock.advance(61);
    let confirmed = approval(&t, &phone, &device, &payload, payload.approval_body(None)).await;
    let resp = approve(&t, &phone, &payload, &confirmed).await;
    assert_error(resp, ErrorCode::QrLoginExpired).await;
    let mut socket = open_events(&t, &desktop_key, &payload).await;
    assert!(matches!(
        next_event(&mut socket).await,
        QrLoginEvent::Expired
    ));
}

backend_test!(two_approvals_racing_for_one_code_give_exactly_one_session);
async fn two_approvals_racing_for_one_code_give_exactly_one_session(db: Backend) {
    let t = TestServer::start(db).await;
    let (_p, device, _, phone) = signed_in(&t).await;
    let (_key, payload) = start(&t).await;
    let a = approval(&t, &phone, &device, &payload, payload.approval_body(None)).await;
    let b = approval(&t, &phone, &device, &payload, payload.approval_body(None)).await;
    let (ra, rb) = tokio::join!(
        approve(&t, &phone, &payload, &a),
        approve(&t, &phone, &payload, &b)
    );
    let statuses = [ra.status().as_u16(), rb.status().as_u16()];
    assert_eq!(
        statuses.iter().filter(|s| **s == 204).count(),
        1,
        "{statuses:?}"
    );
    let desktops: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE kind = 'desktop'")
        .fetch_one(&t.state().pool)
        .await
        .unwrap();
    assert_eq!(desktops, 1);
}

backend_test!(a_declined_login_tells_the_desktop_and_cannot_be_approved_afterwards);
async fn a_declined_login_tells_the_desktop_and_cannot_be_approved_afterwards(db: Backend) {
    let t = TestServer::start(db).await;
    let (_p, device, _, phone) = signed_in(&t).await;
    let (desktop_key, payload) = start(&t).await;
    let mut socket = open_events(&t, &desktop_key, &payload).await;
    let decline = path(paths::QR_LOGIN_DECLINE, &payload);
    // One tap, no passcode; but the phone's session and its key's proof are still needed.
    for refused in [Auth::None, Auth::TokenOnly(&phone)] {
        let resp = t.send("POST", &decline, None, refused).await;
        assert_eq!(resp.status(), 401, "{}", resp.text().await.unwrap());
    }
    let resp = t.send("POST", &decline, None, Auth::Session(&phone)).await;
    assert_eq!(resp.status(), 204, "{}", resp.text().await.unwrap());
    assert!(matches!(
        next_event(&mut socket).await,
        QrLoginEvent::Declined
    ));
    let confirmed = approval(&t, &phone, &device, &payload, payload.approval_body(None)).await;
    let resp = approve(&t, &phone, &payload, &confirmed).await;
    assert_error(resp, ErrorCode::QrLoginUsed).await;
}

backend_test!(a_code_naming_another_server_is_refused);
async fn a_code_naming_another_server_is_refused(db: Backend) {
    let t = TestServer::start(db).await;
    let (_p, device, _, phone) = signed_in(&t).await;
    let (_key, payload) = start(&t).await;
    let foreign = QrLoginPayload::new(
        payload.rendezvous().clone(),
        payload.desktop_key().clone(),
        Origin::parse("https://dinhdanh.example.com").unwrap(),
        payload.expires_at(),
    )
    .unwrap();
    let confirmed = approval(&t, &phone, &device, &foreign, foreign.approval_body(None)).await;
    let resp = approve(&t, &phone, &foreign, &confirmed).await;
    assert_error(resp, ErrorCode::NotFound).await;
    // The rendezvous is still open for the genuine approval.
    let confirmed = approval(&t, &phone, &device, &payload, payload.approval_body(None)).await;
    assert_eq!(
        approve(&t, &phone, &payload, &confirmed).await.status(),
        204
    );
}

backend_test!(a_desktop_session_cannot_confirm_or_approve_another_desktop);
async fn a_desktop_session_cannot_confirm_or_approve_another_desktop(db: Backend) {
    let t = TestServer::start(db).await;
    let (_p, device, _, phone) = signed_in(&t).await;
    let (desktop_key, payload) = start(&t).await;
    let mut socket = open_events(&t, &desktop_key, &payload).await;
    let confirmed = approval(&t, &phone, &device, &payload, payload.approval_body(None)).await;
    assert_eq!(
        approve(&t, &phone, &payload, &confirmed).await.status(),
        204
    );
    let QrLoginEvent::Approved { token, session } = next_event(&mut socket).await else {
        panic!("expected approval");
    };
    let desktop = Session {
        token,
        key: desktop_key,
        account: phone.account.clone(),
    };
    assert_eq!(session.kind, SessionKind::Desktop);
    // A confirmed action from the desktop (even signed with the right passcode) is forbidden:
    // here, ending the phone's session.
    let sessions: Vec<SessionView> = t
        .get(paths::SESSIONS, Auth::Session(&phone))
        .await
        .json()
        .await
        .unwrap();
    let phone_session = sessions
        .iter()
        .find(|s| s.kind == SessionKind::Device)
        .expect("the phone's session")
        .id
        .clone();
    let end = end_session_confirmed(&t, &desktop, &device, &phone_session, PASSCODE).await;
    let resp = identity::end_session(&t, &desktop, &phone_session, &end).await;
    assert_error(resp, ErrorCode::Forbidden).await;
    // And a desktop cannot approve a second desktop.
    let (_k2, second) = start(&t).await;
    let resp = t
        .get(
            &path(paths::QR_LOGIN_REQUEST, &second),
            Auth::Session(&desktop),
        )
        .await;
    assert_error(resp, ErrorCode::Forbidden).await;
}

backend_test!(an_organisation_login_is_refused_once_the_delegation_is_revoked_after_the_scan);
async fn an_organisation_login_is_refused_once_the_delegation_is_revoked_after_the_scan(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let (p, device, _, phone) = signed_in(&t).await;
    let eid = organisation_owned_by(&t, &p).await;

    // While the person may act for it, the desktop is signed in to the organisation.
    let (key, payload) = start(&t).await;
    let view = request_view(&t, &phone, &payload).await;
    assert!(view.accounts.iter().any(|c| c.eid == eid && c.usable));
    let mut socket = open_events(&t, &key, &payload).await;
    let body = payload.approval_body(Some(eid.clone()));
    let confirmed = approval(&t, &phone, &device, &payload, body).await;
    assert_eq!(
        approve(&t, &phone, &payload, &confirmed).await.status(),
        204
    );
    let QrLoginEvent::Approved { session, .. } = next_event(&mut socket).await else {
        panic!("expected approval");
    };
    assert_eq!(session.acting_for.as_ref(), Some(&eid));

    // Scanned while a delegate, then the role ends before the approval: refused.
    let (_key, payload) = start(&t).await;
    let view = request_view(&t, &phone, &payload).await;
    assert!(view.accounts.iter().any(|c| c.eid == eid));
    sqlx::query("UPDATE delegations SET revoked_at = $1 WHERE account_id = $2")
        .bind(t.now())
        .bind(p.account.as_str())
        .execute(&t.state().pool)
        .await
        .unwrap();
    let body = payload.approval_body(Some(eid.clone()));
    let confirmed = approval(&t, &phone, &device, &payload, body).await;
    let resp = approve(&t, &phone, &payload, &confirmed).await;
    assert_error(resp, ErrorCode::Forbidden).await;
    // Nothing was consumed: the personal account can still be chosen.
    let confirmed = approval(&t, &phone, &device, &payload, payload.approval_body(None)).await;
    assert_eq!(
        approve(&t, &phone, &payload, &confirmed).await.status(),
        204
    );
}

backend_test!(an_approval_failing_midway_leaves_no_session_and_the_code_open);
async fn an_approval_failing_midway_leaves_no_session_and_the_code_open(db: Backend) {
    let t = TestServer::start(db).await;
    let (_p, device, _, phone) = signed_in(&t).await;
    let (desktop_key, payload) = start(&t).await;
    // The approval's steps: take the code, create the session, store its token, ... The
    // failure comes after the session was written, before its token was stored.
    fail_action_after(t.state(), "qr_login.approve", 2);
    let confirmed = approval(&t, &phone, &device, &payload, payload.approval_body(None)).await;
    let resp = approve(&t, &phone, &payload, &confirmed).await;
    assert_eq!(resp.status(), 500);
    assert!(faults_pending(t.state()).is_empty(), "the failure was used");
    let pool = t.state().pool.clone();
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        count("SELECT COUNT(*) FROM sessions WHERE kind = 'desktop'").await,
        0
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM audit_log WHERE action = 'qr_login.approve'").await,
        0
    );
    // The confirmation itself was its own transaction: its use stays recorded.
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM audit_log \
             WHERE action = 'confirmation.approve_qr_login.accepted'"
        )
        .await,
        1
    );
    // Nothing of the approval stayed: the code is still open, and a new approval gets the
    // desktop its session.
    let mut socket = open_events(&t, &desktop_key, &payload).await;
    let confirmed = approval(&t, &phone, &device, &payload, payload.approval_body(None)).await;
    let resp = approve(&t, &phone, &payload, &confirmed).await;
    assert_eq!(resp.status(), 204, "{}", resp.text().await.unwrap());
    assert!(matches!(
        next_event(&mut socket).await,
        QrLoginEvent::Approved { .. }
    ));
    assert_eq!(
        count("SELECT COUNT(*) FROM sessions WHERE kind = 'desktop'").await,
        1
    );
}
