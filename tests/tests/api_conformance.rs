//! The API against its own description: schemathesis generates requests from
//! `GET /v1/openapi.json` of the real server binary (seeded with the demo data) and checks
//! every answer against the document — no server error (5xx), and every status, content type,
//! body and header as the document says.
//!
//! It runs straight at the server without a session, then through a signing proxy on loopback
//! that holds real sessions (demo accounts, a demo officer's first, each with its device bound
//! and signed in with `dinhdanh-client`) and adds a session's token and request proof to every
//! request it forwards — the session's proof for operations that need a session, a sessionless
//! proof by the device key for those that take one (sign-in, binding). schemathesis cannot
//! make request proofs itself; without the proxy most operations would only ever answer 401.
//! The two operations that end a session (schemathesis learns the session's id from
//! `GET /v1/sessions`) run last, each on a session of its own.
//!
//! What a generated request still cannot do, and so is checked only as far as it gets:
//! - confirmed actions: their `confirmation` must be the person's signature over a fresh
//!   single-use challenge and the body's hash, so a generated one is refused (as it must be);
//! - the two WebSocket routes (`…/events`): schemathesis sends plain GETs, never an upgrade, so
//!   only the refusal of a non-upgrade request is checked;
//! - identifiers in paths are random, so most answer 404.
//!
//! The proxy counts, per operation of the document, the answers that were not 401: every
//! operation that needs a session must have had some in the session run.
//!
//! schemathesis ([`SCHEMATHESIS_VERSION`], pinned) is installed on first use into a virtual
//! environment under the target directory (`target/schemathesis-venv`): nothing goes into the
//! system's or the user's Python, and a second run reuses it. Debian needs `python3-venv` for
//! that (`cargo xtask setup` installs it). The server binary must be built first, as
//! `cargo xtask test` (`cargo test --workspace`) does; by hand:
//! `cargo build -p dinhdanh-server && cargo test -p dinhdanh-tests --test api_conformance`.

use std::collections::{BTreeMap, VecDeque};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use dinhdanh_client::api::AUTH_SCHEME;
use dinhdanh_client::passcode::{KdfParams, new_passcode};
use dinhdanh_client::profile::Profile;
use dinhdanh_client::{Client, ClientConfig};
use dinhdanh_core::api::{OneTimeCode, SecretText};
use dinhdanh_core::ids::CitizenId;
use dinhdanh_core::request_proof::{self, ProofClaims};
use dinhdanh_tests::MemoryStore;
use rand_core::{OsRng, RngCore};

/// The schemathesis release the checks were written against (its CLI changes between majors).
const SCHEMATHESIS_VERSION: &str = "4.32.5";

/// Generated cases per operation and phase: enough to reach past each body's validation, small
/// enough for the CI budget (two runs over the 56 operations).
const MAX_EXAMPLES: u32 = 10;

/// A fixed seed: a failure is reproduced by running the test again.
const SEED: u64 = 20_261_202;

/// The checks, all of them about the response conforming to the document.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_schema_conformance,response_headers_conformance";

/// The operations that end a session (`DELETE /v1/sessions/current`, `…/{id}`), by id.
const ENDING_A_SESSION: &str = "^delete_sessions_";

/// Sessions the proxy opens (one per demo account: a device has one session at a time): one
/// for most operations, one for each that ends a session.
const SESSIONS: usize = 3;

