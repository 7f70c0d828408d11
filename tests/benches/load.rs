//! Load test of whole journeys (issue 18, point 4), a bench binary: `cargo xtask bench-load`.
//!
//! It starts the server in a process of its own (the server library as `dinhdanh-server
//! serve` runs it, see [`serve`]) on a loopback port with a fresh database — SQLite, and
//! PostgreSQL when `DINHDANH_BENCH_POSTGRES_URL` names a server — and plays N phones, each with a desktop beside it, through one whole
//! journey each, all N at once:
//!
//! 1. **sign in** on the phone (password);
//! 2. **register an organisation** the registry knows with the person as its only legal
//!    representative (confirmed with the passcode; the registry settles it, so it is approved
//!    at once and an organisation account made);
//! 3. **switch to the organisation** on the phone (confirmed);
//! 4. **QR login of the desktop**: the desktop asks for a code, the phone approves it
//!    (confirmed), the desktop is told and signed in;
//! 5. **a desktop action confirmed on the phone**: the desktop asks to act for the
//!    organisation, the phone lists the request and confirms it, the desktop is told.
//!
//! Phones and desktops are the device library (`dinhdanh-client`) as the app uses it, secrets
//! in memory ([`dinhdanh_tests::MemoryStore`]), each device on a loopback address of its own
//! (`127.0.0.0/8`, as people come from many). Every phone is bound before the clock starts
//! (one-time code from the server's outbox) and derives its passcode key once, at production
//! cost (argon2id, 64 MiB), then confirms every action of its journey with that cached key:
//! otherwise the KDF, a phone's own cost, would be all the bench measured.
//!
//! Levels of N (`DINHDANH_LOAD_LEVELS`, default `1,4,16`) each use fresh people and
//! organisations. Per level: journeys per second, p50/p99 of every step, errors, and the
//! server's and the load generator's CPU (share of one core over the level's wall time, from
//! `/proc`) and the server's peak resident memory. The baseline is the level N = 1 of the same
//! run; the saturation point is the first level whose journeys per second rise less than 10%
//! over the level before. The generator stops by itself: each level ends when its N journeys
//! have ended (or failed), each step within the client's own 15 s timeout.
//!
//! Not yet played: the officer's decision (a registration the registry cannot settle, decided
//! in the console), and two server instances on one PostgreSQL.

#[path = "../../crates/server/tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use common::TestServer;
use dinhdanh_client::api::{Client, ClientConfig, QrLoginAnswer};
use dinhdanh_client::passcode::{EnteredPasscode, PasscodeConfirmer, new_passcode};
use dinhdanh_client::profile::Profile;
use dinhdanh_core::account::AccountLevel;
use dinhdanh_core::api::{
    DesktopActionEvent, OneTimeCode, RegistrationStatus, RegistrationSubmission, RegistrationView,
    SecretText, SwitchAccount, paths,
};
use dinhdanh_core::ids::{CitizenId, OrgEid, Password};
use dinhdanh_core::org_type::{OrgType, OrganisationForm, RegistryKind, RepresentativeForm};
use dinhdanh_core::qr_login::QrLoginPayload;
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use dinhdanh_server::testing::accounts::{self, CitizenRecord};
use dinhdanh_server::testing::registry::{self, RegistryEntry, RegistryStatus};
use dinhdanh_server::testing::{ServerKeys, seed};
use dinhdanh_tests::MemoryStore;

/// Every simulated person's password and passcode.
const PASSWORD: &str = "Matkhau#2025";
const PASSCODE: &str = "270419";

/// The steps of a journey, in order.
const STEPS: [&str; 5] = [
    "sign in",
    "register an organisation",
    "switch to the organisation",
    "QR login of the desktop",
    "desktop action confirmed on the phone",
];

fn main() -> Result<()> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if let [mode, data_dir, database_url] = args.as_slice()
        && mode == "--serve"
    {
        return serve(
            PathBuf::from(data_dir),
            database_url.to_string_lossy().into_owned(),
        );
    }
    // Two workers: the load generator gets the machine's two cores, the server (another
    // process) competes for them as it would with any client on the same host.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

/// The server process: the server library started as `dinhdanh-server serve` starts it
/// (`build_state`, then `spawn`: the router, the sweep, the console's client; a runtime with a
/// worker per core; keys from the data directory; the system clock; codes to `outbox.log`) on
/// a free loopback port, which it prints as `LISTENING <url>`; it runs until killed. The bench
/// re-executes itself for this rather than needing a second release build of the binary.
fn serve(data_dir: PathBuf, database_url: String) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let keys = ServerKeys::load_or_create(&data_dir).map_err(|e| anyhow!("{e}"))?;
        let setup = dinhdanh_server::testing::ServerSetup {
            data_dir,
            database_url,
            keys,
            clock: None,
        };
        let server = dinhdanh_server::testing::start_server(setup, |_| {}).await?;
        println!("LISTENING {}", server.base_url());
        std::io::Write::flush(&mut std::io::stdout())?;
        std::future::pending::<()>().await;
        Ok(())
    })
}

