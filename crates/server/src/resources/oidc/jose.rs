//! The provider's JOSE checks: client assertions (`private_key_jwt`, RFC 7523), DPoP proofs
//! (RFC 9449), PKCE (RFC 7636) and form parameters.
//!
//! Signatures and headers are checked by `jsonwebtoken`, allowed ES256 only, so `alg: none`,
//! HS* and RS* are refused before any key is looked at. Times are checked here against the
//! server's clock (the crate reads the system clock, which tests move).

use std::collections::HashMap;

use axum::http::HeaderMap;
use base64::Engine as _;
use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::error::{OAuthError, OAuthResult};
use crate::infra::state::AppState;
use crate::resources::clients::{self, Client, is_es256_signing_key};
use crate::store;

/// `client_assertion_type` of `private_key_jwt`.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Longest life a client assertion may have from now, in seconds ("short `exp`").
pub const ASSERTION_MAX_SECS: i64 = 300;
/// How old a DPoP proof may be, in seconds.
pub const DPOP_MAX_AGE_SECS: i64 = 60;
/// How far ahead of the server's clock a proof's `iat` may be, in seconds.
pub const CLOCK_SKEW_SECS: i64 = 5;
/// Longest `jti` accepted.
const MAX_JTI: usize = 256;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// base64url(SHA-256(text)).
pub fn sha256_b64(text: &str) -> String {
    b64(&Sha256::digest(text.as_bytes()))
}

/// A form body (`application/x-www-form-urlencoded`), each parameter at most once.
pub struct Form(HashMap<String, String>);

impl Form {
    /// Parses a form body; a parameter given twice is `invalid_request` (RFC 6749 §3.1).
    pub fn parse(body: &[u8]) -> OAuthResult<Form> {
        let mut map = HashMap::new();
        for (k, v) in url::form_urlencoded::parse(body) {
            if map.insert(k.clone().into_owned(), v.into_owned()).is_some() {
                return Err(OAuthError::invalid_request(format!("{k} is repeated")));
            }
        }
        Ok(Form(map))
    }

    /// A parameter, if given and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A parameter that must be given.
    pub fn require(&self, name: &str) -> OAuthResult<&str> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("{name} is missing")))
    }
}

/// ES256 only; times are checked by the caller against the server's clock.
fn es256_only() -> Validation {
    let mut v = Validation::new(Algorithm::ES256);
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    v
}

/// The JOSE header of a compact JWS as JSON, before anything else is trusted: `alg` must be
/// ES256 (so `none` and HS* never reach a key).
fn raw_header(token: &str) -> Option<serde_json::Value> {
    let first = token.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(first)
        .ok()?;
    let header: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    (header["alg"] == "ES256").then_some(header)
}

/// `aud` as one string or a list.
#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains(&self, wanted: &[&str]) -> bool {
        match self {
            Audience::One(a) => wanted.contains(&a.as_str()),
            Audience::Many(list) => list.iter().any(|a| wanted.contains(&a.as_str())),
        }
    }
}

#[derive(Deserialize)]
struct AssertionClaims {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<Audience>,
    exp: Option<i64>,
    iat: Option<i64>,
    nbf: Option<i64>,
    jti: Option<String>,
}

