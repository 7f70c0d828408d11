//! Relying parties as stored (`oidc_clients`) and the confusable skeletons of their names
//! (`oidc_client_names`), whose primary key keeps two look-alike names from both existing.

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;

/// A relying party as stored; lists are JSON text.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct ClientRow {
    /// `rp_…`.
    pub client_id: String,
    /// Vietnamese name.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
    /// JSON array of the exact redirect URIs.
    pub redirect_uris: String,
    /// The client's JWK set (public keys, JSON).
    pub jwks: String,
    /// The sector its pairwise subject identifiers are computed for (a host).
    pub sector: String,
    /// JSON array of the claims it may receive.
    pub allowed_claims: String,
    /// Organisation accounts may sign in to it (0 or 1).
    pub allow_organisations: i64,
    /// The identification number may be released to it (0 or 1).
    pub allow_citizen_id: i64,
    /// Its logo, re-encoded as PNG by this server.
    pub logo_png: Option<Vec<u8>>,
    /// Its back-channel logout endpoint.
    pub backchannel_logout_uri: Option<String>,
    /// JSON array of its exact post-logout redirect URIs.
    pub post_logout_redirect_uris: String,
    /// Where it publishes its keys, when not inline.
    pub jwks_uri: Option<String>,
    /// `active` or `disabled`.
    pub status: String,
    /// Registered, Unix seconds.
    pub created_at: i64,
    /// Disabled, Unix seconds.
    pub disabled_at: Option<i64>,
}

const COLUMNS: &str = "client_id, name_vi, name_en, redirect_uris, jwks, sector, allowed_claims, \
     allow_organisations, allow_citizen_id, logo_png, status, created_at, disabled_at, \
     backchannel_logout_uri, post_logout_redirect_uris, jwks_uri";

/// Stores a new, active client.
pub async fn insert(conn: &mut AnyConnection, row: &ClientRow) -> ServerResult<()> {
    sqlx::query(&format!(
        "INSERT INTO oidc_clients ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12, $13, $14, $15, $16)"
    ))
    .bind(&row.client_id)
    .bind(&row.name_vi)
    .bind(&row.name_en)
    .bind(&row.redirect_uris)
    .bind(&row.jwks)
    .bind(&row.sector)
    .bind(&row.allowed_claims)
    .bind(row.allow_organisations)
    .bind(row.allow_citizen_id)
    .bind(row.logo_png.clone())
    .bind(&row.status)
    .bind(row.created_at)
    .bind(row.disabled_at)
    .bind(&row.backchannel_logout_uri)
    .bind(&row.post_logout_redirect_uris)
    .bind(&row.jwks_uri)
    .execute(conn)
    .await?;
    Ok(())
}

/// Claims a name skeleton for `client_id`; `false` when another client holds it already.
pub async fn claim_name(
    conn: &mut AnyConnection,
    skeleton: &str,
    client_id: &str,
) -> ServerResult<bool> {
    let done = sqlx::query(
        "INSERT INTO oidc_client_names (skeleton, client_id) VALUES ($1, $2) \
         ON CONFLICT DO NOTHING",
    )
    .bind(skeleton)
    .bind(client_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The client `client_id`, whatever its status.
pub async fn find(conn: &mut AnyConnection, client_id: &str) -> ServerResult<Option<ClientRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM oidc_clients WHERE client_id = $1"
    ))
    .bind(client_id)
    .fetch_optional(conn)
    .await?)
}

/// Every client, oldest first.
pub async fn list(conn: &mut AnyConnection) -> ServerResult<Vec<ClientRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM oidc_clients ORDER BY created_at, client_id"
    ))
    .fetch_all(conn)
    .await?)
}

/// Disables an active client; `false` when it is not active (or not there).
pub async fn disable(conn: &mut AnyConnection, client_id: &str, now: i64) -> ServerResult<bool> {
    let done = sqlx::query(
        "UPDATE oidc_clients SET status = 'disabled', disabled_at = $2 \
         WHERE client_id = $1 AND status = 'active'",
    )
    .bind(client_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces an active client's JWK set (JSON text, checked by the caller); `false` when it is
/// not active (or not there).
pub async fn set_jwks(conn: &mut AnyConnection, client_id: &str, jwks: &str) -> ServerResult<bool> {
    let done = sqlx::query(
        "UPDATE oidc_clients SET jwks = $2, jwks_uri = NULL \
             WHERE client_id = $1 AND status = 'active'",
    )
    .bind(client_id)
    .bind(jwks)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces a client's redirect URIs (JSON text) and sector: the console's registration when the
/// server's origin changed (`resources::console::ensure_client`).
pub async fn set_redirect_uris(
    conn: &mut AnyConnection,
    client_id: &str,
    redirect_uris: &str,
    sector: &str,
) -> ServerResult<()> {
    sqlx::query("UPDATE oidc_clients SET redirect_uris = $2, sector = $3 WHERE client_id = $1")
        .bind(client_id)
        .bind(redirect_uris)
        .bind(sector)
        .execute(conn)
        .await?;
    Ok(())
}
