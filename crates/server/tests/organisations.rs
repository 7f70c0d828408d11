//! Organisation accounts over HTTP: e-ID numbers never reused, lock/unlock/close, rename,
//! merge and split history, delegation (add, accept, revoke, expire — effective at once for
//! sessions already switched), administrator limits, switching and the audit trail, registry
//! changes, and the progress statistics. Also: a delegate of one organisation can neither read
//! nor change another, on every organisation route.

use crate::common;
use crate::identity;

use std::cell::RefCell;

use chrono::NaiveDate;
use common::{Auth, Device, Session, TestServer};
use common::{Backend, backend_test};
use dinhdanh_core::account::OrgRole;
use dinhdanh_core::api::{
    AccountChoices, AddDelegate, ChallengePurpose, Confirmed, DelegationAnswer, DelegationView,
    ErrorCode, OrganisationActivityEntry, OrganisationChange, OrganisationLifecycle,
    OrganisationRecord, OrganisationStatus, ProgressStatistics, RevokeDelegate, SwitchAccount,
    paths,
};
use dinhdanh_core::ids::{DelegationId, EnterpriseCode, NewProvince, OrgEid, PhoneNumber, TaxCode};
use dinhdanh_core::org_type::{
    AddressLine, HeadOffice, LegalRepresentative, Name, OrgType, OrganisationDetails,
};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use dinhdanh_server::testing::organisations::{
    self, DeploymentTarget, NewOrganisation, Registrant, RegistryFollowUp, end_of_day_vietnam,
};
use identity::{PASSCODE, Person, assert_error, signed_in};
use serde::Serialize;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A signed-in person with their phone, and the organisation their session acts for.
struct Who {
    p: Person,
    device: Device,
    session: Session,
    acting: RefCell<Option<OrgEid>>,
}

async fn who(t: &TestServer) -> Who {
    let (p, device, _, session) = signed_in(t).await;
    Who {
        p,
        device,
        session,
        acting: RefCell::new(None),
    }
}

async fn officer(t: &TestServer) -> Who {
    let w = who(t).await;
    dinhdanh_server::testing::officers::grant_officer(
        t.state(),
        &w.p.citizen_id,
        NewProvince::parse("ha_noi").unwrap(),
    )
    .await
    .unwrap();
    w
}

/// Details of a Hà Nội enterprise with these representatives; `seed` picks the tax code.
fn details(reps: &[&Person], seed: u32) -> OrganisationDetails {
    let tax = (seed..).find_map(TaxCode::from_body).unwrap();
    OrganisationDetails {
        name_vi: Name::parse(&format!("Công ty TNHH Thử nghiệm {seed}")).unwrap(),
        abbreviated_name: None,
        foreign_name: None,
        established_on: NaiveDate::from_ymd_opt(2015, 4, 20).unwrap(),
        head_office: HeadOffice {
            address: AddressLine::parse("Số 18 phố Duy Tân, phường Cầu Giấy").unwrap(),
            province: NewProvince::parse("ha_noi").unwrap(),
        },
        enterprise_code: Some(EnterpriseCode::parse(tax.as_str()).unwrap()),
        tax_code: Some(tax),
        cooperative_code: None,
        agency_code: None,
        representatives: reps
            .iter()
            .map(|p| LegalRepresentative {
                full_name: Name::parse("Nguyễn Thị Lan").unwrap(),
                citizen_id: p.citizen_id.clone(),
            })
            .collect(),
        contact_phone: PhoneNumber::parse("0912345678").unwrap(),
        contact_email: None,
        authorisation_letter: None,
        founding_decision: None,
    }
}

async fn create(t: &TestServer, reps: &[&Person], seed: u32) -> OrgEid {
    let d = details(reps, seed);
    organisations::create_organisation(
        t.state(),
        NewOrganisation {
            org_type: OrgType::Enterprise,
            details: &d,
            registration: None,
            registered_by: Registrant::Account(&reps[0].account),
        },
    )
    .await
    .unwrap()
}

fn org_target(eid: &OrgEid) -> ActionTarget {
    ActionTarget::new("organisation", eid.as_str()).unwrap()
}

fn delegation_target(id: &DelegationId) -> ActionTarget {
    ActionTarget::new("delegation", id.as_str()).unwrap()
}

/// `body` confirmed with the passcode in `w`'s session, for `kind` and `target`.
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
        &w.p.account,
        w.acting.borrow().clone(),
        target,
        PASSCODE,
    )
}

async fn add(
    t: &TestServer,
    by: &Who,
    eid: &OrgEid,
    person: &Person,
    role: OrgRole,
    expires_on: Option<NaiveDate>,
) -> reqwest::Response {
    let body = AddDelegate {
        organisation: eid.clone(),
        citizen_id: person.citizen_id.clone(),
        role,
        expires_on,
    };
    let confirmed = confirm(t, by, ActionKind::AddDelegate, org_target(eid), body).await;
    let path = paths::fill(paths::DELEGATIONS, "eid", eid.as_str());
    t.post(&path, &confirmed, Auth::Session(&by.session)).await
}

