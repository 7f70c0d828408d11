//! The person's registration requests and one request's page: status, the request as filed
//! with each representative's answer, history, the officer's reason, answering a request for
//! information, a co-representative's consent or refusal, and the requester's withdrawal.

use dinhdanh_core::api::{
    LiveEvent, OfficerReviewReason, RegistrationEventKind, RegistrationStatus, RegistrationView,
};
use dinhdanh_core::ids::RegistrationId;
use dioxus::prelude::*;

use crate::bridge;
use crate::format;
use crate::i18n::Lang;
use crate::live::use_live_reload;
use crate::nav::{Pending, Screen, may_manage};
use crate::screens::co_representatives::{
    ConsentPanel, RequestAsFiled, WithdrawPanel, WithdrawnNote,
};
use crate::state::ctx;

/// Why a request waits for an officer, in words (the core crate's sentences, which the
/// officer console shows too).
pub fn review_reason(reason: OfficerReviewReason, lang: Lang) -> &'static str {
    lang.t(reason.explanation_vi(), reason.explanation_en())
}

/// The officer's latest word on a request: the question asked, the reason for refusing, or why
/// it went to an officer.
pub fn officer_reason(view: &RegistrationView, lang: Lang) -> Option<String> {
    view.history
        .iter()
        .rev()
        .find_map(|event| match &event.kind {
            RegistrationEventKind::Rejected { reason } => Some(format::message(reason)),
            RegistrationEventKind::InformationRequested { question } => {
                Some(format::message(question))
            }
            RegistrationEventKind::SentToOfficer { reason } => {
                Some(review_reason(*reason, lang).to_owned())
            }
            _ => None,
        })
}

/// One history entry in words.
pub fn event_text(kind: &RegistrationEventKind, lang: Lang) -> String {
    let t = |vi: &str, en: &str| lang.t(vi, en).to_owned();
    match kind {
        RegistrationEventKind::Submitted => t("Đã gửi yêu cầu", "Request sent"),
        RegistrationEventKind::Consented => t(
            "Người đại diện khác đã đồng ý",
            "A co-representative consented",
        ),
        RegistrationEventKind::Refused => t(
            "Người đại diện khác đã từ chối",
            "A co-representative refused",
        ),
        RegistrationEventKind::RegistryChecked { matched: true } => t(
            "Đã đối chiếu: thông tin khớp",
            "Register checked: details match",
        ),
        RegistrationEventKind::RegistryChecked { matched: false } => t(
            "Đã đối chiếu: có thông tin không khớp",
            "Register checked: some details differ",
        ),
        RegistrationEventKind::SentToOfficer { reason } => format!(
            "{} {}",
            t("Chuyển cán bộ xem xét.", "Sent to an officer."),
            review_reason(*reason, lang)
        ),
        RegistrationEventKind::InformationRequested { question } => format!(
            "{} {}",
            t("Cán bộ yêu cầu bổ sung:", "The officer asks:"),
            format::message(question)
        ),
        RegistrationEventKind::InformationProvided { answer } => {
            format!(
                "{} {}",
                t("Đã trả lời:", "Answered:"),
                format::message(answer)
            )
        }
        RegistrationEventKind::Approved { org_eid } => format!(
            "{} {org_eid}",
            t("Đã phê duyệt, mã định danh", "Approved, e-ID")
        ),
        RegistrationEventKind::Rejected { reason } => {
            format!(
                "{} {}",
                t("Bị từ chối:", "Rejected:"),
                format::message(reason)
            )
        }
        RegistrationEventKind::Withdrawn => t("Đã rút yêu cầu", "Withdrawn"),
    }
}

