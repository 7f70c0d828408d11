//! The one error type of the device side: what the UI shows, in Vietnamese and English, with
//! a stable machine code. The server's [`ApiError`] passes through unchanged, so a field error
//! from the server lands under the right field on the device.

use dinhdanh_core::api::{ApiError, ErrorCode};
use dinhdanh_core::error::IdError;

/// Everything that can go wrong on the device side.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server answered with its error (wrong passcode, locked, validation ...).
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The server could not be reached, or the connection broke.
    #[error("network: {detail}")]
    Network {
        /// What failed (never a secret: URLs carry none).
        detail: String,
    },
    /// The server did not answer in time.
    #[error("the server did not answer in time")]
    Timeout,
    /// The server answered something that is not our API (a proxy page, a wrong address).
    #[error("unexpected answer from the server (HTTP {status})")]
    UnexpectedResponse {
        /// HTTP status.
        status: u16,
    },
    /// The OS keystore cannot be used (no Secret Service, locked keychain ...). Secrets are
    /// never stored anywhere else, so the app cannot go on.
    #[error("the OS keystore is unavailable: {detail}")]
    KeystoreUnavailable {
        /// The platform's reason.
        detail: String,
    },
    /// The keystore answered, but with something unusable (a damaged entry).
    #[error("keystore: {detail}")]
    Keystore {
        /// What was wrong.
        detail: String,
    },
    /// This profile's data directory could not be read or written.
    #[error("profile: {detail}")]
    Profile {
        /// What failed.
        detail: String,
    },
    /// No session on this device: sign in first.
    #[error("not signed in")]
    NotSignedIn,
    /// This device (profile) is not bound to an account yet.
    #[error("this device is not bound to an account")]
    DeviceNotBound,
    /// A new passcode or another input broke the policy (the core crate says how).
    #[error("{}", .0.message_en())]
    Invalid(IdError),
    /// The two entries of a new passcode differ.
    #[error("the two passcodes differ")]
    PasscodeMismatch,
    /// Biometric confirmation is not available on this device: offer the passcode.
    #[error("biometric confirmation is not available on this device")]
    BiometricUnavailable,
    /// The person cancelled the biometric prompt.
    #[error("biometric confirmation was cancelled")]
    BiometricCancelled,
    /// This computer is signed in by QR: it holds no confirmation key, so a sensitive action
    /// is confirmed on the phone.
    #[error("a desktop signed in by QR cannot confirm; confirm on the phone")]
    ConfirmOnPhone,
    /// The connection broke while a confirmed action was on its way, and the server, asked
    /// afterwards, shows it was not carried out: nothing changed, it can be done again.
    #[error("the connection broke and the server shows the action was not done")]
    ActionNotDone,
    /// The connection broke while a confirmed action was on its way, and the server could not
    /// be asked whether it arrived: the app does not guess.
    #[error("the connection broke; whether the action was done is not known")]
    ActionOutcomeUnknown,
    /// Building a proof or a signed action failed on the device (a bug, or a bad input).
    #[error("{code}: {message_en}")]
    Protocol {
        /// The core crate's code.
        code: String,
        /// Vietnamese sentence.
        message_vi: String,
        /// English sentence.
        message_en: String,
    },
}

impl ClientError {
    /// Stable machine code, e.g. `wrong_confirmation`, `keystore_unavailable`.
    pub fn code(&self) -> String {
        match self {
            ClientError::Api(e) => e.code.clone(),
            ClientError::Invalid(e) => e.code(),
            ClientError::Protocol { code, .. } => code.clone(),
            other => other.static_code().to_owned(),
        }
    }

