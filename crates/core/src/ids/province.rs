//! Provinces: the 63 whose codes open every personal identification number, and the 34 in
//! force since 1 July 2025.
//!
//! A CCCD number keeps the code of the province where the birth was registered, under the
//! 63-province map of Circular 59/2021/TT-BCA, for the person's whole life; the 2025
//! reorganisation (Resolution 202/2025/QH15) merged whole provinces into 34 without reissuing
//! numbers. So the code inside a number is an [`OldProvince`], and where that place belongs
//! today is its [`OldProvince::current`] [`NewProvince`].
//!
//! Both tables live in data files (`crates/core/data/provinces.tsv`, the old-to-new mapping,
//! and `provinces_2025.tsv`, the 34 provinces) embedded with `include_str!` and parsed by
//! `const fn`s while the crate compiles: a malformed row, an unknown new key, a name that
//! disagrees between the files or a wrong row count fails the build, so at run time every
//! lookup is infallible and nothing is parsed twice. No build script generates code.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use crate::error::{IdError, IdKind, IdProblem};

/// Number of pre-2025 provinces (and centrally-run cities) that issued birth registrations.
const OLD_COUNT: usize = 63;
/// Number of provinces in force since 1 July 2025.
const NEW_COUNT: usize = 34;

/// One row of `provinces_2025.tsv`.
#[derive(Clone, Copy)]
struct NewRow {
    code: u8,
    key: &'static str,
    name_vi: &'static str,
    name_en: &'static str,
}

/// One row of `provinces.tsv`, with its new province resolved.
#[derive(Clone, Copy)]
struct OldRow {
    code: u16,
    code_str: &'static str,
    name_vi: &'static str,
    name_en: &'static str,
    new: &'static NewRow,
}

static NEW_ROWS: [NewRow; NEW_COUNT] =
    table::parse_new(include_str!("../../data/provinces_2025.tsv").as_bytes());

static OLD_ROWS: [OldRow; OLD_COUNT] = table::parse_old(
    include_str!("../../data/provinces.tsv").as_bytes(),
    &NEW_ROWS,
);

static NEW_ALL: [NewProvince; NEW_COUNT] = table::new_handles(&NEW_ROWS);

static OLD_ALL: [OldProvince; OLD_COUNT] = table::old_handles(&OLD_ROWS);

/// One of the 63 provinces of the pre-2025 map, as encoded in the first three digits of a
/// personal identification number (Circular 59/2021/TT-BCA).
///
/// It can only be one of the 63 issued codes (001 Hà Nội … 096 Cà Mau). It is `Copy` (a
/// reference into a static table), compares and orders by code, and travels over serde as
/// its 3-digit code string, e.g. `"079"`.
#[derive(Clone, Copy)]
pub struct OldProvince(&'static OldRow);

impl OldProvince {
    /// The province with this numeric code (`79` for TP. Hồ Chí Minh), or `None` if the code
    /// was never issued.
    pub fn from_code(code: u16) -> Option<OldProvince> {
        OLD_ALL.iter().copied().find(|p| p.0.code == code)
    }

    /// Parses a 3-digit province code such as `"079"` (spaces, dots and dashes are ignored).
    ///
    /// Errors have [`IdKind::Province`]: `Empty`, `TooLong`, `NotDigits`, `WrongLength`
    /// (not exactly 3 digits) or `UnknownProvince`.
    pub fn parse(input: &str) -> Result<OldProvince, IdError> {
        let digits = super::digits_only(input, IdKind::Province)?;
        if digits.len() != 3 {
            return Err(IdError::new(
                IdKind::Province,
                IdProblem::WrongLength {
                    expected: "3",
                    found: digits.len(),
                },
            ));
        }
        OLD_ALL
            .iter()
            .copied()
            .find(|p| p.0.code_str == digits)
            .ok_or(IdError::new(IdKind::Province, IdProblem::UnknownProvince))
    }

    /// All 63 provinces, in order of code.
    pub fn all() -> &'static [OldProvince] {
        &OLD_ALL
    }

    /// The numeric code, e.g. `79`.
    pub fn code(self) -> u16 {
        self.0.code
    }

    /// The code as written inside identification numbers: always 3 digits, e.g. `"079"`.
    pub fn code_str(self) -> &'static str {
        self.0.code_str
    }

    /// The Vietnamese name under which the code was issued, e.g. `"Bà Rịa - Vũng Tàu"`.
    /// (046 keeps the name Thừa Thiên Huế, although the province was renamed Huế in 2025.)
    pub fn name_vi(self) -> &'static str {
        self.0.name_vi
    }

    /// The name without diacritics, as used in English text, e.g. `"Ba Ria - Vung Tau"`;
    /// always ASCII.
    pub fn name_en(self) -> &'static str {
        self.0.name_en
    }

    /// The province this one belongs to since 1 July 2025 (Resolution 202/2025/QH15).
    pub fn current(self) -> NewProvince {
        NewProvince(self.0.new)
    }
}

