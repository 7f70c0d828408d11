//! The queue: the requests whose organisation's head office is in the officer's province and
//! that wait for an officer (the one rule, `registrations::province_queue`), overdue first,
//! then by due date, with a countdown in working days to each due date, filters by status and
//! organisation type, and pages of [`PAGE_SIZE`]. Each row links to the request's page.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use dinhdanh_core::api::{QueueItem, RegistrationStatus};
use dinhdanh_core::calendar::WorkingCalendar;
use dinhdanh_core::org_type::OrgType;

use super::pages::{self, Failure, Header, LINKS, Links, Section, SignInPage};
use super::session::{self, Officer, Visitor};
use crate::infra::state::AppState;
use crate::resources::registrations::{
    QueueFilter, calendar_for_display, province_queue, province_queue_size, vietnam_date,
    working_days_between,
};
use crate::store::values::{from_word, word};

/// Requests on one page of the queue.
pub const PAGE_SIZE: i64 = 50;
/// The last page the queue serves (offset paging over the province's index; 100,000 requests
/// waiting in one province would be a crisis, not a queue).
const MAX_PAGE: i64 = 2_000;

/// The officer at the console, or the page to show instead (sign-in, not an officer).
pub(super) async fn officer_or_page(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Officer, Response> {
    officer_of(state, session::visitor(state, headers).await).await
}

/// The provincial officer `visitor` is, or the page to show instead.
async fn officer_of(
    state: &AppState,
    visitor: crate::infra::error::ServerResult<Visitor>,
) -> Result<Officer, Response> {
    match visitor {
        Ok(Visitor::Officer(officer)) => Ok(officer),
        Ok(Visitor::Anonymous) => Err(pages::html(StatusCode::OK, &SignInPage { links: LINKS })),
        // The national scope reads the dashboard only.
        Ok(Visitor::National(_)) => Err(pages::failure(state, Failure::NationalReadOnly)),
        Ok(Visitor::NotOfficer) => {
            let mut page = pages::failure(state, Failure::NotOfficer);
            if let Ok(v) = axum::http::HeaderValue::from_str(&session::cleared(state)) {
                page.headers_mut().append(axum::http::header::SET_COOKIE, v);
            }
            Err(page)
        }
        Err(e) => Err(pages::server_error(state, e)),
    }
}

/// A choice of a filter's `<select>`.
pub(super) struct Choice {
    pub value: String,
    pub label_vi: &'static str,
    pub label_en: &'static str,
    pub selected: bool,
}

/// One row of the queue.
pub(super) struct Row {
    pub href: String,
    pub name: String,
    pub type_vi: &'static str,
    pub type_en: &'static str,
    pub status_vi: &'static str,
    pub status_en: &'static str,
    pub submitted_on: String,
    pub due_on: String,
    pub overdue: bool,
    pub countdown_vi: String,
    pub countdown_en: String,
}

/// The countdown to a due date from `today`, in working days: "còn 2 ngày làm việc", "hạn
/// cuối hôm nay", "quá hạn 1 ngày làm việc".
pub(super) fn countdown(
    calendar: &WorkingCalendar,
    today: chrono::NaiveDate,
    due: chrono::NaiveDate,
) -> (String, String) {
    use std::cmp::Ordering;
    match due.cmp(&today) {
        Ordering::Equal => ("Hạn cuối hôm nay".into(), "Due today".into()),
        Ordering::Greater => {
            let n = working_days_between(calendar, today, due);
            if n == 0 {
                // Due on a day off with no working day before it: today is the last one.
                return (
                    "Hạn cuối là hôm nay (ngày làm việc cuối)".into(),
                    "Today is the last working day".into(),
                );
            }
            (
                format!("Còn {n} ngày làm việc"),
                format!("{n} working day{} left", if n == 1 { "" } else { "s" }),
            )
        }
        Ordering::Less => {
            // At least one: a request due on a Friday is late on the Saturday.
            let n = working_days_between(calendar, due, today).max(1);
            (
                format!("Quá hạn {n} ngày làm việc"),
                format!("{n} working day{} overdue", if n == 1 { "" } else { "s" }),
            )
        }
    }
}

pub(super) fn row(item: &QueueItem, calendar: &WorkingCalendar, today: chrono::NaiveDate) -> Row {
    let (countdown_vi, countdown_en) = countdown(calendar, today, item.due_on);
    Row {
        href: super::REQUEST.replace("{id}", item.id.as_str()),
        name: item.name.clone(),
        type_vi: item.org_type.label_vi(),
        type_en: item.org_type.label_en(),
        status_vi: item.status.label_vi(),
        status_en: item.status.label_en(),
        submitted_on: vietnam_date(item.submitted_at.timestamp()).to_string(),
        due_on: item.due_on.to_string(),
        overdue: item.overdue,
        countdown_vi,
        countdown_en,
    }
}

/// The working calendar (the operator's holiday table) from the earliest of `today` and the
/// due dates on, for the countdowns of one page: one read per page.
pub(super) async fn countdown_calendar(
    state: &AppState,
    today: chrono::NaiveDate,
    due: impl IntoIterator<Item = chrono::NaiveDate>,
) -> crate::infra::error::ServerResult<WorkingCalendar> {
    let from = due.into_iter().fold(today, std::cmp::min);
    calendar_for_display(&mut *state.pool.acquire().await?, from).await
}

/// The queue page.
#[derive(Template)]
#[template(path = "console/queue.html")]
pub(super) struct QueuePage<'a> {
    pub links: Links,
    pub header: Header<'a>,
    pub rows: Vec<Row>,
    pub statuses: Vec<Choice>,
    pub types: Vec<Choice>,
    pub total: i64,
    pub overdue: i64,
    pub page: i64,
    pub pages: i64,
    pub previous: Option<String>,
    pub next: Option<String>,
}

