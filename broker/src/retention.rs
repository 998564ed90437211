//! Retention (SPEC §8): ciphertext goes a grace period after its desk
//! acknowledged it; unread packets expire after the TTL. `serve` runs this
//! periodically; `referral-broker purge` runs it once.

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
