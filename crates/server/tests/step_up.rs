//! Step-up on its own (`POST /v1/me/step-up`): the registration wizard's first step checks the
//! passcode before anything is filled in. It goes through the same confirmation as every
//! sensitive route, so wrong passcodes count toward the lock-out. Runs on SQLite and on
//! PostgreSQL (`backend_test!`).

use crate::common;
use crate::identity;

use common::{Auth, Device, Session, TestServer};
use common::{Backend, backend_test};
use dinhdanh_core::api::{
    ChallengePurpose, Confirmed, ErrorCode, StepUpDone, StepUpPurpose, StepUpRequest, paths,
};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use identity::{PASSCODE, WRONG_PASSCODE, assert_error, signed_in, wrong_confirmations};

const PURPOSE: StepUpPurpose = StepUpPurpose::OpenOrganisationIdentity;

async fn step_up_confirmed(
    t: &TestServer,
    phone: &Session,
    device: &Device,
    passcode: &str,
) -> Confirmed<StepUpRequest> {
    let challenge = t
        .challenge(
            ChallengePurpose::Action {
                kind: ActionKind::StepUp,
            },
            Some(phone),
        )
        .await;
    device.confirm(
        t.now(),
        StepUpRequest { purpose: PURPOSE },
        ActionKind::StepUp,
        t.origin(),
        challenge,
        &phone.account,
        None,
        ActionTarget::new("step_up", PURPOSE.as_str()).unwrap(),
        passcode,
    )
}

backend_test!(the_right_passcode_passes_the_step_up_and_is_audited);
async fn the_right_passcode_passes_the_step_up_and_is_audited(db: Backend) {
    let t = TestServer::start(db).await;
    let (_p, device, _, phone) = signed_in(&t).await;
    let confirmed = step_up_confirmed(&t, &phone, &device, PASSCODE).await;
    let resp = t
        .post(paths::STEP_UP, &confirmed, Auth::Session(&phone))
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let done: StepUpDone = resp.json().await.unwrap();
    assert_eq!(done.purpose, PURPOSE);
    assert!(done.until.timestamp() > t.now());

    let audited: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE actor = $1 AND action = $2")
            .bind(phone.account.as_str())
            .bind("step_up.open_organisation_identity")
            .fetch_one(&t.state().pool)
            .await
            .unwrap();
    assert_eq!(audited, 1);
}

backend_test!(a_wrong_passcode_is_refused_and_counts_toward_the_lock_out);
async fn a_wrong_passcode_is_refused_and_counts_toward_the_lock_out(db: Backend) {
    let t = TestServer::start(db).await;
    let (_p, device, view, phone) = signed_in(&t).await;
    for n in 1..=4 {
        let confirmed = step_up_confirmed(&t, &phone, &device, WRONG_PASSCODE).await;
        let resp = t
            .post(paths::STEP_UP, &confirmed, Auth::Session(&phone))
            .await;
        assert_error(resp, ErrorCode::WrongConfirmation).await;
        assert_eq!(wrong_confirmations(&t, &view.id).await, n);
    }
    // The fifth wrong one in a row locks confirmation, as on every other sensitive route.
    let confirmed = step_up_confirmed(&t, &phone, &device, WRONG_PASSCODE).await;
    let resp = t
        .post(paths::STEP_UP, &confirmed, Auth::Session(&phone))
        .await;
    assert_error(resp, ErrorCode::ConfirmationLocked).await;
    // Even the right passcode waits for the lock to end.
    let confirmed = step_up_confirmed(&t, &phone, &device, PASSCODE).await;
    let resp = t
        .post(paths::STEP_UP, &confirmed, Auth::Session(&phone))
        .await;
    assert_error(resp, ErrorCode::ConfirmationLocked).await;
}

backend_test!(a_replayed_step_up_is_refused);
async fn a_replayed_step_up_is_refused(db: Backend) {
    let t = TestServer::start(db).await;
    let (_p, device, _, phone) = signed_in(&t).await;
    let confirmed = step_up_confirmed(&t, &phone, &device, PASSCODE).await;
    let resp = t
        .post(paths::STEP_UP, &confirmed, Auth::Session(&phone))
        .await;
    assert_eq!(resp.status(), 200);
    let resp = t
        .post(paths::STEP_UP, &confirmed, Auth::Session(&phone))
        .await;
    assert_error(resp, ErrorCode::ChallengeInvalid).await;
}

backend_test!(a_step_up_without_a_confirmation_asks_for_one);
async fn a_step_up_without_a_confirmation_asks_for_one(db: Backend) {
    let t = TestServer::start(db).await;
    let (_p, _device, _, phone) = signed_in(&t).await;
    let resp = t
        .post(
            paths::STEP_UP,
            &serde_json::json!({"body": StepUpRequest { purpose: PURPOSE }}),
            Auth::Session(&phone),
        )
        .await;
    assert_error(resp, ErrorCode::StepUpRequired).await;
}

backend_test!(a_step_up_for_another_purpose_target_is_refused_without_counting);
async fn a_step_up_for_another_purpose_target_is_refused_without_counting(db: Backend) {
    let t = TestServer::start(db).await;
    let (_p, device, view, phone) = signed_in(&t).await;
    let challenge = t
        .challenge(
            ChallengePurpose::Action {
                kind: ActionKind::StepUp,
            },
            Some(&phone),
        )
        .await;
    let confirmed = device.confirm(
        t.now(),
        StepUpRequest { purpose: PURPOSE },
        ActionKind::StepUp,
        t.origin(),
        challenge,
        &phone.account,
        None,
        ActionTarget::new("step_up", "something_else").unwrap(),
        PASSCODE,
    );
    let resp = t
        .post(paths::STEP_UP, &confirmed, Auth::Session(&phone))
        .await;
    assert_error(resp, ErrorCode::Forbidden).await;
    assert_eq!(wrong_confirmations(&t, &view.id).await, 0);
}
