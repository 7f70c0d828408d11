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

mod table;

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
    "A province of before 1 July 2025 (63), by its 3-digit code as in identification numbers.",
    |b| b.enum_values(Some(OldProvince::all().iter().map(|p| p.code_str())))
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
    "A province since 1 July 2025 (34), by its stable key (`ho_chi_minh`).",
    |b| b.enum_values(Some(NewProvince::all().iter().map(|p| p.key())))
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

#[cfg(test)]
mod tests;
