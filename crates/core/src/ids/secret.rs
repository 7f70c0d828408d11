//! The two secrets a person types: the account password and the 6-digit confirmation passcode.
//!
//! Both are types without a printing `Debug` and that wipe their memory on drop. A [`Password`]
//! travels to the server (over TLS, to be hashed with argon2id there), so it serialises; a
//! [`Passcode`] never leaves the device — it has no serde at all, so no code path can send it.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use zeroize::Zeroizing;

use crate::error::{IdError, IdKind, IdProblem};

const PASSWORD_MIN: usize = 8;
const PASSWORD_MAX: usize = 20;

/// An account password that meets the national e-ID app's policy: 8–20 characters with at
/// least one upper-case letter, one lower-case letter, one digit and one symbol; no spaces or
/// control characters. The UI checks it while the person types; the server checks it again
/// when it deserialises a request, with this same code.
pub struct Password(Zeroizing<String>);

impl Password {
    /// Checks a new password against the policy.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let err = |p| IdError::new(IdKind::Password, p);
        if input.is_empty() {
            return Err(err(IdProblem::Empty));
        }
        // Count characters, not bytes: "Mật khẩu" letters with diacritics are one character each.
        let len = input.chars().count();
        if len < PASSWORD_MIN {
            return Err(err(IdProblem::TooShort { min: PASSWORD_MIN }));
        }
        if len > PASSWORD_MAX {
            return Err(err(IdProblem::TooLong { max: PASSWORD_MAX }));
        }
        if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(err(IdProblem::ForbiddenCharacter));
        }
        if !input.chars().any(char::is_uppercase) {
            return Err(err(IdProblem::MissingUpperCase));
        }
        if !input.chars().any(char::is_lowercase) {
            return Err(err(IdProblem::MissingLowerCase));
        }
        if !input.chars().any(|c| c.is_ascii_digit()) {
            return Err(err(IdProblem::MissingDigit));
        }
        if !input.chars().any(|c| !c.is_alphanumeric()) {
            return Err(err(IdProblem::MissingSymbol));
        }
        Ok(Password(Zeroizing::new(input.to_owned())))
    }

    /// The password's text, to hash (server) or to send (client). Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

crate::openapi::string_schema!(
    Password,
    "A new password: 8 to 20 characters, no whitespace or control characters, with an upper-case \
     letter, a lower-case letter, a digit and a symbol (the password policy).",
    |b| b
        .min_length(Some(PASSWORD_MIN))
        .max_length(Some(PASSWORD_MAX))
);

impl serde::Serialize for Password {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Password {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(d)?);
        Password::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A 6-digit confirmation passcode, checked on the device only.
///
/// Rejected: anything but exactly six ASCII digits; one digit repeated (`000000`); straight
/// runs up or down (`123456`, `654321`); a repeated pair or triple (`121212`, `123123`); the
/// well-known keypad patterns in [`KEYPAD_PATTERNS`]; and the person's date of birth written
/// as `DDMMYY`, `YYMMDD` or `MMDDYY`. The passcode is turned into the confirmation key on the
/// device and then dropped; it has no serde, so it can never be sent.
pub struct Passcode(Zeroizing<[u8; 6]>);

/// Keypad shapes (columns, diagonals, corners) people pick when asked for six digits.
pub const KEYPAD_PATTERNS: &[&str] = &[
    "147258", "258369", "369258", "147852", "159357", "159753", "357159", "789456", "456123",
    "741852", "852963", "963852", "123654", "147369", "112233", "111222", "000111", "102030",
];

impl Passcode {
    /// Checks a new passcode against the policy. `date_of_birth` is the person's, when known.
    pub fn parse(input: &str, date_of_birth: Option<NaiveDate>) -> Result<Self, IdError> {
        let err = |p| IdError::new(IdKind::Passcode, p);
        if input.is_empty() {
            return Err(err(IdProblem::Empty));
        }
        if !input.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(IdProblem::NotDigits));
        }
        let digits: [u8; 6] = match input.as_bytes().try_into() {
            Ok(d) => d,
            Err(_) => {
                return Err(err(IdProblem::WrongLength {
                    expected: "6",
                    found: input.len(),
                }));
            }
        };
        if is_trivial(&digits) || KEYPAD_PATTERNS.contains(&input) {
            return Err(err(IdProblem::TrivialPasscode));
        }
        if let Some(dob) = date_of_birth {
            let (d, m, y) = (dob.day(), dob.month(), dob.year().rem_euclid(100));
            let forms = [
                format!("{d:02}{m:02}{y:02}"),
                format!("{y:02}{m:02}{d:02}"),
                format!("{m:02}{d:02}{y:02}"),
            ];
            if forms.iter().any(|f| f == input) {
                return Err(err(IdProblem::PasscodeIsBirthDate));
            }
        }
        Ok(Passcode(Zeroizing::new(digits)))
    }

    /// The six ASCII digits, for the key-derivation function. Do not log them.
    pub fn expose(&self) -> &[u8; 6] {
        &self.0
    }
}

