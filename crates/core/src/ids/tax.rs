//! Tax codes (mã số thuế) and the registry codes that are tax codes: enterprise codes
//! (mã số doanh nghiệp) and cooperative codes (mã số hợp tác xã).
//!
//! Structure (Circular 105/2020/TT-BTC, Art. 5): ten digits N1..N10, where N10 is a check digit
//! over N1..N9 with weights W = [31, 29, 23, 19, 17, 13, 7, 5, 3]:
//! `N10 = 10 − (Σ Ni·Wi mod 11)`. When the weighted sum is 0 mod 11 the formula gives 10, which
//! is not a digit: such a body has no valid check digit and no code with it is ever issued.
//! Dependent units (branches, representative offices) get the 13-digit form
//! `NNNNNNNNNN-NNN`: the parent's ten digits and a branch number 001–999.

use super::{MAX_INPUT_LEN, string_id};
use crate::error::{IdError, IdKind, IdProblem};

const WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];

/// The check digit for a 9-digit body, or `None` when the body has no valid check digit.
fn check_digit(body: &[u8; 9]) -> Option<u8> {
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    match sum % 11 {
        0 => None,
        r => u8::try_from(10 - r).ok(),
    }
}

/// Checks ten ASCII digits: length, digits, check digit.
fn check_ten(digits: &str, kind: IdKind) -> Result<(), IdError> {
    let err = |p| IdError::new(kind, p);
    let bytes = digits.as_bytes();
    if !bytes.iter().all(u8::is_ascii_digit) {
        return Err(err(IdProblem::NotDigits));
    }
    if bytes.len() != 10 {
        return Err(err(IdProblem::WrongLength {
            expected: "10",
            found: bytes.len(),
        }));
    }
    let mut body = [0u8; 9];
    for (slot, b) in body.iter_mut().zip(bytes) {
        *slot = b - b'0';
    }
    let given = bytes.get(9).map(|b| b - b'0');
    match check_digit(&body) {
        None => Err(err(IdProblem::NoValidCheckDigit)),
        Some(c) if Some(c) == given => Ok(()),
        Some(_) => Err(err(IdProblem::BadCheckDigit)),
    }
}

/// A tax code: ten digits with a valid check digit, or the 13-digit branch form.
///
/// Canonical text: `0300588569` or `0300588569-001`. Parsing accepts spaces anywhere and the
/// branch part with or without the dash.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaxCode(String);

impl TaxCode {
    /// Parses a tax code, in the 10-digit or the 13-digit branch form.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let kind = IdKind::TaxCode;
        let err = |p| IdError::new(kind, p);
        if input.len() > MAX_INPUT_LEN {
            return Err(err(IdProblem::TooLong { max: MAX_INPUT_LEN }));
        }
        let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.is_empty() {
            return Err(err(IdProblem::Empty));
        }
        let (head, branch) = match compact.split_once('-') {
            Some((head, branch)) => (head.to_owned(), Some(branch.to_owned())),
            // 13 characters without a dash: the branch form written solid. `get` instead of
            // slicing, so a multi-byte character at the boundary is an error, not a panic.
            None if compact.len() == 13 => match (compact.get(..10), compact.get(10..)) {
                (Some(head), Some(branch)) => (head.to_owned(), Some(branch.to_owned())),
                _ => return Err(err(IdProblem::NotDigits)),
            },
            None => (compact, None),
        };
        if head.contains('-') || branch.as_deref().is_some_and(|b| b.contains('-')) {
            return Err(err(IdProblem::NotDigits));
        }
        check_ten(&head, kind)?;
        match branch {
            None => Ok(TaxCode(head)),
            Some(branch) => {
                if !branch.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err(IdProblem::NotDigits));
                }
                if branch.len() != 3 {
                    return Err(err(IdProblem::WrongLength {
                        expected: "10 hoặc 13 / 10 or 13",
                        found: 10 + branch.len(),
                    }));
                }
                if branch == "000" {
                    return Err(err(IdProblem::BadBranch));
                }
                Ok(TaxCode(format!("{head}-{branch}")))
            }
        }
    }

    /// The ten digits of the head office (the whole code for a non-branch).
    pub fn head_office_digits(&self) -> &str {
        self.0.get(..10).unwrap_or(&self.0)
    }

    /// The branch number (1–999) of a 13-digit code, `None` for a 10-digit one.
    pub fn branch(&self) -> Option<u16> {
        self.0.get(11..).and_then(|b| b.parse().ok())
    }

    /// Whether this is a dependent unit's 13-digit code.
    pub fn is_branch(&self) -> bool {
        self.branch().is_some()
    }

    /// The 10-digit code of the head office this code belongs to (itself when not a branch).
    pub fn head_office(&self) -> TaxCode {
        TaxCode(self.head_office_digits().to_owned())
    }

    /// Completes a 9-digit body with its check digit, for seeds and tests.
    /// Returns `None` when the body has no valid check digit.
    pub fn from_body(body: u32) -> Option<TaxCode> {
        if body >= 1_000_000_000 {
            return None;
        }
        let text = format!("{body:09}");
        let mut digits = [0u8; 9];
        for (slot, b) in digits.iter_mut().zip(text.bytes()) {
            *slot = b - b'0';
        }
        check_digit(&digits).map(|c| TaxCode(format!("{text}{c}")))
    }
}
string_id!(TaxCode);

