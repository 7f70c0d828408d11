//! Confirmation of sensitive actions: wrong passcodes are counted and lock, other mismatches
//! are refused without counting, challenges are single use and expire, and of 100 concurrent
//! uses of one confirmation exactly one goes through. The confirmed route used here is ending
//! another session of the account (`end_session`).

use crate::common;
use crate::identity;

use std::sync::Arc;

use common::{Auth, Device, TestServer};
use common::{Backend, backend_test};
use dinhdanh_core::account::ConfirmationMethod::{self, Biometric, Passcode};
use dinhdanh_core::api::{
    ChallengePurpose, CodeSent, Confirmed, EndSession, ErrorCode, OneTimeCode, PasscodeResetFinish,
    PasscodeResetStart, SecretText, paths,
};
use dinhdanh_core::ids::{AccountId, SessionId};
use dinhdanh_core::signed_action::{
    ActionKind, ActionTarget, Challenge, PendingAction, SignedAction,
};
use dinhdanh_server::testing::{fail_action_after, faults_pending};
use identity::{
    PASSCODE, WRONG_PASSCODE, assert_error, desktop_session, end_session, end_session_confirmed,
    signed_in, wrong_confirmations,
};

backend_test!(a_wrong_passcode_is_refused_and_counted_and_a_right_one_resets_the_count);
async fn a_wrong_passcode_is_refused_and_counted_and_a_right_one_resets_the_count(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, view, session) = signed_in(&t).await;
    let (_, target) = desktop_session(&t, &p, &view.id).await;
    for n in 1..=3 {
        let c = end_session_confirmed(&t, &session, &device, &target, WRONG_PASSCODE).await;
        assert_error(
            end_session(&t, &session, &target, &c).await,
            ErrorCode::WrongConfirmation,
        )
        .await;
        assert_eq!(wrong_confirmations(&t, &view.id).await, n);
    }
    let c = end_session_confirmed(&t, &session, &device, &target, PASSCODE).await;
    assert_eq!(end_session(&t, &session, &target, &c).await.status(), 204);
    assert_eq!(wrong_confirmations(&t, &view.id).await, 0);
}

backend_test!(five_wrong_passcodes_lock_confirmation_for_a_growing_time_and_ten_require_rebinding);
async fn five_wrong_passcodes_lock_confirmation_for_a_growing_time_and_ten_require_rebinding(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let (p, device, view, session) = signed_in(&t).await;
    let (_, target) = desktop_session(&t, &p, &view.id).await;
    let base = t.state().config.limits.confirmation_lock_base_secs;
    let wrong = |passcode: &'static str| {
        let (t, session, device, target) = (&t, &session, &device, &target);
        async move {
            let c = end_session_confirmed(t, session, device, target, passcode).await;
            end_session(t, session, target, &c).await
        }
    };
    // Each wrong passcode before the lock says how many tries are left, in words too.
    for left in (1..=4u32).rev() {
        let err = assert_error(wrong(WRONG_PASSCODE).await, ErrorCode::WrongConfirmation).await;
        assert_eq!(err.attempts_left, Some(left));
        assert!(
            err.message_vi.contains(&format!("Còn {left} lần thử")),
            "{}",
            err.message_vi
        );
        assert!(
            err.message_en.contains(&format!("{left} tr")),
            "{}",
            err.message_en
        );
    }
    let fifth = assert_error(wrong(WRONG_PASSCODE).await, ErrorCode::ConfirmationLocked).await;
    assert_eq!(fifth.retry_after_secs, Some(u64::try_from(base).unwrap()));
    // While locked even the right passcode is refused, and nothing more is counted.
    let locked = assert_error(wrong(PASSCODE).await, ErrorCode::ConfirmationLocked).await;
    assert!(locked.retry_after_secs.is_some_and(|s| s > 0));
    assert_eq!(wrong_confirmations(&t, &view.id).await, 5);

    // Each further wrong passcode, once the lock has passed, doubles it.
    let mut expected_lock = base;
    for n in 6..=9 {
        t.clock.advance(expected_lock + 1);
        expected_lock *= 2;
        let err = assert_error(wrong(WRONG_PASSCODE).await, ErrorCode::ConfirmationLocked).await;
        assert_eq!(
            err.retry_after_secs,
            Some(u64::try_from(expected_lock).unwrap()),
            "wrong confirmation {n}"
        );
    }
    t.clock.advance(expected_lock + 1);
    assert_error(wrong(WRONG_PASSCODE).await, ErrorCode::DeviceRebindRequired).await;
    t.clock.advance(24 * 60 * 60);
    let again = identity::sign_in(&t, &p, &device, &view.id).await;
    let (_, target) = desktop_session(&t, &p, &view.id).await;
    let c = end_session_confirmed(&t, &again, &device, &target, PASSCODE).await;
    assert_error(
        end_session(&t, &again, &target, &c).await,
        ErrorCode::DeviceRebindRequired,
    )
    .await;

    // Binding the phone again (new keys) starts afresh.
    let fresh = Device::new();
    let fresh_view = identity::bind(&t, &p, &fresh).await;
    let s = identity::sign_in(&t, &p, &fresh, &fresh_view.id).await;
    let (_, target) = desktop_session(&t, &p, &fresh_view.id).await;
    let c = end_session_confirmed(&t, &s, &fresh, &target, PASSCODE).await;
    assert_eq!(end_session(&t, &s, &target, &c).await.status(), 204);
}

