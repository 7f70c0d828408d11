//! Citizens, accounts and officers: the shipped registry, self-registration of level-1
//! accounts with a one-time code, personal data, and officers locking accounts in their
//! province. Runs on SQLite and on PostgreSQL (`backend_test!`).

use crate::common;

use chrono::NaiveDate;
use common::{Auth, Device, Session, TestServer};
use common::{Backend, backend_test};
use dinhdanh_core::account::AccountLevel;
use dinhdanh_core::api::{
    AccountView, ApiError, AuditEntry, AuditOutcome, ChallengePurpose, CodeSent,
    DeviceBindingFinish, DeviceBindingStart, ErrorCode, LoginRequest, LoginResponse,
    OfficerAccountChange, OneTimeCode, PersonalDataView, Platform, SecretText,
    SelfRegistrationFinish, SelfRegistrationStart, paths,
};
use dinhdanh_core::ids::{
    AccountId, CitizenId, Email, Gender, NewProvince, OldProvince, Password, PhoneNumber,
};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use dinhdanh_server::testing::accounts::{self, CitizenRecord, LockActor};
use dinhdanh_server::testing::{audit, fail_action_after, faults_pending, officers, seed};
use sqlx::Row;

const PASSWORD: &str = "Mật#khẩu2025";
const PASSCODE: &str = "246813";

/// A person born in `province` (old code) in `year`.
fn person(
    code: u16,
    gender: Gender,
    year: u16,
    serial: u32,
    name: &str,
    phone: &str,
) -> CitizenRecord {
    let province = OldProvince::from_code(code).unwrap();
    CitizenRecord {
        citizen_id: CitizenId::from_parts(province, gender, year, serial).unwrap(),
        full_name: name.to_owned(),
        date_of_birth: NaiveDate::from_ymd_opt(i32::from(year), 4, 12).unwrap(),
        gender,
        phone: PhoneNumber::parse(phone).unwrap(),
        email: Some(Email::parse(&format!("p{serial}@example.com")).unwrap()),
    }
}

fn lan() -> CitizenRecord {
    person(
        79,
        Gender::Female,
        1990,
        111_111,
        "Nguyễn Thị Lan",
        "0912000001",
    )
}

fn binh() -> CitizenRecord {
    person(
        1,
        Gender::Male,
        1985,
        222_222,
        "Trần Văn Bình",
        "0912000002",
    )
}

fn start_body(p: &CitizenRecord) -> SelfRegistrationStart {
    SelfRegistrationStart {
        citizen_id: p.citizen_id.clone(),
        full_name: p.full_name.clone(),
        date_of_birth: p.date_of_birth,
        phone: p.phone.clone(),
        email: None,
    }
}

fn finish_body(pending_id: &str, code: &str) -> SelfRegistrationFinish {
    SelfRegistrationFinish {
        pending_id: pending_id.to_owned(),
        code: OneTimeCode::parse(code).unwrap(),
        password: Password::parse(PASSWORD).unwrap(),
    }
}

