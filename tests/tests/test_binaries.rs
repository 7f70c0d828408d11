//! The server's and the device client's integration tests are one binary per crate
//! (`autotests = false`, `tests/main.rs` declares each file as a module): a file there that
//! `tests/main.rs` does not declare would be compiled by nothing, its tests never run.

use std::path::Path;

/// The crates whose `tests/main.rs` is their one integration-test binary.
const ONE_BINARY: [&str; 2] = ["crates/server", "crates/client"];

/// The `tests/*.rs` files of `krate` (beside `main.rs`) that `tests/main.rs` does not declare.
fn undeclared(krate: &Path) -> Vec<String> {
    let tests = krate.join("tests");
    let main = std::fs::read_to_string(tests.join("main.rs")).expect("tests/main.rs is readable");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&tests).expect("tests/ is readable") {
        let path = entry.expect("a directory entry").path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let is_module_file = path.extension().is_some_and(|e| e == "rs") && stem != "main";
        if is_module_file && !main.lines().any(|line| line == format!("mod {stem};")) {
            missing.push(format!("{}/tests/{stem}.rs", krate.display()));
        }
    }
    missing.sort();
    missing
}

#[test]
fn every_integration_test_file_is_a_module_of_its_crates_test_binary() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for krate in ONE_BINARY {
        let manifest = std::fs::read_to_string(root.join(krate).join("Cargo.toml"))
            .expect("the crate's Cargo.toml is readable");
        assert!(
            manifest.lines().any(|line| line == "autotests = false"),
            "{krate}: its tests are one binary only with `autotests = false`"
        );
        let missing = undeclared(&root.join(krate));
        assert!(
            missing.is_empty(),
            "not modules of their crate's tests/main.rs, so no test in them runs: {missing:?}"
        );
    }
}

#[test]
fn a_file_left_out_of_tests_main_is_found() {
    let dir = std::env::temp_dir().join(format!("dinhdanh-test-binaries-{}", std::process::id()));
    let tests = dir.join("tests");
    std::fs::create_dir_all(tests.join("common")).unwrap();
    std::fs::write(tests.join("main.rs"), "mod common;\nmod listed;\n").unwrap();
    std::fs::write(tests.join("listed.rs"), "").unwrap();
    std::fs::write(tests.join("forgotten.rs"), "").unwrap();
    std::fs::write(tests.join("common/mod.rs"), "").unwrap();
    let missing = undeclared(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(missing, [format!("{}/tests/forgotten.rs", dir.display())]);
}
