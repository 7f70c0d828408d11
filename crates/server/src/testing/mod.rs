//! Set-up for tests and benches that use the server from outside (issue "backend layers",
//! item 6): start the real server in-process on a free loopback port with a fresh database,
//! move its clock, hand it keys, and seed or inspect its database.
//!
//! This folder is the only place outside the server's layers that names their insides; tests,
//! benches and other crates import `dinhdanh_server::testing` (and the crate root's [`spawn`],
//! [`build_state`], [`StartOptions`], [`RunningServer`]) and nothing else of the server. When a
//! resource changes inside (a store function takes a transaction, a file splits), these files
//! change and the tests do not. This file starts the server; each submodule's file wraps one
//! resource.
//!
//! The rule for what is here: a function that touches the database is a thin wrapper taking an
//! [`AppState`] (its signature is what tests rely on); a type, a constant or a pure function
//! that tests need is re-exported. Each submodule is named after the resource whose code it
//! calls, so a reader can find the real thing.
//!
//! [`spawn`]: crate::spawn
//! [`build_state`]: crate::build_state
//! [`StartOptions`]: crate::StartOptions
//! [`RunningServer`]: crate::RunningServer

pub mod accounts;
pub mod audit;
pub mod challenges;
pub mod clients;
pub mod console;
pub mod delivery;
pub mod desktop_actions;
pub mod officers;
pub mod oidc;
pub mod organisations;
pub mod outbox;
pub mod registrations;
pub mod registry;
pub mod seed;
pub mod services;
pub mod sessions;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{RunningServer, StartOptions, build_state, spawn};

pub use crate::infra::clock::{Clock, ManualClock};
pub use crate::infra::config::Config;
pub use crate::infra::error::{ServerError, ServerResult};
pub use crate::infra::keys::ServerKeys;
pub use crate::infra::state::AppState;

/// The variable naming a PostgreSQL server (an administrator's URL ending in a database name)
/// on which tests create their databases. `cargo xtask test` starts a throw-away cluster and
/// sets it.
pub const POSTGRES_ENV: &str = "DINHDANH_TEST_POSTGRES_URL";

/// When a test server's manual clock starts: a fixed, realistic time (2026-11-18, 11:06 UTC).
pub const START_TIME: i64 = 1_795_000_000;

/// The database backend a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite in the server's data directory.
    Sqlite,
    /// A new database on the PostgreSQL server named by [`POSTGRES_ENV`].
    Postgres,
}

impl Backend {
    /// The PostgreSQL administrator's URL from [`POSTGRES_ENV`], if set and not empty.
    pub fn postgres_admin_url() -> Option<String> {
        std::env::var(POSTGRES_ENV).ok().filter(|u| !u.is_empty())
    }
}

/// Makes the next transaction of `action` (the name its handler begins it with, such as
/// `registration.consent`) fail once `after_steps` of its steps have run, so a test can show
/// that the action commits whole or not at all. One-shot.
pub fn fail_action_after(state: &AppState, action: &str, after_steps: usize) {
    state.faults.arm(crate::infra::faults::Fault {
        action: action.to_owned(),
        after_steps,
    });
}

/// The failures armed but not met yet (an action that took fewer steps leaves its failure
/// here: the test has then seen the whole action succeed).
pub fn faults_pending(state: &AppState) -> Vec<(String, usize)> {
    state
        .faults
        .pending()
        .into_iter()
        .map(|f| (f.action, f.after_steps))
        .collect()
}

/// Runs the periodic sweep of expired challenges, codes and rate-limit windows once, now (the
/// server also runs it in the background every `Config::sweep_interval`).
pub async fn sweep_now(state: &AppState) -> ServerResult<Swept> {
    crate::store::sweep::sweep_now(state).await
}

pub use crate::http::auth::LAST_SEEN_EVERY_SECS;
pub use crate::store::sweep::{EXPIRED_CHALLENGE_GRACE_SECS, Swept};

/// The newest schema version (migration number) of the SQLite schema this server runs.
pub fn latest_migration() -> i64 {
    crate::infra::db::latest_migration(crate::infra::db::Backend::Sqlite)
}

/// A new, unique identifier with `prefix` (for names of temporary directories and databases).
pub fn unique_name(prefix: &str) -> String {
    crate::infra::ids::new_id(prefix)
}

/// A new, empty directory under the system's temporary directory, named after `tag`.
pub fn temp_dir(tag: &str) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(unique_name(&format!("dd-{tag}")));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The URL of a SQLite database file in `dir`, created on first use.
pub fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("dinhdanh.db").display())
}

/// How old a test database with nobody connected to it must be before the next
/// [`fresh_postgres_database`] drops it.
pub const STALE_TEST_DATABASE_SECS: i64 = 3600;

