//! *Tài khoản và bảo mật*: a new passcode (forgotten or changed: the password, a code to the
//! phone, the new passcode twice on the keypad), locking the account (*Khóa tài khoản*, also
//! from a phone that is not the bound one), and the ways to the person's data and activity.
//! Each step keeps what was typed on an error and says under the field what to fix.

use dinhdanh_core::api::{ApiError, CodeSent, ErrorCode, OneTimeCode, SecretText};
use dinhdanh_core::app::{
    PasscodeResetFinishArgs, PasscodeResetStartArgs, SelfLockFinishArgs, SelfLockStartArgs,
};
use dinhdanh_core::ids::Passcode;
use dioxus::prelude::*;

use crate::bridge;
use crate::i18n::Lang;
use crate::keypad::{PasscodeSet, PasscodeSetStep};
use crate::nav::{Screen, entry_screen, may_manage};
use crate::screens::first_run::field_failure;
use crate::state::ctx;
use crate::widgets::{Icon, PasscodeKeypad, TextField};

/// *Tài khoản và bảo mật*: the passcode, locking the account, the person's data and activity.
#[component]
pub fn Security() -> Element {
    let c = ctx();
    // A desktop signed in by QR holds no passcode: the passcode is changed on the phone.
    let phone = c.status.read().as_ref().is_some_and(may_manage);
    rsx! {
        div { id: "screen-security", class: "screen",
            h1 { {c.t("Tài khoản và bảo mật", "Account and security")} }
            div { class: "tiles",
                if phone {
                    button { id: "open-passcode-reset", class: "tile", r#type: "button",
                        onclick: move |_| c.go(Screen::PasscodeReset),
                        span { class: "tile-icon", Icon { name: "key" } }
                        span { class: "tile-title", {c.t("Đổi hoặc quên mã PIN", "Change or forgot passcode")} }
                        span { class: "tile-text", {c.t("Bằng mật khẩu và mã xác thực", "With your password and a code")} }
                    }
                }
                button { id: "open-my-data", class: "tile", r#type: "button",
                    onclick: move |_| c.go(Screen::MyData),
                    span { class: "tile-icon", Icon { name: "person" } }
                    span { class: "tile-title", {c.t("Dữ liệu cá nhân", "My personal data")} }
                    span { class: "tile-text", {c.t("Thông tin đang được lưu về bạn", "What is held about you")} }
                }
                button { id: "open-my-activity", class: "tile", r#type: "button",
                    onclick: move |_| c.go(Screen::MyActivity),
                    span { class: "tile-icon", Icon { name: "list" } }
                    span { class: "tile-title", {c.t("Hoạt động của tôi", "My activity")} }
                    span { class: "tile-text", {c.t("Ai đã làm gì với tài khoản của bạn", "Who did what with your account")} }
                }
                button { id: "open-lock-account", class: "tile danger-tile", r#type: "button",
                    onclick: move |_| c.go(Screen::LockAccount),
                    span { class: "tile-icon", Icon { name: "lock" } }
                    span { class: "tile-title", {c.t("Khóa tài khoản", "Lock my account")} }
                    span { class: "tile-text", {c.t("Khi mất điện thoại hoặc lộ mật khẩu", "If you lost your phone or your password leaked")} }
                }
            }
        }
    }
}

/// Where a passcode reset stands.
#[derive(Clone, Debug, PartialEq)]
enum ResetStep {
    /// The password.
    Password,
    /// The code sent to the phone (masked number).
    Code { sent_to: String },
    /// The new passcode on the keypad, twice.
    NewPasscode { sent_to: String },
}

