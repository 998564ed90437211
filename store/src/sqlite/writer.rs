//! The single writer with group commit (ADR 0002 §3).
//!
//! One task owns the only write connection. Every write method sends an
//! [`Op`] over a channel and awaits its answer. The task takes whatever is
//! queued (up to [`MAX_BATCH`] ops) into one `BEGIN IMMEDIATE … COMMIT`, so
//! concurrent sends share one fsync, and answers each caller only after that
//! COMMIT succeeded: an `Ok` always means durable.
//!
//! Each op runs inside its own SAVEPOINT. An op that fails or is refused
//! rolls back to it, so it changes nothing while its neighbours in the batch
//! still commit. If SQLite aborts the whole transaction (it does on I/O
//! errors, a full disk, …), the ops that already ran lose their work and get
//! an error; the ops not yet run go into the next batch. If COMMIT fails,
//! every op of the batch gets the error.

use std::collections::{HashSet, VecDeque};
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use sqlx::{Connection, SqliteConnection};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::settings::{self, SqliteSettings};
use super::{ack_set, admin, directory, packets, purge, put_set, requests};
use crate::{
    AckOutcome, AppendOutcome, Device, EnrollOutcome, Invite, NewEntry, NewPacket, PacketBody,
    PurgeReport, PutOutcome, Request, RewrapOutcome, RewrapPacket, RotationOutcome, StoreError,
    TokenKey, UnixTime,
};
use referral_protocol::{DeskId, DeviceId, PacketId};

/// Most ops in one transaction: bounds how long the write lock is held and
/// how long the first caller of a batch waits.
pub(super) const MAX_BATCH: usize = 256;

/// How many requests may wait for the writer before senders wait too.
const QUEUE: usize = 4 * MAX_BATCH;

/// A write, with everything it needs (owned: it crosses to the writer task).
#[derive(Debug)]
pub(super) enum Op {
    SetBootstrapCode {
        code_hash: [u8; 32],
        expires_at: UnixTime,
    },
    ClaimBootstrap {
        code_hash: [u8; 32],
        now: UnixTime,
        admin: Device,
        genesis: NewEntry,
    },
    AppendDirectory(NewEntry),
    CreateInvite(Invite),
    SubmitEnrollment {
        code_hash: [u8; 32],
        now: UnixTime,
        request: Request,
    },
    SubmitRotation(Request),
    StageTokenKey(TokenKey),
    Rewrap(RewrapPacket, PacketBody),
    PutChallenge {
        hash: [u8; 32],
        device: DeviceId,
        expires_at: UnixTime,
    },
    TakeChallenge {
        hash: [u8; 32],
        device: DeviceId,
        now: UnixTime,
    },
    RotateTokenKey(TokenKey),
    PutPacket(NewPacket, PacketBody),
    Ack {
        id: PacketId,
        desk: DeskId,
        now: UnixTime,
    },
    Purge {
        now: UnixTime,
        acked_before: UnixTime,
    },
}

impl Op {
    /// Ops that run in a batch of their own: a spooled body is read from
    /// disk while the write lock is held, and a purge is followed by a WAL
    /// checkpoint; neither should delay the answers of small sends.
    fn alone(&self) -> bool {
        matches!(
            self,
            Op::PutPacket(_, PacketBody::Spooled { .. })
                | Op::Rewrap(_, PacketBody::Spooled { .. })
                | Op::Purge { .. }
        )
    }
}

/// What an op returns; the [`super::SqliteStore`] method unwraps the variant
/// it expects.
#[derive(Debug)]
pub(super) enum Answer {
    Done,
    Flag(bool),
    Put(PutOutcome),
    Ack(AckOutcome),
    Purge(PurgeReport),
    Append(AppendOutcome),
    Enroll(EnrollOutcome),
    Rotation(RotationOutcome),
    Rewrap(RewrapOutcome),
}

impl Answer {
    /// Whether the op's writes should be kept. Every refusal is rolled
    /// back: some (a put) have written nothing by construction, others (an
    /// append whose effect is refused after the entry went in) rely on this
    /// to make "a refusal changes nothing" hold.
    fn keep(&self) -> bool {
        match self {
            Answer::Put(outcome) => matches!(outcome, PutOutcome::Stored(_)),
            Answer::Append(outcome) => *outcome == AppendOutcome::Appended,
            Answer::Enroll(outcome) => *outcome == EnrollOutcome::Created,
            Answer::Rotation(outcome) => *outcome == RotationOutcome::Created,
            Answer::Rewrap(outcome) => matches!(outcome, RewrapOutcome::Rewrapped(_)),
            Answer::Done | Answer::Flag(_) | Answer::Ack(_) | Answer::Purge(_) => true,
        }
    }

