//! Device binding and re-binding, passcode reset, self-lock.

use crate::common;
use crate::identity;

use common::{Auth, Device, TestServer};
use common::{Backend, backend_test};
use dinhdanh_core::account::ConfirmationMethod;
use dinhdanh_core::api::{
    AccountView, AuditOutcome, CodeSent, DeviceBindingStart, DeviceView, ErrorCode, Notification,
    NotificationKind, OneTimeCode, PasscodeResetFinish, PasscodeResetStart, SecretText,
    SelfLockFinish, SelfLockStart, paths,
};
use dinhdanh_core::ids::DeviceId;
use dinhdanh_server::testing::{audit, fail_action_after, faults_pending};
use identity::{
    PASSCODE, assert_error, bind, binding_finish_body, binding_start, login_body, person, sign_in,
    signed_in,
};
use p256::ecdsa::SigningKey;
use rand_core::OsRng;

backend_test!(binding_sends_a_code_to_the_phone_and_registers_the_devices_keys);
async fn binding_sends_a_code_to_the_phone_and_registers_the_devices_keys(db: Backend) {
    let t = TestServer::start(db).await;
    let p = person(&t, true).await;
    let device = Device::new();
    let sent = binding_start(&t, &p).await;
    assert_ne!(sent.sent_to, p.phone, "masked");
    assert!(sent.sent_to.ends_with(&p.phone[7..]));
    let code = t.last_code_to(&p.phone);
    let resp = t
        .post(
            paths::DEVICE_BINDING_FINISH,
            &binding_finish_body(&device, &sent.pending_id, &code),
            Auth::DeviceKey(&device.device_key),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    // The confirmation keys are registered but never served: with the passcode key's id and
    // the salt on a stolen phone, all 10^6 passcodes could be tried offline.
    for key in [device.passcode_key(PASSCODE), device.biometric_key.clone()] {
        let id = Device::key_id(&key).to_string();
        assert!(
            !text.contains(&id),
            "a confirmation key's id is served: {text}"
        );
    }
    let view: DeviceView = serde_json::from_str(&text).unwrap();
    assert_eq!(view.device_key_id, Device::key_id(&device.device_key));
    let mut methods: Vec<_> = view.confirmation_keys.iter().map(|k| k.method).collect();
    methods.sort_by_key(|m| format!("{m:?}"));
    assert_eq!(
        methods,
        [ConfirmationMethod::Biometric, ConfirmationMethod::Passcode]
    );
    assert_eq!(
        active_key_ids(&t, &view.id, "passcode").await,
        [Device::key_id(&device.passcode_key(PASSCODE))]
    );
    // The code was single use.
    let other = Device::new();
    let again = t
        .post(
            paths::DEVICE_BINDING_FINISH,
            &binding_finish_body(&other, &sent.pending_id, &code),
            Auth::DeviceKey(&other.device_key),
        )
        .await;
    assert_error(again, ErrorCode::OneTimeCodeInvalid).await;
}

backend_test!(binding_finish_needs_a_proof_by_the_new_device_key);
async fn binding_finish_needs_a_proof_by_the_new_device_key(db: Backend) {
    let t = TestServer::start(db).await;
    let p = person(&t, false).await;
    let device = Device::new();
    let sent = binding_start(&t, &p).await;
    let code = t.last_code_to(&p.phone);
    let body = binding_finish_body(&device, &sent.pending_id, &code);
    let resp = t
        .post(paths::DEVICE_BINDING_FINISH, &body, Auth::None)
        .await;
    assert_error(resp, ErrorCode::InvalidRequestProof).await;
    let other = SigningKey::random(&mut OsRng);
    let resp = t
        .post(paths::DEVICE_BINDING_FINISH, &body, Auth::DeviceKey(&other))
        .await;
    assert_error(resp, ErrorCode::InvalidRequestProof).await;
    // The code was not spent by those refusals.
    let resp = t
        .post(
            paths::DEVICE_BINDING_FINISH,
            &body,
            Auth::DeviceKey(&device.device_key),
        )
        .await;
    assert_eq!(resp.status(), 200);
    // ... but the successful binding spent it.
    let other = Device::new();
    let replay = t
        .post(
            paths::DEVICE_BINDING_FINISH,
            &binding_finish_body(&other, &sent.pending_id, &code),
            Auth::DeviceKey(&other.device_key),
        )
        .await;
    assert_error(replay, ErrorCode::OneTimeCodeInvalid).await;
}

backend_test!(a_wrong_code_does_not_bind);
async fn a_wrong_code_does_not_bind(db: Backend) {
    let t = TestServer::start(db).await;
    let p = person(&t, false).await;
    let device = Device::new();
    let sent = binding_start(&t, &p).await;
    let code = t.last_code_to(&p.phone);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let resp = t
        .post(
            paths::DEVICE_BINDING_FINISH,
            &binding_finish_body(&device, &sent.pending_id, wrong),
            Auth::DeviceKey(&device.device_key),
        )
        .await;
    assert_error(resp, ErrorCode::OneTimeCodeInvalid).await;
    let bound: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM devices")
        .fetch_one(&t.state().pool)
        .await
        .unwrap();
    assert_eq!(bound, 0);
}

backend_test!(binding_start_answers_an_unknown_number_like_a_wrong_password);
async fn binding_start_answers_an_unknown_number_like_a_wrong_password(db: Backend) {
    let t = TestServer::start(db).await;
    let p = person(&t, false).await;
    let nobody = dinhdanh_core::ids::CitizenId::from_parts(
        dinhdanh_core::ids::OldProvince::from_code(79).unwrap(),
        dinhdanh_core::ids::Gender::Male,
        1985,
        654_321,
    )
    .unwrap();
    let mut answers = Vec::new();
    for (citizen_id, password) in [
        (p.citizen_id.clone(), "Sai#mat-khau1".to_owned()),
        (nobody, p.password.clone()),
    ] {
        let resp = t
            .post(
                paths::DEVICE_BINDING_START,
                &DeviceBindingStart {
                    citizen_id,
                    password: SecretText::new(password),
                },
                Auth::None,
            )
            .await;
        answers.push((resp.status().as_u16(), resp.text().await.unwrap()));
    }
    assert_eq!(answers[0].0, 401);
    assert!(answers[0].1.contains("invalid_credentials"));
    assert_eq!(answers[0], answers[1]);
    assert!(t.outbox().is_empty(), "no code was sent");
}

backend_test!(rebinding_unbinds_the_old_device_ends_its_sessions_and_tells_the_person);
async fn rebinding_unbinds_the_old_device_ends_its_sessions_and_tells_the_person(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, old_device, old_view, old_session) = signed_in(&t).await;
    let new_device = Device::new();
    let new_view = bind(&t, &p, &new_device).await;
    assert_ne!(new_view.id, old_view.id);

    let resp = t.get(paths::ME, Auth::Session(&old_session)).await;
    assert_error(resp, ErrorCode::Unauthenticated).await;
    // The old device cannot sign in any more: it is no longer bound, and with the password
    // and its own key it is told so (see the test below for everyone else).
    let body = login_body(&t, &p.citizen_id, &p.password, &old_view.id).await;
    let resp = t
        .post(paths::LOGIN, &body, Auth::DeviceKey(&old_device.device_key))
        .await;
    assert_error(resp, ErrorCode::DeviceUnbound).await;
    // Its confirmation keys are void.
    let live_old_keys: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM confirmation_keys WHERE device_id = $1 AND revoked_at IS NULL",
    )
    .bind(old_view.id.as_str())
    .fetch_one(&t.state().pool)
    .await
    .unwrap();
    assert_eq!(live_old_keys, 0);

    let alerts = t
        .outbox()
        .into_iter()
        .filter(|m| m["to"] == p.phone.as_str() && m["kind"] == "alert.device_changed")
        .count();
    assert_eq!(alerts, 2, "one per binding");
    let session = sign_in(&t, &p, &new_device, &new_view.id).await;
    let inbox: Vec<Notification> = t
        .get(paths::NOTIFICATIONS, Auth::Session(&session))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        inbox
            .iter()
            .filter(|n| n.kind == NotificationKind::DeviceChanged)
            .count(),
        2
    );
}