async fn added(
    t: &TestServer,
    by: &Who,
    eid: &OrgEid,
    person: &Person,
    role: OrgRole,
    expires_on: Option<NaiveDate>,
) -> DelegationView {
    let resp = add(t, by, eid, person, role, expires_on).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

fn delegation_path(route: &str, eid: &OrgEid, id: &DelegationId) -> String {
    paths::fill(&paths::fill(route, "eid", eid.as_str()), "id", id.as_str())
}

async fn answer(
    t: &TestServer,
    w: &Who,
    eid: &OrgEid,
    id: &DelegationId,
    accept: bool,
) -> reqwest::Response {
    let kind = if accept {
        ActionKind::AcceptDelegation
    } else {
        ActionKind::DeclineDelegation
    };
    let body = DelegationAnswer {
        organisation: eid.clone(),
        delegation: id.clone(),
        accept,
    };
    let confirmed = confirm(t, w, kind, delegation_target(id), body).await;
    t.post(
        &delegation_path(paths::DELEGATION_ANSWER, eid, id),
        &confirmed,
        Auth::Session(&w.session),
    )
    .await
}

async fn accepted(t: &TestServer, w: &Who, eid: &OrgEid, id: &DelegationId) {
    let resp = answer(t, w, eid, id, true).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
}

async fn revoke(t: &TestServer, w: &Who, eid: &OrgEid, id: &DelegationId) -> reqwest::Response {
    let body = RevokeDelegate {
        organisation: eid.clone(),
        delegation: id.clone(),
    };
    let confirmed = confirm(
        t,
        w,
        ActionKind::RevokeDelegate,
        delegation_target(id),
        body,
    )
    .await;
    let bytes = serde_json::to_vec(&confirmed).unwrap();
    t.send(
        "DELETE",
        &delegation_path(paths::DELEGATION, eid, id),
        Some(&bytes),
        Auth::Session(&w.session),
    )
    .await
}

async fn switch(t: &TestServer, w: &Who, to: Option<&OrgEid>) -> reqwest::Response {
    let target = match to {
        Some(eid) => org_target(eid),
        None => ActionTarget::new("account", w.p.account.as_str()).unwrap(),
    };
    let body = SwitchAccount { to: to.cloned() };
    let confirmed = confirm(t, w, ActionKind::SwitchAccount, target, body).await;
    let resp = t
        .post(paths::ACCOUNT_SWITCH, &confirmed, Auth::Session(&w.session))
        .await;
    if resp.status() == 200 {
        *w.acting.borrow_mut() = to.cloned();
    }
    resp
}

async fn switched(t: &TestServer, w: &Who, to: &OrgEid) {
    let resp = switch(t, w, Some(to)).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let choices: AccountChoices = resp.json().await.unwrap();
    assert_eq!(choices.active.as_ref(), Some(to));
}

async fn record(t: &TestServer, w: &Who, eid: &OrgEid) -> reqwest::Response {
    t.get(
        &paths::fill(paths::ORGANISATION, "eid", eid.as_str()),
        Auth::Session(&w.session),
    )
    .await
}

async fn list(t: &TestServer, w: &Who, eid: &OrgEid) -> reqwest::Response {
    t.get(
        &paths::fill(paths::DELEGATIONS, "eid", eid.as_str()),
        Auth::Session(&w.session),
    )
    .await
}

async fn me(t: &TestServer, w: &Who) -> reqwest::Response {
    t.get(paths::ME, Auth::Session(&w.session)).await
}

async fn officer_change(
    t: &TestServer,
    w: &Who,
    eid: &OrgEid,
    change: OrganisationLifecycle,
) -> reqwest::Response {
    let kind = match change {
        OrganisationLifecycle::Lock { .. } | OrganisationLifecycle::Unlock { .. } => {
            ActionKind::ChangeAccountLock
        }
        _ => ActionKind::UpdateOrganisationInfo,
    };
    let confirmed = confirm(t, w, kind, org_target(eid), change).await;
    t.post(
        &paths::fill(paths::OFFICER_ORGANISATION_CHANGE, "eid", eid.as_str()),
        &confirmed,
        Auth::Session(&w.session),
    )
    .await
}

async fn history(t: &TestServer, eid: &OrgEid) -> Vec<OrganisationChange> {
    organisations::history(t.state(), eid)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.change)
        .collect()
}

async fn status(t: &TestServer, eid: &OrgEid) -> OrganisationStatus {
    organisations::find_organisation(t.state(), eid)
        .await
        .unwrap()
        .unwrap()
        .status
}

fn close(reason: &str) -> OrganisationLifecycle {
    OrganisationLifecycle::Close {
        reason: reason.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Accounts and numbers
// ---------------------------------------------------------------------------------------------

backend_test!(organisations_get_serial_numbers_and_a_closed_number_is_never_issued_again);
async fn organisations_get_serial_numbers_and_a_closed_number_is_never_issued_again(db: Backend) {
    let t = TestServer::start(db).await;
    let owner = who(&t).await;
    let a = create(&t, &[&owner.p], 100_000_001).await;
    let b = create(&t, &[&owner.p], 200_000_001).await;
    assert_eq!((a.serial(), b.serial()), (1, 2));
    let b_code = details(&[&owner.p], 200_000_001).tax_code.unwrap();
    assert_eq!(
        organisations::find_active_by_code(t.state(), b_code.as_str())
            .await
            .unwrap(),
        Some(b.clone())
    );

    organisations::apply_lifecycle(t.state(), None, &b, &close("thử nghiệm"))
        .await
        .unwrap();
    assert_eq!(status(&t, &b).await, OrganisationStatus::Closed);
    assert_eq!(
        organisations::find_active_by_code(t.state(), b_code.as_str())
            .await
            .unwrap(),
        None,
        "a closed account does not block a new registration"
    );
    let c = create(&t, &[&owner.p], 300_000_001).await;
    assert_eq!(c.serial(), 3, "the closed number 2 is not issued again");
    let serials: Vec<i64> = sqlx::query_scalar("SELECT serial FROM organisations ORDER BY serial")
        .fetch_all(&t.state().pool)
        .await
        .unwrap();
    assert_eq!(serials, vec![1, 2, 3], "the closed row stays");

    // The representatives' numbers are nowhere in clear.
    let blob: Vec<u8> = sqlx::query_scalar("SELECT details_enc FROM organisations WHERE eid = $1")
        .bind(a.as_str())
        .fetch_one(&t.state().pool)
        .await
        .unwrap();
    let number = owner.p.citizen_id.as_str().as_bytes();
    assert!(!blob.windows(number.len()).any(|w| w == number));
}

backend_test!(a_representative_with_an_account_becomes_owner_and_reads_the_record);
async fn a_representative_with_an_account_becomes_owner_and_reads_the_record(db: Backend) {
    let t = TestServer::start(db).await;
    let owner = who(&t).await;
    let eid = create(&t, &[&owner.p], 100_000_002).await;
    let resp = record(&t, &owner, &eid).await;
    assert_eq!(resp.status(), 200);
    let rec: OrganisationRecord = resp.json().await.unwrap();
    assert_eq!(rec.eid, eid);
    assert_eq!(rec.status, OrganisationStatus::Active);
    assert_eq!(
        rec.representatives[0].citizen_id.as_ref(),
        Some(&owner.p.citizen_id)
    );
    assert_eq!(rec.history.len(), 1);
    assert_eq!(rec.history[0].change, OrganisationChange::Created);

    let resp = list(&t, &owner, &eid).await;
    let views: Vec<DelegationView> = resp.json().await.unwrap();
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].role, OrgRole::Owner);
    assert!(views[0].granted_by.is_none() && views[0].accepted_at.is_some());

    let choices: AccountChoices = t
        .get(paths::ACCOUNT_SWITCH, Auth::Session(&owner.session))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(choices.organisations.len(), 1);
    assert_eq!(choices.organisations[0].role, OrgRole::Owner);
    assert!(choices.organisations[0].usable && choices.active.is_none());

    // Strangers may not; officers of the province may.
    let stranger = who(&t).await;
    assert_error(record(&t, &stranger, &eid).await, ErrorCode::Forbidden).await;
    assert_error(list(&t, &stranger, &eid).await, ErrorCode::Forbidden).await;
    let officer = officer(&t).await;
    assert_eq!(record(&t, &officer, &eid).await.status(), 200);
}

