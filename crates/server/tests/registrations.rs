//! Organisation registration requests through HTTP: the automatic decision from the registry,
//! what goes to an officer and why, co-representatives' consent, duplicates, officer review,
//! due dates and the queue, the holiday table they are counted on, attachments, and who may
//! read what. Runs on SQLite and on
//! PostgreSQL (`backend_test!`).

use crate::common;
use crate::identity;

use chrono::{Datelike, NaiveDate, Weekday};
use common::{Auth, Device, Session, TestServer};
use common::{Backend, backend_test};
use dinhdanh_core::account::AccountLevel;
use dinhdanh_core::api::DeviceView;
use dinhdanh_core::api::{
    AttachmentView, ChallengePurpose, Confirmed, ConsentDecision, Decision, ErrorCode,
    InformationAnswer, MediaType, OfficerDecision, OfficerReviewReason, Page, QueueItem,
    RegistrationStatistics, RegistrationStatus, RegistrationSubmission, RegistrationView,
    RegistrationWithdrawal, RequesterCapacity, paths,
};
use dinhdanh_core::calendar::HolidayKind;
use dinhdanh_core::ids::{AttachmentId, NewProvince, TaxCode};
use dinhdanh_core::org_type::{
    AddressLine, Name, OrgField, OrgType, OrganisationDetails, OrganisationForm, RegistryKind,
    RepresentativeForm,
};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use dinhdanh_server::resources::holidays::{self, HolidayError, HolidayRefusal, NewHoliday};
use dinhdanh_server::testing::registrations::{
    read_calendar_and_hold, vietnam_date, working_days_after,
};
use dinhdanh_server::testing::registry::{self, RegistryEntry, RegistryStatus, RegistryUpdate};
use dinhdanh_server::testing::{accounts, officers, organisations};
use identity::{PASSCODE, Person, assert_error, sign_in, signed_in};
use rand_core::{OsRng, RngCore};
use serde::Serialize;

/// The name `identity::person` gives everyone.
const NAME: &str = "Nguyễn Thị Lan";
const ORG_NAME: &str = "Công ty TNHH Thử nghiệm Định Danh";
const ADDRESS: &str = "Số 18 phố Duy Tân, phường Cầu Giấy";
const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer\n%%EOF\n";

/// A person with a bound device, signed in.
struct Who {
    p: Person,
    device: Device,
    view: DeviceView,
    session: Session,
}

async fn who(t: &TestServer) -> Who {
    let (p, device, view, session) = signed_in(t).await;
    Who {
        p,
        device,
        view,
        session,
    }
}

impl Who {
    /// Signs in again (after the clock moved past the session's life).
    async fn refresh(&mut self, t: &TestServer) {
        self.session = sign_in(t, &self.p, &self.device, &self.view.id).await;
    }
}

/// An officer for `province`, signed in.
async fn officer(t: &TestServer, province: &str) -> Who {
    let w = who(t).await;
    officers::grant_officer(
        t.state(),
        &w.p.citizen_id,
        NewProvince::parse(province).unwrap(),
    )
    .await
    .unwrap();
    w
}

fn fresh_tax_code() -> TaxCode {
    loop {
        let body = 10_000_000 + OsRng.next_u32() % 890_000_000;
        if let Some(c) = TaxCode::from_body(body) {
            return c;
        }
    }
}

