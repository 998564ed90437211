//! `referral-broker serve|migrate|purge|backup|check` (SPEC §8, ADR 0013).

#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use referral_broker::app::{Application, open_store};
use referral_broker::bootstrap::{BootstrapState, code_path};
use referral_broker::config::{Config, ConfigLayer};
use referral_broker::operations::{self, Report};
use referral_broker::startup::{self, StartupError};
use referral_broker::state::now;
use referral_broker::{retention, telemetry, tr};

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
    /// Copy the SQLite database of a running (or stopped) broker to a new
    /// file, mode 0600; for PostgreSQL, print the pg_dump command instead.
    Backup(BackupArgs),
    /// Verify a database (integrity, foreign keys, migrations) and its
    /// directory log from genesis, changing nothing; exit 1 on a problem.
    Check(Common),
}

/// `backup`'s settings.
#[derive(Debug, Args)]
struct BackupArgs {
    #[command(flatten)]
    common: Common,
    /// The file to write; an existing file is never replaced.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
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
    /// Serve /metrics on this address only (plain HTTP; keep it private)
    /// [default: on the listen address].
    #[arg(long, env = "REFERRAL_BROKER_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
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
    /// Days a closed case's thread is kept after its last change, once its
    /// packets are gone; then only its weekly count stays (0: at once)
    /// [default: 90].
    #[arg(long, env = "REFERRAL_BROKER_THREAD_RETENTION_DAYS")]
    thread_retention_days: Option<u32>,
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
    fn resolve(self) -> Result<Config, StartupError> {
        let file = match &self.config {
            Some(path) => ConfigLayer::from_file(path)?,
            None => ConfigLayer::default(),
        };
        let flags = ConfigLayer {
            data_dir: self.data_dir,
            listen: self.listen,
            metrics_listen: self.metrics_listen,
            database_url: self.database_url,
            tls_cert: self.tls_cert,
            tls_key: self.tls_key,
            max_packet_bytes: self.max_packet_bytes,
            max_pending_bytes_per_desk: self.max_pending_bytes_per_desk,
            ack_grace_secs: self.ack_grace_secs,
            ttl_secs: self.ttl_secs,
            thread_retention_days: self.thread_retention_days,
            auth_per_minute: self.auth_per_minute,
            unauthenticated_per_minute_per_address: self.unauthenticated_per_minute_per_address,
            requests_per_minute_per_device: self.requests_per_minute_per_device,
            trusted_proxies: self.trusted_proxies,
            ..ConfigLayer::default()
        };
        Ok(file.overridden_by(flags).resolve()?)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    telemetry::init_logging();
    let cli = Cli::parse();
    let lang = match referral_i18n::negotiate(cli.lang.as_deref(), |name| std::env::var(name).ok())
    {
        Ok(lang) => lang,
        Err(e) => {
            // A usage error, as clap's own (ADR 0012); no language is chosen
            // yet, so the catalog answers in English.
            eprintln!("{}", tr!("broker-failed", detail = e.to_string()));
            return ExitCode::from(2);
        }
    };
    referral_broker::i18n::install(lang);
    match run(cli.command).await {
        Ok(code) => code,
        Err(e) => {
            // One paragraph, in the operator's language; the chain in the log.
            let paragraph = match e.downcast_ref::<StartupError>() {
                Some(startup) => startup.paragraph(),
                None => tr!("broker-failed", detail = format!("{e:#}")),
            };
            eprintln!("\n{paragraph}\n");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(common) => serve(common.resolve()?).await.map(|()| ExitCode::SUCCESS),
        Command::Migrate(common) => {
            let config = common.resolve()?;
            open_store(&config).await?;
            tracing::info!("migrations are up to date");
            println!("{}", tr!("migrate-done"));
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup(args) => {
            let config = args.common.resolve()?;
            Ok(print_report(
                operations::backup::run(&config, &args.out).await,
            ))
        }
        Command::Check(common) => {
            let config = common.resolve()?;
            Ok(print_report(operations::check::run(&config).await))
        }
        Command::Purge(common) => {
            let config = common.resolve()?;
            let store = open_store(&config).await?;
            let at = referral_broker::purge_clock::purge_time(now());
            let report = retention::purge_once(store.as_ref(), &config.limits, at).await?;
            let spool = referral_broker::spool::dir(&config.data_dir);
            let leftovers = retention::clean_spool(&spool, &config.limits)
                .with_context(|| format!("cleaning {}", spool.display()))?;
            tracing::info!(
                purged = report.purged,
                expired = report.expired,
                threads_deleted = report.threads_deleted,
                spool_files = leftovers,
                "retention ran"
            );
            println!(
                "{}",
                tr!(
                    "purge-done",
                    purged = report.purged,
                    expired = report.expired,
                    threads = report.threads_deleted,
                    spool_files = leftovers
                )
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Prints a command's lines (stdout on success, stderr on failure); a
/// failure exits 1 without a second message.
fn print_report(report: Report) -> ExitCode {
    let text = report.lines.join("\n");
    if report.problems == 0 {
        println!("{text}");
        ExitCode::SUCCESS
    } else {
        eprintln!("{text}");
        ExitCode::FAILURE
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    // A test-only, non-durable intake must never go unnoticed in a log.
    referral_broker::ack_before_commit::announce();
    let app = Application::build(&config).await?;
    let addr = app.local_addr()?;
    let code_file = code_path(&config.data_dir).display().to_string();
    match app.bootstrap_state() {
        BootstrapState::NewCode(code) => {
            // The operator needs this once, to claim the broker; it is also
            // in the 0600 file. It is never logged through tracing.
            eprintln!(
                "\n{}\n",
                tr!("bootstrap-new-code", code = code.as_str(), path = code_file)
            );
        }
        BootstrapState::Pending => eprintln!("{}", tr!("bootstrap-pending", path = code_file)),
        BootstrapState::Claimed => {}
    }
    startup::log_settings(&config, addr, app.metrics_addr()?);
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
