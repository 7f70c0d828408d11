//! The request page's parts for the people named in it (Decree 69/2024, Art. 12): the request
//! as filed — organisation, type, details, who asked and in what capacity, each legal
//! representative and their answer — the co-representative's consent or refusal, and the
//! requester's withdrawal. Each answer is a confirmed action (the keypad, or biometrics): the
//! screen only sends the person there with the request as shown; the server decides.

use dinhdanh_core::api::{ConsentView, RegistrationEventKind, RegistrationView, RequesterCapacity};
use dinhdanh_core::ids::NewProvince;
use dinhdanh_core::org_type::OrgField;
use dioxus::prelude::*;

use crate::form;
use crate::format;
use crate::i18n::Lang;
use crate::nav::{Pending, Screen};
use crate::state::ctx;

/// The request's rows as filed (label, value), in the language shown: the type, every field
/// given, and the documents attached. Representatives are listed apart, with their answers.
pub fn filed_rows(view: &RegistrationView, lang: Lang) -> Vec<(String, String)> {
    let t = |vi: &str, en: &str| lang.t(vi, en).to_owned();
    let mut rows = vec![(
        t("Loại tổ chức", "Organisation type"),
        t(view.org_type.label_vi(), view.org_type.label_en()),
    )];
    let mut as_form = view.details.to_form();
    for field in form::single_fields(view.org_type) {
        let value = form::field_mut(&mut as_form, field)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default();
        if value.is_empty() {
            continue;
        }
        let shown = match field {
            OrgField::HeadOfficeProvince => NewProvince::parse(&value)
                .map(|p| t(p.name_vi(), p.name_en()))
                .unwrap_or(value),
            OrgField::EstablishedOn => format::date(view.details.established_on),
            _ => format::label(&value),
        };
        rows.push((t(field.label_vi(), field.label_en()), shown));
    }
    for (kind, _) in form::documents(view.org_type) {
        let has = form::field_mut(&mut as_form, kind.field()).is_some_and(|v| !v.is_empty());
        if has {
            rows.push((
                t(kind.label_vi(), kind.label_en()),
                t("Đã đính kèm", "Attached"),
            ));
        }
    }
    rows
}

/// Where one legal representative stands on the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RepresentativeState {
    /// The requester themself: filing is their consent.
    Requester,
    /// Asked, not answered yet (or without an account: an officer asks them in person).
    Waiting,
    /// Consented.
    Consented,
    /// Refused: the request was withdrawn.
    Refused,
}

impl RepresentativeState {
    /// The word tests read (`data-consent`).
    pub fn code(self) -> &'static str {
        match self {
            RepresentativeState::Requester => "requester",
            RepresentativeState::Waiting => "waiting",
            RepresentativeState::Consented => "consented",
            RepresentativeState::Refused => "refused",
        }
    }

    /// In words.
    pub fn text(self, lang: Lang) -> &'static str {
        match self {
            RepresentativeState::Requester => lang.t("Người nộp yêu cầu", "Filed the request"),
            RepresentativeState::Waiting => lang.t("Chưa trả lời", "Not answered yet"),
            RepresentativeState::Consented => lang.t("Đã đồng ý", "Consented"),
            RepresentativeState::Refused => lang.t("Đã từ chối", "Refused"),
        }
    }
}

/// One line of the representatives' list.
#[derive(Clone, Debug, PartialEq)]
pub struct RepresentativeLine {
    /// Full name as filed.
    pub name: String,
    /// Masked identification number (never the full one on this screen).
    pub masked: String,
    /// Their answer.
    pub state: RepresentativeState,
    /// The reader's own line.
    pub you: bool,
    /// When they answered.
    pub answered_at: Option<dinhdanh_core::api::Timestamp>,
}

/// The legal representatives as filed, each with their answer: the requester (when they are
/// one) is marked as such; every other is found among the request's consents by the masked
/// number the server shows.
pub fn representative_lines(view: &RegistrationView) -> Vec<RepresentativeLine> {
    view.details
        .representatives
        .iter()
        .map(|rep| {
            let masked = rep.citizen_id.masked();
            let consent: Option<&ConsentView> =
                view.consents.iter().find(|c| c.citizen_id_masked == masked);
            let is_requester = view.capacity == RequesterCapacity::LegalRepresentative
                && consent.is_none()
                && view.requester.citizen_id_masked == masked;
            let state = match (is_requester, consent.and_then(|c| c.consented)) {
                (true, _) => RepresentativeState::Requester,
                (false, Some(true)) => RepresentativeState::Consented,
                (false, Some(false)) => RepresentativeState::Refused,
                (false, None) => RepresentativeState::Waiting,
            };
            RepresentativeLine {
                name: format::label(rep.full_name.as_str()),
                masked,
                state,
                you: consent.is_some_and(|c| c.you),
                answered_at: consent.and_then(|c| c.answered_at),
            }
        })
        .collect()
}

