//! The audit trail and the in-app inbox.

use serde::{Deserialize, Serialize};

use super::Timestamp;
use crate::crypto::Digest32;
use crate::ids::{AccountId, DeviceId, NotificationId, OrgEid};

/// One entry of the append-only, hash-chained audit trail: "person X for organisation Y did Z
/// from device D". It never holds a full CCCD number, a password, a passcode or a token.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// When.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    /// Who acted (`None` for the system itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<AccountId>,
    /// For which organisation, when acting for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acting_for: Option<OrgEid>,
    /// From which device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceId>,
    /// What, as a stable code (`registration.submitted`, `delegate.added`, ...).
    pub action: String,
    /// On what (`registration:REQ...`), when it concerns an object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Whether it succeeded.
    pub outcome: AuditOutcome,
    /// Hash of the previous entry (zeros for the first).
    pub prev_hash: Digest32,
    /// Hash of this entry, covering every field above.
    pub hash: Digest32,
}

/// One entry of an organisation's activity, as its owners and administrators read it: who
/// acted for the organisation (name and masked identification number), from which device
/// (the name its owner gave it), when, what and on what. Like [`AuditEntry`], it never holds a
/// full identification number, a password, a passcode or a token.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationActivityEntry {
    /// Position in the audit chain.
    pub seq: u64,
    /// When.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    /// Who acted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<AccountId>,
    /// Their full name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_name: Option<String>,
    /// Their identification number, masked (`001*******45`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_citizen_id_masked: Option<String>,
    /// From which device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceId>,
    /// The device's name, as its owner named it when binding it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
    /// What, as a stable code (`delegation.added`, `session.switch`, ...).
    pub action: String,
    /// On what (`registration:REQ...`), when it concerns an object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Whether it succeeded.
    pub outcome: AuditOutcome,
}

/// Whether an audited action succeeded.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    /// It was done.
    Success,
    /// It was refused (wrong confirmation, forbidden ...).
    Denied,
}

/// The result of verifying the audit chain.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditVerification {
    /// Entries checked.
    pub entries: u64,
    /// The first entry whose hash or link is wrong, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_broken: Option<u64>,
    /// Whether the chain's head matches the last signed checkpoint kept outside the database.
    pub checkpoint_matches: bool,
}

/// A message in the person's in-app inbox (also sent by phone/e-mail through the outbox).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// The notification.
    pub id: NotificationId,
    /// What it is about.
    pub kind: NotificationKind,
    /// Title in Vietnamese.
    pub title_vi: String,
    /// Title in English.
    pub title_en: String,
    /// Text in Vietnamese.
    pub body_vi: String,
    /// Text in English.
    pub body_en: String,
    /// When.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// Whether the person has opened it.
    pub read: bool,
    /// The object it links to (`registration:...`, `session:...`), for the app to open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// Kinds of notification.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A registration was approved.
    RegistrationApproved,
    /// A registration was rejected (the reason is in the text).
    RegistrationRejected,
    /// An officer asked for more information.
    InformationRequested,
    /// A co-representative's consent is needed.
    ConsentRequested,
    /// Someone was made a delegate of an organisation, or their delegation ended.
    DelegationChanged,
    /// A desktop signed in by QR code (with one-tap sign-out).
    DesktopSignedIn,
    /// The account was bound to another device.
    DeviceChanged,
    /// The account was locked or unlocked.
    AccountLockChanged,
    /// A sensitive action started on a desktop waits for confirmation.
    ConfirmationRequested,
    /// The person signed in to a service (a relying party of this OpenID provider).
    ServiceSignedIn,
}
