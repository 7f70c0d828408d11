//! Set-up for tests and benches that use the server from outside (issue "backend layers",
//! item 6): start the real server in-process on a free loopback port with a fresh database,
//! move its clock, hand it keys, and seed or inspect its database.
//!
//! This is the only file outside the server's layers that names their insides; tests, benches
//! and other crates import `dinhdanh_server::testing` (and the crate root's [`spawn`],
//! [`build_state`], [`StartOptions`], [`RunningServer`]) and nothing else of the server. When a
//! resource changes inside (a store function takes a transaction, a file splits), this file
//! changes and the tests do not.
//!
//! The rule for what is here: a function that touches the database is a thin wrapper taking an
//! [`AppState`] (its signature is what tests rely on); a type, a constant or a pure function
//! that tests need is re-exported. Each submodule is named after the resource whose code it
//! calls, so a reader can find the real thing.
//!
//! [`spawn`]: crate::spawn
//! [`build_state`]: crate::build_state
//! [`StartOptions`]: crate::StartOptions
//! [`RunningServer`]: crate::RunningServer

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{RunningServer, StartOptions, build_state, spawn};

pub use crate::infra::clock::{Clock, ManualClock};
pub use crate::infra::config::Config;
pub use crate::infra::error::{ServerError, ServerResult};
pub use crate::infra::keys::ServerKeys;
pub use crate::infra::state::AppState;

/// The variable naming a PostgreSQL server (an administrator's URL ending in a database name)
/// on which tests create their databases. `cargo xtask test` starts a throw-away cluster and
/// sets it.
pub const POSTGRES_ENV: &str = "DINHDANH_TEST_POSTGRES_URL";

/// When a test server's manual clock starts: a fixed, realistic time (2026-11-18, 11:06 UTC).
pub const START_TIME: i64 = 1_795_000_000;

/// The database backend a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite in the server's data directory.
    Sqlite,
    /// A new database on the PostgreSQL server named by [`POSTGRES_ENV`].
    Postgres,
}

impl Backend {
    /// The PostgreSQL administrator's URL from [`POSTGRES_ENV`], if set and not empty.
    pub fn postgres_admin_url() -> Option<String> {
        std::env::var(POSTGRES_ENV).ok().filter(|u| !u.is_empty())
    }
}

/// Makes the next transaction of `action` (the name its handler begins it with, such as
/// `registration.consent`) fail once `after_steps` of its steps have run, so a test can show
/// that the action commits whole or not at all. One-shot.
pub fn fail_action_after(state: &AppState, action: &str, after_steps: usize) {
    state.faults.arm(crate::infra::faults::Fault {
        action: action.to_owned(),
        after_steps,
    });
}

/// The failures armed but not met yet (an action that took fewer steps leaves its failure
/// here: the test has then seen the whole action succeed).
pub fn faults_pending(state: &AppState) -> Vec<(String, usize)> {
    state
        .faults
        .pending()
        .into_iter()
        .map(|f| (f.action, f.after_steps))
        .collect()
}

/// A new, unique identifier with `prefix` (for names of temporary directories and databases).
pub fn unique_name(prefix: &str) -> String {
    crate::infra::ids::new_id(prefix)
}

/// A new, empty directory under the system's temporary directory, named after `tag`.
pub fn temp_dir(tag: &str) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(unique_name(&format!("dd-{tag}")));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The URL of a SQLite database file in `dir`, created on first use.
pub fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("dinhdanh.db").display())
}

/// A new, empty PostgreSQL database on the server `admin_url` points at; its URL.
pub async fn fresh_postgres_database(admin_url: &str) -> anyhow::Result<String> {
    use sqlx::Connection;
    let name = unique_name("dd_t").to_lowercase().replace('-', "_");
    let mut conn = sqlx::PgConnection::connect(admin_url).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    let (base, _) = admin_url
        .rsplit_once('/')
        .ok_or_else(|| anyhow::anyhow!("a PostgreSQL URL ends with a database name"))?;
    Ok(format!("{base}/{name}"))
}

/// A fresh database on `backend`: SQLite in `dir`, or a new PostgreSQL database. Fails, naming
/// [`POSTGRES_ENV`], when PostgreSQL is asked for and the variable is not set: a test meant
/// for PostgreSQL must not pass without having run there.
pub async fn fresh_database_url(backend: Backend, dir: &Path) -> anyhow::Result<String> {
    match backend {
        Backend::Sqlite => Ok(sqlite_url(dir)),
        Backend::Postgres => {
            let admin = Backend::postgres_admin_url().ok_or_else(|| {
                anyhow::anyhow!(
                    "this test runs on PostgreSQL: set {POSTGRES_ENV} to an administrator's \
                     URL (`cargo xtask test` starts a cluster and sets it)"
                )
            })?;
            fresh_postgres_database(&admin).await
        }
    }
}

