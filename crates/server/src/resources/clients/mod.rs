//! Relying parties: the services a person may sign in to with this server as their OpenID
//! provider (`resources::oidc`). An operator registers them (`dinhdanh-server client
//! add|list|show|disable`); nothing on the API creates or changes one.
//!
//! A registration is checked whole before anything is stored, and every problem is reported at
//! once on its field ([`ClientRegistration`]): a name that looks like another client's (compared
//! by confusable skeleton, UTS #39, so `Cổng dịch vụ` and a Cyrillic look-alike are one name), a
//! redirect URI that is not https (plain http only on loopback, for development), a JWK set that
//! is not public P-256 keys with distinct `kid`s, a logo that is not a PNG or JPEG within the size
//! limits, a back-channel logout URI or post-logout redirect URI that fails the redirect URI's
//! checks. A refused registration changes nothing. Each
//! change is one transaction with its audit entry (`client.add`, `client.disable`), made by the
//! operator (no actor).
//!
//! The logo is decoded within limits and re-encoded as PNG at registration, so what a login page
//! will show is what this server wrote, never the operator's file or a hot link.
//!
//! Keys are registered inline, or published by the service at a JWKS URI (`remote_keys`:
//! fetched within size and time limits, cached, fetched again for an unknown `kid`).

mod remote_keys;
mod validation;

use dinhdanh_core::api::{ApiError, ErrorCode};
use jsonwebtoken::jwk::JwkSet;
use serde::{Deserialize, Serialize};

use crate::infra::error::{ServerError, ServerResult};
use crate::infra::ids::new_id;
use crate::infra::state::AppState;
use crate::store::audit::AuditRecord;
use crate::store::oidc_clients::{self, ClientRow};
use crate::store::tx::Tx;

pub use validation::{
    MAX_LOGO_BYTES, MAX_LOGO_PIXELS, MAX_NAME_CHARS, MAX_REDIRECT_URIS, is_es256_signing_key,
    name_skeleton, redirect_origin,
};

/// A claim a relying party may be registered to receive beyond `sub` and the sign-in's own
/// claims (`acr`, `amr`, `auth_time`, `nonce`). The organisation claim and the identification
/// number are governed by [`ClientRegistration::allow_organisations`] and
/// [`ClientRegistration::allow_citizen_id`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Claim {
    /// The person's full name (`name`).
    Name,
}

/// What an operator registers.
#[derive(Clone, Debug, Default)]
pub struct ClientRegistration {
    /// The service's name in Vietnamese, as the phone shows it.
    pub name_vi: String,
    /// Its name in English.
    pub name_en: String,
    /// The exact redirect URIs (https; http only on a loopback address).
    pub redirect_uris: Vec<String>,
    /// Its JWK set (JSON): the public ES256 keys its client assertions are signed with.
    /// Empty when it gives [`ClientRegistration::jwks_uri`] instead.
    pub jwks: String,
    /// Where it publishes its JWK set (https; http only on loopback), instead of `jwks`.
    pub jwks_uri: Option<String>,
    /// The sector its pairwise subject identifiers are computed for: a host. `None`: the host
    /// of its redirect URIs (they must then share one).
    pub sector: Option<String>,
    /// The claims it may receive (names as in [`Claim`]).
    pub allowed_claims: Vec<String>,
    /// Organisation accounts may sign in to it (it then receives the `organisation` claim).
    pub allow_organisations: bool,
    /// The identification number (CCCD) may be released to it.
    pub allow_citizen_id: bool,
    /// Its logo (PNG or JPEG, at most [`MAX_LOGO_BYTES`] and [`MAX_LOGO_PIXELS`] a side);
    /// stored re-encoded as PNG, so what is served is what this server wrote.
    pub logo: Option<Vec<u8>>,
    /// Its OpenID Connect Back-Channel Logout endpoint (https; http only on loopback; normal
    /// form, like a redirect URI). `None`: it is not told of logouts.
    pub backchannel_logout_uri: Option<String>,
    /// The exact addresses RP-initiated logout may send the browser back to.
    pub post_logout_redirect_uris: Vec<String>,
}

