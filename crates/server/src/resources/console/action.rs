//! The page of a decision waiting for the officer's phone: what the phone shows, until when it
//! waits, how to confirm it there, and a way to withdraw it; then what happened. The page's
//! script (`assets/wait.js`, the only script of the console) asks [`state`] every two seconds
//! and reloads the page when the action has an outcome; without script, the page has a
//! "check again" link.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dinhdanh_core::api::{
    AccountView, DesktopActionEvent, ErrorCode, HolidayTableChange, OfficerAccountChange,
    OfficerDecision, OfficerOrganisationLock, OrganisationRecord, OrganisationStatus,
    RegistrationView,
};
use dinhdanh_core::ids::AccountId;
use dinhdanh_core::signed_action::ActionKind;

use super::pages::{self, Failure, Header, LINKS, Links, Section};
use super::queue::officer_or_page;
use super::session::{self, Officer, Visitor};
use super::sign_in::see_other;
use crate::infra::error::ServerError;
use crate::infra::state::AppState;
use crate::resources::desktop_actions::{self, ConsoleAction, ConsoleOutcome};
use crate::resources::holidays::ConsoleChangeDone;

/// The waiting page, or the outcome.
#[derive(Template)]
#[template(path = "console/action.html")]
pub(super) struct ActionPage<'a> {
    pub links: Links,
    pub header: Header<'a>,
    /// Still waiting for the phone.
    pub waiting: bool,
    /// The outcome was a success.
    pub done: bool,
    pub title_vi: &'static str,
    pub title_en: &'static str,
    pub summary_vi: String,
    pub summary_en: String,
    pub text_vi: String,
    pub text_en: String,
    /// When the phone stops accepting it (Vietnam's time, HH:MM).
    pub expires: String,
    pub state_href: String,
    pub self_href: String,
    pub cancel_action: String,
    /// Back to what it is about.
    pub back: Option<Back>,
    pub wait_js: &'static str,
}

/// A link back to what an action is about: its address and its name (Vietnamese, English).
pub(super) struct Back {
    pub href: String,
    pub vi: &'static str,
    pub en: &'static str,
}

/// The action `id` of this console session, or the page to show instead.
async fn load(state: &AppState, officer: &Officer, id: &str) -> Result<ConsoleAction, Response> {
    match desktop_actions::console_outcome(state, &officer.account, officer.token_hash(), id).await
    {
        Ok(Some(action)) => Ok(action),
        Ok(None) => Err(pages::failure(state, Failure::NotFound)),
        Err(e) => Err(pages::server_error(state, e)),
    }
}

/// What a form says when its action could not be sent to the phone for a reason that is not
/// the form's own: five already waiting (the per-session limit), or anything else.
pub(super) fn not_asked(code: &str) -> (&'static str, &'static str) {
    if code == ErrorCode::RateLimited.as_str() {
        (
            "Đã có 5 yêu cầu đang chờ điện thoại xác nhận. Hãy xác nhận hoặc hủy chúng trước.",
            "Five requests are already waiting for your phone. Confirm or cancel them first.",
        )
    } else {
        (
            "Không gửi được yêu cầu tới điện thoại. Không có gì thay đổi; hãy thử lại.",
            "The request could not be sent to your phone. Nothing changed; try again.",
        )
    }
}

/// The organisation lock or unlock `action` asks for, if it is one.
fn organisation_lock(action: &ConsoleAction) -> Option<OfficerOrganisationLock> {
    (action.kind == ActionKind::ChangeAccountLock)
        .then(|| serde_json::from_value(action.body.clone()).ok())
        .flatten()
}

/// The part of the console an action of `kind` is asked from.
fn section_of(kind: ActionKind) -> Section {
    match kind {
        ActionKind::ReviewRegistration => Section::Queue,
        ActionKind::ChangeAccountLock => Section::People,
        ActionKind::RegisterInPerson => Section::Intake,
        ActionKind::ChangeHolidayTable => Section::Holidays,
        _ => Section::None,
    }
}

