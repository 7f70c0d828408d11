//! The wire types of the backend API: every request and response body, defined once and used
//! by the server, the device client and the UI, so the three can never drift apart.
//!
//! Conventions:
//! - JSON, field names in `snake_case`, enums as `snake_case` strings (tagged with `type` when
//!   they carry data).
//! - Identifiers are the core crate's parsed types, so a malformed value is rejected while the
//!   body is read, with the same [`crate::IdError`] the UI shows under the field.
//! - Times are RFC 3339 in UTC ([`Timestamp`]); calendar dates are `YYYY-MM-DD`.
//! - Every sensitive action is a [`Confirmed`] body: the body the person saw and a
//!   [`SignedActionEnvelope`] whose body hash covers it.
//! - Every failure is one [`ApiError`] shape: a stable machine code, a Vietnamese and an English
//!   sentence, and the field it concerns.
//! - Secrets ([`SecretText`], [`SessionToken`], [`OneTimeCode`]) print as `***` and are wiped
//!   from memory on drop.

mod accounts;
mod audit;
mod calendar;
mod desktop_actions;
mod error;
mod live;
mod oidc;
mod organisations;
mod qr_login;
mod registrations;
mod secrets;
mod services;
mod sessions;

pub mod paths;

pub use accounts::*;
pub use audit::*;
pub use calendar::*;
pub use desktop_actions::*;
pub use error::*;
pub use live::*;
pub use oidc::*;
pub use organisations::*;
pub use qr_login::*;
pub use registrations::*;
pub use secrets::*;
pub use services::*;
pub use sessions::*;

use serde::{Deserialize, Serialize};

use crate::crypto::Digest32;
use crate::signed_action::SignedActionEnvelope;

/// A point in time on the wire: RFC 3339, UTC.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// A sensitive action as sent to the server: what the person confirmed, and the confirmation.
///
/// The server recomputes the canonical hash of `body` and requires it to equal the body hash
/// inside the signed action, so nothing the person saw can be changed on the way.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Confirmed<T> {
    /// Everything the person confirmed (form data, role, expiry, the desktop's key ...).
    pub body: T,
    /// The signed action, signed by the device's confirmation key.
    pub confirmation: SignedActionEnvelope,
}

impl<T: Serialize> Confirmed<T> {
    /// The canonical hash of the body, to compare with the one inside the signed action.
    pub fn body_hash(&self) -> Result<Digest32, crate::signed_action::ActionError> {
        crate::signed_action::canonical_body_hash(&self.body)
    }
}

/// One page of a list, with the cursor of the next page when there is one.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Pass as `after` to get the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// A person as shown to someone else: name and a masked identification number, never the
/// full CCCD number.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRef {
    /// The person's account.
    pub account: crate::ids::AccountId,
    /// Full name, with diacritics.
    pub full_name: String,
    /// Masked identification number, e.g. `001*******345`.
    pub citizen_id_masked: String,
}

/// Who asked for a registration, as shown to someone else: name and masked number, and their
/// account once they have one. A person taken at the counter (Cách 2) may have none yet; they
/// are recorded by their identification number and get the request when they create one.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequesterRef {
    /// The person's account; `None` while they have no account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<crate::ids::AccountId>,
    /// Full name, with diacritics.
    pub full_name: String,
    /// Masked identification number, e.g. `001*******345`.
    pub citizen_id_masked: String,
}