/// How to start a server for a test; [`ServerSetup::new`] gives the usual one.
pub struct ServerSetup {
    /// Its data directory (keys when loaded from disk, `outbox.log`, the audit checkpoint).
    pub data_dir: PathBuf,
    /// Its database (see [`fresh_database_url`]; share one to start a second instance).
    pub database_url: String,
    /// Its keys (give two instances keys of the same value, as a deployment does).
    pub keys: ServerKeys,
    /// Its clock; `None` for the system clock (a client in another process signs with the
    /// system time).
    pub clock: Option<ManualClock>,
}

impl ServerSetup {
    /// On `database_url` with data in `data_dir`, new keys, a manual clock at [`START_TIME`].
    pub fn new(data_dir: PathBuf, database_url: String) -> Self {
        ServerSetup {
            data_dir,
            database_url,
            keys: ServerKeys::generate(),
            clock: Some(ManualClock::new(START_TIME)),
        }
    }
}

/// Starts the real server in this process on a free loopback port: the embedded configuration
/// for `setup.data_dir` and its loopback origin, on `setup.database_url` (migrated), changed
/// by `adjust` (a shared origin behind a load balancer, a GeoIP table, limits).
pub async fn start_server(
    setup: ServerSetup,
    adjust: impl FnOnce(&mut Config),
) -> anyhow::Result<RunningServer> {
    let ServerSetup {
        data_dir,
        database_url,
        keys,
        clock,
    } = setup;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let origin = crate::loopback_origin(listener.local_addr()?)?;
    let mut config = Config::embedded(data_dir, origin);
    config.database_url = database_url;
    adjust(&mut config);
    let mut options = StartOptions::new(config);
    if let Some(clock) = clock {
        options.clock = Arc::new(clock);
    }
    options.keys = Some(keys);
    let state = build_state(options).await?;
    spawn(listener, state).await
}

/// Demo data and the registries the server ships (what `dinhdanh-server seed` loads).
pub mod seed {
    use super::{AppState, ServerResult};

    pub use crate::seed::{CITIZEN_REGISTRY, DEMO_ACCOUNTS, DEMO_UNREGISTERED, DemoAccount};

    /// Seeds the demo accounts, officers and registries (idempotent).
    pub async fn seed_demo(state: &AppState) -> ServerResult<()> {
        crate::seed::seed_demo(state).await
    }

    /// Loads the shipped citizen registry; how many people it holds.
    pub async fn seed_citizen_registry(state: &AppState) -> ServerResult<usize> {
        crate::seed::seed_registry(state).await
    }
}

/// People and their accounts.
pub mod accounts {
    use dinhdanh_core::account::AccountLevel;
    use dinhdanh_core::api::{AccountView, DeviceView, OneTimeCode};
    use dinhdanh_core::ids::{AccountId, CitizenId, Password};

    use super::{AppState, ServerResult};
    use crate::resources::accounts as inner;

    pub use inner::{
        AccountRow, CitizenRecord, LockActor, parse_citizen_registry, purpose, verify_password,
    };

    /// Locks or unlocks an account, as an officer or the CLI does.
    pub async fn set_lock(
        state: &AppState,
        account: &AccountId,
        lock: bool,
        reason: &str,
        actor: LockActor<'_>,
    ) -> ServerResult<()> {
        inner::set_lock(state, account, lock, reason, actor).await
    }

    /// Adds a person to the citizen registry.
    pub async fn insert_citizen(state: &AppState, record: &CitizenRecord) -> ServerResult<()> {
        inner::insert_citizen(state, record).await
    }

    /// Loads a citizen registry in CSV; how many people it held.
    pub async fn load_citizen_registry(state: &AppState, csv_text: &str) -> ServerResult<usize> {
        inner::load_citizen_registry(state, csv_text).await
    }

    /// Gives a person in the registry an account at `level`.
    pub async fn create_account(
        state: &AppState,
        citizen_id: &CitizenId,
        password: &Password,
        level: AccountLevel,
    ) -> ServerResult<AccountId> {
        inner::create_account(state, citizen_id, password, level).await
    }

    /// Sets an account's level.
    pub async fn set_level(
        state: &AppState,
        account: &AccountId,
        level: AccountLevel,
    ) -> ServerResult<()> {
        inner::set_level(state, account, level).await
    }

