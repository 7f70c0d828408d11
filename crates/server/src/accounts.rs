//! (being written)

use crate::state::AppState;

/// Routes of this module.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
}
