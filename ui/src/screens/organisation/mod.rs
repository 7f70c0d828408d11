//! An organisation's page: details, code, history, switching to it and back, and (for owners
//! and administrators on the bound phone) its delegates.

use chrono::NaiveDate;
use dinhdanh_core::account::OrgRole;
use dinhdanh_core::api::{
    AccountChoices, AddDelegate, ApiError, DelegationView, ErrorCode, OrganisationRecord,
    OrganisationStatus, RevokeDelegate,
};
use dinhdanh_core::app::OrganisationArgs;
use dinhdanh_core::ids::{CitizenId, OrgEid};
use dioxus::prelude::*;

use crate::bridge;
use crate::format;
use crate::i18n::Lang;
use crate::nav::{Pending, Screen, may_manage};
use crate::screens::home::role_label;
use crate::state::ctx;

/// An organisation account's state in words.
fn status_label(status: OrganisationStatus, lang: Lang) -> &'static str {
    match status {
        OrganisationStatus::Active => lang.t("Đang hoạt động", "Active"),
        OrganisationStatus::Locked => lang.t("Đang bị khóa", "Locked"),
        OrganisationStatus::Closed => lang.t("Đã đóng", "Closed"),
    }
}

/// A field error in the shape the banner and the field both read.
fn field_error(field: &str, vi: &str, en: &str) -> ApiError {
    ApiError::new(ErrorCode::ValidationFailed).with_details(vec![ApiError {
        field: Some(field.into()),
        message_vi: vi.into(),
        message_en: en.into(),
        ..ApiError::new(ErrorCode::ValidationFailed)
    }])
}

