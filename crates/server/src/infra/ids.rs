//! Server-issued identifiers: a short prefix naming the kind and 128 random bits, base64url.
//! Random rather than sequential, so no one learns how many accounts or requests exist.

use dinhdanh_core::crypto::base64url_encode;
use rand_core::{OsRng, RngCore};

/// `prefix_` followed by 22 characters of base64url (128 random bits).
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", base64url_encode(&random_bytes::<16>()))
}

/// `N` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    OsRng.fill_bytes(&mut b);
    b
}
