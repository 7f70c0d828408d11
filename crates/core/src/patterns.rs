//! The canonical text forms the parsers accept, as regular expressions for the API
//! description (JSON Schema `pattern`s in `GET /v1/openapi.json`).
//!
//! Each function mirrors one parser (named in its documentation): every string a pattern
//! matches (within the lengths its schema states) is accepted by that parser, and every value
//! the parser produces is written in a form the pattern matches. The parsers are more lenient
//! on the way in (separators inside numbers, `+84` phone numbers, surrounding whitespace);
//! the patterns describe the one form the server writes and a client should send. The tests
//! below generate strings from each pattern and parse them, and check examples both ways.
//!
//! The dialect is the common subset of ECMA-262 (JSON Schema), Python's `re` (schemathesis)
//! and Rust's `regex`: anchors, classes, groups, alternation and counted repetition, nothing
//! else.

use crate::api::SESSION_TOKEN_LEN;
use crate::ids::OldProvince;

/// One base64url character.
const B64: &str = "[A-Za-z0-9_-]";

/// The last character of an unpadded base64url text whose last group holds one byte: its low
/// four bits are unused and must be zero.
const B64_LAST_OF_ONE: &str = "[AQgw]";

/// The last character of an unpadded base64url text whose last group holds two bytes: its low
/// two bits are unused and must be zero.
const B64_LAST_OF_TWO: &str = "[AEIMQUYcgkosw048]";

/// A personal identification number as [`crate::ids::CitizenId::parse`] stores it: one of the
/// 63 issued province codes, a century/gender digit 0–3, then 8 digits.
pub fn citizen_id() -> String {
    let codes: Vec<&str> = OldProvince::all().iter().map(|p| p.code_str()).collect();
    format!("^({})[0-3][0-9]{{8}}$", codes.join("|"))
}

/// A mobile number as [`crate::ids::PhoneNumber::parse`] stores it: 10 digits of the national
/// form, starting with one of the mobile prefixes.
pub fn phone_number() -> String {
    format!("^({})[0-9]{{7}}$", crate::ids::MOBILE_PREFIXES.join("|"))
}

/// An e-mail address as [`crate::ids::Email::parse`] accepts it: a dot-atom local part of the
/// characters RFC 5322 allows, `@`, dot-separated labels of letters, digits and inner dashes
/// (at most 63 each), a top-level label of two or more letters. The lengths a pattern cannot
/// say: at most [`EMAIL_MAX_LEN`] in all, at most [`EMAIL_LOCAL_MAX_LEN`] before the `@`.
pub const EMAIL: &str = concat!(
    "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*",
    "@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}$"
);

/// Most characters of an e-mail address.
pub const EMAIL_MAX_LEN: usize = 254;

/// Most characters before the `@` of an e-mail address.
pub const EMAIL_LOCAL_MAX_LEN: usize = 64;

/// A one-time code as [`crate::api::OneTimeCode::parse`] keeps it: six digits.
pub const ONE_TIME_CODE: &str = "^[0-9]{6}$";

/// A session token as [`crate::api::SessionToken::parse`] accepts it: 43 base64url characters.
pub fn session_token() -> String {
    format!("^{B64}{{{SESSION_TOKEN_LEN}}}$")
}

/// An opaque identifier (account, device, session, …) as the `ids` module's `parse_opaque`
/// accepts it: 1 to 64 letters, digits, `_` or `-`.
pub const OPAQUE_ID: &str = "^[A-Za-z0-9_-]{1,64}$";

/// A compressed P-256 public key as [`crate::crypto::PublicKey::parse`] reads it: 33 bytes in
/// base64url (44 characters) whose first byte is the tag 0x02 or 0x03 (so the text starts
/// with `A` and a character of `g`–`_`). Whether the point is on the curve no pattern can say.
pub const PUBLIC_KEY: &str = "^A[g-z0-9_-][A-Za-z0-9_-]{42}$";

/// Strict unpadded base64url of `min..=max` bytes, as
/// [`crate::crypto::base64url_decode`] reads it (the unused bits of the last character zero).
pub fn base64url(min: usize, max: usize) -> String {
    let mut branches = Vec::new();
    for (rest, tail) in [
        (0, String::new()),
        (1, format!("{B64}{B64_LAST_OF_ONE}")),
        (2, format!("{B64}{B64}{B64_LAST_OF_TWO}")),
    ] {
        // Whole groups of three bytes (four characters), then `rest` bytes.
        let lowest = min.saturating_sub(rest).div_ceil(3);
        let highest = match max.checked_sub(rest) {
            Some(n) => n / 3,
            None => continue,
        };
        if lowest > highest || (rest == 0 && highest == 0) {
            continue;
        }
        // At least one byte: an empty text is never base64url of anything here.
        let lowest = if rest == 0 { lowest.max(1) } else { lowest };
        let groups = if lowest == highest {
            format!("({B64}{{4}}){{{lowest}}}")
        } else {
            format!("({B64}{{4}}){{{lowest},{highest}}}")
        };
        branches.push(format!("{groups}{tail}"));
    }
    format!("^({})$", branches.join("|"))
}

#[cfg(test)]
mod tests;
