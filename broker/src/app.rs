//! Building and running the broker (zero2prod's `Application`): tests bind
//! to `127.0.0.1:0`, read the port, and stop it when they are done.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use referral_store::Store;
use referral_store::postgres::PostgresStore;
use referral_store::sqlite::SqliteStore;

use crate::abuse::AbuseLimits;
use crate::auth::tokens::TokenService;
use crate::bootstrap::{self, BootstrapState};
use crate::config::Config;
use crate::directory::DirectoryCache;
use crate::routes;
use crate::state::{AppState, now};
use crate::{retention, telemetry};

/// Opens the configured store: PostgreSQL when a URL is given, else SQLite
/// in the data directory. Migrations run here.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    create_private_dir(&config.data_dir)?;
    Ok(match config.postgres_url() {
        Some(url) => Arc::new(
            PostgresStore::connect(url)
                .await
                .context("connecting to PostgreSQL")?,
        ),
        None => Arc::new(
            SqliteStore::open(&config.data_dir)
                .await
                .context("opening SQLite")?,
        ),
    })
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("creating {}", dir.display()))?;
    }
    Ok(())
}

/// A built, bound, not yet running broker.
#[derive(Debug)]
pub struct Application {
    listener: std::net::TcpListener,
    router: Router,
    state: AppState,
    tls: Option<(std::path::PathBuf, std::path::PathBuf)>,
    bootstrap: BootstrapState,
}

impl Application {
    /// Opens the store, verifies the directory log, loads or makes the token
    /// key, makes a bootstrap code if the broker is unclaimed, and binds the
    /// listener. A directory log that does not verify stops it here: a
    /// broker must never serve or extend a log its clients would refuse.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let store = open_store(config).await?;
        let directory = DirectoryCache::load(store.as_ref())
            .await
            .context("the directory log in the database cannot be used; refusing to start")?;
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
        let bootstrap = bootstrap::ensure_code(store.as_ref(), &config.data_dir, t).await?;
        let spool_dir = crate::spool::dir(&config.data_dir);
        create_private_dir(&spool_dir)?;
        // Before serving, nothing is uploading: every leftover goes.
        let left = crate::spool::clean(&spool_dir, Duration::ZERO)
            .with_context(|| format!("cleaning {}", spool_dir.display()))?;
        if left > 0 {
            tracing::info!(files = left, "removed spool files left by an earlier run");
        }
        let abuse = AbuseLimits::new(&config.limits, config.trusted_proxies.clone());
        let data_dir = config.data_dir.clone();
        let state = AppState::new(store, tokens, directory, config.limits, abuse, data_dir);
        let router = routes::router(state.clone()).layer(axum::middleware::from_fn_with_state(
            state.clone(),
            telemetry::observe,
        ));
        let listener = std::net::TcpListener::bind(config.listen)
            .with_context(|| format!("binding {}", config.listen))?;
        listener.set_nonblocking(true)?;
        let tls = config.tls_cert.clone().zip(config.tls_key.clone());
        Ok(Self {
            listener,
            router,
            state,
            tls,
            bootstrap,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
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
        let handle = axum_server::Handle::new();
        let stopper = handle.clone();
        tokio::spawn(async move {
            shutdown.await;
            stopper.graceful_shutdown(Some(Duration::from_secs(30)));
        });
        // The peer address reaches the abuse limits only (ADR 0006).
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let result = match self.tls {
            Some((cert, key)) => {
                let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
                    .await
                    .context("loading the TLS certificate and key")?;
                axum_server::from_tcp_rustls(self.listener, tls)?
                    .handle(handle)
                    .serve(service)
                    .await
            }
            None => {
                axum_server::from_tcp(self.listener)?
                    .handle(handle)
                    .serve(service)
                    .await
            }
        };
        retention_task.abort();
        forget_task.abort();
        result.context("serving")
    }
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

async fn retention_loop(state: AppState) {
    let every = Duration::from_secs(state.limits().purge_interval_secs.max(1));
    loop {
        tokio::time::sleep(every).await;
        match retention::purge_once(state.store(), state.limits(), now()).await {
            Ok(report) => {
                state.metrics().purged(report.purged, report.expired);
                tracing::info!(
                    purged = report.purged,
                    expired = report.expired,
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
