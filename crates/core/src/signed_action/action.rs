//! The signed statement, its encoding, the device's pending action and the wire envelope.

use serde::{Deserialize, Serialize};

use crate::account::ConfirmationMethod;
use crate::crypto::{self, CanonicalWriter, Digest32, KeyId, PublicKey, Signature};
use crate::ids::{AccountId, OrgEid};
use crate::signed_action::challenge::Challenge;
use crate::signed_action::error::ActionError;
use crate::signed_action::kind::ActionKind;
use crate::signed_action::origin::Origin;
use crate::signed_action::target::ActionTarget;

/// Domain-separation tag of the version-1 encoding.
pub const DOMAIN: &str = "dinhdanh/signed-action/v1";

/// The statement a device signs to confirm a sensitive action. Every field is a parsed type,
/// so a value of this type is always encodable; see the [`crate::signed_action`]
/// documentation for the bytes.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedAction {
    /// What the action does.
    pub kind: ActionKind,
    /// The server the action is meant for.
    pub origin: Origin,
    /// The server-issued challenge this action answers.
    pub challenge: Challenge,
    /// The account of the person confirming.
    pub account: AccountId,
    /// The organisation the person acts for, if any.
    pub acting_for: Option<OrgEid>,
    /// The object the action is about.
    pub target: ActionTarget,
    /// [`canonical_body_hash`](crate::signed_action::canonical_body_hash) of everything the
    /// person confirmed.
    pub body_hash: Digest32,
    /// Key id of the confirming device's device key.
    pub device_key_id: KeyId,
    /// Key id of the confirmation key that signs.
    pub confirmation_key_id: KeyId,
    /// How the person unlocked the confirmation key.
    pub method: ConfirmationMethod,
    /// The confirmation key's signature counter; strictly increasing per key, so the server
    /// notices a replay or a cloned key.
    pub counter: u64,
    /// When the device signed, in Unix seconds.
    pub time: i64,
}

impl SignedAction {
    /// The canonical, injective bytes that are signed (see the [`crate::signed_action`]
    /// documentation).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = CanonicalWriter::new(DOMAIN);
        w.u16(self.kind.tag());
        w.bytes(self.origin.as_str().as_bytes());
        w.bytes(self.challenge.as_bytes());
        w.bytes(self.account.as_str().as_bytes());
        w.optional(self.acting_for.as_ref().map(|o| o.as_str().as_bytes()));
        w.bytes(self.target.as_str().as_bytes());
        w.bytes(self.body_hash.as_bytes());
        w.bytes(self.device_key_id.as_bytes());
        w.bytes(self.confirmation_key_id.as_bytes());
        w.u8(method_tag(self.method));
        w.u64(self.counter);
        w.i64(self.time);
        w.finish()
    }
}

/// An action the device has prepared and not yet signed — the `start` half on the device.
///
/// Signing uses it up ([`PendingAction::finish`], [`PendingAction::sign_with`]), so one
/// prepared action yields at most one envelope.
#[derive(Debug)]
pub struct PendingAction {
    action: SignedAction,
}

impl PendingAction {
    /// Prepares `action` for signing.
    pub fn new(action: SignedAction) -> Self {
        PendingAction { action }
    }

    /// The action being confirmed, for display.
    pub fn action(&self) -> &SignedAction {
        &self.action
    }

    /// The bytes to hand to a platform keystore that signs with ECDSA P-256/SHA-256.
    pub fn bytes_to_sign(&self) -> Vec<u8> {
        self.action.to_bytes()
    }

    /// Attaches the signature made over [`PendingAction::bytes_to_sign`], after checking it
    /// with the very check the server will run: the key must be the action's confirmation
    /// key and the signature must verify. A mistake surfaces on the device, not as a
    /// rejection from the server.
    pub fn finish(
        self,
        signature: Signature,
        confirmation_key: &PublicKey,
    ) -> Result<SignedActionEnvelope, ActionError> {
        check_signature(&self.action, &signature, confirmation_key)?;
        Ok(SignedActionEnvelope {
            action: self.action,
            signature,
        })
    }

    /// Signs with a software-held confirmation key and finishes.
    pub fn sign_with(
        self,
        confirmation_key: &p256::ecdsa::SigningKey,
    ) -> Result<SignedActionEnvelope, ActionError> {
        let signature = crypto::sign_with(confirmation_key, &self.action.to_bytes());
        let public = PublicKey::from_verifying_key(confirmation_key.verifying_key());
        self.finish(signature, &public)
    }
}

/// A signed action as it travels from device to server.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedActionEnvelope {
    /// The signed statement.
    pub action: SignedAction,
    /// Signature by the confirmation key over [`SignedAction::to_bytes`].
    pub signature: Signature,
}

impl SignedActionEnvelope {
    /// How the person confirmed (signed as part of the action).
    pub fn method(&self) -> ConfirmationMethod {
        self.action.method
    }
}

fn method_tag(method: ConfirmationMethod) -> u8 {
    // Permanent numbers, like ActionKind tags; a new method must get a new number here.
    match method {
        ConfirmationMethod::Passcode => 1,
        ConfirmationMethod::Biometric => 2,
    }
}

/// Checks that `confirmation_key` is the action's confirmation key and that `signature` over
/// [`SignedAction::to_bytes`] verifies with it: the one check the device (on finishing) and the
/// server (on verifying) both run.
pub(super) fn check_signature(
    action: &SignedAction,
    signature: &Signature,
    confirmation_key: &PublicKey,
) -> Result<(), ActionError> {
    if action.confirmation_key_id != confirmation_key.key_id() {
        return Err(ActionError::WrongConfirmationKey);
    }
    crypto::verify(confirmation_key, &action.to_bytes(), signature)?;
    Ok(())
}