    /// A person's registry record.
    pub async fn find_citizen(
        state: &AppState,
        id: &CitizenId,
    ) -> ServerResult<Option<CitizenRecord>> {
        inner::find_citizen(state, id).await
    }

    /// A person's account, as stored.
    pub async fn find_account_by_citizen(
        state: &AppState,
        id: &CitizenId,
    ) -> ServerResult<Option<AccountRow>> {
        inner::find_account_by_citizen(state, id).await
    }

    /// An account as its owner sees it.
    pub async fn account_view(state: &AppState, account: &AccountId) -> ServerResult<AccountView> {
        inner::account_view(state, account).await
    }

    /// The account's active device, if any.
    pub async fn active_device(
        state: &AppState,
        account: &AccountId,
    ) -> ServerResult<Option<DeviceView>> {
        inner::active_device(state, account).await
    }

    /// Redeems a one-time code sent for `purpose` (see [`purpose`]).
    pub async fn redeem_code(
        state: &AppState,
        purpose: &str,
        pending_id: &str,
        code: &OneTimeCode,
    ) -> ServerResult<(Vec<u8>, String)> {
        inner::redeem_code(state, purpose, pending_id, code).await
    }
}

/// Registration officers.
pub mod officers {
    use dinhdanh_core::ids::{AccountId, CitizenId, NewProvince};

    use super::{AppState, ServerResult};
    use crate::resources::officers as inner;

    /// Makes the person with this citizen id an officer of `province`.
    pub async fn grant_officer(
        state: &AppState,
        citizen: &CitizenId,
        province: NewProvince,
    ) -> ServerResult<()> {
        inner::grant_officer(state, citizen, province).await
    }

    /// The province an account is an officer of, if any.
    pub async fn officer_province(
        state: &AppState,
        account: &AccountId,
    ) -> ServerResult<Option<NewProvince>> {
        crate::authz::officer_province(state, account).await
    }
}

/// Sessions.
pub mod sessions {
    use dinhdanh_core::api::{SessionToken, SessionView};

    use super::{AppState, ServerResult};
    use crate::resources::sessions as inner;

    pub use inner::NewSession;

    /// A session made directly (a desktop session as QR login would make it, a device's).
    pub async fn create_session(
        state: &AppState,
        new: NewSession<'_>,
    ) -> ServerResult<(SessionToken, SessionView)> {
        inner::create_session(state, new).await
    }
}

/// One-time challenges.
pub mod challenges {
    use dinhdanh_core::api::ChallengePurpose;
    use dinhdanh_core::ids::AccountId;
    use dinhdanh_core::signed_action::Challenge;

    use super::{AppState, ServerResult};

    /// Uses up a challenge issued for `purpose` (and `account`, when bound to one).
    pub async fn consume(
        state: &AppState,
        challenge: &Challenge,
        purpose: ChallengePurpose,
        account: Option<&AccountId>,
    ) -> ServerResult<()> {
        crate::resources::challenges::consume(state, challenge, purpose, account).await
    }
}

/// The outbox (SMS and e-mail); tests read what it delivered from `outbox.log` in the data
/// directory.
pub mod outbox {
    use super::{AppState, ServerResult};

    pub use crate::infra::outbox::Channel;

    /// Sends a message through the outbox.
    pub async fn send(
        state: &AppState,
        account: Option<&str>,
        channel: Channel,
        recipient: &str,
        kind: &str,
        subject: &str,
        body: &str,
    ) -> ServerResult<()> {
        crate::infra::outbox::send(state, account, channel, recipient, kind, subject, body).await
    }

    /// Every message the outbox of the server with data directory `data_dir` delivered,
    /// oldest first, as JSON values.
    pub fn delivered(data_dir: &std::path::Path) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(data_dir.join("outbox.log")).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

/// Organisations, their delegates and lifecycle.
pub mod organisations {
    use dinhdanh_core::account::OrgRole;
    use dinhdanh_core::api::{
        AddDelegate, DelegationView, OrganisationHistoryEntry, OrganisationLifecycle,
        OrganisationRecord,
    };
    use dinhdanh_core::ids::{AccountId, DelegationId, OrgEid};
    use dinhdanh_core::org_type::OrgType;

    use super::{AppState, ServerResult};
    use crate::resources::organisations as inner;

    pub use crate::resources::delegations::end_of_day_vietnam;
    pub use crate::resources::progress::DeploymentTarget;
    pub use inner::{Actor, NewOrganisation, OrgRow, RegistryChange};

