//! The OpenID provider's signing keys as stored (`oidc_signing_keys`): the private scalar
//! encrypted with the server's blob key, the public JWK, from when the key signs and until when
//! it is published.

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;

/// A signing key as stored.
#[derive(sqlx::FromRow, Clone)]
pub struct SigningKeyRow {
    /// Its `kid`.
    pub kid: String,
    /// The private scalar, encrypted (purpose `oidc.signing_key`).
    pub private_enc: Vec<u8>,
    /// The public JWK (JSON).
    pub public_jwk: String,
    /// Created, Unix seconds.
    pub created_at: i64,
    /// Signs from, Unix seconds.
    pub signs_from: i64,
    /// Unpublished from, Unix seconds (`None`: not retiring).
    pub retires_at: Option<i64>,
}

const COLUMNS: &str = "kid, private_enc, public_jwk, created_at, signs_from, retires_at";

/// Stores a new key.
pub async fn insert(conn: &mut AnyConnection, row: &SigningKeyRow) -> ServerResult<()> {
    sqlx::query(&format!(
        "INSERT INTO oidc_signing_keys ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
    ))
    .bind(&row.kid)
    .bind(row.private_enc.clone())
    .bind(&row.public_jwk)
    .bind(row.created_at)
    .bind(row.signs_from)
    .bind(row.retires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The keys still published at `now`, newest `signs_from` first.
pub async fn published(conn: &mut AnyConnection, now: i64) -> ServerResult<Vec<SigningKeyRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM oidc_signing_keys WHERE retires_at IS NULL OR retires_at > $1 \
         ORDER BY signs_from DESC, kid"
    ))
    .bind(now)
    .fetch_all(conn)
    .await?)
}

/// Sets when every key not yet retiring, other than `keep`, stops being published.
pub async fn retire_others(
    conn: &mut AnyConnection,
    keep: &str,
    retires_at: i64,
) -> ServerResult<()> {
    sqlx::query(
        "UPDATE oidc_signing_keys SET retires_at = $2 WHERE kid <> $1 AND retires_at IS NULL",
    )
    .bind(keep)
    .bind(retires_at)
    .execute(conn)
    .await?;
    Ok(())
}
