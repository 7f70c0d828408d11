//! A person's consents to services (`oidc_consents`): per person, service and account signed in
//! as (`acting_for`, '' for the personal account), the claims consented to, first and last use,
//! and a withdrawal.

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;

/// The `acting_for` of a consent given for the personal account.
pub const PERSONAL: &str = "";

/// A consent as stored; `claims` is a JSON list.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ConsentRow {
    /// The person.
    pub account_id: String,
    /// The relying party.
    pub client_id: String,
    /// The organisation's e-ID number, or [`PERSONAL`].
    pub acting_for: String,
    /// The claims consented to (JSON list).
    pub claims: String,
    /// First given (or given again after a withdrawal).
    pub first_at: i64,
    /// The latest approval.
    pub last_at: i64,
    /// Withdrawn.
    pub withdrawn_at: Option<i64>,
}

const COLUMNS: &str = "account_id, client_id, acting_for, claims, first_at, last_at, withdrawn_at";

/// The consent of a person to a service for one account, whatever its state.
pub async fn find(
    conn: &mut AnyConnection,
    account_id: &str,
    client_id: &str,
    acting_for: &str,
) -> ServerResult<Option<ConsentRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM oidc_consents \
         WHERE account_id = $1 AND client_id = $2 AND acting_for = $3"
    ))
    .bind(account_id)
    .bind(client_id)
    .bind(acting_for)
    .fetch_optional(conn)
    .await?)
}

/// Writes `row` (a new consent, a wider one, or one given again), clearing any withdrawal.
pub async fn put(conn: &mut AnyConnection, row: &ConsentRow) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO oidc_consents (account_id, client_id, acting_for, claims, first_at, last_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (account_id, client_id, acting_for) DO UPDATE SET claims = $4, \
         first_at = $5, last_at = $6, withdrawn_at = NULL",
    )
    .bind(&row.account_id)
    .bind(&row.client_id)
    .bind(&row.acting_for)
    .bind(&row.claims)
    .bind(row.first_at)
    .bind(row.last_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a use of a live consent that asked for no more than it holds.
pub async fn touch(
    conn: &mut AnyConnection,
    account_id: &str,
    client_id: &str,
    acting_for: &str,
    now: i64,
) -> ServerResult<()> {
    sqlx::query(
        "UPDATE oidc_consents SET last_at = $4 \
         WHERE account_id = $1 AND client_id = $2 AND acting_for = $3 AND withdrawn_at IS NULL",
    )
    .bind(account_id)
    .bind(client_id)
    .bind(acting_for)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The person's live (not withdrawn) consents, most recently used first.
pub async fn live_of(conn: &mut AnyConnection, account_id: &str) -> ServerResult<Vec<ConsentRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM oidc_consents WHERE account_id = $1 AND withdrawn_at IS NULL \
         ORDER BY last_at DESC, client_id, acting_for"
    ))
    .bind(account_id)
    .fetch_all(conn)
    .await?)
}

/// Withdraws the person's live consents to a service (every account); how many.
pub async fn withdraw(
    conn: &mut AnyConnection,
    account_id: &str,
    client_id: &str,
    now: i64,
) -> ServerResult<u64> {
    let done = sqlx::query(
        "UPDATE oidc_consents SET withdrawn_at = $3 \
         WHERE account_id = $1 AND client_id = $2 AND withdrawn_at IS NULL",
    )
    .bind(account_id)
    .bind(client_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
