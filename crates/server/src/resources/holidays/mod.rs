//! The working-day calendar's table: the days off and make-up working days due dates are
//! counted on (`holidays`, migration 0010, shipped with the official days of 2025–2027).
//!
//! **Service API** (the operator's `dinhdanh-server holiday …` and the officer console):
//! [`list_year`], [`add_holiday`], [`remove_holiday`]; for a change asked at the console and
//! confirmed on the keeper's phone, [`check_console_change`] and [`apply_console_change`];
//! the keepers' grants, [`grant_keeper`] and [`revoke_keeper`]; and [`recount_at_start`],
//! which the server runs once when it starts. Input arrives as typed by a person and
//! is parsed here; a refusal is a [`HolidayRefusal`] that says what is wrong in Vietnamese and
//! English and changes nothing. Who may edit is the caller's question (`authz`): these
//! functions take the person who acts, or `None` for the operator's command line.
//!
//! **One transaction per change**: the calendar's lock ([`holidays::lock_for_change`]), the
//! row, the due dates of every open request counted again
//! ([`registrations::recount_open_due_dates`]; decided requests keep theirs), and the audit
//! entries — `holiday.added` / `holiday.removed` on `holiday:<date>`, and
//! `registration.due_date_moved` on each request whose due date moved — commit together.

use chrono::{Datelike, NaiveDate};
use dinhdanh_core::account::AccountLevel;
use dinhdanh_core::api::{ApiError, ErrorCode, HolidayTableChange};
use dinhdanh_core::calendar::{CalendarProblem, HolidayKind};
use dinhdanh_core::ids::CitizenId;
use dinhdanh_core::signed_action::ActionTarget;
use dinhdanh_core::text::{TextProblem, parse_text};
use serde::{Deserialize, Serialize};

use crate::authz;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::resources::accounts;
use crate::resources::registrations::{self, MovedDueDate};
use crate::store::audit::{self as audit_store, Actor, AuditRecord, audit_record};
use crate::store::holidays::{self, HolidayRow};
use crate::store::tx::Tx;
use crate::store::values::{from_word, parse_stored, word};

/// Longest name of a day, in characters, in either language.
pub const MAX_NAME_CHARS: usize = 120;

/// A day of the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holiday {
    /// The date, in Vietnam.
    pub day: NaiveDate,
    /// A day off or a make-up working day.
    pub kind: HolidayKind,
    /// Its name in Vietnamese.
    pub name_vi: String,
    /// Its name in English.
    pub name_en: String,
    /// Who set it: `release` (shipped with the server), `operator` (the command line) or
    /// `account:<id>`.
    pub set_by: String,
    /// When, in Unix seconds.
    pub set_at: i64,
}

/// A day to add, as typed.
#[derive(Clone, Copy, Debug)]
pub struct NewHoliday<'a> {
    /// `YYYY-MM-DD`.
    pub day: &'a str,
    /// A day off (a weekday) or a make-up working day (a Saturday or Sunday).
    pub kind: HolidayKind,
    /// Its name in Vietnamese.
    pub name_vi: &'a str,
    /// Its name in English.
    pub name_en: &'a str,
}

/// Which name a problem is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameField {
    /// `name_vi`.
    Vietnamese,
    /// `name_en`.
    English,
}

/// Why a change to the table is refused. Nothing was changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HolidayRefusal {
    /// The date is not a real date written `YYYY-MM-DD`.
    MalformedDate,
    /// A name is empty, too long, or holds characters the text policy refuses.
    BadName(NameField, TextProblem),
    /// The kind does not fit the weekday (a day off on a weekend, a make-up day on a weekday).
    WrongWeekday(CalendarProblem),
    /// The table already has this date (of either kind); remove it first to change it.
    AlreadyInTable(NaiveDate),
    /// The table has no such date.
    NotInTable(NaiveDate),
}