/// `GET /console/actions/{id}`.
pub(super) async fn action_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    parts: Parts,
) -> Response {
    let officer = match officer_or_page(&state, &parts.headers).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let action = match load(&state, &officer, &id).await {
        Ok(a) => a,
        Err(page) => return page,
    };
    // Back to what it is about: the request decided, the person locked or unlocked, or the
    // calendar's year.
    let back = match action.kind {
        ActionKind::ReviewRegistration => {
            serde_json::from_value::<OfficerDecision>(action.body.clone())
                .ok()
                .map(|d| Back {
                    href: super::REQUEST.replace("{id}", d.registration.as_str()),
                    vi: "hồ sơ",
                    en: "the request",
                })
        }
        ActionKind::ChangeAccountLock => {
            match serde_json::from_value::<OfficerAccountChange>(action.body.clone()) {
                Ok(c) => Some(Back {
                    href: super::PERSON.replace("{id}", c.account.as_str()),
                    vi: "trang của người này",
                    en: "the person's page",
                }),
                Err(_) => organisation_lock(&action).map(|c| Back {
                    href: super::ORGANISATION.replace("{eid}", c.organisation.as_str()),
                    vi: "trang của tổ chức",
                    en: "the organisation's page",
                }),
            }
        }
        ActionKind::ChangeHolidayTable => {
            serde_json::from_value::<HolidayTableChange>(action.body.clone())
                .ok()
                .map(|c| Back {
                    href: format!(
                        "{}?year={}",
                        super::HOLIDAYS,
                        c.day().get(..4).unwrap_or("")
                    ),
                    vi: "bảng ngày nghỉ",
                    en: "the days off",
                })
        }
        // The request exists once the phone confirmed: its id is in the outcome.
        ActionKind::RegisterInPerson => match &action.outcome {
            ConsoleOutcome::Finished(DesktopActionEvent::Done { result }) => {
                serde_json::from_value::<RegistrationView>(result.clone())
                    .ok()
                    .map(|v| Back {
                        href: super::REQUEST.replace("{id}", v.id.as_str()),
                        vi: "hồ sơ",
                        en: "the request",
                    })
            }
            _ => None,
        },
        _ => None,
    };
    let (waiting, done, title_vi, title_en, text_vi, text_en) =
        describe(action.kind, &action.outcome);
    pages::html(
        StatusCode::OK,
        &ActionPage {
            links: LINKS,
            header: Header::of(
                &officer,
                if organisation_lock(&action).is_some() {
                    Section::Organisations
                } else {
                    section_of(action.kind)
                },
            ),
            waiting,
            done,
            title_vi,
            title_en,
            summary_vi: action.summary_vi,
            summary_en: action.summary_en,
            text_vi,
            text_en,
            expires: clock(action.expires_at),
            state_href: super::ACTION_STATE.replace("{id}", &id),
            self_href: super::ACTION.replace("{id}", &id),
            cancel_action: super::ACTION_CANCEL.replace("{id}", &id),
            back,
            wait_js: super::WAIT_JS,
        },
    )
}

/// Vietnam's time of day (UTC+7) of a Unix time, `HH:MM`.
fn clock(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix + 7 * 3600, 0)
        .map(|t| t.format("%H:%M").to_string())
        .unwrap_or_default()
}

type Described = (bool, bool, &'static str, &'static str, String, String);

