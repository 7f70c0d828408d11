//! Benchmark (not a test): registry look-ups against the full shipped registry, and
//! organisation registrations per second end to end, on SQLite and — when
//! `DINHDANH_BENCH_POSTGRES_URL` names a server — on PostgreSQL, printed as one table with
//! ratios against the unauthenticated health check measured in the same run.
//!
//! ```sh
//! cargo bench -p dinhdanh-server --bench registry
//! DINHDANH_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench -p dinhdanh-server --bench registry
//! ```
//!
//! Like the `throughput` bench, everything runs on one tokio current-thread runtime, so the
//! server and the client share one core, and HTTP requests are sequential over one keep-alive
//! connection. Each backend gets a fresh database loaded the way `dinhdanh-server seed` loads
//! it: the citizen registry (`seed::seed_citizen_registry`) and the organisation registries
//! (`registry::seed_registry`, all of `data/registry.csv`).
//!
//! - baseline: `GET /v1/health`, no authentication, no database;
//! - registry look-up, hit: `registry::adapter(state, kind).lookup(&code)` in process (no
//!   HTTP) for codes drawn at random from the file, each asked of its own registry;
//! - registry look-up, miss: the same for valid tax codes the registry does not hold;
//! - registration, POST only: `POST /v1/registrations` with a confirmed submission for an
//!   organisation of the registry whose single legal representative is the requester, so the
//!   registry settles it and it is approved automatically (challenge consumed, two signatures
//!   verified, registry look-up and check, details encrypted, organisation account created,
//!   audit entries, inbox and outbox). The challenge is fetched and the action signed before
//!   the clock starts;
//! - registration, end to end: the same, timed from asking for the challenge to the answer.
//!
//! Requesters are real accounts: for each organisation, its representative from the citizen
//! registry gets a level-2 account (`accounts::create_account`), binds a device through the
//! two-step binding (the one-time code read from outbox.log) and signs in, with the test
//! harness's helpers. That set-up is not timed. Binding and sign-in are unauthenticated routes
//! limited per IP address (300 per 5 minutes), and every requester comes from 127.0.0.1, so the
//! set-up empties the `rate_limits` table between batches of requesters instead of moving the
//! clock (which would age the sessions already made).
//!
//! Sizes: `DINHDANH_BENCH_REQUESTS` (baseline, default 3000), `DINHDANH_BENCH_LOOKUPS` (hits,
//! default 5000), `DINHDANH_BENCH_MISSES` (default 500) and `DINHDANH_BENCH_REGISTRATIONS`
//! (requesters and registrations, default 400).

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/identity/mod.rs"]
mod identity;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use common::{Auth, Device, Session, TestServer};
use dinhdanh_core::api::{
    ChallengePurpose, RegistrationStatus, RegistrationSubmission, RegistrationView, paths,
};
use dinhdanh_core::ids::TaxCode;
use dinhdanh_core::org_type::{OrgType, OrganisationForm, RegistryKind, RepresentativeForm};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use dinhdanh_server::testing::ServerKeys;
use dinhdanh_server::testing::accounts::{self, CitizenRecord};
use dinhdanh_server::testing::registrations::vietnam_date;
use dinhdanh_server::testing::registry::{self, RegistryEntry, RegistryStatus};
use dinhdanh_server::testing::seed;
use rand_core::{OsRng, RngCore};

/// One row of the table.
struct Row {
    backend: &'static str,
    what: &'static str,
    samples: Vec<Duration>,
    total: Duration,
}

impl Row {
    fn new(backend: &'static str, what: &'static str, capacity: usize) -> Self {
        Row {
            backend,
            what,
            samples: Vec::with_capacity(capacity),
            total: Duration::ZERO,
        }
    }

    fn per_second(&self) -> f64 {
        self.samples.len() as f64 / self.total.as_secs_f64().max(f64::EPSILON)
    }

    fn percentile(&self, p: usize) -> Duration {
        let mut sorted = self.samples.clone();
        sorted.sort();
        let i = (sorted.len() * p / 100).min(sorted.len().saturating_sub(1));
        sorted.get(i).copied().unwrap_or_default()
    }
}

/// Sizes of one run.
#[derive(Clone, Copy)]
struct Sizes {
    requests: usize,
    lookups: usize,
    misses: usize,
    registrations: usize,
}

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

