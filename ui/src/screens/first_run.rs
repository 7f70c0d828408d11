//! First run and signing in: server address, self-registration (level 1), binding this device
//! (identification number and password, one-time code, passcode twice), and the password on a
//! bound device.

use chrono::NaiveDate;
use dinhdanh_core::api::{
    ApiError, CodeSent, ErrorCode, OneTimeCode, SecretText, SelfRegistrationFinish,
    SelfRegistrationStart,
};
use dinhdanh_core::app::{BindFinishArgs, BindStartArgs, SetServerArgs, SignInArgs};
use dinhdanh_core::ids::{CitizenId, Email, Passcode, Password, PhoneNumber};
use dioxus::prelude::*;

use crate::bridge;
use crate::keypad::{PasscodeSet, PasscodeSetStep};
use crate::nav::{Screen, entry_screen};
use crate::state::ctx;
use crate::widgets::{PasscodeKeypad, TextField};

/// A form error naming its field, shown under that field and in the banner (boxed: it
/// travels in `Result`s that are otherwise small).
pub(crate) fn field_failure(field: &str, e: &dinhdanh_core::IdError) -> Box<ApiError> {
    Box::new(
        ApiError::new(ErrorCode::ValidationFailed)
            .with_details(vec![ApiError::from_id_error(e, field)]),
    )
}

/// A form error with its own sentences, for a field the core crate has no parser for.
pub(crate) fn field_message(field: &str, vi: &str, en: &str) -> Box<ApiError> {
    Box::new(
        ApiError::new(ErrorCode::ValidationFailed).with_details(vec![ApiError {
            field: Some(field.into()),
            message_vi: vi.into(),
            message_en: en.into(),
            ..ApiError::new(ErrorCode::ValidationFailed)
        }]),
    )
}

/// First run: the server's address and the ways in.
#[component]
pub fn FirstRun() -> Element {
    let c = ctx();
    let current = c
        .status
        .read()
        .as_ref()
        .map(|s| s.server.clone())
        .unwrap_or_default();
    let server = use_signal(|| current.clone());
    let save = move |_| {
        let address = server.read().trim().to_owned();
        spawn(async move {
            let args = SetServerArgs { server: address };
            if let Some(status) = c.run(bridge::set_server(&args)).await {
                c.set_status(status);
                c.tell("Đã lưu địa chỉ máy chủ.", "The server address is saved.");
            }
        });
    };
    rsx! {
        div { id: "screen-first-run", class: "screen",
            // Two parts: side by side on a computer's window (who this is for and the server on
            // the left, the ways in on the right), one after the other on a phone.
            div { class: "first-run-part",
                h1 { {c.t("Chào mừng đến với Định Danh", "Welcome to Định Danh")} }
                p { class: "lead",
                    {c.t(
                        "Định danh điện tử cho cá nhân và tổ chức theo Nghị định 69/2024/NĐ-CP.",
                        "Electronic identity for people and organisations under Decree 69/2024/NĐ-CP.",
                    )}
                }
                section { id: "screen-server", class: "card",
                    TextField {
                        id: "server-input",
                        label: c.t("Địa chỉ máy chủ", "Server address"),
                        value: server,
                        kind: "url",
                        error: c.field_error("server"),
                        hint: c.t(
                            "Mặc định: máy chủ cục bộ đi kèm ứng dụng.",
                            "Default: the local server that comes with the app.",
                        ),
                    }
                    button { id: "server-save", class: "button secondary", r#type: "button", onclick: save,
                        {c.t("Lưu địa chỉ", "Save address")}
                    }
                }
            }
            div { class: "first-run-part",
                div { class: "choices",
                    button { id: "start-bind", class: "button primary", r#type: "button",
                        onclick: move |_| c.go(Screen::Bind),
                        {c.t("Đăng nhập và liên kết thiết bị này", "Sign in and bind this device")}
                    }
                    button { id: "start-register", class: "button secondary", r#type: "button",
                        onclick: move |_| c.go(Screen::SelfRegister),
                        {c.t("Đăng ký tài khoản mức 1", "Register a level-1 account")}
                    }
                    button { id: "start-qr-login", class: "button secondary", r#type: "button",
                        onclick: move |_| c.go(Screen::QrDesktop),
                        {c.t("Máy tính: đăng nhập bằng mã QR", "Computer: sign in with a QR code")}
                    }
                }
                LostPhone {}
            }
        }
    }
}

