//! Server configuration: where it listens, where it keeps data, which database, its origin,
//! and the security limits (with the values the issue sets as defaults).

use std::path::PathBuf;

use dinhdanh_core::signed_action::Origin;

/// Security limits. Defaults follow the project's rules; tests shorten nothing here — they
/// move the clock instead.
#[derive(Clone, Debug)]
pub struct Limits {
    /// A challenge expires this long after it is issued (at most 5 minutes).
    pub challenge_ttl_secs: i64,
    /// A session pauses after this long without a request (30 minutes).
    pub session_idle_secs: i64,
    /// A session ends this long after sign-in, whatever happens (12 hours).
    pub session_absolute_secs: i64,
    /// How far a request proof's or signed action's time may be from the server's.
    pub clock_skew_secs: u32,
    /// A one-time code works this long (5 minutes).
    pub code_ttl_secs: i64,
    /// Tries per one-time code (5).
    pub code_attempts: i64,
    /// Wrong confirmations in a row before confirmation locks (5).
    pub confirmation_lock_after: i64,
    /// Wrong confirmations in a row before the device must be bound again (10).
    pub confirmation_rebind_after: i64,
    /// First confirmation lock; doubles with each further wrong confirmation.
    pub confirmation_lock_base_secs: i64,
    /// Wrong passwords per identification number and source (address, or device) per window,
    /// shared by sign-in, binding, passcode reset and self-lock (10).
    pub login_attempts_per_account: i64,
    /// Wrong passwords per identification number from all sources together per window, for
    /// sign-in, binding and passcode reset — never self-lock (100).
    pub password_failures_all_sources: i64,
    /// Requests to unauthenticated routes per IP address per window.
    pub requests_per_ip: i64,
    /// The rate-limit window.
    pub rate_window_secs: i64,
    /// Challenges issued per window, per address (IPv6: per /64) without a session, and per
    /// account in one; counted in each instance's memory (300).
    pub challenges_per_window: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            challenge_ttl_secs: 300,
            session_idle_secs: 30 * 60,
            session_absolute_secs: 12 * 60 * 60,
            clock_skew_secs: 120,
            code_ttl_secs: 300,
            code_attempts: 5,
            confirmation_lock_after: 5,
            confirmation_rebind_after: 10,
            confirmation_lock_base_secs: 60,
            login_attempts_per_account: 10,
            password_failures_all_sources: 100,
            requests_per_ip: 300,
            rate_window_secs: 300,
            challenges_per_window: 300,
        }
    }
}

/// Everything the server needs to start.
#[derive(Clone, Debug)]
pub struct Config {
    /// The origin clients sign for (`https://dinhdanh.example.vn`; `http://127.0.0.1:PORT`
    /// for the embedded server).
    pub origin: Origin,
    /// Where the SQLite file, the server keys, the outbox log and attachments live.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// Security limits.
    pub limits: Limits,
    /// A GeoIP table (DB-IP "lite" CSV) for the approximate place of a desktop asking to sign
    /// in; none: no place is shown.
    pub geoip_csv: Option<PathBuf>,
    /// How often the background sweep forgets expired challenges, codes and rate-limit
    /// windows (every minute).
    pub sweep_interval: std::time::Duration,
    /// The reverse proxies in front of the server (`--trusted-proxy <cidr>`): only from a peer
    /// in one of these ranges are `Forwarded` / `X-Forwarded-For` read for the client's address
    /// (rate limits per address, the QR-login address warning); none: the headers are ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Config {
    /// The embedded default: SQLite in `data_dir`.
    pub fn embedded(data_dir: PathBuf, origin: Origin) -> Self {
        let database_url = format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("dinhdanh.db").display()
        );
        Config {
            origin,
            data_dir,
            database_url,
            limits: Limits::default(),
            geoip_csv: None,
            sweep_interval: std::time::Duration::from_secs(60),
            trusted_proxies: Vec::new(),
        }
    }
}
