//! Accounts, levels, roles and confirmation methods: the small domain words every layer shares.

use serde::{Deserialize, Serialize};

/// Assurance level of a personal e-ID account (Decree 69/2024, Art. 12–13).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountLevel {
    /// Self-registered in the app, checked against the citizen registry.
    Level1,
    /// Verified in person by the police; required to register an organisation.
    Level2,
}

/// A person's role in an organisation account.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgRole {
    /// A legal representative with an account: everything, including managing delegates.
    Owner,
    /// Acts for the organisation and manages members.
    Administrator,
    /// Acts for the organisation; manages no one.
    Member,
}

impl OrgRole {
    /// Whether this role may add or revoke a delegate holding `other`.
    pub fn may_manage(self, other: OrgRole) -> bool {
        match self {
            OrgRole::Owner => true,
            OrgRole::Administrator => other == OrgRole::Member,
            OrgRole::Member => false,
        }
    }
}

/// How a person confirmed a sensitive action on their device.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmationMethod {
    /// The 6-digit passcode, turned into the passcode-derived confirmation key on the device.
    Passcode,
    /// Fingerprint or face, unlocking a biometric-bound key held by the platform.
    Biometric,
}
