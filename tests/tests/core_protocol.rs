//! The core crate's pieces used together, the way the device and the server will use them:
//! a form becomes a submission, the person confirms it, it travels as JSON, and the server
//! verifies it with the same functions. Any change on the way must be caught.

use chrono::NaiveDate;
use dinhdanh_core::account::ConfirmationMethod;
use dinhdanh_core::api::{Confirmed, RegistrationSubmission, RequesterCapacity};
use dinhdanh_core::crypto::{KeyId, PublicKey};
use dinhdanh_core::ids::{AccountId, CitizenId, Gender, OldProvince, OrgEid};
use dinhdanh_core::org_type::{OrgType, OrganisationForm, RepresentativeForm};
use dinhdanh_core::qr_login::{QrError, QrLoginPayload, RendezvousId};
use dinhdanh_core::signed_action::{
    self, ActionError, ActionKind, ActionTarget, Challenge, Expectation, Origin, PendingAction,
    SignedAction,
};
use p256::ecdsa::SigningKey;
use rand_core::{OsRng, RngCore};
use serde_json::Value;

const NOW: i64 = 1_795_000_000;

struct Device {
    device_key: SigningKey,
    passcode_key: SigningKey,
}

impl Device {
    fn new() -> Self {
        Device {
            device_key: SigningKey::random(&mut OsRng),
            passcode_key: SigningKey::random(&mut OsRng),
        }
    }

    fn key_id(key: &SigningKey) -> KeyId {
        PublicKey::from_verifying_key(key.verifying_key()).key_id()
    }

    fn passcode_public(&self) -> PublicKey {
        PublicKey::from_verifying_key(self.passcode_key.verifying_key())
    }
}

fn origin() -> Origin {
    Origin::parse("https://dinhdanh.example.vn").unwrap()
}

fn fresh_challenge() -> Challenge {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    Challenge::from_bytes(&bytes).unwrap()
}

fn requester() -> CitizenId {
    CitizenId::from_parts(
        OldProvince::from_code(79).unwrap(),
        Gender::Female,
        1984,
        123_456,
    )
    .unwrap()
}

fn enterprise_form(requester: &CitizenId) -> OrganisationForm {
    OrganisationForm {
        name_vi: "Công ty Cổ phần Sữa Việt Nam".into(),
        abbreviated_name: "VINAMILK".into(),
        foreign_name: "Vietnam Dairy Products Joint Stock Company".into(),
        established_on: "2003-11-20".into(),
        head_office_address: "Số 10 Tân Trào, phường Tân Phú".into(),
        head_office_province: "ho_chi_minh".into(),
        enterprise_code: "0300588569".into(),
        tax_code: "0300588569".into(),
        representatives: vec![RepresentativeForm {
            full_name: "Nguyễn Thị Lan".into(),
            citizen_id: requester.as_str().into(),
        }],
        contact_phone: "+84 912 345 678".into(),
        contact_email: "phaply@vinamilk.com.vn".into(),
        ..OrganisationForm::default()
    }
}

/// The device's side: a validated form, confirmed with the passcode key.
fn confirm_registration(
    device: &Device,
    challenge: &Challenge,
) -> Confirmed<RegistrationSubmission> {
    let requester = requester();
    let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let details = enterprise_form(&requester)
        .validate_for_requester(OrgType::Enterprise, &requester, today)
        .expect("a correct form validates");
    let body = RegistrationSubmission::new(OrgType::Enterprise, details, &requester);
    assert_eq!(body.capacity, RequesterCapacity::LegalRepresentative);
    let action = SignedAction {
        kind: ActionKind::RegisterOrganisation,
        origin: origin(),
        challenge: challenge.clone(),
        account: AccountId::parse("acc_lan").unwrap(),
        acting_for: None,
        target: ActionTarget::new("registration", "new").unwrap(),
        body_hash: signed_action::canonical_body_hash(&body).unwrap(),
        device_key_id: Device::key_id(&device.device_key),
        confirmation_key_id: Device::key_id(&device.passcode_key),
        method: ConfirmationMethod::Passcode,
        counter: 7,
        time: NOW,
    };
    let confirmation = PendingAction::new(action)
        .sign_with(&device.passcode_key)
        .unwrap();
    Confirmed { body, confirmation }
}

/// The server's side: parse the JSON, recompute the body hash, verify against what it knows.
fn server_accepts(json: &str, device: &Device, challenge: &Challenge) -> Result<(), String> {
    let received: Confirmed<RegistrationSubmission> =
        serde_json::from_str(json).map_err(|e| format!("rejected while reading: {e}"))?;
    let expected = Expectation {
        kind: ActionKind::RegisterOrganisation,
        origin: origin(),
        challenge: challenge.clone(),
        account: AccountId::parse("acc_lan").unwrap(),
        acting_for: None,
        target: ActionTarget::new("registration", "new").unwrap(),
        body_hash: received.body_hash().map_err(|e| e.to_string())?,
        device_key_id: Device::key_id(&device.device_key),
        method: ConfirmationMethod::Passcode,
        previous_counter: Some(6),
        now: NOW + 3,
        max_age_secs: 300,
        max_future_secs: 30,
    };
    signed_action::verify(&received.confirmation, &device.passcode_public(), &expected)
        .map_err(|e| format!("{e:?}"))
}

