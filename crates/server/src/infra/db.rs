//! The database: one [`sqlx::AnyPool`] over SQLite (embedded default, WAL mode) or PostgreSQL,
//! with one migrations folder per backend. Queries are written once in the SQL both dialects
//! share (`$1` parameters, `RETURNING`, partial indexes); where they really differ,
//! [`Backend`] says which one is running.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Connection, Executor};

/// Which database the server runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, a file in the data directory.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// How to read a figure of `province`, or of every province for `None`: the provinces to
    /// ask one at a time (`Some`), or one read for all (`None`). PostgreSQL reads all in one
    /// pass: a province's rows lie on pages spread over the whole table, so 34 per-province
    /// reads visit them 34 times. SQLite asks each province: its range of a covering index
    /// comes in group order, while one grouped read of the whole table sorts every row in a
    /// temporary b-tree (three times the CPU on the console bench's data).
    pub fn province_reads(
        self,
        province: Option<dinhdanh_core::ids::NewProvince>,
    ) -> Vec<Option<dinhdanh_core::ids::NewProvince>> {
        match (province, self) {
            (Some(p), _) => vec![Some(p)],
            (None, Backend::Postgres) => vec![None],
            (None, Backend::Sqlite) => dinhdanh_core::ids::NewProvince::all()
                .iter()
                .map(|p| Some(*p))
                .collect(),
        }
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A pooled connection idle at least this long is pinged before it is handed out.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(30);

/// Connections in the pool unless configured: SQLite has one writer at a time; PostgreSQL's
/// default `max_connections` (100) leaves room for a few instances.
pub fn default_pool_size(backend: Backend) -> u32 {
    match backend {
        Backend::Sqlite => 8,
        Backend::Postgres => 16,
    }
}

/// Opens the pool (`pool_size` connections at most, [`default_pool_size`] when `None`) and
/// brings the schema up to date.
///
/// A task holding one of the pool's connections never waits for a second: an action reads
/// on its transaction's connection (`Tx::conn`), and a step that holds a connection passes it
/// on (`*_in` / `*_on` functions). Otherwise, with every connection held by a task waiting for
/// another, all would wait until the acquire timeout. The server's tests run once more on a
/// pool of one connection (`cargo xtask test`), where any such wait fails.
pub async fn connect(url: &str, pool_size: Option<u32>) -> Result<(AnyPool, Backend), sqlx::Error> {
    sqlx::any::install_default_drivers();
    let backend = if url.starts_with("sqlite:") {
        Backend::Sqlite
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Backend::Postgres
    } else {
        return Err(sqlx::Error::Configuration(
            format!(
                "unsupported database URL scheme (sqlite: or postgres:): {}",
                redact(url)
            )
            .into(),
        ));
    };
    let options = AnyConnectOptions::from_str(url)?;
    let pool = AnyPoolOptions::new()
        .max_connections(pool_size.unwrap_or(default_pool_size(backend)).max(1))
        .acquire_timeout(Duration::from_secs(10))
        // sqlx pings every connection it hands out by default: a round trip per acquire, as
        // many as the queries themselves (issue 18). Only a connection idle for a while is
        // pinged; a dead one is then replaced before it is used.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_WHEN_IDLE_FOR {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // WAL lets readers work while one writer writes; busy_timeout makes a
                    // second writer wait instead of failing at once; foreign keys are off by
                    // default in SQLite.
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    let migrator = match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    };
    migrator.run(&pool).await?;
    Ok((pool, backend))
}

/// The newest schema version (migration number) this binary knows for `backend`.
pub fn latest_migration(backend: Backend) -> i64 {
    let migrator = match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    };
    migrator.iter().map(|m| m.version).max().unwrap_or_default()
}

/// Begins a write transaction. On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken
/// (waiting up to the busy timeout) before the first read, so an action that reads and then
/// writes cannot fail with a stale snapshot (`SQLITE_BUSY_SNAPSHOT`, which the busy timeout
/// does not cover) when another writer commits in between. While it is open, the same task
/// must not write through another connection: that write would wait for this one.
pub async fn begin_write(
    pool: &AnyPool,
    backend: Backend,
) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
    match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
        Backend::Postgres => pool.begin().await,
    }
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = url.get(scheme + 3..at).unwrap_or_default();
            let user = userinfo.split(':').next().unwrap_or_default();
            format!(
                "{}{user}:***{}",
                url.get(..scheme + 3).unwrap_or_default(),
                url.get(at..).unwrap_or_default()
            )
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Backend, begin_write, connect};

    /// Actions that read and then write, overlapping: each must commit. With a deferred
    /// `BEGIN`, every one but the first writer fails at its write with a stale snapshot
    /// (`SQLITE_BUSY_SNAPSHOT`, which the busy timeout does not cover).
    #[tokio::test]
    async fn overlapping_read_then_write_transactions_all_commit_on_sqlite() {
        let dir = crate::testing::temp_dir("db-begin").expect("a temporary directory");
        let url = format!("sqlite://{}?mode=rwc", dir.join("t.db").display());
        let (pool, backend) = connect(&url, None).await.expect("the database opens");
        assert_eq!(backend, Backend::Sqlite);
        sqlx::query("CREATE TABLE counted (n INTEGER NOT NULL)")
            .execute(&pool)
            .await
            .expect("a table");
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let pool = pool.clone();
                tokio::spawn(async move {
                    let mut tx = begin_write(&pool, backend).await?;
                    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM counted")
                        .fetch_one(&mut *tx)
                        .await?;
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    sqlx::query("INSERT INTO counted (n) VALUES ($1)")
                        .bind(n)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await
                })
            })
            .collect();
        for task in tasks {
            let outcome = task.await.expect("the task ran");
            assert!(outcome.is_ok(), "a transaction failed: {outcome:?}");
        }
        // Each saw the ones before it: the counts read are 0, 1, 2, 3.
        let mut seen: Vec<i64> = sqlx::query_scalar("SELECT n FROM counted ORDER BY n")
            .fetch_all(&pool)
            .await
            .expect("the rows");
        seen.dedup();
        assert_eq!(seen, vec![0, 1, 2, 3]);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn database_urls_lose_their_password_in_messages() {
        assert_eq!(
            super::redact("postgres://dd:s3cret@localhost/dd"),
            "postgres://dd:***@localhost/dd"
        );
        assert_eq!(super::redact("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
    }
}
