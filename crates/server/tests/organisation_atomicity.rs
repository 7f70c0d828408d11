//! Organisation actions commit whole or not at all: a failure injected after each step of an
//! action's transaction (switching a session, adding a delegate, accepting, revoking) leaves no trace
//! of the change — no delegation, no switched session, no notification, no audit entry — and
//! an audit chain that still verifies; once the action runs to its end, everything is there.
//!
//! The confirmation of each attempt is verified (and audited, `confirmation.*`) before the
//! action's transaction, on purpose: a used challenge stays used. So each attempt asks for a
//! fresh challenge, and the audit entries counted here are the action's own.

use crate::common;
use crate::identity;

use common::{Auth, Device, Session, TestServer};
use common::{Backend, backend_test};
use dinhdanh_core::account::OrgRole;
use dinhdanh_core::api::{
    AddDelegate, ChallengePurpose, Confirmed, DelegationAnswer, DelegationView, RevokeDelegate,
    SwitchAccount, paths,
};
use dinhdanh_core::ids::{DelegationId, OrgEid, TaxCode};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use dinhdanh_server::testing::audit;
use dinhdanh_server::testing::{AppState, fail_action_after};
use identity::{PASSCODE, Person, signed_in};
use serde::Serialize;

/// Fails the next transaction of `action` once it has taken `after_steps` steps.
fn arm_failure(state: &AppState, action: &str, after_steps: usize) {
    fail_action_after(state, action, after_steps);
}

/// A signed-in person with their phone, and the organisation their session acts for.
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

/// An enterprise with `owner` as its legal representative (and so its owner).
async fn organisation_of(t: &TestServer, owner: &Person) -> OrgEid {
    let tax = (300_000_001..).find_map(TaxCode::from_body).unwrap();
    identity::enterprise_owned_by(
        t,
        &owner.account,
        &owner.citizen_id,
        "Nguyễn Thị Lan",
        "Công ty TNHH Nguyên Tử",
        tax,
    )
    .await
}

/// `body` confirmed in `w`'s session with a fresh challenge.
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
        w.acting.clone(),
        target,
        PASSCODE,
    )
}

fn org_target(eid: &OrgEid) -> ActionTarget {
    ActionTarget::new("organisation", eid.as_str()).unwrap()
}

async fn switch(t: &TestServer, w: &Who, to: &OrgEid) -> reqwest::Response {
    let body = SwitchAccount {
        to: Some(to.clone()),
    };
    let confirmed = confirm(t, w, ActionKind::SwitchAccount, org_target(to), body).await;
    t.post(paths::ACCOUNT_SWITCH, &confirmed, Auth::Session(&w.session))
        .await
}

async fn add(t: &TestServer, by: &Who, eid: &OrgEid, person: &Person) -> reqwest::Response {
    let body = AddDelegate {
        organisation: eid.clone(),
        citizen_id: person.citizen_id.clone(),
        role: OrgRole::Member,
        expires_on: None,
    };
    let confirmed = confirm(t, by, ActionKind::AddDelegate, org_target(eid), body).await;
    let path = paths::fill(paths::DELEGATIONS, "eid", eid.as_str());
    t.post(&path, &confirmed, Auth::Session(&by.session)).await
}

async fn accept(t: &TestServer, w: &Who, eid: &OrgEid, id: &DelegationId) -> reqwest::Response {
    let body = DelegationAnswer {
        organisation: eid.clone(),
        delegation: id.clone(),
        accept: true,
    };
    let target = ActionTarget::new("delegation", id.as_str()).unwrap();
    let confirmed = confirm(t, w, ActionKind::AcceptDelegation, target, body).await;
    let path = paths::fill(
        &paths::fill(paths::DELEGATION_ANSWER, "eid", eid.as_str()),
        "id",
        id.as_str(),
    );
    t.post(&path, &confirmed, Auth::Session(&w.session)).await
}

