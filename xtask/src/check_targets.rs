//! `cargo xtask check-targets`: type-checks and lints (clippy, `-D warnings`) the crates that
//! hold platform code — the app shell (`dinhdanh-app`, its `cfg(mobile)` code included), the
//! device client and the biometric plugin — for the phones (`aarch64-linux-android`,
//! `aarch64-apple-ios`) and for Apple silicon Macs (`aarch64-apple-darwin`), on this Linux
//! machine, without the Android NDK or Xcode. Nothing is linked: it only lets the compiler
//! reach our Rust for those targets, where no other check of the project looks.
//!
//! What stands in the way is one C dependency: `ring` (under rustls) compiles C and assembly in
//! its build script even for `cargo check`, with the target's C compiler and C library headers.
//! Debian's `clang-14` is a cross compiler for every target; the headers are the NDK's or the
//! SDK's, which are not here, so ring's few needs (`assert.h`, five functions of `string.h`,
//! Apple's `TargetConditionals.h`) are declared in `xtask/stub-headers/`, and clang is told to
//! use them instead of the host's (`-nostdlibinc`; its own freestanding headers such as
//! `stdint.h` stay). cc-rs takes the compiler and flags from `CC_<target>`/`CFLAGS_<target>`,
//! and on Apple targets would ask `xcrun` for the SDK unless `SDKROOT` names one, so it names
//! an empty directory. Every Rust line of ours is checked as it is; only ring's C objects,
//! which no one links, are built against the stand-ins. For the Mac, the two Objective-C
//! files of the notification plugin's dependencies are skipped instead (see `run`).
//!
//! Windows (`x86_64-pc-windows-msvc`) is not checked: ring's build script there wants MSVC's
//! or clang-cl's toolchain with the Windows SDK's headers, which a stand-in does not cover
//! cheaply.
//!
//! Not part of `cargo xtask test`: a cold run compiles every dependency three more times
//! (about 16 minutes on the 2-core machine, measured with other builds running), more than the CI budget allows.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The targets checked, each with the clang target it is compiled for (a minimum OS version
/// the app supports: Android 7.0 = API 24, as the Tauri template; iOS 14; macOS 11).
const TARGETS: &[(&str, &str)] = &[
    ("aarch64-linux-android", "aarch64-linux-android24"),
    ("aarch64-apple-ios", "arm64-apple-ios14"),
    ("aarch64-apple-darwin", "arm64-apple-macos11"),
];

/// The crates with platform code.
const PACKAGES: &[&str] = &[
    "dinhdanh-app",
    "dinhdanh-client",
    "tauri-plugin-biometric-key",
];

/// Debian's cross-capable C compiler and its archiver.
const APT_PACKAGES: &[&str] = &["clang-14", "llvm-14"];
const CLANG: &str = "clang-14";
const LLVM_AR: &str = "/usr/lib/llvm-14/bin/llvm-ar";

pub fn run(root: &Path) -> Result<()> {
    super::apt_install(APT_PACKAGES)?;
    let installed = super::output("rustup", &["target", "list", "--installed"])?;
    for (target, _) in TARGETS {
        if !installed.lines().any(|l| l.trim() == *target) {
            super::step(&format!("adding rust target {target}"));
            super::sh("rustup", &["target", "add", target])?;
        }
    }
    let before = super::output("git", &["status", "--porcelain"])?;
    let headers = root.join("xtask/stub-headers");
    // An empty "SDK": cc-rs passes it as `-isysroot` instead of asking xcrun.
    let sdk = std::env::temp_dir().join("dinhdanh-check-targets-sdk");
    std::fs::create_dir_all(&sdk)?;
    let mut failed = Vec::new();
    for (target, clang_target) in TARGETS {
        super::step(&format!("clippy -D warnings for {target}"));
        let var = target.replace('-', "_");
        let mut clippy = Command::new("cargo");
        clippy.arg("clippy");
        for package in PACKAGES {
            clippy.args(["-p", package]);
        }
        clippy
            .args(["--target", target, "--locked", "--", "-D", "warnings"])
            .env(format!("CC_{var}"), CLANG)
            .env(format!("AR_{var}"), LLVM_AR)
            .env(
                format!("CFLAGS_{var}"),
                format!(
                    "--target={clang_target} -nostdlibinc -isystem {}",
                    headers.display()
                ),
            )
            .env("SDKROOT", &sdk);
        if target.ends_with("apple-darwin") {
            // The desktop notification plugin's `mac-notification-sys` and `objc2`'s exception
            // helper compile Objective-C against AppKit, which no stand-in covers; their build
            // scripts skip it under `DOCS_RS` (their docs.rs path), and nothing is linked here.
            // The other build scripts that read it act only for Android.
            clippy.env("DOCS_RS", "1");
        }
        let status = clippy
            .status()
            .with_context(|| format!("could not start cargo clippy for {target}"))?;
        if !status.success() {
            failed.push(*target);
        }
    }
    // The plugins' build scripts must not write into the work tree (they would on a real mobile
    // build, under `android/.tauri` and `gen/`).
    let after = super::output("git", &["status", "--porcelain"])?;
    println!("\ncheck-targets:");
    for (target, _) in TARGETS {
        let verdict = if failed.contains(target) {
            "FAILED"
        } else {
            "ok"
        };
        println!("  {target:<24} {verdict}");
    }
    if !failed.is_empty() {
        bail!("check-targets failed for {}", failed.join(", "));
    }
    if after != before {
        bail!("the run changed the work tree:\nbefore:\n{before}\nafter:\n{after}");
    }
    Ok(())
}
