//! Benchmark (not a test): the citizen and organisation registries at national size (issue 18,
//! point 3) — by default 10,000,000 people and 1,000,000 organisations — generated at bench
//! time from a fixed seed, loaded into SQLite and, when `DINHDANH_BENCH_POSTGRES_URL` names a
//! server, PostgreSQL through each one's bulk path with a progress bar and a rate; then the
//! look-ups the server makes in those registries, at that size.
//!
//! ```sh
//! cargo xtask bench-national                    # both backends (a throw-away cluster)
//! cargo xtask bench-national --people 1000000 --organisations 100000
//! DINHDANH_NATIONAL_PEOPLE=1000000 cargo bench -p dinhdanh-server --bench national
//! ```
//!
//! **Data.** xtask's generators (`xtask/src/citizens.rs` and `registry.rs`, included below),
//! in their streamed form: `national::People` and `national::Organisations` make one row at a
//! time and keep nothing per row, on a thread of their own; rows reach the loader in chunks of
//! file text, which the server's own parsers read (`parse_citizen_registry`,
//! `parse_registry`), as a registry file would be read. Never written to disk, never
//! committed. Sizes: `DINHDANH_NATIONAL_PEOPLE` (default 10,000,000),
//! `DINHDANH_NATIONAL_ORGANISATIONS` (1,000,000), `DINHDANH_BENCH_LOOKUPS` (per look-up
//! row, 5,000). `DINHDANH_NATIONAL_BACKENDS` (a comma list of `sqlite` and `postgres`,
//! default both) runs one backend alone: SQLite's load takes most of a run's time.
//!
//! **Bulk paths.** SQLite: one connection, one transaction per registry, one prepared
//! single-row `INSERT` reused for every row (sqlx caches it), and for the load only
//! `synchronous = OFF`, a 2 GiB page cache and temporary data in memory (restored after).
//! Multi-row statements were measured too, at 100,000 people in one run: 25 rows a statement
//! loaded at 0.95× the single-row rate, 100 rows at 0.6–0.8×, 500 rows at 0.26× (through sqlx
//! a long statement costs more per row than it saves in calls).
//! PostgreSQL: `COPY … FROM STDIN` in text format (sqlx's `copy_in_raw`), organisations and
//! their representatives on two connections at once; `ANALYZE` after.
//!
//! **Baseline, same run, same backend.** The shipped size (the first 10,000 people of the same
//! stream and 1,000 organisations) loaded the way `dinhdanh-server seed` loads the shipped
//! files (200-row `INSERT`s with `ON CONFLICT`, one transaction), and the same look-ups on it.
//! The load table gives rows per second against that path; the look-up table gives p50 and
//! p99 at both sizes and their ratio.
//!
//! **Look-ups** (in process, no HTTP, one at a time, after 100 unmeasured): the registry
//! adapter's look-up of an organisation (its record, then its representatives) for codes
//! sampled evenly across the load; of valid codes the registry does not hold; and a person's
//! record by identification number (keyed hash, one statement, decryption). The database
//! files stay in the operating system's page cache (this machine has the memory for it), so
//! these are the costs of the indexes, not of a cold disk.

#[path = "../tests/common/mod.rs"]
mod common;

// The generators, as xtask builds them; only their streamed forms are used here (and their
// unit tests are xtask's, which is why their imports may go unused).
#[allow(dead_code, unused_imports)]
#[path = "../../../xtask/src/citizens.rs"]
mod citizens;
#[allow(dead_code, unused_imports)]
#[path = "../../../xtask/src/registry.rs"]
mod registry_gen;

use std::time::{Duration, Instant};

use common::TestServer;
use dinhdanh_core::ids::{CitizenId, TaxCode};
use dinhdanh_core::org_type::RegistryKind;
use dinhdanh_server::testing::accounts::{self, NewCitizen};
use dinhdanh_server::testing::registry::{self, RegistryEntry, registry_text};
use dinhdanh_server::testing::{AppState, ServerKeys};
use indicatif::{ProgressBar, ProgressStyle};
use rand_core::{OsRng, RngCore};
use sqlx::Connection;

/// Rows per chunk the generator thread hands over.
const CHUNK: usize = 5_000;

/// The shipped size, loaded by the seed's path as the baseline.
const SMALL_PEOPLE: u64 = 10_000;
const SMALL_ORGANISATIONS: u64 = 1_000;

/// The issue's bound on a registry look-up at national size.
const LOOKUP_P99_BOUND: Duration = Duration::from_millis(2);

