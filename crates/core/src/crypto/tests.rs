use super::*;
use p256::ecdsa::SigningKey;
use proptest::prelude::*;

fn key() -> SigningKey {
    SigningKey::random(&mut rand_core::OsRng)
}

/// The P-256 group order n, big-endian.
const ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// n - s, big-endian: the malleable twin of a signature's s.
fn negate_mod_order(s: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = ORDER[i] as i16 - s[i] as i16 - borrow;
        borrow = 0;
        if d < 0 {
            d += 256;
            borrow = 1;
        }
        out[i] = d as u8;
    }
    out
}

#[test]
fn a_signature_made_on_the_device_verifies_on_the_server() {
    let sk = key();
    let pk = PublicKey::from_verifying_key(sk.verifying_key());
    let sig = sign_with(&sk, b"hello");
    assert_eq!(verify(&pk, b"hello", &sig), Ok(()));
    assert_eq!(verify(&pk, b"hellO", &sig), Err(CryptoError::BadSignature));
    let other = PublicKey::from_verifying_key(key().verifying_key());
    assert_eq!(
        verify(&other, b"hello", &sig),
        Err(CryptoError::BadSignature)
    );
}

#[test]
fn the_high_s_twin_of_a_valid_signature_is_rejected() {
    let sk = key();
    let pk = PublicKey::from_verifying_key(sk.verifying_key());
    let sig = sign_with(&sk, b"pay 100");
    let mut twin = *sig.as_bytes();
    let high = negate_mod_order(&twin[32..]);
    twin[32..].copy_from_slice(&high);
    // p256 alone accepts the twin: that is the gap this module closes.
    let raw = p256::ecdsa::Signature::from_slice(&twin).unwrap();
    assert!(p256::ecdsa::signature::Verifier::verify(sk.verifying_key(), b"pay 100", &raw).is_ok());
    assert_eq!(Signature::from_bytes(&twin), Err(CryptoError::HighS));
    assert_eq!(
        Signature::parse(&base64url_encode(&twin)),
        Err(CryptoError::HighS)
    );
    // The producing side normalises the twin back to the canonical signature.
    let normalised = Signature::from_p256(raw);
    assert_eq!(normalised, sig);
    assert_eq!(verify(&pk, b"pay 100", &normalised), Ok(()));
}

#[test]
fn signatures_with_zero_or_oversized_scalars_are_out_of_range() {
    assert_eq!(
        Signature::from_bytes(&[0u8; 64]),
        Err(CryptoError::SignatureOutOfRange)
    );
    let mut big = [0u8; 64];
    big[..32].copy_from_slice(&ORDER);
    big[63] = 1;
    assert_eq!(
        Signature::from_bytes(&big),
        Err(CryptoError::SignatureOutOfRange)
    );
}

#[test]
fn public_keys_are_only_compressed_points_on_the_curve() {
    let sk = key();
    let pk = PublicKey::from_verifying_key(sk.verifying_key());
    let text = pk.to_string();
    assert_eq!(text.len(), 44);
    assert_eq!(PublicKey::parse(&text).unwrap(), pk);

    // Uncompressed form: 65 bytes.
    let uncompressed = sk.verifying_key().to_encoded_point(false);
    let err = PublicKey::parse(&base64url_encode(uncompressed.as_bytes())).unwrap_err();
    assert!(matches!(err, CryptoError::TooLong { .. }), "{err:?}");
    // Wrong tag byte.
    let mut bytes = *pk.as_bytes();
    bytes[0] = 0x04;
    assert_eq!(
        PublicKey::from_sec1_compressed(&bytes),
        Err(CryptoError::NotOnCurve)
    );
    // The identity's SEC1 form is the single byte 0x00: wrong length, and a wrong tag
    // when padded to 33 bytes.
    let err = PublicKey::parse(&base64url_encode(&[0u8])).unwrap_err();
    assert!(
        matches!(err, CryptoError::WrongLength { found: 1, .. }),
        "{err:?}"
    );
    assert_eq!(
        PublicKey::from_sec1_compressed(&[0u8; 33]),
        Err(CryptoError::NotOnCurve)
    );
    // An x coordinate equal to the field prime is not reduced.
    let mut p = [0xffu8; 33];
    p[0] = 0x02;
    assert_eq!(
        PublicKey::from_sec1_compressed(&p),
        Err(CryptoError::NotOnCurve)
    );
    // Too short.
    let err = PublicKey::parse(&base64url_encode(&[2u8; 32])).unwrap_err();
    assert!(
        matches!(err, CryptoError::WrongLength { found: 32, .. }),
        "{err:?}"
    );
}

#[test]
fn an_x_coordinate_with_no_point_is_rejected() {
    // Roughly half of all x values have no point; find one deterministically.
    let found = (1u8..=255).any(|x| {
        let mut bytes = [0u8; 33];
        bytes[0] = 0x02;
        bytes[32] = x;
        PublicKey::from_sec1_compressed(&bytes) == Err(CryptoError::NotOnCurve)
    });
    assert!(found);
}

