//! Request-proof nonces seen (`proof_nonces`), per scope (a session id, or a device key id for
//! sessionless requests), kept while a proof with them could still pass.

use std::sync::LazyLock;

use sqlx::AnyConnection;

use crate::infra::db::Backend;
use crate::infra::error::ServerResult;
use crate::store::accounts::{AccountViewRow, VIEW_COLUMNS, VIEW_JOINS};

/// Forgets every nonce that expired before `now` (the periodic sweep; a proof old enough to
/// reuse one is refused by its time before its nonce is looked at); how many.
pub async fn sweep_expired(conn: &mut AnyConnection, now: i64) -> ServerResult<u64> {
    let done = sqlx::query("DELETE FROM proof_nonces WHERE expires_at < $1")
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Forgets a nonce recorded for a request proof that then failed its check (it was recorded
/// while the proof was being verified: `http::auth`'s short path).
pub async fn forget(conn: &mut AnyConnection, scope: &str, nonce: Vec<u8>) -> ServerResult<()> {
    sqlx::query("DELETE FROM proof_nonces WHERE session_id = $1 AND nonce = $2")
        .bind(scope)
        .bind(nonce)
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

/// What can change about a session, read by [`record_for_session_in_force`] as it recorded the
/// nonce.
#[derive(Debug, sqlx::FromRow)]
pub struct SessionInForce {
    /// The session (the token's, at that moment).
    pub session_id: String,
    /// The organisation it acts for.
    pub acting_for: Option<String>,
    /// Its last recorded use.
    pub last_seen_at: i64,
    /// Its owner's account, as it is now.
    #[sqlx(flatten)]
    pub account: AccountViewRow,
}

/// [`record_for_session_in_force`] on SQLite, which has no data-modifying `WITH` and whose
/// `RETURNING` names only the inserted row: what else is returned is read by the row's session
/// id, a subquery per column (each a look-up by key in this process, where a second
/// statement would be a round trip to the connection's thread).
static SQLITE_RECORD_IN_FORCE: LazyLock<String> = LazyLock::new(|| {
    // The columns of `AccountViewRow` (`store::accounts::VIEW_COLUMNS`), one at a time.
    const ACCOUNT: [(&str, &str); 6] = [
        ("a.level", "level"),
        ("a.locked", "locked"),
        ("c.full_name", "full_name"),
        ("c.citizen_masked", "citizen_masked"),
        ("o.province", "officer_province"),
        ("o.granted_at", "officer_granted_at"),
    ];
    let account: Vec<String> = ACCOUNT
        .iter()
        .map(|(column, name)| {
            format!(
                "(SELECT {column} FROM sessions s JOIN accounts a ON a.id = s.account_id \
                 {VIEW_JOINS} WHERE s.id = proof_nonces.session_id) AS {name}"
            )
        })
        .collect();
    format!(
        "INSERT INTO proof_nonces (session_id, nonce, expires_at) SELECT s.id, $2, $3 \
         FROM sessions s JOIN accounts a ON a.id = s.account_id \
         WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.absolute_expires_at > $4 \
           AND s.last_seen_at > $5 AND a.locked = 0 \
         ON CONFLICT DO NOTHING RETURNING session_id, \
         (SELECT acting_for FROM sessions WHERE id = proof_nonces.session_id) AS acting_for, \
         (SELECT last_seen_at FROM sessions WHERE id = proof_nonces.session_id) AS last_seen_at, \
         {}",
        account.join(", ")
    )
});

/// [`record_for_session_in_force`] on PostgreSQL: a data-modifying `WITH`. The statement's
/// reads see the tables as they were before its insert, which changes none of them.
static POSTGRES_RECORD_IN_FORCE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH recorded AS ( \
           INSERT INTO proof_nonces (session_id, nonce, expires_at) SELECT s.id, $2, $3 \
           FROM sessions s JOIN accounts a ON a.id = s.account_id \
           WHERE s.token_hash = $1 AND s.revoked_at IS NULL \
             AND s.absolute_expires_at > $4 AND s.last_seen_at > $5 AND a.locked = 0 \
             AND set_config('synchronous_commit', 'off', true) IS NOT NULL \
           ON CONFLICT DO NOTHING RETURNING session_id) \
         SELECT s.id AS session_id, s.acting_for, s.last_seen_at, {VIEW_COLUMNS} \
         FROM recorded r JOIN sessions s ON s.id = r.session_id \
         JOIN accounts a ON a.id = s.account_id {VIEW_JOINS}"
    )
});

/// [`record_request_nonce`] for the session whose token hashes to `token_hash`, in one
/// statement that records the nonce only while that session is in force — not
/// ended, before its absolute expiry, used after `active_after` (not idle), its owner's
/// account not locked — and reads the owner's account with it (the request then needs no
/// other round trip to know who made it). `None` when nothing was recorded — the nonce
/// was seen already, or the session is not in force, or the token is no longer its (renewed)
/// — and the caller finds out which by the path of two statements. Same durability as
/// [`record_request_nonce`] on PostgreSQL.
#[allow(clippy::too_many_arguments)]
pub async fn record_for_session_in_force(
    conn: &mut AnyConnection,
    backend: Backend,
    token_hash: Vec<u8>,
    nonce: Vec<u8>,
    keep_until: i64,
    now: i64,
    active_after: i64,
) -> ServerResult<Option<SessionInForce>> {
    // The conditions are `http::auth`'s checks of a session, turned around: each row that
    // passes them there passes them here.
    let sql: &str = match backend {
        Backend::Sqlite => &SQLITE_RECORD_IN_FORCE,
        Backend::Postgres => &POSTGRES_RECORD_IN_FORCE,
    };
    Ok(sqlx::query_as(sql)
        .bind(token_hash)
        .bind(nonce)
        .bind(keep_until)
        .bind(now)
        .bind(active_after)
        .fetch_optional(conn)
        .await?)
}
