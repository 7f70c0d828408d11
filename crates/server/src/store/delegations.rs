//! Delegations as stored: who may act for an organisation, in what role, from when to when.
//! Owners hold a row with role `owner`, no grantor, accepted from the start.

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;
use crate::store::roles;

/// A delegation as stored; `role` is the word of an `OrgRole`, `expires_on` is `YYYY-MM-DD`.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DelegationRow {
    /// `dlg_…`.
    pub id: String,
    /// The organisation's e-ID number.
    pub eid: String,
    /// The delegate's account.
    pub account_id: String,
    /// The role's word.
    pub role: String,
    /// Who granted it (none for owners).
    pub granted_by: Option<String>,
    /// When it was granted.
    pub granted_at: i64,
    /// Its last day, `YYYY-MM-DD`.
    pub expires_on: Option<String>,
    /// The first second it no longer holds.
    pub expires_at: Option<i64>,
    /// When the delegate accepted.
    pub accepted_at: Option<i64>,
    /// When the delegate declined.
    pub declined_at: Option<i64>,
    /// When it ended.
    pub revoked_at: Option<i64>,
}

const COLUMNS: &str = "id, eid, account_id, role, granted_by, granted_at, expires_on, \
                       expires_at, accepted_at, declined_at, revoked_at";

/// A delegation of the organisation, by id.
pub async fn find(
    conn: &mut AnyConnection,
    eid: &str,
    id: &str,
) -> ServerResult<Option<DelegationRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM delegations WHERE id = $1 AND eid = $2"
    ))
    .bind(id)
    .bind(eid)
    .fetch_optional(conn)
    .await?)
}

/// Every delegation of the organisation, oldest first.
pub async fn of_organisation(
    conn: &mut AnyConnection,
    eid: &str,
) -> ServerResult<Vec<DelegationRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM delegations WHERE eid = $1 ORDER BY granted_at, id"
    ))
    .bind(eid)
    .fetch_all(conn)
    .await?)
}

/// The person's delegations in the organisation, oldest first.
pub async fn of_person(
    conn: &mut AnyConnection,
    eid: &str,
    account: &str,
) -> ServerResult<Vec<DelegationRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM delegations WHERE eid = $1 AND account_id = $2 \
         ORDER BY granted_at, id"
    ))
    .bind(eid)
    .bind(account)
    .fetch_all(conn)
    .await?)
}

/// Marks the person's open delegations in the organisation that are past their last day as
/// ended (`expired`), so the person can be authorised again.
pub async fn end_expired(
    conn: &mut AnyConnection,
    eid: &str,
    account: &str,
    now: i64,
) -> ServerResult<()> {
    sqlx::query(
        "UPDATE delegations SET revoked_at = expires_at, revoked_reason = 'expired' \
         WHERE eid = $1 AND account_id = $2 AND revoked_at IS NULL AND declined_at IS NULL \
         AND expires_at IS NOT NULL AND expires_at <= $3",
    )
    .bind(eid)
    .bind(account)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A new delegation to accept; `false` when the person already holds an open one in the
/// organisation (one open delegation per person and organisation).
pub async fn insert_pending(conn: &mut AnyConnection, row: &DelegationRow) -> ServerResult<bool> {
    let done = sqlx::query(
        "INSERT INTO delegations (id, eid, account_id, role, granted_by, granted_at, expires_on, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
    )
    .bind(&row.id)
    .bind(&row.eid)
    .bind(&row.account_id)
    .bind(&row.role)
    .bind(&row.granted_by)
    .bind(row.granted_at)
    .bind(&row.expires_on)
    .bind(row.expires_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the delegate's answer; `false` when the delegation was already answered or ended.
pub async fn answer(
    conn: &mut AnyConnection,
    id: &str,
    accept: bool,
    now: i64,
) -> ServerResult<bool> {
    let column = if accept { "accepted_at" } else { "declined_at" };
    let done = sqlx::query(&format!(
        "UPDATE delegations SET {column} = $1 WHERE id = $2 AND accepted_at IS NULL \
         AND declined_at IS NULL AND revoked_at IS NULL"
    ))
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends one delegation for `reason`; `false` when it had already ended.
pub async fn revoke(
    conn: &mut AnyConnection,
    id: &str,
    reason: &str,
    now: i64,
) -> ServerResult<bool> {
    let done = sqlx::query(
        "UPDATE delegations SET revoked_at = $1, revoked_reason = $2 \
         WHERE id = $3 AND revoked_at IS NULL AND declined_at IS NULL",
    )
    .bind(now)
    .bind(reason)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends every open delegation of the organisation for `reason` (closing it).
pub async fn revoke_all(
    conn: &mut AnyConnection,
    eid: &str,
    reason: &str,
    now: i64,
) -> ServerResult<()> {
    sqlx::query(
        "UPDATE delegations SET revoked_at = $1, revoked_reason = $2 \
         WHERE eid = $3 AND revoked_at IS NULL AND declined_at IS NULL",
    )
    .bind(now)
    .bind(reason)
    .bind(eid)
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends a departed legal representative's own standing and every delegation they granted.
pub async fn revoke_held_and_granted_by(
    conn: &mut AnyConnection,
    eid: &str,
    account: &str,
    now: i64,
) -> ServerResult<()> {
    sqlx::query(
        "UPDATE delegations SET revoked_at = $1, revoked_reason = 'representative_departed' \
         WHERE eid = $2 AND (account_id = $3 OR granted_by = $3) \
         AND revoked_at IS NULL AND declined_at IS NULL",
    )
    .bind(now)
    .bind(eid)
    .bind(account)
    .execute(conn)
    .await?;
    Ok(())
}

/// Makes `account` an owner (a legal representative with an account), ending any delegation
/// they held before (an owner needs no other).
pub async fn make_owner(
    conn: &mut AnyConnection,
    id: &str,
    eid: &str,
    account: &str,
    now: i64,
) -> ServerResult<()> {
    sqlx::query(
        "UPDATE delegations SET revoked_at = $1, revoked_reason = 'became_owner' \
         WHERE eid = $2 AND account_id = $3 AND role <> 'owner' \
         AND revoked_at IS NULL AND declined_at IS NULL",
    )
    .bind(now)
    .bind(eid)
    .bind(account)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO delegations (id, eid, account_id, role, granted_at, accepted_at) \
         VALUES ($1, $2, $3, 'owner', $4, $4) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(eid)
    .bind(account)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// An organisation (not closed) where the person holds a live role.
#[derive(sqlx::FromRow)]
pub struct ChoiceRow {
    /// Its e-ID number.
    pub eid: String,
    /// The role's word.
    pub role: String,
    /// Its Vietnamese name.
    pub name_vi: String,
    /// Its status's word.
    pub status: String,
}

/// The organisations (not closed) where the person holds a live role.
pub async fn choices(
    conn: &mut AnyConnection,
    account: &str,
    now: i64,
) -> ServerResult<Vec<ChoiceRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT d.eid, d.role, o.name_vi, o.status FROM delegations d \
         JOIN organisations o ON o.eid = d.eid \
         WHERE d.account_id = $1 AND o.status <> 'closed' AND {}",
        roles::live("d.", "$2")
    ))
    .bind(account)
    .bind(now)
    .fetch_all(conn)
    .await?)
}
