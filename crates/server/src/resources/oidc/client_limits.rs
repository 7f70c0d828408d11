//! Rate limits per relying party on the endpoints its servers call — PAR, token and
//! introspection — counted by the authenticated client id in each instance's memory
//! (`infra::memory_limits`, the window of the other limits). The per-address limits of the
//! person-facing routes do not fit here: a service's back end sends all its users' requests
//! from a few addresses, and one service's burst must not slow another down.
//!
//! Only authenticated requests are counted: counting a claimed `client_id` before its assertion
//! is checked would let anybody spend a service's budget.

use super::error::{OAuthError, OAuthResult};
use crate::infra::error::ServerError;
use crate::infra::state::AppState;
use crate::resources::clients::Client;

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
    match state
        .memory_limits
        .hit(state.now(), limits.rate_window_secs, &key, limit)
    {
        Ok(()) => Ok(()),
        Err(ServerError::Api(e)) if e.retry_after_secs.is_some() => {
            Err(OAuthError::rate_limited(e.retry_after_secs.unwrap_or(1)))
        }
        Err(e) => Err(e.into()),
    }
}
