// Long on purpose, one kind of thing: the signed-action tests (examples, then properties).
use super::*;
use crate::account::ConfirmationMethod;
use crate::crypto::{self, CryptoError, Digest32, KeyId, PublicKey};
use crate::error::IdProblem;
use crate::ids::{AccountId, OrgEid};
use p256::ecdsa::SigningKey;
use proptest::prelude::*;
use serde::Serialize;

struct Keys {
    device: SigningKey,
    confirmation: SigningKey,
}

impl Keys {
    fn new() -> Self {
        Keys {
            device: SigningKey::random(&mut rand_core::OsRng),
            confirmation: SigningKey::random(&mut rand_core::OsRng),
        }
    }
    fn device_id(&self) -> KeyId {
        PublicKey::from_verifying_key(self.device.verifying_key()).key_id()
    }
    fn confirmation_public(&self) -> PublicKey {
        PublicKey::from_verifying_key(self.confirmation.verifying_key())
    }
}

#[derive(Serialize)]
struct Consent {
    registration: &'static str,
    organisation_name: &'static str,
    role: &'static str,
}

const NOW: i64 = 1_750_000_000;

fn consent() -> Consent {
    Consent {
        registration: "REQ123",
        organisation_name: "Công ty TNHH Ánh Dương",
        role: "owner",
    }
}

fn action(keys: &Keys) -> SignedAction {
    SignedAction {
        kind: ActionKind::ConsentToRegistration,
        origin: Origin::parse("https://dinhdanh.example.vn").unwrap(),
        challenge: Challenge::from_bytes(&[7u8; 32]).unwrap(),
        account: AccountId::parse("acc_1").unwrap(),
        acting_for: None,
        target: ActionTarget::parse("registration:REQ123").unwrap(),
        body_hash: canonical_body_hash(&consent()).unwrap(),
        device_key_id: keys.device_id(),
        confirmation_key_id: keys.confirmation_public().key_id(),
        method: ConfirmationMethod::Passcode,
        counter: 5,
        time: NOW - 3,
    }
}

fn expectation(keys: &Keys) -> Expectation {
    Expectation {
        kind: ActionKind::ConsentToRegistration,
        origin: Origin::parse("https://dinhdanh.example.vn").unwrap(),
        challenge: Challenge::from_bytes(&[7u8; 32]).unwrap(),
        account: AccountId::parse("acc_1").unwrap(),
        acting_for: None,
        target: ActionTarget::parse("registration:REQ123").unwrap(),
        body_hash: canonical_body_hash(&consent()).unwrap(),
        device_key_id: keys.device_id(),
        method: ConfirmationMethod::Passcode,
        previous_counter: Some(4),
        now: NOW,
        max_age_secs: 120,
        max_future_secs: 30,
    }
}

fn signed(keys: &Keys, action: SignedAction) -> SignedActionEnvelope {
    PendingAction::new(action)
        .sign_with(&keys.confirmation)
        .unwrap()
}

#[test]
fn a_consent_signed_on_the_phone_verifies_on_the_server() {
    let keys = Keys::new();
    let envelope = signed(&keys, action(&keys));
    // Over the wire and back.
    let json = serde_json::to_string(&envelope).unwrap();
    let received: SignedActionEnvelope = serde_json::from_str(&json).unwrap();
    assert_eq!(
        verify(&received, &keys.confirmation_public(), &expectation(&keys)),
        Ok(())
    );
    assert_eq!(received.method(), ConfirmationMethod::Passcode);
}

#[test]
fn each_mismatch_with_the_expectation_has_its_own_error() {
    let keys = Keys::new();
    let envelope = signed(&keys, action(&keys));
    let key = keys.confirmation_public();
    let check = |change: &dyn Fn(&mut Expectation), error: ActionError| {
        let mut e = expectation(&keys);
        change(&mut e);
        assert_eq!(verify(&envelope, &key, &e), Err(error));
    };
    check(
        &|e| e.kind = ActionKind::RefuseRegistration,
        ActionError::WrongKind,
    );
    check(
        &|e| e.origin = Origin::parse("https://evil.example").unwrap(),
        ActionError::WrongOrigin,
    );
    check(
        &|e| e.challenge = Challenge::from_bytes(&[8u8; 32]).unwrap(),
        ActionError::WrongChallenge,
    );
    check(
        &|e| e.account = AccountId::parse("acc_2").unwrap(),
        ActionError::WrongAccount,
    );
    check(
        &|e| e.acting_for = Some(OrgEid::from_serial(1).unwrap()),
        ActionError::WrongOrganisation,
    );
    check(
        &|e| e.target = ActionTarget::parse("registration:REQ124").unwrap(),
        ActionError::WrongTarget,
    );
    check(
        &|e| e.body_hash = crypto::sha256(b"{}"),
        ActionError::WrongBody,
    );
    check(
        &|e| e.device_key_id = keys.confirmation_public().key_id(),
        ActionError::WrongDeviceKey,
    );
    check(
        &|e| e.method = ConfirmationMethod::Biometric,
        ActionError::WrongMethod,
    );
    check(
        &|e| e.previous_counter = Some(5),
        ActionError::CounterNotIncreasing,
    );
    check(&|e| e.now = NOW + 118, ActionError::Expired);
    check(&|e| e.now = NOW - 34, ActionError::FromTheFuture);
    // The edges of the window are inside it.
    let mut e = expectation(&keys);
    e.now = NOW + 117;
    assert_eq!(verify(&envelope, &key, &e), Ok(()));
    e.now = NOW - 33;
    assert_eq!(verify(&envelope, &key, &e), Ok(()));
    e.previous_counter = None;
    assert_eq!(verify(&envelope, &key, &e), Ok(()));
}

