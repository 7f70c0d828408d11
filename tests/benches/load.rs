//! Load test of whole journeys (issue 18, point 4), a bench binary: `cargo xtask bench-load`.
//!
//! It starts the server in processes of their own (the server library as `dinhdanh-server
//! serve` runs it, see [`serve`]) on loopback with a fresh database, and plays N people at
//! once, each with a phone and a desktop, through one whole journey each:
//!
//! 1. **sign in** on the phone (password);
//! 2. **register an organisation** the registry knows with the person as its only legal
//!    representative (confirmed with the passcode; the registry settles it, so it is approved
//!    at once and an organisation account made);
//! 3. **file a request for an officer**: an association without a register (type 4), its
//!    founding decision uploaded, submitted and confirmed; no registry can settle it, so it
//!    waits for an officer of its head office's province;
//! 4. **the officer's decision**, taken as an officer takes it: the console's request page
//!    (a console session of the officer's), the founding decision opened, the decision form
//!    posted ("approve"), the action confirmed on the officer's own phone
//!    (`confirm_desktop_action`, passcode), the console's waiting page asked once for its
//!    state (`finished`), and the requester's phone reading the request approved;
//! 5. **switch to the organisation** on the phone (confirmed);
//! 6. **QR login of the desktop**: the desktop asks for a code, the phone approves it
//!    (confirmed), the desktop is told and signed in;
//! 7. **a desktop action confirmed on the phone**: the desktop asks to act for the
//!    organisation, the phone lists the request and confirms it, the desktop is told.
//!
//! Three deployments, each on a fresh database: SQLite (one instance); and, when
//! `DINHDANH_BENCH_POSTGRES_URL` names a server, PostgreSQL with one instance and PostgreSQL
//! with **two instances** on the same database behind one origin. Every device speaks to
//! `http://localhost:PORT` (the origin both instances are configured with, which request
//! proofs sign), and its HTTP client and WebSockets resolve `localhost` to the instance it is
//! spread to ([`ClientConfig::resolve`]), as a load balancer would: the instances listen on
//! the same port of `127.0.1.1` and `127.0.1.2`. With two instances a person's phone is on one
//! and their desktop on the other, and an officer's console on one and their phone on the
//! other, so every hand-over crosses instances: the QR login started on one and approved on
//! the other, the desktop's action and the console's decision asked at one and confirmed at
//! the other, the desktop told over a WebSocket held by the other. The instances share the
//! server keys and the attachments directory (a deployment's shared volume,
//! docs/design/operations.md); each has its own data directory otherwise.
//!
//! Phones and desktops are the device library (`dinhdanh-client`) as the app uses it, secrets
//! in memory ([`dinhdanh_tests::MemoryStore`]), each device on a loopback address of its own
//! (`127.0.0.0/8`, as people come from many). Every phone — people's and officers' — is bound
//! before the clock starts (one-time code from the server's outbox) and derives its passcode
//! key once, at production cost (argon2id, 64 MiB), then confirms every action with that
//! cached key: otherwise the KDF, a phone's own cost, would be all the bench measured. Each
//! officer serves [`PEOPLE_PER_OFFICER`] requesters of a level, in a province of their own,
//! with a console session made before the clock starts (`testing::console::session_cookie`:
//! the console's sign-in is the OpenID bench's subject) and confirms on the phone one decision
//! at a time, as a person does (two at once from one phone would also race its action counter).
//!
//! Levels of N (`DINHDANH_LOAD_LEVELS`, default `1,4,16`) each use fresh people, officers and
//! organisations. Per level: journeys per second, p50/p99 of every step, failed journeys, and
//! each server process's and the load generator's CPU (share of one core over the level's
//! wall time, from `/proc`) and each server's peak resident memory. The baseline is the level
//! N = 1 of the same deployment; the saturation point is the first level whose journeys per
//! second rise less than 10% over the level before. The generator stops by itself: each level
//! ends when its N journeys have ended (or failed), each step within the client's own 15 s
//! timeout (the officer's phone waits its turn at most [`OFFICER_TURN`]).
//!
//! Knobs: `DINHDANH_LOAD_DEPLOYMENTS` (a comma list of `sqlite`, `pg`, `pg2`; default all
//! three), `DINHDANH_DB_POOL_SIZE` (each instance's pool, as `serve` reads it).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use dinhdanh_client::api::{Client, ClientConfig, QrLoginAnswer};
use dinhdanh_client::passcode::{EnteredPasscode, PasscodeConfirmer, new_passcode};
use dinhdanh_client::profile::Profile;
use dinhdanh_core::account::AccountLevel;
use dinhdanh_core::api::{
    DesktopActionEvent, OneTimeCode, RegistrationStatus, RegistrationSubmission, RegistrationView,
    SecretText, SwitchAccount, paths,
};
use dinhdanh_core::ids::{AccountId, CitizenId, NewProvince, OrgEid, Password};
use dinhdanh_core::org_type::{
    DocumentKind, OrgType, OrganisationForm, RegistryKind, RepresentativeForm,
};
use dinhdanh_core::qr_login::QrLoginPayload;
use dinhdanh_core::signed_action::{ActionKind, ActionTarget, Origin};
use dinhdanh_server::infra::config::Config;
use dinhdanh_server::testing::accounts::{self, CitizenRecord};
use dinhdanh_server::testing::registry::{self, RegistryEntry, RegistryStatus};
use dinhdanh_server::testing::{AppState, ServerKeys, console, officers, seed};
use dinhdanh_server::{StartOptions, build_state};
use dinhdanh_tests::MemoryStore;

