//! The 12-digit personal identification number (số định danh cá nhân, printed on the CCCD
//! card).
//!
//! Circular 59/2021/TT-BCA gives it this structure:
//!
//! ```text
//!   0 7 9   2   0 1   0 1 2 3 4 5
//!   │       │   │     └ 6 random digits
//!   │       │   └ last two digits of the year of birth
//!   │       └ century and gender: 0/1 male/female born 1900–1999, 2/3 in 2000–2099,
//!   │         4/5 in 2100–2199, 6/7 in 2200–2299, 8/9 in 2300–2399
//!   └ code of the province where the birth was registered (the 63-province map)
//! ```
//!
//! The number is personal data: [`CitizenId`]'s `Debug` shows only a masked form
//! ([`CitizenId::masked`]), so it can't leak into logs through `{:?}`. `Display`, `as_str` and
//! serde give the full number because the wire needs it.

use std::fmt;

use crate::error::{IdError, IdKind, IdProblem};

use super::OldProvince;

/// Number of digits in a personal identification number.
const LEN: usize = 12;

/// Highest century/gender digit accepted: 3 (a woman born in 2000–2099). Digits 4–9 stand for
/// births from 2100 on; no such number can have been issued yet, so a pure parser without a
/// clock can reject them for good.
const MAX_CENTURY_GENDER: u8 = 3;

/// First year that the century/gender digit 0 stands for.
const FIRST_BIRTH_YEAR: u16 = 1900;

/// Last year of birth any accepted number can encode (digit 2 or 3, year 99).
const LAST_BIRTH_YEAR: u16 = 2099;

/// Largest 6-digit serial.
const MAX_SERIAL: u32 = 999_999;

/// A valid 12-digit personal identification number (CCCD).
///
/// Guarantees: exactly 12 ASCII digits; the first three are one of the 63 issued province
/// codes; the century/gender digit is 0–3 (born 1900–2099). It does *not* guarantee that the
/// year of birth is not in the future — that needs today's date, see
/// [`CitizenId::ensure_born_by`] and [`CitizenId::parse_as_of`].
///
/// `Debug` prints only [`CitizenId::masked`]; `Display`/`as_str`/serde give the full number.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CitizenId(String, OldProvince);

impl CitizenId {
    /// Parses a personal identification number as people type it: spaces, dots and dashes
    /// between digits are ignored (`"079 201 012 345"`), and the 12 digits are stored.
    ///
    /// Errors have [`IdKind::CitizenId`], checked in this order: `Empty`, `TooLong`,
    /// `NotDigits`, `WrongLength` (not 12 digits, e.g. an old 9-digit CMND),
    /// `UnknownProvince` (first three digits not an issued province code), `BadCenturyGender`
    /// (fourth digit 4–9, a birth after 2099).
    pub fn parse(input: &str) -> Result<CitizenId, IdError> {
        let err = |problem| IdError::new(IdKind::CitizenId, problem);
        let digits = super::digits_only(input, IdKind::CitizenId)?;
        if digits.len() != LEN {
            return Err(err(IdProblem::WrongLength {
                expected: "12",
                found: digits.len(),
            }));
        }
        // The province is kept next to the digits, so `province()` needs no second lookup
        // that could, in theory, fail.
        let province = OldProvince::from_code(digits_value(&digits, 0..3))
            .ok_or(err(IdProblem::UnknownProvince))?;
        if digits_value(&digits, 3..4) > u16::from(MAX_CENTURY_GENDER) {
            return Err(err(IdProblem::BadCenturyGender));
        }
        Ok(CitizenId(digits, province))
    }

    /// [`CitizenId::parse`], then [`CitizenId::ensure_born_by`] with the caller's current
    /// year: what a form should use, since a number whose holder is born in the future was
    /// mistyped.
    pub fn parse_as_of(input: &str, current_year: i32) -> Result<CitizenId, IdError> {
        let id = CitizenId::parse(input)?;
        id.ensure_born_by(current_year)?;
        Ok(id)
    }

    /// Checks that the year of birth is not after `current_year` (the caller's clock: this
    /// crate has none; an `i32` so chrono's `Datelike::year()` fits directly).
    /// Error: [`IdProblem::ImpossibleBirthYear`].
    pub fn ensure_born_by(&self, current_year: i32) -> Result<(), IdError> {
        if i32::from(self.birth_year()) > current_year {
            return Err(IdError::new(
                IdKind::CitizenId,
                IdProblem::ImpossibleBirthYear,
            ));
        }
        Ok(())
    }

