//! Rate limits, counted in the database (`rate_limits`) so that several server instances
//! behind one load balancer share the counts: a fixed window per bucket, one atomic
//! `INSERT … ON CONFLICT DO UPDATE … RETURNING` per hit.
//!
//! Buckets are named by what they limit — `ip:<keyed hash of the address>` for unauthenticated
//! routes,
//! `password:<keyed hash>` for password attempts against one identification number (whether or
//! not it has an account, so the limit itself reveals nothing). A bucket name never holds a
//! CCCD number in clear.

use axum::http::request::Parts;
use dinhdanh_core::api::{ApiError, ErrorCode};

use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;

/// Counts one hit on `bucket` and refuses it (`rate_limited`, with the seconds until the
/// window ends) once the window holds more than `limit` hits.
pub async fn hit(state: &AppState, bucket: &str, limit: i64) -> ServerResult<()> {
    let now = state.now();
    let window = state.config.limits.rate_window_secs.max(1);
    let window_start = now - now.rem_euclid(window);
    let hits: i64 = sqlx::query_scalar(
        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1 \
         RETURNING hits",
    )
    .bind(bucket)
    .bind(window_start)
    .fetch_one(&state.pool)
    .await?;
    if hits == 1 {
        // The first hit of a window sweeps the windows that ended, for this bucket and (now and
        // then) for all: the table stays small without a background task.
        sqlx::query("DELETE FROM rate_limits WHERE bucket = $1 AND window_start < $2")
            .bind(bucket)
            .bind(window_start)
            .execute(&state.pool)
            .await?;
        if crate::infra::ids::random_bytes::<1>()[0] < 4 {
            sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
                .bind(window_start)
                .execute(&state.pool)
                .await?;
        }
    }
    if hits > limit {
        let retry = u64::try_from(window_start + window - now)
            .unwrap_or(1)
            .max(1);
        tracing::info!(bucket = bucket_kind(bucket), "rate limit reached");
        return Err(ServerError::from(
            ApiError::new(ErrorCode::RateLimited).with_retry_after(retry),
        ));
    }
    Ok(())
}

/// Counts a request to an unauthenticated route from the client's address.
pub async fn per_ip(state: &AppState, parts: &Parts) -> ServerResult<()> {
    // The address is personal data (Decree 13/2023): the bucket holds its keyed hash.
    let ip = client_ip(parts);
    let key = state.keys.keyed_hash(&[b"ip\0", ip.as_bytes()]);
    hit(
        state,
        &format!("ip:{}", hex(&key)),
        state.config.limits.requests_per_ip,
    )
    .await
}

/// Counts a password attempt against one identification number, by its keyed hash (the
/// `citizen_key`). Sign-in, device binding, passcode reset and self-lock share the bucket, so
/// spreading guesses over routes gains nothing.
pub async fn per_account(state: &AppState, citizen_key: &[u8]) -> ServerResult<()> {
    hit(
        state,
        &format!("password:{}", hex(citizen_key)),
        state.config.limits.login_attempts_per_account,
    )
    .await
}

/// The client's address: the peer of the connection, or, when that is a configured reverse
/// proxy (`--trusted-proxy`), the address it forwarded ([`crate::infra::client_address`]).
pub fn client_ip(parts: &Parts) -> String {
    crate::infra::client_address::client_addr(parts)
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

fn bucket_kind(bucket: &str) -> &str {
    bucket.split_once(':').map_or(bucket, |(kind, _)| kind)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn bucket_names_are_logged_by_kind_only() {
        assert_eq!(super::bucket_kind("password:00ff"), "password");
        assert_eq!(super::hex(&[0, 255, 16]), "00ff10");
    }
}