async fn error_of(resp: reqwest::Response) -> (u16, ApiError) {
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

async fn start_registration(t: &TestServer, body: &SelfRegistrationStart) -> CodeSent {
    let resp = t
        .post(paths::SELF_REGISTRATION_START, body, Auth::None)
        .await;
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    resp.json().await.unwrap()
}

/// A code other than `right`.
fn wrong_code(right: &str) -> String {
    if right == "000000" {
        "000001".into()
    } else {
        "000000".into()
    }
}

/// A person with an account at `level`.
async fn with_account(t: &TestServer, p: &CitizenRecord, level: AccountLevel) -> AccountId {
    accounts::insert_citizen(t.state(), p).await.unwrap();
    accounts::create_account(
        t.state(),
        &p.citizen_id,
        &Password::parse(PASSWORD).unwrap(),
        level,
    )
    .await
    .unwrap()
}

/// Binds a new device to the person's account (code by SMS) and signs in with it.
async fn bind_and_sign_in(t: &TestServer, p: &CitizenRecord) -> (Session, Device) {
    let device = Device::new();
    let start = DeviceBindingStart {
        citizen_id: p.citizen_id.clone(),
        password: SecretText::new(PASSWORD),
    };
    let resp = t
        .post(paths::DEVICE_BINDING_START, &start, Auth::None)
        .await;
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    let sent: CodeSent = resp.json().await.unwrap();
    let finish = DeviceBindingFinish {
        pending_id: sent.pending_id,
        code: OneTimeCode::parse(&t.last_code_to(p.phone.as_str())).unwrap(),
        device_key: Device::public(&device.device_key),
        passcode_key: Device::public(&device.passcode_key(PASSCODE)),
        biometric_key: None,
        device_name: "Điện thoại thử".into(),
        platform: Platform::Android,
    };
    let resp = t
        .post(
            paths::DEVICE_BINDING_FINISH,
            &finish,
            Auth::DeviceKey(&device.device_key),
        )
        .await;
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    let bound: dinhdanh_core::api::DeviceView = resp.json().await.unwrap();
    let resp = sign_in(t, p, &device, &bound.id).await;
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    let login: LoginResponse = resp.json().await.unwrap();
    let session = Session {
        token: login.token,
        key: device.device_key.clone(),
        account: login.account.id,
    };
    (session, device)
}

async fn sign_in(
    t: &TestServer,
    p: &CitizenRecord,
    device: &Device,
    device_id: &dinhdanh_core::ids::DeviceId,
) -> reqwest::Response {
    let challenge = t.challenge(ChallengePurpose::SignIn, None).await;
    let login = LoginRequest {
        citizen_id: p.citizen_id.clone(),
        password: SecretText::new(PASSWORD),
        device_id: device_id.clone(),
        challenge,
    };
    t.post(paths::LOGIN, &login, Auth::DeviceKey(&device.device_key))
        .await
}

/// The officer confirms a lock change with the passcode and sends it.
async fn officer_changes_lock(
    t: &TestServer,
    officer: &Session,
    device: &Device,
    account: &AccountId,
    lock: bool,
) -> reqwest::Response {
    let kind = ActionKind::ChangeAccountLock;
    let challenge = t
        .challenge(ChallengePurpose::Action { kind }, Some(officer))
        .await;
    let body = OfficerAccountChange {
        account: account.clone(),
        lock,
        reason: "Người dân báo mất điện thoại tại trụ sở công an".into(),
    };
    let confirmed = device.confirm(
        t.now(),
        body,
        kind,
        t.origin(),
        challenge,
        &officer.account,
        None,
        ActionTarget::new("account", account.as_str()).unwrap(),
        PASSCODE,
    );
    t.post(
        paths::OFFICER_ACCOUNT_LOCK,
        &confirmed,
        Auth::Session(officer),
    )
    .await
}

async fn count(t: &TestServer, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&t.state().pool)
        .await
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// The registry
// ---------------------------------------------------------------------------------------------

backend_test!(the_shipped_registry_loads_completely_and_loading_it_again_changes_nothing);
async fn the_shipped_registry_loads_completely_and_loading_it_again_changes_nothing(db: Backend) {
    let t = TestServer::start(db).await;
    let state = t.state();
    let people = accounts::parse_citizen_registry(seed::CITIZEN_REGISTRY).unwrap();
    assert!(people.len() >= 10_000);
    let ids: std::collections::HashSet<_> = people.iter().map(|p| &p.citizen_id).collect();
    assert_eq!(ids.len(), people.len(), "identification numbers are unique");

    let loaded = accounts::load_citizen_registry(state, seed::CITIZEN_REGISTRY)
        .await
        .unwrap();
    assert_eq!(loaded, people.len());
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM citizens").await,
        people.len() as i64
    );
    let again = accounts::load_citizen_registry(state, seed::CITIZEN_REGISTRY)
        .await
        .unwrap();
    assert_eq!(again, loaded);
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM citizens").await,
        people.len() as i64
    );

    // Read back through the keyed hash and the encrypted copy.
    let sample = &people[people.len() / 2];
    assert_eq!(
        accounts::find_citizen(state, &sample.citizen_id)
            .await
            .unwrap()
            .as_ref(),
        Some(sample)
    );

    // A dump of the table lists no identification number in clear.
    let rows = sqlx::query("SELECT citizen_key, citizen_enc, citizen_masked FROM citizens")
        .fetch_all(&state.pool)
        .await
        .unwrap();
    let clear: std::collections::HashSet<&str> =
        people.iter().map(|p| p.citizen_id.as_str()).collect();
    for row in rows.iter().take(500) {
        let masked: String = row.get("citizen_masked");
        assert!(!clear.contains(masked.as_str()));
        for col in ["citizen_key", "citizen_enc"] {
            let bytes: Vec<u8> = row.get(col);
            assert!(
                !bytes
                    .windows(12)
                    .any(|w| std::str::from_utf8(w).is_ok_and(|s| clear.contains(s)))
            );
        }
    }
}

backend_test!(the_demo_seed_creates_its_accounts_once_with_the_listed_passwords);
async fn the_demo_seed_creates_its_accounts_once_with_the_listed_passwords(db: Backend) {
    let t = TestServer::start(db).await;
    let state = t.state();
    seed::seed_demo(state).await.unwrap();
    let accounts_after_first = count(&t, "SELECT COUNT(*) FROM accounts").await;
    seed::seed_demo(state).await.unwrap();
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM accounts").await,
        accounts_after_first
    );
    assert_eq!(accounts_after_first, seed::DEMO_ACCOUNTS.len() as i64);

    for demo in seed::DEMO_ACCOUNTS {
        let id = CitizenId::parse(demo.citizen_id).unwrap();
        let row = accounts::find_account_by_citizen(state, &id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.level, demo.level, "{}", demo.full_name);
        assert!(accounts::verify_password(&row.password_hash, demo.password).await);
        assert!(!accounts::verify_password(&row.password_hash, "Wrong#Pass1").await);
        let province = dinhdanh_server::authz::officer_province(state, &row.id)
            .await
            .unwrap();
        assert_eq!(
            province.map(NewProvince::key),
            demo.officer_for,
            "{}",
            demo.full_name
        );
    }
    let (unregistered, ..) = seed::DEMO_UNREGISTERED;
    let id = CitizenId::parse(unregistered).unwrap();
    assert!(accounts::find_citizen(state, &id).await.unwrap().is_some());
    assert!(
        accounts::find_account_by_citizen(state, &id)
            .await
            .unwrap()
            .is_none()
    );
}

