//! Relying parties (`resources::clients`), registered as the operator's command line does.

use super::{AppState, ServerResult};
use crate::resources::clients as inner;

pub use inner::{Claim, Client, ClientRegistration, name_skeleton};

/// Registers a relying party.
pub async fn add_client(
    state: &AppState,
    registration: &ClientRegistration,
) -> ServerResult<Client> {
    inner::add_client(state, registration).await
}

/// Every relying party.
pub async fn list_clients(state: &AppState) -> ServerResult<Vec<Client>> {
    inner::list_clients(state).await
}

/// One relying party.
pub async fn find_client(state: &AppState, client_id: &str) -> ServerResult<Option<Client>> {
    inner::find_client(state, client_id).await
}

/// Disables a relying party.
pub async fn disable_client(state: &AppState, client_id: &str) -> ServerResult<()> {
    inner::disable_client(state, client_id).await
}

/// Replaces a relying party's JWK set.
pub async fn set_client_jwks(
    state: &AppState,
    client_id: &str,
    jwks: &str,
) -> ServerResult<Client> {
    inner::set_client_jwks(state, client_id, jwks).await
}