impl PartialEq for OldProvince {
    fn eq(&self, other: &Self) -> bool {
        self.0.code == other.0.code
    }
}

impl Eq for OldProvince {}

impl Hash for OldProvince {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.code.hash(state);
    }
}

impl PartialOrd for OldProvince {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OldProvince {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.code.cmp(&other.0.code)
    }
}

impl fmt::Debug for OldProvince {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OldProvince({} {})", self.0.code_str, self.0.name_vi)
    }
}

crate::openapi::string_schema!(
    OldProvince,
    "A province of before 1 July 2025 (63), by its two-digit code."
);

impl serde::Serialize for OldProvince {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.code_str)
    }
}

impl<'de> serde::Deserialize<'de> for OldProvince {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        OldProvince::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// One of the 34 provinces in force since 1 July 2025 (Resolution 202/2025/QH15): the 11
/// that were kept as they were and the 23 formed by merging.
///
/// It can only be one of the 34. It is `Copy` (a reference into a static table), compares
/// and orders by its administrative code, and travels over serde as its stable key, e.g.
/// `"ho_chi_minh"`.
#[derive(Clone, Copy)]
pub struct NewProvince(&'static NewRow);

impl NewProvince {
    /// All 34 provinces, in order of administrative code.
    pub fn all() -> &'static [NewProvince] {
        &NEW_ALL
    }

    /// The province with this stable key, e.g. `"ho_chi_minh"`. The key must match exactly
    /// (it is a machine value, not something people type).
    ///
    /// Errors have [`IdKind::Province`]: `Empty`, `TooLong` or `UnknownProvince`.
    pub fn parse(key: &str) -> Result<NewProvince, IdError> {
        if key.is_empty() {
            return Err(IdError::new(IdKind::Province, IdProblem::Empty));
        }
        if key.len() > super::MAX_INPUT_LEN {
            return Err(IdError::new(
                IdKind::Province,
                IdProblem::TooLong {
                    max: super::MAX_INPUT_LEN,
                },
            ));
        }
        NEW_ALL
            .iter()
            .copied()
            .find(|p| p.0.key == key)
            .ok_or(IdError::new(IdKind::Province, IdProblem::UnknownProvince))
    }

    /// The province with this administrative code under Decision 19/2025/QĐ-TTg (`79` for
    /// TP. Hồ Chí Minh), or `None`.
    pub fn from_code(code: u8) -> Option<NewProvince> {
        NEW_ALL.iter().copied().find(|p| p.0.code == code)
    }

    /// The stable key: lower-case ASCII words joined by `_`, e.g. `"ho_chi_minh"`. Keys never
    /// change, so they are what databases and the wire store.
    pub fn key(self) -> &'static str {
        self.0.key
    }

    /// The administrative code under Decision 19/2025/QĐ-TTg, e.g. `79`. (Shown with two
    /// digits, `"08"`, in official lists.)
    pub fn code(self) -> u8 {
        self.0.code
    }

    /// The Vietnamese name, e.g. `"TP. Hồ Chí Minh"`.
    pub fn name_vi(self) -> &'static str {
        self.0.name_vi
    }

    /// The name without diacritics, as used in English text, e.g. `"Ho Chi Minh City"`;
    /// always ASCII.
    pub fn name_en(self) -> &'static str {
        self.0.name_en
    }

    /// The pre-2025 provinces that now form this one, in order of code: one for the 11
    /// unchanged provinces, two or three for the merged ones; never none.
    pub fn former(self) -> impl Iterator<Item = OldProvince> {
        OLD_ALL
            .iter()
            .copied()
            .filter(move |old| old.current() == self)
    }
}

impl PartialEq for NewProvince {
    fn eq(&self, other: &Self) -> bool {
        self.0.code == other.0.code
    }
}

impl Eq for NewProvince {}

impl Hash for NewProvince {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.code.hash(state);
    }
}

