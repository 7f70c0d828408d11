//! The OS keystore: the only place the device's secrets live — the device private key, the
//! passcode KDF's salt, the session token, on a desktop signed in by QR the ephemeral key its
//! session is bound to, and the key form drafts are sealed with ([`crate::drafts`]). Nothing else on the device holds them: no file,
//! no log, no cache. When the keystore cannot be used the app says so
//! ([`ClientError::KeystoreUnavailable`], code `keystore_unavailable`); it never falls back to a
//! file.
//!
//! Each app profile is its own namespace (the keyring "service" `vn.dinhdanh.app/<profile>`),
//! so two profiles — a "phone" and a "computer" on one test machine — never see each other's
//! secrets.
//!
//! Backends: the Secret Service on Linux and the BSDs over one kept D-Bus connection
//! ([`crate::secret_service`]); the `keyring` crate for the Keychain on macOS and iOS and the
//! Credential Manager on Windows. Android has no backend there, and `keyring` would silently
//! fall back to an in-memory mock, so on other targets [`Keystore::os`] refuses and the mobile
//! shell passes its own [`SecretStore`] (the Android Keystore) to [`Keystore::with_store`].

use std::sync::Arc;

use crate::draft_sealing::DraftKey;
use crate::error::ClientError;
use crate::keys::DeviceKey;
use crate::passcode::PasscodeSalt;
use dinhdanh_core::api::SessionToken;

/// Prefix of every profile's namespace in the OS keystore.
pub const SERVICE_PREFIX: &str = "vn.dinhdanh.app/";

/// Entry names within a profile's namespace.
const DEVICE_KEY: &str = "device_key";
const PASSCODE_SALT: &str = "passcode_salt";
const SESSION_TOKEN: &str = "session_token";
const DESKTOP_KEY: &str = "desktop_key";
const DRAFT_KEY: &str = "draft_key";

/// The names of a profile's entries (names only: for tests and tools that look at the store).
pub fn entry_names() -> [&'static str; 5] {
    [
        DEVICE_KEY,
        PASSCODE_SALT,
        SESSION_TOKEN,
        DESKTOP_KEY,
        DRAFT_KEY,
    ]
}

pub use crate::secret_store::SecretStore;

/// The OS keystore on Linux and the BSDs: the Secret Service.
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
pub use crate::secret_service::SecretServiceStore as OsSecretStore;

/// The OS keystore through the `keyring` crate (macOS, iOS, Windows).
#[cfg(any(target_os = "macos", target_os = "ios", target_os = "windows"))]
pub struct OsSecretStore {
    service: String,
}

#[cfg(any(target_os = "macos", target_os = "ios", target_os = "windows"))]
mod os {
    use zeroize::Zeroizing;

    use super::*;

    impl OsSecretStore {
        /// The store of one namespace.
        pub fn new(service: String) -> Self {
            OsSecretStore { service }
        }

        fn entry(&self, name: &str) -> Result<keyring::Entry, ClientError> {
            keyring::Entry::new(&self.service, name).map_err(map_error)
        }
    }

    /// Where the platform cannot be reached or refuses access, the keystore is unavailable;
    /// anything else is a damaged entry.
    fn map_error(e: keyring::Error) -> ClientError {
        match e {
            keyring::Error::PlatformFailure(e) | keyring::Error::NoStorageAccess(e) => {
                ClientError::keystore_unavailable(e)
            }
            other => ClientError::Keystore {
                detail: other.to_string(),
            },
        }
    }

    impl SecretStore for OsSecretStore {
        fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, ClientError> {
            match self.entry(name)?.get_secret() {
                Ok(secret) => Ok(Some(Zeroizing::new(secret))),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(map_error(e)),
            }
        }

        fn set(&self, name: &str, secret: &[u8]) -> Result<(), ClientError> {
            self.entry(name)?.set_secret(secret).map_err(map_error)
        }

        fn delete(&self, name: &str) -> Result<(), ClientError> {
            match self.entry(name)?.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(map_error(e)),
            }
        }
    }
}

/// A profile's secrets, typed. Cheap to clone (the store is shared).
#[derive(Clone)]
pub struct Keystore {
    store: Arc<dyn SecretStore>,
}

