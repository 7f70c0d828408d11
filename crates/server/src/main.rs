//! `dinhdanh-server`: serve the API, load demo data, verify the audit trail, and the officer
//! commands for in-person work.
//!
//! One kind of thing lives here: the operator's command line (its clap definitions) and its
//! dispatch. Each command only parses its arguments, calls the server library (resources,
//! seed, the audit trail) and prints the outcome; no rule and no SQL is here. It is long
//! because the commands are many, not because it mixes concerns, so it stays one file.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use dinhdanh_core::ids::CitizenId;
use dinhdanh_core::signed_action::Origin;
use dinhdanh_server::infra::config::Config;
use dinhdanh_server::store::values::word;
use dinhdanh_server::{StartOptions, build_state};

#[derive(Parser)]
#[command(name = "dinhdanh-server", about = "Reference backend of Định Danh")]
struct Cli {
    /// Data directory: SQLite file, server keys, outbox log.
    #[arg(
        long,
        env = "DINHDANH_DATA_DIR",
        default_value = ".data/server",
        global = true
    )]
    data_dir: PathBuf,
    /// Database URL (`postgres://…`); default: SQLite in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// A GeoIP table (DB-IP "lite" CSV: `ip_start,ip_end,country,region,city`) for the
    /// approximate place of a computer asking to sign in by QR code.
    #[arg(long, env = "DINHDANH_GEOIP_CSV", global = true)]
    geoip_csv: Option<PathBuf>,
    /// A reverse proxy in front of the server, as an address or CIDR range (`10.0.0.0/8`,
    /// `::1/128`); repeat it for several. Only from these is the client's address read from
    /// `Forwarded` / `X-Forwarded-For` (rate limits per address, the QR-login address
    /// warning); by default the headers are ignored.
    #[arg(
        long = "trusted-proxy",
        value_name = "CIDR",
        env = "DINHDANH_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = parse_proxy,
        global = true
    )]
    trusted_proxies: Vec<ipnet::IpNet>,
    /// pdf.js's package folder (`node_modules/pdfjs-dist` of `crates/server/pdfjs/`, which
    /// `cargo xtask run` installs): the officer console draws the pages of a PDF attachment
    /// on the request page with it. Without it the page offers the download only.
    #[arg(long, env = "DINHDANH_PDFJS_DIR", global = true)]
    pdfjs_dir: Option<PathBuf>,
    /// Connections in the database pool (by default 8 on SQLite, 16 on PostgreSQL). With
    /// several instances on one PostgreSQL, keep their sum under its `max_connections`.
    #[arg(long, env = "DINHDANH_DB_POOL_SIZE", global = true,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    db_pool_size: Option<u32>,
    #[command(flatten)]
    delivery: DeliveryArgs,
    #[command(flatten)]
    app_links: AppLinkArgs,
    #[command(subcommand)]
    command: Command,
}

/// The phone app that the server's https links open (the same-device hand-over of a sign-in:
/// Android App Links, iOS Universal Links). Without any, `/.well-known/assetlinks.json` and
/// `/.well-known/apple-app-site-association` are 404 and the login page offers no link.
#[derive(clap::Args)]
struct AppLinkArgs {
    /// The Android app's application id (`vn.dinhdanh.app`); needs `--android-cert-sha256`.
    #[arg(long, env = "DINHDANH_ANDROID_PACKAGE", global = true,
          value_parser = dinhdanh_server::infra::config::AndroidPackage::parse)]
    android_package: Option<dinhdanh_server::infra::config::AndroidPackage>,
    /// A SHA-256 fingerprint of the Android app's signing certificate (`AB:CD:…`, as
    /// `keytool -list -v` prints it); repeat it for several (a key rotation, Play App Signing).
    #[arg(long = "android-cert-sha256", value_name = "FINGERPRINT",
          env = "DINHDANH_ANDROID_CERT_SHA256", value_delimiter = ',', global = true,
          value_parser = dinhdanh_server::infra::config::CertFingerprint::parse)]
    android_cert_sha256: Vec<dinhdanh_server::infra::config::CertFingerprint>,
    /// An iOS app id (`TEAMID1234.vn.dinhdanh.app`); repeat it for several.
    #[arg(long = "apple-app-id", value_name = "APP_ID", env = "DINHDANH_APPLE_APP_IDS",
          value_delimiter = ',', global = true,
          value_parser = dinhdanh_server::infra::config::AppleAppId::parse)]
    apple_app_ids: Vec<dinhdanh_server::infra::config::AppleAppId>,
    /// The origin the links are written on, when not the server's own (a host of their own
    /// routed to this server: iOS keeps a link to the page's own host in Safari).
    #[arg(long, env = "DINHDANH_APP_LINK_ORIGIN", global = true)]
    app_link_origin: Option<String>,
}

impl AppLinkArgs {
    fn app_links(&self) -> anyhow::Result<dinhdanh_server::infra::config::AppLinks> {
        use dinhdanh_server::infra::config::{AndroidApp, AppLinks};
        let android = match (&self.android_package, self.android_cert_sha256.is_empty()) {
            (None, true) => None,
            (Some(package), false) => Some(AndroidApp {
                package_name: package.clone(),
                sha256_cert_fingerprints: self.android_cert_sha256.clone(),
            }),
            (Some(_), true) => anyhow::bail!("--android-package needs --android-cert-sha256"),
            (None, false) => anyhow::bail!("--android-cert-sha256 needs --android-package"),
        };
        let link_origin = match &self.app_link_origin {
            Some(o) => Some(Origin::parse(o).context("--app-link-origin")?),
            None => None,
        };
        Ok(AppLinks {
            android,
            apple_app_ids: self.apple_app_ids.clone(),
            link_origin,
        })
    }
}

/// How messages (one-time codes, alerts) reach people. Passwords and tokens are read from an
/// environment variable or a file, never from the command line (other users see it).
#[derive(clap::Args)]
struct DeliveryArgs {
    /// Development only: deliver messages of a channel without a sender below to
    /// `outbox.log` in the data directory (mode 0600; codes in clear).
    #[arg(long, global = true)]
    dev_outbox_log: bool,
    /// SMTP relay for e-mail (STARTTLS required).
    #[arg(long, env = "DINHDANH_SMTP_HOST", global = true)]
    smtp_host: Option<String>,
    /// SMTP port.
    #[arg(long, env = "DINHDANH_SMTP_PORT", default_value_t = 587, global = true)]
    smtp_port: u16,
    /// The e-mails' `From:` address.
    #[arg(
        long,
        env = "DINHDANH_SMTP_FROM",
        default_value = "Định Danh <no-reply@dinhdanh.example.vn>",
        global = true
    )]
    smtp_from: String,
    /// SMTP user; the password comes from DINHDANH_SMTP_PASSWORD or --smtp-password-file.
    #[arg(long, env = "DINHDANH_SMTP_USER", global = true)]
    smtp_user: Option<String>,
    /// A file holding the SMTP password.
    #[arg(long, env = "DINHDANH_SMTP_PASSWORD_FILE", global = true)]
    smtp_password_file: Option<PathBuf>,
    /// No TLS at all to the SMTP relay: only accepted for a loopback host (a local relay,
    /// tests).
    #[arg(long, env = "DINHDANH_SMTP_PLAIN_LOOPBACK", global = true)]
    smtp_plain_loopback: bool,
    /// The SMS gateway's URL (messages are POSTed as JSON).
    #[arg(long, env = "DINHDANH_SMS_GATEWAY_URL", global = true)]
    sms_gateway_url: Option<String>,
    /// With a user, the gateway secret is sent as HTTP Basic; without, as a bearer token.
    #[arg(long, env = "DINHDANH_SMS_GATEWAY_USER", global = true)]
    sms_gateway_user: Option<String>,
    /// A file holding the gateway secret (or DINHDANH_SMS_GATEWAY_SECRET).
    #[arg(long, env = "DINHDANH_SMS_GATEWAY_SECRET_FILE", global = true)]
    sms_gateway_secret_file: Option<PathBuf>,
    /// Tries per SMS, the first included (pauses of 0.5 s, 1 s, 2 s, … between them).
    #[arg(
        long,
        env = "DINHDANH_SMS_GATEWAY_ATTEMPTS",
        default_value_t = 3,
        global = true
    )]
    sms_gateway_attempts: u32,
}