/// *Mất điện thoại?*: the two ways on from a phone that is not the bound one — lock the
/// account at once (the old phone may be in someone else's hands), or bind this phone, which
/// unbinds the old one and tells the person by text message and in the inbox.
#[component]
fn LostPhone() -> Element {
    let c = ctx();
    rsx! {
        section { id: "lost-phone", class: "card lost-phone",
            h2 { {c.t("Mất điện thoại cũ?", "Lost your old phone?")} }
            p { class: "note",
                {c.t(
                    "Nếu điện thoại bị mất hoặc bị lấy, hãy khóa tài khoản ngay từ điện thoại này. Nếu chỉ chuyển sang điện thoại mới, hãy đăng nhập và liên kết điện thoại này: điện thoại cũ sẽ bị hủy liên kết và bạn nhận được thông báo qua tin nhắn.",
                    "If your phone was lost or taken, lock your account now from this phone. If you are only moving to a new phone, sign in and bind this one: the old phone is unbound and you are told by text message.",
                )}
            }
            button { id: "start-lock", class: "button secondary", r#type: "button",
                onclick: move |_| c.go(Screen::LockAccount),
                {c.t("Khóa tài khoản", "Lock my account")}
            }
        }
    }
}

/// Self-registration of a level-1 account: who the person is, then the code and a password.
#[component]
pub fn SelfRegister() -> Element {
    let c = ctx();
    // Where the code went: the second step, once the first is done.
    let mut sent = use_signal(|| None::<CodeSent>);
    let step_two = sent.read().clone();
    rsx! {
        div { id: "screen-self-register", class: "screen",
            h1 { {c.t("Đăng ký tài khoản định danh mức 1", "Register a level-1 e-ID account")} }
            match step_two {
                None => rsx! { RegisterDetails { on_sent: move |code_sent| sent.set(Some(code_sent)) } },
                Some(code_sent) => rsx! { RegisterCode { code_sent } },
            }
            button { class: "button ghost", r#type: "button", onclick: move |_| c.go(Screen::FirstRun),
                {c.t("Quay lại", "Back")}
            }
        }
    }
}

/// Self-registration, step 1: who the person is (checked against the population database);
/// the code is sent when it is right.
#[component]
fn RegisterDetails(on_sent: EventHandler<CodeSent>) -> Element {
    let c = ctx();
    let full_name = use_signal(String::new);
    let dob = use_signal(String::new);
    let phone = use_signal(String::new);
    let email = use_signal(String::new);

    let start = move |_| {
        let parsed = (|| {
            let citizen_id = CitizenId::parse(c.citizen_id.read().trim())
                .map_err(|e| field_failure("citizen_id", &e))?;
            let name = full_name.read().trim().to_owned();
            if name.is_empty() {
                return Err(field_message(
                    "full_name",
                    "Vui lòng nhập họ và tên.",
                    "Please enter your full name.",
                ));
            }
            let date_of_birth =
                NaiveDate::parse_from_str(dob.read().trim(), "%Y-%m-%d").map_err(|_| {
                    field_message(
                        "date_of_birth",
                        "Vui lòng chọn ngày sinh.",
                        "Please choose your date of birth.",
                    )
                })?;
            let phone =
                PhoneNumber::parse(phone.read().trim()).map_err(|e| field_failure("phone", &e))?;
            let email = match email.read().trim() {
                "" => None,
                text => Some(Email::parse(text).map_err(|e| field_failure("email", &e))?),
            };
            Ok(SelfRegistrationStart {
                citizen_id,
                full_name: name,
                date_of_birth,
                phone,
                email,
            })
        })();
        match parsed {
            Err(e) => c.fail(*e),
            Ok(args) => {
                spawn(async move {
                    if let Some(code_sent) = c.run(bridge::register_start(&args)).await {
                        on_sent.call(code_sent);
                    }
                });
            }
        }
    };

    rsx! {
        p { class: "lead",
            {c.t(
                "Thông tin được đối chiếu với Cơ sở dữ liệu quốc gia về dân cư.",
                "Your details are checked against the national population database.",
            )}
        }
        TextField { id: "register-citizen-id", label: c.t("Số định danh cá nhân", "Personal identification number"),
            value: c.citizen_id, inputmode: "numeric", error: c.field_error("citizen_id") }
        TextField { id: "register-full-name", label: c.t("Họ và tên", "Full name"),
            value: full_name, autocomplete: "name", error: c.field_error("full_name") }
        TextField { id: "register-dob", label: c.t("Ngày sinh", "Date of birth"),
            value: dob, kind: "date", error: c.field_error("date_of_birth") }
        TextField { id: "register-phone", label: c.t("Số điện thoại di động", "Mobile number"),
            value: phone, kind: "tel", inputmode: "tel", error: c.field_error("phone") }
        TextField { id: "register-email", label: c.t("Thư điện tử (không bắt buộc)", "E-mail (optional)"),
            value: email, kind: "email", error: c.field_error("email") }
        button { id: "register-submit", class: "button primary", r#type: "button", onclick: start,
            {c.t("Gửi mã xác thực", "Send the code")}
        }
    }
}

