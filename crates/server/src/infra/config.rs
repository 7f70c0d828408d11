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
    /// Pushed authorization requests per relying party (by authenticated client id) per window,
    /// counted in each instance's memory (3000: ten a second).
    pub oidc_par_per_client: i64,
    /// Token requests per relying party per window, in each instance's memory (3000).
    pub oidc_token_per_client: i64,
    /// Introspection requests per relying party per window, in each instance's memory
    /// (30000: a service's back end asks on every call it serves).
    pub oidc_introspect_per_client: i64,
    /// How long an OpenID sign-in waits for the phone, in seconds ([`OIDC_SIGN_IN_SECS`]).
    /// Shorter only for tests and demos of expiry (`serve --oidc-sign-in-secs`, 10 to 300): a
    /// longer wait would widen the window in which a QR code shown on a screen can be
    /// photographed and used.
    pub oidc_sign_in_secs: i64,
}

/// How long an OpenID sign-in waits for the phone by default, and at most, in seconds. Here
/// rather than in the `oidc` resource because the configuration (below the resources) bounds it.
pub const OIDC_SIGN_IN_SECS: i64 = 300;

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
            oidc_par_per_client: 3000,
            oidc_token_per_client: 3000,
            oidc_introspect_per_client: 30_000,
            oidc_sign_in_secs: OIDC_SIGN_IN_SECS,
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
    /// How often a live stream re-checks its session (revoked, expired, idle, locked, what it
    /// acts for) and reads its events again even without a wake-up (every 10 seconds); a
    /// session ended through the sessions routes wakes its stream at once.
    pub live_recheck: std::time::Duration,
    /// How long a live stream stays silent before the server pings it; a ping unanswered by
    /// the next one ends the stream (every 30 seconds).
    pub live_ping: std::time::Duration,
    /// The reverse proxies in front of the server (`--trusted-proxy <cidr>`): only from a peer
    /// in one of these ranges are `Forwarded` / `X-Forwarded-For` read for the client's address
    /// (rate limits per address, the QR-login address warning); none: the headers are ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// How outbox messages reach people (none by default: `serve` refuses to start without).
    pub delivery: Delivery,
    /// The phone app's identity for verified https links (Android App Links, iOS Universal
    /// Links): the same-device hand-over of a sign-in. None configured: the `.well-known`
    /// files are 404 and the login page offers no link.
    pub app_links: AppLinks,
    /// pdf.js's package folder (`node_modules/pdfjs-dist`, `--pdfjs-dir`): the officer
    /// console draws a PDF attachment's pages on the request page with it. None: the page
    /// offers the download only.
    pub pdfjs_dir: Option<PathBuf>,
    /// Connections in the database pool (`--db-pool-size`); `None`: 8 on SQLite, 16 on
    /// PostgreSQL ([`crate::infra::db::default_pool_size`]).
    pub db_pool_size: Option<u32>,
}

/// The app the server's https links open (`/.well-known/assetlinks.json`,
/// `/.well-known/apple-app-site-association`), and where those links live.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppLinks {
    /// The Android app: its package name and signing certificates.
    pub android: Option<AndroidApp>,
    /// The iOS app ids (`<team id>.<bundle id>`).
    pub apple_app_ids: Vec<AppleAppId>,
    /// The origin the links are written on; none: the issuer's own. iOS opens a Universal Link
    /// tapped on a page of the same host in Safari, not in the app, so a deployment whose login
    /// page and links share a host sees the fallback page on iPhones (docs/design/mobile.md).
    pub link_origin: Option<Origin>,
}

impl AppLinks {
    /// Whether any app is declared: only then can a link open the app.
    pub fn any(&self) -> bool {
        self.android.is_some() || !self.apple_app_ids.is_empty()
    }
}

/// An Android app as Digital Asset Links name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AndroidApp {
    /// The application id (`vn.dinhdanh.app`).
    pub package_name: AndroidPackage,
    /// SHA-256 fingerprints of the signing certificates (at least one).
    pub sha256_cert_fingerprints: Vec<CertFingerprint>,
}

/// An Android application id: two or more dot-separated segments, each a letter then letters,
/// digits or `_` (the rule of Android's `applicationId`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AndroidPackage(String);