backend_test!(a_passcode_reset_lifts_the_lock_and_the_old_passcode_stops_working);
async fn a_passcode_reset_lifts_the_lock_and_the_old_passcode_stops_working(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, view, session) = signed_in(&t).await;
    let (_, target) = desktop_session(&t, &p, &view.id).await;
    for _ in 0..5 {
        let c = end_session_confirmed(&t, &session, &device, &target, WRONG_PASSCODE).await;
        end_session(&t, &session, &target, &c).await;
    }
    let c = end_session_confirmed(&t, &session, &device, &target, PASSCODE).await;
    assert_error(
        end_session(&t, &session, &target, &c).await,
        ErrorCode::ConfirmationLocked,
    )
    .await;

    let new_passcode = "135790";
    let resp = t
        .post(
            paths::PASSCODE_RESET_START,
            &PasscodeResetStart {
                password: SecretText::new(p.password.clone()),
            },
            Auth::Session(&session),
        )
        .await;
    let sent: CodeSent = resp.json().await.unwrap();
    let code = t.last_code_to(&p.phone);
    let resp = t
        .post(
            paths::PASSCODE_RESET_FINISH,
            &PasscodeResetFinish {
                pending_id: sent.pending_id,
                code: OneTimeCode::parse(&code).unwrap(),
                passcode_key: Device::public(&device.passcode_key(new_passcode)),
            },
            Auth::Session(&session),
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    assert_eq!(wrong_confirmations(&t, &view.id).await, 0);

    let c = end_session_confirmed(&t, &session, &device, &target, PASSCODE).await;
    assert_error(
        end_session(&t, &session, &target, &c).await,
        ErrorCode::WrongConfirmation,
    )
    .await;
    let c = end_session_confirmed(&t, &session, &device, &target, new_passcode).await;
    assert_eq!(end_session(&t, &session, &target, &c).await.status(), 204);
}

backend_test!(a_used_challenge_cannot_confirm_a_second_action);
async fn a_used_challenge_cannot_confirm_a_second_action(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, view, session) = signed_in(&t).await;
    let (_, first) = desktop_session(&t, &p, &view.id).await;
    let (_, second) = desktop_session(&t, &p, &view.id).await;
    let c = end_session_confirmed(&t, &session, &device, &first, PASSCODE).await;
    let used = c.confirmation.action.challenge.clone();
    assert_eq!(end_session(&t, &session, &first, &c).await.status(), 204);

    let replay = device.confirm(
        t.now(),
        EndSession {
            session: second.clone(),
        },
        ActionKind::EndSession,
        t.origin(),
        used,
        &session.account,
        None,
        ActionTarget::new("session", second.as_str()).unwrap(),
        PASSCODE,
    );
    assert_error(
        end_session(&t, &session, &second, &replay).await,
        ErrorCode::ChallengeInvalid,
    )
    .await;
    assert_eq!(wrong_confirmations(&t, &view.id).await, 0);
}

