//! The JSON that crosses to the Kotlin and Swift code: one argument struct per command and
//! one answer struct, field names in camelCase as the native `@InvokeArg` classes and
//! `Decodable` structs spell them. Bytes travel as standard base64.
//!
//! Commands are named here once ([`cmd`]); the native side names its methods the same.

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Native method names (`@Command fun createKey`, `@objc func createKey`).
pub(crate) mod cmd {
    pub const STATUS: &str = "status";
    pub const CREATE_KEY: &str = "createKey";
    pub const PUBLIC_KEY: &str = "publicKey";
    pub const DELETE_KEY: &str = "deleteKey";
    pub const SIGN: &str = "sign";
    pub const SECRET_GET: &str = "secretGet";
    pub const SECRET_SET: &str = "secretSet";
    pub const SECRET_DELETE: &str = "secretDelete";
}

/// Longest name accepted for a key alias part or a secret's name.
pub const MAX_NAME_LEN: usize = 64;

/// Checks a profile or entry name: 1–64 ASCII letters, digits, `-`, `_` or `.`. The names
/// become Keystore aliases, Keychain attributes and preference keys; keeping them plain
/// keeps one name from being read as another on any platform.
pub(crate) fn check_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidName(
            name.chars().take(MAX_NAME_LEN).collect(),
        ))
    }
}

/// The platform alias of a profile's biometric key. One key per profile, so two profiles on
/// one phone (rare, but the app supports it) never confirm for each other.
pub(crate) fn key_alias(profile: &str) -> Result<String, Error> {
    check_name(profile)?;
    Ok(format!("vn.dinhdanh.app/{profile}/biometric"))
}

/// Arguments naming the profile's key.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct KeyArgs {
    pub alias: String,
}

/// What the platform says about biometrics and the profile's key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// The hardware can hold a key behind strong biometrics (Android class 3, Touch ID or
    /// Face ID). Always `false` on desktop.
    pub available: bool,
    /// At least one fingerprint or face is enrolled.
    pub enrolled: bool,
    /// This profile's key exists (it may still have been invalidated; signing tells).
    pub has_key: bool,
    /// The key lives in a separate secure element (Android StrongBox, the Secure Enclave),
    /// not only in the main processor's trusted environment.
    #[serde(default)]
    pub secure_element: bool,
    /// Why it is not available, in the platform's words, for the log.
    #[serde(default)]
    pub reason: Option<String>,
}

impl Status {
    /// Whether a confirmation can be asked for now: hardware, enrolment and a key.
    pub fn can_sign(&self) -> bool {
        self.available && self.enrolled && self.has_key
    }

    /// The desktop's status.
    pub(crate) fn unavailable() -> Self {
        Status {
            reason: Some("no platform key behind biometrics on desktop".into()),
            ..Status::default()
        }
    }
}

/// A public key from the native side (Android: DER SubjectPublicKeyInfo; iOS: X9.63 point).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PublicKeyAnswer {
    pub public_key: String,
}

/// What the prompt shows. Vietnamese by default; the app passes English when the person
/// chose it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Prompt {
    /// The prompt's title (Android) / first line (iOS).
    pub title: String,
    /// What is being confirmed, e.g. "Xác nhận đăng nhập trên máy tính".
    pub subtitle: String,
    /// The label of the button that closes the prompt (Android's negative button, iOS's
    /// cancel button). Pressing it is [`Error::Cancelled`], and the app offers the passcode.
    pub cancel: String,
}

impl Prompt {
    /// The Vietnamese prompt for confirming `what`.
    pub fn vi(what: impl Into<String>) -> Self {
        Prompt {
            title: "Xác nhận bằng sinh trắc học".into(),
            subtitle: what.into(),
            cancel: "Dùng mã PIN".into(),
        }
    }

    /// The English prompt for confirming `what`.
    pub fn en(what: impl Into<String>) -> Self {
        Prompt {
            title: "Confirm with biometrics".into(),
            subtitle: what.into(),
            cancel: "Use PIN".into(),
        }
    }
}

/// Arguments of `sign`: the message itself (the platform hashes it with SHA-256 inside the
/// key's secure environment) and the prompt.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SignArgs {
    pub alias: String,
    pub message: String,
    #[serde(flatten)]
    pub prompt: Prompt,
}

/// The DER signature from the native side.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SignAnswer {
    pub signature: String,
}

/// Arguments of the secret commands: the profile's namespace and the entry's name, and for
/// `secretSet` the value.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SecretArgs {
    pub namespace: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<zeroize::Zeroizing<String>>,
}

/// The answer of `secretGet`: the value, or nothing when there is no such entry.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SecretAnswer {
    #[serde(default)]
    pub value: Option<zeroize::Zeroizing<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_could_be_read_as_another_entry_are_refused() {
        for good in ["default", "phone-1", "session_token", "a.b"] {
            assert_eq!(check_name(good), Ok(()), "{good}");
        }
        for bad in ["", "a/b", "a b", "ạ", "x\0", &"a".repeat(MAX_NAME_LEN + 1)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            key_alias("phone").as_deref(),
            Ok("vn.dinhdanh.app/phone/biometric")
        );
    }

    #[test]
    fn the_arguments_are_spelled_as_the_native_code_reads_them() {
        let args = SignArgs {
            alias: "a".into(),
            message: "AAE=".into(),
            prompt: Prompt::vi("Xác nhận đăng nhập trên máy tính"),
        };
        assert_eq!(
            serde_json::to_value(&args).unwrap(),
            serde_json::json!({
                "alias": "a",
                "message": "AAE=",
                "title": "Xác nhận bằng sinh trắc học",
                "subtitle": "Xác nhận đăng nhập trên máy tính",
                "cancel": "Dùng mã PIN",
            })
        );
        let get = SecretArgs {
            namespace: "vn.dinhdanh.app/phone".into(),
            name: "session_token".into(),
            value: None,
        };
        assert_eq!(
            serde_json::to_value(&get).unwrap(),
            serde_json::json!({"namespace": "vn.dinhdanh.app/phone", "name": "session_token"})
        );
    }

    #[test]
    fn a_native_status_reads_with_optional_fields_missing() {
        let status: Status = serde_json::from_value(serde_json::json!({
            "available": true, "enrolled": true, "hasKey": false
        }))
        .unwrap();
        assert!(!status.can_sign());
        assert!(!status.secure_element);
        let missing: SecretAnswer = serde_json::from_value(serde_json::json!({})).unwrap();
        assert!(missing.value.is_none());
        assert!(!Status::unavailable().can_sign());
    }
}