backend_test!(administrators_and_members_see_only_masked_representative_numbers);
async fn administrators_and_members_see_only_masked_representative_numbers(db: Backend) {
    let t = TestServer::start(db).await;
    let owner = who(&t).await;
    let co_owner = who(&t).await;
    let eid = create(&t, &[&owner.p, &co_owner.p], 100_000_021).await;
    let admin = who(&t).await;
    let member = who(&t).await;
    for (w, role) in [(&admin, OrgRole::Administrator), (&member, OrgRole::Member)] {
        let view = added(&t, &owner, &eid, &w.p, role, None).await;
        accepted(&t, w, &eid, &view.id).await;
    }
    let numbers = [&owner.p.citizen_id, &co_owner.p.citizen_id];
    for w in [&admin, &member] {
        let text = record(&t, w, &eid).await.text().await.unwrap();
        for number in numbers {
            assert!(!text.contains(number.as_str()), "a full number in {text}");
            assert!(text.contains(&number.masked()));
        }
        let rec: OrganisationRecord = serde_json::from_str(&text).unwrap();
        assert!(rec.representatives.iter().all(|r| r.citizen_id.is_none()));
    }
    // Owners and officers of the province see the numbers in full.
    let officer = officer(&t).await;
    for w in [&owner, &officer] {
        let rec: OrganisationRecord = record(&t, w, &eid).await.json().await.unwrap();
        let full: Vec<_> = rec
            .representatives
            .iter()
            .filter_map(|r| r.citizen_id.as_ref())
            .collect();
        assert_eq!(full.len(), 2);
        assert!(numbers.iter().all(|n| full.contains(n)));
    }
}

// ---------------------------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------------------------