/// A secret from the environment variable `var`, else from `file`.
fn secret(
    var: &str,
    file: Option<&PathBuf>,
) -> anyhow::Result<Option<dinhdanh_server::infra::config::Secret>> {
    use dinhdanh_server::infra::config::Secret;
    if let Ok(value) = std::env::var(var) {
        return Ok(Some(Secret(value)));
    }
    match file {
        None => Ok(None),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the secret file {}", path.display()))?;
            Ok(Some(Secret(text.trim_end_matches(['\r', '\n']).to_owned())))
        }
    }
}

impl DeliveryArgs {
    fn delivery(&self) -> anyhow::Result<dinhdanh_server::infra::config::Delivery> {
        use dinhdanh_server::infra::config::{
            Delivery, GatewayCredential, SmsGatewayConfig, SmtpConfig, SmtpSecurity,
        };
        let smtp = match &self.smtp_host {
            None => None,
            Some(host) => {
                let credentials = match &self.smtp_user {
                    None => None,
                    Some(user) => {
                        let password = secret(
                            "DINHDANH_SMTP_PASSWORD",
                            self.smtp_password_file.as_ref(),
                        )?
                        .context(
                            "--smtp-user needs DINHDANH_SMTP_PASSWORD or --smtp-password-file",
                        )?;
                        Some((user.clone(), password))
                    }
                };
                Some(SmtpConfig {
                    host: host.clone(),
                    port: self.smtp_port,
                    security: if self.smtp_plain_loopback {
                        SmtpSecurity::PlainLoopback
                    } else {
                        SmtpSecurity::StartTls
                    },
                    from: self.smtp_from.clone(),
                    credentials,
                    timeout: std::time::Duration::from_secs(10),
                })
            }
        };
        let sms = match &self.sms_gateway_url {
            None => None,
            Some(url) => {
                let secret = secret(
                    "DINHDANH_SMS_GATEWAY_SECRET",
                    self.sms_gateway_secret_file.as_ref(),
                )?;
                let credential = match (&self.sms_gateway_user, secret) {
                    (Some(user), Some(password)) => Some(GatewayCredential::Basic {
                        user: user.clone(),
                        password,
                    }),
                    (Some(_), None) => anyhow::bail!(
                        "--sms-gateway-user needs DINHDANH_SMS_GATEWAY_SECRET or \
                         --sms-gateway-secret-file"
                    ),
                    (None, secret) => secret.map(GatewayCredential::Bearer),
                };
                let mut config = SmsGatewayConfig::new(url.clone(), credential);
                config.max_attempts = self.sms_gateway_attempts.max(1);
                Some(config)
            }
        };
        Ok(Delivery {
            smtp,
            sms,
            dev_outbox_log: self.dev_outbox_log,
        })
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "DINHDANH_ADDR", default_value = "127.0.0.1:8640")]
        addr: SocketAddr,
        /// The origin clients sign for; default `http://<addr>`.
        #[arg(long, env = "DINHDANH_ORIGIN")]
        origin: Option<String>,
        /// How long an OpenID sign-in's QR code waits for the phone, in seconds (10 to 300;
        /// default 300). Shorter only to show or test expiry and the login page's new code.
        #[arg(
            long,
            default_value_t = dinhdanh_server::resources::oidc::SIGN_IN_SECS,
            value_parser = clap::value_parser!(i64).range(10..=dinhdanh_server::resources::oidc::SIGN_IN_SECS)
        )]
        oidc_sign_in_secs: i64,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Load the citizen registry shipped with the server; `--demo` also creates the demo
    /// accounts listed in the README. Idempotent.
    Seed {
        /// Also create the demo accounts (known passwords: never on a real deployment).
        #[arg(long)]
        demo: bool,
    },
    /// Officer roles (in-person work).
    Officer {
        #[command(subcommand)]
        command: OfficerCommand,
    },
    /// Personal accounts (in-person work by an officer).
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Organisation accounts: lifecycle (officer work in person) and the deployment targets.
    Organisation {
        #[command(subcommand)]
        command: OrganisationCommand,
    },
    /// Organisation registration requests (in-person work by an officer).
    Registration {
        #[command(subcommand)]
        command: RegistrationCommand,
    },
    /// The demo organisation registries: look-ups and recording changes.
    Registry {
        #[command(subcommand)]
        command: RegistryCommand,
    },
    /// Relying parties: the services people sign in to with this server (OpenID Connect).
    Client {
        #[command(subcommand)]
        command: ClientCommand,
    },
    /// The working-day calendar: days off and make-up working days, on which the due dates of
    /// registration requests are counted. A change counts every open request's due date again.
    Holiday {
        #[command(subcommand)]
        command: HolidayCommand,
    },
    /// The OpenID provider's signing keys.
    Oidc {
        #[command(subcommand)]
        command: OidcCommand,
    },
    /// Back up the embedded server while it serves: its SQLite database (an online copy), the
    /// attachments, the server keys and the audit checkpoint, into a new or empty directory.
    /// THE BACKUP CONTAINS SECRETS (the server keys): it is written mode 0700/0600; keep it so.
    /// PostgreSQL: see docs/design/operations.md (pg_dump).
    Backup {
        /// The backup's directory (new or empty).
        dir: PathBuf,
    },
    /// Restore a backup into the data directory (new or empty), with no server running on it.
    /// A later audit checkpoint already in place is kept: then run `audit new-epoch`.
    Restore {
        /// The backup's directory.
        dir: PathBuf,
        /// Replace the database, attachments and keys of a data directory that has some.
        #[arg(long)]
        overwrite: bool,
    },
}

