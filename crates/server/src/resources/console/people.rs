//! People of the officer's province (the one rule `officers::person_province`): looked up by
//! identification number, with the number masked until the officer reveals it on purpose,
//! and locked or unlocked with a reason — confirmed on the officer's phone like a decision.
//!
//! The number is sent in a `POST` form, never in an address (which browsers, proxies and logs
//! keep); a person with an account then has a page under their opaque account id. Every
//! look-up, page view and reveal is audited with the officer as actor and the keyed hash of
//! the person's number as subject — never the number itself. A person of another province, or
//! one the registry does not know, is the same "not found".

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use dinhdanh_core::account::AccountLevel;
use dinhdanh_core::api::{AccountView, ErrorCode, OfficerAccountChange};
use dinhdanh_core::ids::{AccountId, CitizenId};
use dinhdanh_core::signed_action::ActionKind;

use super::pages::{self, Failure, Header, LINKS, Links, Section};
use super::queue::officer_or_page;
use super::session::{self, Officer};
use super::sign_in::see_other;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::resources::accounts;
use crate::resources::officers::{MAX_REASON_CHARS, person_province};
use crate::store::audit::{self, AuditRecord};

/// The look-up page: the form, and what a look-up found when it found no account.
#[derive(Template)]
#[template(path = "console/people.html")]
pub(super) struct PeoplePage<'a> {
    pub links: Links,
    pub header: Header<'a>,
    pub action: &'static str,
    pub entered: String,
    pub error: Option<(String, String)>,
    /// A person found without an account: their name and masked number.
    pub without_account: Option<(String, String)>,
    /// Looked up, and not of this province or not known.
    pub not_found: bool,
}

/// A person with an account, as the officer's page shows them.
#[derive(Template)]
#[template(path = "console/person.html")]
pub(super) struct PersonPage<'a> {
    pub links: Links,
    pub header: Header<'a>,
    pub account: AccountView,
    pub level_vi: &'static str,
    pub level_en: &'static str,
    /// The full number, when the officer asked to see it.
    pub revealed: Option<String>,
    pub reveal_action: String,
    pub lock_action: String,
    pub reason: String,
    pub reason_max: usize,
    pub reason_error: Option<(String, String)>,
    pub form_error: Option<(&'static str, &'static str)>,
}

async fn audit_person(
    state: &AppState,
    officer: &Officer,
    action: &str,
    object: Option<&str>,
    subject_key: &[u8],
    denied: bool,
) -> ServerResult<()> {
    audit::append(
        state,
        AuditRecord {
            actor: Some(officer.account.as_str()),
            action,
            object,
            subject_key: Some(subject_key),
            denied,
            ..AuditRecord::default()
        },
    )
    .await
}

fn people_page<'a>(officer: &'a Officer) -> PeoplePage<'a> {
    PeoplePage {
        links: LINKS,
        header: Header::of(officer, Section::People),
        action: super::PEOPLE,
        entered: String::new(),
        error: None,
        without_account: None,
        not_found: false,
    }
}

/// `GET /console/people`: the look-up form.
pub(super) async fn people(State(state): State<AppState>, parts: Parts) -> Response {
    match officer_or_page(&state, &parts.headers).await {
        Ok(officer) => pages::html(StatusCode::OK, &people_page(&officer)),
        Err(page) => page,
    }
}

/// `POST /console/people` (fields `csrf`, `citizen_id`): looks a person up.
pub(super) async fn look_up(State(state): State<AppState>, parts: Parts, body: Bytes) -> Response {
    let officer = match officer_or_page(&state, &parts.headers).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    if !session::form_from_console(&state, &parts.headers, &officer, &body) {
        return pages::failure(&state, Failure::NotFromConsole);
    }
    let entered = session::form_field(&body, "citizen_id").unwrap_or_default();
    let mut page = people_page(&officer);
    page.entered = entered.clone();
    let citizen = match CitizenId::parse(entered.trim()) {
        Ok(c) => c,
        Err(e) => {
            page.error = Some((e.message_vi(), e.message_en()));
            return pages::html(StatusCode::BAD_REQUEST, &page);
        }
    };
    match found(&state, &officer, &citizen).await {
        Ok(Found::Account(id)) => see_other(&super::PERSON.replace("{id}", id.as_str())),
        Ok(Found::WithoutAccount { name, masked }) => {
            page.without_account = Some((name, masked));
            pages::html(StatusCode::OK, &page)
        }
        Ok(Found::Nobody) => {
            page.not_found = true;
            pages::html(StatusCode::NOT_FOUND, &page)
        }
        Err(e) => pages::server_error(&state, e),
    }
}

enum Found {
    Account(AccountId),
    WithoutAccount { name: String, masked: String },
    Nobody,
}

/// Who the number names, for this officer: only a person of their province; audited either
/// way (`console.person.lookup`, or `.refused` for another province's person).
async fn found(state: &AppState, officer: &Officer, citizen: &CitizenId) -> ServerResult<Found> {
    let key = state.keys.citizen_key(citizen);
    if person_province(citizen) != officer.province {
        audit_person(
            state,
            officer,
            "console.person.lookup.refused",
            None,
            &key,
            true,
        )
        .await?;
        return Ok(Found::Nobody);
    }
    let Some(record) = accounts::find_citizen(state, citizen).await? else {
        audit_person(state, officer, "console.person.lookup", None, &key, false).await?;
        return Ok(Found::Nobody);
    };
    let account = accounts::find_account_by_citizen(state, citizen).await?;
    let object = account.as_ref().map(|a| format!("account:{}", a.id));
    audit_person(
        state,
        officer,
        "console.person.lookup",
        object.as_deref(),
        &key,
        false,
    )
    .await?;
    Ok(match account {
        Some(a) => Found::Account(a.id),
        None => Found::WithoutAccount {
            name: record.full_name,
            masked: citizen.masked(),
        },
    })
}

