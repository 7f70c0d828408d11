//! A co-representative's consent or refusal and the requester's withdrawal, through the
//! device client against the real server in-process on loopback, the secrets in the real OS
//! keystore (Decree 69/2024, Art. 12). Who may do what is the server's rule: each refusal
//! here is the server's answer. A lost connection is a real one: a loopback relay between the
//! client and the server that drops the action's answer, or the action itself, or everything.

use crate::common;

use common::relay::{self, LOSE_ANSWER, LOSE_EVERYTHING, LOSE_REQUEST, PASS, Relay, device_at};
use common::{Device, PASSCODE, Person, TestServer};
use dinhdanh_client::ClientError;
use dinhdanh_core::api::{ErrorCode, RegistrationEventKind, RegistrationStatus, RegistrationView};
use dinhdanh_core::org_type::{DocumentKind, Name, OrgType, OrganisationForm, RepresentativeForm};
use dinhdanh_server::testing::registrations::vietnam_date;

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

/// The actions the relay interferes with: a POST to a request's `/consent` or `/withdrawal`.
fn consent_or_withdrawal(line: &str) -> bool {
    line.starts_with("POST /v1/registrations/")
        && (line.contains("/consent ") || line.contains("/withdrawal "))
}

async fn server_behind_relay() -> (TestServer, Relay, String) {
    relay::server_behind_relay(consent_or_withdrawal).await
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