/// The passcode the proxy's device is bound with.
const PASSCODE: &str = "271828";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_conforms_to_the_api_description_with_and_without_a_session() {
    let env = Env::start().await.expect("the server starts");
    let st = schemathesis(&env.target_dir).expect("schemathesis is installed");
    // The session first: the sessionless run's generated sign-ins use up the loopback
    // address's sign-in attempts.
    let proxy = SigningProxy::start(&env)
        .await
        .expect("the signing proxy starts");

    let without = run_schemathesis(&st, &env.server_url, "without-session", &env, &[]);
    assert!(
        without.passed,
        "schemathesis found answers the document does not describe (without a session):\n{}",
        without.output
    );

    // Ending a session ends the proxy's: those two operations come last, each on a session of
    // its own (schemathesis learns the session's id from `GET /v1/sessions`).
    let with = run_schemathesis(
        &st,
        &proxy.url,
        "with-session",
        &env,
        &["--exclude-operation-id-regex", ENDING_A_SESSION],
    );
    assert!(
        with.passed,
        "schemathesis found answers the document does not describe (with a session):\n{}",
        with.output
    );
    let mut endings = Vec::new();
    for operation_id in ["delete_sessions_id", "delete_sessions_current"] {
        proxy.state.next_session();
        let run = run_schemathesis(
            &st,
            &proxy.url,
            operation_id,
            &env,
            &["--include-operation-id", operation_id],
        );
        assert!(
            run.passed,
            "schemathesis found answers the document does not describe ({operation_id}):\n{}",
            run.output
        );
        endings.push(run.summary);
    }

    // The proxy really let schemathesis in: every operation that needs a session answered
    // something other than 401 at least once.
    let seen = proxy.state.seen.lock().unwrap().clone();
    let mut shut_out = Vec::new();
    for op in &proxy.state.operations {
        let answers = seen.get(&op.name).cloned().unwrap_or_default();
        let admitted = answers
            .iter()
            .filter(|(s, _)| **s != 401)
            .map(|(_, n)| n)
            .sum::<u32>();
        println!("{:<55} {:?}", op.name, answers);
        if op.access == Access::Session && admitted == 0 {
            shut_out.push(op.name.clone());
        }
    }
    assert!(
        shut_out.is_empty(),
        "operations that only ever answered 401 with a session: {shut_out:?}"
    );
    println!(
        "\nwithout a session: {}\nwith a session: {}\nending sessions: {}",
        without.summary,
        with.summary,
        endings.join(" / ")
    );
}

/// The outcome of one schemathesis run.
struct Run {
    passed: bool,
    output: String,
    summary: String,
}

