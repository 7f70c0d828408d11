//! Why a signed action was refused, with stable codes and messages in both languages.

use crate::crypto::CryptoError;

/// Why a signed action was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message_en())]
pub enum ActionError {
    /// A key, signature or challenge is malformed, or the signature does not verify.
    Crypto(#[from] CryptoError),
    /// Signed for another kind of action than the route performs.
    WrongKind,
    /// Signed for another server.
    WrongOrigin,
    /// Answers another challenge (or a used one).
    WrongChallenge,
    /// Signed for another account.
    WrongAccount,
    /// Signed while acting for another organisation (or for none).
    WrongOrganisation,
    /// Signed for another object.
    WrongTarget,
    /// The content confirmed is not the content sent.
    WrongBody,
    /// Signed on another device.
    WrongDeviceKey,
    /// The confirmation key is not the action's.
    WrongConfirmationKey,
    /// Signed with another confirmation method than the key is registered for.
    WrongMethod,
    /// The counter did not increase: a replay or a cloned key.
    CounterNotIncreasing,
    /// Older than the server allows.
    Expired,
    /// Signed at a time ahead of the server's clock by more than allowed.
    FromTheFuture,
    /// The action body has no canonical form.
    BodyNotCanonical {
        /// What is wrong, in Vietnamese.
        detail_vi: &'static str,
        /// What is wrong, in English.
        detail_en: &'static str,
    },
}

impl ActionError {
    /// Stable machine code, e.g. `signed_action.wrong_origin`.
    pub fn code(&self) -> String {
        let code = match self {
            ActionError::Crypto(e) => return e.code(),
            ActionError::WrongKind => "wrong_kind",
            ActionError::WrongOrigin => "wrong_origin",
            ActionError::WrongChallenge => "wrong_challenge",
            ActionError::WrongAccount => "wrong_account",
            ActionError::WrongOrganisation => "wrong_organisation",
            ActionError::WrongTarget => "wrong_target",
            ActionError::WrongBody => "wrong_body",
            ActionError::WrongDeviceKey => "wrong_device_key",
            ActionError::WrongConfirmationKey => "wrong_confirmation_key",
            ActionError::WrongMethod => "wrong_method",
            ActionError::CounterNotIncreasing => "counter_not_increasing",
            ActionError::Expired => "expired",
            ActionError::FromTheFuture => "from_the_future",
            ActionError::BodyNotCanonical { .. } => "body_not_canonical",
        };
        format!("signed_action.{code}")
    }

    /// Full sentence in Vietnamese.
    pub fn message_vi(&self) -> String {
        match self {
            ActionError::Crypto(e) => e.message_vi(),
            ActionError::WrongKind => {
                "Thao tác đã ký không phải thao tác đang được xác nhận.".into()
            }
            ActionError::WrongOrigin => "Thao tác được ký cho một máy chủ khác.".into(),
            ActionError::WrongChallenge => "Mã thách thức không khớp hoặc đã được dùng.".into(),
            ActionError::WrongAccount => "Thao tác được ký cho một tài khoản khác.".into(),
            ActionError::WrongOrganisation => {
                "Thao tác được ký khi đại diện cho một tổ chức khác.".into()
            }
            ActionError::WrongTarget => "Thao tác được ký cho một đối tượng khác.".into(),
            ActionError::WrongBody => "Nội dung đã xác nhận khác với nội dung gửi lên.".into(),
            ActionError::WrongDeviceKey => "Thao tác được ký trên một thiết bị khác.".into(),
            ActionError::WrongConfirmationKey => "Khoá xác nhận không đúng.".into(),
            ActionError::WrongMethod => "Phương thức xác nhận không đúng.".into(),
            ActionError::CounterNotIncreasing => {
                "Bộ đếm chữ ký không tăng: có thể là phát lại hoặc khoá bị sao chép.".into()
            }
            ActionError::Expired => "Xác nhận đã hết hạn, vui lòng thử lại.".into(),
            ActionError::FromTheFuture => {
                "Đồng hồ của thiết bị chạy nhanh hơn máy chủ, vui lòng chỉnh lại giờ.".into()
            }
            ActionError::BodyNotCanonical { detail_vi, .. } => {
                format!("Nội dung thao tác không hợp lệ: {detail_vi}.")
            }
        }
    }

    /// Full sentence in English.
    pub fn message_en(&self) -> String {
        match self {
            ActionError::Crypto(e) => e.message_en(),
            ActionError::WrongKind => "The signed action is not the action being confirmed.".into(),
            ActionError::WrongOrigin => "The action was signed for a different server.".into(),
            ActionError::WrongChallenge => {
                "The challenge does not match or was already used.".into()
            }
            ActionError::WrongAccount => "The action was signed for a different account.".into(),
            ActionError::WrongOrganisation => {
                "The action was signed while acting for a different organisation.".into()
            }
            ActionError::WrongTarget => "The action was signed for a different object.".into(),
            ActionError::WrongBody => "The confirmed content differs from the content sent.".into(),
            ActionError::WrongDeviceKey => "The action was signed on a different device.".into(),
            ActionError::WrongConfirmationKey => {
                "The confirmation key is not the right one.".into()
            }
            ActionError::WrongMethod => "The confirmation method is not the right one.".into(),
            ActionError::CounterNotIncreasing => {
                "The signature counter did not increase: a replay or a cloned key.".into()
            }
            ActionError::Expired => "The confirmation has expired; please try again.".into(),
            ActionError::FromTheFuture => {
                "The device clock is ahead of the server; please correct the time.".into()
            }
            ActionError::BodyNotCanonical { detail_en, .. } => {
                format!("The action content is invalid: it {detail_en}.")
            }
        }
    }
}
