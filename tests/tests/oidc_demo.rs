//! The demo relying party (`demo/service/`, panva's openid-client) signs people in with the
//! real server binary, end to end: the server seeded with the demo data on a free loopback
//! port, the demo on another, a browser played with `reqwest` (a cookie store, redirects
//! followed by hand, `Accept: application/json` at the provider's authorization endpoint), and
//! the phone played by the device library (Nguyễn Văn An's bound phone, its keys in the real
//! Secret Service, with his enterprise An Phát registered).
//!
//! The library checks everything of the provider's it touches — discovery, the JWKS and the ID
//! token's signature, `iss` in the authorization response, the token response, DPoP, userinfo:
//! a refusal there is the provider's bug. `cargo xtask test` installs the demo's packages
//! (`npm ci`) before the run.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use dinhdanh_client::api::{Client, ClientConfig};
use dinhdanh_client::keystore::Keystore;
use dinhdanh_client::passcode::{EnteredPasscode, KdfParams, new_passcode};
use dinhdanh_client::profile::Profile;
use dinhdanh_core::api::{
    OneTimeCode, RegistrationStatus, RegistrationSubmission, RegistrationView, SecretText, paths,
};
use dinhdanh_core::ids::{CitizenId, OrgEid};
use dinhdanh_core::org_type::{OrgType, OrganisationForm, RepresentativeForm};
use dinhdanh_core::qr_login::RendezvousId;
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use rand::RngCore;
use reqwest::redirect::Policy;

const AN: (&str, &str, &str) = ("001080012345", "An#Demo2025", "Nguyễn Văn An");
const ENTERPRISE: &str = "Công ty TNHH Phần mềm An Phát";
const PASSCODE: &str = "270419";
const DEMO_NAME_VI: &str = "Cổng dịch vụ công (thử nghiệm)";

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The server binary and the demo service, each on a free loopback port, with a fresh data
/// directory; both stopped when dropped.
struct Env {
    root: PathBuf,
    server_dir: PathBuf,
    server_url: String,
    demo_url: String,
    server: Child,
    demo: Child,
}

