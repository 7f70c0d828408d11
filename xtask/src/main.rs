//! Project commands, so a newcomer needs two lines from the README and nothing else:
//!
//! - `cargo xtask run`  — set up this machine, then run the app against the embedded backend.
//! - `cargo xtask test` — set up this machine, then run every check CI runs.
//! - `cargo xtask setup` — only the set-up step (both commands above start with it).
//! - `cargo xtask gen-citizens` — rewrite the synthetic citizen registry the server ships.
//! - `cargo xtask gen-registry` — rewrite the synthetic organisation registries (after the
//!   citizen registry: representatives are drawn from it).
//! - `cargo xtask fuzz [--target T] [--minutes M]` — run the fuzz targets (not part of `test`).
//! - `cargo xtask bench-national [--people N] [--organisations N]` — the registries at
//!   national size in SQLite and PostgreSQL (not part of `test`).
//! - `cargo xtask bench-load` — whole journeys of many phones, desktops and officers at once
//!   against SQLite, PostgreSQL and two instances on one PostgreSQL (not part of `test`).
//! - `cargo xtask bench-throughput` — signed requests on one core against the crypto bound,
//!   and confirmed actions, on SQLite and PostgreSQL (not part of `test`).
//!
//! Set-up is idempotent: it asks dpkg and rustup what is already there and installs only what
//! is missing, so a second run costs a few seconds.

mod check_targets;
mod citizens;
mod crash;
mod demo_service;
mod fuzz;
mod npm;
mod registry;
mod schemathesis;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Debian packages every build needs: a C toolchain and pkg-config for -sys crates.
const APT_BUILD: &[&str] = &["build-essential", "pkg-config"];

/// Debian packages of the device client: libdbus to build its Secret Service backend, and the
/// session bus and gnome-keyring its tests run against (the real Secret Service).
const APT_KEYSTORE: &[&str] = &["libdbus-1-dev", "dbus", "gnome-keyring"];

/// Password of the throw-away login keyring the device client's tests unlock (it lives in a
/// temporary directory removed after the run; it guards nothing).
const TEST_KEYRING_PASSWORD: &str = "dinhdanh-test-keyring";

/// Debian packages of the app: WebKitGTK and GTK to build and run the Tauri shell, Xvfb for a
/// display in tests, and WebKitWebDriver, which tauri-driver drives in the end-to-end tests.
const APT_APP: &[&str] = &[
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "librsvg2-dev",
    "libayatana-appindicator3-dev",
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
];

/// Debian packages of the OpenID browser tests (`tests/tests/e2e_oidc_browser.rs`): Chromium,
/// run headless, and its WebDriver server. Debian's builds, so the browser and the driver are
/// always the same version and nothing is downloaded at test time.
const APT_BROWSER: &[&str] = &["chromium", "chromium-driver"];

/// The WebDriver server of Tauri apps (pinned: the end-to-end harness speaks its dialect).
const TAURI_DRIVER_VERSION: &str = "2.1.0";

/// Where the built UI goes (Tauri's `build.frontendDist` points here).
const UI_DIST: &str = "target/ui-dist";

/// Static files of the UI copied next to the wasm (paths relative to `ui/`; see ui/README.md).
/// ui/index.html is written with the entry screens in it ([`ENTRY_SCREENS`]).
const UI_STATIC: &[&str] = &["main.js"];

/// Debian packages of the PostgreSQL half of the test run (the server's suite runs on both).
const APT_POSTGRES: &[&str] = &["postgresql"];

/// Set to `1` to skip the PostgreSQL half (a machine without apt and without PostgreSQL): the
/// server's PostgreSQL variants then stay ignored and count as skipped.
const SKIP_POSTGRES_ENV: &str = "DINHDANH_SKIP_POSTGRES";

/// The variable naming the PostgreSQL server the server's tests create their databases on
/// (`dinhdanh_server::testing::POSTGRES_ENV`).
const POSTGRES_URL_ENV: &str = "DINHDANH_TEST_POSTGRES_URL";

