//! The services a delegation allows (`delegation_services`): the relying parties its delegate
//! may sign in to as the organisation, each with optional first and last days. Replaced whole
//! by the owner; read by the delegation's view. Whether a sign-in is allowed is asked through
//! [`crate::store::roles::allows_service`], by [`crate::authz`] only.

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;

/// One allowed service as stored; `from_on`/`until_on` are `YYYY-MM-DD` (Vietnam), `from_at`
/// the first second it holds, `until_at` the first second it no longer holds.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ServiceRow {
    /// The delegation.
    pub delegation_id: String,
    /// The relying party's `client_id`.
    pub client_id: String,
    /// First day.
    pub from_on: Option<String>,
    /// First second.
    pub from_at: Option<i64>,
    /// Last day.
    pub until_on: Option<String>,
    /// First second after the last day.
    pub until_at: Option<i64>,
    /// When it was listed.
    pub added_at: i64,
}

/// The services a delegation allows, by `client_id`.
pub async fn of_delegation(
    conn: &mut AnyConnection,
    delegation_id: &str,
) -> ServerResult<Vec<ServiceRow>> {
    Ok(sqlx::query_as(
        "SELECT delegation_id, client_id, from_on, from_at, until_on, until_at, added_at \
         FROM delegation_services WHERE delegation_id = $1 ORDER BY client_id",
    )
    .bind(delegation_id)
    .fetch_all(conn)
    .await?)
}

/// Replaces the services a delegation allows with `rows` (all of that delegation).
pub async fn replace(
    conn: &mut AnyConnection,
    delegation_id: &str,
    rows: &[ServiceRow],
) -> ServerResult<()> {
    sqlx::query("DELETE FROM delegation_services WHERE delegation_id = $1")
        .bind(delegation_id)
        .execute(&mut *conn)
        .await?;
    for row in rows {
        sqlx::query(
            "INSERT INTO delegation_services (delegation_id, client_id, from_on, from_at, \
             until_on, until_at, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(delegation_id)
        .bind(&row.client_id)
        .bind(&row.from_on)
        .bind(row.from_at)
        .bind(&row.until_on)
        .bind(row.until_at)
        .bind(row.added_at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