backend_test!(officers_lock_unlock_and_close_and_a_closed_account_can_do_nothing);
async fn officers_lock_unlock_and_close_and_a_closed_account_can_do_nothing(db: Backend) {
    let t = TestServer::start(db).await;
    let owner = who(&t).await;
    let eid = create(&t, &[&owner.p], 100_000_003).await;
    let officer = officer(&t).await;

    // Not an officer: refused.
    assert_error(
        officer_change(
            &t,
            &owner,
            &eid,
            OrganisationLifecycle::Lock { reason: "x".into() },
        )
        .await,
        ErrorCode::Forbidden,
    )
    .await;

    switched(&t, &owner, &eid).await;
    let lock = OrganisationLifecycle::Lock {
        reason: "Nghi vấn giả mạo".into(),
    };
    let resp = officer_change(&t, &officer, &eid, lock).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let rec: OrganisationRecord = resp.json().await.unwrap();
    assert_eq!(rec.status, OrganisationStatus::Locked);
    // The session switched to it stops at once and falls back to the personal account.
    assert_error(me(&t, &owner).await, ErrorCode::Forbidden).await;
    *owner.acting.borrow_mut() = None;
    assert_eq!(me(&t, &owner).await.status(), 200);
    assert_error(switch(&t, &owner, Some(&eid)).await, ErrorCode::Forbidden).await;
    // Members still read the record of a locked account (to see why).
    assert_eq!(record(&t, &owner, &eid).await.status(), 200);

    let unlock = OrganisationLifecycle::Unlock {
        reason: "Đã xác minh".into(),
    };
    let resp = officer_change(&t, &officer, &eid, unlock).await;
    assert_eq!(resp.status(), 200);
    switched(&t, &owner, &eid).await;

    let resp = officer_change(&t, &officer, &eid, close("Chấm dứt hoạt động")).await;
    assert_eq!(resp.status(), 200);
    // Closing ends the sessions acting for it.
    assert_error(me(&t, &owner).await, ErrorCode::Unauthenticated).await;
    let owner_again =
        identity::sign_in(&t, &owner.p, &owner.device, &device_id(&t, &owner).await).await;
    let owner = Who {
        session: owner_again,
        acting: RefCell::new(None),
        ..owner
    };
    assert_error(record(&t, &owner, &eid).await, ErrorCode::Forbidden).await;
    assert_error(switch(&t, &owner, Some(&eid)).await, ErrorCode::Forbidden).await;
    let stranger = who(&t).await;
    assert_error(
        add(&t, &owner, &eid, &stranger.p, OrgRole::Member, None).await,
        ErrorCode::Forbidden,
    )
    .await;
    // Nothing more can happen to it, and the officer still sees the whole history.
    assert_error(
        officer_change(
            &t,
            &officer,
            &eid,
            OrganisationLifecycle::Unlock { reason: "x".into() },
        )
        .await,
        ErrorCode::InvalidState,
    )
    .await;
    let rec: OrganisationRecord = record(&t, &officer, &eid).await.json().await.unwrap();
    let kinds: Vec<&str> = rec
        .history
        .iter()
        .map(|h| match h.change {
            OrganisationChange::Created => "created",
            OrganisationChange::Locked { .. } => "locked",
            OrganisationChange::Unlocked => "unlocked",
            OrganisationChange::Closed { .. } => "closed",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["created", "locked", "unlocked", "closed"]);
}

async fn device_id(t: &TestServer, w: &Who) -> dinhdanh_core::ids::DeviceId {
    let id: String =
        sqlx::query_scalar("SELECT id FROM devices WHERE account_id = $1 AND unbound_at IS NULL")
            .bind(w.p.account.as_str())
            .fetch_one(&t.state().pool)
            .await
            .unwrap();
    dinhdanh_core::ids::DeviceId::parse(&id).unwrap()
}

backend_test!(rename_merge_and_split_keep_the_history_and_link_numbers_both_ways);
async fn rename_merge_and_split_keep_the_history_and_link_numbers_both_ways(db: Backend) {
    let t = TestServer::start(db).await;
    let owner = who(&t).await;
    let a = create(&t, &[&owner.p], 100_000_004).await;
    let b = create(&t, &[&owner.p], 200_000_004).await;
    let c = create(&t, &[&owner.p], 300_000_004).await;
    let d = create(&t, &[&owner.p], 400_000_004).await;
    let officer = officer(&t).await;
    let state = t.state();

    let new_name = Name::parse("Công ty Cổ phần An Phát").unwrap();
    let resp = officer_change(
        &t,
        &officer,
        &a,
        OrganisationLifecycle::Rename {
            name_vi: new_name.clone(),
        },
    )
    .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let rec: OrganisationRecord = resp.json().await.unwrap();
    assert_eq!(rec.eid, a, "a rename keeps the number");
    assert_eq!(rec.details.name_vi, new_name);
    assert!(matches!(
        &rec.history[1].change,
        OrganisationChange::Renamed { to, .. } if to == new_name.as_str()
    ));

    // B merges into A.
    let merge = OrganisationLifecycle::Absorb {
        predecessors: vec![b.clone()],
    };
    assert_eq!(officer_change(&t, &officer, &a, merge).await.status(), 200);
    assert_eq!(status(&t, &b).await, OrganisationStatus::Closed);
    assert_eq!(
        history(&t, &b).await.last(),
        Some(&OrganisationChange::MergedInto {
            successor: a.clone()
        })
    );
    assert_eq!(
        history(&t, &a).await.last(),
        Some(&OrganisationChange::Absorbed {
            predecessors: vec![b.clone()]
        })
    );
    // A closed organisation cannot be merged again.
    let again = OrganisationLifecycle::Absorb {
        predecessors: vec![b.clone()],
    };
    assert_error(
        officer_change(&t, &officer, &a, again).await,
        ErrorCode::InvalidState,
    )
    .await;

    // A divides into C and D: it ends, both link back to it.
    organisations::apply_lifecycle(
        state,
        None,
        &a,
        &OrganisationLifecycle::Split {
            successors: vec![c.clone(), d.clone()],
            continues: false,
        },
    )
    .await
    .unwrap();
    assert_eq!(status(&t, &a).await, OrganisationStatus::Closed);
    assert_eq!(
        history(&t, &a).await.last(),
        Some(&OrganisationChange::SplitInto {
            successors: vec![c.clone(), d.clone()],
            continues: false
        })
    );
    for s in [&c, &d] {
        assert_eq!(
            history(&t, s).await.last(),
            Some(&OrganisationChange::SplitFrom {
                predecessor: a.clone()
            })
        );
        assert_eq!(status(&t, s).await, OrganisationStatus::Active);
    }
    // A separation keeps the source.
    let e = create(&t, &[&owner.p], 500_000_004).await;
    organisations::apply_lifecycle(
        state,
        None,
        &c,
        &OrganisationLifecycle::Split {
            successors: vec![e.clone()],
            continues: true,
        },
    )
    .await
    .unwrap();
    assert_eq!(status(&t, &c).await, OrganisationStatus::Active);
}

// ---------------------------------------------------------------------------------------------
// Delegation
// ---------------------------------------------------------------------------------------------

backend_test!(a_delegate_acts_only_after_accepting_and_stops_at_once_when_revoked);
async fn a_delegate_acts_only_after_accepting_and_stops_at_once_when_revoked(db: Backend) {
    let t = TestServer::start(db).await;
    let owner = who(&t).await;
    let member = who(&t).await;
    let eid = create(&t, &[&owner.p], 100_000_005).await;

    let view = added(&t, &owner, &eid, &member.p, OrgRole::Member, None).await;
    assert_eq!(
        view.granted_by.as_ref().map(|g| &g.account),
        Some(&owner.p.account)
    );
    assert!(view.accepted_at.is_none());
    // The same person twice: conflict.
    assert_error(
        add(&t, &owner, &eid, &member.p, OrgRole::Member, None).await,
        ErrorCode::Conflict,
    )
    .await;
    // Not accepted yet: no switching, no reading.
    assert_error(switch(&t, &member, Some(&eid)).await, ErrorCode::Forbidden).await;
    assert_error(record(&t, &member, &eid).await, ErrorCode::Forbidden).await;
    // Only the delegate answers.
    assert_error(
        answer(&t, &owner, &eid, &view.id, true).await,
        ErrorCode::Forbidden,
    )
    .await;
    accepted(&t, &member, &eid, &view.id).await;
    assert_error(
        answer(&t, &member, &eid, &view.id, true).await,
        ErrorCode::InvalidState,
    )
    .await;

    switched(&t, &member, &eid).await;
    assert_eq!(me(&t, &member).await.status(), 200);
    assert_eq!(record(&t, &member, &eid).await.status(), 200);

    let resp = revoke(&t, &owner, &eid, &view.id).await;
    assert_eq!(resp.status(), 204, "{}", resp.text().await.unwrap());
    // The switched session is refused at once, then works as the personal account.
    assert_error(me(&t, &member).await, ErrorCode::Forbidden).await;
    *member.acting.borrow_mut() = None;
    let choices: AccountChoices = t
        .get(paths::ACCOUNT_SWITCH, Auth::Session(&member.session))
        .await
        .json()
        .await
        .unwrap();
    assert!(choices.active.is_none() && choices.organisations.is_empty());
    assert_error(record(&t, &member, &eid).await, ErrorCode::Forbidden).await;
    // Revoked once is revoked.
    assert_error(
        revoke(&t, &owner, &eid, &view.id).await,
        ErrorCode::InvalidState,
    )
    .await;

    // A declined delegation never works; the person can be asked again.
    let again = added(&t, &owner, &eid, &member.p, OrgRole::Member, None).await;
    assert_eq!(
        answer(&t, &member, &eid, &again.id, false).await.status(),
        200
    );
    assert_error(switch(&t, &member, Some(&eid)).await, ErrorCode::Forbidden).await;
    // The delegate may end their own delegation.
    let third = added(&t, &owner, &eid, &member.p, OrgRole::Member, None).await;
    accepted(&t, &member, &eid, &third.id).await;
    assert_eq!(revoke(&t, &member, &eid, &third.id).await.status(), 204);
    assert_error(switch(&t, &member, Some(&eid)).await, ErrorCode::Forbidden).await;
}

backend_test!(a_desktop_signed_in_by_qr_code_cannot_add_revoke_or_answer_delegations);
async fn a_desktop_signed_in_by_qr_code_cannot_add_revoke_or_answer_delegations(db: Backend) {
    let t = TestServer::start(db).await;
    let mut owner = who(&t).await;
    let mut member = who(&t).await;
    let other = who(&t).await;
    let eid = create(&t, &[&owner.p], 100_000_013).await;
    let pending = added(&t, &owner, &eid, &member.p, OrgRole::Member, None).await;
    // Each person's desktop: a session of kind `desktop` on the same account and device, as a
    // QR login creates it. Its requests are confirmed with the right passcode: still refused.
    let (owner_desktop, _) =
        identity::desktop_session(&t, &owner.p, &device_id(&t, &owner).await).await;
    let (member_desktop, _) =
        identity::desktop_session(&t, &member.p, &device_id(&t, &member).await).await;
    let owner_phone = std::mem::replace(&mut owner.session, owner_desktop);
    let member_phone = std::mem::replace(&mut member.session, member_desktop);

    assert_error(
        add(&t, &owner, &eid, &other.p, OrgRole::Member, None).await,
        ErrorCode::Forbidden,
    )
    .await;
    assert_error(
        answer(&t, &member, &eid, &pending.id, true).await,
        ErrorCode::Forbidden,
    )
    .await;
    assert_error(
        revoke(&t, &owner, &eid, &pending.id).await,
        ErrorCode::Forbidden,
    )
    .await;

    // Nothing changed: the delegation still waits for the member's answer from their phone.
    owner.session = owner_phone;
    member.session = member_phone;
    let views: Vec<DelegationView> = list(&t, &owner, &eid).await.json().await.unwrap();
    assert!(views.iter().all(|v| v.person.account != other.p.account));
    let still = views
        .iter()
        .find(|v| v.id == pending.id)
        .expect("still there");
    assert!(still.accepted_at.is_none() && still.revoked_at.is_none());
    accepted(&t, &member, &eid, &pending.id).await;
}

backend_test!(an_expired_delegation_stops_at_once_for_a_switched_session);
async fn an_expired_delegation_stops_at_once_for_a_switched_session(db: Backend) {
    let t = TestServer::start(db).await;
    // Ten minutes before midnight in Vietnam.
    let today = chrono::DateTime::from_timestamp(t.now() + 7 * 3600, 0)
        .unwrap()
        .date_naive();
    t.clock.advance(end_of_day_vietnam(today) - 600 - t.now());
    let owner = who(&t).await;
    let member = who(&t).await;
    let eid = create(&t, &[&owner.p], 100_000_006).await;

    let yesterday = today.pred_opt().unwrap();
    let resp = add(
        &t,
        &owner,
        &eid,
        &member.p,
        OrgRole::Member,
        Some(yesterday),
    )
    .await;
    assert_error(resp, ErrorCode::ValidationFailed).await;

    let view = added(&t, &owner, &eid, &member.p, OrgRole::Member, Some(today)).await;
    assert_eq!(view.expires_on, Some(today));
    accepted(&t, &member, &eid, &view.id).await;
    switched(&t, &member, &eid).await;
    assert_eq!(me(&t, &member).await.status(), 200);

    t.clock.advance(601);
    assert_error(me(&t, &member).await, ErrorCode::Forbidden).await;
    *member.acting.borrow_mut() = None;
    assert_eq!(me(&t, &member).await.status(), 200);
    assert_error(switch(&t, &member, Some(&eid)).await, ErrorCode::Forbidden).await;
    // Expired is over: the person can be authorised again.
    added(&t, &owner, &eid, &member.p, OrgRole::Member, None).await;
}

backend_test!(administrators_add_and_remove_members_only);
async fn administrators_add_and_remove_members_only(db: Backend) {
    let t = TestServer::start(db).await;
    let owner = who(&t).await;
    let admin = who(&t).await;
    let member = who(&t).await;
    let other = who(&t).await;
    let eid = create(&t, &[&owner.p], 100_000_007).await;

    let a = added(&t, &owner, &eid, &admin.p, OrgRole::Administrator, None).await;
    // Until accepted, the administrator manages no one.
    assert_error(
        add(&t, &admin, &eid, &member.p, OrgRole::Member, None).await,
        ErrorCode::Forbidden,
    )
    .await;
    accepted(&t, &admin, &eid, &a.id).await;

    let m = added(&t, &admin, &eid, &member.p, OrgRole::Member, None).await;
    accepted(&t, &member, &eid, &m.id).await;
    assert_error(
        add(&t, &admin, &eid, &other.p, OrgRole::Administrator, None).await,
        ErrorCode::Forbidden,
    )
    .await;
    assert_error(
        add(&t, &owner, &eid, &other.p, OrgRole::Owner, None).await,
        ErrorCode::Forbidden,
    )
    .await;
    // Members add no one.
    assert_error(
        add(&t, &member, &eid, &other.p, OrgRole::Member, None).await,
        ErrorCode::Forbidden,
    )
    .await;

    // Owners and administrators see every delegation; a member only their own.
    let all: Vec<DelegationView> = list(&t, &admin, &eid).await.json().await.unwrap();
    assert_eq!(all.len(), 3);
    let own: Vec<DelegationView> = list(&t, &member, &eid).await.json().await.unwrap();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].person.account, member.p.account);

    // An administrator cannot remove the owner, another administrator, or be removed by a
    // member; the owner removes the administrator.
    let owner_row = all.iter().find(|d| d.role == OrgRole::Owner).unwrap();
    assert_error(
        revoke(&t, &admin, &eid, &owner_row.id).await,
        ErrorCode::Forbidden,
    )
    .await;
    assert_error(revoke(&t, &member, &eid, &a.id).await, ErrorCode::Forbidden).await;
    assert_eq!(revoke(&t, &admin, &eid, &m.id).await.status(), 204);
    assert_eq!(revoke(&t, &owner, &eid, &a.id).await.status(), 204);

    // Only level-2 people can be authorised.
    let low = who(&t).await;
    dinhdanh_server::testing::accounts::set_level(
        t.state(),
        &low.p.account,
        dinhdanh_core::account::AccountLevel::Level1,
    )
    .await
    .unwrap();
    assert_error(
        add(&t, &owner, &eid, &low.p, OrgRole::Member, None).await,
        ErrorCode::LevelTooLow,
    )
    .await;
}