/// Every simulated person's password and passcode.
const PASSWORD: &str = "Matkhau#2025";
const PASSCODE: &str = "270419";

/// The founding decision every type-4 request carries (a PDF by its content).
const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer\n%%EOF\n";

/// Requesters one simulated officer decides for in a level (a console session holds at most
/// five decisions waiting for the phone).
const PEOPLE_PER_OFFICER: usize = 4;

/// The longest an officer's phone waits for its turn (it confirms one decision at a time).
const OFFICER_TURN: Duration = Duration::from_secs(60);

/// The steps of a journey, in order.
const STEPS: [&str; 7] = [
    "sign in",
    "register an organisation",
    "file a request for an officer",
    "officer's decision",
    "switch to the organisation",
    "QR login of the desktop",
    "desktop action confirmed on the phone",
];

/// The addresses the instances listen on (one port for both: the shared origin names it).
const INSTANCE_IPS: [Ipv4Addr; 2] = [Ipv4Addr::new(127, 0, 1, 1), Ipv4Addr::new(127, 0, 1, 2)];

fn main() -> Result<()> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if let [mode, data_dir, keys_dir, database_url, listen] = args.as_slice()
        && mode == "--serve"
    {
        return serve(
            PathBuf::from(data_dir),
            PathBuf::from(keys_dir),
            database_url.to_string_lossy().into_owned(),
            listen.to_string_lossy().parse()?,
        );
    }
    // Two workers: the load generator gets the machine's two cores, the servers (other
    // processes) compete for them as they would with any client on the same host.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

/// A server process: the server library started as `dinhdanh-server serve` starts it
/// (`build_state`, then `spawn`: the router, the sweep, the console's client; a runtime with a
/// worker per core; the system clock; codes to `outbox.log`), its keys from `keys_dir` (every
/// instance the same), listening on `listen` (port 0: a free one) with the origin
/// `http://localhost:<port>`; it prints `LISTENING <address>` and runs until killed. The pool's
/// size is `DINHDANH_DB_POOL_SIZE` when set, as `serve` reads it. The bench re-executes itself
/// for this rather than needing a second release build of the binary.
fn serve(
    data_dir: PathBuf,
    keys_dir: PathBuf,
    database_url: String,
    listen: SocketAddr,
) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let keys = ServerKeys::load_or_create(&keys_dir).map_err(|e| anyhow!("{e}"))?;
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let origin = Origin::parse(&format!("http://localhost:{}", addr.port()))?;
        let mut config = Config::embedded(data_dir, origin);
        config.database_url = database_url;
        config.delivery.dev_outbox_log = true;
        config.db_pool_size = match std::env::var("DINHDANH_DB_POOL_SIZE") {
            Ok(n) => Some(n.parse().context("DINHDANH_DB_POOL_SIZE")?),
            Err(_) => None,
        };
        let mut options = StartOptions::new(config);
        options.keys = Some(keys);
        let state = build_state(options).await?;
        let _server = dinhdanh_server::spawn(listener, state).await?;
        println!("LISTENING {addr}");
        std::io::Write::flush(&mut std::io::stdout())?;
        std::future::pending::<()>().await;
        Ok(())
    })
}

/// Where the servers run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Deployment {
    Sqlite,
    Postgres,
    PostgresTwo,
}

impl Deployment {
    fn name(self) -> &'static str {
        match self {
            Deployment::Sqlite => "SQLite",
            Deployment::Postgres => "PostgreSQL, 1 instance",
            Deployment::PostgresTwo => "PostgreSQL, 2 instances",
        }
    }

    fn instances(self) -> usize {
        match self {
            Deployment::PostgresTwo => 2,
            _ => 1,
        }
    }
}

async fn run() -> Result<()> {
    let levels: Vec<usize> = std::env::var("DINHDANH_LOAD_LEVELS")
        .unwrap_or_else(|_| "1,4,16".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .filter(|n| *n > 0)
        .collect();
    ensure!(!levels.is_empty(), "DINHDANH_LOAD_LEVELS names no level");
    let wanted =
        std::env::var("DINHDANH_LOAD_DEPLOYMENTS").unwrap_or_else(|_| "sqlite,pg,pg2".into());
    let wanted: Vec<&str> = wanted.split(',').map(str::trim).collect();
    let admin = std::env::var("DINHDANH_BENCH_POSTGRES_URL")
        .ok()
        .filter(|a| !a.is_empty());
    let mut results = Vec::new();
    for (key, deployment) in [
        ("sqlite", Deployment::Sqlite),
        ("pg", Deployment::Postgres),
        ("pg2", Deployment::PostgresTwo),
    ] {
        if !wanted.contains(&key) {
            continue;
        }
        let admin = match (deployment, &admin) {
            (Deployment::Sqlite, _) => None,
            (_, Some(admin)) => Some(admin.as_str()),
            (_, None) => {
                eprintln!(
                    "({} skipped: set DINHDANH_BENCH_POSTGRES_URL to include it)",
                    deployment.name()
                );
                continue;
            }
        };
        results.extend(bench_deployment(deployment, admin, &levels).await?);
        print_table(&results);
    }
    Ok(())
}

/// A server in a process of its own, on a loopback address; killed when dropped.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
    data_dir: PathBuf,
}

