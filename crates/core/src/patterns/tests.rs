//! Each pattern against the parser it mirrors: strings generated from the pattern parse (and
//! are already in canonical form), the parsers' canonical output matches the pattern, and
//! examples each parser refuses are refused by the pattern too.

use proptest::prelude::*;
use proptest::string::string_regex;

use super::*;
use crate::api::{OneTimeCode, SessionToken};
use crate::crypto::{Digest32, KeyId, PublicKey, Signature};
use crate::ids::{AccountId, CitizenId, DeviceId, Email, Gender, OldProvince, PhoneNumber};
use crate::qr_login::RendezvousId;
use crate::signed_action::Challenge;

/// The pattern, anchored, as Rust's `regex` reads it.
fn regex(pattern: &str) -> regex::Regex {
    regex::Regex::new(pattern).unwrap()
}

/// Strings the pattern matches (proptest's generator takes no anchors; every pattern here is
/// `^…$` around the whole).
fn generated(pattern: &str) -> impl Strategy<Value = String> + use<> {
    let inner = pattern
        .strip_prefix('^')
        .and_then(|p| p.strip_suffix('$'))
        .expect("an anchored pattern");
    string_regex(inner).unwrap()
}

/// [`EMAIL`] with its unbounded repetitions bounded, so that most strings generated from it are
/// within the lengths the schema states (every string it matches, [`EMAIL`] matches).
fn bounded_email() -> String {
    let bounded = EMAIL
        .replace("]+", "]{1,12}")
        .replace(")*", "){0,3}")
        .replace(")+", "){1,3}");
    assert_ne!(bounded, EMAIL);
    bounded
}

/// `text` matches `pattern` and `parse` accepts it, or neither.
fn agree<T, E>(pattern: &str, text: &str, parse: impl Fn(&str) -> Result<T, E>) {
    assert_eq!(
        regex(pattern).is_match(text),
        parse(text).is_ok(),
        "{pattern} and the parser disagree on {text:?}"
    );
}

proptest! {
    #[test]
    fn generated_citizen_ids_parse_as_written(text in generated(&citizen_id())) {
        prop_assert_eq!(CitizenId::parse(&text).unwrap().as_str().to_owned(), text);
    }

    #[test]
    fn generated_phone_numbers_parse_as_written(text in generated(&phone_number())) {
        prop_assert_eq!(PhoneNumber::parse(&text).unwrap().as_str().to_owned(), text);
    }

    #[test]
    fn generated_emails_within_the_stated_lengths_parse(text in generated(&bounded_email())) {
        let local = text.rsplit_once('@').unwrap().0;
        prop_assume!(text.len() <= EMAIL_MAX_LEN && local.len() <= EMAIL_LOCAL_MAX_LEN);
        let email = Email::parse(&text).unwrap();
        prop_assert!(email.as_str().eq_ignore_ascii_case(&text));
        prop_assert!(regex(EMAIL).is_match(email.as_str()));
    }

    #[test]
    fn generated_codes_tokens_and_ids_parse_as_written(
        code in generated(ONE_TIME_CODE),
        token in generated(&session_token()),
        id in generated(OPAQUE_ID),
    ) {
        prop_assert_eq!(OneTimeCode::parse(&code).unwrap().expose().to_owned(), code);
        prop_assert_eq!(SessionToken::parse(&token).unwrap().expose().to_owned(), token);
        prop_assert_eq!(AccountId::parse(&id).unwrap().as_str().to_owned(), id.clone());
        prop_assert_eq!(DeviceId::parse(&id).unwrap().as_str().to_owned(), id);
    }

    #[test]
    fn generated_base64url_parses_as_written(
        challenge in generated(&base64url(Challenge::MIN_LEN, Challenge::MAX_LEN)),
        rendezvous in generated(&base64url(RendezvousId::MIN_LEN, RendezvousId::MAX_LEN)),
        key_id in generated(&base64url(crate::crypto::KEY_ID_LEN, crate::crypto::KEY_ID_LEN)),
        digest in generated(&base64url(32, 32)),
    ) {
        prop_assert_eq!(Challenge::parse(&challenge).unwrap().to_string(), challenge);
        prop_assert_eq!(RendezvousId::parse(&rendezvous).unwrap().to_string(), rendezvous);
        prop_assert_eq!(KeyId::parse(&key_id).unwrap().to_string(), key_id);
        prop_assert_eq!(Digest32::parse(&digest).unwrap().to_string(), digest);
    }

    #[test]
    fn generated_public_keys_fail_only_off_the_curve(text in generated(PUBLIC_KEY)) {
        // The pattern says the length and the tag; a random x is on the curve about half the
        // time, which no pattern can say.
        match PublicKey::parse(&text) {
            Ok(key) => prop_assert_eq!(key.to_string(), text),
            Err(e) => prop_assert_eq!(e, crate::crypto::CryptoError::NotOnCurve),
        }
    }

    #[test]
    fn generated_signatures_fail_only_as_out_of_range_scalars(
        text in generated(&base64url(crate::crypto::SIGNATURE_LEN, crate::crypto::SIGNATURE_LEN)),
    ) {
        // The pattern says the length; r and s must also be non-zero scalars below the
        // group order, which no pattern can say.
        match Signature::parse(&text) {
            Ok(sig) => prop_assert_eq!(sig.to_string(), text),
            Err(e) => prop_assert!(
                !matches!(
                    e,
                    crate::crypto::CryptoError::NotBase64Url { .. }
                        | crate::crypto::CryptoError::TooLong { .. }
                        | crate::crypto::CryptoError::WrongLength { .. }
                ),
                "{e:?}"
            ),
        }
    }

    #[test]
    fn numbers_the_parsers_make_match_the_patterns(
        province in proptest::sample::select(OldProvince::all()),
        female in any::<bool>(),
        year in 1900u16..=2099,
        serial in 0u32..=999_999,
    ) {
        let gender = if female { Gender::Female } else { Gender::Male };
        let id = CitizenId::from_parts(province, gender, year, serial).unwrap();
        prop_assert!(regex(&citizen_id()).is_match(id.as_str()));
    }
}

