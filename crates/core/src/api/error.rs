//! The one error shape of the API.

use serde::{Deserialize, Serialize};

use super::Timestamp;
use crate::error::IdError;

/// Every failure the API returns: a stable machine code, a sentence in Vietnamese and in
/// English for the person, and the field it concerns (for inline form errors).
///
/// Validation failures of a whole form come as one error with code `validation_failed` and one
/// entry per field in `details`, so the UI can show every problem at once.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message_en}")]
pub struct ApiError {
    /// Stable machine code: an [`ErrorCode`] name, or an identifier error's code such as
    /// `tax_code.bad_check_digit`.
    pub code: String,
    /// What happened, in Vietnamese.
    pub message_vi: String,
    /// What happened, in English.
    pub message_en: String,
    /// The field the error concerns, as named in the request body (`details.tax_code`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Per-field errors of a failed form.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub details: Vec<ApiError>,
    /// For `rate_limited`, `confirmation_locked`: seconds until trying again makes sense.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
    /// For `wrong_confirmation`: how many more wrong passcodes the device may enter before its
    /// confirmations are locked for a while (the sentences say it too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u32>,
    /// For `device_unbound`: when the device that signed the request stopped being bound to
    /// the account (the sentences say it too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub unbound_at: Option<Timestamp>,
}

impl ApiError {
    /// An error of a known kind, with its standard sentences.
    pub fn new(code: ErrorCode) -> Self {
        ApiError {
            code: code.as_str().to_owned(),
            message_vi: code.message_vi().to_owned(),
            message_en: code.message_en().to_owned(),
            field: None,
            details: Vec::new(),
            retry_after_secs: None,
            attempts_left: None,
            unbound_at: None,
        }
    }

    /// An identifier that failed to parse, for the named field.
    pub fn from_id_error(error: &IdError, field: impl Into<String>) -> Self {
        ApiError {
            code: error.code(),
            message_vi: error.message_vi(),
            message_en: error.message_en(),
            field: Some(field.into()),
            details: Vec::new(),
            retry_after_secs: None,
            attempts_left: None,
            unbound_at: None,
        }
    }

    /// Free text refused by the text policy ([`crate::text`]), for the named field.
    pub fn from_text_problem(problem: crate::text::TextProblem, field: impl Into<String>) -> Self {
        ApiError {
            code: problem.code().to_owned(),
            message_vi: format!("Nội dung {}", problem.message_vi()),
            message_en: format!("The text {}", problem.message_en()),
            field: Some(field.into()),
            details: Vec::new(),
            retry_after_secs: None,
            attempts_left: None,
            unbound_at: None,
        }
    }

    /// Names the field this error concerns.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Adds per-field errors.
    pub fn with_details(mut self, details: Vec<ApiError>) -> Self {
        self.details = details;
        self
    }

    /// Says when to try again.
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    /// A wrong passcode, with how many more tries the device has before the lock, said in
    /// both sentences too.
    pub fn wrong_confirmation(attempts_left: u32) -> Self {
        let mut e = ApiError::new(ErrorCode::WrongConfirmation);
        e.message_vi = format!(
            "{} Còn {attempts_left} lần thử trước khi việc xác nhận bị tạm khóa.",
            e.message_vi
        );
        e.message_en = format!(
            "{} {attempts_left} {} left before confirmations are locked for a while.",
            e.message_en,
            if attempts_left == 1 { "try" } else { "tries" }
        );
        e.attempts_left = Some(attempts_left);
        e
    }

