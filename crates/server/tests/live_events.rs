//! The session's live stream (`/v1/me/events`): an event reaches the streams of the people a
//! change is for — the requester and the co-representatives of a request, the delegate and the
//! owner acting for the organisation — and no one else's; it arrives well before the stream's
//! safety-net re-read, so only the wake-up can have brought it, also when the change is made at
//! another instance on PostgreSQL. The socket follows the push sockets' rules: a data frame
//! closes it, one stream per session, pings when silent; and it ends when its session does.

use crate::common;
use crate::identity;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use common::{Auth, Device, Session, TestServer};
use common::{Backend, backend_test};
use dinhdanh_core::account::OrgRole;
use dinhdanh_core::api::{
    AccountChoices, AddDelegate, CLOSE_SESSION_ENDED, ChallengePurpose, Confirmed, ConsentDecision,
    LiveEvent, RegistrationStatus, RegistrationSubmission, RegistrationView, SwitchAccount, paths,
};
use dinhdanh_core::ids::{NewProvince, OrgEid, TaxCode};
use dinhdanh_core::org_type::{AddressLine, Name, OrgType, OrganisationForm, RepresentativeForm};
use dinhdanh_core::request_proof::{self, ProofClaims};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use dinhdanh_server::testing::ServerKeys;
use dinhdanh_server::testing::organisations::{self, Actor};
use dinhdanh_server::testing::registry::{self, RegistryEntry, RegistryStatus};
use futures_util::{SinkExt, StreamExt};
use identity::{PASSCODE, Person, signed_in};
use rand_core::{OsRng, RngCore};
use serde::Serialize;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Far under the stream's safety-net re-read (10 s by default): only a wake-up is this fast.
const PUSH_BOUND: Duration = Duration::from_secs(3);

/// How long a stream that should hear nothing is watched.
const QUIET: Duration = Duration::from_millis(700);

/// A signed-in person with their phone.
struct Who {
    p: Person,
    device: Device,
    session: Session,
    acting: Option<OrgEid>,
}

async fn who(t: &TestServer) -> Who {
    let (p, device, _, session) = signed_in(t).await;
    Who {
        p,
        device,
        session,
        acting: None,
    }
}

/// The upgrade request of `session`'s stream: its token and a proof by its key over the GET.
fn stream_request(
    t: &TestServer,
    session: &Session,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let mut nonce = [0u8; 16];
    OsRng.fill_bytes(&mut nonce);
    let proof = ProofClaims::new(
        "GET",
        paths::LIVE_EVENTS,
        &[],
        Some(session.token.hash()),
        t.now(),
        nonce,
    )
    .unwrap()
    .sign_with(&session.key)
    .to_header_value();
    let mut request = format!("ws://{}{}", t.server.addr, paths::LIVE_EVENTS)
        .into_client_request()
        .unwrap();
    let headers = request.headers_mut();
    headers.insert(request_proof::HEADER_NAME, proof.parse().unwrap());
    headers.insert(
        "authorization",
        format!("DinhDanh {}", session.token.expose())
            .parse()
            .unwrap(),
    );
    request
}

/// Opens `session`'s stream and reads its first event, which is always `ready`.
async fn open(t: &TestServer, session: &Session) -> Socket {
    let (mut socket, _) = tokio_tungstenite::connect_async(stream_request(t, session))
        .await
        .expect("the stream opens");
    assert_eq!(next(&mut socket).await, LiveEvent::Ready);
    socket
}

/// The next event, within [`PUSH_BOUND`] (pings are answered on the way).
async fn next(socket: &mut Socket) -> LiveEvent {
    let deadline = tokio::time::Instant::now() + PUSH_BOUND;
    loop {
        let msg = tokio::time::timeout_at(deadline, socket.next())
            .await
            .expect("an event well before the safety-net re-read")
            .expect("the stream is open")
            .expect("a message");
        match msg {
            Message::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("expected an event, got {other:?}"),
        }
    }
}

/// The events that arrive until `want` has (in any order, others allowed in between).
async fn until(socket: &mut Socket, want: &LiveEvent) -> Vec<LiveEvent> {
    let mut seen = Vec::new();
    loop {
        let e = next(socket).await;
        seen.push(e.clone());
        if &e == want {
            return seen;
        }
    }
}

fn is_inbox_item(e: &LiveEvent) -> bool {
    matches!(e, LiveEvent::InboxItem { .. })
}

/// Reads events until what was heard satisfies `enough`.
async fn hears_all(socket: &mut Socket, enough: impl Fn(&[LiveEvent]) -> bool) {
    let mut seen = Vec::new();
    while !enough(&seen) {
        seen.push(next(socket).await);
    }
}