fn env_count(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

/// What one run measures.
#[derive(Clone, Copy)]
struct Sizes {
    people: u64,
    organisations: u64,
    lookups: usize,
}

/// One load: a registry into one backend by one path.
struct Load {
    backend: &'static str,
    what: &'static str,
    path: &'static str,
    rows: u64,
    took: Duration,
    /// Bytes the database grew by.
    bytes: u64,
}

impl Load {
    fn per_second(&self) -> f64 {
        self.rows as f64 / self.took.as_secs_f64().max(f64::EPSILON)
    }
}

/// One look-up row.
struct Lookups {
    backend: &'static str,
    size: &'static str,
    what: &'static str,
    samples: Vec<Duration>,
}

impl Lookups {
    fn percentile(&self, p: usize) -> Duration {
        let mut sorted = self.samples.clone();
        sorted.sort();
        let i = (sorted.len() * p / 100).min(sorted.len().saturating_sub(1));
        sorted.get(i).copied().unwrap_or_default()
    }
}

async fn run() -> anyhow::Result<()> {
    let sizes = Sizes {
        people: env_count("DINHDANH_NATIONAL_PEOPLE", 10_000_000),
        organisations: env_count("DINHDANH_NATIONAL_ORGANISATIONS", 1_000_000),
        lookups: usize::try_from(env_count("DINHDANH_BENCH_LOOKUPS", 5_000))?,
    };
    anyhow::ensure!(
        sizes.people >= SMALL_PEOPLE && sizes.organisations >= SMALL_ORGANISATIONS,
        "the national size must be at least the baseline's ({SMALL_PEOPLE} people, \
         {SMALL_ORGANISATIONS} organisations)"
    );
    eprintln!(
        "national size: {} people, {} organisations",
        sizes.people, sizes.organisations
    );
    let backends = std::env::var("DINHDANH_NATIONAL_BACKENDS")
        .unwrap_or_else(|_| "sqlite,postgres".to_owned());
    let backends: Vec<&str> = backends.split(',').map(str::trim).collect();
    if let Some(unknown) = backends
        .iter()
        .find(|b| !matches!(**b, "sqlite" | "postgres"))
    {
        anyhow::bail!("DINHDANH_NATIONAL_BACKENDS: unknown backend {unknown:?} (sqlite, postgres)");
    }
    let mut loads = Vec::new();
    let mut lookups = Vec::new();
    if backends.contains(&"sqlite") {
        bench_backend("SQLite", None, sizes, &mut loads, &mut lookups).await?;
        // Printed now too, so a failure on the other backend does not lose it.
        print_tables(sizes, &loads, &lookups);
    }
    match std::env::var("DINHDANH_BENCH_POSTGRES_URL") {
        _ if !backends.contains(&"postgres") => {}
        Ok(admin) if !admin.is_empty() => {
            bench_backend("PostgreSQL", Some(&admin), sizes, &mut loads, &mut lookups).await?;
            print_tables(sizes, &loads, &lookups);
        }
        _ => eprintln!("(PostgreSQL skipped: set DINHDANH_BENCH_POSTGRES_URL to include it)"),
    }
    Ok(())
}

/// A fresh server on a fresh database of this backend.
async fn fresh_server(admin: Option<&str>) -> anyhow::Result<TestServer> {
    let dir = dinhdanh_server::testing::temp_dir("bench-national")?;
    let url = match admin {
        None => dinhdanh_server::testing::sqlite_url(&dir),
        Some(admin) => dinhdanh_server::testing::fresh_postgres_database(admin).await?,
    };
    Ok(TestServer::start_on(dir, url, ServerKeys::generate()).await)
}

async fn bench_backend(
    backend: &'static str,
    admin: Option<&str>,
    sizes: Sizes,
    loads: &mut Vec<Load>,
    lookups: &mut Vec<Lookups>,
) -> anyhow::Result<()> {
    // Baseline: the shipped size by the seed's path.
    eprintln!("{backend}: baseline, {SMALL_PEOPLE} people by the seed's path");
    let small = fresh_server(admin).await?;
    let mut people_text = String::new();
    let mut sample_people = Vec::new();
    let stride = every(SMALL_PEOPLE, sizes.lookups);
    for (i, person) in citizens::national::People::new(SMALL_PEOPLE).enumerate() {
        let person = person?;
        if i as u64 % stride == 0 {
            sample_people.push(person.id.clone());
        }
        person.write(&mut people_text)?;
    }
    let people_text = format!("{}{people_text}", citizens::national::preamble());
    let before = size_of(small.state(), Measured::Citizens).await?;
    let started = Instant::now();
    let n = accounts::load_citizen_registry(small.state(), &people_text).await?;
    loads.push(Load {
        backend,
        what: "people",
        path: "seed: 200-row INSERTs",
        rows: u64::try_from(n)?,
        took: started.elapsed(),
        bytes: size_of(small.state(), Measured::Citizens)
            .await?
            .saturating_sub(before),
    });
    let mut orgs = registry_gen::national::preamble();
    let mut stream = registry_gen::national::Organisations::new(SMALL_ORGANISATIONS, SMALL_PEOPLE);
    while stream.write_next(&mut orgs)? {}
    let entries = registry::parse_registry(&orgs)?;
    let sample_orgs: Vec<Sample> = entries
        .iter()
        .step_by(usize::try_from(stride_of(entries.len(), sizes.lookups))?)
        .map(Sample::of)
        .collect();
    let before = size_of(small.state(), Measured::Registry).await?;
    let started = Instant::now();
    let added = registry::insert_entries(small.state(), &entries).await?;
    loads.push(Load {
        backend,
        what: "organisations (+ representatives)",
        path: "seed: 200-row INSERTs",
        rows: added,
        took: started.elapsed(),
        bytes: size_of(small.state(), Measured::Registry)
            .await?
            .saturating_sub(before),
    });
    measure_lookups(
        &small,
        backend,
        "small",
        &sample_people,
        &sample_orgs,
        sizes.lookups,
        lookups,
    )
    .await?;
    remove(small);

    // National size by the bulk path.
    let t = fresh_server(admin).await?;
    let state = t.state();
    if admin.is_none() {
        // The ceiling of any load path here, once (it does not depend on the backend).
        loads.extend(without_database(state, sizes).await?);
    }
    let pg_url = admin.map(|_| state.config.database_url.clone());
    let stride = every(sizes.people, sizes.lookups);
    let before = size_of(state, Measured::Citizens).await?;
    let started = Instant::now();
    let bar = progress(backend, "people", sizes.people);
    let people = spawn_people(sizes.people);
    let (rows, sample_people) = match &pg_url {
        None => sqlite_people(state, people, &bar, stride).await?,
        Some(url) => postgres_people(state, url, people, &bar, stride).await?,
    };
    bar.finish();
    let took = started.elapsed();
    loads.push(Load {
        backend,
        what: "people",
        path: bulk_path(backend),
        rows,
        took,
        bytes: size_of(state, Measured::Citizens)
            .await?
            .saturating_sub(before),
    });
    eprintln!("{backend}: {rows} people in {:.1} s", took.as_secs_f64());

    let stride = every(sizes.organisations, sizes.lookups);
    let before = size_of(state, Measured::Registry).await?;
    let started = Instant::now();
    let bar = progress(backend, "organisations", sizes.organisations);
    let orgs = spawn_organisations(sizes.organisations, sizes.people);
    let (rows, sample_orgs) = match &pg_url {
        None => sqlite_organisations(state, orgs, &bar, stride).await?,
        Some(url) => postgres_organisations(state, url, orgs, &bar, stride).await?,
    };
    bar.finish();
    let took = started.elapsed();
    loads.push(Load {
        backend,
        what: "organisations (+ representatives)",
        path: bulk_path(backend),
        rows,
        took,
        bytes: size_of(state, Measured::Registry)
            .await?
            .saturating_sub(before),
    });
    eprintln!(
        "{backend}: {rows} organisations in {:.1} s",
        took.as_secs_f64()
    );
    if pg_url.is_some() {
        sqlx::query("ANALYZE").execute(&state.pool).await?;
    }
    measure_lookups(
        &t,
        backend,
        "national",
        &sample_people,
        &sample_orgs,
        sizes.lookups,
        lookups,
    )
    .await?;
    remove(t);
    Ok(())
}

/// Stops a server and removes its data directory: a national-size SQLite file is gigabytes.
fn remove(t: TestServer) {
    let dir = t.data_dir.clone();
    drop(t);
    let _ = std::fs::remove_dir_all(dir);
}

fn bulk_path(backend: &str) -> &'static str {
    if backend == "SQLite" {
        "bulk: prepared 1-row INSERT"
    } else {
        "bulk: COPY FROM STDIN"
    }
}

