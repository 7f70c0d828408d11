//! Services (relying parties of the OpenID provider) as people see them: the registered
//! services an owner may allow a delegation to sign in to, and each person's consents to
//! services ([`consents`]).

mod consents;

use axum::Json;
use axum::extract::State;
use axum::routing::{delete, get};
use dinhdanh_core::api::{ServiceView, paths};

use crate::http::auth::Authed;
use crate::infra::error::ServerResult;
use crate::infra::state::AppState;
use crate::resources::clients::{self, Client, redirect_origin};

pub use consents::{Withdrawal, list_consents, record_consent, withdraw_consent};

/// Routes of this module.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(paths::SERVICES, get(get_services))
        .route(paths::SERVICE_CONSENTS, get(consents::get_consents))
        .route(paths::SERVICE_CONSENT, delete(consents::delete_consent))
}

/// The distinct origins of a client's redirect URIs, in registration order.
fn origins(client: &Client) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for uri in &client.redirect_uris {
        if let Some(o) = redirect_origin(uri) {
            if !out.contains(&o) {
                out.push(o);
            }
        }
    }
    out
}

/// The registered services an organisation's delegation may allow: active and accepting
/// organisation accounts, oldest first.
pub async fn delegable_services(state: &AppState) -> ServerResult<Vec<ServiceView>> {
    Ok(clients::list_clients(state)
        .await?
        .into_iter()
        .filter(|c| c.active && c.allow_organisations)
        .map(|c| ServiceView {
            origins: origins(&c),
            client_id: c.id,
            name_vi: c.name_vi,
            name_en: c.name_en,
        })
        .collect())
}

/// `GET /v1/services`.
async fn get_services(
    State(state): State<AppState>,
    _auth: Authed<()>,
) -> ServerResult<Json<Vec<ServiceView>>> {
    Ok(Json(delegable_services(&state).await?))
}
