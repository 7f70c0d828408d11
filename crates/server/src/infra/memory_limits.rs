//! Rate-limit counts kept in one instance's memory: for limits that need no sharing between
//! instances and must cost no database write (challenge issuance). The database's buckets
//! are in [`crate::infra::rate_limit`].

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use dinhdanh_core::api::{ApiError, ErrorCode};

use crate::infra::error::{ServerError, ServerResult};

/// Fixed-window counts kept in this instance's memory, for limits that need no sharing
/// between instances (each instance then allows the limit on its own) and must cost no
/// database write: challenge issuance. Swept with the database's expired rows
/// (`store::sweep`), so it holds only the keys of the current window.
///
/// Hand-written rather than `governor`: the windows are counted on the server's clock (which
/// tests move), like the database's buckets, and the map needs the periodic sweep anyway.
#[derive(Default)]
pub struct MemoryBuckets(Mutex<HashMap<String, (i64, i64)>>);

impl MemoryBuckets {
    fn map(&self) -> MutexGuard<'_, HashMap<String, (i64, i64)>> {
        // A panic while holding the lock leaves counts behind at worst: still usable.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts one hit on `key` in the window of `window_secs` holding `now`; refuses it
    /// (`rate_limited`, with the seconds until the window ends) beyond `limit` hits.
    pub fn hit(&self, now: i64, window_secs: i64, key: &str, limit: i64) -> ServerResult<()> {
        self.count(now, window_secs, key, limit, 1)
    }

    /// Refuses like [`MemoryBuckets::hit`] once `key` holds `limit` hits, without counting
    /// one: for limits on failures, checked before the work and counted when it fails.
    pub fn check(&self, now: i64, window_secs: i64, key: &str, limit: i64) -> ServerResult<()> {
        self.count(now, window_secs, key, limit, 0)
    }

    fn count(
        &self,
        now: i64,
        window_secs: i64,
        key: &str,
        limit: i64,
        add: i64,
    ) -> ServerResult<()> {
        let window = window_secs.max(1);
        let window_start = now - now.rem_euclid(window);
        let mut map = self.map();
        let entry = map.entry(key.to_owned()).or_insert((window_start, 0));
        if entry.0 != window_start {
            *entry = (window_start, 0);
        }
        if entry.1 >= limit {
            // The key's first word only: the rest names an address or an account.
            let kind = key.split(':').next().unwrap_or_default();
            tracing::info!(bucket = kind, "rate limit reached");
            let retry = u64::try_from(window_start + window - now).unwrap_or(1);
            return Err(ServerError::from(
                ApiError::new(ErrorCode::RateLimited).with_retry_after(retry.max(1)),
            ));
        }
        entry.1 += add;
        Ok(())
    }

    /// Forgets the keys whose window ended before `now`; returns how many are left.
    pub fn sweep(&self, now: i64, window_secs: i64) -> usize {
        let window = window_secs.max(1);
        let current = now - now.rem_euclid(window);
        let mut map = self.map();
        map.retain(|_, (start, _)| *start >= current);
        map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_beyond_the_limit_are_refused_until_the_window_ends_and_sweeps_forget_ended_windows() {
        let buckets = MemoryBuckets::default();
        let start = 1_000_000 - 1_000_000 % 300;
        for _ in 0..3 {
            assert!(
                buckets
                    .hit(start + 10, 300, "challenges:ip:192.0.2.1", 3)
                    .is_ok()
            );
        }
        let refused = buckets.hit(start + 10, 300, "challenges:ip:192.0.2.1", 3);
        assert!(refused.is_err_and(|e| e.is(ErrorCode::RateLimited)));
        // Another key has its own count.
        assert!(
            buckets
                .hit(start + 10, 300, "challenges:ip:192.0.2.2", 3)
                .is_ok()
        );
        // The next window starts afresh; the sweep keeps only its keys.
        assert!(
            buckets
                .hit(start + 300, 300, "challenges:ip:192.0.2.1", 3)
                .is_ok()
        );
        assert_eq!(buckets.sweep(start + 300, 300), 1);
        assert_eq!(buckets.sweep(start + 600, 300), 0);
    }
}
