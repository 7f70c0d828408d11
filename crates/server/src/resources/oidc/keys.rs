//! The provider's ES256 signing keys: in the database so every instance signs with the same
//! key and publishes the same set, the private scalar encrypted with the server's blob key
//! (`ServerKeys::encrypt_blob`, purpose [`KEY_PURPOSE`]) like the other secrets at rest.
//!
//! The newest key whose `signs_from` has come signs; every key not past its `retires_at` is
//! published. A rotation ([`rotate_signing_key`], `dinhdanh-server oidc rotate-key`) adds a
//! key that signs after a change-over period and marks the old one to retire
//! [`RETIRED_KEY_SECS`] after that: during the change-over both are published, so relying
//! parties that cache the JWKS learn the new key before it signs, and tokens signed by the old
//! one still verify until they have expired.

use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
    EllipticCurveKeyType, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse, ThumbprintHash,
};
use jsonwebtoken::{EncodingKey, Header};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::EncodePrivateKey;
use rand_core::OsRng;
use serde::Serialize;

use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::store::audit::AuditRecord;
use crate::store::oidc_keys::{self, SigningKeyRow};
use crate::store::tx::Tx;

/// Purpose of the encrypted private keys (associated data of the blob encryption).
pub const KEY_PURPOSE: &str = "oidc.signing_key";
/// Default change-over of a rotation: the new key is published this long before it signs.
pub const DEFAULT_CHANGEOVER_SECS: i64 = 24 * 3600;
/// How long a replaced key stays published after its successor starts signing (longer than
/// any token it signed lives).
pub const RETIRED_KEY_SECS: i64 = 24 * 3600;

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The public JWK of a key, with its `kid` (its RFC 7638 thumbprint).
fn public_jwk(key: &p256::SecretKey) -> ServerResult<Jwk> {
    let point = key.public_key().to_encoded_point(false);
    let (Some(x), Some(y)) = (point.x(), point.y()) else {
        return Err(ServerError::Internal(
            "signing key has no coordinates".into(),
        ));
    };
    let mut jwk = Jwk {
        common: CommonParameters {
            public_key_use: Some(PublicKeyUse::Signature),
            key_algorithm: Some(KeyAlgorithm::ES256),
            ..Default::default()
        },
        algorithm: AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
            key_type: EllipticCurveKeyType::EC,
            curve: EllipticCurve::P256,
            x: b64(x),
            y: b64(y),
        }),
    };
    jwk.common.key_id = Some(jwk.thumbprint(ThumbprintHash::SHA256));
    Ok(jwk)
}

/// A new key row signing from `signs_from`.
fn new_key(state: &AppState, now: i64, signs_from: i64) -> ServerResult<SigningKeyRow> {
    let secret = p256::SecretKey::random(&mut OsRng);
    let jwk = public_jwk(&secret)?;
    let kid = jwk.common.key_id.clone().unwrap_or_default();
    Ok(SigningKeyRow {
        kid,
        private_enc: state.keys.encrypt_blob(KEY_PURPOSE, &secret.to_bytes()),
        public_jwk: serde_json::to_string(&jwk)
            .map_err(|e| ServerError::Internal(format!("jwk: {e}")))?,
        created_at: now,
        signs_from,
        retires_at: None,
    })
}

/// An entry of a key event, made by the server or the operator (no actor).
fn key_record<'a>(action: &'a str, object: &'a str) -> AuditRecord<'a> {
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

/// The published keys, creating the first one when there is none.
async fn published(state: &AppState) -> ServerResult<Vec<SigningKeyRow>> {
    let now = state.now();
    let rows = oidc_keys::published(&mut *state.pool.acquire().await?, now).await?;
    if !rows.is_empty() {
        return Ok(rows);
    }
    // Two instances starting at once may both create one: both are published and the newer
    // signs, which is harmless.
    let mut tx = Tx::begin(state, "oidc.key_create").await?;
    let row = new_key(state, now, now)?;
    oidc_keys::insert(tx.conn()?, &row).await?;
    let object = format!("oidc_key:{}", row.kid);
    tx.audit(key_record("oidc.key_create", &object));
    tx.commit().await?;
    Ok(vec![row])
}

/// The JWK set the provider publishes at its JWKS URI.
pub async fn jwks(state: &AppState) -> ServerResult<JwkSet> {
    let rows = published(state).await?;
    let keys = rows
        .iter()
        .map(|r| serde_json::from_str::<Jwk>(&r.public_jwk))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServerError::Internal(format!("stored jwk: {e}")))?;
    Ok(JwkSet { keys })
}

/// Signs `claims` as a JWT with the key that signs now.
pub async fn sign<T: Serialize>(state: &AppState, claims: &T) -> ServerResult<String> {
    sign_typed(state, None, claims).await
}

/// [`sign`] with a `typ` header (`logout+jwt` for a logout token).
pub async fn sign_typed<T: Serialize>(
    state: &AppState,
    typ: Option<&str>,
    claims: &T,
) -> ServerResult<String> {
    let now = state.now();
    let rows = published(state).await?;
    let row = rows
        .iter()
        .filter(|r| r.signs_from <= now)
        .max_by_key(|r| r.signs_from)
        .ok_or_else(|| ServerError::Internal("no signing key signs yet".into()))?;
    let plain = state
        .keys
        .decrypt_blob(KEY_PURPOSE, &row.private_enc)
        .ok_or_else(|| ServerError::Internal("signing key does not decrypt".into()))?;
    let secret = p256::SecretKey::from_slice(&plain)
        .map_err(|_| ServerError::Internal("signing key is malformed".into()))?;
    let der = secret
        .to_pkcs8_der()
        .map_err(|_| ServerError::Internal("signing key does not encode".into()))?;
    let mut header = Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(row.kid.clone());
    if let Some(typ) = typ {
        header.typ = Some(typ.to_owned());
    }
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ec_der(der.as_bytes()))
        .map_err(|e| ServerError::Internal(format!("signing: {e}")))
}

/// Rotates the signing key: a new key, published now, signs from `changeover_secs` from now;
/// every older key retires [`RETIRED_KEY_SECS`] after that. Audited (`oidc.key_rotate`).
/// Returns the new key's `kid`.
pub async fn rotate_signing_key(state: &AppState, changeover_secs: i64) -> ServerResult<String> {
    // The first key exists before it is replaced, so the rotation always leaves two.
    published(state).await?;
    let mut tx = Tx::begin(state, "oidc.key_rotate").await?;
    let now = tx.now();
    let signs_from = now + changeover_secs.max(0);
    let row = new_key(state, now, signs_from)?;
    oidc_keys::insert(tx.conn()?, &row).await?;
    oidc_keys::retire_others(tx.conn()?, &row.kid, signs_from + RETIRED_KEY_SECS).await?;
    let object = format!("oidc_key:{}", row.kid);
    tx.audit(key_record("oidc.key_rotate", &object));
    tx.commit().await?;
    Ok(row.kid)
}
