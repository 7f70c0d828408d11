//! The OpenID provider (`resources::oidc`): its endpoints' paths and limits, and the signing-key
//! rotation the operator's command runs.

use super::{AppState, ServerResult};
use crate::resources::oidc as inner;

pub use inner::{
    ACR_LEVEL_2, AUTHORIZE, AUTHORIZE_CONTINUE, CODE_SECS, DISCOVERY, INTROSPECT, JWKS, PAR,
    REQUEST_URI_SECS, RETIRED_KEY_SECS, SIGN_IN_SECS, TOKEN, TOKEN_SECS, USERINFO,
};
// The login page (issue 15, point 3).
pub use inner::{
    AUTHORIZE_EVENTS, AUTHORIZE_PAGE, AUTHORIZE_REFRESH, AUTHORIZE_STATUS, CLIENT_LOGO,
    CONTENT_SECURITY_POLICY, LOGIN_CSS, LOGIN_JS, MAX_REFRESHES, REQUEST_LIFE_SECS,
};
// The same-device hand-over by verified https links.
pub use inner::FAILED_AUTHENTICATIONS_PER_ADDRESS;
pub use inner::{
    APP_PAGE_CONTENT_SECURITY_POLICY, APP_SIGN_IN, APPLE_APP_SITE_ASSOCIATION, ASSET_LINKS,
};
pub use inner::{
    BACKCHANNEL_EVENT, END_SESSION, FIRST_RETRY_SECS, LOGOUT_TOKEN_TYPE, MAX_ATTEMPTS,
};

/// Delivers the back-channel logouts due now (the server's background task does it too, at
/// once after the action that queued them and every few seconds); how many were delivered.
pub async fn deliver_logouts(state: &AppState) -> ServerResult<usize> {
    inner::deliver_logouts(state).await
}

/// Rotates the signing key (`dinhdanh-server oidc rotate-key`); the new key's `kid`.
pub async fn rotate_signing_key(state: &AppState, changeover_secs: i64) -> ServerResult<String> {
    inner::rotate_signing_key(state, changeover_secs).await
}