/// Who withdrew a withdrawn request: the requester, or a co-representative by refusing.
pub fn withdrawn_by_refusal(view: &RegistrationView) -> bool {
    view.history
        .iter()
        .any(|e| e.kind == RegistrationEventKind::Refused)
}

/// The request as filed in the representatives' names: details, who asked, representatives.
#[component]
pub fn RequestAsFiled(view: RegistrationView) -> Element {
    let c = ctx();
    let lang = c.l();
    let rows = filed_rows(&view, lang);
    let lines = representative_lines(&view);
    let capacity = match view.capacity {
        RequesterCapacity::LegalRepresentative => {
            c.t("người đại diện theo pháp luật", "legal representative")
        }
        RequesterCapacity::Authorised => c.t(
            "người được ủy quyền (có giấy ủy quyền)",
            "authorised person (with an authorisation letter)",
        ),
    };
    let requester = format!(
        "{} — {} ({capacity})",
        format::label(&view.requester.full_name),
        view.requester.citizen_id_masked
    );
    rsx! {
        h2 { {c.t("Nội dung yêu cầu", "The request as filed")} }
        dl { id: "request-details", class: "review",
            div { class: "review-row",
                dt { {c.t("Người nộp", "Filed by")} }
                dd { id: "request-requester", "{requester}" }
            }
            for (label, value) in rows {
                div { class: "review-row",
                    dt { "{label}" }
                    dd { "{value}" }
                }
            }
        }
        h2 { {c.t("Người đại diện theo pháp luật", "Legal representatives")} }
        ul { id: "request-representatives", class: "list",
            for (i, line) in lines.into_iter().enumerate() {
                li { key: "{i}",
                    class: if line.you { "representative-row list-item you" } else { "representative-row list-item" },
                    "data-consent": line.state.code(),
                    span { class: "item-title",
                        "{line.name}"
                        if line.you { {c.t(" (bạn)", " (you)")} }
                    }
                    span { class: "item-meta", "{line.masked}" }
                    span { class: "status-chip consent-{line.state.code()}", {line.state.text(lang)} }
                    if let Some(at) = line.answered_at {
                        span { class: "item-meta", "{format::time(at)}" }
                    }
                }
            }
        }
    }
}

/// A co-representative's answer: what consenting and refusing mean, then the keypad.
#[component]
pub fn ConsentPanel(view: RegistrationView) -> Element {
    let c = ctx();
    let requester = format::label(&view.requester.full_name);
    let name = format::label(view.details.name_vi.as_str());
    let (give, refuse) = (view.clone(), view);
    rsx! {
        div { id: "consent-panel", class: "card",
            h2 { {c.t("Yêu cầu này cần bạn trả lời", "This request needs your answer")} }
            p {
                {match c.l() {
                    Lang::Vi => format!(
                        "Bạn được nêu là người đại diện theo pháp luật của {name}. Đồng ý nghĩa là bạn xác nhận {requester} được đăng ký tài khoản định danh điện tử cho tổ chức với đúng các thông tin trên. Từ chối sẽ rút yêu cầu; người nộp được thông báo."
                    ),
                    Lang::En => format!(
                        "You are named as a legal representative of {name}. Consenting means you confirm that {requester} may register the organisation's e-ID account with exactly the details above. Refusing withdraws the request; the requester is told."
                    ),
                }}
            }
            div { class: "actions two",
                button { id: "consent-give", class: "button primary", r#type: "button",
                    onclick: move |_| c.go(Screen::Confirm(Box::new(Pending::AnswerConsent { shown: Box::new(give.clone()), consent: true }))),
                    {c.t("Đồng ý", "Consent")}
                }
                button { id: "consent-refuse", class: "button danger", r#type: "button",
                    onclick: move |_| c.go(Screen::Confirm(Box::new(Pending::AnswerConsent { shown: Box::new(refuse.clone()), consent: false }))),
                    {c.t("Từ chối", "Refuse")}
                }
            }
        }
    }
}

