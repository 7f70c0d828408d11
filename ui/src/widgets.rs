//! Small shared pieces: header, navigation, error banner, progress, keypad, form field.

use dinhdanh_core::api::SecretText;
use dioxus::prelude::*;

use crate::bridge;
use crate::keypad::{Keypad, PASSCODE_LEN};
use crate::nav::{Screen, entry_screen, may_manage};
use crate::state::ctx;

/// The header: the app's name, the active account when signed in, the language switch and
/// sign-out.
#[component]
pub fn Header() -> Element {
    let c = ctx();
    let lang = c.l();
    let status = c.status.read().clone();
    let on_signed_in_screen = c.screen.read().is_signed_in_screen();
    let account = status
        .as_ref()
        .and_then(|s| s.signed_in.as_ref())
        .filter(|_| on_signed_in_screen);
    rsx! {
        header { class: "app-header",
            div { class: "brand",
                span { class: "emblem", aria_hidden: "true",
                    svg { view_box: "0 0 24 24", width: "18", height: "18",
                        path { fill: "currentColor", d: "M12 2l2.9 6.9 7.1.6-5.4 4.7 1.6 7.3L12 17.8 5.8 21.5l1.6-7.3L2 9.5l7.1-.6z" }
                    }
                }
                span { class: "brand-name", "Định Danh" }
                button {
                    id: "lang-toggle",
                    class: "lang-toggle",
                    r#type: "button",
                    onclick: move |_| {
                        let mut l = c.lang;
                        let next = l.read().other();
                        l.set(next);
                        crate::platform::set_document_lang(next.code());
                    },
                    "{lang.switch_label()}"
                }
            }
            if let Some(signed_in) = account {
                div { class: "account-bar",
                    div { id: "active-account", class: "active-account",
                        match &signed_in.acting_for {
                            Some(org) => rsx! {
                                span { class: "account-kind", {c.t("Tổ chức", "Organisation")} }
                                span { class: "account-name", "{org.name}" }
                                span { class: "account-code", "{org.eid}" }
                            },
                            None => rsx! {
                                span { class: "account-kind", {c.t("Cá nhân", "Personal")} }
                                span { class: "account-name", "{signed_in.account.full_name}" }
                                span { class: "account-code", "{signed_in.account.citizen_id_masked}" }
                            },
                        }
                    }
                    button {
                        id: "sign-out",
                        class: "link-button",
                        r#type: "button",
                        onclick: move |_| {
                            spawn(async move {
                                if let Some(status) = c.run(bridge::sign_out()).await {
                                    let next = entry_screen(&status);
                                    c.set_status(status);
                                    c.go(next);
                                }
                            });
                        },
                        {c.t("Đăng xuất", "Sign out")}
                    }
                }
            }
        }
    }
}

/// The bottom navigation of a signed-in person.
#[component]
pub fn NavBar() -> Element {
    let c = ctx();
    let screen = c.screen.read().clone();
    let manage = c.status.read().as_ref().is_some_and(may_manage);
    let item = move |id: &'static str,
                     target: Screen,
                     vi: &'static str,
                     en: &'static str,
                     icon: &'static str| {
        let active = std::mem::discriminant(&screen) == std::mem::discriminant(&target);
        rsx! {
            button {
                id: "{id}",
                class: if active { "nav-item active" } else { "nav-item" },
                r#type: "button",
                onclick: move |_| c.go(target.clone()),
                span { class: "nav-icon", Icon { name: icon } }
                span { class: "nav-label", {c.t(vi, en)} }
            }
        }
    };
    rsx! {
        nav { class: "nav-bar",
            {item("nav-home", Screen::Home, "Trang chủ", "Home", "home")}
            {item("nav-requests", Screen::Requests, "Yêu cầu", "Requests", "document")}
            {item("nav-inbox", Screen::Inbox, "Thông báo", "Inbox", "mail")}
            if manage {
                {item("nav-qr-scan", Screen::QrScan, "Quét QR", "Scan QR", "qr")}
            }
            {item("nav-sessions", Screen::Sessions, "Phiên", "Sessions", "devices")}
        }
    }
}

/// The current screen's error, as a sentence.
#[component]
pub fn ErrorBanner() -> Element {
    let c = ctx();
    let lang = c.l();
    let error = c.error.read().clone();
    match error {
        Some(e) => rsx! {
            div {
                id: "error-banner",
                class: "error-banner",
                role: "alert",
                "data-code": "{e.code}",
                "{lang.error(&e)}"
            }
        },
        None => rsx! {},
    }
}

/// Shown while a long operation runs.
#[component]
pub fn Progress() -> Element {
    let c = ctx();
    if *c.busy.read() == 0 {
        return rsx! {};
    }
    rsx! {
        div { id: "progress", class: "progress", role: "status", aria_live: "polite",
            div { class: "progress-bar" }
            span { class: "progress-label", {c.t("Đang xử lý…", "Working…")} }
        }
    }
}