/// The server's `--pdfjs-dir` (the console's PDF pages), for the server binary the tests run.
const PDFJS_DIR_ENV: &str = "DINHDANH_PDFJS_DIR";
/// The test servers' database pool size (`dinhdanh_server::testing::TEST_POOL_SIZE_ENV`).
const TEST_POOL_SIZE_ENV: &str = "DINHDANH_TEST_DB_POOL_SIZE";

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
        Some("bench-app") => {
            setup()?;
            bench_app()
        }
        // Needs nothing of `setup` but PostgreSQL, which it installs itself.
        Some("bench-oidc") => bench_oidc(),
        // Likewise; not part of `test` (a national-size load takes many minutes).
        Some("bench-national") => bench_national(&args[1..]),
        Some("bench-load") => bench_load(),
        Some("bench-throughput") => bench_throughput(),
        Some("check-targets") => check_targets::run(&root),
        Some("crash") => crash::run(&args[1..]),
        Some("gen-citizens") => citizens::run(&root),
        Some("gen-registry") => registry::run(&root),
        Some("gen-entry-screens") => gen_entry_screens(),
        Some("fuzz") => fuzz::run(&root, &args[1..]),
        _ => {
            eprintln!("usage: cargo xtask <setup|run|test|gen-citizens|gen-registry>");
            eprintln!("  run   set up this machine, then run the app against the embedded backend");
            eprintln!("  test  set up this machine, then run formatting, lints and every test");
            eprintln!(
                "  bench-app  the app's cold start, idle memory and binary size beside a minimal \
                 Tauri app's"
            );
            eprintln!(
                "  bench-oidc  the OpenID provider: phone approval -> verified ID token, and the \
                 token endpoint per core on SQLite and PostgreSQL"
            );
            eprintln!(
                "  bench-national [--people N] [--organisations N]  the registries at national \
                 size (default 10,000,000 people, 1,000,000 organisations) loaded into SQLite and \
                 PostgreSQL, and look-ups at that size (DINHDANH_NATIONAL_BACKENDS, default \
                 sqlite,postgres)"
            );
            eprintln!(
                "  bench-load  whole journeys of N phones, desktops and officers at once against \
                 SQLite, PostgreSQL and two instances on one PostgreSQL (DINHDANH_LOAD_LEVELS, \
                 default 1,4,16; DINHDANH_LOAD_DEPLOYMENTS, default sqlite,pg,pg2)"
            );
            eprintln!(
                "  bench-throughput  signed requests on one core against the crypto bound, and \
                 confirmed actions, on SQLite and PostgreSQL (DINHDANH_BENCH_REQUESTS, \
                 DINHDANH_BENCH_CONFIRMED; DINHDANH_BENCH_PIN=0 leaves the bench unpinned)"
            );
            eprintln!(
                "  check-targets  clippy the app, the device client and the biometric plugin for \
                 Android, iOS and macOS (arm64)"
            );
            eprintln!(
                "  crash [--kills N] [--seed S]  kill the server at random moments (50 times)"
            );
            eprintln!("  gen-citizens  rewrite the synthetic citizen registry the server ships");
            eprintln!(
                "  gen-registry  rewrite the synthetic organisation registries the server ships"
            );
            eprintln!(
                "  gen-entry-screens  rewrite ui/entry-screens.html from the entry screens' \
                 components"
            );
            eprintln!("  fuzz [--target T] [--minutes M] [--jobs J]  run the fuzz targets");
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
    apt_install(APT_KEYSTORE)?;
    apt_install(APT_APP)?;
    apt_install(APT_BROWSER)?;
    schemathesis::setup()?;
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
    // wasm-bindgen's CLI must be exactly the version of the library the UI links, or the
    // generated glue does not match the wasm.
    let wasm_bindgen = locked_version("wasm-bindgen")?;
    if !output("wasm-bindgen", &["--version"])
        .unwrap_or_default()
        .contains(&wasm_bindgen)
    {
        step(&format!("installing wasm-bindgen-cli {wasm_bindgen}"));
        sh(
            "cargo",
            &[
                "install",
                "wasm-bindgen-cli",
                "--version",
                &wasm_bindgen,
                "--force",
            ],
        )?;
    }
    if !output("tauri-driver", &["--help"])
        .map(|o| !o.is_empty())
        .unwrap_or(false)
    {
        step(&format!("installing tauri-driver {TAURI_DRIVER_VERSION}"));
        sh(
            "cargo",
            &[
                "install",
                "tauri-driver",
                "--version",
                TAURI_DRIVER_VERSION,
                "--locked",
            ],
        )?;
    }
    Ok(())
}

