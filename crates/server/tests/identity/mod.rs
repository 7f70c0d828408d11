//! People, bound devices and sessions for the identity tests (devices, sessions, confirmation):
//! a person in the registry with an account, a device bound through the real binding flow
//! (the code read from outbox.log), a sign-in with the device's proof, and confirmed calls.
#![allow(dead_code)]

use chrono::NaiveDate;
use dinhdanh_core::account::AccountLevel;
use dinhdanh_core::api::{
    ApiError, ChallengePurpose, CodeSent, Confirmed, DeviceBindingFinish, DeviceBindingStart,
    DeviceView, EndSession, ErrorCode, LoginRequest, LoginResponse, OneTimeCode, Platform,
    SecretText, SessionKind, paths,
};
use dinhdanh_core::ids::{AccountId, CitizenId, DeviceId, Gender, Password, SessionId};
use dinhdanh_core::ids::{OldProvince, PhoneNumber};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use dinhdanh_server::testing::accounts::{self, CitizenRecord};
use dinhdanh_server::testing::sessions::{self, NewSession};
use p256::ecdsa::SigningKey;
use rand_core::{OsRng, RngCore};

use crate::common::{Auth, Device, Session, TestServer};

/// The passcode every test device is set up with.
pub const PASSCODE: &str = "271828";
/// A wrong passcode.
pub const WRONG_PASSCODE: &str = "314159";

/// A person in the registry with a level-2 account.
pub struct Person {
    /// Identification number.
    pub citizen_id: CitizenId,
    /// Password.
    pub password: String,
    /// Registered phone.
    pub phone: String,
    /// Registered e-mail.
    pub email: Option<String>,
    /// The account.
    pub account: AccountId,
}

/// Adds a person to the registry and gives them an account.
pub async fn person(t: &TestServer, with_email: bool) -> Person {
    let record = insert_random_citizen(t, |serial, phone| CitizenRecord {
        citizen_id: CitizenId::from_parts(
            OldProvince::from_code(1).unwrap(),
            Gender::Female,
            1990,
            serial,
        )
        .unwrap(),
        full_name: "Nguyễn Thị Lan".into(),
        date_of_birth: NaiveDate::from_ymd_opt(1990, 5, 17).unwrap(),
        gender: Gender::Female,
        phone: PhoneNumber::parse(&format!("091{phone:07}")).unwrap(),
        email: with_email
            .then(|| dinhdanh_core::ids::Email::parse(&format!("lan{serial}@example.vn")).unwrap()),
    })
    .await;
    let citizen_id = record.citizen_id;
    let phone = record.phone.as_str().to_owned();
    let email = record.email.map(|e| e.as_str().to_owned());
    let password = "Matkhau#2025".to_owned();
    let account = accounts::create_account(
        t.state(),
        &citizen_id,
        &Password::parse(&password).unwrap(),
        AccountLevel::Level2,
    )
    .await
    .unwrap();
    Person {
        citizen_id,
        password,
        phone,
        email,
        account,
    }
}

/// Adds a person to the registry without an account: their identification number.
pub async fn citizen_without_account(t: &TestServer, full_name: &str) -> CitizenId {
    citizen_and_phone_without_account(t, full_name).await.0
}

/// [`citizen_without_account`], with the phone the registry holds for them (where the codes
/// of [`open_account`]'s device binding go).
pub async fn citizen_and_phone_without_account(
    t: &TestServer,
    full_name: &str,
) -> (CitizenId, String) {
    let record = insert_random_citizen(t, |serial, phone| CitizenRecord {
        citizen_id: CitizenId::from_parts(
            OldProvince::from_code(1).unwrap(),
            Gender::Male,
            1985,
            serial,
        )
        .unwrap(),
        full_name: full_name.into(),
        date_of_birth: NaiveDate::from_ymd_opt(1985, 3, 2).unwrap(),
        gender: Gender::Male,
        phone: PhoneNumber::parse(&format!("098{phone:07}")).unwrap(),
        email: None,
    })
    .await;
    let phone = record.phone.as_str().to_owned();
    (record.citizen_id, phone)
}

