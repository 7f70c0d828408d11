//! Contact identifiers: Vietnamese mobile phone numbers and e-mail addresses, where the
//! system sends one-time codes and results.

use super::{MAX_INPUT_LEN, string_id};
use crate::error::{IdError, IdKind, IdProblem};

/// Mobile prefixes in use after the 2018 move from 11 to 10 digits (Ministry of Information and
/// Communications numbering plan): 032–039, 052/056/058/059, 070/076–079, 081–089,
/// 090–094, 096–099.
pub(crate) const MOBILE_PREFIXES: &[&str] = &[
    "032", "033", "034", "035", "036", "037", "038", "039", "052", "056", "058", "059", "070",
    "076", "077", "078", "079", "081", "082", "083", "084", "085", "086", "087", "088", "089",
    "090", "091", "092", "093", "094", "096", "097", "098", "099",
];

/// A Vietnamese mobile phone number, canonically ten digits starting with `0`.
///
/// Parsing accepts the international forms `+84…`, `84…` and `0084…`, and spaces, dots, dashes
/// and parentheses between digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses and normalises a mobile number to `0XXXXXXXXX`.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let err = |p| IdError::new(IdKind::PhoneNumber, p);
        if input.len() > MAX_INPUT_LEN {
            return Err(err(IdProblem::TooLong { max: MAX_INPUT_LEN }));
        }
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(err(IdProblem::Empty));
        }
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '.' | '-' | '(' | ')' => {}
                _ => return Err(err(IdProblem::NotDigits)),
            }
        }
        let national = if plus {
            match digits.strip_prefix("84") {
                Some(n) => format!("0{n}"),
                None => return Err(err(IdProblem::UnknownMobilePrefix)),
            }
        } else if let Some(n) = digits.strip_prefix("0084") {
            format!("0{n}")
        } else if digits.len() == 11 && digits.starts_with("84") {
            format!("0{}", digits.get(2..).unwrap_or_default())
        } else {
            digits
        };
        if national.len() != 10 {
            return Err(err(IdProblem::WrongLength {
                expected: "10",
                found: national.len(),
            }));
        }
        if !MOBILE_PREFIXES.iter().any(|p| national.starts_with(p)) {
            return Err(err(IdProblem::UnknownMobilePrefix));
        }
        Ok(PhoneNumber(national))
    }

    /// The international E.164 form, `+84XXXXXXXXX`, for SMS gateways.
    pub fn e164(&self) -> String {
        format!("+84{}", self.0.get(1..).unwrap_or_default())
    }

    /// A masked form for display and logs: `09*****678`.
    pub fn masked(&self) -> String {
        let head = self.0.get(..2).unwrap_or_default();
        let tail = self.0.get(7..).unwrap_or_default();
        format!("{head}*****{tail}")
    }
}
string_id!(
    PhoneNumber,
    "A Vietnamese mobile number in its 10-digit national form (a mobile prefix, then 7 \
     digits). `+84`/`0084` forms and separators are accepted on the way in.",
    |b| b.pattern(Some(crate::patterns::phone_number()))
);

const MAX_EMAIL_LEN: usize = 254;
const MAX_LOCAL_LEN: usize = 64;

