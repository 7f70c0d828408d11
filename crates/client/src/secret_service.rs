//! The Secret Service (freedesktop.org: GNOME Keyring, KWallet) on Linux and the BSDs, over
//! **one D-Bus connection kept for the process**.
//!
//! Why not `keyring`'s own Secret Service backend: it opens a new D-Bus connection and a new
//! encrypted session for every call (two for a write) and closes them after, and
//! gnome-keyring-daemon 42 aborts (SIGTRAP in GLib) when connections come and go that fast —
//! it then takes every application's secrets down with it until it is restarted. One long-lived
//! connection and one session is how the keyring's own clients (libsecret) use it.
//!
//! Items are written exactly as `keyring` 3 wrote them (attributes `service`, `username`,
//! `target` = `default`, `application` = `rust-keyring`, in the default collection), so the
//! secrets of a profile made by an earlier version are found, replaced and deleted as before.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use dbus_secret_service::{EncryptionType, Error as SsError, Item, SecretService};
use zeroize::Zeroizing;

use crate::error::ClientError;
use crate::secret_store::SecretStore;

/// The process's connection and session, made on first use and made again once when a call
/// finds it broken (the daemon restarted).
static CONNECTION: Mutex<Option<SecretService>> = Mutex::new(None);

/// The collection `keyring` 3 called `default`, and its `application` attribute.
const TARGET: &str = "default";
const APPLICATION: &str = "rust-keyring";
/// The label `keyring` 3.6 gave an item; the Secret Service shows it to the person.
fn label(service: &str, name: &str) -> String {
    format!("{name}@{service}:{TARGET} (keyring v3.6.3)")
}

/// The Secret Service store of one namespace (`service`).
pub struct SecretServiceStore {
    service: String,
}

impl SecretServiceStore {
    /// The store of one namespace.
    pub fn new(service: String) -> Self {
        SecretServiceStore { service }
    }

    fn search_attributes<'a>(&'a self, name: &'a str) -> HashMap<&'a str, &'a str> {
        HashMap::from([
            ("target", TARGET),
            ("service", self.service.as_str()),
            ("username", name),
        ])
    }

    /// The items named `name` in this namespace, unlocked.
    fn items<'s>(&self, ss: &'s SecretService, name: &str) -> Result<Vec<Item<'s>>, SsError> {
        let found = ss.search_items(self.search_attributes(name))?;
        if !found.locked.is_empty() {
            ss.unlock_all(&found.locked.iter().collect::<Vec<_>>())?;
        }
        Ok(found.unlocked.into_iter().chain(found.locked).collect())
    }
}

/// Runs `call` on the process's connection, connecting first if there is none. A D-Bus
/// failure drops the connection and the call is made once more on a new one: every call here
/// is idempotent (read, replace, delete).
fn with_connection<T>(
    call: impl Fn(&SecretService) -> Result<T, SsError>,
) -> Result<T, ClientError> {
    let mut connection = CONNECTION.lock().unwrap_or_else(PoisonError::into_inner);
    let mut retried = false;
    loop {
        if connection.is_none() {
            *connection = Some(SecretService::connect(EncryptionType::Dh).map_err(map_error)?);
        }
        let Some(ss) = connection.as_ref() else {
            continue;
        };
        match call(ss) {
            Err(SsError::Dbus(_)) if !retried => {
                retried = true;
                *connection = None;
            }
            other => return other.map_err(map_error),
        }
    }
}

/// A Secret Service that cannot be reached, is locked or refused a prompt is unavailable;
/// anything else is a damaged entry.
fn map_error(e: SsError) -> ClientError {
    match e {
        SsError::Dbus(_)
        | SsError::Unavailable
        | SsError::Locked
        | SsError::NoResult
        | SsError::Prompt => ClientError::keystore_unavailable(e),
        other => ClientError::Keystore {
            detail: other.to_string(),
        },
    }
}

/// More than one item under one name: `keyring` refused such an entry as ambiguous, and so
/// do we rather than guess which secret is the device's.
fn ambiguous(name: &str) -> ClientError {
    ClientError::Keystore {
        detail: format!("{name}: more than one item in the Secret Service"),
    }
}

impl SecretStore for SecretServiceStore {
    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, ClientError> {
        let secrets = with_connection(|ss| {
            self.items(ss, name)?
                .iter()
                .map(|item| item.get_secret().map(Zeroizing::new))
                .collect::<Result<Vec<_>, _>>()
        })?;
        match secrets.len() {
            0 => Ok(None),
            1 => Ok(secrets.into_iter().next()),
            _ => Err(ambiguous(name)),
        }
    }

    fn set(&self, name: &str, secret: &[u8]) -> Result<(), ClientError> {
        let attributes = HashMap::from([
            ("target", TARGET),
            ("service", self.service.as_str()),
            ("username", name),
            ("application", APPLICATION),
        ]);
        let label = label(&self.service, name);
        with_connection(|ss| {
            let collection = ss.get_default_collection()?;
            if collection.is_locked()? {
                collection.unlock()?;
            }
            // `replace`: an item with exactly these attributes gets the new secret.
            collection.create_item(&label, attributes.clone(), secret, true, "text/plain")?;
            Ok(())
        })
    }

    fn delete(&self, name: &str) -> Result<(), ClientError> {
        with_connection(|ss| self.items(ss, name)?.iter().try_for_each(Item::delete))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use dbus::blocking::Connection;
    use dbus::message::MatchRule;

    use super::*;

    /// Needs a D-Bus session with an unlocked Secret Service, as `cargo xtask test` starts. No
    /// other test of this library uses the bus, so every connection that appears on it while
    /// this runs is this test's.
    #[test]
    fn a_hundred_calls_open_at_most_one_connection_to_the_bus() {
        let watcher = Connection::new_session()
            .expect("a D-Bus session bus (cargo xtask test starts one with the Secret Service)");
        let opened = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&opened);
        watcher
            .add_match(
                MatchRule::new_signal("org.freedesktop.DBus", "NameOwnerChanged"),
                move |(name, old, new): (String, String, String), _, _| {
                    // A unique name (`:1.42`) that gets an owner is a new connection.
                    if name.starts_with(':') && old.is_empty() && !new.is_empty() {
                        counter.fetch_add(1, Ordering::SeqCst);
                    }
                    true
                },
            )
            .unwrap();
        while watcher.process(Duration::from_millis(100)).unwrap() {}
        opened.store(0, Ordering::SeqCst);

        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let store = SecretServiceStore::new(format!(
            "vn.dinhdanh.app/connection-test-{}-{nanos}",
            std::process::id()
        ));
        for i in 0u8..25 {
            store.set("session_token", &[i; 32]).unwrap();
            assert_eq!(
                store.get("session_token").unwrap().unwrap().as_slice(),
                &[i; 32]
            );
            store.delete("session_token").unwrap();
            assert!(store.get("session_token").unwrap().is_none());
        }
        while watcher.process(Duration::from_millis(200)).unwrap() {}
        let opened = opened.load(Ordering::SeqCst);
        assert!(
            opened <= 1,
            "100 calls opened {opened} connections to the bus; the store keeps one"
        );
    }
}
