//! `cargo xtask fuzz [--target T]... [--minutes M] [--jobs J] [--sanitizer S]`: runs the
//! cargo-fuzz targets of `fuzz/` (one per parser of untrusted input; docs/testing.md,
//! "Fuzzing") for M minutes each (default 10), J at a time (default 1), and prints a table of
//! runs. Not part of `cargo xtask test`: a fuzz run is long and its result is not a yes/no
//! for a commit, but a search whose finds become unit tests in the crate of the parser.
//!
//! cargo-fuzz needs nightly-only flags (`-Z sanitizer`, coverage instrumentation); this
//! project has one stable toolchain, so this command alone runs it with `RUSTC_BOOTSTRAP=1`.
//! Everything runs under `nice -n 19`: other people's builds on the same machine come first.
//!
//! Each target's corpus grows in the build directory (`<target dir>/corpus/<target>`), seeded
//! from the small corpus kept in the repository (`fuzz/corpus/<target>`, which a run never
//! writes to); crashes are written to `fuzz/artifacts/<target>/` (ignored by git) and the
//! command fails. The sanitizer defaults to `none`: every crate of the workspace forbids
//! `unsafe`, so the throughput is worth more than AddressSanitizer's checks of the few
//! dependencies that use it (`--sanitizer address` for those). Debug assertions and overflow
//! checks are on (`-a`): an overflow on input is a bug like a panic.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// The cargo-fuzz release this command installs and runs (`cargo install --locked`).
const CARGO_FUZZ_VERSION: &str = "0.13.1";

/// Where the fuzz workspace is, relative to the workspace root.
const FUZZ_DIR: &str = "fuzz";

/// Per-input time limit, seconds: the inputs are small, so anything this slow is a hang.
const INPUT_TIMEOUT_SECS: u32 = 30;

/// Memory limit of one fuzzing process, MB (libFuzzer's own default).
const RSS_LIMIT_MB: u32 = 2048;

struct Options {
    targets: Vec<String>,
    minutes: f64,
    jobs: usize,
    sanitizer: String,
}

fn parse_options(args: &[String]) -> Result<Options> {
    let mut options = Options {
        targets: Vec::new(),
        minutes: 10.0,
        jobs: 1,
        sanitizer: "none".to_owned(),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .cloned()
                .with_context(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--target" => options.targets.push(value("--target")?),
            "--minutes" => {
                options.minutes = value("--minutes")?
                    .parse()
                    .context("--minutes takes a number")?;
                if !options.minutes.is_finite() || options.minutes <= 0.0 {
                    bail!("--minutes must be positive");
                }
            }
            "--jobs" => {
                options.jobs = value("--jobs")?.parse().context("--jobs takes a number")?;
                if options.jobs == 0 {
                    bail!("--jobs must be at least 1");
                }
            }
            "--sanitizer" => options.sanitizer = value("--sanitizer")?,
            other => bail!(
                "unknown argument {other}; usage: cargo xtask fuzz [--target T]... \
                 [--minutes M] [--jobs J] [--sanitizer none|address]"
            ),
        }
    }
    Ok(options)
}

/// One target's result, a row of the table.
struct Row {
    target: String,
    minutes: f64,
    runs: u64,
    execs_per_sec: u64,
    corpus: usize,
    crashes: usize,
    log: PathBuf,
}

/// Runs the command (see the module documentation).
pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let options = parse_options(args)?;
    ensure_cargo_fuzz()?;
    let fuzz_dir = root.join(FUZZ_DIR);
    let target_dir = fuzz_target_dir()?;
    let all = list_targets()?;
    let targets = if options.targets.is_empty() {
        all
    } else {
        for t in &options.targets {
            if !all.contains(t) {
                bail!("no fuzz target {t}; the targets are: {}", all.join(", "));
            }
        }
        options.targets.clone()
    };

    println!("\n==> building the fuzz targets (cargo fuzz build, nice -n 19)");
    let mut build = cargo_fuzz("build", &target_dir, &options.sanitizer);
    if let [only] = targets.as_slice() {
        build.arg(only);
    }
    let status = build.status().context("could not start cargo fuzz")?;
    if !status.success() {
        bail!("building the fuzz targets failed ({status})");
    }

    let mut rows = Vec::new();
    for batch in targets.chunks(options.jobs) {
        let mut running = Vec::new();
        for target in batch {
            println!("==> fuzzing {target} for {} min", options.minutes);
            running.push(start(&fuzz_dir, &target_dir, target, &options)?);
        }
        for run in running {
            rows.push(run.finish(&fuzz_dir)?);
        }
    }

    print_table(&rows);
    let crashed: Vec<&str> = rows
        .iter()
        .filter(|r| r.crashes > 0)
        .map(|r| r.target.as_str())
        .collect();
    if !crashed.is_empty() {
        bail!(
            "crashes in {} (inputs in fuzz/artifacts/<target>/; reproduce with \
             `RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz -s none -a <target> <file>`)",
            crashed.join(", ")
        );
    }
    Ok(())
}

/// Installs the pinned cargo-fuzz unless it is already there.
fn ensure_cargo_fuzz() -> Result<()> {
    let installed = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    if installed == format!("cargo-fuzz {CARGO_FUZZ_VERSION}") {
        return Ok(());
    }
    println!("\n==> installing cargo-fuzz {CARGO_FUZZ_VERSION}");
    let status = Command::new("nice")
        .args(["-n", "19", "cargo", "install", "cargo-fuzz", "--locked"])
        .args(["--version", CARGO_FUZZ_VERSION])
        .status()
        .context("could not start cargo install")?;
    if !status.success() {
        bail!("installing cargo-fuzz failed ({status})");
    }
    Ok(())
}