/// The statuses an officer's queue holds.
pub(super) const QUEUE_STATUSES: [RegistrationStatus; 2] = [
    RegistrationStatus::AwaitingOfficer,
    RegistrationStatus::InformationRequested,
];

/// The query of the queue page: `status`, `type` (words; empty for all) and `page` (from 1).
struct QueueQuery {
    filter: QueueFilter,
    page: i64,
}

fn parse_query(query: Option<String>) -> Option<QueueQuery> {
    let mut q = QueueQuery {
        filter: QueueFilter::default(),
        page: 1,
    };
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match &*k {
            "status" if v.is_empty() => {}
            "status" => {
                let s: RegistrationStatus = from_word(&v).ok()?;
                if !QUEUE_STATUSES.contains(&s) {
                    return None;
                }
                q.filter.status = Some(s);
            }
            "type" if v.is_empty() => {}
            "type" => q.filter.org_type = Some(from_word::<OrgType>(&v).ok()?),
            "page" => {
                q.page = v.parse().ok().filter(|p| (1..=MAX_PAGE).contains(p))?;
            }
            _ => {}
        }
    }
    Some(q)
}

fn link(filter: &QueueFilter, page: i64) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    if let Some(s) = filter.status {
        out.append_pair("status", s.code());
    }
    if let Some(t) = filter.org_type.as_ref().and_then(|t| word(t).ok()) {
        out.append_pair("type", &t);
    }
    if page > 1 {
        out.append_pair("page", &page.to_string());
    }
    let query = out.finish();
    if query.is_empty() {
        super::HOME.to_owned()
    } else {
        format!("{}?{query}", super::HOME)
    }
}

/// `GET /console/`: the queue of the officer's province; the sign-in page without a session.
pub(super) async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let visitor = session::visitor(&state, &headers).await;
    if matches!(visitor, Ok(Visitor::National(_))) {
        // The national scope's console is its dashboard.
        return super::sign_in::see_other(super::DASHBOARD);
    }
    let officer = match officer_of(&state, visitor).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let Some(q) = parse_query(query) else {
        return pages::failure(&state, Failure::BadFilter);
    };
    match queue_page(&state, &officer, &q).await {
        Ok(page) => pages::html(StatusCode::OK, &page),
        Err(e) => pages::server_error(&state, e),
    }
}