async fn run() -> Result<()> {
    let levels: Vec<usize> = std::env::var("DINHDANH_LOAD_LEVELS")
        .unwrap_or_else(|_| "1,4,16".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .filter(|n| *n > 0)
        .collect();
    ensure!(!levels.is_empty(), "DINHDANH_LOAD_LEVELS names no level");
    let mut results = Vec::new();
    results.extend(bench_backend("SQLite", None, &levels).await?);
    print_table(&results);
    match std::env::var("DINHDANH_BENCH_POSTGRES_URL") {
        Ok(admin) if !admin.is_empty() => {
            results.extend(bench_backend("PostgreSQL", Some(&admin), &levels).await?);
            print_table(&results);
        }
        _ => eprintln!("(PostgreSQL skipped: set DINHDANH_BENCH_POSTGRES_URL to include it)"),
    }
    Ok(())
}

/// The server in a process of its own, on a loopback port; killed when dropped.
struct ServerProcess {
    child: Child,
    url: String,
}

impl ServerProcess {
    /// This bench binary again, in `--serve` mode ([`serve`]), on `database_url` with data
    /// in `data_dir`; returns once it answers.
    async fn start(data_dir: &Path, database_url: &str) -> Result<ServerProcess> {
        let mut child = Command::new(std::env::current_exe()?)
            .arg("--serve")
            .arg(data_dir)
            .arg(database_url)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(data_dir.join("server.log"))?)
            .spawn()
            .context("starting the server process")?;
        let stdout = child.stdout.take().context("the server's stdout")?;
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)?;
        let Some(url) = line.trim().strip_prefix("LISTENING ") else {
            let _ = child.kill();
            bail!(
                "the server process did not start: {}",
                std::fs::read_to_string(data_dir.join("server.log")).unwrap_or_default()
            );
        };
        Ok(ServerProcess {
            url: url.to_owned(),
            child,
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

/// A person the journey is played for: a registry organisation whose only legal
/// representative they are, and their account.
struct Person {
    entry: RegistryEntry,
    record: CitizenRecord,
}

/// A phone and its desktop, bound, its passcode key derived once.
struct Devices {
    person: Person,
    phone: Client,
    desktop: Client,
    confirmer: PasscodeConfirmer,
    _profiles: tempdir::Dir,
}

/// One level's result.
struct Level {
    backend: &'static str,
    n: usize,
    wall: Duration,
    steps: BTreeMap<usize, Vec<Duration>>,
    errors: Vec<String>,
    server_cpu: f64,
    generator_cpu: f64,
    server_rss: f64,
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

async fn bench_backend(
    backend: &'static str,
    admin: Option<&str>,
    levels: &[usize],
) -> Result<Vec<Level>> {
    let dir = dinhdanh_server::testing::temp_dir("bench-load")?;
    let url = match admin {
        None => dinhdanh_server::testing::sqlite_url(&dir),
        Some(admin) => dinhdanh_server::testing::fresh_postgres_database(admin).await?,
    };
    let total: usize = levels.iter().sum();
    eprintln!("{backend}: loading the registries, {total} accounts");
    let people = set_up(&dir, &url, total).await?;
    let server = ServerProcess::start(&dir, &url).await?;
    let mut people = people.into_iter();
    let mut out = Vec::new();
    let mut address = 1u32;
    for &n in levels {
        eprintln!("{backend}: binding {n} phones (their passcode keys derived once)");
        let mut devices = Vec::with_capacity(n);
        for person in people.by_ref().take(n) {
            address += 1;
            devices.push(bind(&server, &dir, person, address).await?);
        }
        eprintln!("{backend}: {n} journeys at once");
        out.push(level(backend, &server, devices).await?);
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(out)
}

/// The shipped registries, and `n` level-2 accounts for representatives of single-
/// representative active organisations (one organisation each), made in this process on the
/// server's database and keys before the server binary starts.
async fn set_up(dir: &Path, url: &str, n: usize) -> Result<Vec<Person>> {
    // The keys file the server process reads; the set-up server gets a data directory of its
    // own, which it removes when dropped (the database stays: its URL points into `dir`).
    let keys = ServerKeys::load_or_create(dir).map_err(|e| anyhow!("{e}"))?;
    let setup_dir = dinhdanh_server::testing::temp_dir("bench-load-setup")?;
    let t = TestServer::start_on(setup_dir.clone(), url.to_owned(), keys).await;
    seed::seed_citizen_registry(t.state()).await?;
    registry::seed_registry(t.state()).await?;
    let citizens = accounts::parse_citizen_registry(seed::CITIZEN_REGISTRY)?;
    let by_id: BTreeMap<&str, &CitizenRecord> = citizens
        .iter()
        .map(|c| (c.citizen_id.as_str(), c))
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut people = Vec::with_capacity(n);
    for entry in registry::parse_registry(registry::REGISTRY_DATA)? {
        if people.len() == n {
            break;
        }
        let [(rep, _)] = entry.representatives.as_slice() else {
            continue;
        };
        if entry.status != RegistryStatus::Active || !seen.insert(rep.clone()) {
            continue;
        }
        // Born in 2000 or before, so the passcode check's birthday rule has a fixed answer.
        let Some(record) = by_id.get(rep.as_str()) else {
            continue;
        };
        accounts::create_account(
            t.state(),
            rep,
            &Password::parse(PASSWORD).map_err(|_| anyhow!("the bench password is refused"))?,
            AccountLevel::Level2,
        )
        .await?;
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
    drop(t);
    // Its background tasks may still write there as it stops.
    let _ = std::fs::remove_dir_all(setup_dir);
    Ok(people)
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

fn client(server: &ServerProcess, dir: &Path, name: &str, address: u32) -> Result<Client> {
    let profile = Profile::open(name, dir.join(name))?;
    let mut config = ClientConfig::new(&server.url);
    // 127.0.0.2, 127.0.0.3, …: each device its own address, as people come from many.
    config.local_address = Some(IpAddr::from([
        127,
        u8::try_from((address >> 16) & 0xff)?,
        u8::try_from((address >> 8) & 0xff)?,
        u8::try_from(address & 0xff)?,
    ]));
    Ok(Client::new(config, profile, MemoryStore::keystore())?)
}

/// The person's phone bound to their account (the code from the server's outbox), and a
/// desktop beside it; the passcode key derived once.
async fn bind(
    server: &ServerProcess,
    data_dir: &Path,
    person: Person,
    address: u32,
) -> Result<Devices> {
    let profiles = tempdir::Dir(dinhdanh_server::testing::temp_dir("bench-load-device")?);
    let phone = client(server, &profiles.0, "phone", address)?;
    let desktop = client(server, &profiles.0, "desktop", address)?;
    let started = phone
        .bind_start(&person.record.citizen_id, SecretText::new(PASSWORD))
        .await?;
    let code = last_code_to(data_dir, person.record.phone.as_str())?;
    let passcode = new_passcode(PASSCODE, PASSCODE, Some(person.record.date_of_birth))?;
    phone.bind_finish(started, code, &passcode, None).await?;
    let confirmer = phone.passcode_confirmer(&EnteredPasscode::parse(PASSCODE)?)?;
    Ok(Devices {
        person,
        phone,
        desktop,
        confirmer,
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
    backend: &'static str,
    server: &ServerProcess,
    devices: Vec<Devices>,
) -> Result<Level> {
    let n = devices.len();
    let me = std::process::id();
    let (server_cpu0, generator_cpu0) = (cpu_seconds(server.pid())?, cpu_seconds(me)?);
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
    Ok(Level {
        backend,
        n,
        wall,
        steps,
        errors,
        server_cpu: (cpu_seconds(server.pid())? - server_cpu0) / secs,
        generator_cpu: (cpu_seconds(me)? - generator_cpu0) / secs,
        server_rss: peak_rss_mib(server.pid())?,
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
    // Today in Vietnam (UTC+7), as the server counts it.
    let today = chrono::DateTime::from_timestamp(d.phone.now() + 7 * 3600, 0)
        .context("clock")?
        .date_naive();
    let citizen: &CitizenId = &d.person.record.citizen_id;
    let details = form
        .validate_for_requester(org_type, citizen, today)
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
        "| backend | N at once | journeys/s | vs N=1 | errors | server CPU | generator CPU | \
         server peak RSS |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut saturation: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, l) in levels.iter().enumerate() {
        let base = levels
            .iter()
            .find(|b| b.backend == l.backend)
            .map_or(f64::NAN, Level::journeys_per_second);
        if let Some(prev) = i.checked_sub(1).and_then(|p| levels.get(p))
            && prev.backend == l.backend
            && l.journeys_per_second() < prev.journeys_per_second() * 1.1
        {
            saturation.entry(l.backend).or_insert(prev.n);
        }
        println!(
            "| {} | {} | {:.2} | {:.2}× | {} | {:.0}% | {:.0}% | {:.0} MiB |",
            l.backend,
            l.n,
            l.journeys_per_second(),
            l.journeys_per_second() / base,
            l.errors.len(),
            l.server_cpu * 100.0,
            l.generator_cpu * 100.0,
            l.server_rss
        );
    }
    println!();
    println!("| backend | N | step | ended | p50 | p99 |");
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
                l.backend,
                l.n,
                samples.len(),
                ms(50),
                ms(99)
            );
        }
    }
    println!();
    for (backend, n) in saturation {
        println!(
            "{backend}: saturated from N = {n} (the next level gained less than 10% in journeys/s)"
        );
    }
    println!(
        "CPU is the share of one core over the level's wall time (the machine has 2 and shares \
         them with other work); RSS is the server's peak since it started."
    );
}