/// Self-registration, step 2: the code sent to the person and their new password; then the
/// account exists and the person goes on to bind this device.
#[component]
fn RegisterCode(code_sent: CodeSent) -> Element {
    let c = ctx();
    let code = use_signal(String::new);
    let password = use_signal(String::new);
    let password_again = use_signal(String::new);
    let pending_id = code_sent.pending_id.clone();

    let finish = move |_| {
        let parsed = (|| {
            let code = OneTimeCode::parse(&code.read()).map_err(|e| field_failure("code", &e))?;
            if *password.read() != *password_again.read() {
                return Err(field_message(
                    "password_again",
                    "Hai mật khẩu không giống nhau.",
                    "The two passwords differ.",
                ));
            }
            let password =
                Password::parse(&password.read()).map_err(|e| field_failure("password", &e))?;
            Ok(SelfRegistrationFinish {
                pending_id: pending_id.clone(),
                code,
                password,
            })
        })();
        match parsed {
            Err(e) => c.fail(*e),
            Ok(args) => {
                spawn(async move {
                    if c.run(bridge::register_finish(&args)).await.is_some() {
                        c.go(Screen::Bind);
                        c.tell(
                            "Tài khoản đã được tạo. Hãy đăng nhập để liên kết thiết bị này.",
                            "Your account is created. Sign in to bind this device.",
                        );
                    }
                });
            }
        }
    };

    rsx! {
        p { class: "lead",
            {match c.l() {
                crate::i18n::Lang::Vi => format!("Mã xác thực đã được gửi tới {}.", code_sent.sent_to),
                crate::i18n::Lang::En => format!("A code was sent to {}.", code_sent.sent_to),
            }}
        }
        TextField { id: "code-input", label: c.t("Mã xác thực (6 số)", "Code (6 digits)"),
            value: code, inputmode: "numeric", autocomplete: "one-time-code", error: c.field_error("code") }
        TextField { id: "register-password", label: c.t("Mật khẩu mới", "New password"),
            value: password, kind: "password", autocomplete: "new-password", error: c.field_error("password"),
            hint: c.t(
                "8–20 ký tự, có chữ hoa, chữ thường, chữ số và ký tự đặc biệt.",
                "8–20 characters with upper- and lower-case letters, a digit and a symbol.",
            ) }
        TextField { id: "register-password-again", label: c.t("Nhập lại mật khẩu", "Password again"),
            value: password_again, kind: "password", autocomplete: "new-password", error: c.field_error("password_again") }
        button { id: "code-submit", class: "button primary", r#type: "button", onclick: finish,
            {c.t("Tạo tài khoản", "Create the account")}
        }
    }
}