/// Every how many rows one is kept for the look-ups.
fn every(rows: u64, lookups: usize) -> u64 {
    (rows / u64::try_from(lookups.max(1)).unwrap_or(1)).max(1)
}

fn stride_of(rows: usize, lookups: usize) -> u64 {
    every(u64::try_from(rows).unwrap_or(u64::MAX), lookups)
}

/// A progress bar with the rate, on standard error. When standard error is not a terminal
/// (a log), indicatif draws nothing, so the loaders print a line every tenth instead.
fn progress(backend: &str, what: &str, rows: u64) -> ProgressBar {
    let bar = ProgressBar::new(rows);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:32}] {human_pos}/{human_len} {per_sec} eta {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(format!("{backend}: {what}"));
    bar
}

/// Advances `bar` by `n` rows, printing a line at every tenth when it is not drawn.
fn advance(bar: &ProgressBar, n: u64) {
    let before = bar.position();
    bar.inc(n);
    let len = bar.length().unwrap_or(1).max(1);
    if bar.is_hidden() && before * 10 / len != bar.position() * 10 / len {
        let rate = bar.position() as f64 / bar.elapsed().as_secs_f64().max(f64::EPSILON);
        eprintln!(
            "  {} {}/{len} ({rate:.0} rows/s)",
            bar.message(),
            bar.position()
        );
    }
}