    fn wrong(self) -> StoreError {
        StoreError::Corrupt(format!("the writer answered with {self:?}"))
    }

    pub(super) fn done(self) -> Result<(), StoreError> {
        match self {
            Answer::Done => Ok(()),
            other => Err(other.wrong()),
        }
    }

    pub(super) fn flag(self) -> Result<bool, StoreError> {
        match self {
            Answer::Flag(b) => Ok(b),
            other => Err(other.wrong()),
        }
    }

    pub(super) fn put(self) -> Result<PutOutcome, StoreError> {
        match self {
            Answer::Put(o) => Ok(o),
            other => Err(other.wrong()),
        }
    }

    pub(super) fn ack(self) -> Result<AckOutcome, StoreError> {
        match self {
            Answer::Ack(o) => Ok(o),
            other => Err(other.wrong()),
        }
    }

    pub(super) fn purge(self) -> Result<PurgeReport, StoreError> {
        match self {
            Answer::Purge(r) => Ok(r),
            other => Err(other.wrong()),
        }
    }

    pub(super) fn append(self) -> Result<AppendOutcome, StoreError> {
        match self {
            Answer::Append(o) => Ok(o),
            other => Err(other.wrong()),
        }
    }

    pub(super) fn enroll(self) -> Result<EnrollOutcome, StoreError> {
        match self {
            Answer::Enroll(o) => Ok(o),
            other => Err(other.wrong()),
        }
    }

    pub(super) fn rotation(self) -> Result<RotationOutcome, StoreError> {
        match self {
            Answer::Rotation(o) => Ok(o),
            other => Err(other.wrong()),
        }
    }

    pub(super) fn rewrap(self) -> Result<RewrapOutcome, StoreError> {
        match self {
            Answer::Rewrap(o) => Ok(o),
            other => Err(other.wrong()),
        }
    }
}

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// A request to the writer task.
#[expect(
    clippy::large_enum_variant,
    reason = "nearly every job is a write; boxing it would only add an allocation"
)]
enum Job {
    Write(Op, Reply<Answer>),
    /// Reads the write connection's settings, outside any transaction.
    Settings(Reply<SqliteSettings>),
}

/// The store's side of the writer: a channel in, a commit counter out.
#[derive(Debug)]
pub(super) struct WriterHandle {
    tx: mpsc::Sender<Job>,
    commits: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl WriterHandle {
    /// Starts the writer task on `conn`. It ends once every handle is gone
    /// and the queue is empty, then closes the connection.
    pub(super) fn spawn(conn: SqliteConnection) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        let commits = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(
            Writer {
                conn,
                rx,
                carry: VecDeque::new(),
                commits: commits.clone(),
            }
            .run(),
        );
        Self { tx, commits, task }
    }

    /// Runs `op` in the next batch; `Ok` once its batch has committed.
    pub(super) async fn run(&self, op: Op) -> Result<Answer, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job::Write(op, reply))
            .await
            .map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }

    /// The write connection's settings, read back.
    pub(super) async fn settings(&self) -> Result<SqliteSettings, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job::Settings(reply))
            .await
            .map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Successful COMMITs so far.
    pub(super) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Whether the task is still there to take writes.
    pub(super) fn alive(&self) -> bool {
        !self.tx.is_closed()
    }

    /// Lets the queue drain, then waits for the task to close the connection.
    pub(super) async fn shutdown(self) {
        drop(self.tx);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the SQLite writer task failed");
        }
    }
}

/// An op that ran, waiting for its batch's COMMIT before it is answered.
type Ran = (Reply<Answer>, Result<Answer, StoreError>);

/// How a batch's set went.
enum SetRun {
    /// Every op has its answer (done or refused), pending the COMMIT.
    Ran(Vec<Ran>),
    /// A statement failed and the set's work was undone: its ops, to run
    /// one at a time.
    OneByOne(Vec<(Op, Reply<Answer>)>),
    /// The transaction is gone; the set's callers have their error.
    Aborted,
}

/// Ops of one kind that run together (ADR 0007).
enum Set {
    /// Sends with in-memory bodies that share no packet id or thread.
    Sends(Vec<(NewPacket, Bytes)>),
    /// Acknowledgements of distinct packets.
    Acks(Vec<ack_set::Ack>),
}

impl Set {
    fn len(&self) -> usize {
        match self {
            Set::Sends(sends) => sends.len(),
            Set::Acks(acks) => acks.len(),
        }
    }