// ---------------------------------------------------------------------------------------------
// Self-registration
// ---------------------------------------------------------------------------------------------

backend_test!(
    a_person_in_the_registry_self_registers_a_level_1_account_with_the_code_sent_to_their_phone
);
async fn a_person_in_the_registry_self_registers_a_level_1_account_with_the_code_sent_to_their_phone(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let lan = lan();
    accounts::insert_citizen(t.state(), &lan).await.unwrap();

    let mut body = start_body(&lan);
    // People type their name as they like: case, spacing and the Unicode form do not matter.
    body.full_name = "  nguyễn   THỊ lan ".into();
    body.email = Some(Email::parse("lan.moi@example.org").unwrap());
    let sent = start_registration(&t, &body).await;
    assert_eq!(sent.sent_to, lan.phone.masked());
    assert_eq!(sent.expires_at.timestamp(), t.now() + 300, "5 minutes");
    let code = t.last_code_to(lan.phone.as_str());
    assert_eq!(code.len(), 6);

    // Only a keyed hash of the code is stored.
    let stored: Vec<u8> = sqlx::query_scalar("SELECT code_hash FROM pending_codes WHERE id = $1")
        .bind(&sent.pending_id)
        .fetch_one(&t.state().pool)
        .await
        .unwrap();
    assert!(!stored.windows(6).any(|w| w == code.as_bytes()));

    let resp = t
        .post(
            paths::SELF_REGISTRATION_FINISH,
            &finish_body(&sent.pending_id, &code),
            Auth::None,
        )
        .await;
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    let view: AccountView = resp.json().await.unwrap();
    assert_eq!(view.level, AccountLevel::Level1);
    assert_eq!(view.full_name, lan.full_name);
    assert_eq!(view.citizen_id_masked, lan.citizen_id.masked());
    assert!(!view.locked);

    let row = accounts::find_account_by_citizen(t.state(), &lan.citizen_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.id, view.id);
    assert!(row.password_hash.starts_with("$argon2id$"));
    assert!(accounts::verify_password(&row.password_hash, PASSWORD).await);
    let record = accounts::find_citizen(t.state(), &lan.citizen_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        record.email.as_ref().map(Email::as_str),
        Some("lan.moi@example.org")
    );

    // The code is used up.
    let again = t
        .post(
            paths::SELF_REGISTRATION_FINISH,
            &finish_body(&sent.pending_id, &code),
            Auth::None,
        )
        .await;
    let (status, err) = error_of(again).await;
    assert_eq!(
        (status, err.kind()),
        (400, Some(ErrorCode::OneTimeCodeInvalid))
    );

    // The whole flow is in the audit trail, without the number or the code.
    let entries = audit::entries_about(t.state(), &t.state().keys.citizen_key(&lan.citizen_id))
        .await
        .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    for expected in [
        "account.self_registration.code_sent",
        "account.created.level_1",
        "contact.email_set",
    ] {
        assert!(actions.contains(&expected), "{actions:?}");
    }
    let dump = serde_json::to_string(&entries).unwrap();
    assert!(!dump.contains(lan.citizen_id.as_str()) && !dump.contains(&code));
}

backend_test!(any_mismatch_with_the_registry_gets_one_generic_answer_that_names_no_field);
async fn any_mismatch_with_the_registry_gets_one_generic_answer_that_names_no_field(db: Backend) {
    let t = TestServer::start(db).await;
    let lan = lan();
    accounts::insert_citizen(t.state(), &lan).await.unwrap();

    let mut wrong_name = start_body(&lan);
    wrong_name.full_name = "Nguyễn Thị Lân".into();
    let mut wrong_birth = start_body(&lan);
    wrong_birth.date_of_birth = NaiveDate::from_ymd_opt(1990, 4, 13).unwrap();
    let mut wrong_phone = start_body(&lan);
    wrong_phone.phone = PhoneNumber::parse("0912000099").unwrap();
    let mut unknown_number = start_body(&lan);
    unknown_number.citizen_id = CitizenId::from_parts(
        OldProvince::from_code(79).unwrap(),
        Gender::Female,
        1990,
        111_112,
    )
    .unwrap();

    let mut answers = Vec::new();
    for body in [wrong_name, wrong_birth, wrong_phone, unknown_number] {
        let resp = t
            .post(paths::SELF_REGISTRATION_START, &body, Auth::None)
            .await;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        answers.push((status, text));
    }
    let (status, text) = &answers[0];
    assert_eq!(*status, 422);
    let err: ApiError = serde_json::from_str(text).unwrap();
    assert_eq!(err.kind(), Some(ErrorCode::RegistryMismatch));
    assert!(
        err.field.is_none() && err.details.is_empty(),
        "no field is named"
    );
    assert!(
        answers.iter().all(|a| a == &answers[0]),
        "the same answer every time: {answers:?}"
    );
    assert!(t.outbox().is_empty(), "no code was sent");
    assert_eq!(count(&t, "SELECT COUNT(*) FROM pending_codes").await, 0);
}