/// Parses a 10-digit tax code for a registry code type (no branch form allowed).
fn parse_ten(input: &str, kind: IdKind) -> Result<String, IdError> {
    let tax = TaxCode::parse(input).map_err(|e| IdError::new(kind, e.problem))?;
    if tax.is_branch() {
        return Err(IdError::new(
            kind,
            IdProblem::WrongLength {
                expected: "10",
                found: 13,
            },
        ));
    }
    Ok(tax.0)
}

/// Enterprise code (mã số doanh nghiệp): under the Law on Enterprises 2020 (Art. 29) the
/// enterprise code *is* its 10-digit tax code, issued by the business registration system.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnterpriseCode(String);

impl EnterpriseCode {
    /// Parses a 10-digit enterprise code (same check digit as the tax code).
    pub fn parse(input: &str) -> Result<Self, IdError> {
        parse_ten(input, IdKind::EnterpriseCode).map(EnterpriseCode)
    }

    /// The enterprise's tax code, which is the same number.
    pub fn tax_code(&self) -> TaxCode {
        TaxCode(self.0.clone())
    }
}
string_id!(EnterpriseCode);

/// Cooperative code (mã số hợp tác xã): under the Law on Cooperatives 2023 and Decree
/// 92/2024/NĐ-CP the code issued on registration is also the cooperative's 10-digit tax code.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CooperativeCode(String);

impl CooperativeCode {
    /// Parses a 10-digit cooperative code (same check digit as the tax code).
    pub fn parse(input: &str) -> Result<Self, IdError> {
        parse_ten(input, IdKind::CooperativeCode).map(CooperativeCode)
    }

