//! An organisation's page: details, code, history, switching to it and back, and (for owners
//! and administrators on the bound phone) its delegates.

mod delegates;
mod services;

use dinhdanh_core::account::OrgRole;
use dinhdanh_core::api::{
    AccountChoices, DelegationView, LiveEvent, OrganisationRecord, OrganisationStatus,
};
use dinhdanh_core::app::OrganisationArgs;
use dinhdanh_core::ids::OrgEid;
use dioxus::prelude::*;

use crate::bridge;
use crate::format;
use crate::i18n::Lang;
use crate::live::use_live_reload;
use crate::nav::{Pending, Screen, may_manage};
use crate::screens::home::role_label;
use crate::state::ctx;

use self::delegates::Delegates;
pub use self::services::DelegationServicesScreen;
use self::services::MyDelegation;

/// An organisation account's state in words.
fn status_label(status: OrganisationStatus, lang: Lang) -> &'static str {
    match status {
        OrganisationStatus::Active => lang.t("Đang hoạt động", "Active"),
        OrganisationStatus::Locked => lang.t("Đang bị khóa", "Locked"),
        OrganisationStatus::Closed => lang.t("Đã đóng", "Closed"),
    }
}

/// The person's role in `eid`, if they act for it.
fn role_in(choices: &AccountChoices, eid: &OrgEid) -> Option<OrgRole> {
    choices
        .organisations
        .iter()
        .find(|o| &o.eid == eid)
        .map(|o| o.role)
}

/// The organisation's page: loads the record, the person's accounts and (for those who manage
/// delegates here) the delegations, and lays out the parts below.
#[component]
pub fn OrganisationPage(eid: OrgEid) -> Element {
    let c = ctx();
    let mut record = use_signal(|| None::<OrganisationRecord>);
    let mut choices = use_signal(|| None::<AccountChoices>);
    let mut delegates = use_signal(|| None::<Vec<DelegationView>>);
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
                let role = role_in(&list, &load_eid);
                choices.set(Some(list));
                // Owners and administrators read every delegation; anyone else acting for it
                // reads their own (which services it allows).
                if role.is_some() {
                    if let Some(d) = c.run(bridge::delegations(&args)).await {
                        delegates.set(Some(d));
                    }
                }
            }
        });
    });
    // A delegation of this organisation changed (added, answered, ended, its services) while
    // the page is open: read the list again, quietly.
    let live_eid = eid.clone();
    let reload_eid = eid.clone();
    use_live_reload(
        move |e| matches!(e, LiveEvent::DelegationChanged { organisation, .. } if *organisation == live_eid),
        move || {
            let args = OrganisationArgs {
                eid: reload_eid.clone(),
            };
            spawn(async move {
                if let Ok(d) = bridge::delegations(&args).await {
                    delegates.set(Some(d));
                }
            });
        },
    );
    let my_role = choices.read().as_ref().and_then(|l| role_in(l, &eid));
    let active_here = choices
        .read()
        .as_ref()
        .is_some_and(|l| l.active.as_ref() == Some(&eid));
    let rec = record.read().clone();
    let list = delegates.read().clone();
    let me = c
        .status
        .read()
        .as_ref()
        .and_then(|s| s.signed_in.as_ref())
        .map(|s| s.account.id.clone());
    // The person's own delegation (not an owner's: legal representatives hold no list).
    let mine = list.as_ref().and_then(|l| {
        l.iter()
            .filter(|d| Some(&d.person.account) == me.as_ref() && d.role != OrgRole::Owner)
            .find(|d| d.revoked_at.is_none() && d.declined_at.is_none())
            .cloned()
    });
    let manages = manage_here && my_role.is_some_and(|r| r != OrgRole::Member);
    rsx! {
        div { id: "screen-organisation", class: "screen",
            if let Some(record) = rec {
                OrganisationDetails { record, my_role }
            }
            if my_role.is_some() {
                SwitchAccountButton { eid: eid.clone(), active_here }
            }
            // Owners and administrators answer for the delegates: they read who acted for it.
            if my_role.is_some_and(|r| r != OrgRole::Member) {
                button { id: "open-organisation-activity", class: "button secondary", r#type: "button",
                    onclick: {
                        let eid = eid.clone();
                        move |_| c.go(Screen::OrganisationActivity(eid.clone()))
                    },
                    {c.t("Hoạt động của tổ chức", "Organisation activity")}
                }
            }
            if let Some(mine) = mine {
                MyDelegation { delegation: mine }
            }
            if let (Some(list), Some(my_role), true) = (list, my_role, manages) {
                Delegates { eid: eid.clone(), list, my_role }
            }
        }
    }
}

/// The organisation's name and details, and the person's role in it.
#[component]
fn OrganisationDetails(record: OrganisationRecord, my_role: Option<OrgRole>) -> Element {
    let c = ctx();
    let lang = c.l();
    let r = record;
    rsx! {
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
                    for rep in r.representatives.iter() {
                        div { "{rep.full_name.as_str()} — {rep.citizen_id_masked}" }
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
}

/// Switching to the organisation, or back to the personal account when it is the active one
/// (both through the keypad).
#[component]
fn SwitchAccountButton(eid: OrgEid, active_here: bool) -> Element {
    let c = ctx();
    if active_here {
        return rsx! {
            button { id: "switch-back", class: "button secondary", r#type: "button",
                onclick: move |_| c.go(Screen::Confirm(Box::new(Pending::SwitchAccount { to: None }))),
                {c.t("Quay về tài khoản cá nhân", "Back to my personal account")}
            }
        };
    }
    rsx! {
        button { id: "switch-to-org", class: "button primary", r#type: "button",
            onclick: move |_| c.go(Screen::Confirm(Box::new(Pending::SwitchAccount { to: Some(eid.clone()) }))),
            {c.t("Chuyển sang tài khoản tổ chức này", "Switch to this organisation")}
        }
    }
}
