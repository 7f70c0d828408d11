//! Sessions (`sessions`): the token only as its SHA-256, the key every request must be signed
//! with, idle and absolute expiry.

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;
use crate::store::accounts::{AccountViewRow, VIEW_COLUMNS, VIEW_JOINS};

/// A new session.
pub struct NewSessionRow<'a> {
    /// Its id.
    pub id: &'a str,
    /// SHA-256 of its token.
    pub token_hash: Vec<u8>,
    /// Its owner.
    pub account: &'a str,
    /// The phone.
    pub device: Option<&'a str>,
    /// The kind's word.
    pub kind: &'a str,
    /// The bound key (33 SEC1 bytes).
    pub bound_key: Vec<u8>,
    /// The organisation it acts for.
    pub acting_for: Option<&'a str>,
    /// A name the person recognises.
    pub client_name: &'a str,
    /// When it starts.
    pub created_at: i64,
    /// When it ends at the latest.
    pub absolute_expires_at: i64,
}

/// Stores a new session.
pub async fn insert(conn: &mut AnyConnection, s: NewSessionRow<'_>) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO sessions (id, token_hash, account_id, device_id, kind, bound_key, acting_for, \
         client_name, created_at, last_seen_at, absolute_expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)",
    )
    .bind(s.id)
    .bind(s.token_hash)
    .bind(s.account)
    .bind(s.device.map(str::to_owned))
    .bind(s.kind)
    .bind(s.bound_key)
    .bind(s.acting_for.map(str::to_owned))
    .bind(s.client_name)
    .bind(s.created_at)
    .bind(s.absolute_expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends every live session of an account; returns how many.
pub async fn end_all(conn: &mut AnyConnection, account: &str, now: i64) -> ServerResult<u64> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(account)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Ends the phone's own live sessions (`kind` is the phone kind's word; desktops it signed
/// in stay).
pub async fn end_device_sessions(
    conn: &mut AnyConnection,
    device: &str,
    kind: &str,
    now: i64,
) -> ServerResult<()> {
    sqlx::query(
        "UPDATE sessions SET revoked_at = $1 \
         WHERE device_id = $2 AND kind = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(device)
    .bind(kind)
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends one live session of an account.
pub async fn end(conn: &mut AnyConnection, id: &str, account: &str, now: i64) -> ServerResult<()> {
    sqlx::query(
        "UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(account)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether `id` is a live session of `account`.
pub async fn is_live_of(conn: &mut AnyConnection, id: &str, account: &str) -> ServerResult<bool> {
    let owned: Option<String> = sqlx::query_scalar(
        "SELECT id FROM sessions WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(account)
    .fetch_optional(conn)
    .await?;
    Ok(owned.is_some())
}

/// A session as its owner sees it, as stored.
#[derive(sqlx::FromRow)]
pub struct SessionRow {
    /// Its id.
    pub id: String,
    /// The kind's word.
    pub kind: String,
    /// Its owner.
    pub account_id: String,
    /// The organisation it acts for.
    pub acting_for: Option<String>,
    /// The bound key (33 SEC1 bytes).
    pub bound_key: Vec<u8>,
    /// A name the person recognises.
    pub client_name: String,
    /// When it started.
    pub created_at: i64,
    /// Its last request.
    pub last_seen_at: i64,
    /// When it ends at the latest.
    pub absolute_expires_at: i64,
}

const COLUMNS: &str = "id, kind, account_id, acting_for, bound_key, client_name, \
                       created_at, last_seen_at, absolute_expires_at";

/// Gives a live session a new token, conditional on the old one (of two concurrent renewals
/// only one wins); `None` when the old token no longer holds.
pub async fn renew(
    conn: &mut AnyConnection,
    id: &str,
    old_token_hash: Vec<u8>,
    new_token_hash: Vec<u8>,
    now: i64,
) -> ServerResult<Option<SessionRow>> {
    Ok(sqlx::query_as(&format!(
        "UPDATE sessions SET token_hash = $1, last_seen_at = $2 \
         WHERE id = $3 AND token_hash = $4 AND revoked_at IS NULL RETURNING {COLUMNS}"
    ))
    .bind(new_token_hash)
    .bind(now)
    .bind(id)
    .bind(old_token_hash)
    .fetch_optional(conn)
    .await?)
}

/// The account's live sessions (not ended, not past their absolute expiry), newest first.
pub async fn live_of(
    conn: &mut AnyConnection,
    account: &str,
    now: i64,
) -> ServerResult<Vec<SessionRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM sessions \
         WHERE account_id = $1 AND revoked_at IS NULL AND absolute_expires_at > $2 \
         ORDER BY created_at DESC, id"
    ))
    .bind(account)
    .bind(now)
    .fetch_all(conn)
    .await?)
}

/// A session as a request's authentication reads it, with its owner's account.
#[derive(sqlx::FromRow)]
pub struct AuthSessionRow {
    /// Its id.
    pub id: String,
    /// Its owner.
    pub account_id: String,
    /// The phone.
    pub device_id: Option<String>,
    /// The kind's word.
    pub kind: String,
    /// The bound key (33 SEC1 bytes).
    pub bound_key: Vec<u8>,
    /// The organisation it acts for.
    pub acting_for: Option<String>,
    /// Its last request.
    pub last_seen_at: i64,
    /// When it ends at the latest.
    pub absolute_expires_at: i64,
    /// When it was ended, if it was.
    pub revoked_at: Option<i64>,
    /// Its owner's account (its lock among the rest), read in the same statement.
    #[sqlx(flatten)]
    pub account: AccountViewRow,
}

/// The columns of an [`AuthSessionRow`] but its account's ([`VIEW_COLUMNS`]).
const AUTH_COLUMNS: &str = "s.id, s.account_id, s.device_id, s.kind, s.bound_key, \
     s.acting_for, s.last_seen_at, s.absolute_expires_at, s.revoked_at";

/// The session whose token hashes to `token_hash`, ended or not.
pub async fn by_token_hash(
    conn: &mut AnyConnection,
    token_hash: Vec<u8>,
) -> ServerResult<Option<AuthSessionRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {AUTH_COLUMNS}, {VIEW_COLUMNS} FROM sessions s JOIN accounts a ON a.id = s.account_id \
         {VIEW_JOINS} WHERE s.token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_optional(conn)
    .await?)
}

/// The session `id`, ended or not, read as [`by_token_hash`] reads it.
pub async fn by_id(conn: &mut AnyConnection, id: &str) -> ServerResult<Option<AuthSessionRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {AUTH_COLUMNS}, {VIEW_COLUMNS} FROM sessions s JOIN accounts a ON a.id = s.account_id \
         {VIEW_JOINS} WHERE s.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Marks a session used at `now` (its idle expiry starts again).
pub async fn touch(conn: &mut AnyConnection, id: &str, now: i64) -> ServerResult<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sends a session acting for `org` back to the personal account.
pub async fn stop_acting_for(conn: &mut AnyConnection, id: &str, org: &str) -> ServerResult<()> {
    sqlx::query("UPDATE sessions SET acting_for = NULL WHERE id = $1 AND acting_for = $2")
        .bind(id)
        .bind(org)
        .execute(conn)
        .await?;
    Ok(())
}