/// A uniform index below `n` (`n > 0`); the slight modulo bias does not matter here.
fn random_index(n: usize) -> usize {
    OsRng.next_u32() as usize % n.max(1)
}

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let sizes = Sizes {
        requests: env_count("DINHDANH_BENCH_REQUESTS", 3000),
        lookups: env_count("DINHDANH_BENCH_LOOKUPS", 5000),
        misses: env_count("DINHDANH_BENCH_MISSES", 500),
        registrations: env_count("DINHDANH_BENCH_REGISTRATIONS", 400),
    };
    let entries = registry::parse_registry(registry::REGISTRY_DATA)?;
    let people = accounts::parse_citizen_registry(seed::CITIZEN_REGISTRY)?;
    let mut rows = Vec::new();
    let mut notes = Vec::new();

    let dir = temp_dir("sqlite");
    let url = dinhdanh_server::testing::sqlite_url(&dir);
    let (r, n) = bench_backend("SQLite", dir, url, sizes, &entries, &people).await?;
    rows.extend(r);
    notes.push(n);

    match std::env::var("DINHDANH_BENCH_POSTGRES_URL") {
        Ok(admin) if !admin.is_empty() => {
            let url = dinhdanh_server::testing::fresh_postgres_database(&admin).await?;
            let (r, n) =
                bench_backend("PostgreSQL", temp_dir("pg"), url, sizes, &entries, &people).await?;
            rows.extend(r);
            notes.push(n);
        }
        _ => eprintln!("(PostgreSQL skipped: set DINHDANH_BENCH_POSTGRES_URL to include it)"),
    }
    print_table(&rows, &notes);
    Ok(())
}

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "dd-bench-{tag}-{}",
        dinhdanh_server::testing::unique_name("b")
    ));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// A requester: an organisation of the registry and its only legal representative, signed in.
struct Requester<'a> {
    entry: &'a RegistryEntry,
    person: identity::Person,
    device: Device,
    session: Session,
}

async fn bench_backend(
    backend: &'static str,
    dir: std::path::PathBuf,
    url: String,
    sizes: Sizes,
    entries: &[RegistryEntry],
    people: &[CitizenRecord],
) -> anyhow::Result<(Vec<Row>, String)> {
    eprintln!("{backend}: loading the citizen and organisation registries");
    let t = TestServer::start_on(dir, url, ServerKeys::generate()).await;
    let start = Instant::now();
    let citizens = seed::seed_citizen_registry(t.state()).await?;
    let citizens_took = start.elapsed();
    let start = Instant::now();
    let organisations = registry::seed_registry(t.state()).await?;
    let organisations_took = start.elapsed();
    let note = format!(
        "{backend}: loaded {citizens} people in {:.2} s and {organisations} organisations in \
         {:.2} s",
        citizens_took.as_secs_f64(),
        organisations_took.as_secs_f64()
    );

    // Warm up connections, caches and the allocator.
    for e in entries.iter().take(100) {
        t.get(paths::HEALTH, Auth::None).await;
        registry::adapter(t.state(), e.registry)
            .lookup(&e.code)
            .await?;
    }

    eprintln!("{backend}: baseline");
    let mut baseline = Row::new(
        backend,
        "baseline: GET /v1/health (unauthenticated)",
        sizes.requests,
    );
    let start = Instant::now();
    for _ in 0..sizes.requests {
        let t0 = Instant::now();
        let resp = t.get(paths::HEALTH, Auth::None).await;
        anyhow::ensure!(resp.status() == 200, "health: {}", resp.status());
        baseline.samples.push(t0.elapsed());
    }
    baseline.total = start.elapsed();

    eprintln!("{backend}: registry look-ups");
    let hits = lookups_hit(&t, backend, entries, sizes.lookups).await?;
    let misses = lookups_miss(&t, backend, entries, sizes.misses).await?;

    eprintln!(
        "{backend}: setting up {} requesters (accounts, device binding, sign-in)",
        sizes.registrations
    );
    let requesters = requesters(&t, entries, people, sizes.registrations).await?;

    eprintln!("{backend}: registrations");
    let (posts, full) = registrations(&t, backend, &requesters).await?;
    drop(t);
    // Whether a registration costs more as the tables fill: p50 of the first and last quarter.
    let quarter = (posts.samples.len() / 4).max(1);
    let p50_of = |samples: &[Duration]| {
        let mut s = samples.to_vec();
        s.sort();
        s.get(s.len() / 2)
            .copied()
            .unwrap_or_default()
            .as_secs_f64()
            * 1000.0
    };
    let first = posts.samples.get(..quarter).map_or(0.0, p50_of);
    let last = posts
        .samples
        .get(posts.samples.len().saturating_sub(quarter)..)
        .map_or(0.0, p50_of);
    let note = format!(
        "{note}; registration POST p50 {first:.3} ms over the first quarter, {last:.3} ms over \
         the last"
    );
    Ok((vec![baseline, hits, misses, posts, full], note))
}

