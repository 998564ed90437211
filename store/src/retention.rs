//! Thread retention (ADR 0019 §1), the part both backends share: which
//! threads may go, and how a deleted thread is kept as a count. Each
//! backend has only the SQL (`sqlite/purge.rs`, `postgres/purge.rs`).
//!
//! A thread is deleted when its status is closed
//! ([`ThreadStatus::is_terminal`]), its last event's hour (its creation
//! hour if it has none) is before [`crate::PurgeCutoffs::closed_before`],
//! and no packet row names it as its own thread. It leaves one count in
//! `thread_week_counts` under (recipient desk, [`week_start`] of its
//! creation hour, final status), so `admin stats` does not change.

use std::collections::BTreeMap;

use referral_protocol::DeskId;

use crate::{ThreadStat, ThreadStatus, UnixTime, week_start};

/// The closed statuses as stored, for the backends' `IN` lists: derived
/// from the one rule, never spelled out twice.
pub(crate) fn closed_words() -> Vec<&'static str> {
    ThreadStatus::ALL
        .into_iter()
        .filter(|s| s.is_terminal())
        .map(ThreadStatus::as_str)
        .collect()
}

/// A thread the purge deleted: what its weekly count needs, nothing more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeletedThread {
    /// The desk it was addressed to.
    pub(crate) recipient_desk: DeskId,
    /// Its final status.
    pub(crate) status: ThreadStatus,
    /// The hour it opened.
    pub(crate) created_hour: UnixTime,
}

/// The deleted threads as additions to `thread_week_counts`, one per
/// (desk, week, status).
pub(crate) fn fold(deleted: &[DeletedThread]) -> Vec<ThreadStat> {
    sum(deleted.iter().map(|t| ThreadStat {
        desk: t.recipient_desk.clone(),
        status: t.status,
        week_start: week_start(t.created_hour),
        threads: 1,
    }))
}

/// `admin stats`: the live threads' groups plus the folded counts, summed
/// per (desk, week, status) and sorted as [`crate::sort_stats`] does.
pub(crate) fn merge(live: Vec<ThreadStat>, folded: Vec<ThreadStat>) -> Vec<ThreadStat> {
    sum(live.into_iter().chain(folded))
}

fn sum(rows: impl Iterator<Item = ThreadStat>) -> Vec<ThreadStat> {
    let mut groups: BTreeMap<(DeskId, UnixTime, ThreadStatus), u64> = BTreeMap::new();
    for r in rows {
        *groups.entry((r.desk, r.week_start, r.status)).or_default() += r.threads;
    }
    let mut stats: Vec<ThreadStat> = groups
        .into_iter()
        .map(|((desk, week_start, status), threads)| ThreadStat {
            desk,
            status,
            week_start,
            threads,
        })
        .collect();
    crate::sort_stats(&mut stats);
    stats
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WEEK;

    #[test]
    fn closed_is_the_terminal_statuses() {
        assert_eq!(
            closed_words(),
            ["rejected", "completed", "cancelled", "forwarded", "expired"]
        );
    }

    #[test]
    fn deleted_threads_fold_into_the_live_groups() {
        let desk: DeskId = "bb".parse().unwrap();
        let monday = 4 * 24 * 3600 + 100 * WEEK;
        let gone = |status, created_hour| DeletedThread {
            recipient_desk: desk.clone(),
            status,
            created_hour,
        };
        let folded = fold(&[
            gone(ThreadStatus::Completed, monday + 3600),
            gone(ThreadStatus::Completed, monday + 2 * 24 * 3600),
            gone(ThreadStatus::Rejected, monday + WEEK),
        ]);
        let live = vec![ThreadStat {
            desk: desk.clone(),
            status: ThreadStatus::Completed,
            week_start: monday,
            threads: 4,
        }];
        let stat = |status, week_start, threads| ThreadStat {
            desk: desk.clone(),
            status,
            week_start,
            threads,
        };
        assert_eq!(
            merge(live, folded),
            vec![
                stat(ThreadStatus::Completed, monday, 6),
                stat(ThreadStatus::Rejected, monday + WEEK, 1),
            ]
        );
    }
}