backend_test!(an_expired_challenge_is_refused);
async fn an_expired_challenge_is_refused(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, view, session) = signed_in(&t).await;
    let (_, target) = desktop_session(&t, &p, &view.id).await;
    let challenge = t
        .challenge(
            ChallengePurpose::Action {
                kind: ActionKind::EndSession,
            },
            Some(&session),
        )
        .await;
    t.clock.advance(301);
    let c = device.confirm(
        t.now(),
        EndSession {
            session: target.clone(),
        },
        ActionKind::EndSession,
        t.origin(),
        challenge,
        &session.account,
        None,
        ActionTarget::new("session", target.as_str()).unwrap(),
        PASSCODE,
    );
    assert_error(
        end_session(&t, &session, &target, &c).await,
        ErrorCode::ChallengeExpired,
    )
    .await;
}

backend_test!(a_confirmation_of_other_content_is_refused_and_not_counted_as_a_wrong_passcode);
async fn a_confirmation_of_other_content_is_refused_and_not_counted_as_a_wrong_passcode(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let (p, device, view, session) = signed_in(&t).await;
    let (_, confirmed_for) = desktop_session(&t, &p, &view.id).await;
    let (_, sent_for) = desktop_session(&t, &p, &view.id).await;
    // The person confirmed ending one session; the request ends another.
    let c = end_session_confirmed(&t, &session, &device, &confirmed_for, PASSCODE).await;
    let tampered = Confirmed {
        body: EndSession {
            session: sent_for.clone(),
        },
        confirmation: c.confirmation,
    };
    assert_error(
        end_session(&t, &session, &sent_for, &tampered).await,
        ErrorCode::Forbidden,
    )
    .await;
    // Signed for the right target, but over another body.
    let challenge = t
        .challenge(
            ChallengePurpose::Action {
                kind: ActionKind::EndSession,
            },
            Some(&session),
        )
        .await;
    let mut other_body = device.confirm(
        t.now(),
        EndSession {
            session: confirmed_for.clone(),
        },
        ActionKind::EndSession,
        t.origin(),
        challenge,
        &session.account,
        None,
        ActionTarget::new("session", sent_for.as_str()).unwrap(),
        PASSCODE,
    );
    other_body.body.session = sent_for.clone();
    // (the body now names `sent_for`, the signed hash covers `confirmed_for`)
    assert_error(
        end_session(&t, &session, &sent_for, &other_body).await,
        ErrorCode::Forbidden,
    )
    .await;
    // Signed for another kind of action.
    let challenge = t
        .challenge(
            ChallengePurpose::Action {
                kind: ActionKind::EndSession,
            },
            Some(&session),
        )
        .await;
    let other_kind = device.confirm(
        t.now(),
        EndSession {
            session: sent_for.clone(),
        },
        ActionKind::SwitchAccount,
        t.origin(),
        challenge,
        &session.account,
        None,
        ActionTarget::new("session", sent_for.as_str()).unwrap(),
        PASSCODE,
    );
    assert_error(
        end_session(&t, &session, &sent_for, &other_kind).await,
        ErrorCode::Forbidden,
    )
    .await;
    assert_eq!(wrong_confirmations(&t, &view.id).await, 0);

    let c = end_session_confirmed(&t, &session, &device, &sent_for, PASSCODE).await;
    assert_eq!(end_session(&t, &session, &sent_for, &c).await.status(), 204);
}

backend_test!(a_desktop_session_cannot_confirm);
async fn a_desktop_session_cannot_confirm(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, view, _) = signed_in(&t).await;
    let (desktop, _) = desktop_session(&t, &p, &view.id).await;
    let (_, target) = desktop_session(&t, &p, &view.id).await;
    // Even with a signature by the phone's passcode key, a desktop session does not confirm.
    let c = end_session_confirmed(&t, &desktop, &device, &target, PASSCODE).await;
    assert_error(
        end_session(&t, &desktop, &target, &c).await,
        ErrorCode::Forbidden,
    )
    .await;
}

