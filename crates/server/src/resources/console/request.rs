//! A request of the officer's province, and the officer's decision on it: approve, reject
//! with a reason, or ask for information. The console holds no confirmation key, so a
//! decision is not taken here: it becomes an action waiting for the officer's own phone
//! (`resources::desktop_actions::ask_from_console`), which shows it and confirms it with
//! passcode or biometrics; the browser goes on to the action's waiting page (`action`).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use dinhdanh_core::api::{
    Decision, ErrorCode, MediaType, OfficerDecision, QueueItem, RegistrationView,
    console_may_request,
};
use dinhdanh_core::ids::RegistrationId;
use dinhdanh_core::signed_action::ActionKind;

use super::details::Details;
use super::pages::{self, Failure, Header, LINKS, Links, Section};
use super::queue::{QUEUE_STATUSES, Row, countdown_calendar, officer_or_page, row};
use super::session::{self, Officer};
use super::sign_in::see_other;
use crate::authz;
use crate::infra::error::ServerError;
use crate::infra::state::AppState;
use crate::resources::registrations::{self, MAX_TEXT_CHARS, vietnam_date};

/// One of the decision form's choices.
pub(super) struct DecisionChoice {
    pub value: &'static str,
    pub label_vi: &'static str,
    pub label_en: &'static str,
    pub checked: bool,
}

/// The decision form as the page shows it: what the officer chose and wrote (kept on an
/// error), and the sentences under its fields.
pub(super) struct DecisionForm {
    pub action: String,
    pub csrf: String,
    pub choices: Vec<DecisionChoice>,
    pub text: String,
    pub max_chars: usize,
    pub choice_error: Option<(&'static str, &'static str)>,
    pub text_error: Option<(String, String)>,
    pub form_error: Option<(&'static str, &'static str)>,
}

/// What the form sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Choice {
    Approve,
    Reject,
    Ask,
}

impl Choice {
    const ALL: [(Choice, &'static str, &'static str, &'static str); 3] = [
        (Choice::Approve, "approve", "Phê duyệt", "Approve"),
        (Choice::Reject, "reject", "Từ chối", "Reject"),
        (
            Choice::Ask,
            "ask",
            "Yêu cầu bổ sung thông tin",
            "Ask for more information",
        ),
    ];

    fn parse(value: &str) -> Option<Choice> {
        Choice::ALL
            .iter()
            .find(|(_, v, _, _)| *v == value)
            .map(|(c, ..)| *c)
    }
}

impl DecisionForm {
    fn new(officer: &Officer, id: &RegistrationId) -> DecisionForm {
        DecisionForm {
            // The fragment brings the page back to the form when it comes back with an error.
            action: format!("{}#decision", super::DECISION.replace("{id}", id.as_str())),
            csrf: officer.csrf.clone(),
            choices: choices(None),
            text: String::new(),
            max_chars: MAX_TEXT_CHARS,
            choice_error: None,
            text_error: None,
            form_error: None,
        }
    }
}

fn choices(chosen: Option<Choice>) -> Vec<DecisionChoice> {
    Choice::ALL
        .iter()
        .map(|(c, value, label_vi, label_en)| DecisionChoice {
            value,
            label_vi,
            label_en,
            checked: chosen == Some(*c),
        })
        .collect()
}

/// The request page.
#[derive(Template)]
#[template(path = "console/request.html")]
pub(super) struct RequestPage<'a> {
    pub links: Links,
    pub header: Header<'a>,
    pub row: Row,
    pub id: String,
    pub province_vi: &'static str,
    /// What the request holds beyond the queue's row.
    pub details: Details,
    /// The decision form, while the request waits for an officer.
    pub decision: Option<DecisionForm>,
    /// The script drawing PDF pages, when pdf.js is installed and there is a PDF.
    pub pdf_script: Option<&'static str>,
}

/// The request `id` if this officer may read it (their province); `None` for any other, which
/// the console shows as "not found", the same page as one that does not exist.
async fn readable(
    state: &AppState,
    officer: &Officer,
    id: &str,
) -> Result<Option<QueueItem>, Response> {
    let Ok(id) = RegistrationId::parse(id) else {
        return Ok(None);
    };
    let item = registrations::queue_entry(state, &id)
        .await
        .map_err(|e| pages::server_error(state, e))?;
    Ok(item.filter(|i| authz::console_may_read(&officer.province, &i.province)))
}

/// The page of `item`, with `form` (or an empty one while the request waits for an officer).
async fn page(
    state: &AppState,
    officer: &Officer,
    item: &QueueItem,
    status: StatusCode,
    form: Option<DecisionForm>,
) -> Response {
    let today = vietnam_date(state.now());
    let calendar = match countdown_calendar(state, today, [item.due_on]).await {
        Ok(c) => c,
        Err(e) => return pages::server_error(state, e),
    };
    let view = match officers_view(state, officer, item).await {
        Ok(Some(v)) => v,
        Ok(None) => return pages::failure(state, Failure::NotFound),
        Err(e) => return pages::server_error(state, e),
    };
    let decision = QUEUE_STATUSES
        .contains(&item.status)
        .then(|| form.unwrap_or_else(|| DecisionForm::new(officer, &item.id)));
    pages::html(
        status,
        &RequestPage {
            links: LINKS,
            header: Header::of(officer, Section::Queue),
            id: item.id.to_string(),
            province_vi: item.province.name_vi(),
            row: row(item, &calendar, today),
            pdf_script: (super::pdf_viewer::enabled(state)
                && view
                    .attachments
                    .iter()
                    .any(|a| a.media_type == MediaType::Pdf))
            .then_some(super::pdf_viewer::PDF_PAGES_JS),
            details: Details::of(&view, super::ATTACHMENT),
            decision,
        },
    )
}

