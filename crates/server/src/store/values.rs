//! Conversions of stored values: one for every stored enum (its serde name, the same word the
//! API uses), and the parsers of values the server itself wrote.

use dinhdanh_core::crypto::PublicKey;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::infra::error::{ServerError, ServerResult};

/// The word a stored enum is kept as: its serde name, so the database and the API use one
/// word for one value.
pub fn word<T: Serialize>(value: &T) -> ServerResult<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        _ => Err(ServerError::Internal(
            "a stored enum has no word of its own".into(),
        )),
    }
}

/// A stored enum read back from its word ([`word`]); a word that names no value is a bug or
/// tampering, never the user's fault.
pub fn from_word<T: DeserializeOwned>(word: &str) -> ServerResult<T> {
    serde_json::from_value(serde_json::Value::String(word.to_owned()))
        .map_err(|_| ServerError::Internal(format!("stored word {word:?} names no value")))
}

/// A value the server itself stored failed to parse: a bug or tampering, never the user's fault.
pub fn parse_stored<T, E: std::fmt::Display>(r: Result<T, E>) -> ServerResult<T> {
    r.map_err(|e| ServerError::Internal(format!("stored value does not parse: {e}")))
}

/// JSON the server itself stored (a request's or an organisation's details) read back as `T`.
/// Text stored before today's text policy (`dinhdanh_core::text`) may hold characters the
/// policy now refuses — a zero-width space in a name the first round's server accepted — and
/// the typed value, which parses its text again, would then fail to read. So when the strict
/// parse fails, every string is passed through the policy's `shown` (each refused character
/// becomes U+FFFD, visible instead of hidden) and parsed again: old records still read, and
/// nobody is shown the characters the policy exists to keep off screens.
pub fn stored_json<T: DeserializeOwned>(bytes: &[u8]) -> ServerResult<T> {
    match serde_json::from_slice(bytes) {
        Ok(value) => Ok(value),
        Err(strict) => {
            let mut value: serde_json::Value = parse_stored(serde_json::from_slice(bytes))?;
            shown_strings(&mut value);
            serde_json::from_value(value).map_err(|_| {
                ServerError::Internal(format!("stored value does not parse: {strict}"))
            })
        }
    }
}

/// Every string in `value` as the text policy shows it (one line, refused characters as
/// U+FFFD, nothing cut).
fn shown_strings(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => *s = dinhdanh_core::text::shown(s, usize::MAX, false),
        serde_json::Value::Array(items) => items.iter_mut().for_each(shown_strings),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(shown_strings),
        _ => {}
    }
}

/// A public key read back from the database (stored as 33 SEC1 bytes).
pub fn public_key_from_db(bytes: &[u8]) -> ServerResult<PublicKey> {
    let arr: [u8; 33] = bytes
        .try_into()
        .map_err(|_| ServerError::Internal("stored key has wrong length".into()))?;
    PublicKey::from_sec1_compressed(&arr)
        .map_err(|_| ServerError::Internal("stored key is invalid".into()))
}

#[cfg(test)]
mod tests {
    use dinhdanh_core::account::OrgRole;
    use dinhdanh_core::api::OrganisationStatus;

    use super::*;

    #[test]
    fn a_stored_enum_reads_back_as_the_value_it_was_written_from() {
        for role in [OrgRole::Owner, OrgRole::Administrator, OrgRole::Member] {
            assert_eq!(from_word::<OrgRole>(&word(&role).unwrap()).unwrap(), role);
        }
        assert_eq!(word(&OrganisationStatus::Active).unwrap(), "active");
    }

    #[test]
    fn a_word_that_names_no_value_is_an_internal_error() {
        assert!(matches!(
            from_word::<OrgRole>("chairman"),
            Err(ServerError::Internal(_))
        ));
    }

    #[test]
    fn stored_json_with_text_refused_today_reads_as_the_text_policy_shows_it() {
        #[derive(serde::Deserialize)]
        struct Stored {
            name: dinhdanh_core::org_type::Name,
            tags: Vec<String>,
        }
        // As JSON escapes: a zero-width space, and a right-to-left override.
        let old = r#"{"name": "Hội Cờ\u200btướng", "tags": ["a\u202eb"]}"#;
        assert!(
            serde_json::from_str::<Stored>(old).is_err(),
            "refused today"
        );
        let read: Stored = super::stored_json(old.as_bytes()).unwrap();
        assert_eq!(read.name.as_str(), "Hội Cờ\u{FFFD}tướng");
        assert_eq!(read.tags, vec!["a\u{FFFD}b".to_owned()]);
        // What parses is read as it is; what is not JSON is still an error.
        let plain: Stored =
            super::stored_json(r#"{"name": "Hội", "tags": [" x "]}"#.as_bytes()).unwrap();
        assert_eq!(plain.tags, vec![" x ".to_owned()]);
        assert!(super::stored_json::<Stored>(b"{").is_err());
    }
}
