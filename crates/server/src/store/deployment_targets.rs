//! The deployment plan as stored: per organisation type, the share to register by a date
//! (`deployment_targets`, overriding the defaults in [`crate::resources::progress`]).

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;

/// A target as stored: `due_on` is `YYYY-MM-DD`.
#[derive(sqlx::FromRow)]
pub struct TargetRow {
    /// The organisation type's word.
    pub org_type: String,
    /// Percent of the registry's organisations of the type.
    pub percent: i64,
    /// By when, `YYYY-MM-DD`.
    pub due_on: String,
}

/// Sets (or replaces) the target of one type.
pub async fn upsert(
    conn: &mut AnyConnection,
    org_type: &str,
    percent: i64,
    due_on: &str,
) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO deployment_targets (org_type, percent, due_on) VALUES ($1, $2, $3) \
         ON CONFLICT (org_type) DO UPDATE SET percent = excluded.percent, due_on = excluded.due_on",
    )
    .bind(org_type)
    .bind(percent)
    .bind(due_on)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every stored target.
pub async fn all(conn: &mut AnyConnection) -> ServerResult<Vec<TargetRow>> {
    Ok(
        sqlx::query_as("SELECT org_type, percent, due_on FROM deployment_targets")
            .fetch_all(conn)
            .await?,
    )
}
