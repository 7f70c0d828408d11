//! Sensitive actions started on a desktop signed in by QR and confirmed on the phone (issue 8):
//! the desktop asks, the phone lists and confirms with its passcode over the same signed-action
//! encoding as the direct route, and the desktop's WebSocket is told the outcome at once.
//! Attacks and edges: a second confirmation, a wrong passcode, a decline, an expired action, a
//! kind a desktop may not ask for, another person's phone, and a switch that must land on the
//! desktop's session, not the phone's. Runs on SQLite and on PostgreSQL
//! (`backend_test!`).

use crate::common;
use crate::identity;
use crate::qr_desktop;

use std::time::Duration;

use chrono::NaiveDate;
use common::{Auth, Device, Session, TestServer};
use common::{Backend, backend_test};
use dinhdanh_core::api::{
    AccountChoices, ChallengePurpose, Confirmed, DesktopActionEvent, DesktopActionRequest,
    ErrorCode, Notification, NotificationKind, PendingDesktopAction, QrLoginEvent,
    RegistrationSubmission, RegistrationView, RequesterCapacity, SessionView, SwitchAccount, paths,
};
use dinhdanh_core::ids::{CitizenId, EnterpriseCode, NewProvince, OrgEid, PhoneNumber, TaxCode};
use dinhdanh_core::org_type::{
    AddressLine, HeadOffice, LegalRepresentative, Name, OrgType, OrganisationDetails,
    OrganisationForm, RegistryKind, RepresentativeForm,
};
use dinhdanh_core::request_proof::{self, ProofClaims};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use dinhdanh_server::testing::organisations::{self, NewOrganisation, Registrant};
use dinhdanh_server::testing::registrations::vietnam_date;
use dinhdanh_server::testing::registry::{self, RegistryEntry, RegistryStatus};
use futures_util::StreamExt;
use identity::{
    PASSCODE, Person, WRONG_PASSCODE, assert_error, end_session, end_session_confirmed, signed_in,
    wrong_confirmations,
};
use qr_desktop::{Socket, approval, approve, next_event, open_events, start};
use rand_core::{OsRng, RngCore};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const NAME: &str = "Nguyễn Thị Lan";
const ORG_NAME: &str = "Công ty TNHH Máy tính Định Danh";
const ADDRESS: &str = "Số 18 phố Duy Tân, phường Cầu Giấy";

/// A desktop signed in by QR code for `phone`'s person (personal account).
async fn desktop_by_qr(t: &TestServer, phone: &Session, device: &Device) -> (Session, SessionView) {
    let (key, payload) = start(t).await;
    let mut socket = open_events(t, &key, &payload).await;
    let confirmed = approval(t, phone, device, &payload, payload.approval_body(None)).await;
    let resp = approve(t, phone, &payload, &confirmed).await;
    assert_eq!(resp.status(), 204, "{}", resp.text().await.unwrap());
    let QrLoginEvent::Approved { token, session } = next_event(&mut socket).await else {
        panic!("the desktop was not signed in");
    };
    (
        Session {
            token,
            key,
            account: phone.account.clone(),
        },
        session,
    )
}

/// A registration of an enterprise the business registry knows, with `p` as representative.
async fn enterprise_submission(t: &TestServer, p: &Person) -> RegistrationSubmission {
    let code = loop {
        let body = 10_000_000 + OsRng.next_u32() % 890_000_000;
        if let Some(c) = TaxCode::from_body(body) {
            break c;
        }
    };
    let entry = RegistryEntry {
        registry: RegistryKind::BusinessRegistry,
        code: code.clone(),
        agency_code: None,
        name_vi: Name::parse(ORG_NAME).unwrap(),
        address: AddressLine::parse(ADDRESS).unwrap(),
        province: NewProvince::parse("ha_noi").unwrap(),
        established_on: NaiveDate::from_ymd_opt(2015, 4, 20).unwrap(),
        status: RegistryStatus::Active,
        representatives: vec![(p.citizen_id.clone(), Name::parse(NAME).unwrap())],
    };
    registry::insert_entries(t.state(), &[entry]).await.unwrap();
    let form = OrganisationForm {
        name_vi: ORG_NAME.into(),
        established_on: "2015-04-20".into(),
        head_office_address: ADDRESS.into(),
        head_office_province: "ha_noi".into(),
        enterprise_code: code.as_str().into(),
        representatives: vec![RepresentativeForm {
            full_name: NAME.into(),
            citizen_id: p.citizen_id.as_str().into(),
        }],
        contact_phone: "0912345678".into(),
        ..OrganisationForm::default()
    };
    let details = form
        .validate(OrgType::Enterprise, vietnam_date(t.now()))
        .unwrap();
    RegistrationSubmission::new(OrgType::Enterprise, details, &p.citizen_id)
}

