//! The request-proof header (`RequestProof::parse_header_value`), which the server parses from
//! every authenticated request before it knows who sent it.
//!
//! Properties: no panic; whatever parses serialises back to exactly the input (every part has
//! one canonical encoding); verifying a parsed proof against a fixed key and request returns
//! an answer rather than panicking.
#![no_main]

use dinhdanh_core::crypto::PublicKey;
use dinhdanh_core::request_proof::{self, ExpectedRequest, RequestProof};
use libfuzzer_sys::fuzz_target;

/// The P-256 generator, compressed: a valid public key nobody uses.
const KEY: &str = "A2sX0fLhLEJH-Lzm5WOkQPJ3A32BLeszoPShOUXYmMKW";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(proof) = RequestProof::parse_header_value(text) else {
        return;
    };
    assert_eq!(proof.to_header_value(), text, "accepted a second spelling");
    assert_eq!(
        RequestProof::parse_header_value(&proof.to_header_value()).as_ref(),
        Ok(&proof)
    );
    let key = PublicKey::parse(KEY).expect("the generator is a valid key");
    let claims = proof.claims();
    let expected = ExpectedRequest {
        method: claims.method(),
        path: claims.path(),
        body: b"",
        session_hash: claims.session_hash(),
        now: claims.time(),
        max_skew_secs: 60,
    };
    let _ = request_proof::verify(&proof, &key, &expected);
    let _ = request_proof::verify_before_body(&proof, &key, &expected);
});
