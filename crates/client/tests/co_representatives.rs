//! A co-representative's consent or refusal and the requester's withdrawal, through the
//! device client against the real server in-process on loopback, the secrets in the real OS
//! keystore (Decree 69/2024, Art. 12). Who may do what is the server's rule: each refusal
//! here is the server's answer. A lost connection is a real one: a loopback relay between the
//! client and the server that drops the action's answer, or the action itself, or everything.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use common::{Device, PASSCODE, Person, TestServer};
use dinhdanh_client::ClientError;
use dinhdanh_client::api::{Client, ClientConfig};
use dinhdanh_client::passcode::KdfParams;
use dinhdanh_client::profile::Profile;
use dinhdanh_core::api::{ErrorCode, RegistrationEventKind, RegistrationStatus, RegistrationView};
use dinhdanh_core::org_type::{DocumentKind, Name, OrgType, OrganisationForm, RepresentativeForm};
use dinhdanh_core::signed_action::Origin;
use dinhdanh_server::testing::registrations::vietnam_date;
use dinhdanh_server::testing::{self, Clock, ServerSetup};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer\n%%EOF\n";

/// A type-4 request (no registry) filed by `requester`'s device, naming `requester` and
/// `co_rep` as legal representatives: it waits for `co_rep`'s consent.
async fn filed_naming(requester: &Device, who: &Person, co_rep: &Person) -> RegistrationView {
    let decision = requester
        .client
        .upload_attachment(DocumentKind::FoundingDecision, PDF)
        .await
        .unwrap();
    let rep = |p: &Person| RepresentativeForm {
        full_name: "Nguyễn Thị Lan".into(),
        citizen_id: p.citizen_id.as_str().into(),
    };
    let form = OrganisationForm {
        name_vi: "Câu lạc bộ Cờ tướng Hoàn Kiếm".into(),
        established_on: "2019-09-01".into(),
        head_office_address: "Số 1 phố Tràng Tiền, phường Hoàn Kiếm".into(),
        head_office_province: "ha_noi".into(),
        representatives: vec![rep(who), rep(co_rep)],
        contact_phone: "0912345678".into(),
        founding_decision: decision.id.as_str().into(),
        ..OrganisationForm::default()
    };
    let org = OrgType::OrganisationWithoutRegistration;
    let details = form
        .validate(org, vietnam_date(requester.client.now()))
        .unwrap();
    let reg = requester
        .client
        .submit_registration(org, details, &requester.passcode(PASSCODE))
        .await
        .unwrap();
    assert_eq!(reg.status, RegistrationStatus::AwaitingConsent);
    reg
}

/// Requester and co-representative, each on their own bound device, and the request naming
/// both.
struct Pair {
    requester: Device,
    co_rep: Device,
    reg: RegistrationView,
}

async fn pair(t: &TestServer) -> Pair {
    let an = t.person(true).await;
    let mai = t.person(true).await;
    let requester = t.device("requester");
    requester.bind_and_sign_in(t, &an).await;
    let co_rep = t.device("co-rep");
    co_rep.bind_and_sign_in(t, &mai).await;
    let reg = filed_naming(&requester, &an, &mai).await;
    Pair {
        requester,
        co_rep,
        reg,
    }
}

