//! The error of every identifier and policy parser in this crate.
//!
//! An [`IdError`] names *which* value is wrong ([`IdKind`]) and *what* is wrong with it
//! ([`IdProblem`]). Each has a stable machine code and a message in Vietnamese and English, so
//! the UI can show it inline under the field and the server can return it in an
//! [`crate::api::ApiError`] unchanged.
//!
//! Messages never repeat the rejected input: a mistyped identification number must not end up
//! in a log line through an error message.

use std::fmt;

/// Which kind of value failed to parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdKind {
    /// Personal identification number (số định danh cá nhân / CCCD).
    CitizenId,
    /// The organisation's e-ID number issued on approval.
    OrgEid,
    /// Tax code (mã số thuế).
    TaxCode,
    /// Enterprise code (mã số doanh nghiệp).
    EnterpriseCode,
    /// Cooperative code (mã số hợp tác xã).
    CooperativeCode,
    /// Electronic identification code of a state agency (Decision 20/2020/QĐ-TTg).
    AgencyCode,
    /// Vietnamese mobile phone number.
    PhoneNumber,
    /// E-mail address.
    Email,
    /// Account password.
    Password,
    /// 6-digit confirmation passcode.
    Passcode,
    /// A province code.
    Province,
    /// A server-issued opaque identifier (account, device, request ...).
    OpaqueId,
    /// The origin of a Định Danh server (`https://host[:port]`), bound into signatures.
    Origin,
    /// The object a signed action is about (`registration:REQ123`).
    ActionTarget,
}

impl IdKind {
    /// Stable machine name, used in error codes (`tax_code.bad_check_digit`).
    pub fn code(self) -> &'static str {
        match self {
            IdKind::CitizenId => "citizen_id",
            IdKind::OrgEid => "org_eid",
            IdKind::TaxCode => "tax_code",
            IdKind::EnterpriseCode => "enterprise_code",
            IdKind::CooperativeCode => "cooperative_code",
            IdKind::AgencyCode => "agency_code",
            IdKind::PhoneNumber => "phone_number",
            IdKind::Email => "email",
            IdKind::Password => "password",
            IdKind::Passcode => "passcode",
            IdKind::Province => "province",
            IdKind::OpaqueId => "id",
            IdKind::Origin => "origin",
            IdKind::ActionTarget => "action_target",
        }
    }

    /// Vietnamese label of the field.
    pub fn label_vi(self) -> &'static str {
        match self {
            IdKind::CitizenId => "Số định danh cá nhân",
            IdKind::OrgEid => "Số định danh tổ chức",
            IdKind::TaxCode => "Mã số thuế",
            IdKind::EnterpriseCode => "Mã số doanh nghiệp",
            IdKind::CooperativeCode => "Mã số hợp tác xã",
            IdKind::AgencyCode => "Mã định danh cơ quan",
            IdKind::PhoneNumber => "Số điện thoại",
            IdKind::Email => "Thư điện tử",
            IdKind::Password => "Mật khẩu",
            IdKind::Passcode => "Mã PIN",
            IdKind::Province => "Mã tỉnh",
            IdKind::OpaqueId => "Mã tham chiếu",
            IdKind::Origin => "Địa chỉ máy chủ",
            IdKind::ActionTarget => "Đối tượng thao tác",
        }
    }

    /// English label of the field.
    pub fn label_en(self) -> &'static str {
        match self {
            IdKind::CitizenId => "Personal identification number",
            IdKind::OrgEid => "Organisation e-ID number",
            IdKind::TaxCode => "Tax code",
            IdKind::EnterpriseCode => "Enterprise code",
            IdKind::CooperativeCode => "Cooperative code",
            IdKind::AgencyCode => "Agency code",
            IdKind::PhoneNumber => "Phone number",
            IdKind::Email => "E-mail",
            IdKind::Password => "Password",
            IdKind::Passcode => "Passcode",
            IdKind::Province => "Province code",
            IdKind::OpaqueId => "Reference",
            IdKind::Origin => "Server address",
            IdKind::ActionTarget => "Action target",
        }
    }
}

