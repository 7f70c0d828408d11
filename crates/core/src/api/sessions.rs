//! Challenges, sign-in, sessions, renewal and switching the active account.

use serde::{Deserialize, Serialize};

use super::{SecretText, SessionToken, Timestamp};
use crate::account::{AccountLevel, OrgRole};
use crate::crypto::KeyId;
use crate::ids::{AccountId, CitizenId, DeviceId, OrgEid, SessionId};
use crate::signed_action::{ActionKind, Challenge, Origin};

/// Asks the server for a challenge to sign, naming what it is for.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeRequest {
    /// What the challenge will be used for; it is good for that only.
    pub purpose: ChallengePurpose,
}

/// What a challenge is for.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChallengePurpose {
    /// Sign-in: the device key signs the request that carries it.
    SignIn,
    /// Renewing an idle session: the session key signs the request that carries it.
    RenewSession,
    /// A sensitive action, confirmed with the confirmation key in a signed action.
    Action {
        /// Which action.
        kind: ActionKind,
    },
}

/// A server challenge: at least 128 random bits, single use, valid for at most 5 minutes.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeResponse {
    /// The challenge (base64url on the wire).
    pub challenge: Challenge,
    /// The server's origin, to be put in the signed action.
    pub origin: Origin,
    /// What it is for.
    pub purpose: ChallengePurpose,
    /// When it stops being accepted.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub expires_at: Timestamp,
}

/// Sign-in with identification number and password, plus proof of the bound device: the
/// request carries a request proof (see [`crate::request_proof`]) signed by the device key,
/// whose body hash covers this body and so the fresh challenge in it. The session will be
/// bound to that key.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize, Deserialize)]
pub struct LoginRequest {
    /// Personal identification number.
    pub citizen_id: CitizenId,
    /// Password as typed.
    pub password: SecretText,
    /// The bound device.
    pub device_id: DeviceId,
    /// A fresh challenge from [`super::paths::CHALLENGES`]; single use, so the signed request
    /// cannot be replayed.
    pub challenge: Challenge,
}

/// What a successful sign-in returns. The token is useless without the key it is bound to.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize, Deserialize)]
pub struct LoginResponse {
    /// The new session's token (stored in the OS keystore by the client).
    pub token: SessionToken,
    /// The session.
    pub session: SessionView,
    /// The account signed in.
    pub account: super::AccountView,
}

/// Where a session runs.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// The person's bound phone.
    Device,
    /// A desktop signed in by QR code from the phone; cannot bind devices or manage delegates.
    Desktop,
}

/// A session as its owner sees it (never the token).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// The session.
    pub id: SessionId,
    /// Phone or desktop.
    pub kind: SessionKind,
    /// The account it belongs to.
    pub account: AccountId,
    /// The organisation it currently acts for, if it has switched to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acting_for: Option<OrgEid>,
    /// Id of the key every request must be signed with.
    pub bound_key_id: KeyId,
    /// Name of the device or desktop ("Firefox trên Ubuntu").
    pub client_name: String,
    /// When it began.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// When it pauses unless used (30 minutes after the last request).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub idle_expires_at: Timestamp,
    /// When it ends for good (12 hours after sign-in).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub absolute_expires_at: Timestamp,
}

/// Renews an idle-expired session within its absolute expiry: the request, carrying a fresh
/// challenge, is signed (request proof) by the key the session is bound to. After the
/// absolute expiry the password is needed again.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRenewal {
    /// The session.
    pub session: SessionId,
    /// A fresh challenge.
    pub challenge: Challenge,
}

/// The accounts a person may switch between (*Đổi tài khoản*).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountChoices {
    /// The personal account.
    pub personal: PersonalChoice,
    /// Every organisation the person may act for, with their role.
    pub organisations: Vec<OrganisationChoice>,
    /// The organisation the session acts for now; `None` means the personal account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<OrgEid>,
}

/// The personal account in the switcher.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalChoice {
    /// The account.
    pub account: AccountId,
    /// Full name.
    pub full_name: String,
    /// Level 1 or 2 (registration of organisations needs level 2).
    pub level: AccountLevel,
}

/// An organisation in the switcher.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationChoice {
    /// The organisation's e-ID number.
    pub eid: OrgEid,
    /// Its Vietnamese name.
    pub name: String,
    /// The person's role in it.
    pub role: OrgRole,
    /// Whether the organisation's account is usable (not locked or closed).
    pub usable: bool,
}

/// Switches the session to an organisation, or back to the personal account (`to: None`).
/// Sent as a [`super::Confirmed`] body with action kind `switch_account`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwitchAccount {
    /// The organisation to act for; `None` returns to the personal account.
    pub to: Option<OrgEid>,
}

/// Ends a session (one's own, or a desktop signed in by QR). Sent as a [`super::Confirmed`]
/// body with action kind `end_session` when it is another session than the current one.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndSession {
    /// The session to end.
    pub session: SessionId,
}