/// Chunks of file text (the header, then up to [`CHUNK`] rows) from a generator thread.
type Chunks = tokio::sync::mpsc::Receiver<anyhow::Result<String>>;

fn spawn_people(count: u64) -> Chunks {
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    std::thread::spawn(move || {
        let preamble = citizens::national::preamble();
        let mut chunk = preamble.clone();
        let mut in_chunk = 0;
        for person in citizens::national::People::new(count) {
            let written = person.and_then(|p| p.write(&mut chunk));
            if let Err(e) = written {
                let _ = tx.blocking_send(Err(e));
                return;
            }
            in_chunk += 1;
            if in_chunk == CHUNK {
                let full = std::mem::replace(&mut chunk, preamble.clone());
                in_chunk = 0;
                if tx.blocking_send(Ok(full)).is_err() {
                    return;
                }
            }
        }
        if in_chunk > 0 {
            let _ = tx.blocking_send(Ok(chunk));
        }
    });
    rx
}

fn spawn_organisations(count: u64, people: u64) -> Chunks {
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    std::thread::spawn(move || {
        let preamble = registry_gen::national::preamble();
        let mut stream = registry_gen::national::Organisations::new(count, people);
        let mut chunk = preamble.clone();
        let mut in_chunk = 0;
        loop {
            match stream.write_next(&mut chunk) {
                Ok(true) => in_chunk += 1,
                Ok(false) => break,
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
            if in_chunk == CHUNK {
                let full = std::mem::replace(&mut chunk, preamble.clone());
                in_chunk = 0;
                if tx.blocking_send(Ok(full)).is_err() {
                    return;
                }
            }
        }
        if in_chunk > 0 {
            let _ = tx.blocking_send(Ok(chunk));
        }
    });
    rx
}

/// An organisation kept for the look-ups.
struct Sample {
    registry: RegistryKind,
    code: TaxCode,
    name: String,
}

impl Sample {
    fn of(e: &RegistryEntry) -> Sample {
        Sample {
            registry: e.registry,
            code: e.code.clone(),
            name: e.name_vi.as_str().to_owned(),
        }
    }
}

const CITIZEN_COLUMNS: &str = "citizen_key, citizen_enc, citizen_masked, full_name, \
                               date_of_birth, gender, birth_province, phone, email";
const ORGANISATION_COLUMNS: &str = "registry, code, agency_code, name_vi, address, province, \
                                    established_on, status, updated_at";
const REPRESENTATIVE_COLUMNS: &str =
    "registry, code, row_no, citizen_key, citizen_masked, full_name";

/// `INSERT INTO table (columns) VALUES ($1, …)`: one row, prepared once and reused (sqlx
/// caches it per connection).
fn insert_sql(table: &str, columns: &str) -> String {
    let params: Vec<String> = (1..=columns.split(',').count())
        .map(|k| format!("${k}"))
        .collect();
    format!(
        "INSERT INTO {table} ({columns}) VALUES ({})",
        params.join(", ")
    )
}

/// The settings of SQLite's bulk path, on the load's own connection.
const SQLITE_LOAD_PRAGMAS: &[&str] = &[
    "PRAGMA synchronous = OFF",
    "PRAGMA cache_size = -2097152",
    "PRAGMA temp_store = MEMORY",
];
/// The server's settings, restored after the load (`infra::db`; cache and temp at SQLite's
/// defaults).
const SQLITE_SERVER_PRAGMAS: &[&str] = &[
    "PRAGMA synchronous = NORMAL",
    "PRAGMA cache_size = -2000",
    "PRAGMA temp_store = DEFAULT",
];

async fn sqlite_people(
    state: &AppState,
    mut chunks: Chunks,
    bar: &ProgressBar,
    stride: u64,
) -> anyhow::Result<(u64, Vec<CitizenId>)> {
    let mut conn = state.pool.acquire().await?;
    for pragma in SQLITE_LOAD_PRAGMAS {
        sqlx::query(pragma).execute(&mut *conn).await?;
    }
    let insert = insert_sql("citizens", CITIZEN_COLUMNS);
    let mut tx = conn.begin().await?;
    let (mut rows, mut sample) = (0u64, Vec::new());
    while let Some(chunk) = chunks.recv().await {
        let people = accounts::parse_citizen_registry(&chunk?)?;
        let mut stored = Vec::with_capacity(people.len());
        for p in &people {
            if rows % stride == 0 {
                sample.push(p.citizen_id.clone());
            }
            rows += 1;
            stored.push(accounts::stored_citizen(state, p)?);
        }
        for c in &stored {
            bind_citizen(sqlx::query(&insert), c)
                .execute(&mut *tx)
                .await?;
        }
        advance(bar, people.len() as u64);
    }
    tx.commit().await?;
    for pragma in SQLITE_SERVER_PRAGMAS {
        sqlx::query(pragma).execute(&mut *conn).await?;
    }
    Ok((rows, sample))
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind_citizen<'q>(query: AnyQuery<'q>, c: &NewCitizen) -> AnyQuery<'q> {
    query
        .bind(c.key.clone())
        .bind(c.enc.clone())
        .bind(c.masked.clone())
        .bind(c.full_name.clone())
        .bind(c.date_of_birth.clone())
        .bind(c.gender.clone())
        .bind(c.birth_province.clone())
        .bind(c.phone.clone())
        .bind(c.email.clone())
}