/// Puts an active enterprise with these representatives in the business registry.
async fn registered_enterprise(t: &TestServer, reps: &[&Person]) -> TaxCode {
    let code = fresh_tax_code();
    let entry = RegistryEntry {
        registry: RegistryKind::BusinessRegistry,
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
    code
}

/// The form of the enterprise with `code` as the registry knows it.
fn enterprise_form(code: &TaxCode, reps: &[&Person]) -> OrganisationForm {
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

/// A type-4 organisation's form with its founding decision.
fn unregistered_form(rep: &Person, decision: &AttachmentId) -> OrganisationForm {
    OrganisationForm {
        name_vi: format!("Câu lạc bộ Cờ tướng {}", OsRng.next_u32() % 100_000),
        established_on: "2019-09-01".into(),
        head_office_address: ADDRESS.into(),
        head_office_province: "ha_noi".into(),
        representatives: vec![RepresentativeForm {
            full_name: NAME.into(),
            citizen_id: rep.citizen_id.as_str().into(),
        }],
        contact_phone: "0912345678".into(),
        founding_decision: decision.as_str().into(),
        ..OrganisationForm::default()
    }
}

fn details(t: &TestServer, org_type: OrgType, form: &OrganisationForm) -> OrganisationDetails {
    form.validate(org_type, vietnam_date(t.now())).unwrap()
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
        None,
        target,
        PASSCODE,
    )
}

fn new_target() -> ActionTarget {
    ActionTarget::new("registration", "new").unwrap()
}

fn target(id: &RegistrationView) -> ActionTarget {
    ActionTarget::new("registration", id.id.as_str()).unwrap()
}

/// Submits `details` as `w`, confirmed.
async fn submit_raw(
    t: &TestServer,
    w: &Who,
    org_type: OrgType,
    details: OrganisationDetails,
) -> reqwest::Response {
    let body = RegistrationSubmission::new(org_type, details, &w.p.citizen_id);
    let c = confirm(t, w, ActionKind::RegisterOrganisation, new_target(), body).await;
    t.post(paths::REGISTRATIONS, &c, Auth::Session(&w.session))
        .await
}

async fn ok<T: serde::de::DeserializeOwned>(resp: reqwest::Response) -> T {
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn submit(
    t: &TestServer,
    w: &Who,
    org_type: OrgType,
    details: OrganisationDetails,
) -> RegistrationView {
    ok(submit_raw(t, w, org_type, details).await).await
}

async fn upload(t: &TestServer, w: &Who, kind: &str, content: &[u8]) -> reqwest::Response {
    let path = format!("{}?kind={kind}", paths::ATTACHMENTS);
    t.send("POST", &path, Some(content), Auth::Session(&w.session))
        .await
}

async fn uploaded(t: &TestServer, w: &Who, kind: &str) -> AttachmentView {
    ok(upload(t, w, kind, PDF).await).await
}

async fn get_registration(t: &TestServer, w: &Who, id: &RegistrationView) -> reqwest::Response {
    t.get(
        &paths::fill(paths::REGISTRATION, "id", id.id.as_str()),
        Auth::Session(&w.session),
    )
    .await
}

async fn decide(
    t: &TestServer,
    officer: &Who,
    reg: &RegistrationView,
    decision: Decision,
) -> reqwest::Response {
    let body = OfficerDecision {
        registration: reg.id.clone(),
        decision,
    };
    let c = confirm(
        t,
        officer,
        ActionKind::ReviewRegistration,
        target(reg),
        body,
    )
    .await;
    t.post(
        &paths::fill(paths::OFFICER_DECISION, "id", reg.id.as_str()),
        &c,
        Auth::Session(&officer.session),
    )
    .await
}

async fn queue(t: &TestServer, officer: &Who) -> Vec<QueueItem> {
    let page: Page<QueueItem> = ok(t
        .get(paths::OFFICER_QUEUE, Auth::Session(&officer.session))
        .await)
    .await;
    page.items
}

/// Messages the outbox sent to `recipient` of this kind.
fn sent(t: &TestServer, recipient: &str, kind: &str) -> usize {
    t.outbox()
        .iter()
        .filter(|m| m["to"] == recipient && m["kind"] == kind)
        .count()
}

backend_test!(an_enterprise_matching_the_registry_is_approved_automatically_and_the_requester_told);
async fn an_enterprise_matching_the_registry_is_approved_automatically_and_the_requester_told(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let an = who(&t).await;
    let code = registered_enterprise(&t, &[&an.p]).await;
    let d = details(&t, OrgType::Enterprise, &enterprise_form(&code, &[&an.p]));
    let reg = submit(&t, &an, OrgType::Enterprise, d).await;
    assert_eq!(reg.status, RegistrationStatus::Approved, "{reg:?}");
    assert_eq!(reg.capacity, RequesterCapacity::LegalRepresentative);
    let eid = reg.org_eid.clone().expect("an e-ID number");
    let check = reg.registry_check.clone().unwrap();
    assert!(check.found && check.active && check.requester_is_recorded_representative);
    assert!(check.mismatches.is_empty());
    assert_eq!(
        reg.due_on,
        working_days_after(t.state(), vietnam_date(reg.submitted_at.timestamp()), 3)
            .await
            .unwrap()
    );
    assert_eq!(
        organisations::find_active_by_code(t.state(), code.as_str())
            .await
            .unwrap(),
        Some(eid)
    );
    assert_eq!(
        sent(&t, &an.p.phone, "registration.registration_approved"),
        1
    );
    // The details are stored encrypted: no identification number in the row.
    let enc: Vec<u8> = sqlx::query_scalar("SELECT details_enc FROM registrations WHERE id = $1")
        .bind(reg.id.as_str())
        .fetch_one(&t.state().pool)
        .await
        .unwrap();
    assert!(
        !enc.windows(12)
            .any(|w| w == an.p.citizen_id.as_str().as_bytes())
    );
}

backend_test!(more_registry_checks_at_once_than_the_pool_has_connections_all_finish);
async fn more_registry_checks_at_once_than_the_pool_has_connections_all_finish(db: Backend) {
    // The registry check runs in the submission's transaction. Had it taken a second
    // connection of the pool (the registry's record, the requester's person), 24 submissions
    // at once would hold every connection (8 on SQLite, 16 on PostgreSQL) each waiting for
    // another, until the pool's 10-s timeout failed them.
    let t = TestServer::start(db).await;
    let mut ready = Vec::new();
    for _ in 0..24 {
        let w = who(&t).await;
        let code = registered_enterprise(&t, &[&w.p]).await;
        let d = details(&t, OrgType::Enterprise, &enterprise_form(&code, &[&w.p]));
        let body = RegistrationSubmission::new(OrgType::Enterprise, d, &w.p.citizen_id);
        let c = confirm(&t, &w, ActionKind::RegisterOrganisation, new_target(), body).await;
        ready.push((w, c));
    }
    let answers = futures_util::future::join_all(
        ready
            .iter()
            .map(|(w, c)| t.post(paths::REGISTRATIONS, c, Auth::Session(&w.session))),
    )
    .await;
    for resp in answers {
        let reg: RegistrationView = ok(resp).await;
        assert_eq!(reg.status, RegistrationStatus::Approved, "{reg:?}");
    }
}

backend_test!(an_authorised_requester_waits_for_an_officer_who_reads_the_letter);
async fn an_authorised_requester_waits_for_an_officer_who_reads_the_letter(db: Backend) {
    let t = TestServer::start(db).await;
    let boss = who(&t).await;
    let assistant = who(&t).await;
    let officer = officer(&t, "ha_noi").await;
    let code = registered_enterprise(&t, &[&boss.p]).await;
    let letter = uploaded(&t, &assistant, "authorisation_letter").await;
    let mut form = enterprise_form(&code, &[&boss.p]);
    // Without the letter the core's rules refuse an authorised person.
    let d = form
        .validate(OrgType::Enterprise, vietnam_date(t.now()))
        .unwrap();
    let err = assert_error(
        submit_raw(&t, &assistant, OrgType::Enterprise, d).await,
        ErrorCode::ValidationFailed,
    )
    .await;
    assert_eq!(
        err.details[0].field.as_deref(),
        Some("authorisation_letter")
    );
    form.authorisation_letter = letter.id.to_string();
    let reg = submit(
        &t,
        &assistant,
        OrgType::Enterprise,
        details(&t, OrgType::Enterprise, &form),
    )
    .await;
    // The legal representative, who has an account, confirms in the app first.
    assert_eq!(reg.status, RegistrationStatus::AwaitingConsent);
    let body = ConsentDecision {
        registration: reg.id.clone(),
        consent: true,
        request_digest: reg.consent_digest().unwrap(),
    };
    let c = confirm(
        &t,
        &boss,
        ActionKind::ConsentToRegistration,
        target(&reg),
        body,
    )
    .await;
    let reg: RegistrationView = ok(t
        .post(
            &paths::fill(paths::REGISTRATION_CONSENT, "id", reg.id.as_str()),
            &c,
            Auth::Session(&boss.session),
        )
        .await)
    .await;
    assert_eq!(reg.status, RegistrationStatus::AwaitingOfficer);
    assert_eq!(reg.capacity, RequesterCapacity::Authorised);
    assert_eq!(
        reg.due_on,
        vietnam_date(reg.submitted_at.timestamp())
            .checked_add_days(chrono::Days::new(15))
            .unwrap()
    );
    let items = queue(&t, &officer).await;
    assert_eq!(items.len(), 1);
    assert_eq!(
        items[0].reason,
        Some(OfficerReviewReason::AuthorisedRequester)
    );
    // The officer of the province reads the letter; the uploader too.
    for w in [&officer, &assistant] {
        let resp = t
            .get(
                &paths::fill(paths::ATTACHMENT, "id", letter.id.as_str()),
                Auth::Session(&w.session),
            )
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "application/pdf");
        assert_eq!(resp.bytes().await.unwrap().as_ref(), PDF);
    }
}

backend_test!(a_type_4_organisation_goes_to_an_officer_with_its_founding_decision);
async fn a_type_4_organisation_goes_to_an_officer_with_its_founding_decision(db: Backend) {
    let t = TestServer::start(db).await;
    let head = who(&t).await;
    let decision = uploaded(&t, &head, "founding_decision").await;
    let form = unregistered_form(&head.p, &decision.id);
    let org = OrgType::OrganisationWithoutRegistration;
    let reg = submit(&t, &head, org, details(&t, org, &form)).await;
    assert_eq!(reg.status, RegistrationStatus::AwaitingOfficer);
    assert!(reg.registry_check.is_none());
    assert_eq!(reg.attachments.len(), 1);
    assert_eq!(reg.attachments[0].id, decision.id);
    assert!(reg.history.iter().any(|e| matches!(
        e.kind,
        dinhdanh_core::api::RegistrationEventKind::SentToOfficer {
            reason: OfficerReviewReason::NoRegistry
        }
    )));
    // Without the decision the form itself is refused.
    let mut bare = form.clone();
    bare.founding_decision.clear();
    assert!(bare.validate(org, vietnam_date(t.now())).is_err());
}

backend_test!(registry_mismatches_and_unknown_codes_go_to_an_officer_with_the_reason);
async fn registry_mismatches_and_unknown_codes_go_to_an_officer_with_the_reason(db: Backend) {
    let t = TestServer::start(db).await;
    let an = who(&t).await;
    let code = registered_enterprise(&t, &[&an.p]).await;
    let mut form = enterprise_form(&code, &[&an.p]);
    form.name_vi = "Công ty TNHH Tên Khác".into();
    let reg = submit(
        &t,
        &an,
        OrgType::Enterprise,
        details(&t, OrgType::Enterprise, &form),
    )
    .await;
    assert_eq!(reg.status, RegistrationStatus::AwaitingOfficer);
    let check = reg.registry_check.clone().unwrap();
    assert_eq!(check.mismatches.len(), 1);
    assert_eq!(check.mismatches[0].field, OrgField::NameVi);
    assert_eq!(check.mismatches[0].registry_value, ORG_NAME);
    let items = officer_queue_reason(&t, &reg).await;
    assert_eq!(items, Some(OfficerReviewReason::RegistryMismatch));

    // A registry that does not know the code.
    let unknown = fresh_tax_code();
    let reg = submit(
        &t,
        &an,
        OrgType::Enterprise,
        details(
            &t,
            OrgType::Enterprise,
            &enterprise_form(&unknown, &[&an.p]),
        ),
    )
    .await;
    assert!(!reg.registry_check.clone().unwrap().found);
    assert_eq!(
        officer_queue_reason(&t, &reg).await,
        Some(OfficerReviewReason::NotInRegistry)
    );

    // The requester listed as representative, but the registry records someone else.
    let other = identity::person(&t, false).await;
    let code = registered_enterprise(&t, &[&other]).await;
    let reg = submit(
        &t,
        &an,
        OrgType::Enterprise,
        details(&t, OrgType::Enterprise, &enterprise_form(&code, &[&an.p])),
    )
    .await;
    let check = reg.registry_check.clone().unwrap();
    assert!(!check.requester_is_recorded_representative);
    assert_eq!(check.mismatches[0].field, OrgField::Representatives);
    assert!(
        !check.mismatches[0]
            .registry_value
            .contains(other.citizen_id.as_str()),
        "registry values are masked"
    );
    assert_eq!(
        officer_queue_reason(&t, &reg).await,
        Some(OfficerReviewReason::RepresentativeMismatch)
    );
}

/// The reason stored for a request.
async fn officer_queue_reason(
    t: &TestServer,
    reg: &RegistrationView,
) -> Option<OfficerReviewReason> {
    dinhdanh_server::testing::registrations::load(t.state(), &reg.id)
        .await
        .unwrap()
        .unwrap()
        .reason
}

backend_test!(co_representatives_consent_before_the_request_proceeds);
async fn co_representatives_consent_before_the_request_proceeds(db: Backend) {
    let t = TestServer::start(db).await;
    let an = who(&t).await;
    let mut mai = who(&t).await;
    let code = registered_enterprise(&t, &[&an.p, &mai.p]).await;
    let d = details(
        &t,
        OrgType::Enterprise,
        &enterprise_form(&code, &[&an.p, &mai.p]),
    );
    let reg = submit(&t, &an, OrgType::Enterprise, d).await;
    assert_eq!(reg.status, RegistrationStatus::AwaitingConsent);
    assert_eq!(reg.consents.len(), 1);
    assert_eq!(reg.consents[0].citizen_id_masked, mai.p.citizen_id.masked());
    assert_eq!(reg.consents[0].consented, None);
    assert_eq!(sent(&t, &mai.p.phone, "registration.consent_requested"), 1);
    // Mai sees it among hers; the requester cannot consent for her.
    let mine: Vec<RegistrationView> = ok(t
        .get(paths::REGISTRATIONS, Auth::Session(&mai.session))
        .await)
    .await;
    assert_eq!(mine.len(), 1);
    let body = ConsentDecision {
        registration: reg.id.clone(),
        consent: true,
        request_digest: reg.consent_digest().unwrap(),
    };
    let path = paths::fill(paths::REGISTRATION_CONSENT, "id", reg.id.as_str());
    let c = confirm(
        &t,
        &an,
        ActionKind::ConsentToRegistration,
        target(&reg),
        body.clone(),
    )
    .await;
    assert_error(
        t.post(&path, &c, Auth::Session(&an.session)).await,
        ErrorCode::Forbidden,
    )
    .await;
    mai.refresh(&t).await;
    let c = confirm(
        &t,
        &mai,
        ActionKind::ConsentToRegistration,
        target(&reg),
        body,
    )
    .await;
    let done: RegistrationView = ok(t.post(&path, &c, Auth::Session(&mai.session)).await).await;
    assert_eq!(done.status, RegistrationStatus::Approved, "{done:?}");
    assert_eq!(done.consents[0].consented, Some(true));
    assert!(done.org_eid.is_some());
}

backend_test!(a_requester_does_not_learn_which_co_representatives_have_an_account);
async fn a_requester_does_not_learn_which_co_representatives_have_an_account(db: Backend) {
    let t = TestServer::start(db).await;
    let an = who(&t).await;
    let mai = who(&t).await;
    // Hoa, the third legal representative, has no e-ID account.
    let hoa = Person {
        citizen_id: dinhdanh_core::ids::CitizenId::from_parts(
            dinhdanh_core::ids::OldProvince::from_code(1).unwrap(),
            dinhdanh_core::ids::Gender::Female,
            1991,
            OsRng.next_u32() % 1_000_000,
        )
        .unwrap(),
        password: String::new(),
        phone: "0911111111".into(),
        email: None,
        account: mai.p.account.clone(),
    };
    let code = registered_enterprise(&t, &[&an.p, &mai.p, &hoa]).await;
    let d = details(
        &t,
        OrgType::Enterprise,
        &enterprise_form(&code, &[&an.p, &mai.p, &hoa]),
    );
    let reg = submit(&t, &an, OrgType::Enterprise, d).await;
    let text = get_registration(&t, &an, &reg).await.text().await.unwrap();
    assert!(!text.contains(mai.p.account.as_str()), "{text}");
    let seen: RegistrationView = serde_json::from_str(&text).unwrap();
    // Both co-representatives are listed, alike: waiting, no account.
    assert_eq!(seen.consents.len(), 2);
    assert!(
        seen.consents
            .iter()
            .all(|c| c.account.is_none() && c.consented.is_none())
    );
    let masked: Vec<_> = seen.consents.iter().map(|c| &c.citizen_id_masked).collect();
    assert!(masked.contains(&&mai.p.citizen_id.masked()));
    assert!(masked.contains(&&hoa.citizen_id.masked()));
    // The officer of the province, who obtains Hoa's consent, sees who has an account.
    let officer = officer(&t, "ha_noi").await;
    let seen: RegistrationView = ok(get_registration(&t, &officer, &reg).await).await;
    let accounts: Vec<_> = seen
        .consents
        .iter()
        .filter_map(|c| c.account.as_ref())
        .collect();
    assert_eq!(accounts, vec![&mai.p.account]);
}

backend_test!(a_co_representatives_refusal_withdraws_the_request);
async fn a_co_representatives_refusal_withdraws_the_request(db: Backend) {
    let t = TestServer::start(db).await;
    let an = who(&t).await;
    let mai = who(&t).await;
    let code = registered_enterprise(&t, &[&an.p, &mai.p]).await;
    let d = details(
        &t,
        OrgType::Enterprise,
        &enterprise_form(&code, &[&an.p, &mai.p]),
    );
    let reg = submit(&t, &an, OrgType::Enterprise, d).await;
    let body = ConsentDecision {
        registration: reg.id.clone(),
        consent: false,
        request_digest: reg.consent_digest().unwrap(),
    };
    let path = paths::fill(paths::REGISTRATION_CONSENT, "id", reg.id.as_str());
    // A refusal confirmed as a consent does not pass: the kind is part of what is signed.
    let c = confirm(
        &t,
        &mai,
        ActionKind::ConsentToRegistration,
        target(&reg),
        body.clone(),
    )
    .await;
    assert!(
        !t.post(&path, &c, Auth::Session(&mai.session))
            .await
            .status()
            .is_success()
    );
    let c = confirm(&t, &mai, ActionKind::RefuseRegistration, target(&reg), body).await;
    let done: RegistrationView = ok(t.post(&path, &c, Auth::Session(&mai.session)).await).await;
    assert_eq!(done.status, RegistrationStatus::Withdrawn);
    assert_eq!(done.consents[0].consented, Some(false));
    assert_eq!(
        sent(&t, &an.p.phone, "registration.registration_rejected"),
        1
    );
    // The organisation can be asked for again.
    let d = details(
        &t,
        OrgType::Enterprise,
        &enterprise_form(&code, &[&an.p, &mai.p]),
    );
    let again = submit(&t, &an, OrgType::Enterprise, d).await;
    assert_eq!(again.status, RegistrationStatus::AwaitingConsent);
}

backend_test!(duplicate_requests_and_already_registered_organisations_get_clear_errors);
async fn duplicate_requests_and_already_registered_organisations_get_clear_errors(db: Backend) {
    let t = TestServer::start(db).await;
    let boss = identity::person(&t, false).await;
    let assistant = who(&t).await;
    let code = registered_enterprise(&t, &[&boss]).await;
    let letter = uploaded(&t, &assistant, "authorisation_letter").await;
    let mut form = enterprise_form(&code, &[&boss]);
    form.authorisation_letter = letter.id.to_string();
    let d = details(&t, OrgType::Enterprise, &form);
    submit(&t, &assistant, OrgType::Enterprise, d.clone()).await;
    let err = assert_error(
        submit_raw(&t, &assistant, OrgType::Enterprise, d).await,
        ErrorCode::DuplicateRegistration,
    )
    .await;
    assert_eq!(err.field.as_deref(), Some("enterprise_code"));

    let an = who(&t).await;
    let code = registered_enterprise(&t, &[&an.p]).await;
    let d = details(&t, OrgType::Enterprise, &enterprise_form(&code, &[&an.p]));
    let first = submit(&t, &an, OrgType::Enterprise, d.clone()).await;
    assert_eq!(first.status, RegistrationStatus::Approved);
    assert_error(
        submit_raw(&t, &an, OrgType::Enterprise, d).await,
        ErrorCode::OrganisationAlreadyRegistered,
    )
    .await;
}

backend_test!(an_officer_approves_rejects_and_asks_for_information_which_the_requester_answers);
async fn an_officer_approves_rejects_and_asks_for_information_which_the_requester_answers(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let head = who(&t).await;
    let officer = officer(&t, "ha_noi").await;
    let org = OrgType::OrganisationWithoutRegistration;
    let mut regs = Vec::new();
    for _ in 0..2 {
        let decision = uploaded(&t, &head, "founding_decision").await;
        let form = unregistered_form(&head.p, &decision.id);
        regs.push(submit(&t, &head, org, details(&t, org, &form)).await);
    }
    // Ask, answer, approve.
    let asked: RegistrationView = ok(decide(
        &t,
        &officer,
        &regs[0],
        Decision::RequestInformation {
            question: "Xin bổ sung bản sao điều lệ.".into(),
        },
    )
    .await)
    .await;
    assert_eq!(asked.status, RegistrationStatus::InformationRequested);
    assert_eq!(
        sent(&t, &head.p.phone, "registration.information_requested"),
        1
    );
    let extra = uploaded(&t, &head, "founding_decision").await;
    let body = InformationAnswer {
        registration: regs[0].id.clone(),
        answer: "Đã gửi kèm điều lệ.".into(),
        corrected_details: None,
        attachments: vec![extra.id.clone()],
    };
    let c = confirm(
        &t,
        &head,
        ActionKind::AnswerInformationRequest,
        target(&regs[0]),
        body,
    )
    .await;
    let answered: RegistrationView = ok(t
        .post(
            &paths::fill(paths::REGISTRATION_ANSWER, "id", regs[0].id.as_str()),
            &c,
            Auth::Session(&head.session),
        )
        .await)
    .await;
    assert_eq!(answered.status, RegistrationStatus::AwaitingOfficer);
    assert_eq!(answered.attachments.len(), 2);
    let approved: RegistrationView =
        ok(decide(&t, &officer, &regs[0], Decision::Approve).await).await;
    assert_eq!(approved.status, RegistrationStatus::Approved);
    let eid = approved.org_eid.clone().unwrap();
    assert!(approved.history.iter().any(|e| {
        e.actor
            .as_ref()
            .is_some_and(|a| a.account == officer.p.account)
    }));
    assert!(
        organisations::find_organisation(t.state(), &eid)
            .await
            .unwrap()
            .is_some()
    );
    // A reason with an invisible character (it reaches the requester's screen) is refused.
    let err = assert_error(
        decide(
            &t,
            &officer,
            &regs[1],
            Decision::Reject {
                reason: "Quyết định\u{200B} thành lập không hợp lệ.".into(),
            },
        )
        .await,
        ErrorCode::ValidationFailed,
    )
    .await;
    assert_eq!(
        err.details[0].field.as_deref(),
        Some("body.decision.reason")
    );
    assert_eq!(err.details[0].code, "control_character");
    // Reject with a reason; a decided request cannot be decided again.
    let rejected: RegistrationView = ok(decide(
        &t,
        &officer,
        &regs[1],
        Decision::Reject {
            reason: "Quyết định thành lập không hợp lệ.".into(),
        },
    )
    .await)
    .await;
    assert_eq!(rejected.status, RegistrationStatus::Rejected);
    assert_eq!(
        sent(&t, &head.p.phone, "registration.registration_rejected"),
        1
    );
    assert_error(
        decide(&t, &officer, &regs[1], Decision::Approve).await,
        ErrorCode::InvalidState,
    )
    .await;
    // The requester cannot decide, nor can an officer of another province.
    let elsewhere = officer_of_other_province(&t).await;
    let decision = uploaded(&t, &head, "founding_decision").await;
    let third = submit(
        &t,
        &head,
        org,
        details(&t, org, &unregistered_form(&head.p, &decision.id)),
    )
    .await;
    assert_error(
        decide(&t, &head, &third, Decision::Approve).await,
        ErrorCode::Forbidden,
    )
    .await;
    assert_error(
        decide(&t, &elsewhere, &third, Decision::Approve).await,
        ErrorCode::Forbidden,
    )
    .await;
    assert_error(
        get_registration(&t, &elsewhere, &third).await,
        ErrorCode::Forbidden,
    )
    .await;
    assert!(queue(&t, &elsewhere).await.is_empty());
    // The requester withdraws it.
    let body = RegistrationWithdrawal {
        registration: third.id.clone(),
    };
    let c = confirm(
        &t,
        &head,
        ActionKind::WithdrawRegistration,
        target(&third),
        body,
    )
    .await;
    let withdrawn: RegistrationView = ok(t
        .post(
            &paths::fill(paths::REGISTRATION_WITHDRAWAL, "id", third.id.as_str()),
            &c,
            Auth::Session(&head.session),
        )
        .await)
    .await;
    assert_eq!(withdrawn.status, RegistrationStatus::Withdrawn);
}

backend_test!(corrected_details_are_checked_against_the_registry_again);
/// An enterprise sent to an officer for a mismatch with the registry, asked for information and
/// answered with corrected details: the registry is asked again, inside the answer's
/// transaction (on its connection: a pool of one connection has no second to give).
async fn corrected_details_are_checked_against_the_registry_again(db: Backend) {
    let t = TestServer::start(db).await;
    let an = who(&t).await;
    let officer = officer(&t, "ha_noi").await;
    let code = registered_enterprise(&t, &[&an.p]).await;
    let right = enterprise_form(&code, &[&an.p]);
    let mut wrong = right.clone();
    wrong.name_vi = "Công ty TNHH Tên Khác".into();
    let org = OrgType::Enterprise;
    let reg = submit(&t, &an, org, details(&t, org, &wrong)).await;
    assert_eq!(reg.status, RegistrationStatus::AwaitingOfficer);
    assert_eq!(reg.registry_check.clone().unwrap().mismatches.len(), 1);
    let asked: RegistrationView = ok(decide(
        &t,
        &officer,
        &reg,
        Decision::RequestInformation {
            question: "Tên doanh nghiệp khác với đăng ký.".into(),
        },
    )
    .await)
    .await;
    assert_eq!(asked.status, RegistrationStatus::InformationRequested);
    let answered: RegistrationView =
        ok(answer_raw(&t, &an, &asked, Some(details(&t, org, &right))).await).await;
    assert_eq!(answered.status, RegistrationStatus::AwaitingOfficer);
    assert_eq!(answered.details.name_vi.as_str(), ORG_NAME);
    let check = answered.registry_check.unwrap();
    assert!(check.found && check.active, "{check:?}");
    assert!(check.mismatches.is_empty(), "{check:?}");
}

/// `w` answers the officer's question on `reg`, with `corrected` details if any.
async fn answer_raw(
    t: &TestServer,
    w: &Who,
    reg: &RegistrationView,
    corrected: Option<OrganisationDetails>,
) -> reqwest::Response {
    let body = InformationAnswer {
        registration: reg.id.clone(),
        answer: "Đã sửa theo yêu cầu.".into(),
        corrected_details: corrected,
        attachments: Vec::new(),
    };
    let c = confirm(
        t,
        w,
        ActionKind::AnswerInformationRequest,
        target(reg),
        body,
    )
    .await;
    t.post(
        &paths::fill(paths::REGISTRATION_ANSWER, "id", reg.id.as_str()),
        &c,
        Auth::Session(&w.session),
    )
    .await
}

/// `w` consents to `reg` as a co-representative.
async fn consent(t: &TestServer, w: &Who, reg: &RegistrationView) -> RegistrationView {
    let body = ConsentDecision {
        registration: reg.id.clone(),
        consent: true,
        request_digest: reg.consent_digest().unwrap(),
    };
    let c = confirm(t, w, ActionKind::ConsentToRegistration, target(reg), body).await;
    ok(t.post(
        &paths::fill(paths::REGISTRATION_CONSENT, "id", reg.id.as_str()),
        &c,
        Auth::Session(&w.session),
    )
    .await)
    .await
}

/// The officer asks a question about `reg`.
async fn ask(t: &TestServer, officer: &Who, reg: &RegistrationView) {
    let asked: RegistrationView = ok(decide(
        t,
        officer,
        reg,
        Decision::RequestInformation {
            question: "Xin kiểm tra lại thông tin tổ chức.".into(),
        },
    )
    .await)
    .await;
    assert_eq!(asked.status, RegistrationStatus::InformationRequested);
}

backend_test!(an_answer_cannot_change_the_representatives_who_consented);
async fn an_answer_cannot_change_the_representatives_who_consented(db: Backend) {
    let t = TestServer::start(db).await;
    let head = who(&t).await;
    let co = who(&t).await;
    let newcomer = who(&t).await;
    let officer = officer(&t, "ha_noi").await;
    let org = OrgType::OrganisationWithoutRegistration;
    let decision = uploaded(&t, &head, "founding_decision").await;
    let mut form = unregistered_form(&head.p, &decision.id);
    form.representatives.push(RepresentativeForm {
        full_name: NAME.into(),
        citizen_id: co.p.citizen_id.as_str().into(),
    });
    let reg = submit(&t, &head, org, details(&t, org, &form)).await;
    assert_eq!(reg.status, RegistrationStatus::AwaitingConsent);
    let reg = consent(&t, &co, &reg).await;
    assert_eq!(reg.status, RegistrationStatus::AwaitingOfficer);
    ask(&t, &officer, &reg).await;

    // Adding a representative, dropping the one who consented, or replacing them: refused
    // with a sentence, and the request is as it was.
    let newcomer_row = RepresentativeForm {
        full_name: NAME.into(),
        citizen_id: newcomer.p.citizen_id.as_str().into(),
    };
    let mut added = form.clone();
    added.representatives.push(newcomer_row.clone());
    let mut dropped = form.clone();
    dropped.representatives.truncate(1);
    let mut replaced = form.clone();
    replaced.representatives[1] = newcomer_row;
    for changed in [added, dropped, replaced] {
        let err = assert_error(
            answer_raw(&t, &head, &reg, Some(details(&t, org, &changed))).await,
            ErrorCode::ValidationFailed,
        )
        .await;
        assert_eq!(
            err.details[0].code, "representatives.changed_after_consent",
            "{err:?}"
        );
        assert!(err.details[0].message_vi.contains("rút yêu cầu"));
    }
    let now: RegistrationView = ok(get_registration(&t, &head, &reg).await).await;
    assert_eq!(now.status, RegistrationStatus::InformationRequested);
    assert_eq!(now.details, reg.details);
    let theirs: Vec<RegistrationView> = ok(t
        .get(paths::REGISTRATIONS, Auth::Session(&newcomer.session))
        .await)
    .await;
    assert!(theirs.is_empty(), "the newcomer was never asked");

    // Correcting the organisation's own details, the same people listed, goes through.
    let mut corrected = form.clone();
    corrected.head_office_address = "Số 20 phố Duy Tân, phường Cầu Giấy".into();
    corrected.established_on = "2019-09-02".into();
    let answered: RegistrationView =
        ok(answer_raw(&t, &head, &reg, Some(details(&t, org, &corrected))).await).await;
    assert_eq!(answered.status, RegistrationStatus::AwaitingOfficer);
    assert_eq!(
        answered.details.head_office.address.as_str(),
        corrected.head_office_address
    );
}

backend_test!(an_answer_cannot_replace_the_authorisation_letter_the_representative_confirmed);
async fn an_answer_cannot_replace_the_authorisation_letter_the_representative_confirmed(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let boss = who(&t).await;
    let assistant = who(&t).await;
    let officer = officer(&t, "ha_noi").await;
    let org = OrgType::OrganisationWithoutRegistration;
    let decision = uploaded(&t, &assistant, "founding_decision").await;
    let letter = uploaded(&t, &assistant, "authorisation_letter").await;
    let mut form = unregistered_form(&boss.p, &decision.id);
    form.authorisation_letter = letter.id.to_string();
    let reg = submit(&t, &assistant, org, details(&t, org, &form)).await;
    assert_eq!(reg.capacity, RequesterCapacity::Authorised);
    let reg = consent(&t, &boss, &reg).await;
    assert_eq!(reg.status, RegistrationStatus::AwaitingOfficer);
    ask(&t, &officer, &reg).await;

    let other = uploaded(&t, &assistant, "authorisation_letter").await;
    let mut changed = form.clone();
    changed.authorisation_letter = other.id.to_string();
    let err = assert_error(
        answer_raw(&t, &assistant, &reg, Some(details(&t, org, &changed))).await,
        ErrorCode::ValidationFailed,
    )
    .await;
    assert_eq!(
        err.details[0].code,
        "authorisation_letter.changed_after_consent"
    );
    let now: RegistrationView = ok(get_registration(&t, &assistant, &reg).await).await;
    assert_eq!(now.status, RegistrationStatus::InformationRequested);
    assert_eq!(now.details.authorisation_letter, Some(letter.id.clone()));
}

async fn officer_of_other_province(t: &TestServer) -> Who {
    officer(t, "ho_chi_minh").await
}

backend_test!(due_dates_skip_weekends_and_overdue_requests_head_the_queue);
async fn due_dates_skip_weekends_and_overdue_requests_head_the_queue(db: Backend) {
    let t = TestServer::start(db).await;
    // Move to a Friday.
    let today = vietnam_date(t.now());
    let to_friday =
        (7 + Weekday::Fri.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    t.clock.advance(i64::from(to_friday) * 86_400);
    let mut head = who(&t).await;
    let mut officer = officer(&t, "ha_noi").await;
    let friday = vietnam_date(t.now());
    assert_eq!(friday.weekday(), Weekday::Fri);

    // Settled by the registry on a Friday: due the next Wednesday.
    let code = registered_enterprise(&t, &[&head.p]).await;
    let quick = submit(
        &t,
        &head,
        OrgType::Enterprise,
        details(&t, OrgType::Enterprise, &enterprise_form(&code, &[&head.p])),
    )
    .await;
    assert_eq!(quick.due_on, friday + chrono::Days::new(5));
    assert_eq!(quick.due_on.weekday(), Weekday::Wed);

    // Verified by an officer: 15 days.
    let org = OrgType::OrganisationWithoutRegistration;
    let decision = uploaded(&t, &head, "founding_decision").await;
    let old = submit(
        &t,
        &head,
        org,
        details(&t, org, &unregistered_form(&head.p, &decision.id)),
    )
    .await;
    assert_eq!(old.due_on, friday + chrono::Days::new(15));

    t.clock.advance(20 * 86_400);
    head.refresh(&t).await;
    officer.refresh(&t).await;
    let decision = uploaded(&t, &head, "founding_decision").await;
    let new = submit(
        &t,
        &head,
        org,
        details(&t, org, &unregistered_form(&head.p, &decision.id)),
    )
    .await;
    assert!(!new.overdue);
    let seen: RegistrationView = ok(get_registration(&t, &head, &old).await).await;
    assert!(seen.overdue);

    let items = queue(&t, &officer).await;
    let ids: Vec<_> = items.iter().map(|i| (i.id.clone(), i.overdue)).collect();
    assert_eq!(ids, [(old.id.clone(), true), (new.id.clone(), false)]);

    let stats: RegistrationStatistics = ok(t
        .get(paths::OFFICER_STATISTICS, Auth::Session(&officer.session))
        .await)
    .await;
    assert_eq!(stats.overdue, 1);
    assert_eq!(stats.decided_late, 0);
    ok::<RegistrationView>(decide(&t, &officer, &old, Decision::Approve).await).await;
    let stats: RegistrationStatistics = ok(t
        .get(paths::OFFICER_STATISTICS, Auth::Session(&officer.session))
        .await)
    .await;
    assert_eq!((stats.overdue, stats.decided_late), (0, 1));
    let approved = stats
        .by_status
        .iter()
        .find(|(s, _)| *s == RegistrationStatus::Approved)
        .map(|(_, n)| *n);
    assert_eq!(approved, Some(2));
    // Statistics are for officers only.
    assert_error(
        t.get(paths::OFFICER_STATISTICS, Auth::Session(&head.session))
            .await,
        ErrorCode::Forbidden,
    )
    .await;
}

backend_test!(an_upload_without_a_session_is_refused_before_its_body_is_read);
async fn an_upload_without_a_session_is_refused_before_its_body_is_read(db: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let t = TestServer::start(db).await;
    let mut conn = tokio::net::TcpStream::connect(t.server.addr).await.unwrap();
    // Announces the largest document, sends 1 KiB of it and waits: the answer must not wait
    // for the rest.
    let head = format!(
        "POST {}?kind=founding_decision HTTP/1.1\r\nHost: {}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
        paths::ATTACHMENTS,
        t.server.addr,
        MediaType::MAX_SIZE
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(&[b' '; 1024]).await.unwrap();
    let mut answer = [0u8; 12];
    tokio::time::timeout(
        std::time::Duration::from_secs(3),
        conn.read_exact(&mut answer),
    )
    .await
    .expect("answered without the body")
    .unwrap();
    assert_eq!(&answer, b"HTTP/1.1 401");
}

backend_test!(an_account_uploads_at_most_its_quota_a_day);
async fn an_account_uploads_at_most_its_quota_a_day(db: Backend) {
    let t = TestServer::start(db).await;
    let mut w = who(&t).await;
    let other = who(&t).await;
    for _ in 0..20 {
        uploaded(&t, &w, "founding_decision").await;
    }
    assert_error(
        upload(&t, &w, "founding_decision", PDF).await,
        ErrorCode::AttachmentQuotaExceeded,
    )
    .await;
    // The quota is the account's own.
    uploaded(&t, &other, "founding_decision").await;
    // A day later the account may upload again.
    t.clock.advance(24 * 3600 + 1);
    w.refresh(&t).await;
    uploaded(&t, &w, "founding_decision").await;
}

backend_test!(an_account_uploads_at_most_its_byte_quota_a_day_counting_the_upload_itself);
async fn an_account_uploads_at_most_its_byte_quota_a_day_counting_the_upload_itself(db: Backend) {
    let t = TestServer::start(db).await;
    let w = who(&t).await;
    let max = usize::try_from(MediaType::MAX_SIZE).unwrap();
    let document = |len: usize| {
        let mut d = PDF.to_vec();
        d.resize(len, b' ');
        d
    };
    // 1 KiB short of the day's 50 MiB.
    for _ in 0..4 {
        ok::<AttachmentView>(upload(&t, &w, "founding_decision", &document(max)).await).await;
    }
    ok::<AttachmentView>(upload(&t, &w, "founding_decision", &document(max - 1024)).await).await;
    // 2 KiB more would pass the quota; 1 KiB does not.
    assert_error(
        upload(&t, &w, "founding_decision", &document(2048)).await,
        ErrorCode::AttachmentQuotaExceeded,
    )
    .await;
    ok::<AttachmentView>(upload(&t, &w, "founding_decision", &document(1024)).await).await;
}

backend_test!(an_upload_whose_body_is_not_the_one_the_proof_signs_is_refused);
async fn an_upload_whose_body_is_not_the_one_the_proof_signs_is_refused(db: Backend) {
    let t = TestServer::start(db).await;
    let w = who(&t).await;
    let path = format!("{}?kind=founding_decision", paths::ATTACHMENTS);
    let mut nonce = [0u8; 16];
    OsRng.fill_bytes(&mut nonce);
    // The proof signs one document; another is sent.
    let proof = dinhdanh_core::request_proof::ProofClaims::new(
        "POST",
        &path,
        PDF,
        Some(w.session.token.hash()),
        t.now(),
        nonce,
    )
    .unwrap()
    .sign_with(&w.session.key)
    .to_header_value();
    let resp = t
        .http
        .post(format!("{}{path}", t.server.base_url()))
        .header(
            "authorization",
            format!("DinhDanh {}", w.session.token.expose()),
        )
        .header(dinhdanh_core::request_proof::HEADER_NAME, proof)
        .body(b"%PDF-1.4 another document".to_vec())
        .send()
        .await
        .unwrap();
    assert_error(resp, ErrorCode::InvalidRequestProof).await;
    // Nothing was stored.
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM attachments WHERE owner_account = $1")
            .bind(w.p.account.as_str())
            .fetch_one(&t.state().pool)
            .await
            .unwrap();
    assert_eq!(stored, 0);
}

backend_test!(attachments_must_be_pdf_jpeg_or_png_within_the_size_limit);
async fn attachments_must_be_pdf_jpeg_or_png_within_the_size_limit(db: Backend) {
    let t = TestServer::start(db).await;
    let w = who(&t).await;
    let exe = upload(&t, &w, "founding_decision", b"MZ\x90\0 not a document").await;
    let err = assert_error(exe, ErrorCode::AttachmentRejected).await;
    assert_eq!(err.field.as_deref(), Some("media_type"));
    let html = upload(&t, &w, "founding_decision", b"<html>%PDF-</html>").await;
    assert_error(html, ErrorCode::AttachmentRejected).await;
    let mut big = PDF.to_vec();
    big.resize(usize::try_from(MediaType::MAX_SIZE).unwrap() + 1, b' ');
    let err = assert_error(
        upload(&t, &w, "founding_decision", &big).await,
        ErrorCode::AttachmentRejected,
    )
    .await;
    assert_eq!(err.field.as_deref(), Some("size"));
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    let v: AttachmentView = ok(upload(&t, &w, "authorisation_letter", png).await).await;
    assert_eq!(v.media_type, MediaType::Png);
    assert_eq!(v.size, png.len() as u64);
    let unknown_kind = upload(&t, &w, "selfie", PDF).await;
    assert!(!unknown_kind.status().is_success());
}

backend_test!(another_person_cannot_read_an_attachment_or_use_it_in_a_request);
async fn another_person_cannot_read_an_attachment_or_use_it_in_a_request(db: Backend) {
    let t = TestServer::start(db).await;
    let owner = who(&t).await;
    let other = who(&t).await;
    let doc = uploaded(&t, &owner, "founding_decision").await;
    let path = paths::fill(paths::ATTACHMENT, "id", doc.id.as_str());
    assert_error(
        t.get(&path, Auth::Session(&other.session)).await,
        ErrorCode::Forbidden,
    )
    .await;
    // An officer of the province, while it is attached to no request, cannot either.
    let officer = officer(&t, "ha_noi").await;
    assert_error(
        t.get(&path, Auth::Session(&officer.session)).await,
        ErrorCode::Forbidden,
    )
    .await;
    let org = OrgType::OrganisationWithoutRegistration;
    let form = unregistered_form(&other.p, &doc.id);
    let err = assert_error(
        submit_raw(&t, &other, org, details(&t, org, &form)).await,
        ErrorCode::ValidationFailed,
    )
    .await;
    assert_eq!(err.details[0].field.as_deref(), Some("founding_decision"));
    // Once the owner's request carries it, the officer of the province reads it.
    let form = unregistered_form(&owner.p, &doc.id);
    submit(&t, &owner, org, details(&t, org, &form)).await;
    assert_eq!(
        t.get(&path, Auth::Session(&officer.session)).await.status(),
        200
    );
    assert_error(
        t.get(&path, Auth::Session(&other.session)).await,
        ErrorCode::Forbidden,
    )
    .await;
}

backend_test!(a_person_cannot_read_another_persons_registration);
async fn a_person_cannot_read_another_persons_registration(db: Backend) {
    let t = TestServer::start(db).await;
    let owner = who(&t).await;
    let other = who(&t).await;
    let decision = uploaded(&t, &owner, "founding_decision").await;
    let org = OrgType::OrganisationWithoutRegistration;
    let reg = submit(
        &t,
        &owner,
        org,
        details(&t, org, &unregistered_form(&owner.p, &decision.id)),
    )
    .await;
    assert_eq!(get_registration(&t, &owner, &reg).await.status(), 200);
    assert_error(
        get_registration(&t, &other, &reg).await,
        ErrorCode::Forbidden,
    )
    .await;
    let theirs: Vec<RegistrationView> = ok(t
        .get(paths::REGISTRATIONS, Auth::Session(&other.session))
        .await)
    .await;
    assert!(theirs.is_empty());
    // Nor withdraw it.
    let body = RegistrationWithdrawal {
        registration: reg.id.clone(),
    };
    let c = confirm(
        &t,
        &other,
        ActionKind::WithdrawRegistration,
        target(&reg),
        body,
    )
    .await;
    assert_error(
        t.post(
            &paths::fill(paths::REGISTRATION_WITHDRAWAL, "id", reg.id.as_str()),
            &c,
            Auth::Session(&other.session),
        )
        .await,
        ErrorCode::Forbidden,
    )
    .await;
}

backend_test!(a_level_1_account_cannot_submit_and_a_submission_needs_a_confirmation);
async fn a_level_1_account_cannot_submit_and_a_submission_needs_a_confirmation(db: Backend) {
    let t = TestServer::start(db).await;
    let w = who(&t).await;
    let code = registered_enterprise(&t, &[&w.p]).await;
    let d = details(&t, OrgType::Enterprise, &enterprise_form(&code, &[&w.p]));
    let body = RegistrationSubmission::new(OrgType::Enterprise, d.clone(), &w.p.citizen_id);
    let unconfirmed = serde_json::json!({ "body": body });
    assert_error(
        t.post(
            paths::REGISTRATIONS,
            &unconfirmed,
            Auth::Session(&w.session),
        )
        .await,
        ErrorCode::StepUpRequired,
    )
    .await;
    // A capacity that disagrees with the representatives is refused.
    let mut lying = body.clone();
    lying.capacity = RequesterCapacity::Authorised;
    let c = confirm(
        &t,
        &w,
        ActionKind::RegisterOrganisation,
        new_target(),
        lying,
    )
    .await;
    let err = assert_error(
        t.post(paths::REGISTRATIONS, &c, Auth::Session(&w.session))
            .await,
        ErrorCode::ValidationFailed,
    )
    .await;
    assert_eq!(err.details[0].field.as_deref(), Some("capacity"));

    accounts::set_level(t.state(), &w.p.account, AccountLevel::Level1)
        .await
        .unwrap();
    assert_error(
        submit_raw(&t, &w, OrgType::Enterprise, d).await,
        ErrorCode::LevelTooLow,
    )
    .await;
    // A level-1 account is told so before it is asked for a passcode.
    assert_error(
        t.post(
            paths::REGISTRATIONS,
            &unconfirmed,
            Auth::Session(&w.session),
        )
        .await,
        ErrorCode::LevelTooLow,
    )
    .await;
}

backend_test!(an_officer_registers_in_person_with_the_same_checks_and_records);
async fn an_officer_registers_in_person_with_the_same_checks_and_records(db: Backend) {
    let t = TestServer::start(db).await;
    let head = who(&t).await;
    let officer = officer(&t, "ha_noi").await;
    let code = registered_enterprise(&t, &[&head.p]).await;
    let form = enterprise_form(&code, &[&head.p]);
    let view = dinhdanh_server::testing::registrations::register_in_person(
        t.state(),
        &officer.p.citizen_id,
        &head.p.citizen_id,
        OrgType::Enterprise,
        &form,
        &[],
    )
    .await
    .unwrap();
    assert_eq!(view.status, RegistrationStatus::Approved);
    assert_eq!(view.requester.account.as_ref(), Some(&head.p.account));
    let actor: Option<String> = sqlx::query_scalar(
        "SELECT actor FROM audit_log WHERE action = 'registration.submitted' AND object = $1",
    )
    .bind(format!("registration:{}", view.id))
    .fetch_one(&t.state().pool)
    .await
    .unwrap();
    assert_eq!(actor.as_deref(), Some(officer.p.account.as_str()));
    // The same organisation again: refused like in the app.
    let again = dinhdanh_server::testing::registrations::register_in_person(
        t.state(),
        &officer.p.citizen_id,
        &head.p.citizen_id,
        OrgType::Enterprise,
        &form,
        &[],
    )
    .await;
    assert!(again.is_err_and(|e| e.is(ErrorCode::OrganisationAlreadyRegistered)));
    // A person who is no officer cannot.
    let not_officer = dinhdanh_server::testing::registrations::register_in_person(
        t.state(),
        &head.p.citizen_id,
        &head.p.citizen_id,
        OrgType::Enterprise,
        &enterprise_form(&registered_enterprise(&t, &[&head.p]).await, &[&head.p]),
        &[],
    )
    .await;
    assert!(not_officer.is_err_and(|e| e.is(ErrorCode::Forbidden)));
}

backend_test!(registry_changes_are_listed_in_order_and_dissolution_closes_the_account);
async fn registry_changes_are_listed_in_order_and_dissolution_closes_the_account(db: Backend) {
    let t = TestServer::start(db).await;
    let an = who(&t).await;
    let code = registered_enterprise(&t, &[&an.p]).await;
    let d = details(&t, OrgType::Enterprise, &enterprise_form(&code, &[&an.p]));
    let reg = submit(&t, &an, OrgType::Enterprise, d).await;
    assert!(reg.org_eid.is_some());
    let other = identity::person(&t, false).await;
    let kind = RegistryKind::BusinessRegistry;
    let first = registry::record_change(
        t.state(),
        kind,
        &code,
        RegistryUpdate::Representatives(vec![(
            other.citizen_id.clone(),
            Name::parse(NAME).unwrap(),
        )]),
    )
    .await
    .unwrap();
    let record = registry::adapter(t.state(), kind)
        .lookup(&code)
        .await
        .unwrap()
        .unwrap();
    assert!(record.has_representative(&t.state().keys.citizen_key(&other.citizen_id)));
    assert!(!record.has_representative(&t.state().keys.citizen_key(&an.p.citizen_id)));
    let second = registry::record_change(t.state(), kind, &code, RegistryUpdate::Dissolve)
        .await
        .unwrap();
    assert!(second.seq > first.seq);
    let changes = registry::changes_since(t.state(), 0, 10).await.unwrap();
    assert_eq!(changes.len(), 2);
    assert_eq!(
        registry::changes_since(t.state(), first.seq, 10)
            .await
            .unwrap(),
        [second]
    );
    assert_eq!(
        organisations::find_active_by_code(t.state(), code.as_str())
            .await
            .unwrap(),
        None,
        "the dissolved organisation's account is closed"
    );
}

backend_test!(the_shipped_registries_load_idempotently_with_the_demo_organisations);
async fn the_shipped_registries_load_idempotently_with_the_demo_organisations(db: Backend) {
    let t = TestServer::start(db).await;
    let n = registry::seed_registry(t.state()).await.unwrap();
    assert!(n >= 10_000);
    assert_eq!(registry::seed_registry(t.state()).await.unwrap(), n);
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM registry_organisations")
        .fetch_one(&t.state().pool)
        .await
        .unwrap();
    assert_eq!(usize::try_from(count).unwrap(), n);
    let code = TaxCode::parse(registry::demo::AN_AND_MAI_ENTERPRISE).unwrap();
    let record = registry::adapter(t.state(), RegistryKind::BusinessRegistry)
        .lookup(&code)
        .await
        .unwrap()
        .unwrap();
    let names: Vec<&str> = record
        .representatives
        .iter()
        .map(|r| r.full_name.as_str())
        .collect();
    assert_eq!(names, ["Nguyễn Văn An", "Trần Thị Mai"]);
    assert!(
        registry::adapter(t.state(), RegistryKind::TaxRegistry)
            .lookup(&code)
            .await
            .unwrap()
            .is_none(),
        "each registry answers for its own organisations"
    );
    let totals = registry::population(t.state(), NewProvince::parse("ha_noi").unwrap())
        .await
        .unwrap();
    assert!(totals.get(&OrgType::Enterprise).copied().unwrap_or(0) > 100);
}

backend_test!(the_demo_enterprise_of_nguyen_van_an_is_approved_automatically_after_seeding);
async fn the_demo_enterprise_of_nguyen_van_an_is_approved_automatically_after_seeding(db: Backend) {
    let t = TestServer::start(db).await;
    dinhdanh_server::testing::seed::seed_demo(t.state())
        .await
        .unwrap();
    registry::seed_registry(t.state()).await.unwrap();
    let demo = dinhdanh_server::testing::seed::DEMO_ACCOUNTS[0];
    let citizen_id = dinhdanh_core::ids::CitizenId::parse(demo.citizen_id).unwrap();
    let record = accounts::find_citizen(t.state(), &citizen_id)
        .await
        .unwrap()
        .unwrap();
    let account = accounts::find_account_by_citizen(t.state(), &citizen_id)
        .await
        .unwrap()
        .unwrap();
    let p = Person {
        citizen_id,
        password: demo.password.to_owned(),
        phone: record.phone.as_str().to_owned(),
        email: record.email.map(|e| e.as_str().to_owned()),
        account: account.id,
    };
    let device = Device::new();
    let view = identity::bind(&t, &p, &device).await;
    let session = sign_in(&t, &p, &device, &view.id).await;
    let an = Who {
        p,
        device,
        view,
        session,
    };
    let code = TaxCode::parse(registry::demo::AN_ENTERPRISE).unwrap();
    let form = OrganisationForm {
        name_vi: "Công ty TNHH Phần mềm An Phát".into(),
        established_on: "2015-04-20".into(),
        head_office_address: "Số 18 phố Duy Tân, phường Cầu Giấy".into(),
        head_office_province: "ha_noi".into(),
        enterprise_code: code.as_str().into(),
        representatives: vec![RepresentativeForm {
            full_name: demo.full_name.into(),
            citizen_id: demo.citizen_id.into(),
        }],
        contact_phone: "0912345678".into(),
        ..OrganisationForm::default()
    };
    let reg = submit(
        &t,
        &an,
        OrgType::Enterprise,
        details(&t, OrgType::Enterprise, &form),
    )
    .await;
    assert_eq!(reg.status, RegistrationStatus::Approved, "{reg:?}");
}

// ---- The holiday table due dates are counted on -------------------------------------------

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The table's rows of `year`, as (date, kind, Vietnamese name, who set it).
async fn table(t: &TestServer, year: i32) -> Vec<(NaiveDate, HolidayKind, String, String)> {
    holidays::list_year(t.state(), year)
        .await
        .unwrap()
        .into_iter()
        .map(|h| (h.day, h.kind, h.name_vi, h.set_by))
        .collect()
}

/// The audit entries of `action` on `object`, as their actors.
async fn audited(t: &TestServer, action: &str, object: &str) -> Vec<Option<String>> {
    sqlx::query_scalar("SELECT actor FROM audit_log WHERE action = $1 AND object = $2")
        .bind(action)
        .bind(object)
        .fetch_all(&t.state().pool)
        .await
        .unwrap()
}

async fn audit_count(t: &TestServer) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
        .fetch_one(&t.state().pool)
        .await
        .unwrap()
}

async fn stored_due_on(t: &TestServer, reg: &RegistrationView) -> NaiveDate {
    let text: String = sqlx::query_scalar("SELECT due_on FROM registrations WHERE id = $1")
        .bind(reg.id.as_str())
        .fetch_one(&t.state().pool)
        .await
        .unwrap();
    day(&text)
}

fn day_off<'a>(date: &'a str, name_vi: &'a str, name_en: &'a str) -> NewHoliday<'a> {
    NewHoliday {
        day: date,
        kind: HolidayKind::DayOff,
        name_vi,
        name_en,
    }
}