/// The on-screen passcode keypad: six digits submit by themselves.
#[component]
pub fn PasscodeKeypad(
    title: String,
    on_complete: EventHandler<SecretText>,
    /// Whether the title is the screen's heading (level one): on a screen that is only the
    /// keypad, so it has one, as a screen reader's heading list and axe-core expect. A screen
    /// with its own `h1` leaves it a level-two heading under that one.
    #[props(default = false)]
    screen_title: bool,
) -> Element {
    let mut keypad = use_signal(Keypad::default);
    let c = ctx();
    let filled = keypad.read().len();
    let empty = keypad.read().is_empty();
    let busy = *c.busy.read() > 0;
    let mut press = move |d: char| {
        if busy {
            return;
        }
        let done = keypad.write().press(d);
        if let Some(passcode) = done {
            on_complete.call(passcode);
        }
    };
    rsx! {
        div { class: "keypad-block",
            if screen_title {
                h1 { id: "passcode-title", class: "passcode-title", "{title}" }
            } else {
                h2 { id: "passcode-title", class: "passcode-title", "{title}" }
            }
            div { id: "passcode-dots", class: "passcode-dots", "data-filled": "{filled}",
                for i in 0..PASSCODE_LEN {
                    span { class: if i < filled { "dot filled" } else { "dot" } }
                }
            }
            div { id: "keypad", class: "keypad",
                for d in ['1', '2', '3', '4', '5', '6', '7', '8', '9'] {
                    button {
                        id: "key-{d}",
                        class: "key",
                        r#type: "button",
                        onclick: move |_| press(d),
                        "{d}"
                    }
                }
                span { class: "key key-empty" }
                button {
                    id: "key-0",
                    class: "key",
                    r#type: "button",
                    onclick: move |_| press('0'),
                    "0"
                }
                button {
                    id: "key-back",
                    class: "key key-back",
                    r#type: "button",
                    aria_label: c.t("Xóa một số", "Delete one digit"),
                    disabled: empty,
                    onclick: move |_| keypad.write().back(),
                    Icon { name: "back" }
                }
            }
        }
    }
}

/// A form field: the label, the control (the children, with any hint) and the error
/// underneath; the field is marked invalid while there is one. The element ids are the
/// caller's, because each form names its errors the way the end-to-end tests expect.
#[component]
pub fn Field(
    /// The control's id (the label points at it).
    input_id: String,
    /// The label's text.
    label: String,
    /// The error to show, in the current language.
    error: Option<String>,
    /// The error paragraph's id.
    error_id: String,
    /// The field's class when valid (`invalid` is added to it otherwise).
    #[props(default = "field".to_string())]
    class: String,
    children: Element,
) -> Element {
    rsx! {
        div { class: if error.is_some() { "{class} invalid" } else { "{class}" },
            label { r#for: "{input_id}", "{label}" }
            {children}
            if let Some(e) = error.clone() {
                p { id: "{error_id}", class: "field-error", "{e}" }
            }
        }
    }
}

/// A labelled text input with its error underneath.
#[component]
pub fn TextField(
    id: String,
    label: String,
    value: Signal<String>,
    #[props(default)] error: Option<String>,
    #[props(default = "text".to_string())] kind: String,
    #[props(default)] inputmode: Option<String>,
    #[props(default)] autocomplete: Option<String>,
    #[props(default)] hint: Option<String>,
) -> Element {
    let error_id = format!("{}-error", id);
    let mut value = value;
    let invalid = error.is_some();
    rsx! {
        Field { input_id: id.clone(), label, error, error_id,
            input {
                id: "{id}",
                r#type: "{kind}",
                value: "{value}",
                inputmode: inputmode.clone(),
                autocomplete: autocomplete.clone().unwrap_or_else(|| "off".to_string()),
                aria_invalid: if invalid { "true" } else { "false" },
                oninput: move |e| value.set(e.value()),
            }
            if let Some(h) = hint {
                p { class: "hint", "{h}" }
            }
        }
    }
}

/// A line icon drawn inline (no icon font and no emoji: the WebView may have neither).
#[component]
pub fn Icon(name: &'static str) -> Element {
    // 24×24 stroke paths, drawn for this app.
    let d = match name {
        "home" => "M3 11l9-7 9 7M5 10v10h5v-6h4v6h5V10",
        "list" => "M8 6h13M8 12h13M8 18h13M3 6h1M3 12h1M3 18h1",
        "mail" => "M3 6h18v12H3zM3 6l9 7 9-7",
        "qr" => {
            "M3 3h7v7H3zM14 3h7v7h-7zM3 14h7v7H3zM14 14h3v3h-3zM18 18h3v3h-3zM6 6h1v1H6zM17 6h1v1h-1zM6 17h1v1H6z"
        }
        "devices" => "M3 5h14v10H3zM7 19h6M10 15v4M19 9h2v10h-4",
        "building" => "M4 21V8l8-5 8 5v13M9 21v-6h6v6M8 11h1M15 11h1M3 21h18",
        "document" => "M6 3h8l4 4v14H6zM14 3v4h4M9 12h6M9 16h6",
        "back" => "M20 12H5M11 6l-6 6 6 6",
        "key" => "M14 10a4 4 0 1 0-3.5 4L9 15.5V18h2.5v2H14v-2.5l1.5-1.5M15.5 8.5h.01",
        "person" => "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21a8 8 0 0 1 16 0",
        "lock" => "M6 11h12v10H6zM8 11V8a4 4 0 0 1 8 0v3M12 15v2",
        _ => "M12 12h.01",
    };
    rsx! {
        svg {
            class: "icon",
            view_box: "0 0 24 24",
            width: "24",
            height: "24",
            fill: "none",
            stroke: "currentColor",
            stroke_width: "1.8",
            stroke_linecap: "round",
            stroke_linejoin: "round",
            "aria-hidden": "true",
            path { d: "{d}" }
        }
    }
}