impl AndroidPackage {
    /// Parses an application id.
    pub fn parse(text: &str) -> Result<Self, String> {
        let segments: Vec<&str> = text.split('.').collect();
        let segment_ok = |s: &&str| {
            let mut chars = s.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        if text.len() > 255 || segments.len() < 2 || !segments.iter().all(segment_ok) {
            return Err(format!(
                "not an Android application id (like vn.dinhdanh.app): {text}"
            ));
        }
        Ok(AndroidPackage(text.to_owned()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A SHA-256 certificate fingerprint as Digital Asset Links write it: 32 bytes in upper-case
/// hex pairs separated by `:`. Accepted with or without the colons, in either case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertFingerprint(String);

impl CertFingerprint {
    /// Parses a fingerprint (`keytool -list -v` prints it with colons).
    pub fn parse(text: &str) -> Result<Self, String> {
        let hex: String = text.chars().filter(|c| *c != ':').collect();
        if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!(
                "not a SHA-256 certificate fingerprint (32 hex bytes): {text}"
            ));
        }
        let upper = hex.to_ascii_uppercase();
        let pairs: Vec<&str> = (0..32)
            .filter_map(|i| upper.get(2 * i..2 * i + 2))
            .collect();
        Ok(CertFingerprint(pairs.join(":")))
    }

    /// `AB:CD:…`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An iOS app id: a ten-character team id, a dot, and a bundle id (letters, digits, `-`, `.`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppleAppId(String);

impl AppleAppId {
    /// Parses `<team id>.<bundle id>`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let ok = text.split_once('.').is_some_and(|(team, bundle)| {
            team.len() == 10
                && team
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                && !bundle.is_empty()
                && bundle.len() <= 155
                && bundle.split('.').all(|s| {
                    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                })
        });
        if !ok {
            return Err(format!(
                "not an iOS app id (TEAMID1234.vn.dinhdanh.app): {text}"
            ));
        }
        Ok(AppleAppId(text.to_owned()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How outbox messages are delivered: e-mail over SMTP, SMS through an HTTP gateway, and the
/// development log. `serve` starts only when each channel has one of them.
#[derive(Clone, Debug, Default)]
pub struct Delivery {
    /// E-mail over SMTP.
    pub smtp: Option<SmtpConfig>,
    /// SMS through an HTTP gateway.
    pub sms: Option<SmsGatewayConfig>,
    /// Development only: a channel without a sender above is appended to `outbox.log` (0600)
    /// in the data directory, codes in clear.
    pub dev_outbox_log: bool,
}

impl Delivery {
    /// The channels no sender covers (`["e-mail", "SMS"]` when nothing is configured).
    pub fn uncovered(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if self.smtp.is_none() && !self.dev_outbox_log {
            missing.push("e-mail");
        }
        if self.sms.is_none() && !self.dev_outbox_log {
            missing.push("SMS");
        }
        missing
    }
}

/// A password or token: never printed.
#[derive(Clone)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// How the SMTP connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// STARTTLS required, certificate checked (the default).
    StartTls,
    /// No TLS at all: only to a loopback host (tests, a local relay in development).
    PlainLoopback,
}

/// E-mail over SMTP.
#[derive(Clone, Debug)]
pub struct SmtpConfig {
    /// Relay host.
    pub host: String,
    /// Port (587, submission).
    pub port: u16,
    /// STARTTLS, or plain to loopback.
    pub security: SmtpSecurity,
    /// The `From:` address.
    pub from: String,
    /// User name and password, when the relay asks for them.
    pub credentials: Option<(String, Secret)>,
    /// Connection and command timeout.
    pub timeout: std::time::Duration,
}

/// The credential sent to the SMS gateway.
#[derive(Clone, Debug)]
pub enum GatewayCredential {
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// `Authorization: Basic`.
    Basic {
        /// User.
        user: String,
        /// Password.
        password: Secret,
    },
}

/// SMS through an HTTP gateway.
#[derive(Clone, Debug)]
pub struct SmsGatewayConfig {
    /// Where messages are POSTed.
    pub url: String,
    /// Credential, if the gateway wants one.
    pub credential: Option<GatewayCredential>,
    /// Tries per message, the first included (3).
    pub max_attempts: u32,
    /// Pause before the second try; doubles for each further one (500 ms).
    pub first_backoff: std::time::Duration,
    /// Timeout of one request (10 s).
    pub timeout: std::time::Duration,
}

impl SmsGatewayConfig {
    /// The defaults for a gateway at `url`.
    pub fn new(url: String, credential: Option<GatewayCredential>) -> Self {
        SmsGatewayConfig {
            url,
            credential,
            max_attempts: 3,
            first_backoff: std::time::Duration::from_millis(500),
            timeout: std::time::Duration::from_secs(10),
        }
    }
}

/// The embedded database's file in the data directory.
pub const SQLITE_FILE: &str = "dinhdanh.db";

impl Config {
    /// The embedded default: SQLite in `data_dir`.
    pub fn embedded(data_dir: PathBuf, origin: Origin) -> Self {
        let database_url = format!("sqlite://{}?mode=rwc", data_dir.join(SQLITE_FILE).display());
        Config {
            origin,
            data_dir,
            database_url,
            limits: Limits::default(),
            geoip_csv: None,
            sweep_interval: std::time::Duration::from_secs(60),
            live_recheck: std::time::Duration::from_secs(10),
            live_ping: std::time::Duration::from_secs(30),
            trusted_proxies: Vec::new(),
            delivery: Delivery::default(),
            app_links: AppLinks::default(),
            pdfjs_dir: None,
            db_pool_size: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn android_application_ids_follow_androids_rule() {
        assert!(AndroidPackage::parse("vn.dinhdanh.app").is_ok());
        assert!(AndroidPackage::parse("vn.dinh_danh.app2").is_ok());
        for bad in [
            "app",
            "vn..app",
            "vn.1app",
            "vn.dinh-danh",
            "",
            "vn.app.",
            "vn/app",
        ] {
            assert!(AndroidPackage::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fingerprints_are_written_one_way() {
        let colons = "14:6d:e9:83:c5:73:06:50:d8:ee:b9:95:2f:34:fc:64:16:a0:83:42:e6:1d:be:a8:8a:04:96:b2:3f:cf:44:e5";
        let f = CertFingerprint::parse(colons).unwrap();
        assert_eq!(f.as_str(), colons.to_ascii_uppercase());
        assert_eq!(CertFingerprint::parse(&colons.replace(':', "")).unwrap(), f);
        assert!(CertFingerprint::parse(&colons[3..]).is_err());
        assert!(CertFingerprint::parse(&colons.replace("e5", "g5")).is_err());
    }

    #[test]
    fn apple_app_ids_have_a_team_and_a_bundle() {
        assert!(AppleAppId::parse("ABCDE12345.vn.dinhdanh.app").is_ok());
        for bad in [
            "vn.dinhdanh.app",
            "abcde12345.vn.app",
            "ABCDE1234.vn.app",
            "ABCDE12345.",
            "ABCDE12345.vn..app",
            "ABCDE12345.vn/app",
        ] {
            assert!(AppleAppId::parse(bad).is_err(), "{bad}");
        }
    }
}