/// *Quên mã PIN* / *Đổi mã PIN*: the password (a code goes to the phone number), the code,
/// then the new passcode twice. The old passcode stops working once the server accepted the
/// new one.
#[component]
pub fn PasscodeReset() -> Element {
    let c = ctx();
    let mut step = use_signal(|| ResetStep::Password);
    let password = use_signal(String::new);
    let code = use_signal(String::new);
    let mut flow = use_signal(PasscodeSet::default);

    let send_password = move |_| {
        let args = PasscodeResetStartArgs {
            password: SecretText::new(password.read().clone()),
        };
        spawn(async move {
            if let Some(sent) = c.run(bridge::passcode_reset_start(&args)).await {
                step.set(ResetStep::Code {
                    sent_to: sent.sent_to,
                });
            }
        });
    };
    let check_code = move |_| match OneTimeCode::parse(&code.read()) {
        Err(e) => c.fail(*field_failure("code", &e)),
        Ok(_) => {
            let sent_to = match &*step.read() {
                ResetStep::Code { sent_to } => sent_to.clone(),
                _ => String::new(),
            };
            flow.set(PasscodeSet::default());
            let mut error = c.error;
            error.set(None);
            step.set(ResetStep::NewPasscode { sent_to });
        }
    };
    let on_complete = move |entry: SecretText| {
        if !flow.read().is_second() {
            // The core crate's policy, before the person types it a second time.
            if let Err(e) = Passcode::parse(entry.expose(), None) {
                c.fail(ApiError::from_id_error(&e, "passcode"));
                return;
            }
        }
        let next = flow.write().entered(entry);
        match next {
            PasscodeSetStep::AskAgain => {
                let mut error = c.error;
                error.set(None);
            }
            PasscodeSetStep::Mismatch => c.fail(mismatch()),
            PasscodeSetStep::Done { passcode, again } => {
                let args = PasscodeResetFinishArgs {
                    code: code.read().split_whitespace().collect(),
                    passcode,
                    passcode_again: again,
                };
                spawn(async move {
                    if c.run(bridge::passcode_reset_finish(&args)).await.is_some() {
                        c.go(Screen::Security);
                        c.tell(
                            "Đã đặt mã PIN mới. Mã PIN cũ không còn dùng được; một tin nhắn báo việc này đã được gửi tới số điện thoại của bạn.",
                            "Your new passcode is set. The old one no longer works; a text message about it went to your phone number.",
                        );
                        return;
                    }
                    // A wrong or expired code goes back to the code, kept as typed; anything
                    // else (the policy) asks for the new passcode again.
                    let on_code = c
                        .error
                        .read()
                        .as_ref()
                        .is_some_and(|e| e.field.as_deref() == Some("code"));
                    flow.set(PasscodeSet::default());
                    if on_code {
                        let sent_to = match &*step.read() {
                            ResetStep::NewPasscode { sent_to } => sent_to.clone(),
                            _ => String::new(),
                        };
                        step.set(ResetStep::Code { sent_to });
                    }
                });
            }
        }
    };

    let current = step.read().clone();
    let lang = c.l();
    let keypad_title = if flow.read().is_second() {
        c.t("Nhập lại mã PIN mới", "Enter the new passcode again")
    } else {
        c.t("Nhập mã PIN mới", "Enter the new passcode")
    };
    rsx! {
        div { id: "screen-passcode-reset", class: "screen",
            h1 { {c.t("Đặt mã PIN mới", "Set a new passcode")} }
            match current {
                ResetStep::Password => rsx! {
                    p { class: "lead",
                        {c.t(
                            "Dùng khi quên mã PIN hoặc muốn đổi mã PIN. Nhập mật khẩu; mã xác thực sẽ được gửi tới số điện thoại đã đăng ký.",
                            "For a forgotten passcode or to change it. Enter your password; a code goes to your registered phone number.",
                        )}
                    }
                    TextField { id: "reset-password", label: c.t("Mật khẩu", "Password"),
                        value: password, kind: "password", autocomplete: "current-password",
                        error: c.field_error("password") }
                    button { id: "reset-send", class: "button primary", r#type: "button", onclick: send_password,
                        {c.t("Gửi mã xác thực", "Send the code")}
                    }
                },
                ResetStep::Code { sent_to } => rsx! {
                    p { class: "lead", {sent_line(lang, &sent_to)} }
                    TextField { id: "reset-code", label: c.t("Mã xác thực (6 số)", "Code (6 digits)"),
                        value: code, inputmode: "numeric", autocomplete: "one-time-code",
                        error: c.field_error("code") }
                    button { id: "reset-code-submit", class: "button primary", r#type: "button", onclick: check_code,
                        {c.t("Tiếp tục", "Continue")}
                    }
                },
                ResetStep::NewPasscode { .. } => rsx! {
                    p { class: "lead",
                        {c.t(
                            "Chọn mã PIN mới gồm 6 số. Không dùng ngày sinh hay dãy số dễ đoán.",
                            "Choose a new 6-digit passcode. Avoid your date of birth or easy sequences.",
                        )}
                    }
                    PasscodeKeypad { title: keypad_title.clone(), on_complete }
                },
            }
            button { id: "reset-cancel", class: "button ghost", r#type: "button",
                onclick: move |_| c.go(Screen::Security),
                {c.t("Hủy", "Cancel")}
            }
        }
    }
}

/// The two entries of a new passcode differ.
fn mismatch() -> ApiError {
    ApiError {
        code: "passcode_mismatch".into(),
        message_vi: "Hai lần nhập mã PIN không giống nhau; vui lòng nhập lại từ đầu.".into(),
        message_en: "The two passcodes differ; please start again.".into(),
        ..ApiError::new(ErrorCode::ValidationFailed)
    }
}

/// "A code was sent to …".
fn sent_line(lang: Lang, sent_to: &str) -> String {
    match lang {
        Lang::Vi => format!("Mã xác thực gồm 6 số đã được gửi tới {sent_to}."),
        Lang::En => format!("A 6-digit code was sent to {sent_to}."),
    }
}