/// A registered relying party.
#[derive(Clone, Debug)]
pub struct Client {
    /// Its `client_id` (`rp_…`).
    pub id: String,
    /// Vietnamese name.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
    /// The exact redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Its public keys registered inline (empty when they are at [`Client::jwks_uri`]).
    pub jwks: JwkSet,
    /// Where it publishes its keys, when not inline.
    pub jwks_uri: Option<String>,
    /// The sector of its pairwise subject identifiers.
    pub sector: String,
    /// The claims it may receive.
    pub allowed_claims: Vec<Claim>,
    /// Organisation accounts may sign in to it.
    pub allow_organisations: bool,
    /// The identification number may be released to it.
    pub allow_citizen_id: bool,
    /// Its logo as this server re-encoded it (PNG).
    pub logo_png: Option<Vec<u8>>,
    /// Its back-channel logout endpoint, if any.
    pub backchannel_logout_uri: Option<String>,
    /// The exact addresses RP-initiated logout may send the browser back to.
    pub post_logout_redirect_uris: Vec<String>,
    /// Not disabled.
    pub active: bool,
    /// Registered, Unix seconds.
    pub created_at: i64,
}

impl Client {
    fn from_row(row: ClientRow) -> ServerResult<Client> {
        let bad = |what: &str| ServerError::Internal(format!("stored client {what} do not parse"));
        Ok(Client {
            redirect_uris: serde_json::from_str(&row.redirect_uris)
                .map_err(|_| bad("redirect URIs"))?,
            jwks: serde_json::from_str(&row.jwks).map_err(|_| bad("keys"))?,
            allowed_claims: serde_json::from_str(&row.allowed_claims).map_err(|_| bad("claims"))?,
            post_logout_redirect_uris: serde_json::from_str(&row.post_logout_redirect_uris)
                .map_err(|_| bad("post-logout redirect URIs"))?,
            backchannel_logout_uri: row.backchannel_logout_uri,
            jwks_uri: row.jwks_uri,
            id: row.client_id,
            name_vi: row.name_vi,
            name_en: row.name_en,
            sector: row.sector,
            allow_organisations: row.allow_organisations != 0,
            allow_citizen_id: row.allow_citizen_id != 0,
            logo_png: row.logo_png,
            active: row.status == "active",
            created_at: row.created_at,
        })
    }

    /// Whether `uri` is one of its redirect URIs, compared exactly (no prefix, no
    /// normalisation).
    pub fn has_redirect_uri(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|r| r == uri)
    }

    /// Whether `uri` is one of its post-logout redirect URIs, compared exactly.
    pub fn has_post_logout_redirect_uri(&self, uri: &str) -> bool {
        self.post_logout_redirect_uris.iter().any(|r| r == uri)
    }
}

/// Registers a relying party; its new `client_id`. Every problem of `registration` is reported
/// at once (`validation_failed` with one detail per field); a name confusable with a registered
/// one is refused on `name_vi`/`name_en`. Nothing is stored unless all is well.
pub async fn add_client(
    state: &AppState,
    registration: &ClientRegistration,
) -> ServerResult<Client> {
    let checked = validation::check(registration)?;
    if let Some(uri) = &checked.jwks_uri {
        // The set must be there and well-formed now, or nothing is registered.
        if let Err(why) = remote_keys::fetch(uri).await {
            return Err(ApiError::new(ErrorCode::ValidationFailed)
                .with_details(vec![validation::problem(
                    "jwks_uri",
                    &format!("Không dùng được bộ khóa ở địa chỉ này: {why}"),
                    &format!("The key set at this URI cannot be used: {why}"),
                )])
                .into());
        }
    }
    let client_id = new_id("rp");
    let mut tx = Tx::begin(state, "client.add").await?;
    let now = tx.now();
    let mut taken = Vec::new();
    for (field, skeleton) in &checked.skeletons {
        if !oidc_clients::claim_name(tx.conn()?, skeleton, &client_id).await? {
            taken.push(validation::problem(
                field,
                "Tên này trùng hoặc dễ nhầm với tên của một dịch vụ đã đăng ký.",
                "This name is the same as, or looks like, the name of a registered service.",
            ));
        }
    }
    if !taken.is_empty() {
        // Dropping the transaction rolls back the names claimed above.
        drop(tx);
        return Err(ApiError::new(ErrorCode::ValidationFailed)
            .with_details(taken)
            .into());
    }
    let row = ClientRow {
        client_id: client_id.clone(),
        name_vi: checked.name_vi.clone(),
        name_en: checked.name_en.clone(),
        redirect_uris: json(&checked.redirect_uris)?,
        jwks: json(&checked.jwks)?,
        sector: checked.sector.clone(),
        allowed_claims: json(&checked.allowed_claims)?,
        allow_organisations: i64::from(registration.allow_organisations),
        allow_citizen_id: i64::from(registration.allow_citizen_id),
        logo_png: checked.logo_png.clone(),
        backchannel_logout_uri: checked.backchannel_logout_uri.clone(),
        post_logout_redirect_uris: json(&checked.post_logout_redirect_uris)?,
        jwks_uri: checked.jwks_uri.clone(),
        status: "active".into(),
        created_at: now,
        disabled_at: None,
    };
    oidc_clients::insert(tx.conn()?, &row).await?;
    let object = format!("oidc_client:{client_id}");
    tx.audit(operator_record("client.add", &object));
    tx.commit().await?;
    Client::from_row(row)
}

