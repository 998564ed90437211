//! Retention (SPEC §8, ADR 0019 §1): ciphertext goes a grace period after
//! its desk acknowledged it; unread packets expire after the TTL; a closed
//! thread goes `thread_retention_days` after its last change, once its
//! packets are gone, leaving only a weekly count. `serve` runs this
//! periodically; `referral-broker purge` runs it once. Both also remove
//! spool files a crash left behind ([`clean_spool`]).

use std::path::Path;
use std::time::Duration;

use referral_store::{PurgeCutoffs, PurgeReport, Store, StoreError, UnixTime};

use crate::config::Limits;

/// Runs one purge at `now`.
pub async fn purge_once(
    store: &dyn Store,
    limits: &Limits,
    now: UnixTime,
) -> Result<PurgeReport, StoreError> {
    store.purge(cutoffs(limits, now)).await
}

/// The cutoffs the settings give at `now`.
pub fn cutoffs(limits: &Limits, now: UnixTime) -> PurgeCutoffs {
    const DAY: UnixTime = 24 * 3600;
    PurgeCutoffs {
        now,
        acked_before: now - limits.ack_grace_secs,
        closed_before: now - UnixTime::from(limits.thread_retention_days) * DAY,
    }
}

/// Removes upload spool files left by a crash from `spool`, beside running
/// uploads: only files untouched for twice the body idle timeout (at least
/// a minute), which no upload still in progress can be. Returns how many.
pub fn clean_spool(spool: &Path, limits: &Limits) -> std::io::Result<usize> {
    let idle = limits.body_idle_timeout_secs.saturating_mul(2).max(60);
    crate::spool::clean(spool, Duration::from_secs(idle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cutoffs_follow_the_settings() {
        let limits = Limits {
            ack_grace_secs: 3600,
            thread_retention_days: 2,
            ..Limits::default()
        };
        let c = cutoffs(&limits, 1_000_000);
        assert_eq!(
            c,
            PurgeCutoffs {
                now: 1_000_000,
                acked_before: 1_000_000 - 3600,
                closed_before: 1_000_000 - 2 * 24 * 3600,
            }
        );
        let at_once = Limits {
            thread_retention_days: 0,
            ..limits
        };
        assert_eq!(cutoffs(&at_once, 5).closed_before, 5);
    }
}