/// What is wrong with a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdProblem {
    /// Nothing was entered.
    Empty,
    /// Input far longer than any valid value; rejected before any other work.
    TooLong { max: usize },
    /// Too short (e.g. a password).
    TooShort { min: usize },
    /// Wrong number of digits/characters.
    WrongLength {
        expected: &'static str,
        found: usize,
    },
    /// A character other than a digit where only digits are allowed.
    NotDigits,
    /// A character that is never allowed in this value.
    ForbiddenCharacter,
    /// The check digit does not match the rest of the number.
    BadCheckDigit,
    /// The body has no valid check digit at all (tax code body whose weighted sum is 0 mod 11).
    NoValidCheckDigit,
    /// A province code that was never issued.
    UnknownProvince,
    /// Century/gender digit outside what is issued.
    BadCenturyGender,
    /// The birth year encoded in the number is in the future or otherwise impossible.
    ImpossibleBirthYear,
    /// Branch suffix of a 13-digit tax code outside 001–999.
    BadBranch,
    /// A phone number whose prefix is not a Vietnamese mobile prefix.
    UnknownMobilePrefix,
    /// The value does not have the expected shape.
    BadFormat {
        detail_vi: &'static str,
        detail_en: &'static str,
    },
    /// Password lacks an upper-case letter.
    MissingUpperCase,
    /// Password lacks a lower-case letter.
    MissingLowerCase,
    /// Password lacks a digit.
    MissingDigit,
    /// Password lacks a symbol.
    MissingSymbol,
    /// A passcode that is too easy to guess (000000, 123456, repeated pairs ...).
    TrivialPasscode,
    /// A passcode equal to the person's date of birth.
    PasscodeIsBirthDate,
}

