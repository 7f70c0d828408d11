//! Personal e-ID accounts and the citizen registry they are checked against.
//!
//! - **The citizen registry** stands in for the national population database: who exists, with
//!   their name, date of birth, gender, phone and e-mail. It is loaded from a CSV file shipped
//!   in the repository ([`parse_citizen_registry`], [`load_citizen_registry`]). Identification
//!   numbers are stored as a keyed hash for look-ups, an encrypted copy and a masked form, so a
//!   database dump alone lists none of them.
//! - **Accounts** have a level: level 1 is self-registered in the app (identification number,
//!   name, date of birth and phone checked against the registry, then a one-time code to that
//!   phone); level 2 is set by an officer who verified the person in person (the CLI) or by the
//!   demo seed. Passwords are hashed with argon2id.
//! - **One-time codes** ([`issue_code`], [`redeem_code`]) are shared by every flow that needs
//!   one: self-registration here, device binding, passcode reset and self-lock elsewhere. A code
//!   is 6 uniform random digits, stored only as a keyed hash bound to its pending operation,
//!   valid 5 minutes for 5 tries.
//! - **Personal data** (Decree 13/2023/NĐ-CP): a person sees everything held about them and the
//!   audit entries about them, never anyone else's.
//!
//! Every change is audited with the person's citizen key as the subject, in the change's own
//! transaction.

use axum::routing::{get, post};
use dinhdanh_core::api::paths;

use crate::infra::state::AppState;

mod account;
mod citizens;
mod one_time_codes;
mod password;
mod personal_data;
mod self_registration;

pub use account::{
    AccountRow, LockActor, account_view, create_account, find_account, find_account_by_citizen,
    find_account_by_key, find_account_by_key_in, find_account_in, session_account_view, set_level,
    set_lock, set_lock_in,
};
pub use citizens::{
    CitizenRecord, REGISTRY_HEADER, RegistryError, citizen_by_key, citizen_in, find_citizen,
    insert_citizen, load_citizen_registry, names_match, parse_citizen_registry, stored_citizen,
};
pub use one_time_codes::{issue_code, purpose, redeem_code};
pub use password::{dummy_password_check, hash_password, verify_password};
pub use personal_data::{active_device, personal_data};

/// Routes of this module.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            paths::SELF_REGISTRATION_START,
            post(self_registration::start_self_registration),
        )
        .route(
            paths::SELF_REGISTRATION_FINISH,
            post(self_registration::finish_self_registration),
        )
        .route(paths::MY_DATA, get(personal_data::my_data))
        .route(paths::MY_AUDIT, get(personal_data::my_audit))
}