backend_test!(a_biometric_confirmation_is_checked_against_the_enrolled_biometric_key);
async fn a_biometric_confirmation_is_checked_against_the_enrolled_biometric_key(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, view, session) = signed_in(&t).await;
    let (_, target) = desktop_session(&t, &p, &view.id).await;
    let sign = |key: &p256::ecdsa::SigningKey, challenge: Challenge, counter: u64| {
        signed_by(
            &t, &p.account, &device, &target, key, Biometric, challenge, counter,
        )
    };
    let purpose = ChallengePurpose::Action {
        kind: ActionKind::EndSession,
    };
    // The passcode key, labelled as biometric, is not the enrolled biometric key.
    let ch = t.challenge(purpose, Some(&session)).await;
    let c = sign(&device.passcode_key(PASSCODE), ch, 1);
    assert_error(
        end_session(&t, &session, &target, &c).await,
        ErrorCode::WrongConfirmation,
    )
    .await;
    let ch = t.challenge(purpose, Some(&session)).await;
    let c = sign(&device.biometric_key, ch, 1);
    assert_eq!(end_session(&t, &session, &target, &c).await.status(), 204);
}

// A method the device registered no key for is refused as `forbidden` before anything is
// counted or used: the same challenge then confirms with the passcode, and the count stays 0.
backend_test!(a_method_without_a_registered_key_is_refused_without_counting_or_using_the_challenge);
async fn a_method_without_a_registered_key_is_refused_without_counting_or_using_the_challenge(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let p = identity::person(&t, true).await;
    let device = Device::new();
    let view = identity::bind_with(&t, &p, &device, |finish| finish.biometric_key = None).await;
    let session = identity::sign_in(&t, &p, &device, &view.id).await;
    let (_, target) = desktop_session(&t, &p, &view.id).await;
    let challenge = t
        .challenge(
            ChallengePurpose::Action {
                kind: ActionKind::EndSession,
            },
            Some(&session),
        )
        .await;
    let sign = |key: &p256::ecdsa::SigningKey, method: ConfirmationMethod| {
        signed_by(
            &t,
            &p.account,
            &device,
            &target,
            key,
            method,
            challenge.clone(),
            1,
        )
    };
    let biometric = sign(&device.biometric_key, Biometric);
    assert_error(
        end_session(&t, &session, &target, &biometric).await,
        ErrorCode::Forbidden,
    )
    .await;
    assert_eq!(wrong_confirmations(&t, &view.id).await, 0);
    let passcode = sign(&device.passcode_key(PASSCODE), Passcode);
    assert_eq!(
        end_session(&t, &session, &target, &passcode).await.status(),
        204
    );
    assert_eq!(wrong_confirmations(&t, &view.id).await, 0);
}

backend_test!(a_repeated_counter_is_refused);
async fn a_repeated_counter_is_refused(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, view, session) = signed_in(&t).await;
    let (_, first) = desktop_session(&t, &p, &view.id).await;
    let (_, second) = desktop_session(&t, &p, &view.id).await;
    let c = end_session_confirmed(&t, &session, &device, &first, PASSCODE).await;
    assert_eq!(end_session(&t, &session, &first, &c).await.status(), 204);
    // A clone of the key would sign with a counter the server has already seen.
    device.counter.set(device.counter.get() - 1);
    let c = end_session_confirmed(&t, &session, &device, &second, PASSCODE).await;
    assert_error(
        end_session(&t, &session, &second, &c).await,
        ErrorCode::ChallengeInvalid,
    )
    .await;
}

backend_test!(
    of_100_concurrent_uses_of_one_confirmation_exactly_one_succeeds,
    flavor = "multi_thread",
    worker_threads = 4
);
async fn of_100_concurrent_uses_of_one_confirmation_exactly_one_succeeds(db: Backend) {
    let t = Arc::new(TestServer::start(db).await);
    let (p, device, view, session) = signed_in(&t).await;
    let (_, target) = desktop_session(&t, &p, &view.id).await;
    let c = end_session_confirmed(&t, &session, &device, &target, PASSCODE).await;
    let body = Arc::new(serde_json::to_vec(&c).unwrap());
    let session = Arc::new(session);
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let (t, body, session, target) = (t.clone(), body.clone(), session.clone(), target.clone());
        tasks.push(tokio::spawn(async move {
            t.send(
                "DELETE",
                &paths::fill(paths::SESSION, "id", target.as_str()),
                Some(&body),
                Auth::Session(&session),
            )
            .await
            .status()
            .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 204).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [204, 400, 404].contains(s)),
        "{statuses:?}"
    );
    let accepted: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'confirmation.end_session.accepted'",
    )
    .fetch_one(&t.state().pool)
    .await
    .unwrap();
    assert_eq!(accepted, 1);
}