impl ServerProcess {
    /// This bench binary again, in `--serve` mode ([`serve`]), on `database_url` with data
    /// in `data_dir`, listening on `listen`; returns once it answers.
    fn start(
        data_dir: &Path,
        keys_dir: &Path,
        database_url: &str,
        listen: SocketAddr,
    ) -> Result<ServerProcess> {
        std::fs::create_dir_all(data_dir)?;
        let mut child = Command::new(std::env::current_exe()?)
            .arg("--serve")
            .arg(data_dir)
            .arg(keys_dir)
            .arg(database_url)
            .arg(listen.to_string())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(data_dir.join("server.log"))?)
            .spawn()
            .context("starting the server process")?;
        let stdout = child.stdout.take().context("the server's stdout")?;
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)?;
        let Some(addr) = line.trim().strip_prefix("LISTENING ") else {
            let _ = child.kill();
            bail!(
                "the server process did not start: {}",
                std::fs::read_to_string(data_dir.join("server.log")).unwrap_or_default()
            );
        };
        Ok(ServerProcess {
            addr: addr.parse()?,
            child,
            data_dir: data_dir.to_owned(),
        })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The instances of a deployment and the origin in front of them.
struct Servers {
    instances: Vec<ServerProcess>,
    /// `http://localhost:PORT`, every instance's origin.
    url: String,
}

impl Servers {
    /// `count` instances on `database_url`, keys from `dir`, data in `dir/instance-<i>`; the
    /// first listens on a free port of [`INSTANCE_IPS`]`[0]`, the others on the same port of
    /// their own address, sharing the first one's attachments directory.
    fn start(dir: &Path, database_url: &str, count: usize) -> Result<Servers> {
        let mut instances: Vec<ServerProcess> = Vec::with_capacity(count);
        let mut port = 0;
        for (i, ip) in INSTANCE_IPS.iter().take(count).enumerate() {
            let data_dir = dir.join(format!("instance-{i}"));
            if let Some(first) = instances.first() {
                // The shared volume a deployment mounts for every instance's attachments.
                std::fs::create_dir_all(&data_dir)?;
                let shared = first.data_dir.join("attachments");
                std::fs::create_dir_all(&shared)?;
                std::os::unix::fs::symlink(&shared, data_dir.join("attachments"))?;
            }
            let server = ServerProcess::start(
                &data_dir,
                dir,
                database_url,
                SocketAddr::new(IpAddr::V4(*ip), port),
            )?;
            port = server.addr.port();
            instances.push(server);
        }
        Ok(Servers {
            instances,
            url: format!("http://localhost:{port}"),
        })
    }

    /// The instance the `k`-th device of a kind is spread to.
    fn instance(&self, k: usize) -> &ServerProcess {
        &self.instances[k % self.instances.len()]
    }
}

/// CPU seconds (user + system) a process has used, from `/proc/<pid>/stat`.
fn cpu_seconds(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .context("/proc stat without a command name")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name and state.
    let ticks: f64 = fields
        .get(11..13)
        .context("/proc stat too short")?
        .iter()
        .map(|f| f.parse::<f64>().unwrap_or(0.0))
        .sum();
    Ok(ticks / clock_ticks())
}

/// The kernel's clock ticks per second (`getconf CLK_TCK`; 100 on Linux almost everywhere).
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// A process's peak resident memory in MiB (`VmHWM` of `/proc/<pid>/status`).
fn peak_rss_mib(pid: u32) -> Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM")?;
    Ok(kib / 1024.0)
}

/// The machine's load average over the last minute (`/proc/loadavg`): other work shares the
/// two cores, and the tables say how much.
fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|l| l.parse().ok()))
        .unwrap_or(f64::NAN)
}

/// A person the journey is played for: a registry organisation whose only legal
/// representative they are, and their account.
struct Person {
    entry: RegistryEntry,
    record: CitizenRecord,
}

/// A simulated officer: an account with the officer role of a province of their own.
struct OfficerPerson {
    record: CitizenRecord,
    account: AccountId,
    province: NewProvince,
}

/// A phone and its desktop, bound, its passcode key derived once; the officer who decides
/// their request.
struct Devices {
    /// Unique in the run: names the association the person asks an officer for.
    number: usize,
    person: Person,
    phone: Client,
    desktop: Client,
    confirmer: PasscodeConfirmer,
    officer: Arc<Officer>,
    _profiles: tempdir::Dir,
}

/// An officer at work: their bound phone and passcode key, and a console session at an
/// instance (a browser: a cookie, no confirmation key).
struct Officer {
    province: NewProvince,
    phone: Client,
    confirmer: PasscodeConfirmer,
    /// The phone confirms one decision at a time, as its holder does.
    turn: tokio::sync::Mutex<()>,
    browser: reqwest::Client,
    cookie: String,
    url: String,
    _profiles: tempdir::Dir,
}

/// One server process's share of a level.
struct ProcessUse {
    cpu: f64,
    peak_rss: f64,
}

