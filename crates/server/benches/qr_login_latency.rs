//! Benchmark (not a test): time from the phone's approval of a QR login to the desktop holding
//! its session token, over many runs against a real server on loopback, with a polling design
//! measured in the same run as the baseline. Printed as a table.
//!
//! ```sh
//! cargo bench -p dinhdanh-server --bench qr_login_latency
//! DINHDANH_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench -p dinhdanh-server --bench qr_login_latency
//! ```
//!
//! Each run: the desktop opens a rendezvous with a fresh ephemeral key; the phone's approval is
//! confirmed with its passcode (a real challenge and real P-256 signatures, prepared before the
//! clock starts); after a random pause of 0–100 ms (so the polling phase is sampled evenly) the
//! clock starts as the approval is sent, and stops when the desktop has the token in hand.
//!
//! - **push**: the desktop waits on its WebSocket (`GET /v1/qr-login/{r}/events`); the server
//!   wakes it when the approval is stored (in-process, and on PostgreSQL through
//!   LISTEN/NOTIFY).
//! - **push, two instances** (PostgreSQL only): the desktop's socket on one instance, the
//!   phone's approval at another; the wake-up crosses by LISTEN/NOTIFY.
//! - **poll 100 ms** (baseline): the desktop asks every 100 ms whether the login was answered
//!   — one HTTP round trip to the server plus the read of the rendezvous row a status route
//!   would make — and, once it was, collects the token (the events socket then answers at
//!   once). The API has no status route on purpose: the bench stands one in from a request to
//!   `GET /v1/health` and the row read, which is what such a route would cost.
//!
//! Runs: `DINHDANH_BENCH_QR_RUNS` (default 200). PostgreSQL rows when
//! `DINHDANH_TEST_POSTGRES_URL` (or `DINHDANH_BENCH_POSTGRES_URL`) names a server.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/identity/mod.rs"]
mod identity;
#[path = "../tests/qr_desktop/mod.rs"]
mod qr_desktop;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{Auth, TestServer};
use dinhdanh_core::api::{QrLoginEvent, paths};
use dinhdanh_core::signed_action::Origin;
use dinhdanh_server::testing::ServerKeys;
use futures_util::StreamExt;
use qr_desktop::{Socket, approval, approve, open_events, start};
use rand_core::{OsRng, RngCore};
use tokio_tungstenite::tungstenite::Message;

/// How often the baseline desktop polls.
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// The interval RFC 8628 (device authorization grant) recommends by default.
const RFC_8628_INTERVAL_SECS: f64 = 5.0;

/// One row of the table.
struct Row {
    backend: &'static str,
    design: &'static str,
    samples: Vec<Duration>,
}

impl Row {
    fn percentile(&self, p: usize) -> Duration {
        let mut sorted = self.samples.clone();
        sorted.sort();
        let i = (sorted.len() * p / 100).min(sorted.len().saturating_sub(1));
        sorted.get(i).copied().unwrap_or_default()
    }

    fn max(&self) -> Duration {
        self.samples.iter().max().copied().unwrap_or_default()
    }