#[derive(Subcommand)]
enum HolidayCommand {
    /// Add a day: a weekday off, or a Saturday/Sunday worked in exchange ("ngày làm bù").
    /// Nothing changes on any error (a malformed date, an empty or overlong name, a kind that
    /// does not fit the weekday, a date already in the table).
    Add {
        /// The date, YYYY-MM-DD.
        date: String,
        /// What the day is.
        #[arg(long, value_enum)]
        kind: HolidayKindArg,
        /// Its name in Vietnamese ("Tết Nguyên đán Đinh Mùi").
        #[arg(long)]
        name_vi: String,
        /// Its name in English ("Lunar New Year (Tết)").
        #[arg(long)]
        name_en: String,
    },
    /// Remove a day (to correct it, remove it and add it again).
    Remove {
        /// The date, YYYY-MM-DD.
        date: String,
    },
    /// List the days of a year.
    List {
        /// The year.
        year: i32,
    },
    /// Let a provincial officer change the table at the officer console too (each change
    /// confirmed on their phone), or stop them.
    Keeper {
        #[command(subcommand)]
        command: KeeperCommand,
    },
}

#[derive(Subcommand)]
enum KeeperCommand {
    /// Make a level-2 account a calendar keeper (audited).
    Grant {
        /// The keeper's personal identification number.
        #[arg(long)]
        citizen_id: String,
    },
    /// Take an account off the calendar keepers (audited).
    Revoke {
        /// The keeper's personal identification number.
        #[arg(long)]
        citizen_id: String,
    },
}

/// `holiday add --kind`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum HolidayKindArg {
    /// A weekday offices are closed.
    DayOff,
    /// A Saturday or Sunday offices work, in exchange for a swapped day off.
    MakeUpWorkingDay,
}

/// `holiday …`: each change is audited with no actor (the CLI).
async fn holiday_command(cli: &Cli, command: &HolidayCommand) -> anyhow::Result<()> {
    use dinhdanh_core::calendar::HolidayKind;
    use dinhdanh_server::resources::holidays::{self, HolidayChange, HolidayError, NewHoliday};
    let state = offline_state(cli).await?;
    let refused = |e: HolidayError| -> anyhow::Error {
        match e {
            HolidayError::Refused(r) => anyhow::anyhow!(
                "refused ({}): {}\n  {}\nnothing changed",
                r.code(),
                r.message_vi(),
                r.message_en()
            ),
            HolidayError::Server(e) => e.into(),
        }
    };
    let moved = |change: &HolidayChange| {
        if change.moved.is_empty() {
            println!("no open request's due date moved");
        }
        for m in &change.moved {
            println!("  {}: due {} -> {}", m.id.as_str(), m.was, m.now);
        }
    };
    let kind_word = |kind: HolidayKind| match kind {
        HolidayKind::DayOff => "day off",
        HolidayKind::MakeUpWorkingDay => "make-up working day",
    };
    match command {
        HolidayCommand::Add {
            date,
            kind,
            name_vi,
            name_en,
        } => {
            let kind = match kind {
                HolidayKindArg::DayOff => HolidayKind::DayOff,
                HolidayKindArg::MakeUpWorkingDay => HolidayKind::MakeUpWorkingDay,
            };
            let new = NewHoliday {
                day: date,
                kind,
                name_vi,
                name_en,
            };
            let change = holidays::add_holiday(&state, &new, None)
                .await
                .map_err(refused)?;
            let h = &change.holiday;
            println!(
                "added {} ({}): {} / {}",
                h.day,
                kind_word(h.kind),
                h.name_vi,
                h.name_en
            );
            moved(&change);
        }
        HolidayCommand::Remove { date } => {
            let change = holidays::remove_holiday(&state, date, None)
                .await
                .map_err(refused)?;
            let h = &change.holiday;
            println!("removed {} ({}): {}", h.day, kind_word(h.kind), h.name_vi);
            moved(&change);
        }
        HolidayCommand::List { year } => {
            let days = holidays::list_year(&state, *year).await?;
            for h in &days {
                println!(
                    "{}  {:<9} {:<19} {}  /  {}  [{}]",
                    h.day,
                    holidays::weekday_vi(h.day),
                    kind_word(h.kind),
                    h.name_vi,
                    h.name_en,
                    h.set_by
                );
            }
            if days.is_empty() {
                println!("(no days in {year}: working days are Monday to Friday)");
            }
        }
        HolidayCommand::Keeper {
            command: KeeperCommand::Grant { citizen_id },
        } => {
            let id = citizen_id_arg(citizen_id)?;
            account_of(&state, &id).await?;
            holidays::grant_keeper(&state, &id)
                .await
                .with_context(|| format!("making {} a calendar keeper", id.masked()))?;
            println!(
                "{} may now change the table at the officer console (as a provincial officer, \
                 each change confirmed on their phone)",
                id.masked()
            );
        }
        HolidayCommand::Keeper {
            command: KeeperCommand::Revoke { citizen_id },
        } => {
            let id = citizen_id_arg(citizen_id)?;
            account_of(&state, &id).await?;
            holidays::revoke_keeper(&state, &id)
                .await
                .with_context(|| format!("{} is not a calendar keeper", id.masked()))?;
            println!("{} is no longer a calendar keeper", id.masked());
        }
    }
    Ok(())
}

#[derive(Subcommand)]
enum OidcCommand {
    /// Rotate the ID-token signing key: the new key is published now and signs after the
    /// change-over; the old one stays published a day longer.
    RotateKey {
        /// Seconds between publishing the new key and signing with it.
        #[arg(long, default_value_t = dinhdanh_server::resources::oidc::DEFAULT_CHANGEOVER_SECS)]
        changeover_secs: i64,
    },
    /// Print the published JWK set.
    Jwks,
}

// `Add` carries every registration flag; the command is parsed once per run, so its size
// costs nothing worth boxing it for.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum ClientCommand {
    /// Register a relying party; prints its client id. Nothing is stored on any error.
    Add {
        /// Its name in Vietnamese, as the phone shows it.
        #[arg(long)]
        name_vi: String,
        /// Its name in English.
        #[arg(long)]
        name_en: String,
        /// An exact redirect URI (https; http only on loopback). Repeat for several.
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// A file holding its JWK set (public ES256 keys with `kid`).
        #[arg(
            long,
            required_unless_present = "jwks_uri",
            conflicts_with = "jwks_uri"
        )]
        jwks: Option<PathBuf>,
        /// Where it publishes its JWK set (https; http only on loopback), instead of --jwks.
        #[arg(long)]
        jwks_uri: Option<String>,
        /// The sector of its pairwise subject identifiers (a host); default: the host of its
        /// redirect URIs.
        #[arg(long)]
        sector: Option<String>,
        /// A claim it may receive (`name`). Repeat for several.
        #[arg(long = "claim")]
        claims: Vec<String>,
        /// Organisation accounts may sign in to it (it receives the `organisation` claim).
        #[arg(long)]
        organisations: bool,
        /// The identification number (CCCD) may be released to it.
        #[arg(long)]
        citizen_id: bool,
        /// Its logo, PNG or JPEG (at most 256 KiB, 1024×1024); stored re-encoded as PNG.
        #[arg(long)]
        logo: Option<PathBuf>,
        /// Its OpenID Connect Back-Channel Logout endpoint (https; http only on loopback).
        #[arg(long)]
        backchannel_logout_uri: Option<String>,
        /// An exact address RP-initiated logout may send the browser back to. Repeat for
        /// several.
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
    },
    /// List the relying parties.
    List,
    /// Show one relying party.
    Show {
        /// Its client id (`rp_…`).
        client_id: String,
    },
    /// Disable a relying party: no new sign-in, and its access tokens are revoked.
    Disable {
        /// Its client id (`rp_…`).
        client_id: String,
    },
    /// Replace a relying party's JWK set (it rotated its keys); the same checks as `add`.
    SetJwks {
        /// Its client id (`rp_…`).
        client_id: String,
        /// A file holding its new JWK set (public ES256 keys with `kid`).
        #[arg(long)]
        jwks: PathBuf,
    },
}

