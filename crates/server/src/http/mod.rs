//! The HTTP layer: the router, request authentication and body extractors, the WebSocket push
//! helper and the API description. It calls the resources; nothing below calls it back.

pub mod auth;
pub mod confirmation;
pub mod confirmed;
pub mod openapi;
pub mod push;

use axum::Router;
use axum::routing::get;
use dinhdanh_core::api::paths;

use crate::infra::state::AppState;
use crate::resources::{
    accounts, challenges, desktop_actions, devices, officers, organisations, qr_login,
    registrations, sessions, step_up,
};

/// The whole API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(paths::HEALTH, get(|| async { "ok" }))
        .merge(challenges::routes())
        .merge(accounts::routes())
        .merge(devices::routes())
        .merge(sessions::routes())
        .merge(officers::routes())
        .merge(organisations::routes())
        .merge(crate::resources::delegations::routes())
        .merge(crate::resources::progress::routes())
        .merge(registrations::routes())
        .merge(qr_login::routes())
        .merge(step_up::routes())
        .merge(desktop_actions::routes())
        .merge(crate::resources::oidc::routes())
        .merge(openapi::routes())
        .with_state(state)
}
