//! Building and running the broker (zero2prod's `Application`): tests bind
//! to `127.0.0.1:0`, read the port, and stop it when they are done.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use referral_store::postgres::PostgresStore;
use referral_store::sqlite::SqliteStore;
use referral_store::{Store, StoreError};

use crate::abuse::AbuseLimiter;
use crate::auth::routes::CHALLENGE_TTL_SECS;
use crate::auth::tokens::TokenService;
use crate::bootstrap::{self, BootstrapState};
use crate::config::Config;
use crate::connections::{self, Caps, Gate, GatedAcceptor, KeyExchangeCounter};
use crate::directory::DirectoryCache;
use crate::routes::{self, MetricsRoute};
use crate::startup::{Listener, StartupError};
use crate::state::{AppState, now};
use crate::{retention, telemetry};

/// Opens the configured store: PostgreSQL when a URL is given, else SQLite
/// in the data directory. Migrations run here. PostgreSQL is connected
/// before the data directory is created, so an unreachable database leaves
/// nothing on disk (ADR 0013).
pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>, StartupError> {
    match config.postgres_url() {
        Some(url) => {
            let store = PostgresStore::connect(url)
                .await
                .map_err(|e| StartupError::Database {
                    url: config.postgres_url_redacted().unwrap_or_default(),
                    detail: e.to_string(),
                })?;
            create_private_dir(&config.data_dir)?;
            Ok(Arc::new(store))
        }
        None => {
            create_private_dir(&config.data_dir)?;
            let store = SqliteStore::open(&config.data_dir)
                .await
                .map_err(|e| match e {
                    // Only the data directory's files fail with an I/O error.
                    StoreError::Body(io) => StartupError::DataDir {
                        path: config.data_dir.clone(),
                        detail: io.to_string(),
                    },
                    other => StartupError::Sqlite {
                        data_dir: config.data_dir.clone(),
                        detail: other.to_string(),
                    },
                })?;
            Ok(Arc::new(store))
        }
    }
}

