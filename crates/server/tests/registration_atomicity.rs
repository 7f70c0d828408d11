//! A registration action commits whole or not at all: a failure injected after each step of a
//! co-representative's consent and of an officer's decision leaves the request, its consents,
//! its history, the inbox, the outbox and the audit trail as they were (the confirmation's own
//! entry aside: it stands whatever the action then does), and the audit chain verifies; once
//! the failure comes after the last step, everything is committed.

use crate::common;
use crate::identity;

use common::{Auth, Device, Session, TestServer};
use common::{Backend, backend_test};
use dinhdanh_core::api::{
    AttachmentView, ChallengePurpose, Confirmed, ConsentDecision, Decision, OfficerDecision,
    RegistrationStatus, RegistrationSubmission, RegistrationView, paths,
};
use dinhdanh_core::ids::NewProvince;
use dinhdanh_core::org_type::{OrgType, OrganisationForm, RepresentativeForm};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use dinhdanh_server::testing::audit;
use dinhdanh_server::testing::officers;
use dinhdanh_server::testing::registrations::vietnam_date;
use dinhdanh_server::testing::{AppState, fail_action_after};
use identity::{PASSCODE, Person, signed_in};
use rand_core::{OsRng, RngCore};
use serde::Serialize;

/// Fails the next transaction of `action` after `after_steps` of its steps.
fn arm_failure(state: &AppState, action: &str, after_steps: usize) {
    fail_action_after(state, action, after_steps);
}

const NAME: &str = "Nguyễn Thị Lan";
const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer\n%%EOF\n";

/// A person with a bound device, signed in.
struct Who {
    p: Person,
    device: Device,
    session: Session,
}

async fn who(t: &TestServer) -> Who {
    let (p, device, _, session) = signed_in(t).await;
    Who { p, device, session }
}

/// `body` confirmed by `w` for `kind` on the request, with a fresh challenge.
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
        None,
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

/// A type-4 organisation (no registry: an officer decides) with two legal representatives
/// who both have accounts, filed by `head`: it waits for `mai`'s consent.
async fn awaiting_consent(t: &TestServer, head: &Who, mai: &Who) -> RegistrationView {
    let path = format!("{}?kind=founding_decision", paths::ATTACHMENTS);
    let decision: AttachmentView = ok(t
        .send("POST", &path, Some(PDF), Auth::Session(&head.session))
        .await)
    .await;
    let form = OrganisationForm {
        name_vi: format!("Câu lạc bộ Cờ tướng {}", OsRng.next_u32() % 100_000),
        established_on: "2019-09-01".into(),
        head_office_address: "Số 18 phố Duy Tân, phường Cầu Giấy".into(),
        head_office_province: "ha_noi".into(),
        representatives: [&head.p, &mai.p]
            .iter()
            .map(|p| RepresentativeForm {
                full_name: NAME.into(),
                citizen_id: p.citizen_id.as_str().into(),
            })
            .collect(),
        contact_phone: "0912345678".into(),
        founding_decision: decision.id.as_str().into(),
        ..OrganisationForm::default()
    };
    let org = OrgType::OrganisationWithoutRegistration;
    let details = form.validate(org, vietnam_date(t.now())).unwrap();
    let body = RegistrationSubmission::new(org, details, &head.p.citizen_id);
    let new = ActionTarget::new("registration", "new").unwrap();
    let c = confirm(t, head, ActionKind::RegisterOrganisation, new, body).await;
    let reg: RegistrationView = ok(t
        .post(paths::REGISTRATIONS, &c, Auth::Session(&head.session))
        .await)
    .await;
    assert_eq!(reg.status, RegistrationStatus::AwaitingConsent);
    reg
}

/// What an action may change, counted.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Snapshot {
    status: String,
    consents_answered: i64,
    events: i64,
    notifications: i64,
    outbox: i64,
    audit: i64,
}

async fn count(state: &AppState, sql: &str, id: Option<&str>) -> i64 {
    let q = sqlx::query_scalar::<_, i64>(sql);
    let q = match id {
        Some(id) => q.bind(id.to_owned()),
        None => q,
    };
    q.fetch_one(&state.pool).await.unwrap()
}

async fn snapshot(t: &TestServer, reg: &RegistrationView) -> Snapshot {
    let state = t.state();
    let id = Some(reg.id.as_str());
    Snapshot {
        status: sqlx::query_scalar("SELECT status FROM registrations WHERE id = $1")
            .bind(reg.id.as_str())
            .fetch_one(&state.pool)
            .await
            .unwrap(),
        consents_answered: count(
            state,
            "SELECT COUNT(*) FROM registration_consents \
             WHERE registration_id = $1 AND consented IS NOT NULL",
            id,
        )
        .await,
        events: count(
            state,
            "SELECT COUNT(*) FROM registration_events WHERE registration_id = $1",
            id,
        )
        .await,
        notifications: count(state, "SELECT COUNT(*) FROM notifications", None).await,
        outbox: count(state, "SELECT COUNT(*) FROM outbox", None).await,
        audit: count(state, "SELECT COUNT(*) FROM audit_log", None).await,
    }
}