/// `oidc …`: a rotation is audited with no actor (the CLI).
async fn oidc_command(cli: &Cli, command: &OidcCommand) -> anyhow::Result<()> {
    use dinhdanh_server::resources::oidc;
    let state = offline_state(cli).await?;
    match command {
        OidcCommand::RotateKey { changeover_secs } => {
            let kid = oidc::rotate_signing_key(&state, *changeover_secs).await?;
            println!("new signing key {kid}: published now, signs in {changeover_secs} s");
        }
        OidcCommand::Jwks => {
            println!(
                "{}",
                serde_json::to_string_pretty(&oidc::jwks(&state).await?)?
            );
        }
    }
    Ok(())
}

/// `client …`: each change is audited with no actor (the CLI).
async fn client_command(cli: &Cli, command: &ClientCommand) -> anyhow::Result<()> {
    use dinhdanh_server::resources::clients::{self, ClientRegistration};
    let state = offline_state(cli).await?;
    let refused = |e: dinhdanh_server::infra::error::ServerError| -> anyhow::Error {
        match e {
            dinhdanh_server::infra::error::ServerError::Api(e) => {
                let mut lines = vec![format!("refused: {} ({})", e.message_en, e.code)];
                for d in &e.details {
                    lines.push(format!(
                        "  {}: {}",
                        d.field.as_deref().unwrap_or("-"),
                        d.message_en
                    ));
                }
                anyhow::anyhow!(lines.join("\n"))
            }
            e => e.into(),
        }
    };
    let show = |c: &clients::Client| {
        println!("{}  {}", c.id, if c.active { "active" } else { "disabled" });
        println!("  name: {} / {}", c.name_vi, c.name_en);
        for uri in &c.redirect_uris {
            println!("  redirect: {uri}");
        }
        println!("  sector: {}", c.sector);
        if let Some(uri) = &c.backchannel_logout_uri {
            println!("  back-channel logout: {uri}");
        }
        for uri in &c.post_logout_redirect_uris {
            println!("  post-logout redirect: {uri}");
        }
        if let Some(png) = &c.logo_png {
            println!("  logo: PNG, {} bytes", png.len());
        }
        let kids: Vec<_> = c
            .jwks
            .keys
            .iter()
            .filter_map(|k| k.common.key_id.clone())
            .collect();
        match &c.jwks_uri {
            Some(uri) => println!("  keys: at {uri}"),
            None => println!("  keys: {}", kids.join(", ")),
        }
        println!(
            "  claims: {:?}; organisations: {}; CCCD: {}",
            c.allowed_claims,
            if c.allow_organisations { "yes" } else { "no" },
            if c.allow_citizen_id { "yes" } else { "no" }
        );
    };
    match command {
        ClientCommand::Add {
            name_vi,
            name_en,
            redirect_uris,
            jwks,
            jwks_uri,
            sector,
            claims,
            organisations,
            citizen_id,
            logo,
            backchannel_logout_uri,
            post_logout_redirect_uris,
        } => {
            let jwks = match jwks {
                Some(path) => std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?,
                None => String::new(),
            };
            let logo = logo
                .as_ref()
                .map(|path| {
                    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
                })
                .transpose()?;
            let registration = ClientRegistration {
                name_vi: name_vi.clone(),
                name_en: name_en.clone(),
                redirect_uris: redirect_uris.clone(),
                jwks,
                sector: sector.clone(),
                allowed_claims: claims.clone(),
                allow_organisations: *organisations,
                allow_citizen_id: *citizen_id,
                logo,
                backchannel_logout_uri: backchannel_logout_uri.clone(),
                post_logout_redirect_uris: post_logout_redirect_uris.clone(),
                jwks_uri: jwks_uri.clone(),
            };
            let client = clients::add_client(&state, &registration)
                .await
                .map_err(refused)?;
            show(&client);
        }
        ClientCommand::List => {
            let all = clients::list_clients(&state).await?;
            for c in &all {
                let status = if c.active { "active" } else { "disabled" };
                println!("{:<26} {:<9} {}", c.id, status, c.name_vi);
            }
            if all.is_empty() {
                println!("(no relying parties)");
            }
        }
        ClientCommand::Show { client_id } => {
            let client = clients::find_client(&state, client_id)
                .await?
                .with_context(|| format!("no relying party {client_id}"))?;
            show(&client);
        }
        ClientCommand::Disable { client_id } => {
            clients::disable_client(&state, client_id)
                .await
                .map_err(refused)?;
            println!("{client_id} disabled; its access tokens are revoked");
        }
        ClientCommand::SetJwks { client_id, jwks } => {
            let jwks = std::fs::read_to_string(jwks)
                .with_context(|| format!("reading {}", jwks.display()))?;
            let client = clients::set_client_jwks(&state, client_id, &jwks)
                .await
                .map_err(refused)?;
            show(&client);
        }
    }
    Ok(())
}

