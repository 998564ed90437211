//! Retention (SPEC §8, ADR 0019 §1): unread packets expire, acknowledged
//! ciphertext is deleted after the grace period, each deleted packet leaves
//! a tombstone, closed threads are deleted after the retention period and
//! kept only as weekly counts, and the WAL is checkpointed and truncated so
//! that the deleted bytes, zeroed in the main file by `secure_delete`, are
//! gone from the WAL too.

use sqlx::SqliteConnection;

use super::codec;
use crate::retention::{self, DeletedThread};
use crate::{
    PurgeCutoffs, PurgeReport, RETIRED_TOKEN_KEY_TTL, STAGED_TOKEN_KEY_TTL, StoreError, UnixTime,
    to_hour, tombstone_hash,
};

pub(super) async fn purge(
    conn: &mut SqliteConnection,
    cutoffs: PurgeCutoffs,
) -> Result<PurgeReport, StoreError> {
    let PurgeCutoffs {
        now,
        acked_before,
        closed_before,
    } = cutoffs;
    let expired = expire(conn, now).await?;
    let purged = delete_old(conn, now, acked_before).await?;
    // After the packets: a thread whose last packet went just now may go too.
    let threads_deleted = delete_closed_threads(conn, closed_before).await?;
    super::auth::delete_expired_challenges(conn, now).await?;
    sqlx::query("DELETE FROM invites WHERE expires_at <= ?")
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM staged_token_keys WHERE created_at < ?")
        .bind(now - STAGED_TOKEN_KEY_TTL)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM token_keys WHERE retired_at < ?")
        .bind(now - RETIRED_TOKEN_KEY_TTL)
        .execute(conn)
        .await?;
    Ok(PurgeReport {
        purged,
        expired,
        threads_deleted,
    })
}

/// Deletes the threads [`retention`] says may go, with their events and
/// change-feed rows, and adds them to `thread_week_counts`. The single
/// writer runs this in the purge's transaction, so no packet can name a
/// thread between the choice and the delete.
async fn delete_closed_threads(
    conn: &mut SqliteConnection,
    closed_before: UnixTime,
) -> Result<u64, StoreError> {
    // The closed statuses as one JSON array, so the statement stays fixed
    // (status words are `[a-z_]`, nothing to escape).
    let quoted: Vec<String> = retention::closed_words()
        .into_iter()
        .map(|w| format!("\"{w}\""))
        .collect();
    let closed = format!("[{}]", quoted.join(","));
    let rows: Vec<(Vec<u8>, String, String, i64)> = sqlx::query_as(
        "SELECT t.id, t.recipient_desk, t.status, t.created_hour FROM threads t \
         WHERE t.status IN (SELECT value FROM json_each(?1)) \
           AND COALESCE((SELECT MAX(e.at_hour) FROM thread_events e WHERE e.thread_id = t.id), \
                        t.created_hour) < ?2 \
           AND NOT EXISTS (SELECT 1 FROM packets p WHERE p.thread_id = t.id)",
    )
    .bind(closed)
    .bind(closed_before)
    .fetch_all(&mut *conn)
    .await?;
    let mut deleted = Vec::with_capacity(rows.len());
    for (id, desk, status, created_hour) in rows {
        sqlx::query("DELETE FROM thread_events WHERE thread_id = ?")
            .bind(&id)
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM thread_changes WHERE thread_id = ?")
            .bind(&id)
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM threads WHERE id = ?")
            .bind(&id)
            .execute(&mut *conn)
            .await?;
        deleted.push(DeletedThread {
            recipient_desk: codec::desk_id(&desk)?,
            status: codec::decode(&status)?,
            created_hour,
        });
    }
    for add in retention::fold(&deleted) {
        sqlx::query(
            "INSERT INTO thread_week_counts (desk_id, week_start, status, threads) \
             VALUES (?, ?, ?, ?) ON CONFLICT (desk_id, week_start, status) \
             DO UPDATE SET threads = threads + excluded.threads",
        )
        .bind(add.desk.as_str())
        .bind(add.week_start)
        .bind(add.status.as_str())
        .bind(codec::signed(add.threads)?)
        .execute(&mut *conn)
        .await?;
    }
    Ok(deleted.len() as u64)
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
