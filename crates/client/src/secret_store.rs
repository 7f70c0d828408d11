//! The interface every platform's store of small secrets implements: the Secret Service
//! ([`crate::secret_service`]), `keyring`'s stores and the mobile shell's
//! ([`crate::keystore::Keystore::with_store`]). Its own module so that the stores and the
//! typed [`crate::keystore::Keystore`] over them depend on it, not on each other.

use zeroize::Zeroizing;

use crate::error::ClientError;

/// A platform store of small secrets, one namespace per profile.
pub trait SecretStore: Send + Sync {
    /// The secret `name`, or `None` when there is none.
    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, ClientError>;
    /// Stores (or replaces) the secret `name`.
    fn set(&self, name: &str, secret: &[u8]) -> Result<(), ClientError>;
    /// Removes the secret `name`; removing one that is not there is not an error.
    fn delete(&self, name: &str) -> Result<(), ClientError>;
}