impl HolidayRefusal {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            HolidayRefusal::MalformedDate => "holiday.malformed_date",
            HolidayRefusal::BadName(_, TextProblem::Empty) => "holiday.name_required",
            HolidayRefusal::BadName(_, TextProblem::TooLong { .. }) => "holiday.name_too_long",
            HolidayRefusal::BadName(_, _) => "holiday.name_refused",
            HolidayRefusal::WrongWeekday(CalendarProblem::DayOffOnWeekend) => {
                "holiday.day_off_on_weekend"
            }
            HolidayRefusal::WrongWeekday(CalendarProblem::MakeUpOnWeekday) => {
                "holiday.make_up_on_weekday"
            }
            HolidayRefusal::AlreadyInTable(_) => "holiday.already_in_table",
            HolidayRefusal::NotInTable(_) => "holiday.not_in_table",
        }
    }

    /// The field a form shows it under.
    pub fn field(&self) -> &'static str {
        match self {
            HolidayRefusal::BadName(NameField::Vietnamese, _) => "name_vi",
            HolidayRefusal::BadName(NameField::English, _) => "name_en",
            HolidayRefusal::WrongWeekday(_) => "kind",
            _ => "day",
        }
    }

    /// What is wrong, in Vietnamese.
    pub fn message_vi(&self) -> String {
        match self {
            HolidayRefusal::MalformedDate => {
                "Ngày không hợp lệ: hãy nhập theo dạng NNNN-TT-NN, ví dụ 2027-02-05.".into()
            }
            HolidayRefusal::BadName(NameField::Vietnamese, p) => {
                format!("Tên tiếng Việt {}.", p.message_vi())
            }
            HolidayRefusal::BadName(NameField::English, p) => {
                format!("Tên tiếng Anh {}.", p.message_vi())
            }
            HolidayRefusal::WrongWeekday(CalendarProblem::DayOffOnWeekend) => {
                "Thứ Bảy và Chủ nhật đã là ngày nghỉ; hãy nhập ngày nghỉ bù (ngày làm việc kế tiếp)."
                    .into()
            }
            HolidayRefusal::WrongWeekday(CalendarProblem::MakeUpOnWeekday) => {
                "Ngày làm bù phải là thứ Bảy hoặc Chủ nhật; ngày thường vốn là ngày làm việc."
                    .into()
            }
            HolidayRefusal::AlreadyInTable(day) => format!(
                "Ngày {} đã có trong bảng; hãy xóa ngày đó trước nếu muốn thay đổi.",
                day.format("%d/%m/%Y")
            ),
            HolidayRefusal::NotInTable(day) => {
                format!("Ngày {} không có trong bảng.", day.format("%d/%m/%Y"))
            }
        }
    }

    /// What is wrong, in English.
    pub fn message_en(&self) -> String {
        match self {
            HolidayRefusal::MalformedDate => {
                "The date is not valid: write it YYYY-MM-DD, for example 2027-02-05.".into()
            }
            HolidayRefusal::BadName(NameField::Vietnamese, p) => {
                format!("The Vietnamese name {}.", p.message_en())
            }
            HolidayRefusal::BadName(NameField::English, p) => {
                format!("The English name {}.", p.message_en())
            }
            HolidayRefusal::WrongWeekday(CalendarProblem::DayOffOnWeekend) => {
                "Saturdays and Sundays are days off already; enter the compensatory day off (the next working day) instead."
                    .into()
            }
            HolidayRefusal::WrongWeekday(CalendarProblem::MakeUpOnWeekday) => {
                "A make-up working day must be a Saturday or Sunday; a weekday is a working day already."
                    .into()
            }
            HolidayRefusal::AlreadyInTable(day) => {
                format!("{day} is already in the table; remove it first to change it.")
            }
            HolidayRefusal::NotInTable(day) => format!("{day} is not in the table."),
        }
    }
}