/// A sign-in of `p` from `device` with `password`, its proof made with `key`.
async fn login(
    t: &TestServer,
    p: &identity::Person,
    password: &str,
    device: &DeviceId,
    key: &SigningKey,
) -> reqwest::Response {
    let body = login_body(t, &p.citizen_id, password, device).await;
    t.post(paths::LOGIN, &body, Auth::DeviceKey(key)).await
}

backend_test!(an_unbound_phone_is_told_so_only_with_the_right_password_and_its_own_key);
async fn an_unbound_phone_is_told_so_only_with_the_right_password_and_its_own_key(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, old_device, old_view, _) = signed_in(&t).await;
    let new_device = Device::new();
    bind(&t, &p, &new_device).await;
    let unbound_at: i64 = sqlx::query_scalar("SELECT unbound_at FROM devices WHERE id = $1")
        .bind(old_view.id.as_str())
        .fetch_one(&t.state().pool)
        .await
        .unwrap();
    let old_key = old_device.device_key.clone();

    // The right password and a proof by the old phone's key: device_unbound, since when, and
    // why (another device was bound at that moment).
    let resp = login(&t, &p, &p.password, &old_view.id, &old_key).await;
    let err = assert_error(resp, ErrorCode::DeviceUnbound).await;
    assert_eq!(err.unbound_at.map(|at| at.timestamp()), Some(unbound_at));
    assert!(
        err.message_vi
            .contains("vì một thiết bị khác đã được liên kết"),
        "{}",
        err.message_vi
    );
    assert!(
        err.message_en.contains("another device was bound at"),
        "{}",
        err.message_en
    );
    let entries = audit::entries_about(t.state(), &t.state().keys.citizen_key(&p.citizen_id))
        .await
        .unwrap();
    let refused: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "session.sign_in.device_unbound")
        .collect();
    assert_eq!(refused.len(), 1, "{entries:?}");
    assert_eq!(refused[0].outcome, AuditOutcome::Denied);
    assert_eq!(refused[0].actor.as_ref(), Some(&p.account));
    assert_eq!(refused[0].device.as_ref(), Some(&old_view.id));

    // Everyone else gets the one invalid_credentials, byte for byte: a wrong password with the
    // old key, the right password and the old device's id with another key's proof, and the
    // right password from a device never bound (with that device's own proof).
    let never_bound = DeviceId::parse("dev_never-bound-anywhere").unwrap();
    let stranger_key = SigningKey::random(&mut OsRng);
    let answers = [
        login(&t, &p, "Sai#mat-khau1", &old_view.id, &old_key).await,
        login(&t, &p, &p.password, &old_view.id, &stranger_key).await,
        login(&t, &p, &p.password, &never_bound, &stranger_key).await,
    ];
    let mut seen = Vec::new();
    for resp in answers {
        seen.push((resp.status().as_u16(), resp.text().await.unwrap()));
    }
    assert_eq!(seen[0].0, 401);
    assert!(seen[0].1.contains("invalid_credentials"), "{}", seen[0].1);
    assert!(seen.iter().all(|a| *a == seen[0]), "{seen:?}");
    assert!(!seen[0].1.contains("unbound_at"));
    let entries = audit::entries_about(t.state(), &t.state().keys.citizen_key(&p.citizen_id))
        .await
        .unwrap();
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.action == "session.sign_in.device_unbound")
            .count(),
        1,
        "only the first attempt was told"
    );
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.action == "session.sign_in" && e.outcome == AuditOutcome::Denied)
            .count(),
        3
    );

    // One more binding later on: the device bound now was not bound when the old phone was
    // unbound, so the sentence says only since when, which stays true.
    t.clock.advance(60);
    bind(&t, &p, &Device::new()).await;
    let resp = login(&t, &p, &p.password, &old_view.id, &old_key).await;
    let err = assert_error(resp, ErrorCode::DeviceUnbound).await;
    assert_eq!(err.unbound_at.map(|at| at.timestamp()), Some(unbound_at));
    assert!(
        err.message_en.contains("it was unbound at"),
        "{}",
        err.message_en
    );
}