backend_test!(the_shipped_table_holds_tet_2026_and_a_request_filed_before_tet_is_due_after_it);
async fn the_shipped_table_holds_tet_2026_and_a_request_filed_before_tet_is_due_after_it(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let y2026 = table(&t, 2026).await;
    for d in [
        "2026-02-16",
        "2026-02-17",
        "2026-02-18",
        "2026-02-19",
        "2026-02-20",
    ] {
        let row = y2026.iter().find(|r| r.0 == day(d)).expect(d);
        assert_eq!(row.1, HolidayKind::DayOff, "{d}");
        assert!(row.2.contains("Tết Nguyên đán"), "{row:?}");
        assert_eq!(row.3, "release");
    }
    // The make-up Saturday of 2026 and the swapped Friday it pays for.
    assert!(y2026.contains(&(
        day("2026-01-10"),
        HolidayKind::MakeUpWorkingDay,
        "Làm bù cho ngày nghỉ thứ Sáu 2/1".into(),
        "release".into()
    )));
    // Every shipped day fits its weekday and the names' rules, and 2027 says it is expected.
    for year in [2025, 2026, 2027] {
        let days = holidays::list_year(t.state(), year).await.unwrap();
        assert!(days.len() >= 9, "{year}: {days:?}");
        for h in days {
            assert_eq!(h.kind.check(h.day), Ok(()), "{h:?}");
            assert!(
                h.name_vi.chars().count() <= holidays::MAX_NAME_CHARS,
                "{h:?}"
            );
            assert!(
                h.name_en.chars().count() <= holidays::MAX_NAME_CHARS,
                "{h:?}"
            );
            assert_eq!(
                h.name_vi.contains("dự kiến, chưa công bố"),
                year == 2027,
                "{h:?}"
            );
        }
    }

    // Filed on Thursday 4 February 2027, before the (expected) Tết of Đinh Mùi: Friday 5 and
    // Monday 8 to Thursday 11 are off, so the 3 working days are Fri 12, Mon 15, Tue 16.
    let thursday = day("2027-02-04")
        .and_hms_opt(3, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp();
    t.clock.advance(thursday - t.now());
    let an = who(&t).await;
    let mai = who(&t).await;
    let code = registered_enterprise(&t, &[&an.p, &mai.p]).await;
    let reg = submit(
        &t,
        &an,
        OrgType::Enterprise,
        details(
            &t,
            OrgType::Enterprise,
            &enterprise_form(&code, &[&an.p, &mai.p]),
        ),
    )
    .await;
    assert_eq!(reg.status, RegistrationStatus::AwaitingConsent);
    assert_eq!(reg.due_on, day("2027-02-16"));
}

backend_test!(adding_a_day_off_moves_an_open_requests_due_date_and_not_a_decided_ones);
async fn adding_a_day_off_moves_an_open_requests_due_date_and_not_a_decided_ones(db: Backend) {
    let t = TestServer::start(db).await;
    // The test clock starts on Wednesday 18 November 2026: 3 working days are Thu 19, Fri 20
    // and Mon 23.
    assert_eq!(vietnam_date(t.now()), day("2026-11-18"));
    let an = who(&t).await;
    let mai = who(&t).await;
    let code = registered_enterprise(&t, &[&an.p, &mai.p]).await;
    let open = submit(
        &t,
        &an,
        OrgType::Enterprise,
        details(
            &t,
            OrgType::Enterprise,
            &enterprise_form(&code, &[&an.p, &mai.p]),
        ),
    )
    .await;
    assert_eq!(open.status, RegistrationStatus::AwaitingConsent);
    assert_eq!(open.due_on, day("2026-11-23"));
    let code = registered_enterprise(&t, &[&an.p]).await;
    let decided = submit(
        &t,
        &an,
        OrgType::Enterprise,
        details(&t, OrgType::Enterprise, &enterprise_form(&code, &[&an.p])),
    )
    .await;
    assert_eq!(decided.status, RegistrationStatus::Approved);
    assert_eq!(decided.due_on, day("2026-11-23"));
    // Verified by an officer: 15 days, whatever the calendar.
    let org = OrgType::OrganisationWithoutRegistration;
    let decision = uploaded(&t, &an, "founding_decision").await;
    let verified = submit(
        &t,
        &an,
        org,
        details(&t, org, &unregistered_form(&an.p, &decision.id)),
    )
    .await;
    assert_eq!(verified.due_on, day("2026-12-03"));

    // Friday 20 November becomes a day off (Ngày Nhà giáo, say): the open request is due a
    // working day later; the decided one keeps its date.
    let change = holidays::add_holiday(
        t.state(),
        &day_off("2026-11-20", "Nghỉ đột xuất", "Extra day off"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(change.holiday.set_by, "operator");
    let moved: Vec<_> = change
        .moved
        .iter()
        .map(|m| (m.id.clone(), m.was, m.now))
        .collect();
    assert_eq!(
        moved,
        [(open.id.clone(), day("2026-11-23"), day("2026-11-24"))]
    );
    assert_eq!(stored_due_on(&t, &open).await, day("2026-11-24"));
    assert_eq!(stored_due_on(&t, &decided).await, day("2026-11-23"));
    assert_eq!(stored_due_on(&t, &verified).await, day("2026-12-03"));
    let seen: RegistrationView = ok(get_registration(&t, &an, &open).await).await;
    assert_eq!(seen.due_on, day("2026-11-24"));
    // Audited in the change's transaction: the day, and the request whose due date moved.
    assert_eq!(
        audited(&t, "holiday.added", "holiday:2026-11-20").await,
        [None]
    );
    let object = format!("registration:{}", open.id);
    assert_eq!(
        audited(&t, "registration.due_date_moved", &object).await,
        [None]
    );
    let object = format!("registration:{}", decided.id);
    assert!(
        audited(&t, "registration.due_date_moved", &object)
            .await
            .is_empty()
    );
    // A request filed now is counted on the new table.
    let later = who(&t).await;
    let code = registered_enterprise(&t, &[&later.p, &mai.p]).await;
    let filed_after = submit(
        &t,
        &later,
        OrgType::Enterprise,
        details(
            &t,
            OrgType::Enterprise,
            &enterprise_form(&code, &[&later.p, &mai.p]),
        ),
    )
    .await;
    assert_eq!(filed_after.due_on, day("2026-11-24"));

    // A Saturday worked brings the due dates back in; removing the day off, further still.
    let change = holidays::add_holiday(
        t.state(),
        &NewHoliday {
            day: "2026-11-21",
            kind: HolidayKind::MakeUpWorkingDay,
            name_vi: "Làm bù cho ngày nghỉ thứ Sáu 20/11",
            name_en: "Make-up working day for Friday 20 November",
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!(change.moved.len(), 2);
    assert_eq!(stored_due_on(&t, &open).await, day("2026-11-23"));
    holidays::remove_holiday(t.state(), "2026-11-20", None)
        .await
        .unwrap();
    assert_eq!(stored_due_on(&t, &open).await, day("2026-11-21"));
    assert_eq!(stored_due_on(&t, &decided).await, day("2026-11-23"));
    assert_eq!(
        audited(&t, "holiday.removed", "holiday:2026-11-20").await,
        [None]
    );
    let report = dinhdanh_server::testing::audit::verify_chain_report(t.state())
        .await
        .unwrap();
    assert!(report.is_ok(), "{report}");
}

backend_test!(bad_input_to_the_holiday_table_is_refused_and_changes_nothing);
async fn bad_input_to_the_holiday_table_is_refused_and_changes_nothing(db: Backend) {
    let t = TestServer::start(db).await;
    let an = who(&t).await;
    let mai = who(&t).await;
    let code = registered_enterprise(&t, &[&an.p, &mai.p]).await;
    let open = submit(
        &t,
        &an,
        OrgType::Enterprise,
        details(
            &t,
            OrgType::Enterprise,
            &enterprise_form(&code, &[&an.p, &mai.p]),
        ),
    )
    .await;
    let before = (table(&t, 2026).await, audit_count(&t).await);
    let long = "Ngày nghỉ ".repeat(13);
    let cases: Vec<(NewHoliday<'_>, &str)> = vec![
        (
            day_off("2026-11-31", "Nghỉ", "Off"),
            "holiday.malformed_date",
        ),
        (
            day_off("20/11/2026", "Nghỉ", "Off"),
            "holiday.malformed_date",
        ),
        (day_off("2026-11-20", "  ", "Off"), "holiday.name_required"),
        (day_off("2026-11-20", "Nghỉ", ""), "holiday.name_required"),
        (day_off("2026-11-20", &long, "Off"), "holiday.name_too_long"),
        (
            day_off("2026-11-20", "Nghỉ\u{202e}", "Off"),
            "holiday.name_refused",
        ),
        // Sunday 22 November: a weekend day is off already.
        (
            day_off("2026-11-22", "Nghỉ", "Off"),
            "holiday.day_off_on_weekend",
        ),
        (
            NewHoliday {
                day: "2026-11-20",
                kind: HolidayKind::MakeUpWorkingDay,
                name_vi: "Làm bù",
                name_en: "Make-up day",
            },
            "holiday.make_up_on_weekday",
        ),
        // Already in the table (Tết), whatever the names.
        (
            day_off("2026-02-17", "Tết", "Tet"),
            "holiday.already_in_table",
        ),
        (
            NewHoliday {
                day: "2026-01-10",
                kind: HolidayKind::MakeUpWorkingDay,
                name_vi: "Làm bù",
                name_en: "Make-up day",
            },
            "holiday.already_in_table",
        ),
    ];
    for (new, code) in cases {
        match holidays::add_holiday(t.state(), &new, None).await {
            Err(HolidayError::Refused(r)) => {
                assert_eq!(r.code(), code, "{new:?}");
                assert!(!r.message_vi().is_empty() && !r.message_en().is_empty());
            }
            other => panic!("{new:?}: {other:?}"),
        }
    }
    for (date, code) in [
        ("2026-11-20", "holiday.not_in_table"),
        ("2026-2-17", "holiday.malformed_date"),
    ] {
        match holidays::remove_holiday(t.state(), date, None).await {
            Err(HolidayError::Refused(r)) => assert_eq!(r.code(), code, "{date}"),
            other => panic!("{date}: {other:?}"),
        }
    }
    // The API's form of a refusal: the code and the field in the detail.
    let e: dinhdanh_server::infra::error::ServerError =
        HolidayError::Refused(HolidayRefusal::MalformedDate).into();
    assert!(e.is(ErrorCode::ValidationFailed), "{e:?}");
    assert_eq!((table(&t, 2026).await, audit_count(&t).await), before);
    assert_eq!(stored_due_on(&t, &open).await, open.due_on);
}

backend_test!(a_change_to_the_table_waits_for_an_action_counting_a_due_date_on_the_old_one);
async fn a_change_to_the_table_waits_for_an_action_counting_a_due_date_on_the_old_one(db: Backend) {
    // Several instances share one PostgreSQL database: a request filed while the table
    // changes must not keep a due date counted on the old days after the change counted the
    // open requests again. So the change waits for an action that has read the table.
    let t = TestServer::start(db).await;
    let reader = read_calendar_and_hold(t.state(), vietnam_date(t.now()))
        .await
        .unwrap();
    let state = t.state().clone();
    let change = tokio::spawn(async move {
        holidays::add_holiday(
            &state,
            &day_off("2026-11-20", "Nghỉ đột xuất", "Extra day off"),
            None,
        )
        .await
        .map(|c| c.holiday.day)
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(
        !change.is_finished(),
        "the change did not wait: {:?}",
        change.await
    );
    reader.release().await.unwrap();
    assert_eq!(change.await.unwrap().unwrap(), day("2026-11-20"));
}

backend_test!(a_holiday_change_commits_whole_or_not_at_all);
async fn a_holiday_change_commits_whole_or_not_at_all(db: Backend) {
    let t = TestServer::start(db).await;
    let an = who(&t).await;
    let mai = who(&t).await;
    let code = registered_enterprise(&t, &[&an.p, &mai.p]).await;
    let open = submit(
        &t,
        &an,
        OrgType::Enterprise,
        details(
            &t,
            OrgType::Enterprise,
            &enterprise_form(&code, &[&an.p, &mai.p]),
        ),
    )
    .await;
    let before = (table(&t, 2026).await, audit_count(&t).await);
    let new = day_off("2026-11-20", "Nghỉ đột xuất", "Extra day off");
    // A failure after each step in turn: the row, the moved due date and the audit entries
    // are all there or none is.
    let mut failures = 0;
    loop {
        dinhdanh_server::testing::fail_action_after(t.state(), "holiday.add", failures);
        match holidays::add_holiday(t.state(), &new, None).await {
            Err(HolidayError::Server(_)) => {
                assert_eq!(
                    (table(&t, 2026).await, audit_count(&t).await),
                    before,
                    "after {failures} steps"
                );
                assert_eq!(stored_due_on(&t, &open).await, day("2026-11-23"));
                failures += 1;
            }
            Ok(change) => {
                assert_eq!(change.moved.len(), 1);
                break;
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    assert!(failures >= 4, "{failures}");
    assert_eq!(stored_due_on(&t, &open).await, day("2026-11-24"));
    assert_eq!(audit_count(&t).await, before.1 + 2);
    let report = dinhdanh_server::testing::audit::verify_chain_report(t.state())
        .await
        .unwrap();
    assert!(report.is_ok(), "{report}");
}

backend_test!(due_dates_counted_before_a_migration_shipped_days_follow_them_at_the_next_start);
async fn due_dates_counted_before_a_migration_shipped_days_follow_them_at_the_next_start(
    db: Backend,
) {
    let data_dir = common::data_dir("recount");
    let database_url = common::fresh_database_url(db, &data_dir).await;
    let keys = || dinhdanh_server::testing::ServerKeys::load_or_create(&data_dir).unwrap();
    let t = TestServer::start_on(data_dir.clone(), database_url.clone(), keys()).await;
    let an = who(&t).await;
    let mai = who(&t).await;
    let code = registered_enterprise(&t, &[&an.p, &mai.p]).await;
    let open = submit(
        &t,
        &an,
        OrgType::Enterprise,
        details(
            &t,
            OrgType::Enterprise,
            &enterprise_form(&code, &[&an.p, &mai.p]),
        ),
    )
    .await;
    assert_eq!(open.due_on, day("2026-11-23"));
    let audited_before = audit_count(&t).await;
    // A later release's migration ships a day off, as 0010 shipped Tết: written by SQL, with
    // no due date counted again.
    sqlx::query(
        "INSERT INTO holidays (day, kind, name_vi, name_en, set_by, set_at) \
         VALUES ('2026-11-19', 'day_off', 'Nghỉ', 'Day off', 'release', 0)",
    )
    .execute(&t.state().pool)
    .await
    .unwrap();
    assert_eq!(stored_due_on(&t, &open).await, day("2026-11-23"));

    // The next start counts the open request's due date on the table, audited, once.
    let again = TestServer::start_on(data_dir.clone(), database_url.clone(), keys()).await;
    assert_eq!(stored_due_on(&again, &open).await, day("2026-11-24"));
    let object = format!("registration:{}", open.id);
    assert_eq!(
        audited(&again, "registration.due_date_moved", &object).await,
        [None]
    );
    assert_eq!(audit_count(&again).await, audited_before + 1);
    let third = TestServer::start_on(data_dir.clone(), database_url, keys()).await;
    assert_eq!(audit_count(&third).await, audited_before + 1);
}
