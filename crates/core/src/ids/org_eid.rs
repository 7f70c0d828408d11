//! The organisation's e-ID number (số định danh điện tử của tổ chức), issued by this system
//! when a registration is approved.
//!
//! Format (our choice; Decree 69/2024 leaves the number's shape to the issuing system):
//! `TC` followed by 11 digits — a 10-digit serial number and one Damm check digit — 13
//! characters in all, e.g. `TC00000000013` for serial 1.
//! - The `TC` (tổ chức) prefix makes it impossible to confuse with the registry codes, which
//!   are all digits (tax, enterprise and cooperative codes) or dotted (agency codes).
//! - The serial is a plain counter: it carries no meaning (no province, no date), so a rename,
//!   a move or a merger never forces a new number, and nothing personal can be read from it.
//! - The Damm algorithm gives a single decimal check digit that catches every single-digit
//!   error and every transposition of adjacent digits (ISO 7064 MOD 11-10 misses some swaps).
//!
//! Serials are issued once and never again, also after an account is closed: that rule lives
//! in the server's database, not here.

use super::{MAX_INPUT_LEN, string_id};
use crate::error::{IdError, IdKind, IdProblem};

const PREFIX: &str = "TC";
const SERIAL_DIGITS: usize = 10;
/// The largest serial the format can hold.
pub const MAX_SERIAL: u64 = 9_999_999_999;

/// The Damm algorithm's totally anti-symmetric quasigroup of order 10 (H. M. Damm, 2004).
const DAMM: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/// Damm check digit over decimal digits: run over the digits *and* the check digit, a valid
/// number yields 0. It catches every single-digit error and every swap of adjacent digits.
fn damm(digits: impl Iterator<Item = u8>) -> u8 {
    digits.fold(0, |interim, d| {
        DAMM.get(usize::from(interim))
            .and_then(|row| row.get(usize::from(d)))
            .copied()
            .unwrap_or(u8::MAX)
    })
}

/// An organisation e-ID number: `TC` + 10-digit serial + check digit.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgEid(String);

impl OrgEid {
    /// Parses an e-ID number. Accepts lower-case `tc` and spaces or dashes between groups.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let err = |p| IdError::new(IdKind::OrgEid, p);
        if input.len() > MAX_INPUT_LEN {
            return Err(err(IdProblem::TooLong { max: MAX_INPUT_LEN }));
        }
        let compact: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if compact.is_empty() {
            return Err(err(IdProblem::Empty));
        }
        let digits = match compact.get(..2) {
            Some(p) if p.eq_ignore_ascii_case(PREFIX) => compact.get(2..).unwrap_or_default(),
            _ => {
                return Err(err(IdProblem::BadFormat {
                    detail_vi: "phải bắt đầu bằng TC",
                    detail_en: "must start with TC",
                }));
            }
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(IdProblem::NotDigits));
        }
        if digits.len() != SERIAL_DIGITS + 1 {
            return Err(err(IdProblem::WrongLength {
                expected: "13",
                found: 2 + digits.len(),
            }));
        }
        if damm(digits.bytes().map(|b| b - b'0')) != 0 {
            return Err(err(IdProblem::BadCheckDigit));
        }
        Ok(OrgEid(format!("{PREFIX}{digits}")))
    }

    /// Makes the e-ID number for a serial issued by the server (1 ..= [`MAX_SERIAL`]).
    pub fn from_serial(serial: u64) -> Result<Self, IdError> {
        if serial == 0 || serial > MAX_SERIAL {
            return Err(IdError::new(
                IdKind::OrgEid,
                IdProblem::BadFormat {
                    detail_vi: "số thứ tự ngoài phạm vi",
                    detail_en: "serial out of range",
                },
            ));
        }
        let serial = format!("{serial:010}");
        let check = damm(serial.bytes().map(|b| b - b'0'));
        Ok(OrgEid(format!("{PREFIX}{serial}{check}")))
    }

    /// The serial number this e-ID was issued from.
    pub fn serial(&self) -> u64 {
        self.0
            .get(2..2 + SERIAL_DIGITS)
            .and_then(|s| s.parse().ok())
            .unwrap_or_default()
    }
}
string_id!(OrgEid);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn e_id_numbers_have_prefix_serial_and_check_digit() {
        let eid = OrgEid::from_serial(1).unwrap();
        assert_eq!(eid.as_str().len(), 13);
        assert_eq!(eid.as_str(), "TC00000000013");
        assert_eq!(eid.serial(), 1);
        assert_eq!(OrgEid::parse(&eid.as_str().to_lowercase()).unwrap(), eid);
        assert_eq!(
            OrgEid::parse("tc 0000-0000-01 ".to_owned().as_str())
                .unwrap_err()
                .problem,
            IdProblem::WrongLength {
                expected: "13",
                found: 12
            }
        );
        assert!(OrgEid::from_serial(0).is_err());
        assert!(OrgEid::from_serial(MAX_SERIAL + 1).is_err());
        assert_eq!(
            OrgEid::from_serial(MAX_SERIAL).unwrap().serial(),
            MAX_SERIAL
        );
    }

    #[test]
    fn registry_codes_are_never_taken_for_e_id_numbers() {
        for code in [
            "0300588569",
            "0300588569-001",
            "000.00.00.H29",
            "001099012345",
        ] {
            assert!(OrgEid::parse(code).is_err(), "{code}");
        }
    }

    proptest! {
        #[test]
        fn every_single_digit_error_and_adjacent_swap_is_caught(
            serial in 1u64..=MAX_SERIAL, pos in 2usize..13, delta in 1u8..10, swap in 2usize..12
        ) {
            let eid = OrgEid::from_serial(serial).unwrap();
            let mut bytes = eid.as_str().as_bytes().to_vec();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            prop_assert!(OrgEid::parse(std::str::from_utf8(&bytes).unwrap()).is_err());

            let mut bytes = eid.as_str().as_bytes().to_vec();
            if bytes[swap] != bytes[swap + 1] {
                bytes.swap(swap, swap + 1);
                prop_assert!(OrgEid::parse(std::str::from_utf8(&bytes).unwrap()).is_err());
            }
        }

        #[test]
        fn e_id_numbers_round_trip(serial in 1u64..=MAX_SERIAL) {
            let eid = OrgEid::from_serial(serial).unwrap();
            prop_assert_eq!(eid.serial(), serial);
            let json = serde_json::to_string(&eid).unwrap();
            prop_assert_eq!(serde_json::from_str::<OrgEid>(&json).unwrap(), eid);
        }

        #[test]
        fn e_id_parser_never_panics(s in ".{0,30}") {
            let _ = OrgEid::parse(&s);
        }
    }
}