fn create_private_dir(dir: &Path) -> Result<(), StartupError> {
    use std::os::unix::fs::DirBuilderExt;
    let failed = |e: std::io::Error| StartupError::DataDir {
        path: dir.to_owned(),
        detail: e.to_string(),
    };
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(failed(std::io::Error::new(
            std::io::ErrorKind::NotADirectory,
            "it exists and is not a directory",
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(failed),
        Err(e) => Err(failed(e)),
    }
}

/// A built, bound, not yet running broker.
#[derive(Debug)]
pub struct Application {
    listener: std::net::TcpListener,
    metrics_listener: Option<std::net::TcpListener>,
    router: Router,
    state: AppState,
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
    bootstrap: BootstrapState,
    gate: Arc<Gate>,
}

impl Application {
    /// Binds the listeners and loads the TLS files, then opens the store,
    /// verifies the directory log, loads or makes the token key, and makes
    /// a bootstrap code if the broker is unclaimed. Everything that can fail
    /// without touching the disk comes first, so a busy port, a bad TLS file
    /// or an unreachable database leaves no file behind (ADR 0013). A
    /// directory log that does not verify stops it too: a broker must never
    /// serve or extend a log its clients would refuse.
    pub async fn build(config: &Config) -> Result<Self, StartupError> {
        let bind = |address: SocketAddr, listener: Listener| {
            listen(address).map_err(|source| StartupError::Listen {
                address,
                listener,
                source,
            })
        };
        let listener = bind(config.listen, Listener::Api)?;
        let metrics_listener = config
            .metrics_listen
            .map(|address| bind(address, Listener::Metrics))
            .transpose()?;
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => {
                Some(http1_tls(cert, key).await.map_err(|e| StartupError::Tls {
                    cert: cert.clone(),
                    key: key.clone(),
                    detail: format!("{e:#}"),
                })?)
            }
            _ => None,
        };
        let file_limit = connections::soft_file_limit().context("reading the open-file limit")?;
        let caps = Caps::new(&config.limits, file_limit).map_err(anyhow::Error::from)?;
        let store = open_store(config).await?;
        let directory =
            DirectoryCache::load(store.as_ref())
                .await
                .map_err(|e| StartupError::DirectoryLog {
                    detail: e.to_string(),
                })?;
        let t = now();
        let tokens = TokenService::load(
            Arc::clone(&store),
            config.token_issuer.clone(),
            config.token_issuer.clone(),
            config.limits.token_lifetime_secs,
            t,
        )
        .await
        .context("loading the token-signing keys")?;
        let bootstrap = bootstrap::ensure_code(store.as_ref(), &config.data_dir, t)
            .await
            .context("making the bootstrap code")?;
        let spool_dir = crate::spool::dir(&config.data_dir);
        create_private_dir(&spool_dir)?;
        // Before serving, nothing is uploading: every leftover goes.
        let left = crate::spool::clean(&spool_dir, Duration::ZERO)
            .with_context(|| format!("cleaning {}", spool_dir.display()))?;
        if left > 0 {
            tracing::info!(files = left, "removed spool files left by an earlier run");
        }
        let abuse = AbuseLimiter::new(&config.limits, config.trusted_proxies.clone());
        let data_dir = config.data_dir.clone();
        let state = AppState::new(store, tokens, directory, config.limits, abuse, data_dir);
        // Never an address: only the numbers an operator tunes.
        tracing::info!(
            file_limit = caps.file_limit,
            max_connections = caps.total,
            max_connections_per_address = caps.per_address,
            header_read_timeout_secs = caps.header_read_timeout.as_secs(),
            "connection caps"
        );
        let gate = Gate::new(caps, state.clone());
        let metrics_route = if metrics_listener.is_some() {
            MetricsRoute::Apart
        } else {
            MetricsRoute::WithApi
        };
        let router = routes::router(state.clone(), metrics_route)
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                telemetry::observe,
            ))
            .layer(axum::middleware::from_fn_with_state(
                Arc::clone(&gate),
                connections::forwarded::limit,
            ));
        Ok(Self {
            listener,
            metrics_listener,
            router,
            state,
            tls,
            bootstrap,
            gate,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The address `/metrics` is served on apart, if it is.
    pub fn metrics_addr(&self) -> std::io::Result<Option<SocketAddr>> {
        self.metrics_listener
            .as_ref()
            .map(std::net::TcpListener::local_addr)
            .transpose()
    }

    /// What happened about the bootstrap code.
    pub fn bootstrap_state(&self) -> &BootstrapState {
        &self.bootstrap
    }

    /// The shared state (tests inspect the store through it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then lets in-flight requests
    /// finish. Retention runs every `purge_interval_secs` meanwhile.
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let retention_task = tokio::spawn(retention_loop(self.state.clone()));
        let forget_task = tokio::spawn(forget_idle_clients(self.state.clone()));
        let sweep_task = tokio::spawn(challenge_sweep_loop(self.state.clone()));
        let handle = axum_server::Handle::new();
        let stopper = handle.clone();
        tokio::spawn(async move {
            shutdown.await;
            stopper.graceful_shutdown(Some(Duration::from_secs(30)));
        });
        // Plain HTTP and no connection gate: an address for the operator's
        // own scraper (loopback, or a private network), never the public.
        let metrics_task = match self.metrics_listener {
            Some(listener) => {
                let server = axum_server::from_tcp(listener)?.handle(handle.clone());
                let service = routes::metrics_router(self.state.clone()).into_make_service();
                Some(tokio::spawn(async move { server.serve(service).await }))
            }
            None => None,
        };
        // The peer address reaches the abuse limits only (ADR 0006).
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let acceptor = GatedAcceptor::new(Arc::clone(&self.gate));
        let header_read_timeout = self.gate.caps().header_read_timeout;
        let result = match self.tls {
            Some(tls) => {
                let tls = KeyExchangeCounter::new(
                    axum_server::tls_rustls::RustlsAcceptor::new(tls).acceptor(acceptor),
                    self.state.clone(),
                );
                http1_only(
                    axum_server::from_tcp(self.listener)?.acceptor(tls),
                    header_read_timeout,
                )
                .handle(handle)
                .serve(service)
                .await
            }
            None => {
                http1_only(
                    axum_server::from_tcp(self.listener)?.acceptor(acceptor),
                    header_read_timeout,
                )
                .handle(handle)
                .serve(service)
                .await
            }
        };
        retention_task.abort();
        forget_task.abort();
        sweep_task.abort();
        if let Some(task) = metrics_task {
            task.await
                .context("the metrics listener panicked")?
                .context("serving /metrics")?;
        }
        result.context("serving")
    }
}

/// Connections the kernel may hold completed for the broker before it
/// accepts them. The standard library's 128 overflows under a burst of
/// connections (slow clients re-opening what was closed): the kernel then
/// leaves clients half-connected for many seconds, the health check among
/// them. The kernel lowers it to `net.core.somaxconn` if that is smaller.
const LISTEN_BACKLOG: u32 = 4096;

/// A non-blocking listener on `address` with [`LISTEN_BACKLOG`].
fn listen(address: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let socket = match address {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    // As the standard library does: a restarted broker can bind its port
    // while the old one's connections linger in TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(LISTEN_BACKLOG)?.into_std()
}

/// HTTP/1.1 only, with hyper's header timer: a request head must be complete
/// within `header_read_timeout` of the connection opening or of the previous
/// response, or the connection is closed. HTTP/2 is not served: its
/// connections have no such timer, and the broker's clients speak HTTP/1.1
/// (ADR 0008). `http1_only` comes after `acceptor`, which resets it.
fn http1_only<A>(
    server: axum_server::Server<SocketAddr, A>,
    header_read_timeout: Duration,
) -> axum_server::Server<SocketAddr, A> {
    let mut server = server.http1_only();
    server
        .http_builder()
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    server
}

/// The certificate and key, offering only `http/1.1` in ALPN: a client
/// offered `h2` would choose it and then be refused.
async fn http1_tls(
    cert: &Path,
    key: &Path,
) -> anyhow::Result<axum_server::tls_rustls::RustlsConfig> {
    let loaded = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
        .await
        .context("loading the TLS certificate and key")?;
    let mut config = (*loaded.get_inner()).clone();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(axum_server::tls_rustls::RustlsConfig::from_config(
        Arc::new(config),
    ))
}

/// Every minute, drops the rate-limit buckets of clients and devices that
/// have been idle for a whole window.
async fn forget_idle_clients(state: AppState) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        every.tick().await;
        state.abuse().forget_idle();
    }
}