/// A refusal, or a failure of the server.
#[derive(Debug, thiserror::Error)]
pub enum HolidayError {
    /// The input was refused; nothing changed.
    #[error("{}", .0.message_en())]
    Refused(HolidayRefusal),
    /// The server failed; nothing changed.
    #[error(transparent)]
    Server(#[from] ServerError),
}

impl From<HolidayRefusal> for HolidayError {
    fn from(r: HolidayRefusal) -> Self {
        HolidayError::Refused(r)
    }
}

impl From<HolidayError> for ServerError {
    /// The API's error: `validation_failed` with the field for bad input, `conflict` for a
    /// date already in the table, `not_found` for one that is not; `code` stays in the detail.
    fn from(e: HolidayError) -> Self {
        match e {
            HolidayError::Server(e) => e,
            HolidayError::Refused(r) => {
                let kind = match r {
                    HolidayRefusal::AlreadyInTable(_) => ErrorCode::Conflict,
                    HolidayRefusal::NotInTable(_) => ErrorCode::NotFound,
                    _ => ErrorCode::ValidationFailed,
                };
                let mut detail = ApiError::new(kind).with_field(r.field());
                detail.code = r.code().to_owned();
                detail.message_vi = r.message_vi();
                detail.message_en = r.message_en();
                ServerError::Api(Box::new(ApiError::new(kind).with_details(vec![detail])))
            }
        }
    }
}

/// A change made: the day, and the open requests whose due date moved.
#[derive(Clone, Debug)]
pub struct HolidayChange {
    /// The day added or removed.
    pub holiday: Holiday,
    /// The open requests whose due date moved, with the dates before and after.
    pub moved: Vec<MovedDueDate>,
}

/// A date as typed: exactly `YYYY-MM-DD`, a real day.
pub fn parse_day(text: &str) -> Result<NaiveDate, HolidayRefusal> {
    let text = text.trim();
    let well_formed = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !well_formed {
        return Err(HolidayRefusal::MalformedDate);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| HolidayRefusal::MalformedDate)
}

fn parse_name(text: &str, field: NameField) -> Result<String, HolidayRefusal> {
    parse_text(text, MAX_NAME_CHARS, false).map_err(|p| HolidayRefusal::BadName(field, p))
}

/// The days of `year`, in order.
pub async fn list_year(state: &AppState, year: i32) -> ServerResult<Vec<Holiday>> {
    let mut conn = state.pool.acquire().await?;
    let rows = holidays::between(
        &mut conn,
        &format!("{year:04}-01-01"),
        &format!("{year:04}-12-31"),
    )
    .await?;
    rows.into_iter().map(holiday).collect()
}

/// Adds a day and counts the open requests' due dates again, audited, in one transaction.
/// `by`: the person acting, or `None` for the operator's command line.
pub async fn add_holiday(
    state: &AppState,
    new: &NewHoliday<'_>,
    by: Option<&Actor>,
) -> Result<HolidayChange, HolidayError> {
    let day = parse_day(new.day)?;
    let name_vi = parse_name(new.name_vi, NameField::Vietnamese)?;
    let name_en = parse_name(new.name_en, NameField::English)?;
    new.kind.check(day).map_err(HolidayRefusal::WrongWeekday)?;
    let mut tx = Tx::begin(state, "holiday.add").await?;
    holidays::lock_for_change(tx.conn()?).await?;
    let row = HolidayRow {
        day: day.format("%Y-%m-%d").to_string(),
        kind: word(&new.kind)?,
        name_vi,
        name_en,
        set_by: set_by(by),
        set_at: tx.now(),
    };
    if !holidays::insert(tx.conn()?, &row).await? {
        // Dropping the transaction rolls back the lock's version bump.
        return Err(HolidayRefusal::AlreadyInTable(day).into());
    }
    let moved = registrations::recount_open_due_dates(&mut tx).await?;
    audit(&mut tx, by, "holiday.added", day, &moved);
    tx.commit().await?;
    Ok(HolidayChange {
        holiday: holiday(row)?,
        moved,
    })
}

/// Removes a day and counts the open requests' due dates again, audited, in one transaction.
/// `by`: the person acting, or `None` for the operator's command line.
pub async fn remove_holiday(
    state: &AppState,
    day: &str,
    by: Option<&Actor>,
) -> Result<HolidayChange, HolidayError> {
    let day = parse_day(day)?;
    let text = day.format("%Y-%m-%d").to_string();
    let mut tx = Tx::begin(state, "holiday.remove").await?;
    holidays::lock_for_change(tx.conn()?).await?;
    let Some(row) = holidays::find(tx.conn()?, &text).await? else {
        return Err(HolidayRefusal::NotInTable(day).into());
    };
    holidays::delete(tx.conn()?, &text).await?;
    let moved = registrations::recount_open_due_dates(&mut tx).await?;
    audit(&mut tx, by, "holiday.removed", day, &moved);
    tx.commit().await?;
    Ok(HolidayChange {
        holiday: holiday(row)?,
        moved,
    })
}

/// A change asked at the console, checked: what the keeper's phone confirms it as.
#[derive(Clone, Debug)]
pub struct CheckedConsoleChange {
    /// `holiday:<YYYY-MM-DD>`.
    pub target: ActionTarget,
    /// What it does, in Vietnamese.
    pub summary_vi: String,
    /// What it does, in English.
    pub summary_en: String,
}

/// What a confirmed change did, as the console shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleChangeDone {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// Added (`true`) or removed.
    pub added: bool,
    /// How many open requests' due dates moved.
    pub moved: usize,
}

