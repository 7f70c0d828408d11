//! Officer grants (`officers`): one province per officer account. Read by
//! [`crate::store::roles`]; written here.

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;

/// Grants the officer role for `province` (its key), or moves the officer there.
pub async fn grant(
    conn: &mut AnyConnection,
    account: &str,
    province: &str,
    now: i64,
) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO officers (account_id, province, granted_at) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id) DO UPDATE SET province = excluded.province, \
         granted_at = excluded.granted_at",
    )
    .bind(account)
    .bind(province)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Withdraws the officer role of an account; the province it was held for, or `None` when the
/// account held none.
pub async fn revoke(conn: &mut AnyConnection, account: &str) -> ServerResult<Option<String>> {
    Ok(
        sqlx::query_scalar("DELETE FROM officers WHERE account_id = $1 RETURNING province")
            .bind(account)
            .fetch_optional(conn)
            .await?,
    )
}