backend_test!(a_wrong_passcode_its_count_and_its_audit_entry_commit_together);
async fn a_wrong_passcode_its_count_and_its_audit_entry_commit_together(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, view, session) = signed_in(&t).await;
    let (_, target) = desktop_session(&t, &p, &view.id).await;
    let wrong_entries = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM audit_log \
             WHERE action = 'confirmation.end_session.wrong_confirmation'",
        )
        .fetch_one(&t.state().pool)
        .await
        .unwrap()
    };
    // The check's steps: reserve the attempt (counted as wrong until shown otherwise), use the
    // challenge, ... It fails after the count: nothing of it stays, not even the challenge's use.
    fail_action_after(t.state(), "confirmation.verify", 1);
    let c = end_session_confirmed(&t, &session, &device, &target, WRONG_PASSCODE).await;
    assert_eq!(end_session(&t, &session, &target, &c).await.status(), 500);
    assert!(faults_pending(t.state()).is_empty(), "the failure was used");
    assert_eq!(wrong_confirmations(&t, &view.id).await, 0);
    assert_eq!(wrong_entries().await, 0);
    // Sent again as it was, it is counted and audited, together.
    assert_error(
        end_session(&t, &session, &target, &c).await,
        ErrorCode::WrongConfirmation,
    )
    .await;
    assert_eq!(wrong_confirmations(&t, &view.id).await, 1);
    assert_eq!(wrong_entries().await, 1);
}

backend_test!(an_action_failing_after_its_confirmation_is_undone_and_the_confirmation_stays_used);
async fn an_action_failing_after_its_confirmation_is_undone_and_the_confirmation_stays_used(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let (p, device, view, session) = signed_in(&t).await;
    let (_, target) = desktop_session(&t, &p, &view.id).await;
    let count = |action: &'static str| {
        let pool = t.state().pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_log WHERE action = $1")
                .bind(action)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    // The confirmation and the action are one transaction; the action fails at its first step.
    fail_action_after(t.state(), "session.end", 0);
    let c = end_session_confirmed(&t, &session, &device, &target, PASSCODE).await;
    assert_eq!(end_session(&t, &session, &target, &c).await.status(), 500);
    assert!(faults_pending(t.state()).is_empty(), "the failure was used");
    // The action is undone: the desktop's session is not revoked and nothing says it ended.
    let revoked: Option<i64> = sqlx::query_scalar("SELECT revoked_at FROM sessions WHERE id = $1")
        .bind(target.as_str())
        .fetch_one(&t.state().pool)
        .await
        .unwrap();
    assert_eq!(revoked, None);
    assert_eq!(count("session.end").await, 0);
    // The confirmation ended as it would have alone: accepted, audited once, its challenge
    // used up (the same confirmation again is refused, and not counted as a wrong passcode).
    assert_eq!(count("confirmation.end_session.accepted").await, 1);
    assert_error(
        end_session(&t, &session, &target, &c).await,
        ErrorCode::ChallengeInvalid,
    )
    .await;
    assert_eq!(wrong_confirmations(&t, &view.id).await, 0);
    // A new confirmation ends it, its entries written with the change, the chain intact.
    let c = end_session_confirmed(&t, &session, &device, &target, PASSCODE).await;
    assert_eq!(end_session(&t, &session, &target, &c).await.status(), 204);
    assert_eq!(count("session.end").await, 1);
    assert_eq!(count("confirmation.end_session.accepted").await, 2);
    let report = dinhdanh_server::store::audit::verify_chain(t.state())
        .await
        .unwrap();
    assert_eq!(report.first_broken, None);
}

