//! The one text policy (`dinhdanh_core::text`) for free text shown to another person.
//!
//! Properties: no panic; a parsed text is a fixed point (parsing it again gives it back); it
//! is within its limit of characters and has no surrounding whitespace (nor a newline when
//! single-line); `shown` never lets a character or a run of marks through that the policy
//! would refuse, and stays within its limit (plus the ellipsis); names and address lines
//! round-trip through their text and serde forms.
#![no_main]

use dinhdanh_core::org_type::{AddressLine, Name};
use dinhdanh_core::text::{self, TextProblem};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(input) = std::str::from_utf8(rest) else {
        return;
    };
    let multi_line = selector & 1 == 1;
    let max = usize::from(selector >> 1) + 1;
    if let Ok(out) = text::parse_text(input, max, multi_line) {
        assert!(out.chars().count() <= max);
        assert_eq!(out.trim(), out);
        assert_eq!(
            text::parse_text(&out, max, multi_line).as_deref(),
            Ok(out.as_str()),
            "not a fixed point"
        );
        if !multi_line {
            assert!(!out.contains('\n'));
        }
    }
    let shown = text::shown(input, max, multi_line);
    assert!(shown.chars().count() <= max + 1);
    if !multi_line {
        assert!(!shown.contains('\n'));
    }
    match text::parse_text(&shown, max + 1, multi_line) {
        Ok(_) | Err(TextProblem::Empty) => {}
        Err(e) => panic!("shown text is refused by the policy: {e:?}"),
    }
    if let Ok(name) = Name::parse(input) {
        assert_eq!(Name::parse(name.as_str()).as_ref(), Ok(&name));
        let json = serde_json::to_string(&name).expect("serialises");
        assert_eq!(
            serde_json::from_str::<Name>(&json).ok().as_ref(),
            Some(&name)
        );
    }
    if let Ok(line) = AddressLine::parse(input) {
        assert_eq!(AddressLine::parse(line.as_str()).as_ref(), Ok(&line));
    }
    if let Ok(label) = text::label(input) {
        assert_eq!(text::label(&label).as_deref(), Ok(label.as_str()));
    }
});
