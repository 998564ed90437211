//! The writer's set path (ADR 0007): the in-memory sends of one batch,
//! checked with four reads and stored with at most six multi-row
//! statements.
//!
//! Why: sqlx runs SQLite on a thread of its own, so every statement is a
//! round trip between the writer task and that thread. One send at a time
//! costs about a dozen of them, and the single writer does them one after
//! the other; as a set, a batch of 64 sends costs about a dozen in all.
//!
//! The caller guarantees that no two sends of a set share a packet id or a
//! thread (see [`Disjoint`]), so the state read before the decisions is the
//! state each send would have seen alone, and the decisions, made in
//! arrival order by the same [`lifecycle::plan`] as the one-at-a-time path,
//! are the ones that path would make. Refusals write nothing.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use referral_protocol::{PacketId, ThreadId};
use sqlx::error::BoxDynError;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, AssertSqlSafe, Encode, Row, Sqlite, SqliteConnection, Type};

use super::codec::{self, packet_columns};
use super::threads;
use crate::body::CHUNK_BYTES;
use crate::encoding::Word;
use crate::lifecycle::{self, ThreadRow};
use crate::{NewPacket, PacketMeta, PutOutcome, StoreError, ThreadStatus, to_hour};

/// Tracks the packet ids and threads a set has taken, so that a send that
/// shares one with an earlier send is left for the one-at-a-time path.
#[derive(Debug, Default)]
pub(super) struct Disjoint {
    packets: HashSet<PacketId>,
    threads: HashSet<ThreadId>,
}

impl Disjoint {
    /// Takes `p`'s ids if none of them is taken yet; `false` leaves the
    /// set unchanged.
    pub(super) fn take(&mut self, p: &NewPacket) -> bool {
        let threads = [Some(p.thread_id), p.kind.forwards()];
        if self.packets.contains(&p.id)
            || threads.iter().flatten().any(|t| self.threads.contains(t))
        {
            return false;
        }
        self.packets.insert(p.id);
        self.threads.extend(threads.into_iter().flatten());
        true
    }
}

/// Stores what it may of `sends` and answers each, in order. An `Err`
/// means a statement failed: the caller rolls back whatever ran.
pub(super) async fn put_set(
    conn: &mut SqliteConnection,
    sends: &[(NewPacket, Bytes)],
) -> Result<Vec<PutOutcome>, StoreError> {
    let known = State::read(conn, sends).await?;
    let mut writes = Writes::default();
    let outcomes = sends
        .iter()
        .map(|(p, body)| known.decide(p, body, &mut writes))
        .collect();
    writes.run(conn).await?;
    Ok(outcomes)
}

/// What the sends' decisions depend on, read once for the whole set.
struct State {
    desks: HashSet<String>,
    stored: HashMap<PacketId, PacketMeta>,
    tombstoned: HashSet<Vec<u8>>,
    threads: HashMap<ThreadId, ThreadRow>,
}

impl State {
    async fn read(
        conn: &mut SqliteConnection,
        sends: &[(NewPacket, Bytes)],
    ) -> Result<Self, StoreError> {
        let packets = || sends.iter().map(|(p, _)| p);

        let desks: HashSet<&str> = packets()
            .flat_map(|p| [p.sender_desk.as_str(), p.recipient_desk.as_str()])
            .collect();
        let mut args = SqliteArguments::default();
        desks
            .iter()
            .try_for_each(|d| bind(&mut args, (*d).to_owned()))?;
        let sql = format!("SELECT id FROM desks WHERE id IN ({})", marks(desks.len()));
        let desks = sqlx::query_scalar_with::<_, String, _>(AssertSqlSafe(sql), args)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();

        let mut args = SqliteArguments::default();
        packets().try_for_each(|p| bind(&mut args, p.id.as_bytes().to_vec()))?;
        let sql = format!(
            concat!(
                "SELECT ",
                packet_columns!(),
                " FROM packets WHERE id IN ({})"
            ),
            marks(sends.len())
        );
        let stored = sqlx::query_with(AssertSqlSafe(sql), args)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|row| codec::packet_meta(row).map(|m| (m.id, m)))
            .collect::<Result<_, _>>()?;

