//! Project commands, so a newcomer needs two lines from the README and nothing else:
//!
//! - `cargo xtask run`  — set up this machine, then run the app against the embedded backend.
//! - `cargo xtask test` — set up this machine, then run every check CI runs.
//! - `cargo xtask setup` — only the set-up step (both commands above start with it).
//!
//! Set-up is idempotent: it asks dpkg and rustup what is already there and installs only what
//! is missing, so a second run costs a few seconds.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Debian packages every build needs: a C toolchain and pkg-config for -sys crates.
const APT_BUILD: &[&str] = &["build-essential", "pkg-config"];

/// rustup targets: the UI and the core crate are compiled to wasm32.
const RUST_TARGETS: &[&str] = &["wasm32-unknown-unknown"];

/// rustup components the checks use.
const RUST_COMPONENTS: &[&str] = &["rustfmt", "clippy"];

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root()?;
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("setup") => setup(),
        Some("test") => {
            setup()?;
            test(&args[1..])
        }
        Some("run") => {
            setup()?;
            run(&root)
        }
        _ => {
            eprintln!("usage: cargo xtask <setup|run|test>");
            eprintln!("  run   set up this machine, then run the app against the embedded backend");
            eprintln!("  test  set up this machine, then run formatting, lints and every test");
            std::process::exit(2);
        }
    }
}

fn workspace_root() -> Result<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .context("xtask has no parent folder")
}

/// Installs what the project needs on a Debian/Ubuntu machine that has only rustup.
fn setup() -> Result<()> {
    apt_install(APT_BUILD)?;
    let installed = output("rustup", &["target", "list", "--installed"])?;
    for target in RUST_TARGETS {
        if !installed.lines().any(|l| l.trim() == *target) {
            step(&format!("adding rust target {target}"));
            sh("rustup", &["target", "add", target])?;
        }
    }
    let components = output("rustup", &["component", "list", "--installed"])?;
    for component in RUST_COMPONENTS {
        if !components.lines().any(|l| l.starts_with(component)) {
            step(&format!("adding rust component {component}"));
            sh("rustup", &["component", "add", component])?;
        }
    }
    Ok(())
}

/// Runs every check CI runs, in order of cost, stopping at the first failure.
fn test(extra: &[String]) -> Result<()> {
    step("cargo fmt --check");
    sh("cargo", &["fmt", "--all", "--", "--check"])?;
    step("cargo clippy (all targets, warnings are errors)");
    sh(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    step("the core crate builds for wasm32 (the UI runs it in the browser engine)");
    sh(
        "cargo",
        &[
            "check",
            "-p",
            "dinhdanh-core",
            "--target",
            "wasm32-unknown-unknown",
            "--locked",
        ],
    )?;
    step("cargo test --workspace");
    let mut args = vec!["test", "--workspace", "--locked"];
    args.extend(extra.iter().map(String::as_str));
    let totals = cargo_test(&args)?;
    // One closing line for the whole run: cargo prints a summary per test binary, and the
    // last one (often a crate without doc tests) says "0 passed".
    println!(
        "\ntests: {} passed, {} failed, {} skipped",
        totals.passed, totals.failed, totals.ignored
    );
    if totals.failed > 0 {
        bail!("{} tests failed", totals.failed);
    }
    if totals.passed == 0 {
        bail!("no test ran");
    }
    Ok(())
}

#[derive(Default)]
struct TestTotals {
    passed: u64,
    failed: u64,
    ignored: u64,
}

/// Runs `cargo test`, echoing its output, and adds up the per-binary summaries.
fn cargo_test(args: &[&str]) -> Result<TestTotals> {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new("cargo")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("could not start cargo")?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut totals = TestTotals::default();
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        println!("{line}");
        if let Some(rest) = line.strip_prefix("test result: ") {
            for part in rest.split(';') {
                let mut words = part.split_whitespace().rev();
                let (Some(label), Some(count)) = (words.next(), words.next()) else {
                    continue;
                };
                let Ok(count) = count.parse::<u64>() else {
                    continue;
                };
                match label {
                    "passed" => totals.passed += count,
                    "failed" => totals.failed += count,
                    "ignored" => totals.ignored += count,
                    _ => {}
                }
            }
        }
    }
    let status = child.wait()?;
    if !status.success() {
        println!(
            "\ntests: {} passed, {} failed, {} skipped",
            totals.passed,
            totals.failed.max(1),
            totals.ignored
        );
        bail!("cargo test failed ({status})");
    }
    Ok(totals)
}

/// Runs the app against the embedded backend. Grows with the project: today the app and the
/// server are not written yet, so it says what exists and how to try it.
fn run(root: &Path) -> Result<()> {
    step("building the workspace");
    sh("cargo", &["build", "--workspace", "--locked"])?;
    println!();
    println!("Định Danh: the core crate is built. The backend (crates/server) and the app");
    println!("(src-tauri, ui) are not written yet; `cargo xtask run` will start them once they");
    println!("are. Workspace: {}", root.display());
    Ok(())
}

fn is_root() -> bool {
    output("id", &["-u"])
        .map(|s| s.trim() == "0")
        .unwrap_or(false)
}

/// Installs the Debian packages that are not installed yet.
fn apt_install(packages: &[&str]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| {
            output("dpkg-query", &["-W", "-f=${Status}", p])
                .map(|s| !s.contains("install ok installed"))
                .unwrap_or(true)
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if Command::new("apt-get").arg("--version").output().is_err() {
        bail!("these packages are missing and this is not a Debian/Ubuntu machine: {missing:?}");
    }
    step(&format!(
        "installing Debian packages: {}",
        missing.join(" ")
    ));
    let sudo: &[&str] = if is_root() { &[] } else { &["sudo"] };
    let run_apt = |args: &[&str]| -> Result<()> {
        let mut full: Vec<&str> = sudo.to_vec();
        full.extend_from_slice(args);
        let (cmd, rest) = full.split_first().context("empty command")?;
        let status = Command::new(cmd)
            .args(rest)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .with_context(|| format!("could not start {cmd}"))?;
        if !status.success() {
            bail!("{} failed", full.join(" "));
        }
        Ok(())
    };
    run_apt(&["apt-get", "update", "-qq"])?;
    let mut install = vec!["apt-get", "install", "-y", "-qq", "--no-install-recommends"];
    install.extend(&missing);
    run_apt(&install)
}

fn step(what: &str) {
    println!("\n==> {what}");
}

fn sh(cmd: &str, args: &[&str]) -> Result<()> {
    let status = Command::new(cmd)
        .args(args)
        .status()
        .with_context(|| format!("could not start {cmd}"))?;
    if !status.success() {
        bail!("`{cmd} {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

fn output(cmd: &str, args: &[&str]) -> Result<String> {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .with_context(|| format!("could not start {cmd}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