/// Asserts nothing but pings arrives for [`QUIET`].
async fn hears_nothing(socket: &mut Socket) {
    let deadline = tokio::time::Instant::now() + QUIET;
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => return,
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
            Ok(other) => panic!("another person's stream heard {other:?}"),
        }
    }
}

/// The close frame the stream ends with, within `within`.
async fn closed(socket: &mut Socket, within: Duration) -> Option<CloseCode> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, socket.next())
            .await
            .expect("the stream closes in time")
        {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code),
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Text(_))) => {}
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Requests and consents
// ---------------------------------------------------------------------------------------------

const NAME: &str = "Nguyễn Văn An";
const ORG_NAME: &str = "Công ty TNHH Cập nhật Tức thì";
const ADDRESS: &str = "Số 18 phố Duy Tân, phường Cầu Giấy";

fn fresh_tax_code() -> TaxCode {
    loop {
        let body = 10_000_000 + OsRng.next_u32() % 890_000_000;
        if let Some(c) = TaxCode::from_body(body) {
            return c;
        }
    }
}

/// An enterprise the business registry knows, with these representatives; its form.
async fn registered_enterprise(t: &TestServer, reps: &[&Person]) -> OrganisationForm {
    let code = fresh_tax_code();
    let entry = RegistryEntry {
        registry: dinhdanh_core::org_type::RegistryKind::BusinessRegistry,
        code: code.clone(),
        agency_code: None,
        name_vi: Name::parse(ORG_NAME).unwrap(),
        address: AddressLine::parse(ADDRESS).unwrap(),
        province: NewProvince::parse("ha_noi").unwrap(),
        established_on: NaiveDate::from_ymd_opt(2015, 4, 20).unwrap(),
        status: RegistryStatus::Active,
        representatives: reps
            .iter()
            .map(|p| (p.citizen_id.clone(), Name::parse(NAME).unwrap()))
            .collect(),
    };
    registry::insert_entries(t.state(), &[entry]).await.unwrap();
    OrganisationForm {
        name_vi: ORG_NAME.into(),
        established_on: "2015-04-20".into(),
        head_office_address: ADDRESS.into(),
        head_office_province: "ha_noi".into(),
        enterprise_code: code.as_str().into(),
        representatives: reps
            .iter()
            .map(|p| RepresentativeForm {
                full_name: NAME.into(),
                citizen_id: p.citizen_id.as_str().into(),
            })
            .collect(),
        contact_phone: "0912345678".into(),
        ..OrganisationForm::default()
    }
}

/// `body` confirmed by `w` for `kind` on `target`.
async fn confirm<T: Serialize>(
    t: &TestServer,
    w: &Who,
    kind: ActionKind,
    target: ActionTarget,
    body: T,
) -> Confirmed<T> {
    let challenge = t
        .challenge(ChallengePurpose::Action { kind }, Some(&w.session))
        .await;
    w.device.confirm(
        t.now(),
        body,
        kind,
        t.origin(),
        challenge,
        &w.session.account,
        w.acting.clone(),
        target,
        PASSCODE,
    )
}

