//! The facts authorisation reads: officer grants, live delegations, organisation status and
//! co-representatives of a request. Only [`crate::authz`] asks these questions.

use dinhdanh_core::account::OrgRole;
use dinhdanh_core::ids::{AccountId, OrgEid};
use sqlx::AnyConnection;

use crate::infra::error::ServerResult;
use crate::store::values::from_word;

/// An officer grant as stored.
#[derive(sqlx::FromRow)]
pub struct OfficerRow {
    /// The province key (`ha_noi`).
    pub province: String,
    /// When it was granted.
    pub granted_at: i64,
}

/// The officer grant of an account, if any.
pub async fn officer(
    conn: &mut AnyConnection,
    account: &AccountId,
) -> ServerResult<Option<OfficerRow>> {
    Ok(
        sqlx::query_as("SELECT province, granted_at FROM officers WHERE account_id = $1")
            .bind(account.as_str())
            .fetch_optional(conn)
            .await?,
    )
}

/// Whether the account holds the read-only national officer scope.
pub async fn national_officer(conn: &mut AnyConnection, account: &AccountId) -> ServerResult<bool> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT account_id FROM national_officers WHERE account_id = $1")
            .bind(account.as_str())
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

/// Whether the account is listed as a keeper of the working-day calendar.
pub async fn calendar_keeper(conn: &mut AnyConnection, account: &AccountId) -> ServerResult<bool> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT account_id FROM calendar_keepers WHERE account_id = $1")
            .bind(account.as_str())
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

/// The SQL condition of a live delegation row (`p` is the table prefix, `now` the parameter
/// holding the current time): accepted, not revoked, not declined, not expired.
pub fn live(p: &str, now: &str) -> String {
    format!(
        "{p}accepted_at IS NOT NULL AND {p}revoked_at IS NULL AND {p}declined_at IS NULL \
         AND ({p}expires_at IS NULL OR {p}expires_at > {now})"
    )
}

/// The roles of the person's live delegations in the organisation.
pub async fn live_roles(
    conn: &mut AnyConnection,
    account: &AccountId,
    eid: &OrgEid,
    now: i64,
) -> ServerResult<Vec<OrgRole>> {
    let words: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT role FROM delegations WHERE eid = $1 AND account_id = $2 AND {}",
        live("", "$3")
    ))
    .bind(eid.as_str())
    .bind(account.as_str())
    .bind(now)
    .fetch_all(conn)
    .await?;
    words.iter().map(|w| from_word(w)).collect()
}

/// Whether one of the person's live delegations in the organisation lists the service and is
/// within that listing's dates now.
pub async fn allows_service(
    conn: &mut AnyConnection,
    account: &AccountId,
    eid: &OrgEid,
    client_id: &str,
    now: i64,
) -> ServerResult<bool> {
    let n: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM delegations d \
         JOIN delegation_services s ON s.delegation_id = d.id \
         WHERE d.eid = $1 AND d.account_id = $2 AND s.client_id = $3 AND {} \
         AND (s.from_at IS NULL OR s.from_at <= $4) AND (s.until_at IS NULL OR s.until_at > $4)",
        live("d.", "$4")
    ))
    .bind(eid.as_str())
    .bind(account.as_str())
    .bind(client_id)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// The organisation's status word, if it exists.
pub async fn organisation_status(
    conn: &mut AnyConnection,
    eid: &OrgEid,
) -> ServerResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT status FROM organisations WHERE eid = $1")
            .bind(eid.as_str())
            .fetch_optional(conn)
            .await?,
    )
}

/// Whether the person (by citizen key) is asked for consent on the request.
pub async fn is_co_representative(
    conn: &mut AnyConnection,
    registration: &str,
    citizen_key: &[u8],
) -> ServerResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM registration_consents WHERE registration_id = $1 AND citizen_key = $2",
    )
    .bind(registration)
    .bind(citizen_key.to_vec())
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// The citizen key of an account, if it exists.
pub async fn citizen_key(
    conn: &mut AnyConnection,
    account: &AccountId,
) -> ServerResult<Option<Vec<u8>>> {
    Ok(
        sqlx::query_scalar("SELECT citizen_key FROM accounts WHERE id = $1")
            .bind(account.as_str())
            .fetch_optional(conn)
            .await?,
    )
}