/// One level's result.
struct Level {
    deployment: Deployment,
    n: usize,
    officers: usize,
    wall: Duration,
    steps: BTreeMap<usize, Vec<Duration>>,
    errors: Vec<String>,
    servers: Vec<ProcessUse>,
    generator_cpu: f64,
    load: (f64, f64),
}

impl Level {
    fn journeys_per_second(&self) -> f64 {
        let done = self.n.saturating_sub(self.errors.len());
        done as f64 / self.wall.as_secs_f64().max(f64::EPSILON)
    }
}

fn percentile(samples: &[Duration], p: usize) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let i = (sorted.len() * p / 100).min(sorted.len().saturating_sub(1));
    sorted.get(i).copied().unwrap_or_default()
}

fn officers_for(n: usize) -> usize {
    n.div_ceil(PEOPLE_PER_OFFICER)
}

async fn bench_deployment(
    deployment: Deployment,
    admin_url: Option<&str>,
    levels: &[usize],
) -> Result<Vec<Level>> {
    let name = deployment.name();
    let dir = dinhdanh_server::testing::temp_dir("bench-load")?;
    let url = match admin_url {
        None => dinhdanh_server::testing::sqlite_url(&dir),
        Some(admin) => dinhdanh_server::testing::fresh_postgres_database(admin).await?,
    };
    let total: usize = levels.iter().sum();
    let total_officers: usize = levels.iter().map(|n| officers_for(*n)).sum();
    eprintln!("{name}: loading the registries, {total} accounts and {total_officers} officers");
    let keys = ServerKeys::load_or_create(&dir).map_err(|e| anyhow!("{e}"))?;
    let admin = admin_state(&url, keys).await?;
    let (people, officers) = set_up(&admin, total, total_officers).await?;
    let servers = Servers::start(&dir, &url, deployment.instances())?;
    let mut people = people.into_iter();
    let mut officers = officers.into_iter();
    let mut out = Vec::new();
    let mut address = 1u32;
    let mut number = 0usize;
    for &n in levels {
        let m = officers_for(n);
        eprintln!(
            "{name}: binding {n} phones and {m} officers' phones (passcode keys derived once)"
        );
        let mut at_work = Vec::with_capacity(m);
        for (j, officer) in officers.by_ref().take(m).enumerate() {
            address += 1;
            at_work.push(Arc::new(
                officer_at_work(&admin, &servers, officer, j, address).await?,
            ));
        }
        let mut devices = Vec::with_capacity(n);
        for (k, person) in people.by_ref().take(n).enumerate() {
            address += 1;
            number += 1;
            let officer = Arc::clone(&at_work[k / PEOPLE_PER_OFFICER]);
            devices.push(bind(&servers, person, officer, k, number, address).await?);
        }
        eprintln!("{name}: {n} journeys at once");
        out.push(level(deployment, &servers, devices, m).await?);
    }
    drop(servers);
    // Every instance appended to one hash-chained trail at once: it must still verify. (Only
    // the chain: the external checkpoint is each instance's own file.)
    let report = dinhdanh_server::testing::audit::verify_chain_report(&admin).await?;
    match &report.first_broken {
        None => println!(
            "{name}: the audit trail's chain is intact ({} entries)",
            report.entries
        ),
        Some((at, how)) => println!(
            "{name}: the audit trail's chain is BROKEN at entry {at} of {}: {how:?}",
            report.entries
        ),
    }
    drop(admin);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(out)
}

/// The generator's own connection to the database, for the set-up before the clock starts
/// (accounts, officer roles, console sessions): the server's state without its router or its
/// sweep, a pool of two, its own data directory beside the instances'.
async fn admin_state(url: &str, keys: ServerKeys) -> Result<AppState> {
    let dir = dinhdanh_server::testing::temp_dir("bench-load-admin")?;
    let origin = Origin::parse("http://localhost:1")?;
    let mut config = Config::embedded(dir, origin);
    config.database_url = url.to_owned();
    config.delivery.dev_outbox_log = true;
    config.db_pool_size = Some(2);
    let mut options = StartOptions::new(config);
    options.keys = Some(keys);
    build_state(options).await
}

