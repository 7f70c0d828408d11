//! The device side against the real server, in-process: binding, sign-in, confirmation,
//! lockout, renewal, sign-out and passcode reset, with the secrets in the real OS keystore.

use crate::common;

use common::{PASSCODE, PASSWORD, TestServer, WRONG_PASSCODE, date_of_birth, os_keystore};
use dinhdanh_client::ClientError;
use dinhdanh_client::keys::DeviceKey;
use dinhdanh_client::keystore::{OsSecretStore, SERVICE_PREFIX, SecretStore, entry_names};
use dinhdanh_client::passcode::new_passcode;
use dinhdanh_core::account::AccountLevel;
use dinhdanh_core::api::{
    ErrorCode, OneTimeCode, SecretText, SelfRegistrationFinish, SelfRegistrationStart, SessionKind,
};
use dinhdanh_core::ids::{Password, SessionId};
use dinhdanh_server::testing::sessions::{NewSession, create_session};

/// A desktop session of the person's account, as QR login would make it.
async fn desktop_session(t: &TestServer, device: &common::Device) -> SessionId {
    let state = device.client.state();
    let key = DeviceKey::generate();
    let (_, view) = create_session(
        &t.server.state,
        NewSession {
            account: state.account.as_ref().unwrap(),
            device: state.device.as_ref(),
            kind: SessionKind::Desktop,
            bound_key: &key.public_key(),
            acting_for: None,
            client_name: "Firefox trên Ubuntu",
        },
    )
    .await
    .unwrap();
    view.id
}

#[tokio::test]
async fn a_bound_device_signs_in_and_confirms_an_action_with_its_passcode() {
    let t = TestServer::start().await;
    let p = t.person(true).await;
    let phone = t.device("phone");
    let view = phone.bind(&t, &p).await;
    assert_eq!(phone.client.state().device, Some(view.id.clone()));
    assert_eq!(
        view.confirmation_keys.len(),
        1,
        "passcode key only on Linux"
    );

    let signed_in = phone
        .client
        .sign_in(SecretText::new(PASSWORD))
        .await
        .unwrap();
    assert_eq!(Some(&signed_in.account.id), p.account.as_ref());
    assert_eq!(signed_in.session.kind, SessionKind::Device);
    assert_eq!(
        signed_in.session.bound_key_id,
        phone.keystore.device_key().unwrap().unwrap().key_id()
    );
    assert_eq!(phone.client.me().await.unwrap().level, AccountLevel::Level2);

    let desktop = desktop_session(&t, &phone).await;
    assert_eq!(phone.client.sessions().await.unwrap().len(), 2);
    phone
        .client
        .end_session(&desktop, &phone.passcode(PASSCODE))
        .await
        .unwrap();
    let left = phone.client.sessions().await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, signed_in.session.id);
}

#[tokio::test]
async fn self_registration_gives_an_account_this_device_can_bind() {
    let t = TestServer::start().await;
    let p = t.person(false).await;
    let phone = t.device("phone");
    let sent = phone
        .client
        .register_start(&SelfRegistrationStart {
            citizen_id: p.citizen_id.clone(),
            full_name: "Nguyễn Thị Lan".into(),
            date_of_birth: date_of_birth(),
            phone: dinhdanh_core::ids::PhoneNumber::parse(&p.phone).unwrap(),
            email: None,
        })
        .await
        .unwrap();
    let account = phone
        .client
        .register_finish(&SelfRegistrationFinish {
            pending_id: sent.pending_id,
            code: t.last_code_to(&p.phone),
            password: Password::parse(PASSWORD).unwrap(),
        })
        .await
        .unwrap();
    assert_eq!(account.level, AccountLevel::Level1);
    phone.bind_and_sign_in(&t, &p).await;
    assert_eq!(phone.client.me().await.unwrap().id, account.id);
}

