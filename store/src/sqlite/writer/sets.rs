//! The ops of one batch that run together (ADR 0007): its sends with
//! in-memory bodies, and its acks. Each kind of set names its item, its
//! answer and how an item goes back to being an op, so a set's answers
//! reach the callers of its own ops and nobody else.

use std::collections::{HashSet, VecDeque};
use std::future::Future;

use bytes::Bytes;
use sqlx::SqliteConnection;

use super::super::{ack_set, put_set};
use super::dispatch::Keep;
use super::{Op, Reply};
use crate::{AckOutcome, NewPacket, PacketBody, PutOutcome, StoreError};

/// A kind of op that can run as a set.
pub(super) trait SetKind {
    /// What one op of the set needs.
    type Item: Send + Sync;
    /// What it answers.
    type Out: Keep + Send + 'static;

    /// Answers each item, in order. An `Err` means a statement failed: the
    /// caller rolls back whatever ran.
    fn run(
        conn: &mut SqliteConnection,
        items: &[Self::Item],
    ) -> impl Future<Output = Result<Vec<Self::Out>, StoreError>> + Send;

    /// The item as an op of its own, to run one at a time.
    fn op(item: Self::Item, reply: Reply<Self::Out>) -> Op;
}

/// Sends with in-memory bodies that share no packet id or thread.
pub(super) struct Sends;

impl SetKind for Sends {
    type Item = (NewPacket, Bytes);
    type Out = PutOutcome;

    async fn run(
        conn: &mut SqliteConnection,
        items: &[Self::Item],
    ) -> Result<Vec<PutOutcome>, StoreError> {
        put_set::put_set(conn, items).await
    }

    fn op((packet, body): Self::Item, reply: Reply<PutOutcome>) -> Op {
        Op::PutPacket(packet, PacketBody::Memory(body), reply)
    }
}

/// Acknowledgements of distinct packets.
pub(super) struct Acks;

impl SetKind for Acks {
    type Item = ack_set::Ack;
    type Out = AckOutcome;

    async fn run(
        conn: &mut SqliteConnection,
        items: &[Self::Item],
    ) -> Result<Vec<AckOutcome>, StoreError> {
        ack_set::ack_set(conn, items).await
    }

    fn op((id, desk, now): Self::Item, reply: Reply<AckOutcome>) -> Op {
        Op::Ack {
            id,
            desk,
            now,
            reply,
        }
    }
}

/// The ops of one set, with their callers, in arrival order.
pub(super) struct Set<K: SetKind> {
    pub(super) items: Vec<K::Item>,
    pub(super) replies: Vec<Reply<K::Out>>,
}

impl<K: SetKind> Set<K> {
    fn new() -> Self {
        Self {
            items: Vec::new(),
            replies: Vec::new(),
        }
    }

    fn push(&mut self, item: K::Item, reply: Reply<K::Out>) {
        self.items.push(item);
        self.replies.push(reply);
    }

    /// The same ops, to run one at a time.
    pub(super) fn into_ops(self) -> Vec<Op> {
        self.items
            .into_iter()
            .zip(self.replies)
            .map(|(item, reply)| K::op(item, reply))
            .collect()
    }
}

/// A batch split for ADR 0007: its set of sends and its set of acks, and
/// the rest, in its order.
pub(super) struct Split {
    pub(super) sends: Set<Sends>,
    pub(super) acks: Set<Acks>,
    pub(super) rest: VecDeque<Op>,
}

/// Sends join their set if their body is in memory and they share no
/// packet id or thread with an earlier send of the set; acks if no earlier
/// ack of the set names the same packet. Everything else keeps its order.
pub(super) fn split(batch: VecDeque<Op>) -> Split {
    let mut taken = put_set::Disjoint::default();
    let mut acked = HashSet::new();
    let mut sends = Set::new();
    let mut acks = Set::new();
    let mut rest = VecDeque::new();
    for op in batch {
        match op {
            Op::PutPacket(packet, PacketBody::Memory(body), reply) if taken.take(&packet) => {
                sends.push((packet, body), reply);
            }
            Op::Ack {
                id,
                desk,
                now,
                reply,
            } if acked.insert(id) => acks.push((id, desk, now), reply),
            op => rest.push_back(op),
        }
    }
    Split { sends, acks, rest }
}
