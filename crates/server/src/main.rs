//! `dinhdanh-server`: serve the API, load demo data, verify the audit trail, and the officer
//! commands for in-person work.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use dinhdanh_core::ids::CitizenId;
use dinhdanh_core::signed_action::Origin;
use dinhdanh_server::config::Config;
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
    #[command(subcommand)]
    command: Command,
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
}

#[derive(Subcommand)]
enum OfficerCommand {
    /// Grant the officer role for a province to a level-2 account.
    Grant {
        /// The officer's personal identification number.
        #[arg(long)]
        citizen_id: String,
        /// The province, by key (`ho_chi_minh`, `ha_noi`, …).
        #[arg(long)]
        province: String,
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
enum AuditCommand {
    /// Recompute every hash and link, compare the head with the signed checkpoint kept outside
    /// the database, print a report; exit 1 if the chain is broken or the checkpoint differs.
    Verify,
}

/// The state for a command that serves nothing (the origin only fills the configuration).
async fn offline_state(cli: &Cli) -> anyhow::Result<dinhdanh_server::state::AppState> {
    let origin = Origin::parse("http://127.0.0.1").context("origin")?;
    build_state(StartOptions::new(config(cli, origin))).await
}

/// A personal identification number typed on the command line.
fn citizen_id_arg(text: &str) -> anyhow::Result<CitizenId> {
    CitizenId::parse(text).map_err(|e| anyhow::anyhow!("--citizen-id: {}", e.message_en()))
}

/// The account of the person with this number, or an error saying there is none.
async fn account_of(
    state: &dinhdanh_server::state::AppState,
    id: &CitizenId,
) -> anyhow::Result<dinhdanh_server::accounts::AccountRow> {
    dinhdanh_server::accounts::find_account_by_citizen(state, id)
        .await?
        .with_context(|| format!("{} has no account", id.masked()))
}

/// `seed`, `officer` and `account`: each change is audited with no actor (the CLI).
async fn people_command(cli: &Cli) -> anyhow::Result<()> {
    use dinhdanh_core::account::AccountLevel;
    use dinhdanh_server::accounts::{self, LockActor};
    use dinhdanh_server::seed;
    let state = offline_state(cli).await?;
    match &cli.command {
        Command::Seed { demo } => {
            let people = seed::seed_registry(&state).await?;
            println!("citizen registry: {people} people");
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
                    province,
                },
        } => {
            let id = citizen_id_arg(citizen_id)?;
            account_of(&state, &id).await?;
            let province = dinhdanh_core::ids::NewProvince::parse(province)
                .map_err(|e| anyhow::anyhow!("--province: {}", e.message_en()))?;
            dinhdanh_server::officers::grant_officer(&state, &id, province)
                .await
                .with_context(|| format!("granting the officer role to {}", id.masked()))?;
            println!(
                "{} is now an officer for {}",
                id.masked(),
                province.name_en()
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

fn config(cli: &Cli, origin: Origin) -> Config {
    let mut config = Config::embedded(cli.data_dir.clone(), origin);
    if let Some(url) = &cli.database_url {
        config.database_url = url.clone();
    }
    config
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
        Command::Serve { addr, origin } => {
            let origin = match origin {
                Some(o) => Origin::parse(o).context("--origin")?,
                None => dinhdanh_server::loopback_origin(*addr)?,
            };
            let state = build_state(StartOptions::new(config(&cli, origin))).await?;
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding {addr}"))?;
            tracing::info!(%addr, db = %dinhdanh_server::db::redact(&state.config.database_url), "serving");
            let app =
                dinhdanh_server::router(state).into_make_service_with_connect_info::<SocketAddr>();
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await?;
        }
        Command::Seed { .. } | Command::Officer { .. } | Command::Account { .. } => {
            people_command(&cli).await?;
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            // No server listens: the origin is only needed to fill the configuration.
            let origin = Origin::parse("http://127.0.0.1").context("origin")?;
            let state = build_state(StartOptions::new(config(&cli, origin))).await?;
            let report = dinhdanh_server::audit::verify_chain_report(&state).await?;
            println!("{report}");
            if !report.is_ok() {
                std::process::exit(1);
            }
        }
    }
    Ok(())
}