/// Adds to the registry the person `record_of` makes from a random serial number and random
/// phone digits, drawing again while either is taken: a test that makes a hundred people
/// would otherwise meet a duplicate in about one run of a hundred.
pub async fn insert_random_citizen(
    t: &TestServer,
    record_of: impl Fn(u32, u32) -> CitizenRecord,
) -> CitizenRecord {
    for _ in 0..10 {
        let record = record_of(OsRng.next_u32() % 1_000_000, OsRng.next_u32() % 10_000_000);
        match accounts::insert_citizen(t.state(), &record).await {
            Ok(()) => return record,
            Err(e) if e.is(dinhdanh_core::api::ErrorCode::Conflict) => continue,
            Err(e) => panic!("the registry refused a new person: {e}"),
        }
    }
    panic!("ten people drawn at random were all in the registry already");
}

/// The person of the registry with `citizen_id` and `phone` creates a level-2 account.
pub async fn open_account(t: &TestServer, citizen_id: &CitizenId, phone: &str) -> Person {
    let password = "Matkhau#2026".to_owned();
    let account = accounts::create_account(
        t.state(),
        citizen_id,
        &Password::parse(&password).unwrap(),
        AccountLevel::Level2,
    )
    .await
    .unwrap();
    Person {
        citizen_id: citizen_id.clone(),
        password,
        phone: phone.to_owned(),
        email: None,
        account,
    }
}

/// The error a response carries.
pub async fn error(resp: reqwest::Response) -> (u16, ApiError) {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let err: ApiError =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not an error: {status} {text}"));
    (status, err)
}

/// Asserts the response is the error `code`.
pub async fn assert_error(resp: reqwest::Response, code: ErrorCode) -> ApiError {
    let (status, err) = error(resp).await;
    assert_eq!(err.kind(), Some(code), "{status} {err:?}");
    assert_eq!(status, code.http_status());
    err
}