/// Authenticates the client of a request to `endpoint` (its full URL) by `private_key_jwt`:
/// an ES256 assertion signed by a key of its registered JWK set (by `kid`), `iss` = `sub` = its
/// `client_id`, `aud` the issuer or this endpoint, an `exp` within
/// [`ASSERTION_MAX_SECS`], and a `jti` never seen before for this client. Any other client
/// authentication (a secret, HTTP Basic) is refused.
pub async fn authenticate_client(
    state: &AppState,
    headers: &HeaderMap,
    form: &Form,
    endpoint: &str,
) -> OAuthResult<Client> {
    if headers.contains_key(axum::http::header::AUTHORIZATION)
        || form.get("client_secret").is_some()
    {
        return Err(OAuthError::invalid_client(
            "only private_key_jwt is accepted",
        ));
    }
    if form.get("client_assertion_type") != Some(JWT_BEARER) {
        return Err(OAuthError::invalid_client(
            "client_assertion_type must be jwt-bearer (private_key_jwt)",
        ));
    }
    let assertion = form
        .get("client_assertion")
        .ok_or_else(|| OAuthError::invalid_client("client_assertion is missing"))?;
    let header = raw_header(assertion)
        .ok_or_else(|| OAuthError::invalid_client("the assertion must be signed with ES256"))?;
    let kid = header["kid"]
        .as_str()
        .ok_or_else(|| OAuthError::invalid_client("the assertion names no kid"))?;
    // Which client: its `iss`, read before the signature is checked only to find the key.
    let unverified = jsonwebtoken::dangerous::insecure_decode::<AssertionClaims>(assertion)
        .map_err(|_| OAuthError::invalid_client("the assertion does not parse"))?;
    let client_id = unverified
        .claims
        .iss
        .ok_or_else(|| OAuthError::invalid_client("the assertion names no iss"))?;
    if form.get("client_id").is_some_and(|c| c != client_id) {
        return Err(OAuthError::invalid_client(
            "client_id is not the assertion's iss",
        ));
    }
    let client = clients::find_client(state, &client_id)
        .await?
        .filter(|c| c.active)
        .ok_or_else(|| OAuthError::invalid_client("unknown or disabled client"))?;
    let key = clients::client_key(state, &client, kid)
        .await
        .ok_or_else(|| OAuthError::invalid_client("unknown kid"))?;
    let decoding = DecodingKey::from_jwk(&key)
        .map_err(|_| OAuthError::invalid_client("the client's key is unusable"))?;
    let claims = jsonwebtoken::decode::<AssertionClaims>(assertion, &decoding, &es256_only())
        .map_err(|_| OAuthError::invalid_client("the assertion's signature does not verify"))?
        .claims;
    let now = state.now();
    if claims.iss.as_deref() != Some(client.id.as_str())
        || claims.sub.as_deref() != Some(client.id.as_str())
    {
        return Err(OAuthError::invalid_client(
            "iss and sub must be the client_id",
        ));
    }
    let issuer = state.config.origin.as_str();
    if !claims.aud.is_some_and(|a| a.contains(&[issuer, endpoint])) {
        return Err(OAuthError::invalid_client(
            "the assertion's audience is not this provider",
        ));
    }
    let exp = claims
        .exp
        .ok_or_else(|| OAuthError::invalid_client("the assertion has no exp"))?;
    if exp <= now {
        return Err(OAuthError::invalid_client("the assertion has expired"));
    }
    if exp > now + ASSERTION_MAX_SECS {
        return Err(OAuthError::invalid_client("the assertion lives too long"));
    }
    if claims.iat.is_some_and(|t| t > now + CLOCK_SKEW_SECS)
        || claims.nbf.is_some_and(|t| t > now + CLOCK_SKEW_SECS)
    {
        return Err(OAuthError::invalid_client("the assertion is not valid yet"));
    }
    let jti = claims
        .jti
        .filter(|j| !j.is_empty() && j.len() <= MAX_JTI)
        .ok_or_else(|| OAuthError::invalid_client("the assertion has no jti"))?;
    // Single use: recorded (in a statement of its own, kept whatever the request's outcome)
    // until it expires.
    let scope = format!("oidc_assertion:{}", client.id);
    if !remember_once(state, &scope, &jti, exp).await? {
        return Err(OAuthError::invalid_client("the assertion was used before"));
    }
    Ok(client)
}

async fn remember_once(
    state: &AppState,
    scope: &str,
    jti: &str,
    keep_until: i64,
) -> OAuthResult<bool> {
    let mut conn = state.pool.acquire().await?;
    let nonce = Sha256::digest(jti.as_bytes()).to_vec();
    Ok(store::proof_nonces::record(&mut conn, scope, nonce, keep_until).await?)
}

#[derive(Deserialize)]
struct DpopClaims {
    htm: Option<String>,
    htu: Option<String>,
    iat: Option<i64>,
    jti: Option<String>,
    ath: Option<String>,
}

/// A checked DPoP proof: the thumbprint of the key that made it.
pub struct DpopProof {
    /// RFC 7638 SHA-256 thumbprint of the proof's public key (`cnf.jkt`).
    pub jkt: String,
}