    async fn run(&self, conn: &mut SqliteConnection) -> Result<Vec<Answer>, StoreError> {
        Ok(match self {
            Set::Sends(sends) => put_set::put_set(conn, sends)
                .await?
                .into_iter()
                .map(Answer::Put)
                .collect(),
            Set::Acks(acks) => ack_set::ack_set(conn, acks)
                .await?
                .into_iter()
                .map(Answer::Ack)
                .collect(),
        })
    }

    /// The same ops, to run one at a time.
    fn into_ops(self) -> Vec<Op> {
        match self {
            Set::Sends(sends) => sends
                .into_iter()
                .map(|(packet, body)| Op::PutPacket(packet, PacketBody::Memory(body)))
                .collect(),
            Set::Acks(acks) => acks
                .into_iter()
                .map(|(id, desk, now)| Op::Ack { id, desk, now })
                .collect(),
        }
    }
}

/// A batch split for ADR 0007: its set of sends and its set of acks (each
/// with its callers, in order), and the rest, in its order.
struct Split {
    sends: (Set, Vec<Reply<Answer>>),
    acks: (Set, Vec<Reply<Answer>>),
    rest: VecDeque<(Op, Reply<Answer>)>,
}

/// Sends join their set if their body is in memory and they share no
/// packet id or thread with an earlier send of the set; acks if no earlier
/// ack of the set names the same packet. Everything else keeps its order.
fn split(batch: VecDeque<(Op, Reply<Answer>)>) -> Split {
    let mut taken = put_set::Disjoint::default();
    let mut acked = HashSet::new();
    let (mut sends, mut send_replies) = (Vec::new(), Vec::new());
    let (mut acks, mut ack_replies) = (Vec::new(), Vec::new());
    let mut rest = VecDeque::new();
    for (op, reply) in batch {
        match op {
            Op::PutPacket(packet, PacketBody::Memory(body)) if taken.take(&packet) => {
                sends.push((packet, body));
                send_replies.push(reply);
            }
            Op::Ack { id, desk, now } if acked.insert(id) => {
                acks.push((id, desk, now));
                ack_replies.push(reply);
            }
            op => rest.push_back((op, reply)),
        }
    }
    Split {
        sends: (Set::Sends(sends), send_replies),
        acks: (Set::Acks(acks), ack_replies),
        rest,
    }
}

struct Writer {
    conn: SqliteConnection,
    rx: mpsc::Receiver<Job>,
    /// Jobs taken from the channel but left for the next batch.
    carry: VecDeque<Job>,
    commits: Arc<AtomicU64>,
}

impl Writer {
    async fn run(mut self) {
        while let Some(job) = self.next().await {
            match job {
                Job::Settings(reply) => {
                    let _ = reply.send(settings::read(&mut self.conn).await);
                }
                Job::Write(op, reply) => {
                    let batch = self.gather(op, reply).await;
                    self.run_batch(batch).await;
                }
            }
        }
        if let Err(e) = self.conn.close().await {
            tracing::warn!(error = %e, "closing the SQLite write connection failed");
        }
    }

    async fn next(&mut self) -> Option<Job> {
        match self.carry.pop_front() {
            Some(job) => Some(job),
            None => self.rx.recv().await,
        }
    }

    fn try_next(&mut self) -> Option<Job> {
        self.carry.pop_front().or_else(|| self.rx.try_recv().ok())
    }

    /// The batch that starts with `first`: everything already queued, up to
    /// [`MAX_BATCH`], stopping before a job that must run alone.
    async fn gather(&mut self, first: Op, reply: Reply<Answer>) -> VecDeque<(Op, Reply<Answer>)> {
        let alone = first.alone();
        let mut batch = VecDeque::from([(first, reply)]);
        if alone {
            return batch;
        }
        // Senders woken together are often still on their way to the
        // channel; one yield lets them arrive and share this commit.
        tokio::task::yield_now().await;
        while batch.len() < MAX_BATCH {
            match self.try_next() {
                Some(Job::Write(op, reply)) if !op.alone() => batch.push_back((op, reply)),
                Some(job) => {
                    self.carry.push_front(job);
                    break;
                }
                None => break,
            }
        }
        batch
    }