#[test]
fn key_id_is_the_first_16_bytes_of_sha256_of_the_compressed_point() {
    let pk = PublicKey::from_verifying_key(key().verifying_key());
    let digest = sha256(pk.as_bytes());
    assert_eq!(pk.key_id().as_bytes()[..], digest.as_bytes()[..16]);
    let text = pk.key_id().to_string();
    assert_eq!(text.len(), 22);
    assert_eq!(KeyId::parse(&text).unwrap(), pk.key_id());
}

#[test]
fn sha256_matches_the_standard_test_vector() {
    let d = sha256(b"abc");
    assert_eq!(d.to_string(), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    assert_eq!(Digest32::parse(&d.to_string()).unwrap(), d);
}

#[test]
fn base64url_rejects_padding_standard_alphabet_and_non_canonical_bits() {
    let what = Material::Digest;
    assert_eq!(base64url_decode("AQ", what, 0, 8).unwrap(), vec![1]);
    assert!(base64url_decode("AQ==", what, 0, 8).is_err());
    assert!(
        base64url_decode("AR", what, 0, 8).is_err(),
        "trailing bits must be zero"
    );
    assert!(base64url_decode("+/8", what, 0, 8).is_err());
    assert!(base64url_decode("_-8", what, 0, 8).is_ok());
    assert!(base64url_decode(" AQ", what, 0, 8).is_err());
    assert!(base64url_decode("A", what, 0, 8).is_err());
    assert_eq!(
        base64url_decode(&"A".repeat(100), what, 0, 8),
        Err(CryptoError::TooLong { what, max: 11 })
    );
}

#[test]
fn wire_forms_travel_as_json_strings() {
    let sk = key();
    let pk = PublicKey::from_verifying_key(sk.verifying_key());
    let sig = sign_with(&sk, b"x");
    let json = serde_json::to_string(&(&pk, pk.key_id(), sig, sha256(b"x"))).unwrap();
    let back: (PublicKey, KeyId, Signature, Digest32) = serde_json::from_str(&json).unwrap();
    assert_eq!(back, (pk.clone(), pk.key_id(), sig, sha256(b"x")));
    assert!(serde_json::from_str::<PublicKey>("\"AAAA\"").is_err());
}

#[test]
fn errors_have_stable_codes_and_both_languages() {
    let e = CryptoError::WrongLength {
        what: Material::PublicKey,
        min: 33,
        max: 33,
        found: 32,
    };
    assert_eq!(e.code(), "public_key.wrong_length");
    assert_eq!(
        e.message_en(),
        "Public key must be 33 bytes long, 32 given."
    );
    assert_eq!(
        e.message_vi(),
        "Khoá công khai phải dài 33 byte, nhận được 32."
    );
    assert_eq!(CryptoError::HighS.code(), "signature.high_s");
    assert_eq!(
        CryptoError::BadSignature.to_string(),
        CryptoError::BadSignature.message_en()
    );
}

#[test]
fn canonical_writer_marks_absence_and_lengths() {
    let mut a = CanonicalWriter::new("d");
    a.optional(None);
    a.bytes(b"");
    let mut b = CanonicalWriter::new("d");
    b.optional(Some(b""));
    assert_ne!(a.finish(), b.finish());
}

proptest! {
    #[test]
    fn base64url_round_trips_and_has_one_text_form(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        let text = base64url_encode(&bytes);
        prop_assert_eq!(text.len(), base64url_len(bytes.len()));
        prop_assert_eq!(base64url_decode(&text, Material::Digest, 0, 80).unwrap(), bytes);
    }

    #[test]
    fn every_signature_sign_with_makes_is_low_s_and_parses_back(msg in proptest::collection::vec(any::<u8>(), 0..64)) {
        let sk = key();
        let sig = sign_with(&sk, &msg);
        let back = Signature::parse(&sig.to_string()).unwrap();
        prop_assert_eq!(back, sig);
        let pk = PublicKey::from_verifying_key(sk.verifying_key());
        prop_assert_eq!(verify(&pk, &msg, &back), Ok(()));
    }
}

/// With the `ring` feature (the server), `verify` uses ring: it must accept and refuse exactly
/// what p256 does — the right key and message, another message, another key, a flipped byte.
#[cfg(feature = "ring")]
#[test]
fn ring_and_p256_verify_the_same_signatures() {
    for i in 0..64u8 {
        let sk = key();
        let pk = PublicKey::from_verifying_key(sk.verifying_key());
        let other = PublicKey::from_verifying_key(key().verifying_key());
        let message = [i; 40];
        let sig = sign_with(&sk, &message);
        let mut flipped = *sig.as_bytes();
        flipped[usize::from(i % 64)] ^= 1;
        let flipped = Signature::from_bytes(&flipped).ok();
        let cases = [
            (&pk, &message[..], Some(sig)),
            (&pk, &b"another message"[..], Some(sig)),
            (&other, &message[..], Some(sig)),
            (&pk, &message[..], flipped),
        ];
        for (n, (key, message, sig)) in cases.into_iter().enumerate() {
            let Some(sig) = sig else { continue };
            let p256 = signature::verify_with_p256(key, message, &sig);
            assert_eq!(
                verify(key, message, &sig).is_ok(),
                p256,
                "case {n} of round {i}"
            );
            assert_eq!(p256, n == 0, "case {n} of round {i}");
        }
    }
}
