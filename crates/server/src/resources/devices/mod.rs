//! Devices: binding a phone to an account, resetting a forgotten passcode, and locking one's
//! own account after losing the phone.
//!
//! One active device per account. Binding needs the password and a one-time code sent to the
//! registered phone, and proof that the new device holds its device key; it unbinds the old
//! device (its confirmation keys are voided and every session of the account ends) and tells
//! the person by SMS and in the inbox. Each two-step operation is a `start` that checks the
//! password and sends a code, and a `finish` that redeems the code (single use, 5 minutes,
//! 5 tries). Each step's change, audit entries and alerts commit in one transaction; the
//! password-attempt and code-attempt counts, and the audit entries of refusals, stay on their
//! own.

use axum::routing::post;
use dinhdanh_core::api::paths;

use crate::infra::state::AppState;

mod binding;
mod passcode_reset;
mod self_lock;
mod two_step;

pub use two_step::unbind_devices;

/// Routes of this module.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(paths::DEVICE_BINDING_START, post(binding::binding_start))
        .route(paths::DEVICE_BINDING_FINISH, post(binding::binding_finish))
        .route(
            paths::PASSCODE_RESET_START,
            post(passcode_reset::passcode_reset_start),
        )
        .route(
            paths::PASSCODE_RESET_FINISH,
            post(passcode_reset::passcode_reset_finish),
        )
        .route(paths::SELF_LOCK_START, post(self_lock::self_lock_start))
        .route(paths::SELF_LOCK_FINISH, post(self_lock::self_lock_finish))
}