/// The version of `package` in Cargo.lock.
fn locked_version(package: &str) -> Result<String> {
    let lock = std::fs::read_to_string("Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{package}\"") {
            if let Some(v) = lines
                .next()
                .and_then(|l| l.strip_prefix("version = \""))
                .and_then(|l| l.strip_suffix('"'))
            {
                return Ok(v.to_owned());
            }
        }
    }
    bail!("{package} is not in Cargo.lock")
}

/// Builds the UI: the Dioxus crate to wasm32 (profile `wasm-release`: optimised for size, which
/// is the WebView's load time),
/// wasm-bindgen's glue, and the static files, into [`UI_DIST`].
fn build_ui() -> Result<()> {
    step("building the UI (Dioxus → wasm32, wasm-bindgen)");
    sh(
        "cargo",
        &[
            "build",
            "-p",
            "dinhdanh-ui",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            "wasm-release",
            "--locked",
        ],
    )?;
    let target = target_dir()?;
    let wasm = target.join("wasm32-unknown-unknown/wasm-release/dinhdanh-ui.wasm");
    let dist = PathBuf::from(UI_DIST);
    // From scratch: wasm-bindgen names snippet folders by hash, old ones would pile up.
    if dist.exists() {
        std::fs::remove_dir_all(&dist)?;
    }
    std::fs::create_dir_all(&dist)?;
    sh(
        "wasm-bindgen",
        &[
            "--target",
            "web",
            "--no-typescript",
            "--out-dir",
            UI_DIST,
            "--out-name",
            "dinhdanh_ui",
            &wasm.to_string_lossy(),
        ],
    )?;
    for file in UI_STATIC {
        std::fs::copy(Path::new("ui").join(file), dist.join(file))
            .with_context(|| format!("copying ui/{file}"))?;
    }
    // The entry screens go where index.html marks them: the loader shows one while the
    // WebAssembly compiles.
    let index = std::fs::read_to_string("ui/index.html").context("reading ui/index.html")?;
    if !index.contains(ENTRY_SCREENS_MARK) {
        bail!("ui/index.html has no {ENTRY_SCREENS_MARK}");
    }
    let templates = std::fs::read_to_string(ENTRY_SCREENS)
        .with_context(|| format!("reading {ENTRY_SCREENS}"))?;
    std::fs::write(
        dist.join("index.html"),
        index.replace(ENTRY_SCREENS_MARK, &templates),
    )?;
    // The styles and images, flat into the root (index.html links `app.css`).
    copy_dir(Path::new("assets"), &dist)?;
    Ok(())
}

/// Where ui/index.html takes the entry screens' templates.
const ENTRY_SCREENS_MARK: &str = "<!-- entry screens -->";

/// The entry screens' `<template>`s, rendered from their components by the UI crate built for
/// this machine (ui/src/prerender.rs). Kept in the repository rather than rendered by each
/// build: rendering needs the UI crate and Dioxus compiled natively with other features than
/// the test run's, ~2.7 min more of a cold run on 2 cores; the UI crate's tests fail when the
/// file differs from what the components render now.
const ENTRY_SCREENS: &str = "ui/entry-screens.html";

