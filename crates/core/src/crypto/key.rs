//! P-256 public keys, as compressed points, and the key ids derived from them.

use std::fmt;

use crate::crypto::base64url::{base64url_decode_array, base64url_string};
use crate::crypto::digest::sha256;
use crate::crypto::error::{CryptoError, Material};

/// Length of a SEC1 compressed P-256 point.
pub const PUBLIC_KEY_LEN: usize = 33;

/// A P-256 public key: base64url of its 33-byte SEC1 compressed point on the wire.
///
/// Only a compressed point that lies on the curve and is not the identity can be held, so a
/// key that parsed is a key that can verify.
#[derive(Clone)]
pub struct PublicKey {
    compressed: [u8; PUBLIC_KEY_LEN],
    key: p256::ecdsa::VerifyingKey,
}

impl PublicKey {
    /// Parses the base64url form (exactly 44 characters).
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        Self::from_sec1_compressed(&base64url_decode_array(text, Material::PublicKey)?)
    }

    /// Builds a key from its 33-byte SEC1 compressed point.
    ///
    /// Rejects uncompressed or hybrid encodings, x coordinates not below the field prime,
    /// points not on the curve, and the identity.
    pub fn from_sec1_compressed(bytes: &[u8; PUBLIC_KEY_LEN]) -> Result<Self, CryptoError> {
        // 0x02/0x03 are the only compressed tags; checking here keeps the 33-byte
        // uncompressed-looking inputs out whatever the library accepts.
        if !matches!(bytes.first(), Some(0x02 | 0x03)) {
            return Err(CryptoError::NotOnCurve);
        }
        let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(bytes)
            .map_err(|_| CryptoError::NotOnCurve)?;
        let out = Self::from_verifying_key(&key);
        // A non-reduced x coordinate would decode to the same point with a different text form.
        if &out.compressed != bytes {
            return Err(CryptoError::NotOnCurve);
        }
        Ok(out)
    }

    /// Wraps a verifying key (for example the public half of a device's signing key).
    pub fn from_verifying_key(key: &p256::ecdsa::VerifyingKey) -> Self {
        let point = key.to_encoded_point(true);
        let mut compressed = [0u8; PUBLIC_KEY_LEN];
        // A compressed P-256 point is always 33 bytes; copy defensively without indexing.
        for (dst, src) in compressed.iter_mut().zip(point.as_bytes()) {
            *dst = *src;
        }
        PublicKey {
            compressed,
            key: *key,
        }
    }

    /// The verifying key, for use with `p256` directly.
    pub fn verifying_key(&self) -> &p256::ecdsa::VerifyingKey {
        &self.key
    }

    /// The verifying key, by value.
    pub fn to_verifying_key(&self) -> p256::ecdsa::VerifyingKey {
        self.key
    }

    /// The 33-byte SEC1 compressed point.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.compressed
    }

    /// The identifier of this key.
    pub fn key_id(&self) -> KeyId {
        KeyId::of_compressed(&self.compressed)
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.compressed == other.compressed
    }
}

impl Eq for PublicKey {}

impl std::hash::Hash for PublicKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.compressed.hash(state);
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

base64url_string!(PublicKey, crate::patterns::PUBLIC_KEY);

/// Length of a [`KeyId`] in bytes.
pub const KEY_ID_LEN: usize = 16;

/// Identifier of a public key: the first 16 bytes of SHA-256 over its compressed SEC1 point,
/// base64url on the wire (22 characters).
///
/// 128 bits make accidental collisions impossible in practice; a key id only *names* a key —
/// whoever holds one must still verify against the full [`PublicKey`] it looked up.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; KEY_ID_LEN]);

impl KeyId {
    fn of_compressed(compressed: &[u8; PUBLIC_KEY_LEN]) -> Self {
        let digest = sha256(compressed);
        let mut id = [0u8; KEY_ID_LEN];
        for (dst, src) in id.iter_mut().zip(digest.as_bytes()) {
            *dst = *src;
        }
        KeyId(id)
    }

    /// Parses the base64url form (exactly 22 characters).
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        base64url_decode_array(text, Material::KeyId).map(KeyId)
    }

    /// The 16 identifier bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_ID_LEN] {
        &self.0
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

base64url_string!(KeyId, crate::patterns::base64url(KEY_ID_LEN, KEY_ID_LEN));
