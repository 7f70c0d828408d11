//! Secrets in memory for a device the test or bench drives through the device library, where
//! the OS keystore is not what is looked at (the keystore's own tests use the real one). The
//! app shell on a phone passes its platform store the same way ([`Keystore::with_store`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use dinhdanh_client::ClientError;
use dinhdanh_client::keystore::{Keystore, SecretStore};
use zeroize::Zeroizing;

/// A [`SecretStore`] in this process's memory, gone with it.
#[derive(Default)]
pub struct MemoryStore(Mutex<BTreeMap<String, Zeroizing<Vec<u8>>>>);

impl MemoryStore {
    /// A keystore over a new, empty memory store.
    pub fn keystore() -> Keystore {
        Keystore::with_store(Arc::new(MemoryStore::default()))
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, ClientError> {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(map.get(name).cloned())
    }

    fn set(&self, name: &str, secret: &[u8]) -> Result<(), ClientError> {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.insert(name.to_owned(), Zeroizing::new(secret.to_vec()));
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<(), ClientError> {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.remove(name);
        Ok(())
    }
}