    /// A sign-in from a device that was bound to the account and is no longer (its person
    /// bound another phone, or locked the account): when, said in Vietnam's time, and
    /// `replaced` when another device was bound at that very moment, so the sentence can say
    /// why. Only the server answers it, and only to a request that proves both the password
    /// and the old device's key (see `sign_in.rs`).
    pub fn device_unbound(unbound_at: Timestamp, replaced: bool) -> Self {
        let mut e = ApiError::new(ErrorCode::DeviceUnbound);
        let local = unbound_at.with_timezone(&vietnam());
        let (time, day) = (local.format("%H:%M"), local.format("%d/%m/%Y"));
        (e.message_vi, e.message_en) = if replaced {
            (
                format!(
                    "Thiết bị này không còn được liên kết với tài khoản của bạn vì một thiết bị \
                     khác đã được liên kết (lúc {time} ngày {day}). Liên kết lại nếu bạn muốn \
                     dùng thiết bị này."
                ),
                format!(
                    "This device is no longer bound to your account: another device was bound \
                     at {time} on {day}. Bind it again to use it here."
                ),
            )
        } else {
            (
                format!(
                    "Thiết bị này không còn được liên kết với tài khoản của bạn (liên kết đã bị \
                     hủy lúc {time} ngày {day}). Liên kết lại nếu bạn muốn dùng thiết bị này."
                ),
                format!(
                    "This device is no longer bound to your account: it was unbound at {time} \
                     on {day}. Bind it again to use it here."
                ),
            )
        };
        e.unbound_at = Some(unbound_at);
        e
    }

    /// The known kind, when the code is one of [`ErrorCode`].
    pub fn kind(&self) -> Option<ErrorCode> {
        ErrorCode::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == self.code)
    }
}

/// Vietnam's time zone (UTC+7, no daylight saving): the times in sentences are the ones
/// people there read on their clocks.
fn vietnam() -> chrono::FixedOffset {
    const OFFSET_SECS: i32 = 7 * 3600;
    // In range, so always `Some`; UTC is the harmless fallback.
    chrono::FixedOffset::east_opt(OFFSET_SECS).unwrap_or_else(|| chrono::Offset::fix(&chrono::Utc))
}

macro_rules! error_codes {
    ($($variant:ident = $code:literal, $status:literal, $vi:literal, $en:literal;)*) => {
        /// The API's error kinds, with their HTTP status and standard sentences.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $(
                #[doc = $en]
                $variant,
            )*
        }

        impl ErrorCode {
            /// Every kind, for look-ups and tests.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// Stable machine code.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// The HTTP status the server answers with.
            pub fn http_status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)* }
            }

            /// Standard sentence in Vietnamese.
            pub fn message_vi(self) -> &'static str {
                match self { $(ErrorCode::$variant => $vi,)* }
            }

            /// Standard sentence in English.
            pub fn message_en(self) -> &'static str {
                match self { $(ErrorCode::$variant => $en,)* }
            }
        }
    };
}

