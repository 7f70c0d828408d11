//! The backend as an OpenID provider (OpenID Connect Core 1.0, authorization-code flow only,
//! following the FAPI 2.0 Security Profile): a relying party registered by the operator
//! (`resources::clients`) signs a person in, and the person approves every sign-in on their
//! phone. `docs/design/openid-provider.md` describes the protocol; in short:
//!
//! 1. The relying party pushes its request (`POST` [`PAR`], RFC 9126), authenticating with
//!    `private_key_jwt` ([`jose::authenticate_client`]); PKCE S256, an exact registered
//!    redirect URI, `scope` with `openid` and a `nonce` are required. It gets a `request_uri`.
//! 2. The browser is sent to [`AUTHORIZE`] with `client_id` and `request_uri` only. The request
//!    is taken once and becomes a pending sign-in bound to that browser by a cookie
//!    ([`authorize`]).
//! 3. The phone reads the sign-in (the service's name and redirect origin from the registry)
//!    and approves it with a confirmed signed action naming the service, the redirect origin,
//!    the claims and the account (`phone`), or declines.
//! 4. The browser continues ([`AUTHORIZE_CONTINUE`]); only the browser holding the cookie gets
//!    the code, sent to the redirect URI with `state` and `iss` (RFC 9207).
//! 5. The relying party redeems the code at [`TOKEN`] with its client assertion, the PKCE
//!    verifier and a DPoP proof; it gets an ID token (ES256, [`keys`]) and an opaque access
//!    token bound to its DPoP key. A replayed code revokes everything issued from it.
//! 6. Its back end asks [`INTROSPECT`] (RFC 7662) whether a token is still active; a DPoP
//!    request to [`USERINFO`] returns the claims.
//! 7. Logout (`logout`): the relying party sends the browser to [`END_SESSION`] with its ID
//!    token, which revokes that sign-in's tokens; when a delegation ends, an organisation is
//!    locked or closed, or the person locks the account, every service they are signed in to
//!    there gets a back-channel logout token.
//!
//! Refused on purpose: implicit and hybrid flows, requests not pushed, `alg: none`, HS* and any
//! algorithm but ES256, unregistered redirect URIs, level-1 accounts.

mod app_links;
mod authorize;
mod browser;
mod claims;
mod client_limits;
pub use client_limits::FAILED_AUTHENTICATIONS_PER_ADDRESS;
mod discovery;
mod error;
mod jose;
mod keys;
mod logout;
mod page;
mod phone;
mod refresh;
mod refusal_page;
mod sign_in;
mod token;
mod tokens_in_use;

use axum::routing::{get, post};
use dinhdanh_core::api::paths;

use crate::infra::state::AppState;

pub use app_links::{
    APP_PAGE_CONTENT_SECURITY_POLICY, APP_SIGN_IN, APPLE_APP_SITE_ASSOCIATION, ASSET_LINKS,
};
pub use keys::{DEFAULT_CHANGEOVER_SECS, RETIRED_KEY_SECS, jwks, rotate_signing_key};
pub use logout::{
    BACKCHANNEL_EVENT, END_SESSION, FIRST_RETRY_SECS, LOGOUT_TOKEN_TYPE, MAX_ATTEMPTS,
    deliver_due as deliver_logouts, run_delivery as run_logout_delivery,
};
pub use page::CONTENT_SECURITY_POLICY;
// For the first-party console (`resources::console`), which signs officers in through this
// provider in process: the same request, code and browser checks, not copies of them.
pub(crate) use authorize::{PushedRequest, push_in_process};
pub(crate) use error::OAuthError;
pub(crate) use page::secure as secure_page;
pub(crate) use refresh::from_own_page;
pub use refresh::{MAX_REFRESHES, REQUEST_LIFE_SECS};
pub use sign_in::{SignInEvent, SignInState};
pub(crate) use token::{PresentedCode, check_code, redeem, revoke_after_replay};

