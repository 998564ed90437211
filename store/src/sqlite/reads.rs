//! Reads, on the pool of read-only connections. WAL lets them run beside
//! the writer, and each sees the state as of its last COMMIT, so a caller
//! that got an answer from the writer reads its own write.

use referral_protocol::{DeskId, DeviceId, PacketId, ThreadId, VerifyingKey};
use sqlx::SqlitePool;

use super::codec::{self, device_columns, packet_columns};
use crate::{
    Counts, Desk, Device, PacketMeta, StoreError, THREAD_CHANGES_PAGE_MAX, Thread, ThreadChanges,
    ThreadEvent, ThreadStat, TokenKey, UnixTime,
};

pub(super) async fn desk(pool: &SqlitePool, id: &DeskId) -> Result<Option<Desk>, StoreError> {
    let row =
        sqlx::query("SELECT id, name, prefecture, languages, created_at FROM desks WHERE id = ?")
            .bind(id.as_str())
            .fetch_optional(pool)
            .await?;
    row.as_ref().map(codec::desk).transpose()
}

pub(super) async fn desks(pool: &SqlitePool) -> Result<Vec<Desk>, StoreError> {
    let rows =
        sqlx::query("SELECT id, name, prefecture, languages, created_at FROM desks ORDER BY id")
            .fetch_all(pool)
            .await?;
    rows.iter().map(codec::desk).collect()
}

pub(super) async fn device(pool: &SqlitePool, id: &DeviceId) -> Result<Option<Device>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        device_columns!(),
        " FROM devices WHERE id = ?"
    ))
    .bind(&id.as_bytes()[..])
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(codec::device).transpose()
}

/// An unclaimed code that is still valid at `now`, on a broker with no root.
pub(super) async fn has_bootstrap_code(
    pool: &SqlitePool,
    now: UnixTime,
) -> Result<bool, StoreError> {
    let found = sqlx::query(
        "SELECT 1 FROM bootstrap WHERE slot = 1 AND claimed_at IS NULL AND expires_at > ? \
         AND NOT EXISTS (SELECT 1 FROM root)",
    )
    .bind(now)
    .fetch_optional(pool)
    .await?;
    Ok(found.is_some())
}

pub(super) async fn root_key(pool: &SqlitePool) -> Result<Option<VerifyingKey>, StoreError> {
    let key: Option<Vec<u8>> = sqlx::query_scalar("SELECT signing_key FROM root WHERE slot = 1")
        .fetch_optional(pool)
        .await?;
    key.map(|k| Ok(VerifyingKey(codec::bytes32(&k, "root key")?)))
        .transpose()
}

pub(super) async fn token_keys(pool: &SqlitePool) -> Result<Vec<TokenKey>, StoreError> {
    let rows = sqlx::query(
        "SELECT kid, pkcs8, public, created_at, retired_at FROM token_keys \
         ORDER BY created_at DESC, rowid DESC",
    )
    .fetch_all(pool)
    .await?;
    rows.iter().map(codec::token_key).collect()
}

pub(super) async fn packet(
    pool: &SqlitePool,
    id: &PacketId,
) -> Result<Option<PacketMeta>, StoreError> {
    super::packets::meta(pool, id).await
}

pub(super) async fn packet_chunk(
    pool: &SqlitePool,
    id: &PacketId,
    seq: u32,
) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT data FROM packet_chunks WHERE packet_id = ? AND seq = ?")
            .bind(&id.as_bytes()[..])
            .bind(i64::from(seq))
            .fetch_optional(pool)
            .await?,
    )
}

/// The inbox query. It must stay answerable from the partial index
/// `packets_inbox` alone, in index order (a unit test checks the plan).
pub(super) const INBOX: &str = concat!(
    "SELECT ",
    packet_columns!(),
    " FROM packets WHERE recipient_desk = ? AND delivery = 'pending' \
     ORDER BY received_hour, arrival LIMIT ?"
);

pub(super) async fn inbox(
    pool: &SqlitePool,
    desk: &DeskId,
    limit: u32,
) -> Result<Vec<PacketMeta>, StoreError> {
    let rows = sqlx::query(INBOX)
        .bind(desk.as_str())
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?;
    rows.iter().map(codec::packet_meta).collect()
}

/// The sum the per-desk cap needs, from the covering partial index
/// `packets_pending_by_sender` (a unit test checks the plan).
pub(super) const PENDING_BYTES_SENT: &str = "SELECT COALESCE(SUM(bytes), 0) FROM packets \
     WHERE sender_desk = ? AND delivery = 'pending'";

pub(super) async fn pending_bytes_sent(
    pool: &SqlitePool,
    desk: &DeskId,
) -> Result<u64, StoreError> {
    let sum: i64 = sqlx::query_scalar(PENDING_BYTES_SENT)
        .bind(desk.as_str())
        .fetch_one(pool)
        .await?;
    u64::try_from(sum).map_err(|_| StoreError::Corrupt("a negative packet size".into()))
}

/// The thread and its events, read in one transaction so that they agree.
pub(super) async fn thread(pool: &SqlitePool, id: &ThreadId) -> Result<Option<Thread>, StoreError> {
    let mut tx = pool.begin().await?;
    let thread = thread_in(&mut tx, id).await?;
    tx.commit().await?;
    Ok(thread)
}