    async fn run_batch(&mut self, batch: VecDeque<(Op, Reply<Answer>)>) {
        if let Err(e) = exec(&mut self.conn, "BEGIN IMMEDIATE").await {
            let msg = format!("BEGIN IMMEDIATE failed: {e}");
            batch.into_iter().for_each(|(_, reply)| fail(reply, &msg));
            return;
        }
        let Split {
            sends,
            acks,
            rest: mut batch,
        } = split(batch);
        let mut ran: Vec<Ran> = Vec::with_capacity(sends.0.len() + acks.0.len() + batch.len());
        // Sends first, so that acks in the same batch see their packets;
        // the ops run one at a time go last and see both.
        let mut one_by_one = Vec::new();
        for (set, replies) in [sends, acks] {
            if set.len() == 0 {
                continue;
            }
            match self.run_set(set, replies).await {
                SetRun::Ran(answers) => ran.extend(answers),
                SetRun::OneByOne(ops) => one_by_one.extend(ops),
                SetRun::Aborted => {
                    let _ = exec(&mut self.conn, "ROLLBACK").await;
                    let msg = "the batch's transaction was aborted";
                    ran.into_iter().for_each(|(reply, _)| fail(reply, msg));
                    for (op, reply) in one_by_one.into_iter().chain(batch).rev() {
                        self.carry.push_front(Job::Write(op, reply));
                    }
                    return;
                }
            }
        }
        for op in one_by_one.into_iter().rev() {
            batch.push_front(op);
        }
        let mut checkpoint = false;
        while let Some((op, reply)) = batch.pop_front() {
            checkpoint |= matches!(op, Op::Purge { .. });
            let (result, intact) = self.run_isolated(op).await;
            if !intact {
                self.abandon(ran, reply, result, batch).await;
                return;
            }
            ran.push((reply, result));
        }
        self.commit(ran, checkpoint).await;
    }

    /// Runs a set (ADR 0007) inside one SAVEPOINT. If a statement fails,
    /// the set's work is rolled back and its ops are handed back to run one
    /// at a time, each in its own savepoint, so that a bad op fails alone.
    async fn run_set(&mut self, set: Set, replies: Vec<Reply<Answer>>) -> SetRun {
        if let Err(e) = exec(&mut self.conn, "SAVEPOINT op_set").await {
            return set_aborted(replies, &e.to_string());
        }
        let error = match set.run(&mut self.conn).await {
            Ok(answers) => match exec(&mut self.conn, "RELEASE op_set").await {
                Ok(()) => {
                    let ran = replies
                        .into_iter()
                        .zip(answers)
                        .map(|(reply, answer)| (reply, Ok(answer)))
                        .collect();
                    return SetRun::Ran(ran);
                }
                Err(e) => e.to_string(),
            },
            Err(e) => e.to_string(),
        };
        if let Err(e) = exec(&mut self.conn, "ROLLBACK TO op_set").await {
            return set_aborted(replies, &format!("{error}; then {e}"));
        }
        if let Err(e) = exec(&mut self.conn, "RELEASE op_set").await {
            return set_aborted(replies, &format!("{error}; then {e}"));
        }
        tracing::warn!(
            ops = set.len(),
            error = %error,
            "a set of ops failed as a whole; running them one at a time"
        );
        SetRun::OneByOne(set.into_ops().into_iter().zip(replies).collect())
    }

    /// Runs one op inside a SAVEPOINT. The flag says whether the batch's
    /// transaction is still open (false if SQLite rolled it all back).
    async fn run_isolated(&mut self, op: Op) -> (Result<Answer, StoreError>, bool) {
        if let Err(e) = exec(&mut self.conn, "SAVEPOINT op").await {
            return (Err(e.into()), false);
        }
        let result = apply(&mut self.conn, op).await;
        let kept = matches!(&result, Ok(answer) if answer.keep());
        let end = if kept {
            exec(&mut self.conn, "RELEASE op").await
        } else {
            rollback_to_savepoint(&mut self.conn).await
        };
        (result, end.is_ok())
    }

    /// The transaction is gone: the ops that ran lost their work, the
    /// current one gets its own error, the rest wait for the next batch.
    async fn abandon(
        &mut self,
        ran: Vec<Ran>,
        reply: Reply<Answer>,
        result: Result<Answer, StoreError>,
        rest: VecDeque<(Op, Reply<Answer>)>,
    ) {
        let _ = exec(&mut self.conn, "ROLLBACK").await;
        let msg = match &result {
            Err(e) => format!("the batch's transaction was aborted: {e}"),
            Ok(_) => "the batch's transaction was aborted".to_owned(),
        };
        tracing::error!("{msg}");
        ran.into_iter().for_each(|(reply, _)| fail(reply, &msg));
        fail(reply, &msg);
        for (op, reply) in rest.into_iter().rev() {
            self.carry.push_front(Job::Write(op, reply));
        }
    }

