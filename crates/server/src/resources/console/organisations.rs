//! Organisations of the officer's province: a list, newest first, searched by e-ID number, by
//! code (tax, enterprise, cooperative, agency — public numbers, so the search is a `GET`) or
//! by a part of the name; and one organisation's page — its e-ID number, type, status, the
//! legal representatives (numbers masked), its lifecycle history, and who may act for it.
//!
//! The record and the delegations come from the API's own functions
//! (`organisations::read_organisation`, `delegations::list_delegations`), whose rules let an
//! officer of the organisation's province read them; anyone else gets "not found".

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use dinhdanh_core::account::OrgRole;
use dinhdanh_core::api::{
    DelegationView, ErrorCode, OfficerOrganisationLock, OrganisationChange, OrganisationRecord,
    OrganisationStatus,
};
use dinhdanh_core::ids::OrgEid;
use dinhdanh_core::org_type::OrgType;
use dinhdanh_core::signed_action::ActionKind;
use dinhdanh_core::text::shown;

use super::pages::{self, Failure, Header, LINKS, Links, Section};
use super::queue::officer_or_page;
use super::session::{self, Officer};
use super::sign_in::see_other;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::resources::delegations::list_delegations;
use crate::resources::officers::MAX_REASON_CHARS;
use crate::resources::organisations::read_organisation;
use crate::store::audit::Actor;
use crate::store::organisations as store;
use crate::store::values::from_word;

/// Organisations on one page of the list.
const PAGE_SIZE: i64 = 50;
/// The longest search accepted, in characters.
const MAX_QUERY_CHARS: usize = 100;

/// A row of the list.
pub(super) struct ListRow {
    pub href: String,
    pub eid: String,
    pub name: String,
    pub type_vi: &'static str,
    pub type_en: &'static str,
    pub status_vi: &'static str,
    pub status_en: &'static str,
    pub created_on: String,
}

/// The list page.
#[derive(Template)]
#[template(path = "console/organisations.html")]
pub(super) struct OrganisationsPage<'a> {
    pub links: Links,
    pub header: Header<'a>,
    pub action: &'static str,
    pub query: String,
    pub query_error: bool,
    pub rows: Vec<ListRow>,
    pub next: Option<String>,
    pub previous: Option<String>,
}

/// `?q=` and `?page=`.
#[derive(serde::Deserialize)]
pub(super) struct ListQuery {
    q: Option<String>,
    page: Option<i64>,
}

fn status_words(status: OrganisationStatus) -> (&'static str, &'static str) {
    match status {
        OrganisationStatus::Active => ("Đang hoạt động", "Active"),
        OrganisationStatus::Locked => ("Đang bị khóa", "Locked"),
        OrganisationStatus::Closed => ("Đã đóng", "Closed"),
    }
}

fn vietnam_day(unix: i64) -> String {
    crate::resources::registrations::vietnam_date(unix).to_string()
}

fn vietnam_time(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix + 7 * 3600, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

fn list_link(query: &str, page: i64) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    if !query.is_empty() {
        out.append_pair("q", query);
    }
    if page > 1 {
        out.append_pair("page", &page.to_string());
    }
    let q = out.finish();
    if q.is_empty() {
        super::ORGANISATIONS.to_owned()
    } else {
        format!("{}?{q}", super::ORGANISATIONS)
    }
}