backend_test!(a_binding_that_fails_midway_changes_nothing_and_tells_no_one);
async fn a_binding_that_fails_midway_changes_nothing_and_tells_no_one(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, _, old_view, old_session) = signed_in(&t).await;
    let sent = binding_start(&t, &p).await;
    let code = t.last_code_to(&p.phone);
    // The binding's transaction fails once the old device is unbound and the sessions ended.
    fail_action_after(t.state(), "device.bind", 3);
    let new_device = Device::new();
    let resp = t
        .post(
            paths::DEVICE_BINDING_FINISH,
            &binding_finish_body(&new_device, &sent.pending_id, &code),
            Auth::DeviceKey(&new_device.device_key),
        )
        .await;
    assert_eq!(resp.status(), 500);
    assert!(faults_pending(t.state()).is_empty(), "the failure was met");

    // The old device is still bound, its session still works, and no one was told.
    assert_eq!(
        t.get(paths::ME, Auth::Session(&old_session)).await.status(),
        200
    );
    let bound: Vec<String> = sqlx::query_scalar(
        "SELECT d.id FROM devices d JOIN accounts a ON a.id = d.account_id \
         WHERE a.citizen_key = $1 AND d.unbound_at IS NULL",
    )
    .bind(t.state().keys.citizen_key(&p.citizen_id))
    .fetch_all(&t.state().pool)
    .await
    .unwrap();
    assert_eq!(bound, vec![old_view.id.as_str().to_owned()]);
    let alerts = t
        .outbox()
        .into_iter()
        .filter(|m| m["to"] == p.phone.as_str() && m["kind"] == "alert.device_changed")
        .count();
    assert_eq!(alerts, 1, "only the first binding's");
    let entries = audit::entries_about(t.state(), &t.state().keys.citizen_key(&p.citizen_id))
        .await
        .unwrap();
    assert_eq!(
        entries.iter().filter(|e| e.action == "device.bind").count(),
        1,
        "no audit entry for a change that did not happen"
    );
    assert!(!entries.iter().any(|e| e.action == "device.unbind"));
}

