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
}
