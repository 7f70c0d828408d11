//! Challenges as stored: issued with an expiry, taken (deleted) exactly once.

use dinhdanh_core::api::{ChallengePurpose, ErrorCode};
use dinhdanh_core::ids::AccountId;
use dinhdanh_core::signed_action::Challenge;
use sqlx::AnyConnection;

use crate::infra::error::{ServerError, ServerResult};

/// A challenge as it was issued, read back when it is taken.
#[derive(sqlx::FromRow)]
pub struct ChallengeRow {
    /// What it was issued for (the purpose's JSON, see `resources::challenges`).
    pub purpose: String,
    /// The account it was issued to in a session, if any.
    pub account_id: Option<String>,
    /// When it stops being valid (Unix seconds).
    pub expires_at: i64,
}

/// Forgets the challenges that expired before `before` (by the index on `expires_at`);
/// returns how many.
pub async fn sweep_expired(conn: &mut AnyConnection, before: i64) -> ServerResult<u64> {
    let done = sqlx::query("DELETE FROM challenges WHERE expires_at < $1")
        .bind(before)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Stores a newly issued challenge.
pub async fn insert(
    conn: &mut AnyConnection,
    challenge: &[u8],
    purpose: &str,
    account: Option<&str>,
    now: i64,
    expires_at: i64,
) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO challenges (challenge, purpose, account_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(challenge.to_vec())
    .bind(purpose)
    .bind(account.map(str::to_owned))
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes a challenge: one `DELETE … RETURNING`, so of many concurrent takers exactly one gets
/// the row, and it is gone afterwards whatever the caller then decides.
pub async fn take(
    conn: &mut AnyConnection,
    challenge: &[u8],
) -> ServerResult<Option<ChallengeRow>> {
    Ok(sqlx::query_as(
        "DELETE FROM challenges WHERE challenge = $1 RETURNING purpose, account_id, expires_at",
    )
    .bind(challenge.to_vec())
    .fetch_optional(conn)
    .await?)
}

/// How a purpose is stored: its JSON (a purpose may carry an action kind, so it is not a
/// single word).
pub fn purpose_text(purpose: ChallengePurpose) -> String {
    serde_json::to_string(&purpose).unwrap_or_default()
}

/// [`consume`] as a step of a transaction (the confirmation check's): the challenge is gone
/// when the transaction commits, whatever the outcome.
pub async fn consume_in(
    conn: &mut AnyConnection,
    now: i64,
    challenge: &Challenge,
    purpose: ChallengePurpose,
    account: Option<&AccountId>,
) -> ServerResult<()> {
    let row = take(conn, challenge.as_bytes())
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::ChallengeInvalid))?;
    if now >= row.expires_at {
        return Err(ServerError::code(ErrorCode::ChallengeExpired));
    }
    if row.purpose != purpose_text(purpose) {
        return Err(ServerError::code(ErrorCode::ChallengeInvalid));
    }
    if let Some(stored) = row.account_id {
        if account.map(AccountId::as_str) != Some(stored.as_str()) {
            return Err(ServerError::code(ErrorCode::ChallengeInvalid));
        }
    }
    Ok(())
}