/// The account `id` if its person is of this officer's province: the view, the full number
/// and the keyed hash of it (for the audit trail).
async fn person_of_province(
    state: &AppState,
    officer: &Officer,
    id: &str,
) -> ServerResult<Option<(AccountView, CitizenId, Vec<u8>)>> {
    let Ok(id) = AccountId::parse(id) else {
        return Ok(None);
    };
    let Some(row) = accounts::find_account(state, &id).await? else {
        return Ok(None);
    };
    let Some(person) = accounts::citizen_by_key(state, &row.citizen_key).await? else {
        return Ok(None);
    };
    if person_province(&person.citizen_id) != officer.province {
        let object = format!("account:{id}");
        audit_person(
            state,
            officer,
            "console.person.read.refused",
            Some(&object),
            &row.citizen_key,
            true,
        )
        .await?;
        return Ok(None);
    }
    let view = accounts::account_view(state, &id).await?;
    Ok(Some((view, person.citizen_id, row.citizen_key)))
}

fn person_page<'a>(officer: &'a Officer, account: AccountView) -> PersonPage<'a> {
    let (level_vi, level_en) = match account.level {
        AccountLevel::Level1 => ("Mức 1", "Level 1"),
        AccountLevel::Level2 => ("Mức 2", "Level 2"),
    };
    PersonPage {
        links: LINKS,
        header: Header::of(officer, Section::People),
        reveal_action: super::PERSON_REVEAL.replace("{id}", account.id.as_str()),
        lock_action: format!(
            "{}#lock",
            super::PERSON_LOCK.replace("{id}", account.id.as_str())
        ),
        account,
        level_vi,
        level_en,
        revealed: None,
        reason: String::new(),
        reason_max: MAX_REASON_CHARS,
        reason_error: None,
        form_error: None,
    }
}

/// `GET /console/people/{id}`: a person of the officer's province with an account (audited
/// `console.person.read`).
pub(super) async fn person(
    State(state): State<AppState>,
    Path(id): Path<String>,
    parts: Parts,
) -> Response {
    let officer = match officer_or_page(&state, &parts.headers).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    show_person(&state, &officer, &id, false).await
}

/// `POST /console/people/{id}/reveal` (field `csrf`): the same page with the full number,
/// audited `console.person.reveal`.
pub(super) async fn reveal(
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
    show_person(&state, &officer, &id, true).await
}

/// The page of the account `id` of this officer's province, with the full number when
/// `reveal`; audited `console.person.read` or `console.person.reveal`.
async fn show_person(state: &AppState, officer: &Officer, id: &str, reveal: bool) -> Response {
    let (view, citizen, key) = match person_of_province(state, officer, id).await {
        Ok(Some(p)) => p,
        Ok(None) => return pages::failure(state, Failure::PersonNotFound),
        Err(e) => return pages::server_error(state, e),
    };
    let object = format!("account:{}", view.id);
    let action = if reveal {
        "console.person.reveal"
    } else {
        "console.person.read"
    };
    if let Err(e) = audit_person(state, officer, action, Some(&object), &key, false).await {
        return pages::server_error(state, e);
    }
    let mut page = person_page(officer, view);
    page.revealed = reveal.then(|| citizen.as_str().to_owned());
    pages::html(StatusCode::OK, &page)
}

/// `POST /console/people/{id}/lock` (fields `csrf`, `lock` = `1` | `0`, `reason`): asks the
/// officer's phone to confirm locking or unlocking; the browser goes to the action's page. A
/// missing or refused reason, the officer's own account, or an account already so gets the
/// page again with a sentence, the reason kept.
pub(super) async fn lock(
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
    let (view, _, _) = match person_of_province(&state, &officer, &id).await {
        Ok(Some(p)) => p,
        Ok(None) => return pages::failure(&state, Failure::PersonNotFound),
        Err(e) => return pages::server_error(&state, e),
    };
    let lock = session::form_field(&body, "lock").as_deref() == Some("1");
    let reason = session::form_field(&body, "reason").unwrap_or_default();
    let mut page = person_page(&officer, view.clone());
    page.reason = reason.clone();
    if let Err(problem) = dinhdanh_core::text::message(&reason, MAX_REASON_CHARS) {
        page.reason_error = Some((
            format!("Lý do {}.", problem.message_vi()),
            format!("The reason {}.", problem.message_en()),
        ));
        return pages::html(StatusCode::BAD_REQUEST, &page);
    }
    if lock == view.locked {
        page.form_error = Some(if lock {
            (
                "Tài khoản này đã bị khóa.",
                "This account is already locked.",
            )
        } else {
            (
                "Tài khoản này không bị khóa.",
                "This account is not locked.",
            )
        });
        return pages::html(StatusCode::BAD_REQUEST, &page);
    }
    let change = OfficerAccountChange {
        account: view.id.clone(),
        lock,
        reason,
    };
    let asked =
        super::action::ask_phone(&state, &officer, ActionKind::ChangeAccountLock, &change).await;
    match asked {
        Ok(action) => see_other(&super::ACTION.replace("{id}", &action)),
        Err(ServerError::Api(e)) => {
            page.form_error = Some(if e.code == ErrorCode::Forbidden.as_str() {
                (
                    "Bạn không thể khóa hoặc mở khóa tài khoản của chính mình.",
                    "You may not lock or unlock your own account.",
                )
            } else {
                super::action::not_asked(&e.code)
            });
            pages::html(StatusCode::BAD_REQUEST, &page)
        }
        Err(e) => pages::server_error(&state, e),
    }
}
