//! `cargo xtask crash [--kills N] [--seed S]`: the crash-consistency test at full strength.
//!
//! The test (`tests/tests/crash_consistency.rs`, package `dinhdanh-tests`) kills the real
//! server binary with SIGKILL at random moments while workers drive it through the device
//! library, and checks after each kill that every acknowledged action is there, whole, and
//! that `dinhdanh-server audit verify` passes. `cargo xtask test` runs it with a handful of
//! kills; this command builds the server binary and runs it with [`DEFAULT_KILLS`] (or
//! `--kills`), the seed given or a new one (printed: `--seed` replays the kill schedule).

use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// Kills in a full run.
pub const DEFAULT_KILLS: u32 = 50;

/// The variables the test reads.
const KILLS_ENV: &str = "DINHDANH_CRASH_KILLS";
const SEED_ENV: &str = "DINHDANH_CRASH_SEED";

/// Parses `--kills N` and `--seed S`, builds the server and runs the test.
pub fn run(args: &[String]) -> Result<()> {
    let mut kills = DEFAULT_KILLS;
    let mut seed: Option<u64> = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let value = it.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--kills" => kills = value?.parse().context("--kills: a number")?,
            "--seed" => seed = Some(value?.parse().context("--seed: a number")?),
            other => bail!("unknown argument {other}: cargo xtask crash [--kills N] [--seed S]"),
        }
    }
    // One build of the server binary and the test, in the test profile: built apart, the two
    // resolve features differently and each build would compile the server again.
    println!("\n==> building the server binary the test kills, and the test");
    let status = Command::new("cargo")
        .args([
            "build",
            "--profile",
            "test",
            "-p",
            "dinhdanh-server",
            "-p",
            "dinhdanh-tests",
            "--bin",
            "dinhdanh-server",
            "--test",
            "crash_consistency",
            "--locked",
        ])
        .status()
        .context("could not start cargo")?;
    if !status.success() {
        bail!("building dinhdanh-server failed ({status})");
    }
    println!("\n==> crash consistency: {kills} kills");
    let started = Instant::now();
    let mut test = Command::new("cargo");
    test.args([
        "test",
        "-p",
        "dinhdanh-tests",
        "--test",
        "crash_consistency",
        "--locked",
        "--",
        "--nocapture",
    ])
    .env(KILLS_ENV, kills.to_string());
    if let Some(seed) = seed {
        test.env(SEED_ENV, seed.to_string());
    }
    let status = test.status().context("could not start cargo")?;
    println!(
        "\ncrash consistency: {} in {:.0} s",
        if status.success() { "passed" } else { "FAILED" },
        started.elapsed().as_secs_f64()
    );
    if !status.success() {
        bail!("the crash-consistency test failed ({status})");
    }
    Ok(())
}