backend_test!(a_delegate_of_one_organisation_cannot_read_or_change_another);
async fn a_delegate_of_one_organisation_cannot_read_or_change_another(db: Backend) {
    let t = TestServer::start(db).await;
    let owner_a = who(&t).await;
    let owner_b = who(&t).await;
    let delegate = who(&t).await;
    let a = create(&t, &[&owner_a.p], 100_000_008).await;
    let b = create(&t, &[&owner_b.p], 200_000_008).await;
    let d = added(&t, &owner_b, &b, &delegate.p, OrgRole::Administrator, None).await;
    accepted(&t, &delegate, &b, &d.id).await;
    switched(&t, &delegate, &b).await;
    let a_rows: Vec<DelegationView> = list(&t, &owner_a, &a).await.json().await.unwrap();
    let a_owner_row = a_rows[0].id.clone();
    let stranger = who(&t).await;
    let pending = added(&t, &owner_a, &a, &stranger.p, OrgRole::Member, None).await;

    // GET ORGANISATION, GET DELEGATIONS.
    assert_error(record(&t, &delegate, &a).await, ErrorCode::Forbidden).await;
    assert_error(list(&t, &delegate, &a).await, ErrorCode::Forbidden).await;
    // POST DELEGATIONS: adding to A, or adding oneself.
    assert_error(
        add(&t, &delegate, &a, &stranger.p, OrgRole::Member, None).await,
        ErrorCode::Forbidden,
    )
    .await;
    assert_error(
        add(&t, &delegate, &a, &delegate.p, OrgRole::Member, None).await,
        ErrorCode::Forbidden,
    )
    .await;
    // DELETE DELEGATION.
    assert_error(
        revoke(&t, &delegate, &a, &a_owner_row).await,
        ErrorCode::Forbidden,
    )
    .await;
    assert_error(
        revoke(&t, &delegate, &a, &pending.id).await,
        ErrorCode::Forbidden,
    )
    .await;
    // POST DELEGATION_ANSWER: answering someone else's invitation.
    assert_error(
        answer(&t, &delegate, &a, &pending.id, true).await,
        ErrorCode::Forbidden,
    )
    .await;
    // A delegation of B addressed through A's path is not found.
    assert_error(revoke(&t, &delegate, &a, &d.id).await, ErrorCode::NotFound).await;
    // POST ACCOUNT_SWITCH.
    assert_error(switch(&t, &delegate, Some(&a)).await, ErrorCode::Forbidden).await;
    // Officer routes.
    assert_error(
        officer_change(&t, &delegate, &a, close("x")).await,
        ErrorCode::Forbidden,
    )
    .await;
    assert_error(
        t.get(paths::OFFICER_PROGRESS, Auth::Session(&delegate.session))
            .await,
        ErrorCode::Forbidden,
    )
    .await;
    // Nothing changed in A.
    assert_eq!(status(&t, &a).await, OrganisationStatus::Active);
    let rows: Vec<DelegationView> = list(&t, &owner_a, &a).await.json().await.unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.revoked_at.is_none()));
    // And the delegate still acts for B.
    assert_eq!(record(&t, &delegate, &b).await.status(), 200);
}