    fn mean(&self) -> Duration {
        let n = u32::try_from(self.samples.len()).unwrap_or(u32::MAX).max(1);
        self.samples.iter().sum::<Duration>() / n
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Design {
    Push,
    Poll,
}

fn main() -> anyhow::Result<()> {
    // Two workers: the machine the figures are taken on has two cores, shared by the server,
    // the phone and the desktop.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let runs = std::env::var("DINHDANH_BENCH_QR_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n: &usize| *n > 0)
        .unwrap_or(200);
    let mut rows = Vec::new();

    let dir = temp_dir("sqlite");
    let url = dinhdanh_server::testing::sqlite_url(&dir);
    let t = server(dir, url, ServerKeys::generate(), None).await;
    rows.push(measure("SQLite", "push (WebSocket)", &t, &t, Design::Push, runs).await?);
    rows.push(measure("SQLite", "poll every 100 ms", &t, &t, Design::Poll, runs).await?);
    drop(t);

    let admin = ["DINHDANH_TEST_POSTGRES_URL", "DINHDANH_BENCH_POSTGRES_URL"]
        .into_iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()));
    match admin {
        Some(admin) => {
            let (dir_a, dir_b) = (temp_dir("pg-a"), temp_dir("pg-b"));
            let url = dinhdanh_server::testing::fresh_postgres_database(&admin).await?;
            // Both instances share the server keys (as a deployment does through
            // `DINHDANH_SERVER_KEYS`) and one public origin, as behind a load balancer.
            let keys_dir = temp_dir("pg-keys");
            let keys = || ServerKeys::load_or_create(&keys_dir);
            let a = server(dir_a, url.clone(), keys()?, None).await;
            let b = server(dir_b, url, keys()?, Some(a.origin())).await;
            let _ = std::fs::remove_dir_all(&keys_dir);
            rows.push(measure("PostgreSQL", "push (WebSocket)", &a, &a, Design::Push, runs).await?);
            rows.push(
                measure(
                    "PostgreSQL",
                    "push, two instances (NOTIFY)",
                    &a,
                    &b,
                    Design::Push,
                    runs,
                )
                .await?,
            );
            rows.push(
                measure(
                    "PostgreSQL",
                    "poll every 100 ms",
                    &a,
                    &a,
                    Design::Poll,
                    runs,
                )
                .await?,
            );
        }
        None => eprintln!("(PostgreSQL skipped: set DINHDANH_TEST_POSTGRES_URL to include it)"),
    }
    print_table(&rows, runs);
    Ok(())
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "dd-bench-{tag}-{}",
        dinhdanh_server::testing::unique_name("b")
    ));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// A server without the per-address rate limit (every request of the bench comes from
/// 127.0.0.1), with these keys, behind `origin` when given (else its own loopback address).
async fn server(dir: PathBuf, url: String, keys: ServerKeys, origin: Option<Origin>) -> TestServer {
    TestServer::start_with(dir, url, keys, |c| {
        c.limits.requests_per_ip = i64::MAX / 2;
        if let Some(origin) = origin {
            c.origin = origin;
        }
    })
    .await
}

/// `runs` logins: the phone at `phone_at`, the desktop at `desktop_at`.
async fn measure(
    backend: &'static str,
    design_name: &'static str,
    phone_at: &TestServer,
    desktop_at: &TestServer,
    design: Design,
    runs: usize,
) -> anyhow::Result<Row> {
    eprintln!("{backend}: {design_name} × {runs}");
    let (_p, device, _, phone) = identity::signed_in(phone_at).await;
    let mut row = Row {
        backend,
        design: design_name,
        samples: Vec::with_capacity(runs),
    };
    // A few runs first to warm connections and caches; not counted.
    for i in 0..runs + 10 {
        let (key, payload) = start(desktop_at).await;
        let confirmed = approval(
            phone_at,
            &phone,
            &device,
            &payload,
            payload.approval_body(None),
        )
        .await;
        let pause = Duration::from_micros(u64::from(OsRng.next_u32() % 100_000));
        let took = match design {
            Design::Push => {
                let mut socket = open_events(desktop_at, &key, &payload).await;
                tokio::time::sleep(pause).await;
                let sent = Instant::now();
                let (resp, got) = tokio::join!(
                    approve(phone_at, &phone, &payload, &confirmed),
                    token_from(&mut socket)
                );
                anyhow::ensure!(resp.status() == 204, "approval: {}", resp.status());
                got?.duration_since(sent)
            }
            Design::Poll => {
                let poller = poll_until_answered(desktop_at, &payload);
                let approver = async {
                    tokio::time::sleep(pause).await;
                    let sent = Instant::now();
                    let resp = approve(phone_at, &phone, &payload, &confirmed).await;
                    (resp, sent)
                };
                let (answered, (resp, sent)) = tokio::join!(poller, approver);
                anyhow::ensure!(resp.status() == 204, "approval: {}", resp.status());
                answered?;
                let mut socket = open_events(desktop_at, &key, &payload).await;
                token_from(&mut socket).await?.duration_since(sent)
            }
        };
        if i >= 10 {
            row.samples.push(took);
        }
    }
    Ok(row)
}

