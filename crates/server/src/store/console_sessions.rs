//! The officer console's sessions (`console_sessions`, migration 0011): a keyed hash of the
//! cookie's token, the account, and the times that end it ([`IDLE_SECS`], [`ABSOLUTE_SECS`]). The sweep forgets
//! ended rows; `resources::console::session` refuses them before that.

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;

/// A console session ends after this long without a request, in seconds (issue 16: 15 min).
pub const IDLE_SECS: i64 = 15 * 60;
/// A console session ends this long after sign-in whatever happens, in seconds (8 h).
pub const ABSOLUTE_SECS: i64 = 8 * 3600;

/// A console session as stored.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct ConsoleSessionRow {
    /// The account signed in.
    pub account_id: String,
    /// Signed in, Unix seconds.
    pub created_at: i64,
    /// The last request, Unix seconds.
    pub last_seen_at: i64,
    /// When it ends whatever happens, Unix seconds.
    pub absolute_expires_at: i64,
}

/// Stores a new session.
pub async fn insert(
    conn: &mut AnyConnection,
    token_hash: &[u8],
    row: &ConsoleSessionRow,
) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO console_sessions (token_hash, account_id, created_at, last_seen_at, \
         absolute_expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash.to_vec())
    .bind(&row.account_id)
    .bind(row.created_at)
    .bind(row.last_seen_at)
    .bind(row.absolute_expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The session whose token has this hash, if any.
pub async fn find(
    conn: &mut AnyConnection,
    token_hash: &[u8],
) -> ServerResult<Option<ConsoleSessionRow>> {
    Ok(sqlx::query_as(
        "SELECT account_id, created_at, last_seen_at, absolute_expires_at \
         FROM console_sessions WHERE token_hash = $1",
    )
    .bind(token_hash.to_vec())
    .fetch_optional(conn)
    .await?)
}

/// Records a request at `now`; `false` when the session is gone.
pub async fn touch(conn: &mut AnyConnection, token_hash: &[u8], now: i64) -> ServerResult<bool> {
    let done = sqlx::query("UPDATE console_sessions SET last_seen_at = $2 WHERE token_hash = $1")
        .bind(token_hash.to_vec())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends one session; `false` when it was gone already.
pub async fn delete(conn: &mut AnyConnection, token_hash: &[u8]) -> ServerResult<bool> {
    let done = sqlx::query("DELETE FROM console_sessions WHERE token_hash = $1")
        .bind(token_hash.to_vec())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends every session of an account; how many there were.
pub async fn delete_of_account(conn: &mut AnyConnection, account: &str) -> ServerResult<u64> {
    let done = sqlx::query("DELETE FROM console_sessions WHERE account_id = $1")
        .bind(account)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Forgets sessions ended by time: idle since before `idle_before`, or past their absolute end
/// at `now`.
pub async fn sweep_expired(
    conn: &mut AnyConnection,
    idle_before: i64,
    now: i64,
) -> ServerResult<u64> {
    let done = sqlx::query(
        "DELETE FROM console_sessions WHERE last_seen_at < $1 OR absolute_expires_at <= $2",
    )
    .bind(idle_before)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
