//! Broker configuration: built-in defaults, then a TOML file (`--config`),
//! then environment variables, then flags — each later source overriding
//! the earlier (SPEC §8).

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the SQLite database, the bootstrap code and spool files live.
    pub data_dir: PathBuf,
    /// Listen address.
    pub listen: SocketAddr,
    /// Where `/metrics` is served instead of on `listen` (ADR 0013); `None`:
    /// on `listen`, beside the API.
    pub metrics_listen: Option<SocketAddr>,
    /// `postgres://…` to use PostgreSQL; `None` for embedded SQLite. May hold
    /// a password, so it is a secret and never logged.
    pub database_url: Option<SecretString>,
    /// TLS certificate chain (PEM).
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    pub tls_key: Option<PathBuf>,
    /// Limits and timings.
    pub limits: Limits,
    /// Token issuer and audience (`iss`, `aud`).
    pub token_issuer: String,
    /// Reverse proxies whose `X-Forwarded-For` is believed (ADR 0006). Empty:
    /// the header is ignored and the TCP peer is the client.
    pub trusted_proxies: Vec<IpAddr>,
}

/// Limits and timings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest packet accepted.
    pub max_packet_bytes: u64,
    /// Largest JSON request body.
    pub max_json_bytes: usize,
    /// Ciphertext is deleted this long after its acknowledgement.
    pub ack_grace_secs: i64,
    /// Unread packets expire after this long.
    pub ttl_secs: i64,
    /// A closed thread is deleted this many days after its last event, once
    /// no packet names it, and kept only as a weekly count (ADR 0019 §1).
    /// 0: as soon as it is closed and its packets are gone.
    pub thread_retention_days: u32,
    /// Token lifetime (at most 15 minutes).
    pub token_lifetime_secs: i64,
    /// Requests to the routes without a token (challenge, token, enrollment,
    /// directory) allowed per minute across all clients: the backstop
    /// against a flood spread over many addresses (ADR 0006).
    pub auth_per_minute: u32,
    /// Requests to the routes without a token, and requests whose token
    /// fails, allowed per minute from one client address.
    pub unauthenticated_per_minute_per_address: u32,
    /// Requests with a valid token allowed per minute from one device.
    pub requests_per_minute_per_device: u32,
    /// Whole-request timeout for everything but packet bodies.
    pub request_timeout_secs: u64,
    /// Longest wait for the next piece of a packet body (slow clients).
    pub body_idle_timeout_secs: u64,
    /// How often retention runs inside `serve`.
    pub purge_interval_secs: u64,
    /// Most ciphertext bytes one desk may have sent and still pending (not
    /// yet acknowledged, not expired): what one desk, or one stolen device,
    /// can make the broker store (issue 14, item 6).
    pub max_pending_bytes_per_desk: u64,
    /// A connection whose request head is not complete this long after it
    /// opened, or after its previous response, is closed: slow and idle
    /// clients cannot hold a socket (item 1 of issue 14, ADR 0008).
    pub header_read_timeout_secs: u64,
    /// Open connections allowed at once, all clients together. `None`: as
    /// many as the file limit allows; a larger number is lowered to that
    /// ([`crate::connections::Caps`]).
    pub max_connections: Option<u32>,
    /// Open connections allowed at once from one client address (or, behind
    /// a trusted proxy, requests in flight for one forwarded address).
    pub max_connections_per_address: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_packet_bytes: 64 << 20,
            max_json_bytes: 64 << 10,
            ack_grace_secs: 7 * 24 * 3600,
            ttl_secs: 30 * 24 * 3600,
            // The TTL (30 days) and a long absence: a sender whose laptop
            // stayed shut for weeks still finds the case's last status.
            thread_retention_days: 90,
            token_lifetime_secs: 600,
            auth_per_minute: 600,
            unauthenticated_per_minute_per_address: 120,
            requests_per_minute_per_device: 6000,
            request_timeout_secs: 30,
            body_idle_timeout_secs: 15,
            purge_interval_secs: 3600,
            // docs/deployment.md §6.4: the campaign-month worst case is about
            // 71 MiB of pending ciphertext per desk; 1 GiB is 14 times that.
            max_pending_bytes_per_desk: 1 << 30,
            header_read_timeout_secs: 10,
            max_connections: None,
            max_connections_per_address: 64,
        }
    }
}

