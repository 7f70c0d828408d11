//! Access tokens of the OpenID provider as stored (`oidc_access_tokens`): a keyed hash of the
//! opaque token, the DPoP key thumbprint it is bound to, and its expiry and revocation.

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;

/// A stored access token.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct AccessTokenRow {
    /// The sign-in it was issued from.
    pub sign_in_id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The person.
    pub account_id: String,
    /// The organisation the person acts for.
    pub acting_for: Option<String>,
    /// RFC 7638 thumbprint of the DPoP key it is bound to.
    pub jkt: String,
    /// The scope granted.
    pub scope: String,
    /// Issued, Unix seconds.
    pub issued_at: i64,
    /// Expires, Unix seconds.
    pub expires_at: i64,
    /// Revoked, Unix seconds.
    pub revoked_at: Option<i64>,
}

/// Stores a new access token.
pub async fn insert(
    conn: &mut AnyConnection,
    token_hash: &[u8],
    row: &AccessTokenRow,
) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO oidc_access_tokens (token_hash, sign_in_id, client_id, account_id, \
         acting_for, jkt, scope, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(token_hash.to_vec())
    .bind(&row.sign_in_id)
    .bind(&row.client_id)
    .bind(&row.account_id)
    .bind(&row.acting_for)
    .bind(&row.jkt)
    .bind(&row.scope)
    .bind(row.issued_at)
    .bind(row.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The token with this hash, whatever its state.
pub async fn find(
    conn: &mut AnyConnection,
    token_hash: &[u8],
) -> ServerResult<Option<AccessTokenRow>> {
    Ok(sqlx::query_as(
        "SELECT sign_in_id, client_id, account_id, acting_for, jkt, scope, issued_at, expires_at, \
         revoked_at FROM oidc_access_tokens WHERE token_hash = $1",
    )
    .bind(token_hash.to_vec())
    .fetch_optional(conn)
    .await?)
}

/// Revokes every token issued from a sign-in; how many were live.
pub async fn revoke_sign_in(
    conn: &mut AnyConnection,
    sign_in_id: &str,
    now: i64,
) -> ServerResult<u64> {
    let done = sqlx::query(
        "UPDATE oidc_access_tokens SET revoked_at = $2 WHERE sign_in_id = $1 AND revoked_at IS NULL",
    )
    .bind(sign_in_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Revokes every token issued to a client.
pub async fn revoke_client(
    conn: &mut AnyConnection,
    client_id: &str,
    now: i64,
) -> ServerResult<u64> {
    let done = sqlx::query(
        "UPDATE oidc_access_tokens SET revoked_at = $2 WHERE client_id = $1 AND revoked_at IS NULL",
    )
    .bind(client_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Forgets tokens that expired before `before`.
pub async fn sweep_expired(conn: &mut AnyConnection, before: i64) -> ServerResult<()> {
    sqlx::query("DELETE FROM oidc_access_tokens WHERE expires_at < $1")
        .bind(before)
        .execute(conn)
        .await?;
    Ok(())
}
