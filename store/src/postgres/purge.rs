//! Retention: expiring unread packets, deleting delivered ciphertext,
//! tombstones, deleting closed threads after the retention period (ADR 0019
//! §1), and reclaiming the space.

use referral_protocol::PacketId;
use sqlx::Row;
use sqlx::postgres::{PgConnection, PgPool};

use super::codec;
use crate::retention::{self, DeletedThread};
use crate::{
    PurgeCutoffs, PurgeReport, RETIRED_TOKEN_KEY_TTL, STAGED_TOKEN_KEY_TTL, StoreError, UnixTime,
    to_hour, tombstone_hash,
};

/// Advisory lock key: one purge at a time across every broker on the
/// database. Two purges locking overlapping packet and thread rows in
/// different orders could deadlock; with the lock the second one waits and
/// then finds nothing left to do.
const PURGE_LOCK: i64 = 0x7265_6670_7572_6701; // "refpurg" + 1

pub(super) async fn purge(pool: &PgPool, cutoffs: PurgeCutoffs) -> Result<PurgeReport, StoreError> {
    let PurgeCutoffs {
        now,
        acked_before,
        closed_before,
    } = cutoffs;
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(PURGE_LOCK)
        .execute(&mut *tx)
        .await?;
    let expired = expire_unread(&mut tx, now).await?;
    let deleted = delete_old(&mut tx, acked_before).await?;
    leave_tombstones(&mut tx, &deleted.ids, to_hour(now)).await?;
    // After the packets: a thread whose last packet went just now may go too.
    let threads_deleted = delete_closed_threads(&mut tx, closed_before).await?;
    drop_stale_rows(&mut tx, now).await?;
    tx.commit().await?;
    if expired > 0 || !deleted.ids.is_empty() {
        vacuum_chunks(pool).await?;
    }
    Ok(PurgeReport {
        purged: deleted.acknowledged,
        expired,
        threads_deleted,
    })
}

/// Deletes the threads [`retention`] says may go, with their events and
/// change-feed rows, and adds them to `thread_week_counts`.
///
/// The candidates are locked first (`FOR UPDATE`, the lock a reply takes
/// on its thread), then deleted by a second statement that looks for
/// packets again: each statement reads a fresh snapshot, so a reply that
/// committed while the purge waited for its lock keeps the thread. A reply
/// that comes after the delete finds no thread and is refused.
async fn delete_closed_threads(
    conn: &mut PgConnection,
    closed_before: UnixTime,
) -> Result<u64, StoreError> {
    let candidates: Vec<String> = sqlx::query_scalar(
        "SELECT t.id::text FROM threads t \
         WHERE t.status = ANY($1) \
           AND COALESCE((SELECT max(e.at_hour) FROM thread_events e WHERE e.thread_id = t.id), \
                        t.created_hour) < $2 \
           AND NOT EXISTS (SELECT 1 FROM packets p WHERE p.thread_id = t.id) \
         ORDER BY t.id FOR UPDATE OF t",
    )
    .bind(retention::closed_words())
    .bind(closed_before)
    .fetch_all(&mut *conn)
    .await?;
    if candidates.is_empty() {
        return Ok(0);
    }
    // One statement: the foreign keys from `thread_events` are checked at
    // its end, when the events are gone too.
    let rows = sqlx::query(
        "WITH gone AS ( \
             DELETE FROM threads t WHERE t.id = ANY($1::uuid[]) \
               AND NOT EXISTS (SELECT 1 FROM packets p WHERE p.thread_id = t.id) \
             RETURNING t.id, t.recipient_desk, t.status, t.created_hour \
         ), events AS ( \
             DELETE FROM thread_events e USING gone g WHERE e.thread_id = g.id \
         ), changes AS ( \
             DELETE FROM thread_changes c USING gone g WHERE c.thread_id = g.id \
         ) \
         SELECT recipient_desk, status, created_hour FROM gone",
    )
    .bind(candidates)
    .fetch_all(&mut *conn)
    .await?;
    let mut deleted = Vec::with_capacity(rows.len());
    for row in &rows {
        deleted.push(DeletedThread {
            recipient_desk: codec::parse("desk id", row.try_get::<&str, _>("recipient_desk")?)?,
            status: codec::decode(row.try_get::<&str, _>("status")?)?,
            created_hour: row.try_get("created_hour")?,
        });
    }
    for add in retention::fold(&deleted) {
        sqlx::query(
            "INSERT INTO thread_week_counts (desk_id, week_start, status, threads) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (desk_id, week_start, status) \
             DO UPDATE SET threads = thread_week_counts.threads + EXCLUDED.threads",
        )
        .bind(add.desk.as_str())
        .bind(add.week_start)
        .bind(add.status.as_str())
        .bind(codec::to_i64("count", add.threads)?)
        .execute(&mut *conn)
        .await?;
    }
    Ok(deleted.len() as u64)
}

