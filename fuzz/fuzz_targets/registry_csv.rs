//! The organisation registry file (`parse_registry`, `crates/server/data/registry.csv`).
//!
//! Properties: no panic; every entry of a file that parses is written back as a line of the
//! file's format (as `cargo xtask gen-registry` writes it) and the written file parses to the
//! same entries — nothing the parser accepts is lost or changed by one more trip.
#![no_main]

use dinhdanh_server::resources::registry::{HEADER, RegistryEntry, parse_registry, registry_text};
use libfuzzer_sys::fuzz_target;

fn line(e: &RegistryEntry) -> String {
    let representatives: Vec<String> = e
        .representatives
        .iter()
        .map(|(id, name)| format!("{id} {}", name.as_str()))
        .collect();
    [
        registry_text(e.registry).to_owned(),
        e.code.as_str().to_owned(),
        e.agency_code
            .as_ref()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default(),
        e.name_vi.as_str().to_owned(),
        e.address.as_str().to_owned(),
        e.province.key().to_owned(),
        e.established_on.format("%Y-%m-%d").to_string(),
        e.status.as_str().to_owned(),
        representatives.join(";"),
    ]
    .join("|")
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(entries) = parse_registry(text) else {
        return;
    };
    let mut written = format!("# written back by the fuzz target\n{HEADER}\n");
    for entry in &entries {
        written.push_str(&line(entry));
        written.push('\n');
    }
    match parse_registry(&written) {
        Ok(again) => assert_eq!(again, entries),
        Err(e) => panic!("the written-back file is refused: {e}"),
    }
});
