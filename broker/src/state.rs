//! What every handler shares: the store, the token service, the verified
//! directory log, limits, metrics. Nothing global: tests build as many
//! independent apps as they like.

use std::path::PathBuf;
use std::sync::Arc;

use referral_store::Store;

use crate::abuse::AbuseLimits;
use crate::auth::tokens::TokenService;
use crate::config::Limits;
use crate::directory::DirectoryCache;
use crate::intake::IntakeLimits;
use crate::metrics::Metrics;

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
    spool_dir: PathBuf,
    abuse: AbuseLimits,
    metrics: Metrics,
}

impl AppState {
    /// Builds the state. `spool_dir` receives large uploads while they are
    /// checked (0600 temporary files, deleted when done). `abuse` holds the
    /// rate limits (ADR 0006).
    pub fn new(
        store: Arc<dyn Store>,
        tokens: TokenService,
        directory: DirectoryCache,
        limits: Limits,
        abuse: AbuseLimits,
        spool_dir: PathBuf,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                tokens,
                directory,
                limits,
                spool_dir,
                abuse,
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

    /// Where large uploads are spooled.
    pub fn spool_dir(&self) -> &std::path::Path {
        &self.inner.spool_dir
    }

    /// The rate limits.
    pub fn abuse(&self) -> &AbuseLimits {
        &self.inner.abuse
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