/// The shipped registries; `n` level-2 accounts for representatives of single-representative
/// active organisations (one organisation each); `officers` level-2 accounts of other people,
/// each made an officer of a province of their own (the provinces in turn).
async fn set_up(
    admin: &AppState,
    n: usize,
    officer_count: usize,
) -> Result<(Vec<Person>, Vec<OfficerPerson>)> {
    seed::seed_citizen_registry(admin).await?;
    registry::seed_registry(admin).await?;
    let citizens = accounts::parse_citizen_registry(seed::CITIZEN_REGISTRY)?;
    let by_id: BTreeMap<&str, &CitizenRecord> = citizens
        .iter()
        .map(|c| (c.citizen_id.as_str(), c))
        .collect();
    let password =
        Password::parse(PASSWORD).map_err(|_| anyhow!("the bench password is refused"))?;
    let entries = registry::parse_registry(registry::REGISTRY_DATA)?;
    // Nobody who represents an organisation of the registry is an officer, so no officer
    // decides for an organisation they represent.
    let representatives: std::collections::HashSet<String> = entries
        .iter()
        .flat_map(|e| {
            e.representatives
                .iter()
                .map(|(id, _)| id.as_str().to_owned())
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut people = Vec::with_capacity(n);
    for entry in &entries {
        if people.len() == n {
            break;
        }
        let [(rep, _)] = entry.representatives.as_slice() else {
            continue;
        };
        if entry.status != RegistryStatus::Active || !seen.insert(rep.clone()) {
            continue;
        }
        let Some(record) = by_id.get(rep.as_str()) else {
            continue;
        };
        accounts::create_account(admin, rep, &password, AccountLevel::Level2).await?;
        people.push(Person {
            entry: entry.clone(),
            record: (*record).clone(),
        });
    }
    ensure!(
        people.len() == n,
        "only {} usable organisations",
        people.len()
    );
    let provinces = NewProvince::all();
    let mut officers = Vec::with_capacity(officer_count);
    for record in &citizens {
        if officers.len() == officer_count {
            break;
        }
        if representatives.contains(record.citizen_id.as_str()) {
            continue;
        }
        let account =
            accounts::create_account(admin, &record.citizen_id, &password, AccountLevel::Level2)
                .await?;
        let province = provinces[officers.len() % provinces.len()];
        officers::grant_officer(admin, &record.citizen_id, province).await?;
        officers.push(OfficerPerson {
            record: record.clone(),
            account,
            province,
        });
    }
    ensure!(
        officers.len() == officer_count,
        "not enough people for the officers"
    );
    Ok((people, officers))
}

/// A directory removed when dropped, for a device's profile.
mod tempdir {
    pub struct Dir(pub std::path::PathBuf);

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// 127.0.0.2, 127.0.0.3, …: each device its own address, as people come from many.
fn device_address(address: u32) -> Result<IpAddr> {
    Ok(IpAddr::from([
        127,
        u8::try_from((address >> 16) & 0xff)?,
        u8::try_from((address >> 8) & 0xff)?,
        u8::try_from(address & 0xff)?,
    ]))
}

/// A device speaking to the deployment's origin, its host name resolved to `instance`.
fn client(
    servers: &Servers,
    instance: &ServerProcess,
    dir: &Path,
    name: &str,
    address: u32,
) -> Result<Client> {
    let profile = Profile::open(name, dir.join(name))?;
    let mut config = ClientConfig::new(&servers.url);
    config.local_address = Some(device_address(address)?);
    config.resolve = Some(instance.addr.ip());
    Ok(Client::new(config, profile, MemoryStore::keystore())?)
}

/// Binds `phone` to the account of `record` (the code from the outbox of the instance it
/// speaks to) and derives its passcode key once.
async fn bind_phone(
    phone: &Client,
    instance: &ServerProcess,
    record: &CitizenRecord,
) -> Result<PasscodeConfirmer> {
    let started = phone
        .bind_start(&record.citizen_id, SecretText::new(PASSWORD))
        .await?;
    let code = last_code_to(&instance.data_dir, record.phone.as_str())?;
    let passcode = new_passcode(PASSCODE, PASSCODE, Some(record.date_of_birth))?;
    phone.bind_finish(started, code, &passcode, None).await?;
    Ok(phone.passcode_confirmer(&EnteredPasscode::parse(PASSCODE)?)?)
}

/// The person's phone bound to their account, and a desktop beside it: the `k`-th person of
/// a level has their phone on instance `k` and their desktop on the next one.
async fn bind(
    servers: &Servers,
    person: Person,
    officer: Arc<Officer>,
    k: usize,
    number: usize,
    address: u32,
) -> Result<Devices> {
    let profiles = tempdir::Dir(dinhdanh_server::testing::temp_dir("bench-load-device")?);
    let at = servers.instance(k);
    let phone = client(servers, at, &profiles.0, "phone", address)?;
    let desktop = client(
        servers,
        servers.instance(k + 1),
        &profiles.0,
        "desktop",
        address,
    )?;
    let confirmer = bind_phone(&phone, at, &person.record).await?;
    Ok(Devices {
        number,
        person,
        phone,
        desktop,
        confirmer,
        officer,
        _profiles: profiles,
    })
}

/// The `j`-th officer of a level at work: their phone bound on instance `j + 1`, their console
/// session at instance `j`.
async fn officer_at_work(
    admin: &AppState,
    servers: &Servers,
    officer: OfficerPerson,
    j: usize,
    address: u32,
) -> Result<Officer> {
    let profiles = tempdir::Dir(dinhdanh_server::testing::temp_dir("bench-load-officer")?);
    let at = servers.instance(j + 1);
    let phone = client(servers, at, &profiles.0, "phone", address)?;
    let confirmer = bind_phone(&phone, at, &officer.record).await?;
    phone.sign_in(SecretText::new(PASSWORD)).await?;
    let cookie = console::session_cookie(admin, &officer.account).await?;
    // The officer's browser: a cookie, the console's origin, no redirects followed (the
    // decision's answer is a 303 to its waiting page, read here).
    let browser = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .redirect(reqwest::redirect::Policy::none())
        .local_address(device_address(address + 0x8000)?)
        .resolve("localhost", servers.instance(j).addr)
        .build()?;
    Ok(Officer {
        province: officer.province,
        phone,
        confirmer,
        turn: tokio::sync::Mutex::new(()),
        browser,
        cookie,
        url: servers.url.clone(),
        _profiles: profiles,
    })
}

/// The last six-digit code the server's outbox sent to `recipient`.
fn last_code_to(data_dir: &Path, recipient: &str) -> Result<OneTimeCode> {
    let text = std::fs::read_to_string(data_dir.join("outbox.log"))?;
    let code = text
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["to"] == recipient)
        .find_map(|m| {
            m["body"]
                .as_str()
                .unwrap_or_default()
                .split(|c: char| !c.is_ascii_digit())
                .find(|w| w.len() == 6)
                .map(str::to_owned)
        })
        .context("no code was sent to the person")?;
    Ok(OneTimeCode::parse(&code)?)
}

/// One level: every device's journey at once.
async fn level(
    deployment: Deployment,
    servers: &Servers,
    devices: Vec<Devices>,
    officers: usize,
) -> Result<Level> {
    let n = devices.len();
    let me = std::process::id();
    let server_cpu0: Vec<f64> = servers
        .instances
        .iter()
        .map(|s| cpu_seconds(s.pid()))
        .collect::<Result<_>>()?;
    let generator_cpu0 = cpu_seconds(me)?;
    let load0 = load_average();
    let started = Instant::now();
    let tasks: Vec<_> = devices
        .into_iter()
        .map(|d| tokio::spawn(async move { journey(d).await }))
        .collect();
    let mut steps: BTreeMap<usize, Vec<Duration>> = BTreeMap::new();
    let mut errors = Vec::new();
    for task in tasks {
        let (times, outcome) = task.await?;
        for (i, t) in times.into_iter().enumerate() {
            steps.entry(i).or_default().push(t);
        }
        if let Err(e) = outcome {
            errors.push(format!("{e:#}"));
        }
    }
    let wall = started.elapsed();
    let secs = wall.as_secs_f64().max(f64::EPSILON);
    for e in errors.iter().take(3) {
        eprintln!("  error: {e}");
    }
    let mut used = Vec::new();
    for (s, cpu0) in servers.instances.iter().zip(server_cpu0) {
        used.push(ProcessUse {
            cpu: (cpu_seconds(s.pid())? - cpu0) / secs,
            peak_rss: peak_rss_mib(s.pid())?,
        });
    }
    Ok(Level {
        deployment,
        n,
        officers,
        wall,
        steps,
        errors,
        servers: used,
        generator_cpu: (cpu_seconds(me)? - generator_cpu0) / secs,
        load: (load0, load_average()),
    })
}

/// One whole journey; the time of every step that ended, and how the journey ended.
async fn journey(d: Devices) -> (Vec<Duration>, Result<()>) {
    let mut times = Vec::with_capacity(STEPS.len());
    let outcome = steps(&d, &mut times).await;
    (times, outcome)
}

async fn steps(d: &Devices, times: &mut Vec<Duration>) -> Result<()> {
    let t0 = Instant::now();
    d.phone.sign_in(SecretText::new(PASSWORD)).await?;
    times.push(t0.elapsed());

    let t0 = Instant::now();
    let eid = register(d).await?;
    times.push(t0.elapsed());

    let t0 = Instant::now();
    let request = file_for_an_officer(d)
        .await
        .context("filing for an officer")?;
    times.push(t0.elapsed());

    let t0 = Instant::now();
    officer_decides(d, &request)
        .await
        .context("the officer's decision")?;
    times.push(t0.elapsed());

    let t0 = Instant::now();
    let choices = d
        .phone
        .switch_account(Some(eid.clone()), &d.confirmer)
        .await?;
    ensure!(
        choices.active.as_ref() == Some(&eid),
        "the switch did not apply"
    );
    times.push(t0.elapsed());

    let t0 = Instant::now();
    let pending = d
        .desktop
        .qr_login_start("Máy tính văn phòng", "Ubuntu 24.04")
        .await?;
    let payload = QrLoginPayload::parse(&pending.payload.to_uri())?;
    let (answer, approved) = tokio::join!(
        d.desktop.qr_login_wait(pending),
        d.phone.approve_qr_login(&payload, None, &d.confirmer)
    );
    approved?;
    ensure!(
        matches!(answer?, QrLoginAnswer::SignedIn(_)),
        "the desktop was not signed in"
    );
    times.push(t0.elapsed());

    let t0 = Instant::now();
    let action = d
        .desktop
        .start_desktop_action(
            ActionKind::SwitchAccount,
            &SwitchAccount {
                to: Some(eid.clone()),
            },
        )
        .await?;
    let confirm = async {
        let listed = d.phone.pending_desktop_actions().await?;
        let mine = listed
            .iter()
            .find(|a| a.id == action.id)
            .context("the phone does not list the desktop's request")?;
        d.phone
            .confirm_desktop_action(mine, &d.confirmer)
            .await
            .map_err(anyhow::Error::from)
    };
    let (event, confirmed) = tokio::join!(d.desktop.wait_desktop_action(&action), confirm);
    confirmed?;
    ensure!(
        matches!(event?, DesktopActionEvent::Done { .. }),
        "the desktop's request was not done"
    );
    ensure!(
        d.desktop.state().acting_for.as_ref() == Some(&eid),
        "the desktop does not act for the organisation"
    );
    times.push(t0.elapsed());
    Ok(())
}

/// The association the person asks an officer for (type 4: no register to settle it), its
/// founding decision uploaded first, its head office in the officer's province; it waits for
/// the officer.
async fn file_for_an_officer(d: &Devices) -> Result<RegistrationView> {
    let decision = d
        .phone
        .upload_attachment(DocumentKind::FoundingDecision, PDF)
        .await?;
    let form = OrganisationForm {
        name_vi: format!("Câu lạc bộ Cờ tướng số {}", d.number),
        established_on: "2019-09-01".into(),
        head_office_address: "Số 1 phố Tràng Tiền".into(),
        head_office_province: d.officer.province.key().into(),
        representatives: vec![RepresentativeForm {
            full_name: d.person.record.full_name.clone(),
            citizen_id: d.person.record.citizen_id.as_str().into(),
        }],
        contact_phone: d.person.record.phone.as_str().into(),
        founding_decision: decision.id.as_str().into(),
        ..OrganisationForm::default()
    };
    let org_type = OrgType::OrganisationWithoutRegistration;
    let details = form
        .validate_for_requester(org_type, &d.person.record.citizen_id, today(&d.phone)?)
        .map_err(|e| anyhow!("the form does not validate: {e:?}"))?;
    let view = d
        .phone
        .submit_registration(org_type, details, &d.confirmer)
        .await?;
    ensure!(
        view.status == RegistrationStatus::AwaitingOfficer,
        "the request does not wait for an officer: {:?}",
        view.status
    );
    Ok(view)
}

/// The officer decides `request` as at the console: the request page, its founding decision
/// opened, the decision form posted, the action confirmed on the officer's phone (their turn
/// waited for), the console's waiting page finding it finished; then the requester's phone
/// reads it approved.
async fn officer_decides(d: &Devices, request: &RegistrationView) -> Result<()> {
    let o = &d.officer;
    let get = |path: String| {
        o.browser
            .get(format!("{}{path}", o.url))
            .header(reqwest::header::COOKIE, &o.cookie)
            .send()
    };
    let page = get(format!("/console/requests/{}", request.id)).await?;
    ensure!(page.status() == 200, "the request page: {}", page.status());
    let page = page.text().await?;
    let csrf = hidden_value(&page, "csrf").context("the decision form's token")?;
    let document = request
        .attachments
        .first()
        .context("the request has no document")?;
    let opened = get(format!("/console/attachments/{}", document.id)).await?;
    ensure!(opened.status() == 200, "the document: {}", opened.status());
    ensure!(
        opened.bytes().await?.as_ref() == PDF,
        "the document differs"
    );

    let asked = o
        .browser
        .post(format!(
            "{}/console/requests/{}/decision",
            o.url, request.id
        ))
        .header(reqwest::header::COOKIE, &o.cookie)
        .header(reqwest::header::ORIGIN, &o.url)
        .form(&[
            ("csrf", csrf.as_str()),
            ("decision", "approve"),
            ("text", ""),
        ])
        .send()
        .await?;
    ensure!(
        asked.status() == 303,
        "the decision form: {} {}",
        asked.status(),
        asked.text().await.unwrap_or_default()
    );
    let waiting = asked
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .context("the decision's waiting page")?
        .to_owned();
    let action_id = waiting
        .strip_prefix("/console/actions/")
        .context("a waiting page of the console")?
        .to_owned();

    {
        let _turn = tokio::time::timeout(OFFICER_TURN, o.turn.lock())
            .await
            .context("the officer's phone was busy too long")?;
        let listed = o.phone.pending_desktop_actions().await?;
        let mine = listed
            .iter()
            .find(|a| a.id == action_id)
            .context("the officer's phone does not list the decision")?;
        let event = o.phone.confirm_desktop_action(mine, &o.confirmer).await?;
        ensure!(
            matches!(event, DesktopActionEvent::Done { .. }),
            "the decision was not carried out: {event:?}"
        );
    }

    let state = get(format!("{waiting}/state")).await?;
    ensure!(
        state.status() == 200,
        "the waiting page's state: {}",
        state.status()
    );
    ensure!(state.text().await? == "finished", "the console is not told");
    let seen = d.phone.registration(&request.id).await?;
    ensure!(
        seen.status == RegistrationStatus::Approved,
        "the requester reads {:?}",
        seen.status
    );
    Ok(())
}

/// The value of the hidden field `name` on a page (`name="…" value="…"`, as the templates
/// write it; escaped values are not needed here: tokens are URL-safe base64).
fn hidden_value(page: &str, name: &str) -> Option<String> {
    let at = page.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &page[at + name.len() + 15..];
    rest.split('"').next().map(str::to_owned)
}

/// Today in Vietnam (UTC+7), as the server counts it.
fn today(phone: &Client) -> Result<chrono::NaiveDate> {
    Ok(chrono::DateTime::from_timestamp(phone.now() + 7 * 3600, 0)
        .context("clock")?
        .date_naive())
}

/// Registers the person's organisation as the registry records it; approved at once.
async fn register(d: &Devices) -> Result<OrgEid> {
    let e = &d.person.entry;
    let mut form = OrganisationForm {
        name_vi: e.name_vi.as_str().into(),
        established_on: e.established_on.format("%Y-%m-%d").to_string(),
        head_office_address: e.address.as_str().into(),
        head_office_province: e.province.key().into(),
        representatives: e
            .representatives
            .iter()
            .map(|(id, name)| RepresentativeForm {
                full_name: name.as_str().into(),
                citizen_id: id.as_str().into(),
            })
            .collect(),
        contact_phone: d.person.record.phone.as_str().into(),
        ..OrganisationForm::default()
    };
    let org_type = match e.registry {
        RegistryKind::BusinessRegistry => {
            form.enterprise_code = e.code.as_str().into();
            OrgType::Enterprise
        }
        RegistryKind::CooperativeRegistry => {
            form.cooperative_code = e.code.as_str().into();
            OrgType::Cooperative
        }
        RegistryKind::TaxRegistry => {
            form.tax_code = e.code.as_str().into();
            form.agency_code = e
                .agency_code
                .as_ref()
                .map(|a| a.as_str().to_owned())
                .unwrap_or_default();
            OrgType::OrganisationWithTaxCode
        }
    };
    let citizen: &CitizenId = &d.person.record.citizen_id;
    let details = form
        .validate_for_requester(org_type, citizen, today(&d.phone)?)
        .map_err(|e| anyhow!("the form does not validate: {e:?}"))?;
    let view: RegistrationView = d
        .phone
        .confirmed(
            reqwest::Method::POST,
            paths::REGISTRATIONS,
            ActionKind::RegisterOrganisation,
            ActionTarget::new("registration", "new")?,
            RegistrationSubmission::new(org_type, details, citizen),
            &d.confirmer,
        )
        .await?;
    if view.status != RegistrationStatus::Approved {
        bail!("not approved at once: {:?}", view.status);
    }
    view.org_eid.context("approved without an e-ID number")
}

fn print_table(levels: &[Level]) {
    println!();
    println!(
        "| deployment | N at once | officers | journeys/s | vs N=1 | failed journeys | server CPU | \
         generator CPU | server peak RSS | load average (start → end) |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut saturation: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, l) in levels.iter().enumerate() {
        let name = l.deployment.name();
        let base = levels
            .iter()
            .find(|b| b.deployment == l.deployment)
            .map_or(f64::NAN, Level::journeys_per_second);
        if let Some(prev) = i.checked_sub(1).and_then(|p| levels.get(p))
            && prev.deployment == l.deployment
            && l.journeys_per_second() < prev.journeys_per_second() * 1.1
        {
            saturation.entry(name).or_insert(prev.n);
        }
        let each = |f: &dyn Fn(&ProcessUse) -> String| {
            l.servers.iter().map(f).collect::<Vec<_>>().join(" + ")
        };
        println!(
            "| {name} | {} | {} | {:.2} | {:.2}× | {} of {} | {} | {:.0}% | {} | {:.1} → {:.1} |",
            l.n,
            l.officers,
            l.journeys_per_second(),
            l.journeys_per_second() / base,
            l.errors.len(),
            l.n,
            each(&|p| format!("{:.0}%", p.cpu * 100.0)),
            l.generator_cpu * 100.0,
            each(&|p| format!("{:.0} MiB", p.peak_rss)),
            l.load.0,
            l.load.1,
        );
    }
    println!();
    println!("| deployment | N | step | ended | p50 | p99 |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for l in levels {
        for (i, step) in STEPS.iter().enumerate() {
            let samples = l.steps.get(&i).map_or(&[][..], Vec::as_slice);
            let ms = |p| {
                if samples.is_empty() {
                    "-".to_owned()
                } else {
                    format!("{:.1} ms", percentile(samples, p).as_secs_f64() * 1000.0)
                }
            };
            println!(
                "| {} | {} | {step} | {} | {} | {} |",
                l.deployment.name(),
                l.n,
                samples.len(),
                ms(50),
                ms(99)
            );
        }
    }
    let one: Vec<&Level> = levels
        .iter()
        .filter(|l| l.deployment == Deployment::Postgres)
        .collect();
    let two: Vec<&Level> = levels
        .iter()
        .filter(|l| l.deployment == Deployment::PostgresTwo)
        .collect();
    if !one.is_empty() && !two.is_empty() {
        println!();
        println!(
            "| N at once | journeys/s, 1 instance | journeys/s, 2 instances | 2 / 1 | failed, 1 | failed, 2 |"
        );
        println!("| --- | --- | --- | --- | --- | --- |");
        for a in &one {
            if let Some(b) = two.iter().find(|b| b.n == a.n) {
                println!(
                    "| {} | {:.2} | {:.2} | {:.2}× | {} | {} |",
                    a.n,
                    a.journeys_per_second(),
                    b.journeys_per_second(),
                    b.journeys_per_second() / a.journeys_per_second(),
                    a.errors.len(),
                    b.errors.len()
                );
            }
        }
    }
    println!();
    for (name, n) in saturation {
        println!(
            "{name}: saturated from N = {n} (the next level gained less than 10% in journeys/s)"
        );
    }
    println!(
        "CPU is the share of one core over the level's wall time (the machine has 2 and shares \
         them with other work; the load average says how much); with two instances, one figure \
         per instance. RSS is each server's peak since it started."
    );
}
