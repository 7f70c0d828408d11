//! [`PlatformBiometrics`]: the client's [`BiometricConfirmer`] over the native key, so the
//! shell hands it to `Client::bind_finish` and, for `Confirm::Biometric`, to
//! `BiometricConfirmation::new`.

use std::sync::Mutex;

use dinhdanh_client::ClientError;
use dinhdanh_client::biometric::BiometricConfirmer;
use dinhdanh_core::crypto::{PublicKey, Signature};
use tauri::Runtime;

use crate::error::Error;
use crate::plugin::BiometricKey;
use crate::wire::Prompt;

/// Which language the prompt's fixed texts are in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PromptLanguage {
    /// Vietnamese (the default).
    #[default]
    Vi,
    /// English, when the person switched the app to it.
    En,
}

/// One profile's biometric key as the client's [`BiometricConfirmer`].
///
/// The public key is read once and kept: a confirmation asks for it twice (its id goes into
/// the signed action, and the signature is checked against it before sending).
pub struct PlatformBiometrics<R: Runtime> {
    plugin: BiometricKey<R>,
    profile: String,
    language: PromptLanguage,
    public_key: Mutex<Option<PublicKey>>,
}

impl<R: Runtime> BiometricKey<R> {
    /// The biometric confirmer of `profile`, for `Client::bind_finish` and for
    /// `Confirm::Biometric` (through `dinhdanh_client::biometric::BiometricConfirmation`).
    pub fn confirmer(&self, profile: &str) -> PlatformBiometrics<R> {
        PlatformBiometrics::new(self.clone(), profile)
    }
}

impl<R: Runtime> PlatformBiometrics<R> {
    pub(crate) fn new(plugin: BiometricKey<R>, profile: &str) -> Self {
        PlatformBiometrics {
            plugin,
            profile: profile.to_owned(),
            language: PromptLanguage::Vi,
            public_key: Mutex::new(None),
        }
    }

    /// The same confirmer with the prompt's title and button in `language` (the reason the
    /// client passes is already in the person's language).
    pub fn with_language(mut self, language: PromptLanguage) -> Self {
        self.language = language;
        self
    }

    /// Creates a fresh key for binding and remembers its public half, so the
    /// `bind_finish(.., Some(&confirmer))` that follows registers exactly this key.
    pub fn create_key(&self) -> Result<PublicKey, Error> {
        let key = self.plugin.create_key(&self.profile)?;
        if let Ok(mut cached) = self.public_key.lock() {
            *cached = Some(key.clone());
        }
        Ok(key)
    }

    fn cached_public_key(&self) -> Result<PublicKey, Error> {
        if let Ok(cached) = self.public_key.lock()
            && let Some(key) = cached.as_ref()
        {
            return Ok(key.clone());
        }
        let key = self.plugin.public_key(&self.profile)?;
        if let Ok(mut cached) = self.public_key.lock() {
            *cached = Some(key.clone());
        }
        Ok(key)
    }

    fn prompt(&self, reason: &str) -> Prompt {
        match self.language {
            PromptLanguage::Vi => Prompt::vi(reason),
            PromptLanguage::En => Prompt::en(reason),
        }
    }
}

impl<R: Runtime> BiometricConfirmer for PlatformBiometrics<R> {
    /// Strong biometrics enrolled and a key for this profile. A key invalidated by a change
    /// of enrolment still counts here; signing reports it, with its own sentence.
    fn is_available(&self) -> bool {
        self.plugin
            .status(&self.profile)
            .is_ok_and(|status| status.can_sign())
    }

    fn public_key(&self) -> Result<PublicKey, ClientError> {
        self.cached_public_key()
            .map_err(Error::into_confirmation_error)
    }

    fn sign(&self, message: &[u8], reason: &str) -> Result<Signature, ClientError> {
        self.plugin
            .sign(&self.profile, message, &self.prompt(reason))
            .map_err(Error::into_confirmation_error)
    }
}
