//! Home and *Đổi tài khoản*.

use dinhdanh_core::account::{AccountLevel, OrgRole};
use dinhdanh_core::api::{AccountChoices, ApiError, ErrorCode};
use dioxus::prelude::*;

use crate::bridge;
use crate::i18n::Lang;
use crate::nav::{Pending, Screen, may_manage, skips_identity_step_up};
use crate::state::ctx;
use crate::widgets::Icon;

/// A role's name.
pub fn role_label(role: OrgRole, lang: Lang) -> &'static str {
    match role {
        OrgRole::Owner => lang.t("Người đại diện theo pháp luật", "Legal representative"),
        OrgRole::Administrator => lang.t("Quản trị viên", "Administrator"),
        OrgRole::Member => lang.t("Thành viên", "Member"),
    }
}

/// Home, with the *Định danh tổ chức* entry.
#[component]
pub fn Home() -> Element {
    let c = ctx();
    let status = c.status.read().clone();
    let Some(status) = status else { return rsx! {} };
    let manage = may_manage(&status);
    let acting_for = status.signed_in.as_ref().and_then(|s| s.acting_for.clone());
    let name = status
        .signed_in
        .as_ref()
        .map(|s| s.account.full_name.clone())
        .unwrap_or_default();
    rsx! {
        div { id: "screen-home", class: "screen",
            h1 { class: "greeting",
                {match c.l() { Lang::Vi => format!("Xin chào, {name}"), Lang::En => format!("Hello, {name}") }}
            }
            if !manage {
                p { class: "note",
                    {c.t(
                        "Máy tính này đăng nhập bằng mã QR: các thao tác quan trọng được xác nhận trên điện thoại; không thể liên kết thiết bị hay quản lý ủy quyền tại đây.",
                        "This computer is signed in by QR code: important actions are confirmed on the phone; binding and delegates cannot be managed here.",
                    )}
                }
            }
            div { class: "tiles",
                button { id: "open-org-identity", class: "tile primary-tile", r#type: "button",
                    onclick: move |_| c.go(Screen::AccountSwitcher),
                    span { class: "tile-icon", Icon { name: "building" } }
                    span { class: "tile-title", {c.t("Định danh tổ chức", "Organisation identity")} }
                    span { class: "tile-text",
                        {c.t("Đổi tài khoản, đăng ký định danh tổ chức", "Switch account, register an organisation")}
                    }
                }
                if let Some(org) = acting_for {
                    button { id: "org-open-{org.eid}", class: "tile", r#type: "button",
                        onclick: {
                            let eid = org.eid.clone();
                            move |_| c.go(Screen::Organisation(eid.clone()))
                        },
                        span { class: "tile-icon", Icon { name: "building" } }
                        span { class: "tile-title", "{org.name}" }
                        span { class: "tile-text", "{org.eid}" }
                    }
                }
                button { class: "tile", r#type: "button", onclick: move |_| c.go(Screen::Requests),
                    span { class: "tile-icon", Icon { name: "document" } }
                    span { class: "tile-title", {c.t("Yêu cầu đã gửi", "My requests")} }
                }
                button { id: "open-service-consents", class: "tile", r#type: "button",
                    onclick: move |_| c.go(Screen::ServiceConsents),
                    span { class: "tile-icon", Icon { name: "list" } }
                    span { class: "tile-title", {c.t("Dịch vụ đã chia sẻ thông tin", "Services you share data with")} }
                    span { class: "tile-text", {c.t("Xem và rút lại đồng ý", "See and withdraw consent")} }
                }
                button { id: "open-security", class: "tile", r#type: "button",
                    onclick: move |_| c.go(Screen::Security),
                    span { class: "tile-icon", Icon { name: "lock" } }
                    span { class: "tile-title", {c.t("Tài khoản và bảo mật", "Account and security")} }
                    span { class: "tile-text", {c.t("Mã PIN, khóa tài khoản, dữ liệu và hoạt động", "Passcode, lock, your data and activity")} }
                }
                if manage {
                    button { class: "tile", r#type: "button", onclick: move |_| c.go(Screen::QrScan),
                        span { class: "tile-icon", Icon { name: "qr" } }
                        span { class: "tile-title", {c.t("Quét mã QR", "Scan a QR code")} }
                        span { class: "tile-text", {c.t("Đăng nhập trên máy tính", "Sign in on a computer")} }
                    }
                }
            }
        }
    }
}

