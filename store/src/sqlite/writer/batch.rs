//! The writer task: it gathers queued ops into a batch, runs the batch's
//! sets and then its other ops one at a time, each in its own SAVEPOINT,
//! and answers every caller only after the batch's COMMIT.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{Connection, SqliteConnection};
use tokio::sync::mpsc;

use super::super::{purge, settings};
use super::dispatch::{self, Ran};
use super::sets::{Set, SetKind, Split, split};
use super::{Job, MAX_BATCH, Op, fail};

/// How a batch's set went.
enum SetRun {
    /// Every op has its answer (done or refused), pending the COMMIT.
    Ran(Vec<Ran>),
    /// A statement failed and the set's work was undone: its ops, to run
    /// one at a time.
    OneByOne(Vec<Op>),
    /// The transaction is gone; the set's callers have their error.
    Aborted,
}

/// The op that was running when the transaction went away.
enum Current {
    /// It ran; its answer waits.
    Ran(Ran),
    /// Its savepoint could not be opened (boxed: rare, and an op is large).
    NotRun(Box<Op>),
}

impl Current {
    fn fail(self, msg: &str) {
        match self {
            Current::Ran(ran) => ran.fail(msg),
            Current::NotRun(op) => (*op).fail(msg),
        }
    }
}

/// The task that owns the write connection.
pub(super) struct Writer {
    conn: SqliteConnection,
    rx: mpsc::Receiver<Job>,
    /// Jobs taken from the channel but left for the next batch.
    carry: VecDeque<Job>,
    commits: Arc<AtomicU64>,
}

impl Writer {
    pub(super) fn new(
        conn: SqliteConnection,
        rx: mpsc::Receiver<Job>,
        commits: Arc<AtomicU64>,
    ) -> Self {
        Self {
            conn,
            rx,
            carry: VecDeque::new(),
            commits,
        }
    }