/// Binding, step 1.
pub async fn binding_start(t: &TestServer, p: &Person) -> CodeSent {
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
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

/// The binding-finish body for `device` with `code`.
pub fn binding_finish_body(device: &Device, pending_id: &str, code: &str) -> DeviceBindingFinish {
    DeviceBindingFinish {
        pending_id: pending_id.to_owned(),
        code: OneTimeCode::parse(code).unwrap(),
        device_key: Device::public(&device.device_key),
        passcode_key: Device::public(&device.passcode_key(PASSCODE)),
        biometric_key: Some(Device::public(&device.biometric_key)),
        device_name: "Điện thoại của Lan".into(),
        platform: Platform::Android,
    }
}

/// Binds `device` to the person's account through both steps.
pub async fn bind(t: &TestServer, p: &Person, device: &Device) -> DeviceView {
    bind_with(t, p, device, |_| {}).await
}

/// [`bind`], with `change` made to the finishing body first (a key left out, say).
pub async fn bind_with(
    t: &TestServer,
    p: &Person,
    device: &Device,
    change: impl FnOnce(&mut DeviceBindingFinish),
) -> DeviceView {
    let sent = binding_start(t, p).await;
    let code = t.last_code_to(&p.phone);
    let mut finish = binding_finish_body(device, &sent.pending_id, &code);
    change(&mut finish);
    let resp = t
        .post(
            paths::DEVICE_BINDING_FINISH,
            &finish,
            Auth::DeviceKey(&device.device_key),
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

/// A sign-in body with a fresh challenge.
pub async fn login_body(
    t: &TestServer,
    citizen_id: &CitizenId,
    password: &str,
    device: &DeviceId,
) -> LoginRequest {
    LoginRequest {
        citizen_id: citizen_id.clone(),
        password: SecretText::new(password),
        device_id: device.clone(),
        challenge: t.challenge(ChallengePurpose::SignIn, None).await,
    }
}

/// Signs in on a bound device.
pub async fn sign_in(t: &TestServer, p: &Person, device: &Device, id: &DeviceId) -> Session {
    let body = login_body(t, &p.citizen_id, &p.password, id).await;
    let resp = t
        .post(paths::LOGIN, &body, Auth::DeviceKey(&device.device_key))
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let login: LoginResponse = resp.json().await.unwrap();
    assert_eq!(login.account.id, p.account);
    Session {
        token: login.token,
        key: device.device_key.clone(),
        account: p.account.clone(),
    }
}

/// A person with a bound device, signed in on it.
pub async fn signed_in(t: &TestServer) -> (Person, Device, DeviceView, Session) {
    let p = person(t, true).await;
    let device = Device::new();
    let view = bind(t, &p, &device).await;
    let session = sign_in(t, &p, &device, &view.id).await;
    (p, device, view, session)
}

/// Another session of the account (a desktop, as QR login would create it), made directly.
pub async fn desktop_session(
    t: &TestServer,
    p: &Person,
    device: &DeviceId,
) -> (Session, SessionId) {
    let key = SigningKey::random(&mut OsRng);
    let (token, view) = sessions::create_session(
        t.state(),
        NewSession {
            account: &p.account,
            device: Some(device),
            kind: SessionKind::Desktop,
            bound_key: &Device::public(&key),
            acting_for: None,
            client_name: "Firefox trên Ubuntu",
        },
    )
    .await
    .unwrap();
    (
        Session {
            token,
            key,
            account: p.account.clone(),
        },
        view.id,
    )
}

/// A confirmed `EndSession` for `target`, with a fresh challenge, confirmed with `passcode`.
pub async fn end_session_confirmed(
    t: &TestServer,
    session: &Session,
    device: &Device,
    target: &SessionId,
    passcode: &str,
) -> Confirmed<EndSession> {
    let challenge = t
        .challenge(
            ChallengePurpose::Action {
                kind: ActionKind::EndSession,
            },
            Some(session),
        )
        .await;
    device.confirm(
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
        passcode,
    )
}

/// `DELETE /v1/sessions/{id}` with `body`.
pub async fn end_session<T: serde::Serialize>(
    t: &TestServer,
    session: &Session,
    target: &SessionId,
    body: &T,
) -> reqwest::Response {
    let bytes = serde_json::to_vec(body).unwrap();
    t.send(
        "DELETE",
        &paths::fill(paths::SESSION, "id", target.as_str()),
        Some(&bytes),
        Auth::Session(session),
    )
    .await
}

/// The device's consecutive wrong confirmations, as stored.
pub async fn wrong_confirmations(t: &TestServer, device: &DeviceId) -> i64 {
    sqlx::query_scalar("SELECT wrong_confirmations FROM devices WHERE id = $1")
        .bind(device.as_str())
        .fetch_one(&t.state().pool)
        .await
        .unwrap()
}

/// An active enterprise, created directly (as an approved registration would), whose only
/// legal representative — and so its owner — is `citizen` named `representative`, registered
/// by `owner`; `name_vi` and `tax` tell the tests' organisations apart.
pub async fn enterprise_owned_by(
    t: &TestServer,
    owner: &AccountId,
    citizen: &CitizenId,
    representative: &str,
    name_vi: &str,
    tax: dinhdanh_core::ids::TaxCode,
) -> dinhdanh_core::ids::OrgEid {
    use dinhdanh_core::ids::{EnterpriseCode, NewProvince};
    use dinhdanh_core::org_type::{
        AddressLine, HeadOffice, LegalRepresentative, Name, OrgType, OrganisationDetails,
    };
    use dinhdanh_server::testing::organisations::{self, NewOrganisation, Registrant};
    let details = OrganisationDetails {
        name_vi: Name::parse(name_vi).unwrap(),
        abbreviated_name: None,
        foreign_name: None,
        established_on: NaiveDate::from_ymd_opt(2018, 3, 1).unwrap(),
        head_office: HeadOffice {
            address: AddressLine::parse("Số 1 phố Tràng Tiền, phường Hoàn Kiếm").unwrap(),
            province: NewProvince::parse("ha_noi").unwrap(),
        },
        enterprise_code: Some(EnterpriseCode::parse(tax.as_str()).unwrap()),
        tax_code: Some(tax),
        cooperative_code: None,
        agency_code: None,
        representatives: vec![LegalRepresentative {
            full_name: Name::parse(representative).unwrap(),
            citizen_id: citizen.clone(),
        }],
        contact_phone: PhoneNumber::parse("0912345678").unwrap(),
        contact_email: None,
        authorisation_letter: None,
        founding_decision: None,
    };
    organisations::create_organisation(
        t.state(),
        NewOrganisation {
            org_type: OrgType::Enterprise,
            details: &details,
            registration: None,
            registered_by: Registrant::Account(owner),
        },
    )
    .await
    .unwrap()
}