/// An active enterprise whose only representative (hence owner) is `citizen`.
async fn organisation_owned_by(t: &TestServer, p: &Person, citizen: &CitizenId) -> OrgEid {
    let tax = loop {
        let body = 10_000_000 + OsRng.next_u32() % 890_000_000;
        if let Some(c) = TaxCode::from_body(body) {
            break c;
        }
    };
    let details = OrganisationDetails {
        name_vi: Name::parse("Công ty TNHH Chuyển tài khoản").unwrap(),
        abbreviated_name: None,
        foreign_name: None,
        established_on: NaiveDate::from_ymd_opt(2018, 3, 1).unwrap(),
        head_office: HeadOffice {
            address: AddressLine::parse(ADDRESS).unwrap(),
            province: NewProvince::parse("ha_noi").unwrap(),
        },
        enterprise_code: Some(EnterpriseCode::parse(tax.as_str()).unwrap()),
        tax_code: Some(tax),
        cooperative_code: None,
        agency_code: None,
        representatives: vec![LegalRepresentative {
            full_name: Name::parse(NAME).unwrap(),
            citizen_id: citizen.clone(),
        }],
        contact_phone: PhoneNumber::parse("0912345678").unwrap(),
        contact_email: None,
        authorisation_letter: None,
        founding_decision: None,
    };
    organisations::create_organisation(
        t.state(),
        NewOrganisation {
            org_type: OrgType::Enterprise,
            details: &details,
            registration: None,
            registered_by: Registrant::Account(&p.account),
        },
    )
    .await
    .unwrap()
}

/// The desktop asks.
async fn ask(
    t: &TestServer,
    desktop: &Session,
    kind: ActionKind,
    body: impl serde::Serialize,
) -> reqwest::Response {
    t.post(
        paths::DESKTOP_ACTIONS,
        &DesktopActionRequest {
            kind,
            body: serde_json::to_value(body).unwrap(),
        },
        Auth::Session(desktop),
    )
    .await
}