/// What the page says of an outcome.
fn describe(kind: ActionKind, outcome: &ConsoleOutcome) -> Described {
    let event = match outcome {
        ConsoleOutcome::Waiting => {
            return (
                true,
                false,
                "Đang chờ xác nhận trên điện thoại",
                "Waiting for your phone",
                "Mở ứng dụng Định Danh trên điện thoại của bạn: yêu cầu này có trong Hộp thư. \
                 Kiểm tra nội dung rồi xác nhận bằng mã xác nhận hoặc sinh trắc học."
                    .into(),
                "Open the Định Danh app on your phone: this request is in its inbox. Check what \
                 it says, then confirm it with your passcode or biometrics."
                    .into(),
            );
        }
        ConsoleOutcome::Finished(event) => event,
    };
    match event {
        DesktopActionEvent::Done { result } if kind == ActionKind::ChangeAccountLock => {
            if let Ok(org) = serde_json::from_value::<OrganisationRecord>(result.clone()) {
                let (vi, en) = if org.status == OrganisationStatus::Locked {
                    (
                        "Đã xác nhận trên điện thoại. Tài khoản của tổ chức đã bị khóa; không ai hành động thay tổ chức được cho tới khi mở khóa.",
                        "Confirmed on your phone. The organisation's account is locked; nobody can act for it until it is unlocked.",
                    )
                } else {
                    (
                        "Đã xác nhận trên điện thoại. Tài khoản của tổ chức đã được mở khóa.",
                        "Confirmed on your phone. The organisation's account is unlocked.",
                    )
                };
                return (false, true, "Đã thực hiện", "Done", vi.into(), en.into());
            }
            let locked = serde_json::from_value::<AccountView>(result.clone())
                .map(|v| v.locked)
                .unwrap_or_default();
            let (vi, en) = if locked {
                (
                    "Đã xác nhận trên điện thoại. Tài khoản đã bị khóa; mọi phiên của người này đã kết thúc và họ đã được thông báo.",
                    "Confirmed on your phone. The account is locked; every session of this person has ended and they have been told.",
                )
            } else {
                (
                    "Đã xác nhận trên điện thoại. Tài khoản đã được mở khóa và người này đã được thông báo.",
                    "Confirmed on your phone. The account is unlocked and the person has been told.",
                )
            };
            (false, true, "Đã thực hiện", "Done", vi.into(), en.into())
        }
        DesktopActionEvent::Done { result } if kind == ActionKind::ChangeHolidayTable => {
            let done = serde_json::from_value::<ConsoleChangeDone>(result.clone()).ok();
            let moved = done.as_ref().map(|d| d.moved).unwrap_or_default();
            let (vi, en) = match done {
                Some(d) if d.added => (
                    format!(
                        "Đã xác nhận trên điện thoại. Ngày {} đã được thêm vào bảng. Số hồ sơ đang mở có hạn xử lý thay đổi: {moved}.",
                        d.day
                    ),
                    format!(
                        "Confirmed on your phone. {} is now in the table. Open requests whose due date moved: {moved}.",
                        d.day
                    ),
                ),
                Some(d) => (
                    format!(
                        "Đã xác nhận trên điện thoại. Ngày {} đã được xóa khỏi bảng. Số hồ sơ đang mở có hạn xử lý thay đổi: {moved}.",
                        d.day
                    ),
                    format!(
                        "Confirmed on your phone. {} is no longer in the table. Open requests whose due date moved: {moved}.",
                        d.day
                    ),
                ),
                None => (
                    "Đã xác nhận trên điện thoại.".into(),
                    "Confirmed on your phone.".into(),
                ),
            };
            (false, true, "Đã thực hiện", "Done", vi, en)
        }
        DesktopActionEvent::Done { result } => {
            let view = serde_json::from_value::<RegistrationView>(result.clone()).ok();
            let (status_vi, status_en) = view
                .as_ref()
                .map(|v| (v.status.label_vi(), v.status.label_en()))
                .unwrap_or(("", ""));
            let eid = view
                .as_ref()
                .and_then(|v| v.org_eid.as_ref())
                .map(|e| e.to_string());
            let (mut vi, mut en) = if kind == ActionKind::RegisterInPerson {
                (
                    format!(
                        "Đã xác nhận trên điện thoại. Hồ sơ đã được tạo; trạng thái: {status_vi}."
                    ),
                    format!(
                        "Confirmed on your phone. The request is filed; it is now: {status_en}."
                    ),
                )
            } else {
                (
                    format!("Đã xác nhận trên điện thoại. Trạng thái hồ sơ: {status_vi}."),
                    format!("Confirmed on your phone. The request is now: {status_en}."),
                )
            };
            if let Some(eid) = eid {
                vi.push_str(&format!(" Số định danh của tổ chức: {eid}."));
                en.push_str(&format!(" The organisation's e-ID number: {eid}."));
            }
            (false, true, "Đã thực hiện", "Done", vi, en)
        }
        DesktopActionEvent::Refused { error } => (
            false,
            false,
            "Không thực hiện được",
            "Not done",
            format!("{} Không có gì thay đổi.", error.message_vi),
            format!("{} Nothing changed.", error.message_en),
        ),
        DesktopActionEvent::Declined => (
            false,
            false,
            "Đã từ chối trên điện thoại",
            "Declined on your phone",
            "Không có gì thay đổi.".into(),
            "Nothing changed.".into(),
        ),
        DesktopActionEvent::Cancelled => (
            false,
            false,
            "Đã hủy",
            "Cancelled",
            "Yêu cầu xác nhận đã được hủy. Không có gì thay đổi.".into(),
            "The request to your phone was withdrawn. Nothing changed.".into(),
        ),
        DesktopActionEvent::Expired => (
            false,
            false,
            "Đã hết thời gian chờ",
            "Timed out",
            "Điện thoại không xác nhận kịp. Không có gì thay đổi; hãy quyết định lại.".into(),
            "The phone did not confirm in time. Nothing changed; decide again.".into(),
        ),
    }
}