/// The person's requests, newest first.
#[component]
pub fn Requests() -> Element {
    let c = ctx();
    let mut list = use_signal(|| None::<Vec<RegistrationView>>);
    use_hook(move || {
        spawn(async move {
            if let Some(items) = c.run(bridge::registrations()).await {
                list.set(Some(items));
            }
        });
    });
    use_live_reload(
        |e| {
            matches!(
                e,
                LiveEvent::RequestChanged { .. } | LiveEvent::ConsentChanged { .. }
            )
        },
        move || {
            spawn(async move {
                if let Ok(items) = bridge::registrations().await {
                    list.set(Some(items));
                }
            });
        },
    );
    let lang = c.l();
    let items = list.read().clone();
    rsx! {
        div { id: "screen-requests", class: "screen",
            h1 { {c.t("Yêu cầu đã gửi", "My requests")} }
            if let Some(items) = items {
                if items.is_empty() {
                    p { class: "note", {c.t("Bạn chưa gửi yêu cầu nào.", "You have not sent any request yet.")} }
                }
                ul { class: "list",
                    for r in items {
                        li { key: "{r.id}",
                            button { class: "request-row list-item", r#type: "button", "data-id": "{r.id}",
                                onclick: {
                                    let id = r.id.clone();
                                    move |_| c.go(Screen::Request { id: id.clone(), created: false })
                                },
                                span { class: "item-title", "{r.details.name_vi.as_str()}" }
                                span { class: "status-chip status-{format::serde_name(&r.status)}", {lang.t(r.status.label_vi(), r.status.label_en())} }
                                span { class: "item-meta", "{r.id} · {format::time(r.submitted_at)}" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One request's page.
#[component]
pub fn RequestPage(id: RegistrationId, created: bool) -> Element {
    let c = ctx();
    let mut view = use_signal(|| None::<RegistrationView>);
    let answer = c.answer;
    let load_id = id.clone();
    let reload = move || {
        let id = load_id.clone();
        spawn(async move {
            let args = dinhdanh_core::app::RegistrationArgs { id };
            if let Some(v) = c.run(bridge::registration(&args)).await {
                view.set(Some(v));
            }
        });
    };
    // Opening the page keeps an error carried to it (an answer refused, or a lost connection
    // and what the server said about it): the request shows where it stands under it.
    let first_id = id.clone();
    use_hook(move || {
        spawn(async move {
            let args = dinhdanh_core::app::RegistrationArgs { id: first_id };
            if let Some(v) = c.load(bridge::registration(&args)).await {
                view.set(Some(v));
            }
        });
    });
    // Its status moved, or a co-representative answered, while the page is open: read it
    // again, quietly (what is being typed on it is in `c.answer`, untouched).
    let live_id = id.clone();
    let this_id = id.clone();
    use_live_reload(
        move |e| match e {
            LiveEvent::RequestChanged { id } | LiveEvent::ConsentChanged { id } => *id == live_id,
            _ => false,
        },
        move || {
            let id = this_id.clone();
            spawn(async move {
                let args = dinhdanh_core::app::RegistrationArgs { id };
                if let Ok(v) = bridge::registration(&args).await {
                    view.set(Some(v));
                }
            });
        },
    );
    let lang = c.l();
    let current = view.read().clone();
    let (me, phone) = c
        .status
        .read()
        .as_ref()
        .map(|s| {
            (
                s.signed_in.as_ref().map(|s| s.account.id.clone()),
                may_manage(s),
            )
        })
        .unwrap_or((None, false));
    rsx! {
        div { id: "screen-request", class: "screen",
            if created {
                div { id: "request-created", class: "success-panel",
                    h1 { {c.t("Đã tạo yêu cầu", "Request created")} }
                    p { {c.t("Yêu cầu của bạn đã được gửi tới cơ quan có thẩm quyền.", "Your request was sent to the authority.")} }
                }
            } else {
                h1 { {c.t("Yêu cầu đăng ký", "Registration request")} }
            }
            if let Some(v) = current {
                dl { class: "review",
                    div { class: "review-row",
                        dt { {c.t("Mã yêu cầu", "Request number")} }
                        dd { id: "request-id", "{v.id}" }
                    }
                    div { class: "review-row",
                        dt { {c.t("Tổ chức", "Organisation")} }
                        dd { "{v.details.name_vi.as_str()}" }
                    }
                    div { class: "review-row",
                        dt { {c.t("Trạng thái", "Status")} }
                        dd { id: "request-status", class: "status-chip status-{format::serde_name(&v.status)}", "data-status": "{format::serde_name(&v.status)}",
                            {lang.t(v.status.label_vi(), v.status.label_en())}
                        }
                    }
                    div { class: "review-row",
                        dt { {c.t("Hạn giải quyết", "Due by")} }
                        dd { class: if v.overdue { "overdue" } else { "" }, "{format::date(v.due_on)}" }
                    }
                    if let Some(eid) = &v.org_eid {
                        div { class: "review-row",
                            dt { {c.t("Mã định danh tổ chức", "Organisation e-ID")} }
                            dd { id: "request-eid", class: "code", "{eid}" }
                        }
                    }
                }
                if v.status == RegistrationStatus::Withdrawn {
                    WithdrawnNote { view: v.clone() }
                }
                if v.awaits_your_consent() {
                    p { class: "warning",
                        {c.t(
                            "Bạn là người đại diện theo pháp luật được nêu trong yêu cầu này: xem nội dung bên dưới rồi đồng ý hoặc từ chối.",
                            "You are named in this request as a legal representative: read it below, then consent or refuse.",
                        )}
                    }
                }
                if let Some(reason) = officer_reason(&v, lang) {
                    div { id: "request-reason", class: "officer-reason",
                        strong { {c.t("Ý kiến của cán bộ: ", "The officer says: ")} }
                        "{reason}"
                    }
                }
                if v.status == RegistrationStatus::InformationRequested {
                    div { class: "card",
                        label { r#for: "answer-input", {c.t("Trả lời cán bộ", "Your answer")} }
                        textarea {
                            id: "answer-input",
                            rows: "4",
                            value: "{answer}",
                            oninput: {
                                let mut answer = answer;
                                move |e: FormEvent| answer.set(e.value())
                            },
                        }
                        button { id: "answer-submit", class: "button primary", r#type: "button",
                            disabled: answer.read().trim().is_empty(),
                            onclick: {
                                let id = v.id.clone();
                                move |_| c.go(Screen::Confirm(Box::new(Pending::AnswerInformation { id: id.clone(), answer: answer.read().trim().to_owned() })))
                            },
                            {c.t("Gửi trả lời", "Send the answer")}
                        }
                    }
                }
                if let Some(eid) = v.org_eid.clone() {
                    button { id: "org-open-{eid}", class: "button secondary", r#type: "button",
                        onclick: move |_| c.go(Screen::Organisation(eid.clone())),
                        {c.t("Xem tổ chức", "Open the organisation")}
                    }
                }
                RequestAsFiled { view: v.clone() }
                if v.awaits_your_consent() {
                    if phone {
                        ConsentPanel { view: v.clone() }
                    } else {
                        p { class: "warning", {c.t("Hãy trả lời yêu cầu này trên điện thoại của bạn.", "Answer this request on your phone.")} }
                    }
                }
                if me.is_some() && me == v.requester.account && !v.status.is_final() && phone {
                    WithdrawPanel { view: v.clone() }
                }
                h2 { {c.t("Lịch sử xử lý", "History")} }
                ol { class: "history",
                    for (i, event) in v.history.iter().enumerate() {
                        li { key: "{i}",
                            span { class: "history-time", "{format::time(event.at)}" }
                            span { class: "history-text", "{event_text(&event.kind, lang)}" }
                            if let Some(actor) = &event.actor {
                                span { class: "history-time", "{format::label(&actor.full_name)}" }
                            }
                        }
                    }
                }
            }
            button { id: "request-refresh", class: "button ghost", r#type: "button", onclick: move |_| reload(),
                {c.t("Cập nhật trạng thái", "Refresh")}
            }
        }
    }
}
