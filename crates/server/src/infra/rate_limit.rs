//! Rate limits, counted in the database (`rate_limits`) so that several server instances
//! behind one load balancer share the counts: a fixed window per bucket, one atomic
//! `INSERT … ON CONFLICT DO UPDATE … RETURNING` per hit.
//!
//! Buckets are named by what they limit — `ip:<keyed hash of the address>` for unauthenticated
//! routes, `password:<keyed hash of number and source>` and `password_all:<keyed hash>` for
//! wrong passwords against one identification number (whether or not it has an account, so the
//! limit itself reveals nothing), `codes:…` and `code_failures:…` for one-time codes. A bucket
//! name never holds a CCCD number or an address in clear.
//!
//! Password attempts are reserved before the password is checked and given back when it was
//! right ([`PasswordAttempt`]), so only wrong passwords stay counted, and a burst of concurrent
//! guesses gets no more tries than one after the other.

use axum::http::request::Parts;
use dinhdanh_core::api::{ApiError, ErrorCode};
use sqlx::AnyConnection;

use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;

/// Counts one hit on `bucket` and refuses it (`rate_limited`, with the seconds until the
/// window ends) once the window holds more than `limit` hits.
pub async fn hit(state: &AppState, bucket: &str, limit: i64) -> ServerResult<()> {
    let window = state.config.limits.rate_window_secs;
    hit_in_window(state, bucket, limit, window).await.map(drop)
}

/// [`hit`] with a window of its own length (`window_secs`, for limits counted over a day);
/// returns the start of the window the hit was counted in (to give it back with [`give_back`]).
/// On a pool connection of its own: call it before an action's transaction begins.
pub async fn hit_in_window(
    state: &AppState,
    bucket: &str,
    limit: i64,
    window_secs: i64,
) -> ServerResult<i64> {
    let conn = &mut *state.pool.acquire().await?;
    hit_on(conn, state.now(), bucket, limit, window_secs).await
}

/// [`hit_in_window`] on `conn`: a step of an action's transaction (the count then commits, or
/// rolls back, with the action).
pub async fn hit_on(
    conn: &mut AnyConnection,
    now: i64,
    bucket: &str,
    limit: i64,
    window_secs: i64,
) -> ServerResult<i64> {
    let window = window_secs.max(1);
    let window_start = now - now.rem_euclid(window);
    let hits: i64 = sqlx::query_scalar(
        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1 \
         RETURNING hits",
    )
    .bind(bucket)
    .bind(window_start)
    .fetch_one(&mut *conn)
    .await?;
    if hits == 1 {
        // The first hit of a window sweeps this bucket's windows that ended; the periodic
        // sweep (`sweep_ended`) takes every other bucket's.
        sqlx::query("DELETE FROM rate_limits WHERE bucket = $1 AND window_start < $2")
            .bind(bucket)
            .bind(window_start)
            .execute(&mut *conn)
            .await?;
    }
    if hits > limit {
        tracing::info!(bucket = bucket_kind(bucket), "rate limit reached");
        return Err(limited(window_start + window - now));
    }
    Ok(window_start)
}

/// Refuses (`rate_limited`) when `bucket` already holds `limit` hits in the current window of
/// `window_secs`, without counting one.
pub async fn check_on(
    conn: &mut AnyConnection,
    now: i64,
    bucket: &str,
    limit: i64,
    window_secs: i64,
) -> ServerResult<()> {
    let window = window_secs.max(1);
    let window_start = now - now.rem_euclid(window);
    let hits: Option<i64> =
        sqlx::query_scalar("SELECT hits FROM rate_limits WHERE bucket = $1 AND window_start = $2")
            .bind(bucket)
            .bind(window_start)
            .fetch_optional(conn)
            .await?;
    if hits.unwrap_or(0) >= limit {
        tracing::info!(bucket = bucket_kind(bucket), "rate limit reached");
        return Err(limited(window_start + window - now));
    }
    Ok(())
}

/// `rate_limited`, to be tried again in `secs` (at least 1).
pub fn limited(secs: i64) -> ServerError {
    ServerError::from(
        ApiError::new(ErrorCode::RateLimited)
            .with_retry_after(u64::try_from(secs).unwrap_or(1).max(1)),
    )
}

/// Gives back a hit counted in the window starting at `window_start` (an attempt that turned
/// out not to be a failure).
pub async fn give_back(state: &AppState, bucket: &str, window_start: i64) -> ServerResult<()> {
    give_back_on(&mut *state.pool.acquire().await?, bucket, window_start).await
}

