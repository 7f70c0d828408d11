//! The end-to-end harness: the real server binary on a free loopback port with the demo data,
//! `tauri-driver` on free ports, and the real app binary opened per profile through WebDriver.
//!
//! Run by `cargo xtask test` inside `xvfb-run` (an X display for the WebView) and a private
//! D-Bus session with a throw-away gnome-keyring (the app keeps its keys in the real Secret
//! Service). The binaries are built by xtask first; they are found next to this test binary
//! (`target/debug/`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

use crate::screen_checks::{self, Axe};
use crate::webdriver::Session;

/// One end-to-end environment: server, driver, data directories, screenshots.
pub struct E2e {
    /// `target/debug` (where the binaries are).
    pub bin_dir: PathBuf,
    /// This run's scratch directory (server data, app profiles).
    pub root: PathBuf,
    /// The server's data directory (SQLite file, outbox.log).
    pub server_dir: PathBuf,
    /// The server's base URL.
    pub server_url: String,
    /// The app profiles' data root (`DINHDANH_DATA_DIR`).
    pub apps_dir: PathBuf,
    /// Where screenshots go.
    pub screens_dir: PathBuf,
    driver_url: String,
    server: Child,
    driver: Child,
    shots: std::sync::atomic::AtomicUsize,
    /// The size every app window is given when it opens (`None`: the app's own).
    window: Option<(u32, u32)>,
    /// Milliseconds spent in screen checks (reported by the tests, for the CI budget).
    checked: std::sync::atomic::AtomicU64,
    /// axe-core, when every screenshot's screen is also checked (`check_screens`).
    checks: Option<Axe>,
    /// The screens axe-core has seen (see `screen_checks::check_screen`).
    seen: std::sync::Mutex<std::collections::HashSet<String>>,
}