/// The public key `kid` of `client`: from its inline set, or from the set at its JWKS URI
/// (cached; fetched again when `kid` is unknown, at most every
/// [`remote_keys::REFETCH_SECS`]). `None` when it has no such key.
pub async fn client_key(
    state: &AppState,
    client: &Client,
    kid: &str,
) -> Option<jsonwebtoken::jwk::Jwk> {
    match &client.jwks_uri {
        None => client.jwks.find(kid).cloned(),
        Some(uri) => remote_keys::key(state, &client.id, uri, kid).await,
    }
}

/// Every registered client, oldest first.
pub async fn list_clients(state: &AppState) -> ServerResult<Vec<Client>> {
    let rows = oidc_clients::list(&mut *state.pool.acquire().await?).await?;
    rows.into_iter().map(Client::from_row).collect()
}

/// The client `client_id`, whatever its status.
pub async fn find_client(state: &AppState, client_id: &str) -> ServerResult<Option<Client>> {
    oidc_clients::find(&mut *state.pool.acquire().await?, client_id)
        .await?
        .map(Client::from_row)
        .transpose()
}

/// Disables a client: it can start no new sign-in, and its live access tokens are revoked in
/// the same transaction. `not_found` for an unknown client, `invalid_state` when it is already
/// disabled.
pub async fn disable_client(state: &AppState, client_id: &str) -> ServerResult<()> {
    if find_client(state, client_id).await?.is_none() {
        return Err(ServerError::code(ErrorCode::NotFound));
    }
    let mut tx = Tx::begin(state, "client.disable").await?;
    let now = tx.now();
    if !oidc_clients::disable(tx.conn()?, client_id, now).await? {
        return Err(ServerError::code(ErrorCode::InvalidState));
    }
    crate::store::oidc_tokens::revoke_client(tx.conn()?, client_id, now).await?;
    let object = format!("oidc_client:{client_id}");
    tx.audit(operator_record("client.disable", &object));
    tx.commit().await
}

/// Replaces an active client's JWK set — the service rotated its keys, or (the demo service)
/// started again with a new key that lives only in its memory. The same checks as at
/// registration; on any problem nothing changes. Assertions signed by a key no longer in the
/// set are refused from now on; sign-ins and tokens already issued are not affected (access
/// tokens are bound to DPoP keys, not to the client's keys). A client that gave a JWKS URI
/// keeps its keys inline from now on (the URI is forgotten), so the set given here is the one
/// used. `not_found` for an unknown client,
/// `invalid_state` for a disabled one. Audited (`client.set_jwks`).
pub async fn set_client_jwks(
    state: &AppState,
    client_id: &str,
    jwks: &str,
) -> ServerResult<Client> {
    let set = validation::check_jwks(jwks)?;
    if find_client(state, client_id).await?.is_none() {
        return Err(ServerError::code(ErrorCode::NotFound));
    }
    let mut tx = Tx::begin(state, "client.set_jwks").await?;
    if !oidc_clients::set_jwks(tx.conn()?, client_id, &json(&set)?).await? {
        return Err(ServerError::code(ErrorCode::InvalidState));
    }
    let object = format!("oidc_client:{client_id}");
    tx.audit(operator_record("client.set_jwks", &object));
    tx.commit().await?;
    find_client(state, client_id)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))
}

/// An entry made by the operator's command line (no actor).
fn operator_record<'a>(action: &'a str, object: &'a str) -> AuditRecord<'a> {
    AuditRecord {
        actor: None,
        acting_for: None,
        device: None,
        action,
        object: Some(object),
        subject_key: None,
        denied: false,
    }
}

/// JSON text of a value stored in a text column.
fn json<T: Serialize>(value: &T) -> ServerResult<String> {
    serde_json::to_string(value).map_err(|e| ServerError::Internal(format!("encode: {e}")))
}
