//! Formatting for people: dates and times in Vietnamese order, countdowns, and when the QR
//! code on the desktop asks for a fresh one.

use chrono::{DateTime, FixedOffset, NaiveDate, Offset, Utc};
use serde::Serialize;

/// Vietnam's time zone (UTC+7, no daylight saving): times are shown as people there read them.
fn vietnam() -> FixedOffset {
    // 7 hours is in range, so this is always `Some`; UTC is the harmless fallback.
    FixedOffset::east_opt(7 * 3600).unwrap_or_else(|| Utc.fix())
}

/// The serde name of a unit enum value (`approved`, `registration_approved`), as element
/// classes and `data-` attributes carry it; empty for anything else.
pub fn serde_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// `dd/mm/yyyy`, the way dates are written in Vietnam.
pub fn date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// `HH:MM dd/mm/yyyy` in Vietnam's time.
pub fn time(t: DateTime<Utc>) -> String {
    t.with_timezone(&vietnam())
        .format("%H:%M %d/%m/%Y")
        .to_string()
}

/// Seconds left until `expires_at` (Unix seconds), never negative.
pub fn seconds_left(expires_at: i64, now: i64) -> i64 {
    (expires_at - now).max(0)
}

/// `m:ss` for a countdown.
pub fn countdown(seconds: i64) -> String {
    let s = seconds.max(0);
    format!("{}:{:02}", s / 60, s % 60)
}

/// How long before expiry the desktop asks for a new QR code, so the one on screen is never a
/// dead one when the phone scans it.
pub const QR_REFRESH_BEFORE_SECS: i64 = 5;

/// Whether the QR code on screen should be replaced now.
pub fn qr_needs_refresh(expires_at: i64, now: i64) -> bool {
    seconds_left(expires_at, now) <= QR_REFRESH_BEFORE_SECS
}

/// Today's date from Unix milliseconds, in Vietnam (the date a person there calls today).
pub fn today_from_millis(millis: f64) -> NaiveDate {
    let secs = (millis / 1000.0).floor() as i64;
    DateTime::<Utc>::from_timestamp(secs, 0)
        .unwrap_or_default()
        .with_timezone(&vietnam())
        .date_naive()
}

/// A label someone else chose (a computer's name, its operating system, a device's name), as
/// the screens show it: through the core's text policy ([`dinhdanh_core::text::shown`]), so a
/// bidirectional override or an invisible character shows as � instead of disguising it.
pub fn label(text: &str) -> String {
    dinhdanh_core::text::shown(text, dinhdanh_core::text::MAX_LABEL_CHARS * 2, false)
}

/// A message someone else wrote (an officer's question or reason, an answer), as the screens
/// show it, newlines kept: through the core's text policy like [`label`].
pub fn message(text: &str) -> String {
    dinhdanh_core::text::shown(text, dinhdanh_core::text::MAX_MESSAGE_CHARS, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_values_are_named_as_on_the_wire() {
        use dinhdanh_core::api::RegistrationStatus;
        assert_eq!(
            serde_name(&RegistrationStatus::AwaitingOfficer),
            "awaiting_officer"
        );
        assert_eq!(serde_name(&42), "");
    }

    #[test]
    fn dates_are_written_day_first() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        assert_eq!(date(d), "09/03/2026");
    }

    #[test]
    fn times_are_shown_in_vietnam_time() {
        let t = DateTime::<Utc>::from_timestamp(1_767_225_600, 0).unwrap(); // 2026-01-01 00:00Z
        assert_eq!(time(t), "07:00 01/01/2026");
    }

    #[test]
    fn the_countdown_never_goes_below_zero() {
        assert_eq!(countdown(seconds_left(100, 35)), "1:05");
        assert_eq!(countdown(seconds_left(100, 130)), "0:00");
    }

    #[test]
    fn the_qr_code_is_replaced_five_seconds_before_it_expires() {
        assert!(!qr_needs_refresh(1000, 994));
        assert!(qr_needs_refresh(1000, 995));
        assert!(qr_needs_refresh(1000, 2000));
    }

    #[test]
    fn today_is_the_date_in_vietnam() {
        // 2026-01-01 18:00 UTC is already 2 January in Hà Nội.
        let millis = 1_767_290_400_000.0;
        assert_eq!(
            today_from_millis(millis),
            NaiveDate::from_ymd_opt(2026, 1, 2).unwrap()
        );
    }
}
