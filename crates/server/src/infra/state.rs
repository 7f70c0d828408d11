//! What every handler shares: the pool, the keys, the clock, the configuration, the
//! notification sender, the wake-ups, the GeoIP table, the in-memory rate-limit counts and the
//! cache of sessions' unchanging facts. The server keeps no other state (wake-ups only say
//! "look again"; the in-memory counts are a limit each instance applies on its own; the cache
//! holds nothing a request could change), so several instances can serve one PostgreSQL
//! database.

use std::sync::Arc;

use sqlx::AnyPool;

use crate::infra::clock::Clock;
use crate::infra::config::Config;
use crate::infra::db::Backend;
use crate::infra::faults::Faults;
use crate::infra::geoip::GeoIp;
use crate::infra::keys::ServerKeys;
use crate::infra::memory_limits::MemoryBuckets;
use crate::infra::sender::Sender;
use crate::infra::session_cache::SessionCache;
use crate::infra::wakeups::Wakeups;

/// Shared, cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The shared parts.
pub struct Inner {
    /// The database.
    pub pool: AnyPool,
    /// Which database.
    pub backend: Backend,
    /// The server's secrets.
    pub keys: ServerKeys,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// The configuration.
    pub config: Config,
    /// Delivers outbox messages (SMS, e-mail).
    pub sender: Arc<dyn Sender>,
    /// Wakes requests waiting on the database (here, and on PostgreSQL at every instance).
    pub wakeups: Wakeups,
    /// The GeoIP table, when one is configured.
    pub geoip: Option<Arc<GeoIp>>,
    /// Failures a test armed (empty in production).
    pub faults: Faults,
    /// Rate-limit counts kept in this instance's memory (challenge issuance).
    pub memory_limits: MemoryBuckets,
    /// Sessions' unchanging facts by their token's hash (the signed request's short path).
    pub sessions: SessionCache,
}

impl AppState {
    /// Bundles the parts.
    pub fn new(inner: Inner) -> Self {
        AppState(Arc::new(inner))
    }

    /// Now, Unix seconds.
    pub fn now(&self) -> i64 {
        self.0.clock.now()
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