#[test]
fn a_confirmed_registration_verifies_on_the_server_after_travelling_as_json() {
    let device = Device::new();
    let challenge = fresh_challenge();
    let json = serde_json::to_string(&confirm_registration(&device, &challenge)).unwrap();
    assert_eq!(server_accepts(&json, &device, &challenge), Ok(()));
}

#[test]
fn any_change_to_what_the_person_confirmed_is_refused() {
    let device = Device::new();
    let challenge = fresh_challenge();
    let original: Value = serde_json::to_value(confirm_registration(&device, &challenge)).unwrap();
    let other_person = CitizenId::from_parts(
        OldProvince::from_code(1).unwrap(),
        Gender::Male,
        1979,
        654_321,
    )
    .unwrap();
    let edits: Vec<(&str, Value)> = vec![
        (
            "/body/details/name_vi",
            "Công ty Cổ phần Sữa Việt Nam Mới".into(),
        ),
        ("/body/details/foreign_name", "Someone Else Ltd".into()),
        ("/body/details/established_on", "2003-11-21".into()),
        ("/body/details/head_office/province", "ha_noi".into()),
        (
            "/body/details/representatives/0/citizen_id",
            other_person.as_str().into(),
        ),
        ("/body/details/contact_phone", "0987654321".into()),
        ("/body/capacity", "authorised".into()),
        ("/body/org_type", "cooperative".into()),
        ("/confirmation/action/counter", 8.into()),
        ("/confirmation/action/account", "acc_other".into()),
        ("/confirmation/action/method", "biometric".into()),
    ];
    for (pointer, value) in edits {
        let mut tampered = original.clone();
        let slot = tampered
            .pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{pointer} missing"));
        assert_ne!(*slot, value, "{pointer}: the edit must change something");
        *slot = value;
        let json = tampered.to_string();
        assert!(
            server_accepts(&json, &device, &challenge).is_err(),
            "{pointer} was accepted"
        );
    }

    // A syntactically valid but different tax code fails the body hash, not the parser.
    let mut tampered = original.clone();
    *tampered
        .pointer_mut("/body/details/enterprise_code")
        .unwrap() = "0101248141".into();
    let err = server_accepts(&tampered.to_string(), &device, &challenge).unwrap_err();
    assert_eq!(err, format!("{:?}", ActionError::WrongBody));

    // An invalid identifier never gets as far as the signature check.
    let mut tampered = original;
    *tampered
        .pointer_mut("/body/details/enterprise_code")
        .unwrap() = "0300588568".into();
    let err = server_accepts(&tampered.to_string(), &device, &challenge).unwrap_err();
    assert!(err.starts_with("rejected while reading"), "{err}");
}

#[test]
fn a_confirmation_answers_one_challenge_only() {
    let device = Device::new();
    let challenge = fresh_challenge();
    let json = serde_json::to_string(&confirm_registration(&device, &challenge)).unwrap();
    assert_eq!(
        server_accepts(&json, &device, &fresh_challenge()),
        Err(format!("{:?}", ActionError::WrongChallenge))
    );
    // Another device's passcode key cannot stand in for this one's.
    assert!(server_accepts(&json, &Device::new(), &challenge).is_err());
}

#[test]
fn a_qr_code_shown_by_the_desktop_is_approved_by_the_phone_for_that_desktop_only() {
    let desktop_key = SigningKey::random(&mut OsRng);
    let mut rendezvous = [0u8; 16];
    OsRng.fill_bytes(&mut rendezvous);
    let payload = QrLoginPayload::new(
        RendezvousId::from_bytes(&rendezvous).unwrap(),
        PublicKey::from_verifying_key(desktop_key.verifying_key()),
        origin(),
        NOW + 60,
    )
    .unwrap();

    // What the phone's camera reads back is the same payload, with the same check code.
    let scanned = QrLoginPayload::parse(&payload.to_uri()).unwrap();
    assert_eq!(scanned, payload);
    assert_eq!(scanned.check_code(), payload.check_code());
    assert_eq!(scanned.check(NOW, &origin()), Ok(()));
    assert_eq!(scanned.check(NOW + 61, &origin()), Err(QrError::Expired));
    let elsewhere = Origin::parse("https://dinhdanh.example.com").unwrap();
    assert_eq!(scanned.check(NOW, &elsewhere), Err(QrError::WrongServer));

    // The approval pins the desktop's key and the account chosen: another desktop's key, or
    // another account, gives another body hash.
    let org = OrgEid::from_serial(42).unwrap();
    let personal = scanned.approval_body_hash(None).unwrap();
    let for_org = scanned.approval_body_hash(Some(org)).unwrap();
    assert_ne!(personal, for_org);
    let other_desktop = QrLoginPayload::new(
        RendezvousId::from_bytes(&rendezvous).unwrap(),
        PublicKey::from_verifying_key(SigningKey::random(&mut OsRng).verifying_key()),
        origin(),
        NOW + 60,
    )
    .unwrap();
    assert_ne!(other_desktop.approval_body_hash(None).unwrap(), personal);
    assert_ne!(
        other_desktop.check_code(),
        "",
        "a check code is always shown"
    );
}
