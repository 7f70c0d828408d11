//! Dates and working days: the legal due dates of Decree 69/2024, Art. 13, counted in
//! Vietnam's calendar (UTC+7) on the operator-maintained table of days off and make-up working
//! days (`holidays`, migration 0010; the arithmetic is the core's
//! [`dinhdanh_core::calendar::WorkingCalendar`]).
//!
//! The table is read in the transaction of the action that counts a due date, after the
//! calendar's lock ([`crate::store::holidays::lock_for_reading`]): every instance sharing a
//! PostgreSQL database sees a change the moment it commits, with no cache to invalidate, and
//! a change to the table (which counts the open requests' due dates again) never runs beside
//! an action counting one on the old days.

use chrono::NaiveDate;
use dinhdanh_core::api::RegistrationStatus;
use dinhdanh_core::calendar::{HolidayKind, WorkingCalendar};
use dinhdanh_core::ids::RegistrationId;
use dinhdanh_core::org_type::OrgType;
use dinhdanh_core::registration::lifecycle::{self, Deadline};

use super::{REGISTRY_DUE_WORKING_DAYS, VERIFICATION_DUE_DAYS};
use crate::infra::error::ServerResult;
use crate::infra::time::timestamp;
use crate::store::holidays;
use crate::store::registrations as store;
use crate::store::tx::Tx;
use crate::store::values::{from_word, parse_stored};

/// Vietnam's offset from UTC (no daylight saving).
const VIETNAM_OFFSET_SECS: i64 = 7 * 3600;

/// The date in Vietnam at Unix time `unix`.
pub fn vietnam_date(unix: i64) -> NaiveDate {
    timestamp(unix + VIETNAM_OFFSET_SECS).date_naive()
}

/// The legal due date of a request submitted at `submitted_at` under `deadline`: 3 working
/// days of `calendar` when the registry settles it, 15 days when an officer verifies it.
pub fn due_date(calendar: &WorkingCalendar, submitted_at: i64, deadline: Deadline) -> NaiveDate {
    let day = vietnam_date(submitted_at);
    match deadline {
        Deadline::OfficerVerifies => day
            .checked_add_days(chrono::Days::new(VERIFICATION_DUE_DAYS))
            .unwrap_or(day),
        Deadline::RegistrySettles => calendar.add_working_days(day, REGISTRY_DUE_WORKING_DAYS),
    }
}

/// The calendar from `from` on, read in the action's transaction under the calendar's lock.
pub async fn calendar_from(tx: &mut Tx, from: NaiveDate) -> ServerResult<WorkingCalendar> {
    let backend = tx.backend();
    holidays::lock_for_reading(tx.conn()?, backend).await?;
    let rows = holidays::from_day(tx.conn()?, &stored_date(from)).await?;
    let mut days = Vec::with_capacity(rows.len());
    for row in rows {
        days.push((parse_date(&row.day)?, from_word::<HolidayKind>(&row.kind)?));
    }
    Ok(WorkingCalendar::new(days))
}

/// The due date of a request submitted at `submitted_at`, on the stored calendar.
pub(super) async fn due_date_in(
    tx: &mut Tx,
    submitted_at: i64,
    deadline: Deadline,
) -> ServerResult<NaiveDate> {
    let calendar = calendar_from(tx, vietnam_date(submitted_at)).await?;
    Ok(due_date(&calendar, submitted_at, deadline))
}

/// An open request whose due date moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MovedDueDate {
    /// The request.
    pub id: RegistrationId,
    /// Its due date before.
    pub was: NaiveDate,
    /// Its due date now.
    pub now: NaiveDate,
}

/// Counts the due date of every open request again on the calendar as `tx` now sees it, and
/// stores those that moved; decided requests keep theirs. Called by a change to the table, in
/// its transaction after the change (which holds the calendar's lock), so no action can file
/// a request on the old days meanwhile. Each request's deadline is read back from its status
/// ([`lifecycle::deadline`]).
pub async fn recount_open_due_dates(tx: &mut Tx) -> ServerResult<Vec<MovedDueDate>> {
    let open = store::open_due_dates(tx.conn()?).await?;
    let Some(first) = open.iter().map(|r| r.submitted_at).min() else {
        return Ok(Vec::new());
    };
    let calendar = calendar_from(tx, vietnam_date(first)).await?;
    let mut moved = Vec::new();
    for row in open {
        let org_type: OrgType = from_word(&row.org_type)?;
        let status: RegistrationStatus = from_word(&row.status)?;
        let Some(deadline) = lifecycle::deadline(org_type, status) else {
            continue;
        };
        let was = parse_date(&row.due_on)?;
        let now = due_date(&calendar, row.submitted_at, deadline);
        if now != was && store::set_open_due_on(tx.conn()?, &row.id, &stored_date(now)).await? {
            moved.push(MovedDueDate {
                id: parse_stored(RegistrationId::parse(&row.id))?,
                was,
                now,
            });
        }
    }
    Ok(moved)
}