backend_test!(a_device_key_is_never_bound_twice);
async fn a_device_key_is_never_bound_twice(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, _, _) = signed_in(&t).await;
    let sent = binding_start(&t, &p).await;
    let code = t.last_code_to(&p.phone);
    let resp = t
        .post(
            paths::DEVICE_BINDING_FINISH,
            &binding_finish_body(&device, &sent.pending_id, &code),
            Auth::DeviceKey(&device.device_key),
        )
        .await;
    assert_error(resp, ErrorCode::Conflict).await;
}

async fn reset_passcode(
    t: &TestServer,
    p: &identity::Person,
    session: &common::Session,
    new_key: &SigningKey,
) -> reqwest::Response {
    let resp = t
        .post(
            paths::PASSCODE_RESET_START,
            &PasscodeResetStart {
                password: SecretText::new(p.password.clone()),
            },
            Auth::Session(session),
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let sent: CodeSent = resp.json().await.unwrap();
    let code = t.last_code_to(&p.phone);
    t.post(
        paths::PASSCODE_RESET_FINISH,
        &PasscodeResetFinish {
            pending_id: sent.pending_id,
            code: OneTimeCode::parse(&code).unwrap(),
            passcode_key: Device::public(new_key),
        },
        Auth::Session(session),
    )
    .await
}

backend_test!(a_passcode_reset_registers_the_new_key_and_voids_the_old_one);
async fn a_passcode_reset_registers_the_new_key_and_voids_the_old_one(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, view, session) = signed_in(&t).await;
    let new_key = device.passcode_key("135790");
    let resp = reset_passcode(&t, &p, &session, &new_key).await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    assert!(
        !text.contains(&Device::key_id(&new_key).to_string()),
        "the new passcode key's id is served: {text}"
    );
    let after: DeviceView = serde_json::from_str(&text).unwrap();
    assert_eq!(after.id, view.id);
    let passcode_keys = after
        .confirmation_keys
        .iter()
        .filter(|k| k.method == ConfirmationMethod::Passcode)
        .count();
    assert_eq!(passcode_keys, 1);
    assert_eq!(
        active_key_ids(&t, &view.id, "passcode").await,
        [Device::key_id(&new_key)]
    );
    assert!(
        t.outbox()
            .iter()
            .any(|m| m["to"] == p.phone.as_str() && m["kind"] == "alert.passcode_reset"),
        "the person is told"
    );
}