/// `GET /console/organisations`: the province's organisations, newest first, or those the
/// search finds.
pub(super) async fn organisations(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
    parts: Parts,
) -> Response {
    let officer = match officer_or_page(&state, &parts.headers).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let query = q.q.unwrap_or_default().trim().to_owned();
    let page = q.page.unwrap_or(1).clamp(1, 2_000);
    let mut out = OrganisationsPage {
        links: LINKS,
        header: Header::of(&officer, Section::Organisations),
        action: super::ORGANISATIONS,
        query: query.clone(),
        query_error: false,
        rows: Vec::new(),
        next: None,
        previous: (page > 1).then(|| list_link(&query, page - 1)),
    };
    if query.chars().count() > MAX_QUERY_CHARS {
        out.query_error = true;
        return pages::html(StatusCode::BAD_REQUEST, &out);
    }
    let listed = {
        let Ok(mut conn) = state.pool.acquire().await else {
            return pages::failure(&state, Failure::Internal);
        };
        store::of_province(
            &mut conn,
            officer.province.key(),
            (!query.is_empty()).then_some(query.as_str()),
            PAGE_SIZE + 1,
            (page - 1) * PAGE_SIZE,
        )
        .await
    };
    let listed = match listed {
        Ok(rows) => rows,
        Err(e) => return pages::server_error(&state, e),
    };
    let more = listed.len() as i64 > PAGE_SIZE;
    for row in listed
        .into_iter()
        .take(usize::try_from(PAGE_SIZE).unwrap_or(50))
    {
        let (Ok(org_type), Ok(status)) = (
            from_word::<OrgType>(&row.org_type),
            from_word::<OrganisationStatus>(&row.status),
        ) else {
            continue;
        };
        let (status_vi, status_en) = status_words(status);
        out.rows.push(ListRow {
            href: super::ORGANISATION.replace("{eid}", &row.eid),
            eid: row.eid,
            name: shown(&row.name_vi, 300, false),
            type_vi: org_type.label_vi(),
            type_en: org_type.label_en(),
            status_vi,
            status_en,
            created_on: vietnam_day(row.created_at),
        });
    }
    out.next = more.then(|| list_link(&query, page + 1));
    pages::html(StatusCode::OK, &out)
}

/// A person who may act for the organisation.
pub(super) struct DelegateRow {
    pub name: String,
    pub masked: String,
    pub role_vi: &'static str,
    pub role_en: &'static str,
    pub since: String,
    pub state_vi: &'static str,
    pub state_en: &'static str,
    pub ended: bool,
}

/// One lifecycle entry.
pub(super) struct HistoryRow {
    pub at: String,
    pub text_vi: String,
    pub text_en: String,
}

/// One organisation's page.
#[derive(Template)]
#[template(path = "console/organisation.html")]
pub(super) struct OrganisationPage<'a> {
    pub links: Links,
    pub header: Header<'a>,
    pub eid: String,
    pub name: String,
    pub type_vi: &'static str,
    pub type_en: &'static str,
    pub status_vi: &'static str,
    pub status_en: &'static str,
    pub created_on: String,
    pub registration_href: Option<String>,
    pub representatives: Vec<(String, String)>,
    pub delegates: Vec<DelegateRow>,
    pub history: Vec<HistoryRow>,
    /// The form offered: lock (`Some(true)`, an active account), unlock (`Some(false)`, a
    /// locked one), or none (closed).
    pub offer_lock: Option<bool>,
    pub lock_action: String,
    pub reason: String,
    pub reason_max: usize,
    pub reason_error: Option<(String, String)>,
    pub form_error: Option<(&'static str, &'static str)>,
}

fn role_words(role: OrgRole) -> (&'static str, &'static str) {
    match role {
        OrgRole::Owner => (
            "Chủ sở hữu (người đại diện)",
            "Owner (legal representative)",
        ),
        OrgRole::Administrator => ("Quản trị viên", "Administrator"),
        OrgRole::Member => ("Thành viên", "Member"),
    }
}

fn delegate_row(d: &DelegationView) -> DelegateRow {
    let (role_vi, role_en) = role_words(d.role);
    let (state_vi, state_en, ended) = if d.revoked_at.is_some() {
        ("Đã thu hồi", "Revoked", true)
    } else if d.declined_at.is_some() {
        ("Đã từ chối", "Declined", true)
    } else if d.accepted_at.is_none() {
        ("Chờ chấp nhận", "Waiting for acceptance", false)
    } else {
        ("Đang hiệu lực", "In force", false)
    };
    DelegateRow {
        name: shown(&d.person.full_name, 300, false),
        masked: d.person.citizen_id_masked.clone(),
        role_vi,
        role_en,
        since: vietnam_day(d.granted_at.timestamp()),
        state_vi,
        state_en,
        ended,
    }
}