impl Keystore {
    /// The OS keystore for `profile`, checked to be reachable now: a missing Secret Service or
    /// a locked keychain is reported here, before any flow starts.
    pub fn os(profile: &str) -> Result<Self, ClientError> {
        #[cfg(any(
            target_os = "linux",
            target_os = "freebsd",
            target_os = "openbsd",
            target_os = "macos",
            target_os = "ios",
            target_os = "windows"
        ))]
        {
            let store = OsSecretStore::new(format!("{SERVICE_PREFIX}{profile}"));
            let keystore = Keystore::with_store(Arc::new(store));
            keystore.check_available()?;
            Ok(keystore)
        }
        #[cfg(not(any(
            target_os = "linux",
            target_os = "freebsd",
            target_os = "openbsd",
            target_os = "macos",
            target_os = "ios",
            target_os = "windows"
        )))]
        {
            let _ = profile;
            Err(ClientError::keystore_unavailable(
                "no OS keystore backend on this platform; the app shell must provide one",
            ))
        }
    }

    /// A keystore over a platform store the app shell provides (the Android Keystore).
    pub fn with_store(store: Arc<dyn SecretStore>) -> Self {
        Keystore { store }
    }

    /// Reads one entry, to learn whether the store answers at all.
    pub fn check_available(&self) -> Result<(), ClientError> {
        self.store.get(SESSION_TOKEN).map(drop)
    }

    /// The device key, when this profile's device is bound.
    pub fn device_key(&self) -> Result<Option<DeviceKey>, ClientError> {
        self.store
            .get(DEVICE_KEY)?
            .map(|bytes| DeviceKey::from_secret_bytes(&bytes))
            .transpose()
    }

    /// Stores the device key (at binding).
    pub fn set_device_key(&self, key: &DeviceKey) -> Result<(), ClientError> {
        self.store.set(DEVICE_KEY, &key.to_secret_bytes())
    }

    /// The passcode KDF's salt.
    pub fn passcode_salt(&self) -> Result<Option<PasscodeSalt>, ClientError> {
        self.store
            .get(PASSCODE_SALT)?
            .map(|bytes| PasscodeSalt::from_bytes(&bytes))
            .transpose()
    }

    /// Stores the passcode KDF's salt (at binding and passcode reset).
    pub fn set_passcode_salt(&self, salt: &PasscodeSalt) -> Result<(), ClientError> {
        self.store.set(PASSCODE_SALT, salt.as_bytes())
    }

    /// The session token, when signed in.
    pub fn session_token(&self) -> Result<Option<SessionToken>, ClientError> {
        let Some(bytes) = self.store.get(SESSION_TOKEN)? else {
            return Ok(None);
        };
        let text = std::str::from_utf8(&bytes).map_err(|_| ClientError::Keystore {
            detail: "the stored session token is not text".into(),
        })?;
        SessionToken::parse(text)
            .map(Some)
            .map_err(|_| ClientError::Keystore {
                detail: "the stored session token is malformed".into(),
            })
    }

    /// Stores the session token (sign-in, renewal).
    pub fn set_session_token(&self, token: &SessionToken) -> Result<(), ClientError> {
        self.store.set(SESSION_TOKEN, token.expose().as_bytes())
    }

    /// Forgets the session token (sign-out, session ended).
    pub fn delete_session_token(&self) -> Result<(), ClientError> {
        self.store.delete(SESSION_TOKEN)
    }

    /// The ephemeral key of a desktop's QR-login session, when signed in that way.
    pub fn desktop_key(&self) -> Result<Option<DeviceKey>, ClientError> {
        self.store
            .get(DESKTOP_KEY)?
            .map(|bytes| DeviceKey::from_secret_bytes(&bytes))
            .transpose()
    }

    /// Stores the ephemeral key of a desktop's QR-login session (once the phone approved).
    pub fn set_desktop_key(&self, key: &DeviceKey) -> Result<(), ClientError> {
        self.store.set(DESKTOP_KEY, &key.to_secret_bytes())
    }

    /// Forgets the ephemeral desktop key (its session ended).
    pub fn delete_desktop_key(&self) -> Result<(), ClientError> {
        self.store.delete(DESKTOP_KEY)
    }

    /// The key form drafts are sealed with, once one was saved.
    pub fn draft_key(&self) -> Result<Option<DraftKey>, ClientError> {
        self.store
            .get(DRAFT_KEY)?
            .map(|bytes| DraftKey::from_bytes(&bytes))
            .transpose()
    }

    /// Stores the key form drafts are sealed with (at the first draft).
    pub fn set_draft_key(&self, key: &DraftKey) -> Result<(), ClientError> {
        self.store.set(DRAFT_KEY, key.as_bytes())
    }

    /// Forgets the binding's secrets — device key, passcode salt, session token, desktop key —
    /// after the server unbound this device (the account was locked by its owner, or another
    /// device was bound); the form drafts' key stays, so what was typed is still there after a
    /// new binding.
    pub fn forget_binding(&self) -> Result<(), ClientError> {
        self.store.delete(DESKTOP_KEY)?;
        self.store.delete(SESSION_TOKEN)?;
        self.store.delete(PASSCODE_SALT)?;
        self.store.delete(DEVICE_KEY)
    }

    /// Forgets every secret of the profile (before a new binding, or to reset the profile);
    /// the drafts sealed with its draft key become unreadable with it.
    pub fn clear(&self) -> Result<(), ClientError> {
        self.store.delete(DRAFT_KEY)?;
        self.store.delete(DESKTOP_KEY)?;
        self.store.delete(SESSION_TOKEN)?;
        self.store.delete(PASSCODE_SALT)?;
        self.store.delete(DEVICE_KEY)
    }
}
