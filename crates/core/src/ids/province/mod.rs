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
    table::parse_new(include_str!("../../../data/provinces_2025.tsv").as_bytes());

static OLD_ROWS: [OldRow; OLD_COUNT] = table::parse_old(
    include_str!("../../../data/provinces.tsv").as_bytes(),
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
mod tests;
