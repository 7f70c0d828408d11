//! The canonical JSON of an action body and its hash, the `body_hash` both sides compute.

use serde::Serialize;

use crate::crypto::{self, Digest32};
use crate::signed_action::error::ActionError;

/// Deepest nesting of arrays/objects accepted in an action body.
pub const MAX_BODY_DEPTH: usize = 32;

/// The canonical JSON of an action body: object keys sorted by their UTF-8 bytes, no
/// whitespace, integers only, strings escaped as `serde_json` escapes them.
///
/// Keys are sorted here rather than relying on `serde_json::Map` being a `BTreeMap`, because
/// any crate in a build enabling `serde_json/preserve_order` would silently change that.
/// Floats are rejected ([`ActionError::BodyNotCanonical`]): their text form is not stable
/// across implementations. Note that `serde_json` turns a non-finite float into `null` before
/// this function sees it, so bodies must not carry floats at all — amounts are integers.
pub fn canonical_json<T: Serialize + ?Sized>(body: &T) -> Result<Vec<u8>, ActionError> {
    let value = serde_json::to_value(body).map_err(|_| ActionError::BodyNotCanonical {
        detail_vi: "không chuyển được sang JSON",
        detail_en: "cannot be represented as JSON",
    })?;
    let mut out = Vec::with_capacity(128);
    write_canonical(&value, 0, &mut out)?;
    Ok(out)
}

/// SHA-256 of [`canonical_json`]: the `body_hash` of a
/// [`SignedAction`](crate::signed_action::SignedAction). The device hashes the content it
/// showed the person; the server hashes the body it received, parsed into the same type, with
/// this same function.
pub fn canonical_body_hash<T: Serialize + ?Sized>(body: &T) -> Result<Digest32, ActionError> {
    canonical_json(body).map(|bytes| crypto::sha256(&bytes))
}

fn write_canonical(
    value: &serde_json::Value,
    depth: usize,
    out: &mut Vec<u8>,
) -> Result<(), ActionError> {
    use serde_json::Value;
    if depth > MAX_BODY_DEPTH {
        return Err(ActionError::BodyNotCanonical {
            detail_vi: "lồng nhau quá sâu",
            detail_en: "is nested too deeply",
        });
    }
    let string = |s: &str, out: &mut Vec<u8>| {
        serde_json::to_writer(&mut *out, s).map_err(|_| ActionError::BodyNotCanonical {
            detail_vi: "chuỗi không ghi được",
            detail_en: "has a string that cannot be written",
        })
    };
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.extend_from_slice(i.to_string().as_bytes());
            } else if let Some(u) = n.as_u64() {
                out.extend_from_slice(u.to_string().as_bytes());
            } else {
                return Err(ActionError::BodyNotCanonical {
                    detail_vi: "có số thực (chỉ được dùng số nguyên)",
                    detail_en: "contains a float (integers only)",
                });
            }
        }
        Value::String(s) => string(s, out)?,
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, depth + 1, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                string(key, out)?;
                out.push(b':');
                write_canonical(item, depth + 1, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}