backend_test!(five_wrong_codes_void_the_pending_code_even_for_the_right_one_after);
async fn five_wrong_codes_void_the_pending_code_even_for_the_right_one_after(db: Backend) {
    let t = TestServer::start(db).await;
    let lan = lan();
    accounts::insert_citizen(t.state(), &lan).await.unwrap();
    let sent = start_registration(&t, &start_body(&lan)).await;
    let code = t.last_code_to(lan.phone.as_str());
    let wrong = wrong_code(&code);

    for _ in 0..5 {
        let resp = t
            .post(
                paths::SELF_REGISTRATION_FINISH,
                &finish_body(&sent.pending_id, &wrong),
                Auth::None,
            )
            .await;
        let (status, err) = error_of(resp).await;
        assert_eq!(
            (status, err.kind()),
            (400, Some(ErrorCode::OneTimeCodeInvalid))
        );
    }
    let resp = t
        .post(
            paths::SELF_REGISTRATION_FINISH,
            &finish_body(&sent.pending_id, &code),
            Auth::None,
        )
        .await;
    let (_, err) = error_of(resp).await;
    assert_eq!(err.kind(), Some(ErrorCode::OneTimeCodeInvalid));
    assert!(
        accounts::find_account_by_citizen(t.state(), &lan.citizen_id)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM pending_codes").await,
        0,
        "the code is void"
    );
}

backend_test!(a_wrong_code_leaves_the_remaining_tries);
async fn a_wrong_code_leaves_the_remaining_tries(db: Backend) {
    let t = TestServer::start(db).await;
    let lan = lan();
    accounts::insert_citizen(t.state(), &lan).await.unwrap();
    let sent = start_registration(&t, &start_body(&lan)).await;
    let code = t.last_code_to(lan.phone.as_str());
    for _ in 0..4 {
        let resp = t
            .post(
                paths::SELF_REGISTRATION_FINISH,
                &finish_body(&sent.pending_id, &wrong_code(&code)),
                Auth::None,
            )
            .await;
        assert_eq!(resp.status(), 400);
    }
    let resp = t
        .post(
            paths::SELF_REGISTRATION_FINISH,
            &finish_body(&sent.pending_id, &code),
            Auth::None,
        )
        .await;
    assert_eq!(resp.status(), 200, "the fifth try is still a try");
}

backend_test!(an_expired_code_does_not_work);
async fn an_expired_code_does_not_work(db: Backend) {
    let t = TestServer::start(db).await;
    let lan = lan();
    accounts::insert_citizen(t.state(), &lan).await.unwrap();
    let sent = start_registration(&t, &start_body(&lan)).await;
    let code = t.last_code_to(lan.phone.as_str());
    t.clock.advance(5 * 60);
    let resp = t
        .post(
            paths::SELF_REGISTRATION_FINISH,
            &finish_body(&sent.pending_id, &code),
            Auth::None,
        )
        .await;
    let (status, err) = error_of(resp).await;
    assert_eq!(
        (status, err.kind()),
        (400, Some(ErrorCode::OneTimeCodeInvalid))
    );
    assert!(
        accounts::find_account_by_citizen(t.state(), &lan.citizen_id)
            .await
            .unwrap()
            .is_none()
    );
}

backend_test!(a_new_code_voids_the_previous_one);
async fn a_new_code_voids_the_previous_one(db: Backend) {
    let t = TestServer::start(db).await;
    let lan = lan();
    accounts::insert_citizen(t.state(), &lan).await.unwrap();
    let first = start_registration(&t, &start_body(&lan)).await;
    let first_code = t.last_code_to(lan.phone.as_str());
    let second = start_registration(&t, &start_body(&lan)).await;
    assert_ne!(first.pending_id, second.pending_id);
    let resp = t
        .post(
            paths::SELF_REGISTRATION_FINISH,
            &finish_body(&first.pending_id, &first_code),
            Auth::None,
        )
        .await;
    assert_eq!(resp.status(), 400);
    let code = t.last_code_to(lan.phone.as_str());
    let resp = t
        .post(
            paths::SELF_REGISTRATION_FINISH,
            &finish_body(&second.pending_id, &code),
            Auth::None,
        )
        .await;
    assert_eq!(resp.status(), 200);
}

