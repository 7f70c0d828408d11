//! The QR-login URI (`QrLoginPayload::parse`), the text a phone reads from a camera.
//!
//! Properties: no panic; whatever parses serialises back to exactly the input (the grammar
//! has one spelling per payload, so a parser that accepted a second one would have accepted
//! something the strict grammar refuses); the serialised form parses to the same payload, fits
//! `MAX_URI_LEN`, and its derived values (check code, approval target and body hash) exist.
#![no_main]

use dinhdanh_core::qr_login::{MAX_URI_LEN, QrLoginPayload};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(payload) = QrLoginPayload::parse(text) else {
        return;
    };
    let uri = payload.to_uri();
    assert!(uri.len() <= MAX_URI_LEN);
    assert_eq!(QrLoginPayload::parse(&uri).as_ref(), Ok(&payload));
    // Parameters may come in any order; otherwise the accepted text is the one spelling.
    let mut given: Vec<&str> = text["dinhdanh://login?".len()..].split('&').collect();
    let mut written: Vec<&str> = uri["dinhdanh://login?".len()..].split('&').collect();
    given.sort_unstable();
    written.sort_unstable();
    assert_eq!(given, written, "accepted a second spelling of {uri}");
    assert_eq!(payload.check_code().len(), 6);
    assert!(payload.approval_target().is_ok());
    assert!(payload.approval_body_hash(None).is_ok());
});
