//! Thread rows and their history, as the packet writes change them. Every
//! status change appends an event stamped with a whole hour (SPEC §2.2).

use async_trait::async_trait;
use referral_protocol::{DeskId, ThreadId};
use sqlx::SqliteConnection;

use super::codec;
use crate::lifecycle::{ThreadRow, ThreadTables};
use crate::{StoreError, ThreadStatus, UnixTime, to_hour};

/// The single writer holds the database's only write lock for the whole
/// batch, so a plain read is already the state the write will change.
#[async_trait]
impl ThreadTables for SqliteConnection {
    async fn thread(
        &mut self,
        id: &ThreadId,
        _for_change: bool,
    ) -> Result<Option<ThreadRow>, StoreError> {
        load(self, id).await
    }

    async fn open_thread(
        &mut self,
        id: &ThreadId,
        sender: &DeskId,
        recipient: &DeskId,
        hour: UnixTime,
    ) -> Result<bool, StoreError> {
        open(self, id, sender, recipient, hour).await?;
        Ok(true)
    }

    async fn advance_thread(
        &mut self,
        id: &ThreadId,
        status: ThreadStatus,
        hour: UnixTime,
    ) -> Result<(), StoreError> {
        advance(self, id, status, hour).await
    }
}

pub(super) async fn load(
    conn: &mut SqliteConnection,
    id: &ThreadId,
) -> Result<Option<ThreadRow>, StoreError> {
    let row: Option<(String, String, String)> =
        sqlx::query_as("SELECT sender_desk, recipient_desk, status FROM threads WHERE id = ?")
            .bind(&id.as_bytes()[..])
            .fetch_optional(conn)
            .await?;
    row.map(|(sender, recipient, status)| thread_row(&sender, &recipient, &status))
        .transpose()
}

/// A thread row's three columns, parsed.
pub(super) fn thread_row(
    sender: &str,
    recipient: &str,
    status: &str,
) -> Result<ThreadRow, StoreError> {
    Ok(ThreadRow {
        sender_desk: codec::desk_id(sender)?,
        recipient_desk: codec::desk_id(recipient)?,
        status: codec::decode(status)?,
    })
}

/// A new thread in `sent`, with its first event.
async fn open(
    conn: &mut SqliteConnection,
    id: &ThreadId,
    sender: &DeskId,
    recipient: &DeskId,
    at: UnixTime,
) -> Result<(), StoreError> {
    let hour = to_hour(at);
    sqlx::query(
        "INSERT INTO threads (id, sender_desk, recipient_desk, status, created_hour) \
         VALUES (?, ?, ?, 'sent', ?)",
    )
    .bind(&id.as_bytes()[..])
    .bind(sender.as_str())
    .bind(recipient.as_str())
    .bind(hour)
    .execute(&mut *conn)
    .await?;
    add_event(conn, id, ThreadStatus::Sent, hour).await
}

/// Moves a thread to `status` and records the change.
pub(super) async fn advance(
    conn: &mut SqliteConnection,
    id: &ThreadId,
    status: ThreadStatus,
    at: UnixTime,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE threads SET status = ? WHERE id = ?")
        .bind(status.as_str())
        .bind(&id.as_bytes()[..])
        .execute(&mut *conn)
        .await?;
    add_event(conn, id, status, to_hour(at)).await
}

async fn add_event(
    conn: &mut SqliteConnection,
    id: &ThreadId,
    status: ThreadStatus,
    hour: UnixTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO thread_events (thread_id, seq, status, at_hour) VALUES \
         (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM thread_events WHERE thread_id = ?1), ?2, ?3)",
    )
    .bind(&id.as_bytes()[..])
    .bind(status.as_str())
    .bind(hour)
    .execute(conn)
    .await?;
    Ok(())
}
