//! Project commands, so a newcomer needs two lines from the README and nothing else:
//!
//! - `cargo xtask run`  — set up this machine, then run the app against the embedded backend.
//! - `cargo xtask test` — set up this machine, then run every check CI runs.
//! - `cargo xtask setup` — only the set-up step (both commands above start with it).
//! - `cargo xtask gen-citizens` — rewrite the synthetic citizen registry the server ships.
//! - `cargo xtask gen-registry` — rewrite the synthetic organisation registries (after the
//!   citizen registry: representatives are drawn from it).
//!
//! Set-up is idempotent: it asks dpkg and rustup what is already there and installs only what
//! is missing, so a second run costs a few seconds.

mod citizens;
mod registry;

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

/// Debian packages of the PostgreSQL half of the test run (the server's suite runs on both).
const APT_POSTGRES: &[&str] = &["postgresql"];

/// Set to `1` to skip the PostgreSQL run (a machine without apt and without PostgreSQL).
const SKIP_POSTGRES_ENV: &str = "DINHDANH_SKIP_POSTGRES";

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
        Some("gen-citizens") => citizens::run(&root),
        Some("gen-registry") => registry::run(&root),
        _ => {
            eprintln!("usage: cargo xtask <setup|run|test|gen-citizens|gen-registry>");
            eprintln!("  run   set up this machine, then run the app against the embedded backend");
            eprintln!("  test  set up this machine, then run formatting, lints and every test");
            eprintln!("  gen-citizens  rewrite the synthetic citizen registry the server ships");
            eprintln!(
                "  gen-registry  rewrite the synthetic organisation registries the server ships"
            );
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
    step("cargo test --workspace (the device client's tests run next, in their own D-Bus session)");
    let mut args = vec![
        "test",
        "--workspace",
        "--exclude",
        "dinhdanh-client",
        "--locked",
    ];
    args.extend(extra.iter().map(String::as_str));
    let mut totals = cargo_test(&args)?;
    step(
        "the device client's tests, against the real Secret Service (dbus-run-session + gnome-keyring)",
    );
    let client = client_tests_in_keyring_session(extra)?;
    totals.passed += client.passed;
    totals.failed += client.failed;
    totals.ignored += client.ignored;
    if std::env::var(SKIP_POSTGRES_ENV).is_ok_and(|v| v == "1") {
        println!("\n(skipping the PostgreSQL run: {SKIP_POSTGRES_ENV}=1)");
    } else {
        step("the server's integration tests again, on PostgreSQL");
        apt_install(APT_POSTGRES)?;
        // Stopped and removed when dropped, also when the tests fail.
        let cluster = PgCluster::start()?;
        let mut args = vec!["test", "-p", "dinhdanh-server", "--locked"];
        args.extend(extra.iter().map(String::as_str));
        let pg = cargo_test_env(&args, &[("DINHDANH_TEST_POSTGRES_URL", &cluster.url())])?;
        totals.passed += pg.passed;
        totals.failed += pg.failed;
        totals.ignored += pg.ignored;
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

/// Runs `cargo test`, echoing its output, and adds up the per-binary summaries.
fn cargo_test(args: &[&str]) -> Result<TestTotals> {
    cargo_test_env(args, &[])
}

/// Runs `cargo test -p dinhdanh-client` inside a private D-Bus session with gnome-keyring's
/// Secret Service unlocked (password on stdin), so the keystore tests use the real thing. The
/// keyring lives in a temporary directory (removed afterwards), never the user's own; the
/// session bus and the daemon end with `dbus-run-session`.
fn client_tests_in_keyring_session(extra: &[String]) -> Result<TestTotals> {
    let keyring_dir =
        std::env::temp_dir().join(format!("dinhdanh-keyring-test-{}", std::process::id()));
    std::fs::create_dir_all(&keyring_dir)?;
    let keyring_dir_text = keyring_dir.display().to_string();
    // $1: the keyring's data directory; $2: its password; the rest goes to cargo test.
    let script = "dir=\"$1\"; pw=\"$2\"; shift 2; \
                  printf '%s' \"$pw\" | XDG_DATA_HOME=\"$dir\" \
                  gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 1; \
                  exec cargo test -p dinhdanh-client --locked \"$@\"";
    let mut args = vec![
        "--",
        "sh",
        "-c",
        script,
        "sh",
        &keyring_dir_text,
        TEST_KEYRING_PASSWORD,
    ];
    args.extend(extra.iter().map(String::as_str));
    let result = counted_test_run("dbus-run-session", &args, &[]);
    let _ = std::fs::remove_dir_all(&keyring_dir);
    result
}

/// [`cargo_test`] with extra environment variables.
fn cargo_test_env(args: &[&str], env: &[(&str, &str)]) -> Result<TestTotals> {
    counted_test_run("cargo", args, env)
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

/// Runs the app against the embedded backend. Grows with the project: today the app (src-tauri,
/// ui) is not written yet, so it loads the demo data and serves the backend in the foreground.
fn run(root: &Path) -> Result<()> {
    step("building the backend");
    sh("cargo", &["build", "--locked", "-p", "dinhdanh-server"])?;
    let data_dir = root.join(".data/server");
    let data_dir_arg = data_dir.display().to_string();
    step("loading the citizen registry and the demo accounts (idempotent)");
    sh(
        "cargo",
        &[
            "run",
            "--quiet",
            "--locked",
            "-p",
            "dinhdanh-server",
            "--",
            "--data-dir",
            &data_dir_arg,
            "seed",
            "--demo",
        ],
    )?;
    println!();
    println!("Định Danh backend: http://127.0.0.1:8640 (API description: /v1/openapi.json).");
    println!(
        "The app (src-tauri, ui) is not written yet; `cargo xtask run` will start it once it is."
    );
    println!("Demo accounts are listed above and in README.md. Stop with Ctrl-C.");
    step("serving");
    sh(
        "cargo",
        &[
            "run",
            "--quiet",
            "--locked",
            "-p",
            "dinhdanh-server",
            "--",
            "--data-dir",
            &data_dir_arg,
            "serve",
        ],
    )
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
