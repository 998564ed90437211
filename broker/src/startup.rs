//! What the broker says about its start (ADR 0013): the settings in force,
//! logged once, and each start-up failure an operator can fix, told in one
//! paragraph from the catalogs (what failed, the value at fault, what to
//! do). The order of start-up that makes a failure leave nothing on disk is
//! `Application::build`'s.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::config::{Config, ConfigError};
use crate::tr;

/// Which listener an address is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// The API (`listen`).
    Api,
    /// `/metrics` apart (`metrics_listen`).
    Metrics,
}

/// A start-up that cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The configuration file or a setting is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A listen address cannot be bound.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address.
        address: SocketAddr,
        /// Its purpose.
        listener: Listener,
        /// Why.
        source: std::io::Error,
    },
    /// The TLS certificate or key cannot be loaded.
    #[error("cannot load the TLS certificate {cert} and key {key}: {detail}")]
    Tls {
        /// The certificate chain file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// Why.
        detail: String,
    },
    /// PostgreSQL cannot be reached or used.
    #[error("cannot use PostgreSQL at {url}: {detail}")]
    Database {
        /// The URL, its password redacted.
        url: String,
        /// Why.
        detail: String,
    },
    /// The data directory cannot be created or written.
    #[error("cannot use the data directory {path}: {detail}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// The SQLite database cannot be opened.
    #[error("cannot open the SQLite database in {data_dir}: {detail}")]
    Sqlite {
        /// The data directory.
        data_dir: PathBuf,
        /// Why.
        detail: String,
    },
    /// The stored directory log does not verify.
    #[error("the directory log in the database cannot be used; refusing to start: {detail}")]
    DirectoryLog {
        /// Why.
        detail: String,
    },
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl StartupError {
    /// The paragraph for the operator, in their language.
    pub fn paragraph(&self) -> String {
        match self {
            Self::Config(ConfigError::Read { path, source }) => tr!(
                "startup-config-unreadable",
                path = path.display().to_string(),
                detail = source.to_string()
            ),
            Self::Config(ConfigError::Parse { path, message }) => tr!(
                "startup-config-bad",
                path = path.display().to_string(),
                detail = message.as_str()
            ),
            Self::Config(ConfigError::Invalid(detail)) => {
                tr!("startup-config-invalid", detail = detail.as_str())
            }
            Self::Listen {
                address,
                listener,
                source,
            } => {
                let setting = match listener {
                    Listener::Api => "--listen",
                    Listener::Metrics => "--metrics-listen",
                };
                if source.kind() == std::io::ErrorKind::AddrInUse {
                    tr!(
                        "startup-port-busy",
                        address = address.to_string(),
                        setting = setting
                    )
                } else {
                    tr!(
                        "startup-listen-failed",
                        address = address.to_string(),
                        setting = setting,
                        detail = source.to_string()
                    )
                }
            }
            Self::Tls { cert, key, detail } => tr!(
                "startup-tls",
                cert = cert.display().to_string(),
                key = key.display().to_string(),
                detail = detail.as_str()
            ),
            Self::Database { url, detail } => tr!(
                "startup-database",
                url = url.as_str(),
                detail = detail.as_str()
            ),
            Self::DataDir { path, detail } => tr!(
                "startup-data-dir",
                path = path.display().to_string(),
                detail = detail.as_str()
            ),
            Self::Sqlite { data_dir, detail } => tr!(
                "startup-sqlite",
                data_dir = data_dir.display().to_string(),
                detail = detail.as_str()
            ),
            Self::DirectoryLog { detail } => {
                tr!("startup-directory-log", detail = detail.as_str())
            }
            Self::Other(e) => tr!("startup-other", detail = format!("{e:#}")),
        }
    }
}

/// Logs the settings in force, once, when the broker starts listening: one
/// line, the only one naming the listen address; never the database URL's
/// password, a key or a token.
pub fn log_settings(config: &Config, api: SocketAddr, metrics: Option<SocketAddr>) {
    let l = &config.limits;
    let proxies: Vec<String> = config
        .trusted_proxies
        .iter()
        .map(ToString::to_string)
        .collect();
    tracing::info!(
        listen = %api,
        metrics_listen = %metrics.map_or_else(|| "on listen".to_owned(), |a| a.to_string()),
        backend = if config.postgres_url().is_some() { "postgres" } else { "sqlite" },
        database_url = %config.postgres_url_redacted().unwrap_or_else(|| "-".into()),
        data_dir = %config.data_dir.display(),
        tls = if config.tls_cert.is_some() { "on" } else { "off" },
        scheme = if config.tls_cert.is_some() { "https" } else { "http" },
        trusted_proxies = %if proxies.is_empty() { "none".to_owned() } else { proxies.join(",") },
        max_packet_bytes = l.max_packet_bytes,
        max_pending_bytes_per_desk = l.max_pending_bytes_per_desk,
        ack_grace_secs = l.ack_grace_secs,
        ttl_secs = l.ttl_secs,
        thread_retention_days = l.thread_retention_days,
        token_lifetime_secs = l.token_lifetime_secs,
        auth_per_minute = l.auth_per_minute,
        unauthenticated_per_minute_per_address = l.unauthenticated_per_minute_per_address,
        requests_per_minute_per_device = l.requests_per_minute_per_device,
        request_timeout_secs = l.request_timeout_secs,
        body_idle_timeout_secs = l.body_idle_timeout_secs,
        purge_interval_secs = l.purge_interval_secs,
        "referral-broker listening, settings in force"
    );
}