    /// Builds the number of a person from its parts, for seeds and tests in other crates.
    ///
    /// `birth_year` must be in 1900–2099 ([`IdProblem::ImpossibleBirthYear`] otherwise) and
    /// `serial` at most 999 999, written with leading zeros ([`IdProblem::BadFormat`]
    /// otherwise). The result parses back to the same parts.
    pub fn from_parts(
        province: OldProvince,
        gender: Gender,
        birth_year: u16,
        serial: u32,
    ) -> Result<CitizenId, IdError> {
        let err = |problem| IdError::new(IdKind::CitizenId, problem);
        if !(FIRST_BIRTH_YEAR..=LAST_BIRTH_YEAR).contains(&birth_year) {
            return Err(err(IdProblem::ImpossibleBirthYear));
        }
        if serial > MAX_SERIAL {
            return Err(err(IdProblem::BadFormat {
                detail_vi: "số ngẫu nhiên phải có 6 chữ số",
                detail_en: "the random part must have 6 digits",
            }));
        }
        let since = birth_year - FIRST_BIRTH_YEAR;
        let century_gender = (since / 100) * 2 + u16::from(gender == Gender::Female);
        let digits = format!(
            "{}{century_gender}{:02}{serial:06}",
            province.code_str(),
            since % 100
        );
        CitizenId::parse(&digits)
    }

    /// The province where the birth was registered (on the pre-2025 map; see
    /// [`OldProvince::current`] for where it is now).
    pub fn province(&self) -> OldProvince {
        self.1
    }

    /// The gender recorded in the number.
    pub fn gender(&self) -> Gender {
        if self.century_gender_digit() % 2 == 0 {
            Gender::Male
        } else {
            Gender::Female
        }
    }

    /// The first year of the century of birth: 1900 or 2000.
    pub fn birth_century(&self) -> u16 {
        FIRST_BIRTH_YEAR + u16::from(self.century_gender_digit() / 2) * 100
    }

    /// The year of birth, 1900–2099.
    pub fn birth_year(&self) -> u16 {
        self.birth_century() + digits_value(&self.0, 4..6)
    }

    /// The number with all but the province code and the last 3 digits hidden, e.g.
    /// `"079******345"`: enough for a person to recognise their own number on a screen or a
    /// support agent to tell two apart, too little to use it. This is also what `Debug`
    /// shows. The masked form does not parse back.
    pub fn masked(&self) -> String {
        let head = self.0.get(..3).unwrap_or_default();
        let tail = self.0.get(LEN - 3..).unwrap_or_default();
        format!("{head}******{tail}")
    }

    fn century_gender_digit(&self) -> u8 {
        // One digit, so at most 9: the narrowing cannot truncate.
        digits_value(&self.0, 3..4) as u8
    }
}

/// The value of the ASCII digits of `digits` in `range` (at most 3 of them, so no overflow).
fn digits_value(digits: &str, range: std::ops::Range<usize>) -> u16 {
    digits
        .get(range)
        .unwrap_or_default()
        .bytes()
        .fold(0, |acc, b| acc * 10 + u16::from(b.saturating_sub(b'0')))
}

super::string_id!(
    CitizenId,
    "A personal identification number: 12 digits, starting with an issued province code, \
     then the century/gender digit 0-3 (forms also refuse a year of birth after this year). \
     Written as 12 digits; spaces, dots and dashes between them are accepted on the way in.",
    |b| b.pattern(Some(crate::patterns::citizen_id()))
);

impl fmt::Debug for CitizenId {
    /// Masked on purpose: `{:?}` ends up in logs and panic messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CitizenId({})", self.masked())
    }
}

/// The gender recorded in a personal identification number (its fourth digit: even for male,
/// odd for female). Travels over serde as `"male"` / `"female"`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    /// Nam.
    Male,
    /// Nữ.
    Female,
}