impl fmt::Debug for Passcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passcode(***)")
    }
}

/// One digit repeated, a straight run up or down, or a repeated pair or triple.
fn is_trivial(d: &[u8; 6]) -> bool {
    let steps: Vec<i16> = d
        .iter()
        .zip(d.iter().skip(1))
        .map(|(a, b)| i16::from(*b) - i16::from(*a))
        .collect();
    let run = |step: i16| steps.iter().all(|s| *s == step);
    let period = |p: usize| d.iter().zip(d.iter().skip(p)).all(|(a, b)| a == b);
    run(0) || run(1) || run(-1) || period(2) || period(3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn passwords_follow_the_national_app_policy() {
        assert!(Password::parse("Matkhau@2024").is_ok());
        assert!(Password::parse("Mậtkhẩu#9").is_ok());
        let problem = |s: &str| Password::parse(s).unwrap_err().problem;
        assert_eq!(problem(""), IdProblem::Empty);
        assert_eq!(problem("Ab1!"), IdProblem::TooShort { min: 8 });
        assert_eq!(
            problem("Ab1!Ab1!Ab1!Ab1!Ab1!x"),
            IdProblem::TooLong { max: 20 }
        );
        assert_eq!(problem("matkhau@2024"), IdProblem::MissingUpperCase);
        assert_eq!(problem("MATKHAU@2024"), IdProblem::MissingLowerCase);
        assert_eq!(problem("Matkhau@abcd"), IdProblem::MissingDigit);
        assert_eq!(problem("Matkhau20245"), IdProblem::MissingSymbol);
        assert_eq!(problem("Mat khau@2024"), IdProblem::ForbiddenCharacter);
        // Twenty characters, counted as characters even with diacritics (multi-byte).
        assert!(Password::parse("Mậtkhẩuđượcphép@2024").is_ok());
    }

    #[test]
    fn secrets_never_print_and_passwords_are_rechecked_on_deserialise() {
        let p = Password::parse("Matkhau@2024").unwrap();
        assert_eq!(format!("{p:?}"), "Password(***)");
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"Matkhau@2024\"");
        assert!(serde_json::from_str::<Password>("\"weak\"").is_err());
        let c = Passcode::parse("380517", None).unwrap();
        assert_eq!(format!("{c:?}"), "Passcode(***)");
        assert_eq!(c.expose(), b"380517");
    }

    #[test]
    fn trivial_passcodes_are_rejected() {
        for bad in [
            "000000", "999999", "123456", "234567", "654321", "987654", "121212", "909090",
            "123123", "520520", "147258", "159753", "112233",
        ] {
            assert_eq!(
                Passcode::parse(bad, None).unwrap_err().problem,
                IdProblem::TrivialPasscode,
                "{bad}"
            );
        }
        for fine in ["380517", "902614", "135792", "246801"] {
            assert!(Passcode::parse(fine, None).is_ok(), "{fine}");
        }
        let problem = |s: &str| Passcode::parse(s, None).unwrap_err().problem;
        assert_eq!(problem(""), IdProblem::Empty);
        assert_eq!(
            problem("12345"),
            IdProblem::WrongLength {
                expected: "6",
                found: 5
            }
        );
        assert_eq!(
            problem("1234567"),
            IdProblem::WrongLength {
                expected: "6",
                found: 7
            }
        );
        assert_eq!(problem("12a456"), IdProblem::NotDigits);
        assert_eq!(problem("１２３４５６"), IdProblem::NotDigits);
    }

    #[test]
    fn a_passcode_equal_to_the_date_of_birth_is_rejected() {
        let dob = NaiveDate::from_ymd_opt(1987, 3, 24);
        for form in ["240387", "870324", "032487"] {
            assert_eq!(
                Passcode::parse(form, dob).unwrap_err().problem,
                IdProblem::PasscodeIsBirthDate,
                "{form}"
            );
            assert!(
                Passcode::parse(form, None).is_ok(),
                "{form} without a date of birth"
            );
        }
    }

    proptest! {
        #[test]
        fn passcode_policy_never_panics(s in ".{0,12}", y in 1900i32..2100, m in 1u32..13, d in 1u32..29) {
            let _ = Passcode::parse(&s, NaiveDate::from_ymd_opt(y, m, d));
            let _ = Password::parse(&s);
        }

        #[test]
        fn accepted_passcodes_are_six_digits_and_not_runs(n in 0u32..1_000_000) {
            let s = format!("{n:06}");
            if let Ok(p) = Passcode::parse(&s, None) {
                prop_assert_eq!(p.expose(), s.as_bytes());
                prop_assert!(!is_trivial(p.expose()));
            }
        }
    }
}