async fn asked(
    t: &TestServer,
    desktop: &Session,
    kind: ActionKind,
    body: impl serde::Serialize,
) -> PendingDesktopAction {
    let resp = ask(t, desktop, kind, body).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

async fn pending(t: &TestServer, phone: &Session) -> Vec<PendingDesktopAction> {
    let resp = t.get(paths::DESKTOP_ACTIONS, Auth::Session(phone)).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

/// The phone's confirmation of exactly what `action` shows, with `passcode`: a
/// `confirm_desktop_action` of the target the action names.
async fn confirmation(
    t: &TestServer,
    phone: &Session,
    device: &Device,
    action: &PendingDesktopAction,
    passcode: &str,
) -> Confirmed<serde_json::Value> {
    signed_as(
        t,
        phone,
        device,
        action,
        ActionKind::ConfirmDesktopAction,
        action.target.clone(),
        passcode,
    )
    .await
}

/// `action`'s body signed as `kind` of `target`, with a challenge for a desktop action's
/// confirmation.
async fn signed_as(
    t: &TestServer,
    phone: &Session,
    device: &Device,
    action: &PendingDesktopAction,
    kind: ActionKind,
    target: ActionTarget,
    passcode: &str,
) -> Confirmed<serde_json::Value> {
    let challenge = t
        .challenge(
            ChallengePurpose::Action {
                kind: ActionKind::ConfirmDesktopAction,
            },
            Some(phone),
        )
        .await;
    device.confirm(
        t.now(),
        action.body.clone(),
        kind,
        t.origin(),
        challenge,
        &phone.account,
        None,
        target,
        passcode,
    )
}

fn action_path(route: &str, action: &PendingDesktopAction) -> String {
    paths::fill(route, "id", &action.id)
}

async fn send_confirmation(
    t: &TestServer,
    session: &Session,
    action: &PendingDesktopAction,
    confirmed: &Confirmed<serde_json::Value>,
) -> reqwest::Response {
    t.post(
        &action_path(paths::DESKTOP_ACTION_CONFIRMATION, action),
        confirmed,
        Auth::Session(session),
    )
    .await
}

/// `POST` without a body to `route` of `action`, as `session`.
async fn post_empty(
    t: &TestServer,
    session: &Session,
    route: &str,
    action: &PendingDesktopAction,
) -> reqwest::Response {
    t.send(
        "POST",
        &action_path(route, action),
        None,
        Auth::Session(session),
    )
    .await
}

async fn decline(
    t: &TestServer,
    session: &Session,
    action: &PendingDesktopAction,
) -> reqwest::Response {
    post_empty(t, session, paths::DESKTOP_ACTION_DECLINE, action).await
}

async fn cancel(
    t: &TestServer,
    session: &Session,
    action: &PendingDesktopAction,
) -> reqwest::Response {
    post_empty(t, session, paths::DESKTOP_ACTION_CANCEL, action).await
}

/// The desktop session's WebSocket: its token and a proof by its key over the GET.
async fn open_action_events(
    t: &TestServer,
    desktop: &Session,
    action: &PendingDesktopAction,
) -> Socket {
    let (socket, _) = tokio_tungstenite::connect_async(action_events_request(t, desktop, action))
        .await
        .expect("websocket opened");
    socket
}

/// The request [`open_action_events`] sends.
fn action_events_request(
    t: &TestServer,
    desktop: &Session,
    action: &PendingDesktopAction,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let target = action_path(paths::DESKTOP_ACTION_EVENTS, action);
    let mut nonce = [0u8; 16];
    OsRng.fill_bytes(&mut nonce);
    let proof = ProofClaims::new(
        "GET",
        &target,
        &[],
        Some(desktop.token.hash()),
        t.now(),
        nonce,
    )
    .unwrap()
    .sign_with(&desktop.key)
    .to_header_value();
    let mut request = format!("ws://{}{target}", t.server.addr)
        .into_client_request()
        .unwrap();
    let headers = request.headers_mut();
    headers.insert(request_proof::HEADER_NAME, proof.parse().unwrap());
    headers.insert(
        "authorization",
        format!("DinhDanh {}", desktop.token.expose())
            .parse()
            .unwrap(),
    );
    request
}

/// The one event pushed, well within the server's 5-s safety-net re-read.
async fn next_action_event(socket: &mut Socket) -> DesktopActionEvent {
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

async fn sessions(t: &TestServer, s: &Session) -> Vec<SessionView> {
    let resp = t.get(paths::SESSIONS, Auth::Session(s)).await;
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

// ---------------------------------------------------------------------------------------------

backend_test!(a_registration_started_on_the_desktop_is_filed_when_the_phone_confirms_it);
async fn a_registration_started_on_the_desktop_is_filed_when_the_phone_confirms_it(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, _, phone) = signed_in(&t).await;
    let (desktop, _) = desktop_by_qr(&t, &phone, &device).await;
    let submission = enterprise_submission(&t, &p).await;

    let action = asked(&t, &desktop, ActionKind::RegisterOrganisation, &submission).await;
    assert_eq!(action.kind, ActionKind::RegisterOrganisation);
    assert_eq!(
        action.target.as_str(),
        format!("desktop_action:{}", action.id)
    );
    assert!(
        action.summary_vi.contains(ORG_NAME),
        "{}",
        action.summary_vi
    );
    assert!(
        action.summary_en.contains(ORG_NAME),
        "{}",
        action.summary_en
    );
    assert!(action.expires_at.timestamp() > t.now());
    assert_eq!(action.body, serde_json::to_value(&submission).unwrap());

    // The phone is told, and lists exactly what it will sign.
    let inbox: Vec<Notification> = t
        .get(paths::NOTIFICATIONS, Auth::Session(&phone))
        .await
        .json()
        .await
        .unwrap();
    let link = format!("desktop-action:{}", action.id);
    assert!(
        inbox
            .iter()
            .any(|n| n.kind == NotificationKind::ConfirmationRequested
                && n.link.as_deref() == Some(link.as_str())),
        "{inbox:?}"
    );
    assert_eq!(pending(&t, &phone).await, vec![action.clone()]);

    let mut socket = open_action_events(&t, &desktop, &action).await;
    let confirmed = confirmation(&t, &phone, &device, &action, PASSCODE).await;
    let resp = send_confirmation(&t, &phone, &action, &confirmed).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let answered: DesktopActionEvent = resp.json().await.unwrap();

    let event = next_action_event(&mut socket).await;
    assert_eq!(event, answered);
    let DesktopActionEvent::Done { result } = event else {
        panic!("expected done, got {event:?}");
    };
    let view: RegistrationView = serde_json::from_value(result).unwrap();
    assert_eq!(view.details.name_vi.as_str(), ORG_NAME);
    assert_eq!(view.requester.account, Some(p.account.clone()));

    // Single use: the same confirmation again, or a fresh one, is refused.
    let resp = send_confirmation(&t, &phone, &action, &confirmed).await;
    assert_error(resp, ErrorCode::DesktopActionAnswered).await;
    let again = confirmation(&t, &phone, &device, &action, PASSCODE).await;
    let resp = send_confirmation(&t, &phone, &action, &again).await;
    assert_error(resp, ErrorCode::DesktopActionAnswered).await;
    assert!(pending(&t, &phone).await.is_empty());
}

backend_test!(a_wrong_passcode_on_the_phone_is_counted_and_the_action_keeps_waiting);
async fn a_wrong_passcode_on_the_phone_is_counted_and_the_action_keeps_waiting(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, view, phone) = signed_in(&t).await;
    let (desktop, _) = desktop_by_qr(&t, &phone, &device).await;
    let submission = enterprise_submission(&t, &p).await;
    let action = asked(&t, &desktop, ActionKind::RegisterOrganisation, &submission).await;

    let wrong = confirmation(&t, &phone, &device, &action, WRONG_PASSCODE).await;
    let resp = send_confirmation(&t, &phone, &action, &wrong).await;
    assert_error(resp, ErrorCode::WrongConfirmation).await;
    assert_eq!(wrong_confirmations(&t, &view.id).await, 1);
    assert_eq!(pending(&t, &phone).await.len(), 1, "still waiting");

    // A body other than the one the desktop asked for is refused before any passcode check.
    let mut altered = action.clone();
    altered.body["details"]["contact_phone"] = serde_json::json!("0987654321");
    let confirmed = confirmation(&t, &phone, &device, &altered, PASSCODE).await;
    let resp = send_confirmation(&t, &phone, &action, &confirmed).await;
    assert_error(resp, ErrorCode::MalformedRequest).await;

    let right = confirmation(&t, &phone, &device, &action, PASSCODE).await;
    let resp = send_confirmation(&t, &phone, &action, &right).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    assert_eq!(wrong_confirmations(&t, &view.id).await, 0);
}

backend_test!(the_server_derives_the_capacity_a_desktop_can_only_guess);
async fn the_server_derives_the_capacity_a_desktop_can_only_guess(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, _, phone) = signed_in(&t).await;
    let (desktop, _) = desktop_by_qr(&t, &phone, &device).await;
    // The desktop sees only a masked identification number; say it guessed wrong.
    let right = enterprise_submission(&t, &p).await;
    assert_eq!(right.capacity, RequesterCapacity::LegalRepresentative);
    let mut guessed = right.clone();
    guessed.capacity = RequesterCapacity::Authorised;

    let action = asked(&t, &desktop, ActionKind::RegisterOrganisation, &guessed).await;
    // The phone is shown, and signs, the submission with the capacity corrected.
    assert_eq!(action.body, serde_json::to_value(&right).unwrap());
    let confirmed = confirmation(&t, &phone, &device, &action, PASSCODE).await;
    let resp = send_confirmation(&t, &phone, &action, &confirmed).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let DesktopActionEvent::Done { result } = resp.json().await.unwrap() else {
        panic!("expected done");
    };
    let view: RegistrationView = serde_json::from_value(result).unwrap();
    assert_eq!(view.capacity, RequesterCapacity::LegalRepresentative);
}

backend_test!(a_confirmation_answers_only_the_action_it_names);
async fn a_confirmation_answers_only_the_action_it_names(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, _, phone) = signed_in(&t).await;
    let (desktop, _) = desktop_by_qr(&t, &phone, &device).await;
    let submission = enterprise_submission(&t, &p).await;
    // Two actions with the same body: only the target tells them apart.
    let first = asked(&t, &desktop, ActionKind::RegisterOrganisation, &submission).await;
    let second = asked(&t, &desktop, ActionKind::RegisterOrganisation, &submission).await;
    assert_ne!(first.target, second.target);

    // Signed as the phone's own route (the direct registration's kind and target), with the
    // right passcode: not a confirmation of the desktop's action.
    let direct = signed_as(
        &t,
        &phone,
        &device,
        &first,
        ActionKind::RegisterOrganisation,
        ActionTarget::new("registration", "new").unwrap(),
        PASSCODE,
    )
    .await;
    let resp = send_confirmation(&t, &phone, &first, &direct).await;
    assert_error(resp, ErrorCode::Forbidden).await;
    // The right kind, but naming the other action.
    let for_second = confirmation(&t, &phone, &device, &second, PASSCODE).await;
    let resp = send_confirmation(&t, &phone, &first, &for_second).await;
    assert_error(resp, ErrorCode::Forbidden).await;
    assert_eq!(pending(&t, &phone).await.len(), 2, "both still waiting");

    // Its own confirmation answers the first, and the second still waits.
    let own = confirmation(&t, &phone, &device, &first, PASSCODE).await;
    let resp = send_confirmation(&t, &phone, &first, &own).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let left = pending(&t, &phone).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, second.id);
}

