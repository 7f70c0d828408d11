//! What can go wrong with the platform key or the secret store, with a stable code and a
//! sentence in Vietnamese and English, and how each case reaches the client's
//! [`ClientError`] (so the UI's error handling stays the one it already has).

use dinhdanh_client::ClientError;

use crate::format::FormatError;

/// Native error codes, shared with `BiometricKeyPlugin.kt` and `BiometricKeyPlugin.swift`:
/// the second argument of `invoke.reject(message, code)`. (Read only by mobile builds and the
/// tests.)
#[cfg_attr(not(mobile), allow(dead_code))]
pub(crate) mod native_code {
    pub const UNAVAILABLE: &str = "unavailable";
    pub const NOT_ENROLLED: &str = "notEnrolled";
    pub const NO_KEY: &str = "noKey";
    pub const KEY_INVALIDATED: &str = "keyInvalidated";
    pub const CANCELLED: &str = "cancelled";
    pub const LOCKOUT: &str = "lockout";
    pub const SECRET_UNREADABLE: &str = "secretUnreadable";
}

/// Everything this plugin can report.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No biometric hardware usable for a key here: every desktop, and phones without strong
    /// biometrics. The app confirms with the passcode instead.
    #[error("biometric confirmation is not available on this device")]
    Unavailable,
    /// The phone can do it, but no fingerprint or face is enrolled in its settings.
    #[error("no biometrics are enrolled on this device")]
    NotEnrolled,
    /// No key was created for this profile (biometrics were not turned on at binding).
    #[error("no biometric key for this profile")]
    NoKey,
    /// The platform destroyed the key because the enrolled biometrics changed (a finger or face
    /// was added or removed): whoever added it must not inherit the right to sign. The server
    /// still knows the old public key, so biometric confirmation stays off until the device
    /// is bound again.
    #[error("the biometric key was invalidated by a change of enrolled biometrics")]
    KeyInvalidated,
    /// The person closed the prompt or chose the passcode.
    #[error("the biometric prompt was cancelled")]
    Cancelled,
    /// Too many failed attempts: the platform locked biometrics for a while.
    #[error("biometrics are locked after too many attempts")]
    Lockout,
    /// A stored secret could not be decrypted (its key is gone, e.g. after a restore onto a
    /// new phone): the entry is damaged, not missing.
    #[error("a stored secret cannot be read: {detail}")]
    SecretUnreadable {
        /// The platform's reason, for the log.
        detail: String,
    },
    /// The names given to the store or the key are not the plugin's kind of name.
    #[error("invalid name for the platform store: {0}")]
    InvalidName(String),
    /// Any other refusal of the platform (keystore failure, missing activity ...).
    #[error("platform error {code}: {detail}")]
    Platform {
        /// The native code, or `platform` when there was none.
        code: String,
        /// The platform's message, for the log (never a secret: the native code puts none
        /// there).
        detail: String,
    },
    /// The platform answered in a form we do not read.
    #[error(transparent)]
    Format(#[from] FormatError),
}

/// The sentence the desktop shows when biometrics are asked for (the wording).
pub const UNAVAILABLE_VI: &str =
    "Thiết bị này không hỗ trợ xác nhận bằng sinh trắc học; hãy dùng mã PIN/passcode.";
/// English of [`UNAVAILABLE_VI`].
pub const UNAVAILABLE_EN: &str =
    "This device does not support biometric confirmation; use your PIN/passcode.";

impl Error {
    /// Reads a native rejection (`invoke.reject(message, code)`).
    #[cfg_attr(not(mobile), allow(dead_code))]
    pub(crate) fn from_native(code: Option<&str>, message: Option<&str>) -> Self {
        let detail = message.unwrap_or_default().to_owned();
        match code {
            Some(native_code::UNAVAILABLE) => Error::Unavailable,
            Some(native_code::NOT_ENROLLED) => Error::NotEnrolled,
            Some(native_code::NO_KEY) => Error::NoKey,
            Some(native_code::KEY_INVALIDATED) => Error::KeyInvalidated,
            Some(native_code::CANCELLED) => Error::Cancelled,
            Some(native_code::LOCKOUT) => Error::Lockout,
            Some(native_code::SECRET_UNREADABLE) => Error::SecretUnreadable { detail },
            Some(other) => Error::Platform {
                code: other.to_owned(),
                detail,
            },
            None => Error::Platform {
                code: "platform".to_owned(),
                detail,
            },
        }
    }

