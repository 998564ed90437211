//! The writer's set path for acknowledgements (ADR 0007): the acks of one
//! batch, for distinct packets, read with two IN-list queries and applied
//! with at most three statements, instead of about seven round trips each.
//!
//! The set runs after the batch's sends and before its one-at-a-time ops,
//! so it sees the sends' packets. Two acks of a set never change the same
//! thread: only the packet that opened a thread (its referral or forward)
//! moves it on, and each thread has exactly one.

use std::collections::HashMap;

use referral_protocol::{DeskId, PacketId, ThreadId};
use sqlx::sqlite::SqliteArguments;
use sqlx::{AssertSqlSafe, SqliteConnection};

use super::codec::{self, packet_columns};
use super::packets;
use super::put_set::{add_events, advance_threads, bind, marks, rows};
use crate::{
    AckOutcome, DeliveryState, PacketKindWord, PacketMeta, StoreError, ThreadStatus, UnixTime,
    to_hour,
};

/// One acknowledgement: the packet, the desk asking, and when.
pub(super) type Ack = (PacketId, DeskId, UnixTime);

/// Answers each ack, in order, with the rules of `packets::ack`. An `Err`
/// means a statement failed: the caller rolls back whatever ran.
pub(super) async fn ack_set(
    conn: &mut SqliteConnection,
    acks: &[Ack],
) -> Result<Vec<AckOutcome>, StoreError> {
    let stored = metas(conn, acks).await?;
    let mut outcomes = Vec::with_capacity(acks.len());
    let mut acked = Vec::new();
    let mut openers = Vec::new();
    for (id, desk, now) in acks {
        let outcome = match stored.get(id) {
            None => AckOutcome::NotFound,
            Some(m) if m.recipient_desk != *desk => AckOutcome::NotFound,
            Some(m) => match m.delivery {
                DeliveryState::Expired => AckOutcome::Expired,
                DeliveryState::Acknowledged => AckOutcome::Acknowledged,
                DeliveryState::Pending => {
                    acked.push((*id, packets::hour_after(*now)));
                    if m.kind != PacketKindWord::Reply {
                        openers.push((m.thread_id, *now));
                    }
                    AckOutcome::Acknowledged
                }
            },
        };
        outcomes.push(outcome);
    }
    mark_acknowledged(conn, &acked).await?;
    // A thread still `sent` becomes `received`; one that has moved on
    // (cancelled, say) stays where it is.
    let sent = sent_threads(conn, &openers).await?;
    let changes: Vec<_> = openers
        .iter()
        .filter(|(thread, _)| sent.contains(thread))
        .collect();
    let advances: Vec<_> = changes
        .iter()
        .map(|(thread, _)| (*thread, ThreadStatus::Received))
        .collect();
    let events: Vec<_> = changes
        .iter()
        .map(|(thread, now)| (*thread, ThreadStatus::Received, to_hour(*now)))
        .collect();
    advance_threads(conn, &advances).await?;
    add_events(conn, &events).await?;
    Ok(outcomes)
}

async fn metas(
    conn: &mut SqliteConnection,
    acks: &[Ack],
) -> Result<HashMap<PacketId, PacketMeta>, StoreError> {
    let mut args = SqliteArguments::default();
    for (id, _, _) in acks {
        bind(&mut args, id.as_bytes().to_vec())?;
    }
    let sql = format!(
        concat!(
            "SELECT ",
            packet_columns!(),
            " FROM packets WHERE id IN ({})"
        ),
        marks(acks.len())
    );
    sqlx::query_with(AssertSqlSafe(sql), args)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| codec::packet_meta(row).map(|m| (m.id, m)))
        .collect()
}

/// Stamps each packet acknowledged, with its own (coarse) time.
async fn mark_acknowledged(
    conn: &mut SqliteConnection,
    acked: &[(PacketId, UnixTime)],
) -> Result<(), StoreError> {
    if acked.is_empty() {
        return Ok(());
    }
    let mut args = SqliteArguments::default();
    for (id, at) in acked {
        bind(&mut args, id.as_bytes().to_vec())?;
        bind(&mut args, *at)?;
    }
    let sql = format!(
        "UPDATE packets SET delivery = 'acknowledged', acked_at = v.column2 \
         FROM (VALUES {}) AS v WHERE packets.id = v.column1",
        rows(acked.len(), "(?, ?)")
    );
    sqlx::query_with(AssertSqlSafe(sql), args)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Which of the threads are still `sent`.
async fn sent_threads(
    conn: &mut SqliteConnection,
    openers: &[(ThreadId, UnixTime)],
) -> Result<Vec<ThreadId>, StoreError> {
    if openers.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = SqliteArguments::default();
    for (thread, _) in openers {
        bind(&mut args, thread.as_bytes().to_vec())?;
    }
    let sql = format!(
        "SELECT id FROM threads WHERE status = 'sent' AND id IN ({})",
        marks(openers.len())
    );
    sqlx::query_scalar_with::<_, Vec<u8>, _>(AssertSqlSafe(sql), args)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|id| codec::thread_id(id))
        .collect()
}