async fn queue_page<'a>(
    state: &AppState,
    officer: &'a Officer,
    q: &QueueQuery,
) -> crate::infra::error::ServerResult<QueuePage<'a>> {
    let offset = (q.page - 1) * PAGE_SIZE;
    let (items, more) =
        province_queue(state, &officer.province, &q.filter, PAGE_SIZE, offset).await?;
    let (total, overdue) = province_queue_size(state, &officer.province, &q.filter).await?;
    let today = vietnam_date(state.now());
    let calendar = countdown_calendar(state, today, items.iter().map(|i| i.due_on)).await?;
    let statuses = QUEUE_STATUSES
        .iter()
        .map(|s| Choice {
            value: s.code().to_owned(),
            label_vi: s.label_vi(),
            label_en: s.label_en(),
            selected: q.filter.status == Some(*s),
        })
        .collect();
    let types = OrgType::ALL
        .iter()
        .map(|t| {
            Ok(Choice {
                value: word(t)?,
                label_vi: t.label_vi(),
                label_en: t.label_en(),
                selected: q.filter.org_type == Some(*t),
            })
        })
        .collect::<crate::infra::error::ServerResult<Vec<_>>>()?;
    Ok(QueuePage {
        links: LINKS,
        header: Header::of(officer, Section::Queue),
        rows: items.iter().map(|i| row(i, &calendar, today)).collect(),
        statuses,
        types,
        total,
        overdue,
        page: q.page,
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        previous: (q.page > 1).then(|| link(&q.filter, q.page - 1)),
        next: more.then(|| link(&q.filter, q.page + 1)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn countdown(today: NaiveDate, due: NaiveDate) -> (String, String) {
        super::countdown(&WorkingCalendar::new(Vec::new()), today, due)
    }

    #[test]
    fn the_countdown_counts_working_days_both_ways() {
        // Thursday 17 July 2025, due Tuesday 22: Friday, Monday, Tuesday.
        assert_eq!(
            countdown(d("2025-07-17"), d("2025-07-22")).0,
            "Còn 3 ngày làm việc"
        );
        assert_eq!(countdown(d("2025-07-22"), d("2025-07-22")).1, "Due today");
        // Friday, due on Sunday: no working day left but today.
        assert_eq!(
            countdown(d("2025-07-18"), d("2025-07-20")).1,
            "Today is the last working day"
        );
        assert_eq!(
            countdown(d("2025-07-23"), d("2025-07-22")).0,
            "Quá hạn 1 ngày làm việc"
        );
        // Due Friday, seen on Saturday: late, though no working day has passed.
        assert_eq!(
            countdown(d("2025-07-19"), d("2025-07-18")).1,
            "1 working day overdue"
        );
    }

    #[test]
    fn the_countdown_skips_the_days_off_of_the_holiday_table() {
        use dinhdanh_core::calendar::HolidayKind;
        let calendar = WorkingCalendar::new([(d("2025-07-21"), HolidayKind::DayOff)]);
        // Thursday 17 to Tuesday 22 July, Monday 21 a day off: Friday and Tuesday.
        assert_eq!(
            super::countdown(&calendar, d("2025-07-17"), d("2025-07-22")).0,
            "Còn 2 ngày làm việc"
        );
    }

    #[test]
    fn the_filters_accept_only_queue_statuses_and_known_types() {
        assert!(parse_query(Some("status=approved".into())).is_none());
        assert!(parse_query(Some("type=bank".into())).is_none());
        assert!(parse_query(Some("page=0".into())).is_none());
        let q = parse_query(Some(
            "status=information_requested&type=enterprise&page=3".into(),
        ))
        .unwrap();
        assert_eq!(
            q.filter.status,
            Some(RegistrationStatus::InformationRequested)
        );
        assert_eq!(q.filter.org_type, Some(OrgType::Enterprise));
        assert_eq!(q.page, 3);
        assert_eq!(
            link(&q.filter, 4),
            "/console/?status=information_requested&type=enterprise&page=4"
        );
    }
}