/// An e-mail address: the practical subset of RFC 5321 that mail systems deliver to.
///
/// The local part keeps its case (RFC 5321 leaves it to the receiving host); the domain is
/// lower-cased. Internationalised domains must be given in their ASCII (punycode) form: one
/// spelling per address keeps "is this e-mail already used" answerable.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    /// Parses an e-mail address.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let err = |p| IdError::new(IdKind::Email, p);
        let bad = |vi, en| {
            err(IdProblem::BadFormat {
                detail_vi: vi,
                detail_en: en,
            })
        };
        let s = input.trim();
        if s.is_empty() {
            return Err(err(IdProblem::Empty));
        }
        if s.len() > MAX_EMAIL_LEN {
            return Err(err(IdProblem::TooLong { max: MAX_EMAIL_LEN }));
        }
        if !s.is_ascii() || s.chars().any(|c| c.is_ascii_control() || c == ' ') {
            return Err(err(IdProblem::ForbiddenCharacter));
        }
        let (local, domain) = match s.rsplit_once('@') {
            Some(parts) => parts,
            None => return Err(bad("thiếu ký tự @", "missing @")),
        };
        if local.is_empty() || local.len() > MAX_LOCAL_LEN {
            return Err(bad(
                "phần trước @ không hợp lệ",
                "the part before @ is invalid",
            ));
        }
        let local_ok = local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b))
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        if !local_ok {
            return Err(bad(
                "phần trước @ không hợp lệ",
                "the part before @ is invalid",
            ));
        }
        let domain = domain.to_ascii_lowercase();
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        let tld_ok = labels
            .last()
            .is_some_and(|t| t.len() >= 2 && t.bytes().all(|b| b.is_ascii_alphabetic()));
        if labels.len() < 2 || !labels.iter().all(label_ok) || !tld_ok {
            return Err(bad("tên miền không hợp lệ", "the domain is invalid"));
        }
        Ok(Email(format!("{local}@{domain}")))
    }

    /// A masked form for display and logs: `n***@example.vn`.
    pub fn masked(&self) -> String {
        match self.0.split_once('@') {
            Some((local, domain)) => {
                let first: String = local.chars().take(1).collect();
                format!("{first}***@{domain}")
            }
            None => "***".into(),
        }
    }
}
string_id!(
    Email,
    "An e-mail address: at most 254 characters, at most 64 before the `@`; the domain is \
     written in lower case.",
    |b| b
        .pattern(Some(crate::patterns::EMAIL))
        .max_length(Some(crate::patterns::EMAIL_MAX_LEN))
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mobile_numbers_are_normalised_to_ten_digits() {
        for input in [
            "0912345678",
            "+84912345678",
            "84912345678",
            "0084 912 345 678",
            "091.234.5678",
            "(091) 234-5678",
        ] {
            assert_eq!(
                PhoneNumber::parse(input).unwrap().as_str(),
                "0912345678",
                "{input}"
            );
        }
        let p = PhoneNumber::parse("0987654321").unwrap();
        assert_eq!(p.e164(), "+84987654321");
        assert_eq!(p.masked(), "09*****321");
    }

    #[test]
    fn every_listed_prefix_is_accepted_and_others_are_not() {
        for prefix in MOBILE_PREFIXES {
            assert!(
                PhoneNumber::parse(&format!("{prefix}1234567")).is_ok(),
                "{prefix}"
            );
        }
        for prefix in ["095", "080", "071", "031", "024", "028", "050", "000"] {
            let e = PhoneNumber::parse(&format!("{prefix}1234567")).unwrap_err();
            assert_eq!(e.problem, IdProblem::UnknownMobilePrefix, "{prefix}");
        }
    }

    #[test]
    fn bad_phone_numbers_say_what_is_wrong() {
        let problem = |s: &str| PhoneNumber::parse(s).unwrap_err().problem;
        assert_eq!(problem(""), IdProblem::Empty);
        assert_eq!(
            problem("091234567"),
            IdProblem::WrongLength {
                expected: "10",
                found: 9
            }
        );
        assert_eq!(
            problem("09123456789"),
            IdProblem::WrongLength {
                expected: "10",
                found: 11
            }
        );
        assert_eq!(problem("09123x5678"), IdProblem::NotDigits);
        assert_eq!(problem("+1 212 555 0100"), IdProblem::UnknownMobilePrefix);
        // The old 11-digit numbers (0168…) were retired in 2018.
        assert_eq!(
            problem("01681234567"),
            IdProblem::WrongLength {
                expected: "10",
                found: 11
            }
        );
    }

    #[test]
    fn email_addresses_are_checked_and_domains_lower_cased() {
        let e = Email::parse("  Nguyen.Van-A+vneid@Example.GOV.vn ").unwrap();
        assert_eq!(e.as_str(), "Nguyen.Van-A+vneid@example.gov.vn");
        assert_eq!(e.masked(), "N***@example.gov.vn");
        for bad in [
            "",
            "a",
            "a@",
            "@b.vn",
            "a@b",
            "a@b.c",
            "a..b@c.vn",
            ".a@c.vn",
            "a@-b.vn",
            "a b@c.vn",
            "nguyễn@c.vn",
            "a@c..vn",
            "a@c.v1",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(matches!(
            Email::parse(&format!("{}@x.vn", "a".repeat(300)))
                .unwrap_err()
                .problem,
            IdProblem::TooLong { .. }
        ));
    }

    proptest! {
        #[test]
        fn phone_numbers_round_trip(prefix in proptest::sample::select(MOBILE_PREFIXES), rest in 0u32..10_000_000) {
            let p = PhoneNumber::parse(&format!("{prefix}{rest:07}")).unwrap();
            prop_assert_eq!(PhoneNumber::parse(&p.e164()).unwrap(), p.clone());
            let json = serde_json::to_string(&p).unwrap();
            prop_assert_eq!(serde_json::from_str::<PhoneNumber>(&json).unwrap(), p);
        }

        #[test]
        fn contact_parsers_never_panic(s in ".{0,80}") {
            let _ = PhoneNumber::parse(&s);
            let _ = Email::parse(&s);
        }
    }
}
