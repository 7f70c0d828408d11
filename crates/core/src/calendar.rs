//! Vietnam's working-day calendar, as public offices keep it: Monday to Friday, except the
//! days off the government announces each year (Labour Code 2019, Art. 112: Tết Dương lịch,
//! Tết Nguyên đán, Giỗ Tổ Hùng Vương, 30/4, 1/5, Quốc khánh and its adjacent day, the
//! compensatory days of Art. 111(3), and the days swapped to make longer breaks), plus the
//! Saturdays worked in exchange for a swapped day ("ngày làm bù").
//!
//! Pure: the days come from whoever holds the table (the server's `holidays`), so the same
//! arithmetic runs wherever a due date is counted.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// What a day in the table is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayKind {
    /// A weekday offices are closed (a public holiday, a compensatory or swapped day off).
    DayOff,
    /// A Saturday or Sunday offices work, in exchange for a swapped day off.
    MakeUpWorkingDay,
}

/// Why a day cannot be of a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CalendarProblem {
    /// A day off on a Saturday or Sunday: offices are closed then anyway; the day off the law
    /// gives for it is the next working day (Art. 111(3)), which is the one to enter.
    DayOffOnWeekend,
    /// A make-up working day on a weekday: only a weekend day can be worked in exchange.
    MakeUpOnWeekday,
}

impl HolidayKind {
    /// Whether `day` can be of this kind.
    pub fn check(self, day: NaiveDate) -> Result<(), CalendarProblem> {
        match (self, is_weekend(day)) {
            (HolidayKind::DayOff, true) => Err(CalendarProblem::DayOffOnWeekend),
            (HolidayKind::MakeUpWorkingDay, false) => Err(CalendarProblem::MakeUpOnWeekday),
            _ => Ok(()),
        }
    }
}