/// When the desktop held the token pushed on its socket.
async fn token_from(socket: &mut Socket) -> anyhow::Result<Instant> {
    let msg = tokio::time::timeout(Duration::from_secs(30), socket.next())
        .await
        .map_err(|_| anyhow::anyhow!("no event within 30 s"))?
        .ok_or_else(|| anyhow::anyhow!("the socket closed"))??;
    let at = Instant::now();
    let Message::Text(text) = msg else {
        anyhow::bail!("expected a text event");
    };
    match serde_json::from_str::<QrLoginEvent>(text.as_str())? {
        QrLoginEvent::Approved { .. } => Ok(at),
        other => anyhow::bail!("expected approval, got {other:?}"),
    }
}

/// The polling desktop: every [`POLL_INTERVAL`], one round trip to the server and the read a
/// status route would make, until the rendezvous is answered.
async fn poll_until_answered(
    t: &TestServer,
    payload: &dinhdanh_core::qr_login::QrLoginPayload,
) -> anyhow::Result<()> {
    let mut ticks = tokio::time::interval(POLL_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for _ in 0..600 {
        ticks.tick().await;
        let resp = t.get(paths::HEALTH, Auth::None).await;
        anyhow::ensure!(resp.status() == 200, "poll: {}", resp.status());
        let state: Option<String> =
            sqlx::query_scalar("SELECT state FROM qr_logins WHERE rendezvous = $1")
                .bind(payload.rendezvous().to_string())
                .fetch_optional(&t.state().pool)
                .await?;
        if state.as_deref() == Some("approved") {
            return Ok(());
        }
    }
    anyhow::bail!("not answered within a minute of polling")
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn print_table(rows: &[Row], runs: usize) {
    println!();
    println!(
        "{:<11} {:<30} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}",
        "backend", "design", "n", "mean ms", "p50 ms", "p90 ms", "p99 ms", "max ms", "p50 ratio"
    );
    println!("{}", "-".repeat(109));
    for row in rows {
        let push_p50 = rows
            .iter()
            .find(|r| r.backend == row.backend && r.design.starts_with("push (WebSocket)"))
            .map(|r| r.percentile(50));
        let ratio = push_p50.map_or(String::from("-"), |p| {
            format!(
                "{:.1}x",
                row.percentile(50).as_secs_f64() / p.as_secs_f64().max(f64::EPSILON)
            )
        });
        println!(
            "{:<11} {:<30} {:>5} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>10}",
            row.backend,
            row.design,
            row.samples.len(),
            ms(row.mean()),
            ms(row.percentile(50)),
            ms(row.percentile(90)),
            ms(row.percentile(99)),
            ms(row.max()),
            ratio
        );
    }
    let rfc_mean = RFC_8628_INTERVAL_SECS / 2.0 * 1000.0;
    println!(
        "{:<11} {:<30} {:>5} {:>9.0} {:>9.0} {:>9.0} {:>9.0} {:>9.0} {:>10}",
        "(analytic)",
        "poll every 5 s (RFC 8628)",
        "-",
        rfc_mean,
        rfc_mean,
        RFC_8628_INTERVAL_SECS * 0.9 * 1000.0,
        RFC_8628_INTERVAL_SECS * 0.99 * 1000.0,
        RFC_8628_INTERVAL_SECS * 1000.0,
        "-"
    );
    println!();
    println!(
        "Approval sent -> desktop holds its token, {runs} runs per row after 10 warm-up runs, \
         real signatures, loopback, server and both clients on one 2-worker runtime. \"p50 \
         ratio\" is the row's median over the same backend's push median. The RFC 8628 line \
         is analytic: with the default 5-s interval and the answer landing at a uniformly \
         random point of it, the wait is uniform on 0-5 s (mean 2.5 s) before any round trip."
    );
}