    /// Takes jobs until every handle is gone and the queue is empty, then
    /// closes the connection.
    pub(super) async fn run(mut self) {
        while let Some(job) = self.next().await {
            match job {
                Job::Settings(reply) => {
                    let _ = reply.send(settings::read(&mut self.conn).await);
                }
                Job::Write(op) => {
                    let batch = self.gather(op).await;
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
    async fn gather(&mut self, first: Op) -> VecDeque<Op> {
        let alone = first.alone();
        let mut batch = VecDeque::from([first]);
        if alone {
            return batch;
        }
        // Senders woken together are often still on their way to the
        // channel; one yield lets them arrive and share this commit.
        tokio::task::yield_now().await;
        while batch.len() < MAX_BATCH {
            match self.try_next() {
                Some(Job::Write(op)) if !op.alone() => batch.push_back(op),
                Some(job) => {
                    self.carry.push_front(job);
                    break;
                }
                None => break,
            }
        }
        batch
    }

    async fn run_batch(&mut self, batch: VecDeque<Op>) {
        if let Err(e) = exec(&mut self.conn, "BEGIN IMMEDIATE").await {
            let msg = format!("BEGIN IMMEDIATE failed: {e}");
            batch.into_iter().for_each(|op| op.fail(&msg));
            return;
        }
        let Split {
            sends,
            acks,
            rest: mut batch,
        } = split(batch);
        let mut ran: Vec<Ran> = Vec::with_capacity(sends.items.len() + acks.items.len());
        // Sends first, so that acks in the same batch see their packets;
        // the ops run one at a time go last and see both.
        let mut one_by_one = Vec::new();
        let aborted = if !absorb(self.run_set(sends).await, &mut ran, &mut one_by_one) {
            Some(acks.into_ops())
        } else if !absorb(self.run_set(acks).await, &mut ran, &mut one_by_one) {
            Some(Vec::new())
        } else {
            None
        };
        if let Some(not_run) = aborted {
            let _ = exec(&mut self.conn, "ROLLBACK").await;
            let msg = "the batch's transaction was aborted";
            ran.into_iter().for_each(|r| r.fail(msg));
            self.requeue(one_by_one.into_iter().chain(not_run).chain(batch));
            return;
        }
        for op in one_by_one.into_iter().rev() {
            batch.push_front(op);
        }
        let mut checkpoint = false;
        while let Some(op) = batch.pop_front() {
            checkpoint |= matches!(op, Op::Purge { .. });
            match self.run_isolated(op).await {
                Ok(answer) => ran.push(answer),
                Err((current, error)) => {
                    self.abandon(ran, current, error, batch).await;
                    return;
                }
            }
        }
        self.commit(ran, checkpoint).await;
    }

    /// Puts ops back at the front of the queue, in their order, for the
    /// next batch.
    fn requeue(&mut self, ops: impl DoubleEndedIterator<Item = Op>) {
        for op in ops.rev() {
            self.carry.push_front(Job::Write(op));
        }
    }

    /// Runs a set (ADR 0007) inside one SAVEPOINT. If a statement fails,
    /// the set's work is rolled back and its ops are handed back to run one
    /// at a time, each in its own savepoint, so that a bad op fails alone.
    async fn run_set<K: SetKind>(&mut self, set: Set<K>) -> SetRun {
        if set.items.is_empty() {
            return SetRun::Ran(Vec::new());
        }
        if let Err(e) = exec(&mut self.conn, "SAVEPOINT op_set").await {
            return set_aborted(set, &e.to_string());
        }
        let error = match K::run(&mut self.conn, &set.items).await {
            Ok(answers) => match exec(&mut self.conn, "RELEASE op_set").await {
                Ok(()) => {
                    let ran = set
                        .replies
                        .into_iter()
                        .zip(answers)
                        .map(|(reply, answer)| Ran::new(Ok(answer), reply))
                        .collect();
                    return SetRun::Ran(ran);
                }
                Err(e) => e.to_string(),
            },
            Err(e) => e.to_string(),
        };
        if let Err(e) = exec(&mut self.conn, "ROLLBACK TO op_set").await {
            return set_aborted(set, &format!("{error}; then {e}"));
        }
        if let Err(e) = exec(&mut self.conn, "RELEASE op_set").await {
            return set_aborted(set, &format!("{error}; then {e}"));
        }
        tracing::warn!(
            ops = set.items.len(),
            error = %error,
            "a set of ops failed as a whole; running them one at a time"
        );
        SetRun::OneByOne(set.into_ops())
    }

    /// Runs one op inside a SAVEPOINT, kept or rolled back by its answer.
    /// `Err` if the batch's transaction is gone (SQLite rolled it all
    /// back), with the op and its own error.
    async fn run_isolated(&mut self, op: Op) -> Result<Ran, (Current, Option<String>)> {
        if let Err(e) = exec(&mut self.conn, "SAVEPOINT op").await {
            return Err((Current::NotRun(Box::new(op)), Some(e.to_string())));
        }
        let ran = dispatch::run(&mut self.conn, op).await;
        let end = if ran.keep {
            exec(&mut self.conn, "RELEASE op").await
        } else {
            rollback_to_savepoint(&mut self.conn).await
        };
        match end {
            Ok(()) => Ok(ran),
            Err(_) => {
                let error = ran.error.clone();
                Err((Current::Ran(ran), error))
            }
        }
    }

    /// The transaction is gone: the ops that ran lost their work, the
    /// current one gets its own error, the rest wait for the next batch.
    async fn abandon(
        &mut self,
        ran: Vec<Ran>,
        current: Current,
        error: Option<String>,
        rest: VecDeque<Op>,
    ) {
        let _ = exec(&mut self.conn, "ROLLBACK").await;
        let msg = match error {
            Some(e) => format!("the batch's transaction was aborted: {e}"),
            None => "the batch's transaction was aborted".to_owned(),
        };
        tracing::error!("{msg}");
        ran.into_iter().for_each(|r| r.fail(&msg));
        current.fail(&msg);
        self.requeue(rest.into_iter());
    }

    /// Commits, then answers: each caller hears only after the fsync.
    async fn commit(&mut self, ran: Vec<Ran>, checkpoint: bool) {
        if let Err(e) = exec(&mut self.conn, "COMMIT").await {
            let msg = format!("COMMIT failed: {e}");
            tracing::error!("{msg}");
            let _ = exec(&mut self.conn, "ROLLBACK").await;
            ran.into_iter().for_each(|r| r.fail(&msg));
            return;
        }
        self.commits.fetch_add(1, Ordering::Relaxed);
        if checkpoint {
            purge::checkpoint(&mut self.conn).await;
        }
        ran.into_iter().for_each(Ran::committed);
    }
}

/// Adds a set's outcome to the batch's: its answers to `ran`, or its ops
/// to `one_by_one`; `false` if the transaction is gone.
fn absorb(run: SetRun, ran: &mut Vec<Ran>, one_by_one: &mut Vec<Op>) -> bool {
    match run {
        SetRun::Ran(answers) => ran.extend(answers),
        SetRun::OneByOne(ops) => one_by_one.extend(ops),
        SetRun::Aborted => return false,
    }
    true
}

/// The transaction is gone while a set ran: its ops get the error (as the
/// current op does in [`Writer::abandon`], so a lasting failure cannot
/// loop), and the caller fails what ran before and requeues the rest.
fn set_aborted<K: SetKind>(set: Set<K>, error: &str) -> SetRun {
    let msg = format!("the batch's transaction was aborted: {error}");
    tracing::error!("{msg}");
    set.replies.into_iter().for_each(|reply| fail(reply, &msg));
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
