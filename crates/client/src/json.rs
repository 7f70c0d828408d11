//! Reading JSON (the server's answers and events, the profile's state file) into this
//! crate's types.
//!
//! The bytes are parsed into a `serde_json::Value`, and the type is read from that by
//! reference: the way the app's shell reads its commands' arguments, which Tauri hands over
//! as a `Value`. Each type's `Deserialize` is then compiled for that one deserializer, not
//! once more for serde_json's byte reader (the app's stripped release binary: 359,712 bytes
//! less, issue 17). The cost is a small tree per answer, and one difference from reading
//! the bytes straight into a struct: a key repeated within an object is taken once, the last,
//! where the struct would refuse it as a duplicate field. Our server never repeats one.

use serde::de::DeserializeOwned;

/// `bytes` read as JSON into `T`.
pub(crate) fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> serde_json::Result<T> {
    let value: serde_json::Value = serde_json::from_slice(bytes)?;
    T::deserialize(&value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Answer {
        name: String,
        count: u32,
        note: Option<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Event {
        Ready,
        Changed { id: u64 },
    }

    #[test]
    fn json_reads_into_types_as_strictly_as_from_bytes_but_for_repeated_keys() {
        let read = from_json::<Answer>(r#"{"name":"Tổ chức A","count":3,"note":null}"#.as_bytes());
        assert_eq!(
            read.unwrap(),
            Answer {
                name: "Tổ chức A".into(),
                count: 3,
                note: None
            }
        );
        assert_eq!(
            from_json::<Event>(br#"{"type":"changed","id":7}"#).unwrap(),
            Event::Changed { id: 7 }
        );
        assert_eq!(
            from_json::<Event>(br#"{"type":"ready"}"#).unwrap(),
            Event::Ready
        );
        // Refused as from bytes: not JSON, trailing bytes, a wrong type, a missing field, an
        // unknown field, a number out of range, an unknown variant.
        for bad in [
            &br#"{"name":"A","count":3"#[..],
            br#"{"name":"A","count":3} x"#,
            br#"{"name":"A","count":"3"}"#,
            br#"{"name":"A"}"#,
            br#"{"name":"A","count":3,"extra":1}"#,
            br#"{"name":"A","count":4294967296}"#,
        ] {
            assert!(
                from_json::<Answer>(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
            assert!(serde_json::from_slice::<Answer>(bad).is_err());
        }
        assert!(from_json::<Event>(br#"{"type":"gone"}"#).is_err());
        // The one difference: a repeated key is taken once, the last.
        let repeated = br#"{"name":"A","count":1,"count":2}"#;
        assert!(serde_json::from_slice::<Answer>(repeated).is_err());
        assert_eq!(from_json::<Answer>(repeated).unwrap().count, 2);
    }
}
