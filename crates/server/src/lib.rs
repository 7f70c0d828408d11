//! # dinhdanh-server
//!
//! The reference backend Định Danh talks to: axum over sqlx, SQLite (WAL) as the embedded
//! default and PostgreSQL for deployments that outgrow one machine. It verifies every signed
//! action and request proof with the same core-crate functions the device uses to make them,
//! and keeps no state outside the database (but a per-instance count of challenges issued), so
//! several instances can serve one PostgreSQL.
//!
//! One module per resource (STYLE.md, practice 5): each has its routes, handlers and queries.

pub mod authz;
pub mod http;
pub mod infra;
pub mod resources;
pub mod seed;
pub mod store;
pub mod testing;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use dinhdanh_core::signed_action::Origin;

use crate::infra::clock::{Clock, SystemClock};
use crate::infra::config::Config;
use crate::infra::keys::ServerKeys;
use crate::infra::sender::Sender;
use crate::infra::state::{AppState, Inner};

/// How to build the server's state; the defaults are the production ones.
pub struct StartOptions {
    /// Configuration.
    pub config: Config,
    /// The clock (tests pass a [`clock::ManualClock`]).
    pub clock: Arc<dyn Clock>,
    /// Server keys; `None` loads them from the environment or the data directory.
    pub keys: Option<ServerKeys>,
    /// Outbox sender; `None`: the one `config.delivery` describes ([`infra::sender::from_config`]).
    pub sender: Option<Arc<dyn Sender>>,
}

impl StartOptions {
    /// Production defaults for `config`.
    pub fn new(config: Config) -> Self {
        StartOptions {
            config,
            clock: Arc::new(SystemClock),
            keys: None,
            sender: None,
        }
    }
}

/// Connects the database, runs migrations, and assembles the state.
pub async fn build_state(options: StartOptions) -> anyhow::Result<AppState> {
    let StartOptions {
        config,
        clock,
        keys,
        sender,
    } = options;
    std::fs::create_dir_all(&config.data_dir)?;
    let (pool, backend) = infra::db::connect(&config.database_url, config.db_pool_size).await?;
    let keys = match keys {
        Some(k) => k,
        None => ServerKeys::load_or_create(&config.data_dir)?,
    };
    let sender = match sender {
        Some(s) => s,
        None => infra::sender::from_config(&config.delivery, &config.data_dir)
            .context("setting up message delivery")?,
    };
    let wakeups = infra::wakeups::Wakeups::start(backend, &config.database_url).await?;
    let geoip = match &config.geoip_csv {
        None => None,
        Some(path) => {
            let table = infra::geoip::GeoIp::load(path)
                .with_context(|| format!("loading the GeoIP table {}", path.display()))?;
            tracing::info!(ranges = table.len(), "GeoIP table loaded");
            Some(Arc::new(table))
        }
    };
    let state = AppState::new(Inner {
        pool,
        backend,
        keys,
        clock,
        config,
        sender,
        wakeups,
        geoip,
        faults: Default::default(),
        memory_limits: Default::default(),
        sessions: Default::default(),
    });
    // Due dates counted before the holiday table last changed by a migration (0010 shipped
    // Tết and the other days off) follow it from now on.
    resources::holidays::recount_at_start(&state)
        .await
        .context("counting open requests' due dates on the holiday table")?;
    Ok(state)
}

/// A server running in this process.
pub struct RunningServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state (tests reach into the database through it).
    pub state: AppState,
    task: tokio::task::JoinHandle<()>,
    sweep: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving.
    pub fn stop(self) {
        self.task.abort();
        self.sweep.abort();
    }
}

/// The origin of a server listening on loopback at `addr` (tests and the embedded server).
pub fn loopback_origin(addr: SocketAddr) -> anyhow::Result<Origin> {
    Ok(Origin::parse(&format!("http://{addr}"))?)
}

/// Binds `listener` and serves in the background, with the periodic sweep
/// ([`start_sweep`]); both stop with [`RunningServer::stop`].
pub async fn spawn(
    listener: tokio::net::TcpListener,
    state: AppState,
) -> anyhow::Result<RunningServer> {
    let addr = listener.local_addr()?;
    // The officer console is a client of this server's OpenID provider; its redirect URI
    // follows the configured origin.
    resources::console::ensure_client(&state)
        .await
        .context("registering the officer console with the OpenID provider")?;
    let app = http::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "server stopped");
        }
    });
    let sweep = start_sweep(&state);
    Ok(RunningServer {
        addr,
        state,
        task,
        sweep,
    })
}

/// Starts the background task that forgets expired challenges, one-time codes and rate-limit
/// windows and ends lapsed sign-ins every `config.sweep_interval` (`store::sweep`), so no
/// request pays for it, and delivers back-channel logouts to relying parties
/// (`resources::oidc::run_logout_delivery`). Start it once per serving instance; abort the
/// handle to stop both.
pub fn start_sweep(state: &AppState) -> tokio::task::JoinHandle<()> {
    let (sweep, logouts) = (state.clone(), state.clone());
    tokio::spawn(async move {
        tokio::join!(
            store::sweep::run(sweep),
            resources::oidc::run_logout_delivery(logouts)
        );
    })
}
