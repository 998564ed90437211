//! Retention (SPEC §8): ciphertext goes a grace period after its desk
//! acknowledged it; unread packets expire after the TTL. `serve` runs this
//! periodically; `referral-broker purge` runs it once. Both also remove
//! spool files a crash left behind ([`clean_spool`]).

use std::path::Path;
use std::time::Duration;

use referral_store::{PurgeReport, Store, StoreError, UnixTime};

use crate::config::Limits;

/// Runs one purge at `now`.
pub async fn purge_once(
    store: &dyn Store,
    limits: &Limits,
    now: UnixTime,
) -> Result<PurgeReport, StoreError> {
    store.purge(now, now - limits.ack_grace_secs).await
}

/// Removes upload spool files left by a crash from `spool`, beside running
/// uploads: only files untouched for twice the body idle timeout (at least
/// a minute), which no upload still in progress can be. Returns how many.
pub fn clean_spool(spool: &Path, limits: &Limits) -> std::io::Result<usize> {
    let idle = limits.body_idle_timeout_secs.saturating_mul(2).max(60);
    crate::spool::clean(spool, Duration::from_secs(idle))
}
