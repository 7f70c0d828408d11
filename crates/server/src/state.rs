//! What every handler shares: the pool, the keys, the clock, the configuration and the
//! notification sender. The server keeps no other state, so several instances can serve one
//! PostgreSQL database.

use std::sync::Arc;

use sqlx::AnyPool;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Backend;
use crate::keys::ServerKeys;
use crate::outbox::Sender;

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