backend_test!(an_action_cancelled_on_the_desktop_can_no_longer_be_confirmed);
async fn an_action_cancelled_on_the_desktop_can_no_longer_be_confirmed(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, _, phone) = signed_in(&t).await;
    let (desktop, _) = desktop_by_qr(&t, &phone, &device).await;
    let (other_desktop, _) = desktop_by_qr(&t, &phone, &device).await;
    let submission = enterprise_submission(&t, &p).await;
    let action = asked(&t, &desktop, ActionKind::RegisterOrganisation, &submission).await;
    let mut socket = open_action_events(&t, &desktop, &action).await;

    // Only the desktop that asked may withdraw it: not the phone, not another desktop.
    assert_error(cancel(&t, &phone, &action).await, ErrorCode::NotFound).await;
    assert_error(
        cancel(&t, &other_desktop, &action).await,
        ErrorCode::NotFound,
    )
    .await;
    assert_eq!(pending(&t, &phone).await.len(), 1);

    let resp = cancel(&t, &desktop, &action).await;
    assert_eq!(resp.status(), 204, "{}", resp.text().await.unwrap());
    assert_eq!(
        next_action_event(&mut socket).await,
        DesktopActionEvent::Cancelled
    );
    // The phone no longer lists it, and its confirmation does nothing.
    assert!(pending(&t, &phone).await.is_empty());
    let confirmed = confirmation(&t, &phone, &device, &action, PASSCODE).await;
    let resp = send_confirmation(&t, &phone, &action, &confirmed).await;
    assert_error(resp, ErrorCode::DesktopActionCancelled).await;
    assert_error(
        decline(&t, &phone, &action).await,
        ErrorCode::DesktopActionCancelled,
    )
    .await;
    assert_error(
        cancel(&t, &desktop, &action).await,
        ErrorCode::DesktopActionCancelled,
    )
    .await;
    let registrations: Vec<RegistrationView> = t
        .get(paths::REGISTRATIONS, Auth::Session(&phone))
        .await
        .json()
        .await
        .unwrap();
    assert!(registrations.is_empty(), "{registrations:?}");

    // Once the phone has answered, the answer stands.
    let answered = asked(&t, &desktop, ActionKind::RegisterOrganisation, &submission).await;
    let resp = decline(&t, &phone, &answered).await;
    assert_eq!(resp.status(), 204);
    assert_error(
        cancel(&t, &desktop, &answered).await,
        ErrorCode::DesktopActionAnswered,
    )
    .await;
}

