//! Pending one-time codes (`pending_codes`): only a keyed hash of each code, bound to its
//! pending operation.

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;

/// Deletes the person's pending code for `purpose` (a new one voids it).
pub async fn clear(
    conn: &mut AnyConnection,
    purpose: &str,
    citizen_key: &[u8],
) -> ServerResult<()> {
    sqlx::query("DELETE FROM pending_codes WHERE purpose = $1 AND citizen_key = $2")
        .bind(purpose)
        .bind(citizen_key.to_vec())
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets the codes expired at `now` (by the index on `expires_at`); returns how many.
pub async fn sweep_expired(conn: &mut AnyConnection, now: i64) -> ServerResult<u64> {
    let done = sqlx::query("DELETE FROM pending_codes WHERE expires_at <= $1")
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// A new pending code.
pub struct NewCode<'a> {
    /// The pending operation's id.
    pub id: &'a str,
    /// What it is for.
    pub purpose: &'a str,
    /// Whose it is.
    pub citizen_key: &'a [u8],
    /// The code's keyed hash.
    pub code_hash: Vec<u8>,
    /// What the flow's second step needs.
    pub payload: &'a str,
    /// When it was issued.
    pub created_at: i64,
    /// When it expires.
    pub expires_at: i64,
}

/// Stores a pending code.
pub async fn insert(conn: &mut AnyConnection, code: NewCode<'_>) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO pending_codes (id, purpose, citizen_key, code_hash, attempts, payload, \
         created_at, expires_at) VALUES ($1, $2, $3, $4, 0, $5, $6, $7)",
    )
    .bind(code.id)
    .bind(code.purpose)
    .bind(code.citizen_key.to_vec())
    .bind(code.code_hash)
    .bind(code.payload)
    .bind(code.created_at)
    .bind(code.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A pending code after an attempt was counted.
#[derive(sqlx::FromRow)]
pub struct Attempt {
    /// Whose it is.
    pub citizen_key: Vec<u8>,
    /// The code's keyed hash.
    pub code_hash: Vec<u8>,
    /// What the flow's second step needs.
    pub payload: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// Counts an attempt on a live pending code (not expired, fewer than `max_attempts` so far),
/// atomically; `None` when there is no such code.
pub async fn count_attempt(
    conn: &mut AnyConnection,
    id: &str,
    purpose: &str,
    now: i64,
    max_attempts: i64,
) -> ServerResult<Option<Attempt>> {
    Ok(sqlx::query_as(
        "UPDATE pending_codes SET attempts = attempts + 1 \
         WHERE id = $1 AND purpose = $2 AND expires_at > $3 AND attempts < $4 \
         RETURNING citizen_key, code_hash, payload, attempts",
    )
    .bind(id)
    .bind(purpose)
    .bind(now)
    .bind(max_attempts)
    .fetch_optional(conn)
    .await?)
}

/// Deletes a pending code; `false` when it was already gone.
pub async fn delete(conn: &mut AnyConnection, id: &str) -> ServerResult<bool> {
    let done = sqlx::query("DELETE FROM pending_codes WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