#[test]
fn another_key_or_a_tampered_action_fails_the_signature() {
    let keys = Keys::new();
    let envelope = signed(&keys, action(&keys));
    let other = Keys::new();
    assert_eq!(
        verify(&envelope, &other.confirmation_public(), &expectation(&keys)),
        Err(ActionError::WrongConfirmationKey)
    );
    let mut tampered = envelope.clone();
    tampered.action.counter = 6;
    assert_eq!(
        verify(&tampered, &keys.confirmation_public(), &expectation(&keys)),
        Err(ActionError::Crypto(CryptoError::BadSignature))
    );
}

#[test]
fn a_pending_action_refuses_a_signature_by_the_wrong_key() {
    let keys = Keys::new();
    let pending = PendingAction::new(action(&keys));
    let sig = crypto::sign_with(&keys.device, &pending.bytes_to_sign());
    assert_eq!(
        pending
            .finish(sig, &keys.confirmation_public())
            .unwrap_err(),
        ActionError::Crypto(CryptoError::BadSignature)
    );
    let pending = PendingAction::new(action(&keys));
    assert_eq!(
        pending.sign_with(&keys.device).unwrap_err(),
        ActionError::WrongConfirmationKey
    );
}

#[test]
fn the_envelope_rejects_unknown_fields_and_malformed_values() {
    let keys = Keys::new();
    let envelope = signed(&keys, action(&keys));
    let mut json = serde_json::to_value(&envelope).unwrap();
    json["action"]["extra"] = serde_json::json!(1);
    assert!(serde_json::from_value::<SignedActionEnvelope>(json).is_err());
    let mut json = serde_json::to_value(&envelope).unwrap();
    json["action"]["origin"] = serde_json::json!("https://dinhdanh.example.vn/");
    assert!(serde_json::from_value::<SignedActionEnvelope>(json).is_err());
    let mut json = serde_json::to_value(&envelope).unwrap();
    json["action"]["kind"] = serde_json::json!("do_anything");
    assert!(serde_json::from_value::<SignedActionEnvelope>(json).is_err());
}

#[test]
fn the_encoding_starts_with_the_versioned_domain() {
    let keys = Keys::new();
    let bytes = action(&keys).to_bytes();
    assert_eq!(&bytes[..8], &(DOMAIN.len() as u64).to_be_bytes());
    assert_eq!(&bytes[8..8 + DOMAIN.len()], DOMAIN.as_bytes());
}

#[test]
fn action_kind_tags_are_unique_and_permanent() {
    let mut tags: Vec<u16> = ActionKind::ALL.iter().map(|k| k.tag()).collect();
    tags.sort_unstable();
    tags.dedup();
    assert_eq!(tags.len(), ActionKind::ALL.len());
    for k in ActionKind::ALL {
        assert_eq!(ActionKind::from_tag(k.tag()), Some(k));
    }
    assert_eq!(ActionKind::from_tag(0), None);
    // Spot-check values that are already in signatures: they must never change.
    assert_eq!(ActionKind::RegisterOrganisation.tag(), 1);
    assert_eq!(ActionKind::ApproveQrLogin.tag(), 9);
    assert_eq!(ActionKind::UpdateOrganisationInfo.tag(), 24);
    assert_eq!(
        serde_json::to_string(&ActionKind::ConsentToRegistration).unwrap(),
        "\"consent_to_registration\""
    );
}