/// An organisation's columns, as `registry::insert_entries` stores them.
struct OrganisationColumns {
    registry: &'static str,
    code: String,
    agency_code: Option<String>,
    name_vi: String,
    address: String,
    province: &'static str,
    established_on: String,
    status: &'static str,
}

/// A representative's columns, as `registry::insert_entries` stores them (a look-up key and
/// the number masked, never the number).
struct RepresentativeColumns {
    registry: &'static str,
    code: String,
    row_no: i64,
    citizen_key: Vec<u8>,
    citizen_masked: String,
    full_name: String,
}

fn organisation_columns(
    state: &AppState,
    e: &RegistryEntry,
) -> (OrganisationColumns, Vec<RepresentativeColumns>) {
    let org = OrganisationColumns {
        registry: registry_text(e.registry),
        code: e.code.as_str().to_owned(),
        agency_code: e.agency_code.as_ref().map(|a| a.as_str().to_owned()),
        name_vi: e.name_vi.as_str().to_owned(),
        address: e.address.as_str().to_owned(),
        province: e.province.key(),
        established_on: e.established_on.format("%Y-%m-%d").to_string(),
        status: e.status.as_str(),
    };
    let reps = e
        .representatives
        .iter()
        .enumerate()
        .map(|(i, (id, name))| RepresentativeColumns {
            registry: org.registry,
            code: org.code.clone(),
            row_no: i64::try_from(i).unwrap_or(i64::MAX),
            citizen_key: state.keys.citizen_key(id),
            citizen_masked: id.masked(),
            full_name: name.as_str().to_owned(),
        })
        .collect();
    (org, reps)
}