/// The organisation's page.
#[component]
pub fn OrganisationPage(eid: OrgEid) -> Element {
    let c = ctx();
    let mut record = use_signal(|| None::<OrganisationRecord>);
    let mut choices = use_signal(|| None::<AccountChoices>);
    let mut delegates = use_signal(|| None::<Vec<DelegationView>>);
    let mut form = c.delegate;
    let manage_here = c.status.read().as_ref().is_some_and(may_manage);
    let load_eid = eid.clone();
    use_hook(move || {
        spawn(async move {
            let args = OrganisationArgs {
                eid: load_eid.clone(),
            };
            if let Some(r) = c.load(bridge::organisation(&args)).await {
                record.set(Some(r));
            }
            if let Some(list) = c.load(bridge::account_choices()).await {
                let role = list
                    .organisations
                    .iter()
                    .find(|o| o.eid == load_eid)
                    .map(|o| o.role);
                choices.set(Some(list));
                if manage_here && role.is_some_and(|r| r != OrgRole::Member) {
                    if let Some(d) = c.run(bridge::delegations(&args)).await {
                        delegates.set(Some(d));
                    }
                }
            }
        });
    });
    let lang = c.l();
    let my_role = choices.read().as_ref().and_then(|l| {
        l.organisations
            .iter()
            .find(|o| o.eid == eid)
            .map(|o| o.role)
    });
    let active_here = choices
        .read()
        .as_ref()
        .is_some_and(|l| l.active.as_ref() == Some(&eid));
    let rec = record.read().clone();
    let eid_add = eid.clone();
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
            organisation: eid_add.clone(),
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
    rsx! {
        div { id: "screen-organisation", class: "screen",
            if let Some(r) = rec {
                h1 { id: "org-name", "{r.details.name_vi.as_str()}" }
                dl { class: "review",
                    div { class: "review-row",
                        dt { {c.t("Mã định danh điện tử", "e-ID number")} }
                        dd { id: "org-eid", class: "code", "{r.eid}" }
                    }
                    div { class: "review-row",
                        dt { {c.t("Loại", "Type")} }
                        dd { {lang.t(r.org_type.label_vi(), r.org_type.label_en())} }
                    }
                    div { class: "review-row",
                        dt { {c.t("Trạng thái", "Status")} }
                        dd { class: "status-chip", "data-status": "{format::serde_name(&r.status)}", {status_label(r.status, lang)} }
                    }
                    div { class: "review-row",
                        dt { {c.t("Ngày thành lập", "Established")} }
                        dd { "{format::date(r.details.established_on)}" }
                    }
                    div { class: "review-row",
                        dt { {c.t("Trụ sở chính", "Head office")} }
                        dd { "{r.details.head_office.address.as_str()}, " {lang.t(r.details.head_office.province.name_vi(), r.details.head_office.province.name_en())} }
                    }
                    if let Some(tax) = &r.details.tax_code {
                        div { class: "review-row",
                            dt { {c.t("Mã số thuế", "Tax code")} }
                            dd { class: "code", "{tax}" }
                        }
                    }
                    div { class: "review-row",
                        dt { {c.t("Người đại diện theo pháp luật", "Legal representatives")} }
                        dd {
                            for rep in r.details.representatives.iter() {
                                div { "{rep.full_name.as_str()} — {rep.citizen_id.masked()}" }
                            }
                        }
                    }
                    if let Some(role) = my_role {
                        div { class: "review-row",
                            dt { {c.t("Vai trò của bạn", "Your role")} }
                            dd { {role_label(role, lang)} }
                        }
                    }
                }
            }
            if my_role.is_some() {
                if active_here {
                    button { id: "switch-back", class: "button secondary", r#type: "button",
                        onclick: move |_| c.go(Screen::Confirm(Box::new(Pending::SwitchAccount { to: None }))),
                        {c.t("Quay về tài khoản cá nhân", "Back to my personal account")}
                    }
                } else {
                    button { id: "switch-to-org", class: "button primary", r#type: "button",
                        onclick: {
                            let eid = eid.clone();
                            move |_| c.go(Screen::Confirm(Box::new(Pending::SwitchAccount { to: Some(eid.clone()) })))
                        },
                        {c.t("Chuyển sang tài khoản tổ chức này", "Switch to this organisation")}
                    }
                }
            }
            if let (Some(list), Some(role)) = (delegates.read().clone(), my_role) {
                section { class: "card delegates",
                    h2 { {c.t("Người được ủy quyền", "Delegates")} }
                    ul { class: "list",
                        for d in list {
                            li { key: "{d.id}", class: "delegate-row list-item", "data-id": "{d.id}",
                                span { class: "item-title", "{d.person.full_name}" }
                                span { class: "item-meta", "{d.person.citizen_id_masked} · " {role_label(d.role, lang)} }
                                span { class: "item-meta",
                                    if d.revoked_at.is_some() { {c.t("Đã thu hồi", "Revoked")} }
                                    else if d.declined_at.is_some() { {c.t("Đã từ chối", "Declined")} }
                                    else if d.accepted_at.is_some() || d.role == OrgRole::Owner { {c.t("Đang hiệu lực", "In effect")} }
                                    else { {c.t("Chờ chấp nhận", "Awaiting acceptance")} }
                                    if let Some(until) = d.expires_on { {format!(" · {} {}", c.t("đến", "until"), format::date(until))} }
                                }
                                if d.revoked_at.is_none() && d.declined_at.is_none() && d.role != OrgRole::Owner && role.may_manage(d.role) {
                                    button { id: "delegate-revoke-{d.id}", class: "button small danger", r#type: "button",
                                        onclick: {
                                            let revoke = RevokeDelegate { organisation: d.organisation.clone(), delegation: d.id.clone() };
                                            move |_| c.go(Screen::Confirm(Box::new(Pending::RevokeDelegate(revoke.clone()))))
                                        },
                                        {c.t("Thu hồi", "Revoke")}
                                    }
                                }
                            }
                        }
                    }
                    h3 { {c.t("Thêm người được ủy quyền", "Add a delegate")} }
                    div { class: if c.field_error("citizen_id").is_some() { "field invalid" } else { "field" },
                        label { r#for: "delegate-citizen-id", {c.t("Số định danh cá nhân", "Personal identification number")} }
                        input { id: "delegate-citizen-id", r#type: "text", inputmode: "numeric", initial_value: "{form.read().citizen_id}",
                            oninput: move |e| form.write().citizen_id = e.value() }
                        if let Some(e) = c.field_error("citizen_id") { p { id: "error-delegate-citizen-id", class: "field-error", "{e}" } }
                    }
                    div { class: "field",
                        label { r#for: "delegate-role", {c.t("Vai trò", "Role")} }
                        select { id: "delegate-role",
                            onchange: move |e| form.write().role = e.value(),
                            option { value: "member", selected: form.read().role != "administrator", {role_label(OrgRole::Member, lang)} }
                            if role == OrgRole::Owner {
                                option { value: "administrator", selected: form.read().role == "administrator", {role_label(OrgRole::Administrator, lang)} }
                            }
                        }
                    }
                    div { class: if c.field_error("expires_on").is_some() { "field invalid" } else { "field" },
                        label { r#for: "delegate-expiry", {c.t("Hiệu lực đến ngày (không bắt buộc)", "Valid until (optional)")} }
                        input { id: "delegate-expiry", r#type: "date", initial_value: "{form.read().expiry}",
                            oninput: move |e| form.write().expiry = e.value() }
                        if let Some(e) = c.field_error("expires_on") { p { id: "error-delegate-expiry", class: "field-error", "{e}" } }
                    }
                    button { id: "delegate-add", class: "button primary", r#type: "button", onclick: add,
                        {c.t("Ủy quyền", "Authorise")}
                    }
                }
            }
        }
    }
}