backend_test!(a_decline_on_the_phone_reaches_the_desktop_at_once);
async fn a_decline_on_the_phone_reaches_the_desktop_at_once(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, _, phone) = signed_in(&t).await;
    let (desktop, _) = desktop_by_qr(&t, &phone, &device).await;
    let submission = enterprise_submission(&t, &p).await;
    let action = asked(&t, &desktop, ActionKind::RegisterOrganisation, &submission).await;
    let mut socket = open_action_events(&t, &desktop, &action).await;

    let resp = decline(&t, &phone, &action).await;
    assert_eq!(resp.status(), 204, "{}", resp.text().await.unwrap());
    assert_eq!(
        next_action_event(&mut socket).await,
        DesktopActionEvent::Declined
    );

    let confirmed = confirmation(&t, &phone, &device, &action, PASSCODE).await;
    let resp = send_confirmation(&t, &phone, &action, &confirmed).await;
    assert_error(resp, ErrorCode::DesktopActionAnswered).await;
    let resp = decline(&t, &phone, &action).await;
    assert_error(resp, ErrorCode::DesktopActionAnswered).await;
}

backend_test!(an_expired_desktop_action_is_refused_and_the_desktop_told);
async fn an_expired_desktop_action_is_refused_and_the_desktop_told(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, _, phone) = signed_in(&t).await;
    let (desktop, _) = desktop_by_qr(&t, &phone, &device).await;
    let submission = enterprise_submission(&t, &p).await;
    let action = asked(&t, &desktop, ActionKind::RegisterOrganisation, &submission).await;

    t.clock
        .advance(dinhdanh_server::testing::desktop_actions::PENDING_SECS + 1);
    assert!(pending(&t, &phone).await.is_empty());
    let confirmed = confirmation(&t, &phone, &device, &action, PASSCODE).await;
    let resp = send_confirmation(&t, &phone, &action, &confirmed).await;
    assert_error(resp, ErrorCode::DesktopActionExpired).await;
    let resp = decline(&t, &phone, &action).await;
    assert_error(resp, ErrorCode::DesktopActionExpired).await;

    let mut socket = open_action_events(&t, &desktop, &action).await;
    assert_eq!(
        next_action_event(&mut socket).await,
        DesktopActionEvent::Expired
    );
}

