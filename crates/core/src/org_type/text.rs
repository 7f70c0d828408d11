//! Free text a person types (names, addresses, answers to an officer): one normalisation and
//! one set of problems, shared by the organisation form and the registration flow.

use serde::{Deserialize, Serialize};

/// What is wrong with a piece of free text (a name, an address, an answer to an officer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextProblem {
    /// Nothing but whitespace.
    Empty,
    /// More characters than allowed.
    TooLong {
        /// The most characters allowed.
        max: usize,
    },
    /// A control character or a bidirectional override (which can make a name display as
    /// something other than what it is).
    ControlCharacter,
}

impl TextProblem {
    /// Stable machine name of the problem.
    pub fn code(self) -> &'static str {
        match self {
            TextProblem::Empty => "required",
            TextProblem::TooLong { .. } => "too_long",
            TextProblem::ControlCharacter => "control_character",
        }
    }

    /// Vietnamese predicate, completing "<label> ...".
    pub fn message_vi(self) -> String {
        match self {
            TextProblem::Empty => "là bắt buộc".into(),
            TextProblem::TooLong { max } => format!("quá dài (tối đa {max} ký tự)"),
            TextProblem::ControlCharacter => "chứa ký tự điều khiển không được phép".into(),
        }
    }

    /// English predicate, completing "<label> ...".
    pub fn message_en(self) -> String {
        match self {
            TextProblem::Empty => "is required".into(),
            TextProblem::TooLong { max } => format!("is too long (at most {max} characters)"),
            TextProblem::ControlCharacter => "contains a control character".into(),
        }
    }
}

/// Whether `c` may never appear in text a person enters: control characters (except newline
/// where multi-line text is allowed) and the bidirectional overrides/isolates.
fn is_forbidden_char(c: char, multi_line: bool) -> bool {
    if multi_line && c == '\n' {
        return false;
    }
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Normalises free text: trims it, collapses runs of spaces (and, for single-line text, every
/// whitespace) into one space, and checks 1..=`max` characters without control characters.
pub(crate) fn parse_text(input: &str, max: usize, multi_line: bool) -> Result<String, TextProblem> {
    // A cheap bound before any work: no character is wider than 4 bytes in UTF-8, and
    // surrounding whitespace rarely adds more than a few hundred bytes.
    if input.len() > max.saturating_mul(4).saturating_add(256) {
        return Err(TextProblem::TooLong { max });
    }
    let mut out = String::with_capacity(input.len());
    let mut pending_space = false;
    for c in input.trim().chars() {
        // Line ends typed on Windows arrive as CRLF; keep the LF only.
        if multi_line && c == '\r' {
            continue;
        }
        if is_forbidden_char(c, multi_line) {
            return Err(TextProblem::ControlCharacter);
        }
        if c == '\n' {
            pending_space = false;
            out.push(c);
            continue;
        }
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    let count = out.chars().count();
    if count == 0 {
        return Err(TextProblem::Empty);
    }
    if count > max {
        return Err(TextProblem::TooLong { max });
    }
    Ok(out)
}

/// Implements a free-text newtype: parse, as_str, Display, serde-as-string (parsed again on the
/// way in).
macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// The most characters (Unicode scalar values) a value may have.
            pub const MAX_CHARS: usize = $max;

            /// Trims, collapses inner whitespace to single spaces, and checks the length and
            /// that no control character is present.
            pub fn parse(input: &str) -> Result<Self, TextProblem> {
                parse_text(input, Self::MAX_CHARS, false).map($name)
            }

            /// The normalised text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as Deserialize>::deserialize(d)?;
                $name::parse(&s).map_err(|p| ::serde::de::Error::custom(p.message_en()))
            }
        }

        $crate::openapi::string_schema!(
            $name,
            concat!("`", stringify!($name), "`: trimmed text of bounded length.")
        );
    };
}

bounded_text!(
    /// A name (of the organisation or of a person): trimmed, inner whitespace collapsed,
    /// 1..=255 characters, no control characters.
    Name,
    255
);

bounded_text!(
    /// A head-office address line (house number, street, ward): trimmed, inner whitespace
    /// collapsed, 1..=500 characters, no control characters.
    AddressLine,
    500
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_trimmed_and_inner_whitespace_collapsed() {
        let n = Name::parse("  Công ty   Cổ phần\u{a0}FPT ").unwrap();
        assert_eq!(n.as_str(), "Công ty Cổ phần FPT");
    }

    #[test]
    fn names_longer_than_255_characters_are_refused_counting_characters_not_bytes() {
        // 255 Vietnamese letters are 510 bytes but only 255 characters.
        assert!(Name::parse(&"Đ".repeat(255)).is_ok());
        assert_eq!(
            Name::parse(&"Đ".repeat(256)),
            Err(TextProblem::TooLong { max: 255 })
        );
        assert_eq!(
            Name::parse(&"a".repeat(100_000)),
            Err(TextProblem::TooLong { max: 255 })
        );
    }

    proptest! {
        #[test]
        fn name_parsing_is_idempotent_and_never_panics(s in any::<String>()) {
            if let Ok(n) = Name::parse(&s) {
                prop_assert_eq!(Name::parse(n.as_str()), Ok(n.clone()));
                prop_assert!(n.as_str().chars().count() <= Name::MAX_CHARS);
                prop_assert!(!n.as_str().starts_with(' ') && !n.as_str().ends_with(' '));
            }
        }
    }
}
