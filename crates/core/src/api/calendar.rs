//! The working-day calendar's table, as changed at the officer console.

use serde::{Deserialize, Serialize};

use crate::calendar::HolidayKind;

/// A change to the table of days off and make-up working days that a calendar keeper asks
/// for at the console and confirms on their phone (kind `change_holiday_table`). Dates and
/// names are as typed: the server parses and checks them when it is asked and again when the
/// phone confirms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum HolidayTableChange {
    /// Add a day.
    Add {
        /// `YYYY-MM-DD`.
        day: String,
        /// A weekday off, or a Saturday or Sunday worked in exchange.
        kind: HolidayKind,
        /// Its name in Vietnamese.
        name_vi: String,
        /// Its name in English.
        name_en: String,
    },
    /// Remove a day.
    Remove {
        /// `YYYY-MM-DD`.
        day: String,
    },
}

impl HolidayTableChange {
    /// The day it is about, as typed.
    pub fn day(&self) -> &str {
        match self {
            HolidayTableChange::Add { day, .. } | HolidayTableChange::Remove { day } => day,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_reads_as_the_console_sends_it() {
        let add: HolidayTableChange = serde_json::from_str(
            r#"{"change":"add","day":"2027-05-03","kind":"day_off","name_vi":"Nghỉ bù","name_en":"Day off in lieu"}"#,
        )
        .unwrap();
        assert_eq!(add.day(), "2027-05-03");
        let remove: HolidayTableChange =
            serde_json::from_str(r#"{"change":"remove","day":"2027-05-03"}"#).unwrap();
        assert_eq!(
            remove,
            HolidayTableChange::Remove {
                day: "2027-05-03".into()
            }
        );
        assert!(serde_json::from_str::<HolidayTableChange>(r#"{"change":"move"}"#).is_err());
    }
}
