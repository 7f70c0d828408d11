//! The periodic sweep: forgets expired challenges, one-time codes and proof nonces, ended
//! rate-limit windows and the in-memory counts of ended windows, and old live events, and ends
//! the sign-ins at relying parties of delegations past their last day
//! (`store::oidc_logouts`), in the background every `config.sweep_interval`, so that no
//! request pays for it (issue 14, finding 3; the nonces, issue 18). Each delete reads an index
//! on its expiry column (migrations 0006, 0012 and 0019).

use crate::infra::error::ServerResult;
use crate::infra::rate_limit;
use crate::infra::state::AppState;

/// How long an expired challenge is kept before it is forgotten: until then it answers
/// `challenge_expired` rather than `challenge_invalid`.
pub const EXPIRED_CHALLENGE_GRACE_SECS: i64 = 300;

/// What one sweep removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Challenges expired for longer than [`EXPIRED_CHALLENGE_GRACE_SECS`].
    pub challenges: u64,
    /// One-time codes expired.
    pub codes: u64,
    /// Rate-limit windows ended (in the database).
    pub rate_windows: u64,
    /// Sign-ins at relying parties ended because the person may no longer act as signed in
    /// (chiefly a delegation past its last day): their tokens revoked, back-channel logouts
    /// queued.
    pub sign_ins_ended: usize,
    /// Officer console sessions ended by time (idle or past their absolute end).
    pub console_sessions: u64,
    /// Request-proof, client-assertion and DPoP nonces no proof can use any more.
    pub proof_nonces: u64,
    /// Live events older than [`LIVE_EVENT_KEEP_SECS`].
    pub live_events: u64,
}

/// How long a live event is kept: a stream reads its events within seconds; a day leaves room
/// for an instance that was stopped for a while.
pub const LIVE_EVENT_KEEP_SECS: i64 = 24 * 3600;

/// Sweeps once, at the server's `now`.
pub async fn sweep_now(state: &AppState) -> ServerResult<Swept> {
    let now = state.now();
    // These two take their own connections: run before this one holds one (with every
    // connection held by a task waiting for another, all would wait).
    let rate_windows = rate_limit::sweep_ended(state, now).await?;
    let sign_ins_ended = crate::store::oidc_logouts::end_lapsed_sign_ins(state).await?;
    let conn = &mut *state.pool.acquire().await?;
    let challenges =
        crate::store::challenges::sweep_expired(conn, now - EXPIRED_CHALLENGE_GRACE_SECS).await?;
    let codes = crate::store::one_time_codes::sweep_expired(conn, now).await?;
    let console_sessions = crate::store::console_sessions::sweep_expired(
        conn,
        now - crate::store::console_sessions::IDLE_SECS,
        now,
    )
    .await?;
    let proof_nonces = crate::store::proof_nonces::sweep_expired(conn, now).await?;
    let live_events =
        crate::store::live_events::sweep_before(conn, now - LIVE_EVENT_KEEP_SECS).await?;
    state
        .memory_limits
        .sweep(now, state.config.limits.rate_window_secs);
    Ok(Swept {
        challenges,
        codes,
        rate_windows,
        sign_ins_ended,
        console_sessions,
        proof_nonces,
        live_events,
    })
}

/// Sweeps every `config.sweep_interval` until the task is aborted. A failed sweep is logged
/// and tried again at the next tick.
pub async fn run(state: AppState) {
    let mut ticks = tokio::time::interval(state.config.sweep_interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is at once: skip it, the server has just started.
    ticks.tick().await;
    loop {
        ticks.tick().await;
        match sweep_now(&state).await {
            Ok(swept) => tracing::debug!(?swept, "expired rows swept"),
            Err(e) => tracing::warn!(error = %e, "the sweep of expired rows failed"),
        }
    }
}
