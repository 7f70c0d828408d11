//! The demo relying party, "Cổng dịch vụ công (thử nghiệm)" (`demo/service/`, Node 20 with
//! panva's openid-client): installed with `npm ci` when needed, started beside the backend by
//! `cargo xtask run`, and prepared for its end-to-end test (`tests/tests/oidc_demo.rs`) by
//! `cargo xtask test`.
//!
//! Its client key lives only in the demo's memory, new at every start, so registering it is a
//! handshake: the demo prints its public JWK set, this launcher registers it with the server's
//! CLI (`client add` the first time, `client set-jwks` at later starts: idempotent) and writes
//! the client id to the demo's standard input; the demo then runs discovery and serves.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};

use anyhow::{Context, Result, bail};

use super::step;

/// Where the demo lives.
pub const DIR: &str = "demo/service";
/// Its port under `cargo xtask run` (the backend is on 8640).
pub const PORT: u16 = 8650;
/// Its registered names (the phone shows them).
pub const NAME_VI: &str = "Cổng dịch vụ công (thử nghiệm)";
/// Its English name.
pub const NAME_EN: &str = "Public service portal (demo)";

/// Installs the demo's packages when needed (see [`super::npm::ci`]).
pub fn install() -> Result<()> {
    super::npm::ci(DIR, "the demo service's packages", &[])
}

/// The running demo service; stopped when dropped.
pub struct DemoService {
    child: Child,
    /// Its home page.
    pub url: String,
}

impl Drop for DemoService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `cargo xtask run`: starts the demo beside the backend (see [`start`]) and prints where it
/// is; if it cannot start, says why and lets the backend and the app run without it.
pub fn start_beside(server_bin: &Path, data_dir: &Path, issuer: &str) -> Option<DemoService> {
    step("starting the demo service (a relying party signing in with the backend)");
    match start(server_bin, data_dir, issuer) {
        Ok(demo) => {
            println!(
                "The demo service \"{NAME_VI}\" is at {} (sign in there, approve on the phone).",
                demo.url
            );
            Some(demo)
        }
        Err(e) => {
            println!("The demo service did not start: {e:#}");
            None
        }
    }
}

/// Starts the demo against the backend at `issuer` on [`PORT`] and registers it with the
/// server whose data directory is `data_dir` (through `server_bin`'s CLI).
pub fn start(server_bin: &Path, data_dir: &Path, issuer: &str) -> Result<DemoService> {
    let mut child = Command::new("node")
        .arg("server.js")
        .args(["--issuer", issuer, "--port", &PORT.to_string()])
        .current_dir(DIR)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("could not start the demo service (node)")?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut lines = BufReader::new(stdout);
    let jwks = expect_line(&mut lines, "DINHDANH_DEMO_JWKS ")?;
    let redirect_uri = expect_line(&mut lines, "DINHDANH_DEMO_REDIRECT_URI ")?;
    let logout_uri = expect_line(&mut lines, "DINHDANH_DEMO_BACKCHANNEL_LOGOUT_URI ")?;
    // The PUBLIC key set only; the private key never leaves the demo's memory.
    let jwks_file = data_dir
        .parent()
        .unwrap_or(data_dir)
        .join("demo-service-jwks.json");
    std::fs::write(&jwks_file, &jwks)?;
    let client_id = register(server_bin, data_dir, &jwks_file, &redirect_uri, &logout_uri)?;
    let mut stdin = child.stdin.take().context("no stdin")?;
    writeln!(stdin, "{client_id}")?;
    drop(stdin);
    let url = expect_line(&mut lines, "DINHDANH_DEMO_READY ")?;
    // Keep its later output flowing to ours (a full pipe would stop it).
    std::thread::spawn(move || {
        for line in lines.lines().map_while(Result::ok) {
            println!("[demo service] {line}");
        }
    });
    Ok(DemoService { child, url })
}

/// Reads the demo's output up to the line starting with `prefix`; the rest of that line.
fn expect_line(lines: &mut BufReader<ChildStdout>, prefix: &str) -> Result<String> {
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            bail!("the demo service stopped before printing {}", prefix.trim());
        }
        if let Some(rest) = line.trim_end().strip_prefix(prefix) {
            return Ok(rest.to_owned());
        }
        print!("[demo service] {line}");
    }
}

/// Registers the demo once (`client add`, with its back-channel logout URI so the provider
/// tells it when a sign-in ends); at later starts its registration gets the new key
/// (`client set-jwks`). Its client id.
fn register(
    server_bin: &Path,
    data_dir: &Path,
    jwks: &Path,
    redirect_uri: &str,
    logout_uri: &str,
) -> Result<String> {
    let cli = |args: &[&str]| -> Result<String> {
        let out = Command::new(server_bin)
            .arg("--data-dir")
            .arg(data_dir)
            .args(args)
            .output()
            .context("could not run dinhdanh-server")?;
        if !out.status.success() {
            bail!(
                "dinhdanh-server {}: {}{}",
                args.join(" "),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let jwks_arg = jwks.display().to_string();
    // `client list`: `<client id> <active|disabled> <name_vi>` per line.
    let listed = cli(&["client", "list"])?;
    let existing = listed.lines().find_map(|l| {
        let mut words = l.split_whitespace();
        let (id, status) = (words.next()?, words.next()?);
        let name = words.collect::<Vec<_>>().join(" ");
        (status == "active" && name == NAME_VI).then(|| id.to_owned())
    });
    let shown = match &existing {
        Some(id) => cli(&["client", "set-jwks", id, "--jwks", &jwks_arg])?,
        None => cli(&[
            "client",
            "add",
            "--name-vi",
            NAME_VI,
            "--name-en",
            NAME_EN,
            "--redirect-uri",
            redirect_uri,
            "--backchannel-logout-uri",
            logout_uri,
            "--jwks",
            &jwks_arg,
            "--claim",
            "name",
            "--organisations",
        ])?,
    };
    // `client add|set-jwks` print the client first: `<client id>  active`.
    let id = shown
        .split_whitespace()
        .next()
        .filter(|id| id.starts_with("rp_"))
        .with_context(|| format!("unexpected output of the client command: {shown}"))?;
    Ok(id.to_owned())
}