#[test]
fn citizen_id_examples_agree() {
    let pattern = citizen_id();
    for text in [
        "001080012345",
        "079301999999",
        "096000000000",
        "001480012345", // century/gender digit 4: born after 2099
        "000080012345", // no province 000
        "003080012345", // 003 was never issued
        "00108001234",  // 11 digits
        "0010800123456",
        "00108001234a",
        "",
    ] {
        agree(&pattern, text, CitizenId::parse);
    }
}

#[test]
fn phone_examples_agree() {
    let pattern = phone_number();
    for text in [
        "0912345678",
        "0321234567",
        "0212345678", // a landline prefix
        "0951234567", // 095 is not a mobile prefix
        "091234567",
        "09123456789",
    ] {
        agree(&pattern, text, PhoneNumber::parse);
    }
    // What the parser makes of the international form is the pattern's form.
    let parsed = PhoneNumber::parse("+84 912 345 678").unwrap();
    assert!(regex(&pattern).is_match(parsed.as_str()));
}

#[test]
fn email_examples_agree() {
    for text in [
        "an.nguyen@example.vn",
        "a+b@mail.example.com",
        "an@example",      // no dot in the domain
        "an@example.v",    // one-letter top-level label
        "an@example.c0m",  // digits in the top-level label
        ".an@example.vn",  // leading dot
        "a..n@example.vn", // two dots
        "an@-example.vn",  // label starts with a dash
        "an@exam_ple.vn",
        "an example@example.vn",
        "anexample.vn",
    ] {
        agree(EMAIL, text, Email::parse);
    }
}

#[test]
fn code_token_and_id_examples_agree() {
    for text in ["123456", "12345", "1234567", "12345a", ""] {
        agree(ONE_TIME_CODE, text, OneTimeCode::parse);
    }
    let token = SessionToken::from_random(&[7; 32]);
    assert!(regex(&session_token()).is_match(token.expose()));
    for text in [
        "acc_9fQ-x",
        "a/b",
        "",
        "no spaces",
        &"a".repeat(64),
        &"a".repeat(65),
    ] {
        agree(OPAQUE_ID, text, AccountId::parse);
    }
}

#[test]
fn base64url_examples_agree() {
    let exactly_32 = base64url(32, 32);
    let digest = crate::crypto::sha256(b"x").to_string();
    for text in [
        digest.as_str(),
        &digest[..42],                  // 31.5 bytes
        &format!("{}B", &digest[..42]), // unused bits set
        &format!("{digest}A"),
        "",
    ] {
        agree(&exactly_32, text, Digest32::parse);
    }
    let challenges = base64url(Challenge::MIN_LEN, Challenge::MAX_LEN);
    for n in 0..=70 {
        let text = crate::crypto::base64url_encode(&vec![0xA5; n]);
        agree(&challenges, &text, Challenge::parse);
    }
    let key = crate::crypto::base64url_encode(&[3; 33]);
    assert!(regex(PUBLIC_KEY).is_match(&key));
    let uncompressed_tag = crate::crypto::base64url_encode(&[4; 33]);
    assert!(!regex(PUBLIC_KEY).is_match(&uncompressed_tag));
    assert!(PublicKey::parse(&uncompressed_tag).is_err());
}
