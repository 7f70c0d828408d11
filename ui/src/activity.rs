//! Audit entries as people read them: each action's stable code (`device.bind`) named in
//! Vietnamese and English. A code without a name here is shown as it is, so a new action on
//! the server is never hidden from the person it concerns.

use crate::i18n::Lang;

/// The names of the actions a person meets in their own activity or their organisation's:
/// `(code, Vietnamese, English)`.
const ACTIONS: &[(&str, &str, &str)] = &[
    ("session.sign_in", "Đăng nhập", "Signed in"),
    (
        "session.sign_in.locked",
        "Đăng nhập khi tài khoản đang khóa",
        "Sign-in while the account was locked",
    ),
    (
        "session.sign_in.proof",
        "Đăng nhập từ thiết bị không hợp lệ",
        "Sign-in from a device that failed its check",
    ),
    (
        "session.create",
        "Bắt đầu phiên đăng nhập",
        "Session started",
    ),
    ("session.end", "Kết thúc phiên đăng nhập", "Session ended"),
    (
        "session.renew",
        "Gia hạn phiên đăng nhập",
        "Session renewed",
    ),
    ("session.switch", "Đổi tài khoản", "Switched account"),
    (
        "session.acting_for.ended",
        "Dừng dùng tài khoản tổ chức",
        "Stopped acting for the organisation",
    ),
    (
        "device.bind.start",
        "Bắt đầu liên kết thiết bị",
        "Started binding a device",
    ),
    ("device.bind", "Liên kết thiết bị", "Device bound"),
    ("device.unbind", "Hủy liên kết thiết bị", "Device unbound"),
    (
        "device.passcode_reset.start",
        "Bắt đầu đặt lại mã PIN",
        "Started resetting the passcode",
    ),
    ("device.passcode_reset", "Đặt lại mã PIN", "Passcode reset"),
    (
        "account.self_lock.start",
        "Bắt đầu khóa tài khoản",
        "Started locking the account",
    ),
    (
        "account.self_lock",
        "Tự khóa tài khoản",
        "Account locked by its owner",
    ),
    (
        "account.lock",
        "Cán bộ khóa hoặc mở khóa tài khoản",
        "An officer locked or unlocked the account",
    ),
    ("account.locked", "Tài khoản bị khóa", "Account locked"),
    (
        "account.unlocked",
        "Tài khoản được mở khóa",
        "Account unlocked",
    ),
    ("account.create", "Tạo tài khoản", "Account created"),
    (
        "account.set_level",
        "Đổi mức định danh",
        "Identity level changed",
    ),
    (
        "account.self_registration.start",
        "Bắt đầu đăng ký tài khoản",
        "Started registering an account",
    ),
    (
        "account.self_registration.code_sent",
        "Gửi mã đăng ký tài khoản",
        "Registration code sent",
    ),
    (
        "account.self_registration.finish",
        "Hoàn tất đăng ký tài khoản",
        "Account registration finished",
    ),
    (
        "personal_data.viewed",
        "Xem dữ liệu cá nhân",
        "Personal data viewed",
    ),
    (
        "challenge.issue",
        "Cấp mã thử thách xác nhận",
        "Confirmation challenge issued",
    ),
    (
        "registration.submit",
        "Gửi yêu cầu đăng ký tổ chức",
        "Organisation registration submitted",
    ),
    (
        "registration.submitted",
        "Gửi yêu cầu đăng ký tổ chức",
        "Organisation registration submitted",
    ),
    (
        "registration.consent",
        "Trả lời yêu cầu đồng ý",
        "Answered a consent request",
    ),
    (
        "registration.consented",
        "Đồng ý đăng ký tổ chức",
        "Consented to a registration",
    ),
    (
        "registration.refused",
        "Từ chối đăng ký tổ chức",
        "Refused a registration",
    ),
    (
        "registration.withdrawal",
        "Rút yêu cầu đăng ký",
        "Request withdrawn",
    ),
    (
        "registration.withdrawn",
        "Rút yêu cầu đăng ký",
        "Request withdrawn",
    ),
    (
        "registration.answer",
        "Trả lời cán bộ",
        "Answered the officer",
    ),
    (
        "registration.answered",
        "Trả lời cán bộ",
        "Answered the officer",
    ),
    (
        "registration.approved",
        "Yêu cầu được duyệt",
        "Request approved",
    ),
    (
        "registration.approved_automatically",
        "Yêu cầu được duyệt tự động",
        "Request approved automatically",
    ),
    (
        "registration.rejected",
        "Yêu cầu bị từ chối",
        "Request rejected",
    ),
    (
        "registration.information_requested",
        "Cán bộ yêu cầu bổ sung thông tin",
        "The officer asked for information",
    ),
    (
        "registration.decision",
        "Cán bộ quyết định",
        "Officer's decision",
    ),
    ("attachment.upload", "Tải lên tài liệu", "Document uploaded"),
    (
        "attachment.uploaded",
        "Tải lên tài liệu",
        "Document uploaded",
    ),
    ("attachment.read", "Xem tài liệu", "Document read"),
    (
        "organisation.read",
        "Xem hồ sơ tổ chức",
        "Organisation record read",
    ),
    (
        "organisation.created",
        "Tạo tài khoản tổ chức",
        "Organisation account created",
    ),
    (
        "organisation.change",
        "Thay đổi tài khoản tổ chức",
        "Organisation account changed",
    ),
    (
        "organisation.activity",
        "Xem hoạt động của tổ chức",
        "Organisation activity read",
    ),
    ("delegation.add", "Ủy quyền", "Delegate added"),
    ("delegation.added", "Ủy quyền", "Delegate added"),
    (
        "delegation.answer",
        "Trả lời ủy quyền",
        "Answered a delegation",
    ),
    (
        "delegation.accepted",
        "Nhận ủy quyền",
        "Delegation accepted",
    ),
    (
        "delegation.declined",
        "Từ chối ủy quyền",
        "Delegation declined",
    ),
    (
        "delegation.revoke",
        "Thu hồi ủy quyền",
        "Delegation revoked",
    ),
    (
        "delegation.revoked",
        "Thu hồi ủy quyền",
        "Delegation revoked",
    ),
    (
        "delegation.list",
        "Xem danh sách ủy quyền",
        "Delegations listed",
    ),
    (
        "delegation.services",
        "Chọn dịch vụ được phép",
        "Allowed services chosen",
    ),
    (
        "delegation.services_set",
        "Chọn dịch vụ được phép",
        "Allowed services chosen",
    ),
    (
        "qr_login.approve",
        "Cho phép máy tính đăng nhập bằng mã QR",
        "Allowed a computer to sign in by QR code",
    ),
    (
        "qr_login.decline",
        "Từ chối máy tính đăng nhập bằng mã QR",
        "Declined a computer's QR sign-in",
    ),
    (
        "qr_login.token",
        "Máy tính đăng nhập bằng mã QR",
        "A computer signed in by QR code",
    ),
    (
        "desktop_action.confirm",
        "Xác nhận thao tác từ máy tính",
        "Confirmed a computer's action",
    ),
    (
        "desktop_action.decline",
        "Từ chối thao tác từ máy tính",
        "Declined a computer's action",
    ),
    (
        "desktop_action.start",
        "Máy tính gửi thao tác chờ xác nhận",
        "A computer asked for confirmation",
    ),
    (
        "desktop_action.cancel",
        "Máy tính hủy thao tác chờ xác nhận",
        "A computer withdrew its request",
    ),
    (
        "oidc.approve",
        "Đăng nhập vào dịch vụ",
        "Signed in to a service",
    ),
    (
        "oidc.approve_cccd",
        "Chia sẻ số định danh với dịch vụ",
        "Shared the identification number with a service",
    ),
    (
        "oidc.decline",
        "Từ chối đăng nhập vào dịch vụ",
        "Declined a sign-in to a service",
    ),
    (
        "oidc.token",
        "Dịch vụ nhận thông tin đăng nhập",
        "A service received the sign-in",
    ),
    (
        "oidc.refresh",
        "Dịch vụ gia hạn quyền truy cập",
        "A service renewed its access",
    ),
    (
        "oidc.logout",
        "Đăng xuất khỏi dịch vụ",
        "Signed out of a service",
    ),
    (
        "service_consent.withdraw",
        "Rút lại đồng ý chia sẻ thông tin",
        "Consent to share data withdrawn",
    ),
    (
        "service_consent.withdrawn",
        "Rút lại đồng ý chia sẻ thông tin",
        "Consent to share data withdrawn",
    ),
    (
        "console.person.read",
        "Cán bộ xem thông tin cá nhân",
        "An officer read the personal record",
    ),
    (
        "console.person.reveal",
        "Cán bộ xem số định danh đầy đủ",
        "An officer revealed the full number",
    ),
    (
        "citizen.added",
        "Thêm vào cơ sở dữ liệu dân cư",
        "Added to the population database",
    ),
    ("contact.email_set", "Đặt thư điện tử", "E-mail address set"),
];

/// The name of an audited action in `lang`; the code itself when it has no name here.
pub fn action_label(action: &str, lang: Lang) -> String {
    ACTIONS
        .iter()
        .find(|(code, _, _)| *code == action)
        .map(|(_, vi, en)| lang.t(vi, en).to_owned())
        .unwrap_or_else(|| action.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_action_is_named_in_each_language_and_an_unknown_one_is_shown_as_its_code() {
        assert_eq!(
            action_label("device.passcode_reset", Lang::Vi),
            "Đặt lại mã PIN"
        );
        assert_eq!(
            action_label("device.passcode_reset", Lang::En),
            "Passcode reset"
        );
        assert_eq!(action_label("something.new", Lang::Vi), "something.new");
    }

    #[test]
    fn every_action_is_named_once() {
        let mut codes: Vec<&str> = ACTIONS.iter().map(|(c, _, _)| *c).collect();
        codes.sort_unstable();
        let before = codes.len();
        codes.dedup();
        assert_eq!(before, codes.len());
    }
}
