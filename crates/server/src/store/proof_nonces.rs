//! Request-proof nonces seen (`proof_nonces`), per scope (a session id, or a device key id for
//! sessionless requests), kept while a proof with them could still pass.

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;

/// Forgets every nonce that expired before `now` (the periodic sweep; a proof old enough to
/// reuse one is refused by its time before its nonce is looked at); how many.
pub async fn sweep_expired(conn: &mut AnyConnection, now: i64) -> ServerResult<u64> {
    let done = sqlx::query("DELETE FROM proof_nonces WHERE expires_at < $1")
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Records a nonce until `keep_until`; `false` when the scope has already seen it.
pub async fn record(
    conn: &mut AnyConnection,
    scope: &str,
    nonce: Vec<u8>,
    keep_until: i64,
) -> ServerResult<bool> {
    let inserted = sqlx::query(
        "INSERT INTO proof_nonces (session_id, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(scope)
    .bind(nonce)
    .bind(keep_until)
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}
