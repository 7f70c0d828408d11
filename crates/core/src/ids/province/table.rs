//! Compile-time readers of the two TSV files.
//!
//! These functions are called only from `static` initialisers, which the compiler evaluates
//! while building the crate: a `panic!` or an out-of-bounds index here is a compile error that
//! names the broken table, never a run-time panic. That is why the crate-wide denials of
//! `panic` and `indexing_slicing` are lifted for this module alone.
#![allow(clippy::panic, clippy::indexing_slicing)]

use crate::ids::province::{NEW_COUNT, NewProvince, NewRow, OLD_COUNT, OldProvince, OldRow};

/// The `Copy` handles of the 34 rows, in table order.
pub(super) const fn new_handles(rows: &'static [NewRow; NEW_COUNT]) -> [NewProvince; NEW_COUNT] {
    let mut out = [NewProvince(&rows[0]); NEW_COUNT];
    let mut i = 0;
    while i < NEW_COUNT {
        out[i] = NewProvince(&rows[i]);
        i += 1;
    }
    out
}

/// The `Copy` handles of the 63 rows, in table order.
pub(super) const fn old_handles(rows: &'static [OldRow; OLD_COUNT]) -> [OldProvince; OLD_COUNT] {
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
            if eq(out[i].key, key) || eq(out[i].name_vi, name_vi) || eq(out[i].name_en, name_en) {
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
