//! `referral-broker`: the command line of SPEC §8.

#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use referral_broker::app::Application;

#[derive(Debug, Parser)]
#[command(
    name = "referral-broker",
    version,
    about = "Store-and-forward broker for encrypted referral packets"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve {
        /// Where the broker keeps its data.
        #[arg(
            long,
            env = "REFERRAL_BROKER_DATA_DIR",
            default_value = "./broker-data"
        )]
        data_dir: PathBuf,
        /// Address to listen on.
        #[arg(long, env = "REFERRAL_BROKER_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Logs go to stderr and never carry addresses, ids, tokens or bodies.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Serve { data_dir, listen } => {
            std::fs::create_dir_all(&data_dir)
                .with_context(|| format!("creating data dir {}", data_dir.display()))?;
            let app = Application::bind(listen)
                .await
                .context("binding the listener")?;
            tracing::info!(listen = %app.local_addr()?, "referral-broker listening");
            app.run_until_stopped(shutdown_signal()).await?;
            tracing::info!("referral-broker stopped");
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