        let mut args = SqliteArguments::default();
        packets().try_for_each(|p| bind(&mut args, crate::tombstone_hash(&p.id).to_vec()))?;
        let sql = format!(
            "SELECT hash FROM tombstones WHERE hash IN ({})",
            marks(sends.len())
        );
        let tombstoned = sqlx::query_scalar_with::<_, Vec<u8>, _>(AssertSqlSafe(sql), args)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();

        let named: HashSet<ThreadId> = packets()
            .flat_map(|p| [Some(p.thread_id), p.kind.forwards()])
            .flatten()
            .collect();
        let mut args = SqliteArguments::default();
        named
            .iter()
            .try_for_each(|t| bind(&mut args, t.as_bytes().to_vec()))?;
        let sql = format!(
            "SELECT id, sender_desk, recipient_desk, status FROM threads WHERE id IN ({})",
            marks(named.len())
        );
        let threads = sqlx::query_with(AssertSqlSafe(sql), args)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(thread_row)
            .collect::<Result<_, _>>()?;

        Ok(Self {
            desks,
            stored,
            tombstoned,
            threads,
        })
    }

    /// One send's answer, in the order of checks of `packets::put`; a
    /// send that is stored adds its writes to `writes`.
    fn decide(&self, p: &NewPacket, body: &Bytes, writes: &mut Writes) -> PutOutcome {
        if !self.desks.contains(p.recipient_desk.as_str())
            || !self.desks.contains(p.sender_desk.as_str())
        {
            return PutOutcome::UnknownDesk;
        }
        if let Some(stored) = self.stored.get(&p.id) {
            return lifecycle::same_or_conflict(stored.clone(), p);
        }
        if self.tombstoned.contains(&crate::tombstone_hash(&p.id)[..]) {
            return PutOutcome::Gone;
        }
        let own = self.threads.get(&p.thread_id);
        let forwarded = p.kind.forwards().and_then(|old| self.threads.get(&old));
        let plan = match lifecycle::plan(p, own, forwarded) {
            Ok(plan) => plan,
            Err(refusal) => return refusal.into(),
        };
        let hour = to_hour(p.received_hour);
        if plan.open {
            writes.opens.push(p.clone());
            writes.events.push((p.thread_id, ThreadStatus::Sent, hour));
        }
        if let Some((thread, status)) = plan.advance {
            writes.advances.push((thread, status));
            writes.events.push((thread, status, hour));
        }
        let meta = lifecycle::stored_meta(p);
        writes.packets.push((meta.clone(), body.clone()));
        PutOutcome::Stored(meta)
    }
}

fn thread_row(row: &SqliteRow) -> Result<(ThreadId, ThreadRow), StoreError> {
    let id = codec::thread_id(row.try_get("id")?)?;
    let thread = threads::thread_row(
        row.try_get("sender_desk")?,
        row.try_get("recipient_desk")?,
        row.try_get("status")?,
    )?;
    Ok((id, thread))
}

/// The set's writes, gathered while deciding.
#[derive(Default)]
struct Writes {
    /// Sends that open their own thread.
    opens: Vec<NewPacket>,
    /// Threads whose status changes (each at most once: the set is
    /// disjoint).
    advances: Vec<(ThreadId, ThreadStatus)>,
    /// One history event per opened or changed thread.
    events: Vec<(ThreadId, ThreadStatus, i64)>,
    /// The packets to store, with their ciphertext.
    packets: Vec<(PacketMeta, Bytes)>,
}