    /// Creates an organisation directly (as an approved registration would).
    pub async fn create_organisation(
        state: &AppState,
        new: NewOrganisation<'_>,
    ) -> ServerResult<OrgEid> {
        inner::create_organisation(state, new).await
    }

    /// The stored organisation.
    pub async fn find_organisation(state: &AppState, eid: &OrgEid) -> ServerResult<Option<OrgRow>> {
        inner::find_organisation(state, eid).await
    }

    /// The active organisation with this code, if any.
    pub async fn find_active_by_code(state: &AppState, code: &str) -> ServerResult<Option<OrgEid>> {
        inner::find_active_by_code(state, code).await
    }

    /// An organisation's history.
    pub async fn history(
        state: &AppState,
        eid: &OrgEid,
    ) -> ServerResult<Vec<OrganisationHistoryEntry>> {
        inner::history(state, eid).await
    }

    /// An organisation as `actor` may read it.
    pub async fn read_organisation(
        state: &AppState,
        actor: &Actor,
        eid: &OrgEid,
    ) -> ServerResult<OrganisationRecord> {
        inner::read_organisation(state, actor, eid).await
    }

    /// Locks, unlocks or closes an organisation (`actor` `None`: the registry or an operator).
    pub async fn apply_lifecycle(
        state: &AppState,
        actor: Option<&Actor>,
        eid: &OrgEid,
        change: &OrganisationLifecycle,
    ) -> ServerResult<()> {
        inner::apply_lifecycle(state, actor, eid, change).await
    }

    /// Applies a change the organisation registries reported.
    pub async fn apply_registry_change(
        state: &AppState,
        change: RegistryChange,
    ) -> ServerResult<()> {
        inner::apply_registry_change(state, change).await
    }

    /// Sets where organisations of type `t` are deployed.
    pub async fn set_target(
        state: &AppState,
        t: OrgType,
        target: DeploymentTarget,
    ) -> ServerResult<()> {
        crate::resources::progress::set_target(state, t, target).await
    }

    /// The role `account` holds in the organisation now, if any.
    pub async fn live_role(
        state: &AppState,
        account: &AccountId,
        eid: &OrgEid,
    ) -> ServerResult<Option<OrgRole>> {
        crate::authz::role_in(state, account, eid).await
    }

    /// Adds a delegate.
    pub async fn add_delegate(
        state: &AppState,
        actor: &Actor,
        request: &AddDelegate,
    ) -> ServerResult<DelegationView> {
        crate::resources::delegations::add_delegate(state, actor, request).await
    }

    /// Accepts or declines a delegation.
    pub async fn answer_delegation(
        state: &AppState,
        actor: &Actor,
        eid: &OrgEid,
        id: &DelegationId,
        accept: bool,
    ) -> ServerResult<DelegationView> {
        crate::resources::delegations::answer_delegation(state, actor, eid, id, accept).await
    }

    /// Revokes a delegation.
    pub async fn revoke_delegation(
        state: &AppState,
        actor: &Actor,
        eid: &OrgEid,
        id: &DelegationId,
    ) -> ServerResult<()> {
        crate::resources::delegations::revoke_delegation(state, actor, eid, id).await
    }

    /// The organisation's delegations, as `actor` may list them.
    pub async fn list_delegations(
        state: &AppState,
        actor: &Actor,
        eid: &OrgEid,
    ) -> ServerResult<Vec<DelegationView>> {
        crate::resources::delegations::list_delegations(state, actor, eid).await
    }

    /// Switches a session to act for `to` (`None`: the person themselves).
    pub async fn switch_session(
        state: &AppState,
        actor: &Actor,
        session: &str,
        to: Option<&OrgEid>,
    ) -> ServerResult<()> {
        inner::switch_session(state, actor, session, to).await
    }

    /// Whether `account` in `session` may act for the organisation now.
    pub async fn check_acting_for(
        state: &AppState,
        session: &str,
        account: &AccountId,
        eid: &OrgEid,
    ) -> ServerResult<()> {
        crate::http::auth::check_acting_for(state, session, account, eid).await
    }
}

/// Registrations of organisations.
pub mod registrations {
    use dinhdanh_core::api::{Decision, RegistrationView};
    use dinhdanh_core::ids::{CitizenId, RegistrationId};
    use dinhdanh_core::org_type::{DocumentKind, OrgType, OrganisationForm};

    use super::{AppState, ServerResult};
    use crate::resources::registrations as inner;

    pub use inner::{StoredRegistration, add_working_days, vietnam_date};

    /// A stored registration.
    pub async fn load(
        state: &AppState,
        id: &RegistrationId,
    ) -> ServerResult<Option<StoredRegistration>> {
        inner::load(state, id).await
    }

