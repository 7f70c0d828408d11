//! Sign-ins to relying parties as stored (`oidc_sign_ins`). Each move of a sign-in's state is
//! one conditional `UPDATE` naming the state it leaves, so two answers, two code issues or two
//! redemptions cannot both win. The moves themselves are decided in
//! `resources/oidc/sign_in.rs`.

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;

/// A sign-in as stored.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct SignInRow {
    /// Its id (a 256-bit rendezvous id).
    pub sign_in_id: String,
    /// The client.
    pub client_id: String,
    /// The redirect URI the code goes to.
    pub redirect_uri: String,
    /// The scope asked for.
    pub scope: String,
    /// The client's `state`.
    pub state_param: String,
    /// The client's `nonce`.
    pub nonce: String,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
    /// The DPoP key thumbprint the code is bound to, if any.
    pub dpop_jkt: Option<String>,
    /// Keyed hash of the browser's cookie.
    pub browser_hash: Vec<u8>,
    /// The browser's address.
    pub ip_address: String,
    /// When the browser asked, Unix seconds: the first sign-in of its pushed request (a new code
    /// on the login page keeps it, so the request's life is counted from there).
    pub created_at: i64,
    /// No answer accepted from, Unix seconds.
    pub expires_at: i64,
    /// `pending`, `approved`, `declined`, `code_issued`, `redeemed`, `revoked` or `retired`.
    pub state: String,
    /// The person who approved.
    pub account_id: Option<String>,
    /// The organisation chosen.
    pub acting_for: Option<String>,
    /// The claims approved (JSON array).
    pub claims: Option<String>,
    /// The authentication methods (JSON array, RFC 8176).
    pub amr: Option<String>,
    /// When the person confirmed, Unix seconds.
    pub auth_time: Option<i64>,
    /// When the code stops being accepted, Unix seconds.
    pub code_expires_at: Option<i64>,
}

const COLUMNS: &str = "sign_in_id, client_id, redirect_uri, scope, state_param, nonce, \
     code_challenge, dpop_jkt, browser_hash, ip_address, created_at, expires_at, state, \
     account_id, acting_for, claims, amr, auth_time, code_expires_at";

/// Stores a new, pending sign-in.
pub async fn insert(conn: &mut AnyConnection, row: &SignInRow) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO oidc_sign_ins (sign_in_id, client_id, redirect_uri, scope, state_param, \
         nonce, code_challenge, dpop_jkt, browser_hash, ip_address, created_at, expires_at, \
         state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending')",
    )
    .bind(&row.sign_in_id)
    .bind(&row.client_id)
    .bind(&row.redirect_uri)
    .bind(&row.scope)
    .bind(&row.state_param)
    .bind(&row.nonce)
    .bind(&row.code_challenge)
    .bind(&row.dpop_jkt)
    .bind(row.browser_hash.clone())
    .bind(&row.ip_address)
    .bind(row.created_at)
    .bind(row.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The sign-in `id`.
pub async fn find(conn: &mut AnyConnection, id: &str) -> ServerResult<Option<SignInRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM oidc_sign_ins WHERE sign_in_id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// The sign-in whose code has this hash.
pub async fn find_by_code(
    conn: &mut AnyConnection,
    code_hash: &[u8],
) -> ServerResult<Option<SignInRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM oidc_sign_ins WHERE code_hash = $1"
    ))
    .bind(code_hash.to_vec())
    .fetch_optional(conn)
    .await?)
}

/// The phone's approval.
pub struct Approval<'a> {
    /// The person.
    pub account_id: &'a str,
    /// The organisation chosen.
    pub acting_for: Option<&'a str>,
    /// The claims approved (JSON array).
    pub claims: &'a str,
    /// The authentication methods (JSON array).
    pub amr: &'a str,
}

/// pending -> approved, before expiry; `false` when it was not pending or has expired.
pub async fn approve(
    conn: &mut AnyConnection,
    id: &str,
    approval: &Approval<'_>,
    now: i64,
) -> ServerResult<bool> {
    let done = sqlx::query(
        "UPDATE oidc_sign_ins SET state = 'approved', account_id = $2, acting_for = $3, \
         claims = $4, amr = $5, auth_time = $6 \
         WHERE sign_in_id = $1 AND state = 'pending' AND expires_at > $6",
    )
    .bind(id)
    .bind(approval.account_id)
    .bind(approval.acting_for)
    .bind(approval.claims)
    .bind(approval.amr)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// pending -> declined, before expiry.
pub async fn decline(conn: &mut AnyConnection, id: &str, now: i64) -> ServerResult<bool> {
    let done = sqlx::query(
        "UPDATE oidc_sign_ins SET state = 'declined' \
         WHERE sign_in_id = $1 AND state = 'pending' AND expires_at > $2",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// pending -> retired, once expired: a new sign-in replaces it ("new code" on the login page);
/// `false` when it was answered, is still open, or was replaced already.
pub async fn retire(conn: &mut AnyConnection, id: &str, now: i64) -> ServerResult<bool> {
    let done = sqlx::query(
        "UPDATE oidc_sign_ins SET state = 'retired' \
         WHERE sign_in_id = $1 AND state = 'pending' AND expires_at <= $2",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many sign-ins of the same pushed request, for the same browser, were retired (each
/// replaced by a new code): the rows sharing the browser, client, nonce and PKCE challenge.
/// They are kept until the sweep, which comes only after the request's hour.
pub async fn retired_for_same_request(
    conn: &mut AnyConnection,
    row: &SignInRow,
) -> ServerResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM oidc_sign_ins WHERE state = 'retired' AND browser_hash = $1 \
         AND client_id = $2 AND nonce = $3 AND code_challenge = $4",
    )
    .bind(row.browser_hash.clone())
    .bind(&row.client_id)
    .bind(&row.nonce)
    .bind(&row.code_challenge)
    .fetch_one(conn)
    .await?)
}

/// approved -> code_issued, for the browser holding the cookie with this hash only.
pub async fn issue_code(
    conn: &mut AnyConnection,
    id: &str,
    browser_hash: &[u8],
    code_hash: &[u8],
    code_expires_at: i64,
) -> ServerResult<bool> {
    let done = sqlx::query(
        "UPDATE oidc_sign_ins SET state = 'code_issued', code_hash = $3, code_expires_at = $4 \
         WHERE sign_in_id = $1 AND state = 'approved' AND browser_hash = $2",
    )
    .bind(id)
    .bind(browser_hash.to_vec())
    .bind(code_hash.to_vec())
    .bind(code_expires_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// code_issued -> redeemed, before the code's expiry; `false` when the code was used already
/// (or has expired).
pub async fn redeem(conn: &mut AnyConnection, id: &str, now: i64) -> ServerResult<bool> {
    let done = sqlx::query(
        "UPDATE oidc_sign_ins SET state = 'redeemed' \
         WHERE sign_in_id = $1 AND state = 'code_issued' AND code_expires_at > $2",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// code_issued | redeemed -> revoked (a code was replayed).
pub async fn revoke(conn: &mut AnyConnection, id: &str) -> ServerResult<bool> {
    let done = sqlx::query(
        "UPDATE oidc_sign_ins SET state = 'revoked' \
         WHERE sign_in_id = $1 AND state IN ('code_issued', 'redeemed')",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets sign-ins made before `before` (their codes are long expired; tokens issued from them
/// expire sooner still).
pub async fn sweep_expired(conn: &mut AnyConnection, before: i64) -> ServerResult<()> {
    sqlx::query("DELETE FROM oidc_sign_ins WHERE expires_at < $1")
        .bind(before)
        .execute(conn)
        .await?;
    Ok(())
}