#[tokio::test]
async fn a_wrong_one_time_code_is_the_servers_typed_error_and_nothing_is_stored() {
    let t = TestServer::start().await;
    let p = t.person(true).await;
    let phone = t.device("phone");
    let started = phone
        .client
        .bind_start(&p.citizen_id, SecretText::new(PASSWORD))
        .await
        .unwrap();
    let right = t.last_code_to(&p.phone);
    let wrong = if right.expose() == "000000" {
        "111111"
    } else {
        "000000"
    };
    let passcode = new_passcode(PASSCODE, PASSCODE, None).unwrap();
    let err = phone
        .client
        .bind_finish(started, OneTimeCode::parse(wrong).unwrap(), &passcode, None)
        .await
        .unwrap_err();
    assert!(err.is(ErrorCode::OneTimeCodeInvalid), "{err:?}");
    assert_eq!(err.message_vi(), "Mã xác thực không đúng hoặc đã hết hạn.");
    assert!(phone.keystore.device_key().unwrap().is_none());
    assert!(phone.keystore.passcode_salt().unwrap().is_none());
    assert_eq!(phone.client.state().device, None);
}

#[tokio::test]
async fn wrong_passcodes_show_as_wrong_confirmation_then_confirmation_locked() {
    let t = TestServer::start().await;
    let p = t.person(true).await;
    let phone = t.device("phone");
    phone.bind_and_sign_in(&t, &p).await;
    let desktop = desktop_session(&t, &phone).await;
    for attempt in 1..=4 {
        let err = phone
            .client
            .end_session(&desktop, &phone.passcode(WRONG_PASSCODE))
            .await
            .unwrap_err();
        assert!(err.is(ErrorCode::WrongConfirmation), "{attempt}: {err:?}");
        let left = 5 - attempt;
        assert_eq!(
            err.message_vi(),
            format!("Mã PIN không đúng. Còn {left} lần thử trước khi việc xác nhận bị tạm khóa.")
        );
        assert_eq!(err.api().unwrap().attempts_left, Some(left));
    }
    let fifth = phone
        .client
        .end_session(&desktop, &phone.passcode(WRONG_PASSCODE))
        .await
        .unwrap_err();
    assert!(fifth.is(ErrorCode::ConfirmationLocked), "{fifth:?}");
    assert_eq!(fifth.api().unwrap().retry_after_secs, Some(60));
    // While locked even the right passcode is refused, and nothing is counted.
    let locked = phone
        .client
        .end_session(&desktop, &phone.passcode(PASSCODE))
        .await
        .unwrap_err();
    assert!(locked.is(ErrorCode::ConfirmationLocked), "{locked:?}");
    // After the lock the right passcode works again.
    t.clock.advance(61);
    phone
        .client
        .end_session(&desktop, &phone.passcode(PASSCODE))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_idle_session_is_renewed_by_the_device_without_the_password() {
    let t = TestServer::start().await;
    let p = t.person(true).await;
    let phone = t.device("phone");
    phone.bind_and_sign_in(&t, &p).await;
    let session = phone.client.state().session.unwrap();
    let token = phone.keystore.session_token().unwrap().unwrap();

    t.clock.advance(31 * 60);
    // The server answers session_idle; the client renews and sends the request again.
    assert_eq!(Some(phone.client.me().await.unwrap().id), p.account.clone());
    let renewed = phone.keystore.session_token().unwrap().unwrap();
    assert_ne!(renewed, token, "renewal replaces the token in the keystore");
    assert_eq!(phone.client.state().session, Some(session));

    // A confirmed action after another idle period: renewed once, confirmed once.
    let desktop = desktop_session(&t, &phone).await;
    t.clock.advance(31 * 60);
    phone
        .client
        .end_session(&desktop, &phone.passcode(PASSCODE))
        .await
        .unwrap();
    assert_eq!(phone.client.sessions().await.unwrap().len(), 1);

    // After 12 hours the session is over: the password is needed, the token is forgotten.
    t.clock.advance(12 * 3600);
    let err = phone.client.me().await.unwrap_err();
    assert!(
        err.is(ErrorCode::SessionExpired) || err.is(ErrorCode::Unauthenticated),
        "{err:?}"
    );
    assert!(phone.keystore.session_token().unwrap().is_none());
    assert!(matches!(
        phone.client.me().await.unwrap_err(),
        ClientError::NotSignedIn
    ));
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server_and_forgets_the_token() {
    let t = TestServer::start().await;
    let p = t.person(true).await;
    let phone = t.device("phone");
    phone.bind_and_sign_in(&t, &p).await;
    let token = phone.keystore.session_token().unwrap().unwrap();
    phone.client.logout().await.unwrap();
    assert!(phone.keystore.session_token().unwrap().is_none());
    assert_eq!(phone.client.state().session, None);
    // The old token, even with a valid proof, opens nothing any more.
    phone.keystore.set_session_token(&token).unwrap();
    let err = phone.client.me().await.unwrap_err();
    assert!(err.is(ErrorCode::Unauthenticated), "{err:?}");
    assert!(matches!(
        phone.client.logout().await.unwrap_err(),
        ClientError::NotSignedIn
    ));
}

#[tokio::test]
async fn a_phone_unbound_by_binding_another_says_since_when_and_forgets_its_binding() {
    let t = TestServer::start().await;
    let p = t.person(true).await;
    let old = t.device("old-phone");
    old.bind_and_sign_in(&t, &p).await;
    let new = t.device("new-phone");
    new.bind(&t, &p).await;

    // A wrong password is only that: the binding stays.
    let wrong = old
        .client
        .sign_in(SecretText::new("Sai#Matkhau1"))
        .await
        .unwrap_err();
    assert!(wrong.is(ErrorCode::InvalidCredentials), "{wrong:?}");
    assert!(old.client.state().device.is_some());
    assert!(old.keystore.device_key().unwrap().is_some());

    // The right one: the server's sentence, said on the device as it came.
    let refused = old
        .client
        .sign_in(SecretText::new(PASSWORD))
        .await
        .unwrap_err();
    assert!(refused.is(ErrorCode::DeviceUnbound), "{refused:?}");
    assert!(refused.api().and_then(|e| e.unbound_at).is_some());
    assert!(
        refused
            .message_vi()
            .starts_with("Thiết bị này không còn được liên kết với tài khoản của bạn vì một thiết bị khác đã được liên kết (lúc "),
        "{}",
        refused.message_vi()
    );
    assert!(
        refused
            .message_en()
            .ends_with("Bind it again to use it here."),
        "{}",
        refused.message_en()
    );
    assert_eq!(refused.to_api_error().code, "device_unbound");

    // The profile forgot the binding, in the keystore and on disk; the number stays for a
    // new binding, and so does the drafts' key.
    let state = old.client.state();
    assert_eq!((state.device, state.session), (None, None));
    assert_eq!(state.citizen_id.as_ref(), Some(&p.citizen_id));
    assert_eq!(old.profile.load().unwrap().device, None);
    assert!(old.keystore.device_key().unwrap().is_none());
    assert!(old.keystore.passcode_salt().unwrap().is_none());
    assert!(old.keystore.session_token().unwrap().is_none());
    let again = old
        .client
        .sign_in(SecretText::new(PASSWORD))
        .await
        .unwrap_err();
    assert!(matches!(again, ClientError::DeviceNotBound), "{again:?}");

    // Bound again, the old phone signs in.
    old.bind_and_sign_in(&t, &p).await;
    assert!(old.client.me().await.is_ok());
}

#[tokio::test]
async fn after_a_passcode_reset_only_the_new_passcode_confirms() {
    let t = TestServer::start().await;
    let p = t.person(true).await;
    let phone = t.device("phone");
    phone.bind_and_sign_in(&t, &p).await;
    let old_salt = phone.keystore.passcode_salt().unwrap().is_some();
    assert!(old_salt);
    let started = phone
        .client
        .passcode_reset_start(SecretText::new(PASSWORD))
        .await
        .unwrap();
    let new = new_passcode("580317", "580317", Some(date_of_birth())).unwrap();
    phone
        .client
        .passcode_reset_finish(started, t.last_code_to(&p.phone), &new)
        .await
        .unwrap();
    let desktop = desktop_session(&t, &phone).await;
    let err = phone
        .client
        .end_session(&desktop, &phone.passcode(PASSCODE))
        .await
        .unwrap_err();
    assert!(err.is(ErrorCode::WrongConfirmation), "{err:?}");
    phone
        .client
        .end_session(&desktop, &phone.passcode("580317"))
        .await
        .unwrap();
}

#[test]
fn the_keystore_round_trips_and_keeps_profiles_apart() {
    let name = format!("t{}", common::random_hex(6));
    let phone = os_keystore(&format!("{name}-phone"));
    let computer = os_keystore(&format!("{name}-computer"));
    let key = DeviceKey::generate();
    phone.set_device_key(&key).unwrap();
    let token = dinhdanh_core::api::SessionToken::from_random(&[7u8; 32]);
    phone.set_session_token(&token).unwrap();

    assert_eq!(
        phone.device_key().unwrap().unwrap().public_key(),
        key.public_key()
    );
    assert_eq!(phone.session_token().unwrap(), Some(token));
    assert!(computer.device_key().unwrap().is_none());
    assert!(computer.session_token().unwrap().is_none());

    let other = DeviceKey::generate();
    computer.set_device_key(&other).unwrap();
    assert_eq!(
        phone.device_key().unwrap().unwrap().public_key(),
        key.public_key(),
        "the other profile's key does not replace this one's"
    );
    phone.clear().unwrap();
    assert!(phone.device_key().unwrap().is_none());
    assert!(phone.session_token().unwrap().is_none());
    assert!(computer.device_key().unwrap().is_some());
    computer.clear().unwrap();
    // Clearing twice is fine.
    computer.clear().unwrap();
}

#[tokio::test]
async fn no_secret_is_in_any_file_of_the_profiles_data_directory() {
    let t = TestServer::start().await;
    let p = t.person(true).await;
    let phone = t.device("phone");
    phone.bind_and_sign_in(&t, &p).await;
    let desktop = desktop_session(&t, &phone).await;
    phone
        .client
        .end_session(&desktop, &phone.passcode(PASSCODE))
        .await
        .unwrap();

    // A form draft holds a co-representative's full identification number. (The device
    // owner's own number is the sign-in name the profile remembers, so it is no needle here.)
    let co_representative = t.person(true).await;
    let draft = format!(
        r#"{{"representatives":[{{"citizen_id":"{}"}}]}}"#,
        co_representative.citizen_id
    );
    let drafts = phone.client.drafts();
    drafts.save("registration", &draft).unwrap();
    assert_eq!(
        drafts.load("registration").unwrap().as_deref(),
        Some(draft.as_str())
    );

    // The raw secrets, read straight from the Secret Service.
    let store = OsSecretStore::new(format!("{SERVICE_PREFIX}{}", phone.profile.name()));
    let mut needles: Vec<Vec<u8>> = Vec::new();
    for name in entry_names() {
        let Some(secret) = store.get(name).unwrap() else {
            // A bound phone holds every entry but a QR desktop's ephemeral key.
            assert_eq!(name, "desktop_key", "{name} is in the keystore");
            continue;
        };
        let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        needles.push(hex.into_bytes());
        needles.push(
            dinhdanh_core::crypto::base64url_encode(&secret)
                .into_bytes()
                .into_iter()
                .take(20)
                .collect(),
        );
        needles.push(secret.to_vec());
    }
    needles.push(PASSCODE.as_bytes().to_vec());
    needles.push(PASSWORD.as_bytes().to_vec());
    needles.push(co_representative.citizen_id.as_str().as_bytes().to_vec());

    let mut files = 0;
    let mut dirs = vec![phone.profile.dir().to_path_buf()];
    let mut paths = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                paths.push(path);
            }
        }
    }
    assert!(
        paths
            .iter()
            .any(|p| p.ends_with("drafts/registration.sealed")),
        "{paths:?}"
    );
    for path in paths {
        let content = std::fs::read(&path).unwrap();
        files += 1;
        for needle in &needles {
            assert!(
                !content
                    .windows(needle.len())
                    .any(|w| w == needle.as_slice()),
                "{} holds a secret",
                path.display()
            );
        }
    }
    assert!(
        files >= 2,
        "the profile keeps its (non-secret) state and the sealed draft on disk"
    );

    // Forgetting the profile's secrets makes the draft unreadable: it reads as none, and goes.
    phone.client.keystore().clear().unwrap();
    assert_eq!(drafts.load("registration").unwrap(), None);
    assert!(
        !phone
            .profile
            .dir()
            .join("drafts/registration.sealed")
            .exists()
    );
}

#[test]
fn the_cli_says_keystore_unavailable_when_there_is_no_secret_service() {
    let dir = std::env::temp_dir().join(format!("dd-cli-nokeystore-{}", common::random_hex(6)));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dinhdanh"))
        .args(["--server", "http://127.0.0.1:9", "--profile", "nokeystore"])
        .arg("--data-dir")
        .arg(&dir)
        .arg("accounts")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/dinhdanh-test-bus",
        )
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("keystore_unavailable"), "{stderr}");
    assert!(stderr.contains("kho khóa"), "{stderr}");
}