/// [`give_back`] on a connection the caller holds.
pub async fn give_back_on(
    conn: &mut sqlx::AnyConnection,
    bucket: &str,
    window_start: i64,
) -> ServerResult<()> {
    sqlx::query(
        "UPDATE rate_limits SET hits = hits - 1 \
         WHERE bucket = $1 AND window_start = $2 AND hits > 0",
    )
    .bind(bucket)
    .bind(window_start)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets the windows that ended before `now`: run by the periodic sweep, off the request
/// path. Windows of a day are kept until their day ends.
pub async fn sweep_ended(state: &AppState, now: i64) -> ServerResult<u64> {
    let window = state.config.limits.rate_window_secs.max(1);
    let mut swept = 0;
    // Ended windows of the usual length (every bucket but the daily ones).
    let short = sqlx::query(
        "DELETE FROM rate_limits WHERE window_start <= $1 \
         AND bucket NOT LIKE 'codes_day:%' AND bucket NOT LIKE 'code_failures:%'",
    )
    .bind(now - window)
    .execute(&state.pool)
    .await?;
    swept += short.rows_affected();
    let daily = sqlx::query("DELETE FROM rate_limits WHERE window_start <= $1")
        .bind(now - window.max(DAY_SECS))
        .execute(&state.pool)
        .await?;
    swept += daily.rows_affected();
    Ok(swept)
}

/// A day, the window of the limits counted per day (buckets `codes_day:…` and
/// `code_failures:…`, which the sweep keeps for a day).
pub const DAY_SECS: i64 = 24 * 60 * 60;

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

/// Where a password attempt comes from: the client's address for a sessionless route, the
/// device for a route in a phone's session.
pub enum Source<'a> {
    /// The peer address of the connection.
    Address(&'a Parts),
    /// The bound device whose session sends the request.
    Device(&'a str),
}

/// Which limits a password attempt counts against.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PasswordRoute {
    /// Sign-in, binding, passcode reset: the number's limit per source, and its limit over
    /// every source (against guesses spread over many addresses).
    Guarded,
    /// Self-lock: the number's limit per source only, so that nobody elsewhere — whoever holds
    /// the lost phone — can keep the owner from locking the account.
    SelfLock,
}

/// A password attempt reserved against the limits: counted as a failure until
/// [`PasswordAttempt::succeeded`] gives it back.
#[must_use = "a right password must give the attempt back"]
pub struct PasswordAttempt {
    counted: Vec<(String, i64)>,
}

impl PasswordAttempt {
    /// Reserves an attempt at the password of the number whose keyed hash is `citizen_key`
    /// (the `citizen_key`), from `source`: refused (`rate_limited`) once the number has
    /// [`Limits::login_attempts_per_account`](crate::infra::config::Limits) wrong passwords
    /// from this source in the window, or (for [`PasswordRoute::Guarded`])
    /// [`Limits::password_failures_all_sources`](crate::infra::config::Limits) from all. Sign-in,
    /// binding, passcode reset and self-lock share the per-source count, so spreading guesses
    /// over routes gains nothing. Call it before the action's transaction begins.
    pub async fn reserve(
        state: &AppState,
        citizen_key: &[u8],
        source: Source<'_>,
        route: PasswordRoute,
    ) -> ServerResult<PasswordAttempt> {
        let limits = &state.config.limits;
        let source_key = match source {
            Source::Address(parts) => {
                let ip = client_ip(parts);
                state
                    .keys
                    .keyed_hash(&[b"password\0ip\0", citizen_key, b"\0", ip.as_bytes()])
            }
            Source::Device(device) => state.keys.keyed_hash(&[
                b"password\0device\0",
                citizen_key,
                b"\0",
                device.as_bytes(),
            ]),
        };
        let mut attempt = PasswordAttempt {
            counted: Vec::new(),
        };
        let mut buckets = vec![(
            format!("password:{}", hex(&source_key)),
            limits.login_attempts_per_account,
        )];
        if route == PasswordRoute::Guarded {
            buckets.push((
                format!("password_all:{}", hex(citizen_key)),
                limits.password_failures_all_sources,
            ));
        }
        for (bucket, limit) in buckets {
            match hit_in_window(state, &bucket, limit, limits.rate_window_secs).await {
                Ok(window_start) => attempt.counted.push((bucket, window_start)),
                Err(e) => {
                    // Refused: what was reserved for it is given back (it was no attempt).
                    attempt.succeeded(state).await?;
                    return Err(e);
                }
            }
        }
        Ok(attempt)
    }

    /// The password was right: the attempt is given back.
    pub async fn succeeded(self, state: &AppState) -> ServerResult<()> {
        for (bucket, window_start) in &self.counted {
            give_back(state, bucket, *window_start).await?;
        }
        Ok(())
    }

    /// The password was wrong: the attempt stays counted.
    pub fn failed(self) {}
}

/// Where a sessionless request comes from, for a limit kept in memory: the client's address
/// ([`client_ip`]: behind a trusted proxy, the one it forwarded), or for IPv6 its /64 network
/// (one subscriber usually holds a whole /64).
pub fn source_network(parts: &Parts) -> String {
    match crate::infra::client_address::client_addr(parts).map(|ip| ip.to_canonical()) {
        Some(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("ip6:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(ip) => format!("ip:{ip}"),
        None => "ip:unknown".to_owned(),
    }
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

/// Lower-case hex: bucket names made of keyed hashes, attachment file names, backup digests.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn ipv6_sources_are_counted_by_their_64_network_and_ipv4_by_address() {
        use std::net::SocketAddr;
        let source = |addr: &str| {
            let mut req = axum::http::Request::new(());
            req.extensions_mut().insert(axum::extract::ConnectInfo(
                addr.parse::<SocketAddr>().unwrap(),
            ));
            super::source_network(&req.into_parts().0)
        };
        assert_eq!(
            source("[2001:db8:1:2:aaaa::1]:443"),
            source("[2001:db8:1:2:bbbb::7]:443")
        );
        assert_ne!(
            source("[2001:db8:1:2::1]:443"),
            source("[2001:db8:1:3::1]:443")
        );
        assert_eq!(source("192.0.2.1:443"), "ip:192.0.2.1");
        // An IPv4 address mapped into IPv6 counts as the IPv4 address.
        assert_eq!(source("[::ffff:192.0.2.1]:443"), "ip:192.0.2.1");
        assert_ne!(source("192.0.2.1:443"), source("192.0.2.2:443"));
    }

    #[test]
    fn bucket_names_are_logged_by_kind_only() {
        assert_eq!(super::bucket_kind("password:00ff"), "password");
        assert_eq!(super::hex(&[0, 255, 16]), "00ff10");
    }
}
