//! The OpenID tests' world: the real server binary seeded with the demo data on a free
//! loopback port, the demo relying party (`demo/service/`, panva's openid-client) on another,
//! registered with the server's CLI (its key, redirect URI and back-channel logout URI), and
//! phones played by the device library (a bound phone whose keys are in the real Secret
//! Service). Used by `tests/oidc_demo.rs` (a browser played with `reqwest`) and
//! `tests/e2e_oidc_browser.rs` (headless Chromium).
//!
//! The binaries are found next to the test binary (`target/debug/`): `cargo xtask test`
//! builds them and installs the demo's packages (`npm ci`) first.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use dinhdanh_client::api::{Client, ClientConfig};
use dinhdanh_client::keystore::Keystore;
use dinhdanh_client::passcode::{EnteredPasscode, KdfParams, PasscodeConfirmer, new_passcode};
use dinhdanh_client::profile::Profile;
use dinhdanh_core::api::{
    OneTimeCode, RegistrationStatus, RegistrationSubmission, RegistrationView, SecretText, paths,
};
use dinhdanh_core::ids::{CitizenId, OrgEid};
use dinhdanh_core::org_type::{OrgType, OrganisationForm, RepresentativeForm};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use rand::RngCore;

/// A demo person (README, "Demo accounts"): identification number, password, name.
#[derive(Clone, Copy, Debug)]
pub struct Person {
    /// The 12-digit identification number.
    pub citizen_id: &'static str,
    /// The demo password.
    pub password: &'static str,
    /// The registry's name.
    pub name: &'static str,
}

/// Nguyễn Văn An, level 2, the legal representative of An Phát.
pub const AN: Person = Person {
    citizen_id: "001080012345",
    password: "An#Demo2025",
    name: "Nguyễn Văn An",
};
/// Trần Thị Mai, level 2.
pub const MAI: Person = Person {
    citizen_id: "074192034567",
    password: "Mai#Demo2025",
    name: "Trần Thị Mai",
};
/// The enterprise An registers from his phone (approved automatically by the registry).
pub const ENTERPRISE: &str = "Công ty TNHH Phần mềm An Phát";
/// Every test phone's passcode.
pub const PASSCODE: &str = "270419";
/// The demo's registered Vietnamese name (the phone and the login page show it).
pub const DEMO_NAME_VI: &str = "Cổng dịch vụ công (thử nghiệm)";

/// A free loopback port (bound and released; a race with another process is harmless here).
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// How the server is started.
#[derive(Clone, Debug, Default)]
pub struct ServerOptions {
    /// `serve --oidc-sign-in-secs`: how long a sign-in's QR code waits for the phone.
    pub sign_in_secs: Option<u32>,
}

/// The server binary and the demo service, each on a free loopback port, with a fresh data
/// directory under `target/oidc-demo/<name>`; both stopped when dropped.
pub struct DemoEnv {
    /// This environment's scratch directory.
    pub root: PathBuf,
    /// The server's data directory (SQLite file, outbox.log).
    pub server_dir: PathBuf,
    /// The issuer: `http://127.0.0.1:<port>`.
    pub server_url: String,
    /// The demo's home page, `http://127.0.0.1:<port>/`.
    pub demo_url: String,
    /// The demo's registered client id.
    pub client_id: String,
    server: Child,
    demo: Child,
}

impl Drop for DemoEnv {
    fn drop(&mut self) {
        for child in [&mut self.demo, &mut self.server] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `target/debug`, where `cargo test` put the binaries (this test binary is in `deps/`).
pub fn bin_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    Ok(exe
        .parent()
        .and_then(Path::parent)
        .context("unexpected test binary location")?
        .to_path_buf())
}

impl DemoEnv {
    /// Starts both for the test `name`, the server with default options.
    pub async fn start(name: &str) -> Result<DemoEnv> {
        Self::start_with(name, &ServerOptions::default()).await
    }

