//! What storing a packet does to case threads (SPEC §3): the rules, once,
//! for both backends and for SQLite's set path (ADR 0007).
//!
//! [`plan`] decides from the threads a packet names, without touching the
//! database; [`apply`] reads those threads through a backend's
//! [`ThreadTables`], plans, and asks the backend to write the plan. The
//! backend keeps only the SQL and its own way of making the read and the
//! write one step (PostgreSQL: a row lock; SQLite: its single writer).

use async_trait::async_trait;
use referral_protocol::{DeskId, ThreadId};

use crate::{
    DeliveryState, NewPacket, PacketKind, PacketMeta, Party, PutOutcome, StoreError, ThreadStatus,
    UnixTime, to_hour,
};

/// What the rules need to know about a thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ThreadRow {
    /// The desk that opened it.
    pub(crate) sender_desk: DeskId,
    /// The desk it was addressed to.
    pub(crate) recipient_desk: DeskId,
    /// Its status now.
    pub(crate) status: ThreadStatus,
}

impl ThreadRow {
    /// Which parties a packet from `from` to `to` may speak for on this
    /// thread: the sender side writes to the recipient and back. Both, if a
    /// desk referred a case to itself; none, if the desks are not the
    /// thread's two parties.
    pub(crate) fn parties(&self, from: &DeskId, to: &DeskId) -> Vec<Party> {
        let mut parties = Vec::with_capacity(2);
        if *from == self.sender_desk && *to == self.recipient_desk {
            parties.push(Party::Sender);
        }
        if *from == self.recipient_desk && *to == self.sender_desk {
            parties.push(Party::Recipient);
        }
        parties
    }
}

/// What storing a packet does to threads, decided before any write.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ThreadPlan {
    /// The packet opens its own thread, in `sent`.
    pub(crate) open: bool,
    /// A thread whose status changes: the packet's own (a reply with a
    /// status) or the one it forwards.
    pub(crate) advance: Option<(ThreadId, ThreadStatus)>,
}