#[test]
fn origins_have_one_spelling() {
    for ok in [
        "https://dinhdanh.example.vn",
        "https://dinhdanh.gov.vn:8443",
        "https://10.0.0.1",
        "http://localhost:8080",
        "http://127.0.0.1:39211",
        "https://localhost",
    ] {
        assert_eq!(Origin::parse(ok).unwrap().as_str(), ok);
    }
    for bad in [
        "",
        "dinhdanh.example.vn",
        "ftp://dinhdanh.example.vn",
        "https://Dinhdanh.example.vn",
        "https://dinhdanh.example.vn/",
        "https://dinhdanh.example.vn/login",
        "https://dinhdanh.example.vn?x",
        "https://dinhdanh.example.vn#x",
        "https://user@dinhdanh.example.vn",
        "https://dinhdanh.example.vn.",
        "https://dinhdanh..vn",
        "https://-dinhdanh.vn",
        "https://dinhdanh-.vn",
        "https://dinhdanh.example.vn:443",
        "http://localhost:80",
        "https://dinhdanh.example.vn:0",
        "https://dinhdanh.example.vn:65536",
        "https://dinhdanh.example.vn:08443",
        "https://dinhdanh.example.vn:",
        "https://a:1:2",
        "https://256.0.0.1",
        "https://1.2.3",
        "https://01.2.3.4",
        "https://xn--dinhdanh.vn%2F",
        "http://dinhdanh.example.vn",
        "http://10.0.0.1",
        "https://đinhdanh.vn",
    ] {
        assert!(Origin::parse(bad).is_err(), "{bad} was accepted");
    }
    let long = format!("https://{}.vn", "a".repeat(Origin::MAX_LEN));
    assert_eq!(
        Origin::parse(&long).unwrap_err().problem,
        IdProblem::TooLong {
            max: Origin::MAX_LEN
        }
    );
    let e = Origin::parse("https://dinhdanh.example.vn/").unwrap_err();
    assert_eq!(e.code(), "origin.bad_format");
}

#[test]
fn targets_are_type_colon_id() {
    let t = ActionTarget::parse("registration:REQ123").unwrap();
    assert_eq!((t.kind(), t.id()), ("registration", "REQ123"));
    assert_eq!(
        ActionTarget::new("qr_login", "AbC-_9").unwrap().as_str(),
        "qr_login:AbC-_9"
    );
    for bad in [
        "",
        "registration",
        ":REQ1",
        "registration:",
        "Registration:R",
        "1x:R",
        "a:b:c",
        "a:b c",
        "a b:c",
    ] {
        assert!(ActionTarget::parse(bad).is_err(), "{bad} was accepted");
    }
    assert!(ActionTarget::new("a:b", "c").is_err());
    assert!(ActionTarget::parse(&format!("a:{}", "x".repeat(65))).is_err());
    assert_eq!(
        ActionTarget::parse("x").unwrap_err().code(),
        "action_target.bad_format"
    );
}

#[test]
fn challenges_are_16_to_64_bytes() {
    assert!(Challenge::from_bytes(&[0; 15]).is_err());
    assert!(Challenge::from_bytes(&[0; 16]).is_ok());
    assert!(Challenge::from_bytes(&[0; 64]).is_ok());
    assert!(Challenge::from_bytes(&[0; 65]).is_err());
    let c = Challenge::from_bytes(&[9; 20]).unwrap();
    assert_eq!(Challenge::parse(&c.to_string()).unwrap(), c);
    assert!(matches!(
        Challenge::parse(&crypto::base64url_encode(&[0; 65])),
        Err(CryptoError::TooLong { .. })
    ));
}

#[test]
fn canonical_json_sorts_keys_and_has_no_whitespace() {
    let body = serde_json::json!({"b": [1, {"z": true, "a": null}], "a": "Ánh \"Dương\"", "é": -3});
    let bytes = canonical_json(&body).unwrap();
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        r#"{"a":"Ánh \"Dương\"","b":[1,{"a":null,"z":true}],"é":-3}"#
    );
    // Field order in the Rust struct does not matter, only names and values.
    #[derive(Serialize)]
    struct A {
        x: u8,
        y: u8,
    }
    #[derive(Serialize)]
    struct B {
        y: u8,
        x: u8,
    }
    assert_eq!(
        canonical_body_hash(&A { x: 1, y: 2 }).unwrap(),
        canonical_body_hash(&B { y: 2, x: 1 }).unwrap()
    );
    assert_eq!(canonical_json(&u64::MAX).unwrap(), b"18446744073709551615");
}