#[tokio::test]
async fn a_co_representative_reads_the_request_filed_in_their_name_and_consents() {
    let t = TestServer::start().await;
    let Pair {
        requester,
        co_rep,
        reg,
    } = pair(&t).await;

    // Mai reads it as filed, her own line marked; An's view marks no line as his.
    let shown = co_rep.client.registration(&reg.id).await.unwrap();
    assert_eq!(shown.details, reg.details);
    assert_eq!(shown.requester, reg.requester);
    assert!(shown.awaits_your_consent(), "{shown:?}");
    assert!(!reg.awaits_your_consent());
    assert!(reg.consents.iter().all(|c| !c.you));

    let done = co_rep
        .client
        .answer_consent(&shown, true, &co_rep.passcode(PASSCODE))
        .await
        .unwrap();
    // No registry for type 4: the last consent sends it to an officer.
    assert_eq!(done.status, RegistrationStatus::AwaitingOfficer);
    assert_eq!(done.own_consent().unwrap().consented, Some(true));

    // The requester sees it when he opens the request.
    let seen = requester.client.registration(&reg.id).await.unwrap();
    assert_eq!(seen.status, RegistrationStatus::AwaitingOfficer);
    assert_eq!(seen.consents[0].consented, Some(true));
    assert!(seen.consents[0].answered_at.is_some());
    assert!(
        seen.history
            .iter()
            .any(|e| e.kind == RegistrationEventKind::Consented)
    );

    // Answered once: a second answer is refused, and so is one after the decision.
    let again = co_rep
        .client
        .answer_consent(&shown, false, &co_rep.passcode(PASSCODE))
        .await
        .unwrap_err();
    assert!(again.is(ErrorCode::InvalidState), "{again:?}");
}

#[tokio::test]
async fn a_refusal_withdraws_the_request_and_the_requester_sees_who_refused() {
    let t = TestServer::start().await;
    let Pair {
        requester,
        co_rep,
        reg,
    } = pair(&t).await;
    let shown = co_rep.client.registration(&reg.id).await.unwrap();
    let done = co_rep
        .client
        .answer_consent(&shown, false, &co_rep.passcode(PASSCODE))
        .await
        .unwrap();
    assert_eq!(done.status, RegistrationStatus::Withdrawn);

    let seen = requester.client.registration(&reg.id).await.unwrap();
    assert_eq!(seen.status, RegistrationStatus::Withdrawn);
    assert_eq!(seen.consents[0].consented, Some(false));
    let refusal = seen
        .history
        .iter()
        .find(|e| e.kind == RegistrationEventKind::Refused)
        .expect("the refusal is in the history");
    assert_eq!(
        refusal.actor.as_ref().map(|a| &a.account),
        co_rep.client.state().account.as_ref()
    );
    // Withdrawn is final: the requester cannot withdraw it again.
    let err = requester
        .client
        .withdraw_registration(&reg.id, &requester.passcode(PASSCODE))
        .await
        .unwrap_err();
    assert!(err.is(ErrorCode::InvalidState), "{err:?}");
}

#[tokio::test]
async fn the_requester_withdraws_and_nobody_answers_a_withdrawn_request() {
    let t = TestServer::start().await;
    let Pair {
        requester,
        co_rep,
        reg,
    } = pair(&t).await;
    let shown = co_rep.client.registration(&reg.id).await.unwrap();

    let withdrawn = requester
        .client
        .withdraw_registration(&reg.id, &requester.passcode(PASSCODE))
        .await
        .unwrap();
    assert_eq!(withdrawn.status, RegistrationStatus::Withdrawn);
    assert!(
        withdrawn
            .history
            .iter()
            .any(|e| e.kind == RegistrationEventKind::Withdrawn)
    );

    // Not after a decision: the co-representative's answer comes too late.
    let late = co_rep
        .client
        .answer_consent(&shown, true, &co_rep.passcode(PASSCODE))
        .await
        .unwrap_err();
    assert!(late.is(ErrorCode::InvalidState), "{late:?}");
    let seen = co_rep.client.registration(&reg.id).await.unwrap();
    assert_eq!(seen.status, RegistrationStatus::Withdrawn);
    assert!(!seen.awaits_your_consent());
}

