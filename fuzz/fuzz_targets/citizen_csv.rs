//! The citizen registry file (`parse_citizen_registry`, the server's `citizens.csv`).
//!
//! Properties: no panic; every record of a file that parses is consistent (its own `check`
//! passes, numbers are unique) and is written back as a line of the file's format; the
//! written file parses to the same records.
#![no_main]

use dinhdanh_server::resources::accounts::{REGISTRY_HEADER, parse_citizen_registry};
use dinhdanh_server::store::values::word;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(people) = parse_citizen_registry(text) else {
        return;
    };
    let mut written = format!("# written back by the fuzz target\n{REGISTRY_HEADER}\n");
    let mut seen = std::collections::HashSet::new();
    for p in &people {
        assert_eq!(p.check(), Ok(()));
        assert!(seen.insert(p.citizen_id.clone()), "a number appears twice");
        written.push_str(&format!(
            "{},{},{},{},{},{}\n",
            p.citizen_id,
            p.full_name,
            p.date_of_birth.format("%Y-%m-%d"),
            word(&p.gender).expect("a gender has a word"),
            p.phone,
            p.email.as_ref().map(|e| e.as_str()).unwrap_or_default(),
        ));
    }
    match parse_citizen_registry(&written) {
        Ok(again) => assert_eq!(again, people),
        Err(e) => panic!("the written-back file is refused: {e}"),
    }
});