/// The checks of a change asked at the console by `by`, made before the phone is asked and
/// again when it confirms: `by` keeps the calendar now ([`authz::may_change_calendar`]:
/// `forbidden`, audited, otherwise); the date and names parse; the kind fits the weekday; the
/// table has the day to remove and not the day to add. Nothing is changed.
pub async fn check_console_change(
    state: &AppState,
    by: &Actor,
    change: &HolidayTableChange,
) -> Result<CheckedConsoleChange, HolidayError> {
    let day = parse_day(change.day())?;
    let text = day.format("%Y-%m-%d").to_string();
    let object = format!("holiday:{text}");
    if !authz::may_change_calendar(state, &by.account).await? {
        let record = AuditRecord {
            actor: Some(by.account.as_str()),
            device: by.device.as_ref().map(|d| d.as_str()),
            action: "holiday.change.refused",
            object: Some(&object),
            denied: true,
            ..AuditRecord::default()
        };
        return Err(
            audit_store::refuse_with(state, record, ErrorCode::Forbidden)
                .await
                .into(),
        );
    }
    let in_table = {
        let mut conn = state.pool.acquire().await.map_err(ServerError::from)?;
        holidays::find(&mut conn, &text).await?.is_some()
    };
    let (weekday_vi, weekday_en, shown) =
        (weekday_vi(day), day.format("%A"), day.format("%d/%m/%Y"));
    let (summary_vi, summary_en) = match change {
        HolidayTableChange::Add {
            kind,
            name_vi,
            name_en,
            ..
        } => {
            let name_vi = parse_name(name_vi, NameField::Vietnamese)?;
            let name_en = parse_name(name_en, NameField::English)?;
            kind.check(day).map_err(HolidayRefusal::WrongWeekday)?;
            if in_table {
                return Err(HolidayRefusal::AlreadyInTable(day).into());
            }
            let (kind_vi, kind_en) = kind_words(*kind);
            (
                format!(
                    "Thêm {kind_vi} {weekday_vi} {shown} «{name_vi}» vào bảng ngày làm việc; \
                     hạn xử lý của các hồ sơ đang mở được tính lại"
                ),
                format!(
                    "Add {weekday_en} {text}, «{name_en}», to the working-day table as a \
                     {kind_en}; due dates of open requests are counted again"
                ),
            )
        }
        HolidayTableChange::Remove { .. } => {
            if !in_table {
                return Err(HolidayRefusal::NotInTable(day).into());
            }
            (
                format!(
                    "Xóa ngày {weekday_vi} {shown} khỏi bảng ngày làm việc; hạn xử lý của các \
                     hồ sơ đang mở được tính lại"
                ),
                format!(
                    "Remove {weekday_en} {text} from the working-day table; due dates of open \
                     requests are counted again"
                ),
            )
        }
    };
    let target = ActionTarget::new("holiday", &text)
        .map_err(|e| ServerError::Internal(format!("a holiday's target: {e}")))?;
    Ok(CheckedConsoleChange {
        target,
        summary_vi,
        summary_en,
    })
}