#[test]
fn canonical_json_rejects_floats_and_deep_nesting() {
    assert_eq!(
        canonical_json(&1.5f64).unwrap_err().code(),
        "signed_action.body_not_canonical"
    );
    let mut deep = serde_json::json!(1);
    for _ in 0..=MAX_BODY_DEPTH {
        deep = serde_json::json!([deep]);
    }
    assert!(canonical_json(&deep).is_err());
    let mut ok = serde_json::json!(1);
    for _ in 0..MAX_BODY_DEPTH {
        ok = serde_json::json!([ok]);
    }
    assert!(canonical_json(&ok).is_ok());
}

#[test]
fn errors_have_stable_codes_and_both_languages() {
    assert_eq!(
        ActionError::WrongOrigin.code(),
        "signed_action.wrong_origin"
    );
    assert_eq!(
        ActionError::Crypto(CryptoError::BadSignature).code(),
        "signature.invalid"
    );
    assert_eq!(
        ActionError::Expired.message_vi(),
        "Xác nhận đã hết hạn, vui lòng thử lại."
    );
    assert_eq!(
        ActionError::Expired.to_string(),
        ActionError::Expired.message_en()
    );
}

// --- Properties -------------------------------------------------------------------------

/// Reads the version-1 bytes back into an action: if this inverts `to_bytes`, then
/// `to_bytes` is injective.
fn decode(bytes: &[u8]) -> Option<SignedAction> {
    struct R<'a>(&'a [u8]);
    impl<'a> R<'a> {
        fn take(&mut self, n: usize) -> Option<&'a [u8]> {
            if self.0.len() < n {
                return None;
            }
            let (a, b) = self.0.split_at(n);
            self.0 = b;
            Some(a)
        }
        fn int<const N: usize>(&mut self) -> Option<[u8; N]> {
            self.take(N)?.try_into().ok()
        }
        fn field(&mut self) -> Option<&'a [u8]> {
            let n = u64::from_be_bytes(self.int()?);
            self.take(usize::try_from(n).ok()?)
        }
        fn text(&mut self) -> Option<&'a str> {
            std::str::from_utf8(self.field()?).ok()
        }
    }
    let mut r = R(bytes);
    (r.text()? == DOMAIN).then_some(())?;
    let kind = ActionKind::from_tag(u16::from_be_bytes(r.int()?))?;
    let origin = Origin::parse(r.text()?).ok()?;
    let challenge = Challenge::from_bytes(r.field()?).ok()?;
    let account = AccountId::parse(r.text()?).ok()?;
    let acting_for = match r.int::<1>()? {
        [0] => None,
        [1] => Some(OrgEid::parse(r.text()?).ok()?),
        _ => return None,
    };
    let target = ActionTarget::parse(r.text()?).ok()?;
    let body_hash = Digest32::from_bytes(r.field()?.try_into().ok()?);
    let device_key_id = KeyId::parse(&crypto::base64url_encode(r.field()?)).ok()?;
    let confirmation_key_id = KeyId::parse(&crypto::base64url_encode(r.field()?)).ok()?;
    let method = match r.int::<1>()? {
        [1] => ConfirmationMethod::Passcode,
        [2] => ConfirmationMethod::Biometric,
        _ => return None,
    };
    let counter = u64::from_be_bytes(r.int()?);
    let time = i64::from_be_bytes(r.int()?);
    r.0.is_empty().then_some(SignedAction {
        kind,
        origin,
        challenge,
        account,
        acting_for,
        target,
        body_hash,
        device_key_id,
        confirmation_key_id,
        method,
        counter,
        time,
    })
}

fn key_id(seed: u8) -> KeyId {
    KeyId::parse(&crypto::base64url_encode(&[seed; 16])).unwrap()
}

/// Actions drawn from small domains, so that two draws often share fields and differ
/// only in where one field ends and the next begins.
fn any_action() -> impl Strategy<Value = SignedAction> {
    (
        (
            proptest::sample::select(ActionKind::ALL.to_vec()),
            proptest::sample::select(vec![
                "https://a.vn",
                "https://a.vn:8443",
                "https://aa.vn",
                "http://localhost:8080",
            ]),
            proptest::collection::vec(0u8..3, 16..=20),
            "[ab]{1,3}",
            proptest::option::of(1u64..4),
            "[ab]{1,2}:[ab]{1,3}",
        ),
        (0u8..3, 0u8..2, 0u8..2, any::<bool>(), 0u64..3, -1i64..2),
    )
        .prop_map(
            |(
                (kind, origin, challenge, account, org, target),
                (body, dev, conf, bio, counter, time),
            )| {
                SignedAction {
                    kind,
                    origin: Origin::parse(origin).unwrap(),
                    challenge: Challenge::from_bytes(&challenge).unwrap(),
                    account: AccountId::parse(&account).unwrap(),
                    acting_for: org.map(|s| OrgEid::from_serial(s).unwrap()),
                    target: ActionTarget::parse(&target).unwrap(),
                    body_hash: crypto::sha256(&[body]),
                    device_key_id: key_id(dev),
                    confirmation_key_id: key_id(conf),
                    method: if bio {
                        ConfirmationMethod::Biometric
                    } else {
                        ConfirmationMethod::Passcode
                    },
                    counter,
                    time,
                }
            },
        )
}