impl PartialOrd for NewProvince {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for NewProvince {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.code.cmp(&other.0.code)
    }
}

impl fmt::Debug for NewProvince {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NewProvince({})", self.0.key)
    }
}

crate::openapi::string_schema!(
    NewProvince,
    "A province since 1 July 2025 (34), by its two-digit code."
);

impl serde::Serialize for NewProvince {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.key)
    }
}

impl<'de> serde::Deserialize<'de> for NewProvince {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        NewProvince::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Compile-time readers of the two TSV files.
///
/// These functions are called only from `static` initialisers, which the compiler evaluates
/// while building the crate: a `panic!` or an out-of-bounds index here is a compile error that
/// names the broken table, never a run-time panic. That is why the crate-wide denials of
/// `panic` and `indexing_slicing` are lifted for this module alone.
#[allow(clippy::panic, clippy::indexing_slicing)]
mod table {
    use super::{NEW_COUNT, NewProvince, NewRow, OLD_COUNT, OldProvince, OldRow};

    /// The `Copy` handles of the 34 rows, in table order.
    pub(super) const fn new_handles(
        rows: &'static [NewRow; NEW_COUNT],
    ) -> [NewProvince; NEW_COUNT] {
        let mut out = [NewProvince(&rows[0]); NEW_COUNT];
        let mut i = 0;
        while i < NEW_COUNT {
            out[i] = NewProvince(&rows[i]);
            i += 1;
        }
        out
    }

    /// The `Copy` handles of the 63 rows, in table order.
    pub(super) const fn old_handles(
        rows: &'static [OldRow; OLD_COUNT],
    ) -> [OldProvince; OLD_COUNT] {
        let mut out = [OldProvince(&rows[0]); OLD_COUNT];
        let mut i = 0;
        while i < OLD_COUNT {
            out[i] = OldProvince(&rows[i]);
            i += 1;
        }
        out
    }

    /// Parses `provinces_2025.tsv`: code, key, Vietnamese name, ASCII name.
    pub(super) const fn parse_new(tsv: &'static [u8]) -> [NewRow; NEW_COUNT] {
        const BLANK: NewRow = NewRow {
            code: 0,
            key: "",
            name_vi: "",
            name_en: "",
        };
        let mut out = [BLANK; NEW_COUNT];
        let mut rest = tsv;
        let mut n = 0;
        while let Some((line, tail)) = next_record(rest) {
            rest = tail;
            let (code, line) = field(line);
            let (key, line) = field(line);
            let (name_vi, line) = field(line);
            let (name_en, line) = field(line);
            if !line.is_empty() {
                panic!("provinces_2025.tsv: a row has more than 4 columns");
            }
            if n == NEW_COUNT {
                panic!("provinces_2025.tsv: more than 34 provinces");
            }
            if !is_key(key.as_bytes()) {
                panic!("provinces_2025.tsv: a key is not lower-case ASCII words joined by '_'");
            }
            if !name_en.is_ascii() {
                panic!("provinces_2025.tsv: an ASCII name has non-ASCII characters");
            }
            let code = number(code.as_bytes(), 2);
            let mut i = 0;
            while i < n {
                if out[i].code as u16 >= code {
                    panic!("provinces_2025.tsv: codes are not strictly increasing");
                }
                if eq(out[i].key, key) || eq(out[i].name_vi, name_vi) || eq(out[i].name_en, name_en)
                {
                    panic!("provinces_2025.tsv: a key or name appears twice");
                }
                i += 1;
            }
            out[n] = NewRow {
                code: code as u8,
                key,
                name_vi,
                name_en,
            };
            n += 1;
        }
        if n != NEW_COUNT {
            panic!("provinces_2025.tsv: fewer than 34 provinces");
        }
        out
    }

