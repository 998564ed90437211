//! The time bounds of the inventory's "kept until" column
//! (`docs/threat-model.md` §3.2), checked against the database the script
//! left. Coded plainly, one query per promise, rather than parsed from the
//! prose: each query says what the doc's row says.

use super::list::Raw;
use super::script::ScriptEnd;
use crate::{STAGED_TOKEN_KEY_TTL, UnixTime};

const HOUR: UnixTime = 3600;

/// Every stored time that the doc calls hour-coarse: `table.column`.
const HOUR_COLUMNS: [(&str, &str); 6] = [
    ("threads", "created_hour"),
    ("thread_events", "at_hour"),
    ("packets", "received_hour"),
    ("packets", "acked_at"),
    ("requests", "created_hour"),
    ("tombstones", "purged_at"),
];

/// Each promise the database breaks, as a sentence; empty if it keeps them
/// all. `end.now` is the time of the script's last purge.
pub async fn violations(raw: &mut Raw, end: &ScriptEnd) -> Vec<String> {
    let now = end.now;
    let grace = end.acked_grace;
    let checks: Vec<(String, String)> = vec![
        (
            // Acknowledged ciphertext: the grace period after the ack,
            // whose time is rounded up to the hour.
            format!(
                "SELECT count(*) FROM packets WHERE delivery = 'acknowledged' \
                 AND acked_at < {}",
                now - grace - HOUR
            ),
            "an acknowledged packet outlived the grace period".into(),
        ),
        (
            format!(
                "SELECT count(*) FROM packets WHERE delivery = 'pending' AND expires_at < {now}"
            ),
            "a packet stayed pending past its expiry".into(),
        ),
        (
            // An expired row stays (without ciphertext) so that the sender
            // sees `expired`, for the grace period after its expiry.
            format!(
                "SELECT count(*) FROM packets WHERE delivery = 'expired' AND expires_at < {}",
                now - grace
            ),
            "an expired packet's row outlived its expiry plus the grace period".into(),
        ),
        (
            "SELECT count(*) FROM packet_chunks c JOIN packets p ON p.id = c.packet_id \
             WHERE p.delivery = 'expired'"
                .into(),
            "an expired packet kept its ciphertext".into(),
        ),
        (
            "SELECT count(*) FROM packet_chunks c WHERE NOT EXISTS \
             (SELECT 1 FROM packets p WHERE p.id = c.packet_id)"
                .into(),
            "ciphertext outlived its packet row".into(),
        ),
        (
            format!("SELECT count(*) FROM challenges WHERE expires_at <= {now}"),
            "a challenge outlived its expiry".into(),
        ),
        (
            format!("SELECT count(*) FROM invites WHERE expires_at <= {now}"),
            "an invite outlived its expiry".into(),
        ),
        (
            format!(
                "SELECT count(*) FROM staged_token_keys WHERE created_at < {}",
                now - STAGED_TOKEN_KEY_TTL
            ),
            "a staged token key outlived its TTL".into(),
        ),
        (
            // A claimed broker keeps its claimed code's hash and nothing
            // unclaimed.
            "SELECT count(*) FROM bootstrap WHERE claimed_at IS NULL".into(),
            "an unclaimed bootstrap code outlived the claim".into(),
        ),
        (
            "SELECT count(*) FROM thread_changes c WHERE NOT EXISTS \
             (SELECT 1 FROM threads t WHERE t.id = c.thread_id)"
                .into(),
            "a change-feed row outlived its thread".into(),
        ),
        closed_threads_outlived_retention(now, end.thread_retention),
    ];
    let mut broken = Vec::new();
    for (sql, promise) in checks {
        let n = raw.count(&sql).await;
        if n > 0 {
            broken.push(format!("{promise} ({n} rows)"));
        }
    }
    for (table, column) in HOUR_COLUMNS {
        let sql = format!("SELECT count(*) FROM {table} WHERE {column} % {HOUR} <> 0");
        let n = raw.count(&sql).await;
        if n > 0 {
            broken.push(format!(
                "{table}.{column} holds {n} times finer than the hour"
            ));
        }
    }
    broken
}

/// ADR 0019 §1: a closed thread with no packet row left whose last event
/// (or, without one, its opening) is older than the retention must be gone,
/// events and change-feed row with it.
fn closed_threads_outlived_retention(now: UnixTime, retention: UnixTime) -> (String, String) {
    (
        format!(
            "SELECT count(*) FROM threads t \
             WHERE t.status IN ('completed', 'rejected', 'cancelled', 'expired', 'forwarded') \
             AND NOT EXISTS (SELECT 1 FROM packets p WHERE p.thread_id = t.id) \
             AND COALESCE((SELECT max(e.at_hour) FROM thread_events e \
                           WHERE e.thread_id = t.id), t.created_hour) < {}",
            now - retention
        ),
        "a closed thread outlived the retention period".into(),
    )
}