/// Pending packets past their expiry become `expired` and lose their
/// ciphertext; a thread still `sent` when its opening packet (referral or
/// forward) expires becomes `expired`, so the sender sees nobody read it.
/// One statement: every part sees the same packets.
async fn expire_unread(conn: &mut PgConnection, now: UnixTime) -> Result<u64, StoreError> {
    let n: i64 = sqlx::query_scalar(
        "WITH expired AS ( \
             UPDATE packets SET delivery = 'expired' \
             WHERE delivery = 'pending' AND expires_at < $1 \
             RETURNING id, thread_id, kind \
         ), chunks AS ( \
             DELETE FROM packet_chunks c USING expired e WHERE c.packet_id = e.id \
         ), threads_expired AS ( \
             UPDATE threads t SET status = 'expired' FROM expired e \
             WHERE t.id = e.thread_id AND e.kind <> 'reply' AND t.status = 'sent' \
             RETURNING t.id \
         ), events AS ( \
             INSERT INTO thread_events (thread_id, seq, status, at_hour) \
             SELECT t.id, \
                    (SELECT coalesce(max(ev.seq), 0) + 1 FROM thread_events ev \
                      WHERE ev.thread_id = t.id), \
                    'expired', $2 \
             FROM threads_expired t \
         ) \
         SELECT count(*) FROM expired",
    )
    .bind(now)
    .bind(to_hour(now))
    .fetch_one(conn)
    .await?;
    codec::to_u64("count", n)
}

/// What [`delete_old`] removed.
struct Deleted {
    ids: Vec<PacketId>,
    acknowledged: u64,
}

/// Deletes the rows of packets acknowledged before `acked_before`, and of
/// expired ones whose expiry is before it too (their metadata has served
/// its purpose: the thread keeps the `expired` status). Their chunks go
/// with them (`ON DELETE CASCADE`).
async fn delete_old(
    conn: &mut PgConnection,
    acked_before: UnixTime,
) -> Result<Deleted, StoreError> {
    let rows = sqlx::query(
        "DELETE FROM packets \
         WHERE (delivery = 'acknowledged' AND acked_at < $1) \
            OR (delivery = 'expired' AND expires_at < $1) \
         RETURNING id::text AS id, delivery",
    )
    .bind(acked_before)
    .fetch_all(conn)
    .await?;
    let mut deleted = Deleted {
        ids: Vec::with_capacity(rows.len()),
        acknowledged: 0,
    };
    for row in &rows {
        deleted
            .ids
            .push(codec::parse("packet id", row.try_get("id")?)?);
        if row.try_get::<&str, _>("delivery")? == "acknowledged" {
            deleted.acknowledged += 1;
        }
    }
    Ok(deleted)
}

/// A tombstone per deleted packet: the hash comes from
/// [`tombstone_hash`], the one definition shared with the lookup.
async fn leave_tombstones(
    conn: &mut PgConnection,
    ids: &[PacketId],
    hour: UnixTime,
) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let hashes: Vec<[u8; 32]> = ids.iter().map(tombstone_hash).collect();
    sqlx::query(
        "INSERT INTO tombstones (hash, purged_at) SELECT h, $2 FROM unnest($1::bytea[]) AS h \
         ON CONFLICT (hash) DO NOTHING",
    )
    .bind(hashes)
    .bind(hour)
    .execute(conn)
    .await?;
    Ok(())
}

/// Expired challenges and invites can never be used; a staged token key
/// past [`STAGED_TOKEN_KEY_TTL`] is a private key nobody will activate, and
/// one retired for [`RETIRED_TOKEN_KEY_TTL`] verifies no live token.
async fn drop_stale_rows(conn: &mut PgConnection, now: UnixTime) -> Result<(), StoreError> {
    super::auth::delete_expired_challenges(&mut *conn, now).await?;
    sqlx::query("DELETE FROM invites WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM staged_token_keys WHERE created_at < $1")
        .bind(now - STAGED_TOKEN_KEY_TTL)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM token_keys WHERE retired_at < $1")
        .bind(now - RETIRED_TOKEN_KEY_TTL)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deleted rows stay in the table (and its TOAST table) as dead tuples until
/// VACUUM removes them; without it, purged ciphertext would linger on disk.
/// VACUUM cannot run inside a transaction, so it runs after the commit, as a
/// plain statement of its own.
async fn vacuum_chunks(pool: &PgPool) -> Result<(), StoreError> {
    sqlx::raw_sql("VACUUM packet_chunks").execute(pool).await?;
    Ok(())
}