/// The request as its officer sees it (consents with who has an account, the history).
async fn officers_view(
    state: &AppState,
    officer: &Officer,
    item: &QueueItem,
) -> crate::infra::error::ServerResult<Option<RegistrationView>> {
    let Some(reg) = registrations::load(state, &item.id).await? else {
        return Ok(None);
    };
    registrations::view(state, &reg, &officer.account)
        .await
        .map(Some)
}

/// `GET /console/requests/{id}`: one request of the officer's province.
pub(super) async fn request_page(
    State(state): State<AppState>,
    parts: Parts,
    Path(id): Path<String>,
) -> Response {
    let officer = match officer_or_page(&state, &parts.headers).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    match readable(&state, &officer, &id).await {
        Ok(Some(item)) => page(&state, &officer, &item, StatusCode::OK, None).await,
        Ok(None) => pages::failure(&state, Failure::NotFound),
        Err(page) => page,
    }
}

/// `POST /console/requests/{id}/decision` (form fields `csrf`, `decision` = `approve` |
/// `reject` | `ask`, `text`): checks the decision as the direct route would and asks the
/// officer's phone to confirm it; the browser goes to the action's waiting page. A choice
/// missing, a reason or question missing or refused by the text policy, a request no longer
/// waiting, or one of the officer's own gets the page again with a sentence where it belongs,
/// and what was typed kept; nothing is asked of the phone.
pub(super) async fn decide(
    State(state): State<AppState>,
    Path(id): Path<String>,
    parts: Parts,
    body: Bytes,
) -> Response {
    let officer = match officer_or_page(&state, &parts.headers).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let field = |name: &str| session::form_field(&body, name);
    if !session::form_from_console(&state, &parts.headers, &officer, &body) {
        return pages::failure(&state, Failure::NotFromConsole);
    }
    let item = match readable(&state, &officer, &id).await {
        Ok(Some(item)) => item,
        Ok(None) => return pages::failure(&state, Failure::NotFound),
        Err(page) => return page,
    };
    let chosen = field("decision").as_deref().and_then(Choice::parse);
    let text = field("text").unwrap_or_default();
    let mut form = DecisionForm::new(&officer, &item.id);
    form.choices = choices(chosen);
    form.text = text.clone();
    let decision = match chosen {
        None => {
            form.choice_error = Some(("Hãy chọn một quyết định.", "Choose a decision."));
            None
        }
        Some(Choice::Approve) => Some(Decision::Approve),
        Some(choice) => match dinhdanh_core::text::message(&text, MAX_TEXT_CHARS) {
            Ok(text) => Some(match choice {
                Choice::Reject => Decision::Reject { reason: text },
                _ => Decision::RequestInformation { question: text },
            }),
            Err(problem) => {
                let (label_vi, label_en) = match choice {
                    Choice::Reject => ("Lý do từ chối", "The reason"),
                    _ => ("Nội dung cần bổ sung", "The question"),
                };
                form.text_error = Some((
                    format!("{label_vi} {}.", problem.message_vi()),
                    format!("{label_en} {}.", problem.message_en()),
                ));
                None
            }
        },
    };
    let Some(decision) = decision else {
        return page(&state, &officer, &item, StatusCode::BAD_REQUEST, Some(form)).await;
    };
    let body = OfficerDecision {
        registration: item.id.clone(),
        decision,
    };
    debug_assert!(console_may_request(ActionKind::ReviewRegistration));
    let asked =
        super::action::ask_phone(&state, &officer, ActionKind::ReviewRegistration, &body).await;
    match asked {
        Ok(action) => see_other(&super::ACTION.replace("{id}", &action)),
        Err(ServerError::Api(e)) => {
            let code = e.code.as_str();
            if code == ErrorCode::NotFound.as_str() {
                return pages::failure(&state, Failure::NotFound);
            }
            form.form_error = Some(refusal_sentence(code));
            page(&state, &officer, &item, StatusCode::BAD_REQUEST, Some(form)).await
        }
        Err(e) => pages::server_error(&state, e),
    }
}

/// Why the server would not take a decision that passed the form's own checks.
fn refusal_sentence(code: &str) -> (&'static str, &'static str) {
    match code {
        c if c == ErrorCode::InvalidState.as_str() => (
            "Hồ sơ không còn ở trạng thái cho phép quyết định này (có thể vừa được quyết định). Hãy tải lại trang.",
            "The request is no longer in a state this decision applies to (it may just have been decided). Reload the page.",
        ),
        c if c == ErrorCode::Forbidden.as_str() => (
            "Bạn không được quyết định hồ sơ của chính mình hoặc của tổ chức mà bạn là người đại diện; một cán bộ khác sẽ xử lý.",
            "You may not decide your own request or one of an organisation you represent; another officer will.",
        ),
        c if c == ErrorCode::RateLimited.as_str() => (
            "Đã có 5 quyết định đang chờ điện thoại xác nhận. Hãy xác nhận hoặc hủy chúng trước.",
            "Five decisions are already waiting for your phone. Confirm or cancel them first.",
        ),
        c if c == ErrorCode::ValidationFailed.as_str() => (
            "Nội dung quyết định không hợp lệ. Hãy kiểm tra lại lý do hoặc câu hỏi.",
            "The decision is not valid. Check the reason or question.",
        ),
        _ => (
            "Không gửi được quyết định tới điện thoại. Không có gì thay đổi; hãy thử lại.",
            "The decision could not be sent to your phone. Nothing changed; try again.",
        ),
    }
}
