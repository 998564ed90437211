//! `referral-broker serve|migrate|purge` (SPEC §8).

#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use referral_broker::app::{Application, open_store};
use referral_broker::bootstrap::{BootstrapState, code_path};
use referral_broker::config::{Config, Layer};
use referral_broker::state::now;
use referral_broker::{retention, telemetry};

#[derive(Debug, Parser)]
#[command(
    name = "referral-broker",
    version,
    about = "Store-and-forward broker for end-to-end encrypted referral packets"
)]
struct Cli {
    /// Language of messages on the terminal: ja, en or vi [default: from
    /// LC_ALL, LC_MESSAGES or LANG, else English]. Logs stay in English
    #[arg(long, global = true, value_name = "LANG")]
    lang: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server (migrations run first).
    Serve(Common),
    /// Run the database migrations and exit.
    Migrate(Common),
    /// Run retention once (purge acknowledged ciphertext past the grace
    /// period, expire unread packets past the TTL) and exit.
    Purge(Common),
}

/// Settings shared by every command. Each flag also reads an environment
/// variable; both override `--config`.
#[derive(Debug, Args)]
struct Common {
    /// TOML file with settings (flags and environment override it).
    #[arg(long, env = "REFERRAL_BROKER_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory (SQLite database, bootstrap code) [default: ./broker-data].
    #[arg(long, env = "REFERRAL_BROKER_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Listen address [default: 127.0.0.1:8080].
    #[arg(long, env = "REFERRAL_BROKER_LISTEN")]
    listen: Option<SocketAddr>,
    /// postgres://… to use PostgreSQL instead of embedded SQLite.
    #[arg(long, env = "REFERRAL_BROKER_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// TLS certificate chain (PEM).
    #[arg(long, env = "REFERRAL_BROKER_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, env = "REFERRAL_BROKER_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// Largest packet accepted, in bytes [default: 67108864].
    #[arg(long, env = "REFERRAL_BROKER_MAX_PACKET_BYTES")]
    max_packet_bytes: Option<u64>,
    /// Most bytes of unread packets one desk may have waiting
    /// [default: 1073741824].
    #[arg(long, env = "REFERRAL_BROKER_MAX_PENDING_BYTES_PER_DESK")]
    max_pending_bytes_per_desk: Option<u64>,
    /// Seconds ciphertext is kept after acknowledgement [default: 604800].
    #[arg(long, env = "REFERRAL_BROKER_ACK_GRACE_SECS")]
    ack_grace_secs: Option<i64>,
    /// Seconds before an unread packet expires [default: 2592000].
    #[arg(long, env = "REFERRAL_BROKER_TTL_SECS")]
    ttl_secs: Option<i64>,
    /// Requests without a token allowed per minute, all clients together
    /// [default: 600].
    #[arg(long, env = "REFERRAL_BROKER_AUTH_PER_MINUTE")]
    auth_per_minute: Option<u32>,
    /// Requests without a token, or with a failing one, allowed per minute
    /// from one client address [default: 120].
    #[arg(long, env = "REFERRAL_BROKER_UNAUTHENTICATED_PER_MINUTE_PER_ADDRESS")]
    unauthenticated_per_minute_per_address: Option<u32>,
    /// Requests allowed per minute from one device [default: 6000].
    #[arg(long, env = "REFERRAL_BROKER_REQUESTS_PER_MINUTE_PER_DEVICE")]
    requests_per_minute_per_device: Option<u32>,
    /// Reverse proxies whose X-Forwarded-For is believed, comma-separated
    /// IP addresses [default: none; the header is ignored].
    #[arg(long, env = "REFERRAL_BROKER_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Option<Vec<std::net::IpAddr>>,
}

impl Common {
    fn resolve(self) -> anyhow::Result<Config> {
        let file = match &self.config {
            Some(path) => Layer::from_file(path)?,
            None => Layer::default(),
        };
        let flags = Layer {
            data_dir: self.data_dir,
            listen: self.listen,
            database_url: self.database_url,
            tls_cert: self.tls_cert,
            tls_key: self.tls_key,
            max_packet_bytes: self.max_packet_bytes,
            max_pending_bytes_per_desk: self.max_pending_bytes_per_desk,
            ack_grace_secs: self.ack_grace_secs,
            ttl_secs: self.ttl_secs,
            auth_per_minute: self.auth_per_minute,
            unauthenticated_per_minute_per_address: self.unauthenticated_per_minute_per_address,
            requests_per_minute_per_device: self.requests_per_minute_per_device,
            trusted_proxies: self.trusted_proxies,
            ..Layer::default()
        };
        Ok(file.overridden_by(flags).resolve()?)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init_logging();
    let cli = Cli::parse();
    let lang = referral_i18n::negotiate(cli.lang.as_deref(), |name| std::env::var(name).ok())?;
    referral_broker::i18n::install(lang);
    match cli.command {
        Command::Serve(common) => serve(common.resolve()?).await,
        Command::Migrate(common) => {
            let config = common.resolve()?;
            open_store(&config).await?;
            tracing::info!("migrations are up to date");
            Ok(())
        }
        Command::Purge(common) => {
            let config = common.resolve()?;
            let store = open_store(&config).await?;
            let report = retention::purge_once(store.as_ref(), &config.limits, now()).await?;
            let spool = referral_broker::spool::dir(&config.data_dir);
            let leftovers = retention::clean_spool(&spool, &config.limits)
                .with_context(|| format!("cleaning {}", spool.display()))?;
            tracing::info!(
                purged = report.purged,
                expired = report.expired,
                spool_files = leftovers,
                "retention ran"
            );
            println!(
                "{}",
                referral_broker::tr!(
                    "purge-done",
                    purged = report.purged,
                    expired = report.expired,
                    spool_files = leftovers
                )
            );
            Ok(())
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    // A test-only, non-durable intake must never go unnoticed in a log.
    referral_broker::ack_before_commit::announce();
    let app = Application::build(&config).await?;
    let addr = app.local_addr()?;
    match app.bootstrap_state() {
        BootstrapState::NewCode(code) => {
            // The operator needs this once, to claim the broker; it is also
            // in the 0600 file. It is never logged through tracing.
            eprintln!(
                "\nThis broker is not claimed yet. Bootstrap code (one use, valid 24 h):\n\n    {code}\n\nIt is also in {} (mode 0600). The first administrator claims the broker\nwith it (`referral admin bootstrap`): their device key signs the directory's\ngenesis entry and becomes the root.\n",
                code_path(&config.data_dir).display()
            );
        }
        BootstrapState::Pending => eprintln!(
            "This broker is not claimed yet; the bootstrap code is in {}",
            code_path(&config.data_dir).display()
        ),
        BootstrapState::Claimed => {}
    }
    let scheme = if config.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!(listen = %addr, scheme, backend = ?app.state().store().backend(), "referral-broker listening");
    app.run_until_stopped(shutdown_signal())
        .await
        .context("serving")?;
    tracing::info!("referral-broker stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
