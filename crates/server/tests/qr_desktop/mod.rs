//! The two sides of a QR login as the tests and the latency bench drive them: the desktop
//! opens a rendezvous with an ephemeral key and waits on its WebSocket, the phone confirms the
//! approval with its passcode.
#![allow(dead_code)]

use std::time::Duration;

use dinhdanh_core::api::{
    ChallengePurpose, Confirmed, QrLoginEvent, QrLoginStart, QrLoginStarted, paths,
};
use dinhdanh_core::qr_login::{QrApprovalBody, QrLoginPayload};
use dinhdanh_core::request_proof::{self, ProofClaims};
use dinhdanh_core::signed_action::ActionKind;
use futures_util::StreamExt;
use p256::ecdsa::SigningKey;
use rand_core::{OsRng, RngCore};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::common::{Auth, Device, Session, TestServer};
use crate::identity::PASSCODE;

/// The desktop's WebSocket.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The desktop opens a rendezvous with a fresh ephemeral key.
pub async fn start(t: &TestServer) -> (SigningKey, QrLoginPayload) {
    let key = SigningKey::random(&mut OsRng);
    let resp = t
        .post(
            paths::QR_LOGIN,
            &QrLoginStart {
                desktop_key: Device::public(&key),
                client_name: "Máy tính văn phòng".into(),
                os: "Ubuntu 24.04".into(),
            },
            Auth::DeviceKey(&key),
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let started: QrLoginStarted = resp.json().await.unwrap();
    let payload = QrLoginPayload::parse(&started.payload).unwrap();
    assert_eq!(started.check_code, payload.check_code());
    (key, payload)
}

/// `route` with the rendezvous filled in.
pub fn path(route: &str, p: &QrLoginPayload) -> String {
    paths::fill(route, "rendezvous", &p.rendezvous().to_string())
}

/// The desktop opens its WebSocket, proving the key with a sessionless proof over the GET.
pub async fn open_events(t: &TestServer, key: &SigningKey, p: &QrLoginPayload) -> Socket {
    let target = path(paths::QR_LOGIN_EVENTS, p);
    let mut nonce = [0u8; 16];
    OsRng.fill_bytes(&mut nonce);
    let proof = ProofClaims::new("GET", &target, &[], None, t.now(), nonce)
        .unwrap()
        .sign_with(key)
        .to_header_value();
    let url = format!("ws://{}{target}", t.server.addr);
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert(request_proof::HEADER_NAME, proof.parse().unwrap());
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket opened");
    socket
}

/// The one event the server pushes: within 3 s, well under the server's 5-s safety-net
/// re-read, so it is the push that delivers it.
pub async fn next_event(socket: &mut Socket) -> QrLoginEvent {
    let msg = tokio::time::timeout(Duration::from_secs(3), socket.next())
        .await
        .expect("an event within 3 s")
        .expect("the socket is open")
        .expect("a message");
    match msg {
        Message::Text(text) => serde_json::from_str(text.as_str()).unwrap(),
        other => panic!("expected a text event, got {other:?}"),
    }
}

/// The phone's confirmed approval of `body`.
pub async fn approval(
    t: &TestServer,
    phone: &Session,
    device: &Device,
    p: &QrLoginPayload,
    body: QrApprovalBody,
) -> Confirmed<QrApprovalBody> {
    let challenge = t
        .challenge(
            ChallengePurpose::Action {
                kind: ActionKind::ApproveQrLogin,
            },
            Some(phone),
        )
        .await;
    device.confirm(
        t.now(),
        body,
        ActionKind::ApproveQrLogin,
        t.origin(),
        challenge,
        &phone.account,
        None,
        p.approval_target().unwrap(),
        PASSCODE,
    )
}

/// The phone posts its confirmed approval.
pub async fn approve(
    t: &TestServer,
    phone: &Session,
    p: &QrLoginPayload,
    confirmed: &Confirmed<QrApprovalBody>,
) -> reqwest::Response {
    t.post(
        &path(paths::QR_LOGIN_APPROVAL, p),
        confirmed,
        Auth::Session(phone),
    )
    .await
}
