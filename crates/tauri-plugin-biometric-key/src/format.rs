//! The platforms' spellings of keys and signatures, turned into the core crate's canonical
//! forms. Pure code: it runs (and is tested) on every target.
//!
//! * Public keys: Android's `PublicKey.getEncoded()` is an X.509 `SubjectPublicKeyInfo` (DER);
//!   iOS's `SecKeyCopyExternalRepresentation` is the ANSI X9.63 uncompressed point
//!   (`04 ‖ X ‖ Y`, 65 bytes). The first bytes differ (`0x30`, a DER SEQUENCE, against
//!   `0x04`), so one function reads both without guessing. The result is the core's
//!   [`PublicKey`], the 33-byte compressed point the server registers.
//! * Signatures: both platforms return the ASN.1 `ECDSA-Sig-Value` (DER `SEQUENCE { r, s }`)
//!   of ECDSA P-256 over SHA-256 (`SHA256withECDSA`, `.ecdsaSignatureMessageX962SHA256`).
//!   Neither promises a low `s`, and the server rejects a high one, so the conversion
//!   normalises it ([`Signature::from_p256`]).

use dinhdanh_core::crypto::{PUBLIC_KEY_LEN, PublicKey, Signature};
use p256::pkcs8::DecodePublicKey as _;

/// Length of an uncompressed SEC1 / X9.63 P-256 point.
pub const UNCOMPRESSED_POINT_LEN: usize = 65;

/// Longest DER `ECDSA-Sig-Value` of P-256: two 33-byte INTEGERs with their headers, and the
/// SEQUENCE header.
pub const MAX_DER_SIGNATURE_LEN: usize = 72;

/// Why bytes from the platform are not a P-256 public key or signature. The platform code is
/// ours, so this means a bug or a platform that changed its format; the user sees a plain
/// "try again / use the PIN" sentence, and the detail goes to the log.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The native side sent text that is not standard base64.
    #[error("the platform's answer is not base64")]
    NotBase64,
    /// Not a DER SubjectPublicKeyInfo of a P-256 key, nor a SEC1 point on P-256.
    #[error("the platform's public key is not a P-256 key")]
    PublicKey,
    /// Not a DER ECDSA-Sig-Value with `r` and `s` in range.
    #[error("the platform's signature is not a DER ECDSA P-256 signature")]
    Signature,
}

/// Reads a platform public key: DER `SubjectPublicKeyInfo` (Android), or a SEC1 point,
/// uncompressed (iOS) or compressed.
///
/// The SubjectPublicKeyInfo must name `id-ecPublicKey` on `prime256v1`; a key on another curve,
/// an RSA key, or trailing bytes are refused.
pub fn public_key_from_platform(bytes: &[u8]) -> Result<PublicKey, FormatError> {
    match bytes.first() {
        // DER SEQUENCE: a SubjectPublicKeyInfo. The decoder checks the algorithm and curve OIDs.
        Some(0x30) => p256::ecdsa::VerifyingKey::from_public_key_der(bytes)
            .map(|key| PublicKey::from_verifying_key(&key))
            .map_err(|_| FormatError::PublicKey),
        Some(0x04) if bytes.len() == UNCOMPRESSED_POINT_LEN => {
            p256::ecdsa::VerifyingKey::from_sec1_bytes(bytes)
                .map(|key| PublicKey::from_verifying_key(&key))
                .map_err(|_| FormatError::PublicKey)
        }
        Some(0x02 | 0x03) => {
            let compressed: &[u8; PUBLIC_KEY_LEN] =
                bytes.try_into().map_err(|_| FormatError::PublicKey)?;
            PublicKey::from_sec1_compressed(compressed).map_err(|_| FormatError::PublicKey)
        }
        _ => Err(FormatError::PublicKey),
    }
}