/// How many working days of `calendar` lie after `from` up to and including `to` (0 when `to`
/// is not after `from`): the console's countdown to a due date, and how late a request is.
pub fn working_days_between(calendar: &WorkingCalendar, from: NaiveDate, to: NaiveDate) -> u32 {
    from.iter_days()
        .skip(1)
        .take_while(|d| *d <= to)
        .filter(|d| calendar.is_working_day(*d))
        .count()
        .try_into()
        .unwrap_or(u32::MAX)
}

/// The calendar from `from` on, for showing a countdown (the console's queue): read outside
/// any action's transaction and without the calendar's lock, since nothing is stored from it.
pub async fn calendar_for_display(
    conn: &mut sqlx::AnyConnection,
    from: NaiveDate,
) -> ServerResult<WorkingCalendar> {
    let rows = holidays::from_day(conn, &stored_date(from)).await?;
    let mut days = Vec::with_capacity(rows.len());
    for row in rows {
        days.push((parse_date(&row.day)?, from_word::<HolidayKind>(&row.kind)?));
    }
    Ok(WorkingCalendar::new(days))
}

/// A stored date (`YYYY-MM-DD`).
pub fn stored_date(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// A stored date read back.
pub fn parse_date(text: &str) -> ServerResult<NaiveDate> {
    parse_stored(NaiveDate::parse_from_str(text, "%Y-%m-%d"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn working_days_between_counts_after_the_first_day_up_to_the_last() {
        let calendar = WorkingCalendar::new([(d("2025-09-02"), HolidayKind::DayOff)]);
        // Thursday to the next Tuesday: Friday, Monday, Tuesday.
        assert_eq!(
            working_days_between(&calendar, d("2025-07-17"), d("2025-07-22")),
            3
        );
        assert_eq!(
            working_days_between(&calendar, d("2025-07-17"), d("2025-07-17")),
            0
        );
        assert_eq!(
            working_days_between(&calendar, d("2025-07-22"), d("2025-07-17")),
            0
        );
        // Saturday to Sunday: none.
        assert_eq!(
            working_days_between(&calendar, d("2025-07-19"), d("2025-07-20")),
            0
        );
        // Across a day off of the table.
        assert_eq!(
            working_days_between(&calendar, d("2025-09-01"), d("2025-09-03")),
            1
        );
        // Agrees with the calendar's own arithmetic.
        let from = d("2025-08-29");
        let due = calendar.add_working_days(from, 3);
        assert_eq!(working_days_between(&calendar, from, due), 3);
    }

    #[test]
    fn dates_are_vietnams() {
        // 2025-07-17 18:00 UTC is already the 18th in Hà Nội.
        let t = chrono::NaiveDateTime::parse_from_str("2025-07-17 18:00", "%Y-%m-%d %H:%M")
            .unwrap()
            .and_utc()
            .timestamp();
        assert_eq!(vietnam_date(t), d("2025-07-18"));
        let plain = WorkingCalendar::default();
        assert_eq!(
            due_date(&plain, t, Deadline::OfficerVerifies),
            d("2025-08-02")
        );
        assert_eq!(
            due_date(&plain, t, Deadline::RegistrySettles),
            d("2025-07-23")
        );
    }

    #[test]
    fn only_the_working_day_deadline_follows_the_calendar() {
        // Thursday 12 February 2026, 09:00 in Hà Nội; Tết is 16–20 February.
        let t = chrono::NaiveDateTime::parse_from_str("2026-02-12 02:00", "%Y-%m-%d %H:%M")
            .unwrap()
            .and_utc()
            .timestamp();
        let tet = WorkingCalendar::new(
            [
                "2026-02-16",
                "2026-02-17",
                "2026-02-18",
                "2026-02-19",
                "2026-02-20",
            ]
            .map(|s| (d(s), HolidayKind::DayOff)),
        );
        assert_eq!(
            due_date(&tet, t, Deadline::RegistrySettles),
            d("2026-02-24")
        );
        assert_eq!(
            due_date(&tet, t, Deadline::OfficerVerifies),
            d("2026-02-27")
        );
    }
}
