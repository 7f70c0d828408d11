//! The working-day calendar at the console: the days off and make-up working days of a year
//! that due dates are counted on, for every provincial officer to read; and for a calendar
//! keeper (`holiday keeper grant`), a day added or removed — asked here, confirmed on the
//! keeper's phone like a decision, and carried out by `holidays::apply_console_change` in one
//! transaction with the open requests' due dates and the audit entries.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use chrono::Datelike;
use dinhdanh_core::api::{ErrorCode, HolidayTableChange};
use dinhdanh_core::calendar::HolidayKind;
use dinhdanh_core::signed_action::ActionKind;
use serde::Deserialize;

use super::pages::{self, Failure, Header, LINKS, Links, Section};
use super::queue::officer_or_page;
use super::session::{self, Officer};
use super::sign_in::see_other;
use crate::authz;
use crate::infra::error::ServerError;
use crate::infra::state::AppState;
use crate::resources::holidays::{self, MAX_NAME_CHARS};
use crate::resources::registrations::vietnam_date;

/// Years the page lists: the table ships 2025–2027, and a keeper adds the next year's days
/// when the government announces them.
const YEARS: std::ops::RangeInclusive<i32> = 2020..=2100;

/// A day of the year's table, as listed.
pub(super) struct DayRow {
    pub day: String,
    pub shown: String,
    pub weekday_vi: &'static str,
    pub weekday_en: String,
    pub kind_vi: &'static str,
    pub kind_en: &'static str,
    pub name_vi: String,
    pub name_en: String,
    pub set_by_vi: &'static str,
    pub set_by_en: &'static str,
}

/// What the add form holds: as typed, kept on an error.
#[derive(Default)]
pub(super) struct AddForm {
    pub day: String,
    pub make_up: bool,
    pub name_vi: String,
    pub name_en: String,
}

/// A sentence under a field or over the form, in both languages.
type Said = Option<(String, String)>;

/// The year's table; the forms for a keeper.
#[derive(Template)]
#[template(path = "console/holidays.html")]
pub(super) struct HolidaysPage<'a> {
    pub links: Links,
    pub header: Header<'a>,
    pub year: i32,
    pub previous: Option<String>,
    pub next: Option<String>,
    pub days: Vec<DayRow>,
    pub keeper: bool,
    pub add_action: &'static str,
    pub remove_action: &'static str,
    pub name_max: usize,
    pub form: AddForm,
    pub day_error: Said,
    pub kind_error: Said,
    pub name_vi_error: Said,
    pub name_en_error: Said,
    /// About the whole form, or a removal.
    pub form_error: Said,
}

#[derive(Deserialize)]
pub(super) struct YearQuery {
    year: Option<String>,
}

/// `GET /console/holidays?year=2027`: the year's table (this year's without `year`).
pub(super) async fn holidays_page(
    State(state): State<AppState>,
    Query(query): Query<YearQuery>,
    parts: Parts,
) -> Response {
    let officer = match officer_or_page(&state, &parts.headers).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let year = match query.year.as_deref() {
        None => vietnam_date(state.now()).year(),
        Some(text) => match text.parse::<i32>() {
            Ok(y) if YEARS.contains(&y) => y,
            _ => return pages::failure(&state, Failure::BadFilter),
        },
    };
    match page(&state, &officer, year, AddForm::default()).await {
        Ok(page) => pages::html(StatusCode::OK, &page),
        Err(e) => pages::server_error(&state, e),
    }
}

async fn page<'a>(
    state: &AppState,
    officer: &'a Officer,
    year: i32,
    form: AddForm,
) -> Result<HolidaysPage<'a>, ServerError> {
    let keeper = authz::may_change_calendar(state, &officer.account).await?;
    let days = holidays::list_year(state, year)
        .await?
        .into_iter()
        .map(|h| {
            let (kind_vi, kind_en) = holidays::kind_words(h.kind);
            let (set_by_vi, set_by_en) = match h.set_by.as_str() {
                "release" => ("Bản phát hành", "Release"),
                "operator" => ("Quản trị viên (dòng lệnh)", "Operator (command line)"),
                _ => ("Cán bộ giữ lịch", "Calendar keeper"),
            };
            DayRow {
                day: h.day.format("%Y-%m-%d").to_string(),
                shown: h.day.format("%d/%m/%Y").to_string(),
                weekday_vi: holidays::weekday_vi(h.day),
                weekday_en: h.day.format("%A").to_string(),
                kind_vi,
                kind_en,
                name_vi: h.name_vi,
                name_en: h.name_en,
                set_by_vi,
                set_by_en,
            }
        })
        .collect();
    let link = |y: i32| {
        YEARS
            .contains(&y)
            .then(|| format!("{}?year={y}", super::HOLIDAYS))
    };
    Ok(HolidaysPage {
        links: LINKS,
        header: Header::of(officer, Section::Holidays),
        year,
        previous: link(year - 1),
        next: link(year + 1),
        days,
        keeper,
        add_action: super::HOLIDAYS,
        remove_action: super::HOLIDAY_REMOVAL,
        name_max: MAX_NAME_CHARS,
        form,
        day_error: None,
        kind_error: None,
        name_vi_error: None,
        name_en_error: None,
        form_error: None,
    })
}