backend_test!(a_code_redeems_only_for_its_own_purpose);
async fn a_code_redeems_only_for_its_own_purpose(db: Backend) {
    let t = TestServer::start(db).await;
    let lan = lan();
    accounts::insert_citizen(t.state(), &lan).await.unwrap();
    let sent = start_registration(&t, &start_body(&lan)).await;
    let code = OneTimeCode::parse(&t.last_code_to(lan.phone.as_str())).unwrap();
    let err = accounts::redeem_code(
        t.state(),
        accounts::purpose::DEVICE_BINDING,
        &sent.pending_id,
        &code,
    )
    .await
    .unwrap_err();
    assert!(err.is(ErrorCode::OneTimeCodeInvalid));
    let (key, _) = accounts::redeem_code(
        t.state(),
        accounts::purpose::SELF_REGISTRATION,
        &sent.pending_id,
        &code,
    )
    .await
    .unwrap();
    assert_eq!(key, t.state().keys.citizen_key(&lan.citizen_id));
}

backend_test!(concurrent_right_answers_redeem_a_code_once);
async fn concurrent_right_answers_redeem_a_code_once(db: Backend) {
    let t = TestServer::start(db).await;
    let lan = lan();
    accounts::insert_citizen(t.state(), &lan).await.unwrap();
    let sent = start_registration(&t, &start_body(&lan)).await;
    let code = OneTimeCode::parse(&t.last_code_to(lan.phone.as_str())).unwrap();
    let tries = (0..10).map(|_| {
        let state = t.state().clone();
        let (id, code) = (sent.pending_id.clone(), code.clone());
        tokio::spawn(async move {
            accounts::redeem_code(&state, accounts::purpose::SELF_REGISTRATION, &id, &code)
                .await
                .is_ok()
        })
    });
    let mut wins = 0;
    for task in tries.collect::<Vec<_>>() {
        wins += usize::from(task.await.unwrap());
    }
    assert_eq!(wins, 1);
}

backend_test!(a_person_who_has_an_account_cannot_register_another);
async fn a_person_who_has_an_account_cannot_register_another(db: Backend) {
    let t = TestServer::start(db).await;
    let lan = lan();
    with_account(&t, &lan, AccountLevel::Level2).await;
    let resp = t
        .post(
            paths::SELF_REGISTRATION_START,
            &start_body(&lan),
            Auth::None,
        )
        .await;
    let (status, err) = error_of(resp).await;
    assert_eq!((status, err.kind()), (409, Some(ErrorCode::AccountExists)));

    let err = accounts::create_account(
        t.state(),
        &lan.citizen_id,
        &Password::parse(PASSWORD).unwrap(),
        AccountLevel::Level1,
    )
    .await
    .unwrap_err();
    assert!(err.is(ErrorCode::AccountExists));
    assert_eq!(count(&t, "SELECT COUNT(*) FROM accounts").await, 1);
}

backend_test!(only_people_in_the_registry_get_an_account);
async fn only_people_in_the_registry_get_an_account(db: Backend) {
    let t = TestServer::start(db).await;
    let err = accounts::create_account(
        t.state(),
        &lan().citizen_id,
        &Password::parse(PASSWORD).unwrap(),
        AccountLevel::Level2,
    )
    .await
    .unwrap_err();
    assert!(err.is(ErrorCode::NotFound));
}

// ---------------------------------------------------------------------------------------------
// Personal data
// ---------------------------------------------------------------------------------------------

backend_test!(personal_data_shows_the_persons_own_data_and_audit_entries_and_never_anothers);
async fn personal_data_shows_the_persons_own_data_and_audit_entries_and_never_anothers(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let (lan, binh) = (lan(), binh());
    let lan_account = with_account(&t, &lan, AccountLevel::Level2).await;
    let binh_account = with_account(&t, &binh, AccountLevel::Level1).await;
    let (session, device) = bind_and_sign_in(&t, &lan).await;
    let _ = bind_and_sign_in(&t, &binh).await;

    let resp = t.get(paths::MY_DATA, Auth::Session(&session)).await;
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    let data: PersonalDataView = resp.json().await.unwrap();
    assert_eq!(
        data.citizen_id, lan.citizen_id,
        "the full number, to its owner"
    );
    assert_eq!(data.account.id, lan_account);
    assert_eq!(data.account.full_name, lan.full_name);
    assert_eq!(data.account.level, AccountLevel::Level2);
    assert_eq!(data.date_of_birth, lan.date_of_birth);
    assert_eq!(data.phone, lan.phone);
    assert_eq!(data.email, lan.email);
    let bound = data.device.expect("the bound device");
    assert_eq!(bound.device_key_id, Device::key_id(&device.device_key));
    assert_eq!(bound.confirmation_keys.len(), 1);
    assert_eq!(
        bound.confirmation_keys[0].method,
        dinhdanh_core::account::ConfirmationMethod::Passcode
    );
    // Never the passcode key's id: with the salt on a stolen phone it allows an offline search.
    let text = t
        .get(paths::MY_DATA, Auth::Session(&session))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !text.contains(&Device::key_id(&device.passcode_key(PASSCODE)).to_string()),
        "the passcode key's id is served: {text}"
    );

    let resp = t.get(paths::MY_AUDIT, Auth::Session(&session)).await;
    assert_eq!(resp.status(), 200);
    let entries: Vec<AuditEntry> = resp.json().await.unwrap();
    let own = format!("account:{lan_account}");
    let other = format!("account:{binh_account}");
    assert!(
        entries
            .iter()
            .any(|e| e.action == "account.created.level_2" && e.object.as_deref() == Some(&own))
    );
    assert!(entries.iter().any(|e| e.action == "personal_data.viewed"));
    assert!(
        entries
            .iter()
            .all(|e| e.object.as_deref() != Some(other.as_str()))
    );
    assert!(
        entries
            .iter()
            .all(|e| e.actor.as_ref().is_none_or(|a| a != &binh_account))
    );
    assert!(
        entries.windows(2).all(|w| w[0].seq < w[1].seq),
        "oldest first"
    );
    // Binh's entries exist; they are just not Lan's to see.
    let binh_entries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE object = $1")
        .bind(&other)
        .fetch_one(&t.state().pool)
        .await
        .unwrap();
    assert!(binh_entries > 0);

    // Without a session, nothing.
    let resp = t.get(paths::MY_DATA, Auth::None).await;
    assert_eq!(resp.status(), 401);
    let resp = t.get(paths::MY_AUDIT, Auth::TokenOnly(&session)).await;
    assert_eq!(resp.status(), 401);
}