/// The fuzz build's own target directory: beside the main one, never inside it (the flags
/// differ, so sharing would rebuild everything each way).
fn fuzz_target_dir() -> Result<PathBuf> {
    let base = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => std::env::current_dir()?.join("target"),
    };
    Ok(base.join("fuzz"))
}

/// The host's target triple, under which cargo-fuzz puts its binaries.
fn host_triple() -> Result<String> {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .context("could not start rustc")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .context("rustc -vV names no host")
}

fn list_targets() -> Result<Vec<String>> {
    let out = Command::new("cargo")
        .args(["fuzz", "list", "--fuzz-dir", FUZZ_DIR])
        .output()
        .context("could not start cargo fuzz list")?;
    if !out.status.success() {
        bail!(
            "cargo fuzz list failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}

/// `nice -n 19 cargo fuzz <command>` with this project's flags.
fn cargo_fuzz(command: &str, target_dir: &Path, sanitizer: &str) -> Command {
    let mut cmd = Command::new("nice");
    cmd.args(["-n", "19", "cargo", "fuzz", command, "--fuzz-dir", FUZZ_DIR])
        .args(["--release", "--debug-assertions", "--sanitizer", sanitizer])
        .arg("--target-dir")
        .arg(target_dir)
        // The same environment every time: builds with and without CARGO_TARGET_DIR set
        // were seen to rebuild the TLS crates and everything above them (a 30-minute
        // rebuild of the server on this machine).
        .env("CARGO_TARGET_DIR", target_dir)
        .env("RUSTC_BOOTSTRAP", "1");
    cmd
}

struct Running {
    target: String,
    child: Child,
    started: Instant,
    corpus: PathBuf,
    crashes_before: usize,
    log: PathBuf,
}

fn start(fuzz_dir: &Path, target_dir: &Path, target: &str, options: &Options) -> Result<Running> {
    let corpus = target_dir.join("corpus").join(target);
    std::fs::create_dir_all(&corpus)?;
    let logs = target_dir.join("logs");
    std::fs::create_dir_all(&logs)?;
    let log = logs.join(format!("{target}.log"));
    let log_file = std::fs::File::create(&log)?;
    let seconds = (options.minutes * 60.0).round().max(1.0) as u64;
    let artifacts = fuzz_dir.join("artifacts").join(target);
    std::fs::create_dir_all(&artifacts)?;
    let crashes_before = count_files(&artifacts);
    // The binary `cargo fuzz build` made, run as `cargo fuzz run` would run it, so a change
    // in the tree during a long run never triggers a rebuild between batches.
    let binary = target_dir.join(host_triple()?).join("release").join(target);
    let child = Command::new("nice")
        .args(["-n", "19"])
        .arg(&binary)
        .arg(format!("-artifact_prefix={FUZZ_DIR}/artifacts/{target}/"))
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-timeout={INPUT_TIMEOUT_SECS}"))
        .arg(format!("-rss_limit_mb={RSS_LIMIT_MB}"))
        .arg("-print_final_stats=1")
        // New inputs go to the first directory only: the repository's seeds stay as they are.
        .arg(&corpus)
        .arg(fuzz_dir.join("corpus").join(target))
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .with_context(|| format!("could not start {}", binary.display()))?;
    Ok(Running {
        target: target.to_owned(),
        child,
        started: Instant::now(),
        corpus,
        crashes_before,
        log,
    })
}

impl Running {
    fn finish(mut self, fuzz_dir: &Path) -> Result<Row> {
        let status = self.child.wait()?;
        let minutes = self.started.elapsed().as_secs_f64() / 60.0;
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let stat = |name: &str| {
            log.lines()
                .find_map(|l| l.strip_prefix(&format!("stat::{name}:")))
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let runs = stat("number_of_executed_units")
            .or_else(|| last_status_runs(&log))
            .unwrap_or(0);
        let execs_per_sec = stat("average_exec_per_sec").unwrap_or(0);
        let new_crashes = count_files(&fuzz_dir.join("artifacts").join(&self.target))
            .saturating_sub(self.crashes_before);
        // libFuzzer stops at the first crash; a failure that left no file (a build error, a
        // killed process) still counts, so the table never shows 0 for a broken run.
        let crashes = if status.success() {
            new_crashes
        } else {
            new_crashes.max(1)
        };
        Ok(Row {
            target: self.target,
            minutes,
            runs,
            execs_per_sec,
            corpus: count_files(&self.corpus),
            crashes,
            log: self.log,
        })
    }
}

/// The run count of libFuzzer's last status line (`#123456 pulse cov: ...`), when the final
/// statistics are missing.
fn last_status_runs(log: &str) -> Option<u64> {
    log.lines()
        .rev()
        .filter_map(|l| l.strip_prefix('#'))
        .find_map(|l| l.split_whitespace().next()?.parse().ok())
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(Result::ok).count())
        .unwrap_or(0)
}

fn print_table(rows: &[Row]) {
    println!(
        "\n{:<16} {:>8} {:>14} {:>9} {:>8} {:>8}",
        "target", "minutes", "runs", "execs/s", "corpus", "crashes"
    );
    for r in rows {
        println!(
            "{:<16} {:>8.1} {:>14} {:>9} {:>8} {:>8}",
            r.target, r.minutes, r.runs, r.execs_per_sec, r.corpus, r.crashes
        );
    }
    println!("(libFuzzer's output: {})", logs_hint(rows));
}

fn logs_hint(rows: &[Row]) -> String {
    rows.first()
        .and_then(|r| r.log.parent())
        .map(|d| format!("{}/<target>.log", d.display()))
        .unwrap_or_default()
}
