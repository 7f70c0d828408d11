//! Benchmark (not a test) of the OpenID provider (issue 15), printing three tables:
//!
//! 1. **Approve on the phone → the service holds a verified ID token**, p50/p99 on loopback:
//!    the real server in-process on `127.0.0.1:0` with a SQLite file database (and PostgreSQL
//!    when one is named), the phone played by the device library (`dinhdanh-client`, bound and
//!    signed in through the real flows, its secrets in memory as a phone shell's store; the
//!    sign-in read, then approved with its confirmation key), the browser waiting on the login page's WebSocket, and the relying party of the
//!    server's protocol tests (`crates/server/tests/oidc_rp`: PAR with `private_key_jwt`, PKCE,
//!    a DPoP-bound code, the token request, the ID token's signature and claims checked
//!    against the JWKS it fetched before). The clock starts as the phone sends its approval
//!    (asking for a challenge, signing, posting) and stops when the relying party has checked
//!    the ID token. Baseline, same server, same run: one authenticated `GET /v1/me` by the same
//!    device library (a request proof signed and checked, the session read).
//! 2. **The token endpoint**, requests per second with 1 and N concurrent callers on SQLite and
//!    PostgreSQL, and per core. Every code is a real one, made by a real approval on the phone
//!    before the timed phase, and every request's client assertion and DPoP proof are signed
//!    before it too, so the clock sees only the endpoint: the assertion checked (ES256, `jti`
//!    stored), the DPoP proof checked (ES256, `jti` stored), the code redeemed with its PKCE
//!    verifier, an access token stored, the ID token signed. Two baselines from the same run:
//!    the JWKS endpoint with the same callers (the HTTP floor: a request and a small JSON answer
//!    and nothing else), and the endpoint's own cryptography in a loop on one thread (two ES256
//!    verifications and one ES256 signature with `jsonwebtoken`, as the endpoint does: the
//!    floor no database can beat).
//! 3. Keycloak's published sizing per vCPU beside ours, as a rough scale only.
//!
//! ```sh
//! cargo xtask bench-oidc
//! ```
//!
//! The machine's cores are shared by everything: server, phone, browser and relying party run
//! in this one process on a runtime with a worker per core, so "per core" divides by all the
//! cores and charges the load generator's work to the server (a conservative figure).
//! Sizes: `DINHDANH_BENCH_OIDC_RUNS` latency runs (default 300), `DINHDANH_BENCH_OIDC_CODES`
//! codes per throughput row (default 1000), `DINHDANH_BENCH_OIDC_CLIENTS` concurrent callers
//! (default 8). PostgreSQL rows when `DINHDANH_TEST_POSTGRES_URL` names a server.

#[path = "../../crates/server/tests/common/mod.rs"]
mod common;
#[path = "../../crates/server/tests/identity/mod.rs"]
mod identity;
#[path = "../../crates/server/tests/oidc_rp/mod.rs"]
mod oidc_rp;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, ensure};
use chrono::NaiveDate;
use common::TestServer;
use dinhdanh_client::api::{Client, ClientConfig};
use dinhdanh_client::passcode::{EnteredPasscode, PasscodeConfirmer, new_passcode};
use dinhdanh_client::profile::Profile;
use dinhdanh_core::api::{OneTimeCode, SecretText};
use dinhdanh_core::qr_login::RendezvousId;
use dinhdanh_server::testing::{self, Clock, ServerKeys, oidc};
use dinhdanh_tests::MemoryStore;
use futures_util::StreamExt;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use oidc_rp::{Flow, Rp};
use p256::ecdsa::SigningKey;
use p256::pkcs8::EncodePrivateKey;
use rand_core::OsRng;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// The scope every sign-in asks for.
const SCOPE: &str = "openid profile";
/// Keycloak's page this bench quotes (read 2026-12-02).
const KEYCLOAK_SIZING_URL: &str =
    "https://www.keycloak.org/high-availability/single-cluster/concepts-memory-and-cpu-sizing";

