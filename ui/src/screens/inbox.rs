//! The inbox: notifications, with one-tap answers where the link allows (open a request,
//! accept or decline an authorisation, sign a desktop out) — and the sessions list.

use dinhdanh_core::api::{DelegationAnswer, LiveEvent, Notification, SessionKind, SessionView};
use dinhdanh_core::app::{DeviceRole, InboxLink};
use dioxus::prelude::*;

use crate::bridge;
use crate::format;
use crate::live::use_live_reload;
use crate::nav::{Pending, Screen, is_desktop};
use crate::state::ctx;

/// The inbox, newest first.
#[component]
pub fn Inbox() -> Element {
    let c = ctx();
    let mut list = use_signal(|| None::<Vec<Notification>>);
    use_hook(move || {
        spawn(async move {
            if let Some(items) = c.run(bridge::notifications()).await {
                list.set(Some(items));
            }
        });
    });
    // A new item while the inbox is open: read it again, quietly (a failure here is not the
    // person's doing; the list stays as it was).
    use_live_reload(
        |e| matches!(e, LiveEvent::InboxItem { .. }),
        move || {
            spawn(async move {
                if let Ok(items) = bridge::notifications().await {
                    list.set(Some(items));
                }
            });
        },
    );
    let lang = c.l();
    let items = list.read().clone();
    // Only the phone confirms a desktop's actions (the desktop holds no confirmation key).
    let phone = c
        .status
        .read()
        .as_ref()
        .is_some_and(|s| s.role == DeviceRole::Bound);
    rsx! {
        div { id: "screen-inbox", class: "screen",
            h1 { {c.t("Thông báo", "Inbox")} }
            if let Some(items) = items {
                if items.is_empty() {
                    p { class: "note", {c.t("Chưa có thông báo nào.", "No notifications yet.")} }
                }
                ul { class: "list",
                    for n in items {
                        li {
                            key: "{n.id}",
                            class: "notification {format::serde_name(&n.kind)} list-item",
                            "data-read": if n.read { "true" } else { "false" },
                            span { class: "item-title", {lang.t(&n.title_vi, &n.title_en)} }
                            span { class: "item-text", {lang.t(&n.body_vi, &n.body_en)} }
                            span { class: "item-meta", "{format::time(n.created_at)}" }
                            match n.link.as_deref().and_then(InboxLink::parse) {
                                Some(InboxLink::Registration(id)) => rsx! {
                                    button { class: "button small secondary notification-open", r#type: "button",
                                        onclick: move |_| c.go(Screen::Request { id: id.clone(), created: false }),
                                        {c.t("Xem yêu cầu", "Open the request")}
                                    }
                                },
                                Some(InboxLink::DelegationAnswer { organisation, delegation }) => {
                                    let (o2, d2) = (organisation.clone(), delegation.clone());
                                    rsx! {
                                        div { class: "actions",
                                            button { id: "delegation-accept", class: "button small primary", r#type: "button",
                                                onclick: move |_| c.go(Screen::Confirm(Box::new(Pending::AnswerDelegation(DelegationAnswer {
                                                    organisation: organisation.clone(), delegation: delegation.clone(), accept: true,
                                                })))),
                                                {c.t("Nhận ủy quyền", "Accept")}
                                            }
                                            button { id: "delegation-decline", class: "button small secondary", r#type: "button",
                                                onclick: move |_| c.go(Screen::Confirm(Box::new(Pending::AnswerDelegation(DelegationAnswer {
                                                    organisation: o2.clone(), delegation: d2.clone(), accept: false,
                                                })))),
                                                {c.t("Từ chối", "Decline")}
                                            }
                                        }
                                    }
                                }
                                Some(InboxLink::Session(session)) => rsx! {
                                    button { id: "session-end-{session}", class: "button small danger", r#type: "button",
                                        onclick: move |_| c.go(Screen::Confirm(Box::new(Pending::EndSession(session.clone())))),
                                        {c.t("Đăng xuất máy tính này", "Sign this computer out")}
                                    }
                                },
                                Some(InboxLink::DesktopAction(_)) if phone => rsx! {
                                    button { id: "desktop-action-open", class: "button small primary", r#type: "button",
                                        onclick: move |_| c.go(Screen::DesktopActions),
                                        {c.t("Xem và xác nhận", "Review and confirm")}
                                    }
                                },
                                Some(InboxLink::DesktopAction(_)) | None => rsx! {},
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The person's sessions: this phone and the desktops signed in by QR.
#[component]
pub fn Sessions() -> Element {
    let c = ctx();
    let mut list = use_signal(|| None::<Vec<SessionView>>);
    use_hook(move || {
        spawn(async move {
            if let Some(items) = c.run(bridge::sessions()).await {
                list.set(Some(items));
            }
        });
    });
    let items = list.read().clone();
    rsx! {
        div { id: "screen-sessions", class: "screen",
            h1 { {c.t("Phiên đăng nhập", "Sessions")} }
            button { id: "sessions-service-consents", class: "button secondary", r#type: "button",
                onclick: move |_| c.go(Screen::ServiceConsents),
                {c.t("Dịch vụ đã chia sẻ thông tin", "Services you share data with")}
            }
            if let Some(items) = items {
                ul { class: "list",
                    for s in items {
                        li { key: "{s.id}", class: "session-row list-item", "data-kind": "{format::serde_name(&s.kind)}",
                            span { class: "item-title",
                                {match s.kind { SessionKind::Device => c.t("Điện thoại", "Phone"), SessionKind::Desktop => c.t("Máy tính", "Computer") }}
                                {format!(" · {}", format::label(&s.client_name))}
                            }
                            span { class: "item-meta",
                                {c.t("Bắt đầu ", "Since ")} "{format::time(s.created_at)}"
                                {c.t(" · hết hạn ", " · ends ")} "{format::time(s.absolute_expires_at)}"
                            }
                            if let Some(org) = &s.acting_for {
                                span { class: "item-meta", {c.t("Đang dùng tài khoản tổ chức ", "Acting for ")} "{org}" }
                            }
                            if is_desktop(&s) {
                                button { id: "session-end-{s.id}", class: "button small danger", r#type: "button",
                                    onclick: {
                                        let id = s.id.clone();
                                        move |_| c.go(Screen::Confirm(Box::new(Pending::EndSession(id.clone()))))
                                    },
                                    {c.t("Đăng xuất", "Sign out")}
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
