//! The organisation page's delegates: who may act for it, revoking, and adding one (owners
//! and administrators, on the bound phone).

use chrono::NaiveDate;
use dinhdanh_core::account::OrgRole;
use dinhdanh_core::api::{AddDelegate, ApiError, DelegationView, ErrorCode, RevokeDelegate};
use dinhdanh_core::ids::{CitizenId, OrgEid};
use dioxus::prelude::*;

use super::services::{ServicesSummary, may_choose_services};
use crate::format;
use crate::i18n::Lang;
use crate::nav::{DelegationServicesEdit, Pending, Screen};
use crate::screens::home::role_label;
use crate::state::ctx;
use crate::widgets::Field;

/// A field error in the shape the banner and the field both read.
fn field_error(field: &str, vi: &str, en: &str) -> ApiError {
    ApiError::new(ErrorCode::ValidationFailed).with_details(vec![ApiError {
        field: Some(field.into()),
        message_vi: vi.into(),
        message_en: en.into(),
        ..ApiError::new(ErrorCode::ValidationFailed)
    }])
}

/// Where a delegation stands, in words.
fn standing(d: &DelegationView, lang: Lang) -> &'static str {
    if d.revoked_at.is_some() {
        lang.t("Đã thu hồi", "Revoked")
    } else if d.declined_at.is_some() {
        lang.t("Đã từ chối", "Declined")
    } else if d.accepted_at.is_some() || d.role == OrgRole::Owner {
        lang.t("Đang hiệu lực", "In effect")
    } else {
        lang.t("Chờ chấp nhận", "Awaiting acceptance")
    }
}

/// The delegates card: the list, then the form to add one. `my_role` is the person's role in
/// the organisation (what they may grant and revoke).
#[component]
pub fn Delegates(eid: OrgEid, list: Vec<DelegationView>, my_role: OrgRole) -> Element {
    let c = ctx();
    rsx! {
        section { class: "card delegates",
            h2 { {c.t("Người được ủy quyền", "Delegates")} }
            ul { class: "list",
                for d in list {
                    DelegateRow { key: "{d.id}", delegation: d, my_role }
                }
            }
            AddDelegateForm { eid, my_role }
        }
    }
}

/// One delegate: name, role, where the delegation stands, and *Thu hồi* where the person may
/// revoke it.
#[component]
fn DelegateRow(delegation: DelegationView, my_role: OrgRole) -> Element {
    let c = ctx();
    let lang = c.l();
    let d = delegation;
    let revocable = d.revoked_at.is_none()
        && d.declined_at.is_none()
        && d.role != OrgRole::Owner
        && my_role.may_manage(d.role);
    let revoke = RevokeDelegate {
        organisation: d.organisation.clone(),
        delegation: d.id.clone(),
    };
    let choose = may_choose_services(&d, my_role);
    let edit = DelegationServicesEdit {
        delegation: d.clone(),
        draft: None,
    };
    rsx! {
        li { class: "delegate-row list-item", "data-id": "{d.id}",
            span { class: "item-title", "{d.person.full_name}" }
            span { class: "item-meta", "{d.person.citizen_id_masked} · " {role_label(d.role, lang)} }
            span { class: "item-meta",
                {standing(&d, lang)}
                if let Some(until) = d.expires_on { {format!(" · {} {}", c.t("đến", "until"), format::date(until))} }
            }
            ServicesSummary { delegation: d.clone() }
            if choose {
                button { id: "delegate-services-{d.id}", class: "button small secondary", r#type: "button",
                    onclick: move |_| c.go(Screen::DelegationServices(Box::new(edit.clone()))),
                    {c.t("Dịch vụ được phép", "Services allowed")}
                }
            }
            if revocable {
                button { id: "delegate-revoke-{d.id}", class: "button small danger", r#type: "button",
                    onclick: move |_| c.go(Screen::Confirm(Box::new(Pending::RevokeDelegate(revoke.clone())))),
                    {c.t("Thu hồi", "Revoke")}
                }
            }
        }
    }
}

/// Adding a delegate: identification number, role (only an owner may grant administrator),
/// optional expiry; then the keypad.
///
/// What is typed lives in [`crate::state::Ctx::delegate`], not in a signal of this component:
/// the keypad is a screen of its own, and the typed form must be there again after *Hủy*, a
/// refusal (the person unknown, already a delegate) or a session that ended (see
/// [`crate::state`]).
#[component]
fn AddDelegateForm(eid: OrgEid, my_role: OrgRole) -> Element {
    let c = ctx();
    let lang = c.l();
    let mut form = c.delegate;
    let add = move |_| {
        let typed = form.read().clone();
        let citizen_id = match CitizenId::parse(typed.citizen_id.trim()) {
            Ok(id) => id,
            Err(e) => {
                c.fail(
                    ApiError::new(ErrorCode::ValidationFailed)
                        .with_details(vec![ApiError::from_id_error(&e, "citizen_id")]),
                );
                return;
            }
        };
        let expires_on = match typed.expiry.trim() {
            "" => None,
            text => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(d) if d >= crate::platform::today() => Some(d),
                _ => {
                    c.fail(field_error(
                        "expires_on",
                        "Ngày hết hạn phải là một ngày từ hôm nay trở đi.",
                        "The expiry must be today or later.",
                    ));
                    return;
                }
            },
        };
        let delegate = AddDelegate {
            organisation: eid.clone(),
            citizen_id,
            role: if typed.role == "administrator" {
                OrgRole::Administrator
            } else {
                OrgRole::Member
            },
            expires_on,
        };
        c.go(Screen::Confirm(Box::new(Pending::AddDelegate(delegate))));
    };
    let administrator = form.read().role == "administrator";
    rsx! {
        h3 { {c.t("Thêm người được ủy quyền", "Add a delegate")} }
        Field {
            input_id: "delegate-citizen-id",
            label: c.t("Số định danh cá nhân", "Personal identification number"),
            error: c.field_error("citizen_id"),
            error_id: "error-delegate-citizen-id",
            input { id: "delegate-citizen-id", r#type: "text", inputmode: "numeric", initial_value: "{form.read().citizen_id}",
                oninput: move |e| form.write().citizen_id = e.value() }
        }
        div { class: "field",
            label { r#for: "delegate-role", {c.t("Vai trò", "Role")} }
            select { id: "delegate-role",
                onchange: move |e| form.write().role = e.value(),
                option { value: "member", selected: !administrator, {role_label(OrgRole::Member, lang)} }
                if my_role == OrgRole::Owner {
                    option { value: "administrator", selected: administrator, {role_label(OrgRole::Administrator, lang)} }
                }
            }
        }
        Field {
            input_id: "delegate-expiry",
            label: c.t("Hiệu lực đến ngày (không bắt buộc)", "Valid until (optional)"),
            error: c.field_error("expires_on"),
            error_id: "error-delegate-expiry",
            input { id: "delegate-expiry", r#type: "date", initial_value: "{form.read().expiry}",
                oninput: move |e| form.write().expiry = e.value() }
        }
        button { id: "delegate-add", class: "button primary", r#type: "button", onclick: add,
            {c.t("Ủy quyền", "Authorise")}
        }
    }
}
