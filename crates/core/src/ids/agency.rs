//! The electronic identification code of a state agency (mã định danh điện tử của cơ quan,
//! tổ chức), under Decision 20/2020/QĐ-TTg of 22 July 2020 on the codes used for connecting
//! and sharing data between agencies.
//!
//! Structure implemented (Art. 4 of the Decision): 13 characters in four dot-separated groups,
//! written from the lowest level to the highest, `DDD.CC.BB.AXX`:
//! - `AXX`, level 1: one capital letter and two digits — the ministry, central agency or
//!   province the unit belongs to (`G..` for ministries and government agencies, `H..` for
//!   provinces and centrally-run cities, other letters for other central bodies);
//! - `BB`, level 2: two digits, a unit directly under level 1 (`00` when the code is level 1's);
//! - `CC`, level 3: two digits, a unit under level 2 (`00` when unused);
//! - `DDD`, level 4: three digits, a unit under level 3 (`000` when unused).
//!
//! Example: `000.00.00.H29` is a province's people's committee; `000.00.12.H29` a department of it.
//! The level-1 number is never `00`. The table of assigned codes is held by the Ministry of
//! Information and Communications; a code's existence is checked against the tax registry
//! adapter, not here.

use super::{MAX_INPUT_LEN, string_id};
use crate::error::{IdError, IdKind, IdProblem};

/// A state agency's electronic identification code, `DDD.CC.BB.AXX`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgencyCode(String);

impl AgencyCode {
    /// Parses an agency code. Accepts a lower-case level-1 letter and surrounding spaces.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let err = |p| IdError::new(IdKind::AgencyCode, p);
        let shape = || {
            err(IdProblem::BadFormat {
                detail_vi: "phải có dạng DDD.CC.BB.AXX, ví dụ 000.00.00.H29",
                detail_en: "must look like DDD.CC.BB.AXX, e.g. 000.00.00.H29",
            })
        };
        if input.len() > MAX_INPUT_LEN {
            return Err(err(IdProblem::TooLong { max: MAX_INPUT_LEN }));
        }
        let s = input.trim();
        if s.is_empty() {
            return Err(err(IdProblem::Empty));
        }
        let groups: Vec<&str> = s.split('.').collect();
        let [level4, level3, level2, level1] = groups.as_slice() else {
            return Err(shape());
        };
        let digits = |g: &str, n: usize| g.len() == n && g.bytes().all(|b| b.is_ascii_digit());
        if !digits(level4, 3) || !digits(level3, 2) || !digits(level2, 2) {
            return Err(shape());
        }
        let mut l1 = level1.chars();
        let letter = l1
            .next()
            .filter(char::is_ascii_alphabetic)
            .ok_or_else(shape)?;
        let number = l1.as_str();
        if !digits(number, 2) {
            return Err(shape());
        }
        if number == "00" {
            return Err(err(IdProblem::BadFormat {
                detail_vi: "mã cấp 1 không được là 00",
                detail_en: "the level-1 number must not be 00",
            }));
        }
        let letter = letter.to_ascii_uppercase();
        Ok(AgencyCode(format!(
            "{level4}.{level3}.{level2}.{letter}{number}"
        )))
    }

    /// The level-1 group (`H29`): the ministry or province the agency belongs to.
    pub fn level1(&self) -> &str {
        self.0.get(10..).unwrap_or_default()
    }

    /// The deepest level (1–4) that is in use: 1 for `000.00.00.H29`, 2 for `000.00.12.H29`.
    pub fn level(&self) -> u8 {
        let zero =
            |r: std::ops::Range<usize>| self.0.get(r).is_some_and(|g| g.bytes().all(|b| b == b'0'));
        if !zero(0..3) {
            4
        } else if !zero(4..6) {
            3
        } else if !zero(7..9) {
            2
        } else {
            1
        }
    }
}
string_id!(AgencyCode);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn agency_codes_parse_with_their_levels() {
        let c = AgencyCode::parse(" 000.00.00.h29 ").unwrap();
        assert_eq!(c.as_str(), "000.00.00.H29");
        assert_eq!(c.level1(), "H29");
        assert_eq!(c.level(), 1);
        assert_eq!(AgencyCode::parse("000.00.12.H29").unwrap().level(), 2);
        assert_eq!(AgencyCode::parse("000.05.12.G10").unwrap().level(), 3);
        assert_eq!(AgencyCode::parse("101.05.12.G10").unwrap().level(), 4);
    }

    #[test]
    fn malformed_agency_codes_are_rejected() {
        for bad in [
            "",
            "000.00.00",
            "000.00.00.29",
            "00.00.00.H29",
            "000.0.00.H29",
            "000.00.00.H2",
            "000.00.00.H290",
            "000.00.00.H00",
            "000-00-00-H29",
            "000.00.00.Ħ29",
            "0300588569",
        ] {
            assert!(AgencyCode::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    proptest! {
        #[test]
        fn agency_codes_round_trip(l4 in 0u16..1000, l3 in 0u8..100, l2 in 0u8..100, letter in proptest::char::range('A', 'Z'), l1 in 1u8..100) {
            let text = format!("{l4:03}.{l3:02}.{l2:02}.{letter}{l1:02}");
            let code = AgencyCode::parse(&text).unwrap();
            prop_assert_eq!(code.as_str(), text.as_str());
            let json = serde_json::to_string(&code).unwrap();
            prop_assert_eq!(serde_json::from_str::<AgencyCode>(&json).unwrap(), code);
        }

        #[test]
        fn agency_parser_never_panics(s in ".{0,30}") {
            let _ = AgencyCode::parse(&s);
        }
    }
}
