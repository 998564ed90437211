//! Retention (SPEC §8): unread packets expire, acknowledged ciphertext is
//! deleted after the grace period, each deleted packet leaves a tombstone,
//! and the WAL is checkpointed and truncated so that the deleted bytes,
//! zeroed in the main file by `secure_delete`, are gone from the WAL too.

use sqlx::SqliteConnection;

use super::codec;
use crate::{PurgeReport, STAGED_TOKEN_KEY_TTL, StoreError, UnixTime, to_hour, tombstone_hash};

pub(super) async fn purge(
    conn: &mut SqliteConnection,
    now: UnixTime,
    acked_before: UnixTime,
) -> Result<PurgeReport, StoreError> {
    let expired = expire(conn, now).await?;
    let purged = delete_old(conn, now, acked_before).await?;
    sqlx::query("DELETE FROM challenges WHERE expires_at <= ?")
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM invites WHERE expires_at <= ?")
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM staged_token_keys WHERE created_at < ?")
        .bind(now - STAGED_TOKEN_KEY_TTL)
        .execute(conn)
        .await?;
    Ok(PurgeReport { purged, expired })
}

/// Unread packets past expiry lose their ciphertext and become `expired`;
/// a thread they opened that is still `sent` becomes `expired` too, which
/// is how the sender learns nobody read it. "Past" expiry: strictly after
/// `expires_at`, as in the PostgreSQL backend.
async fn expire(conn: &mut SqliteConnection, now: UnixTime) -> Result<u64, StoreError> {
    sqlx::query(
        "INSERT INTO thread_events (thread_id, seq, status, at_hour) \
         SELECT t.id, (SELECT COALESCE(MAX(e.seq), 0) + 1 FROM thread_events e \
                       WHERE e.thread_id = t.id), 'expired', ?2 \
         FROM threads t WHERE t.status = 'sent' AND t.id IN (SELECT thread_id FROM packets \
           WHERE delivery = 'pending' AND expires_at < ?1 AND kind IN ('referral', 'forward'))",
    )
    .bind(now)
    .bind(to_hour(now))
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE threads SET status = 'expired' WHERE status = 'sent' AND id IN (SELECT thread_id \
         FROM packets WHERE delivery = 'pending' AND expires_at < ?1 \
         AND kind IN ('referral', 'forward'))",
    )
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "DELETE FROM packet_chunks WHERE packet_id IN \
         (SELECT id FROM packets WHERE delivery = 'pending' AND expires_at < ?)",
    )
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let done = sqlx::query(
        "UPDATE packets SET delivery = 'expired' WHERE delivery = 'pending' AND expires_at < ?",
    )
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Deletes packets acknowledged before `acked_before` (counted as purged)
/// and expired packets whose expiry is that old (their ciphertext went at
/// expiry; the row stayed so the sender could see `expired`). Each leaves
/// a tombstone so its id is refused from now on.
async fn delete_old(
    conn: &mut SqliteConnection,
    now: UnixTime,
    acked_before: UnixTime,
) -> Result<u64, StoreError> {
    let old: Vec<(Vec<u8>, String)> = sqlx::query_as(
        "SELECT id, delivery FROM packets \
         WHERE (delivery = 'acknowledged' AND acked_at < ?1) \
            OR (delivery = 'expired' AND expires_at < ?1)",
    )
    .bind(acked_before)
    .fetch_all(&mut *conn)
    .await?;
    let mut purged = 0;
    for (id, delivery) in old {
        delete_packet(conn, &id, to_hour(now)).await?;
        purged += u64::from(delivery == "acknowledged");
    }
    Ok(purged)
}

async fn delete_packet(
    conn: &mut SqliteConnection,
    id: &[u8],
    hour: UnixTime,
) -> Result<(), StoreError> {
    let tombstone = tombstone_hash(&codec::packet_id(id)?);
    sqlx::query(
        "INSERT INTO tombstones (hash, purged_at) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING",
    )
    .bind(&tombstone[..])
    .bind(hour)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM packet_chunks WHERE packet_id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM packets WHERE id = ?")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// After the purge has committed: copies the WAL into the main file and
/// truncates it to zero bytes. With `secure_delete` the main file holds
/// zeros where the ciphertext was, but until this runs the WAL still holds
/// the old pages. A reader in the middle of a read can make it give up
/// (after `busy_timeout`); the next purge tries again, so that is logged,
/// not failed.
pub(super) async fn checkpoint(conn: &mut SqliteConnection) {
    let result: Result<(i64, i64, i64), sqlx::Error> =
        sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(conn)
            .await;
    match result {
        Ok((0, _, _)) => {}
        Ok((_, log, done)) => {
            tracing::warn!(
                log,
                done,
                "wal_checkpoint(TRUNCATE) was blocked by a reader"
            );
        }
        Err(e) => tracing::error!(error = %e, "wal_checkpoint(TRUNCATE) failed"),
    }
}
