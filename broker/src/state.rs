//! What every handler shares: the store, the token service, the verified
//! directory log, limits, metrics. Nothing global: tests build as many
//! independent apps as they like.

use std::path::PathBuf;
use std::sync::Arc;

use referral_store::Store;

use crate::abuse::AbuseLimiter;
use crate::auth::tokens::TokenService;
use crate::config::Limits;
use crate::directory::DirectoryCache;
use crate::intake::IntakeLimits;
use crate::metrics::Metrics;
use crate::quota::PendingQuota;

/// Shared application state.
#[derive(Clone, Debug)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    tokens: TokenService,
    directory: DirectoryCache,
    limits: Limits,
    data_dir: PathBuf,
    spool_dir: PathBuf,
    abuse: AbuseLimiter,
    quota: PendingQuota,
    metrics: Metrics,
}

impl AppState {
    /// Builds the state. `data_dir` holds the bootstrap code file and the
    /// spool, which receives large uploads while they are checked (0600
    /// temporary files, deleted when done). `abuse` holds the rate limits
    /// (ADR 0006).
    pub fn new(
        store: Arc<dyn Store>,
        tokens: TokenService,
        directory: DirectoryCache,
        limits: Limits,
        abuse: AbuseLimiter,
        data_dir: PathBuf,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                tokens,
                directory,
                limits,
                spool_dir: crate::spool::dir(&data_dir),
                data_dir,
                abuse,
                quota: PendingQuota::default(),
                metrics: Metrics::default(),
            }),
        }
    }

    /// The store.
    pub fn store(&self) -> &dyn Store {
        self.inner.store.as_ref()
    }

    /// The token service.
    pub fn tokens(&self) -> &TokenService {
        &self.inner.tokens
    }

    /// The broker's verified copy of the directory log.
    pub fn directory(&self) -> &DirectoryCache {
        &self.inner.directory
    }

    /// Limits and timings.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// Limits for packet intake.
    pub fn intake_limits(&self) -> IntakeLimits {
        IntakeLimits {
            max_packet_bytes: self.inner.limits.max_packet_bytes,
            ..IntakeLimits::default()
        }
    }

    /// The data directory.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.inner.data_dir
    }

    /// Where large uploads are spooled.
    pub fn spool_dir(&self) -> &std::path::Path {
        &self.inner.spool_dir
    }

    /// The rate limits.
    pub fn abuse(&self) -> &AbuseLimiter {
        &self.inner.abuse
    }

    /// The per-desk cap on pending bytes.
    pub fn quota(&self) -> &PendingQuota {
        &self.inner.quota
    }

    /// Counters for `/metrics`.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("backend", &self.store.backend())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// The current Unix time.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
