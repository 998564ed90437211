//! What every handler shares: the store, the token service, the verified
//! directory log, limits, metrics. Nothing global: tests build as many
//! independent apps as they like.

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use referral_store::Store;

use crate::auth::tokens::TokenService;
use crate::config::Limits;
use crate::directory::DirectoryCache;
use crate::error::ApiError;
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
    auth_limiter: DefaultDirectRateLimiter,
    metrics: Metrics,
}

impl AppState {
    /// Builds the state. `spool_dir` receives large uploads while they are
    /// checked (0600 temporary files, deleted when done).
    pub fn new(
        store: Arc<dyn Store>,
        tokens: TokenService,
        directory: DirectoryCache,
        limits: Limits,
        spool_dir: PathBuf,
    ) -> Self {
        let per_minute = NonZeroU32::new(limits.auth_per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            inner: Arc::new(Inner {
                store,
                tokens,
                directory,
                limits,
                spool_dir,
                auth_limiter: RateLimiter::direct(Quota::per_minute(per_minute)),
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

    /// The limiter of the auth routes.
    pub fn auth_limiter(&self) -> &DefaultDirectRateLimiter {
        &self.inner.auth_limiter
    }

    /// Takes one request from the limiter the routes without a token share
    /// (challenge, token, enrollment, directory); 429 when it is empty.
    pub fn check_auth_rate(&self) -> Result<(), ApiError> {
        self.inner.auth_limiter.check().map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ));
            ApiError::too_many_requests(wait.as_secs().max(1))
        })
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