/// The requester's withdrawal: a button, then a question saying what withdrawal means, then
/// the keypad. The question is the screen's own state: leaving closes it.
#[component]
pub fn WithdrawPanel(view: RegistrationView) -> Element {
    let c = ctx();
    let mut asking = use_signal(|| false);
    let id = view.id.clone();
    let name = view.details.name_vi.as_str().to_owned();
    rsx! {
        if *asking.read() {
            div { id: "withdraw-question", class: "card", role: "alertdialog", "aria-labelledby": "withdraw-question-title",
                h2 { id: "withdraw-question-title", {c.t("Rút yêu cầu này?", "Withdraw this request?")} }
                p {
                    {c.t(
                        "Rút yêu cầu nghĩa là yêu cầu dừng lại ngay và không được xét nữa; những người đại diện khác không cần trả lời nữa. Không thể hoàn tác: muốn đăng ký, bạn gửi một yêu cầu mới.",
                        "Withdrawing stops the request at once and it will not be considered; the other representatives need not answer any more. It cannot be undone: to register, you send a new request.",
                    )}
                }
                div { class: "actions two",
                    button { id: "withdraw-confirm", class: "button danger", r#type: "button",
                        onclick: move |_| c.go(Screen::Confirm(Box::new(Pending::WithdrawRegistration { id: id.clone(), name: name.clone() }))),
                        {c.t("Rút yêu cầu", "Withdraw")}
                    }
                    button { id: "withdraw-keep", class: "button secondary", r#type: "button",
                        onclick: move |_| asking.set(false),
                        {c.t("Giữ yêu cầu", "Keep it")}
                    }
                }
            }
        } else {
            button { id: "request-withdraw", class: "button danger", r#type: "button",
                onclick: move |_| asking.set(true),
                {c.t("Rút yêu cầu", "Withdraw the request")}
            }
        }
    }
}

/// What a withdrawn request means, said once on its page.
#[component]
pub fn WithdrawnNote(view: RegistrationView) -> Element {
    let c = ctx();
    let text = if withdrawn_by_refusal(&view) {
        c.t(
            "Yêu cầu đã được rút vì một người đại diện theo pháp luật từ chối. Yêu cầu không được xét nữa; có thể gửi yêu cầu mới khi các người đại diện thống nhất.",
            "The request was withdrawn because a legal representative refused. It will not be considered; a new request can be sent once the representatives agree.",
        )
    } else {
        c.t(
            "Yêu cầu đã được người nộp rút và không được xét nữa. Muốn đăng ký, hãy gửi yêu cầu mới.",
            "The requester withdrew the request; it will not be considered. To register, send a new request.",
        )
    };
    rsx! {
        p { id: "request-withdrawn", class: "warning", "{text}" }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> RegistrationView {
        serde_json::from_value(serde_json::json!({
            "id": "reg_0123456789abcdef",
            "org_type": "enterprise",
            "details": {
                "name_vi": "Công ty Cổ phần Thương mại Sông Hồng",
                "established_on": "2012-09-01",
                "head_office": {"address": "Số 5 đường Nguyễn Huệ, phường Sài Gòn", "province": "ho_chi_minh"},
                "enterprise_code": "0308680125",
                "representatives": [
                    {"full_name": "Nguyễn Văn An", "citizen_id": "001080012345"},
                    {"full_name": "Trần Thị Mai", "citizen_id": "074192034567"}
                ],
                "contact_phone": "0912345678"
            },
            "capacity": "legal_representative",
            "requester": {"account": "acc_an", "full_name": "Nguyễn Văn An", "citizen_id_masked": "001******345"},
            "status": "awaiting_consent",
            "submitted_at": "2026-12-02T07:00:00Z",
            "due_on": "2026-12-07",
            "overdue": false,
            "consents": [{"full_name": "Trần Thị Mai", "citizen_id_masked": "074******567", "you": true}],
            "history": []
        }))
        .unwrap()
    }

    #[test]
    fn the_request_as_filed_names_the_province_and_shows_no_full_number() {
        let rows = filed_rows(&view(), Lang::En);
        assert_eq!(rows[0], ("Organisation type".into(), "Enterprise".into()));
        assert!(rows.iter().any(|(_, v)| v == "0308680125"));
        assert!(
            rows.iter()
                .any(|(_, v)| v == NewProvince::parse("ho_chi_minh").unwrap().name_en())
        );
        let lines = representative_lines(&view());
        assert!(lines.iter().all(|l| !l.masked.contains("080012")));
        assert_eq!(lines[0].state, RepresentativeState::Requester);
        assert_eq!(lines[1].state, RepresentativeState::Waiting);
        assert!(lines[1].you && !lines[0].you);
    }

    #[test]
    fn a_co_representative_may_answer_only_while_the_request_waits_for_them() {
        let mut v = view();
        assert!(v.awaits_your_consent());
        v.consents[0].consented = Some(false);
        assert!(!v.awaits_your_consent());
        assert_eq!(
            representative_lines(&v)[1].state,
            RepresentativeState::Refused
        );
        let mut v = view();
        v.consents[0].you = false;
        assert!(!v.awaits_your_consent(), "the requester is not asked");
        let mut v = view();
        v.status = dinhdanh_core::api::RegistrationStatus::Withdrawn;
        assert!(!v.awaits_your_consent());
    }
}