impl Writes {
    /// In the order the foreign keys need: threads, their events, packets,
    /// chunks.
    async fn run(self, conn: &mut SqliteConnection) -> Result<(), StoreError> {
        if !self.opens.is_empty() {
            let mut args = SqliteArguments::default();
            for p in &self.opens {
                bind(&mut args, p.thread_id.as_bytes().to_vec())?;
                bind(&mut args, p.sender_desk.as_str().to_owned())?;
                bind(&mut args, p.recipient_desk.as_str().to_owned())?;
                bind(&mut args, to_hour(p.received_hour))?;
            }
            let sql = format!(
                "INSERT INTO threads (id, sender_desk, recipient_desk, status, created_hour) \
                 VALUES {}",
                rows(self.opens.len(), "(?, ?, ?, 'sent', ?)")
            );
            sqlx::query_with(AssertSqlSafe(sql), args)
                .execute(&mut *conn)
                .await?;
        }
        advance_threads(conn, &self.advances).await?;
        add_events(conn, &self.events).await?;
        if self.packets.is_empty() {
            return Ok(());
        }
        let mut args = SqliteArguments::default();
        for (m, _) in &self.packets {
            bind(&mut args, m.id.as_bytes().to_vec())?;
            bind(&mut args, m.thread_id.as_bytes().to_vec())?;
            bind(&mut args, m.sender_desk.as_str().to_owned())?;
            bind(&mut args, m.recipient_desk.as_str().to_owned())?;
            bind(&mut args, codec::signed(m.bytes)?)?;
            bind(&mut args, m.sha256.to_vec())?;
            bind(&mut args, Word::word(m.kind))?;
            bind(&mut args, m.received_hour)?;
            bind(&mut args, m.expires_at)?;
        }
        let sql = format!(
            "INSERT INTO packets (id, thread_id, sender_desk, recipient_desk, bytes, sha256, \
             kind, delivery, received_hour, expires_at) VALUES {}",
            rows(self.packets.len(), "(?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)")
        );
        sqlx::query_with(AssertSqlSafe(sql), args)
            .execute(&mut *conn)
            .await?;

        let mut args = SqliteArguments::default();
        let mut chunks = 0;
        for (m, body) in &self.packets {
            // In-memory bodies are at most one chunk, but nothing here
            // should depend on it.
            for (seq, data) in body.chunks(CHUNK_BYTES).enumerate() {
                bind(&mut args, m.id.as_bytes().to_vec())?;
                bind(
                    &mut args,
                    i64::try_from(seq).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                )?;
                bind(&mut args, data.to_vec())?;
                chunks += 1;
            }
        }
        if chunks > 0 {
            let sql = format!(
                "INSERT INTO packet_chunks (packet_id, seq, data) VALUES {}",
                rows(chunks, "(?, ?, ?)")
            );
            sqlx::query_with(AssertSqlSafe(sql), args)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}

/// Sets each thread's status (ADR 0007: one statement for the set).
pub(super) async fn advance_threads(
    conn: &mut SqliteConnection,
    advances: &[(ThreadId, ThreadStatus)],
) -> Result<(), StoreError> {
    if advances.is_empty() {
        return Ok(());
    }
    let mut args = SqliteArguments::default();
    for (thread, status) in advances {
        bind(&mut args, thread.as_bytes().to_vec())?;
        bind(&mut args, status.as_str())?;
    }
    let sql = format!(
        "UPDATE threads SET status = v.column2 FROM (VALUES {}) AS v \
         WHERE threads.id = v.column1",
        rows(advances.len(), "(?, ?)")
    );
    sqlx::query_with(AssertSqlSafe(sql), args)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Records one history event per thread, numbered as
/// `threads::add_event` numbers them: one past the thread's last event (1
/// for a new thread). At most one event per thread: the sets are disjoint.
pub(super) async fn add_events(
    conn: &mut SqliteConnection,
    events: &[(ThreadId, ThreadStatus, i64)],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut args = SqliteArguments::default();
    for (thread, status, hour) in events {
        bind(&mut args, thread.as_bytes().to_vec())?;
        bind(&mut args, status.as_str())?;
        bind(&mut args, *hour)?;
    }
    let sql = format!(
        "INSERT INTO thread_events (thread_id, seq, status, at_hour) \
         SELECT v.column1, \
         (SELECT COALESCE(MAX(e.seq), 0) + 1 FROM thread_events e \
         WHERE e.thread_id = v.column1), v.column2, v.column3 \
         FROM (VALUES {}) AS v",
        rows(events.len(), "(?, ?, ?)")
    );
    sqlx::query_with(AssertSqlSafe(sql), args)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// `n` comma-separated `?`.
pub(super) fn marks(n: usize) -> String {
    rows(n, "?")
}

/// `row` repeated `n` times, comma-separated.
pub(super) fn rows(n: usize, row: &str) -> String {
    let mut s = String::with_capacity(n * (row.len() + 2));
    for i in 0..n {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(row);
    }
    s
}

/// Adds one argument; an encoding failure is a database error like any
/// other (none is expected: every value here is a blob, text or integer).
pub(super) fn bind<'t, T>(args: &mut SqliteArguments, value: T) -> Result<(), StoreError>
where
    T: Encode<'t, Sqlite> + Type<Sqlite>,
{
    args.add(value)
        .map_err(|e: BoxDynError| StoreError::Database(sqlx::Error::Encode(e)))
}
