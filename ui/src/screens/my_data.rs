//! What is held about the person and what was done with it (Decree 13/2023/NĐ-CP): *Dữ liệu
//! cá nhân*, *Hoạt động của tôi* (the audit entries about them), and for an organisation's
//! owners and administrators *Hoạt động của tổ chức* — who acted for it, from which device,
//! when. The server never puts a passcode, a token or a full identification number in the
//! audit trail; these screens show what it answers.

use dinhdanh_core::account::AccountLevel;
use dinhdanh_core::api::{
    AuditEntry, AuditOutcome, OrganisationActivityEntry, PersonalDataView, Platform,
};
use dinhdanh_core::app::OrganisationArgs;
use dinhdanh_core::ids::OrgEid;
use dioxus::prelude::*;

use crate::activity::{action_label, object_label};
use crate::bridge;
use crate::format;
use crate::i18n::Lang;
use crate::nav::Screen;
use crate::state::ctx;

/// A platform's name (the same in both languages).
fn platform_label(p: Platform) -> &'static str {
    match p {
        Platform::Android => "Android",
        Platform::Ios => "iOS",
        Platform::Linux => "Linux",
        Platform::Macos => "macOS",
        Platform::Windows => "Windows",
    }
}

/// One row of a definition list.
#[component]
fn Row(id: &'static str, label: String, value: String) -> Element {
    rsx! {
        div { class: "review-row",
            dt { "{label}" }
            dd { id: "{id}", "{value}" }
        }
    }
}

/// The rows of *Dữ liệu cá nhân*: (element id, label, value).
fn data_rows(d: &PersonalDataView, lang: Lang) -> Vec<(&'static str, String, String)> {
    let t = |vi: &str, en: &str| lang.t(vi, en).to_owned();
    let level = match d.account.level {
        AccountLevel::Level1 => t("Mức 1", "Level 1"),
        AccountLevel::Level2 => t("Mức 2", "Level 2"),
    };
    let status = if d.account.locked {
        t("Đang bị khóa", "Locked")
    } else {
        t("Đang hoạt động", "Active")
    };
    let device = match &d.device {
        Some(dev) => {
            let name = format::label(&dev.name);
            let platform = platform_label(dev.platform);
            let at = format::time(dev.bound_at);
            match lang {
                Lang::Vi => format!("{name} ({platform}), liên kết lúc {at}"),
                Lang::En => format!("{name} ({platform}), bound at {at}"),
            }
        }
        None => t("Không có", "None"),
    };
    vec![
        (
            "my-data-name",
            t("Họ và tên", "Full name"),
            d.account.full_name.clone(),
        ),
        (
            "my-data-citizen-id",
            t("Số định danh cá nhân", "Personal identification number"),
            d.citizen_id.as_str().to_owned(),
        ),
        (
            "my-data-dob",
            t("Ngày sinh", "Date of birth"),
            format::date(d.date_of_birth),
        ),
        (
            "my-data-phone",
            t("Số điện thoại", "Phone number"),
            d.phone.as_str().to_owned(),
        ),
        (
            "my-data-email",
            t("Thư điện tử", "E-mail"),
            d.email
                .as_ref()
                .map(|e| e.as_str().to_owned())
                .unwrap_or_else(|| t("Chưa đăng ký", "None registered")),
        ),
        ("my-data-level", t("Mức định danh", "Identity level"), level),
        (
            "my-data-locked",
            t("Trạng thái tài khoản", "Account status"),
            status,
        ),
        (
            "my-data-device",
            t("Điện thoại đã liên kết", "Bound phone"),
            device,
        ),
    ]
}

/// *Dữ liệu cá nhân*: everything held about the person, read from the server (which records
/// the reading in the person's own activity).
#[component]
pub fn MyData() -> Element {
    let c = ctx();
    let mut data = use_signal(|| None::<PersonalDataView>);
    use_hook(move || {
        spawn(async move {
            if let Some(d) = c.load(bridge::my_data()).await {
                data.set(Some(d));
            }
        });
    });
    let lang = c.l();
    let rows = data.read().as_ref().map(|d| data_rows(d, lang));
    rsx! {
        div { id: "screen-my-data", class: "screen",
            h1 { {c.t("Dữ liệu cá nhân", "My personal data")} }
            p { class: "lead",
                {c.t(
                    "Thông tin hệ thống đang lưu về bạn (Nghị định 13/2023/NĐ-CP). Số định danh đầy đủ chỉ hiển thị cho chính bạn.",
                    "What the system holds about you (Decree 13/2023/NĐ-CP). Your full identification number is shown to you only.",
                )}
            }
            if let Some(rows) = rows {
                dl { id: "my-data", class: "review data-list card",
                    for (id, label, value) in rows {
                        Row { key: "{id}", id: id, label: label, value: value }
                    }
                }
            }
            button { id: "my-data-activity", class: "button secondary", r#type: "button",
                onclick: move |_| c.go(Screen::MyActivity),
                {c.t("Xem hoạt động của tôi", "See my activity")}
            }
        }
    }
}