// ---------------------------------------------------------------------------------------------
// Officers
// ---------------------------------------------------------------------------------------------

/// An officer for Hồ Chí Minh City, signed in.
async fn hcm_officer(t: &TestServer) -> (Session, Device) {
    let officer = person(
        79,
        Gender::Male,
        1975,
        333_333,
        "Lê Minh Tuấn",
        "0912000003",
    );
    with_account(t, &officer, AccountLevel::Level2).await;
    officers::grant_officer(
        t.state(),
        &officer.citizen_id,
        NewProvince::parse("ho_chi_minh").unwrap(),
    )
    .await
    .unwrap();
    bind_and_sign_in(t, &officer).await
}

backend_test!(only_level_2_accounts_become_officers);
async fn only_level_2_accounts_become_officers(db: Backend) {
    let t = TestServer::start(db).await;
    let lan = lan();
    let province = NewProvince::parse("ho_chi_minh").unwrap();
    let err = officers::grant_officer(t.state(), &lan.citizen_id, province)
        .await
        .unwrap_err();
    assert!(err.is(ErrorCode::NotFound));
    let account = with_account(&t, &lan, AccountLevel::Level1).await;
    let err = officers::grant_officer(t.state(), &lan.citizen_id, province)
        .await
        .unwrap_err();
    assert!(err.is(ErrorCode::LevelTooLow));
    assert_eq!(
        dinhdanh_server::authz::officer_province(t.state(), &account)
            .await
            .unwrap(),
        None
    );
    accounts::set_level(t.state(), &account, AccountLevel::Level2)
        .await
        .unwrap();
    officers::grant_officer(t.state(), &lan.citizen_id, province)
        .await
        .unwrap();
    assert_eq!(
        dinhdanh_server::authz::officer_province(t.state(), &account)
            .await
            .unwrap(),
        Some(province)
    );
    let view = accounts::account_view(t.state(), &account).await.unwrap();
    assert_eq!(view.officer.map(|o| o.province), Some(province));
}

backend_test!(an_officer_lock_ends_the_persons_sessions_and_a_locked_account_can_do_nothing);
async fn an_officer_lock_ends_the_persons_sessions_and_a_locked_account_can_do_nothing(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let (officer, officer_device) = hcm_officer(&t).await;
    // Born in Bình Dương (074), which is part of Hồ Chí Minh City since 2025.
    let mai = person(
        74,
        Gender::Female,
        1995,
        444_444,
        "Phạm Thị Mai",
        "0912000004",
    );
    let mai_account = with_account(&t, &mai, AccountLevel::Level2).await;
    let (mai_session, mai_device) = bind_and_sign_in(&t, &mai).await;
    assert_eq!(
        t.get(paths::MY_DATA, Auth::Session(&mai_session))
            .await
            .status(),
        200
    );

    let resp = officer_changes_lock(&t, &officer, &officer_device, &mai_account, true).await;
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    let view: AccountView = resp.json().await.unwrap();
    assert!(view.locked);

    // Her session is over, and nothing works until an officer unlocks the account.
    let resp = t.get(paths::MY_DATA, Auth::Session(&mai_session)).await;
    assert_eq!(resp.status(), 401);
    let open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sessions WHERE account_id = $1 AND revoked_at IS NULL",
    )
    .bind(mai_account.as_str())
    .fetch_one(&t.state().pool)
    .await
    .unwrap();
    assert_eq!(open, 0);
    let device_id = accounts::active_device(t.state(), &mai_account)
        .await
        .unwrap()
        .unwrap()
        .id;
    let (status, err) = error_of(sign_in(&t, &mai, &mai_device, &device_id).await).await;
    assert_eq!((status, err.kind()), (423, Some(ErrorCode::AccountLocked)));
    let rebind = DeviceBindingStart {
        citizen_id: mai.citizen_id.clone(),
        password: SecretText::new(PASSWORD),
    };
    let (_, err) = error_of(
        t.post(paths::DEVICE_BINDING_START, &rebind, Auth::None)
            .await,
    )
    .await;
    assert_eq!(err.kind(), Some(ErrorCode::AccountLocked));

    // She is told, in the app and by SMS, and the trail names the officer.
    let inbox = count(
        &t,
        "SELECT COUNT(*) FROM notifications WHERE kind = 'account_lock_changed'",
    )
    .await;
    assert_eq!(inbox, 1);
    assert!(
        t.outbox()
            .iter()
            .any(|m| m["to"] == mai.phone.as_str() && m["kind"] == "alert.account_locked")
    );
    let entries = audit::entries_about(t.state(), &t.state().keys.citizen_key(&mai.citizen_id))
        .await
        .unwrap();
    let locked = entries
        .iter()
        .find(|e| e.action == "account.locked")
        .expect("audited");
    assert_eq!(locked.actor.as_ref(), Some(&officer.account));
    assert_eq!(locked.outcome, AuditOutcome::Success);

    // Unlocking gives her the account back.
    let resp = officer_changes_lock(&t, &officer, &officer_device, &mai_account, false).await;
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    assert_eq!(
        sign_in(&t, &mai, &mai_device, &device_id).await.status(),
        200
    );
}

