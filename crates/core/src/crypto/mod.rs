//! Wire forms of key material, shared by the device, the server and the UI.
//!
//! Every value here travels as unpadded base64url (RFC 4648 §5) and is parsed strictly: one
//! byte string has exactly one text form, so two parties can never disagree about whether two
//! encodings are "the same" key, signature or digest.
//!
//! * [`PublicKey`] — a P-256 public key as its 33-byte SEC1 *compressed* point.
//! * [`KeyId`] — the first 16 bytes of SHA-256 over that compressed point.
//! * [`Signature`] — ECDSA P-256/SHA-256 as fixed 64-byte `r || s`, always *low-S*.
//! * [`Digest32`] — a SHA-256 digest.
//!
//! # Signature malleability
//!
//! ECDSA signatures are malleable: if `(r, s)` is valid then so is `(r, n - s)`. `p256` 0.13
//! (through `ecdsa` 0.16) neither normalises `s` when it signs nor rejects a high `s` when it
//! verifies (`ecdsa::hazmat::verify_prehashed` checks only the equation). This module closes
//! that gap at both ends:
//!
//! * producing: [`sign_with`] and [`Signature::from_p256`] normalise to low-S, so anything the
//!   device creates — with a software key or a platform key whose output it converts — is
//!   canonical;
//! * consuming: [`Signature::parse`] and [`Signature::from_bytes`] *reject* a high `s`
//!   ([`CryptoError::HighS`]) instead of normalising it, so a [`Signature`] value can only hold
//!   the one canonical form and a server that stores or compares signatures sees one spelling
//!   per signature. [`verify`] checks again, so the property holds even for a future
//!   constructor that forgets.
//!
//! # Verifying
//!
//! [`verify`] uses `p256`, or with the `ring` feature (the server's build) `ring`'s P-256
//! verifier, about three times faster; the canonical-form checks above are the same either way.
//!
//! # Signing
//!
//! Signing is the device's job. [`sign_with`] is offered because RFC 6979 deterministic
//! signing needs no randomness, so it stays within this crate's sans-IO rules; keys held by a
//! platform keystore sign outside this crate and come back through [`Signature::from_p256`].

mod base64url;
mod canonical;
mod digest;
mod error;
mod key;
mod signature;

pub use base64url::{
    base64url_decode, base64url_decode_array, base64url_encode, base64url_len, ct_eq,
};
pub(crate) use base64url::{base64url_string, parse_decimal};
pub(crate) use canonical::CanonicalWriter;
pub use digest::{Digest32, Sha256Hash, sha256};
pub use error::{CryptoError, Material};
pub use key::{KEY_ID_LEN, KeyId, PUBLIC_KEY_LEN, PublicKey};
pub use signature::{SIGNATURE_LEN, Signature, sign_with, verify};

#[cfg(test)]
mod tests;