    fn static_code(&self) -> &'static str {
        match self {
            ClientError::Api(_) | ClientError::Invalid(_) | ClientError::Protocol { .. } => {
                "internal"
            }
            ClientError::Network { .. } => "network_unavailable",
            ClientError::Timeout => "network_timeout",
            ClientError::UnexpectedResponse { .. } => "unexpected_response",
            ClientError::KeystoreUnavailable { .. } => "keystore_unavailable",
            ClientError::Keystore { .. } => "keystore_damaged",
            ClientError::Profile { .. } => "profile_unusable",
            ClientError::NotSignedIn => "not_signed_in",
            ClientError::DeviceNotBound => "device_not_bound",
            ClientError::PasscodeMismatch => "passcode_mismatch",
            ClientError::BiometricUnavailable => "biometric_unavailable",
            ClientError::BiometricCancelled => "biometric_cancelled",
            ClientError::ConfirmOnPhone => "confirm_on_phone",
            ClientError::ActionNotDone => "action_not_done",
            ClientError::ActionOutcomeUnknown => "action_outcome_unknown",
        }
    }

    /// The sentence the UI shows, in Vietnamese.
    pub fn message_vi(&self) -> String {
        match self {
            ClientError::Api(e) => e.message_vi.clone(),
            ClientError::Invalid(e) => e.message_vi(),
            ClientError::Protocol { message_vi, .. } => message_vi.clone(),
            ClientError::Network { .. } => {
                "Không kết nối được với máy chủ; vui lòng kiểm tra mạng và thử lại.".into()
            }
            ClientError::Timeout => "Máy chủ không phản hồi kịp; vui lòng thử lại.".into(),
            ClientError::UnexpectedResponse { .. } => {
                "Máy chủ trả lời không đúng định dạng; vui lòng kiểm tra địa chỉ máy chủ.".into()
            }
            ClientError::KeystoreUnavailable { .. } => {
                "Không truy cập được kho khóa bảo mật của hệ điều hành; ứng dụng không thể lưu khóa \
                 của thiết bị. Hãy mở khóa hoặc bật kho khóa rồi thử lại."
                    .into()
            }
            ClientError::Keystore { .. } => {
                "Dữ liệu trong kho khóa bảo mật bị hỏng; vui lòng liên kết lại thiết bị.".into()
            }
            ClientError::Profile { .. } => {
                "Không đọc hoặc ghi được dữ liệu của ứng dụng trên thiết bị.".into()
            }
            ClientError::NotSignedIn => "Bạn cần đăng nhập để tiếp tục.".into(),
            ClientError::DeviceNotBound => {
                "Thiết bị này chưa được liên kết với tài khoản; vui lòng liên kết thiết bị.".into()
            }
            ClientError::PasscodeMismatch => "Hai lần nhập mã PIN không khớp nhau.".into(),
            ClientError::BiometricUnavailable => {
                "Thiết bị không hỗ trợ xác nhận bằng sinh trắc học; vui lòng dùng mã PIN.".into()
            }
            ClientError::BiometricCancelled => "Bạn đã hủy xác nhận bằng sinh trắc học.".into(),
            ClientError::ConfirmOnPhone => {
                "Máy tính đăng nhập bằng mã QR không xác nhận được thao tác này; vui lòng thực \
                 hiện trên điện thoại."
                    .into()
            }
            ClientError::ActionNotDone => {
                "Mất kết nối trước khi máy chủ nhận được thao tác của bạn; máy chủ cho biết chưa \
                 có gì thay đổi. Bạn có thể thực hiện lại."
                    .into()
            }
            ClientError::ActionOutcomeUnknown => {
                "Mất kết nối nên chưa biết thao tác của bạn đã được ghi nhận hay chưa. Khi có \
                 mạng, hãy mở lại yêu cầu để xem trạng thái trước khi thực hiện lại."
                    .into()
            }
        }
    }

    /// The sentence the UI shows, in English.
    pub fn message_en(&self) -> String {
        match self {
            ClientError::Api(e) => e.message_en.clone(),
            ClientError::Invalid(e) => e.message_en(),
            ClientError::Protocol { message_en, .. } => message_en.clone(),
            ClientError::Network { .. } => {
                "The server cannot be reached; check the network and try again.".into()
            }
            ClientError::Timeout => "The server did not answer in time; please try again.".into(),
            ClientError::UnexpectedResponse { .. } => {
                "The server's answer is not in the expected format; check the server address."
                    .into()
            }
            ClientError::KeystoreUnavailable { .. } => {
                "The operating system's secure keystore cannot be used, so the app cannot keep \
                 the device's keys. Unlock or enable the keystore and try again."
                    .into()
            }
            ClientError::Keystore { .. } => {
                "The data in the secure keystore is damaged; please bind the device again.".into()
            }
            ClientError::Profile { .. } => "The app's data on this device cannot be read or \
                                            written."
                .into(),
            ClientError::NotSignedIn => "You need to sign in to continue.".into(),
            ClientError::DeviceNotBound => {
                "This device is not bound to an account yet; please bind it.".into()
            }
            ClientError::PasscodeMismatch => "The two passcodes you entered differ.".into(),
            ClientError::BiometricUnavailable => {
                "Biometric confirmation is not available on this device; use your passcode.".into()
            }
            ClientError::BiometricCancelled => "You cancelled the biometric confirmation.".into(),
            ClientError::ConfirmOnPhone => {
                "A computer signed in by QR code cannot confirm this; please do it on your phone."
                    .into()
            }
            ClientError::ActionNotDone => {
                "The connection broke before the server received your action; the server shows \
                 nothing changed. You can do it again."
                    .into()
            }
            ClientError::ActionOutcomeUnknown => {
                "The connection broke, so it is not known whether your action was recorded. \
                 Once you are online, open the request again to see where it stands before \
                 doing it again."
                    .into()
            }
        }
    }

    /// The server's error, when the server answered with one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            ClientError::Api(e) => Some(&**e),
            _ => None,
        }
    }

    /// The server's error kind, when it is one of the known ones.
    pub fn kind(&self) -> Option<ErrorCode> {
        self.api().and_then(ApiError::kind)
    }

    /// Whether this is the server's error `code`.
    pub fn is(&self, code: ErrorCode) -> bool {
        self.kind() == Some(code)
    }

    /// `{code, message_vi, message_en, field}` for the UI bridge: the server's shape, so the
    /// UI handles every error the same way.
    pub fn to_api_error(&self) -> ApiError {
        match self {
            ClientError::Api(e) => (**e).clone(),
            other => ApiError {
                code: other.code(),
                message_vi: other.message_vi(),
                message_en: other.message_en(),
                field: None,
                details: Vec::new(),
                retry_after_secs: None,
                attempts_left: None,
                unbound_at: None,
            },
        }
    }

    pub(crate) fn keystore_unavailable(detail: impl std::fmt::Display) -> Self {
        ClientError::KeystoreUnavailable {
            detail: detail.to_string(),
        }
    }

    pub(crate) fn profile(detail: impl std::fmt::Display) -> Self {
        ClientError::Profile {
            detail: detail.to_string(),
        }
    }
}

