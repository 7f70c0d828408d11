//! Pushed authorization requests as stored (`oidc_requests`, RFC 9126): checked at the PAR
//! endpoint, taken once by the browser's authorization request.

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;

/// What a client pushed, as checked.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct AuthorizationRequestRow {
    /// The random part of its `request_uri`.
    pub request_id: String,
    /// The client.
    pub client_id: String,
    /// Its redirect URI (one of the client's, exactly).
    pub redirect_uri: String,
    /// The scope asked for.
    pub scope: String,
    /// The client's `state`.
    pub state: String,
    /// The client's `nonce`.
    pub nonce: String,
    /// The PKCE S256 code challenge.
    pub code_challenge: String,
    /// The DPoP key thumbprint the code is bound to, if any.
    pub dpop_jkt: Option<String>,
    /// Pushed, Unix seconds.
    pub created_at: i64,
    /// Unusable from, Unix seconds.
    pub expires_at: i64,
}

/// Stores a pushed request.
pub async fn insert(conn: &mut AnyConnection, row: &AuthorizationRequestRow) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO oidc_requests (request_id, client_id, redirect_uri, scope, state, nonce, \
         code_challenge, dpop_jkt, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&row.request_id)
    .bind(&row.client_id)
    .bind(&row.redirect_uri)
    .bind(&row.scope)
    .bind(&row.state)
    .bind(&row.nonce)
    .bind(&row.code_challenge)
    .bind(&row.dpop_jkt)
    .bind(row.created_at)
    .bind(row.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes the request `request_id` of `client_id` once, before its expiry: `None` when it is
/// unknown, another client's, used or expired. One conditional `UPDATE` makes it single use.
pub async fn take(
    conn: &mut AnyConnection,
    request_id: &str,
    client_id: &str,
    now: i64,
) -> ServerResult<Option<AuthorizationRequestRow>> {
    let taken = sqlx::query(
        "UPDATE oidc_requests SET used_at = $3 WHERE request_id = $1 AND client_id = $2 \
         AND used_at IS NULL AND expires_at > $3",
    )
    .bind(request_id)
    .bind(client_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if taken.rows_affected() != 1 {
        return Ok(None);
    }
    Ok(sqlx::query_as(
        "SELECT request_id, client_id, redirect_uri, scope, state, nonce, code_challenge, \
         dpop_jkt, created_at, expires_at FROM oidc_requests WHERE request_id = $1",
    )
    .bind(request_id)
    .fetch_optional(conn)
    .await?)
}

/// Forgets requests that expired before `before`.
pub async fn sweep_expired(conn: &mut AnyConnection, before: i64) -> ServerResult<()> {
    sqlx::query("DELETE FROM oidc_requests WHERE expires_at < $1")
        .bind(before)
        .execute(conn)
        .await?;
    Ok(())
}