/// Changes field number `which` of `a` to a value it certainly did not have.
fn mutate(a: &mut SignedAction, which: u8) {
    match which {
        0 => {
            a.kind = if a.kind == ActionKind::AddDelegate {
                ActionKind::RevokeDelegate
            } else {
                ActionKind::AddDelegate
            }
        }
        1 => {
            a.origin = Origin::parse(&format!("{}0", a.origin))
                .unwrap_or_else(|_| Origin::parse("https://z.vn").unwrap())
        }
        2 => {
            let mut c = a.challenge.as_bytes().to_vec();
            c[0] ^= 0x80;
            a.challenge = Challenge::from_bytes(&c).unwrap();
        }
        3 => a.account = AccountId::parse(&format!("{}c", a.account)).unwrap(),
        4 => {
            a.acting_for = match a.acting_for {
                None => Some(OrgEid::from_serial(9).unwrap()),
                Some(_) => None,
            }
        }
        5 => a.target = ActionTarget::parse(&format!("{}c", a.target)).unwrap(),
        6 => a.body_hash = crypto::sha256(a.body_hash.as_bytes()),
        7 => a.device_key_id = key_id(a.device_key_id.as_bytes()[0].wrapping_add(100)),
        8 => a.confirmation_key_id = key_id(a.confirmation_key_id.as_bytes()[0].wrapping_add(100)),
        9 => {
            a.method = match a.method {
                ConfirmationMethod::Passcode => ConfirmationMethod::Biometric,
                ConfirmationMethod::Biometric => ConfirmationMethod::Passcode,
            }
        }
        10 => a.counter = a.counter.wrapping_add(1),
        _ => a.time = a.time.wrapping_add(1),
    }
}

proptest! {
    #[test]
    fn the_encoding_decodes_back_so_it_is_injective(a in any_action()) {
        prop_assert_eq!(decode(&a.to_bytes()), Some(a));
    }

    #[test]
    fn different_actions_never_share_bytes(a in any_action(), b in any_action()) {
        prop_assert_eq!(a == b, a.to_bytes() == b.to_bytes());
    }

    #[test]
    fn changing_any_single_field_changes_the_bytes_and_breaks_the_signature(
        a in any_action(),
        which in 0u8..12,
    ) {
        let key = SigningKey::random(&mut rand_core::OsRng);
        let public = PublicKey::from_verifying_key(key.verifying_key());
        let mut a = a;
        a.confirmation_key_id = public.key_id();
        let envelope = PendingAction::new(a.clone()).sign_with(&key).unwrap();
        let mut changed = envelope.clone();
        mutate(&mut changed.action, which);
        prop_assert_ne!(&changed.action, &a);
        prop_assert_ne!(changed.action.to_bytes(), a.to_bytes());
        let expected = Expectation {
            kind: changed.action.kind,
            origin: changed.action.origin.clone(),
            challenge: changed.action.challenge.clone(),
            account: changed.action.account.clone(),
            acting_for: changed.action.acting_for.clone(),
            target: changed.action.target.clone(),
            body_hash: changed.action.body_hash,
            device_key_id: changed.action.device_key_id,
            method: changed.action.method,
            previous_counter: None,
            now: changed.action.time,
            max_age_secs: 60,
            max_future_secs: 60,
        };
        let result = verify(&changed, &public, &expected);
        if which == 8 {
            prop_assert_eq!(result, Err(ActionError::WrongConfirmationKey));
        } else {
            prop_assert_eq!(result, Err(ActionError::Crypto(CryptoError::BadSignature)));
        }
    }

    #[test]
    fn envelopes_round_trip_through_json(a in any_action()) {
        let key = SigningKey::random(&mut rand_core::OsRng);
        let mut a = a;
        a.confirmation_key_id = PublicKey::from_verifying_key(key.verifying_key()).key_id();
        let envelope = PendingAction::new(a).sign_with(&key).unwrap();
        let json = serde_json::to_string(&envelope).unwrap();
        prop_assert_eq!(serde_json::from_str::<SignedActionEnvelope>(&json).unwrap(), envelope);
    }
}
