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

/// What a confirmation confirmed: the signed action's kind (`ActionKind`'s serde name) as
/// `(word, Vietnamese, English)`, written to follow "Xác nhận …" / "Confirmed: …".
const KINDS: &[(&str, &str, &str)] = &[
    (
        "register_organisation",
        "gửi yêu cầu đăng ký tổ chức",
        "submitting an organisation registration",
    ),
    (
        "consent_to_registration",
        "đồng ý đăng ký tổ chức",
        "consenting to a registration",
    ),
    (
        "refuse_registration",
        "từ chối đăng ký tổ chức",
        "refusing a registration",
    ),
    (
        "answer_information_request",
        "trả lời cán bộ",
        "answering the officer",
    ),
    (
        "withdraw_registration",
        "rút yêu cầu đăng ký",
        "withdrawing a request",
    ),
    ("add_delegate", "ủy quyền", "adding a delegate"),
    (
        "revoke_delegate",
        "thu hồi ủy quyền",
        "revoking a delegation",
    ),
    (
        "change_delegate_role",
        "đổi vai trò được ủy quyền",
        "changing a delegate's role",
    ),
    (
        "accept_delegation",
        "nhận ủy quyền",
        "accepting a delegation",
    ),
    (
        "decline_delegation",
        "từ chối ủy quyền",
        "declining a delegation",
    ),
    ("switch_account", "đổi tài khoản", "switching account"),
    (
        "approve_qr_login",
        "đăng nhập máy tính bằng mã QR",
        "a computer's QR sign-in",
    ),
    (
        "decline_qr_login",
        "từ chối đăng nhập bằng mã QR",
        "declining a QR sign-in",
    ),
    (
        "confirm_desktop_action",
        "thao tác từ máy tính",
        "a computer's action",
    ),
    ("bind_device", "liên kết thiết bị", "binding a device"),
    (
        "unbind_device",
        "hủy liên kết thiết bị",
        "unbinding a device",
    ),
    ("set_passcode", "đặt mã PIN", "setting the passcode"),
    ("reset_passcode", "đặt lại mã PIN", "resetting the passcode"),
    (
        "enrol_biometric",
        "đăng ký sinh trắc học",
        "enrolling biometrics",
    ),
    (
        "remove_biometric",
        "gỡ sinh trắc học",
        "removing biometrics",
    ),
    (
        "change_contact",
        "đổi thông tin liên hệ",
        "changing contact details",
    ),
    (
        "update_organisation_info",
        "thay đổi thông tin tổ chức",
        "changing an organisation",
    ),
    ("lock_account", "khóa tài khoản", "locking the account"),
    (
        "end_session",
        "đăng xuất phiên khác",
        "ending another session",
    ),
    (
        "review_registration",
        "quyết định của cán bộ",
        "an officer's decision",
    ),
    (
        "change_account_lock",
        "khóa hoặc mở khóa tài khoản",
        "locking or unlocking an account",
    ),
    ("step_up", "danh tính", "who you are"),
    (
        "approve_oidc_sign_in",
        "đăng nhập vào dịch vụ",
        "signing in to a service",
    ),
    (
        "decline_oidc_sign_in",
        "từ chối đăng nhập vào dịch vụ",
        "declining a sign-in to a service",
    ),
    (
        "set_delegation_services",
        "chọn dịch vụ được phép",
        "choosing allowed services",
    ),
];

/// How a confirmation ended (`confirmation.<kind>.<outcome>`), as a suffix.
fn confirmation_outcome(outcome: &str, lang: Lang) -> Option<&'static str> {
    Some(match outcome {
        "accepted" => "",
        "wrong_confirmation" => lang.t(" — sai mã PIN", " — wrong passcode"),
        "locked" => lang.t(
            " — đang tạm khóa xác nhận",
            " — confirmation locked for now",
        ),
        "rebind_required" => lang.t(
            " — cần liên kết lại thiết bị",
            " — the device must be bound again",
        ),
        "refused" => lang.t(" — bị từ chối", " — refused"),
        _ => return None,
    })
}

/// The name of an audited action in `lang`; the code itself when it has no name here.
pub fn action_label(action: &str, lang: Lang) -> String {
    if let Some((_, vi, en)) = ACTIONS.iter().find(|(code, _, _)| *code == action) {
        return lang.t(vi, en).to_owned();
    }
    // The server names each confirmation by what it confirmed and how it ended.
    if let Some(rest) = action.strip_prefix("confirmation.")
        && let Some((kind, outcome)) = rest.rsplit_once('.')
        && let Some((_, vi, en)) = KINDS.iter().find(|(word, _, _)| *word == kind)
        && let Some(suffix) = confirmation_outcome(outcome, lang)
    {
        return match lang {
            Lang::Vi => format!("Xác nhận {vi}{suffix}"),
            Lang::En => format!("Confirmed {en}{suffix}"),
        };
    }
    // A step-up before a sensitive screen: `step_up.<purpose>`.
    if action == "step_up.open_organisation_identity" {
        return lang
            .t(
                "Xác minh danh tính để đăng ký định danh tổ chức",
                "Proved who you are to register an organisation",
            )
            .to_owned();
    }
    action.to_owned()
}

/// What an entry was about, as a person reads it: a request or an organisation by the number
/// they know; nothing for the server's internal ids (accounts, sessions, devices, challenges),
/// which mean nothing to a reader.
pub fn object_label(object: &str, lang: Lang) -> Option<String> {
    let (kind, id) = object.split_once(':')?;
    match kind {
        "registration" => Some(match lang {
            Lang::Vi => format!("Yêu cầu {id}"),
            Lang::En => format!("Request {id}"),
        }),
        "organisation" => Some(match lang {
            Lang::Vi => format!("Tổ chức {id}"),
            Lang::En => format!("Organisation {id}"),
        }),
        "delegation" => Some(lang.t("Một ủy quyền", "A delegation").to_owned()),
        _ => None,
    }
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
    fn requests_and_organisations_are_named_and_internal_ids_are_not_shown() {
        assert_eq!(
            object_label("registration:REQ123", Lang::Vi).as_deref(),
            Some("Yêu cầu REQ123")
        );
        assert_eq!(
            object_label("organisation:TC00000000013", Lang::En).as_deref(),
            Some("Organisation TC00000000013")
        );
        for internal in ["session:ses_1", "account:acc_1", "device:dev_1", "plain"] {
            assert_eq!(object_label(internal, Lang::Vi), None);
        }
    }

    #[test]
    fn a_confirmation_is_named_by_what_it_confirmed_and_how_it_ended() {
        assert_eq!(
            action_label("confirmation.step_up.wrong_confirmation", Lang::Vi),
            "Xác nhận danh tính — sai mã PIN"
        );
        assert_eq!(
            action_label("confirmation.switch_account.accepted", Lang::En),
            "Confirmed switching account"
        );
        // An outcome or a kind not named here: the code as it is.
        assert_eq!(
            action_label("confirmation.switch_account.later", Lang::En),
            "confirmation.switch_account.later"
        );
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