/// The newest audit entries' actions, newest first.
async fn last_actions(t: &TestServer, n: i64) -> Vec<String> {
    sqlx::query_scalar("SELECT action FROM audit_log ORDER BY seq DESC LIMIT $1")
        .bind(n)
        .fetch_all(&t.state().pool)
        .await
        .unwrap()
}

async fn assert_chain_verifies(t: &TestServer) {
    let report = audit::verify_chain(t.state()).await.unwrap();
    assert_eq!(report.first_broken, None, "{report:?}");
    assert!(report.checkpoint_matches, "{report:?}");
}

/// Sends the request `attempt` makes (with a fresh confirmation each time: a failed attempt
/// used up its challenge) with a failure armed after 0, 1, 2, … steps of `action`'s
/// transaction. Each failing attempt answers 500 and commits nothing but the confirmation's
/// own audit entry (`confirmation.<kind>.accepted`). Returns the first response that
/// succeeded (the failure came after the action's last step) and the snapshot before it.
async fn until_it_commits<F, Fut>(
    t: &TestServer,
    reg: &RegistrationView,
    action: &str,
    confirmation_entry: &str,
    mut attempt: F,
) -> (reqwest::Response, Snapshot)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = reqwest::Response>,
{
    for k in 0..100 {
        let before = snapshot(t, reg).await;
        arm_failure(t.state(), action, k);
        let resp = attempt().await;
        // The action's transaction began, and took the armed failure with it.
        assert!(t.state().faults.pending().is_empty(), "step {k}");
        if resp.status().is_success() {
            assert!(k > 0, "the action took no step");
            return (resp, before);
        }
        assert_eq!(
            resp.status(),
            500,
            "step {k}: {}",
            resp.text().await.unwrap()
        );
        let after = snapshot(t, reg).await;
        assert_eq!(
            after,
            Snapshot {
                audit: before.audit + 1,
                ..before.clone()
            },
            "step {k}: the failed action left something behind"
        );
        assert_eq!(last_actions(t, 1).await, [confirmation_entry], "step {k}");
        assert_chain_verifies(t).await;
    }
    panic!("{action} never got past its injected failure");
}

backend_test!(a_consent_commits_whole_or_not_at_all);
async fn a_consent_commits_whole_or_not_at_all(db: Backend) {
    let t = TestServer::start(db).await;
    let head = who(&t).await;
    let mai = who(&t).await;
    let reg = awaiting_consent(&t, &head, &mai).await;
    let path = paths::fill(paths::REGISTRATION_CONSENT, "id", reg.id.as_str());
    let target = ActionTarget::new("registration", reg.id.as_str()).unwrap();
    let body = ConsentDecision {
        registration: reg.id.clone(),
        consent: true,
        request_digest: reg.consent_digest().unwrap(),
    };
    let (tr, mai_r, target_r, body_r, path_r) = (&t, &mai, &target, &body, &path);
    let (resp, before) = until_it_commits(
        &t,
        &reg,
        "registration.consent",
        "confirmation.consent_to_registration.accepted",
        move || async move {
            let c = confirm(
                tr,
                mai_r,
                ActionKind::ConsentToRegistration,
                target_r.clone(),
                body_r.clone(),
            )
            .await;
            tr.post(path_r, &c, Auth::Session(&mai_r.session)).await
        },
    )
    .await;
    let done: RegistrationView = ok(resp).await;
    // The last consent sends the request on; type 4 has no registry, so to an officer.
    assert_eq!(done.status, RegistrationStatus::AwaitingOfficer);
    assert_eq!(done.consents[0].consented, Some(true));
    assert_eq!(
        snapshot(&t, &reg).await,
        Snapshot {
            status: "awaiting_officer".into(),
            consents_answered: 1,
            // Consented, sent to an officer.
            events: before.events + 2,
            audit: before.audit + 3,
            ..before.clone()
        }
    );
    assert_eq!(
        last_actions(&t, 3).await,
        [
            "registration.sent_to_officer.no_registry",
            "registration.consented",
            "confirmation.consent_to_registration.accepted",
        ]
    );
    assert_chain_verifies(&t).await;
}