/// Look-ups of codes drawn at random from the registry file, each asked of its own registry.
async fn lookups_hit(
    t: &TestServer,
    backend: &'static str,
    entries: &[RegistryEntry],
    n: usize,
) -> anyhow::Result<Row> {
    let picks: Vec<&RegistryEntry> = (0..n)
        .filter_map(|_| entries.get(random_index(entries.len())))
        .collect();
    let mut row = Row::new(backend, "registry look-up, hit (in process)", n);
    let start = Instant::now();
    for e in picks {
        let t0 = Instant::now();
        let record = registry::adapter(t.state(), e.registry)
            .lookup(&e.code)
            .await?;
        row.samples.push(t0.elapsed());
        anyhow::ensure!(
            record.is_some_and(|r| r.name_vi == e.name_vi.as_str()),
            "look-up of {} found nothing or another organisation",
            e.code.as_str()
        );
    }
    row.total = start.elapsed();
    Ok(row)
}

/// Look-ups of valid tax codes the registry does not hold.
async fn lookups_miss(
    t: &TestServer,
    backend: &'static str,
    entries: &[RegistryEntry],
    n: usize,
) -> anyhow::Result<Row> {
    let known: HashSet<&str> = entries.iter().map(|e| e.code.as_str()).collect();
    let kinds = [
        RegistryKind::BusinessRegistry,
        RegistryKind::CooperativeRegistry,
        RegistryKind::TaxRegistry,
    ];
    let mut codes: Vec<(RegistryKind, TaxCode)> = Vec::with_capacity(n);
    while codes.len() < n {
        let body = 10_000_000 + OsRng.next_u32() % 890_000_000;
        if let Some(code) = TaxCode::from_body(body).filter(|c| !known.contains(c.as_str())) {
            let kind = kinds.get(codes.len() % kinds.len()).copied();
            codes.push((kind.unwrap_or(RegistryKind::BusinessRegistry), code));
        }
    }
    let mut row = Row::new(backend, "registry look-up, miss (in process)", n);
    let start = Instant::now();
    for (kind, code) in &codes {
        let t0 = Instant::now();
        let record = registry::adapter(t.state(), *kind).lookup(code).await?;
        row.samples.push(t0.elapsed());
        anyhow::ensure!(record.is_none(), "{} should be unknown", code.as_str());
    }
    row.total = start.elapsed();
    Ok(row)
}

/// Requesters for `n` active organisations with a single legal representative, each person
/// representing one of them: account, bound device, session.
async fn requesters<'a>(
    t: &TestServer,
    entries: &'a [RegistryEntry],
    people: &[CitizenRecord],
    n: usize,
) -> anyhow::Result<Vec<Requester<'a>>> {
    let by_id: HashMap<&str, &CitizenRecord> =
        people.iter().map(|p| (p.citizen_id.as_str(), p)).collect();
    let mut eligible: Vec<&RegistryEntry> = entries
        .iter()
        .filter(|e| e.status == RegistryStatus::Active && e.representatives.len() == 1)
        .collect();
    // Fisher–Yates, so the organisations (and their registries and provinces) are a random mix.
    for i in (1..eligible.len()).rev() {
        eligible.swap(i, random_index(i + 1));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(n);
    for entry in eligible {
        if out.len() == n {
            break;
        }
        let Some((rep_id, _)) = entry.representatives.first() else {
            continue;
        };
        let Some(record) = by_id.get(rep_id.as_str()) else {
            continue;
        };
        if !seen.insert(rep_id.as_str()) {
            continue;
        }
        if out.len() % 50 == 0 {
            // Set-up only: every requester binds and signs in from 127.0.0.1.
            sqlx::query("DELETE FROM rate_limits")
                .execute(&t.state().pool)
                .await?;
        }
        let password = "Matkhau#2025".to_owned();
        let account = accounts::create_account(
            t.state(),
            &record.citizen_id,
            &dinhdanh_core::ids::Password::parse(&password)
                .map_err(|_| anyhow::anyhow!("the bench password is refused"))?,
            dinhdanh_core::account::AccountLevel::Level2,
        )
        .await?;
        let person = identity::Person {
            citizen_id: record.citizen_id.clone(),
            password,
            phone: record.phone.as_str().to_owned(),
            email: record.email.as_ref().map(|e| e.as_str().to_owned()),
            account,
        };
        let device = Device::new();
        let view = identity::bind(t, &person, &device).await;
        let session = identity::sign_in(t, &person, &device, &view.id).await;
        out.push(Requester {
            entry,
            person,
            device,
            session,
        });
    }
    anyhow::ensure!(
        out.len() == n,
        "only {} organisations with a single representative of the citizen registry",
        out.len()
    );
    Ok(out)
}

