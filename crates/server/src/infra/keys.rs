//! The server's own secrets: the key that turns an identification number into a look-up hash,
//! the key that encrypts it, the key for one-time-code hashes, and the key that signs audit
//! checkpoints.
//!
//! They come from `DINHDANH_SERVER_KEYS` (a deployment puts them there from its secret store)
//! or, for the embedded server, from `server-keys.json` in the data directory, created with
//! mode 0600 on first start. Losing them makes the stored identification numbers unreadable,
//! which is the point of having them outside the database: a dump alone lists no CCCD number.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use dinhdanh_core::crypto::{base64url_decode_array, base64url_encode};
use dinhdanh_core::ids::CitizenId;
use hmac::{Hmac, Mac};
use p256::ecdsa::SigningKey;
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

/// Environment variable holding the keys' JSON.
pub const KEYS_ENV: &str = "DINHDANH_SERVER_KEYS";
/// The keys' file in the data directory (when [`KEYS_ENV`] is not set).
pub const KEYS_FILE: &str = "server-keys.json";

/// The server's secrets. No `Debug`, no `Serialize`: they never reach a log.
pub struct ServerKeys {
    citizen_lookup: Zeroizing<[u8; 32]>,
    citizen_encryption: Aes256Gcm,
    code_hashing: Zeroizing<[u8; 32]>,
    audit_signing: SigningKey,
}

#[derive(Serialize, Deserialize)]
struct KeysFile {
    citizen_lookup: String,
    citizen_encryption: String,
    code_hashing: String,
    audit_signing: String,
}

/// A key file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    /// Reading or writing the file failed.
    #[error("server keys file: {0}")]
    Io(#[from] std::io::Error),
    /// The content is not what this server writes.
    #[error("server keys are malformed: {0}")]
    Malformed(&'static str),
}

impl ServerKeys {
    /// Fresh random keys (tests, and the first start of an embedded server).
    pub fn generate() -> Self {
        let bytes = || {
            let mut b = [0u8; 32];
            OsRng.fill_bytes(&mut b);
            b
        };
        ServerKeys::from_parts(bytes(), bytes(), bytes(), SigningKey::random(&mut OsRng))
    }

    fn from_parts(
        lookup: [u8; 32],
        encryption: [u8; 32],
        codes: [u8; 32],
        audit: SigningKey,
    ) -> Self {
        ServerKeys {
            citizen_lookup: Zeroizing::new(lookup),
            citizen_encryption: Aes256Gcm::new(&encryption.into()),
            code_hashing: Zeroizing::new(codes),
            audit_signing: audit,
        }
    }

    /// Loads the keys from [`KEYS_ENV`], else from the data directory, creating them there
    /// (mode 0600) on first start.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, KeysError> {
        if let Ok(json) = std::env::var(KEYS_ENV) {
            return Self::parse(&json);
        }
        let path = data_dir.join(KEYS_FILE);
        if path.exists() {
            let json = Zeroizing::new(std::fs::read_to_string(&path)?);
            return Self::parse(&json);
        }
        let mut raw = [[0u8; 32]; 3];
        for b in &mut raw {
            OsRng.fill_bytes(b);
        }
        let audit = SigningKey::random(&mut OsRng);
        let file = KeysFile {
            citizen_lookup: base64url_encode(&raw[0]),
            citizen_encryption: base64url_encode(&raw[1]),
            code_hashing: base64url_encode(&raw[2]),
            audit_signing: base64url_encode(&audit.to_bytes()),
        };
        let json = Zeroizing::new(
            serde_json::to_string_pretty(&file).map_err(|_| KeysError::Malformed("encode"))?,
        );
        std::fs::create_dir_all(data_dir)?;
        write_private(&path, json.as_bytes())?;
        let [lookup, encryption, codes] = raw;
        Ok(ServerKeys::from_parts(lookup, encryption, codes, audit))
    }

    fn parse(json: &str) -> Result<Self, KeysError> {
        let file: KeysFile = serde_json::from_str(json)
            .map_err(|_| KeysError::Malformed("not the expected JSON"))?;
        let key = |s: &str| {
            base64url_decode_array::<32>(s, dinhdanh_core::crypto::Material::Digest)
                .map_err(|_| KeysError::Malformed("a key is not 32 bytes of base64url"))
        };
        let audit = SigningKey::from_bytes(&key(&file.audit_signing)?.into())
            .map_err(|_| KeysError::Malformed("audit signing key"))?;
        Ok(ServerKeys::from_parts(
            key(&file.citizen_lookup)?,
            key(&file.citizen_encryption)?,
            key(&file.code_hashing)?,
            audit,
        ))
    }

    /// The look-up key of an identification number: HMAC-SHA256, so equal numbers match and a
    /// database dump does not list them.
    pub fn citizen_key(&self, id: &CitizenId) -> Vec<u8> {
        hmac(&self.citizen_lookup, &[id.as_str().as_bytes()])
    }

    /// Encrypts an identification number (AES-256-GCM, random nonce): `nonce ‖ ciphertext`.
    pub fn encrypt_citizen_id(&self, id: &CitizenId) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        OsRng.fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        // Encryption with a fresh nonce and a valid key cannot fail for inputs this small.
        if let Ok(ct) = self
            .citizen_encryption
            .encrypt(&Nonce::from(nonce), id.as_str().as_bytes())
        {
            out.extend(ct);
        }
        out
    }

    /// Decrypts what [`ServerKeys::encrypt_citizen_id`] made.
    pub fn decrypt_citizen_id(&self, blob: &[u8]) -> Option<CitizenId> {
        let nonce: [u8; 12] = blob.get(..12)?.try_into().ok()?;
        let ct = blob.get(12..)?;
        let plain = Zeroizing::new(
            self.citizen_encryption
                .decrypt(&Nonce::from(nonce), ct)
                .ok()?,
        );
        CitizenId::parse(std::str::from_utf8(&plain).ok()?).ok()
    }

    /// Encrypts any value that holds identification numbers (a registration's submitted
    /// details, an organisation's representatives) with the same key as
    /// [`ServerKeys::encrypt_citizen_id`], AES-256-GCM with a random nonce, bound to `purpose`
    /// (associated data) so a blob stored for one use cannot be passed off as another:
    /// `nonce ‖ ciphertext`.
    pub fn encrypt_blob(&self, purpose: &str, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        OsRng.fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        let payload = aes_gcm::aead::Payload {
            msg: plain,
            aad: purpose.as_bytes(),
        };
        // Encryption with a fresh nonce and a valid key fails only beyond 64 GiB.
        if let Ok(ct) = self
            .citizen_encryption
            .encrypt(&Nonce::from(nonce), payload)
        {
            out.extend(ct);
        }
        out
    }

    /// Decrypts what [`ServerKeys::encrypt_blob`] made for the same `purpose`; `None` when the
    /// blob was altered, made by other keys or for another purpose.
    pub fn decrypt_blob(&self, purpose: &str, blob: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let nonce: [u8; 12] = blob.get(..12)?.try_into().ok()?;
        let payload = aes_gcm::aead::Payload {
            msg: blob.get(12..)?,
            aad: purpose.as_bytes(),
        };
        self.citizen_encryption
            .decrypt(&Nonce::from(nonce), payload)
            .ok()
            .map(Zeroizing::new)
    }

    /// Hash of a one-time code, bound to the pending operation it belongs to.
    pub fn code_hash(&self, pending_id: &str, code: &str) -> Vec<u8> {
        hmac(
            &self.code_hashing,
            &[pending_id.as_bytes(), b"\0", code.as_bytes()],
        )
    }

    /// Keyed hash of any other secret-ish value (IP addresses in rate-limit buckets).
    pub fn keyed_hash(&self, parts: &[&[u8]]) -> Vec<u8> {
        hmac(&self.code_hashing, parts)
    }

    /// Whether `tag` is a left part (at least 16 bytes) of [`ServerKeys::keyed_hash`] of
    /// `parts`, compared in constant time: for values the server hands out and takes back
    /// (the queue's page links), so a changed one is refused.
    pub fn keyed_hash_matches(&self, parts: &[&[u8]], tag: &[u8]) -> bool {
        if tag.len() < 16 {
            return false;
        }
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(self.code_hashing.as_slice())
        else {
            return false;
        };
        for p in parts {
            mac.update(p);
        }
        mac.verify_truncated_left(tag).is_ok()
    }

    /// The key that signs audit checkpoints.
    pub fn audit_signing(&self) -> &SigningKey {
        &self.audit_signing
    }
}