/// *Hoạt động của tôi*: the audit entries about the person, newest first.
#[component]
pub fn MyActivity() -> Element {
    let c = ctx();
    let mut entries = use_signal(|| None::<Vec<AuditEntry>>);
    use_hook(move || {
        spawn(async move {
            if let Some(list) = c.load(bridge::my_activity()).await {
                entries.set(Some(list));
            }
        });
    });
    let list = entries.read().clone();
    let lang = c.l();
    let me = c
        .status
        .read()
        .as_ref()
        .and_then(|s| s.signed_in.as_ref())
        .map(|s| s.account.id.clone());
    rsx! {
        div { id: "screen-my-activity", class: "screen",
            h1 { {c.t("Hoạt động của tôi", "My activity")} }
            p { class: "lead",
                {c.t(
                    "Mọi thao tác liên quan đến bạn được ghi lại, kể cả thao tác bị từ chối. Nếu thấy điều bạn không làm, hãy khóa tài khoản ngay.",
                    "Everything done concerning you is recorded, refused attempts included. If you see something you did not do, lock your account now.",
                )}
            }
            match list {
                None => rsx! {},
                Some(list) if list.is_empty() => rsx! {
                    p { id: "activity-empty", class: "note", {c.t("Chưa có hoạt động nào.", "No activity yet.")} }
                },
                Some(list) => rsx! {
                    ul { id: "activity-list", class: "list activity-list",
                        for e in list {
                            li { key: "{e.seq}", class: "activity-entry list-item",
                                "data-action": "{e.action}", "data-outcome": "{format::serde_name(&e.outcome)}",
                                span { class: "item-title", {action_label(&e.action, lang)} }
                                span { class: "item-meta", "{format::time(e.at)}" }
                                span { class: "item-meta",
                                    {who(lang, e.actor.as_ref() == me.as_ref(), e.actor.is_some())}
                                    if let Some(org) = &e.acting_for {
                                        {match lang { Lang::Vi => format!(" · cho tổ chức {org}"), Lang::En => format!(" · for organisation {org}") }}
                                    }
                                }
                                if let Some(object) = e.object.as_deref().and_then(|o| object_label(o, lang)) {
                                    span { class: "activity-object", "{format::label(&object)}" }
                                }
                                Outcome { outcome: e.outcome }
                            }
                        }
                    }
                },
            }
        }
    }
}

/// Who acted, from the person's side: themselves, someone else (an officer, another person),
/// or the system.
fn who(lang: Lang, by_me: bool, anyone: bool) -> String {
    match (by_me, anyone) {
        (true, _) => lang.t("Bạn thực hiện", "Done by you"),
        (false, true) => lang.t("Người khác thực hiện", "Done by someone else"),
        (false, false) => lang.t("Hệ thống thực hiện", "Done by the system"),
    }
    .to_owned()
}

/// "Refused" for a denied entry; nothing for a success.
#[component]
fn Outcome(outcome: AuditOutcome) -> Element {
    let c = ctx();
    match outcome {
        AuditOutcome::Success => rsx! {},
        AuditOutcome::Denied => rsx! {
            span { class: "activity-outcome", {c.t("Bị từ chối", "Refused")} }
        },
    }
}

/// *Hoạt động của tổ chức*: who acted for the organisation, from which device, when, newest
/// first (owners and administrators; the server refuses anyone else).
#[component]
pub fn OrganisationActivity(eid: OrgEid) -> Element {
    let c = ctx();
    let mut entries = use_signal(|| None::<Vec<OrganisationActivityEntry>>);
    let load_eid = eid.clone();
    use_hook(move || {
        spawn(async move {
            let args = OrganisationArgs {
                eid: load_eid.clone(),
            };
            if let Some(list) = c.load(bridge::organisation_activity(&args)).await {
                entries.set(Some(list));
            }
        });
    });
    let list = entries.read().clone();
    let lang = c.l();
    let back_to = eid.clone();
    rsx! {
        div { id: "screen-organisation-activity", class: "screen",
            h1 { {c.t("Hoạt động của tổ chức", "Organisation activity")} }
            p { class: "lead",
                {match lang {
                    Lang::Vi => format!("Ai đã thao tác cho tổ chức {eid}, từ thiết bị nào, khi nào (mới nhất trước)."),
                    Lang::En => format!("Who acted for organisation {eid}, from which device, when (newest first)."),
                }}
            }
            match list {
                None => rsx! {},
                Some(list) if list.is_empty() => rsx! {
                    p { id: "activity-empty", class: "note", {c.t("Chưa có ai thao tác cho tổ chức.", "Nobody has acted for the organisation yet.")} }
                },
                Some(list) => rsx! {
                    ul { id: "activity-list", class: "list activity-list",
                        for e in list {
                            li { key: "{e.seq}", class: "activity-entry list-item",
                                "data-action": "{e.action}", "data-outcome": "{format::serde_name(&e.outcome)}",
                                span { class: "item-title", {action_label(&e.action, lang)} }
                                span { class: "item-meta activity-actor",
                                    {match (&e.actor_name, &e.actor_citizen_id_masked) {
                                        (Some(name), Some(masked)) => format!("{} ({masked})", format::label(name)),
                                        (Some(name), None) => format::label(name),
                                        _ => c.t("Hệ thống", "The system"),
                                    }}
                                }
                                span { class: "item-meta activity-device",
                                    {match &e.device_name {
                                        Some(name) => match lang {
                                            Lang::Vi => format!("Thiết bị: {}", format::label(name)),
                                            Lang::En => format!("Device: {}", format::label(name)),
                                        },
                                        None => c.t("Thiết bị: không rõ", "Device: not recorded"),
                                    }}
                                }
                                span { class: "item-meta", "{format::time(e.at)}" }
                                if let Some(object) = e.object.as_deref().and_then(|o| object_label(o, lang)) {
                                    span { class: "activity-object", "{format::label(&object)}" }
                                }
                                Outcome { outcome: e.outcome }
                            }
                        }
                    }
                },
            }
            button { id: "organisation-activity-back", class: "button ghost", r#type: "button",
                onclick: move |_| c.go(Screen::Organisation(back_to.clone())),
                {c.t("Quay lại", "Back")}
            }
        }
    }
}