    /// An officer registers an organisation for a person at the counter.
    pub async fn register_in_person(
        state: &AppState,
        officer_citizen: &CitizenId,
        requester_citizen: &CitizenId,
        org_type: OrgType,
        form: &OrganisationForm,
        documents: &[(DocumentKind, Vec<u8>)],
    ) -> ServerResult<RegistrationView> {
        inner::register_in_person(
            state,
            officer_citizen,
            requester_citizen,
            org_type,
            form,
            documents,
        )
        .await
    }

    /// An officer decides an in-person registration (the command-line tool's path).
    pub async fn decide_in_person(
        state: &AppState,
        officer_citizen: &CitizenId,
        id: &RegistrationId,
        decision: &Decision,
    ) -> ServerResult<RegistrationView> {
        inner::decide_in_person(state, officer_citizen, id, decision).await
    }
}

/// The organisation registries (business, tax, ...). The registry bench measures the registry
/// adapter through its deliberate service API, [`adapter`] and [`RegistryAdapter`], which the
/// issue allows a bench to use.
pub mod registry {
    use dinhdanh_core::ids::{NewProvince, TaxCode};
    use dinhdanh_core::org_type::{OrgType, RegistryKind};

    use super::{AppState, ServerResult};
    use crate::resources::registry as inner;

    pub use inner::{
        REGISTRY_DATA, RegistryAdapter, RegistryChange, RegistryEntry, RegistryRecord,
        RegistryStatus, RegistryUpdate, demo, parse_registry, registry_text,
    };

    /// The adapter of one registry (the service API other resources use).
    pub fn adapter(state: &AppState, kind: RegistryKind) -> Box<dyn RegistryAdapter> {
        inner::adapter(state, kind)
    }

    /// Adds entries to the registries; how many were new.
    pub async fn insert_entries(state: &AppState, entries: &[RegistryEntry]) -> ServerResult<u64> {
        inner::insert_entries(state, entries).await
    }

    /// Loads the shipped registries (`data/registry.csv`); how many entries they hold.
    pub async fn seed_registry(state: &AppState) -> ServerResult<usize> {
        inner::seed_registry(state).await
    }

    /// Records a change in a registry, as the registry itself would.
    pub async fn record_change(
        state: &AppState,
        kind: RegistryKind,
        code: &TaxCode,
        update: RegistryUpdate,
    ) -> ServerResult<RegistryChange> {
        inner::record_change(state, kind, code, update).await
    }

    /// Changes after sequence number `after`, oldest first, at most `limit`.
    pub async fn changes_since(
        state: &AppState,
        after: i64,
        limit: i64,
    ) -> ServerResult<Vec<RegistryChange>> {
        inner::changes_since(state, after, limit).await
    }

    /// How many organisations of each type the registries hold in `province`.
    pub async fn population(
        state: &AppState,
        province: NewProvince,
    ) -> ServerResult<std::collections::HashMap<OrgType, u64>> {
        inner::population(state, province).await
    }
}

/// Desktop actions: their limits.
pub mod desktop_actions {
    pub use crate::resources::desktop_actions::{MAX_WAITING_PER_DESKTOP, PENDING_SECS};
}

/// The audit trail: its hash chain and the signed checkpoint kept outside the database.
pub mod audit {
    use dinhdanh_core::api::{AuditEntry, AuditVerification};

    use super::{AppState, ServerResult};
    use crate::store::audit as inner;

    pub use inner::{
        AuditRecord, Break, CHECKPOINT_ENV, CHECKPOINT_FILE, ChainReport, Checkpoint,
        CheckpointSink, CheckpointState, EntryFields, FileCheckpoints, digest, entry_hash,
        genesis_hash,
    };

    /// Appends an entry.
    pub async fn append(state: &AppState, record: AuditRecord<'_>) -> ServerResult<()> {
        inner::append(state, record).await
    }

    /// Verifies the chain and the checkpoint (the summary the API returns).
    pub async fn verify_chain(state: &AppState) -> ServerResult<AuditVerification> {
        inner::verify_chain(state).await
    }

    /// Verifies the chain and the checkpoint, with what broke.
    pub async fn verify_chain_report(state: &AppState) -> ServerResult<ChainReport> {
        inner::verify_chain_report(state).await
    }

    /// The entries about a person (by their subject key), as they may read them.
    pub async fn entries_about(
        state: &AppState,
        subject_key: &[u8],
    ) -> ServerResult<Vec<AuditEntry>> {
        inner::entries_about(state, subject_key).await
    }
}
