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
        .merge(crate::resources::live::routes())
        .merge(crate::resources::oidc::routes())
        .merge(crate::resources::services::routes())
        .merge(crate::resources::console::routes())
        .merge(openapi::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            client_address,
        ))
        .with_state(state)
}

/// Resolves the client's address once per request, before any route: behind a configured
/// reverse proxy, the address it forwarded (`infra::client_address`).
async fn client_address(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let (mut parts, body) = req.into_parts();
    crate::infra::client_address::resolve_for(
        &mut parts.extensions,
        &parts.headers,
        &state.config.trusted_proxies,
    );
    req = axum::extract::Request::from_parts(parts, body);
    next.run(req).await
}
