//! Request-proof nonces seen (`proof_nonces`), per scope (a session id, or a device key id for
//! sessionless requests), kept while a proof with them could still pass.

use sqlx::AnyConnection;

use crate::infra::db::Backend;
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

/// [`record`] for a request proof's nonce, in a statement of its own (never inside a
/// transaction). On PostgreSQL its commit does not wait for the write-ahead log to reach the
/// disk (`synchronous_commit` off for this one statement): the nonce is seen by every
/// instance at once, as before, but waiting for the flush was most of a signed request's cost
/// (issue 18; about 1.5 ms here, against 0.05 ms). Any later durable commit flushes it with
/// its own; only a crash of PostgreSQL itself within the WAL writer's delay (0.6 s at the
/// most by default) could forget it — SQLite's `synchronous = NORMAL` makes the same trade
/// for every commit (docs/design/request-proofs.md).
pub async fn record_request_nonce(
    conn: &mut AnyConnection,
    backend: Backend,
    scope: &str,
    nonce: Vec<u8>,
    keep_until: i64,
) -> ServerResult<bool> {
    let sql = match backend {
        Backend::Sqlite => {
            "INSERT INTO proof_nonces (session_id, nonce, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING"
        }
        // `set_config(.., true)` lasts until the end of this statement's own transaction, and
        // the commit reads it.
        Backend::Postgres => {
            "INSERT INTO proof_nonces (session_id, nonce, expires_at) SELECT $1, $2, $3 \
             WHERE set_config('synchronous_commit', 'off', true) IS NOT NULL \
             ON CONFLICT DO NOTHING"
        }
    };
    let inserted = sqlx::query(sql)
        .bind(scope)
        .bind(nonce)
        .bind(keep_until)
        .execute(conn)
        .await?;
    Ok(inserted.rows_affected() == 1)
}