async fn ok<T: serde::de::DeserializeOwned>(resp: reqwest::Response) -> T {
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn submit(t: &TestServer, w: &Who, form: &OrganisationForm) -> RegistrationView {
    let today = dinhdanh_server::testing::registrations::vietnam_date(t.now());
    let details = form.validate(OrgType::Enterprise, today).unwrap();
    let body = RegistrationSubmission::new(OrgType::Enterprise, details, &w.p.citizen_id);
    let target = ActionTarget::new("registration", "new").unwrap();
    let c = confirm(t, w, ActionKind::RegisterOrganisation, target, body).await;
    ok(t.post(paths::REGISTRATIONS, &c, Auth::Session(&w.session))
        .await)
    .await
}

async fn consent(t: &TestServer, w: &Who, reg: &RegistrationView) -> RegistrationView {
    let body = ConsentDecision {
        registration: reg.id.clone(),
        consent: true,
        request_digest: reg.consent_digest().unwrap(),
    };
    let target = ActionTarget::new("registration", reg.id.as_str()).unwrap();
    let c = confirm(t, w, ActionKind::ConsentToRegistration, target, body).await;
    ok(t.post(
        &paths::fill(paths::REGISTRATION_CONSENT, "id", reg.id.as_str()),
        &c,
        Auth::Session(&w.session),
    )
    .await)
    .await
}

backend_test!(
    a_request_and_its_consent_reach_the_streams_of_its_people_and_no_one_else,
    flavor = "multi_thread",
    worker_threads = 2
);
async fn a_request_and_its_consent_reach_the_streams_of_its_people_and_no_one_else(db: Backend) {
    let t = TestServer::start(db).await;
    let an = who(&t).await;
    let mai = who(&t).await;
    let stranger = who(&t).await;
    let form = registered_enterprise(&t, &[&an.p, &mai.p]).await;
    let mut an_stream = open(&t, &an.session).await;
    let mut mai_stream = open(&t, &mai.session).await;
    let mut stranger_stream = open(&t, &stranger.session).await;

    let reg = submit(&t, &an, &form).await;
    assert_eq!(reg.status, RegistrationStatus::AwaitingConsent);
    let changed = LiveEvent::RequestChanged { id: reg.id.clone() };
    until(&mut an_stream, &changed).await;
    // Mai is asked in her inbox, and the request she is named in is hers to watch too.
    hears_all(&mut mai_stream, |seen| {
        seen.contains(&changed) && seen.iter().any(is_inbox_item)
    })
    .await;

    let sent = Instant::now();
    let done = consent(&t, &mai, &reg).await;
    assert_eq!(done.status, RegistrationStatus::Approved, "{done:?}");
    until(
        &mut an_stream,
        &LiveEvent::ConsentChanged { id: reg.id.clone() },
    )
    .await;
    assert!(
        sent.elapsed() < PUSH_BOUND,
        "told after {:?}",
        sent.elapsed()
    );
    // The approval came in the same action: the request moved and An's inbox has the news.
    hears_all(&mut an_stream, |seen| {
        seen.contains(&changed) && seen.iter().any(is_inbox_item)
    })
    .await;
    hears_nothing(&mut stranger_stream).await;
}

// ---------------------------------------------------------------------------------------------
// Delegations
// ---------------------------------------------------------------------------------------------

async fn enterprise_of(t: &TestServer, p: &Person) -> OrgEid {
    identity::enterprise_owned_by(
        t,
        &p.account,
        &p.citizen_id,
        NAME,
        "Công ty TNHH Ủy quyền Tức thì",
        fresh_tax_code(),
    )
    .await
}

fn actor(p: &Person) -> Actor {
    Actor {
        account: p.account.clone(),
        acting_for: None,
        device: None,
    }
}

/// `w`'s session acts for `eid` from now on (confirmed, as the app switches).
async fn switch_to(t: &TestServer, w: &mut Who, eid: &OrgEid) {
    let target = ActionTarget::new("organisation", eid.as_str()).unwrap();
    let body = SwitchAccount {
        to: Some(eid.clone()),
    };
    let c = confirm(t, w, ActionKind::SwitchAccount, target, body).await;
    let choices: AccountChoices = ok(t
        .post(paths::ACCOUNT_SWITCH, &c, Auth::Session(&w.session))
        .await)
    .await;
    assert_eq!(choices.active.as_ref(), Some(eid));
    w.acting = Some(eid.clone());
}

backend_test!(
    a_delegation_change_reaches_the_delegate_and_the_owner_and_no_one_else,
    flavor = "multi_thread",
    worker_threads = 2
);
async fn a_delegation_change_reaches_the_delegate_and_the_owner_and_no_one_else(db: Backend) {
    let t = TestServer::start(db).await;
    let owner = who(&t).await;
    let delegate = who(&t).await;
    let stranger = who(&t).await;
    let eid = enterprise_of(&t, &owner.p).await;
    // The owner manages the delegates from the personal account too: that session hears.
    let mut owner_stream = open(&t, &owner.session).await;
    let mut delegate_stream = open(&t, &delegate.session).await;
    let mut stranger_stream = open(&t, &stranger.session).await;

    let sent = Instant::now();
    let view = organisations::add_delegate(
        t.state(),
        &actor(&owner.p),
        &AddDelegate {
            organisation: eid.clone(),
            citizen_id: delegate.p.citizen_id.clone(),
            role: OrgRole::Member,
            expires_on: None,
        },
    )
    .await
    .unwrap();
    let changed = LiveEvent::DelegationChanged {
        organisation: eid.clone(),
        id: view.id.clone(),
    };
    hears_all(&mut delegate_stream, |seen| {
        seen.contains(&changed) && seen.iter().any(is_inbox_item)
    })
    .await;
    assert_eq!(
        until(&mut owner_stream, &changed).await,
        vec![changed.clone()]
    );
    assert!(
        sent.elapsed() < PUSH_BOUND,
        "told after {:?}",
        sent.elapsed()
    );

    // The delegate accepts: the owner is told again, with the answer in the owner's inbox.
    organisations::answer_delegation(t.state(), &actor(&delegate.p), &eid, &view.id, true)
        .await
        .unwrap();
    until(&mut owner_stream, &changed).await;
    until(&mut delegate_stream, &changed).await;
    organisations::revoke_delegation(t.state(), &actor(&owner.p), &eid, &view.id)
        .await
        .unwrap();
    until(&mut delegate_stream, &changed).await;
    until(&mut owner_stream, &changed).await;
    hears_nothing(&mut stranger_stream).await;
}

backend_test!(
    a_member_acting_for_the_organisation_hears_only_of_their_own_delegation,
    flavor = "multi_thread",
    worker_threads = 2
);
async fn a_member_acting_for_the_organisation_hears_only_of_their_own_delegation(db: Backend) {
    // Members do not see the other delegations: acting for the organisation or not, they
    // hear of none of them.
    let t = TestServer::start(db).await;
    let owner = who(&t).await;
    let mut member = who(&t).await;
    let other = who(&t).await;
    let eid = enterprise_of(&t, &owner.p).await;
    let add = |p: &Person| AddDelegate {
        organisation: eid.clone(),
        citizen_id: p.citizen_id.clone(),
        role: OrgRole::Member,
        expires_on: None,
    };
    let mine = organisations::add_delegate(t.state(), &actor(&owner.p), &add(&member.p))
        .await
        .unwrap();
    organisations::answer_delegation(t.state(), &actor(&member.p), &eid, &mine.id, true)
        .await
        .unwrap();
    switch_to(&t, &mut member, &eid).await;
    let mut member_acting = open(&t, &member.session).await;
    organisations::add_delegate(t.state(), &actor(&owner.p), &add(&other.p))
        .await
        .unwrap();
    hears_nothing(&mut member_acting).await;
}

// ---------------------------------------------------------------------------------------------
// The socket's rules and the session's end
// ---------------------------------------------------------------------------------------------

backend_test!(a_data_frame_closes_the_stream_and_a_session_has_one_stream);
async fn a_data_frame_closes_the_stream_and_a_session_has_one_stream(db: Backend) {
    let t = TestServer::start(db).await;
    let w = who(&t).await;
    let mut socket = open(&t, &w.session).await;
    match tokio_tungstenite::connect_async(stream_request(&t, &w.session)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 409);
        }
        other => panic!("a second stream was accepted: {:?}", other.map(|_| ())),
    }
    socket.send(Message::text("hello?")).await.unwrap();
    assert_eq!(
        closed(&mut socket, Duration::from_secs(3)).await,
        Some(CloseCode::Policy)
    );
    // Gone, the session may open its stream again.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _again = open(&t, &w.session).await;
}

