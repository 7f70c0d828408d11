//! `dinhdanh-server`: serve the API, load demo data, verify the audit trail, and the officer
//! commands for in-person work.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
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
    }
    Ok(())
}