fn main() -> Result<()> {
    // A worker per core: the figures are taken on a 2-core machine, shared by the server and
    // every client of it.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores())
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n: &usize| *n > 0)
        .unwrap_or(default)
}

async fn run() -> Result<()> {
    let runs = env_number("DINHDANH_BENCH_OIDC_RUNS", 300);
    let codes = env_number("DINHDANH_BENCH_OIDC_CODES", 1000);
    let callers = env_number("DINHDANH_BENCH_OIDC_CLIENTS", 8);
    let mut latency = Vec::new();
    let mut throughput = Vec::new();

    let dir = testing::temp_dir("bench-oidc-sqlite")?;
    let url = testing::sqlite_url(&dir);
    let t = server(dir, url).await;
    bench_backend(
        "SQLite",
        &t,
        runs,
        codes,
        callers,
        &mut latency,
        &mut throughput,
    )
    .await?;
    drop(t);

    match testing::Backend::postgres_admin_url() {
        Some(admin) => {
            let dir = testing::temp_dir("bench-oidc-pg")?;
            let url = testing::fresh_postgres_database(&admin).await?;
            let t = server(dir, url).await;
            bench_backend(
                "PostgreSQL",
                &t,
                runs,
                codes,
                callers,
                &mut latency,
                &mut throughput,
            )
            .await?;
        }
        None => eprintln!(
            "(PostgreSQL skipped: {} is not set; `cargo xtask bench-oidc` starts a throw-away \
             cluster and sets it)",
            testing::POSTGRES_ENV
        ),
    }

    eprintln!("crypto floor: 2 x ES256 verify + 1 x ES256 sign, one thread");
    let floor = crypto_floor(codes.max(500))?;

    print_latency(&latency, runs);
    print_throughput(&throughput, floor, callers);
    print_keycloak(&throughput);
    Ok(())
}

/// A server on `url` without the per-address and per-client rate limits (every request of the
/// bench comes from 127.0.0.1, from one relying party and one phone, on a clock that does not
/// move, so no window ever closes). Nothing else is changed.
async fn server(dir: PathBuf, url: String) -> TestServer {
    TestServer::start_with(dir, url, ServerKeys::generate(), |c| {
        let unlimited = i64::MAX / 2;
        c.limits.requests_per_ip = unlimited;
        c.limits.challenges_per_window = unlimited;
        c.limits.oidc_par_per_client = unlimited;
        c.limits.oidc_token_per_client = unlimited;
    })
    .await
}