#[tokio::test]
async fn only_a_named_representative_answers_and_only_the_requester_withdraws() {
    let t = TestServer::start().await;
    let Pair {
        requester,
        co_rep,
        reg,
    } = pair(&t).await;
    let stranger_p = t.person(true).await;
    let stranger = t.device("stranger");
    stranger.bind_and_sign_in(&t, &stranger_p).await;

    // A person not named may not answer (nor read it).
    let err = stranger
        .client
        .answer_consent(&reg, true, &stranger.passcode(PASSCODE))
        .await
        .unwrap_err();
    assert!(err.is(ErrorCode::Forbidden), "{err:?}");
    // The requester may not answer for the co-representative.
    let err = requester
        .client
        .answer_consent(&reg, true, &requester.passcode(PASSCODE))
        .await
        .unwrap_err();
    assert!(err.is(ErrorCode::Forbidden), "{err:?}");
    // The co-representative may not withdraw the requester's request.
    let err = co_rep
        .client
        .withdraw_registration(&reg.id, &co_rep.passcode(PASSCODE))
        .await
        .unwrap_err();
    assert!(err.is(ErrorCode::Forbidden), "{err:?}");
    let err = stranger
        .client
        .withdraw_registration(&reg.id, &stranger.passcode(PASSCODE))
        .await
        .unwrap_err();
    assert!(err.is(ErrorCode::Forbidden), "{err:?}");
    // Nothing changed.
    let seen = requester.client.registration(&reg.id).await.unwrap();
    assert_eq!(seen.status, RegistrationStatus::AwaitingConsent);
    assert_eq!(seen.consents[0].consented, None);
}

#[tokio::test]
async fn an_answer_about_other_details_than_the_server_holds_is_refused() {
    let t = TestServer::start().await;
    let Pair { co_rep, reg, .. } = pair(&t).await;
    let mut shown = co_rep.client.registration(&reg.id).await.unwrap();
    // The screen showed another name than the request holds.
    shown.details.name_vi = Name::parse("Câu lạc bộ Cờ vua Hoàn Kiếm").unwrap();
    let err = co_rep
        .client
        .answer_consent(&shown, true, &co_rep.passcode(PASSCODE))
        .await
        .unwrap_err();
    assert!(err.is(ErrorCode::Conflict), "{err:?}");
    let seen = co_rep.client.registration(&reg.id).await.unwrap();
    assert_eq!(seen.status, RegistrationStatus::AwaitingConsent);
    assert_eq!(seen.own_consent().unwrap().consented, None);
}

// ---------------------------------------------------------------------------------------------
// A lost connection: the client asks the server what happened
// ---------------------------------------------------------------------------------------------

/// What the relay does to the action's request (a POST to a request's `/consent` or
/// `/withdrawal`); every other request passes.
const PASS: u8 = 0;
/// The action reaches the server, its answer is lost: the connection closes.
const LOSE_ANSWER: u8 = 1;
/// The action never reaches the server: the connection closes.
const LOSE_REQUEST: u8 = 2;
/// The action reaches the server, its answer is lost, and the network stays down: every
/// later connection closes at once.
const LOSE_EVERYTHING: u8 = 3;
/// Set by the relay after [`LOSE_EVERYTHING`].
const DOWN: u8 = 4;

/// A loopback HTTP/1.1 relay in front of the server (one request at a time per connection,
/// bodies framed by `Content-Length`, as the client and axum send them).
struct Relay {
    mode: Arc<AtomicU8>,
}

