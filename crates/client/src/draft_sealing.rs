//! The sealed form of a draft: AES-256-GCM under a random [`DraftKey`], the draft's name as
//! associated data, so a draft opens only with its key and under its own name. Pure; the files
//! and the keystore are [`crate::drafts`]' and [`crate::keystore`]'s.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use crate::error::ClientError;

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