backend_test!(an_officer_of_another_province_and_a_non_officer_are_refused);
async fn an_officer_of_another_province_and_a_non_officer_are_refused(db: Backend) {
    let t = TestServer::start(db).await;
    let (officer, officer_device) = hcm_officer(&t).await;
    // Born in Hà Nội: not the Hồ Chí Minh City officer's to lock.
    let binh = binh();
    let binh_account = with_account(&t, &binh, AccountLevel::Level2).await;
    let (binh_session, binh_device) = bind_and_sign_in(&t, &binh).await;

    let resp = officer_changes_lock(&t, &officer, &officer_device, &binh_account, true).await;
    let (status, err) = error_of(resp).await;
    assert_eq!((status, err.kind()), (403, Some(ErrorCode::Forbidden)));
    assert!(
        !accounts::account_view(t.state(), &binh_account)
            .await
            .unwrap()
            .locked
    );
    assert_eq!(
        t.get(paths::MY_DATA, Auth::Session(&binh_session))
            .await
            .status(),
        200
    );
    let entries = audit::entries_about(t.state(), &t.state().keys.citizen_key(&binh.citizen_id))
        .await
        .unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.action == "officer.account_lock.refused"
                && e.outcome == AuditOutcome::Denied
                && e.actor.as_ref() == Some(&officer.account))
    );

    // A person who is no officer cannot lock anyone, not even with a valid confirmation.
    let officer_account = officer.account.clone();
    let (status, err) = error_of(
        officer_changes_lock(&t, &binh_session, &binh_device, &officer_account, true).await,
    )
    .await;
    assert_eq!((status, err.kind()), (403, Some(ErrorCode::Forbidden)));
    assert!(
        !accounts::account_view(t.state(), &officer_account)
            .await
            .unwrap()
            .locked
    );
    // Nor is a non-officer asked for a passcode first: without a confirmation the answer is
    // still `forbidden`, not `step_up_required`.
    let unconfirmed = serde_json::json!({
        "body": { "account": officer_account, "lock": true, "reason": "thử" }
    });
    let (status, err) = error_of(
        t.post(
            paths::OFFICER_ACCOUNT_LOCK,
            &unconfirmed,
            Auth::Session(&binh_session),
        )
        .await,
    )
    .await;
    assert_eq!((status, err.kind()), (403, Some(ErrorCode::Forbidden)));
}

backend_test!(a_lock_that_fails_midway_leaves_the_account_and_its_sessions_as_they_were);
async fn a_lock_that_fails_midway_leaves_the_account_and_its_sessions_as_they_were(db: Backend) {
    let t = TestServer::start(db).await;
    let binh = binh();
    let account = with_account(&t, &binh, AccountLevel::Level2).await;
    let (session, _) = bind_and_sign_in(&t, &binh).await;
    // The lock's transaction fails once the account is locked and its sessions ended.
    fail_action_after(t.state(), "account.lock", 2);
    let result = accounts::set_lock(t.state(), &account, true, "thử", LockActor::default()).await;
    assert!(result.is_err());
    assert!(faults_pending(t.state()).is_empty(), "the failure was met");

    assert!(
        !accounts::account_view(t.state(), &account)
            .await
            .unwrap()
            .locked
    );
    assert_eq!(
        t.get(paths::MY_DATA, Auth::Session(&session))
            .await
            .status(),
        200
    );
    assert!(
        !t.outbox()
            .iter()
            .any(|m| m["kind"] == "alert.account_locked")
    );
    let entries = audit::entries_about(t.state(), &t.state().keys.citizen_key(&binh.citizen_id))
        .await
        .unwrap();
    assert!(!entries.iter().any(|e| e.action == "account.locked"));
}