backend_test!(whether_a_passcode_key_is_registered_is_told_to_nobody_without_a_right_code);
async fn whether_a_passcode_key_is_registered_is_told_to_nobody_without_a_right_code(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, _, session) = signed_in(&t).await;
    let registered = Device::public(&device.passcode_key(PASSCODE));
    // Someone holding the phone's salt derives keys from guessed passcodes and asks whether
    // each is registered: binding a new device with it, or resetting in the phone's session.
    // A wrong code gets the same answer for the registered key and for any other.
    let other = person(&t, false).await;
    let sent = binding_start(&t, &other).await;
    let code = t.last_code_to(&other.phone);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for key in [
        registered.clone(),
        Device::public(&SigningKey::random(&mut OsRng)),
    ] {
        let stranger = Device::new();
        let mut body = binding_finish_body(&stranger, &sent.pending_id, wrong);
        body.passcode_key = key;
        let resp = t
            .post(
                paths::DEVICE_BINDING_FINISH,
                &body,
                Auth::DeviceKey(&stranger.device_key),
            )
            .await;
        assert_error(resp, ErrorCode::OneTimeCodeInvalid).await;
    }
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
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for key in [registered, Device::public(&SigningKey::random(&mut OsRng))] {
        let resp = t
            .post(
                paths::PASSCODE_RESET_FINISH,
                &PasscodeResetFinish {
                    pending_id: sent.pending_id.clone(),
                    code: OneTimeCode::parse(wrong).unwrap(),
                    passcode_key: key,
                },
                Auth::Session(&session),
            )
            .await;
        assert_error(resp, ErrorCode::OneTimeCodeInvalid).await;
    }
}

backend_test!(a_passcode_reset_needs_the_password);
async fn a_passcode_reset_needs_the_password(db: Backend) {
    let t = TestServer::start(db).await;
    let (_, _, _, session) = signed_in(&t).await;
    let resp = t
        .post(
            paths::PASSCODE_RESET_START,
            &PasscodeResetStart {
                password: SecretText::new("Sai#mat-khau1"),
            },
            Auth::Session(&session),
        )
        .await;
    assert_error(resp, ErrorCode::InvalidCredentials).await;
}

backend_test!(a_desktop_session_cannot_reset_the_passcode);
async fn a_desktop_session_cannot_reset_the_passcode(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, _, view, _) = signed_in(&t).await;
    let (desktop, _) = identity::desktop_session(&t, &p, &view.id).await;
    let resp = t
        .post(
            paths::PASSCODE_RESET_START,
            &PasscodeResetStart {
                password: SecretText::new(p.password.clone()),
            },
            Auth::Session(&desktop),
        )
        .await;
    assert_error(resp, ErrorCode::Forbidden).await;
}

async fn self_lock_start(t: &TestServer, p: &identity::Person) -> CodeSent {
    let resp = t
        .post(
            paths::SELF_LOCK_START,
            &SelfLockStart {
                citizen_id: p.citizen_id.clone(),
                password: SecretText::new(p.password.clone()),
            },
            Auth::None,
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

backend_test!(locking_ones_own_account_ends_every_session_and_unbinds_the_device);
async fn locking_ones_own_account_ends_every_session_and_unbinds_the_device(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, view, session) = signed_in(&t).await;
    let sent = self_lock_start(&t, &p).await;
    let email = p.email.clone().unwrap();
    let code = t.last_code_to(&email);
    assert!(sent.sent_to.contains('@'), "the code went by e-mail");
    let resp = t
        .post(
            paths::SELF_LOCK_FINISH,
            &SelfLockFinish {
                pending_id: sent.pending_id,
                code: OneTimeCode::parse(&code).unwrap(),
            },
            Auth::None,
        )
        .await;
    assert_eq!(resp.status(), 200);
    let account: AccountView = resp.json().await.unwrap();
    assert!(account.locked);

    assert_error(
        t.get(paths::ME, Auth::Session(&session)).await,
        ErrorCode::Unauthenticated,
    )
    .await;
    let unbound: Option<i64> = sqlx::query_scalar("SELECT unbound_at FROM devices WHERE id = $1")
        .bind(view.id.as_str())
        .fetch_one(&t.state().pool)
        .await
        .unwrap();
    assert!(unbound.is_some());
    let live: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sessions WHERE account_id = $1 AND revoked_at IS NULL",
    )
    .bind(p.account.as_str())
    .fetch_one(&t.state().pool)
    .await
    .unwrap();
    assert_eq!(live, 0);
    // Nothing works for a locked account, not even binding a new device.
    let resp = t
        .post(
            paths::DEVICE_BINDING_START,
            &DeviceBindingStart {
                citizen_id: p.citizen_id.clone(),
                password: SecretText::new(p.password.clone()),
            },
            Auth::None,
        )
        .await;
    assert_error(resp, ErrorCode::AccountLocked).await;
    // The phone, with the password and its key, is told it is no longer bound and since when;
    // no other device was bound, so the sentence does not say one was.
    let body = login_body(&t, &p.citizen_id, &p.password, &view.id).await;
    let resp = t
        .post(paths::LOGIN, &body, Auth::DeviceKey(&device.device_key))
        .await;
    let err = assert_error(resp, ErrorCode::DeviceUnbound).await;
    assert_eq!(err.unbound_at.map(|at| at.timestamp()), unbound);
    assert!(
        !err.message_vi.contains("thiết bị khác"),
        "{}",
        err.message_vi
    );
    assert!(
        err.message_en.contains("it was unbound at"),
        "{}",
        err.message_en
    );
}