backend_test!(
    a_burst_of_concurrent_wrong_passcodes_gets_no_more_tries_than_the_limits_leave,
    flavor = "multi_thread",
    worker_threads = 4
);
async fn a_burst_of_concurrent_wrong_passcodes_gets_no_more_tries_than_the_limits_leave(
    db: Backend,
) {
    // Several people at once, so the bursts interleave as they would under load.
    const PEOPLE: usize = 4;
    let t = Arc::new(TestServer::start(db).await);
    let limits = t.state().config.limits.clone();
    let mut people = Vec::new();
    for _ in 0..PEOPLE {
        let (p, device, view, session) = signed_in(&t).await;
        let (_, target) = desktop_session(&t, &p, &view.id).await;
        people.push((device, view, Arc::new(session), target));
    }
    // 8 wrong ones recorded for each, each after the lock of the one before has passed.
    for n in 1..=8 {
        for (device, _, session, target) in &people {
            let c = end_session_confirmed(&t, session, device, target, WRONG_PASSCODE).await;
            end_session(&t, session, target, &c).await;
        }
        if n >= limits.confirmation_lock_after {
            // The lock doubles from the 5th on.
            let period = limits.confirmation_lock_base_secs << (n - limits.confirmation_lock_after);
            t.clock.advance(period + 1);
        }
    }
    for (_, view, _, _) in &people {
        assert_eq!(wrong_confirmations(&t, &view.id).await, 8);
    }
    let evaluated = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM audit_log \
             WHERE action = 'confirmation.end_session.wrong_confirmation'",
        )
        .fetch_one(&t.state().pool)
        .await
        .unwrap()
    };
    let before = evaluated().await;
    assert_eq!(before, 8 * i64::try_from(PEOPLE).unwrap());

    // 50 wrong confirmations each, over challenges fetched beforehand, all sent at once.
    let mut requests = Vec::new();
    for (device, _, session, target) in &people {
        for _ in 0..50 {
            let c = end_session_confirmed(&t, session, device, target, WRONG_PASSCODE).await;
            requests.push((
                session.clone(),
                target.clone(),
                serde_json::to_vec(&c).unwrap(),
            ));
        }
    }
    let mut tasks = Vec::new();
    for (session, target, body) in requests {
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            t.send(
                "DELETE",
                &paths::fill(paths::SESSION, "id", target.as_str()),
                Some(&body),
                Auth::Session(&session),
            )
            .await
            .status()
            .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert!(
        statuses.iter().all(|s| *s != 204 && *s < 500),
        "{statuses:?}"
    );
    // Only 2 tries were left before rebinding (the 9th locks, so here 1 is evaluated each).
    for (_, view, _, _) in &people {
        let n = wrong_confirmations(&t, &view.id).await;
        assert!(n <= limits.confirmation_rebind_after, "{} evaluated", n - 8);
    }
    let burst = evaluated().await - before;
    assert!(
        burst <= 2 * i64::try_from(PEOPLE).unwrap(),
        "{burst} evaluated"
    );
}

/// Ending the session `target`, confirmed with `key` for `method`: made here rather than by
/// the test device, so a test can sign with another key or method than the device would.
#[allow(clippy::too_many_arguments)]
fn signed_by(
    t: &TestServer,
    account: &AccountId,
    device: &Device,
    target: &SessionId,
    key: &p256::ecdsa::SigningKey,
    method: ConfirmationMethod,
    challenge: Challenge,
    counter: u64,
) -> Confirmed<EndSession> {
    let body = EndSession {
        session: target.clone(),
    };
    let action = SignedAction {
        kind: ActionKind::EndSession,
        origin: t.origin(),
        challenge,
        account: account.clone(),
        acting_for: None,
        target: ActionTarget::new("session", target.as_str()).unwrap(),
        body_hash: dinhdanh_core::signed_action::canonical_body_hash(&body).unwrap(),
        device_key_id: Device::key_id(&device.device_key),
        confirmation_key_id: Device::key_id(key),
        method,
        counter,
        time: t.now(),
    };
    Confirmed {
        body,
        confirmation: PendingAction::new(action).sign_with(key).unwrap(),
    }
}