    /// Parses `provinces.tsv`: old code, Vietnamese name, ASCII name, new key, new name; the
    /// new key and name must match a row of `new`.
    pub(super) const fn parse_old(
        tsv: &'static [u8],
        new: &'static [NewRow; NEW_COUNT],
    ) -> [OldRow; OLD_COUNT] {
        let mut out = [OldRow {
            code: 0,
            code_str: "",
            name_vi: "",
            name_en: "",
            new: &new[0],
        }; OLD_COUNT];
        let mut rest = tsv;
        let mut n = 0;
        while let Some((line, tail)) = next_record(rest) {
            rest = tail;
            let (code_str, line) = field(line);
            let (name_vi, line) = field(line);
            let (name_en, line) = field(line);
            let (new_key, line) = field(line);
            let (new_name_vi, line) = field(line);
            if !line.is_empty() {
                panic!("provinces.tsv: a row has more than 5 columns");
            }
            if n == OLD_COUNT {
                panic!("provinces.tsv: more than 63 provinces");
            }
            if !name_en.is_ascii() {
                panic!("provinces.tsv: an ASCII name has non-ASCII characters");
            }
            let code = number(code_str.as_bytes(), 3);
            let mut i = 0;
            while i < n {
                if out[i].code >= code {
                    panic!("provinces.tsv: codes are not strictly increasing");
                }
                if eq(out[i].name_vi, name_vi) || eq(out[i].name_en, name_en) {
                    panic!("provinces.tsv: a name appears twice");
                }
                i += 1;
            }
            let mut j = 0;
            let mut found = None;
            while j < NEW_COUNT {
                if eq(new[j].key, new_key) {
                    if !eq(new[j].name_vi, new_name_vi) {
                        panic!("provinces.tsv: a new name disagrees with provinces_2025.tsv");
                    }
                    found = Some(&new[j]);
                }
                j += 1;
            }
            let Some(new_row) = found else {
                panic!("provinces.tsv: a new key is not in provinces_2025.tsv");
            };
            out[n] = OldRow {
                code,
                code_str,
                name_vi,
                name_en,
                new: new_row,
            };
            n += 1;
        }
        if n != OLD_COUNT {
            panic!("provinces.tsv: fewer than 63 provinces");
        }
        out
    }

    /// The next line that is neither blank nor a `#` comment, without its line ending
    /// (`\r\n` too, for checkouts that convert line endings), and the text after it.
    const fn next_record(mut s: &'static [u8]) -> Option<(&'static [u8], &'static [u8])> {
        while !s.is_empty() {
            let (line, rest) = split_once(s, b'\n');
            s = rest;
            let line = match line {
                [init @ .., b'\r'] => init,
                _ => line,
            };
            match line {
                [] | [b'#', ..] => {}
                _ => return Some((line, rest)),
            }
        }
        None
    }

    /// The first tab-separated field of a line, as non-empty UTF-8, and the rest of the line.
    const fn field(line: &'static [u8]) -> (&'static str, &'static [u8]) {
        let (head, rest) = split_once(line, b'\t');
        if head.is_empty() {
            panic!("province table: a row has an empty or missing column");
        }
        match core::str::from_utf8(head) {
            Ok(s) => (s, rest),
            Err(_) => panic!("province table: a column is not UTF-8"),
        }
    }

    /// Splits at the first `sep`, dropping it; the whole input and nothing if it is absent.
    const fn split_once(s: &'static [u8], sep: u8) -> (&'static [u8], &'static [u8]) {
        let mut i = 0;
        while i < s.len() {
            if s[i] == sep {
                let (head, tail) = s.split_at(i);
                let (_, after) = tail.split_at(1);
                return (head, after);
            }
            i += 1;
        }
        (s, &[])
    }

    /// A number written with exactly `width` ASCII digits.
    const fn number(digits: &[u8], width: usize) -> u16 {
        if digits.len() != width {
            panic!("province table: a code has the wrong number of digits");
        }
        let mut value: u16 = 0;
        let mut i = 0;
        while i < digits.len() {
            let d = digits[i];
            if !d.is_ascii_digit() {
                panic!("province table: a code is not all digits");
            }
            value = value * 10 + (d - b'0') as u16;
            i += 1;
        }
        value
    }

    /// Lower-case ASCII letters in words joined by single `_`.
    const fn is_key(key: &[u8]) -> bool {
        let mut i = 0;
        let mut prev_underscore = true;
        while i < key.len() {
            let c = key[i];
            if c == b'_' {
                if prev_underscore {
                    return false;
                }
                prev_underscore = true;
            } else if c.is_ascii_lowercase() {
                prev_underscore = false;
            } else {
                return false;
            }
            i += 1;
        }
        !prev_underscore
    }

