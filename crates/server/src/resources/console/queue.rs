//! The queue: the requests whose organisation's head office is in the officer's province and
//! that wait for an officer (the one rule, `registrations::province_queue`), overdue first,
//! then by due date, with a countdown in working days to each due date, filters by status and
//! organisation type, and pages of [`PAGE_SIZE`] reached by keyset links (a sealed
//! `registrations::QueueCursor` with the filters: a page starts after a row, not after a count
//! of rows). Each row links to the request's page.

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
    QueueCursor, QueueFilter, QueueFrom, calendar_for_display, key_of, province_queue,
    province_queue_size, vietnam_date, working_days_between,
};
use crate::store::values::{from_word, word};

/// Requests on one page of the queue.
pub const PAGE_SIZE: i64 = 50;

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
    pub page: u32,
    pub pages: i64,
    pub previous: Option<String>,
    pub next: Option<String>,
}

/// The statuses an officer's queue holds.
pub(super) const QUEUE_STATUSES: [RegistrationStatus; 2] = [
    RegistrationStatus::AwaitingOfficer,
    RegistrationStatus::InformationRequested,
];

/// The query of the queue page: `status`, `type` (words; empty for all), and `after` or
/// `before` (a page link's sealed position, opened against the province and these filters).
struct QueueQuery {
    filter: QueueFilter,
    /// The position's text, as the link carried it.
    position: Option<(Direction, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    After,
    Before,
}

/// Why the query is refused.
#[derive(Debug, PartialEq, Eq)]
enum BadQuery {
    /// A status or type not among the filter's choices.
    Filter,
    /// A page position that is not a link this queue made (or `page=`, the offset links' word
    /// before keyset paging, whose numbers mean nothing now).
    PageLink,
}

fn parse_query(query: Option<String>) -> Result<QueueQuery, BadQuery> {
    let mut q = QueueQuery {
        filter: QueueFilter::default(),
        position: None,
    };
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match &*k {
            "status" if v.is_empty() => {}
            "status" => {
                let s: RegistrationStatus = from_word(&v).map_err(|_| BadQuery::Filter)?;
                if !QUEUE_STATUSES.contains(&s) {
                    return Err(BadQuery::Filter);
                }
                q.filter.status = Some(s);
            }
            "type" if v.is_empty() => {}
            "type" => {
                q.filter.org_type = Some(from_word::<OrgType>(&v).map_err(|_| BadQuery::Filter)?)
            }
            "after" | "before" if q.position.is_some() => return Err(BadQuery::PageLink),
            "after" => q.position = Some((Direction::After, v.into_owned())),
            "before" => q.position = Some((Direction::Before, v.into_owned())),
            "page" => return Err(BadQuery::PageLink),
            _ => {}
        }
    }
    Ok(q)
}

/// The queue's link with `filter`, at `position` (`after=` or `before=` a sealed cursor), or
/// at the first page.
fn link(filter: &QueueFilter, position: Option<(Direction, &str)>) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    if let Some(s) = filter.status {
        out.append_pair("status", s.code());
    }
    if let Some(t) = filter.org_type.as_ref().and_then(|t| word(t).ok()) {
        out.append_pair("type", &t);
    }
    match position {
        Some((Direction::After, c)) => {
            out.append_pair("after", c);
        }
        Some((Direction::Before, c)) => {
            out.append_pair("before", c);
        }
        None => {}
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
    let q = match parse_query(query) {
        Ok(q) => q,
        Err(BadQuery::Filter) => return pages::failure(&state, Failure::BadFilter),
        Err(BadQuery::PageLink) => return pages::failure(&state, Failure::BadPageLink),
    };
    let cursor = match &q.position {
        None => QueueCursor {
            page: 1,
            from: QueueFrom::Start,
        },
        Some((direction, text)) => {
            match QueueCursor::open(&state, &officer.province, &q.filter, text) {
                // A link says which way it reads; `after=` with a `before` position was changed.
                Ok(c)
                    if matches!(
                        (direction, &c.from),
                        (Direction::After, QueueFrom::After(_))
                            | (Direction::Before, QueueFrom::Before(_))
                    ) =>
                {
                    c
                }
                _ => return pages::failure(&state, Failure::BadPageLink),
            }
        }
    };
    match queue_page(&state, &officer, &q.filter, cursor).await {
        Ok(page) => pages::html(StatusCode::OK, &page),
        Err(e) => pages::server_error(&state, e),
    }
}

