//! Officer grants (`officers`: one province per officer account; `national_officers`: the
//! read-only national scope). Read by [`crate::store::roles`]; written here. The two are
//! exclusive: each grant removes the other.

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;

/// Grants the officer role for `province` (its key), or moves the officer there (from another
/// province, or from the national scope).
pub async fn grant(
    conn: &mut AnyConnection,
    account: &str,
    province: &str,
    now: i64,
) -> ServerResult<()> {
    sqlx::query("DELETE FROM national_officers WHERE account_id = $1")
        .bind(account)
        .execute(&mut *conn)
        .await?;
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

/// Grants the read-only national scope, replacing a provincial grant.
pub async fn grant_national(conn: &mut AnyConnection, account: &str, now: i64) -> ServerResult<()> {
    sqlx::query("DELETE FROM officers WHERE account_id = $1")
        .bind(account)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO national_officers (account_id, granted_at) VALUES ($1, $2) \
         ON CONFLICT (account_id) DO UPDATE SET granted_at = excluded.granted_at",
    )
    .bind(account)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Withdraws the national scope; whether the account held it.
pub async fn revoke_national(conn: &mut AnyConnection, account: &str) -> ServerResult<bool> {
    let done = sqlx::query("DELETE FROM national_officers WHERE account_id = $1")
        .bind(account)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