async fn revoke(t: &TestServer, by: &Who, eid: &OrgEid, id: &DelegationId) -> reqwest::Response {
    let body = RevokeDelegate {
        organisation: eid.clone(),
        delegation: id.clone(),
    };
    let target = ActionTarget::new("delegation", id.as_str()).unwrap();
    let confirmed = confirm(t, by, ActionKind::RevokeDelegate, target, body).await;
    let path = paths::fill(
        &paths::fill(paths::DELEGATION, "eid", eid.as_str()),
        "id",
        id.as_str(),
    );
    let bytes = serde_json::to_vec(&confirmed).unwrap();
    t.send("DELETE", &path, Some(&bytes), Auth::Session(&by.session))
        .await
}

/// What an organisation action may change, counted.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    delegations: i64,
    revoked_delegations: i64,
    accepted_delegations: i64,
    acting_sessions: i64,
    notifications: i64,
    /// Audit entries other than the confirmations' (which persist by design).
    action_audit_entries: i64,
}

async fn count(state: &AppState, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&state.pool)
        .await
        .unwrap()
}

async fn snapshot(state: &AppState) -> Snapshot {
    Snapshot {
        delegations: count(state, "SELECT COUNT(*) FROM delegations").await,
        revoked_delegations: count(
            state,
            "SELECT COUNT(*) FROM delegations WHERE revoked_at IS NOT NULL",
        )
        .await,
        accepted_delegations: count(
            state,
            "SELECT COUNT(*) FROM delegations WHERE accepted_at IS NOT NULL",
        )
        .await,
        acting_sessions: count(
            state,
            "SELECT COUNT(*) FROM sessions WHERE acting_for IS NOT NULL",
        )
        .await,
        notifications: count(state, "SELECT COUNT(*) FROM notifications").await,
        action_audit_entries: count(
            state,
            "SELECT COUNT(*) FROM audit_log WHERE action NOT LIKE 'confirmation.%'",
        )
        .await,
    }
}

async fn assert_chain_verifies(state: &AppState) {
    let report = audit::verify_chain(state).await.unwrap();
    assert_eq!(report.first_broken, None);
    assert!(report.checkpoint_matches);
}

/// Runs `attempt` with a failure armed after 0, 1, 2, … steps of `action`'s transaction:
/// every failed attempt answers 500 and leaves `snapshot` as it was, with a verifying audit
/// chain; returns the response of the first attempt the failure did not reach, and how many
/// failed before it.
async fn fail_each_step<F, Fut>(
    t: &TestServer,
    action: &str,
    attempt: F,
) -> (reqwest::Response, usize)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = reqwest::Response>,
{
    let before = snapshot(t.state()).await;
    for k in 0..32 {
        arm_failure(t.state(), action, k);
        let resp = attempt().await;
        if resp.status() != 500 {
            assert!(
                t.state().faults.pending().is_empty(),
                "{action} never began its transaction: {}",
                resp.status()
            );
            return (resp, k);
        }
        assert_eq!(
            snapshot(t.state()).await,
            before,
            "{action} failed after {k} steps but left a change behind"
        );
        assert_chain_verifies(t.state()).await;
    }
    panic!("{action} still fails after 32 steps");
}

backend_test!(a_switch_that_fails_at_any_step_leaves_the_session_as_it_was);
async fn a_switch_that_fails_at_any_step_leaves_the_session_as_it_was(db: Backend) {
    let t = TestServer::start(db).await;
    let owner = who(&t).await;
    let eid = organisation_of(&t, &owner.p).await;
    let before = snapshot(t.state()).await;

    let (resp, failed) = fail_each_step(&t, "session.switch", || switch(&t, &owner, &eid)).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    assert!(
        failed >= 2,
        "the switch and its audit entry are separate steps"
    );

    let after = snapshot(t.state()).await;
    assert_eq!(after.acting_sessions, before.acting_sessions + 1);
    assert_eq!(after.action_audit_entries, before.action_audit_entries + 1);
    let switched: Option<String> =
        sqlx::query_scalar("SELECT acting_for FROM sessions WHERE account_id = $1")
            .bind(owner.p.account.as_str())
            .fetch_one(&t.state().pool)
            .await
            .unwrap();
    assert_eq!(switched.as_deref(), Some(eid.as_str()));
    assert_chain_verifies(t.state()).await;
}