/// Binding, step 1: identification number and password, with the warning that binding moves
/// the account off any other device.
#[component]
pub fn Bind() -> Element {
    let c = ctx();
    let password = use_signal(String::new);
    let submit = move |_| {
        let args = BindStartArgs {
            citizen_id: c.citizen_id.read().trim().to_owned(),
            password: SecretText::new(password.read().clone()),
        };
        spawn(async move {
            if let Some(sent) = c.run(bridge::bind_start(&args)).await {
                c.go(Screen::BindCode {
                    sent_to: sent.sent_to,
                });
            }
        });
    };
    rsx! {
        div { id: "screen-bind", class: "screen",
            h1 { {c.t("Đăng nhập và liên kết thiết bị", "Sign in and bind this device")} }
            TextField { id: "citizen-id-input", label: c.t("Số định danh cá nhân", "Personal identification number"),
                value: c.citizen_id, inputmode: "numeric", autocomplete: "username", error: c.field_error("citizen_id") }
            TextField { id: "password-input", label: c.t("Mật khẩu", "Password"),
                value: password, kind: "password", autocomplete: "current-password", error: c.field_error("password") }
            div { id: "bind-warning", class: "warning", role: "note",
                strong { {c.t("Lưu ý: ", "Please note: ")} }
                {c.t(
                    "Liên kết thiết bị này sẽ hủy liên kết tài khoản với mọi thiết bị khác. Thiết bị cũ sẽ bị đăng xuất và không thể xác nhận giao dịch nữa.",
                    "Binding this device unbinds the account from any other device. The old device is signed out and can no longer confirm anything.",
                )}
            }
            button { id: "bind-submit", class: "button primary", r#type: "button", onclick: submit,
                {c.t("Tiếp tục", "Continue")}
            }
            button { class: "button ghost", r#type: "button", onclick: move |_| c.go(Screen::FirstRun),
                {c.t("Quay lại", "Back")}
            }
        }
    }
}

/// Binding, step 2: the one-time code (sent with the passcode on the next step).
#[component]
pub fn BindCode(sent_to: String) -> Element {
    let c = ctx();
    let code = use_signal(String::new);
    let submit = move |_| match OneTimeCode::parse(&code.read()) {
        Err(e) => c.fail(*field_failure("code", &e)),
        Ok(_) => {
            let typed = code.read().split_whitespace().collect::<String>();
            c.go(Screen::PasscodeSet { code: typed });
        }
    };
    rsx! {
        div { id: "screen-bind-code", class: "screen",
            h1 { {c.t("Nhập mã xác thực", "Enter the code")} }
            p { class: "lead",
                {match c.l() {
                    crate::i18n::Lang::Vi => format!("Mã gồm 6 số đã được gửi tới {sent_to}."),
                    crate::i18n::Lang::En => format!("A 6-digit code was sent to {sent_to}."),
                }}
            }
            TextField { id: "code-input", label: c.t("Mã xác thực", "Code"), value: code,
                inputmode: "numeric", autocomplete: "one-time-code", error: c.field_error("code") }
            button { id: "code-submit", class: "button primary", r#type: "button", onclick: submit,
                {c.t("Tiếp tục", "Continue")}
            }
            button { class: "button ghost", r#type: "button", onclick: move |_| c.go(Screen::Bind),
                {c.t("Quay lại", "Back")}
            }
        }
    }
}