/// Where locking the account stands.
#[derive(Clone, Debug, PartialEq)]
enum LockStep {
    /// Identification number and password.
    Details,
    /// The code (sent by e-mail, or SMS without one).
    Code(CodeSent),
    /// Locked.
    Done,
}

/// *Khóa tài khoản*: from any device, signed in or not — the phone may be lost. The
/// identification number and password, then the code sent by e-mail; the account is locked,
/// every session ends and the phone is unbound. Only the police unlock it.
#[component]
pub fn LockAccount() -> Element {
    let c = ctx();
    let mut step = use_signal(|| LockStep::Details);
    let password = use_signal(String::new);
    let code = use_signal(String::new);

    let start = move |_| {
        let args = SelfLockStartArgs {
            citizen_id: c.citizen_id.read().trim().to_owned(),
            password: SecretText::new(password.read().clone()),
        };
        spawn(async move {
            if let Some(sent) = c.run(bridge::self_lock_start(&args)).await {
                step.set(LockStep::Code(sent));
            }
        });
    };
    let finish = move |_| {
        if let Err(e) = OneTimeCode::parse(&code.read()) {
            c.fail(*field_failure("code", &e));
            return;
        }
        let args = SelfLockFinishArgs {
            code: code.read().split_whitespace().collect(),
        };
        spawn(async move {
            // The shell answers where the app stands afterwards: signed out and unbound when
            // the account locked was this profile's own.
            if let Some(status) = c.run(bridge::self_lock_finish(&args)).await {
                c.set_status(status);
                step.set(LockStep::Done);
            }
        });
    };
    let back = move |_| {
        let status = c.status.read().clone();
        match status {
            Some(s) if s.signed_in.is_some() => c.go(Screen::Security),
            Some(s) => c.go(entry_screen(&s)),
            None => c.go(Screen::FirstRun),
        }
    };

    let current = step.read().clone();
    let lang = c.l();
    rsx! {
        div { id: "screen-lock-account", class: "screen",
            h1 { {c.t("Khóa tài khoản", "Lock my account")} }
            match current {
                LockStep::Details => rsx! {
                    div { id: "lock-warning", class: "warning", role: "note",
                        strong { {c.t("Lưu ý: ", "Please note: ")} }
                        {c.t(
                            "Khóa tài khoản sẽ kết thúc mọi phiên đăng nhập và hủy liên kết điện thoại. Bạn không thể đăng nhập hay xác nhận giao dịch cho đến khi cơ quan công an mở khóa.",
                            "Locking ends every session and unbinds your phone. You cannot sign in or confirm anything until the police unlock the account.",
                        )}
                    }
                    p { class: "lead",
                        {c.t(
                            "Có thể khóa từ bất kỳ điện thoại nào. Mã xác thực được gửi qua thư điện tử (hoặc tin nhắn nếu bạn chưa đăng ký thư điện tử).",
                            "You can lock it from any phone. The code goes by e-mail (or by text message if you registered no e-mail).",
                        )}
                    }
                    TextField { id: "lock-citizen-id", label: c.t("Số định danh cá nhân", "Personal identification number"),
                        value: c.citizen_id, inputmode: "numeric", autocomplete: "username",
                        error: c.field_error("citizen_id") }
                    TextField { id: "lock-password", label: c.t("Mật khẩu", "Password"),
                        value: password, kind: "password", autocomplete: "current-password",
                        error: c.field_error("password") }
                    button { id: "lock-send", class: "button primary", r#type: "button", onclick: start,
                        {c.t("Gửi mã xác thực", "Send the code")}
                    }
                },
                LockStep::Code(sent) => rsx! {
                    p { class: "lead", {sent_line(lang, &sent.sent_to)} }
                    TextField { id: "lock-code", label: c.t("Mã xác thực (6 số)", "Code (6 digits)"),
                        value: code, inputmode: "numeric", autocomplete: "one-time-code",
                        error: c.field_error("code") }
                    button { id: "lock-confirm", class: "button primary", r#type: "button", onclick: finish,
                        {c.t("Khóa tài khoản ngay", "Lock the account now")}
                    }
                },
                LockStep::Done => rsx! {
                    div { id: "lock-done", class: "success-panel",
                        h2 { {c.t("Tài khoản đã bị khóa", "Your account is locked")} }
                        p {
                            {c.t(
                                "Mọi phiên đăng nhập đã kết thúc và điện thoại đã bị hủy liên kết. Một thông báo đã được gửi tới thư điện tử của bạn. Để mở khóa, vui lòng liên hệ cơ quan công an; sau đó bạn có thể liên kết điện thoại mới.",
                                "Every session ended and the phone was unbound. A notice went to your e-mail. To unlock the account, please contact the police; you can then bind a new phone.",
                            )}
                        }
                    }
                },
            }
            button { id: "lock-back", class: "button ghost", r#type: "button", onclick: back,
                {c.t("Quay lại", "Back")}
            }
        }
    }
}