impl From<ApiError> for ClientError {
    fn from(e: ApiError) -> Self {
        ClientError::Api(Box::new(e))
    }
}

impl From<IdError> for ClientError {
    fn from(e: IdError) -> Self {
        ClientError::Invalid(e)
    }
}

impl From<dinhdanh_core::signed_action::ActionError> for ClientError {
    fn from(e: dinhdanh_core::signed_action::ActionError) -> Self {
        ClientError::Protocol {
            code: e.code(),
            message_vi: e.message_vi(),
            message_en: e.message_en(),
        }
    }
}

impl From<dinhdanh_core::request_proof::ProofError> for ClientError {
    fn from(e: dinhdanh_core::request_proof::ProofError) -> Self {
        ClientError::Protocol {
            code: e.code(),
            message_vi: e.message_vi(),
            message_en: e.message_en(),
        }
    }
}

impl From<dinhdanh_core::qr_login::QrError> for ClientError {
    fn from(e: dinhdanh_core::qr_login::QrError) -> Self {
        ClientError::Protocol {
            code: e.code(),
            message_vi: e.message_vi(),
            message_en: e.message_en(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_device_error_has_a_code_and_both_languages() {
        let errors = [
            ClientError::Network { detail: "x".into() },
            ClientError::Timeout,
            ClientError::UnexpectedResponse { status: 502 },
            ClientError::keystore_unavailable("no dbus"),
            ClientError::Keystore { detail: "x".into() },
            ClientError::profile("x"),
            ClientError::NotSignedIn,
            ClientError::DeviceNotBound,
            ClientError::PasscodeMismatch,
            ClientError::BiometricUnavailable,
            ClientError::BiometricCancelled,
            ClientError::ConfirmOnPhone,
        ];
        let mut codes = std::collections::HashSet::new();
        for e in &errors {
            assert!(codes.insert(e.code()), "duplicate code {}", e.code());
            assert!(!e.message_vi().is_empty() && !e.message_en().is_empty());
            assert_ne!(e.message_vi(), e.message_en());
            assert_eq!(e.to_api_error().code, e.code());
        }
        assert_eq!(
            ClientError::keystore_unavailable("x").code(),
            "keystore_unavailable"
        );
    }

    #[test]
    fn the_servers_error_passes_through_unchanged() {
        let api = ApiError::new(ErrorCode::WrongConfirmation).with_field("passcode");
        let e = ClientError::from(api.clone());
        assert!(e.is(ErrorCode::WrongConfirmation));
        assert_eq!(e.code(), "wrong_confirmation");
        assert_eq!(e.message_vi(), "Mã PIN không đúng.");
        assert_eq!(e.to_api_error(), api);
    }
}