backend_test!(a_desktop_may_ask_only_for_allowed_and_valid_actions);
async fn a_desktop_may_ask_only_for_allowed_and_valid_actions(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, _, phone) = signed_in(&t).await;
    let (desktop, _) = desktop_by_qr(&t, &phone, &device).await;

    // Managing delegates stays on the phone.
    let resp = ask(
        &t,
        &desktop,
        ActionKind::AddDelegate,
        serde_json::json!({"citizen_id": p.citizen_id, "role": "member"}),
    )
    .await;
    assert_error(resp, ErrorCode::DesktopActionNotAllowed).await;

    // The direct route's checks run when the desktop asks: an invalid form never reaches
    // the phone.
    let mut invalid = serde_json::to_value(enterprise_submission(&t, &p).await).unwrap();
    invalid["details"]["established_on"] = serde_json::json!("2999-01-01");
    let resp = ask(&t, &desktop, ActionKind::RegisterOrganisation, &invalid).await;
    assert_error(resp, ErrorCode::ValidationFailed).await;
    let resp = ask(
        &t,
        &desktop,
        ActionKind::RegisterOrganisation,
        serde_json::json!({"x": 1}),
    )
    .await;
    assert_error(resp, ErrorCode::MalformedRequest).await;
    assert!(pending(&t, &phone).await.is_empty());

    // The phone acts directly; it does not ask itself.
    let submission = enterprise_submission(&t, &p).await;
    let resp = ask(&t, &phone, ActionKind::RegisterOrganisation, &submission).await;
    assert_error(resp, ErrorCode::Forbidden).await;

    // And the desktop cannot list, confirm or decline in the phone's place.
    let action = asked(&t, &desktop, ActionKind::RegisterOrganisation, &submission).await;
    let resp = t.get(paths::DESKTOP_ACTIONS, Auth::Session(&desktop)).await;
    assert_error(resp, ErrorCode::Forbidden).await;
    let confirmed = confirmation(&t, &phone, &device, &action, PASSCODE).await;
    let resp = send_confirmation(&t, &desktop, &action, &confirmed).await;
    assert_error(resp, ErrorCode::Forbidden).await;
    let resp = decline(&t, &desktop, &action).await;
    assert_error(resp, ErrorCode::Forbidden).await;
}

