//! The app's footprint, printed as a table: cold start to first screen, idle memory of the
//! app's processes, release binary size and wasm size.
//!
//! Run under a display and a Secret Service, after a release build of the app:
//!
//! ```sh
//! cargo xtask bench-app
//! ```
//!
//! (which builds the UI and `cargo build --release -p dinhdanh-app -p dinhdanh-server`, then
//! runs this with `cargo bench -p dinhdanh-tests --features e2e --bench app` inside xvfb-run and
//! a throw-away keyring). Times are medians over several starts; the baseline, measured in the
//! same run, is the same binary's WebView reporting its page loaded (`document.readyState ==
//! "complete"`): the difference is what the wasm UI costs on top of the shell.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use dinhdanh_tests::webdriver::{Session, css_id};

const RUNS: usize = 7;

fn main() -> Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(bench())
}

async fn bench() -> Result<()> {
    let exe = std::env::current_exe()?;
    // target/release/deps/<bench> -> target/release
    let release = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| anyhow!("unexpected bench location"))?
        .to_path_buf();
    let app = release.join("dinhdanh-app");
    if !app.exists() {
        bail!(
            "{} is not built: run `cargo xtask bench-app`",
            app.display()
        );
    }
    let target = release.parent().context("no target dir")?.to_path_buf();
    let dist = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/ui-dist");
    let wasm = dist.join("dinhdanh_ui_bg.wasm");
    let glue = dist.join("dinhdanh_ui.js");

    let scratch = target.join("bench-app");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)?;
    let (driver_port, native_port) = (
        dinhdanh_tests::e2e::free_port()?,
        dinhdanh_tests::e2e::free_port()?,
    );
    let mut driver = std::process::Command::new(tauri_driver()?)
        .args([
            "--port",
            &driver_port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ])
        .env("DINHDANH_DATA_DIR", &scratch)
        // Nothing listens here: the first screen needs no server.
        .env("DINHDANH_SERVER", "http://127.0.0.1:9")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let driver_url = format!("http://127.0.0.1:{driver_port}");
    wait_http(&format!("{driver_url}/status")).await?;

    let mut ready = Vec::new();
    let mut first_screen = Vec::new();
    let mut idle_kib = Vec::new();
    for run in 0..RUNS {
        let profile = format!("bench{run}");
        let started = Instant::now();
        let session = Session::start(
            &driver_url,
            &app.display().to_string(),
            &["--profile".to_owned(), profile.clone()],
        )
        .await?;
        // Page loaded (the shell and WebView's cost)…
        loop {
            let state = session
                .execute("return document.readyState", serde_json::json!([]))
                .await?;
            if state == "complete" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        ready.push(started.elapsed());
        // …and the first screen drawn by the wasm UI.
        session
            .wait_for_css(&css_id("screen-first-run"), Duration::from_secs(60))
            .await?;
        first_screen.push(started.elapsed());
        tokio::time::sleep(Duration::from_secs(5)).await;
        idle_kib.push(app_memory_kib(&app, &profile)?);
        session.quit().await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let _ = driver.kill();
    let _ = driver.wait();

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let med_ready = ms(median(&mut ready));
    let med_first = ms(median(&mut first_screen));
    idle_kib.sort_unstable();
    let idle = idle_kib[idle_kib.len() / 2];
    println!("app footprint ({RUNS} cold starts; WebKitGTK under Xvfb)");
    println!("| measure | value | vs baseline |");
    println!("| --- | ---: | ---: |");
    println!("| page loaded (baseline: shell + WebView) | {med_ready:.0} ms | 1.00 |");
    println!(
        "| first screen drawn (wasm UI) | {med_first:.0} ms | {:.2} |",
        med_first / med_ready
    );
    println!(
        "| idle memory, app + WebKit processes (PSS) | {:.1} MiB | |",
        idle as f64 / 1024.0
    );
    println!(
        "| release binary (dinhdanh-app) | {:.1} MiB | |",
        size(&app)? as f64 / 1048576.0
    );
    println!(
        "| UI wasm (dinhdanh_ui_bg.wasm) | {:.0} KiB | |",
        size(&wasm)? as f64 / 1024.0
    );
    println!(
        "| UI glue (dinhdanh_ui.js) | {:.0} KiB | |",
        size(&glue)? as f64 / 1024.0
    );
    Ok(())
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn size(p: &Path) -> Result<u64> {
    Ok(std::fs::metadata(p)
        .with_context(|| p.display().to_string())?
        .len())
}

/// PSS (proportional set size: shared pages split between sharers) of the app process started
/// with `--profile <profile>` and all its descendants (WebKit's web and network processes).
fn app_memory_kib(app: &Path, profile: &str) -> Result<u64> {
    let procs: Vec<(u32, u32, String)> = std::fs::read_dir("/proc")?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let ppid = stat
                .rsplit(')')
                .next()?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            Some((pid, ppid, String::from_utf8_lossy(&cmd).replace('\0', " ")))
        })
        .collect();
    let root = procs
        .iter()
        .find(|(_, _, cmd)| {
            cmd.starts_with(&app.display().to_string())
                && cmd.contains(&format!("--profile {profile}"))
        })
        .map(|(pid, _, _)| *pid)
        .ok_or_else(|| anyhow!("the app process was not found"))?;
    let mut family = vec![root];
    let mut i = 0;
    while i < family.len() {
        let parent = family[i];
        family.extend(procs.iter().filter(|p| p.1 == parent).map(|p| p.0));
        i += 1;
    }
    let mut total = 0;
    for pid in family {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) else {
            continue;
        };
        total += text
            .lines()
            .find_map(|l| l.strip_prefix("Pss:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0);
    }
    Ok(total)
}

async fn wait_http(url: &str) -> Result<()> {
    for _ in 0..300 {
        if reqwest::get(url)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{url} did not answer")
}

fn tauri_driver() -> Result<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .ok_or_else(|| anyhow!("no CARGO_HOME or HOME"))?;
    Ok(home.join("bin").join("tauri-driver"))
}
