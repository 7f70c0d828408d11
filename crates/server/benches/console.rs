//! Benchmark (not a test): the officer console's pages at national size — a registry of
//! 1,000,000 organisations, 100,000 registration requests and 200,000 registered organisations
//! across the 34 provinces — on SQLite and, when `DINHDANH_BENCH_POSTGRES_URL` names a server,
//! on PostgreSQL; server time per page (p50, p95), printed as a table with ratios against the
//! unauthenticated health check measured in the same run (issue 16's bench).
//!
//! ```sh
//! cargo bench -p dinhdanh-server --bench console
//! DINHDANH_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench -p dinhdanh-server --bench console
//! ```
//!
//! The rows are generated from a fixed seed at bench time, never committed, and written with
//! multi-row `INSERT`s in one transaction per table (the bench measures the pages, not the
//! loading; the load time is printed). Requests spread over the provinces as the population
//! does roughly: Hà Nội and Hồ Chí Minh City hold a quarter each of a tenth-weighted share, the
//! rest evenly; half of them wait for an officer. Their details are an opaque blob: the pages
//! measured (queue, dashboard, CSV) never decrypt details. Sizes: `DINHDANH_BENCH_REGISTRY`
//! (default 1,000,000), `DINHDANH_BENCH_REQUESTS` (100,000), `DINHDANH_BENCH_ORGANISATIONS`
//! (200,000), `DINHDANH_BENCH_SAMPLES` (per page, 30).
//!
//! The console session is made without the sign-in (`testing::console::session_cookie`): the
//! sign-in is the OpenID bench's subject.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/identity/mod.rs"]
mod identity;

use std::time::{Duration, Instant};

use common::{Auth, TestServer};
use dinhdanh_core::api::paths;
use dinhdanh_core::ids::NewProvince;
use dinhdanh_server::testing::{ServerKeys, console, officers};

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

struct Row {
    backend: &'static str,
    what: String,
    samples: Vec<Duration>,
}

impl Row {
    fn percentile(&self, p: usize) -> Duration {
        let mut sorted = self.samples.clone();
        sorted.sort();
        let i = (sorted.len() * p / 100).min(sorted.len().saturating_sub(1));
        sorted.get(i).copied().unwrap_or_default()
    }
}

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let mut rows = Vec::new();
    let dir = temp_dir("sqlite");
    let url = dinhdanh_server::testing::sqlite_url(&dir);
    rows.extend(bench_backend("SQLite", dir, url).await?);
    // Printed now too, so a failure on the other backend does not lose it.
    print_table(&rows);
    match std::env::var("DINHDANH_BENCH_POSTGRES_URL") {
        Ok(admin) if !admin.is_empty() => {
            let url = dinhdanh_server::testing::fresh_postgres_database(&admin).await?;
            rows.extend(bench_backend("PostgreSQL", temp_dir("pg"), url).await?);
        }
        _ => eprintln!("(PostgreSQL skipped: set DINHDANH_BENCH_POSTGRES_URL to include it)"),
    }
    print_table(&rows);
    Ok(())
}

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "dd-bench-console-{tag}-{}",
        dinhdanh_server::testing::unique_name("b")
    ));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// A small deterministic generator (SplitMix64): the same rows on every run.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// A province, Hà Nội and Hồ Chí Minh City weighted as the two largest.
    fn province(&mut self) -> NewProvince {
        let all = NewProvince::all();
        match self.below(10) {
            0 | 1 => NewProvince::parse("ha_noi").unwrap_or(all[0]),
            2 | 3 => NewProvince::parse("ho_chi_minh").unwrap_or(all[0]),
            _ => all[usize::try_from(self.below(all.len() as u64)).unwrap_or(0)],
        }
    }
}

/// Inserts `n` rows made by `row` into `table` (`columns`), 500 to a statement, in one
/// transaction; the time it took.
async fn load(
    pool: &sqlx::AnyPool,
    table: &str,
    columns: &[&str],
    n: usize,
    mut row: impl FnMut(usize) -> Vec<Value>,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut tx = pool.begin().await?;
    let per = 500usize;
    let mut i = 0;
    while i < n {
        let batch = per.min(n - i);
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut k = 1;
        for r in 0..batch {
            if r > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 0..columns.len() {
                if c > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("${k}"));
                k += 1;
            }
            sql.push(')');
        }
        let mut query = sqlx::query(&sql);
        for r in 0..batch {
            for v in row(i + r) {
                query = match v {
                    Value::Text(t) => query.bind(t),
                    Value::Int(n) => query.bind(n),
                    Value::Null => query.bind(None::<String>),
                    Value::NullInt => query.bind(None::<i64>),
                    Value::Blob(b) => query.bind(b),
                };
            }
        }
        query.execute(&mut *tx).await?;
        i += batch;
        if i % 100_000 < per {
            eprint!("\r  {table}: {i}/{n}");
        }
    }
    tx.commit().await?;
    eprintln!();
    Ok(started.elapsed())
}

