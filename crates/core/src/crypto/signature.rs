//! ECDSA P-256 signatures in their one low-S form, and signing and verifying with them.

use std::fmt;

use p256::ecdsa::signature::Signer as _;

use crate::crypto::base64url::{base64url_decode_array, base64url_string};
use crate::crypto::error::{CryptoError, Material};
use crate::crypto::key::PublicKey;

/// Length of a [`Signature`] in bytes.
pub const SIGNATURE_LEN: usize = 64;

/// An ECDSA P-256/SHA-256 signature: fixed 64-byte `r || s`, base64url on the wire
/// (86 characters).
///
/// Holds only canonical signatures: `r` and `s` in `1..n` and `s <= n/2` (low-S). See the
/// module documentation for why high-S is rejected rather than normalised on input.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    bytes: [u8; SIGNATURE_LEN],
    sig: p256::ecdsa::Signature,
}

impl Signature {
    /// Parses the base64url form, rejecting out-of-range and high-S values.
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        Self::from_bytes(&base64url_decode_array(text, Material::Signature)?)
    }

    /// Builds a signature from 64 bytes `r || s`, rejecting out-of-range and high-S values.
    pub fn from_bytes(bytes: &[u8; SIGNATURE_LEN]) -> Result<Self, CryptoError> {
        let sig = p256::ecdsa::Signature::from_slice(bytes)
            .map_err(|_| CryptoError::SignatureOutOfRange)?;
        if sig.normalize_s().is_some() {
            return Err(CryptoError::HighS);
        }
        Ok(Signature { bytes: *bytes, sig })
    }

    /// Converts a signature made by `p256` or a platform keystore, normalising it to low-S.
    ///
    /// This is the producing side: a device may hand over either twin of a signature and the
    /// result is the canonical one.
    pub fn from_p256(sig: p256::ecdsa::Signature) -> Self {
        let sig = sig.normalize_s().unwrap_or(sig);
        let mut bytes = [0u8; SIGNATURE_LEN];
        for (dst, src) in bytes.iter_mut().zip(sig.to_bytes().iter()) {
            *dst = *src;
        }
        Signature { bytes, sig }
    }

    /// The 64 bytes `r || s`.
    pub fn as_bytes(&self) -> &[u8; SIGNATURE_LEN] {
        &self.bytes
    }

    /// The signature as a `p256` value.
    pub fn to_p256(&self) -> p256::ecdsa::Signature {
        self.sig
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({self})")
    }
}

base64url_string!(
    Signature,
    crate::patterns::base64url(SIGNATURE_LEN, SIGNATURE_LEN)
);

/// Signs `message` (ECDSA P-256 over SHA-256, RFC 6979 deterministic nonce), returning the
/// canonical low-S signature.
///
/// Needs no randomness, so it is allowed in this sans-IO crate; the device client uses it for
/// software-held keys.
pub fn sign_with(signing_key: &p256::ecdsa::SigningKey, message: &[u8]) -> Signature {
    let sig: p256::ecdsa::Signature = signing_key.sign(message);
    Signature::from_p256(sig)
}

/// Verifies an ECDSA P-256/SHA-256 signature over `message`.
///
/// Rejects high-S signatures even though `p256` alone would accept them.
pub fn verify(
    public_key: &PublicKey,
    message: &[u8],
    signature: &Signature,
) -> Result<(), CryptoError> {
    if signature.sig.normalize_s().is_some() {
        return Err(CryptoError::HighS);
    }
    verify_canonical(public_key, message, signature)
}

/// The ECDSA check itself, with `p256` (the devices, the UI).
#[cfg(not(feature = "ring"))]
fn verify_canonical(
    public_key: &PublicKey,
    message: &[u8],
    signature: &Signature,
) -> Result<(), CryptoError> {
    use p256::ecdsa::signature::Verifier as _;
    public_key
        .verifying_key()
        .verify(message, &signature.sig)
        .map_err(|_| CryptoError::BadSignature)
}

/// The ECDSA check itself, with `ring` (the server: about three times faster than `p256` for
/// verifying, issue 18). The same keys and signatures: `ring` takes the uncompressed point and
/// the fixed 64 bytes.
#[cfg(feature = "ring")]
fn verify_canonical(
    public_key: &PublicKey,
    message: &[u8],
    signature: &Signature,
) -> Result<(), CryptoError> {
    let point = public_key.verifying_key().to_encoded_point(false);
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::ECDSA_P256_SHA256_FIXED,
        point.as_bytes(),
    )
    .verify(message, &signature.bytes)
    .map_err(|_| CryptoError::BadSignature)
}

/// Verifies with `p256` whatever the build's features (to compare with `ring` in tests).
#[cfg(all(test, feature = "ring"))]
pub(crate) fn verify_with_p256(
    public_key: &PublicKey,
    message: &[u8],
    signature: &Signature,
) -> bool {
    use p256::ecdsa::signature::Verifier as _;
    public_key
        .verifying_key()
        .verify(message, &signature.sig)
        .is_ok()
}