fn history_row(at: i64, change: &OrganisationChange) -> HistoryRow {
    let (vi, en) = match change {
        OrganisationChange::Created => (
            "Tạo tài khoản định danh".into(),
            "e-ID account created".into(),
        ),
        OrganisationChange::Renamed { from, to } => (
            format!(
                "Đổi tên: «{}» → «{}»",
                shown(from, 300, false),
                shown(to, 300, false)
            ),
            format!(
                "Renamed: «{}» → «{}»",
                shown(from, 300, false),
                shown(to, 300, false)
            ),
        ),
        OrganisationChange::RepresentativesChanged { removed, added } => (
            format!(
                "Đổi người đại diện: bỏ {}; thêm {}",
                removed.len(),
                added.len()
            ),
            format!(
                "Representatives changed: {} removed, {} added",
                removed.len(),
                added.len()
            ),
        ),
        OrganisationChange::MergedInto { successor } => (
            format!("Sáp nhập vào {successor}"),
            format!("Merged into {successor}"),
        ),
        OrganisationChange::Absorbed { predecessors } => (
            format!("Tiếp nhận {} tổ chức sáp nhập", predecessors.len()),
            format!("Absorbed {} organisations", predecessors.len()),
        ),
        OrganisationChange::SplitInto { successors, .. } => (
            format!("Chia thành {} tổ chức", successors.len()),
            format!("Split into {} organisations", successors.len()),
        ),
        OrganisationChange::SplitFrom { predecessor } => (
            format!("Tách ra từ {predecessor}"),
            format!("Split from {predecessor}"),
        ),
        OrganisationChange::Locked { reason } => (
            format!("Bị khóa: {}", shown(reason, 500, false)),
            format!("Locked: {}", shown(reason, 500, false)),
        ),
        OrganisationChange::Unlocked => ("Mở khóa".into(), "Unlocked".into()),
        OrganisationChange::Closed { reason } => (
            format!("Đóng tài khoản: {}", shown(reason, 500, false)),
            format!("Closed: {}", shown(reason, 500, false)),
        ),
    };
    HistoryRow {
        at: vietnam_time(at),
        text_vi: vi,
        text_en: en,
    }
}

/// The organisation `eid` and who may act for it, as this officer reads them; `None` for one
/// of another province or none at all.
async fn readable(
    state: &AppState,
    officer: &Officer,
    eid: &str,
) -> ServerResult<Option<(OrganisationRecord, Vec<DelegationView>)>> {
    let Ok(eid) = OrgEid::parse(eid) else {
        return Ok(None);
    };
    let actor = Actor::person(&officer.account);
    let hidden = |e: &ServerError| {
        matches!(e, ServerError::Api(a)
            if a.code == ErrorCode::Forbidden.as_str() || a.code == ErrorCode::NotFound.as_str())
    };
    let record = match read_organisation(state, &actor, &eid).await {
        Ok(r) => r,
        Err(e) if hidden(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let delegates = match list_delegations(state, &actor, &eid).await {
        Ok(d) => d,
        Err(e) if hidden(&e) => Vec::new(),
        Err(e) => return Err(e),
    };
    Ok(Some((record, delegates)))
}

/// `GET /console/organisations/{eid}`.
pub(super) async fn organisation(
    State(state): State<AppState>,
    Path(eid): Path<String>,
    parts: Parts,
) -> Response {
    let officer = match officer_or_page(&state, &parts.headers).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let (record, delegates) = match readable(&state, &officer, &eid).await {
        Ok(Some(found)) => found,
        Ok(None) => return pages::failure(&state, Failure::OrganisationNotFound),
        Err(e) => return pages::server_error(&state, e),
    };
    pages::html(
        StatusCode::OK,
        &organisation_page(&officer, &record, &delegates),
    )
}

fn organisation_page<'a>(
    officer: &'a Officer,
    record: &OrganisationRecord,
    delegates: &[DelegationView],
) -> OrganisationPage<'a> {
    let (status_vi, status_en) = status_words(record.status);
    OrganisationPage {
        links: LINKS,
        header: Header::of(officer, Section::Organisations),
        eid: record.eid.to_string(),
        name: shown(record.details.name_vi.as_str(), 300, false),
        type_vi: record.org_type.label_vi(),
        type_en: record.org_type.label_en(),
        status_vi,
        status_en,
        created_on: vietnam_day(record.created_at.timestamp()),
        registration_href: record
            .registration
            .as_ref()
            .map(|id| super::REQUEST.replace("{id}", id.as_str())),
        representatives: record
            .representatives
            .iter()
            .map(|r| {
                (
                    shown(r.full_name.as_str(), 300, false),
                    r.citizen_id_masked.clone(),
                )
            })
            .collect(),
        delegates: delegates.iter().map(delegate_row).collect(),
        history: record
            .history
            .iter()
            .map(|h| history_row(h.at.timestamp(), &h.change))
            .collect(),
        offer_lock: match record.status {
            OrganisationStatus::Active => Some(true),
            OrganisationStatus::Locked => Some(false),
            _ => None,
        },
        lock_action: format!(
            "{}#lock",
            super::ORGANISATION_LOCK.replace("{eid}", record.eid.as_str())
        ),
        reason: String::new(),
        reason_max: MAX_REASON_CHARS,
        reason_error: None,
        form_error: None,
    }
}