backend_test!(an_officers_decision_commits_whole_or_not_at_all);
async fn an_officers_decision_commits_whole_or_not_at_all(db: Backend) {
    let t = TestServer::start(db).await;
    let head = who(&t).await;
    let mai = who(&t).await;
    let officer = who(&t).await;
    officers::grant_officer(
        t.state(),
        &officer.p.citizen_id,
        NewProvince::parse("ha_noi").unwrap(),
    )
    .await
    .unwrap();
    let reg = awaiting_consent(&t, &head, &mai).await;
    let target = ActionTarget::new("registration", reg.id.as_str()).unwrap();
    let consent = ConsentDecision {
        registration: reg.id.clone(),
        consent: true,
        request_digest: reg.consent_digest().unwrap(),
    };
    let c = confirm(
        &t,
        &mai,
        ActionKind::ConsentToRegistration,
        target.clone(),
        consent,
    )
    .await;
    let path = paths::fill(paths::REGISTRATION_CONSENT, "id", reg.id.as_str());
    let reg: RegistrationView = ok(t.post(&path, &c, Auth::Session(&mai.session)).await).await;
    assert_eq!(reg.status, RegistrationStatus::AwaitingOfficer);

    let path = paths::fill(paths::OFFICER_DECISION, "id", reg.id.as_str());
    let body = OfficerDecision {
        registration: reg.id.clone(),
        decision: Decision::Reject {
            reason: "Quyết định thành lập không rõ ràng.".into(),
        },
    };
    let (tr, officer_r, target_r, body_r, path_r) = (&t, &officer, &target, &body, &path);
    let (resp, before) = until_it_commits(
        &t,
        &reg,
        "registration.decision",
        "confirmation.review_registration.accepted",
        move || async move {
            let c = confirm(
                tr,
                officer_r,
                ActionKind::ReviewRegistration,
                target_r.clone(),
                body_r.clone(),
            )
            .await;
            tr.post(path_r, &c, Auth::Session(&officer_r.session)).await
        },
    )
    .await;
    let done: RegistrationView = ok(resp).await;
    assert_eq!(done.status, RegistrationStatus::Rejected);
    let emails = i64::from(head.p.email.is_some());
    assert_eq!(
        snapshot(&t, &reg).await,
        Snapshot {
            status: "rejected".into(),
            events: before.events + 1,
            // The requester's inbox, an SMS, and an e-mail when they gave one.
            notifications: before.notifications + 1,
            outbox: before.outbox + 1 + emails,
            audit: before.audit + 2,
            ..before.clone()
        }
    );
    assert_eq!(
        last_actions(&t, 2).await,
        [
            "registration.rejected",
            "confirmation.review_registration.accepted",
        ]
    );
    assert_chain_verifies(&t).await;
}

backend_test!(a_refusal_commits_whole_or_not_at_all);
async fn a_refusal_commits_whole_or_not_at_all(db: Backend) {
    let t = TestServer::start(db).await;
    let head = who(&t).await;
    let mai = who(&t).await;
    let reg = awaiting_consent(&t, &head, &mai).await;
    let path = paths::fill(paths::REGISTRATION_CONSENT, "id", reg.id.as_str());
    let target = ActionTarget::new("registration", reg.id.as_str()).unwrap();
    let body = ConsentDecision {
        registration: reg.id.clone(),
        consent: false,
        request_digest: reg.consent_digest().unwrap(),
    };
    let (tr, mai_r, target_r, body_r, path_r) = (&t, &mai, &target, &body, &path);
    let (resp, before) = until_it_commits(
        &t,
        &reg,
        "registration.consent",
        "confirmation.refuse_registration.accepted",
        move || async move {
            let c = confirm(
                tr,
                mai_r,
                ActionKind::RefuseRegistration,
                target_r.clone(),
                body_r.clone(),
            )
            .await;
            tr.post(path_r, &c, Auth::Session(&mai_r.session)).await
        },
    )
    .await;
    let done: RegistrationView = ok(resp).await;
    assert_eq!(done.status, RegistrationStatus::Withdrawn);
    let emails = i64::from(head.p.email.is_some());
    assert_eq!(
        snapshot(&t, &reg).await,
        Snapshot {
            status: "withdrawn".into(),
            consents_answered: 1,
            events: before.events + 1,
            // The requester is told: inbox, SMS, and an e-mail when they gave one.
            notifications: before.notifications + 1,
            outbox: before.outbox + 1 + emails,
            audit: before.audit + 2,
        }
    );
    assert_eq!(
        last_actions(&t, 2).await,
        [
            "registration.refused",
            "confirmation.refuse_registration.accepted",
        ]
    );
    assert_chain_verifies(&t).await;
}