/// `GET /console/actions/{id}/state`: `waiting` or `finished`, as plain text, for the waiting
/// page's script. Without a live officer session: `403`, and the script stops asking.
pub(super) async fn state(
    State(state): State<AppState>,
    Path(id): Path<String>,
    parts: Parts,
) -> Response {
    let officer = match session::visitor(&state, &parts.headers).await {
        Ok(Visitor::Officer(o)) => o,
        Ok(_) => return StatusCode::FORBIDDEN.into_response(),
        Err(e) => return pages::server_error(&state, e),
    };
    let word = match load(&state, &officer, &id).await {
        Ok(ConsoleAction {
            outcome: ConsoleOutcome::Waiting,
            ..
        }) => "waiting",
        Ok(_) => "finished",
        Err(_) => return StatusCode::NOT_FOUND.into_response(),
    };
    let mut response = word.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// `POST /console/actions/{id}/cancel` (form field `csrf`): withdraws the action from the
/// phone; back to its page, which says what happened (cancelled, or the phone's answer if it
/// came first).
pub(super) async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    parts: Parts,
    body: Bytes,
) -> Response {
    let officer = match officer_or_page(&state, &parts.headers).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    if !session::form_from_console(&state, &parts.headers, &officer, &body) {
        return pages::failure(&state, Failure::NotFromConsole);
    }
    match cancel_for(&state, &officer.account, officer.token_hash(), &id).await {
        Ok(()) => see_other(&super::ACTION.replace("{id}", &id)),
        Err(page) => page,
    }
}

async fn cancel_for(
    state: &AppState,
    account: &AccountId,
    token_hash: &[u8],
    id: &str,
) -> Result<(), Response> {
    match desktop_actions::cancel_from_console(state, account, token_hash, id).await {
        Ok(()) => Ok(()),
        Err(ServerError::Api(e)) if e.code == ErrorCode::NotFound.as_str() => {
            Err(pages::failure(state, Failure::NotFound))
        }
        // Answered, expired or cancelled already: the page says which.
        Err(ServerError::Api(_)) => Ok(()),
        Err(e) => Err(pages::server_error(state, e)),
    }
}

/// Asks `officer`'s phone to confirm `kind` with `body` for this console session; the id of
/// the action the browser then waits on.
pub(super) async fn ask_phone<T: serde::Serialize>(
    state: &AppState,
    officer: &Officer,
    kind: ActionKind,
    body: &T,
) -> crate::infra::error::ServerResult<String> {
    let json = serde_json::to_value(body)
        .map_err(|e| ServerError::Internal(format!("the body of a console action: {e}")))?;
    desktop_actions::ask_from_console(state, &officer.account, officer.token_hash(), kind, &json)
        .await
}