/// Rewrites [`ENTRY_SCREENS`] from the components.
fn gen_entry_screens() -> Result<()> {
    step("rendering the entry screens (the UI crate, natively)");
    let out = Command::new("cargo")
        .args(["run", "-q", "-p", "dinhdanh-ui", "--locked"])
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("could not start cargo")?;
    if !out.status.success() {
        bail!("rendering the entry screens failed ({})", out.status);
    }
    let templates = String::from_utf8(out.stdout).context("the entry screens are not UTF-8")?;
    if !templates.contains("<template ") {
        bail!("the UI crate printed no entry screen");
    }
    std::fs::write(ENTRY_SCREENS, templates)?;
    println!("wrote {ENTRY_SCREENS}");
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()))?;
        } else if path.extension().is_some_and(|e| e != "md") {
            std::fs::copy(&path, to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

/// The minimal Tauri app the app's bench compares against (a workspace of its own).
const MINIMAL_TAURI: &str = "tests/minimal-tauri";

/// The app's footprint beside a minimal Tauri app (tests/benches/app.rs), on release builds,
/// under Xvfb with a throw-away keyring.
fn bench_app() -> Result<()> {
    build_ui()?;
    step("building the app in release mode");
    sh(
        "cargo",
        &["build", "--release", "--locked", "-p", "dinhdanh-app"],
    )?;
    build_minimal_tauri()?;
    in_keyring_session(
        &["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24"],
        &[
            "bench",
            "-p",
            "dinhdanh-tests",
            "--features",
            "e2e",
            "--bench",
            "app",
            "--locked",
        ],
        &[],
    )
    .map(drop)
}

/// Builds tests/minimal-tauri in release mode into the workspace's target directory, so what
/// it shares with the app (Tauri, WebKitGTK's bindings, …) is compiled once: with the app's
/// Cargo.lock copied in (the same versions; cargo drops what the minimal app does not use) and
/// after checking that its release profile is the workspace's.
fn build_minimal_tauri() -> Result<()> {
    step("building the minimal Tauri app in release mode (the bench's baseline)");
    let crate_dir = Path::new(MINIMAL_TAURI);
    let (workspace, minimal) = (
        std::fs::read_to_string("Cargo.toml")?,
        std::fs::read_to_string(crate_dir.join("Cargo.toml"))?,
    );
    let (ours, theirs) = (release_profile(&workspace), release_profile(&minimal));
    if ours != theirs {
        bail!(
            "{MINIMAL_TAURI}/Cargo.toml's [profile.release] ({theirs:?}) is not the \
             workspace's ({ours:?}): make them equal"
        );
    }
    std::fs::copy("Cargo.lock", crate_dir.join("Cargo.lock"))?;
    // An absolute path: cargo would otherwise put it under the minimal app's own folder.
    let target = std::env::current_dir()?.join(target_dir()?);
    sh(
        "cargo",
        &[
            "build",
            "--release",
            "--manifest-path",
            &crate_dir.join("Cargo.toml").to_string_lossy(),
            "--target-dir",
            &target.to_string_lossy(),
        ],
    )?;
    let tauri = locked_version("tauri")?;
    let minimal_lock = std::fs::read_to_string(crate_dir.join("Cargo.lock"))?;
    if !minimal_lock.contains(&format!("name = \"tauri\"\nversion = \"{tauri}\"\n")) {
        bail!("the minimal Tauri app did not build with the app's Tauri {tauri}");
    }
    Ok(())
}

/// The settings of a manifest's `[profile.release]` table, comments and blank lines left out.
fn release_profile(manifest: &str) -> Vec<&str> {
    manifest
        .lines()
        .skip_while(|l| l.trim() != "[profile.release]")
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with('['))
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// The OpenID provider's bench (tests/benches/oidc.rs, a release build), on SQLite, and on a
/// throw-away PostgreSQL cluster unless `DINHDANH_SKIP_POSTGRES=1` (the bench then prints that
/// it skipped it).
fn bench_oidc() -> Result<()> {
    let postgres = throwaway_postgres("the OpenID bench", "the bench runs on SQLite only")?;
    step("cargo bench -p dinhdanh-tests --bench oidc");
    let mut bench = Command::new("cargo");
    bench.args([
        "bench",
        "-p",
        "dinhdanh-tests",
        "--bench",
        "oidc",
        "--locked",
    ]);
    if let Some(cluster) = &postgres {
        bench.env(POSTGRES_URL_ENV, cluster.url());
    }
    let status = bench.status().context("could not start cargo")?;
    drop(postgres);
    if !status.success() {
        bail!("the OpenID bench failed ({status})");
    }
    Ok(())
}

/// The national-size bench (crates/server/benches/national.rs, a release build): the
/// generators' streams loaded into SQLite and, unless `DINHDANH_SKIP_POSTGRES=1`, a throw-away
/// PostgreSQL cluster. `--people N` and `--organisations N` set the size (national by default);
/// the bench reads them from `DINHDANH_NATIONAL_PEOPLE` and `DINHDANH_NATIONAL_ORGANISATIONS`.
/// `DINHDANH_NATIONAL_BACKENDS=postgres` (or `sqlite`, which then starts no cluster) runs one
/// backend alone.
fn bench_national(args: &[String]) -> Result<()> {
    let mut sizes = Vec::new();
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let var = match flag.as_str() {
            "--people" => "DINHDANH_NATIONAL_PEOPLE",
            "--organisations" => "DINHDANH_NATIONAL_ORGANISATIONS",
            other => bail!("unknown flag {other} (--people N, --organisations N)"),
        };
        let value = rest
            .next()
            .with_context(|| format!("{flag} needs a number"))?;
        let n: u64 = value
            .replace('_', "")
            .parse()
            .with_context(|| format!("{flag} {value}: not a number"))?;
        sizes.push((var, n.to_string()));
    }
    // SQLite alone needs no cluster (the bench reads the list; an unknown name fails there).
    let sqlite_only = std::env::var("DINHDANH_NATIONAL_BACKENDS")
        .is_ok_and(|list| list.split(',').all(|b| b.trim() == "sqlite"));
    let postgres = if sqlite_only {
        None
    } else {
        throwaway_postgres("the national-size bench", "the bench runs on SQLite only")?
    };
    step("cargo bench -p dinhdanh-server --bench national");
    let mut bench = Command::new("cargo");
    bench.args([
        "bench",
        "-p",
        "dinhdanh-server",
        "--bench",
        "national",
        "--locked",
    ]);
    bench.envs(sizes);
    if let Some(cluster) = &postgres {
        bench.env("DINHDANH_BENCH_POSTGRES_URL", cluster.url());
    }
    let status = bench.status().context("could not start cargo")?;
    drop(postgres);
    if !status.success() {
        bail!("the national-size bench failed ({status})");
    }
    Ok(())
}

/// Signed requests per core and confirmed actions (crates/server/benches/throughput.rs, a
/// release build; the bench pins itself to one CPU) on SQLite and, unless
/// `DINHDANH_SKIP_POSTGRES=1`, a throw-away PostgreSQL cluster.
fn bench_throughput() -> Result<()> {
    let postgres = throwaway_postgres("the throughput bench", "the bench runs on SQLite only")?;
    step("cargo bench -p dinhdanh-server --bench throughput");
    let mut bench = Command::new("cargo");
    bench.args([
        "bench",
        "-p",
        "dinhdanh-server",
        "--bench",
        "throughput",
        "--locked",
    ]);
    if let Some(cluster) = &postgres {
        bench.env("DINHDANH_BENCH_POSTGRES_URL", cluster.url());
    }
    let status = bench.status().context("could not start cargo")?;
    drop(postgres);
    if !status.success() {
        bail!("the throughput bench failed ({status})");
    }
    Ok(())
}

/// The load test of whole journeys (tests/benches/load.rs, a release build; each server runs
/// in a process of its own), on SQLite and, unless `DINHDANH_SKIP_POSTGRES=1`, a throw-away
/// PostgreSQL cluster with one instance and then two on the same database.
fn bench_load() -> Result<()> {
    let postgres = throwaway_postgres("the load test", "the load test runs on SQLite only")?;
    step("cargo bench -p dinhdanh-tests --bench load");
    let mut bench = Command::new("cargo");
    bench.args([
        "bench",
        "-p",
        "dinhdanh-tests",
        "--bench",
        "load",
        "--locked",
    ]);
    if let Some(cluster) = &postgres {
        bench.env("DINHDANH_BENCH_POSTGRES_URL", cluster.url());
    }
    let status = bench.status().context("could not start cargo")?;
    drop(postgres);
    if !status.success() {
        bail!("the load test failed ({status})");
    }
    Ok(())
}

/// A throw-away PostgreSQL cluster for `purpose` (stopped and removed when dropped), or `None`
/// with a line saying `without` when `DINHDANH_SKIP_POSTGRES=1`.
fn throwaway_postgres(purpose: &str, without: &str) -> Result<Option<PgCluster>> {
    if std::env::var(SKIP_POSTGRES_ENV).is_ok_and(|v| v == "1") {
        println!("\n(not starting PostgreSQL: {SKIP_POSTGRES_ENV}=1; {without})");
        return Ok(None);
    }
    step(&format!("a throw-away PostgreSQL cluster for {purpose}"));
    apt_install(APT_POSTGRES)?;
    Ok(Some(PgCluster::start()?))
}

/// Cargo's target directory (CI may keep it outside the clone).
fn target_dir() -> Result<PathBuf> {
    Ok(std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target")))
}

/// Runs every check CI runs, in order of cost, stopping at the first failure.
fn test(extra: &[String]) -> Result<()> {
    step("cargo fmt --check");
    sh("cargo", &["fmt", "--all", "--", "--check"])?;
    // The shell embeds the built UI at compile time, so the UI comes before anything that
    // compiles the shell (clippy included).
    build_ui()?;
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
    // The end-to-end tests are behind a feature: lint them too.
    sh(
        "cargo",
        &[
            "clippy",
            "-p",
            "dinhdanh-tests",
            "--features",
            "e2e",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    step("the core crate and the UI build for wasm32 (the UI runs in the WebView)");
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
    sh(
        "cargo",
        &[
            "clippy",
            "-p",
            "dinhdanh-ui",
            "--target",
            "wasm32-unknown-unknown",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    // The server's integration tests run each test on SQLite and on PostgreSQL in the same
    // process (`backend_test!` in crates/server/tests/common): the PostgreSQL variants are
    // `#[ignore]`d unless a server is named, so this run starts a throw-away cluster first,
    // names it and includes the ignored tests. Stopped and removed when dropped, also when
    // the tests fail.
    let postgres = throwaway_postgres(
        "the server's tests",
        "the server's PostgreSQL variants are reported as skipped",
    )?;
    step(
        "cargo test --workspace, inside a D-Bus session with the real Secret Service \
         (gnome-keyring) for the device client, the app shell and the biometric-key plugin, \
         the server's tests on SQLite and PostgreSQL",
    );
    // One invocation for the whole workspace: one feature resolution, so each crate is
    // compiled once for the tests, and the server and app binaries the end-to-end tests run
    // are built here too (their packages have integration tests). Building them again with
    // `cargo build` would resolve other features and compile Tauri once more.
    let mut args = vec!["test", "--workspace", "--locked"];
    args.extend(extra.iter().map(String::as_str));
    let url = postgres.as_ref().map(PgCluster::url);
    let mut env = Vec::new();
    if let Some(url) = &url {
        env.push((POSTGRES_URL_ENV, url.as_str()));
        // `--include-ignored` runs every ignored test of the workspace; today the only
        // ones are the server's PostgreSQL variants (an `#[ignore]` added for another reason
        // would run here too).
        if !args.contains(&"--") {
            args.push("--");
        }
        args.push("--include-ignored");
    }
    // The demo relying party's end-to-end test (tests/tests/oidc_demo.rs) runs it with Node.
    demo_service::install()?;
    // The console's request page draws PDF pages with pdf.js, which the server serves from
    // the package's folder (`--pdfjs-dir`, read from the environment by the server binary).
    let pdfjs = npm::pdfjs(&std::env::current_dir()?)?.display().to_string();
    env.push((PDFJS_DIR_ENV, pdfjs.as_str()));
    let mut totals = in_keyring_session(&[], &args, &env)?;
    drop(postgres);
    if extra.is_empty() {
        step(
            "the server's tests on SQLite once more, each server on a pool of one database \
             connection: a step that waits for a second connection while it holds one fails",
        );
        // The same packages and targets as above (nothing is compiled again); only the
        // server's backend tests (`…::sqlite`) match the filter.
        let args = [
            "test",
            "--workspace",
            "--locked",
            "--tests",
            "--",
            "::sqlite",
        ];
        totals.add(&counted_test_run(
            "cargo",
            &args,
            &[(TEST_POOL_SIZE_ENV, "1"), (PDFJS_DIR_ENV, pdfjs.as_str())],
        )?);
    }
    if extra.is_empty() {
        step(
            "end to end: the app under Xvfb through tauri-driver, and the OpenID sign-in in \
             headless Chromium through chromedriver, against the server binary",
        );
        let args = [
            "test",
            "-p",
            "dinhdanh-tests",
            "--features",
            "e2e",
            "--test",
            "e2e_app",
            "--test",
            "e2e_qr_login",
            "--test",
            "e2e_service_sign_in",
            "--test",
            "e2e_oidc_browser",
            "--test",
            "e2e_console_browser",
            "--locked",
            "--",
            "--test-threads=1",
        ];
        totals.add(&in_keyring_session(
            &["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24"],
            &args,
            &[(PDFJS_DIR_ENV, pdfjs.as_str())],
        )?);
    } else {
        println!("\n(skipping the end-to-end tests: a test filter was given)");
    }
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

impl TestTotals {
    fn add(&mut self, other: &TestTotals) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.ignored += other.ignored;
    }
}

/// Runs `cargo <args>` inside a private D-Bus session with gnome-keyring's Secret Service
/// unlocked (password on stdin), so the keystore is the real thing; `wrapper` goes in front
/// (`xvfb-run` for the end-to-end tests, which also need a display). The keyring lives in a
/// temporary directory (removed afterwards), never the user's own; the session bus and the
/// daemon end with `dbus-run-session`.
fn in_keyring_session(wrapper: &[&str], args: &[&str], env: &[(&str, &str)]) -> Result<TestTotals> {
    let keyring_dir =
        std::env::temp_dir().join(format!("dinhdanh-keyring-test-{}", std::process::id()));
    std::fs::create_dir_all(&keyring_dir)?;
    let keyring_dir_text = keyring_dir.display().to_string();
    // $1: the keyring's data directory; $2: its password; the rest goes to cargo.
    let script = "dir=\"$1\"; pw=\"$2\"; shift 2; \
                  printf '%s' \"$pw\" | XDG_DATA_HOME=\"$dir\" \
                  gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 1; \
                  exec cargo \"$@\"";
    let mut full: Vec<&str> = wrapper.to_vec();
    full.extend([
        "dbus-run-session",
        "--",
        "sh",
        "-c",
        script,
        "sh",
        &keyring_dir_text,
        TEST_KEYRING_PASSWORD,
    ]);
    full.extend_from_slice(args);
    let (program, rest) = full.split_first().context("empty command")?;
    let result = counted_test_run(program, rest, env);
    let _ = std::fs::remove_dir_all(&keyring_dir);
    result
}

/// Runs a test command (`cargo test`, or one that ends in it), echoing its output, and adds up
/// the per-binary summaries.
fn counted_test_run(program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<TestTotals> {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start {program}"))?;
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

/// Runs the app against the embedded backend: builds the UI, the server and the app, loads the
/// demo data, serves the backend on 127.0.0.1:8640 in the background and opens the app; closing
/// the app stops the server.
fn run(root: &Path) -> Result<()> {
    demo_service::install()?;
    let pdfjs = npm::pdfjs(root)?.display().to_string();
    build_ui()?;
    step("building the backend and the app");
    sh(
        "cargo",
        &[
            "build",
            "--locked",
            "-p",
            "dinhdanh-server",
            "-p",
            "dinhdanh-app",
        ],
    )?;
    let bin = target_dir()?.join("debug");
    let server_bin = bin.join("dinhdanh-server");
    let data_dir = root.join(".data/server");
    let data_dir_arg = data_dir.display().to_string();
    step("loading the citizen registry and the demo accounts (idempotent)");
    sh(
        &server_bin.to_string_lossy(),
        &["--data-dir", &data_dir_arg, "seed", "--demo"],
    )?;
    step("serving the backend on http://127.0.0.1:8640 (API description: /v1/openapi.json)");
    let mut server = Command::new(&server_bin)
        .args(["--data-dir", &data_dir_arg, "--pdfjs-dir", &pdfjs])
        .args(["serve", "--dev-outbox-log"])
        .spawn()
        .context("could not start the server")?;
    println!(
        "Demo accounts are listed in README.md; one-time codes are in {data_dir_arg}/outbox.log \
         (--dev-outbox-log: development only)."
    );
    let _demo = demo_service::start_beside(&server_bin, &data_dir, "http://127.0.0.1:8640");
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        println!(
            "No display here (DISPLAY/WAYLAND_DISPLAY unset): the app needs one. The backend \
             keeps serving; stop it with Ctrl-C."
        );
        server.wait()?;
        return Ok(());
    }
    step("opening the app (close its window to stop)");
    let app = Command::new(bin.join("dinhdanh-app"))
        .env("DINHDANH_SERVER", "http://127.0.0.1:8640")
        .status();
    let _ = server.kill();
    let _ = server.wait();
    let status = app.context("could not start the app")?;
    if !status.success() {
        bail!("the app stopped with {status}");
    }
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

/// A private PostgreSQL cluster for the test run: `initdb` into a temporary directory with
/// Debian's binaries, started with `pg_ctl` as a plain process (no systemd, no system
/// cluster touched) on a free loopback port, trusting local connections. PostgreSQL refuses
/// to run as root, so as root the cluster belongs to the `postgres` user the package creates.
/// Dropping it stops the server and removes the directory.
struct PgCluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl PgCluster {
    fn start() -> Result<PgCluster> {
        let bin = postgres_bin_dir()?;
        let as_postgres = is_root();
        let dir = std::env::temp_dir().join(format!("dinhdanh-pg-test-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        if as_postgres {
            sh("chown", &["postgres:postgres", &dir.to_string_lossy()])?;
        }
        // Another process may take the port between probing and binding; then pg_ctl fails
        // below and the run stops with the server's log, rather than testing the wrong server.
        let port = free_port()?;
        let cluster = PgCluster {
            bin,
            dir,
            port,
            as_postgres,
        };
        let data = cluster.dir.join("data");
        let data = data.to_string_lossy().into_owned();
        cluster.pg(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
        )?;
        // Durability is not wanted for throw-away test databases; speed is.
        let options = format!(
            "-k {} -p {} -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off",
            cluster.dir.display(),
            cluster.port
        );
        let log = cluster.dir.join("server.log");
        let started = cluster.pg(
            "pg_ctl",
            &[
                "-D",
                &data,
                "-l",
                &log.to_string_lossy(),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        if let Err(e) = started {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            bail!("{e}\n{log}");
        }
        println!("PostgreSQL test cluster on 127.0.0.1:{port}");
        Ok(cluster)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Runs one of the PostgreSQL binaries, as `postgres` when this process is root.
    fn pg(&self, program: &str, args: &[&str]) -> Result<()> {
        let path = self.bin.join(program);
        let path = path.to_string_lossy();
        if self.as_postgres {
            let mut full = vec!["-u", "postgres", "--", &path];
            full.extend_from_slice(args);
            sh("runuser", &full)
        } else {
            sh(&path, args)
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let data = data.to_string_lossy().into_owned();
        let _ = self.pg("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `/usr/lib/postgresql/<newest version>/bin`, where Debian puts `initdb` and `pg_ctl`.
fn postgres_bin_dir() -> Result<PathBuf> {
    let root = Path::new("/usr/lib/postgresql");
    let newest = std::fs::read_dir(root)
        .with_context(|| format!("{} (is the postgresql package installed?)", root.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version: f64 = e.file_name().to_string_lossy().parse().ok()?;
            Some((version, e.path()))
        })
        .filter(|(_, p)| p.join("bin/initdb").exists())
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, p)| p.join("bin"));
    newest.with_context(|| format!("no PostgreSQL with initdb under {}", root.display()))
}

/// A loopback port nothing listens on right now.
fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