/// A free loopback port (bound and released; the race with another process taking it in
/// between is harmless in a test run).
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl E2e {
    /// Starts the server (seeded with the demo data) and tauri-driver for the test `name`.
    pub async fn start(name: &str) -> Result<E2e> {
        E2e::start_with_app_env(name, &[]).await
    }

    /// [`E2e::start`], with `app_env` in every app's environment (through the driver, which
    /// starts the apps).
    pub async fn start_with_app_env(name: &str, app_env: &[(&str, &str)]) -> Result<E2e> {
        if std::env::var_os("DISPLAY").is_none() {
            bail!("no X display: run the end-to-end tests through `cargo xtask test` (xvfb-run)");
        }
        let exe = std::env::current_exe()?;
        // target/debug/deps/<test> -> target/debug
        let bin_dir = exe
            .parent()
            .and_then(Path::parent)
            .ok_or_else(|| anyhow!("unexpected test binary location"))?
            .to_path_buf();
        let target_dir = bin_dir
            .parent()
            .ok_or_else(|| anyhow!("no target dir"))?
            .to_path_buf();
        for bin in ["dinhdanh-server", "dinhdanh-app"] {
            if !bin_dir.join(bin).exists() {
                bail!(
                    "{bin} is not built in {}: run `cargo xtask test`",
                    bin_dir.display()
                );
            }
        }
        let root = target_dir.join("e2e").join(name);
        let _ = std::fs::remove_dir_all(&root);
        let server_dir = root.join("server");
        let apps_dir = root.join("apps");
        let screens_dir = target_dir.join("e2e-screens").join(name);
        let _ = std::fs::remove_dir_all(&screens_dir);
        for d in [&server_dir, &apps_dir, &screens_dir] {
            std::fs::create_dir_all(d)?;
        }
        let server_bin = bin_dir.join("dinhdanh-server");
        let seeded = Command::new(&server_bin)
            .arg("--data-dir")
            .arg(&server_dir)
            .args(["seed", "--demo"])
            .stdout(Stdio::null())
            .status()
            .context("running dinhdanh-server seed")?;
        if !seeded.success() {
            bail!("seeding the server failed");
        }
        let port = free_port()?;
        let server_url = format!("http://127.0.0.1:{port}");
        let server = Command::new(&server_bin)
            .arg("--data-dir")
            .arg(&server_dir)
            // The test reads one-time codes from the development log.
            .args([
                "serve",
                "--dev-outbox-log",
                "--addr",
                &format!("127.0.0.1:{port}"),
            ])
            // The server logs to standard output (tracing's default).
            // Every SQL statement too, to tell from the log which requests arrived.
            .env("RUST_LOG", "info,sqlx::query=debug")
            .stdout(std::fs::File::create(root.join("server.log"))?)
            .stderr(std::fs::File::create(root.join("server.err.log"))?)
            .spawn()
            .context("starting dinhdanh-server")?;
        let (driver_port, native_port) = (free_port()?, free_port()?);
        let driver = Command::new(tauri_driver()?)
            .args([
                "--port",
                &driver_port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("DINHDANH_DATA_DIR", &apps_dir)
            // The app names each command as it arrives, into driver.err.log.
            .env("DINHDANH_TRACE_COMMANDS", "1")
            .env("DINHDANH_SERVER", &server_url)
            .envs(app_env.iter().copied())
            .stdout(std::fs::File::create(root.join("driver.log"))?)
            .stderr(std::fs::File::create(root.join("driver.err.log"))?)
            .spawn()
            .context("starting tauri-driver")?;
        let env = E2e {
            bin_dir,
            root,
            server_dir,
            server_url,
            apps_dir,
            screens_dir,
            driver_url: format!("http://127.0.0.1:{driver_port}"),
            server,
            driver,
            shots: std::sync::atomic::AtomicUsize::new(0),
            window: None,
            checked: std::sync::atomic::AtomicU64::new(0),
            checks: None,
            seen: Default::default(),
        };
        env.wait_http(&format!("{}/v1/health", env.server_url))
            .await?;
        env.wait_http(&format!("{}/status", env.driver_url)).await?;
        Ok(env)
    }

    async fn wait_http(&self, url: &str) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = reqwest::get(url).await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                bail!("{url} did not answer");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Opens every app window of this run at `width`×`height` (a small phone, a laptop)
    /// instead of the app's own size.
    pub fn in_window(&mut self, width: u32, height: u32) {
        self.window = Some((width, height));
    }

    /// From now on, every screenshot's screen is also checked for its layout, with its text at
    /// 200%, and by axe-core ([`screen_checks::check_screen`]); a problem fails the test.
    pub fn check_screens(&mut self) -> Result<()> {
        self.checks = Some(Axe::load()?);
        Ok(())
    }

    /// Opens the app with `profile` (its own data dir and keystore entries).
    pub async fn open_app(&self, profile: &str) -> Result<App> {
        let binary = self.bin_dir.join("dinhdanh-app");
        let mut session = Session::start(
            &self.driver_url,
            &binary.display().to_string(),
            &["--profile".to_owned(), profile.to_owned()],
        )
        .await?;
        session.save_failures_in(
            self.screens_dir.clone(),
            &format!("dinhdanh-app --profile {profile}"),
        );
        let app = App {
            session,
            profile: profile.to_owned(),
        };
        if let Some((width, height)) = self.window {
            resize(&app, width, height).await?;
        }
        Ok(app)
    }

    /// Saves a screenshot of `app`'s window as `NN-<profile>-<label>.png` and returns its
    /// path; with [`E2e::check_screens`], then checks the screen (and saves it with its text
    /// at 200% as `…-<label>-text200.png`).
    pub async fn screenshot(&self, app: &App, label: &str) -> Result<PathBuf> {
        let path = self.save_screenshot(app, label).await?;
        if let Some(axe) = &self.checks {
            let started = Instant::now();
            screen_checks::check_screen(&app.session, axe, &self.seen, label, || async {
                self.save_screenshot(app, &format!("{label}-text200"))
                    .await
                    .map(drop)
            })
            .await?;
            let took = started.elapsed();
            self.checked.fetch_add(
                took.as_millis() as u64,
                std::sync::atomic::Ordering::Relaxed,
            );
        }
        Ok(path)
    }

    async fn save_screenshot(&self, app: &App, label: &str) -> Result<PathBuf> {
        let png = app.session.screenshot_png().await?;
        let n = self
            .shots
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = self
            .screens_dir
            .join(format!("{n:02}-{}-{label}.png", app.profile));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// Screenshots of the current screen at a phone's width (360 px) and a desktop's (1280
    /// px), as `NN-<profile>-<label>-360.png` and `…-1280.png` (each checked, with
    /// [`E2e::check_screens`]); the window then goes back to its size before.
    pub async fn screenshots_at_widths(&self, app: &App, label: &str) -> Result<Vec<PathBuf>> {
        let before = app.session.window_size().await?;
        let mut shots = Vec::new();
        for (width, height) in [(360, 780), (1280, 900)] {
            resize(app, width, height).await?;
            shots.push(self.screenshot(app, &format!("{label}-{width}")).await?);
        }
        resize(app, before.0, before.1).await?;
        Ok(shots)
    }

    /// How long the screen checks of this run took so far.
    pub fn checks_took(&self) -> Duration {
        Duration::from_millis(self.checked.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Prints how long the test took since `started` and how much of it the screen checks
    /// (for the CI budget; shown with `--nocapture`).
    pub fn print_time(&self, started: Instant) {
        eprintln!(
            "{}: {:.1} s, of which screen checks {:.1} s",
            self.screens_dir.display(),
            started.elapsed().as_secs_f64(),
            self.checks_took().as_secs_f64()
        );
    }

    /// The last six-digit code the server's outbox sent (SMS or e-mail).
    pub fn last_code(&self) -> Result<String> {
        let text = std::fs::read_to_string(self.server_dir.join("outbox.log"))?;
        text.lines()
            .rev()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find_map(|m| six_digits(m["body"].as_str().unwrap_or_default()))
            .ok_or_else(|| anyhow!("no code in the outbox"))
    }

    /// Runs the server's CLI on this run's database (officer work in person).
    pub fn server_cli(&self, args: &[&str]) -> Result<String> {
        let out = Command::new(self.bin_dir.join("dinhdanh-server"))
            .arg("--data-dir")
            .arg(&self.server_dir)
            .args(args)
            .output()?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() {
            bail!(
                "dinhdanh-server {args:?} failed: {}{}",
                stdout,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(stdout)
    }
}

impl Drop for E2e {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

fn tauri_driver() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("TAURI_DRIVER") {
        return Ok(PathBuf::from(p));
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .ok_or_else(|| anyhow!("no CARGO_HOME or HOME"))?;
    let p = home.join("bin").join("tauri-driver");
    if p.exists() {
        Ok(p)
    } else {
        bail!("tauri-driver is not installed: run `cargo xtask setup`")
    }
}

fn six_digits(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .map(str::to_owned)
}

/// Resizes `app`'s window and waits until the page has the new width: a test that means to
/// run at a phone's width must not go on at another.
async fn resize(app: &App, width: u32, height: u32) -> Result<()> {
    app.session.set_window_size(width, height).await?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let inner = app
            .session
            .execute("return [innerWidth, innerHeight]", serde_json::json!([]))
            .await?;
        if inner == serde_json::json!([width, height]) {
            // Two frames: laid out and painted at the new size before a screenshot.
            app.session
                .execute_async(
                    "const done = arguments[arguments.length - 1]; \
                     requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                    serde_json::json!([]),
                )
                .await?;
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the window is {inner} inside, not {width}×{height}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A running app window and the profile it was opened with.
pub struct App {
    /// The WebDriver session.
    pub session: Session,
    /// The app profile.
    pub profile: String,
}

impl App {
    /// Types a passcode on the on-screen keypad (six digits submit by themselves).
    pub async fn keypad(&self, digits: &str) -> Result<()> {
        self.session.wait_for("keypad").await?;
        for d in digits.chars() {
            self.session.click(&format!("key-{d}")).await?;
        }
        Ok(())
    }

    /// Closes the app.
    pub async fn quit(self) -> Result<()> {
        self.session.quit().await
    }
}

impl std::ops::Deref for App {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.session
    }
}