/// `GET`: the discovery document (OpenID Connect Discovery 1.0).
pub const DISCOVERY: &str = "/.well-known/openid-configuration";
/// `GET`: the provider's public keys.
pub const JWKS: &str = "/oidc/jwks";
/// `POST`: pushed authorization requests (RFC 9126).
pub const PAR: &str = "/oidc/par";
/// `GET`: the authorization endpoint, for the browser.
pub const AUTHORIZE: &str = "/oidc/authorize";
/// `GET`: the browser continues once the phone answered.
pub const AUTHORIZE_CONTINUE: &str = "/oidc/authorize/continue";
/// `GET`: the login page of a sign-in already made (`?sign_in=`, its browser only).
pub const AUTHORIZE_PAGE: &str = "/oidc/authorize/page";
/// `GET`: the login page's WebSocket (`?sign_in=`), told when the phone answers.
pub const AUTHORIZE_EVENTS: &str = "/oidc/authorize/events";
/// `GET`: the sign-in's state for the login page (`?sign_in=`), when its socket fails.
pub const AUTHORIZE_STATUS: &str = "/oidc/authorize/status";
/// `POST`: "new code" for an expired sign-in (`?sign_in=`).
pub const AUTHORIZE_REFRESH: &str = "/oidc/authorize/refresh";
/// `GET`: the login page's style sheet.
pub const LOGIN_CSS: &str = "/oidc/assets/login.css";
/// `GET`: the login page's script.
pub const LOGIN_JS: &str = "/oidc/assets/login.js";
/// `GET`: a client's logo (PNG, as stored at registration).
pub const CLIENT_LOGO: &str = "/oidc/clients/{client_id}/logo.png";
/// `POST`: the token endpoint.
pub const TOKEN: &str = "/oidc/token";
/// `POST`: token introspection (RFC 7662).
pub const INTROSPECT: &str = "/oidc/introspect";
/// `GET`, `POST`: userinfo, with a DPoP-bound access token.
pub const USERINFO: &str = "/oidc/userinfo";

/// How long a pushed request's `request_uri` may be used, in seconds.
pub const REQUEST_URI_SECS: i64 = 60;
/// How long a sign-in waits for the phone, in seconds (by default, and at most).
pub const SIGN_IN_SECS: i64 = crate::infra::config::OIDC_SIGN_IN_SECS;
/// How long an authorization code may be redeemed, in seconds.
pub const CODE_SECS: i64 = 60;
/// How long an access token and an ID token live, in seconds.
pub const TOKEN_SECS: i64 = 300;

/// The `acr` of a sign-in approved on a bound phone by a level-2 account.
pub const ACR_LEVEL_2: &str = "urn:dinhdanh:acr:level-2";

/// Routes of this module.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(DISCOVERY, get(discovery::configuration))
        .route(JWKS, get(discovery::jwks))
        .route(PAR, post(authorize::push))
        .route(AUTHORIZE, get(authorize::authorize))
        .route(AUTHORIZE_CONTINUE, get(authorize::continue_in_browser))
        .route(AUTHORIZE_PAGE, get(browser::page_again))
        .route(AUTHORIZE_EVENTS, get(browser::events))
        .route(AUTHORIZE_STATUS, get(browser::status))
        .route(AUTHORIZE_REFRESH, post(refresh::refresh))
        .route(LOGIN_CSS, get(page::login_css))
        .route(LOGIN_JS, get(page::login_js))
        .route(CLIENT_LOGO, get(page::logo))
        .route(ASSET_LINKS, get(app_links::asset_links))
        .route(
            APPLE_APP_SITE_ASSOCIATION,
            get(app_links::apple_app_site_association),
        )
        .route(APP_SIGN_IN, get(app_links::app_sign_in_page))
        .route(TOKEN, post(token::token))
        .route(INTROSPECT, post(tokens_in_use::introspect))
        .route(
            USERINFO,
            get(tokens_in_use::userinfo).post(tokens_in_use::userinfo),
        )
        .route(
            END_SESSION,
            get(logout::end_session).post(logout::end_session),
        )
        .route(paths::OIDC_SIGN_IN, get(phone::read_sign_in))
        .route(paths::OIDC_SIGN_IN_APPROVAL, post(phone::approve))
        .route(paths::OIDC_SIGN_IN_DECLINE, post(phone::decline))
}

/// The issuer: this server's origin (https; plain http only on loopback, which the origin's
/// own grammar enforces — the documented exception for development and tests).
fn issuer(state: &AppState) -> &str {
    state.config.origin.as_str()
}

/// The wake-up topic of a sign-in, on which its login page's socket waits.
fn browser_topic(sign_in: &dinhdanh_core::qr_login::RendezvousId) -> String {
    format!("oidc:{sign_in}")
}

/// The full URL of one of the provider's endpoints.
fn endpoint(state: &AppState, path: &str) -> String {
    format!("{}{path}", issuer(state))
}