backend_test!(a_stream_needs_the_sessions_proof);
async fn a_stream_needs_the_sessions_proof(db: Backend) {
    let t = TestServer::start(db).await;
    let w = who(&t).await;
    let mut request = stream_request(&t, &w.session);
    request.headers_mut().remove(request_proof::HEADER_NAME);
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 401);
        }
        other => panic!(
            "a stream without a proof was accepted: {:?}",
            other.map(|_| ())
        ),
    }
}

backend_test!(signing_out_ends_the_sessions_stream_at_once);
async fn signing_out_ends_the_sessions_stream_at_once(db: Backend) {
    let t = TestServer::start(db).await;
    let w = who(&t).await;
    let mut socket = open(&t, &w.session).await;
    let resp = t
        .send(
            "DELETE",
            paths::SESSION_CURRENT,
            None,
            Auth::Session(&w.session),
        )
        .await;
    assert_eq!(resp.status(), 204);
    // Well before the 10-s re-check: the session's end woke its stream.
    assert_eq!(
        closed(&mut socket, PUSH_BOUND).await,
        Some(CloseCode::from(CLOSE_SESSION_ENDED))
    );
}

/// A server whose streams re-check their session and ping often.
async fn quick_server(db: Backend) -> TestServer {
    let dir = common::data_dir("live");
    let url = common::fresh_database_url(db, &dir).await;
    TestServer::start_with(dir, url, ServerKeys::generate(), |c| {
        c.live_recheck = Duration::from_millis(300);
        c.live_ping = Duration::from_millis(300);
    })
    .await
}

