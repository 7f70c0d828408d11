//! Request-proof nonces seen (`proof_nonces`), per scope (a session id, or a device key id for
//! sessionless requests), kept while a proof with them could still pass.

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;

/// Forgets the scope's nonces that expired before `now`.
pub async fn forget_expired(conn: &mut AnyConnection, scope: &str, now: i64) -> ServerResult<()> {
    sqlx::query("DELETE FROM proof_nonces WHERE session_id = $1 AND expires_at < $2")
        .bind(scope)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
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