/// Saturday or Sunday: the weekly rest of public offices.
pub fn is_weekend(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The days that differ from the weekly rule: days off on weekdays and weekend days worked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkingCalendar {
    days_off: BTreeSet<NaiveDate>,
    make_up_days: BTreeSet<NaiveDate>,
}

impl WorkingCalendar {
    /// A calendar of `days`. A day of the wrong kind for its weekday (see
    /// [`HolidayKind::check`]) changes nothing: a day off on a Sunday is a day off anyway,
    /// and a weekday is a working day anyway.
    pub fn new(days: impl IntoIterator<Item = (NaiveDate, HolidayKind)>) -> Self {
        let mut calendar = WorkingCalendar::default();
        for (day, kind) in days {
            match kind {
                HolidayKind::DayOff => calendar.days_off.insert(day),
                HolidayKind::MakeUpWorkingDay => calendar.make_up_days.insert(day),
            };
        }
        calendar
    }

    /// Whether public offices work on `day`.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if is_weekend(day) {
            self.make_up_days.contains(&day)
        } else {
            !self.days_off.contains(&day)
        }
    }

    /// The day `n` working days after `from` (the day itself does not count: a request filed
    /// on a working day is counted from the next one).
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut day = from;
        let mut left = n;
        while left > 0 {
            let Some(next) = day.succ_opt() else {
                return day;
            };
            day = next;
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The official days of 2025–2026 around the cases below (the server ships the whole
    /// table; these few are enough for the arithmetic).
    fn official() -> WorkingCalendar {
        let off = |s| (d(s), HolidayKind::DayOff);
        let on = |s| (d(s), HolidayKind::MakeUpWorkingDay);
        WorkingCalendar::new([
            // Tết Ất Tỵ 2025: Mon 27 – Fri 31 January.
            off("2025-01-27"),
            off("2025-01-28"),
            off("2025-01-29"),
            off("2025-01-30"),
            off("2025-01-31"),
            // 30/4–1/5 2025, Friday 2 May swapped for Saturday 26 April.
            on("2025-04-26"),
            off("2025-04-30"),
            off("2025-05-01"),
            off("2025-05-02"),
            // New Year 2026, Friday 2 January swapped for Saturday 10 January.
            off("2026-01-01"),
            off("2026-01-02"),
            on("2026-01-10"),
            // Tết Bính Ngọ 2026: Mon 16 – Fri 20 February.
            off("2026-02-16"),
            off("2026-02-17"),
            off("2026-02-18"),
            off("2026-02-19"),
            off("2026-02-20"),
        ])
    }

    #[test]
    fn without_days_off_three_working_days_skip_the_weekend() {
        let plain = WorkingCalendar::default();
        // Thursday -> Fri, Mon, Tue; Friday -> Mon, Tue, Wed; Saturday -> Mon, Tue, Wed.
        assert_eq!(plain.add_working_days(d("2025-07-17"), 3), d("2025-07-22"));
        assert_eq!(plain.add_working_days(d("2025-07-18"), 3), d("2025-07-23"));
        assert_eq!(plain.add_working_days(d("2025-07-19"), 3), d("2025-07-23"));
        assert_eq!(plain.add_working_days(d("2025-07-14"), 3), d("2025-07-17"));
        assert!(plain.is_working_day(d("2026-02-17")));
    }

    #[test]
    fn a_request_filed_just_before_tet_2026_is_due_after_it() {
        // Thursday 12 February 2026: Fri 13, then Tết (14–22 with its weekends), Mon 23, Tue 24.
        assert_eq!(
            official().add_working_days(d("2026-02-12"), 3),
            d("2026-02-24")
        );
        // Filed on the last working day before it: Mon 23, Tue 24, Wed 25.
        assert_eq!(
            official().add_working_days(d("2026-02-13"), 3),
            d("2026-02-25")
        );
    }

    #[test]
    fn a_request_filed_just_before_tet_2025_is_due_after_it() {
        // Friday 24 January 2025 -> Mon 3, Tue 4, Wed 5 February.
        assert_eq!(
            official().add_working_days(d("2025-01-24"), 3),
            d("2025-02-05")
        );
    }

    #[test]
    fn a_make_up_saturday_counts_and_the_swapped_friday_does_not() {
        // Thursday 24 April 2025 -> Fri 25, Sat 26 (worked), Mon 28.
        assert_eq!(
            official().add_working_days(d("2025-04-24"), 3),
            d("2025-04-28")
        );
        // Tuesday 29 April 2025 -> 30/4, 1/5 and the swapped 2/5 are off: Mon 5, Tue 6, Wed 7.
        assert_eq!(
            official().add_working_days(d("2025-04-29"), 3),
            d("2025-05-07")
        );
        // New Year 2026: Wednesday 31 December 2025 -> Mon 5, Tue 6, Wed 7 January.
        assert_eq!(
            official().add_working_days(d("2025-12-31"), 3),
            d("2026-01-07")
        );
        // Thursday 8 January 2026 -> Fri 9, Sat 10 (worked), Mon 12.
        assert_eq!(
            official().add_working_days(d("2026-01-08"), 3),
            d("2026-01-12")
        );
        assert!(official().is_working_day(d("2026-01-10")));
        assert!(!official().is_working_day(d("2026-01-17")));
    }

    #[test]
    fn a_day_off_must_be_a_weekday_and_a_make_up_day_a_weekend_day() {
        assert_eq!(HolidayKind::DayOff.check(d("2026-02-16")), Ok(()));
        assert_eq!(
            HolidayKind::DayOff.check(d("2026-04-26")),
            Err(CalendarProblem::DayOffOnWeekend)
        );
        assert_eq!(HolidayKind::MakeUpWorkingDay.check(d("2026-01-10")), Ok(()));
        assert_eq!(
            HolidayKind::MakeUpWorkingDay.check(d("2026-01-09")),
            Err(CalendarProblem::MakeUpOnWeekday)
        );
    }

    #[test]
    fn a_day_of_the_wrong_kind_changes_nothing() {
        let odd = WorkingCalendar::new([
            (d("2026-04-26"), HolidayKind::DayOff),
            (d("2026-04-27"), HolidayKind::MakeUpWorkingDay),
        ]);
        assert!(!odd.is_working_day(d("2026-04-26")));
        assert!(odd.is_working_day(d("2026-04-27")));
    }

    #[test]
    fn the_end_of_the_calendar_does_not_loop() {
        assert_eq!(
            WorkingCalendar::default().add_working_days(NaiveDate::MAX, 3),
            NaiveDate::MAX
        );
    }
}