/// *Đổi tài khoản*: the personal account and every organisation, the active one marked;
/// *Đăng ký định danh tổ chức* at the bottom.
#[component]
pub fn AccountSwitcher() -> Element {
    let c = ctx();
    let mut choices = use_signal(|| None::<AccountChoices>);
    use_hook(move || {
        spawn(async move {
            if let Some(list) = c.load(bridge::account_choices()).await {
                choices.set(Some(list));
            }
        });
    });
    let list = choices.read().clone();
    let lang = c.l();
    let register = move |_| {
        let level = choices.read().as_ref().map(|l| l.personal.level);
        if level == Some(AccountLevel::Level1) {
            c.fail(ApiError::new(ErrorCode::LevelTooLow));
            return;
        }
        // A QR desktop holds no key to prove presence with; the submission at the end is
        // confirmed on the phone, so the wizard opens at once.
        let desktop = c.status.read().as_ref().is_some_and(skips_identity_step_up);
        if desktop {
            c.go(Screen::WizardType);
        } else {
            c.go(Screen::Confirm(Box::new(Pending::StartRegistration)));
        }
    };
    rsx! {
        div { id: "screen-account-switcher", class: "screen",
            h1 { {c.t("Đổi tài khoản", "Switch account")} }
            if let Some(list) = list {
                ul { class: "account-list",
                    li {
                        button {
                            id: "account-personal",
                            class: if list.active.is_none() { "account-entry active" } else { "account-entry" },
                            r#type: "button",
                            aria_current: if list.active.is_none() { "true" } else { "false" },
                            onclick: move |_| {
                                if choices.read().as_ref().is_some_and(|l| l.active.is_some()) {
                                    c.go(Screen::Confirm(Box::new(Pending::SwitchAccount { to: None })));
                                }
                            },
                            span { class: "entry-kind", {c.t("Tài khoản cá nhân", "Personal account")} }
                            span { class: "entry-name", "{list.personal.full_name}" }
                            if list.active.is_none() {
                                span { class: "entry-badge", {c.t("Đang dùng", "In use")} }
                            }
                        }
                    }
                    for org in list.organisations.clone() {
                        li { key: "{org.eid}", class: "account-row",
                            button {
                                id: "account-org-{org.eid}",
                                class: if list.active.as_ref() == Some(&org.eid) { "account-entry active" } else { "account-entry" },
                                r#type: "button",
                                disabled: !org.usable,
                                onclick: {
                                    let eid = org.eid.clone();
                                    let active = list.active.clone();
                                    move |_| {
                                        if active.as_ref() != Some(&eid) {
                                            c.go(Screen::Confirm(Box::new(Pending::SwitchAccount { to: Some(eid.clone()) })));
                                        }
                                    }
                                },
                                span { class: "entry-kind", {role_label(org.role, lang)} }
                                span { class: "entry-name", "{org.name}" }
                                span { class: "entry-code", "{org.eid}" }
                                if list.active.as_ref() == Some(&org.eid) {
                                    span { class: "entry-badge", {c.t("Đang dùng", "In use")} }
                                }
                                if !org.usable {
                                    span { class: "entry-badge muted", {c.t("Đang bị khóa", "Locked")} }
                                }
                            }
                            button {
                                id: "org-open-{org.eid}",
                                class: "button small secondary",
                                r#type: "button",
                                onclick: {
                                    let eid = org.eid.clone();
                                    move |_| c.go(Screen::Organisation(eid.clone()))
                                },
                                {c.t("Chi tiết", "Details")}
                            }
                        }
                    }
                }
                if list.organisations.is_empty() {
                    p { class: "note", {c.t("Bạn chưa đại diện cho tổ chức nào.", "You do not act for any organisation yet.")} }
                }
            }
            button { id: "register-org", class: "button primary register-org", r#type: "button", onclick: register,
                {c.t("Đăng ký định danh tổ chức", "Register an organisation")}
            }
        }
    }
}