backend_test!(without_an_email_the_self_lock_code_goes_by_sms);
async fn without_an_email_the_self_lock_code_goes_by_sms(db: Backend) {
    let t = TestServer::start(db).await;
    let p = person(&t, false).await;
    let sent = self_lock_start(&t, &p).await;
    assert!(!sent.sent_to.contains('@'));
    let code = t.last_code_to(&p.phone);
    assert_eq!(code.len(), 6);
}

/// The ids of the device's active confirmation keys for `method`, as stored.
async fn active_key_ids(
    t: &TestServer,
    device: &dinhdanh_core::ids::DeviceId,
    method: &str,
) -> Vec<dinhdanh_core::crypto::KeyId> {
    let keys: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT public_key FROM confirmation_keys \
         WHERE device_id = $1 AND method = $2 AND revoked_at IS NULL",
    )
    .bind(device.as_str())
    .bind(method)
    .fetch_all(&t.state().pool)
    .await
    .unwrap();
    keys.iter()
        .map(|k| {
            let bytes: [u8; 33] = k.as_slice().try_into().unwrap();
            dinhdanh_core::crypto::PublicKey::from_sec1_compressed(&bytes)
                .unwrap()
                .key_id()
        })
        .collect()
}

/// An HTTP client whose connections come from `local` (another loopback address: another
/// source, as the server sees it).
fn client_from(local: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(Some(local.parse().unwrap()))
        .build()
        .unwrap()
}

backend_test!(wrong_passwords_from_another_source_never_keep_the_owner_from_locking_or_binding);
async fn wrong_passwords_from_another_source_never_keep_the_owner_from_locking_or_binding(
    db: Backend,
) {
    let mut t = TestServer::start(db).await;
    let (p, device, view, _) = signed_in(&t).await;
    let limit = t.state().config.limits.login_attempts_per_account;
    // Whoever holds the lost phone (its key, and the number from its profile) tries passwords
    // from another address, at sign-in, binding and self-lock, until refused.
    let owner = std::mem::replace(&mut t.http, client_from("127.0.0.2"));
    let mut answers = Vec::new();
    for _ in 0..limit {
        let body = login_body(&t, &p.citizen_id, "Sai#mat-khau1", &view.id).await;
        let resp = t
            .post(paths::LOGIN, &body, Auth::DeviceKey(&device.device_key))
            .await;
        answers.push(identity::error(resp).await.1.kind());
    }
    assert!(
        answers
            .iter()
            .all(|a| *a == Some(ErrorCode::InvalidCredentials)),
        "{answers:?}"
    );
    let wrong = |path: &'static str| {
        let t = &t;
        let p = &p;
        async move {
            let body = SelfLockStart {
                citizen_id: p.citizen_id.clone(),
                password: SecretText::new("Sai#mat-khau1"),
            };
            t.post(path, &body, Auth::None).await
        }
    };
    assert_error(wrong(paths::SELF_LOCK_START).await, ErrorCode::RateLimited).await;
    assert_error(
        wrong(paths::DEVICE_BINDING_START).await,
        ErrorCode::RateLimited,
    )
    .await;

    // The owner, from elsewhere, binds a phone and locks the account within the same window.
    t.http = owner;
    binding_start(&t, &p).await;
    self_lock_start(&t, &p).await;
}