/// Why [`plan`] refuses a packet: the thread-related refusals of
/// [`PutOutcome`], without its large `Stored` variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A referral or forward names a thread id that is taken.
    ThreadExists,
    /// The packet names a thread that does not exist, or that its desks
    /// are not the parties of.
    UnknownThread,
    /// The status change is not allowed.
    IllegalTransition {
        /// The thread's status now.
        from: ThreadStatus,
        /// The status asked for.
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
/// and, for a forward, the thread it forwards. `Err` is a refusal.
pub(crate) fn plan(
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
    if old.recipient_desk != p.sender_desk {
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

/// How the thread rows are read and written inside a put's transaction.
#[async_trait]
pub(crate) trait ThreadTables: Send {
    /// The thread `id`. With `for_change`, the thread's status may change
    /// next: the backend makes the read and that change one step (a row
    /// lock in PostgreSQL).
    async fn thread(
        &mut self,
        id: &ThreadId,
        for_change: bool,
    ) -> Result<Option<ThreadRow>, StoreError>;

    /// Opens a thread in `sent`, with its first event; `false` if the id
    /// turned out to be taken (a concurrent opener won).
    async fn open_thread(
        &mut self,
        id: &ThreadId,
        sender: &DeskId,
        recipient: &DeskId,
        hour: UnixTime,
    ) -> Result<bool, StoreError>;

    /// Moves a thread read `for_change` to `status` and records the event.
    async fn advance_thread(
        &mut self,
        id: &ThreadId,
        status: ThreadStatus,
        hour: UnixTime,
    ) -> Result<(), StoreError>;
}

/// Reads the threads [`plan`] needs, plans, and writes the plan; `Some` is
/// a refusal, after which the caller rolls back what was written.
///
/// The thread whose status may change is read first and `for_change`; the
/// packet's own thread, when the packet opens it, only for whether it
/// exists (its opening insert settles a race).
pub(crate) async fn apply<T: ThreadTables + ?Sized>(
    tables: &mut T,
    p: &NewPacket,
) -> Result<Option<PutOutcome>, StoreError> {
    let (own, forwarded) = match p.kind {
        PacketKind::Referral => (tables.thread(&p.thread_id, false).await?, None),
        PacketKind::Reply { .. } => (tables.thread(&p.thread_id, true).await?, None),
        PacketKind::Forward { forwards } => {
            let forwarded = tables.thread(&forwards, true).await?;
            (tables.thread(&p.thread_id, false).await?, forwarded)
        }
    };
    let plan = match plan(p, own.as_ref(), forwarded.as_ref()) {
        Ok(plan) => plan,
        Err(refusal) => return Ok(Some(refusal.into())),
    };
    let hour = to_hour(p.received_hour);
    if let Some((id, status)) = plan.advance {
        tables.advance_thread(&id, status, hour).await?;
    }
    if plan.open
        && !tables
            .open_thread(&p.thread_id, &p.sender_desk, &p.recipient_desk, hour)
            .await?
    {
        return Ok(Some(PutOutcome::ThreadExists));
    }
    Ok(None)
}

/// Idempotency: the same bytes (by hash) from the same desk are a retry and
/// get the stored answer; anything else under that id is a conflict. The
/// hash covers the signed header inside the ciphertext, so an honest retry
/// cannot differ in its other fields.
pub(crate) fn same_or_conflict(stored: PacketMeta, packet: &NewPacket) -> PutOutcome {
    if stored.sha256 == packet.sha256 && stored.sender_desk == packet.sender_desk {
        PutOutcome::Duplicate(stored)
    } else {
        PutOutcome::Conflict
    }
}

/// The metadata as stored: pending, and the arrival hour truncated even if
/// the caller forgot, because only whole hours may sit next to a packet.
pub(crate) fn stored_meta(p: &NewPacket) -> PacketMeta {
    PacketMeta {
        id: p.id,
        thread_id: p.thread_id,
        sender_desk: p.sender_desk.clone(),
        recipient_desk: p.recipient_desk.clone(),
        bytes: p.bytes,
        sha256: p.sha256,
        kind: p.kind.word(),
        delivery: DeliveryState::Pending,
        received_hour: to_hour(p.received_hour),
        expires_at: p.expires_at,
    }
}

#[cfg(test)]
mod tests {
    use referral_protocol::PacketId;

    use super::*;

    fn desk(s: &str) -> DeskId {
        s.parse().unwrap()
    }

    fn packet(from: &str, to: &str, kind: PacketKind) -> NewPacket {
        NewPacket {
            id: PacketId::random(),
            thread_id: ThreadId::random(),
            sender_desk: desk(from),
            recipient_desk: desk(to),
            bytes: 1,
            sha256: [0; 32],
            kind,
            received_hour: 3600 + 59,
            expires_at: 7200,
        }
    }

    fn row(from: &str, to: &str, status: ThreadStatus) -> ThreadRow {
        ThreadRow {
            sender_desk: desk(from),
            recipient_desk: desk(to),
            status,
        }
    }

    #[test]
    fn a_referral_opens_a_thread_once() {
        let p = packet("aa", "bb", PacketKind::Referral);
        let opens = ThreadPlan {
            open: true,
            advance: None,
        };
        assert_eq!(plan(&p, None, None), Ok(opens));
        let taken = row("aa", "bb", ThreadStatus::Sent);
        assert_eq!(plan(&p, Some(&taken), None), Err(Refusal::ThreadExists));
    }

    #[test]
    fn a_reply_needs_the_parties_and_an_allowed_change() {
        let received = row("aa", "bb", ThreadStatus::Received);
        let accept = PacketKind::Reply {
            status: Some(ThreadStatus::Accepted),
        };
        let p = packet("bb", "aa", accept);
        assert_eq!(
            plan(&p, Some(&received), None).unwrap().advance,
            Some((p.thread_id, ThreadStatus::Accepted))
        );
        let wrong_side = packet("aa", "bb", accept);
        assert_eq!(
            plan(&wrong_side, Some(&received), None),
            Err(Refusal::IllegalTransition {
                from: ThreadStatus::Received,
                to: ThreadStatus::Accepted
            })
        );
        let outsider = packet("cc", "aa", PacketKind::Reply { status: None });
        assert_eq!(
            plan(&outsider, Some(&received), None),
            Err(Refusal::UnknownThread)
        );
        assert_eq!(plan(&p, None, None), Err(Refusal::UnknownThread));
        let note = packet("aa", "bb", PacketKind::Reply { status: None });
        assert_eq!(
            plan(&note, Some(&received), None),
            Ok(ThreadPlan::default())
        );
    }

    #[test]
    fn a_forward_comes_from_the_recipient_and_opens_a_new_thread() {
        let old = ThreadId::random();
        let received = row("aa", "bb", ThreadStatus::Received);
        let p = packet("bb", "cc", PacketKind::Forward { forwards: old });
        assert_eq!(
            plan(&p, None, Some(&received)),
            Ok(ThreadPlan {
                open: true,
                advance: Some((old, ThreadStatus::Forwarded)),
            })
        );
        assert_eq!(plan(&p, None, None), Err(Refusal::UnknownThread));
        let not_theirs = packet("aa", "cc", PacketKind::Forward { forwards: old });
        assert_eq!(
            plan(&not_theirs, None, Some(&received)),
            Err(Refusal::UnknownThread)
        );
        assert_eq!(
            plan(&p, Some(&received), Some(&received)),
            Err(Refusal::ThreadExists)
        );
    }

    #[test]
    fn stored_meta_keeps_only_the_hour() {
        let p = packet("aa", "bb", PacketKind::Referral);
        let m = stored_meta(&p);
        assert_eq!(m.received_hour, 3600);
        assert_eq!(m.delivery, DeliveryState::Pending);
        assert_eq!(m.kind, crate::PacketKindWord::Referral);
    }
}
