//! Keys held on the device: the long-lived device key (made at binding, signs every request
//! proof) and the confirmation key (derived from the passcode for one confirmation, signs
//! signed actions). Both are P-256 (`p256`), neither prints, serialises or leaves the device:
//! only their public halves are exported, and their scalars are wiped when they are dropped
//! (`p256`'s `SigningKey` zeroizes itself).

use dinhdanh_core::account::ConfirmationMethod;
use dinhdanh_core::crypto::{KeyId, PublicKey, sha256};
use dinhdanh_core::request_proof::{ProofClaims, RequestProof};
use dinhdanh_core::signed_action::{PendingAction, SignedActionEnvelope};
use p256::ecdsa::SigningKey;
use rand_core::OsRng;
use zeroize::Zeroizing;

use crate::error::ClientError;

/// Length of a stored private scalar.
pub(crate) const SCALAR_LEN: usize = 32;

/// The device key: generated on the device at binding, kept in the OS keystore, signs the
/// request proof of every request (sessionless ones at sign-in and binding, and every request
/// of the sessions bound to it). No `Debug`, no `Clone`, no serde.
pub struct DeviceKey(SigningKey);

impl DeviceKey {
    /// A fresh key from the OS's random source.
    pub fn generate() -> Self {
        DeviceKey(SigningKey::random(&mut OsRng))
    }

    /// The key as read back from the keystore.
    pub(crate) fn from_secret_bytes(bytes: &[u8]) -> Result<Self, ClientError> {
        SigningKey::from_slice(bytes)
            .map(DeviceKey)
            .map_err(|_| ClientError::Keystore {
                detail: "the stored device key is not a P-256 scalar".into(),
            })
    }

    /// The scalar, for the keystore only.
    pub(crate) fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.0.to_bytes().to_vec())
    }

    /// The public half, the only part that leaves the device.
    pub fn public_key(&self) -> PublicKey {
        PublicKey::from_verifying_key(self.0.verifying_key())
    }

    /// Its key id, as the server names it.
    pub fn key_id(&self) -> KeyId {
        self.public_key().key_id()
    }

    /// Signs a request proof.
    pub fn sign_proof(&self, claims: ProofClaims) -> RequestProof {
        claims.sign_with(&self.0)
    }
}

/// A confirmation key held in software: the passcode-derived key, alive only for the
/// confirmation it is made for. No `Debug`, no `Clone`, no serde.
pub struct ConfirmationKey {
    key: SigningKey,
    method: ConfirmationMethod,
}

/// Domain tag for turning KDF output into a P-256 scalar, so the same bytes never serve
/// another purpose.
const SCALAR_DOMAIN: &[u8] = b"dinhdanh/passcode-key/v1";

impl ConfirmationKey {
    /// Turns 32 bytes of KDF output into a P-256 key. A value outside the curve's order (odds
    /// about 2^-128) is hashed again with a counter until it fits, deterministically.
    pub(crate) fn from_kdf_output(
        seed: &[u8; SCALAR_LEN],
        method: ConfirmationMethod,
    ) -> Result<Self, ClientError> {
        if let Ok(key) = SigningKey::from_slice(seed) {
            return Ok(ConfirmationKey { key, method });
        }
        for round in 0u8..=255 {
            let mut input = Zeroizing::new(Vec::with_capacity(SCALAR_DOMAIN.len() + 33));
            input.extend_from_slice(SCALAR_DOMAIN);
            input.extend_from_slice(seed);
            input.push(round);
            let digest = Zeroizing::new(*sha256(&input).as_bytes());
            if let Ok(key) = SigningKey::from_slice(digest.as_slice()) {
                return Ok(ConfirmationKey { key, method });
            }
        }
        Err(ClientError::Protocol {
            code: "key_derivation_failed".into(),
            message_vi: "Không tạo được khóa xác nhận.".into(),
            message_en: "The confirmation key could not be made.".into(),
        })
    }

    /// The public half, registered with the server at binding or passcode reset.
    pub fn public_key(&self) -> PublicKey {
        PublicKey::from_verifying_key(self.key.verifying_key())
    }

    /// Its key id.
    pub fn key_id(&self) -> KeyId {
        self.public_key().key_id()
    }

    /// How the person unlocked it.
    pub fn method(&self) -> ConfirmationMethod {
        self.method
    }

    /// Signs a prepared action, checking the signature with the server's own check first.
    pub fn sign(&self, pending: PendingAction) -> Result<SignedActionEnvelope, ClientError> {
        Ok(pending.sign_with(&self.key)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dinhdanh_core::request_proof::{self, ExpectedRequest};

    #[test]
    fn a_device_key_survives_the_keystore_round_trip_and_signs_proofs_the_server_accepts() {
        let key = DeviceKey::generate();
        let again = DeviceKey::from_secret_bytes(&key.to_secret_bytes()).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        let body = br#"{"a":1}"#;
        let claims =
            ProofClaims::new("POST", "/v1/sessions", body, None, 1_800_000_000, [7; 16]).unwrap();
        let proof = again.sign_proof(claims);
        let header = proof.to_header_value();
        let parsed = request_proof::RequestProof::parse_header_value(&header).unwrap();
        request_proof::verify(
            &parsed,
            &key.public_key(),
            &ExpectedRequest {
                method: "POST",
                path: "/v1/sessions",
                body,
                session_hash: None,
                now: 1_800_000_000,
                max_skew_secs: 60,
            },
        )
        .unwrap();
        assert!(DeviceKey::from_secret_bytes(&[0u8; 32]).is_err());
        assert!(DeviceKey::from_secret_bytes(&[1u8; 5]).is_err());
    }

    #[test]
    fn kdf_output_outside_the_curve_order_still_gives_a_deterministic_key() {
        let all_ones = [0xffu8; 32];
        let a = ConfirmationKey::from_kdf_output(&all_ones, ConfirmationMethod::Passcode).unwrap();
        let b = ConfirmationKey::from_kdf_output(&all_ones, ConfirmationMethod::Passcode).unwrap();
        assert_eq!(a.public_key(), b.public_key());
        let other =
            ConfirmationKey::from_kdf_output(&[3u8; 32], ConfirmationMethod::Passcode).unwrap();
        assert_ne!(a.key_id(), other.key_id());
    }
}