    /// The cooperative's tax code, which is the same number.
    pub fn tax_code(&self) -> TaxCode {
        TaxCode(self.0.clone())
    }
}
string_id!(CooperativeCode);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Published tax codes of well-known companies.
    const REAL: &[(&str, &str)] = &[
        ("0300588569", "Vinamilk"),
        ("0101248141", "FPT"),
        ("0100109106", "Viettel"),
        ("0100686174", "VNPT"),
        ("0100112437", "Vietcombank"),
        ("0100100079", "Vietnam Airlines"),
        ("0101245486", "Vingroup"),
    ];

    #[test]
    fn published_tax_codes_of_well_known_companies_parse() {
        for (code, who) in REAL {
            let tax = TaxCode::parse(code).unwrap_or_else(|e| panic!("{who}: {e}"));
            assert_eq!(tax.as_str(), *code);
            assert!(!tax.is_branch());
            assert!(EnterpriseCode::parse(code).is_ok(), "{who}");
        }
    }

    #[test]
    fn branch_codes_are_accepted_with_or_without_dash_and_spaces() {
        for input in ["0300588569-001", "0300588569001", " 0300 588 569 - 001 "] {
            let tax = TaxCode::parse(input).unwrap();
            assert_eq!(tax.as_str(), "0300588569-001");
            assert_eq!(tax.branch(), Some(1));
            assert_eq!(tax.head_office().as_str(), "0300588569");
        }
        assert_eq!(
            TaxCode::parse("0300588569-999").unwrap().branch(),
            Some(999)
        );
    }

    #[test]
    fn bad_tax_codes_say_what_is_wrong() {
        let problem = |s: &str| TaxCode::parse(s).unwrap_err().problem;
        assert_eq!(problem(""), IdProblem::Empty);
        assert_eq!(problem("   "), IdProblem::Empty);
        assert_eq!(problem("0300588568"), IdProblem::BadCheckDigit);
        assert_eq!(
            problem("030058856"),
            IdProblem::WrongLength {
                expected: "10",
                found: 9
            }
        );
        assert_eq!(
            problem("03005885690"),
            IdProblem::WrongLength {
                expected: "10",
                found: 11
            }
        );
        assert_eq!(problem("03005885a9"), IdProblem::NotDigits);
        assert_eq!(problem("0300588569-000"), IdProblem::BadBranch);
        assert_eq!(
            problem("0300588569-01"),
            IdProblem::WrongLength {
                expected: "10 hoặc 13 / 10 or 13",
                found: 12
            }
        );
        assert_eq!(problem("0300588569--001"), IdProblem::NotDigits);
        assert_eq!(problem("0300588568-001"), IdProblem::BadCheckDigit);
        assert!(matches!(
            problem(&"1".repeat(1000)),
            IdProblem::TooLong { .. }
        ));
    }

    #[test]
    fn a_body_whose_weighted_sum_is_zero_mod_11_has_no_valid_check_digit() {
        // 000000000 sums to 0; so does 100000000 + ... find one with a non-zero body.
        let body = (1..1_000_000_000u32)
            .find(|b| TaxCode::from_body(*b).is_none())
            .unwrap();
        let text = format!("{body:09}");
        for last in 0..=9 {
            let code = format!("{text}{last}");
            assert_eq!(
                TaxCode::parse(&code).unwrap_err().problem,
                IdProblem::NoValidCheckDigit
            );
        }
    }

    #[test]
    fn registry_codes_reject_the_branch_form() {
        let e = EnterpriseCode::parse("0300588569-001").unwrap_err();
        assert_eq!(e.kind, IdKind::EnterpriseCode);
        let e = CooperativeCode::parse("0300588568").unwrap_err();
        assert_eq!(e.code(), "cooperative_code.bad_check_digit");
        assert_eq!(
            CooperativeCode::parse("0300588569").unwrap().tax_code(),
            TaxCode::parse("0300588569").unwrap()
        );
    }

    fn valid_tax_code() -> impl Strategy<Value = TaxCode> {
        (0u32..1_000_000_000).prop_filter_map("no check digit", TaxCode::from_body)
    }

    proptest! {
        #[test]
        fn every_single_digit_change_in_a_valid_tax_code_is_rejected(
            tax in valid_tax_code(), pos in 0usize..10, delta in 1u8..10
        ) {
            let mut bytes = tax.as_str().as_bytes().to_vec();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(TaxCode::parse(&changed).is_err(), "{} -> {} accepted", tax, changed);
        }

        #[test]
        fn tax_codes_round_trip_through_text_and_serde(tax in valid_tax_code(), branch in 0u16..1000) {
            let tax = if branch == 0 { tax } else {
                TaxCode::parse(&format!("{}{branch:03}", tax.as_str())).unwrap()
            };
            prop_assert_eq!(TaxCode::parse(tax.as_str()).unwrap(), tax.clone());
            let json = serde_json::to_string(&tax).unwrap();
            prop_assert_eq!(serde_json::from_str::<TaxCode>(&json).unwrap(), tax);
        }

        #[test]
        fn tax_code_parser_never_panics(s in ".{0,40}") {
            let _ = TaxCode::parse(&s);
        }
    }
}
