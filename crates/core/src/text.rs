//! The one text policy for free text a person enters and another person reads: names,
//! labels (a device's name, a desktop's computer name and operating system), reasons,
//! questions and answers, and later relying parties' names. The server applies it at every
//! input of such text, with a typed error ([`TextProblem`]); the app passes text it shows from
//! others through [`shown`], so text stored before the policy, or sent by a server that does
//! not apply it, cannot spoof a screen either.
//!
//! Refused, because they make text display as something other than what it is, or invisibly
//! different from other text: control characters (a newline only where the field is
//! multi-line), every Unicode *format* character (bidirectional marks, embeddings, overrides
//! and isolates, zero-width spaces and joiners, the byte-order mark, soft hyphens, tags),
//! line and paragraph separators, private-use and unassigned code points, and more than
//! [`MAX_MARKS_IN_A_ROW`] combining marks on one letter (Vietnamese needs at most two even when
//! decomposed). Length is counted in characters, with a bound per field.

use serde::{Deserialize, Serialize};
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

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
    /// A control character, a bidirectional override or isolate, a zero-width or other
    /// invisible format character, or a private-use or unassigned code point (any of which can
    /// make text display as something other than what it is).
    ControlCharacter,
    /// More combining marks on one letter than any language needs (text that spills over the
    /// lines around it).
    StackedMarks,
}

impl TextProblem {
    /// Stable machine name of the problem.
    pub fn code(self) -> &'static str {
        match self {
            TextProblem::Empty => "required",
            TextProblem::TooLong { .. } => "too_long",
            TextProblem::ControlCharacter => "control_character",
            TextProblem::StackedMarks => "stacked_marks",
        }
    }

    /// Vietnamese predicate, completing "<label> ...".
    pub fn message_vi(self) -> String {
        match self {
            TextProblem::Empty => "là bắt buộc".into(),
            TextProblem::TooLong { max } => format!("quá dài (tối đa {max} ký tự)"),
            TextProblem::ControlCharacter => {
                "chứa ký tự điều khiển hoặc ký tự ẩn không được phép".into()
            }
            TextProblem::StackedMarks => "chứa quá nhiều dấu chồng lên một chữ".into(),
        }
    }

    /// English predicate, completing "<label> ...".
    pub fn message_en(self) -> String {
        match self {
            TextProblem::Empty => "is required".into(),
            TextProblem::TooLong { max } => format!("is too long (at most {max} characters)"),
            TextProblem::ControlCharacter => {
                "contains a control character or an invisible character".into()
            }
            TextProblem::StackedMarks => "stacks too many marks on one letter".into(),
        }
    }
}

/// The most combining marks allowed in a row on one letter.
pub const MAX_MARKS_IN_A_ROW: usize = 3;

/// The most characters of a label: a device's name, a desktop's computer name or operating
/// system.
pub const MAX_LABEL_CHARS: usize = 64;

/// The most characters of a reason, question or answer written to another person.
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// Whether `c` may never appear in text shown to another person (see the module's
/// documentation); a newline is allowed where `multi_line`.
pub fn is_forbidden_char(c: char, multi_line: bool) -> bool {
    if c == '\n' {
        return !multi_line;
    }
    // Letters and marks that draw nothing, the usual fillers of invisible "names".
    if matches!(
        c,
        '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{2800}' | '\u{3164}' | '\u{FFA0}'
    ) {
        return true;
    }
    // Ordinary whitespace (space, no-break space, the typographic spaces) is collapsed by the
    // parser; line and paragraph separators are not (they break lines like a newline).
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::PrivateUse
            | GeneralCategory::Surrogate
            | GeneralCategory::Unassigned
    )
}

fn is_mark(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::NonspacingMark
            | GeneralCategory::SpacingMark
            | GeneralCategory::EnclosingMark
    )
}