/// Deletes challenges nobody answered, every [`CHALLENGE_TTL_SECS`]: a
/// row left by an unfinished login is gone within a minute of its expiry,
/// however quiet the broker (ADR 0019 §2).
async fn challenge_sweep_loop(state: AppState) {
    let every = Duration::from_secs(CHALLENGE_TTL_SECS.unsigned_abs());
    loop {
        tokio::time::sleep(every).await;
        if let Err(e) = state.store().drop_expired_challenges(now()).await {
            tracing::error!(error = %e, "deleting expired challenges failed");
        }
    }
}

async fn retention_loop(state: AppState) {
    let every = Duration::from_secs(state.limits().purge_interval_secs.max(1));
    loop {
        tokio::time::sleep(every).await;
        match retention::purge_once(state.store(), state.limits(), now()).await {
            Ok(report) => {
                state.metrics().purged(&report);
                tracing::info!(
                    purged = report.purged,
                    expired = report.expired,
                    threads_deleted = report.threads_deleted,
                    "retention ran"
                );
            }
            Err(e) => tracing::error!(error = %e, "retention failed"),
        }
        if let Err(e) = retention::clean_spool(state.spool_dir(), state.limits()) {
            tracing::error!(error = %e, "cleaning the spool failed");
        }
    }
}
