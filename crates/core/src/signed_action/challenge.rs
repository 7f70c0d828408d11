//! The server-issued, single-use challenge a signed action answers.

use crate::crypto::{self, CryptoError, Material};

/// A server-issued, single-use challenge: 16–64 random bytes, base64url on the wire.
///
/// The server draws the bytes (this crate has no randomness); 32 is the recommended size.
/// Equality is constant-time.
#[derive(Clone)]
pub struct Challenge(Vec<u8>);

impl Challenge {
    /// Fewest bytes accepted.
    pub const MIN_LEN: usize = 16;
    /// Most bytes accepted.
    pub const MAX_LEN: usize = 64;

    /// Wraps random bytes drawn by the server.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&bytes.len()) {
            return Err(CryptoError::WrongLength {
                what: Material::Challenge,
                min: Self::MIN_LEN,
                max: Self::MAX_LEN,
                found: bytes.len(),
            });
        }
        Ok(Challenge(bytes.to_vec()))
    }

    /// Parses the base64url form.
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        crypto::base64url_decode(text, Material::Challenge, Self::MIN_LEN, Self::MAX_LEN)
            .map(Challenge)
    }

    /// The challenge bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl PartialEq for Challenge {
    fn eq(&self, other: &Self) -> bool {
        crypto::ct_eq(&self.0, &other.0)
    }
}

impl Eq for Challenge {}

impl std::fmt::Debug for Challenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Challenge({self})")
    }
}

crypto::base64url_string!(
    Challenge,
    crate::patterns::base64url(Challenge::MIN_LEN, Challenge::MAX_LEN)
);