async fn sqlite_organisations(
    state: &AppState,
    mut chunks: Chunks,
    bar: &ProgressBar,
    stride: u64,
) -> anyhow::Result<(u64, Vec<Sample>)> {
    let now = state.now();
    let mut conn = state.pool.acquire().await?;
    for pragma in SQLITE_LOAD_PRAGMAS {
        sqlx::query(pragma).execute(&mut *conn).await?;
    }
    let insert_org = insert_sql("registry_organisations", ORGANISATION_COLUMNS);
    let insert_rep = insert_sql("registry_representatives", REPRESENTATIVE_COLUMNS);
    let mut tx = conn.begin().await?;
    let (mut rows, mut sample) = (0u64, Vec::new());
    while let Some(chunk) = chunks.recv().await {
        let entries = registry::parse_registry(&chunk?)?;
        let mut orgs = Vec::with_capacity(entries.len());
        let mut reps = Vec::with_capacity(entries.len() * 2);
        for e in &entries {
            if rows % stride == 0 {
                sample.push(Sample::of(e));
            }
            rows += 1;
            let (org, r) = organisation_columns(state, e);
            orgs.push(org);
            reps.extend(r);
        }
        for o in &orgs {
            sqlx::query(&insert_org)
                .bind(o.registry)
                .bind(o.code.clone())
                .bind(o.agency_code.clone())
                .bind(o.name_vi.clone())
                .bind(o.address.clone())
                .bind(o.province)
                .bind(o.established_on.clone())
                .bind(o.status)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        for r in &reps {
            sqlx::query(&insert_rep)
                .bind(r.registry)
                .bind(r.code.clone())
                .bind(r.row_no)
                .bind(r.citizen_key.clone())
                .bind(r.citizen_masked.clone())
                .bind(r.full_name.clone())
                .execute(&mut *tx)
                .await?;
        }
        advance(bar, entries.len() as u64);
    }
    tx.commit().await?;
    for pragma in SQLITE_SERVER_PRAGMAS {
        sqlx::query(pragma).execute(&mut *conn).await?;
    }
    Ok((rows, sample))
}

/// A text field of `COPY … FROM STDIN` (text format): backslash, tab and line ends escaped.
fn copy_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// A `bytea` field of `COPY … FROM STDIN` (text format): `\x` and hex, its backslash escaped.
fn copy_bytes(out: &mut String, bytes: &[u8]) {
    use std::fmt::Write as _;
    out.push_str("\\\\x");
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
}

/// Fields of one `COPY` line, tab-separated, ended by a newline.
enum Field<'a> {
    Text(&'a str),
    Bytes(&'a [u8]),
    Int(i64),
    Null,
}

fn copy_line(out: &mut String, fields: &[Field<'_>]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        match f {
            Field::Text(t) => copy_text(out, t),
            Field::Bytes(b) => copy_bytes(out, b),
            Field::Int(n) => out.push_str(&n.to_string()),
            Field::Null => out.push_str("\\N"),
        }
    }
    out.push('\n');
}

async fn postgres_people(
    state: &AppState,
    url: &str,
    mut chunks: Chunks,
    bar: &ProgressBar,
    stride: u64,
) -> anyhow::Result<(u64, Vec<CitizenId>)> {
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let mut copy = conn
        .copy_in_raw(&format!(
            "COPY citizens ({CITIZEN_COLUMNS}) FROM STDIN (FORMAT text)"
        ))
        .await?;
    let (mut rows, mut sample) = (0u64, Vec::new());
    let mut buf = String::new();
    while let Some(chunk) = chunks.recv().await {
        let people = accounts::parse_citizen_registry(&chunk?)?;
        buf.clear();
        for p in &people {
            if rows % stride == 0 {
                sample.push(p.citizen_id.clone());
            }
            rows += 1;
            let c = accounts::stored_citizen(state, p)?;
            copy_line(
                &mut buf,
                &[
                    Field::Bytes(&c.key),
                    Field::Bytes(&c.enc),
                    Field::Text(&c.masked),
                    Field::Text(&c.full_name),
                    Field::Text(&c.date_of_birth),
                    Field::Text(&c.gender),
                    Field::Text(&c.birth_province),
                    Field::Text(&c.phone),
                    c.email.as_deref().map_or(Field::Null, Field::Text),
                ],
            );
        }
        copy.send(buf.as_bytes()).await?;
        advance(bar, people.len() as u64);
    }
    let copied = copy.finish().await?;
    anyhow::ensure!(copied == rows, "COPY took {copied} of {rows} people");
    conn.close().await?;
    Ok((rows, sample))
}

async fn postgres_organisations(
    state: &AppState,
    url: &str,
    mut chunks: Chunks,
    bar: &ProgressBar,
    stride: u64,
) -> anyhow::Result<(u64, Vec<Sample>)> {
    let now = state.now();
    let mut org_conn = sqlx::PgConnection::connect(url).await?;
    let mut rep_conn = sqlx::PgConnection::connect(url).await?;
    let mut org_copy = org_conn
        .copy_in_raw(&format!(
            "COPY registry_organisations ({ORGANISATION_COLUMNS}) FROM STDIN (FORMAT text)"
        ))
        .await?;
    let mut rep_copy = rep_conn
        .copy_in_raw(&format!(
            "COPY registry_representatives ({REPRESENTATIVE_COLUMNS}) FROM STDIN (FORMAT text)"
        ))
        .await?;
    let (mut rows, mut reps_total, mut sample) = (0u64, 0u64, Vec::new());
    let (mut orgs_buf, mut reps_buf) = (String::new(), String::new());
    while let Some(chunk) = chunks.recv().await {
        let entries = registry::parse_registry(&chunk?)?;
        orgs_buf.clear();
        reps_buf.clear();
        for e in &entries {
            if rows % stride == 0 {
                sample.push(Sample::of(e));
            }
            rows += 1;
            let (o, reps) = organisation_columns(state, e);
            copy_line(
                &mut orgs_buf,
                &[
                    Field::Text(o.registry),
                    Field::Text(&o.code),
                    o.agency_code.as_deref().map_or(Field::Null, Field::Text),
                    Field::Text(&o.name_vi),
                    Field::Text(&o.address),
                    Field::Text(o.province),
                    Field::Text(&o.established_on),
                    Field::Text(o.status),
                    Field::Int(now),
                ],
            );
            for r in reps {
                reps_total += 1;
                copy_line(
                    &mut reps_buf,
                    &[
                        Field::Text(r.registry),
                        Field::Text(&r.code),
                        Field::Int(r.row_no),
                        Field::Bytes(&r.citizen_key),
                        Field::Text(&r.citizen_masked),
                        Field::Text(&r.full_name),
                    ],
                );
            }
        }
        org_copy.send(orgs_buf.as_bytes()).await?;
        rep_copy.send(reps_buf.as_bytes()).await?;
        advance(bar, entries.len() as u64);
    }
    let copied = org_copy.finish().await?;
    anyhow::ensure!(copied == rows, "COPY took {copied} of {rows} organisations");
    let copied = rep_copy.finish().await?;
    anyhow::ensure!(
        copied == reps_total,
        "COPY took {copied} of {reps_total} representatives"
    );
    org_conn.close().await?;
    rep_conn.close().await?;
    Ok((rows, sample))
}

/// The loaders' work without a database — generating, parsing, and the stored form (keyed
/// hashes, encryption) — for the first rows of each stream: the rate no load path here can
/// beat, so a load near it is bound by its input, not by the database.
async fn without_database(state: &AppState, sizes: Sizes) -> anyhow::Result<Vec<Load>> {
    let people = sizes.people.min(500_000);
    eprintln!("no database: {people} people generated, parsed and encoded");
    let started = Instant::now();
    let mut chunks = spawn_people(people);
    let mut rows = 0u64;
    while let Some(chunk) = chunks.recv().await {
        for p in accounts::parse_citizen_registry(&chunk?)? {
            std::hint::black_box(accounts::stored_citizen(state, &p)?);
            rows += 1;
        }
    }
    let people_load = Load {
        backend: "-",
        what: "people",
        path: "no database: generate, parse, encode",
        rows,
        took: started.elapsed(),
        bytes: 0,
    };
    let orgs = sizes.organisations.min(50_000);
    eprintln!("no database: {orgs} organisations generated, parsed and encoded");
    let started = Instant::now();
    let mut chunks = spawn_organisations(orgs, orgs * sizes.people / sizes.organisations);
    let mut rows = 0u64;
    while let Some(chunk) = chunks.recv().await {
        for e in registry::parse_registry(&chunk?)? {
            std::hint::black_box(organisation_columns(state, &e));
            rows += 1;
        }
    }
    Ok(vec![
        people_load,
        Load {
            backend: "-",
            what: "organisations (+ representatives)",
            path: "no database: generate, parse, encode",
            rows,
            took: started.elapsed(),
            bytes: 0,
        },
    ])
}

/// Which tables a size is of.
#[derive(Clone, Copy)]
enum Measured {
    Citizens,
    Registry,
}

/// Bytes the database holds: on SQLite the whole file after a checkpoint (each registry is
/// measured by the growth its load caused), on PostgreSQL the tables with their indexes.
async fn size_of(state: &AppState, what: Measured) -> anyhow::Result<u64> {
    if state.config.database_url.starts_with("sqlite") {
        let mut conn = state.pool.acquire().await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut *conn)
            .await?;
        let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
            .fetch_one(&mut *conn)
            .await?;
        let size: i64 = sqlx::query_scalar("PRAGMA page_size")
            .fetch_one(&mut *conn)
            .await?;
        return Ok(u64::try_from(pages * size)?);
    }
    let sql = match what {
        Measured::Citizens => "SELECT pg_total_relation_size('citizens')::BIGINT",
        Measured::Registry => {
            "SELECT (pg_total_relation_size('registry_organisations') \
             + pg_total_relation_size('registry_representatives'))::BIGINT"
        }
    };
    let bytes: i64 = sqlx::query_scalar(sql).fetch_one(&state.pool).await?;
    Ok(u64::try_from(bytes)?)
}

