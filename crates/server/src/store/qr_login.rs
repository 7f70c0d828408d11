//! QR-login rendezvous as stored (`qr_logins`). A row goes pending -> approved -> delivered, or
//! pending -> declined; each move is one conditional `UPDATE`, so a rendezvous is answered once
//! and its token collected once.

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;

/// A rendezvous as the phone and the desktop see it.
#[derive(sqlx::FromRow)]
pub struct RendezvousRow {
    /// The desktop's ephemeral key (33 SEC1 bytes).
    pub desktop_key: Vec<u8>,
    /// The computer's name, as the desktop gave it.
    pub client_name: String,
    /// Its operating system.
    pub os: String,
    /// The address it asked from.
    pub ip_address: String,
    /// When it was opened.
    pub created_at: i64,
    /// When the code expires.
    pub expires_at: i64,
    /// `pending`, `approved`, `delivered` or `declined`.
    pub state: String,
}

/// A newly opened rendezvous.
pub struct NewRendezvous<'a> {
    /// The rendezvous id.
    pub rendezvous: &'a str,
    /// The desktop's key (33 SEC1 bytes).
    pub desktop_key: &'a [u8],
    /// The computer's name.
    pub client_name: &'a str,
    /// Its operating system.
    pub os: &'a str,
    /// The address it asked from.
    pub ip_address: &'a str,
    /// Now.
    pub created_at: i64,
    /// When the code expires.
    pub expires_at: i64,
}

/// The rendezvous `id`, if it exists.
pub async fn find(conn: &mut AnyConnection, id: &str) -> ServerResult<Option<RendezvousRow>> {
    Ok(sqlx::query_as(
        "SELECT desktop_key, client_name, os, ip_address, created_at, expires_at, state \
         FROM qr_logins WHERE rendezvous = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Forgets the rendezvous that expired before `before` (answered ones and their tokens do not
/// outlive the grace period).
pub async fn sweep_expired(conn: &mut AnyConnection, before: i64) -> ServerResult<()> {
    sqlx::query("DELETE FROM qr_logins WHERE expires_at < $1")
        .bind(before)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores a new, pending rendezvous.
pub async fn insert(conn: &mut AnyConnection, new: &NewRendezvous<'_>) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO qr_logins (rendezvous, desktop_key, client_name, os, ip_address, created_at, \
         expires_at, state) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending')",
    )
    .bind(new.rendezvous)
    .bind(new.desktop_key.to_vec())
    .bind(new.client_name)
    .bind(new.os)
    .bind(new.ip_address)
    .bind(new.created_at)
    .bind(new.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a pending, unexpired rendezvous to `approved` for `account` (acting for
/// `acting_for`); false when it was not pending or has expired (single use).
pub async fn approve(
    conn: &mut AnyConnection,
    id: &str,
    account: &str,
    acting_for: Option<&str>,
    now: i64,
) -> ServerResult<bool> {
    let taken: Option<String> = sqlx::query_scalar(
        "UPDATE qr_logins SET state = 'approved', account_id = $2, acting_for = $3, \
         answered_at = $4 WHERE rendezvous = $1 AND state = 'pending' AND expires_at > $4 \
         RETURNING rendezvous",
    )
    .bind(id)
    .bind(account)
    .bind(acting_for.map(str::to_owned))
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(taken.is_some())
}

/// Keeps the approved rendezvous's sealed event (holding the new session's token) for the
/// desktop to collect, and the session it names.
pub async fn store_event(
    conn: &mut AnyConnection,
    id: &str,
    sealed: Vec<u8>,
    session: &str,
) -> ServerResult<()> {
    sqlx::query("UPDATE qr_logins SET event_enc = $2, session_id = $3 WHERE rendezvous = $1")
        .bind(id)
        .bind(sealed)
        .bind(session)
        .execute(conn)
        .await?;
    Ok(())
}

/// Moves a pending, unexpired rendezvous to `declined` by `account`; false when it was not
/// pending or has expired.
pub async fn decline(
    conn: &mut AnyConnection,
    id: &str,
    account: &str,
    now: i64,
) -> ServerResult<bool> {
    let done = sqlx::query(
        "UPDATE qr_logins SET state = 'declined', account_id = $2, answered_at = $3 \
         WHERE rendezvous = $1 AND state = 'pending' AND expires_at > $3",
    )
    .bind(id)
    .bind(account)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The sealed event of an approved rendezvous not collected yet (`Some(None)`: approved, its
/// session not stored yet).
pub async fn approved_event(
    conn: &mut AnyConnection,
    id: &str,
) -> ServerResult<Option<Option<Vec<u8>>>> {
    Ok(sqlx::query_scalar(
        "SELECT event_enc FROM qr_logins WHERE rendezvous = $1 AND state = 'approved'",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Collects the token once: moves the row from `approved` to `delivered`, erasing the sealed
/// event in the same statement; false when someone else collected it.
pub async fn collect(conn: &mut AnyConnection, id: &str) -> ServerResult<bool> {
    let taken = sqlx::query(
        "UPDATE qr_logins SET state = 'delivered', event_enc = NULL \
         WHERE rendezvous = $1 AND state = 'approved' AND event_enc IS NOT NULL",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(taken.rows_affected() == 1)
}

/// The rendezvous's state word, if it still exists.
pub async fn state_of(conn: &mut AnyConnection, id: &str) -> ServerResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT state FROM qr_logins WHERE rendezvous = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}
