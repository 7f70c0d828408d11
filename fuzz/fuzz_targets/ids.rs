//! Identifiers and the other strict text forms every request is full of: citizen ids, tax
//! codes, organisation e-ID numbers, agency codes, provinces, phone numbers, e-mail addresses,
//! opaque ids, passwords, passcodes, one-time codes and session tokens, keys, key ids,
//! digests, signatures, challenges, origins and signed-action targets.
//!
//! Every parser gets the same input. Properties: no panic; a parsed value's text form parses
//! to the same value (one canonical spelling, reached in one step); its serde form (a JSON
//! string) deserialises to the same value; a citizen id parses as of any year after its birth
//! year, as it does without a year.
#![no_main]

use std::fmt::{Debug, Display};

use dinhdanh_core::api::{OneTimeCode, SessionToken};
use dinhdanh_core::crypto::{Digest32, KeyId, PublicKey, Signature};
use dinhdanh_core::ids::{
    AccountId, AgencyCode, AttachmentId, CitizenId, CooperativeCode, DelegationId, DeviceId, Email,
    EnterpriseCode, NewProvince, NotificationId, OldProvince, OrgEid, Passcode, Password,
    PhoneNumber, RegistrationId, SessionId, TaxCode,
};
use dinhdanh_core::signed_action::{ActionTarget, Challenge, Origin};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// `parse(text)`; when it succeeds, the canonical text and the serde string both come back to
/// the same value.
fn round_trip<T, E>(text: &str, parse: fn(&str) -> Result<T, E>)
where
    T: Display + Debug + PartialEq + Serialize + DeserializeOwned,
    E: Debug,
{
    let Ok(value) = parse(text) else {
        return;
    };
    let canonical = value.to_string();
    match parse(&canonical) {
        Ok(again) => assert_eq!(again, value, "{canonical:?} parses to another value"),
        Err(e) => panic!("the canonical form {canonical:?} is refused: {e:?}"),
    }
    let json = serde_json::to_string(&value).expect("an identifier serialises");
    assert_eq!(
        json,
        serde_json::to_string(&canonical).expect("a string serialises")
    );
    let back: T = serde_json::from_str(&json).expect("its serde form deserialises");
    assert_eq!(back, value);
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    round_trip(text, CitizenId::parse);
    round_trip(text, TaxCode::parse);
    round_trip(text, EnterpriseCode::parse);
    round_trip(text, CooperativeCode::parse);
    round_trip(text, AgencyCode::parse);
    round_trip(text, OrgEid::parse);
    round_trip(text, PhoneNumber::parse);
    round_trip(text, Email::parse);
    round_trip(text, AccountId::parse);
    round_trip(text, AttachmentId::parse);
    round_trip(text, DelegationId::parse);
    round_trip(text, DeviceId::parse);
    round_trip(text, NotificationId::parse);
    round_trip(text, RegistrationId::parse);
    round_trip(text, SessionId::parse);
    round_trip(text, PublicKey::parse);
    round_trip(text, KeyId::parse);
    round_trip(text, Digest32::parse);
    round_trip(text, Signature::parse);
    round_trip(text, Challenge::parse);
    round_trip(text, Origin::parse);
    round_trip(text, ActionTarget::parse);

    if let Ok(id) = CitizenId::parse(text) {
        let born = i32::from(id.birth_year());
        for year in [born, born + 1, born + 150] {
            assert_eq!(CitizenId::parse_as_of(text, year).as_ref(), Ok(&id));
        }
        assert!(CitizenId::parse_as_of(text, born - 1).is_err());
        assert_eq!(
            id.masked().get(3..9),
            Some("******"),
            "the masked form hides the middle"
        );
    }
    if let Ok(target) = ActionTarget::parse(text) {
        let rebuilt = ActionTarget::new(target.kind(), target.id()).expect("its parts rebuild it");
        assert_eq!(rebuilt, target);
    }
    if let Ok(province) = OldProvince::parse(text) {
        assert_eq!(OldProvince::parse(province.code_str()), Ok(province));
        assert_eq!(OldProvince::from_code(province.code()), Some(province));
    }
    if let Ok(province) = NewProvince::parse(text) {
        assert_eq!(NewProvince::parse(province.key()), Ok(province));
        assert_eq!(NewProvince::from_code(province.code()), Some(province));
    }
    if let Ok(password) = Password::parse(text) {
        assert!(Password::parse(password.expose()).is_ok());
    }
    let _ = Passcode::parse(text, None);
    if let Ok(token) = SessionToken::parse(text) {
        assert!(SessionToken::parse(token.expose()).is_ok_and(|t| t.hash() == token.hash()));
    }
    if let Ok(code) = OneTimeCode::parse(text) {
        assert!(OneTimeCode::parse(code.expose()).is_ok_and(|c| c == code));
    }
});