// ---------------------------------------------------------------------------------------------
// Switching and the audit trail
// ---------------------------------------------------------------------------------------------

backend_test!(actions_after_switching_read_person_x_for_organisation_y);
async fn actions_after_switching_read_person_x_for_organisation_y(db: Backend) {
    let t = TestServer::start(db).await;
    let owner = who(&t).await;
    let member = who(&t).await;
    let eid = create(&t, &[&owner.p], 100_000_009).await;
    switched(&t, &owner, &eid).await;
    // The confirmation covers the organisation the session acts for.
    added(&t, &owner, &eid, &member.p, OrgRole::Member, None).await;

    let rows: Vec<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT actor, acting_for FROM audit_log WHERE action = 'delegation.added'")
            .fetch_all(&t.state().pool)
            .await
            .unwrap();
    assert_eq!(
        rows,
        vec![(
            Some(owner.p.account.as_str().to_owned()),
            Some(eid.as_str().to_owned())
        )]
    );
    let switch_rows: Vec<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT actor, acting_for FROM audit_log WHERE action = 'session.switch'")
            .fetch_all(&t.state().pool)
            .await
            .unwrap();
    assert_eq!(switch_rows[0].0.as_deref(), Some(owner.p.account.as_str()));
    assert_eq!(switch_rows[0].1.as_deref(), Some(eid.as_str()));

    // Back to personal: later entries have no organisation.
    let resp = switch(&t, &owner, None).await;
    assert_eq!(resp.status(), 200);
    let choices: AccountChoices = resp.json().await.unwrap();
    assert!(choices.active.is_none());
    let last: Option<String> = sqlx::query_scalar(
        "SELECT acting_for FROM audit_log WHERE action = 'session.switch' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(&t.state().pool)
    .await
    .unwrap();
    assert_eq!(last, None);
}

// ---------------------------------------------------------------------------------------------
// Registry changes
// ---------------------------------------------------------------------------------------------

backend_test!(a_new_legal_representative_takes_ownership_and_the_departed_ones_delegations_end);
async fn a_new_legal_representative_takes_ownership_and_the_departed_ones_delegations_end(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let old = who(&t).await;
    let new = who(&t).await;
    let member = who(&t).await;
    let eid = create(&t, &[&old.p], 100_000_010).await;
    let m = added(&t, &old, &eid, &member.p, OrgRole::Member, None).await;
    accepted(&t, &member, &eid, &m.id).await;
    switched(&t, &member, &eid).await;
    let code = details(&[&old.p], 100_000_010).tax_code.unwrap();

    organisations::apply_registry_change(
        t.state(),
        RegistryFollowUp::RepresentativesChanged {
            code: code.as_str().to_owned(),
            added: vec![LegalRepresentative {
                full_name: Name::parse("Trần Văn Mới").unwrap(),
                citizen_id: new.p.citizen_id.clone(),
            }],
            removed: vec![old.p.citizen_id.clone()],
        },
    )
    .await
    .unwrap();

    let state = t.state();
    assert_eq!(
        dinhdanh_server::authz::role_in(state, &new.p.account, &eid)
            .await
            .unwrap(),
        Some(OrgRole::Owner)
    );
    assert_eq!(
        dinhdanh_server::authz::role_in(state, &old.p.account, &eid)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        dinhdanh_server::authz::role_in(state, &member.p.account, &eid)
            .await
            .unwrap(),
        None
    );
    assert_error(me(&t, &member).await, ErrorCode::Forbidden).await;
    assert_eq!(record(&t, &new, &eid).await.status(), 200);
    assert_error(record(&t, &old, &eid).await, ErrorCode::Forbidden).await;
    let rec: OrganisationRecord = record(&t, &new, &eid).await.json().await.unwrap();
    assert_eq!(rec.representatives.len(), 1);
    assert_eq!(
        rec.representatives[0].citizen_id.as_ref(),
        Some(&new.p.citizen_id)
    );
    assert_eq!(
        rec.history.last().map(|h| &h.change),
        Some(&OrganisationChange::RepresentativesChanged {
            removed: vec![old.p.citizen_id.masked()],
            added: vec![new.p.citizen_id.masked()],
        })
    );
}

backend_test!(dissolution_closes_the_account_and_ends_every_session_acting_for_it);
async fn dissolution_closes_the_account_and_ends_every_session_acting_for_it(db: Backend) {
    let t = TestServer::start(db).await;
    let owner = who(&t).await;
    let eid = create(&t, &[&owner.p], 100_000_011).await;
    switched(&t, &owner, &eid).await;
    let code = details(&[&owner.p], 100_000_011).tax_code.unwrap();
    organisations::apply_registry_change(
        t.state(),
        RegistryFollowUp::Dissolved {
            code: code.as_str().to_owned(),
        },
    )
    .await
    .unwrap();
    assert_eq!(status(&t, &eid).await, OrganisationStatus::Closed);
    assert_error(me(&t, &owner).await, ErrorCode::Unauthenticated).await;
    // The code is free for nobody: no active account holds it, and a second dissolution finds
    // nothing to close.
    let again = organisations::apply_registry_change(
        t.state(),
        RegistryFollowUp::Dissolved {
            code: code.as_str().to_owned(),
        },
    )
    .await;
    assert!(again.is_err_and(|e| e.is(ErrorCode::NotFound)));
}

// ---------------------------------------------------------------------------------------------
// Progress statistics
// ---------------------------------------------------------------------------------------------

backend_test!(officers_follow_registrations_against_the_deployment_targets);
async fn officers_follow_registrations_against_the_deployment_targets(db: Backend) {
    let t = TestServer::start(db).await;
    let owner = who(&t).await;
    // The registry knows four enterprises in Hà Nội (and one elsewhere).
    for (i, province) in ["ha_noi", "ha_noi", "ha_noi", "ha_noi", "ho_chi_minh"]
        .into_iter()
        .enumerate()
    {
        sqlx::query(
            "INSERT INTO registry_organisations (registry, code, name_vi, address, province, \
             established_on, status, updated_at) \
             VALUES ('business', $1, 'Công ty', 'Số 1', $2, '2015-01-01', 'active', 0)",
        )
        .bind(format!("01000000{i:02}"))
        .bind(province)
        .execute(&t.state().pool)
        .await
        .unwrap();
    }
    let a = create(&t, &[&owner.p], 100_000_012).await;
    create(&t, &[&owner.p], 200_000_012).await;
    let c = create(&t, &[&owner.p], 300_000_012).await;
    organisations::apply_lifecycle(t.state(), None, &c, &close("x"))
        .await
        .unwrap();
    organisations::apply_lifecycle(
        t.state(),
        None,
        &a,
        &OrganisationLifecycle::Lock { reason: "x".into() },
    )
    .await
    .unwrap();

    let officer = officer(&t).await;
    let resp = t
        .get(paths::OFFICER_PROGRESS, Auth::Session(&officer.session))
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let stats: ProgressStatistics = resp.json().await.unwrap();
    assert_eq!(stats.province.key(), "ha_noi");
    let row = stats
        .rows
        .iter()
        .find(|r| r.org_type == OrgType::Enterprise)
        .unwrap();
    assert_eq!((row.active, row.locked, row.closed), (1, 1, 1));
    assert_eq!(row.registry_total, Some(4));
    assert_eq!(row.target_percent, 80);
    assert_eq!(row.target_count, Some(4), "80% of 4, rounded up");
    assert_eq!(row.achieved_percent, Some(50));
    assert_eq!(row.target_met, Some(false));
    let type4 = stats
        .rows
        .iter()
        .find(|r| r.org_type == OrgType::OrganisationWithoutRegistration)
        .unwrap();
    assert_eq!((type4.registry_total, type4.target_percent), (None, 50));

    organisations::set_target(
        t.state(),
        OrgType::Enterprise,
        DeploymentTarget {
            percent: 50,
            due_on: NaiveDate::from_ymd_opt(2027, 6, 30).unwrap(),
        },
    )
    .await
    .unwrap();
    let stats: ProgressStatistics = t
        .get(paths::OFFICER_PROGRESS, Auth::Session(&officer.session))
        .await
        .json()
        .await
        .unwrap();
    let row = stats
        .rows
        .iter()
        .find(|r| r.org_type == OrgType::Enterprise)
        .unwrap();
    assert_eq!((row.target_count, row.target_met), (Some(2), Some(true)));
    assert_eq!(
        row.target_date,
        NaiveDate::from_ymd_opt(2027, 6, 30).unwrap()
    );

    assert_error(
        t.get(paths::OFFICER_PROGRESS, Auth::Session(&owner.session))
            .await,
        ErrorCode::Forbidden,
    )
    .await;
}

backend_test!(owners_and_administrators_read_who_acted_for_the_organisation_and_members_do_not);
async fn owners_and_administrators_read_who_acted_for_the_organisation_and_members_do_not(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let owner = who(&t).await;
    let admin = who(&t).await;
    let member = who(&t).await;
    let eid = create(&t, &[&owner.p], 100_000_031).await;
    let a = added(&t, &owner, &eid, &admin.p, OrgRole::Administrator, None).await;
    accepted(&t, &admin, &eid, &a.id).await;
    let m = added(&t, &owner, &eid, &member.p, OrgRole::Member, None).await;
    accepted(&t, &member, &eid, &m.id).await;
    switched(&t, &member, &eid).await;
    let path = paths::fill(paths::ORGANISATION_ACTIVITY, "eid", eid.as_str());

    for reader in [&owner, &admin] {
        let resp = t.get(&path, Auth::Session(&reader.session)).await;
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
        let entries: Vec<OrganisationActivityEntry> = resp.json().await.unwrap();
        // The member's switch, with her name, masked number and device.
        let switch = entries
            .iter()
            .find(|e| e.action == "session.switch")
            .expect("the member's switch is listed");
        assert_eq!(switch.actor.as_ref(), Some(&member.p.account));
        assert!(switch.actor_name.is_some());
        let masked = switch.actor_citizen_id_masked.as_deref().unwrap();
        assert_ne!(masked, member.p.citizen_id.as_str());
        assert!(switch.device.is_some() && switch.device_name.is_some());
        assert!(
            entries.windows(2).all(|w| w[0].seq > w[1].seq),
            "newest first"
        );
        // Nothing done for another organisation, nothing personal.
        assert!(entries.iter().all(|e| e.action != "delegation.answer"));
    }
    // A member may not; the refusal is audited, with her as the actor.
    assert_error(
        t.get(&path, Auth::Session(&member.session)).await,
        ErrorCode::Forbidden,
    )
    .await;
    let refused: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'organisation.activity' \
         AND outcome = 'denied' AND actor = $1",
    )
    .bind(member.p.account.as_str())
    .fetch_one(&t.state().pool)
    .await
    .unwrap();
    assert_eq!(refused, 1);
    // A person with no role there: refused too.
    let stranger = who(&t).await;
    assert_error(
        t.get(&path, Auth::Session(&stranger.session)).await,
        ErrorCode::Forbidden,
    )
    .await;
}