/// The same settings, all optional: one layer of the configuration (file,
/// environment or flags), which [`ConfigLayer::overridden_by`] stacks and
/// [`ConfigLayer::resolve`] turns into a [`Config`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigLayer {
    /// See [`Config::data_dir`].
    pub data_dir: Option<PathBuf>,
    /// See [`Config::listen`].
    pub listen: Option<SocketAddr>,
    /// See [`Config::metrics_listen`].
    pub metrics_listen: Option<SocketAddr>,
    /// See [`Config::database_url`].
    pub database_url: Option<String>,
    /// See [`Config::tls_cert`].
    pub tls_cert: Option<PathBuf>,
    /// See [`Config::tls_key`].
    pub tls_key: Option<PathBuf>,
    /// See [`Limits::max_packet_bytes`].
    pub max_packet_bytes: Option<u64>,
    /// See [`Limits::ack_grace_secs`].
    pub ack_grace_secs: Option<i64>,
    /// See [`Limits::ttl_secs`].
    pub ttl_secs: Option<i64>,
    /// See [`Limits::thread_retention_days`].
    pub thread_retention_days: Option<u32>,
    /// See [`Limits::token_lifetime_secs`].
    pub token_lifetime_secs: Option<i64>,
    /// See [`Limits::auth_per_minute`].
    pub auth_per_minute: Option<u32>,
    /// See [`Limits::unauthenticated_per_minute_per_address`].
    pub unauthenticated_per_minute_per_address: Option<u32>,
    /// See [`Limits::requests_per_minute_per_device`].
    pub requests_per_minute_per_device: Option<u32>,
    /// See [`Config::trusted_proxies`].
    pub trusted_proxies: Option<Vec<IpAddr>>,
    /// See [`Limits::request_timeout_secs`].
    pub request_timeout_secs: Option<u64>,
    /// See [`Limits::body_idle_timeout_secs`].
    pub body_idle_timeout_secs: Option<u64>,
    /// See [`Limits::purge_interval_secs`].
    pub purge_interval_secs: Option<u64>,
    /// See [`Limits::max_pending_bytes_per_desk`].
    pub max_pending_bytes_per_desk: Option<u64>,
    /// See [`Limits::header_read_timeout_secs`].
    pub header_read_timeout_secs: Option<u64>,
    /// See [`Limits::max_connections`].
    pub max_connections: Option<u32>,
    /// See [`Limits::max_connections_per_address`].
    pub max_connections_per_address: Option<u32>,
    /// See [`Config::token_issuer`].
    pub token_issuer: Option<String>,
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for these settings.
    #[error("config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why (never includes values).
        message: String,
    },
    /// A value is out of range or inconsistent.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl ConfigLayer {
    /// Reads a TOML file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.message().to_owned(),
        })
    }

    /// `self`, with every setting `over` has replacing ours.
    pub fn overridden_by(self, over: ConfigLayer) -> ConfigLayer {
        ConfigLayer {
            data_dir: over.data_dir.or(self.data_dir),
            listen: over.listen.or(self.listen),
            metrics_listen: over.metrics_listen.or(self.metrics_listen),
            database_url: over.database_url.or(self.database_url),
            tls_cert: over.tls_cert.or(self.tls_cert),
            tls_key: over.tls_key.or(self.tls_key),
            max_packet_bytes: over.max_packet_bytes.or(self.max_packet_bytes),
            ack_grace_secs: over.ack_grace_secs.or(self.ack_grace_secs),
            ttl_secs: over.ttl_secs.or(self.ttl_secs),
            thread_retention_days: over.thread_retention_days.or(self.thread_retention_days),
            token_lifetime_secs: over.token_lifetime_secs.or(self.token_lifetime_secs),
            auth_per_minute: over.auth_per_minute.or(self.auth_per_minute),
            unauthenticated_per_minute_per_address: over
                .unauthenticated_per_minute_per_address
                .or(self.unauthenticated_per_minute_per_address),
            requests_per_minute_per_device: over
                .requests_per_minute_per_device
                .or(self.requests_per_minute_per_device),
            trusted_proxies: over.trusted_proxies.or(self.trusted_proxies),
            request_timeout_secs: over.request_timeout_secs.or(self.request_timeout_secs),
            body_idle_timeout_secs: over.body_idle_timeout_secs.or(self.body_idle_timeout_secs),
            purge_interval_secs: over.purge_interval_secs.or(self.purge_interval_secs),
            max_pending_bytes_per_desk: over
                .max_pending_bytes_per_desk
                .or(self.max_pending_bytes_per_desk),
            header_read_timeout_secs: over
                .header_read_timeout_secs
                .or(self.header_read_timeout_secs),
            max_connections: over.max_connections.or(self.max_connections),
            max_connections_per_address: over
                .max_connections_per_address
                .or(self.max_connections_per_address),
            token_issuer: over.token_issuer.or(self.token_issuer),
        }
    }

    /// Fills the gaps with defaults and checks the result.
    pub fn resolve(self) -> Result<Config, ConfigError> {
        let d = Limits::default();
        let limits = Limits {
            max_packet_bytes: self.max_packet_bytes.unwrap_or(d.max_packet_bytes),
            max_json_bytes: d.max_json_bytes,
            ack_grace_secs: self.ack_grace_secs.unwrap_or(d.ack_grace_secs),
            ttl_secs: self.ttl_secs.unwrap_or(d.ttl_secs),
            thread_retention_days: self
                .thread_retention_days
                .unwrap_or(d.thread_retention_days),
            token_lifetime_secs: self.token_lifetime_secs.unwrap_or(d.token_lifetime_secs),
            auth_per_minute: self.auth_per_minute.unwrap_or(d.auth_per_minute),
            unauthenticated_per_minute_per_address: self
                .unauthenticated_per_minute_per_address
                .unwrap_or(d.unauthenticated_per_minute_per_address),
            requests_per_minute_per_device: self
                .requests_per_minute_per_device
                .unwrap_or(d.requests_per_minute_per_device),
            request_timeout_secs: self.request_timeout_secs.unwrap_or(d.request_timeout_secs),
            body_idle_timeout_secs: self
                .body_idle_timeout_secs
                .unwrap_or(d.body_idle_timeout_secs),
            purge_interval_secs: self.purge_interval_secs.unwrap_or(d.purge_interval_secs),
            max_pending_bytes_per_desk: self
                .max_pending_bytes_per_desk
                .unwrap_or(d.max_pending_bytes_per_desk),
            header_read_timeout_secs: self
                .header_read_timeout_secs
                .unwrap_or(d.header_read_timeout_secs),
            max_connections: self.max_connections.or(d.max_connections),
            max_connections_per_address: self
                .max_connections_per_address
                .unwrap_or(d.max_connections_per_address),
        };
        if !(60..=900).contains(&limits.token_lifetime_secs) {
            return Err(ConfigError::Invalid(
                "token_lifetime_secs must be between 60 and 900 (SPEC: at most 15 minutes)".into(),
            ));
        }
        if limits.max_packet_bytes < 4096 {
            return Err(ConfigError::Invalid(
                "max_packet_bytes must be at least 4096".into(),
            ));
        }
        if limits.max_pending_bytes_per_desk < limits.max_packet_bytes {
            return Err(ConfigError::Invalid(
                "max_pending_bytes_per_desk must be at least max_packet_bytes".into(),
            ));
        }
        if limits.ttl_secs <= 0 || limits.ack_grace_secs < 0 {
            return Err(ConfigError::Invalid(
                "ttl_secs and ack_grace_secs must be positive".into(),
            ));
        }
        for (name, value) in [
            ("auth_per_minute", limits.auth_per_minute),
            (
                "unauthenticated_per_minute_per_address",
                limits.unauthenticated_per_minute_per_address,
            ),
            (
                "requests_per_minute_per_device",
                limits.requests_per_minute_per_device,
            ),
        ] {
            if value == 0 {
                return Err(ConfigError::Invalid(format!("{name} must be at least 1")));
            }
        }
        // A head may take at most 10 s: longer lets a few addresses hold
        // sockets for free (issue 14, item 1). No setting turns it off.
        if !(1..=10).contains(&limits.header_read_timeout_secs) {
            return Err(ConfigError::Invalid(
                "header_read_timeout_secs must be between 1 and 10".into(),
            ));
        }
        if limits.max_connections == Some(0) || limits.max_connections_per_address == 0 {
            return Err(ConfigError::Invalid(
                "max_connections and max_connections_per_address must be at least 1".into(),
            ));
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err(ConfigError::Invalid(
                "--tls-cert and --tls-key go together".into(),
            ));
        }
        let database_url = self.database_url.filter(|u| !u.is_empty());
        if let Some(url) = &database_url
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid(
                "database_url must be a postgres:// URL (omit it for embedded SQLite)".into(),
            ));
        }
        let listen = self
            .listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        if self.metrics_listen == Some(listen) {
            return Err(ConfigError::Invalid(
                "metrics_listen must differ from listen (omit it to serve /metrics on listen)"
                    .into(),
            ));
        }
        Ok(Config {
            data_dir: self
                .data_dir
                .unwrap_or_else(|| PathBuf::from("./broker-data")),
            listen,
            metrics_listen: self.metrics_listen,
            database_url: database_url.map(SecretString::from),
            tls_cert: self.tls_cert,
            tls_key: self.tls_key,
            limits,
            token_issuer: self
                .token_issuer
                .unwrap_or_else(|| "referral-broker".into()),
            trusted_proxies: self.trusted_proxies.unwrap_or_default(),
        })
    }
}

