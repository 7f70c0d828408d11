//! Demo data and the registries the server ships (what `dinhdanh-server seed` loads).

use super::{AppState, ServerResult};

pub use crate::seed::{CITIZEN_REGISTRY, DEMO_ACCOUNTS, DEMO_UNREGISTERED, DemoAccount};

/// Seeds the demo accounts, officers and registries (idempotent).
pub async fn seed_demo(state: &AppState) -> ServerResult<()> {
    crate::seed::seed_demo(state).await
}

/// Loads the shipped citizen registry; how many people it holds.
pub async fn seed_citizen_registry(state: &AppState) -> ServerResult<usize> {
    crate::seed::seed_registry(state).await
}
