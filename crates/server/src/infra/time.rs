//! Unix seconds, as stored, to the wire's RFC 3339 timestamps.

use dinhdanh_core::api::Timestamp;

/// A stored time as a wire timestamp (the epoch for an impossible value).
pub fn timestamp(unix: i64) -> Timestamp {
    chrono::DateTime::from_timestamp(unix, 0).unwrap_or_default()
}