/// The form the representative fills in, as the registry records the organisation.
fn form(r: &Requester<'_>) -> (OrgType, OrganisationForm) {
    let e = r.entry;
    let mut form = OrganisationForm {
        name_vi: e.name_vi.as_str().into(),
        established_on: e.established_on.format("%Y-%m-%d").to_string(),
        head_office_address: e.address.as_str().into(),
        head_office_province: e.province.key().into(),
        representatives: e
            .representatives
            .iter()
            .map(|(id, name)| RepresentativeForm {
                full_name: name.as_str().into(),
                citizen_id: id.as_str().into(),
            })
            .collect(),
        contact_phone: r.person.phone.clone(),
        ..OrganisationForm::default()
    };
    let org_type = match e.registry {
        RegistryKind::BusinessRegistry => {
            form.enterprise_code = e.code.as_str().into();
            OrgType::Enterprise
        }
        RegistryKind::CooperativeRegistry => {
            form.cooperative_code = e.code.as_str().into();
            OrgType::Cooperative
        }
        RegistryKind::TaxRegistry => {
            form.tax_code = e.code.as_str().into();
            form.agency_code = e
                .agency_code
                .as_ref()
                .map(|a| a.as_str().to_owned())
                .unwrap_or_default();
            OrgType::OrganisationWithTaxCode
        }
    };
    (org_type, form)
}

/// One confirmed, automatically approved registration per requester: the POST alone, and
/// challenge + signing + POST.
async fn registrations(
    t: &TestServer,
    backend: &'static str,
    requesters: &[Requester<'_>],
) -> anyhow::Result<(Row, Row)> {
    let n = requesters.len();
    let mut posts = Row::new(backend, "registration: POST /v1/registrations", n);
    let mut full = Row::new(backend, "registration end to end: challenge+sign+POST", n);
    let mut kinds: HashMap<&'static str, usize> = HashMap::new();
    let start = Instant::now();
    for r in requesters {
        let (org_type, form) = form(r);
        let details = form
            .validate_for_requester(org_type, &r.person.citizen_id, vietnam_date(t.now()))
            .map_err(|e| anyhow::anyhow!("{} does not validate: {e:?}", r.entry.code.as_str()))?;
        let t0 = Instant::now();
        let challenge = t
            .challenge(
                ChallengePurpose::Action {
                    kind: ActionKind::RegisterOrganisation,
                },
                Some(&r.session),
            )
            .await;
        let body = r.device.confirm(
            t.now(),
            RegistrationSubmission::new(org_type, details, &r.person.citizen_id),
            ActionKind::RegisterOrganisation,
            t.origin(),
            challenge,
            &r.session.account,
            None,
            ActionTarget::new("registration", "new")?,
            identity::PASSCODE,
        );
        let t1 = Instant::now();
        let resp = t
            .post(paths::REGISTRATIONS, &body, Auth::Session(&r.session))
            .await;
        let done = Instant::now();
        posts.samples.push(done - t1);
        posts.total += done - t1;
        full.samples.push(done - t0);
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        anyhow::ensure!(status == 200, "registration: {status} {text}");
        let view: RegistrationView = serde_json::from_str(&text)?;
        anyhow::ensure!(
            view.status == RegistrationStatus::Approved,
            "{} was not approved automatically: {:?}",
            r.entry.code.as_str(),
            view.status
        );
        *kinds
            .entry(registry::registry_text(r.entry.registry))
            .or_default() += 1;
    }
    full.total = start.elapsed();
    let mut mix: Vec<_> = kinds.into_iter().collect();
    mix.sort();
    eprintln!("{backend}: registries of the organisations registered: {mix:?}");
    Ok((posts, full))
}

fn print_table(rows: &[Row], notes: &[String]) {
    println!();
    println!(
        "{:<11} {:<46} {:>7} {:>10} {:>9} {:>9} {:>9}",
        "backend", "measurement", "n", "per s", "p50 ms", "p99 ms", "vs base"
    );
    println!("{}", "-".repeat(107));
    let mut baseline_rate = None;
    for row in rows {
        if row.what.starts_with("baseline") {
            baseline_rate = Some(row.per_second());
        }
        let ratio = baseline_rate.map_or(String::from("-"), |b| {
            format!("{:.3}x", row.per_second() / b.max(f64::EPSILON))
        });
        println!(
            "{:<11} {:<46} {:>7} {:>10.0} {:>9.3} {:>9.3} {:>9}",
            row.backend,
            row.what,
            row.samples.len(),
            row.per_second(),
            row.percentile(50).as_secs_f64() * 1000.0,
            row.percentile(99).as_secs_f64() * 1000.0,
            ratio
        );
    }
    println!();
    for note in notes {
        println!("{note}");
    }
    println!(
        "One core: server and client share one tokio current-thread runtime; sequential \
         requests over one keep-alive connection. Look-ups call the registry adapter in \
         process (no HTTP) against the full shipped registry. \"per s\" of the POST row counts \
         the POSTs' own time; the end-to-end row counts wall time from the first challenge to \
         the last answer. Every registration is for a registry organisation whose only legal \
         representative is the requester, and is approved automatically. \"vs base\" is the \
         rate relative to the unauthenticated health check of the same backend, measured in \
         the same run."
    );
}