error_codes! {
    ValidationFailed = "validation_failed", 422,
        "Thông tin chưa hợp lệ, vui lòng kiểm tra các trường được đánh dấu.",
        "Some information is not valid; please check the marked fields.";
    MalformedRequest = "malformed_request", 400,
        "Yêu cầu không đúng định dạng.",
        "The request is malformed.";
    InvalidCredentials = "invalid_credentials", 401,
        "Số định danh hoặc mật khẩu không đúng.",
        "The identification number or password is incorrect.";
    Unauthenticated = "unauthenticated", 401,
        "Bạn cần đăng nhập để tiếp tục.",
        "You need to sign in to continue.";
    SessionExpired = "session_expired", 401,
        "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại.",
        "Your session has expired; please sign in again.";
    SessionIdle = "session_idle", 401,
        "Phiên đăng nhập tạm dừng do lâu không sử dụng; thiết bị sẽ tự gia hạn.",
        "Your session paused after a period of inactivity; the device can renew it.";
    InvalidRequestProof = "invalid_request_proof", 401,
        "Yêu cầu không được ký bởi thiết bị của phiên đăng nhập.",
        "The request is not signed by the session's device.";
    StepUpRequired = "step_up_required", 401,
        "Thao tác này cần xác nhận bằng mã PIN hoặc sinh trắc học.",
        "This action needs confirmation with your passcode or biometrics.";
    DeviceNotBound = "device_not_bound", 403,
        "Thiết bị này chưa được liên kết với tài khoản.",
        "This device is not bound to the account.";
    DeviceUnbound = "device_unbound", 403,
        "Thiết bị này không còn được liên kết với tài khoản của bạn. Liên kết lại nếu bạn muốn dùng thiết bị này.",
        "This device is no longer bound to your account. Bind it again to use it here.";
    DeviceRebindRequired = "device_rebind_required", 403,
        "Xác nhận sai quá nhiều lần; vui lòng liên kết lại thiết bị.",
        "Too many wrong confirmations; please bind the device again.";
    Forbidden = "forbidden", 403,
        "Bạn không có quyền thực hiện thao tác này.",
        "You are not allowed to do this.";
    LevelTooLow = "level_too_low", 403,
        "Cần tài khoản định danh điện tử mức độ 2 để thực hiện thao tác này.",
        "A level-2 e-ID account is needed for this.";
    ServiceNotDelegated = "service_not_delegated", 403,
        "Ủy quyền của bạn chưa cho phép đăng nhập vào dịch vụ này thay mặt tổ chức (hoặc đã hết thời hạn cho dịch vụ này). Người đứng đầu tổ chức hoặc quản trị viên của tổ chức có thể thêm dịch vụ vào ủy quyền.",
        "Your authorisation does not allow signing in to this service for the organisation (or no longer does, by its dates). The organisation's head or one of its administrators can add the service to your authorisation.";
    UnknownService = "unknown_service", 422,
        "Dịch vụ không tồn tại, đã ngừng hoạt động hoặc không nhận tài khoản tổ chức.",
        "The service does not exist, is disabled, or does not accept organisation accounts.";
    AccountLocked = "account_locked", 423,
        "Tài khoản đang bị khóa.",
        "The account is locked.";
    ConfirmationLocked = "confirmation_locked", 423,
        "Xác nhận sai nhiều lần; vui lòng thử lại sau.",
        "Too many wrong confirmations; please try again later.";
    WrongConfirmation = "wrong_confirmation", 401,
        "Mã PIN không đúng.",
        "The passcode is incorrect.";
    ChallengeInvalid = "challenge_invalid", 400,
        "Yêu cầu xác nhận không hợp lệ hoặc đã được sử dụng; vui lòng thử lại.",
        "The confirmation request is invalid or already used; please try again.";
    ChallengeExpired = "challenge_expired", 400,
        "Yêu cầu xác nhận đã hết hạn; vui lòng thử lại.",
        "The confirmation request has expired; please try again.";
    OneTimeCodeInvalid = "one_time_code_invalid", 400,
        "Mã xác thực không đúng hoặc đã hết hạn.",
        "The one-time code is wrong or has expired.";
    NotFound = "not_found", 404,
        "Không tìm thấy dữ liệu yêu cầu.",
        "Not found.";
    DuplicateRegistration = "duplicate_registration", 409,
        "Tổ chức này đã có yêu cầu đăng ký đang được xử lý.",
        "This organisation already has a registration request in progress.";
    OrganisationAlreadyRegistered = "organisation_already_registered", 409,
        "Tổ chức này đã có tài khoản định danh điện tử.",
        "This organisation already has an e-ID account.";
    RegistryMismatch = "registry_mismatch", 422,
        "Thông tin không khớp với Cơ sở dữ liệu quốc gia về dân cư; vui lòng kiểm tra lại.",
        "The details do not match the national population database; please check them.";
    AccountExists = "account_exists", 409,
        "Số định danh này đã có tài khoản.",
        "This identification number already has an account.";
    Conflict = "conflict", 409,
        "Dữ liệu đã thay đổi; vui lòng tải lại và thử lại.",
        "The data has changed; please reload and try again.";
    InvalidState = "invalid_state", 409,
        "Không thể thực hiện thao tác ở trạng thái hiện tại.",
        "This cannot be done in the current state.";
    AttachmentRejected = "attachment_rejected", 422,
        "Tệp đính kèm phải là PDF, JPEG hoặc PNG và không quá dung lượng cho phép.",
        "Attachments must be PDF, JPEG or PNG and within the size limit.";
    QrLoginExpired = "qr_login_expired", 410,
        "Mã QR đã hết hạn; hãy quét mã mới trên máy tính.",
        "The QR code has expired; scan the new one on the computer.";
    QrLoginUsed = "qr_login_used", 409,
        "Mã QR đã được sử dụng.",
        "The QR code has already been used.";
    DesktopActionNotAllowed = "desktop_action_not_allowed", 403,
        "Thao tác này không thể bắt đầu trên máy tính; hãy thực hiện trên điện thoại.",
        "This cannot be started on a computer; do it on your phone.";
    DesktopActionExpired = "desktop_action_expired", 410,
        "Yêu cầu từ máy tính đã hết hạn; hãy bắt đầu lại trên máy tính.",
        "The request from the computer has expired; start it again on the computer.";
    DesktopActionAnswered = "desktop_action_answered", 409,
        "Yêu cầu từ máy tính này đã được trả lời.",
        "This request from the computer has already been answered.";
    DesktopActionCancelled = "desktop_action_cancelled", 409,
        "Yêu cầu này đã được hủy trên máy tính; không có gì được thực hiện.",
        "This request was cancelled on the computer; nothing was done.";
    AlreadyWaiting = "already_waiting", 409,
        "Một kết nối khác đang chờ kết quả này.",
        "Another connection is already waiting for this answer.";
    AttachmentQuotaExceeded = "attachment_quota_exceeded", 409,
        "Bạn đã tải lên quá nhiều tệp trong 24 giờ qua; vui lòng thử lại sau.",
        "You have uploaded too many files in the last 24 hours; please try again later.";
    RateLimited = "rate_limited", 429,
        "Bạn thao tác quá nhanh; vui lòng thử lại sau.",
        "Too many attempts; please try again later.";
    ServiceUnavailable = "service_unavailable", 503,
        "Hệ thống đang bận; vui lòng thử lại sau.",
        "The service is busy; please try again later.";
    Internal = "internal", 500,
        "Đã có lỗi hệ thống; vui lòng thử lại sau.",
        "Something went wrong on our side; please try again later.";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{IdKind, IdProblem};
    use std::collections::HashSet;

    #[test]
    fn error_codes_are_unique_and_have_both_languages() {
        let codes: HashSet<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(codes.len(), ErrorCode::ALL.len());
        for c in ErrorCode::ALL {
            assert!(!c.message_vi().is_empty() && !c.message_en().is_empty());
            assert!((400..600).contains(&c.http_status()), "{c:?}");
            assert_eq!(ApiError::new(*c).kind(), Some(*c));
        }
    }

    #[test]
    fn an_identifier_error_becomes_a_field_error_with_its_code() {
        let id = IdError::new(IdKind::TaxCode, IdProblem::BadCheckDigit);
        let e = ApiError::from_id_error(&id, "details.tax_code");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "tax_code.bad_check_digit");
        assert_eq!(json["field"], "details.tax_code");
        assert_eq!(
            json["message_vi"],
            "Mã số thuế không hợp lệ (sai số kiểm tra)."
        );
        assert!(json.get("details").is_none(), "empty lists are left out");
        let back: ApiError = serde_json::from_value(json).unwrap();
        assert_eq!(back, e);
        assert_eq!(back.kind(), None);
    }

    #[test]
    fn an_unbound_device_is_told_when_in_vietnams_time_and_why_when_known() {
        use chrono::TimeZone;
        // 17:05 UTC is 00:05 the next day in Vietnam.
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 2, 17, 5, 0).unwrap();
        let replaced = ApiError::device_unbound(at, true);
        assert_eq!(replaced.kind(), Some(ErrorCode::DeviceUnbound));
        assert_eq!(replaced.unbound_at, Some(at));
        assert!(
            replaced
                .message_vi
                .contains("vì một thiết bị khác đã được liên kết (lúc 00:05 ngày 03/12/2026)"),
            "{}",
            replaced.message_vi
        );
        assert!(
            replaced
                .message_en
                .contains("another device was bound at 00:05 on 03/12/2026"),
            "{}",
            replaced.message_en
        );
        let unbound = ApiError::device_unbound(at, false);
        assert!(!unbound.message_vi.contains("thiết bị khác"));
        assert!(
            unbound
                .message_en
                .contains("it was unbound at 00:05 on 03/12/2026")
        );
        for e in [&replaced, &unbound] {
            assert!(
                e.message_vi
                    .ends_with("Liên kết lại nếu bạn muốn dùng thiết bị này.")
            );
            assert!(e.message_en.ends_with("Bind it again to use it here."));
        }
        let json = serde_json::to_value(&replaced).unwrap();
        assert_eq!(json["code"], "device_unbound");
        assert_eq!(serde_json::from_value::<ApiError>(json).unwrap(), replaced);
        assert!(
            serde_json::to_value(ApiError::new(ErrorCode::Forbidden))
                .unwrap()
                .get("unbound_at")
                .is_none()
        );
    }
}
