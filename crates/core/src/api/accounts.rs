//! Personal accounts, devices, confirmation keys, one-time codes and personal data.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{OneTimeCode, SecretText, Timestamp};
use crate::account::{AccountLevel, ConfirmationMethod};
use crate::crypto::{KeyId, PublicKey};
use crate::ids::{AccountId, CitizenId, DeviceId, Email, OrgEid, Password, PhoneNumber};

/// Where a one-time code was sent, masked (`09*****321`, `n***@example.vn`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeSent {
    /// Identifies the pending operation the code belongs to.
    pub pending_id: String,
    /// Masked phone number or e-mail address the code went to.
    pub sent_to: String,
    /// When the code stops working (5 minutes after it was sent).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub expires_at: Timestamp,
}

/// Self-registration of a level-1 account, step 1: who the person is. Checked against the
/// citizen registry; a one-time code goes to the phone.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfRegistrationStart {
    /// Personal identification number.
    pub citizen_id: CitizenId,
    /// Full name as in the citizen registry.
    pub full_name: String,
    /// Date of birth as in the citizen registry.
    pub date_of_birth: NaiveDate,
    /// Mobile number for one-time codes.
    pub phone: PhoneNumber,
    /// E-mail address, optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
}

/// Self-registration, step 2: the code and the new password (policy-checked on both sides).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize, Deserialize)]
pub struct SelfRegistrationFinish {
    /// From [`CodeSent::pending_id`].
    pub pending_id: String,
    /// The code received.
    pub code: OneTimeCode,
    /// The new password.
    pub password: Password,
}

/// An account as its owner sees it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    /// The account.
    pub id: AccountId,
    /// Full name.
    pub full_name: String,
    /// Masked identification number.
    pub citizen_id_masked: String,
    /// Level 1 or 2.
    pub level: AccountLevel,
    /// Whether the account is locked (by its owner or by an officer).
    pub locked: bool,
    /// Officer role, when the person is an officer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub officer: Option<OfficerRole>,
}

/// An officer role granted to a personal account, scoped to one of the 34 provinces.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficerRole {
    /// The province the officer works for.
    pub province: crate::ids::NewProvince,
    /// When the role was granted.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub granted_at: Timestamp,
}

/// The kind of platform a device runs.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// Android phone or tablet.
    Android,
    /// iPhone or iPad.
    Ios,
    /// Linux desktop.
    Linux,
    /// macOS desktop.
    Macos,
    /// Windows desktop.
    Windows,
}

/// A confirmation key the device registers: the passcode-derived key or a biometric-bound key.
/// Only the public half is sent; the server counts wrong signatures against it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationKey {
    /// How the key is unlocked on the device.
    pub method: ConfirmationMethod,
    /// Its public half.
    pub public_key: PublicKey,
}

/// Binding a device, step 1: password, and the code goes to the registered phone/e-mail.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize, Deserialize)]
pub struct DeviceBindingStart {
    /// Personal identification number.
    pub citizen_id: CitizenId,
    /// Current password.
    pub password: SecretText,
}

/// Binding a device, step 2: the code, and the keys generated on the device. Binding unbinds
/// any other device of the account, which is notified. The request carries a request proof
/// signed by the new device key, proving the device holds it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize, Deserialize)]
pub struct DeviceBindingFinish {
    /// From [`CodeSent::pending_id`].
    pub pending_id: String,
    /// The code received.
    pub code: OneTimeCode,
    /// The device's long-lived key (signs request proofs and renewals).
    pub device_key: PublicKey,
    /// The passcode-derived confirmation key.
    pub passcode_key: PublicKey,
    /// The biometric-bound confirmation key, where the platform has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biometric_key: Option<PublicKey>,
    /// A name the person recognises ("Điện thoại của Lan").
    pub device_name: String,
    /// The platform.
    pub platform: Platform,
}

/// The result of binding: the device's id and the keys the server now holds.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceView {
    /// The device.
    pub id: DeviceId,
    /// Its name.
    pub name: String,
    /// Its platform.
    pub platform: Platform,
    /// Id of its device key.
    pub device_key_id: KeyId,
    /// Its active confirmation keys: how each is unlocked and its wrong-confirmation state.
    pub confirmation_keys: Vec<ConfirmationKeyView>,
    /// When it was bound.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub bound_at: Timestamp,
}

/// An active confirmation key, as the server lists it. Neither the key nor its id is served:
/// the passcode key's id and the salt on a stolen device would allow an offline search of all
/// 10^6 passcodes.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationKeyView {
    /// How it is unlocked.
    pub method: ConfirmationMethod,
    /// Consecutive wrong confirmations so far (reset by a right one).
    pub failed_attempts: u32,
    /// Locked until this time after 5 wrong confirmations in a row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub locked_until: Option<Timestamp>,
}

/// A forgotten passcode, step 1: password, and a code goes to the phone.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize, Deserialize)]
pub struct PasscodeResetStart {
    /// Current password.
    pub password: SecretText,
}

/// A forgotten passcode, step 2: the code and the new passcode-derived key, which voids the
/// old one. Sent in the device's session, so its request proof shows the device key.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize, Deserialize)]
pub struct PasscodeResetFinish {
    /// From [`CodeSent::pending_id`].
    pub pending_id: String,
    /// The code received.
    pub code: OneTimeCode,
    /// The new passcode-derived confirmation key.
    pub passcode_key: PublicKey,
}

/// A person who lost their phone locks their own account: step 1, password; a code goes to
/// the e-mail address (the phone may be in someone else's hands).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize, Deserialize)]
pub struct SelfLockStart {
    /// Personal identification number.
    pub citizen_id: CitizenId,
    /// Current password.
    pub password: SecretText,
}

/// Self-lock, step 2: the code. Ends every session and unbinds the device.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize, Deserialize)]
pub struct SelfLockFinish {
    /// From [`CodeSent::pending_id`].
    pub pending_id: String,
    /// The code received by e-mail.
    pub code: OneTimeCode,
}

/// An officer locks or unlocks a personal account (Decree 69/2024, Art. 15).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficerAccountChange {
    /// The account.
    pub account: AccountId,
    /// Lock or unlock.
    pub lock: bool,
    /// Why, for the audit trail and the person's notification.
    pub reason: String,
}

/// Everything held about a person, as they may see it (Decree 13/2023/NĐ-CP).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalDataView {
    /// The account.
    pub account: AccountView,
    /// Full identification number: shown to its owner only.
    pub citizen_id: CitizenId,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
    /// Phone number.
    pub phone: PhoneNumber,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    /// The bound device, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceView>,
    /// Organisations the person may act for.
    pub organisations: Vec<OrgEid>,
}
