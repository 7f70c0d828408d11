//! A relying party's keys at its JWKS URI: fetched over https (plain http only on loopback,
//! like redirect URIs), at most [`MAX_JWKS_BYTES`] within [`FETCH_TIMEOUT`], redirects not
//! followed, and checked by the same rules as a registered set (1–5 public P-256 keys for
//! ES256, distinct `kid`s). Kept in this instance's memory for [`CACHE_SECS`]; a `kid` the
//! cached set does not hold fetches the set again (a key rotated in), at most once every
//! [`REFETCH_SECS`] per client, so unknown `kid`s cannot make the server hammer the service.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use jsonwebtoken::jwk::{Jwk, JwkSet};

use super::validation;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;

/// Largest JWK set document read, in bytes.
pub const MAX_JWKS_BYTES: usize = 64 * 1024;
/// How long a fetch may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a fetched set is used before it is fetched again, in seconds.
pub const CACHE_SECS: i64 = 3600;
/// The shortest time between two fetches for one client, in seconds.
pub const REFETCH_SECS: i64 = 30;

/// A fetched set and when (server clock).
struct Cached {
    uri: String,
    fetched_at: i64,
    keys: Option<JwkSet>,
}

fn cache() -> std::sync::MutexGuard<'static, HashMap<String, Cached>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Cached>>> = OnceLock::new();
    CACHE
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

fn http_client() -> ServerResult<&'static reqwest::Client> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c);
    }
    let built = reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ServerError::Internal(format!("HTTP client: {e}")))?;
    Ok(CLIENT.get_or_init(|| built))
}

/// Fetches and checks the set at `uri`; a description of what is wrong otherwise.
pub(super) async fn fetch(uri: &str) -> Result<JwkSet, String> {
    let client = http_client().map_err(|e| e.to_string())?;
    let mut resp = client
        .get(uri)
        .header("accept", "application/jwk-set+json, application/json")
        .send()
        .await
        .map_err(|e| format!("unreachable: {}", e.without_url()))?;
    if !resp.status().is_success() {
        return Err(format!("answered {}", resp.status()));
    }
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_JWKS_BYTES as u64)
    {
        return Err("the document is too large".into());
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| format!("reading: {}", e.without_url()))?
    {
        if body.len() + chunk.len() > MAX_JWKS_BYTES {
            return Err("the document is too large".into());
        }
        body.extend_from_slice(&chunk);
    }
    let text = String::from_utf8(body).map_err(|_| "the document is not text".to_owned())?;
    let mut problems = Vec::new();
    validation::jwks_text(&text, &mut problems).ok_or_else(|| {
        problems
            .first()
            .map_or_else(String::new, |p| p.message_en.clone())
    })
}

/// The key `kid` of a client whose keys are at `uri`: from the cached set, else fetched (see
/// the module documentation). `None` when the service does not publish it.
pub async fn key(state: &AppState, client_id: &str, uri: &str, kid: &str) -> Option<Jwk> {
    let now = state.now();
    let (fresh, may_fetch, found) = {
        let map = cache();
        match map.get(client_id).filter(|c| c.uri == uri) {
            None => (false, true, None),
            Some(c) => (
                now - c.fetched_at < CACHE_SECS,
                now - c.fetched_at >= REFETCH_SECS,
                c.keys.as_ref().and_then(|k| k.find(kid)).cloned(),
            ),
        }
    };
    if found.is_some() && fresh {
        return found;
    }
    if !may_fetch {
        return found;
    }
    let fetched = fetch(uri).await;
    let mut map = cache();
    match fetched {
        Ok(keys) => {
            let out = keys.find(kid).cloned();
            map.insert(
                client_id.to_owned(),
                Cached {
                    uri: uri.to_owned(),
                    fetched_at: now,
                    keys: Some(keys),
                },
            );
            out
        }
        Err(why) => {
            tracing::warn!(client = %client_id, reason = %why, "a client's JWKS URI failed");
            // What was fetched before stays in use; the next fetch waits its turn.
            let previous = map.remove(client_id).and_then(|c| c.keys);
            map.insert(
                client_id.to_owned(),
                Cached {
                    uri: uri.to_owned(),
                    fetched_at: now,
                    keys: previous,
                },
            );
            found
        }
    }
}