backend_test!(an_officer_lock_without_a_confirmation_asks_for_one);
async fn an_officer_lock_without_a_confirmation_asks_for_one(db: Backend) {
    let t = TestServer::start(db).await;
    let (officer, _) = hcm_officer(&t).await;
    let mai = person(
        79,
        Gender::Female,
        1995,
        555_555,
        "Đỗ Thị Mai",
        "0912000005",
    );
    let mai_account = with_account(&t, &mai, AccountLevel::Level1).await;
    let body = serde_json::json!({
        "body": { "account": mai_account, "lock": true, "reason": "thử" }
    });
    let resp = t
        .post(paths::OFFICER_ACCOUNT_LOCK, &body, Auth::Session(&officer))
        .await;
    let (status, err) = error_of(resp).await;
    assert_eq!((status, err.kind()), (401, Some(ErrorCode::StepUpRequired)));
    assert!(
        !accounts::account_view(t.state(), &mai_account)
            .await
            .unwrap()
            .locked
    );
}

/// Asks for a self-registration code; the answer as it is.
async fn ask_for_code(t: &TestServer, p: &CitizenRecord) -> reqwest::Response {
    t.post(paths::SELF_REGISTRATION_START, &start_body(p), Auth::None)
        .await
}

/// Tries `code` on `pending_id`; the error's status and code, or 200.
async fn try_code(t: &TestServer, pending_id: &str, code: &str) -> (u16, Option<ErrorCode>) {
    let resp = t
        .post(
            paths::SELF_REGISTRATION_FINISH,
            &finish_body(pending_id, code),
            Auth::None,
        )
        .await;
    if resp.status() == 200 {
        return (200, None);
    }
    let (status, err) = error_of(resp).await;
    (status, err.kind())
}

backend_test!(wrong_codes_are_capped_per_person_over_all_the_codes_sent);
async fn wrong_codes_are_capped_per_person_over_all_the_codes_sent(db: Backend) {
    let t = TestServer::start(db).await;
    let lan = lan();
    accounts::insert_citizen(t.state(), &lan).await.unwrap();
    let window = t.state().config.limits.rate_window_secs;
    let invalid = (400, Some(ErrorCode::OneTimeCodeInvalid));
    // A slow guess: code after code, one rate-limit window apart, 5 + 4 wrong tries.
    for tries in [5, 4] {
        let sent = start_registration(&t, &start_body(&lan)).await;
        let wrong = wrong_code(&t.last_code_to(lan.phone.as_str()));
        for _ in 0..tries {
            assert_eq!(try_code(&t, &sent.pending_id, &wrong).await, invalid);
        }
        t.clock.advance(window);
    }
    // The 10th wrong code of the day is the last one tried: even the right code is refused
    // after it, and no code is sent any more today.
    let sent = start_registration(&t, &start_body(&lan)).await;
    let code = t.last_code_to(lan.phone.as_str());
    assert_eq!(
        try_code(&t, &sent.pending_id, &wrong_code(&code)).await,
        invalid
    );
    assert_eq!(
        try_code(&t, &sent.pending_id, &code).await,
        (429, Some(ErrorCode::RateLimited))
    );
    t.clock.advance(window);
    let messages = t.outbox().len();
    let (status, err) = error_of(ask_for_code(&t, &lan).await).await;
    assert_eq!((status, err.kind()), (429, Some(ErrorCode::RateLimited)));
    assert!(err.retry_after_secs.is_some_and(|s| s > 0));
    assert_eq!(t.outbox().len(), messages, "no code was sent");

    // The next day the person registers.
    t.clock.advance(24 * 60 * 60);
    let sent = start_registration(&t, &start_body(&lan)).await;
    let code = t.last_code_to(lan.phone.as_str());
    assert_eq!(try_code(&t, &sent.pending_id, &code).await, (200, None));
}

backend_test!(codes_sent_to_one_person_are_capped_per_day_not_only_per_window);
async fn codes_sent_to_one_person_are_capped_per_day_not_only_per_window(db: Backend) {
    let t = TestServer::start(db).await;
    let lan = lan();
    accounts::insert_citizen(t.state(), &lan).await.unwrap();
    let window = t.state().config.limits.rate_window_secs;
    let mut sent = 0;
    let refused = loop {
        let resp = ask_for_code(&t, &lan).await;
        if resp.status() != 200 {
            break resp;
        }
        sent += 1;
        assert!(sent <= 100, "no daily limit");
        // Within the per-window limit, moving on a window every 5 codes.
        if sent % 5 == 0 {
            t.clock.advance(window);
        }
    };
    assert_eq!(sent, 20, "codes sent in one day");
    let (status, err) = error_of(refused).await;
    assert_eq!((status, err.kind()), (429, Some(ErrorCode::RateLimited)));

    // The sweep keeps the day's count until the day is over, then forgets every window.
    let windows = || count(&t, "SELECT COUNT(*) FROM rate_limits");
    dinhdanh_server::testing::sweep_now(t.state())
        .await
        .unwrap();
    assert!(windows().await > 0);
    t.clock.advance(24 * 60 * 60);
    let swept = dinhdanh_server::testing::sweep_now(t.state())
        .await
        .unwrap();
    assert!(swept.rate_windows > 0);
    assert_eq!(windows().await, 0);
    start_registration(&t, &start_body(&lan)).await;
}