impl Config {
    /// The PostgreSQL URL, if any (exposed only to connect).
    pub fn postgres_url(&self) -> Option<&str> {
        self.database_url.as_ref().map(|u| u.expose_secret())
    }

    /// The PostgreSQL URL with any password replaced by `***`: what logs
    /// and messages may show.
    pub fn postgres_url_redacted(&self) -> Option<String> {
        self.postgres_url().map(redact_url)
    }
}

/// `url` with the password of its user part, and any `password=` query
/// parameter, replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _password)) => format!("{name}:***@{host}"),
            None => format!("{user}@{host}"),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                        format!("{key}=***")
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_owned(),
    };
    if scheme.is_empty() {
        format!("{authority}{tail}")
    } else {
        format!("{scheme}://{authority}{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_layers_override_earlier_ones() {
        let file = ConfigLayer {
            ttl_secs: Some(100),
            listen: Some("127.0.0.1:1".parse().unwrap()),
            ..ConfigLayer::default()
        };
        let env = ConfigLayer {
            ttl_secs: Some(200),
            ..ConfigLayer::default()
        };
        let flags = ConfigLayer {
            listen: Some("127.0.0.1:2".parse().unwrap()),
            ..ConfigLayer::default()
        };
        let c = file
            .overridden_by(env)
            .overridden_by(flags)
            .resolve()
            .unwrap();
        assert_eq!(c.limits.ttl_secs, 200);
        assert_eq!(c.listen.port(), 2);
        assert_eq!(c.limits.ack_grace_secs, 7 * 24 * 3600, "default");
    }

    #[test]
    fn thread_retention_is_layered_and_may_be_zero() {
        assert_eq!(
            ConfigLayer::default()
                .resolve()
                .unwrap()
                .limits
                .thread_retention_days,
            90,
            "default"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broker.toml");
        std::fs::write(&path, "thread_retention_days = 30\n").unwrap();
        let file = ConfigLayer::from_file(&path).unwrap();
        assert_eq!(file.thread_retention_days, Some(30));
        let resolved = file.clone().resolve().unwrap();
        assert_eq!(resolved.limits.thread_retention_days, 30);
        let flags = ConfigLayer {
            thread_retention_days: Some(0),
            ..ConfigLayer::default()
        };
        let c = file.overridden_by(flags).resolve().unwrap();
        assert_eq!(c.limits.thread_retention_days, 0, "0 is allowed");
    }

    #[test]
    fn invalid_values_are_refused() {
        let long_tokens = ConfigLayer {
            token_lifetime_secs: Some(3600),
            ..ConfigLayer::default()
        };
        assert!(long_tokens.resolve().is_err());
        let half_tls = ConfigLayer {
            tls_cert: Some("c.pem".into()),
            ..ConfigLayer::default()
        };
        assert!(half_tls.resolve().is_err());
        for slow in [0, 11, 3600] {
            let layer = ConfigLayer {
                header_read_timeout_secs: Some(slow),
                ..ConfigLayer::default()
            };
            assert!(layer.resolve().is_err(), "{slow}");
        }
        let no_connections = ConfigLayer {
            max_connections_per_address: Some(0),
            ..ConfigLayer::default()
        };
        assert!(no_connections.resolve().is_err());
        let mysql = ConfigLayer {
            database_url: Some("mysql://x".into()),
            ..ConfigLayer::default()
        };
        assert!(mysql.resolve().is_err());
    }

    #[test]
    fn the_database_url_is_never_debug_printed() {
        let c = ConfigLayer {
            database_url: Some("postgres://u:hunter2@db/x".into()),
            ..ConfigLayer::default()
        }
        .resolve()
        .unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
        assert_eq!(c.postgres_url(), Some("postgres://u:hunter2@db/x"));
    }

    #[test]
    fn passwords_are_redacted_from_database_urls() {
        assert_eq!(
            redact_url("postgres://u:hunter2@db:5432/x?sslmode=require&password=p2"),
            "postgres://u:***@db:5432/x?sslmode=require&password=***"
        );
        assert_eq!(redact_url("postgres://u@db/x"), "postgres://u@db/x");
        assert_eq!(redact_url("postgresql://db/x"), "postgresql://db/x");
        assert_eq!(
            redact_url("postgres://u:p%40ss@db/x"),
            "postgres://u:***@db/x"
        );
    }

    #[test]
    fn metrics_may_not_share_the_api_address() {
        let same = ConfigLayer {
            listen: Some("127.0.0.1:9".parse().unwrap()),
            metrics_listen: Some("127.0.0.1:9".parse().unwrap()),
            ..ConfigLayer::default()
        };
        assert!(same.resolve().is_err());
    }

    #[test]
    fn toml_files_are_read_and_unknown_keys_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("ok.toml");
        std::fs::write(&ok, "ttl_secs = 60\nlisten = \"127.0.0.1:9\"\n").unwrap();
        assert_eq!(ConfigLayer::from_file(&ok).unwrap().ttl_secs, Some(60));
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "tll_secs = 60\n").unwrap();
        assert!(ConfigLayer::from_file(&bad).is_err());
    }
}
