//! The signed-action envelope as the server reads it from a request body (JSON, serde with
//! `deny_unknown_fields`, every field a parsed type).
//!
//! Properties: no panic; a parsed envelope serialises and parses back to itself, its JSON is
//! a fixed point, and its canonical signed bytes are the same after the round trip; checking
//! its signature against its own claimed key id and a fixed key answers without panicking.
#![no_main]

use dinhdanh_core::crypto::PublicKey;
use dinhdanh_core::signed_action::{PendingAction, SignedAction, SignedActionEnvelope};
use libfuzzer_sys::fuzz_target;

/// The P-256 generator, compressed: a valid public key nobody uses.
const KEY: &str = "A2sX0fLhLEJH-Lzm5WOkQPJ3A32BLeszoPShOUXYmMKW";

fuzz_target!(|data: &[u8]| {
    if let Ok(action) = serde_json::from_slice::<SignedAction>(data) {
        let json = serde_json::to_vec(&action).expect("a parsed action serialises");
        let again: SignedAction = serde_json::from_slice(&json).expect("and parses back");
        assert_eq!(again, action);
        assert_eq!(again.to_bytes(), action.to_bytes());
    }
    let Ok(envelope) = serde_json::from_slice::<SignedActionEnvelope>(data) else {
        return;
    };
    let json = serde_json::to_vec(&envelope).expect("a parsed envelope serialises");
    let again: SignedActionEnvelope = serde_json::from_slice(&json).expect("and parses back");
    assert_eq!(again, envelope);
    assert_eq!(serde_json::to_vec(&again).expect("serialises"), json);
    assert_eq!(again.action.to_bytes(), envelope.action.to_bytes());
    let key = PublicKey::parse(KEY).expect("the generator is a valid key");
    let _ = PendingAction::new(envelope.action.clone()).finish(envelope.signature.clone(), &key);
});
