//! Case threads: opening them, moving their status, and reading them back.
//!
//! A status change always locks the thread row first (`FOR UPDATE`, or the
//! row lock an `UPDATE` takes), so the check against the current status and
//! the new event happen as one step even with several brokers.

use async_trait::async_trait;
use referral_protocol::{DeskId, ThreadId};
use sqlx::Row;
use sqlx::postgres::{PgConnection, PgPool};

use super::codec;
use crate::lifecycle::{ThreadRow, ThreadTables};
use crate::{
    StoreError, THREAD_CHANGES_PAGE_MAX, Thread, ThreadChanges, ThreadEvent, ThreadStatus, UnixTime,
};

/// A thread read `for_change` is locked (`FOR UPDATE`) for the rest of the
/// transaction, so the check against its status and the change are one
/// step even with several brokers (READ COMMITTED).
#[async_trait]
impl ThreadTables for PgConnection {
    async fn thread(
        &mut self,
        id: &ThreadId,
        for_change: bool,
    ) -> Result<Option<ThreadRow>, StoreError> {
        let sql = if for_change {
            "SELECT sender_desk, recipient_desk, status FROM threads WHERE id = $1::uuid FOR UPDATE"
        } else {
            "SELECT sender_desk, recipient_desk, status FROM threads WHERE id = $1::uuid"
        };
        let row = sqlx::query(sql)
            .bind(id.to_string())
            .fetch_optional(self)
            .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(ThreadRow {
            sender_desk: codec::parse("desk id", row.try_get("sender_desk")?)?,
            recipient_desk: codec::parse("desk id", row.try_get("recipient_desk")?)?,
            status: codec::decode(row.try_get("status")?)?,
        }))
    }

    async fn open_thread(
        &mut self,
        id: &ThreadId,
        sender: &DeskId,
        recipient: &DeskId,
        hour: UnixTime,
    ) -> Result<bool, StoreError> {
        open(self, id, sender, recipient, hour).await
    }

    async fn advance_thread(
        &mut self,
        id: &ThreadId,
        status: ThreadStatus,
        hour: UnixTime,
    ) -> Result<(), StoreError> {
        set_status(self, id, status, hour).await
    }
}

/// Opens a thread as `sent`; `false` if the id is taken. A concurrent opener
/// of the same id waits on the primary key and then sees it taken.
async fn open(
    conn: &mut PgConnection,
    id: &ThreadId,
    sender: &DeskId,
    recipient: &DeskId,
    hour: UnixTime,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO threads (id, sender_desk, recipient_desk, status, created_hour) \
         VALUES ($1::uuid, $2, $3, 'sent', $4) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id.to_string())
    .bind(sender.as_str())
    .bind(recipient.as_str())
    .bind(hour)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    append_event(conn, id, ThreadStatus::Sent, hour).await?;
    Ok(true)
}

/// Sets a thread's status and records the change. The caller holds the
/// row lock (or takes it with `UPDATE … WHERE status = …`).
async fn set_status(
    conn: &mut PgConnection,
    id: &ThreadId,
    status: ThreadStatus,
    hour: UnixTime,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE threads SET status = $2 WHERE id = $1::uuid")
        .bind(id.to_string())
        .bind(status.as_str())
        .execute(&mut *conn)
        .await?;
    append_event(conn, id, status, hour).await
}

/// Appends an event. Its number is one past the last: safe because every
/// caller holds the thread's row lock, and the primary key would refuse a
/// duplicate number anyway.
async fn append_event(
    conn: &mut PgConnection,
    id: &ThreadId,
    status: ThreadStatus,
    hour: UnixTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO thread_events (thread_id, seq, status, at_hour) \
         SELECT $1::uuid, coalesce(max(seq), 0) + 1, $2, $3 \
         FROM thread_events WHERE thread_id = $1::uuid",
    )
    .bind(id.to_string())
    .bind(status.as_str())
    .bind(hour)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a `sent` thread to `received` when its opening packet is
/// acknowledged. Any other status (say the sender cancelled first) stays.
pub(super) async fn mark_received(
    conn: &mut PgConnection,
    id: &ThreadId,
    hour: UnixTime,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE threads SET status = 'received' WHERE id = $1::uuid AND status = 'sent'",
    )
    .bind(id.to_string())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        append_event(conn, id, ThreadStatus::Received, hour).await?;
    }
    Ok(())
}

pub(super) async fn thread(pool: &PgPool, id: &ThreadId) -> Result<Option<Thread>, StoreError> {
    // One transaction, so the status and the history come from one
    // snapshot (REPEATABLE READ) even while a reply is being stored.
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let thread = thread_in(&mut tx, id).await?;
    tx.commit().await?;
    Ok(thread)
}

/// The thread and its events, inside the caller's transaction.
async fn thread_in(conn: &mut PgConnection, id: &ThreadId) -> Result<Option<Thread>, StoreError> {
    let row =
        sqlx::query("SELECT sender_desk, recipient_desk, status FROM threads WHERE id = $1::uuid")
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    let Some(row) = row else { return Ok(None) };
    let events = sqlx::query(
        "SELECT status, at_hour FROM thread_events WHERE thread_id = $1::uuid ORDER BY seq",
    )
    .bind(id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(Thread {
        id: *id,
        sender_desk: codec::parse("desk id", row.try_get("sender_desk")?)?,
        recipient_desk: codec::parse("desk id", row.try_get("recipient_desk")?)?,
        status: codec::decode(row.try_get("status")?)?,
        events: events
            .iter()
            .map(|e| {
                Ok(ThreadEvent {
                    status: codec::decode(e.try_get("status")?)?,
                    at_hour: e.try_get("at_hour")?,
                })
            })
            .collect::<Result<_, StoreError>>()?,
    }))
}

/// A page of the desk's threads changed after `after` (ADR 0014), from one
/// REPEATABLE READ snapshot so that the page and the head agree. Numbers are
/// drawn at commit under a lock (migration 0004), so every change up to the
/// head seen here is visible here.
pub(super) async fn threads_changed_since(
    pool: &PgPool,
    desk: &DeskId,
    after: u64,
    limit: u32,
) -> Result<ThreadChanges, StoreError> {
    let limit = limit.clamp(1, THREAD_CHANGES_PAGE_MAX);
    let after = i64::try_from(after).unwrap_or(i64::MAX);
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    // One more than asked for: whether it comes back says whether more follow.
    let rows = sqlx::query(
        "SELECT c.thread_id::text AS thread_id, c.seq FROM thread_changes c \
         JOIN threads t ON t.id = c.thread_id \
         WHERE c.seq > $1 AND (t.sender_desk = $2 OR t.recipient_desk = $2) \
         ORDER BY c.seq LIMIT $3",
    )
    .bind(after)
    .bind(desk.as_str())
    .bind(i64::from(limit) + 1)
    .fetch_all(&mut *tx)
    .await?;
    let head: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM thread_changes")
        .fetch_one(&mut *tx)
        .await?;
    let more = rows.len() > limit as usize;
    let mut threads = Vec::with_capacity(rows.len().min(limit as usize));
    for row in rows.iter().take(limit as usize) {
        let id: ThreadId = codec::parse("thread id", row.try_get("thread_id")?)?;
        let seq: i64 = row.try_get("seq")?;
        let thread = thread_in(&mut tx, &id).await?.ok_or_else(|| {
            StoreError::Corrupt("a change of a thread that does not exist".into())
        })?;
        threads.push((codec::to_u64("change sequence", seq)?, thread));
    }
    tx.commit().await?;
    Ok(ThreadChanges {
        threads,
        more,
        head: codec::to_u64("change sequence", head)?,
    })
}
