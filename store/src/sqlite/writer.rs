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
//!
//! Each [`Op`] carries the channel its caller waits on, typed with what that
//! op answers, so an op and its answer cannot be mismatched. The writer is
//! split by job: [`batch`] gathers, runs and commits; [`dispatch`] runs one
//! op; [`sets`] groups the batch's sends and acks (ADR 0007).

mod batch;
mod dispatch;
mod sets;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use referral_protocol::{DeskId, PacketId};
use sqlx::SqliteConnection;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::settings::SqliteSettings;
use crate::{
    AckOutcome, AppendOutcome, ChallengeKey, Device, EnrollOutcome, Invite, NewEntry, NewPacket,
    PacketBody, PurgeCutoffs, PurgeReport, PutOutcome, Request, RewrapOutcome, RewrapPacket,
    RotationOutcome, StoreError, TokenKey, UnixTime,
};

/// Most ops in one transaction: bounds how long the write lock is held and
/// how long the first caller of a batch waits.
pub(super) const MAX_BATCH: usize = 256;

/// How many requests may wait for the writer before senders wait too.
const QUEUE: usize = 4 * MAX_BATCH;

/// Where an op's caller waits for its answer.
pub(super) type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// A write, with everything it needs (owned: it crosses to the writer
/// task) and the channel for its answer.
#[derive(Debug)]
pub(super) enum Op {
    SetBootstrapCode {
        code_hash: [u8; 32],
        expires_at: UnixTime,
        reply: Reply<()>,
    },
    ClaimBootstrap {
        code_hash: [u8; 32],
        now: UnixTime,
        admin: Device,
        genesis: NewEntry,
        reply: Reply<bool>,
    },
    AppendDirectory(NewEntry, Reply<AppendOutcome>),
    CreateInvite(Invite, Reply<()>),
    SubmitEnrollment {
        code_hash: [u8; 32],
        now: UnixTime,
        request: Request,
        reply: Reply<EnrollOutcome>,
    },
    SubmitRotation(Request, Reply<RotationOutcome>),
    StageTokenKey(TokenKey, Reply<()>),
    Rewrap(RewrapPacket, PacketBody, Reply<RewrapOutcome>),
    PutChallenge {
        key: ChallengeKey,
        now: UnixTime,
        expires_at: UnixTime,
        reply: Reply<()>,
    },
    TakeChallenge {
        key: ChallengeKey,
        now: UnixTime,
        reply: Reply<bool>,
    },
    DropExpiredChallenges {
        now: UnixTime,
        reply: Reply<()>,
    },
    RotateTokenKey(TokenKey, Reply<()>),
    PutPacket(NewPacket, PacketBody, Reply<PutOutcome>),
    Ack {
        id: PacketId,
        desk: DeskId,
        now: UnixTime,
        reply: Reply<AckOutcome>,
    },
    Purge {
        cutoffs: PurgeCutoffs,
        reply: Reply<PurgeReport>,
    },
}

impl Op {
    /// Ops that run in a batch of their own: a spooled body is read from
    /// disk while the write lock is held, and a purge is followed by a WAL
    /// checkpoint; neither should delay the answers of small sends.
    fn alone(&self) -> bool {
        matches!(
            self,
            Op::PutPacket(_, PacketBody::Spooled { .. }, _)
                | Op::Rewrap(_, PacketBody::Spooled { .. }, _)
                | Op::Purge { .. }
        )
    }

    /// Answers the op's caller with an error, without running it.
    fn fail(self, msg: &str) {
        match self {
            Op::SetBootstrapCode { reply, .. }
            | Op::CreateInvite(_, reply)
            | Op::StageTokenKey(_, reply)
            | Op::PutChallenge { reply, .. }
            | Op::DropExpiredChallenges { reply, .. }
            | Op::RotateTokenKey(_, reply) => fail(reply, msg),
            Op::ClaimBootstrap { reply, .. } | Op::TakeChallenge { reply, .. } => fail(reply, msg),
            Op::AppendDirectory(_, reply) => fail(reply, msg),
            Op::SubmitEnrollment { reply, .. } => fail(reply, msg),
            Op::SubmitRotation(_, reply) => fail(reply, msg),
            Op::Rewrap(_, _, reply) => fail(reply, msg),
            Op::PutPacket(_, _, reply) => fail(reply, msg),
            Op::Ack { reply, .. } => fail(reply, msg),
            Op::Purge { reply, .. } => fail(reply, msg),
        }
    }
}

/// `sqlx::Error` cannot be cloned, so each caller of a failed batch gets its
/// own error carrying the message.
fn fail<T>(reply: Reply<T>, msg: &str) {
    let err = sqlx::Error::Io(std::io::Error::other(msg.to_owned()));
    let _ = reply.send(Err(StoreError::Database(err)));
}

/// A request to the writer task.
#[expect(
    clippy::large_enum_variant,
    reason = "nearly every job is a write; boxing it would only add an allocation"
)]
enum Job {
    Write(Op),
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
        let task = tokio::spawn(batch::Writer::new(conn, rx, commits.clone()).run());
        Self { tx, commits, task }
    }

    /// Runs the op `op` builds around its reply channel in the next batch;
    /// `Ok` once its batch has committed.
    pub(super) async fn run<T>(&self, op: impl FnOnce(Reply<T>) -> Op) -> Result<T, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job::Write(op(reply)))
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
        let cutoffs = crate::PurgeCutoffs {
            now: 0,
            acked_before: 0,
            closed_before: 0,
        };
        let purge = |reply| Op::Purge { cutoffs, reply };
        assert!(matches!(
            handle.run(purge).await,
            Err(StoreError::WriterGone)
        ));
        assert!(matches!(
            handle.settings().await,
            Err(StoreError::WriterGone)
        ));
    }
}
