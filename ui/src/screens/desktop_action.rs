//! Phone: the actions a desktop signed in by QR (issue 8) or the officer console (issue 16)
//! asked the phone to confirm — what each would do and where it was asked, with *Xác nhận*
//! (the keypad, then the same signed action as the direct route) and *Từ chối*.

use dinhdanh_core::api::{ActionOrigin, PendingDesktopAction};
use dinhdanh_core::app::DeclineDesktopActionArgs;
use dinhdanh_core::signed_action::ActionKind;
use dioxus::prelude::*;

use crate::bridge;
use crate::format;
use crate::i18n::Lang;
use crate::nav::{Pending, Screen};
use crate::state::{Ctx, ctx};

/// The desktop's actions waiting here, oldest first.
#[component]
pub fn DesktopActions() -> Element {
    let c = ctx();
    let mut list = use_signal(|| None::<Vec<PendingDesktopAction>>);
    use_hook(move || {
        spawn(async move {
            if let Some(items) = c.run(bridge::pending_desktop_actions()).await {
                list.set(Some(items));
            }
        });
    });
    let lang = c.l();
    let items = list.read().clone();
    rsx! {
        div { id: "screen-desktop-action", class: "screen",
            h1 { {c.t("Yêu cầu xác nhận từ máy tính", "Requests to confirm from a computer")} }
            if let Some(items) = items {
                if items.is_empty() {
                    p { class: "note",
                        {c.t(
                            "Không có yêu cầu nào đang chờ (có thể đã hết hạn hoặc đã được trả lời).",
                            "Nothing is waiting (it may have expired or been answered).",
                        )}
                    }
                }
                ul { class: "list",
                    for a in items {
                        li { key: "{a.id}", class: "desktop-action-row list-item",
                            "data-kind": "{format::serde_name(&a.kind)}",
                            span { class: "item-title", {lang.t(&a.summary_vi, &a.summary_en)} }
                            span { class: "item-text", {kind_label(a.kind, lang)} }
                            span { class: "item-meta desktop-action-origin",
                                {origin_label(a.asked_from, lang)}
                            }
                            span { class: "item-meta",
                                {c.t("Hết hạn lúc ", "Expires at ")} "{format::time(a.expires_at)}"
                            }
                            div { class: "actions",
                                button { id: "desktop-action-confirm-{a.id}", class: "button small primary", r#type: "button",
                                    onclick: {
                                        let pending = Pending::ConfirmDesktopAction {
                                            id: a.id.clone(),
                                            summary_vi: a.summary_vi.clone(),
                                            summary_en: a.summary_en.clone(),
                                        };
                                        move |_| c.go(Screen::Confirm(Box::new(pending.clone())))
                                    },
                                    {c.t("Xác nhận", "Confirm")}
                                }
                                button { id: "desktop-action-decline-{a.id}", class: "button small secondary", r#type: "button",
                                    onclick: {
                                        let id = a.id.clone();
                                        move |_| {
                                            let id = id.clone();
                                            spawn(async move { decline(c, list, id).await });
                                        }
                                    },
                                    {c.t("Từ chối", "Decline")}
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Declines `id` (no passcode: saying no to the desktop risks nothing) and shows what is
/// left.
async fn decline(c: Ctx, mut list: Signal<Option<Vec<PendingDesktopAction>>>, id: String) {
    let args = DeclineDesktopActionArgs { id };
    if c.run(bridge::decline_desktop_action(&args)).await.is_none() {
        return;
    }
    if let Some(items) = c.run(bridge::pending_desktop_actions()).await {
        list.set(Some(items));
    }
    c.tell(
        "Đã từ chối; máy tính đã được báo.",
        "Declined; the computer has been told.",
    );
}

/// What kind of action it is, in words.
fn kind_label(kind: ActionKind, lang: Lang) -> String {
    let (vi, en) = match kind {
        ActionKind::RegisterOrganisation => (
            "Gửi yêu cầu đăng ký định danh tổ chức",
            "Send an organisation registration request",
        ),
        ActionKind::SwitchAccount => (
            "Đổi tài khoản trên máy tính",
            "Switch the computer's account",
        ),
        ActionKind::ReviewRegistration => (
            "Quyết định của cán bộ về yêu cầu đăng ký",
            "An officer's decision on a registration request",
        ),
        ActionKind::ChangeAccountLock => (
            "Cán bộ khóa hoặc mở khóa tài khoản",
            "An officer locks or unlocks an account",
        ),
        ActionKind::RegisterInPerson => (
            "Cán bộ tiếp nhận đăng ký tổ chức tại quầy",
            "An officer registers an organisation at the counter",
        ),
        ActionKind::ChangeHolidayTable => (
            "Thay đổi bảng ngày nghỉ, ngày làm bù",
            "A change to the table of days off",
        ),
        _ => ("Thao tác khác", "Another action"),
    };
    lang.t(vi, en).to_owned()
}

/// Where it was asked for.
fn origin_label(origin: ActionOrigin, lang: Lang) -> String {
    let (vi, en) = match origin {
        ActionOrigin::Desktop => (
            "Từ máy tính đã đăng nhập bằng mã QR",
            "From a computer signed in by QR code",
        ),
        ActionOrigin::Console => ("Từ bảng điều khiển cán bộ", "From the officer console"),
    };
    lang.t(vi, en).to_owned()
}