backend_test!(another_persons_phone_cannot_see_confirm_or_decline_it);
async fn another_persons_phone_cannot_see_confirm_or_decline_it(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, _, phone) = signed_in(&t).await;
    let (desktop, _) = desktop_by_qr(&t, &phone, &device).await;
    let submission = enterprise_submission(&t, &p).await;
    let action = asked(&t, &desktop, ActionKind::RegisterOrganisation, &submission).await;

    let (_q, other_device, _, other_phone) = signed_in(&t).await;
    assert!(pending(&t, &other_phone).await.is_empty());
    let confirmed = confirmation(&t, &other_phone, &other_device, &action, PASSCODE).await;
    let resp = send_confirmation(&t, &other_phone, &action, &confirmed).await;
    assert_error(resp, ErrorCode::NotFound).await;
    let resp = decline(&t, &other_phone, &action).await;
    assert_error(resp, ErrorCode::NotFound).await;
    // Nor can another person's desktop wait on it.
    let (other_desktop, _) = desktop_by_qr(&t, &other_phone, &other_device).await;
    let target = action_path(paths::DESKTOP_ACTION_EVENTS, &action);
    let resp = t.get(&target, Auth::Session(&other_desktop)).await;
    assert_error(resp, ErrorCode::NotFound).await;

    assert_eq!(
        pending(&t, &phone).await.len(),
        1,
        "still waiting for its owner"
    );
}

backend_test!(a_switch_confirmed_on_the_phone_changes_the_desktops_session_not_the_phones);
async fn a_switch_confirmed_on_the_phone_changes_the_desktops_session_not_the_phones(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, _, phone) = signed_in(&t).await;
    let eid = organisation_owned_by(&t, &p, &p.citizen_id).await;
    let (desktop, desktop_view) = desktop_by_qr(&t, &phone, &device).await;
    assert_eq!(desktop_view.acting_for, None);

    let action = asked(
        &t,
        &desktop,
        ActionKind::SwitchAccount,
        SwitchAccount {
            to: Some(eid.clone()),
        },
    )
    .await;
    assert_eq!(
        action.target.as_str(),
        format!("desktop_action:{}", action.id)
    );
    assert!(action.summary_vi.contains("Công ty TNHH Chuyển tài khoản"));
    let mut socket = open_action_events(&t, &desktop, &action).await;
    let confirmed = confirmation(&t, &phone, &device, &action, PASSCODE).await;
    let resp = send_confirmation(&t, &phone, &action, &confirmed).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());

    let DesktopActionEvent::Done { result } = next_action_event(&mut socket).await else {
        panic!("expected done");
    };
    let choices: AccountChoices = serde_json::from_value(result).unwrap();
    assert_eq!(choices.active, Some(eid.clone()));
    let all = sessions(&t, &phone).await;
    let desktop_now = all.iter().find(|s| s.id == desktop_view.id).unwrap();
    assert_eq!(desktop_now.acting_for, Some(eid.clone()));
    let phone_now = all.iter().find(|s| s.id != desktop_view.id).unwrap();
    assert_eq!(phone_now.acting_for, None, "the phone stays personal");

    // Switching to an organisation the person may not act for is refused when the desktop asks.
    let (q, _, _, _) = signed_in(&t).await;
    let foreign = organisation_owned_by(&t, &q, &q.citizen_id).await;
    let resp = ask(
        &t,
        &desktop,
        ActionKind::SwitchAccount,
        SwitchAccount { to: Some(foreign) },
    )
    .await;
    assert_error(resp, ErrorCode::Forbidden).await;
}