    /// Commits, then answers: each caller hears only after the fsync.
    async fn commit(&mut self, ran: Vec<Ran>, checkpoint: bool) {
        if let Err(e) = exec(&mut self.conn, "COMMIT").await {
            let msg = format!("COMMIT failed: {e}");
            tracing::error!("{msg}");
            let _ = exec(&mut self.conn, "ROLLBACK").await;
            ran.into_iter().for_each(|(reply, _)| fail(reply, &msg));
            return;
        }
        self.commits.fetch_add(1, Ordering::Relaxed);
        if checkpoint {
            purge::checkpoint(&mut self.conn).await;
        }
        for (reply, result) in ran {
            // A caller that stopped waiting still had its write committed;
            // a retry with the same packet id gets the same answer.
            let _ = reply.send(result);
        }
    }
}

/// The transaction is gone while a set ran: its ops get the error (as the
/// current op does in [`Writer::abandon`], so a lasting failure cannot
/// loop), and the caller fails what ran before and requeues the rest.
fn set_aborted(replies: Vec<Reply<Answer>>, error: &str) -> SetRun {
    let msg = format!("the batch's transaction was aborted: {error}");
    tracing::error!("{msg}");
    replies.into_iter().for_each(|reply| fail(reply, &msg));
    SetRun::Aborted
}

/// Undoes one op and drops its savepoint, leaving the batch open.
async fn rollback_to_savepoint(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    exec(conn, "ROLLBACK TO op").await?;
    exec(conn, "RELEASE op").await
}

async fn exec(conn: &mut SqliteConnection, sql: &'static str) -> Result<(), sqlx::Error> {
    sqlx::query(sql).execute(conn).await.map(drop)
}

/// `sqlx::Error` cannot be cloned, so each caller of a failed batch gets its
/// own error carrying the message.
fn fail(reply: Reply<Answer>, msg: &str) {
    let err = sqlx::Error::Io(io::Error::other(msg.to_owned()));
    let _ = reply.send(Err(StoreError::Database(err)));
}

async fn apply(conn: &mut SqliteConnection, op: Op) -> Result<Answer, StoreError> {
    match op {
        Op::SetBootstrapCode {
            code_hash,
            expires_at,
        } => admin::set_bootstrap_code(conn, &code_hash, expires_at)
            .await
            .map(|()| Answer::Done),
        Op::ClaimBootstrap {
            code_hash,
            now,
            admin,
            genesis,
        } => admin::claim_bootstrap(conn, &code_hash, now, &admin, &genesis)
            .await
            .map(Answer::Flag),
        Op::AppendDirectory(entry) => directory::append(conn, entry).await.map(Answer::Append),
        Op::CreateInvite(invite) => requests::create_invite(conn, &invite)
            .await
            .map(|()| Answer::Done),
        Op::SubmitEnrollment {
            code_hash,
            now,
            request,
        } => requests::submit_enrollment(conn, &code_hash, now, &request)
            .await
            .map(Answer::Enroll),
        Op::SubmitRotation(request) => requests::submit_rotation(conn, &request)
            .await
            .map(Answer::Rotation),
        Op::StageTokenKey(key) => admin::stage_token_key(conn, &key)
            .await
            .map(|()| Answer::Done),
        Op::Rewrap(rewrap, body) => packets::rewrap(conn, &rewrap, body)
            .await
            .map(Answer::Rewrap),
        Op::PutChallenge {
            hash,
            device,
            expires_at,
        } => admin::put_challenge(conn, &hash, &device, expires_at)
            .await
            .map(|()| Answer::Done),
        Op::TakeChallenge { hash, device, now } => admin::take_challenge(conn, &hash, &device, now)
            .await
            .map(Answer::Flag),
        Op::RotateTokenKey(key) => admin::rotate_token_key(conn, &key)
            .await
            .map(|()| Answer::Done),
        Op::PutPacket(packet, body) => packets::put(conn, packet, body).await.map(Answer::Put),
        Op::Ack { id, desk, now } => packets::ack(conn, &id, &desk, now).await.map(Answer::Ack),
        Op::Purge { now, acked_before } => purge::purge(conn, now, acked_before)
            .await
            .map(Answer::Purge),
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use sqlx::ConnectOptions;
    use sqlx::sqlite::SqliteConnectOptions;

    use super::*;

    #[tokio::test]
    async fn a_stopped_writer_is_writer_gone() {
        let conn = SqliteConnectOptions::from_str("sqlite::memory:")
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut handle = WriterHandle::spawn(conn);
        assert!(handle.alive());
        handle.task.abort();
        let _ = (&mut handle.task).await;
        assert!(!handle.alive());
        let op = Op::Purge {
            now: 0,
            acked_before: 0,
        };
        assert!(matches!(handle.run(op).await, Err(StoreError::WriterGone)));
        assert!(matches!(
            handle.settings().await,
            Err(StoreError::WriterGone)
        ));
    }
}
