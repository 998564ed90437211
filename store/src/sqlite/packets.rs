//! Storing and acknowledging packets, with their effect on threads. Runs on
//! the writer's connection; every check comes before the first write, and
//! the op's savepoint undoes a write that fails half-way (e.g. a spool file
//! that cannot be read to its end).

use referral_protocol::{DeskId, PacketId};
use sqlx::SqliteConnection;

use super::codec::{self, packet_columns};
use super::desks;
use super::threads;
use crate::body::PacketBody;
use crate::encoding::Word;
use crate::lifecycle;
use crate::{
    AckOutcome, DeliveryState, NewPacket, PacketKindWord, PacketMeta, PutOutcome, RewrapOutcome,
    RewrapPacket, StoreError, ThreadStatus, UnixTime, to_hour, tombstone_hash,
};

pub(super) async fn put(
    conn: &mut SqliteConnection,
    packet: NewPacket,
    body: PacketBody,
) -> Result<PutOutcome, StoreError> {
    // Both desks first, as the PostgreSQL backend does, so that the two
    // answer alike. The sender's desk comes from its token and desks are
    // never deleted, so in practice only the recipient can be unknown.
    if !desks::desk_exists(conn, &packet.recipient_desk).await?
        || !desks::desk_exists(conn, &packet.sender_desk).await?
    {
        return Ok(PutOutcome::UnknownDesk);
    }
    if let Some(stored) = meta(&mut *conn, &packet.id).await? {
        return Ok(lifecycle::same_or_conflict(stored, &packet));
    }
    if tombstoned(conn, &packet.id).await? {
        return Ok(PutOutcome::Gone);
    }
    if let Some(refusal) = lifecycle::apply(conn, &packet).await? {
        return Ok(refusal);
    }
    let stored = lifecycle::stored_meta(&packet);
    insert_packet(conn, &stored).await?;
    insert_chunks(conn, &stored.id, body).await?;
    Ok(PutOutcome::Stored(stored))
}

/// One packet's metadata, on the writer's connection or the read pool.
pub(super) async fn meta<'e>(
    conn: impl sqlx::SqliteExecutor<'e>,
    id: &PacketId,
) -> Result<Option<PacketMeta>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        packet_columns!(),
        " FROM packets WHERE id = ?"
    ))
    .bind(&id.as_bytes()[..])
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(codec::packet_meta).transpose()
}

async fn tombstoned(conn: &mut SqliteConnection, id: &PacketId) -> Result<bool, StoreError> {
    let found = sqlx::query("SELECT 1 FROM tombstones WHERE hash = ?")
        .bind(&tombstone_hash(id)[..])
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

async fn insert_packet(conn: &mut SqliteConnection, m: &PacketMeta) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO packets (id, thread_id, sender_desk, recipient_desk, bytes, sha256, kind, \
         delivery, received_hour, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
    )
    .bind(&m.id.as_bytes()[..])
    .bind(&m.thread_id.as_bytes()[..])
    .bind(m.sender_desk.as_str())
    .bind(m.recipient_desk.as_str())
    .bind(codec::signed(m.bytes)?)
    .bind(&m.sha256[..])
    .bind(Word::word(m.kind))
    .bind(m.received_hour)
    .bind(m.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// One row per chunk, read one chunk at a time: a large body is never
/// whole in memory.
async fn insert_chunks(
    conn: &mut SqliteConnection,
    id: &PacketId,
    body: PacketBody,
) -> Result<(), StoreError> {
    let mut chunks = body.into_chunks();
    while let Some((seq, data)) = chunks.next_chunk().await? {
        sqlx::query("INSERT INTO packet_chunks (packet_id, seq, data) VALUES (?, ?, ?)")
            .bind(&id.as_bytes()[..])
            .bind(i64::from(seq))
            .bind(&data[..])
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Replaces a pending packet's chunks and hash (a rewrap), if the packet
/// is addressed to the asking desk and still holds exactly the ciphertext
/// the caller compared against.
pub(super) async fn rewrap(
    conn: &mut SqliteConnection,
    r: &RewrapPacket,
    body: PacketBody,
) -> Result<RewrapOutcome, StoreError> {
    let Some(m) = meta(&mut *conn, &r.id).await? else {
        return Ok(RewrapOutcome::NotFound);
    };
    if m.recipient_desk != r.desk {
        return Ok(RewrapOutcome::NotFound);
    }
    if m.delivery != DeliveryState::Pending {
        return Ok(RewrapOutcome::NotPending(m.delivery));
    }
    if m.sha256 != r.replaces || m.bytes != r.bytes || body.len() != r.bytes {
        return Ok(RewrapOutcome::Stale);
    }
    sqlx::query("DELETE FROM packet_chunks WHERE packet_id = ?")
        .bind(&r.id.as_bytes()[..])
        .execute(&mut *conn)
        .await?;
    insert_chunks(conn, &r.id, body).await?;
    sqlx::query("UPDATE packets SET sha256 = ? WHERE id = ?")
        .bind(&r.sha256[..])
        .bind(&r.id.as_bytes()[..])
        .execute(&mut *conn)
        .await?;
    Ok(RewrapOutcome::Rewrapped(PacketMeta {
        sha256: r.sha256,
        ..m
    }))
}

/// Only the addressed desk acknowledges. A referral or forward whose thread
/// is still `sent` makes it `received`; a repeated ack changes nothing. A
/// packet past `expires_at` that no purge has expired yet can still be
/// acknowledged: its ciphertext was there to be read.
pub(super) async fn ack(
    conn: &mut SqliteConnection,
    id: &PacketId,
    desk: &DeskId,
    now: UnixTime,
) -> Result<AckOutcome, StoreError> {
    let Some(m) = meta(&mut *conn, id).await? else {
        return Ok(AckOutcome::NotFound);
    };
    if m.recipient_desk != *desk {
        return Ok(AckOutcome::NotFound);
    }
    match m.delivery {
        DeliveryState::Expired => return Ok(AckOutcome::Expired),
        DeliveryState::Acknowledged => return Ok(AckOutcome::Acknowledged),
        DeliveryState::Pending => {}
    }
    sqlx::query("UPDATE packets SET delivery = 'acknowledged', acked_at = ? WHERE id = ?")
        .bind(hour_after(now))
        .bind(&id.as_bytes()[..])
        .execute(&mut *conn)
        .await?;
    if m.kind != PacketKindWord::Reply {
        let thread = threads::load(conn, &m.thread_id).await?;
        if thread.is_some_and(|t| t.status == ThreadStatus::Sent) {
            threads::advance(conn, &m.thread_id, ThreadStatus::Received, now).await?;
        }
    }
    Ok(AckOutcome::Acknowledged)
}

/// `t` rounded up to a whole hour: the stored ack time is coarse, and the
/// grace period before purge can only grow, never shrink.
pub(super) fn hour_after(t: UnixTime) -> UnixTime {
    let h = to_hour(t);
    if h == t { h } else { h + 3600 }
}
