//! Infrastructure: what every layer above may use and which uses none of them — the clock,
//! configuration, keys, the database connection, wake-ups, the outbox, GeoIP, rate limits (in
//! the database and in memory), the client's address behind trusted proxies, identifiers, the
//! error type, the cache of sessions' unchanging facts and the shared state.

pub mod client_address;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod faults;
pub mod geoip;
pub mod ids;
pub mod keys;
pub mod memory_limits;
pub mod outbox;
pub mod rate_limit;
pub mod sender;
pub mod session_cache;
pub mod state;
pub mod time;
pub mod wakeups;