impl Drop for Env {
    fn drop(&mut self) {
        for child in [&mut self.demo, &mut self.server] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Env {
    async fn start(name: &str) -> Result<Env> {
        // target/debug/deps/<this test> -> target/debug
        let exe = std::env::current_exe()?;
        let bin_dir = exe
            .parent()
            .and_then(Path::parent)
            .context("unexpected test binary location")?;
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
        let server = Command::new(&server_bin)
            .arg("--data-dir")
            .arg(&server_dir)
            .args([
                "serve",
                "--dev-outbox-log",
                "--addr",
                &format!("127.0.0.1:{port}"),
            ])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(root.join("server.log"))?)
            .spawn()
            .context("starting dinhdanh-server")?;

        // The demo prints its public JWK set; it is registered with the server's CLI, and told
        // its client id on stdin (its private key never leaves its memory).
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
            "--jwks",
            &jwks_file.display().to_string(),
            "--claim",
            "name",
            "--organisations",
        ])?;
        let client_id = added.split_whitespace().next().context("client id")?;
        let mut stdin = demo.stdin.take().context("stdin")?;
        writeln!(stdin, "{client_id}")?;
        drop(stdin);
        let env_root = root.clone();
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
        let env = Env {
            root: env_root,
            server_dir,
            server_url,
            demo_url,
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

    /// An's phone: bound, signed in, with An Phát registered (approved by the registry);
    /// its keys in the OS keystore under a profile of its own.
    async fn phone(&self) -> Result<(Phone, OrgEid)> {
        let name = format!("oidc-demo-{}", random_hex(6));
        let profile = Profile::open(&name, self.root.join(&name))?;
        let keystore =
            Keystore::os(&name).context("the Secret Service (run through cargo xtask)")?;
        let mut config = ClientConfig::new(&self.server_url);
        config.kdf = KdfParams::insecure_for_tests();
        let client = Client::new(config, profile, keystore.clone())?;
        let phone = Phone { client, keystore };
        let citizen = CitizenId::parse(AN.0)?;
        let started = phone
            .client
            .bind_start(&citizen, SecretText::new(AN.1))
            .await?;
        let dob = chrono::NaiveDate::from_ymd_opt(1980, 1, 1).context("date")?;
        let passcode = new_passcode(PASSCODE, PASSCODE, Some(dob))?;
        phone
            .client
            .bind_finish(started, self.last_code()?, &passcode, None)
            .await?;
        phone.client.sign_in(SecretText::new(AN.1)).await?;
        let eid = register_enterprise(&phone.client)
            .await?
            .org_eid
            .context("approved without an e-ID number")?;
        Ok((phone, eid))
    }
}

/// A device profile whose keystore entries are removed when dropped.
struct Phone {
    client: Client,
    keystore: Keystore,
}

impl Drop for Phone {
    fn drop(&mut self) {
        let _ = self.keystore.clear();
    }
}

impl Phone {
    fn passcode(&self) -> Result<dinhdanh_client::passcode::PasscodeConfirmer> {
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

/// Registers the demo enterprise from the phone (approved automatically by the registry).
async fn register_enterprise(client: &Client) -> Result<RegistrationView> {
    let form = OrganisationForm {
        name_vi: ENTERPRISE.into(),
        established_on: "2015-04-20".into(),
        head_office_address: "Số 18 phố Duy Tân, phường Cầu Giấy".into(),
        head_office_province: "ha_noi".into(),
        enterprise_code: "0108680015".into(),
        representatives: vec![RepresentativeForm {
            full_name: AN.2.into(),
            citizen_id: AN.0.into(),
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
    let body = RegistrationSubmission::new(OrgType::Enterprise, details, &CitizenId::parse(AN.0)?);
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

/// A browser: its own cookie jar, redirects followed by hand (so each hop is checked).
struct Browser {
    http: reqwest::Client,
}

/// Where a browser's sign-in stands after the provider's authorization endpoint.
struct AtProvider {
    sign_in: RendezvousId,
    continue_url: String,
}

impl Browser {
    fn new() -> Result<Browser> {
        Ok(Browser {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .build()?,
        })
    }

    async fn get(&self, url: &str) -> Result<reqwest::Response> {
        Ok(self.http.get(url).send().await?)
    }

    /// A `GET` at the provider's front channel, asking for JSON (browsers get HTML there).
    async fn get_json(&self, url: &str) -> Result<reqwest::Response> {
        Ok(self
            .http
            .get(url)
            .header("accept", "application/json")
            .send()
            .await?)
    }

    /// The page at `url`: its status and text.
    async fn page(&self, url: &str) -> Result<(u16, String)> {
        let resp = self.get(url).await?;
        Ok((resp.status().as_u16(), resp.text().await?))
    }

    /// *Đăng nhập bằng Định Danh* on the demo's home page, then the provider's authorization
    /// endpoint (JSON: the login page with the QR code answers browsers in HTML).
    async fn start_sign_in(&self, env: &Env) -> Result<AtProvider> {
        let (status, home) = self.page(&env.demo_url).await?;
        ensure!(
            status == 200 && home.contains("Đăng nhập bằng Định Danh"),
            "{home}"
        );
        let resp = self
            .http
            .post(format!("{}login", env.demo_url))
            .send()
            .await?;
        ensure!(
            resp.status() == 303,
            "sign in: {} {}",
            resp.status(),
            resp.text().await?
        );
        let authorize = location(&resp)?;
        ensure!(
            authorize.starts_with(&format!("{}/oidc/authorize?", env.server_url)),
            "{authorize}"
        );
        let resp = self.get_json(&authorize).await?;
        ensure!(resp.status() == 200, "authorize: {}", resp.status());
        let body: serde_json::Value = resp.json().await?;
        let sign_in = RendezvousId::parse(body["sign_in"].as_str().context("sign_in")?)?;
        let continue_url = format!(
            "{}{}",
            env.server_url,
            body["continue"].as_str().context("continue")?
        );
        Ok(AtProvider {
            sign_in,
            continue_url,
        })
    }

    /// Continues at the provider after the phone answered: where it sends the browser back.
    async fn back_to_service(&self, at: &AtProvider) -> Result<String> {
        let resp = self.get_json(&at.continue_url).await?;
        ensure!(
            resp.status() == 303,
            "continue: {} {}",
            resp.status(),
            resp.text().await?
        );
        location(&resp)
    }

    /// Opens the demo's callback URL and follows its redirect home; the page shown.
    async fn land(&self, env: &Env, callback: &str) -> Result<(u16, String)> {
        let resp = self.get(callback).await?;
        if resp.status() == 303 {
            let next = location(&resp)?;
            ensure!(next == "/", "{next}");
            return self.page(&env.demo_url).await;
        }
        Ok((resp.status().as_u16(), resp.text().await?))
    }
}

fn location(resp: &reqwest::Response) -> Result<String> {
    Ok(resp
        .headers()
        .get("location")
        .context("no location")?
        .to_str()?
        .to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_signs_in_to_the_demo_service_for_their_enterprise_approved_on_the_phone()
-> Result<()> {
    let env = Env::start("signed_in").await?;
    let (phone, eid) = env.phone().await?;
    let browser = Browser::new()?;
    let at = browser.start_sign_in(&env).await?;

    // The phone is shown the service from the registry, and may sign in as the enterprise.
    let view = phone.client.read_service_sign_in(&at.sign_in).await?;
    assert_eq!(view.client_name_vi, DEMO_NAME_VI);
    assert_eq!(format!("{}/", view.redirect_origin), env.demo_url);
    assert!(
        view.accounts.iter().any(|a| a.eid == eid),
        "{:?}",
        view.accounts
    );
    // Not answered yet: the browser waits at the provider.
    let waiting = browser.get_json(&at.continue_url).await?;
    assert_eq!(waiting.status(), 200);

    phone
        .client
        .approve_service_sign_in(&view, Some(eid.clone()), &phone.passcode()?)
        .await?;
    let callback = browser.back_to_service(&at).await?;
    assert!(
        callback.starts_with(&format!("{}callback?", env.demo_url)),
        "{callback}"
    );
    let (status, page) = browser.land(&env, &callback).await?;
    assert_eq!(status, 200, "{page}");
    // The demo's signed-in page: who acts for which organisation with which role, how they
    // authenticated, and its DPoP-bound call to userinfo, which succeeded.
    assert!(page.contains(r#"<main id="signed-in">"#), "{page}");
    assert!(page.contains(AN.2), "{page}");
    assert!(
        page.contains(&format!(r#"id="organisation-name">{ENTERPRISE}<"#)),
        "{page}"
    );
    assert!(
        page.contains(&format!(r#"id="organisation-eid">{eid}<"#)),
        "{page}"
    );
    assert!(
        page.contains(r#"id="organisation-role">Người đại diện theo pháp luật (Legal representative (owner))<"#),
        "{page}"
    );
    assert!(
        page.contains(r#"id="acr">urn:dinhdanh:acr:level-2<"#),
        "{page}"
    );
    assert!(page.contains(r#"id="amr">pin, swk<"#), "{page}");
    assert!(page.contains(r#"id="api-call" data-result="ok""#), "{page}");

    // Signing out ends the demo's session: the home page again.
    let resp = browser
        .http
        .post(format!("{}logout", env.demo_url))
        .send()
        .await?;
    assert_eq!(resp.status(), 303);
    let (_, home) = browser.page(&env.demo_url).await?;
    assert!(home.contains(r#"<main id="home">"#), "{home}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sign_in_declined_on_the_phone_lands_on_the_demo_s_refusal() -> Result<()> {
    let env = Env::start("declined").await?;
    let (phone, _) = env.phone().await?;
    let browser = Browser::new()?;
    let at = browser.start_sign_in(&env).await?;
    phone.client.decline_service_sign_in(&at.sign_in).await?;
    let callback = browser.back_to_service(&at).await?;
    assert!(callback.contains("error=access_denied"), "{callback}");
    let (status, page) = browser.land(&env, &callback).await?;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(r#"<main id="refused">"#), "{page}");
    assert!(!page.contains("signed-in"), "{page}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_code_relayed_to_another_browser_gets_nothing() -> Result<()> {
    let env = Env::start("relayed").await?;
    let (phone, eid) = env.phone().await?;
    let victim = Browser::new()?;
    let attacker = Browser::new()?;
    let at = victim.start_sign_in(&env).await?;
    let view = phone.client.read_service_sign_in(&at.sign_in).await?;
    phone
        .client
        .approve_service_sign_in(&view, Some(eid), &phone.passcode()?)
        .await?;

    // The provider gives the code only to the browser that started the sign-in.
    let resp = attacker.get_json(&at.continue_url).await?;
    assert_ne!(resp.status(), 303, "another browser was sent the code");
    assert_eq!(resp.status(), 403);

    // The code, relayed to another browser, redeems nothing at the demo: without a sign-in of
    // its own it is not even tried; with one, the state does not match and it is not sent.
    let callback = victim.back_to_service(&at).await?;
    let (status, page) = attacker.land(&env, &callback).await?;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains(r#"<main id="no-sign-in">"#), "{page}");
    let _own = attacker.start_sign_in(&env).await?;
    let (status, page) = attacker.land(&env, &callback).await?;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains(r#"<main id="sign-in-failed">"#), "{page}");
    let (_, home) = attacker.page(&env.demo_url).await?;
    assert!(home.contains(r#"<main id="home">"#), "{home}");

    // The code was not spent: the browser that started the sign-in still gets in.
    let (status, page) = victim.land(&env, &callback).await?;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(r#"<main id="signed-in">"#), "{page}");
    Ok(())
}