/// A new, empty PostgreSQL database on the server `admin_url` points at; its URL. Its creation
/// time is its comment, and test databases older than [`STALE_TEST_DATABASE_SECS`] that nobody
/// is connected to are dropped first: a test cannot drop its own when it ends (no async drop,
/// and a failed test's is worth keeping for a while), and hundreds of them left on a
/// long-lived server keep its autovacuum launcher starting a worker every few milliseconds
/// (it visits each database once per `autovacuum_naptime`), which stalled the throughput
/// bench's requests in clusters (issue 18, docs/design/performance.md).
pub async fn fresh_postgres_database(admin_url: &str) -> anyhow::Result<String> {
    use sqlx::Connection;
    let name = unique_name("dd_t").to_lowercase().replace('-', "_");
    let mut conn = sqlx::PgConnection::connect(admin_url).await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))?;
    drop_stale_test_databases(&mut conn, now - STALE_TEST_DATABASE_SECS).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    sqlx::query(&format!("COMMENT ON DATABASE {name} IS '{now}'"))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    let (base, _) = admin_url
        .rsplit_once('/')
        .ok_or_else(|| anyhow::anyhow!("a PostgreSQL URL ends with a database name"))?;
    Ok(format!("{base}/{name}"))
}

/// Drops the test databases made before `made_before` (by their comment) that nobody is
/// connected to. One that someone connects to meanwhile refuses the drop and is left for the
/// next time; one without a comment (made by an older build, or not yet commented) is kept.
async fn drop_stale_test_databases(
    conn: &mut sqlx::PgConnection,
    made_before: i64,
) -> anyhow::Result<()> {
    let stale: Vec<String> = sqlx::query_scalar(
        "SELECT d.datname FROM pg_database d \
         WHERE d.datname LIKE 'dd\\_t\\_%' \
           AND shobj_description(d.oid, 'pg_database') ~ '^[0-9]{1,18}$' \
           AND shobj_description(d.oid, 'pg_database')::bigint < $1 \
           AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datid = d.oid)",
    )
    .bind(made_before)
    .fetch_all(&mut *conn)
    .await?;
    for name in stale {
        // Names come from `unique_name`: letters, digits and `_` only.
        if name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            let _in_use_since = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
                .execute(&mut *conn)
                .await;
        }
    }
    Ok(())
}

/// A fresh database on `backend`: SQLite in `dir`, or a new PostgreSQL database. Fails, naming
/// [`POSTGRES_ENV`], when PostgreSQL is asked for and the variable is not set: a test meant
/// for PostgreSQL must not pass without having run there.
pub async fn fresh_database_url(backend: Backend, dir: &Path) -> anyhow::Result<String> {
    match backend {
        Backend::Sqlite => Ok(sqlite_url(dir)),
        Backend::Postgres => {
            let admin = Backend::postgres_admin_url().ok_or_else(|| {
                anyhow::anyhow!(
                    "this test runs on PostgreSQL: set {POSTGRES_ENV} to an administrator's \
                     URL (`cargo xtask test` starts a cluster and sets it)"
                )
            })?;
            fresh_postgres_database(&admin).await
        }
    }
}

/// How to start a server for a test; [`ServerSetup::new`] gives the usual one.
pub struct ServerSetup {
    /// Its data directory (keys when loaded from disk, `outbox.log`, the audit checkpoint).
    pub data_dir: PathBuf,
    /// Its database (see [`fresh_database_url`]; share one to start a second instance).
    pub database_url: String,
    /// Its keys (give two instances keys of the same value, as a deployment does).
    pub keys: ServerKeys,
    /// Its clock; `None` for the system clock (a client in another process signs with the
    /// system time).
    pub clock: Option<ManualClock>,
}

impl ServerSetup {
    /// On `database_url` with data in `data_dir`, new keys, a manual clock at [`START_TIME`].
    pub fn new(data_dir: PathBuf, database_url: String) -> Self {
        ServerSetup {
            data_dir,
            database_url,
            keys: ServerKeys::generate(),
            clock: Some(ManualClock::new(START_TIME)),
        }
    }
}

/// The variable that sets the test servers' pool size: `cargo xtask test` runs the server's
/// tests once more with `1`, where a task waiting for a second connection while it holds one
/// fails (see [`crate::infra::db::connect`]).
pub const TEST_POOL_SIZE_ENV: &str = "DINHDANH_TEST_DB_POOL_SIZE";

fn test_pool_size() -> anyhow::Result<Option<u32>> {
    match std::env::var(TEST_POOL_SIZE_ENV) {
        Err(_) => Ok(None),
        Ok(text) => match text.parse::<u32>() {
            Ok(n) if n >= 1 => Ok(Some(n)),
            _ => anyhow::bail!(
                "{TEST_POOL_SIZE_ENV}={text}: not a number of connections (1 or more)"
            ),
        },
    }
}

/// Starts the real server in this process on a free loopback port: the embedded configuration
/// for `setup.data_dir` and its loopback origin, on `setup.database_url` (migrated), changed
/// by `adjust` (a shared origin behind a load balancer, a GeoIP table, limits).
pub async fn start_server(
    setup: ServerSetup,
    adjust: impl FnOnce(&mut Config),
) -> anyhow::Result<RunningServer> {
    let ServerSetup {
        data_dir,
        database_url,
        keys,
        clock,
    } = setup;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let origin = crate::loopback_origin(listener.local_addr()?)?;
    let mut config = Config::embedded(data_dir, origin);
    config.database_url = database_url;
    // Tests read codes from `outbox.log`; a test that wants a real sender configures one.
    config.delivery.dev_outbox_log = true;
    config.db_pool_size = test_pool_size()?;
    adjust(&mut config);
    let mut options = StartOptions::new(config);
    if let Some(clock) = clock {
        options.clock = Arc::new(clock);
    }
    options.keys = Some(keys);
    let state = build_state(options).await?;
    spawn(listener, state).await
}