async fn bench_backend(
    backend: &'static str,
    t: &TestServer,
    runs: usize,
    codes: usize,
    callers: usize,
    latency: &mut Vec<LatencyRow>,
    throughput: &mut Vec<RateRow>,
) -> Result<()> {
    // One phone per concurrent caller: people approve their own sign-ins, one at a time each.
    let mut phones = Vec::with_capacity(callers);
    for _ in 0..callers {
        phones.push(Phone::bind(t).await?);
    }
    let phone = &phones[0];
    let rp = Rp::register(t, "Cổng dịch vụ công", "dichvucong.example.vn", false).await;

    eprintln!("{backend}: baseline GET /v1/me x {runs}");
    latency.push(baseline_latency(backend, phone, runs).await?);
    eprintln!("{backend}: approve -> verified ID token x {runs}");
    latency.push(sign_in_latency(backend, t, &rp, phone, runs).await?);

    for n in [1, callers] {
        eprintln!("{backend}: {codes} codes approved on the phone, {n} at a time");
        let started = Instant::now();
        let prepared = prepare_codes(t, &rp, &phones[..n], codes).await?;
        throughput.push(RateRow {
            backend,
            what: "sign-in up to the code (PAR..continue)",
            callers: n,
            count: codes,
            elapsed: started.elapsed(),
        });
        eprintln!("{backend}: token endpoint, {n} caller(s)");
        let (elapsed, answers) = redeem(t, prepared.clone(), n).await?;
        // Outside the clock: every answer is checked as the relying party would.
        let keys = oidc_rp::jwks(t).await;
        for (p, answer) in prepared.iter().zip(&answers) {
            let id_token = answer["id_token"].as_str().context("no id_token")?;
            oidc_rp::check_id_token(t, &rp, &keys, id_token, Some(&p.nonce))?;
            ensure!(
                answer["token_type"] == "DPoP",
                "token type {}",
                answer["token_type"]
            );
        }
        throughput.push(RateRow {
            backend,
            what: "token endpoint",
            callers: n,
            count: codes,
            elapsed,
        });
        eprintln!("{backend}: JWKS endpoint, {n} caller(s)");
        throughput.push(RateRow {
            backend,
            what: "baseline: JWKS endpoint",
            callers: n,
            count: codes,
            elapsed: jwks_rate(t, codes, n).await?,
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The phone
// ---------------------------------------------------------------------------------------------

/// The phone: the device library bound to a level-2 person's account through the real
/// binding flow, and signed in. Its secrets are in memory ([`MemoryStore`]), as a phone's
/// shell passes its platform store: the desktop's Secret Service is not what a phone uses, and
/// gnome-keyring's D-Bus round trips (two per request) would be measured instead.
struct Phone {
    client: Client,
    /// The passcode's key, derived once (production KDF parameters) as the app derives it
    /// when the person has typed the passcode, before anything is sent.
    confirmer: PasscodeConfirmer,
    dir: PathBuf,
}

impl Phone {
    async fn bind(t: &TestServer) -> Result<Phone> {
        let person = identity::person(t, false).await;
        let dir = testing::temp_dir("bench-oidc-phone")?;
        let profile = Profile::open("bench-phone", &dir)?;
        let mut config = ClientConfig::new(t.server.base_url());
        config.device_name = "Điện thoại đo hiệu năng".into();
        // The server runs on the test clock; the phone signs with the same time.
        let clock = t.clock.clone();
        config.clock = Arc::new(move || clock.now());
        let client = Client::new(config, profile, MemoryStore::keystore())?;
        let started = client
            .bind_start(&person.citizen_id, SecretText::new(person.password.clone()))
            .await?;
        let code = OneTimeCode::parse(&t.last_code_to(&person.phone))
            .map_err(|e| anyhow!("binding code: {e:?}"))?;
        let born = NaiveDate::from_ymd_opt(1990, 5, 17);
        let passcode = new_passcode(identity::PASSCODE, identity::PASSCODE, born)?;
        client.bind_finish(started, code, &passcode, None).await?;
        client
            .sign_in(SecretText::new(person.password.clone()))
            .await?;
        let confirmer = client.passcode_confirmer(&EnteredPasscode::parse(identity::PASSCODE)?)?;
        Ok(Phone {
            client,
            confirmer,
            dir,
        })
    }
}

impl Drop for Phone {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Latency
// ---------------------------------------------------------------------------------------------

struct LatencyRow {
    backend: &'static str,
    what: &'static str,
    samples: Vec<Duration>,
}

impl LatencyRow {
    fn percentile(&self, p: usize) -> Duration {
        let mut sorted = self.samples.clone();
        sorted.sort();
        let i = (sorted.len() * p / 100).min(sorted.len().saturating_sub(1));
        sorted.get(i).copied().unwrap_or_default()
    }

    fn mean(&self) -> Duration {
        let n = u32::try_from(self.samples.len()).unwrap_or(u32::MAX).max(1);
        self.samples.iter().sum::<Duration>() / n
    }
}

/// Warm-up runs before each latency row, not counted.
const WARM_UP: usize = 10;

async fn baseline_latency(backend: &'static str, phone: &Phone, runs: usize) -> Result<LatencyRow> {
    let mut samples = Vec::with_capacity(runs);
    for i in 0..runs + WARM_UP {
        let started = Instant::now();
        phone.client.me().await?;
        if i >= WARM_UP {
            samples.push(started.elapsed());
        }
    }
    Ok(LatencyRow {
        backend,
        what: "baseline: GET /v1/me (device library)",
        samples,
    })
}

async fn sign_in_latency(
    backend: &'static str,
    t: &TestServer,
    rp: &Rp,
    phone: &Phone,
    runs: usize,
) -> Result<LatencyRow> {
    // A relying party fetches the provider's keys once and keeps them.
    let keys = oidc_rp::jwks(t).await;
    let mut samples = Vec::with_capacity(runs);
    for i in 0..runs + WARM_UP {
        // Before the clock: the service pushes its request, the browser opens the login page
        // and its socket, the phone scans the code and shows the person what it is.
        let flow = Flow::new(SCOPE);
        let request_uri = rp.push(t, &flow).await;
        let (sign_in, cookie) = rp.authorize(t, &request_uri).await;
        let mut socket = oidc_rp::open_socket(t, &sign_in, &cookie).await;
        let view = phone
            .client
            .read_service_sign_in(&RendezvousId::parse(&sign_in)?)
            .await?;

        let started = Instant::now();
        let approve = phone
            .client
            .approve_service_sign_in(&view, None, &phone.confirmer);
        let service = async {
            wait_for_answer(&mut socket).await?;
            let code = rp.code(t, &flow, &sign_in, &cookie).await;
            let resp = rp.token(t, &code, &flow.verifier).await;
            ensure!(resp.status() == 200, "token: {}", resp.status());
            let body: Value = resp.json().await?;
            let id_token = body["id_token"].as_str().context("no id_token")?;
            oidc_rp::check_id_token(t, rp, &keys, id_token, Some(&flow.nonce))?;
            Ok(Instant::now())
        };
        let (approved, verified) = tokio::join!(approve, service);
        approved?;
        let took = verified?.duration_since(started);
        if i >= WARM_UP {
            samples.push(took);
        }
    }
    Ok(LatencyRow {
        backend,
        what: "approve -> service holds verified ID token",
        samples,
    })
}

/// The login page's wait: one `{"state":"approved"}` on its socket.
async fn wait_for_answer(socket: &mut oidc_rp::PageSocket) -> Result<()> {
    let frame = tokio::time::timeout(Duration::from_secs(30), socket.next())
        .await
        .map_err(|_| anyhow!("no answer on the page's socket within 30 s"))?
        .ok_or_else(|| anyhow!("the page's socket closed"))??;
    let Message::Text(text) = frame else {
        return Err(anyhow!("expected a text frame, got {frame:?}"));
    };
    let answer: Value = serde_json::from_str(text.as_str())?;
    ensure!(answer["state"] == "approved", "the page was told {answer}");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 2. Throughput
// ---------------------------------------------------------------------------------------------

/// A token request ready to send: a real code from a real approval, with its client assertion
/// and DPoP proof already signed.
#[derive(Clone)]
struct Prepared {
    body: String,
    dpop: String,
    nonce: String,
}

struct RateRow {
    backend: &'static str,
    what: &'static str,
    callers: usize,
    count: usize,
    elapsed: Duration,
}

impl RateRow {
    fn per_second(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    fn per_core(&self) -> f64 {
        self.per_second() / cores() as f64
    }
}

/// `count` codes, each from a pushed request, a browser's authorization, the phone's reading
/// and approval and the browser's continuation, as many sign-ins at a time as `phones`.
async fn prepare_codes(
    t: &TestServer,
    rp: &Rp,
    phones: &[Phone],
    count: usize,
) -> Result<Vec<Prepared>> {
    let next = AtomicUsize::new(0);
    let all = futures_util::future::join_all(
        phones
            .iter()
            .map(|phone| codes_by(t, rp, phone, &next, count)),
    )
    .await;
    let mut prepared = Vec::with_capacity(count);
    for part in all {
        prepared.extend(part?);
    }
    Ok(prepared)
}

/// One phone's share of [`prepare_codes`]: sign-ins until `count` were taken in all.
async fn codes_by(
    t: &TestServer,
    rp: &Rp,
    phone: &Phone,
    next: &AtomicUsize,
    count: usize,
) -> Result<Vec<Prepared>> {
    let mut mine = Vec::new();
    while next.fetch_add(1, Ordering::Relaxed) < count {
        let flow = Flow::new(SCOPE);
        let request_uri = rp.push(t, &flow).await;
        let (sign_in, cookie) = rp.authorize(t, &request_uri).await;
        let view = phone
            .client
            .read_service_sign_in(&RendezvousId::parse(&sign_in)?)
            .await?;
        phone
            .client
            .approve_service_sign_in(&view, None, &phone.confirmer)
            .await?;
        let code = rp.code(t, &flow, &sign_in, &cookie).await;
        let (body, dpop) = rp.token_request(t, &code, &flow.verifier);
        mine.push(Prepared {
            body,
            dpop,
            nonce: flow.nonce,
        });
    }
    Ok(mine)
}

/// Sends every prepared token request, `callers` at a time (each caller its own connection);
/// the time taken and the answers in the order of `prepared`.
async fn redeem(
    t: &TestServer,
    prepared: Vec<Prepared>,
    callers: usize,
) -> Result<(Duration, Vec<Value>)> {
    let prepared = Arc::new(prepared);
    let next = Arc::new(AtomicUsize::new(0));
    let url = oidc_rp::url(t, oidc::TOKEN);
    let started = Instant::now();
    let workers = (0..callers).map(|_| {
        let (prepared, next, url) = (prepared.clone(), next.clone(), url.clone());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut answers = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(p) = prepared.get(i) else { break };
                let resp = http
                    .post(&url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("DPoP", &p.dpop)
                    .body(p.body.clone())
                    .send()
                    .await?;
                let status = resp.status();
                let text = resp.text().await?;
                ensure!(status == 200, "token: {status} {text}");
                answers.push((i, serde_json::from_str::<Value>(&text)?));
            }
            Ok::<_, anyhow::Error>(answers)
        })
    });
    let results = futures_util::future::join_all(workers).await;
    let elapsed = started.elapsed();
    let mut answers = Vec::with_capacity(prepared.len());
    for r in results {
        answers.extend(r??);
    }
    answers.sort_by_key(|(i, _)| *i);
    Ok((elapsed, answers.into_iter().map(|(_, v)| v).collect()))
}

/// `count` JWKS requests, `callers` at a time; the time taken.
async fn jwks_rate(t: &TestServer, count: usize, callers: usize) -> Result<Duration> {
    let next = Arc::new(AtomicUsize::new(0));
    let url = oidc_rp::url(t, oidc::JWKS);
    let started = Instant::now();
    let workers = (0..callers).map(|_| {
        let (next, url) = (next.clone(), url.clone());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            while next.fetch_add(1, Ordering::Relaxed) < count {
                let resp = http.get(&url).send().await?;
                ensure!(resp.status() == 200, "jwks: {}", resp.status());
                let set: JwkSet = resp.json().await?;
                ensure!(!set.keys.is_empty(), "an empty key set");
            }
            Ok::<_, anyhow::Error>(())
        })
    });
    for r in futures_util::future::join_all(workers).await {
        r??;
    }
    Ok(started.elapsed())
}

/// The token endpoint's cryptography on one thread, `count` times: a client assertion and a
/// DPoP proof verified (ES256, claims parsed) and an ID token signed, with `jsonwebtoken` as
/// the server uses it. Operations per second on one core.
fn crypto_floor(count: usize) -> Result<f64> {
    let client_key = SigningKey::random(&mut OsRng);
    let dpop_key = SigningKey::random(&mut OsRng);
    let provider_key = SigningKey::random(&mut OsRng);
    let encoding = |k: &SigningKey| -> Result<EncodingKey> {
        let der = k.to_pkcs8_der().map_err(|e| anyhow!("{e}"))?;
        Ok(EncodingKey::from_ec_der(der.as_bytes()))
    };
    let decoding = |k: &SigningKey| -> Result<DecodingKey> {
        Ok(DecodingKey::from_jwk(&oidc_rp::public_jwk(k, None))?)
    };
    let now = testing::START_TIME;
    let assertion = jsonwebtoken::encode(
        &Header::new(Algorithm::ES256),
        &json!({"iss": "c", "sub": "c", "aud": "https://idp", "iat": now, "exp": now + 60,
                "jti": oidc_rp::random_text()}),
        &encoding(&client_key)?,
    )?;
    let mut dpop_header = Header::new(Algorithm::ES256);
    dpop_header.typ = Some("dpop+jwt".into());
    dpop_header.jwk = Some(oidc_rp::public_jwk(&dpop_key, None));
    let proof = jsonwebtoken::encode(
        &dpop_header,
        &json!({"htm": "POST", "htu": "https://idp/oidc/token", "iat": now,
                "jti": oidc_rp::random_text()}),
        &encoding(&dpop_key)?,
    )?;
    let (client_dk, dpop_dk, provider_ek) = (
        decoding(&client_key)?,
        decoding(&dpop_key)?,
        encoding(&provider_key)?,
    );
    let mut v = Validation::new(Algorithm::ES256);
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    let mut id_header = Header::new(Algorithm::ES256);
    id_header.kid = Some("k1".into());
    let id_claims = json!({"iss": "https://idp", "aud": "c", "sub": oidc_rp::random_text(),
        "iat": now, "exp": now + 300, "auth_time": now, "nonce": oidc_rp::random_text(),
        "acr": "urn:dinhdanh:acr:level-2", "amr": ["pin", "swk"], "sid": oidc_rp::random_text(),
        "name": "Nguyễn Thị Lan"});
    let started = Instant::now();
    for _ in 0..count {
        jsonwebtoken::decode::<Value>(&assertion, &client_dk, &v)?;
        jsonwebtoken::decode::<Value>(&proof, &dpop_dk, &v)?;
        std::hint::black_box(jsonwebtoken::encode(&id_header, &id_claims, &provider_ek)?);
    }
    Ok(count as f64 / started.elapsed().as_secs_f64().max(f64::EPSILON))
}

// ---------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn print_latency(rows: &[LatencyRow], runs: usize) {
    println!();
    println!("1. Approve on the phone -> the service holds a verified ID token (loopback)");
    println!(
        "{:<11} {:<43} {:>5} {:>8} {:>8} {:>8} {:>8} {:>10}",
        "backend", "what", "n", "mean ms", "p50 ms", "p90 ms", "p99 ms", "p50 ratio"
    );
    println!("{}", "-".repeat(107));
    for row in rows {
        let base = rows
            .iter()
            .find(|r| r.backend == row.backend && r.what.starts_with("baseline"))
            .map(|r| r.percentile(50));
        let ratio = base.map_or(String::from("-"), |b| {
            format!(
                "{:.1}x",
                row.percentile(50).as_secs_f64() / b.as_secs_f64().max(f64::EPSILON)
            )
        });
        println!(
            "{:<11} {:<43} {:>5} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>10}",
            row.backend,
            row.what,
            row.samples.len(),
            ms(row.mean()),
            ms(row.percentile(50)),
            ms(row.percentile(90)),
            ms(row.percentile(99)),
            ratio
        );
    }
    println!(
        "{runs} runs per row after {WARM_UP} warm-up runs. The clock starts as the phone \
         (dinhdanh-client) sends its approval: a challenge, the passcode key's signature (the \
         key derived before, as the app does once the passcode is typed), the approval; then \
         the page's socket is told, the browser continues, the service redeems the code (client \
         assertion, DPoP, PKCE) and checks the ID token against the JWKS it fetched before. \
         \"p50 ratio\": the row's median over the same backend's baseline median."
    );
}

fn print_throughput(rows: &[RateRow], floor: f64, callers: usize) {
    let n = cores();
    println!();
    println!("2. Token endpoint throughput ({n} cores shared by server and callers)");
    println!(
        "{:<11} {:<40} {:>7} {:>6} {:>9} {:>10} {:>10} {:>10}",
        "backend", "what", "callers", "n", "req/s", "per core", "vs JWKS", "vs crypto"
    );
    println!("{}", "-".repeat(110));
    for row in rows {
        let jwks = rows
            .iter()
            .find(|r| {
                r.backend == row.backend
                    && r.callers == row.callers
                    && r.what.starts_with("baseline")
            })
            .map(RateRow::per_second);
        let vs_jwks = jwks.map_or(String::from("-"), |j| {
            format!("{:.2}", row.per_second() / j.max(f64::EPSILON))
        });
        println!(
            "{:<11} {:<40} {:>7} {:>6} {:>9.0} {:>10.0} {:>10} {:>10.2}",
            row.backend,
            row.what,
            row.callers,
            row.count,
            row.per_second(),
            row.per_core(),
            vs_jwks,
            row.per_core() / floor.max(f64::EPSILON)
        );
    }
    println!(
        "{:<11} {:<40} {:>7} {:>6} {:>9.0} {:>10.0} {:>10} {:>10.2}",
        "(in-proc)", "baseline: 2 ES256 verify + 1 sign", 1, "-", floor, floor, "-", 1.0
    );
    println!(
        "Every code was made by a real approval on the phone before the clock; each request's \
         client assertion and DPoP proof were signed before it too. Callers: 1 and {callers}, \
         each on its own keep-alive connection. \"per core\": req/s over all {n} cores (the \
         callers' share included). \"vs JWKS\": over the JWKS endpoint's req/s with the same \
         callers (the HTTP floor). \"vs crypto\": per core over the token endpoint's own \
         cryptography on one thread (the floor any storage adds to). \"sign-in up to the code\" \
         is PAR, authorization, the phone's read and approval and the browser's continuation, \
         the relying party's and the phone's signing included."
    );
}

fn print_keycloak(rows: &[RateRow]) {
    let best = |what: &str| {
        rows.iter()
            .filter(|r| r.what == what)
            .map(RateRow::per_core)
            .fold(0.0_f64, f64::max)
    };
    println!();
    println!("3. Beside Keycloak's published sizing (a rough scale, not a comparison)");
    println!("{:<58} {:>16} {:>16}", "", "Keycloak /vCPU", "ours /core");
    println!("{}", "-".repeat(92));
    println!(
        "{:<58} {:>16} {:>16.0}",
        "password logins/s  |  phone-approved sign-ins to a code/s",
        15,
        best("sign-in up to the code (PAR..continue)")
    );
    println!(
        "{:<58} {:>16} {:>16.0}",
        "client-credential grants/s  |  code redemptions/s",
        120,
        best("token endpoint")
    );
    println!(
        "{:<58} {:>16} {:>16}",
        "refresh-token grants/s  |  (no refresh tokens here)", 120, "-"
    );
    println!(
        "Keycloak: {KEYCLOAK_SIZING_URL} (\"for each 15 password-based user logins per second, \
         allocate 1 vCPU\", \"120 client credential grants\", \"120 refresh token requests\"; \
         measured on a 3-node cluster with TLS, PostgreSQL and 150% head-room advised). Not \
         the same work: their login is dominated by the password hash and their grants by new \
         TLS connections (each client one request); ours has no TLS (loopback HTTP, keep-alive), \
         no password, but a phone's signature checked per approval and per token request two \
         ES256 checks, a code redemption and an ES256 ID token; best of the backends and caller \
         counts above, per core of this machine."
    );
}
