//! Dates and working days: the legal due dates of Decree 69/2024, Art. 13, counted in
//! Vietnam's calendar (UTC+7). Working days skip Saturdays, Sundays and the fixed-date public
//! holidays; the lunar-calendar holidays are not modelled yet.

use chrono::{Datelike, NaiveDate, Weekday};

use super::{REGISTRY_DUE_WORKING_DAYS, VERIFICATION_DUE_DAYS};
use crate::infra::time::timestamp;

/// Vietnam's offset from UTC (no daylight saving).
const VIETNAM_OFFSET_SECS: i64 = 7 * 3600;

/// The date in Vietnam at Unix time `unix`.
pub fn vietnam_date(unix: i64) -> NaiveDate {
    timestamp(unix + VIETNAM_OFFSET_SECS).date_naive()
}

/// Whether public offices work on `day`: Monday to Friday, except the fixed-date public
/// holidays of the Labour Code 2019, Art. 112 (lunar-calendar holidays are not modelled).
pub fn is_working_day(day: NaiveDate) -> bool {
    let fixed_holiday = matches!((day.month(), day.day()), (1, 1) | (4, 30) | (5, 1) | (9, 2));
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !fixed_holiday
}

/// The day `n` working days after `from` (the day of submission does not count).
pub fn add_working_days(from: NaiveDate, n: u32) -> NaiveDate {
    let mut day = from;
    let mut left = n;
    while left > 0 {
        day = day.succ_opt().unwrap_or(day);
        if is_working_day(day) {
            left -= 1;
        }
    }
    day
}

/// The legal due date of a request submitted at `submitted_at`: 3 working days when the
/// registry settles it, 15 days when an officer verifies it.
pub fn due_date(submitted_at: i64, officer_verifies: bool) -> NaiveDate {
    let day = vietnam_date(submitted_at);
    if officer_verifies {
        day.checked_add_days(chrono::Days::new(VERIFICATION_DUE_DAYS))
            .unwrap_or(day)
    } else {
        add_working_days(day, REGISTRY_DUE_WORKING_DAYS)
    }
}

/// A stored date (`YYYY-MM-DD`).
pub(super) fn stored_date(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// A stored date read back.
pub(super) fn parse_date(text: &str) -> crate::infra::error::ServerResult<NaiveDate> {
    crate::store::values::parse_stored(NaiveDate::parse_from_str(text, "%Y-%m-%d"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn three_working_days_skip_the_weekend() {
        // Thursday 2025-07-17 -> Fri, Mon, Tue.
        assert_eq!(add_working_days(d("2025-07-17"), 3), d("2025-07-22"));
        // Friday -> Mon, Tue, Wed.
        assert_eq!(add_working_days(d("2025-07-18"), 3), d("2025-07-23"));
        // Saturday -> Mon, Tue, Wed.
        assert_eq!(add_working_days(d("2025-07-19"), 3), d("2025-07-23"));
        // Monday -> Tue, Wed, Thu.
        assert_eq!(add_working_days(d("2025-07-14"), 3), d("2025-07-17"));
    }

    #[test]
    fn fixed_date_public_holidays_are_not_working_days() {
        // Tuesday 29 April 2025: 30 April and 1 May (Wed, Thu) are holidays.
        assert_eq!(add_working_days(d("2025-04-29"), 3), d("2025-05-06"));
        assert!(!is_working_day(d("2025-09-02")));
        assert!(is_working_day(d("2025-09-03")));
    }

    #[test]
    fn dates_are_vietnams() {
        // 2025-07-17 18:00 UTC is already the 18th in Hà Nội.
        let t = chrono::NaiveDateTime::parse_from_str("2025-07-17 18:00", "%Y-%m-%d %H:%M")
            .unwrap()
            .and_utc()
            .timestamp();
        assert_eq!(vietnam_date(t), d("2025-07-18"));
        assert_eq!(due_date(t, true), d("2025-08-02"));
        assert_eq!(due_date(t, false), d("2025-07-23"));
    }
}