/// Normalises free text: trims it, collapses runs of spaces (and, for single-line text, every
/// whitespace) into one space, and checks 1..=`max` characters under the module's policy.
pub fn parse_text(input: &str, max: usize, multi_line: bool) -> Result<String, TextProblem> {
    // A cheap bound before any work: no character is wider than 4 bytes in UTF-8, and
    // surrounding whitespace rarely adds more than a few hundred bytes.
    if input.len() > max.saturating_mul(4).saturating_add(256) {
        return Err(TextProblem::TooLong { max });
    }
    let mut out = String::with_capacity(input.len());
    let mut pending_space = false;
    let mut marks = 0usize;
    for c in input.trim().chars() {
        // Line ends typed on Windows arrive as CRLF; keep the LF only.
        if multi_line && c == '\r' {
            continue;
        }
        if is_forbidden_char(c, multi_line) {
            return Err(TextProblem::ControlCharacter);
        }
        if is_mark(c) {
            marks += 1;
            if marks > MAX_MARKS_IN_A_ROW {
                return Err(TextProblem::StackedMarks);
            }
        } else {
            marks = 0;
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

/// A label another person reads (a device's name, a desktop's computer name or operating
/// system): one line, 1..=[`MAX_LABEL_CHARS`] characters, under the module's policy.
pub fn label(input: &str) -> Result<String, TextProblem> {
    parse_text(input, MAX_LABEL_CHARS, false)
}

/// A reason, question or answer another person reads: newlines allowed,
/// 1..=`max` characters, under the module's policy.
pub fn message(input: &str, max: usize) -> Result<String, TextProblem> {
    parse_text(input, max, true)
}

/// Text from someone else as a screen shows it: every character the policy refuses replaced
/// by U+FFFD (so a spoofing attempt shows as such instead of vanishing), newlines only where
/// `multi_line`, and at most `max` characters (an ellipsis marks a cut).
pub fn shown(text: &str, max: usize, multi_line: bool) -> String {
    let mut out = String::with_capacity(text.len().min(max.saturating_mul(4)));
    let mut marks = 0usize;
    for (count, c) in text.trim().chars().enumerate() {
        if count >= max {
            out.push('…');
            break;
        }
        if multi_line && c == '\r' {
            continue;
        }
        let c = if c == '\n' && !multi_line {
            ' '
        } else if is_forbidden_char(c, multi_line) {
            '\u{FFFD}'
        } else {
            c
        };
        if is_mark(c) {
            marks += 1;
            if marks > MAX_MARKS_IN_A_ROW {
                continue;
            }
        } else {
            marks = 0;
        }
        out.push(c);
    }
    out
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
            /// the text policy (no control, bidirectional or invisible characters).
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
            concat!(
                "`",
                stringify!($name),
                "`: trimmed text of bounded length (characters), without control, \
                 bidirectional or invisible characters."
            ),
            |b| b.min_length(Some(1)).max_length(Some($max))
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

    #[test]
    fn bidirectional_controls_zero_width_and_invisible_characters_are_refused() {
        for bad in [
            "Máy tính\u{202E}exe.txt",
            "a\u{2066}b",
            "Lan\u{200B}",
            "\u{200F}Lan",
            "Lan\u{FEFF}Anh",
            "Lan\u{00AD}Anh",
            "Lan\u{2028}Anh",
            "Lan\u{E0041}",
            "\u{3164}",
            "Lan\u{E000}",
            "tab\there",
        ] {
            assert_eq!(label(bad), Err(TextProblem::ControlCharacter), "{bad:?}");
            assert_eq!(
                message(bad, 100),
                Err(TextProblem::ControlCharacter),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn labels_are_one_line_and_messages_keep_newlines() {
        assert_eq!(
            label("Điện thoại\ncủa Lan"),
            Err(TextProblem::ControlCharacter)
        );
        assert_eq!(
            message("Thiếu giấy tờ.\r\nVui lòng bổ sung.", 100).as_deref(),
            Ok("Thiếu giấy tờ.\nVui lòng bổ sung.")
        );
        assert_eq!(
            label(&"a".repeat(MAX_LABEL_CHARS + 1)),
            Err(TextProblem::TooLong {
                max: MAX_LABEL_CHARS
            })
        );
    }

    #[test]
    fn vietnamese_marks_pass_even_decomposed_but_a_pile_of_marks_does_not() {
        // "ệ" decomposed: e, combining dot below, combining circumflex.
        assert_eq!(
            label("Nguye\u{323}\u{302}n").as_deref(),
            Ok("Nguye\u{323}\u{302}n")
        );
        assert_eq!(
            label("Lan\u{300}\u{301}\u{302}\u{303}"),
            Err(TextProblem::StackedMarks)
        );
    }

    #[test]
    fn shown_text_marks_what_the_policy_refuses_and_is_cut_to_length() {
        assert_eq!(shown("Máy\u{202E}txt", 64, false), "Máy\u{FFFD}txt");
        assert_eq!(shown("Lan\nAnh", 64, false), "Lan Anh");
        assert_eq!(shown("Lan\nAnh", 64, true), "Lan\nAnh");
        assert_eq!(shown("abcdef", 3, false), "abc…");
    }

    proptest! {
        #[test]
        fn accepted_text_holds_no_forbidden_character(s in any::<String>(), multi in any::<bool>()) {
            if let Ok(t) = parse_text(&s, 200, multi) {
                prop_assert!(!t.chars().any(|c| is_forbidden_char(c, multi)));
                prop_assert_eq!(parse_text(&t, 200, multi), Ok(t.clone()));
            }
        }

        #[test]
        fn shown_text_holds_no_forbidden_character_and_is_bounded(
            s in any::<String>(),
            multi in any::<bool>(),
            max in 1usize..100,
        ) {
            let t = shown(&s, max, multi);
            prop_assert!(!t.chars().any(|c| is_forbidden_char(c, multi)));
            prop_assert!(t.chars().count() <= max + 1);
        }


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
