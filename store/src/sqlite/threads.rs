//! Thread rows and their history, as the packet writes change them. Every
//! status change appends an event stamped with a whole hour (SPEC §2.2).

use referral_protocol::{DeskId, ThreadId};
use sqlx::SqliteConnection;

use super::codec;
use crate::{Party, StoreError, ThreadStatus, UnixTime, to_hour};

/// What a write needs to know about a thread.
#[derive(Debug)]
pub(super) struct ThreadRow {
    pub(super) sender_desk: String,
    pub(super) recipient_desk: String,
    pub(super) status: ThreadStatus,
}

impl ThreadRow {
    /// Which parties a packet from `from` to `to` may speak for on this
    /// thread: the sender side writes to the recipient and back. Both, if a
    /// desk referred a case to itself; none, if the desks are not the
    /// thread's two parties.
    pub(super) fn parties(&self, from: &DeskId, to: &DeskId) -> Vec<Party> {
        let (from, to) = (from.as_str(), to.as_str());
        let mut parties = Vec::with_capacity(2);
        if from == self.sender_desk && to == self.recipient_desk {
            parties.push(Party::Sender);
        }
        if from == self.recipient_desk && to == self.sender_desk {
            parties.push(Party::Recipient);
        }
        parties
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
    row.map(|(sender_desk, recipient_desk, status)| {
        Ok(ThreadRow {
            sender_desk,
            recipient_desk,
            status: codec::decode(&status)?,
        })
    })
    .transpose()
}

/// A new thread in `sent`, with its first event.
pub(super) async fn open(
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