fn run_schemathesis(st: &Path, base_url: &str, name: &str, env: &Env, filter: &[&str]) -> Run {
    let report_dir = env.root.join(name);
    let out = Command::new(st)
        // schemathesis keeps its state in `.schemathesis/` of the working directory.
        .current_dir(&env.root)
        .arg("run")
        .arg(format!("{base_url}/v1/openapi.json"))
        .args(["--url", base_url])
        .args(["--checks", CHECKS])
        .args(["--max-examples", &MAX_EXAMPLES.to_string()])
        .args(["--seed", &SEED.to_string()])
        // Stateful testing needs links between operations, which the document has none of.
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--workers", "2"])
        .args(["--generation-database", "none"])
        .args(["--request-timeout", "10"])
        .arg("--no-color")
        .args(["--report", "junit"])
        .arg("--report-dir")
        .arg(&report_dir)
        .args(filter)
        .output()
        .expect("schemathesis runs");
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // "Tested: 55" and the line after "Test cases:" ("5103 generated, 5103 passed").
    let lines: Vec<&str> = output.lines().map(str::trim).collect();
    let summary = lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| match *l {
            "Test cases:" => lines.get(i + 1).copied(),
            l if l.starts_with("Tested:") => Some(l),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("; ");
    Run {
        passed: out.status.success(),
        output,
        summary,
    }
}

/// The schemathesis CLI of [`SCHEMATHESIS_VERSION`], installed into a virtual environment
/// under the target directory on first use.
fn schemathesis(target_dir: &Path) -> Result<PathBuf> {
    let venv = target_dir.join("schemathesis-venv");
    let st = venv.join("bin").join("st");
    let installed = Command::new(&st)
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(SCHEMATHESIS_VERSION));
    if installed {
        return Ok(st);
    }
    let created = Command::new("python3")
        .args(["-m", "venv", "--clear"])
        .arg(&venv)
        .status()
        .context("python3 -m venv")?;
    if !created.success() {
        bail!("python3 -m venv failed: on Debian it needs python3-venv (`cargo xtask setup`)");
    }
    let pip = Command::new(venv.join("bin").join("pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .arg(format!("schemathesis=={SCHEMATHESIS_VERSION}"))
        .status()
        .context("pip install schemathesis")?;
    if !pip.success() {
        bail!("pip could not install schemathesis {SCHEMATHESIS_VERSION}");
    }
    Ok(st)
}

/// A free loopback port (bound and released).
fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The server binary on a free port, with the demo data.
struct Env {
    target_dir: PathBuf,
    root: PathBuf,
    server_dir: PathBuf,
    server_url: String,
    server: Child,
}

impl Env {
    async fn start() -> Result<Env> {
        let exe = std::env::current_exe()?;
        // target/debug/deps/<test> -> target/debug
        let bin_dir = exe
            .parent()
            .and_then(Path::parent)
            .ok_or_else(|| anyhow!("unexpected test binary location"))?
            .to_path_buf();
        let target_dir = bin_dir.parent().ok_or_else(|| anyhow!("no target dir"))?;
        let server_bin = bin_dir.join("dinhdanh-server");
        if !server_bin.exists() {
            bail!(
                "{} is not built: run `cargo xtask test`, or `cargo build -p dinhdanh-server` first",
                server_bin.display()
            );
        }
        let root = target_dir.join("api-conformance");
        let _ = std::fs::remove_dir_all(&root);
        let server_dir = root.join("server");
        std::fs::create_dir_all(&server_dir)?;
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
            // The proxy's device binding reads its one-time code from the development log.
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
        let env = Env {
            target_dir: target_dir.to_path_buf(),
            root,
            server_dir,
            server_url,
            server,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let health = format!("{}/v1/health", env.server_url);
            if reqwest::get(&health)
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(env);
            }
            if Instant::now() > deadline {
                bail!("the server did not answer");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The last six-digit code the server's outbox sent.
    fn last_code(&self) -> Result<String> {
        let text = std::fs::read_to_string(self.server_dir.join("outbox.log"))?;
        text.lines()
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
            .ok_or_else(|| anyhow!("no code in the outbox"))
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// Who may call an operation, from its `security` in the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    Public,
    DeviceProof,
    Session,
}

/// One operation of the document.
struct Operation {
    /// `METHOD /path/{template}`.
    name: String,
    method: String,
    segments: Vec<String>,
    access: Access,
}

impl Operation {
    fn matches(&self, method: &str, path: &str) -> bool {
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        self.method == method
            && parts.len() == self.segments.len()
            && self
                .segments
                .iter()
                .zip(&parts)
                .all(|(s, p)| s.starts_with('{') || s == p)
    }
}

/// The operations of the served document.
async fn operations(server_url: &str) -> Result<Vec<Operation>> {
    let doc: serde_json::Value = reqwest::get(format!("{server_url}/v1/openapi.json"))
        .await?
        .json()
        .await?;
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().context("paths")? {
        for (method, op) in item.as_object().context("path item")? {
            let schemes: Vec<&str> = op["security"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r.as_object())
                .flat_map(|r| r.keys().map(String::as_str))
                .collect();
            let access = if schemes.contains(&"session") {
                Access::Session
            } else if schemes.contains(&"request_proof") {
                Access::DeviceProof
            } else {
                Access::Public
            };
            let method = method.to_uppercase();
            ops.push(Operation {
                name: format!("{method} {path}"),
                method,
                segments: path
                    .trim_start_matches('/')
                    .split('/')
                    .map(str::to_owned)
                    .collect(),
                access,
            });
        }
    }
    // Literal segments before templates: `/v1/sessions/current` is not `/v1/sessions/{id}`.
    ops.sort_by_key(|o| o.segments.iter().filter(|s| s.starts_with('{')).count());
    Ok(ops)
}

/// What the proxy shares between requests.
struct ProxyState {
    server_url: String,
    http: reqwest::Client,
    /// The signed-in devices: the one in use first, then the spare ones.
    sessions: Mutex<VecDeque<Arc<Client>>>,
    operations: Vec<Operation>,
    /// Per operation, how often each status was answered.
    seen: Mutex<BTreeMap<String, BTreeMap<u16, u32>>>,
}

impl ProxyState {
    /// Signs the following requests with the next spare session.
    fn next_session(&self) {
        let mut sessions = self.sessions.lock().unwrap();
        sessions.pop_front();
        assert!(!sessions.is_empty(), "no spare session left");
    }
}

/// A reverse proxy on loopback that signs every request with a real session.
struct SigningProxy {
    url: String,
    state: Arc<ProxyState>,
}

impl SigningProxy {
    async fn start(env: &Env) -> Result<SigningProxy> {
        // A demo officer first (the officer's operations get past authorisation), then others.
        let mut accounts: Vec<_> = dinhdanh_server::seed::DEMO_ACCOUNTS.iter().collect();
        accounts.sort_by_key(|a| a.officer_for.is_none());
        let mut sessions = VecDeque::new();
        for (n, account) in accounts.into_iter().take(SESSIONS).enumerate() {
            let dir = env.root.join(format!("proxy-device-{n}"));
            let profile = Profile::open(&format!("conformance-{n}"), &dir)?;
            let keystore = MemoryStore::keystore();
            let mut config = ClientConfig::new(env.server_url.clone());
            config.kdf = KdfParams::insecure_for_tests();
            config.device_name = "schemathesis".into();
            let client = Client::new(config, profile, keystore)?;
            let citizen_id = CitizenId::parse(account.citizen_id)?;
            let started = client
                .bind_start(&citizen_id, SecretText::new(account.password))
                .await?;
            let code = OneTimeCode::parse(&env.last_code()?)?;
            let passcode = new_passcode(PASSCODE, PASSCODE, None)?;
            client.bind_finish(started, code, &passcode, None).await?;
            client.sign_in(SecretText::new(account.password)).await?;
            sessions.push_back(Arc::new(client));
        }

        let state = Arc::new(ProxyState {
            server_url: env.server_url.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            sessions: Mutex::new(sessions),
            operations: operations(&env.server_url).await?,
            seen: Mutex::new(BTreeMap::new()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(SigningProxy { url, state })
    }
}

/// Headers not passed on: hop-by-hop ones, the length (recomputed), and the credentials the
/// proxy sets itself.
fn passed_on(name: &str) -> bool {
    !matches!(
        name,
        "host"
            | "connection"
            | "keep-alive"
            | "transfer-encoding"
            | "content-length"
            | "authorization"
            | request_proof::HEADER_NAME
    )
}

async fn forward(State(proxy): State<Arc<ProxyState>>, req: Request) -> Response {
    match forward_signed(&proxy, req).await {
        Ok(resp) => resp,
        Err(e) => Response::builder()
            .status(599)
            .body(Body::from(format!("signing proxy: {e:#}")))
            .unwrap_or_default(),
    }
}

async fn forward_signed(proxy: &ProxyState, req: Request) -> Result<Response> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 64 << 20).await?;
    let target = parts
        .uri
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    let method = parts.method.clone();
    let operation = proxy
        .operations
        .iter()
        .find(|o| o.matches(method.as_str(), parts.uri.path()));
    let mut out = proxy
        .http
        .request(method.clone(), format!("{}{target}", proxy.server_url));
    for (name, value) in &parts.headers {
        if passed_on(name.as_str()) {
            out = out.header(name, value);
        }
    }
    let mut nonce = [0u8; request_proof::NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    let client = proxy
        .sessions
        .lock()
        .unwrap()
        .front()
        .cloned()
        .context("a signed-in device")?;
    let now = client.now();
    let keystore = client.keystore();
    let device_key = keystore.device_key()?.context("the device key")?;
    match operation.map(|o| o.access) {
        Some(Access::Session) => {
            let token = keystore.session_token()?.context("the session token")?;
            let claims = ProofClaims::new(
                method.as_str(),
                &target,
                &bytes,
                Some(token.hash()),
                now,
                nonce,
            )?;
            out = out
                .header("authorization", format!("{AUTH_SCHEME} {}", token.expose()))
                .header(
                    request_proof::HEADER_NAME,
                    device_key.sign_proof(claims).to_header_value(),
                );
        }
        Some(Access::DeviceProof) => {
            let claims = ProofClaims::new(method.as_str(), &target, &bytes, None, now, nonce)?;
            out = out.header(
                request_proof::HEADER_NAME,
                device_key.sign_proof(claims).to_header_value(),
            );
        }
        Some(Access::Public) | None => {}
    }
    let answer = out.body(bytes.to_vec()).send().await?;
    let status = answer.status();
    if let Some(op) = operation {
        *proxy
            .seen
            .lock()
            .unwrap()
            .entry(op.name.clone())
            .or_default()
            .entry(status.as_u16())
            .or_default() += 1;
    }
    let mut resp = Response::builder().status(status);
    for (name, value) in answer.headers() {
        if passed_on(name.as_str()) {
            resp = resp.header(name, value);
        }
    }
    Ok(resp.body(Body::from(answer.bytes().await?))?)
}