    /// Starts both for the test `name`.
    pub async fn start_with(name: &str, options: &ServerOptions) -> Result<DemoEnv> {
        let bin_dir = bin_dir()?;
        let server_bin = bin_dir.join("dinhdanh-server");
        ensure!(
            server_bin.exists(),
            "{} is not built: run `cargo xtask test` (or `cargo build -p dinhdanh-server`)",
            server_bin.display()
        );
        let demo_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo/service");
        ensure!(
            demo_dir.join("node_modules/openid-client").exists(),
            "the demo service's packages are not installed: run `cargo xtask test` (it runs \
             `npm ci` in demo/service)"
        );
        let root = bin_dir
            .parent()
            .context("no target dir")?
            .join("oidc-demo")
            .join(name);
        let _ = std::fs::remove_dir_all(&root);
        let server_dir = root.join("server");
        std::fs::create_dir_all(&server_dir)?;
        let cli = |args: &[&str]| -> Result<String> {
            let out = Command::new(&server_bin)
                .arg("--data-dir")
                .arg(&server_dir)
                .args(args)
                .output()?;
            ensure!(
                out.status.success(),
                "dinhdanh-server {args:?}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        };
        cli(&["seed", "--demo"])?;
        let port = free_port()?;
        let server_url = format!("http://127.0.0.1:{port}");
        let mut serve = Command::new(&server_bin);
        serve.arg("--data-dir").arg(&server_dir).args([
            "serve",
            "--dev-outbox-log",
            "--addr",
            &format!("127.0.0.1:{port}"),
        ]);
        if let Some(secs) = options.sign_in_secs {
            serve.args(["--oidc-sign-in-secs", &secs.to_string()]);
        }
        let server = serve
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(root.join("server.log"))?)
            .spawn()
            .context("starting dinhdanh-server")?;

        // The demo prints its public JWK set and its URIs; they are registered with the
        // server's CLI, and it is told its client id on stdin (its private key never leaves its
        // memory).
        let mut demo = Command::new("node")
            .arg("server.js")
            .args(["--issuer", &server_url, "--port", &free_port()?.to_string()])
            .current_dir(&demo_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(root.join("demo.err.log"))?)
            .spawn()
            .context("starting the demo service (node)")?;
        let mut lines = BufReader::new(demo.stdout.take().context("stdout")?);
        let jwks = expect_line(&mut lines, "DINHDANH_DEMO_JWKS ")?;
        let redirect_uri = expect_line(&mut lines, "DINHDANH_DEMO_REDIRECT_URI ")?;
        let logout_uri = expect_line(&mut lines, "DINHDANH_DEMO_BACKCHANNEL_LOGOUT_URI ")?;
        let jwks_file = root.join("demo-jwks.json");
        std::fs::write(&jwks_file, &jwks)?;
        let added = cli(&[
            "client",
            "add",
            "--name-vi",
            DEMO_NAME_VI,
            "--name-en",
            "Public service portal (demo)",
            "--redirect-uri",
            &redirect_uri,
            "--backchannel-logout-uri",
            &logout_uri,
            "--jwks",
            &jwks_file.display().to_string(),
            "--claim",
            "name",
            "--organisations",
        ])?;
        let client_id = added
            .split_whitespace()
            .next()
            .context("client id")?
            .to_owned();
        let mut stdin = demo.stdin.take().context("stdin")?;
        writeln!(stdin, "{client_id}")?;
        drop(stdin);
        // The server answers before the demo's discovery gives up (it tries for 10 s).
        let demo_url = expect_line(&mut lines, "DINHDANH_DEMO_READY ")?;
        let log = root.join("demo.log");
        std::thread::spawn(move || {
            let mut out = std::fs::File::create(log).ok();
            for line in lines.lines().map_while(Result::ok) {
                if let Some(f) = out.as_mut() {
                    let _ = writeln!(f, "{line}");
                }
            }
        });
        let env = DemoEnv {
            root,
            server_dir,
            server_url,
            demo_url,
            client_id,
            server,
            demo,
        };
        env.wait_healthy().await?;
        Ok(env)
    }

    async fn wait_healthy(&self) -> Result<()> {
        let url = format!("{}{}", self.server_url, paths::HEALTH);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = reqwest::get(&url).await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            ensure!(Instant::now() < deadline, "the server did not answer");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs the server's command line on this environment's data, as an operator would (the
    /// server keeps serving); its standard output.
    pub fn cli(&self, args: &[&str]) -> Result<String> {
        let out = Command::new(bin_dir()?.join("dinhdanh-server"))
            .arg("--data-dir")
            .arg(&self.server_dir)
            .args(args)
            .output()?;
        ensure!(
            out.status.success(),
            "dinhdanh-server {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The demo's own log (what it printed after starting), for assertions about what it was
    /// told by the provider.
    pub fn demo_log(&self) -> String {
        std::fs::read_to_string(self.root.join("demo.log")).unwrap_or_default()
    }

    /// The last six-digit code the server's outbox sent.
    fn last_code(&self) -> Result<OneTimeCode> {
        let text = std::fs::read_to_string(self.server_dir.join("outbox.log"))?;
        let code = text
            .lines()
            .rev()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find_map(|m| {
                m["body"]
                    .as_str()
                    .unwrap_or_default()
                    .split(|c: char| !c.is_ascii_digit())
                    .find(|w| w.len() == 6)
                    .map(str::to_owned)
            })
            .context("no code in the outbox")?;
        Ok(OneTimeCode::parse(&code)?)
    }

    /// `person`'s phone: bound (the one-time code from the outbox) and signed in; its keys in
    /// the OS keystore under a profile of its own.
    pub async fn phone_of(&self, person: Person) -> Result<Phone> {
        let name = format!("oidc-demo-{}", random_hex(6));
        let profile = Profile::open(&name, self.root.join(&name))?;
        let keystore =
            Keystore::os(&name).context("the Secret Service (run through cargo xtask)")?;
        let mut config = ClientConfig::new(&self.server_url);
        config.kdf = KdfParams::insecure_for_tests();
        let client = Client::new(config, profile, keystore.clone())?;
        let phone = Phone { client, keystore };
        let citizen = CitizenId::parse(person.citizen_id)?;
        let started = phone
            .client
            .bind_start(&citizen, SecretText::new(person.password))
            .await?;
        // Only to refuse a passcode that spells the birthday; the test passcode does not.
        let dob = chrono::NaiveDate::from_ymd_opt(1980, 1, 1).context("date")?;
        let passcode = new_passcode(PASSCODE, PASSCODE, Some(dob))?;
        phone
            .client
            .bind_finish(started, self.last_code()?, &passcode, None)
            .await?;
        phone
            .client
            .sign_in(SecretText::new(person.password))
            .await?;
        Ok(phone)
    }

    /// An's phone, with An Phát registered (approved by the registry): the phone and the
    /// enterprise's e-ID number.
    pub async fn phone(&self) -> Result<(Phone, OrgEid)> {
        let phone = self.phone_of(AN).await?;
        let eid = register_enterprise(&phone.client)
            .await?
            .org_eid
            .context("approved without an e-ID number")?;
        Ok((phone, eid))
    }
}

/// A device profile whose keystore entries are removed when dropped.
pub struct Phone {
    /// The device library, signed in.
    pub client: Client,
    keystore: Keystore,
}

impl Drop for Phone {
    fn drop(&mut self) {
        let _ = self.keystore.clear();
    }
}

impl Phone {
    /// The passcode, entered.
    pub fn passcode(&self) -> Result<PasscodeConfirmer> {
        Ok(self
            .client
            .passcode_confirmer(&EnteredPasscode::parse(PASSCODE)?)?)
    }
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
    }
}

/// Registers the demo enterprise from An's phone (approved automatically by the registry).
pub async fn register_enterprise(client: &Client) -> Result<RegistrationView> {
    let form = OrganisationForm {
        name_vi: ENTERPRISE.into(),
        established_on: "2015-04-20".into(),
        head_office_address: "Số 18 phố Duy Tân, phường Cầu Giấy".into(),
        head_office_province: "ha_noi".into(),
        enterprise_code: "0108680015".into(),
        representatives: vec![RepresentativeForm {
            full_name: AN.name.into(),
            citizen_id: AN.citizen_id.into(),
        }],
        contact_phone: "0912345678".into(),
        ..OrganisationForm::default()
    };
    // Today in Vietnam (UTC+7), as the server counts it.
    let today = chrono::DateTime::from_timestamp(client.now() + 7 * 3600, 0)
        .context("clock")?
        .date_naive();
    let details = form
        .validate(OrgType::Enterprise, today)
        .map_err(|e| anyhow::anyhow!("form: {e:?}"))?;
    let body = RegistrationSubmission::new(
        OrgType::Enterprise,
        details,
        &CitizenId::parse(AN.citizen_id)?,
    );
    let confirmer = client.passcode_confirmer(&EnteredPasscode::parse(PASSCODE)?)?;
    let view: RegistrationView = client
        .confirmed(
            reqwest::Method::POST,
            paths::REGISTRATIONS,
            ActionKind::RegisterOrganisation,
            ActionTarget::new("registration", "new")?,
            body,
            &confirmer,
        )
        .await?;
    ensure!(
        view.status == RegistrationStatus::Approved,
        "the enterprise was not approved automatically: {:?}",
        view.status
    );
    Ok(view)
}
