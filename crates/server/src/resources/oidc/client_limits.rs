//! Rate limits per relying party on the endpoints its servers call — PAR, token and
//! introspection — counted by the authenticated client id in each instance's memory
//! (`infra::memory_limits`, the window of the other limits). The per-address limits of the
//! person-facing routes do not fit here: a service's back end sends all its users' requests
//! from a few addresses, and one service's burst must not slow another down.
//!
//! Only authenticated requests are counted: counting a claimed `client_id` before its assertion
//! is checked would let anybody spend a service's budget. Failed authentications are counted
//! apart, per address ([`FAILED_AUTHENTICATIONS_PER_ADDRESS`]): an address that keeps sending
//! forged assertions is refused before its next one is checked.

use axum::http::request::Parts;

use super::error::{OAuthError, OAuthResult};
use super::jose::{self, Form};
use crate::infra::error::ServerError;
use crate::infra::rate_limit;
use crate::infra::state::AppState;
use crate::resources::clients::Client;

/// Failed client authentications one address may make in a window (per instance) before its
/// next ones are refused without their assertion being checked: a flood of forged assertions
/// would otherwise cost a signature check each, and no service fails this often. Successes are
/// not counted, so a service's busy back end is never slowed by it.
pub const FAILED_AUTHENTICATIONS_PER_ADDRESS: i64 = 20;

/// [`jose::authenticate_client`], refused at once (`429`) for an address over
/// [`FAILED_AUTHENTICATIONS_PER_ADDRESS`] failures in the window, and counting a failure.
pub(super) async fn authenticate(
    state: &AppState,
    parts: &Parts,
    form: &Form,
    endpoint: &str,
) -> OAuthResult<Client> {
    let window = state.config.limits.rate_window_secs;
    // The address is personal data (Decree 13/2023): the key holds its keyed hash.
    let address = rate_limit::client_ip(parts);
    let key = format!(
        "oidc_client_auth_failed:{}",
        rate_limit::hex(&state.keys.keyed_hash(&[b"ip\0", address.as_bytes()]))
    );
    let limit = FAILED_AUTHENTICATIONS_PER_ADDRESS;
    state
        .memory_limits
        .check(state.now(), window, &key, limit)
        .map_err(limited)?;
    match jose::authenticate_client(state, &parts.headers, form, endpoint).await {
        Ok(client) => Ok(client),
        Err(e) if e.code() == "invalid_client" => {
            state
                .memory_limits
                .hit(state.now(), window, &key, limit)
                .map_err(limited)?;
            Err(e)
        }
        Err(e) => Err(e),
    }
}

/// A memory bucket's refusal as OAuth's `429`.
fn limited(e: ServerError) -> OAuthError {
    match e {
        ServerError::Api(e) if e.retry_after_secs.is_some() => {
            OAuthError::rate_limited(e.retry_after_secs.unwrap_or(1))
        }
        e => e.into(),
    }
}

/// An endpoint with a limit of its own per client.
#[derive(Clone, Copy, Debug)]
pub(super) enum Endpoint {
    /// Pushed authorization requests.
    Par,
    /// The token endpoint.
    Token,
    /// Introspection.
    Introspect,
}

/// Counts one request of `client` to `endpoint`; `429` with `Retry-After` beyond the
/// configured limit in the current window.
pub(super) fn count(state: &AppState, client: &Client, endpoint: Endpoint) -> OAuthResult<()> {
    let limits = &state.config.limits;
    let (name, limit) = match endpoint {
        Endpoint::Par => ("oidc_par", limits.oidc_par_per_client),
        Endpoint::Token => ("oidc_token", limits.oidc_token_per_client),
        Endpoint::Introspect => ("oidc_introspect", limits.oidc_introspect_per_client),
    };
    let key = format!("{name}:{}", client.id);
    state
        .memory_limits
        .hit(state.now(), limits.rate_window_secs, &key, limit)
        .map_err(limited)
}