/// Carries out a change confirmed on the keeper's phone: every check of
/// [`check_console_change`] again, then [`add_holiday`] or [`remove_holiday`] with `by` as
/// the actor (one transaction, audited).
pub async fn apply_console_change(
    state: &AppState,
    by: &Actor,
    change: &HolidayTableChange,
) -> Result<ConsoleChangeDone, HolidayError> {
    check_console_change(state, by, change).await?;
    let (done, added) = match change {
        HolidayTableChange::Add {
            day,
            kind,
            name_vi,
            name_en,
        } => {
            let new = NewHoliday {
                day,
                kind: *kind,
                name_vi,
                name_en,
            };
            (add_holiday(state, &new, Some(by)).await?, true)
        }
        HolidayTableChange::Remove { day } => (remove_holiday(state, day, Some(by)).await?, false),
    };
    Ok(ConsoleChangeDone {
        day: done.holiday.day.format("%Y-%m-%d").to_string(),
        added,
        moved: done.moved.len(),
    })
}

/// A kind's words (Vietnamese, English), as a listing and the phone show it.
pub fn kind_words(kind: HolidayKind) -> (&'static str, &'static str) {
    match kind {
        HolidayKind::DayOff => ("ngày nghỉ", "day off"),
        HolidayKind::MakeUpWorkingDay => ("ngày làm bù", "make-up working day"),
    }
}

/// Lists the person with this number as a keeper of the calendar (done by the CLI): they may
/// change the table at the console too, each change confirmed on their phone. The account
/// must exist (`not_found`) and be level 2 (`level_too_low`); the console also needs a
/// provincial officer role. Audited `holiday.keeper_granted`.
pub async fn grant_keeper(state: &AppState, citizen: &CitizenId) -> ServerResult<()> {
    let account = accounts::find_account_by_citizen(state, citizen)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    if account.level != AccountLevel::Level2 {
        return Err(ServerError::code(ErrorCode::LevelTooLow));
    }
    let mut tx = Tx::begin(state, "holiday.keeper_grant").await?;
    let now = tx.now();
    holidays::grant_keeper(tx.conn()?, account.id.as_str(), now).await?;
    let object = format!("account:{}", account.id);
    tx.audit(AuditRecord {
        action: "holiday.keeper_granted",
        object: Some(&object),
        subject_key: Some(&account.citizen_key),
        ..AuditRecord::default()
    });
    tx.commit().await
}

/// Takes the person with this number off the calendar's keepers (done by the CLI); an
/// account that is not one is `not_found`, and nothing is written. Audited
/// `holiday.keeper_revoked`.
pub async fn revoke_keeper(state: &AppState, citizen: &CitizenId) -> ServerResult<()> {
    let account = accounts::find_account_by_citizen(state, citizen)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    let mut tx = Tx::begin(state, "holiday.keeper_revoke").await?;
    if !holidays::revoke_keeper(tx.conn()?, account.id.as_str()).await? {
        return Err(ServerError::code(ErrorCode::NotFound));
    }
    let object = format!("account:{}", account.id);
    tx.audit(AuditRecord {
        action: "holiday.keeper_revoked",
        object: Some(&object),
        subject_key: Some(&account.citizen_key),
        ..AuditRecord::default()
    });
    tx.commit().await
}