#[derive(Subcommand)]
enum RegistrationCommand {
    /// List requests, newest first: id, type, name, status, due date (no identification
    /// numbers).
    List {
        /// Only requests in this status: `awaiting_consent`, `checking`, `awaiting_officer`,
        /// `information_requested`, `approved`, `rejected` or `withdrawn`.
        #[arg(long)]
        status: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 200)]
        limit: i64,
    },
    /// An officer's decision on a request, taken at the desk by the operator when the
    /// officer's phone is not at hand (the console has each decision confirmed on it): the
    /// same checks and records as the officer's decision in the app, audited with the officer
    /// as actor.
    #[command(group(
        clap::ArgGroup::new("decision")
            .required(true)
            .args(["approve", "reject", "request_information"])
    ))]
    Decide {
        /// The officer's identification number (an officer of the request's province).
        #[arg(long)]
        officer_citizen_id: String,
        /// The request (`reg_…`).
        #[arg(long)]
        id: String,
        /// Approve: the organisation's e-ID account is created.
        #[arg(long)]
        approve: bool,
        /// Reject, with the reason the requester is told.
        #[arg(long, value_name = "REASON")]
        reject: Option<String>,
        /// Ask the requester for more information.
        #[arg(long, value_name = "QUESTION")]
        request_information: Option<String>,
    },
    /// Register an organisation for a person who came to the police with their documents:
    /// the same checks and records as in the app, audited with the officer as actor.
    InPerson {
        /// The officer's identification number (an officer of the head office's province).
        #[arg(long)]
        officer_citizen_id: String,
        /// The requester's identification number (in the people records; an account they
        /// have must be at level 2, and one without an account gets the request when they
        /// create one).
        #[arg(long)]
        requester_citizen_id: String,
        /// JSON: `{"org_type": "enterprise", "form": {…the organisation form's fields…}}`.
        #[arg(long)]
        file: PathBuf,
        /// The scanned authorisation letter (PDF, JPEG or PNG).
        #[arg(long)]
        authorisation_letter: Option<PathBuf>,
        /// The scanned founding decision (PDF, JPEG or PNG).
        #[arg(long)]
        founding_decision: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum RegistryCommand {
    /// Load the shipped registries (also done by `seed`). Idempotent.
    Load,
    /// Show what a registry holds for a code.
    Lookup {
        /// `business`, `cooperative` or `tax`.
        #[arg(long)]
        registry: String,
        /// The 10-digit code.
        #[arg(long)]
        code: String,
    },
    /// Record that an organisation was dissolved (its e-ID account closes).
    Dissolve {
        /// `business`, `cooperative` or `tax`.
        #[arg(long)]
        registry: String,
        /// The 10-digit code.
        #[arg(long)]
        code: String,
    },
    /// Record new legal representatives (`--representative "001080012345:Nguyễn Văn An"`,
    /// repeated); ownership of the e-ID account follows.
    Representatives {
        /// `business`, `cooperative` or `tax`.
        #[arg(long)]
        registry: String,
        /// The 10-digit code.
        #[arg(long)]
        code: String,
        /// `NUMBER:Full Name`, once per representative.
        #[arg(long = "representative", required = true)]
        representatives: Vec<String>,
    },
    /// List the changes recorded after a sequence number.
    Changes {
        /// The last sequence number already handled.
        #[arg(long, default_value_t = 0)]
        after: i64,
    },
}

/// `registration` and `registry`.
async fn registration_command(cli: &Cli) -> anyhow::Result<()> {
    use dinhdanh_core::ids::TaxCode;
    use dinhdanh_core::org_type::{DocumentKind, Name, OrgType, OrganisationForm, RegistryKind};
    use dinhdanh_server::resources::registry::{self, RegistryUpdate};
    let state = offline_state(cli).await?;
    let registry_arg = |text: &str| -> anyhow::Result<RegistryKind> {
        match text {
            "business" => Ok(RegistryKind::BusinessRegistry),
            "cooperative" => Ok(RegistryKind::CooperativeRegistry),
            "tax" => Ok(RegistryKind::TaxRegistry),
            _ => anyhow::bail!("--registry must be business, cooperative or tax"),
        }
    };
    let code_arg = |text: &str| -> anyhow::Result<TaxCode> {
        TaxCode::parse(text).map_err(|e| anyhow::anyhow!("--code: {}", e.message_en()))
    };
    match &cli.command {
        Command::Registration {
            command: RegistrationCommand::List { status, limit },
        } => {
            use dinhdanh_core::api::RegistrationStatus;
            let status = status
                .as_deref()
                .map(|s| {
                    serde_json::from_value::<RegistrationStatus>(serde_json::Value::String(
                        s.to_owned(),
                    ))
                    .map_err(|_| anyhow::anyhow!("--status: unknown status {s}"))
                })
                .transpose()?;
            let items =
                dinhdanh_server::resources::registrations::list_requests(&state, status, *limit)
                    .await?;
            println!(
                "{:<30} {:<4} {:<22} {:<10} {:<40}",
                "id", "type", "status", "due", "name"
            );
            for item in &items {
                println!(
                    "{:<30} {:<4} {:<22} {:<10} {}{}",
                    item.id,
                    item.org_type.number(),
                    word(&item.status)?,
                    item.due_on,
                    item.name,
                    if item.overdue { "  (overdue)" } else { "" }
                );
            }
            if items.is_empty() {
                println!("(no requests)");
            }
        }
        Command::Registration {
            command:
                RegistrationCommand::Decide {
                    officer_citizen_id,
                    id,
                    approve,
                    reject,
                    request_information,
                },
        } => {
            use dinhdanh_core::api::Decision;
            let decision = match (approve, reject, request_information) {
                (true, None, None) => Decision::Approve,
                (false, Some(reason), None) => Decision::Reject {
                    reason: reason.clone(),
                },
                (false, None, Some(question)) => Decision::RequestInformation {
                    question: question.clone(),
                },
                _ => anyhow::bail!(
                    "give exactly one of --approve, --reject REASON, --request-information QUESTION"
                ),
            };
            let officer = citizen_id_arg(officer_citizen_id)?;
            let id = dinhdanh_core::ids::RegistrationId::parse(id)
                .map_err(|e| anyhow::anyhow!("--id: {}", e.message_en()))?;
            match dinhdanh_server::resources::registrations::decide_in_person(
                &state, &officer, &id, &decision,
            )
            .await
            {
                Ok(view) => println!(
                    "request {} ({}): {}{}",
                    view.id,
                    view.details.name_vi,
                    word(&view.status)?,
                    view.org_eid
                        .map(|e| format!("; e-ID number {e}"))
                        .unwrap_or_default()
                ),
                Err(dinhdanh_server::infra::error::ServerError::Api(e)) => {
                    let mut lines = vec![format!("refused: {} ({})", e.message_en, e.code)];
                    for d in &e.details {
                        lines.push(format!(
                            "  {}: {}",
                            d.field.as_deref().unwrap_or("-"),
                            d.message_en
                        ));
                    }
                    anyhow::bail!(lines.join("\n"));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Command::Registration {
            command:
                RegistrationCommand::InPerson {
                    officer_citizen_id,
                    requester_citizen_id,
                    file,
                    authorisation_letter,
                    founding_decision,
                },
        } => {
            #[derive(serde::Deserialize)]
            struct FormFile {
                org_type: OrgType,
                form: OrganisationForm,
            }
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            let form: FormFile = serde_json::from_str(&text)
                .with_context(|| format!("{} is not the expected JSON", file.display()))?;
            let mut documents = Vec::new();
            for (kind, path) in [
                (DocumentKind::AuthorisationLetter, authorisation_letter),
                (DocumentKind::FoundingDecision, founding_decision),
            ] {
                if let Some(path) = path {
                    let bytes = std::fs::read(path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    documents.push((kind, bytes));
                }
            }
            let officer = citizen_id_arg(officer_citizen_id)?;
            let requester = citizen_id_arg(requester_citizen_id)?;
            match dinhdanh_server::resources::registrations::register_in_person(
                &state,
                &officer,
                &requester,
                form.org_type,
                &form.form,
                &documents,
            )
            .await
            {
                Ok(view) => println!(
                    "request {} filed for {}: {}, due on {}{}",
                    view.id,
                    view.details.name_vi,
                    view.status.label_en(),
                    view.due_on,
                    view.org_eid
                        .map(|e| format!("; e-ID number {e}"))
                        .unwrap_or_default()
                ),
                Err(dinhdanh_server::infra::error::ServerError::Api(e)) => {
                    let mut lines = vec![format!("refused: {} ({})", e.message_en, e.code)];
                    for d in &e.details {
                        lines.push(format!(
                            "  {}: {}",
                            d.field.as_deref().unwrap_or("-"),
                            d.message_en
                        ));
                    }
                    anyhow::bail!(lines.join("\n"));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Command::Registry { command } => match command {
            RegistryCommand::Load => {
                let n = registry::seed_registry(&state).await?;
                println!("organisation registries: {n} organisations");
            }
            RegistryCommand::Lookup { registry: r, code } => {
                let kind = registry_arg(r)?;
                let code = code_arg(code)?;
                match registry::adapter(&state, kind).lookup(&code).await? {
                    None => println!("{} does not know {code}", kind.label_en()),
                    Some(rec) => {
                        println!("{} — {} ({:?})", rec.tax_code, rec.name_vi, rec.status);
                        println!("  {}, {}", rec.address, rec.province.name_vi());
                        println!("  established {}", rec.established_on);
                        if let Some(a) = &rec.agency_code {
                            println!("  agency code {a}");
                        }
                        for p in &rec.representatives {
                            println!("  representative {} {}", p.citizen_masked, p.full_name);
                        }
                    }
                }
            }
            RegistryCommand::Dissolve { registry: r, code } => {
                let change = registry::record_change(
                    &state,
                    registry_arg(r)?,
                    &code_arg(code)?,
                    RegistryUpdate::Dissolve,
                )
                .await?;
                println!("recorded change {}: {code} dissolved", change.seq);
            }
            RegistryCommand::Representatives {
                registry: r,
                code,
                representatives,
            } => {
                let mut people = Vec::new();
                for rep in representatives {
                    let (id, name) = rep
                        .split_once(':')
                        .context("--representative must be NUMBER:Full Name")?;
                    let name = Name::parse(name)
                        .map_err(|p| anyhow::anyhow!("--representative name {}", p.message_en()))?;
                    people.push((citizen_id_arg(id)?, name));
                }
                let change = registry::record_change(
                    &state,
                    registry_arg(r)?,
                    &code_arg(code)?,
                    RegistryUpdate::Representatives(people),
                )
                .await?;
                println!(
                    "recorded change {}: new representatives of {code}",
                    change.seq
                );
            }
            RegistryCommand::Changes { after } => {
                for c in registry::changes_since(&state, *after, 1000).await? {
                    println!("{} {:?} {} {:?}", c.seq, c.registry, c.code, c.change);
                }
            }
        },
        _ => {}
    }
    Ok(())
}

#[derive(Subcommand)]
enum OfficerCommand {
    /// Grant the officer role for a province to a level-2 account, or the read-only national
    /// scope (the console's dashboard of every province, nothing else) with `--national`.
    #[command(group(
        clap::ArgGroup::new("scope").required(true).args(["province", "national"])
    ))]
    Grant {
        /// The officer's personal identification number.
        #[arg(long)]
        citizen_id: String,
        /// The province, by key (`ho_chi_minh`, `ha_noi`, …).
        #[arg(long)]
        province: Option<String>,
        /// The read-only national scope instead of a province.
        #[arg(long)]
        national: bool,
    },
    /// Withdraw an account's officer role; its officer console sessions end in the same
    /// transaction (audited).
    Revoke {
        /// The officer's personal identification number.
        #[arg(long)]
        citizen_id: String,
    },
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Mark an account level 2: an officer verified the person in person.
    Level2 {
        /// The person's identification number.
        #[arg(long)]
        citizen_id: String,
    },
    /// Lock an account (Decree 69/2024, Art. 15); ends its sessions.
    Lock {
        /// The person's identification number.
        #[arg(long)]
        citizen_id: String,
        /// Why (recorded and sent to the person).
        #[arg(long)]
        reason: String,
    },
    /// Unlock an account.
    Unlock {
        /// The person's identification number.
        #[arg(long)]
        citizen_id: String,
        /// Why (recorded and sent to the person).
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
enum OrganisationCommand {
    /// Lock an organisation account: nobody can act for it until unlocked.
    Lock {
        /// The organisation's e-ID number.
        #[arg(long)]
        eid: String,
        /// Why (kept in its history).
        #[arg(long)]
        reason: String,
    },
    /// Unlock an organisation account.
    Unlock {
        /// The organisation's e-ID number.
        #[arg(long)]
        eid: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Close an organisation account for good; its e-ID number is never issued again.
    Close {
        /// The organisation's e-ID number.
        #[arg(long)]
        eid: String,
        /// Why (kept in its history).
        #[arg(long)]
        reason: String,
    },
    /// Record a new Vietnamese name; the e-ID number stays.
    Rename {
        /// The organisation's e-ID number.
        #[arg(long)]
        eid: String,
        /// The new name.
        #[arg(long)]
        name: String,
    },
    /// Merge organisations into one (`--into` may be one of them or a newly registered one);
    /// the absorbed accounts close, and the history links them both ways.
    Merge {
        /// The organisation that continues.
        #[arg(long)]
        into: String,
        /// An organisation that ceases to exist (repeat for several).
        #[arg(long = "absorb", required = true)]
        absorbed: Vec<String>,
    },
    /// Record that an organisation split into newly registered organisations.
    Split {
        /// The organisation that split.
        #[arg(long)]
        from: String,
        /// A new organisation (repeat for several).
        #[arg(long = "into", required = true)]
        successors: Vec<String>,
        /// The organisation continues (a separation); without it, it ends (a division).
        #[arg(long)]
        continues: bool,
    },
    /// Set the deployment target of an organisation type (the progress statistics' goal).
    Target {
        /// `enterprise`, `cooperative`, `organisation_with_tax_code` or
        /// `organisation_without_registration`.
        #[arg(long = "type")]
        org_type: String,
        /// Percent of the registry's organisations of the type.
        #[arg(long)]
        percent: u8,
        /// By when (YYYY-MM-DD).
        #[arg(long)]
        by: String,
    },
}

/// `organisation …`: each change is audited with no actor (the CLI) and kept in the history.
async fn organisation_command(cli: &Cli, command: &OrganisationCommand) -> anyhow::Result<()> {
    use dinhdanh_core::api::OrganisationLifecycle;
    use dinhdanh_core::ids::OrgEid;
    use dinhdanh_server::resources::organisations;
    use dinhdanh_server::resources::progress::{self, DeploymentTarget};
    let eid =
        |text: &str| OrgEid::parse(text).map_err(|e| anyhow::anyhow!("{text}: {}", e.message_en()));
    let state = offline_state(cli).await?;
    let (target, change) = match command {
        OrganisationCommand::Target {
            org_type,
            percent,
            by,
        } => {
            let t = dinhdanh_server::store::values::from_word::<dinhdanh_core::org_type::OrgType>(
                org_type,
            )
            .ok()
            .with_context(|| format!("--type: unknown organisation type {org_type}"))?;
            let due_on = chrono::NaiveDate::parse_from_str(by, "%Y-%m-%d")
                .context("--by: a date YYYY-MM-DD")?;
            progress::set_target(
                &state,
                t,
                DeploymentTarget {
                    percent: *percent,
                    due_on,
                },
            )
            .await?;
            println!("target for {org_type}: {percent}% by {due_on}");
            return Ok(());
        }
        OrganisationCommand::Lock { eid: e, reason } => (
            eid(e)?,
            OrganisationLifecycle::Lock {
                reason: reason.clone(),
            },
        ),
        OrganisationCommand::Unlock { eid: e, reason } => (
            eid(e)?,
            OrganisationLifecycle::Unlock {
                reason: reason.clone(),
            },
        ),
        OrganisationCommand::Close { eid: e, reason } => (
            eid(e)?,
            OrganisationLifecycle::Close {
                reason: reason.clone(),
            },
        ),
        OrganisationCommand::Rename { eid: e, name } => (
            eid(e)?,
            OrganisationLifecycle::Rename {
                name_vi: dinhdanh_core::org_type::Name::parse(name)
                    .map_err(|p| anyhow::anyhow!("--name: {}", p.message_en()))?,
            },
        ),
        OrganisationCommand::Merge { into, absorbed } => (
            eid(into)?,
            OrganisationLifecycle::Absorb {
                predecessors: absorbed.iter().map(|a| eid(a)).collect::<Result<_, _>>()?,
            },
        ),
        OrganisationCommand::Split {
            from,
            successors,
            continues,
        } => (
            eid(from)?,
            OrganisationLifecycle::Split {
                successors: successors
                    .iter()
                    .map(|a| eid(a))
                    .collect::<Result<_, _>>()?,
                continues: *continues,
            },
        ),
    };
    organisations::apply_lifecycle(&state, None, &target, &change)
        .await
        .with_context(|| format!("changing {target}"))?;
    let status = organisations::find_organisation(&state, &target)
        .await?
        .map(|o| format!("{:?}", o.status).to_lowercase())
        .unwrap_or_default();
    println!("{target}: done; status {status}");
    Ok(())
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute every hash and link, compare the head with the signed checkpoint kept outside
    /// the database, print a report; exit 1 if the chain is broken or the checkpoint differs.
    Verify,
    /// After a restore to an earlier point: accept that the trail no longer reaches its last
    /// checkpoint. Refused unless the trail itself is intact. Appends `audit.epoch.started`
    /// and signs a record of what was lost into the checkpoint; `verify` then reports it.
    NewEpoch {
        /// Why (kept in the signed checkpoint; shown by `audit verify`).
        #[arg(long)]
        reason: String,
    },
}

/// `backup DIR`: an online copy of the embedded server's backup set.
async fn backup_command(cli: &Cli, dir: &std::path::Path) -> anyhow::Result<()> {
    use dinhdanh_server::store::backup;
    let state = offline_state(cli).await?;
    let summary = backup::backup(&state, dir).await?;
    let m = &summary.manifest;
    println!(
        "backup written to {}: database (schema {}, audit trail up to entry {}), {} \
         attachment(s), {}, audit checkpoint {}",
        dir.display(),
        m.schema_version,
        m.audit_head.seq,
        summary.attachments,
        if m.keys_included {
            "server keys"
        } else {
            "no server keys (they come from DINHDANH_SERVER_KEYS: keep them with the backup)"
        },
        m.checkpoint_seq
            .map(|s| format!("at entry {s}"))
            .unwrap_or_else(|| "(none yet)".into())
    );
    eprintln!(
        "WARNING: this backup CONTAINS SECRETS ({}). It is readable by its owner only (0700/0600); \
         keep it encrypted and access-controlled. See {}.",
        m.secrets,
        dir.join(backup::SECRETS_NOTICE_FILE).display()
    );
    Ok(())
}

/// `restore DIR`: the backup set into the data directory; no state is built (nothing may run
/// on the directory).
fn restore_command(cli: &Cli, dir: &std::path::Path, overwrite: bool) -> anyhow::Result<()> {
    use dinhdanh_server::store::backup::{self, BackupError, RestoredCheckpoint};
    let embedded = Config::embedded(
        cli.data_dir.clone(),
        Origin::parse("http://127.0.0.1").context("origin")?,
    );
    if cli
        .database_url
        .as_ref()
        .is_some_and(|url| url != &embedded.database_url)
    {
        return Err(BackupError::NotEmbedded.into());
    }
    let summary = backup::restore(dir, &cli.data_dir, overwrite)?;
    let m = &summary.manifest;
    println!(
        "restored {} into {}: audit trail up to entry {} (backup of {})",
        dir.display(),
        cli.data_dir.display(),
        m.audit_head.seq,
        dinhdanh_server::infra::time::timestamp(m.created_at).to_rfc3339()
    );
    match summary.checkpoint {
        RestoredCheckpoint::FromBackup { seq } => println!(
            "audit checkpoint: the backup's (entry {seq}), at {}",
            summary.checkpoint_location
        ),
        RestoredCheckpoint::None => println!("audit checkpoint: none (empty trail)"),
        RestoredCheckpoint::KeptLater { epoch, seq } => println!(
            "audit checkpoint: a later one is kept at {} (epoch {epoch}, entry {seq}); the \
             restored trail lacks what came after entry {}, so `audit verify` fails until you \
             record the loss: dinhdanh-server audit new-epoch --reason \"…\"",
            summary.checkpoint_location, m.audit_head.seq
        ),
    }
    Ok(())
}

/// The state for a command that serves nothing (the origin only fills the configuration).
async fn offline_state(cli: &Cli) -> anyhow::Result<dinhdanh_server::infra::state::AppState> {
    let origin = Origin::parse("http://127.0.0.1").context("origin")?;
    let mut config = config(cli, origin)?;
    // No desktop asks to sign in through a command: the table would only slow it down.
    config.geoip_csv = None;
    build_state(StartOptions::new(config)).await
}

/// A personal identification number typed on the command line.
fn citizen_id_arg(text: &str) -> anyhow::Result<CitizenId> {
    CitizenId::parse(text).map_err(|e| anyhow::anyhow!("--citizen-id: {}", e.message_en()))
}

/// The account of the person with this number, or an error saying there is none.
async fn account_of(
    state: &dinhdanh_server::infra::state::AppState,
    id: &CitizenId,
) -> anyhow::Result<dinhdanh_server::resources::accounts::AccountRow> {
    dinhdanh_server::resources::accounts::find_account_by_citizen(state, id)
        .await?
        .with_context(|| format!("{} has no account", id.masked()))
}

/// `seed`, `officer` and `account`: each change is audited with no actor (the CLI).
async fn people_command(cli: &Cli) -> anyhow::Result<()> {
    use dinhdanh_core::account::AccountLevel;
    use dinhdanh_server::resources::accounts::{self, LockActor};
    use dinhdanh_server::seed;
    let state = offline_state(cli).await?;
    match &cli.command {
        Command::Seed { demo } => {
            let people = seed::seed_registry(&state).await?;
            println!("citizen registry: {people} people");
            let organisations = dinhdanh_server::resources::registry::seed_registry(&state).await?;
            println!("organisation registries: {organisations} organisations");
            if *demo {
                seed::seed_demo(&state).await?;
                println!(
                    "\ndemo accounts (synthetic people; never use these on a real deployment):"
                );
                println!(
                    "{:<14} {:<16} {:<18} {:<7} officer",
                    "citizen id", "name", "password", "level"
                );
                for d in seed::DEMO_ACCOUNTS {
                    let level = match d.level {
                        AccountLevel::Level1 => "1",
                        AccountLevel::Level2 => "2",
                    };
                    println!(
                        "{:<14} {:<16} {:<18} {:<7} {}",
                        d.citizen_id,
                        d.full_name,
                        d.password,
                        level,
                        d.officer_for.unwrap_or("-")
                    );
                }
                let (id, name, dob, phone) = seed::DEMO_UNREGISTERED;
                println!(
                    "\nno account yet, to try self-registration: {id} {name}, born {dob}, phone {phone}"
                );
            }
        }
        Command::Officer {
            command:
                OfficerCommand::Grant {
                    citizen_id,
                    province: None,
                    national: true,
                },
        } => {
            let id = citizen_id_arg(citizen_id)?;
            account_of(&state, &id).await?;
            dinhdanh_server::resources::officers::grant_national_officer(&state, &id)
                .await
                .with_context(|| format!("granting the national scope to {}", id.masked()))?;
            println!(
                "{} now reads the console's dashboard of every province (national scope)",
                id.masked()
            );
        }
        Command::Officer {
            command:
                OfficerCommand::Grant {
                    citizen_id,
                    province: Some(province),
                    ..
                },
        } => {
            let id = citizen_id_arg(citizen_id)?;
            account_of(&state, &id).await?;
            let province = dinhdanh_core::ids::NewProvince::parse(province)
                .map_err(|e| anyhow::anyhow!("--province: {}", e.message_en()))?;
            dinhdanh_server::resources::officers::grant_officer(&state, &id, province)
                .await
                .with_context(|| format!("granting the officer role to {}", id.masked()))?;
            println!(
                "{} is now an officer for {}",
                id.masked(),
                province.name_en()
            );
        }
        Command::Officer {
            command: OfficerCommand::Revoke { citizen_id },
        } => {
            let id = citizen_id_arg(citizen_id)?;
            account_of(&state, &id).await?;
            let ended = match dinhdanh_server::resources::officers::revoke_officer(&state, &id)
                .await
            {
                Err(e) if e.is(dinhdanh_core::api::ErrorCode::NotFound) => {
                    anyhow::bail!("{} holds no officer role; nothing changed", id.masked())
                }
                other => other
                    .with_context(|| format!("withdrawing the officer role of {}", id.masked()))?,
            };
            println!(
                "{} is no longer an officer; {ended} console session(s) ended",
                id.masked()
            );
        }
        Command::Account { command } => match command {
            AccountCommand::Level2 { citizen_id } => {
                let id = citizen_id_arg(citizen_id)?;
                let account = account_of(&state, &id).await?;
                accounts::set_level(&state, &account.id, AccountLevel::Level2).await?;
                println!("{} is now level 2", id.masked());
            }
            AccountCommand::Lock { citizen_id, reason }
            | AccountCommand::Unlock { citizen_id, reason } => {
                let lock = matches!(command, AccountCommand::Lock { .. });
                let reason = reason.trim();
                anyhow::ensure!(!reason.is_empty(), "--reason must not be empty");
                let id = citizen_id_arg(citizen_id)?;
                let account = account_of(&state, &id).await?;
                let done = if lock { "locked" } else { "unlocked" };
                match accounts::set_lock(&state, &account.id, lock, reason, LockActor::default())
                    .await
                {
                    Ok(()) => println!("{} {done}", id.masked()),
                    Err(e) if e.is(dinhdanh_core::api::ErrorCode::InvalidState) => {
                        println!("{} was already {done}; nothing changed", id.masked());
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        },
        _ => {}
    }
    Ok(())
}

fn config(cli: &Cli, origin: Origin) -> anyhow::Result<Config> {
    let mut config = Config::embedded(cli.data_dir.clone(), origin);
    if let Some(url) = &cli.database_url {
        config.database_url = url.clone();
    }
    config.geoip_csv = cli.geoip_csv.clone();
    config.trusted_proxies = cli.trusted_proxies.clone();
    config.delivery = cli.delivery.delivery()?;
    config.app_links = cli.app_links.app_links()?;
    config.db_pool_size = cli.db_pool_size;
    if let Some(dir) = &cli.pdfjs_dir {
        dinhdanh_server::resources::console::pdf_viewer::check_dir(dir)?;
        config.pdfjs_dir = Some(dir.clone());
    }
    Ok(config)
}

/// A `--trusted-proxy` value: a CIDR range, or one address (a range of one).
fn parse_proxy(text: &str) -> Result<ipnet::IpNet, String> {
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("not an address or CIDR range: {text}"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    match &cli.command {
        Command::Serve {
            addr,
            origin,
            oidc_sign_in_secs,
        } => {
            let origin = match origin {
                Some(o) => Origin::parse(o).context("--origin")?,
                None => dinhdanh_server::loopback_origin(*addr)?,
            };
            let mut config = config(&cli, origin)?;
            config.limits.oidc_sign_in_secs = *oidc_sign_in_secs;
            // Refuse rather than serve codes nobody receives (see docs/design/architecture.md,
            // "Outbox").
            let uncovered = config.delivery.uncovered();
            if !uncovered.is_empty() {
                anyhow::bail!(
                    "no sender for {}: configure SMTP (--smtp-host) and an SMS gateway \
                     (--sms-gateway-url), or, for development only, pass --dev-outbox-log \
                     (see the README, \"Delivering messages\")",
                    uncovered.join(" and ")
                );
            }
            let state = build_state(StartOptions::new(config)).await?;
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding {addr}"))?;
            tracing::info!(%addr, db = %dinhdanh_server::infra::db::redact(&state.config.database_url), "serving");
            let _sweep = dinhdanh_server::start_sweep(&state);
            dinhdanh_server::resources::console::ensure_client(&state)
                .await
                .context("registering the officer console with the OpenID provider")?;
            let app = dinhdanh_server::http::router(state)
                .into_make_service_with_connect_info::<SocketAddr>();
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await?;
        }
        Command::Seed { .. } | Command::Officer { .. } | Command::Account { .. } => {
            people_command(&cli).await?;
        }
        Command::Organisation { command } => organisation_command(&cli, command).await?,
        Command::Client { command } => client_command(&cli, command).await?,
        Command::Oidc { command } => oidc_command(&cli, command).await?,
        Command::Holiday { command } => holiday_command(&cli, command).await?,
        Command::Registration { .. } | Command::Registry { .. } => {
            registration_command(&cli).await?;
        }
        Command::Backup { dir } => backup_command(&cli, dir).await?,
        Command::Restore { dir, overwrite } => restore_command(&cli, dir, *overwrite)?,
        Command::Audit {
            command: AuditCommand::NewEpoch { reason },
        } => {
            let state = offline_state(&cli).await?;
            let start = dinhdanh_server::store::audit::start_epoch(&state, reason).await?;
            let e = &start.facts;
            println!(
                "audit epoch {} started: the checkpoint before it signed entry {}; the trail \
                 ends at entry {}{}",
                e.epoch,
                e.previous_seq,
                e.found_seq,
                e.entries_lost()
                    .map(|n| format!(" ({n} entries lost)"))
                    .unwrap_or_default()
            );
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            // No server listens: the origin is only needed to fill the configuration.
            let origin = Origin::parse("http://127.0.0.1").context("origin")?;
            let state = build_state(StartOptions::new(config(&cli, origin)?)).await?;
            let report = dinhdanh_server::store::audit::verify_chain_report(&state).await?;
            println!("{report}");
            if !report.is_ok() {
                std::process::exit(1);
            }
        }
    }
    Ok(())
}
