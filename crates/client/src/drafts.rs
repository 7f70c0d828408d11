//! Form drafts on the device, sealed with a key from the OS keystore.
//!
//! A draft (the registration wizard's form, saved while the person types) holds personal
//! data: the representatives' full identification numbers, names, phone numbers. It is kept in
//! the profile's directory only sealed (AES-256-GCM, the draft's name as associated data) with
//! a random key that lives in the OS keystore next to the device's other secrets
//! ([`Keystore::draft_key`]). A copied profile directory or a backup reveals nothing, and
//! forgetting the profile's secrets (a new binding, a reset) makes every draft unreadable.
//!
//! A draft that cannot be opened (its key is gone, the file damaged) reads as no draft and is
//! removed: a draft is a convenience, never the only copy of anything that was sent. A plain
//! draft left by an earlier version is sealed on first read and its plain file removed.
//!
//! The sealing itself is pure ([`crate::draft_sealing`]); [`Drafts`] is the thin layer over the
//! files and the keystore.

use std::path::PathBuf;
use std::sync::Mutex;

use crate::draft_sealing::{DraftKey, open, seal};
use crate::error::ClientError;
use crate::keystore::Keystore;

/// Serialises creating the draft key, so two saves at once cannot each make one.
static KEY_CREATION: Mutex<()> = Mutex::new(());

/// A profile's drafts: files `<dir>/<name>.sealed`.
pub struct Drafts {
    dir: PathBuf,
    keystore: Keystore,
}

impl Drafts {
    /// The drafts kept in `dir`, sealed with the key in `keystore`. Names are the caller's to
    /// check: they become file names.
    pub fn new(dir: PathBuf, keystore: Keystore) -> Self {
        Drafts { dir, keystore }
    }

    fn sealed_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.sealed"))
    }

    /// Where an earlier version kept the draft in plain text.
    fn plain_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// Saves `text` as the draft `name` (written to a temporary file, then renamed).
    pub fn save(&self, name: &str, text: &str) -> Result<(), ClientError> {
        let key = self.key_or_new()?;
        let sealed = seal(&key, name, text.as_bytes())?;
        let path = self.sealed_path(name);
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(&self.dir)?;
            let tmp = path.with_extension("sealed.tmp");
            std::fs::write(&tmp, &sealed)?;
            std::fs::rename(&tmp, &path)
        };
        write().map_err(profile_error)?;
        remove_if_present(&self.plain_path(name))
    }

    /// The draft `name`, `None` when there is none (or none that opens).
    pub fn load(&self, name: &str) -> Result<Option<String>, ClientError> {
        let path = self.sealed_path(name);
        let sealed = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return self.migrate(name),
            Err(e) => return Err(profile_error(e)),
        };
        let opened = match self.keystore.draft_key()? {
            Some(key) => open(&key, name, &sealed),
            None => None,
        };
        let text = opened.and_then(|bytes| String::from_utf8(bytes.to_vec()).ok());
        if text.is_none() {
            // Unreadable for good (its key was forgotten, or the file damaged).
            remove_if_present(&path)?;
        }
        Ok(text)
    }

    /// Removes the draft `name`.
    pub fn delete(&self, name: &str) -> Result<(), ClientError> {
        remove_if_present(&self.sealed_path(name))?;
        remove_if_present(&self.plain_path(name))
    }

    /// A plain draft of an earlier version: sealed now, its plain file removed.
    fn migrate(&self, name: &str) -> Result<Option<String>, ClientError> {
        let plain = self.plain_path(name);
        let text = match std::fs::read_to_string(&plain) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(profile_error(e)),
        };
        self.save(name, &text)?;
        Ok(Some(text))
    }

    fn key_or_new(&self) -> Result<DraftKey, ClientError> {
        let _one_at_a_time = KEY_CREATION.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(key) = self.keystore.draft_key()? {
            return Ok(key);
        }
        let key = DraftKey::generate();
        self.keystore.set_draft_key(&key)?;
        Ok(key)
    }
}

fn remove_if_present(path: &std::path::Path) -> Result<(), ClientError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(profile_error(e)),
        _ => Ok(()),
    }
}

fn profile_error(e: std::io::Error) -> ClientError {
    ClientError::Profile {
        detail: e.to_string(),
    }
}