fn hmac(key: &[u8; 32], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC accepts keys of any length; new_from_slice cannot fail.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return Vec::new(),
    };
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().to_vec()
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identification_numbers_are_looked_up_by_keyed_hash_and_stored_encrypted() {
        let keys = ServerKeys::generate();
        let id = CitizenId::parse("079184123456").unwrap();
        assert_eq!(keys.citizen_key(&id), keys.citizen_key(&id));
        assert_ne!(
            keys.citizen_key(&id),
            ServerKeys::generate().citizen_key(&id)
        );
        let blob = keys.encrypt_citizen_id(&id);
        assert!(!blob.windows(12).any(|w| w == id.as_str().as_bytes()));
        assert_eq!(keys.decrypt_citizen_id(&blob), Some(id.clone()));
        assert_ne!(
            keys.encrypt_citizen_id(&id),
            blob,
            "a fresh nonce each time"
        );
        assert_eq!(ServerKeys::generate().decrypt_citizen_id(&blob), None);
    }

    #[test]
    fn blobs_are_encrypted_and_bound_to_their_purpose() {
        let keys = ServerKeys::generate();
        let plain = br#"{"citizen_id":"079184123456"}"#;
        let blob = keys.encrypt_blob("registration.details", plain);
        assert!(!blob.windows(12).any(|w| w == b"079184123456"));
        assert_eq!(
            keys.decrypt_blob("registration.details", &blob).as_deref(),
            Some(&plain.to_vec())
        );
        assert!(keys.decrypt_blob("organisation.details", &blob).is_none());
        assert!(
            ServerKeys::generate()
                .decrypt_blob("registration.details", &blob)
                .is_none()
        );
        let mut altered = blob.clone();
        if let Some(last) = altered.last_mut() {
            *last ^= 1;
        }
        assert!(
            keys.decrypt_blob("registration.details", &altered)
                .is_none()
        );
        assert!(
            keys.decrypt_blob("registration.details", &blob[..5])
                .is_none()
        );
    }

    #[test]
    fn keys_written_on_first_start_are_read_back_and_private() {
        let dir = std::env::temp_dir().join(format!("dd-keys-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = ServerKeys::load_or_create(&dir).unwrap();
        let second = ServerKeys::load_or_create(&dir).unwrap();
        let id = CitizenId::parse("001099000001").unwrap();
        assert_eq!(first.citizen_key(&id), second.citizen_key(&id));
        assert_eq!(
            second.decrypt_citizen_id(&first.encrypt_citizen_id(&id)),
            Some(id)
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(KEYS_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
