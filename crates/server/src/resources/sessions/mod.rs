//! Sessions: sign-in, renewal, the list of one's sessions, sign-out; and the two reads every
//! signed-in screen needs (who am I, my inbox).
//!
//! A session token is 32 random bytes, stored only as its SHA-256, and useless alone: each
//! session is bound to a key (the phone's device key, or a desktop's key after QR login) and
//! every request carries a proof signed by it. Sessions pause after 30 minutes without a
//! request — the device renews them by signing a fresh challenge — and end 12 hours after
//! sign-in, when the password is needed again. Signing in rotates the token: each sign-in
//! gives a new one and ends the device's earlier sessions.

use axum::routing::{delete, get, post};
use dinhdanh_core::api::paths;

use crate::infra::state::AppState;

mod lifecycle;
mod listing;
mod me;
mod renewal;
mod sign_in;

pub use lifecycle::{NewSession, create_session, create_session_in};

/// Routes of this module.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            paths::LOGIN,
            post(sign_in::sign_in).get(listing::list_sessions),
        )
        .route(paths::SESSION_RENEWAL, post(renewal::renew))
        .route(paths::SESSION_CURRENT, delete(listing::sign_out))
        .route(paths::SESSION, delete(listing::end_session))
        .route(paths::ME, get(me::me))
        .route(paths::NOTIFICATIONS, get(me::notifications))
}