backend_test!(
    a_stream_ends_when_its_session_expires_or_its_account_is_locked,
    flavor = "multi_thread",
    worker_threads = 2
);
async fn a_stream_ends_when_its_session_expires_or_its_account_is_locked(db: Backend) {
    let t = quick_server(db).await;
    let w = who(&t).await;
    let mut socket = open(&t, &w.session).await;
    // Held open with pings answered, the stream is not activity: the idle limit ends it.
    let idle = t.state().config.limits.session_idle_secs;
    t.clock.advance(idle + 1);
    assert_eq!(
        closed(&mut socket, Duration::from_secs(3)).await,
        Some(CloseCode::from(CLOSE_SESSION_ENDED))
    );

    let (_, _, _, session) = signed_in(&t).await;
    let mut socket = open(&t, &session).await;
    // Locked as the account lock leaves it (the officer's and the person's own lock also end
    // the sessions; this is the lock alone, seen at the stream's re-check).
    let locked = sqlx::query("UPDATE accounts SET locked = 1 WHERE id = $1")
        .bind(session.account.as_str())
        .execute(&t.state().pool)
        .await
        .unwrap();
    assert_eq!(locked.rows_affected(), 1);
    assert_eq!(
        closed(&mut socket, Duration::from_secs(3)).await,
        Some(CloseCode::from(CLOSE_SESSION_ENDED))
    );
}

backend_test!(
    a_silent_stream_is_pinged_and_stays_open_while_the_app_answers,
    flavor = "multi_thread",
    worker_threads = 2
);
async fn a_silent_stream_is_pinged_and_stays_open_while_the_app_answers(db: Backend) {
    let t = quick_server(db).await;
    let w = who(&t).await;
    let mut socket = open(&t, &w.session).await;
    let mut pings = 0;
    let until = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < until {
        // Reading answers each ping with a pong (tungstenite does).
        match tokio::time::timeout(Duration::from_millis(200), socket.next()).await {
            Err(_) => {}
            Ok(Some(Ok(Message::Ping(_)))) => pings += 1,
            Ok(other) => panic!("the stream ended or spoke: {other:?}"),
        }
    }
    assert!(
        pings >= 2,
        "pinged {pings} times in 1.5 s at a 0.3-s idle limit"
    );
}

// ---------------------------------------------------------------------------------------------
// Several instances
// ---------------------------------------------------------------------------------------------

backend_test!(
    a_change_at_one_instance_reaches_a_stream_held_at_another,
    flavor = "multi_thread",
    worker_threads = 2
);
async fn a_change_at_one_instance_reaches_a_stream_held_at_another(db: Backend) {
    // On SQLite one instance serves a database file: the stream and the change share it.
    let (a, b) = if db == Backend::Postgres {
        let tag = dinhdanh_server::testing::unique_name("live");
        let dir = |n: &str| -> PathBuf {
            let d = std::env::temp_dir().join(format!("dd-test-{tag}-{n}"));
            std::fs::create_dir_all(&d).unwrap();
            d
        };
        let (dir_a, dir_b, keys_dir) = (dir("a"), dir("b"), dir("keys"));
        let url = common::fresh_database_url(db, &dir_a).await;
        let keys = || ServerKeys::load_or_create(&keys_dir).unwrap();
        let a = TestServer::start_on(dir_a, url.clone(), keys()).await;
        let b = TestServer::start_on(dir_b, url, keys()).await;
        std::fs::remove_dir_all(&keys_dir).ok();
        (a, Some(b))
    } else {
        (TestServer::start(db).await, None)
    };
    let at_b = b.as_ref().unwrap_or(&a);
    let owner = who(&a).await;
    let delegate = who(&a).await;
    let eid = enterprise_of(&a, &owner.p).await;
    let mut stream = open(at_b, &delegate.session).await;
    for round in 0..3 {
        let sent = Instant::now();
        let view = organisations::add_delegate(
            a.state(),
            &actor(&owner.p),
            &AddDelegate {
                organisation: eid.clone(),
                citizen_id: delegate.p.citizen_id.clone(),
                role: OrgRole::Member,
                expires_on: None,
            },
        )
        .await
        .unwrap();
        let changed = LiveEvent::DelegationChanged {
            organisation: eid.clone(),
            id: view.id.clone(),
        };
        until(&mut stream, &changed).await;
        let took = sent.elapsed();
        assert!(took < PUSH_BOUND, "round {round}: told after {took:?}");
        organisations::revoke_delegation(a.state(), &actor(&owner.p), &eid, &view.id)
            .await
            .unwrap();
        until(&mut stream, &changed).await;
    }
}