impl Relay {
    async fn start(listener: TcpListener, upstream: String) -> Relay {
        let mode = Arc::new(AtomicU8::new(PASS));
        let m = mode.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (m, upstream) = (m.clone(), upstream.clone());
                tokio::spawn(async move {
                    let _ = relay(client, &upstream, &m).await;
                });
            }
        });
        Relay { mode }
    }

    fn set(&self, mode: u8) {
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

async fn relay(mut client: TcpStream, upstream: &str, mode: &AtomicU8) -> std::io::Result<()> {
    loop {
        if mode.load(Ordering::SeqCst) == DOWN {
            return Ok(());
        }
        let Some(request) = read_message(&mut client).await? else {
            return Ok(());
        };
        let line = String::from_utf8_lossy(&request[..request.len().min(200)]).into_owned();
        let action = line.starts_with("POST /v1/registrations/")
            && (line.contains("/consent ") || line.contains("/withdrawal "));
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
async fn server_behind_relay() -> (TestServer, Relay, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay_url = format!("http://{}", listener.local_addr().unwrap());
    let data_dir = std::env::temp_dir().join(format!("dd-client-srv-{}", common::random_hex(8)));
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
    let relay = Relay::start(listener, upstream).await;
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
fn device_at(t: &TestServer, url: &str, role: &str) -> Device {
    let name = format!("t{}-{role}", common::random_hex(6));
    let dir = std::env::temp_dir().join(format!("dd-client-profile-{name}"));
    let profile = Profile::open(&name, &dir).unwrap();
    let keystore = common::os_keystore(&name);
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

#[tokio::test]
async fn a_consent_whose_answer_is_lost_is_reported_done_after_asking_the_server() {
    let (t, relay, url) = server_behind_relay().await;
    let (an, mai) = (t.person(true).await, t.person(true).await);
    let requester = device_at(&t, &url, "requester");
    requester.bind_and_sign_in(&t, &an).await;
    let co_rep = device_at(&t, &url, "co-rep");
    co_rep.bind_and_sign_in(&t, &mai).await;
    let reg = filed_naming(&requester, &an, &mai).await;
    let shown = co_rep.client.registration(&reg.id).await.unwrap();

    relay.set(LOSE_ANSWER);
    let done = co_rep
        .client
        .answer_consent(&shown, true, &co_rep.passcode(PASSCODE))
        .await
        .unwrap();
    assert_eq!(done.own_consent().unwrap().consented, Some(true));
    assert_ne!(done.status, RegistrationStatus::AwaitingConsent);
}

#[tokio::test]
async fn a_withdrawal_that_never_arrived_is_reported_not_done_and_can_be_done_again() {
    let (t, relay, url) = server_behind_relay().await;
    let (an, mai) = (t.person(true).await, t.person(true).await);
    let requester = device_at(&t, &url, "requester");
    requester.bind_and_sign_in(&t, &an).await;
    let reg = filed_naming(&requester, &an, &mai).await;

    relay.set(LOSE_REQUEST);
    let err = requester
        .client
        .withdraw_registration(&reg.id, &requester.passcode(PASSCODE))
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::ActionNotDone), "{err:?}");
    assert_eq!(err.code(), "action_not_done");
    assert!(err.message_vi().contains("chưa"));
    let seen = requester.client.registration(&reg.id).await.unwrap();
    assert_eq!(seen.status, RegistrationStatus::AwaitingConsent);
    // Done again, it goes through.
    let withdrawn = requester
        .client
        .withdraw_registration(&reg.id, &requester.passcode(PASSCODE))
        .await
        .unwrap();
    assert_eq!(withdrawn.status, RegistrationStatus::Withdrawn);
}

#[tokio::test]
async fn when_the_server_cannot_be_asked_either_the_outcome_is_said_to_be_unknown() {
    let (t, relay, url) = server_behind_relay().await;
    let (an, mai) = (t.person(true).await, t.person(true).await);
    let requester = device_at(&t, &url, "requester");
    requester.bind_and_sign_in(&t, &an).await;
    let co_rep = device_at(&t, &url, "co-rep");
    co_rep.bind_and_sign_in(&t, &mai).await;
    let reg = filed_naming(&requester, &an, &mai).await;
    let shown = co_rep.client.registration(&reg.id).await.unwrap();

    relay.set(LOSE_EVERYTHING);
    let err = co_rep
        .client
        .answer_consent(&shown, false, &co_rep.passcode(PASSCODE))
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::ActionOutcomeUnknown), "{err:?}");
    assert_eq!(err.code(), "action_outcome_unknown");
    // The refusal did arrive: the app did not claim otherwise.
    relay.set(PASS);
    let seen = requester.client.registration(&reg.id).await.unwrap();
    assert_eq!(seen.status, RegistrationStatus::Withdrawn);
}
