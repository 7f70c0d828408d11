//! The canonical JSON of action bodies (`canonical_json`), over any JSON a client can send.
//!
//! Properties: no panic; the canonical form is valid JSON of the same value; it is idempotent
//! (canonicalising it again gives the same bytes); it does not depend on how the input was
//! spaced or ordered (the compact and pretty serialisations of the value give the same bytes);
//! it contains no whitespace outside strings; it equals an independent spelling of its rules
//! (`serde_json`'s compact writer); and it is refused exactly when the value has a
//! float or nests deeper than `MAX_BODY_DEPTH`.
#![no_main]

use dinhdanh_core::signed_action::{MAX_BODY_DEPTH, canonical_body_hash, canonical_json};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let refusable = has_float(&value) || depth(&value) > MAX_BODY_DEPTH + 1;
    let canonical = match canonical_json(&value) {
        Ok(bytes) => bytes,
        Err(_) => {
            assert!(
                refusable,
                "refused a body with no float within the depth limit"
            );
            return;
        }
    };
    assert!(!refusable, "accepted a float or a body nested too deeply");
    let reparsed: Value = serde_json::from_slice(&canonical).expect("canonical JSON is JSON");
    assert_eq!(reparsed, value);
    assert_eq!(
        canonical_json(&reparsed).expect("still canonical"),
        canonical
    );
    let pretty = serde_json::to_vec_pretty(&value).expect("a value serialises");
    let from_pretty: Value = serde_json::from_slice(&pretty).expect("pretty JSON parses");
    assert_eq!(canonical_json(&from_pretty).expect("canonical"), canonical);
    assert_eq!(
        canonical_body_hash(&value).expect("hashes"),
        canonical_body_hash(&from_pretty).expect("hashes")
    );
    assert_no_whitespace_outside_strings(&canonical);
    // An independent spelling of the same rules: `serde_json`'s compact writer over its
    // `BTreeMap` objects (keys in byte order; `preserve_order` is off in this build) with the
    // same string escaping and integers only.
    assert_eq!(serde_json::to_vec(&value).expect("serialises"), canonical);
});

fn has_float(value: &Value) -> bool {
    match value {
        Value::Number(n) => n.as_i64().is_none() && n.as_u64().is_none(),
        Value::Array(items) => items.iter().any(has_float),
        Value::Object(map) => map.values().any(has_float),
        _ => false,
    }
}

/// Levels of values: a scalar is 1, `[1]` is 2.
fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 1,
    }
}

fn assert_no_whitespace_outside_strings(bytes: &[u8]) {
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else {
            assert!(!b.is_ascii_whitespace(), "whitespace outside a string");
        }
    }
}