/// The rows of the page at `cursor` and the page's number; a page read backwards that finds
/// fewer than a page's rows before it (requests decided since) is the first page.
async fn rows_at(
    state: &AppState,
    officer: &Officer,
    filter: &QueueFilter,
    cursor: QueueCursor,
) -> crate::infra::error::ServerResult<(Vec<QueueItem>, u32, bool, bool)> {
    let province = &officer.province;
    let (items, more) = province_queue(state, province, filter, &cursor.from, PAGE_SIZE).await?;
    Ok(match cursor.from {
        QueueFrom::Start => (items, 1, false, more),
        // Came forward from the page before, so one is there (unless it was all decided: the
        // link back then shows the first page).
        QueueFrom::After(_) => (items, cursor.page.max(2), true, more),
        QueueFrom::Before(_) if !more || (items.len() as i64) < PAGE_SIZE => {
            let (items, more) =
                province_queue(state, province, filter, &QueueFrom::Start, PAGE_SIZE).await?;
            (items, 1, false, more)
        }
        QueueFrom::Before(_) => {
            // Came back from the page after; whether it still holds a request is asked.
            let after = match items.last() {
                // A page of none: `more` alone says whether a request lies after the row.
                Some(last) => {
                    let from = QueueFrom::After(key_of(last));
                    province_queue(state, province, filter, &from, 0).await?.1
                }
                None => false,
            };
            (items, cursor.page.max(2), true, after)
        }
    })
}

async fn queue_page<'a>(
    state: &AppState,
    officer: &'a Officer,
    filter: &QueueFilter,
    cursor: QueueCursor,
) -> crate::infra::error::ServerResult<QueuePage<'a>> {
    let (items, page, has_previous, has_next) = rows_at(state, officer, filter, cursor).await?;
    let (total, overdue) = province_queue_size(state, &officer.province, filter).await?;
    let today = vietnam_date(state.now());
    let calendar = countdown_calendar(state, today, items.iter().map(|i| i.due_on)).await?;
    let seal = |page: u32, from: QueueFrom| {
        QueueCursor { page, from }
            .seal(state, &officer.province, filter)
            .map_err(|e| crate::infra::error::ServerError::Internal(e.to_string()))
    };
    let previous = match items.first() {
        _ if !has_previous => None,
        // The page before the second is the first: its plain link, not a position.
        Some(first) if page > 2 => Some(link(
            filter,
            Some((
                Direction::Before,
                &seal(page - 1, QueueFrom::Before(key_of(first)))?,
            )),
        )),
        _ => Some(link(filter, None)),
    };
    let next = match items.last() {
        Some(last) if has_next => Some(link(
            filter,
            Some((
                Direction::After,
                &seal(page + 1, QueueFrom::After(key_of(last)))?,
            )),
        )),
        _ => None,
    };
    let statuses = QUEUE_STATUSES
        .iter()
        .map(|s| Choice {
            value: s.code().to_owned(),
            label_vi: s.label_vi(),
            label_en: s.label_en(),
            selected: filter.status == Some(*s),
        })
        .collect();
    let types = OrgType::ALL
        .iter()
        .map(|t| {
            Ok(Choice {
                value: word(t)?,
                label_vi: t.label_vi(),
                label_en: t.label_en(),
                selected: filter.org_type == Some(*t),
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
        page,
        // Requests decided between loads can leave the page number past the count's pages.
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE)
            .max(1)
            .max(i64::from(page)),
        previous,
        next,
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
        let bad = |q: &str| parse_query(Some(q.into())).err();
        assert_eq!(bad("status=approved"), Some(BadQuery::Filter));
        assert_eq!(bad("type=bank"), Some(BadQuery::Filter));
        // The offset links' word: their numbers mean nothing to keyset paging.
        assert_eq!(bad("page=0"), Some(BadQuery::PageLink));
        assert_eq!(bad("page=3"), Some(BadQuery::PageLink));
        assert_eq!(bad("after=x&before=y"), Some(BadQuery::PageLink));
        let q = parse_query(Some(
            "status=information_requested&type=enterprise&after=abc.def".into(),
        ))
        .unwrap();
        assert_eq!(
            q.filter.status,
            Some(RegistrationStatus::InformationRequested)
        );
        assert_eq!(q.filter.org_type, Some(OrgType::Enterprise));
        assert_eq!(q.position, Some((Direction::After, "abc.def".to_owned())));
        assert_eq!(
            link(&q.filter, Some((Direction::Before, "abc.def"))),
            "/console/?status=information_requested&type=enterprise&before=abc.def"
        );
        assert_eq!(link(&QueueFilter::default(), None), "/console/");
    }
}
