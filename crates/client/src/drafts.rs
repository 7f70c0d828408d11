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
//! [`seal`] and [`open`] are pure; [`Drafts`] is the thin layer over the files and the keystore.

use std::path::PathBuf;
use std::sync::Mutex;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use crate::error::ClientError;
use crate::keystore::Keystore;

/// What a sealed draft starts with (format and version).
const MAGIC: &[u8; 4] = b"ddr1";
const NONCE_LEN: usize = 12;
/// Length of a [`DraftKey`] in bytes.
pub const DRAFT_KEY_LEN: usize = 32;

/// The key drafts are sealed with. No `Debug`, no `Serialize`; wiped on drop.
pub struct DraftKey(Zeroizing<[u8; DRAFT_KEY_LEN]>);

impl DraftKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; DRAFT_KEY_LEN]);
        OsRng.fill_bytes(key.as_mut());
        DraftKey(key)
    }

    /// The key from its stored bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ClientError> {
        let bytes: [u8; DRAFT_KEY_LEN] = bytes.try_into().map_err(|_| ClientError::Keystore {
            detail: "the stored draft key has the wrong length".into(),
        })?;
        Ok(DraftKey(Zeroizing::new(bytes)))
    }

    /// The bytes to store in the keystore.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_ref()
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(self.0.as_ref().into())
    }
}

/// Seals `plaintext` as the draft `name`: magic, a random nonce, then the ciphertext and tag.
pub fn seal(key: &DraftKey, name: &str, plaintext: &[u8]) -> Result<Vec<u8>, ClientError> {
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    let sealed = key
        .cipher()
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plaintext,
                aad: name.as_bytes(),
            },
        )
        .map_err(|_| ClientError::Profile {
            detail: "the draft could not be sealed".into(),
        })?;
    let mut out = Vec::with_capacity(MAGIC.len() + NONCE_LEN + sealed.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Opens a draft sealed as `name` with `key`; `None` when it is not one (another key, another
/// name, damaged or cut short).
pub fn open(key: &DraftKey, name: &str, sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let rest = sealed.strip_prefix(MAGIC.as_slice())?;
    if rest.len() < NONCE_LEN {
        return None;
    }
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
    key.cipher()
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: ciphertext,
                aad: name.as_bytes(),
            },
        )
        .ok()
        .map(Zeroizing::new)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &[u8] = br#"{"representatives":[{"citizen_id":"001085012345"}]}"#;

    #[test]
    fn a_sealed_draft_opens_only_with_its_key_and_name() {
        let key = DraftKey::generate();
        let sealed = seal(&key, "registration", TEXT).unwrap();
        assert!(
            !sealed.windows(12).any(|w| w == b"001085012345"),
            "the number is not in the sealed bytes"
        );
        assert_eq!(
            open(&key, "registration", &sealed).unwrap().as_slice(),
            TEXT
        );
        // Sealed twice, different bytes (a fresh nonce each time).
        assert_ne!(seal(&key, "registration", TEXT).unwrap(), sealed);
        assert!(open(&DraftKey::generate(), "registration", &sealed).is_none());
        assert!(open(&key, "other", &sealed).is_none(), "names are bound");
        let mut damaged = sealed.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        assert!(open(&key, "registration", &damaged).is_none());
        assert!(open(&key, "registration", &sealed[..10]).is_none());
        assert!(open(&key, "registration", TEXT).is_none(), "a plain file");
    }

    #[test]
    fn a_stored_key_must_have_its_length() {
        let key = DraftKey::generate();
        let again = DraftKey::from_bytes(key.as_bytes()).unwrap();
        let sealed = seal(&key, "d", TEXT).unwrap();
        assert!(open(&again, "d", &sealed).is_some());
        assert!(DraftKey::from_bytes(&[0u8; 31]).is_err());
    }
}
