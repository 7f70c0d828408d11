//! SHA-256 digests.

use std::fmt;

use sha2::{Digest as _, Sha256};

use crate::crypto::base64url::{base64url_decode_array, base64url_string, ct_eq};
use crate::crypto::error::{CryptoError, Material};

/// A SHA-256 digest (32 bytes), base64url on the wire.
///
/// Equality is constant-time.
#[derive(Clone, Copy)]
pub struct Digest32([u8; 32]);

/// Another name for [`Digest32`], for readers who look for the algorithm.
pub type Sha256Hash = Digest32;

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> Digest32 {
    Digest32(Sha256::digest(bytes).into())
}

impl Digest32 {
    /// Wraps 32 bytes that are already a SHA-256 digest.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Digest32(bytes)
    }

    /// Parses the base64url form (exactly 43 characters).
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        base64url_decode_array(text, Material::Digest).map(Digest32)
    }

    /// The 32 digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl PartialEq for Digest32 {
    fn eq(&self, other: &Self) -> bool {
        ct_eq(&self.0, &other.0)
    }
}

impl Eq for Digest32 {}

impl std::hash::Hash for Digest32 {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl fmt::Debug for Digest32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest32({self})")
    }
}

base64url_string!(Digest32, crate::patterns::base64url(32, 32));
