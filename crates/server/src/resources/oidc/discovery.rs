//! Discovery (OpenID Connect Discovery 1.0) and the JWKS: what a relying party's library reads
//! to learn the endpoints, what is supported, and the keys ID tokens are signed with.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::{
    ACR_LEVEL_2, AUTHORIZE, END_SESSION, INTROSPECT, JWKS, PAR, TOKEN, USERINFO, endpoint, issuer,
    keys,
};
use crate::infra::error::ServerResult;
use crate::infra::state::AppState;

/// `GET /.well-known/openid-configuration`.
pub(super) async fn configuration(State(state): State<AppState>) -> Json<serde_json::Value> {
    let e = |path| endpoint(&state, path);
    Json(serde_json::json!({
        "issuer": issuer(&state),
        "authorization_endpoint": e(AUTHORIZE),
        "pushed_authorization_request_endpoint": e(PAR),
        "require_pushed_authorization_requests": true,
        "token_endpoint": e(TOKEN),
        "jwks_uri": e(JWKS),
        "userinfo_endpoint": e(USERINFO),
        "introspection_endpoint": e(INTROSPECT),
        "end_session_endpoint": e(END_SESSION),
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "scopes_supported": ["openid", "profile", "organisation", "cccd"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "request_parameter_supported": false,
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["ES256"],
        "introspection_endpoint_auth_methods_supported": ["private_key_jwt"],
        "introspection_endpoint_auth_signing_alg_values_supported": ["ES256"],
        "code_challenge_methods_supported": ["S256"],
        "dpop_signing_alg_values_supported": ["ES256"],
        "authorization_response_iss_parameter_supported": true,
        "acr_values_supported": [ACR_LEVEL_2],
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "name",
            "organisation", "sid", "cccd"
        ],
        "claims_parameter_supported": false,
    }))
}

/// `GET /oidc/jwks`: every published key (two during a rotation's change-over).
pub(super) async fn jwks(State(state): State<AppState>) -> ServerResult<Response> {
    let set = keys::jwks(&state).await?;
    let mut response = Json(set).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jwk-set+json"),
    );
    Ok(response)
}