    /// Stable machine code, e.g. `biometric_unavailable`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Unavailable => "biometric_unavailable",
            Error::NotEnrolled => "biometric_not_enrolled",
            Error::NoKey => "biometric_no_key",
            Error::KeyInvalidated => "biometric_key_invalidated",
            Error::Cancelled => "biometric_cancelled",
            Error::Lockout => "biometric_lockout",
            Error::SecretUnreadable { .. } => "keystore_damaged",
            Error::InvalidName(_) => "keystore_invalid_name",
            Error::Platform { .. } => "biometric_platform",
            Error::Format(_) => "biometric_platform_format",
        }
    }

    /// A full sentence in Vietnamese, for the person.
    pub fn message_vi(&self) -> String {
        match self {
            Error::Unavailable => UNAVAILABLE_VI.into(),
            Error::NotEnrolled => "Máy chưa cài vân tay hoặc khuôn mặt. Hãy cài trong phần \
                                   Cài đặt của máy, hoặc dùng mã PIN/passcode."
                .into(),
            Error::NoKey => "Xác nhận bằng sinh trắc học chưa được bật cho thiết bị này; \
                             hãy dùng mã PIN/passcode."
                .into(),
            Error::KeyInvalidated => "Vân tay hoặc khuôn mặt trên máy đã thay đổi nên khoá \
                                      sinh trắc học đã bị vô hiệu. Hãy dùng mã PIN/passcode; \
                                      liên kết lại thiết bị để bật lại sinh trắc học."
                .into(),
            Error::Cancelled => "Bạn đã hủy xác nhận bằng sinh trắc học.".into(),
            Error::Lockout => "Sinh trắc học tạm bị khoá do thử sai nhiều lần; \
                               hãy dùng mã PIN/passcode."
                .into(),
            Error::SecretUnreadable { .. } => "Dữ liệu bảo mật trên máy không đọc được \
                                               (có thể do khôi phục sang máy khác). \
                                               Hãy đăng nhập và liên kết lại thiết bị."
                .into(),
            Error::InvalidName(_) => "Tên mục trong kho khoá không hợp lệ.".into(),
            Error::Platform { .. } | Error::Format(_) => "Không dùng được khoá bảo mật của \
                                                         máy lúc này. Hãy thử lại, hoặc dùng \
                                                         mã PIN/passcode."
                .into(),
        }
    }

    /// A full sentence in English, for the person.
    pub fn message_en(&self) -> String {
        match self {
            Error::Unavailable => UNAVAILABLE_EN.into(),
            Error::NotEnrolled => "No fingerprint or face is enrolled on this phone. Add one \
                                   in the phone's Settings, or use your PIN/passcode."
                .into(),
            Error::NoKey => "Biometric confirmation is not turned on for this device; use \
                             your PIN/passcode."
                .into(),
            Error::KeyInvalidated => "The fingerprints or faces on this phone changed, so its \
                                      biometric key was disabled. Use your PIN/passcode; bind \
                                      the device again to turn biometrics back on."
                .into(),
            Error::Cancelled => "You cancelled the biometric confirmation.".into(),
            Error::Lockout => "Biometrics are locked after too many attempts; use your \
                               PIN/passcode."
                .into(),
            Error::SecretUnreadable { .. } => "The secure data on this phone cannot be read \
                                               (perhaps it was restored onto another phone). \
                                               Sign in and bind the device again."
                .into(),
            Error::InvalidName(_) => "Invalid entry name for the keystore.".into(),
            Error::Platform { .. } | Error::Format(_) => "The phone's secure key cannot be \
                                                         used right now. Try again, or use \
                                                         your PIN/passcode."
                .into(),
        }
    }

    /// The error as the client reports it, for the biometric confirmation: the cases the UI
    /// already knows (unavailable, cancelled) keep their client codes, so the UI offers the
    /// passcode; the others carry their own code and sentences.
    pub fn into_confirmation_error(self) -> ClientError {
        match self {
            Error::Unavailable | Error::NotEnrolled | Error::NoKey => {
                ClientError::BiometricUnavailable
            }
            Error::Cancelled => ClientError::BiometricCancelled,
            other => ClientError::Protocol {
                code: other.code().to_owned(),
                message_vi: other.message_vi(),
                message_en: other.message_en(),
            },
        }
    }

    /// The error as the client reports it, for the secret store: the platform store being out
    /// of reach is `keystore_unavailable` (the app cannot go on), an unreadable entry is
    /// `keystore_damaged`.
    pub fn into_keystore_error(self) -> ClientError {
        match self {
            Error::SecretUnreadable { detail } => ClientError::Keystore { detail },
            Error::InvalidName(name) => ClientError::Keystore {
                detail: format!("invalid entry name {name:?}"),
            },
            Error::Format(e) => ClientError::Keystore {
                detail: e.to_string(),
            },
            other => ClientError::KeystoreUnavailable {
                detail: other.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_native_code_the_kotlin_and_swift_code_sends_maps_to_its_own_case() {
        let cases = [
            (native_code::UNAVAILABLE, Error::Unavailable),
            (native_code::NOT_ENROLLED, Error::NotEnrolled),
            (native_code::NO_KEY, Error::NoKey),
            (native_code::KEY_INVALIDATED, Error::KeyInvalidated),
            (native_code::CANCELLED, Error::Cancelled),
            (native_code::LOCKOUT, Error::Lockout),
        ];
        for (code, expected) in cases {
            assert_eq!(Error::from_native(Some(code), Some("x")), expected);
        }
        assert_eq!(
            Error::from_native(Some(native_code::SECRET_UNREADABLE), Some("AEADBadTag")),
            Error::SecretUnreadable {
                detail: "AEADBadTag".into()
            }
        );
        assert_eq!(
            Error::from_native(Some("keystoreFailure"), None),
            Error::Platform {
                code: "keystoreFailure".into(),
                detail: String::new()
            }
        );
        assert_eq!(
            Error::from_native(None, Some("boom")).code(),
            "biometric_platform"
        );
    }

    #[test]
    fn the_desktop_answer_tells_the_person_to_use_the_pin_in_both_languages() {
        let e = Error::Unavailable;
        assert_eq!(
            e.message_vi(),
            "Thiết bị này không hỗ trợ xác nhận bằng sinh trắc học; hãy dùng mã PIN/passcode."
        );
        assert!(e.message_en().contains("PIN/passcode"));
        let client = e.into_confirmation_error();
        assert_eq!(client.code(), "biometric_unavailable");
    }

    #[test]
    fn a_cancelled_prompt_is_the_clients_cancellation_and_an_invalidated_key_keeps_its_reason() {
        assert_eq!(
            Error::Cancelled.into_confirmation_error().code(),
            "biometric_cancelled"
        );
        let invalidated = Error::KeyInvalidated
            .into_confirmation_error()
            .to_api_error();
        assert_eq!(invalidated.code, "biometric_key_invalidated");
        assert!(invalidated.message_vi.contains("mã PIN/passcode"));
    }

    #[test]
    fn a_store_out_of_reach_stops_the_app_and_an_unreadable_entry_is_damage() {
        assert_eq!(
            Error::Platform {
                code: "keystoreFailure".into(),
                detail: "x".into()
            }
            .into_keystore_error()
            .code(),
            "keystore_unavailable"
        );
        assert_eq!(
            Error::SecretUnreadable { detail: "x".into() }
                .into_keystore_error()
                .code(),
            "keystore_damaged"
        );
    }

    #[test]
    fn every_case_has_a_distinct_code_and_sentences() {
        let all = [
            Error::Unavailable,
            Error::NotEnrolled,
            Error::NoKey,
            Error::KeyInvalidated,
            Error::Cancelled,
            Error::Lockout,
            Error::SecretUnreadable { detail: "x".into() },
            Error::InvalidName("x".into()),
            Error::Platform {
                code: "x".into(),
                detail: "x".into(),
            },
            Error::Format(FormatError::Signature),
        ];
        let mut codes: Vec<_> = all.iter().map(Error::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        for e in &all {
            assert!(e.message_vi().ends_with('.'), "{e:?}");
            assert!(e.message_en().ends_with('.'), "{e:?}");
        }
    }
}
