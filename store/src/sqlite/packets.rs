//! Storing and acknowledging packets, with their effect on threads. Runs on
//! the writer's connection; every check comes before the first write, and
//! the op's savepoint undoes a write that fails half-way (e.g. a spool file
//! that cannot be read to its end).

use referral_protocol::{DeskId, PacketId, ThreadId};
use sqlx::SqliteConnection;

use super::admin;
use super::codec::{self, packet_columns};
use super::threads::{self, ThreadRow};
use crate::body::PacketBody;
use crate::encoding::Word;
use crate::{
    AckOutcome, DeliveryState, NewPacket, PacketKind, PacketKindWord, PacketMeta, Party,
    PutOutcome, RewrapOutcome, RewrapPacket, StoreError, ThreadStatus, UnixTime, to_hour,
    tombstone_hash,
};

pub(super) async fn put(
    conn: &mut SqliteConnection,
    packet: NewPacket,
    body: PacketBody,
) -> Result<PutOutcome, StoreError> {
    // Both desks first, as the PostgreSQL backend does, so that the two
    // answer alike. The sender's desk comes from its token and desks are
    // never deleted, so in practice only the recipient can be unknown.
    if !admin::desk_exists(conn, &packet.recipient_desk).await?
        || !admin::desk_exists(conn, &packet.sender_desk).await?
    {
        return Ok(PutOutcome::UnknownDesk);
    }
    if let Some(stored) = meta(&mut *conn, &packet.id).await? {
        return Ok(same_or_conflict(stored, &packet));
    }
    if tombstoned(conn, &packet.id).await? {
        return Ok(PutOutcome::Gone);
    }
    if let Some(refusal) = apply_to_threads(conn, &packet).await? {
        return Ok(refusal);
    }
    let stored = stored_meta(packet);
    insert_packet(conn, &stored).await?;
    insert_chunks(conn, &stored.id, body).await?;
    Ok(PutOutcome::Stored(stored))
}

/// Idempotency: the same bytes from the same desk get the stored answer.
pub(super) fn same_or_conflict(stored: PacketMeta, packet: &NewPacket) -> PutOutcome {
    if stored.sha256 == packet.sha256 && stored.sender_desk == packet.sender_desk {
        PutOutcome::Duplicate(stored)
    } else {
        PutOutcome::Conflict
    }
}

/// The metadata as stored: pending, and the arrival hour truncated even if
/// the caller forgot, because only whole hours may sit next to a packet.
pub(super) fn stored_meta(p: NewPacket) -> PacketMeta {
    PacketMeta {
        id: p.id,
        thread_id: p.thread_id,
        sender_desk: p.sender_desk,
        recipient_desk: p.recipient_desk,
        bytes: p.bytes,
        sha256: p.sha256,
        kind: p.kind.word(),
        delivery: DeliveryState::Pending,
        received_hour: to_hour(p.received_hour),
        expires_at: p.expires_at,
    }
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

/// What storing a packet does to threads, decided before any write.
#[derive(Debug, Default)]
pub(super) struct ThreadPlan {
    /// The packet opens its own thread, in `sent`.
    pub(super) open: bool,
    /// A thread whose status changes: the packet's own (a reply with a
    /// status) or the one it forwards.
    pub(super) advance: Option<(ThreadId, ThreadStatus)>,
}

/// Why [`plan`] refuses a packet: the thread-related refusals of
/// [`PutOutcome`], without its large `Stored` variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    ThreadExists,
    UnknownThread,
    IllegalTransition {
        from: ThreadStatus,
        to: ThreadStatus,
    },
}

impl From<Refusal> for PutOutcome {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::ThreadExists => PutOutcome::ThreadExists,
            Refusal::UnknownThread => PutOutcome::UnknownThread,
            Refusal::IllegalTransition { from, to } => PutOutcome::IllegalTransition { from, to },
        }
    }
}

/// The lifecycle rules for one packet, given the thread it names (`own`)
/// and, for a forward, the thread it forwards. `Err` is a refusal. Both the
/// one-at-a-time path and the set path of the writer decide with this, so
/// the rules exist once.
pub(super) fn plan(
    p: &NewPacket,
    own: Option<&ThreadRow>,
    forwarded: Option<&ThreadRow>,
) -> Result<ThreadPlan, Refusal> {
    match p.kind {
        PacketKind::Referral if own.is_some() => Err(Refusal::ThreadExists),
        PacketKind::Referral => Ok(ThreadPlan {
            open: true,
            advance: None,
        }),
        PacketKind::Reply { status } => plan_reply(p, status, own),
        PacketKind::Forward { forwards } => plan_forward(p, forwards, own, forwarded),
    }
}

/// A reply travels between the thread's two parties, either way; with a
/// status, `ThreadStatus::may_become` must allow that party the change.
/// Without one it is a message, allowed in any state.
fn plan_reply(
    p: &NewPacket,
    status: Option<ThreadStatus>,
    own: Option<&ThreadRow>,
) -> Result<ThreadPlan, Refusal> {
    let thread = own.ok_or(Refusal::UnknownThread)?;
    let parties = thread.parties(&p.sender_desk, &p.recipient_desk);
    if parties.is_empty() {
        return Err(Refusal::UnknownThread);
    }
    let Some(to) = status else {
        return Ok(ThreadPlan::default());
    };
    let from = thread.status;
    if !parties.iter().any(|&party| from.may_become(to, party)) {
        return Err(Refusal::IllegalTransition { from, to });
    }
    Ok(ThreadPlan {
        open: false,
        advance: Some((p.thread_id, to)),
    })
}

/// A forward is sent by the desk a thread was addressed to: that thread
/// becomes `forwarded` and the packet opens a new thread, in `sent`.
fn plan_forward(
    p: &NewPacket,
    old_id: ThreadId,
    own: Option<&ThreadRow>,
    forwarded: Option<&ThreadRow>,
) -> Result<ThreadPlan, Refusal> {
    let Some(old) = forwarded else {
        return Err(Refusal::UnknownThread);
    };
    if old.recipient_desk != p.sender_desk.as_str() {
        return Err(Refusal::UnknownThread);
    }
    if !old
        .status
        .may_become(ThreadStatus::Forwarded, Party::Recipient)
    {
        let (from, to) = (old.status, ThreadStatus::Forwarded);
        return Err(Refusal::IllegalTransition { from, to });
    }
    if own.is_some() {
        return Err(Refusal::ThreadExists);
    }
    Ok(ThreadPlan {
        open: true,
        advance: Some((old_id, ThreadStatus::Forwarded)),
    })
}

/// Reads the threads [`plan`] needs, checks, and applies the plan; `Some`
/// is a refusal.
async fn apply_to_threads(
    conn: &mut SqliteConnection,
    p: &NewPacket,
) -> Result<Option<PutOutcome>, StoreError> {
    let own = threads::load(conn, &p.thread_id).await?;
    let forwarded = match p.kind.forwards() {
        Some(old) => threads::load(conn, &old).await?,
        None => None,
    };
    let plan = match plan(p, own.as_ref(), forwarded.as_ref()) {
        Ok(plan) => plan,
        Err(refusal) => return Ok(Some(refusal.into())),
    };
    if let Some((id, status)) = plan.advance {
        threads::advance(conn, &id, status, p.received_hour).await?;
    }
    if plan.open {
        threads::open(
            conn,
            &p.thread_id,
            &p.sender_desk,
            &p.recipient_desk,
            p.received_hour,
        )
        .await?;
    }
    Ok(None)
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
