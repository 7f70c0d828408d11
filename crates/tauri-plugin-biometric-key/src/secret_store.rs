//! [`PlatformSecretStore`]: the client's [`SecretStore`] on Android and iOS, over the native
//! plugin.
//!
//! Android has no backend in the `keyring` crate, and on iOS `keyring` writes Keychain items
//! that may be restored onto another phone from a backup; a device key that moves with a
//! backup is not a device key. So on both, the native side keeps the secrets itself:
//!
//! * Android: each value is sealed with AES-256-GCM under a key generated inside the Android
//!   Keystore (non-exportable; StrongBox when present), with the namespace and name as
//!   associated data so one entry cannot be passed off as another, and kept in app-private
//!   preferences excluded from backup. (The Jetpack `EncryptedSharedPreferences` does the
//!   same but is deprecated since security-crypto 1.1.0-alpha07, so the plugin does it
//!   directly.)
//! * iOS: generic-password Keychain items, `kSecAttrAccessibleWhenUnlockedThisDeviceOnly`, so
//!   they are neither synchronised nor restored onto another device.
//!
//! The session token and the device key are read without a prompt (every API call needs the
//! token); what a prompt protects is the biometric key, which is not a secret in this store.

use std::sync::Arc;

use dinhdanh_client::ClientError;
use dinhdanh_client::keystore::{Keystore, SERVICE_PREFIX, SecretStore};
use tauri::Runtime;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::plugin::BiometricKey;
use crate::wire::check_name;

/// One profile's namespace in the platform store (`vn.dinhdanh.app/<profile>`, the client's
/// [`SERVICE_PREFIX`], so desktop and mobile name a profile's secrets alike).
pub struct PlatformSecretStore<R: Runtime> {
    plugin: BiometricKey<R>,
    namespace: String,
}

impl<R: Runtime> BiometricKey<R> {
    /// The platform secret store of `profile`: the Android Keystore (an AES-GCM key that never
    /// leaves it, over app-private preferences) or the iOS Keychain (this device only).
    /// [`Error::Unavailable`] on desktop, where the client's OS keystore serves.
    pub fn secret_store(&self, profile: &str) -> Result<PlatformSecretStore<R>, Error> {
        if !self.is_mobile() {
            return Err(Error::Unavailable);
        }
        PlatformSecretStore::new(self.clone(), profile)
    }

    /// The keystore the client should use for `profile` on this platform, checked to answer:
    /// on Android and iOS the platform secret store of this plugin, elsewhere the client's
    /// OS keystore (Secret Service, Keychain, Credential Manager).
    pub fn keystore(&self, profile: &str) -> Result<Keystore, ClientError> {
        if !self.is_mobile() {
            return Keystore::os(profile);
        }
        let store = self
            .secret_store(profile)
            .map_err(Error::into_keystore_error)?;
        let keystore = Keystore::with_store(Arc::new(store));
        keystore.check_available()?;
        Ok(keystore)
    }
}

impl<R: Runtime> PlatformSecretStore<R> {
    pub(crate) fn new(plugin: BiometricKey<R>, profile: &str) -> Result<Self, Error> {
        check_name(profile)?;
        Ok(PlatformSecretStore {
            plugin,
            namespace: format!("{SERVICE_PREFIX}{profile}"),
        })
    }

    /// The namespace this store reads and writes.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }
}

impl<R: Runtime> SecretStore for PlatformSecretStore<R> {
    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, ClientError> {
        self.plugin
            .secret_get(&self.namespace, name)
            .map_err(Error::into_keystore_error)
    }

    fn set(&self, name: &str, secret: &[u8]) -> Result<(), ClientError> {
        self.plugin
            .secret_set(&self.namespace, name, secret)
            .map_err(Error::into_keystore_error)
    }

    fn delete(&self, name: &str) -> Result<(), ClientError> {
        self.plugin
            .secret_delete(&self.namespace, name)
            .map_err(Error::into_keystore_error)
    }
}