/// Reads a platform signature (DER `ECDSA-Sig-Value`) and returns the canonical low-S
/// [`Signature`] the server accepts.
///
/// The DER must be strict: minimal lengths and integers, nothing after the SEQUENCE, `r` and
/// `s` in `1..n`.
pub fn signature_from_der(bytes: &[u8]) -> Result<Signature, FormatError> {
    if bytes.len() > MAX_DER_SIGNATURE_LEN {
        return Err(FormatError::Signature);
    }
    let sig = p256::ecdsa::Signature::from_der(bytes).map_err(|_| FormatError::Signature)?;
    Ok(Signature::from_p256(sig))
}

/// Standard base64 (with padding), the form Android's `Base64.NO_WRAP` and Foundation's
/// `base64EncodedString()` write: how bytes cross the JSON bridge to the native code.
pub(crate) fn decode_base64(text: &str) -> Result<Vec<u8>, FormatError> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| FormatError::NotBase64)
}

/// The counterpart of [`decode_base64`].
pub(crate) fn encode_base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dinhdanh_core::crypto::verify;
    use p256::ecdsa::signature::Signer as _;
    use p256::ecdsa::{SigningKey, VerifyingKey};

    /// A fixed key, so failures reproduce.
    fn key() -> SigningKey {
        SigningKey::from_slice(&[7u8; 32]).unwrap()
    }

    /// The DER SubjectPublicKeyInfo Android's `PublicKey.getEncoded()` returns for a P-256 key:
    /// SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING { 04 || X || Y } }.
    fn spki_of(key: &VerifyingKey) -> Vec<u8> {
        let mut der = vec![
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ];
        der.extend_from_slice(key.to_encoded_point(false).as_bytes());
        der
    }

    /// A signature as a platform might return it: the given twin, DER-encoded.
    fn der_of(sig: &p256::ecdsa::Signature) -> Vec<u8> {
        sig.to_der().as_bytes().to_vec()
    }

    /// The high-S twin of a signature: `(r, n - s)`, valid for the same key and message.
    fn high_s_twin(sig: &p256::ecdsa::Signature) -> p256::ecdsa::Signature {
        if sig.normalize_s().is_some() {
            return *sig;
        }
        let (r, s) = sig.split_scalars();
        let high = -*s.as_ref();
        p256::ecdsa::Signature::from_scalars(r.to_bytes(), high.to_bytes()).unwrap()
    }

    #[test]
    fn an_android_subject_public_key_info_becomes_the_compressed_key_the_server_registers() {
        let verifying = VerifyingKey::from(&key());
        let spki = spki_of(&verifying);
        // The fixed shape of a P-256 SubjectPublicKeyInfo: 26 header bytes and the point.
        assert_eq!(spki.len(), 91);
        let parsed = public_key_from_platform(&spki).unwrap();
        assert_eq!(parsed, PublicKey::from_verifying_key(&verifying));
        assert_eq!(parsed.as_bytes().len(), 33);
    }

    #[test]
    fn an_ios_x963_point_becomes_the_same_key() {
        let verifying = VerifyingKey::from(&key());
        let point = verifying.to_encoded_point(false);
        assert_eq!(point.as_bytes().len(), UNCOMPRESSED_POINT_LEN);
        let parsed = public_key_from_platform(point.as_bytes()).unwrap();
        assert_eq!(parsed, PublicKey::from_verifying_key(&verifying));
        let compressed = verifying.to_encoded_point(true);
        assert_eq!(
            public_key_from_platform(compressed.as_bytes()).unwrap(),
            parsed
        );
    }

    #[test]
    fn a_key_on_another_curve_or_a_damaged_key_is_refused() {
        let bytes = spki_of(&VerifyingKey::from(&key()));
        // prime256v1 is 1.2.840.10045.3.1.7; change its last arc to name another curve.
        let oid = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
        let at = bytes.windows(oid.len()).position(|w| w == oid).unwrap();
        let mut other_curve = bytes.clone();
        other_curve[at + oid.len() - 1] = 0x08;
        assert_eq!(
            public_key_from_platform(&other_curve),
            Err(FormatError::PublicKey)
        );

        let mut trailing = bytes.clone();
        trailing.push(0);
        assert_eq!(
            public_key_from_platform(&trailing),
            Err(FormatError::PublicKey)
        );

        let mut off_curve = VerifyingKey::from(&key())
            .to_encoded_point(false)
            .as_bytes()
            .to_vec();
        off_curve[64] ^= 1;
        assert_eq!(
            public_key_from_platform(&off_curve),
            Err(FormatError::PublicKey)
        );
        assert_eq!(public_key_from_platform(&[]), Err(FormatError::PublicKey));
        assert_eq!(
            public_key_from_platform(&[0x04; 33]),
            Err(FormatError::PublicKey)
        );
    }

    #[test]
    fn a_der_signature_becomes_the_fixed_size_signature_that_verifies() {
        let message = b"canonical bytes of a signed action";
        let sig: p256::ecdsa::Signature = key().sign(message);
        let converted = signature_from_der(&der_of(&sig)).unwrap();
        let public = PublicKey::from_verifying_key(&VerifyingKey::from(&key()));
        assert_eq!(converted.as_bytes().len(), 64);
        assert_eq!(verify(&public, message, &converted), Ok(()));
    }

    #[test]
    fn a_high_s_signature_from_the_platform_is_normalised_so_the_server_accepts_it() {
        let message = b"counter=7";
        let sig: p256::ecdsa::Signature = key().sign(message);
        let high = high_s_twin(&sig);
        // The twin really is the high one, and p256 alone would accept it.
        assert!(high.normalize_s().is_some());
        assert!(VerifyingKey::from(&key()).verify_prehash_ok(message, &high));

        let converted = signature_from_der(&der_of(&high)).unwrap();
        let public = PublicKey::from_verifying_key(&VerifyingKey::from(&key()));
        assert_eq!(verify(&public, message, &converted), Ok(()));
        // Both twins convert to one canonical signature.
        assert_eq!(
            converted,
            signature_from_der(&der_of(&high.normalize_s().unwrap_or(high))).unwrap()
        );
        assert!(converted.to_p256().normalize_s().is_none());
    }

    #[test]
    fn a_signature_that_is_not_strict_der_is_refused() {
        let sig: p256::ecdsa::Signature = key().sign(b"m");
        let der = der_of(&sig);

        // The raw r||s form is not what the platforms return; it must not slip through.
        assert_eq!(
            signature_from_der(&sig.to_bytes()),
            Err(FormatError::Signature)
        );
        let mut trailing = der.clone();
        trailing.push(0);
        assert_eq!(signature_from_der(&trailing), Err(FormatError::Signature));
        assert_eq!(
            signature_from_der(&der[..der.len() - 1]),
            Err(FormatError::Signature)
        );
        // A long-form length where the short form fits is BER, not DER.
        let mut long_form = vec![0x30, 0x81, der[1]];
        long_form.extend_from_slice(&der[2..]);
        assert_eq!(signature_from_der(&long_form), Err(FormatError::Signature));
        // r = 0 is out of range.
        let zero_r = [0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01];
        assert_eq!(signature_from_der(&zero_r), Err(FormatError::Signature));
        assert_eq!(signature_from_der(&[]), Err(FormatError::Signature));
        assert_eq!(
            signature_from_der(&[0x30; MAX_DER_SIGNATURE_LEN + 1]),
            Err(FormatError::Signature)
        );
    }

    #[test]
    fn bytes_cross_the_bridge_as_standard_padded_base64() {
        let bytes = [0xfbu8, 0xff, 0x00, 0x01];
        let text = encode_base64(&bytes);
        assert_eq!(text, "+/8AAQ==");
        assert_eq!(decode_base64(&text).unwrap(), bytes);
        assert_eq!(decode_base64("-_8AAQ"), Err(FormatError::NotBase64));
    }

    /// `verify_prehash_ok`: whether p256's own check (which ignores S) accepts a signature.
    trait VerifyOk {
        fn verify_prehash_ok(&self, message: &[u8], sig: &p256::ecdsa::Signature) -> bool;
    }

    impl VerifyOk for VerifyingKey {
        fn verify_prehash_ok(&self, message: &[u8], sig: &p256::ecdsa::Signature) -> bool {
            use p256::ecdsa::signature::Verifier as _;
            self.verify(message, sig).is_ok()
        }
    }
}