/// Counts the due date of every open request again on the table as it is, once at start
/// ([`crate::build_state`]), audited: so days a migration ships (0010's, and any later year's)
/// reach the requests that were open when it ran, whose due dates were counted before. On a
/// database whose due dates already follow the table nothing moves and nothing is written
/// but the calendar's version. Several instances starting together take turns (the
/// calendar's lock).
pub async fn recount_at_start(state: &AppState) -> ServerResult<Vec<MovedDueDate>> {
    let mut tx = Tx::begin(state, "holiday.recount_at_start").await?;
    holidays::lock_for_change(tx.conn()?).await?;
    let moved = registrations::recount_open_due_dates(&mut tx).await?;
    for m in &moved {
        let object = format!("registration:{}", m.id.as_str());
        tx.audit(audit_record(
            None,
            "registration.due_date_moved",
            &object,
            None,
            false,
        ));
    }
    tx.commit().await?;
    if !moved.is_empty() {
        tracing::info!(
            moved = moved.len(),
            "due dates of open requests counted again on the holiday table"
        );
    }
    Ok(moved)
}

fn set_by(by: Option<&Actor>) -> String {
    match by {
        Some(actor) => format!("account:{}", actor.account.as_str()),
        None => "operator".into(),
    }
}

fn audit(tx: &mut Tx, by: Option<&Actor>, action: &str, day: NaiveDate, moved: &[MovedDueDate]) {
    let object = format!("holiday:{}", day.format("%Y-%m-%d"));
    tx.audit(audit_record(by, action, &object, None, false));
    for m in moved {
        let object = format!("registration:{}", m.id.as_str());
        tx.audit(audit_record(
            by,
            "registration.due_date_moved",
            &object,
            None,
            false,
        ));
    }
}

fn holiday(row: HolidayRow) -> ServerResult<Holiday> {
    Ok(Holiday {
        day: parse_stored(NaiveDate::parse_from_str(&row.day, "%Y-%m-%d"))?,
        kind: from_word(&row.kind)?,
        name_vi: row.name_vi,
        name_en: row.name_en,
        set_by: row.set_by,
        set_at: row.set_at,
    })
}

/// The weekday of `day` in Vietnamese, for listings ("Thứ Hai" … "Chủ nhật").
pub fn weekday_vi(day: NaiveDate) -> &'static str {
    match day.weekday() {
        chrono::Weekday::Mon => "Thứ Hai",
        chrono::Weekday::Tue => "Thứ Ba",
        chrono::Weekday::Wed => "Thứ Tư",
        chrono::Weekday::Thu => "Thứ Năm",
        chrono::Weekday::Fri => "Thứ Sáu",
        chrono::Weekday::Sat => "Thứ Bảy",
        chrono::Weekday::Sun => "Chủ nhật",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_is_read_only_as_yyyy_mm_dd_of_a_real_day() {
        assert_eq!(
            parse_day(" 2027-02-05 "),
            Ok(NaiveDate::from_ymd_opt(2027, 2, 5).unwrap())
        );
        for bad in [
            "",
            "2027-2-5",
            "05/02/2027",
            "2027-02-30",
            "2027-13-01",
            "２０２７-02-05",
            "2027-02-05T00",
            "+2027-02-0",
        ] {
            assert_eq!(
                parse_day(bad),
                Err(HolidayRefusal::MalformedDate),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn every_refusal_says_what_is_wrong_in_both_languages() {
        let day = NaiveDate::from_ymd_opt(2027, 2, 5).unwrap();
        for r in [
            HolidayRefusal::MalformedDate,
            HolidayRefusal::BadName(NameField::Vietnamese, TextProblem::Empty),
            HolidayRefusal::BadName(NameField::English, TextProblem::TooLong { max: 120 }),
            HolidayRefusal::WrongWeekday(CalendarProblem::DayOffOnWeekend),
            HolidayRefusal::WrongWeekday(CalendarProblem::MakeUpOnWeekday),
            HolidayRefusal::AlreadyInTable(day),
            HolidayRefusal::NotInTable(day),
        ] {
            assert!(r.code().starts_with("holiday."));
            assert_ne!(r.message_vi(), r.message_en());
            assert!(!r.message_vi().is_empty() && !r.message_en().is_empty());
        }
    }
}