/// `POST /console/organisations/{eid}/lock` (fields `csrf`, `lock` = `1` | `0`, `reason`):
/// asks the officer's phone to confirm locking or unlocking the organisation account; the
/// browser goes to the action's page. A missing or refused reason, or an account already so,
/// gets the page again with a sentence, the reason kept.
pub(super) async fn lock(
    State(state): State<AppState>,
    Path(eid): Path<String>,
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
    let (record, delegates) = match readable(&state, &officer, &eid).await {
        Ok(Some(found)) => found,
        Ok(None) => return pages::failure(&state, Failure::OrganisationNotFound),
        Err(e) => return pages::server_error(&state, e),
    };
    let lock = session::form_field(&body, "lock").as_deref() == Some("1");
    let reason = session::form_field(&body, "reason").unwrap_or_default();
    let mut page = organisation_page(&officer, &record, &delegates);
    page.reason = reason.clone();
    if let Err(problem) = dinhdanh_core::text::message(&reason, MAX_REASON_CHARS) {
        page.reason_error = Some((
            format!("Lý do {}.", problem.message_vi()),
            format!("The reason {}.", problem.message_en()),
        ));
        return pages::html(StatusCode::BAD_REQUEST, &page);
    }
    if page.offer_lock != Some(lock) {
        page.form_error = Some(match record.status {
            OrganisationStatus::Locked => (
                "Tài khoản của tổ chức này đã bị khóa.",
                "This organisation's account is already locked.",
            ),
            OrganisationStatus::Active => (
                "Tài khoản của tổ chức này không bị khóa.",
                "This organisation's account is not locked.",
            ),
            _ => (
                "Tổ chức này đã chấm dứt; tài khoản không khóa hoặc mở khóa được.",
                "This organisation is closed; its account cannot be locked or unlocked.",
            ),
        });
        return pages::html(StatusCode::BAD_REQUEST, &page);
    }
    let change = OfficerOrganisationLock {
        organisation: record.eid.clone(),
        lock,
        reason,
    };
    let asked =
        super::action::ask_phone(&state, &officer, ActionKind::ChangeAccountLock, &change).await;
    match asked {
        Ok(action) => see_other(&super::ACTION.replace("{id}", &action)),
        Err(ServerError::Api(e)) => {
            page.form_error = Some(super::action::not_asked(&e.code));
            pages::html(StatusCode::BAD_REQUEST, &page)
        }
        Err(e) => pages::server_error(&state, e),
    }
}