/// Checks the request's one `DPoP` header (RFC 9449 §4.3): `typ` `dpop+jwt`, ES256 by the
/// public P-256 key in its header, `htm` this method, `htu` this URL (without query and
/// fragment), `iat` within [`DPOP_MAX_AGE_SECS`], a `jti` never seen before for that key, and,
/// with an access token, `ath` its hash.
pub async fn verify_dpop(
    state: &AppState,
    headers: &HeaderMap,
    method: &str,
    url: &str,
    access_token: Option<&str>,
) -> OAuthResult<DpopProof> {
    let mut values = headers.get_all("dpop").iter();
    let proof = match (values.next(), values.next()) {
        (Some(v), None) => v
            .to_str()
            .map_err(|_| OAuthError::invalid_dpop_proof("the DPoP header is not text"))?,
        (None, _) => return Err(OAuthError::invalid_dpop_proof("a DPoP proof is required")),
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_dpop_proof("one DPoP proof only"));
        }
    };
    let raw = raw_header(proof)
        .ok_or_else(|| OAuthError::invalid_dpop_proof("the proof must be signed with ES256"))?;
    if raw["typ"] != "dpop+jwt" {
        return Err(OAuthError::invalid_dpop_proof("typ must be dpop+jwt"));
    }
    if raw["jwk"].get("d").is_some() {
        return Err(OAuthError::invalid_dpop_proof(
            "the proof's jwk is a private key",
        ));
    }
    let header = jsonwebtoken::decode_header(proof)
        .map_err(|_| OAuthError::invalid_dpop_proof("the proof's header does not parse"))?;
    let jwk: Jwk = header
        .jwk
        .filter(is_es256_signing_key)
        .ok_or_else(|| OAuthError::invalid_dpop_proof("the proof's jwk must be a P-256 key"))?;
    let key = DecodingKey::from_jwk(&jwk)
        .map_err(|_| OAuthError::invalid_dpop_proof("the proof's jwk is unusable"))?;
    let claims = jsonwebtoken::decode::<DpopClaims>(proof, &key, &es256_only())
        .map_err(|_| OAuthError::invalid_dpop_proof("the proof's signature does not verify"))?
        .claims;
    if claims.htm.as_deref() != Some(method) {
        return Err(OAuthError::invalid_dpop_proof(
            "htm is not this request's method",
        ));
    }
    let htu = claims
        .htu
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .map(|mut u| {
            u.set_query(None);
            u.set_fragment(None);
            u
        });
    if htu.as_ref().map(url::Url::as_str) != Some(url) {
        return Err(OAuthError::invalid_dpop_proof(
            "htu is not this request's URL",
        ));
    }
    let now = state.now();
    let iat = claims
        .iat
        .ok_or_else(|| OAuthError::invalid_dpop_proof("the proof has no iat"))?;
    if iat > now + CLOCK_SKEW_SECS || iat < now - DPOP_MAX_AGE_SECS {
        return Err(OAuthError::invalid_dpop_proof(
            "the proof is too old or too new",
        ));
    }
    if let Some(token) = access_token {
        if claims.ath.as_deref() != Some(sha256_b64(token).as_str()) {
            return Err(OAuthError::invalid_dpop_proof(
                "ath is not the access token's hash",
            ));
        }
    }
    let jti = claims
        .jti
        .filter(|j| !j.is_empty() && j.len() <= MAX_JTI)
        .ok_or_else(|| OAuthError::invalid_dpop_proof("the proof has no jti"))?;
    let jkt = jwk.thumbprint(ThumbprintHash::SHA256);
    let scope = format!("dpop:{jkt}");
    if !remember_once(
        state,
        &scope,
        &jti,
        iat + DPOP_MAX_AGE_SECS + CLOCK_SKEW_SECS,
    )
    .await?
    {
        return Err(OAuthError::invalid_dpop_proof("the proof was used before"));
    }
    Ok(DpopProof { jkt })
}

/// Whether `text` is a PKCE code challenge or verifier: 43–128 characters of the unreserved
/// alphabet (RFC 7636 §4.1).
pub fn is_pkce_text(text: &str) -> bool {
    (43..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Whether `verifier` answers the S256 `challenge`.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    is_pkce_text(verifier)
        && constant_time_eq(sha256_b64(verifier).as_bytes(), challenge.as_bytes())
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl",
            challenge
        ));
        assert!(!pkce_matches("short", challenge));
    }

    #[test]
    fn headers_other_than_es256_are_refused_before_any_key() {
        let enc = |v: serde_json::Value| b64(v.to_string().as_bytes());
        for alg in ["none", "HS256", "RS256", "ES384"] {
            let token = format!(
                "{}.{}.",
                enc(serde_json::json!({"alg": alg})),
                enc(serde_json::json!({}))
            );
            assert!(raw_header(&token).is_none(), "{alg}");
        }
        let token = format!("{}.e30.sig", enc(serde_json::json!({"alg": "ES256"})));
        assert!(raw_header(&token).is_some());
    }

    #[test]
    fn repeated_form_parameters_are_refused() {
        assert!(Form::parse(b"a=1&b=2").is_ok());
        assert!(Form::parse(b"a=1&a=2").is_err());
        assert_eq!(Form::parse(b"a=&b=x").unwrap().get("a"), None);
    }
}