    /// `a == b`, which `str`'s `PartialEq` cannot do in const context.
    const fn eq(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    /// The codes of Circular 59/2021/TT-BCA, typed here independently of the data file.
    const ISSUED_CODES: [u16; 63] = [
        1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36,
        37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74,
        75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
    ];

    /// Resolution 202/2025/QH15, typed here independently of the data file: each new
    /// province (key, code under Decision 19/2025/QĐ-TTg) and the old codes that form it.
    const MERGERS: [(&str, u8, &[u16]); 34] = [
        ("ha_noi", 1, &[1]),
        ("cao_bang", 4, &[4]),
        ("tuyen_quang", 8, &[2, 8]),
        ("dien_bien", 11, &[11]),
        ("lai_chau", 12, &[12]),
        ("son_la", 14, &[14]),
        ("lao_cai", 15, &[10, 15]),
        ("thai_nguyen", 19, &[6, 19]),
        ("lang_son", 20, &[20]),
        ("quang_ninh", 22, &[22]),
        ("bac_ninh", 24, &[24, 27]),
        ("phu_tho", 25, &[17, 25, 26]),
        ("hai_phong", 31, &[30, 31]),
        ("hung_yen", 33, &[33, 34]),
        ("ninh_binh", 37, &[35, 36, 37]),
        ("thanh_hoa", 38, &[38]),
        ("nghe_an", 40, &[40]),
        ("ha_tinh", 42, &[42]),
        ("quang_tri", 44, &[44, 45]),
        ("hue", 46, &[46]),
        ("da_nang", 48, &[48, 49]),
        ("quang_ngai", 51, &[51, 62]),
        ("gia_lai", 52, &[52, 64]),
        ("khanh_hoa", 56, &[56, 58]),
        ("dak_lak", 66, &[54, 66]),
        ("lam_dong", 68, &[60, 67, 68]),
        ("dong_nai", 75, &[70, 75]),
        ("ho_chi_minh", 79, &[74, 77, 79]),
        ("tay_ninh", 80, &[72, 80]),
        ("dong_thap", 82, &[82, 87]),
        ("vinh_long", 86, &[83, 84, 86]),
        ("an_giang", 91, &[89, 91]),
        ("can_tho", 92, &[92, 93, 94]),
        ("ca_mau", 96, &[95, 96]),
    ];

    #[test]
    fn there_are_63_old_and_34_new_provinces() {
        assert_eq!(OldProvince::all().len(), 63);
        assert_eq!(NewProvince::all().len(), 34);
    }

    #[test]
    fn old_codes_are_exactly_the_issued_ones_in_order() {
        let codes: Vec<u16> = OldProvince::all().iter().map(|p| p.code()).collect();
        assert_eq!(codes, ISSUED_CODES);
        for code in 0..1000 {
            assert_eq!(
                OldProvince::from_code(code).is_some(),
                ISSUED_CODES.contains(&code)
            );
        }
    }

    #[test]
    fn mapping_matches_resolution_202_and_decision_19() {
        for (key, code, olds) in MERGERS {
            let new = NewProvince::parse(key).unwrap();
            assert_eq!(new.code(), code, "{key}");
            assert_eq!(NewProvince::from_code(code), Some(new));
            let former: Vec<u16> = new.former().map(|p| p.code()).collect();
            assert_eq!(former, olds, "{key}");
        }
    }

    #[test]
    fn every_old_province_belongs_to_exactly_one_new_one() {
        for old in OldProvince::all() {
            let owners: Vec<NewProvince> = NewProvince::all()
                .iter()
                .copied()
                .filter(|new| new.former().any(|f| f == *old))
                .collect();
            assert_eq!(owners, vec![old.current()], "{old:?}");
        }
        let total: usize = NewProvince::all().iter().map(|n| n.former().count()).sum();
        assert_eq!(total, 63);
    }

    #[test]
    fn every_new_province_has_one_to_three_former_ones() {
        for new in NewProvince::all() {
            let n = new.former().count();
            assert!((1..=3).contains(&n), "{new:?} has {n}");
        }
        let unchanged = NewProvince::all()
            .iter()
            .filter(|n| n.former().count() == 1)
            .count();
        assert_eq!(unchanged, 11);
    }

    #[test]
    fn unchanged_provinces_map_to_themselves_by_name() {
        for new in NewProvince::all()
            .iter()
            .filter(|n| n.former().count() == 1)
        {
            let old = new.former().next().unwrap();
            // Thừa Thiên Huế became the centrally-run city of Huế on 1 January 2025, before
            // the reorganisation; its code 046 is listed under the name it was issued under.
            if new.key() == "hue" {
                assert_eq!(old.name_vi(), "Thừa Thiên Huế");
            } else {
                assert_eq!(old.name_vi(), new.name_vi());
                assert_eq!(old.name_en(), new.name_en());
            }
        }
    }

    #[test]
    fn merged_provinces_keep_the_name_of_one_former_province() {
        for new in NewProvince::all().iter().filter(|n| n.former().count() > 1) {
            assert!(
                new.former().any(|old| old.name_vi() == new.name_vi()),
                "{new:?}"
            );
        }
    }

    #[test]
    fn names_keys_and_codes_are_unique() {
        let olds = OldProvince::all();
        let news = NewProvince::all();
        let distinct = |v: Vec<&str>| v.iter().collect::<HashSet<_>>().len();
        assert_eq!(distinct(olds.iter().map(|p| p.name_vi()).collect()), 63);
        assert_eq!(distinct(olds.iter().map(|p| p.name_en()).collect()), 63);
        assert_eq!(distinct(olds.iter().map(|p| p.code_str()).collect()), 63);
        assert_eq!(distinct(news.iter().map(|p| p.name_vi()).collect()), 34);
        assert_eq!(distinct(news.iter().map(|p| p.name_en()).collect()), 34);
        assert_eq!(distinct(news.iter().map(|p| p.key()).collect()), 34);
        assert_eq!(
            news.iter().map(|p| p.code()).collect::<HashSet<_>>().len(),
            34
        );
    }

    #[test]
    fn ascii_names_are_ascii_and_keys_are_snake_case() {
        for p in OldProvince::all() {
            assert!(p.name_en().is_ascii(), "{p:?}");
            assert_eq!(p.code_str(), format!("{:03}", p.code()));
        }
        for p in NewProvince::all() {
            assert!(p.name_en().is_ascii(), "{p:?}");
            assert!(
                p.key().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{p:?}"
            );
        }
    }

    #[test]
    fn names_are_read_from_the_data_files() {
        let hcm = OldProvince::from_code(79).unwrap();
        assert_eq!(hcm.name_vi(), "TP. Hồ Chí Minh");
        assert_eq!(hcm.name_en(), "Ho Chi Minh City");
        let vt = OldProvince::from_code(77).unwrap();
        assert_eq!(vt.name_vi(), "Bà Rịa - Vũng Tàu");
        assert_eq!(vt.current(), hcm.current());
        assert_eq!(vt.current().key(), "ho_chi_minh");
        let dn = OldProvince::from_code(67).unwrap();
        assert_eq!(
            (dn.name_vi(), dn.current().name_vi()),
            ("Đắk Nông", "Lâm Đồng")
        );
    }

    #[test]
    fn all_lists_are_sorted_by_code() {
        assert!(OldProvince::all().windows(2).all(|w| w[0] < w[1]));
        assert!(NewProvince::all().windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn old_province_parses_three_digit_codes_only() {
        assert_eq!(OldProvince::parse("079").unwrap().code(), 79);
        assert_eq!(OldProvince::parse(" 0 7 9 ").unwrap().code(), 79);
        let problem = |s: &str| OldProvince::parse(s).unwrap_err().problem;
        assert_eq!(problem(""), IdProblem::Empty);
        assert_eq!(
            problem("79"),
            IdProblem::WrongLength {
                expected: "3",
                found: 2
            }
        );
        assert_eq!(
            problem("0079"),
            IdProblem::WrongLength {
                expected: "3",
                found: 4
            }
        );
        assert_eq!(problem("07a"), IdProblem::NotDigits);
        assert_eq!(problem("003"), IdProblem::UnknownProvince);
        assert_eq!(problem("000"), IdProblem::UnknownProvince);
        assert_eq!(
            OldProvince::parse("003").unwrap_err().kind,
            IdKind::Province
        );
    }

    #[test]
    fn new_province_parses_exact_keys_only() {
        assert_eq!(NewProvince::parse("ho_chi_minh").unwrap().code(), 79);
        let problem = |s: &str| NewProvince::parse(s).unwrap_err().problem;
        assert_eq!(problem(""), IdProblem::Empty);
        assert_eq!(problem("Ho_Chi_Minh"), IdProblem::UnknownProvince);
        assert_eq!(problem(" hue"), IdProblem::UnknownProvince);
        assert_eq!(problem("binh_duong"), IdProblem::UnknownProvince);
        assert_eq!(problem(&"a".repeat(400)), IdProblem::TooLong { max: 320 });
        assert_eq!(NewProvince::from_code(2), None);
    }

    #[test]
    fn debug_shows_code_or_key() {
        let old = OldProvince::from_code(1).unwrap();
        assert_eq!(format!("{old:?}"), "OldProvince(001 Hà Nội)");
        assert_eq!(format!("{:?}", old.current()), "NewProvince(ha_noi)");
    }

    #[test]
    fn serde_uses_code_string_and_key() {
        let old = OldProvince::from_code(8).unwrap();
        assert_eq!(serde_json::to_string(&old).unwrap(), r#""008""#);
        assert_eq!(
            serde_json::to_string(&old.current()).unwrap(),
            r#""tuyen_quang""#
        );
        assert!(serde_json::from_str::<OldProvince>(r#""003""#).is_err());
        assert!(serde_json::from_str::<OldProvince>("8").is_err());
        assert!(serde_json::from_str::<NewProvince>(r#""ha_giang""#).is_err());
    }

    proptest! {
        #[test]
        fn old_province_serde_round_trips(i in 0usize..63) {
            let p = OldProvince::all()[i];
            let json = serde_json::to_string(&p).unwrap();
            prop_assert_eq!(serde_json::from_str::<OldProvince>(&json).unwrap(), p);
            prop_assert_eq!(OldProvince::parse(p.code_str()).unwrap(), p);
        }

        #[test]
        fn new_province_serde_round_trips(i in 0usize..34) {
            let p = NewProvince::all()[i];
            let json = serde_json::to_string(&p).unwrap();
            prop_assert_eq!(serde_json::from_str::<NewProvince>(&json).unwrap(), p);
            prop_assert_eq!(NewProvince::parse(p.key()).unwrap(), p);
        }
    }

    // The table readers run at compile time; running them here on altered copies of the
    // real files shows that a broken file would stop the build.

    const OLD_TSV: &str = include_str!("../../data/provinces.tsv");
    const NEW_TSV: &str = include_str!("../../data/provinces_2025.tsv");

    fn leaked(s: String) -> &'static [u8] {
        s.leak().as_bytes()
    }

    #[test]
    fn table_readers_accept_the_shipped_files_with_windows_line_endings() {
        let new = table::parse_new(leaked(NEW_TSV.replace('\n', "\r\n")));
        assert_eq!(new.map(|r| r.key), NEW_ROWS.map(|r| r.key));
        let new: &'static [NewRow; NEW_COUNT] = Box::leak(Box::new(new));
        let old = table::parse_old(leaked(OLD_TSV.replace('\n', "\r\n")), new);
        assert_eq!(
            old.map(|r| (r.code, r.new.key)),
            OLD_ROWS.map(|r| (r.code, r.new.key))
        );
    }

    #[test]
    #[should_panic(expected = "a new name disagrees")]
    fn a_mapping_row_whose_new_name_disagrees_is_rejected() {
        table::parse_old(
            leaked(OLD_TSV.replace("\thue\tHuế", "\thue\tHue")),
            &NEW_ROWS,
        );
    }

    #[test]
    #[should_panic(expected = "a new key is not in")]
    fn a_mapping_row_with_an_unknown_new_key_is_rejected() {
        table::parse_old(
            leaked(OLD_TSV.replace("\tca_mau\t", "\tbac_lieu\t")),
            &NEW_ROWS,
        );
    }

    #[test]
    #[should_panic(expected = "fewer than 63")]
    fn a_mapping_with_a_missing_row_is_rejected() {
        let short: String = OLD_TSV
            .lines()
            .filter(|l| !l.starts_with("095"))
            .map(|l| format!("{l}\n"))
            .collect();
        table::parse_old(leaked(short), &NEW_ROWS);
    }

    #[test]
    #[should_panic(expected = "not strictly increasing")]
    fn a_mapping_with_a_repeated_code_is_rejected() {
        table::parse_old(leaked(OLD_TSV.replace("096\t", "095\t")), &NEW_ROWS);
    }

    #[test]
    #[should_panic(expected = "more than 4 columns")]
    fn a_province_row_with_an_extra_column_is_rejected() {
        table::parse_new(leaked(NEW_TSV.replace("\tCa Mau", "\tCa Mau\tx")));
    }

    #[test]
    #[should_panic(expected = "a key is not lower-case")]
    fn a_province_key_with_capitals_is_rejected() {
        table::parse_new(leaked(NEW_TSV.replace("\tca_mau\t", "\tCa_mau\t")));
    }
}