backend_test!(
    an_action_that_became_invalid_before_the_confirmation_is_refused_and_the_desktop_told
);
async fn an_action_that_became_invalid_before_the_confirmation_is_refused_and_the_desktop_told(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let (p, device, _, phone) = signed_in(&t).await;
    let (desktop, _) = desktop_by_qr(&t, &phone, &device).await;
    let submission = enterprise_submission(&t, &p).await;
    let first = asked(&t, &desktop, ActionKind::RegisterOrganisation, &submission).await;
    let second = asked(&t, &desktop, ActionKind::RegisterOrganisation, &submission).await;

    let confirmed = confirmation(&t, &phone, &device, &first, PASSCODE).await;
    let resp = send_confirmation(&t, &phone, &first, &confirmed).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());

    // The same organisation again: the direct route's own refusal reaches the desktop.
    let mut socket = open_action_events(&t, &desktop, &second).await;
    let confirmed = confirmation(&t, &phone, &device, &second, PASSCODE).await;
    let resp = send_confirmation(&t, &phone, &second, &confirmed).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let DesktopActionEvent::Refused { error } = next_action_event(&mut socket).await else {
        panic!("expected refused");
    };
    assert!(
        error.code == ErrorCode::DuplicateRegistration.as_str()
            || error.code == ErrorCode::OrganisationAlreadyRegistered.as_str(),
        "{error:?}"
    );
}

backend_test!(a_signed_out_desktops_actions_die_with_it_and_a_desktop_cannot_flood_the_phone);
async fn a_signed_out_desktops_actions_die_with_it_and_a_desktop_cannot_flood_the_phone(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let (p, device, _, phone) = signed_in(&t).await;
    let (desktop, desktop_view) = desktop_by_qr(&t, &phone, &device).await;
    let submission = enterprise_submission(&t, &p).await;
    let limit = dinhdanh_server::testing::desktop_actions::MAX_WAITING_PER_DESKTOP;
    let mut asked_for = Vec::new();
    for _ in 0..limit {
        asked_for.push(asked(&t, &desktop, ActionKind::RegisterOrganisation, &submission).await);
    }
    let resp = ask(&t, &desktop, ActionKind::RegisterOrganisation, &submission).await;
    assert_error(resp, ErrorCode::RateLimited).await;
    assert_eq!(pending(&t, &phone).await.len(), asked_for.len());

    // The person signs the desktop out from the phone: what it asked for is gone.
    let end = end_session_confirmed(&t, &phone, &device, &desktop_view.id, PASSCODE).await;
    let resp = end_session(&t, &phone, &desktop_view.id, &end).await;
    assert_eq!(resp.status(), 204, "{}", resp.text().await.unwrap());
    assert!(pending(&t, &phone).await.is_empty());
    let confirmed = confirmation(&t, &phone, &device, &asked_for[0], PASSCODE).await;
    let resp = send_confirmation(&t, &phone, &asked_for[0], &confirmed).await;
    assert_error(resp, ErrorCode::DesktopActionExpired).await;
}

backend_test!(a_desktop_action_has_one_socket_which_closes_on_data);
async fn a_desktop_action_has_one_socket_which_closes_on_data(db: Backend) {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    let t = TestServer::start(db).await;
    let (p, device, _, phone) = signed_in(&t).await;
    let (desktop, _) = desktop_by_qr(&t, &phone, &device).await;
    let submission = enterprise_submission(&t, &p).await;
    let action = asked(&t, &desktop, ActionKind::RegisterOrganisation, &submission).await;
    let mut socket = open_action_events(&t, &desktop, &action).await;
    match tokio_tungstenite::connect_async(action_events_request(&t, &desktop, &action)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 409);
        }
        other => panic!("a second socket was accepted: {:?}", other.map(|_| ())),
    }
    socket.send(Message::text("are you there?")).await.unwrap();
    let next = tokio::time::timeout(Duration::from_secs(3), socket.next())
        .await
        .expect("closed within 3 s");
    match next {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Policy),
        other => panic!("expected a policy close, got {other:?}"),
    }
    // The action still waits for the phone.
    assert_eq!(pending(&t, &phone).await, vec![action]);
}