async fn measure_lookups(
    t: &TestServer,
    backend: &'static str,
    size: &'static str,
    people: &[CitizenId],
    orgs: &[Sample],
    n: usize,
    out: &mut Vec<Lookups>,
) -> anyhow::Result<()> {
    eprintln!("{backend}: look-ups at the {size} size");
    let state = t.state();
    anyhow::ensure!(!people.is_empty() && !orgs.is_empty(), "nothing sampled");
    // Unmeasured warm-up: connections, statement caches.
    for s in orgs.iter().take(100) {
        registry::adapter(state, s.registry).lookup(&s.code).await?;
    }
    let mut hit = Lookups {
        backend,
        size,
        what: "organisation look-up, hit",
        samples: Vec::with_capacity(n),
    };
    for _ in 0..n {
        let s = &orgs[random_below(orgs.len())];
        let t0 = Instant::now();
        let record = registry::adapter(state, s.registry).lookup(&s.code).await?;
        hit.samples.push(t0.elapsed());
        anyhow::ensure!(
            record.is_some_and(|r| r.name_vi == s.name && !r.representatives.is_empty()),
            "look-up of {} found nothing, another organisation or no representative",
            s.code.as_str()
        );
    }
    out.push(hit);

    let mut miss = Lookups {
        backend,
        size,
        what: "organisation look-up, miss",
        samples: Vec::with_capacity(n),
    };
    while miss.samples.len() < n {
        // Codes from below the generators' range of bodies (they start at 10 000 000).
        let body = OsRng.next_u32() % 10_000_000;
        let Some(code) = TaxCode::from_body(body) else {
            continue;
        };
        let t0 = Instant::now();
        let record = registry::adapter(state, RegistryKind::BusinessRegistry)
            .lookup(&code)
            .await?;
        miss.samples.push(t0.elapsed());
        anyhow::ensure!(record.is_none(), "{} should be unknown", code.as_str());
    }
    out.push(miss);

    let mut person = Lookups {
        backend,
        size,
        what: "person by identification number",
        samples: Vec::with_capacity(n),
    };
    for _ in 0..n {
        let id = &people[random_below(people.len())];
        let t0 = Instant::now();
        let record = accounts::find_citizen(state, id).await?;
        person.samples.push(t0.elapsed());
        anyhow::ensure!(
            record.is_some_and(|r| &r.citizen_id == id),
            "a sampled person was not found"
        );
    }
    out.push(person);
    Ok(())
}