impl IdProblem {
    /// Stable machine name of the problem.
    pub fn code(&self) -> &'static str {
        match self {
            IdProblem::Empty => "empty",
            IdProblem::TooLong { .. } => "too_long",
            IdProblem::TooShort { .. } => "too_short",
            IdProblem::WrongLength { .. } => "wrong_length",
            IdProblem::NotDigits => "not_digits",
            IdProblem::ForbiddenCharacter => "forbidden_character",
            IdProblem::BadCheckDigit => "bad_check_digit",
            IdProblem::NoValidCheckDigit => "no_valid_check_digit",
            IdProblem::UnknownProvince => "unknown_province",
            IdProblem::BadCenturyGender => "bad_century_gender",
            IdProblem::ImpossibleBirthYear => "impossible_birth_year",
            IdProblem::BadBranch => "bad_branch",
            IdProblem::UnknownMobilePrefix => "unknown_mobile_prefix",
            IdProblem::BadFormat { .. } => "bad_format",
            IdProblem::MissingUpperCase => "missing_upper_case",
            IdProblem::MissingLowerCase => "missing_lower_case",
            IdProblem::MissingDigit => "missing_digit",
            IdProblem::MissingSymbol => "missing_symbol",
            IdProblem::TrivialPasscode => "trivial_passcode",
            IdProblem::PasscodeIsBirthDate => "passcode_is_birth_date",
        }
    }

    fn message_vi(&self) -> String {
        match self {
            IdProblem::Empty => "chưa được nhập".into(),
            IdProblem::TooLong { max } => format!("quá dài (tối đa {max} ký tự)"),
            IdProblem::TooShort { min } => format!("quá ngắn (tối thiểu {min} ký tự)"),
            IdProblem::WrongLength { expected, found } => {
                format!("phải gồm {expected} ký tự, đã nhập {found}")
            }
            IdProblem::NotDigits => "chỉ được gồm chữ số".into(),
            IdProblem::ForbiddenCharacter => "chứa ký tự không được phép".into(),
            IdProblem::BadCheckDigit => "không hợp lệ (sai số kiểm tra)".into(),
            IdProblem::NoValidCheckDigit => "không hợp lệ (không có số kiểm tra hợp lệ)".into(),
            IdProblem::UnknownProvince => "có mã tỉnh không tồn tại".into(),
            IdProblem::BadCenturyGender => "có mã thế kỷ/giới tính không hợp lệ".into(),
            IdProblem::ImpossibleBirthYear => "có năm sinh không hợp lệ".into(),
            IdProblem::BadBranch => "có mã chi nhánh không hợp lệ (001–999)".into(),
            IdProblem::UnknownMobilePrefix => "không phải số di động Việt Nam".into(),
            IdProblem::BadFormat { detail_vi, .. } => format!("không đúng định dạng: {detail_vi}"),
            IdProblem::MissingUpperCase => "phải có ít nhất một chữ in hoa".into(),
            IdProblem::MissingLowerCase => "phải có ít nhất một chữ thường".into(),
            IdProblem::MissingDigit => "phải có ít nhất một chữ số".into(),
            IdProblem::MissingSymbol => "phải có ít nhất một ký tự đặc biệt".into(),
            IdProblem::TrivialPasscode => "quá dễ đoán, hãy chọn mã khác".into(),
            IdProblem::PasscodeIsBirthDate => "không được trùng ngày sinh".into(),
        }
    }

    fn message_en(&self) -> String {
        match self {
            IdProblem::Empty => "is missing".into(),
            IdProblem::TooLong { max } => format!("is too long (at most {max} characters)"),
            IdProblem::TooShort { min } => format!("is too short (at least {min} characters)"),
            IdProblem::WrongLength { expected, found } => {
                format!("must have {expected} characters, {found} given")
            }
            IdProblem::NotDigits => "may contain digits only".into(),
            IdProblem::ForbiddenCharacter => "contains a character that is not allowed".into(),
            IdProblem::BadCheckDigit => "is invalid (wrong check digit)".into(),
            IdProblem::NoValidCheckDigit => "is invalid (no valid check digit exists)".into(),
            IdProblem::UnknownProvince => "has a province code that does not exist".into(),
            IdProblem::BadCenturyGender => "has an invalid century/gender digit".into(),
            IdProblem::ImpossibleBirthYear => "has an impossible year of birth".into(),
            IdProblem::BadBranch => "has an invalid branch number (001–999)".into(),
            IdProblem::UnknownMobilePrefix => "is not a Vietnamese mobile number".into(),
            IdProblem::BadFormat { detail_en, .. } => format!("is malformed: {detail_en}"),
            IdProblem::MissingUpperCase => "needs at least one upper-case letter".into(),
            IdProblem::MissingLowerCase => "needs at least one lower-case letter".into(),
            IdProblem::MissingDigit => "needs at least one digit".into(),
            IdProblem::MissingSymbol => "needs at least one symbol".into(),
            IdProblem::TrivialPasscode => "is too easy to guess, choose another".into(),
            IdProblem::PasscodeIsBirthDate => "must not be your date of birth".into(),
        }
    }
}

/// A value that failed to parse: which kind, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message_en())]
pub struct IdError {
    /// Which value.
    pub kind: IdKind,
    /// What is wrong with it.
    pub problem: IdProblem,
}

impl IdError {
    /// Builds an error.
    pub fn new(kind: IdKind, problem: IdProblem) -> Self {
        IdError { kind, problem }
    }

    /// Stable machine code, e.g. `tax_code.bad_check_digit`.
    pub fn code(&self) -> String {
        format!("{}.{}", self.kind.code(), self.problem.code())
    }

    /// Full sentence in Vietnamese, e.g. "Mã số thuế không hợp lệ (sai số kiểm tra)."
    pub fn message_vi(&self) -> String {
        format!("{} {}.", self.kind.label_vi(), self.problem.message_vi())
    }

    /// Full sentence in English.
    pub fn message_en(&self) -> String {
        format!("{} {}.", self.kind.label_en(), self.problem.message_en())
    }
}

impl fmt::Display for IdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_en())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_has_code_and_both_languages() {
        let e = IdError::new(IdKind::TaxCode, IdProblem::BadCheckDigit);
        assert_eq!(e.code(), "tax_code.bad_check_digit");
        assert_eq!(e.message_vi(), "Mã số thuế không hợp lệ (sai số kiểm tra).");
        assert_eq!(e.message_en(), "Tax code is invalid (wrong check digit).");
        assert_eq!(e.to_string(), e.message_en());
    }
}