backend_test!(right_passwords_and_refused_challenges_do_not_use_up_the_password_attempts);
async fn right_passwords_and_refused_challenges_do_not_use_up_the_password_attempts(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, view, _) = signed_in(&t).await;
    let limit = t.state().config.limits.login_attempts_per_account;
    // Sign-ins over a challenge already used: refused before the password is looked at.
    let used = login_body(&t, &p.citizen_id, "Sai#mat-khau1", &view.id).await;
    t.post(paths::LOGIN, &used, Auth::DeviceKey(&device.device_key))
        .await;
    for _ in 0..2 * limit {
        let resp = t
            .post(paths::LOGIN, &used, Auth::DeviceKey(&device.device_key))
            .await;
        assert_error(resp, ErrorCode::ChallengeInvalid).await;
    }
    // Right passwords, more of them than the limit, in the same window.
    for _ in 0..=limit {
        sign_in(&t, &p, &device, &view.id).await;
    }
    // One wrong password was counted; the rest of the limit is still there.
    for _ in 1..limit {
        let body = login_body(&t, &p.citizen_id, "Sai#mat-khau1", &view.id).await;
        let resp = t
            .post(paths::LOGIN, &body, Auth::DeviceKey(&device.device_key))
            .await;
        assert_error(resp, ErrorCode::InvalidCredentials).await;
    }
    let body = login_body(&t, &p.citizen_id, "Sai#mat-khau1", &view.id).await;
    let resp = t
        .post(paths::LOGIN, &body, Auth::DeviceKey(&device.device_key))
        .await;
    assert_error(resp, ErrorCode::RateLimited).await;
}

backend_test!(
    guesses_spread_over_many_addresses_hit_the_cap_over_all_sources_but_self_lock_stays_open
);
async fn guesses_spread_over_many_addresses_hit_the_cap_over_all_sources_but_self_lock_stays_open(
    db: Backend,
) {
    let mut t = TestServer::start(db).await;
    let (p, device, view, _) = signed_in(&t).await;
    let limits = t.state().config.limits.clone();
    let per_source = limits.login_attempts_per_account;
    let sources = limits.password_failures_all_sources / per_source;
    let owner = std::mem::replace(&mut t.http, reqwest::Client::new());
    for source in 0..sources {
        t.http = client_from(&format!("127.0.1.{}", source + 1));
        for _ in 0..per_source {
            assert_eq!(
                wrong_sign_in(&t, &p, &device, &view.id).await,
                Some(ErrorCode::InvalidCredentials)
            );
        }
    }
    // One more address: the number's cap over all sources is reached.
    t.http = client_from("127.0.2.1");
    assert_eq!(
        wrong_sign_in(&t, &p, &device, &view.id).await,
        Some(ErrorCode::RateLimited)
    );
    // The owner's sign-in waits for the window too, but self-lock stays open.
    t.http = owner;
    let body = login_body(&t, &p.citizen_id, &p.password, &view.id).await;
    let resp = t
        .post(paths::LOGIN, &body, Auth::DeviceKey(&device.device_key))
        .await;
    assert_error(resp, ErrorCode::RateLimited).await;
    self_lock_start(&t, &p).await;
}

/// A sign-in with a wrong password; the error code it gets.
async fn wrong_sign_in(
    t: &TestServer,
    p: &identity::Person,
    device: &Device,
    id: &dinhdanh_core::ids::DeviceId,
) -> Option<ErrorCode> {
    let body = login_body(t, &p.citizen_id, "Sai#mat-khau1", id).await;
    let resp = t
        .post(paths::LOGIN, &body, Auth::DeviceKey(&device.device_key))
        .await;
    identity::error(resp).await.1.kind()
}

backend_test!(a_device_name_with_a_newline_or_invisible_characters_is_refused_at_binding);
async fn a_device_name_with_a_newline_or_invisible_characters_is_refused_at_binding(db: Backend) {
    let t = TestServer::start(db).await;
    let p = person(&t, true).await;
    for name in [
        "Điện thoại\nMã xác thực: 123456",
        "Điện thoại\u{202E}",
        "\u{2066}Lan\u{2069}",
    ] {
        let device = Device::new();
        let sent = binding_start(&t, &p).await;
        let code = t.last_code_to(&p.phone);
        let mut body = binding_finish_body(&device, &sent.pending_id, &code);
        body.device_name = name.into();
        let resp = t
            .post(
                paths::DEVICE_BINDING_FINISH,
                &body,
                Auth::DeviceKey(&device.device_key),
            )
            .await;
        let err = assert_error(resp, ErrorCode::ValidationFailed).await;
        assert_eq!(err.details[0].field.as_deref(), Some("device_name"));
        assert_eq!(err.details[0].code, "control_character");
    }
}