/// A uniform index below `n` (`n > 0`); the slight modulo bias does not matter here.
fn random_below(n: usize) -> usize {
    OsRng.next_u32() as usize % n.max(1)
}

fn print_tables(sizes: Sizes, loads: &[Load], lookups: &[Lookups]) {
    println!();
    println!(
        "National size: {} people, {} organisations. Loads (the seed's path at the shipped \
         size is the baseline):",
        sizes.people, sizes.organisations
    );
    println!();
    println!(
        "| backend | registry | path | rows | time | rows/s | vs seed path | MB | MB per million rows |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for l in loads {
        let base = loads
            .iter()
            .find(|b| b.backend == l.backend && b.what == l.what && b.path.starts_with("seed"))
            .map_or(f64::NAN, Load::per_second);
        let mb = l.bytes as f64 / 1e6;
        let (size, per_million) = if l.bytes == 0 {
            ("-".to_owned(), "-".to_owned())
        } else {
            (
                format!("{mb:.1}"),
                format!("{:.0}", mb / (l.rows as f64 / 1e6).max(f64::EPSILON)),
            )
        };
        let versus = if base.is_nan() {
            "-".to_owned()
        } else {
            format!("{:.2}×", l.per_second() / base)
        };
        println!(
            "| {} | {} | {} | {} | {:.1} s | {:.0} | {versus} | {size} | {per_million} |",
            l.backend,
            l.what,
            l.path,
            l.rows,
            l.took.as_secs_f64(),
            l.per_second(),
        );
    }
    println!();
    println!(
        "Look-ups, in process, one at a time (bound at national size: p99 ≤ {} ms):",
        LOOKUP_P99_BOUND.as_millis()
    );
    println!();
    println!("| backend | look-up | size | n | p50 | p99 | p99 national / small | bound |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for l in lookups {
        let small = lookups
            .iter()
            .find(|s| s.backend == l.backend && s.what == l.what && s.size == "small")
            .map_or(Duration::ZERO, |s| s.percentile(99));
        let ratio = l.percentile(99).as_secs_f64() / small.as_secs_f64().max(f64::EPSILON);
        let bound = if l.size == "small" {
            ""
        } else if l.percentile(99) <= LOOKUP_P99_BOUND {
            "met"
        } else {
            "NOT met"
        };
        println!(
            "| {} | {} | {} | {} | {:.3} ms | {:.3} ms | {:.2}× | {} |",
            l.backend,
            l.what,
            l.size,
            l.samples.len(),
            l.percentile(50).as_secs_f64() * 1000.0,
            l.percentile(99).as_secs_f64() * 1000.0,
            ratio,
            bound
        );
    }
}