enum Value {
    Text(String),
    Int(i64),
    /// A text column's NULL.
    Null,
    /// A number column's NULL (PostgreSQL types a parameter by its column).
    NullInt,
    Blob(Vec<u8>),
}

async fn bench_backend(
    backend: &'static str,
    dir: std::path::PathBuf,
    url: String,
) -> anyhow::Result<Vec<Row>> {
    let registry_size = env_count("DINHDANH_BENCH_REGISTRY", 1_000_000);
    let requests = env_count("DINHDANH_BENCH_REQUESTS", 100_000);
    let organisations = env_count("DINHDANH_BENCH_ORGANISATIONS", 200_000);
    let samples = env_count("DINHDANH_BENCH_SAMPLES", 30);

    eprintln!("{backend}: setting up");
    let t = TestServer::start_on(dir, url, ServerKeys::generate()).await;
    let pool = t.state().pool.clone();
    let officer = identity::person(&t, false).await;
    officers::grant_officer(
        t.state(),
        &officer.citizen_id,
        NewProvince::parse("ha_noi")?,
    )
    .await?;
    let national = identity::person(&t, false).await;
    officers::grant_national_officer(t.state(), &national.citizen_id).await?;
    let now = t.now();

    let mut g = Seeded(16);
    let registries = ["business", "cooperative", "tax"];
    let took = load(
        &pool,
        "registry_organisations",
        &[
            "registry",
            "code",
            "agency_code",
            "name_vi",
            "address",
            "province",
            "established_on",
            "status",
            "updated_at",
        ],
        registry_size,
        |i| {
            let registry = match g.below(100) {
                0..=84 => registries[0],
                85..=92 => registries[1],
                _ => registries[2],
            };
            let status = if g.below(10) == 0 {
                "dissolved"
            } else {
                "active"
            };
            vec![
                Value::Text(registry.into()),
                Value::Text(format!("9{i:09}")),
                Value::Null,
                Value::Text(format!("Tổ chức số {i}")),
                Value::Text("Số 1 phố Bench".into()),
                Value::Text(g.province().key().into()),
                Value::Text("2010-01-01".into()),
                Value::Text(status.into()),
                Value::Int(now),
            ]
        },
    )
    .await?;
    eprintln!("  registry: {registry_size} rows in {took:.1?}");

    let types = [
        "enterprise",
        "cooperative",
        "organisation_with_tax_code",
        "organisation_without_registration",
    ];
    let statuses = [
        "awaiting_officer",
        "information_requested",
        "approved",
        "rejected",
        "withdrawn",
    ];
    let requester = officer.account.as_str().to_owned();
    // The keyed hash of the requester's number (migration 0020), as filing stores it.
    let requester_key = t.state().keys.citizen_key(&officer.citizen_id);
    let took = load(
        &pool,
        "registrations",
        &[
            "id",
            "requester",
            "org_type",
            "org_key",
            "name_vi",
            "province",
            "capacity",
            "details_enc",
            "status",
            "is_open",
            "reason",
            "submitted_at",
            "due_on",
            "decided_at",
            "requester_key",
        ],
        requests,
        |i| {
            // Half wait for an officer; the rest are decided.
            let status = match g.below(10) {
                0..=3 => statuses[0],
                4 => statuses[1],
                5..=7 => statuses[2],
                8 => statuses[3],
                _ => statuses[4],
            };
            let open = matches!(status, "awaiting_officer" | "information_requested");
            let submitted = now - i64::try_from(g.below(120 * 86_400)).unwrap_or(0);
            let due = chrono::DateTime::from_timestamp(submitted + 15 * 86_400, 0)
                .map(|d| d.date_naive().to_string())
                .unwrap_or_default();
            vec![
                Value::Text(format!("reg_bench{i:010}")),
                Value::Text(requester.clone()),
                Value::Text(types[usize::try_from(g.below(4)).unwrap_or(0)].into()),
                Value::Text(format!("bench:{i}")),
                Value::Text(format!("Tổ chức đăng ký số {i}")),
                Value::Text(g.province().key().into()),
                Value::Text("legal_representative".into()),
                Value::Blob(vec![0u8; 64]),
                Value::Text(status.into()),
                Value::Int(i64::from(open)),
                if open {
                    Value::Text("no_registry".into())
                } else {
                    Value::Null
                },
                Value::Int(submitted),
                Value::Text(due),
                if open {
                    Value::NullInt
                } else {
                    Value::Int(submitted + i64::try_from(g.below(20 * 86_400)).unwrap_or(0))
                },
                Value::Blob(requester_key.clone()),
            ]
        },
    )
    .await?;
    eprintln!("  registrations: {requests} rows in {took:.1?}");

    let took = load(
        &pool,
        "organisations",
        &[
            "eid",
            "serial",
            "org_type",
            "name_vi",
            "province",
            "details_enc",
            "registered_by",
            "status",
            "created_at",
            "registered_by_key",
        ],
        organisations,
        |i| {
            vec![
                Value::Text(format!("TB{i:011}")),
                Value::Int(1_000_000_000 + i64::try_from(i).unwrap_or(0)),
                Value::Text(types[usize::try_from(g.below(4)).unwrap_or(0)].into()),
                Value::Text(format!("Tổ chức đã định danh số {i}")),
                Value::Text(g.province().key().into()),
                Value::Blob(vec![0u8; 64]),
                Value::Text(requester.clone()),
                Value::Text(if g.below(50) == 0 { "locked" } else { "active" }.into()),
                Value::Int(now),
                Value::Blob(requester_key.clone()),
            ]
        },
    )
    .await?;
    eprintln!("  organisations: {organisations} rows in {took:.1?}");
    if backend == "PostgreSQL" {
        // Statistics and the visibility map, as autovacuum leaves a running deployment's
        // tables: without the map an index-only scan reads the table's pages too, and whether
        // autovacuum had reached the just-loaded tables during the samples decided the numbers.
        sqlx::query("VACUUM (ANALYZE)").execute(&pool).await?;
    }

    let provincial = console::session_cookie(t.state(), &officer.account).await?;
    let everywhere = console::session_cookie(t.state(), &national.account).await?;
    let http = reqwest::Client::new();
    let base = t.server.base_url();
    let page = |cookie: &str, path: &str| {
        http.get(format!("{base}{path}"))
            .header("cookie", cookie.to_owned())
            .send()
    };

    let mut rows = Vec::new();
    // Warm up.
    for _ in 0..20 {
        t.get(paths::HEALTH, Auth::None).await;
    }
    let mut baseline = Row {
        backend,
        what: "baseline: GET /v1/health".into(),
        samples: Vec::new(),
    };
    for _ in 0..samples * 10 {
        let t0 = Instant::now();
        let resp = t.get(paths::HEALTH, Auth::None).await;
        anyhow::ensure!(resp.status() == 200);
        baseline.samples.push(t0.elapsed());
    }
    rows.push(baseline);

    // Page 100 is reached as an officer does, by the pages' `next` links (not timed).
    let mut page_100 = "/console/".to_owned();
    for _ in 1..100 {
        let body = page(&provincial, &page_100).await?.text().await?;
        let doc = dom_query::Document::from(body.as_str());
        let next = doc.select("a[rel='next']").attr("href");
        page_100 = next
            .ok_or_else(|| anyhow::anyhow!("no page after {page_100}"))?
            .to_string();
    }
    let cases: [(&str, &str, &str); 6] = [
        ("queue, first page (Hà Nội)", &provincial, "/console/"),
        ("queue, page 100 (Hà Nội)", &provincial, &page_100),
        (
            "queue, one type's filter (Hà Nội)",
            &provincial,
            "/console/?type=cooperative",
        ),
        ("dashboard (Hà Nội)", &provincial, "/console/dashboard"),
        ("dashboard (national)", &everywhere, "/console/dashboard"),
        ("CSV (national)", &everywhere, "/console/dashboard.csv"),
    ];
    for (what, cookie, path) in cases {
        eprintln!("{backend}: {what}");
        // A session ends after 15 idle minutes on the server's clock, which the bench does
        // not move; each request touches it anyway.
        let first = page(cookie, path).await?;
        anyhow::ensure!(first.status() == 200, "{path}: {}", first.status());
        let body = first.text().await?;
        anyhow::ensure!(body.len() > 1000, "{path}: {body}");
        let mut row = Row {
            backend,
            what: what.into(),
            samples: Vec::new(),
        };
        for _ in 0..samples {
            let t0 = Instant::now();
            let resp = page(cookie, path).await?;
            let status = resp.status();
            let _ = resp.bytes().await?;
            anyhow::ensure!(status == 200, "{path}: {status}");
            row.samples.push(t0.elapsed());
        }
        rows.push(row);
    }
    Ok(rows)
}

fn print_table(rows: &[Row]) {
    println!();
    println!("| backend | what | p50 | p95 | p95 / baseline p95 |");
    println!("| --- | --- | --- | --- | --- |");
    for r in rows {
        let baseline = rows
            .iter()
            .find(|b| b.backend == r.backend && b.what.starts_with("baseline"))
            .map(|b| b.percentile(95))
            .unwrap_or_default();
        let ratio = r.percentile(95).as_secs_f64() / baseline.as_secs_f64().max(f64::EPSILON);
        println!(
            "| {} | {} | {:.2} ms | {:.2} ms | {:.0}× |",
            r.backend,
            r.what,
            r.percentile(50).as_secs_f64() * 1000.0,
            r.percentile(95).as_secs_f64() * 1000.0,
            ratio
        );
    }
}
