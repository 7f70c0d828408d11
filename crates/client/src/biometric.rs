//! Biometric confirmation: a key the platform holds behind fingerprint or face (Android
//! Keystore with user authentication, the iOS Secure Enclave), which signs the signed action's
//! bytes after the person passes the prompt. The mobile shell implements
//! [`BiometricConfirmer`]; this crate only uses it. A "biometrics succeeded" flag proves
//! nothing to the server: only the signature does, and the private key never leaves the
//! platform.
//!
//! On desktop there is no such key: [`NoBiometrics`] reports "not available", and the UI
//! offers the passcode.

use dinhdanh_core::account::ConfirmationMethod;
use dinhdanh_core::crypto::{KeyId, PublicKey, Signature};
use dinhdanh_core::signed_action::{PendingAction, SignedActionEnvelope};

use crate::error::ClientError;
use crate::passcode::Confirmer;

/// A platform key behind biometrics: ECDSA P-256 over SHA-256, the signature as `r‖s`.
pub trait BiometricConfirmer: Send + Sync {
    /// Whether the platform has biometrics enrolled and a key for this app.
    fn is_available(&self) -> bool;

    /// The key's public half (registered at binding as the biometric confirmation key).
    fn public_key(&self) -> Result<PublicKey, ClientError>;

    /// Shows the platform prompt with `reason` (Vietnamese, e.g. "Xác nhận đăng nhập trên máy
    /// tính") and signs `message` with the biometric-bound key. Cancelling is
    /// [`ClientError::BiometricCancelled`].
    fn sign(&self, message: &[u8], reason: &str) -> Result<Signature, ClientError>;
}

/// The desktop's answer: no biometric-bound key here; use the passcode.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoBiometrics;

impl BiometricConfirmer for NoBiometrics {
    fn is_available(&self) -> bool {
        false
    }

    fn public_key(&self) -> Result<PublicKey, ClientError> {
        Err(ClientError::BiometricUnavailable)
    }

    fn sign(&self, _message: &[u8], _reason: &str) -> Result<Signature, ClientError> {
        Err(ClientError::BiometricUnavailable)
    }
}

/// Confirmation with a [`BiometricConfirmer`], for the API client's confirmed calls.
pub struct BiometricConfirmation<'a> {
    platform: &'a dyn BiometricConfirmer,
    reason: String,
}

impl<'a> BiometricConfirmation<'a> {
    /// Confirms with `platform`, prompting with `reason`. Refuses at once when the platform
    /// has no biometrics, so the UI can fall back to the passcode before any challenge is used.
    pub fn new(
        platform: &'a dyn BiometricConfirmer,
        reason: impl Into<String>,
    ) -> Result<Self, ClientError> {
        if !platform.is_available() {
            return Err(ClientError::BiometricUnavailable);
        }
        Ok(BiometricConfirmation {
            platform,
            reason: reason.into(),
        })
    }
}

impl Confirmer for BiometricConfirmation<'_> {
    fn method(&self) -> ConfirmationMethod {
        ConfirmationMethod::Biometric
    }

    fn key_id(&self) -> Result<KeyId, ClientError> {
        Ok(self.platform.public_key()?.key_id())
    }

    fn confirm(&self, pending: PendingAction) -> Result<SignedActionEnvelope, ClientError> {
        let public = self.platform.public_key()?;
        let signature = self.platform.sign(&pending.bytes_to_sign(), &self.reason)?;
        // The core checks the platform's signature with the server's own check before it goes.
        Ok(pending.finish(signature, &public)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_desktop_reports_biometrics_unavailable_so_the_ui_offers_the_passcode() {
        let err = BiometricConfirmation::new(&NoBiometrics, "Xác nhận")
            .err()
            .map(|e| e.code());
        assert_eq!(err.as_deref(), Some("biometric_unavailable"));
        assert!(!NoBiometrics.is_available());
        assert!(NoBiometrics.public_key().is_err());
    }
}