impl Gender {
    /// Vietnamese label, as on the card: "Nam" / "Nữ".
    pub fn label_vi(self) -> &'static str {
        match self {
            Gender::Male => "Nam",
            Gender::Female => "Nữ",
        }
    }

    /// English label: "Male" / "Female".
    pub fn label_en(self) -> &'static str {
        match self {
            Gender::Male => "Male",
            Gender::Female => "Female",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn problem(input: &str) -> IdProblem {
        let err = CitizenId::parse(input).unwrap_err();
        assert_eq!(err.kind, IdKind::CitizenId);
        err.problem
    }

    #[test]
    fn a_man_born_in_2001_in_ho_chi_minh_city_is_read_from_his_number() {
        let id = CitizenId::parse("079201012345").unwrap();
        assert_eq!(id.province().code(), 79);
        assert_eq!(id.province().current().key(), "ho_chi_minh");
        assert_eq!(id.gender(), Gender::Male);
        assert_eq!(id.birth_century(), 2000);
        assert_eq!(id.birth_year(), 2001);
        assert_eq!(id.as_str(), "079201012345");
    }

    #[test]
    fn a_woman_born_in_1985_in_nam_dinh_now_counts_as_ninh_binh() {
        let id = CitizenId::parse("036185000123").unwrap();
        assert_eq!(id.province().name_vi(), "Nam Định");
        assert_eq!(id.province().current().name_vi(), "Ninh Bình");
        assert_eq!(id.gender(), Gender::Female);
        assert_eq!(id.birth_century(), 1900);
        assert_eq!(id.birth_year(), 1985);
    }

    #[test]
    fn a_woman_born_in_2000_and_a_man_born_in_1900_decode_at_the_century_edges() {
        let id = CitizenId::parse("001300999999").unwrap();
        assert_eq!((id.gender(), id.birth_year()), (Gender::Female, 2000));
        let id = CitizenId::parse("096000000000").unwrap();
        assert_eq!((id.gender(), id.birth_year()), (Gender::Male, 1900));
        assert_eq!(CitizenId::parse("096099000000").unwrap().birth_year(), 1999);
        assert_eq!(CitizenId::parse("096399000000").unwrap().birth_year(), 2099);
    }

    #[test]
    fn separators_typed_between_digits_are_dropped() {
        for input in [
            "079 201 012 345",
            "079.201.012.345",
            "079-201-012-345",
            "  079201012345 ",
        ] {
            let id = CitizenId::parse(input).unwrap();
            assert_eq!(id.as_str(), "079201012345", "{input}");
            assert_eq!(id, CitizenId::parse("079201012345").unwrap());
        }
    }

    #[test]
    fn empty_input_is_reported_as_missing() {
        assert_eq!(problem(""), IdProblem::Empty);
        assert_eq!(problem("   "), IdProblem::Empty);
    }

    #[test]
    fn a_pasted_megabyte_is_rejected_as_too_long() {
        assert_eq!(problem(&"1".repeat(1000)), IdProblem::TooLong { max: 320 });
    }

    #[test]
    fn letters_are_rejected() {
        assert_eq!(problem("07920101234a"), IdProblem::NotDigits);
        assert_eq!(problem("079/201/012/345"), IdProblem::NotDigits);
        assert_eq!(problem("０７９２０１０１２３４５"), IdProblem::NotDigits);
    }

    #[test]
    fn an_old_nine_digit_cmnd_or_a_thirteen_digit_number_has_the_wrong_length() {
        assert_eq!(
            problem("123456789"),
            IdProblem::WrongLength {
                expected: "12",
                found: 9
            }
        );
        assert_eq!(
            problem("0792010123456"),
            IdProblem::WrongLength {
                expected: "12",
                found: 13
            }
        );
    }

    #[test]
    fn a_province_code_that_was_never_issued_is_rejected() {
        for code in ["000", "003", "097", "999"] {
            assert_eq!(
                problem(&format!("{code}201012345")),
                IdProblem::UnknownProvince
            );
        }
    }

    #[test]
    fn a_century_digit_for_births_after_2099_is_rejected() {
        for digit in 4..=9 {
            assert_eq!(
                problem(&format!("079{digit}01012345")),
                IdProblem::BadCenturyGender
            );
        }
        assert_eq!(
            CitizenId::parse("079401012345").unwrap_err().code(),
            "citizen_id.bad_century_gender"
        );
    }

    #[test]
    fn the_province_is_checked_before_the_century_digit() {
        assert_eq!(problem("003901012345"), IdProblem::UnknownProvince);
    }

    #[test]
    fn a_holder_born_after_the_callers_current_year_is_impossible() {
        let id = CitizenId::parse("079230012345").unwrap();
        assert_eq!(id.birth_year(), 2030);
        assert_eq!(id.ensure_born_by(2030), Ok(()));
        assert_eq!(
            id.ensure_born_by(2029).unwrap_err().problem,
            IdProblem::ImpossibleBirthYear
        );
        assert_eq!(
            CitizenId::parse_as_of("079 230 012 345", 2025)
                .unwrap_err()
                .problem,
            IdProblem::ImpossibleBirthYear
        );
        assert_eq!(
            CitizenId::parse_as_of("079201012345", 2025).unwrap(),
            CitizenId::parse("079201012345").unwrap()
        );
        assert_eq!(
            CitizenId::parse_as_of("079401012345", 2025)
                .unwrap_err()
                .problem,
            IdProblem::BadCenturyGender
        );
    }

    #[test]
    fn masked_form_keeps_only_the_province_and_the_last_three_digits() {
        let id = CitizenId::parse("079201012345").unwrap();
        assert_eq!(id.masked(), "079******345");
        assert_eq!(format!("{id:?}"), "CitizenId(079******345)");
        assert!(CitizenId::parse(&id.masked()).is_err());
    }

    #[test]
    fn display_and_serde_give_the_full_number() {
        let id = CitizenId::parse("079.201.012.345").unwrap();
        assert_eq!(id.to_string(), "079201012345");
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""079201012345""#);
        let back: CitizenId = serde_json::from_str(r#""079 201 012 345""#).unwrap();
        assert_eq!(back, id);
        assert!(serde_json::from_str::<CitizenId>(r#""079401012345""#).is_err());
        assert!(serde_json::from_str::<CitizenId>("79201012345").is_err());
        assert_eq!("079201012345".parse::<CitizenId>().unwrap(), id);
    }

    #[test]
    fn from_parts_builds_a_real_looking_number() {
        let hn = OldProvince::from_code(1).unwrap();
        let id = CitizenId::from_parts(hn, Gender::Female, 1990, 42).unwrap();
        assert_eq!(id.as_str(), "001190000042");
        let id = CitizenId::from_parts(hn, Gender::Male, 2005, 999_999).unwrap();
        assert_eq!(id.as_str(), "001205999999");
    }

    #[test]
    fn from_parts_rejects_years_and_serials_no_number_can_hold() {
        let hn = OldProvince::from_code(1).unwrap();
        let err = |year, serial| {
            CitizenId::from_parts(hn, Gender::Male, year, serial)
                .unwrap_err()
                .problem
        };
        assert_eq!(err(1899, 0), IdProblem::ImpossibleBirthYear);
        assert_eq!(err(2100, 0), IdProblem::ImpossibleBirthYear);
        assert_eq!(err(2000, 1_000_000).code(), "bad_format");
    }

    #[test]
    fn gender_travels_as_lower_case_words() {
        assert_eq!(
            serde_json::to_string(&Gender::Female).unwrap(),
            r#""female""#
        );
        assert_eq!(
            serde_json::from_str::<Gender>(r#""male""#).unwrap(),
            Gender::Male
        );
        assert_eq!(
            (Gender::Male.label_vi(), Gender::Female.label_vi()),
            ("Nam", "Nữ")
        );
    }

    fn any_parts() -> impl Strategy<Value = (OldProvince, Gender, u16, u32)> {
        (
            0usize..63,
            any::<bool>(),
            FIRST_BIRTH_YEAR..=LAST_BIRTH_YEAR,
            0u32..=MAX_SERIAL,
        )
            .prop_map(|(i, female, year, serial)| {
                let gender = if female { Gender::Female } else { Gender::Male };
                (OldProvince::all()[i], gender, year, serial)
            })
    }

    fn any_id() -> impl Strategy<Value = CitizenId> {
        any_parts().prop_map(|(p, g, y, s)| CitizenId::from_parts(p, g, y, s).unwrap())
    }

    proptest! {
        #[test]
        fn from_parts_reads_back_its_parts((province, gender, year, serial) in any_parts()) {
            let id = CitizenId::from_parts(province, gender, year, serial).unwrap();
            prop_assert_eq!(id.province(), province);
            prop_assert_eq!(id.gender(), gender);
            prop_assert_eq!(id.birth_year(), year);
            prop_assert_eq!(id.birth_century(), year - year % 100);
            let serial_text = format!("{serial:06}");
            prop_assert!(id.as_str().ends_with(&serial_text));
            prop_assert_eq!(CitizenId::parse(id.as_str()).unwrap(), id);
        }

        #[test]
        fn debug_never_contains_the_full_number(id in any_id()) {
            let debug = format!("{id:?}");
            prop_assert!(!debug.contains(id.as_str()));
            // Nor the six hidden digits in one piece.
            prop_assert!(!debug.contains(&id.as_str()[3..9]));
            prop_assert_eq!(debug, format!("CitizenId({})", id.masked()));
            prop_assert_eq!(id.masked().len(), 12);
        }

        #[test]
        fn serde_round_trips(id in any_id()) {
            let json = serde_json::to_string(&id).unwrap();
            prop_assert_eq!(serde_json::from_str::<CitizenId>(&json).unwrap(), id);
        }

        #[test]
        fn parse_never_panics_and_accepts_only_twelve_digits(input in "[0-9 .a-]{0,20}") {
            if let Ok(id) = CitizenId::parse(&input) {
                prop_assert_eq!(id.as_str().len(), 12);
                prop_assert!(id.as_str().bytes().all(|b| b.is_ascii_digit()));
            }
        }
    }
}