/// Binding, step 3: the new passcode on the keypad, twice; then binds and signs in.
#[component]
pub fn PasscodeSetScreen(code: String) -> Element {
    let c = ctx();
    let mut flow = use_signal(PasscodeSet::default);
    let code_for_bind = code.clone();
    let on_complete = move |entry: SecretText| {
        if !flow.read().is_second() {
            // The policy (no 123456, no date of birth …) is the core crate's, checked before
            // the person types it a second time.
            if let Err(e) = Passcode::parse(entry.expose(), None) {
                c.fail(ApiError::from_id_error(&e, "passcode"));
                return;
            }
        }
        let step = flow.write().entered(entry);
        match step {
            PasscodeSetStep::AskAgain => {
                let mut error = c.error;
                error.set(None);
            }
            PasscodeSetStep::Mismatch => c.fail(ApiError {
                code: "passcode_mismatch".into(),
                message_vi: "Hai lần nhập mã PIN không giống nhau; vui lòng nhập lại từ đầu."
                    .into(),
                message_en: "The two passcodes differ; please start again.".into(),
                ..ApiError::new(ErrorCode::ValidationFailed)
            }),
            PasscodeSetStep::Done { passcode, again } => {
                let args = BindFinishArgs {
                    code: code_for_bind.clone(),
                    passcode,
                    passcode_again: again,
                };
                spawn(async move {
                    match c.run(bridge::bind_finish(&args)).await {
                        Some(status) => {
                            let next = entry_screen(&status);
                            c.set_status(status);
                            c.go(next);
                            c.tell(
                                "Thiết bị đã được liên kết. Nếu tài khoản từng liên kết với điện thoại khác, điện thoại đó đã bị hủy liên kết; thông báo đã được gửi tới số điện thoại và hộp thư của bạn.",
                                "This device is bound. If the account was bound to another phone, that phone is unbound; a notice went to your phone number and your inbox.",
                            );
                        }
                        None => {
                            // A wrong or expired code goes back to the code; anything else
                            // (the policy, the keystore) starts the passcode over.
                            let e = c.error.read().clone();
                            if let Some(e) =
                                e.filter(|e| e.kind() == Some(ErrorCode::OneTimeCodeInvalid))
                            {
                                c.go(Screen::BindCode {
                                    sent_to: String::new(),
                                });
                                c.fail(e);
                            }
                        }
                    }
                });
            }
        }
    };
    let title = if flow.read().is_second() {
        c.t("Nhập lại mã PIN để xác nhận", "Enter the passcode again")
    } else {
        c.t("Đặt mã PIN gồm 6 số", "Choose a 6-digit passcode")
    };
    rsx! {
        div { id: "screen-passcode-set", class: "screen",
            h1 { {c.t("Đặt mã PIN", "Set your passcode")} }
            p { class: "lead",
                {c.t(
                    "Mã PIN dùng để xác nhận mọi thao tác quan trọng trên thiết bị này. Không dùng ngày sinh hay dãy số dễ đoán.",
                    "The passcode confirms every important action on this device. Avoid your date of birth or easy sequences.",
                )}
            }
            PasscodeKeypad { title, on_complete }
        }
    }
}

/// Signing in on a bound device.
#[component]
pub fn SignIn() -> Element {
    let c = ctx();
    let password = use_signal(String::new);
    let bound_to = c.status.read().as_ref().and_then(|s| s.bound_to.clone());
    let submit = move |_| {
        let args = SignInArgs {
            password: SecretText::new(password.read().clone()),
        };
        spawn(async move {
            if let Some(status) = c.run(bridge::sign_in(&args)).await {
                let next = entry_screen(&status);
                c.set_status(status);
                c.go(next);
            }
        });
    };
    rsx! {
        div { id: "screen-sign-in", class: "screen",
            h1 { {c.t("Đăng nhập", "Sign in")} }
            p { id: "signin-lead", class: "lead",
                // What this profile holds; whether the server still has the binding is known
                // once the password is sent (an unbound device is then taken to the binding).
                {match (c.l(), bound_to.as_deref()) {
                    (crate::i18n::Lang::Vi, Some(id)) => format!(
                        "Thiết bị này đã được liên kết với tài khoản có số định danh {id}. Nhập mật khẩu để đăng nhập."
                    ),
                    (crate::i18n::Lang::En, Some(id)) => format!(
                        "This device was bound to the account with identification number {id}. Enter your password to sign in."
                    ),
                    (lang, None) => lang
                        .t("Nhập mật khẩu để đăng nhập.", "Enter your password to sign in.")
                        .to_owned(),
                }}
            }
            TextField { id: "password-input", label: c.t("Mật khẩu", "Password"),
                value: password, kind: "password", autocomplete: "current-password", error: c.field_error("password") }
            button { id: "signin-submit", class: "button primary", r#type: "button", onclick: submit,
                {c.t("Đăng nhập", "Sign in")}
            }
            button { id: "signin-lock", class: "button ghost", r#type: "button",
                onclick: move |_| c.go(Screen::LockAccount),
                {c.t("Mất điện thoại hoặc lộ mật khẩu? Khóa tài khoản", "Lost your phone or password? Lock your account")}
            }
        }
    }
}