backend_test!(adding_a_delegate_that_fails_at_any_step_leaves_no_delegation_notice_or_entry);
async fn adding_a_delegate_that_fails_at_any_step_leaves_no_delegation_notice_or_entry(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let owner = who(&t).await;
    let delegate = who(&t).await;
    let eid = organisation_of(&t, &owner.p).await;
    let before = snapshot(t.state()).await;

    let (resp, failed) =
        fail_each_step(&t, "delegation.add", || add(&t, &owner, &eid, &delegate.p)).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    assert!(
        failed >= 3,
        "the delegation, its notice and its audit entry are separate steps"
    );
    let view: DelegationView = resp.json().await.unwrap();
    assert_eq!(view.person.account, delegate.p.account);

    let after = snapshot(t.state()).await;
    assert_eq!(after.delegations, before.delegations + 1);
    assert_eq!(after.notifications, before.notifications + 1);
    assert_eq!(after.action_audit_entries, before.action_audit_entries + 1);
    let invitation: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE account_id = $1 AND link LIKE '%/answer'",
    )
    .bind(delegate.p.account.as_str())
    .fetch_one(&t.state().pool)
    .await
    .unwrap();
    assert_eq!(invitation, 1, "one invitation, to the delegate");
    assert_chain_verifies(t.state()).await;
}

backend_test!(a_revocation_that_fails_at_any_step_leaves_the_delegation_open);
async fn a_revocation_that_fails_at_any_step_leaves_the_delegation_open(db: Backend) {
    let t = TestServer::start(db).await;
    let owner = who(&t).await;
    let delegate = who(&t).await;
    let eid = organisation_of(&t, &owner.p).await;
    let resp = add(&t, &owner, &eid, &delegate.p).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let view: DelegationView = resp.json().await.unwrap();
    let before = snapshot(t.state()).await;

    let (resp, failed) = fail_each_step(&t, "delegation.revoke", || {
        revoke(&t, &owner, &eid, &view.id)
    })
    .await;
    assert_eq!(resp.status(), 204, "{}", resp.text().await.unwrap());
    assert!(
        failed >= 3,
        "the revocation, its notice and its audit entry are separate steps"
    );

    let after = snapshot(t.state()).await;
    assert_eq!(after.revoked_delegations, before.revoked_delegations + 1);
    assert_eq!(after.notifications, before.notifications + 1);
    assert_eq!(after.action_audit_entries, before.action_audit_entries + 1);
    assert_chain_verifies(t.state()).await;
}

backend_test!(an_acceptance_that_fails_at_any_step_leaves_the_delegation_pending);
async fn an_acceptance_that_fails_at_any_step_leaves_the_delegation_pending(db: Backend) {
    let t = TestServer::start(db).await;
    let owner = who(&t).await;
    let delegate = who(&t).await;
    let eid = organisation_of(&t, &owner.p).await;
    let resp = add(&t, &owner, &eid, &delegate.p).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let view: DelegationView = resp.json().await.unwrap();
    let before = snapshot(t.state()).await;

    let (resp, failed) = fail_each_step(&t, "delegation.answer", || {
        accept(&t, &delegate, &eid, &view.id)
    })
    .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    assert!(
        failed >= 3,
        "the answer, its notice and its audit entry are separate steps"
    );

    let after = snapshot(t.state()).await;
    assert_eq!(after.accepted_delegations, before.accepted_delegations + 1);
    assert_eq!(after.notifications, before.notifications + 1);
    assert_eq!(after.action_audit_entries, before.action_audit_entries + 1);
    assert_chain_verifies(t.state()).await;
}