/// `POST /console/holidays` (fields `csrf`, `day`, `kind` = `day_off` | `make_up_working_day`,
/// `name_vi`, `name_en`): asks the keeper's phone to confirm adding the day; the browser goes
/// to the action's page. Bad input gets the page again with a sentence under its field and
/// everything typed kept; nothing is asked.
pub(super) async fn add(State(state): State<AppState>, parts: Parts, body: Bytes) -> Response {
    let officer = match officer_or_page(&state, &parts.headers).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    if !session::form_from_console(&state, &parts.headers, &officer, &body) {
        return pages::failure(&state, Failure::NotFromConsole);
    }
    let field = |name| session::form_field(&body, name).unwrap_or_default();
    let kind_word = field("kind");
    let form = AddForm {
        day: field("day").trim().to_owned(),
        make_up: kind_word == "make_up_working_day",
        name_vi: field("name_vi"),
        name_en: field("name_en"),
    };
    let kind = match kind_word.as_str() {
        "day_off" => Some(HolidayKind::DayOff),
        "make_up_working_day" => Some(HolidayKind::MakeUpWorkingDay),
        _ => None,
    };
    let year = holidays::parse_day(&form.day)
        .map(|d| d.year())
        .unwrap_or_else(|_| vietnam_date(state.now()).year());
    let change = HolidayTableChange::Add {
        day: form.day.clone(),
        kind: kind.unwrap_or(HolidayKind::DayOff),
        name_vi: form.name_vi.clone(),
        name_en: form.name_en.clone(),
    };
    let mut page = match page(&state, &officer, year, form).await {
        Ok(p) => p,
        Err(e) => return pages::server_error(&state, e),
    };
    if kind.is_none() {
        page.kind_error = Some((
            "Hãy chọn loại ngày.".into(),
            "Choose what kind of day it is.".into(),
        ));
        return pages::html(StatusCode::BAD_REQUEST, &page);
    }
    ask(&state, &officer, &change, page).await
}

/// `POST /console/holidays/removal` (fields `csrf`, `day`): asks the keeper's phone to
/// confirm removing the day; the browser goes to the action's page.
pub(super) async fn remove(State(state): State<AppState>, parts: Parts, body: Bytes) -> Response {
    let officer = match officer_or_page(&state, &parts.headers).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    if !session::form_from_console(&state, &parts.headers, &officer, &body) {
        return pages::failure(&state, Failure::NotFromConsole);
    }
    let day = session::form_field(&body, "day").unwrap_or_default();
    let year = holidays::parse_day(&day)
        .map(|d| d.year())
        .unwrap_or_else(|_| vietnam_date(state.now()).year());
    let page = match page(&state, &officer, year, AddForm::default()).await {
        Ok(p) => p,
        Err(e) => return pages::server_error(&state, e),
    };
    ask(&state, &officer, &HolidayTableChange::Remove { day }, page).await
}

/// Asks the phone; on a refusal, `page` again with the sentence where it belongs.
async fn ask(
    state: &AppState,
    officer: &Officer,
    change: &HolidayTableChange,
    mut page: HolidaysPage<'_>,
) -> Response {
    match super::action::ask_phone(state, officer, ActionKind::ChangeHolidayTable, change).await {
        Ok(action) => see_other(&super::ACTION.replace("{id}", &action)),
        Err(e) => {
            match refusal(&e) {
                Some(Refusal::Field(field, said)) => match field {
                    "name_vi" => page.name_vi_error = Some(said),
                    "name_en" => page.name_en_error = Some(said),
                    "kind" => page.kind_error = Some(said),
                    _ if matches!(change, HolidayTableChange::Add { .. }) => {
                        page.day_error = Some(said)
                    }
                    _ => page.form_error = Some(said),
                },
                Some(Refusal::Form(said)) => page.form_error = Some(said),
                None => return pages::server_error(state, e),
            }
            pages::html(StatusCode::BAD_REQUEST, &page)
        }
    }
}

enum Refusal {
    /// A sentence under a field (`day`, `kind`, `name_vi`, `name_en`).
    Field(&'static str, (String, String)),
    /// A sentence over the form.
    Form((String, String)),
}

/// What the page says of a refused ask; `None` for a failure of the server.
fn refusal(e: &ServerError) -> Option<Refusal> {
    let ServerError::Api(api) = e else {
        return None;
    };
    // A refusal of the table's own checks carries its field and sentences in its one detail.
    if let Some(detail) = api.details.first() {
        let field = match detail.field.as_deref() {
            Some("name_vi") => "name_vi",
            Some("name_en") => "name_en",
            Some("kind") => "kind",
            _ => "day",
        };
        return Some(Refusal::Field(
            field,
            (detail.message_vi.clone(), detail.message_en.clone()),
        ));
    }
    let said = if api.code == ErrorCode::Forbidden.as_str() {
        (
            "Chỉ cán bộ giữ lịch mới thay đổi được bảng này. Không có gì thay đổi.",
            "Only calendar keepers can change this table. Nothing changed.",
        )
    } else {
        super::action::not_asked(&api.code)
    };
    Some(Refusal::Form((said.0.into(), said.1.into())))
}