/// The thread and its events, inside the caller's transaction.
async fn thread_in(
    conn: &mut sqlx::SqliteConnection,
    id: &ThreadId,
) -> Result<Option<Thread>, StoreError> {
    let row: Option<(String, String, String)> =
        sqlx::query_as("SELECT sender_desk, recipient_desk, status FROM threads WHERE id = ?")
            .bind(&id.as_bytes()[..])
            .fetch_optional(&mut *conn)
            .await?;
    let Some((sender, recipient, status)) = row else {
        return Ok(None);
    };
    let events: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, at_hour FROM thread_events WHERE thread_id = ? ORDER BY seq",
    )
    .bind(&id.as_bytes()[..])
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(Thread {
        id: *id,
        sender_desk: codec::desk_id(&sender)?,
        recipient_desk: codec::desk_id(&recipient)?,
        status: codec::decode(&status)?,
        events: events
            .into_iter()
            .map(|(s, at_hour)| {
                Ok(ThreadEvent {
                    status: codec::decode(&s)?,
                    at_hour,
                })
            })
            .collect::<Result<_, StoreError>>()?,
    }))
}

/// A page of the desk's threads changed after `after` (ADR 0014), in one
/// read transaction so that the page and the head agree.
pub(super) async fn threads_changed_since(
    pool: &SqlitePool,
    desk: &DeskId,
    after: u64,
    limit: u32,
) -> Result<ThreadChanges, StoreError> {
    let limit = limit.clamp(1, THREAD_CHANGES_PAGE_MAX);
    let after = i64::try_from(after).unwrap_or(i64::MAX);
    let mut tx = pool.begin().await?;
    // One more than asked for: whether it comes back says whether more follow.
    let rows: Vec<(Vec<u8>, i64)> = sqlx::query_as(
        "SELECT c.thread_id, c.seq FROM thread_changes c JOIN threads t ON t.id = c.thread_id \
         WHERE c.seq > ? AND (t.sender_desk = ? OR t.recipient_desk = ?) \
         ORDER BY c.seq LIMIT ?",
    )
    .bind(after)
    .bind(desk.as_str())
    .bind(desk.as_str())
    .bind(i64::from(limit) + 1)
    .fetch_all(&mut *tx)
    .await?;
    // The clock, not MAX(seq): the thread holding the highest number may
    // have been deleted (ADR 0019 §1), and the head must not go back.
    let head: i64 = sqlx::query_scalar("SELECT seq FROM thread_change_clock WHERE id = 1")
        .fetch_one(&mut *tx)
        .await?;
    let more = rows.len() > limit as usize;
    let mut threads = Vec::with_capacity(rows.len().min(limit as usize));
    for (id, seq) in rows.into_iter().take(limit as usize) {
        let id = codec::thread_id(&id)?;
        let thread = thread_in(&mut tx, &id).await?.ok_or_else(|| {
            StoreError::Corrupt("a change of a thread that does not exist".into())
        })?;
        threads.push((codec::unsigned(seq, "change sequence")?, thread));
    }
    tx.commit().await?;
    Ok(ThreadChanges {
        threads,
        more,
        head: codec::unsigned(head, "change sequence")?,
    })
}

pub(super) async fn counts(pool: &SqlitePool) -> Result<Counts, StoreError> {
    type Row = (i64, i64, i64, i64, i64, i64);
    let (pending, acknowledged, expired, bytes, desks, devices): Row = sqlx::query_as(
        "SELECT \
           (SELECT COUNT(*) FROM packets WHERE delivery = 'pending'), \
           (SELECT COUNT(*) FROM packets WHERE delivery = 'acknowledged'), \
           (SELECT COUNT(*) FROM packets WHERE delivery = 'expired'), \
           (SELECT COALESCE(SUM(bytes), 0) FROM packets \
              WHERE delivery IN ('pending', 'acknowledged')), \
           (SELECT COUNT(*) FROM desks), \
           (SELECT COUNT(*) FROM devices WHERE state = 'active')",
    )
    .fetch_one(pool)
    .await?;
    Ok(Counts {
        pending_packets: codec::unsigned(pending, "count")?,
        acknowledged_packets: codec::unsigned(acknowledged, "count")?,
        expired_packets: codec::unsigned(expired, "count")?,
        stored_bytes: codec::unsigned(bytes, "byte count")?,
        desks: codec::unsigned(desks, "count")?,
        active_devices: codec::unsigned(devices, "count")?,
    })
}

/// Threads by recipient desk, status and the Monday their hour falls in
/// (`crate::week_start`, computed in SQL so only the groups come back):
/// the live threads plus the weekly counts deleted threads left, in one
/// snapshot so a purge in between cannot count a thread twice or not at all.
pub(super) async fn thread_stats(pool: &SqlitePool) -> Result<Vec<ThreadStat>, StoreError> {
    let mut tx = pool.begin().await?;
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT recipient_desk, status, \
                created_hour - (((created_hour - 345600) % 604800) + 604800) % 604800 AS week, \
                COUNT(*) \
         FROM threads GROUP BY recipient_desk, status, week",
    )
    .fetch_all(&mut *tx)
    .await?;
    let folded: Vec<(String, String, i64, i64)> =
        sqlx::query_as("SELECT desk_id, status, week_start, threads FROM thread_week_counts")
            .fetch_all(&mut *tx)
            .await?;
    tx.commit().await?;
    let stats = |rows: Vec<(String, String, i64, i64)>| {
        rows.into_iter()
            .map(|(desk, status, week_start, threads)| {
                Ok(ThreadStat {
                    desk: codec::desk_id(&desk)?,
                    status: codec::decode(&status)?,
                    week_start,
                    threads: codec::unsigned(threads, "count")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()
    };
    Ok(crate::retention::merge(stats(rows)?, stats(folded)?))
}

pub(super) async fn ping(pool: &SqlitePool) -> Result<(), StoreError> {
    sqlx::query("SELECT 1").execute(pool).await?;
    Ok(())
}
