//! Packets: storing them (with their effect on threads), reading them back,
//! the inbox, and acknowledgements.

use referral_protocol::{DeskId, PacketId};
use sqlx::Row;
use sqlx::postgres::{PgConnection, PgPool};

use super::codec::{self, packet_columns};
use super::threads;
use crate::encoding::Word;
use crate::lifecycle;
use crate::{
    AckOutcome, DeliveryState, NewPacket, PacketBody, PacketKindWord, PacketMeta, PutOutcome,
    RewrapOutcome, RewrapPacket, StoreError, UnixTime, to_hour, tombstone_hash,
};

pub(super) async fn put_packet(
    pool: &PgPool,
    p: NewPacket,
    body: PacketBody,
) -> Result<PutOutcome, StoreError> {
    if body.len() != p.bytes {
        // A caller bug, not a protocol refusal: the size is metadata the
        // recipient relies on, so never store a row that lies about it.
        return Err(StoreError::Body(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("body is {} bytes, packet says {}", body.len(), p.bytes),
        )));
    }
    let mut tx = pool.begin().await?;
    let outcome = put_in(&mut tx, &p, body).await?;
    // Only a stored packet commits; every refusal rolls back whatever the
    // attempt wrote (the packet row, a thread change), so it changes nothing.
    if matches!(outcome, PutOutcome::Stored(_)) {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    Ok(outcome)
}

/// The steps of a put, inside its transaction. The packet row goes in first:
/// its primary key is what makes concurrent retries of one id safe. A second
/// `INSERT … ON CONFLICT DO NOTHING` of the same id waits for the first
/// transaction to end, then either inserts (the first rolled back) or finds
/// the committed row and answers Duplicate or Conflict from it.
async fn put_in(
    conn: &mut PgConnection,
    p: &NewPacket,
    body: PacketBody,
) -> Result<PutOutcome, StoreError> {
    if !desks_exist(conn, p).await? {
        return Ok(PutOutcome::UnknownDesk);
    }
    let hour = to_hour(p.received_hour);
    if !insert_row(conn, p, hour).await? {
        return existing(conn, p).await;
    }
    // Checked after the insert: a purge that deleted this id's old row and
    // left its tombstone has committed by now (the insert waited for it).
    if is_tombstoned(conn, &p.id).await? {
        return Ok(PutOutcome::Gone);
    }
    if let Some(refusal) = lifecycle::apply(conn, p).await? {
        return Ok(refusal);
    }
    insert_chunks(conn, &p.id, body).await?;
    Ok(PutOutcome::Stored(lifecycle::stored_meta(p)))
}

/// Both desks must exist. The sender's comes from its token, so it normally
/// does; desks are never deleted, so the answer cannot go stale.
async fn desks_exist(conn: &mut PgConnection, p: &NewPacket) -> Result<bool, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM desks WHERE id = $1 OR id = $2")
        .bind(p.sender_desk.as_str())
        .bind(p.recipient_desk.as_str())
        .fetch_one(conn)
        .await?;
    let wanted = if p.sender_desk == p.recipient_desk {
        1
    } else {
        2
    };
    Ok(n == wanted)
}

/// Inserts the packet row; `false` if the id already exists.
async fn insert_row(
    conn: &mut PgConnection,
    p: &NewPacket,
    hour: UnixTime,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO packets (id, thread_id, sender_desk, recipient_desk, bytes, sha256, kind, \
                              delivery, received_hour, expires_at) \
         VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, 'pending', $8, $9) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(p.id.to_string())
    .bind(p.thread_id.to_string())
    .bind(p.sender_desk.as_str())
    .bind(p.recipient_desk.as_str())
    .bind(codec::to_i64("packet size", p.bytes)?)
    .bind(p.sha256)
    .bind(Word::word(p.kind.word()))
    .bind(hour)
    .bind(p.expires_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The answer for an id that is already stored: the same packet again is a
/// Duplicate with the stored answer, anything else a Conflict.
async fn existing(conn: &mut PgConnection, p: &NewPacket) -> Result<PutOutcome, StoreError> {
    let Some(stored) = meta(&mut *conn, &p.id).await? else {
        // Deleted between our insert and this read: only a purge deletes
        // packets, and it leaves a tombstone in the same transaction.
        return Ok(if is_tombstoned(conn, &p.id).await? {
            PutOutcome::Gone
        } else {
            PutOutcome::Conflict
        });
    };
    Ok(lifecycle::same_or_conflict(stored, p))
}

async fn is_tombstoned(conn: &mut PgConnection, id: &PacketId) -> Result<bool, StoreError> {
    let row = sqlx::query("SELECT 1 FROM tombstones WHERE hash = $1")
        .bind(tombstone_hash(id))
        .fetch_optional(conn)
        .await?;
    Ok(row.is_some())
}

/// Streams the body in, one row per chunk, so at most one chunk is in memory.
async fn insert_chunks(
    conn: &mut PgConnection,
    id: &PacketId,
    body: PacketBody,
) -> Result<(), StoreError> {
    let id = id.to_string();
    let mut chunks = body.into_chunks();
    while let Some((seq, data)) = chunks.next_chunk().await? {
        sqlx::query("INSERT INTO packet_chunks (packet_id, seq, data) VALUES ($1::uuid, $2, $3)")
            .bind(&id)
            .bind(chunk_seq(seq)?)
            .bind(&data[..])
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A chunk number for the INTEGER column (2^31 chunks of 1 MiB is 2 PiB).
fn chunk_seq(seq: u32) -> Result<i32, StoreError> {
    i32::try_from(seq).map_err(|_| StoreError::Corrupt(format!("chunk number {seq} is too large")))
}

async fn meta(conn: &mut PgConnection, id: &PacketId) -> Result<Option<PacketMeta>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        packet_columns!(),
        " FROM packets WHERE id = $1::uuid"
    ))
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(codec::packet_meta).transpose()
}

pub(super) async fn packet(pool: &PgPool, id: &PacketId) -> Result<Option<PacketMeta>, StoreError> {
    let mut conn = pool.acquire().await?;
    meta(&mut conn, id).await
}

pub(super) async fn packet_chunk(
    pool: &PgPool,
    id: &PacketId,
    seq: u32,
) -> Result<Option<Vec<u8>>, StoreError> {
    let Ok(seq) = i32::try_from(seq) else {
        return Ok(None);
    };
    let data = sqlx::query_scalar(
        "SELECT data FROM packet_chunks WHERE packet_id = $1::uuid AND seq = $2",
    )
    .bind(id.to_string())
    .bind(seq)
    .fetch_optional(pool)
    .await?;
    Ok(data)
}

/// The inbox query: answerable from the partial index `packets_inbox` alone,
/// in index order, so its cost grows with the desk's pending packets only
/// (a test below checks the plan). Ties within an hour go by arrival order.
const INBOX_SQL: &str = concat!(
    "SELECT ",
    packet_columns!(),
    " FROM packets WHERE recipient_desk = $1 AND delivery = 'pending' \
      ORDER BY received_hour, ord LIMIT $2"
);

pub(super) async fn inbox(
    pool: &PgPool,
    desk: &DeskId,
    limit: u32,
) -> Result<Vec<PacketMeta>, StoreError> {
    let rows = sqlx::query(INBOX_SQL)
        .bind(desk.as_str())
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?;
    rows.iter().map(codec::packet_meta).collect()
}

/// The sum the per-desk cap needs, from the partial index
/// `packets_pending_by_sender`.
pub(super) async fn pending_bytes_sent(pool: &PgPool, desk: &DeskId) -> Result<u64, StoreError> {
    let sum: i64 = sqlx::query_scalar(
        "SELECT COALESCE(SUM(bytes), 0)::BIGINT FROM packets \
         WHERE sender_desk = $1 AND delivery = 'pending'",
    )
    .bind(desk.as_str())
    .fetch_one(pool)
    .await?;
    u64::try_from(sum).map_err(|_| StoreError::Corrupt("a negative packet size".into()))
}

/// Replaces a pending packet's chunks and hash (a rewrap), if the packet is
/// addressed to the asking desk and still holds exactly the ciphertext the
/// caller compared against. The packet row is locked first, so a concurrent
/// ack, purge or other rewrap waits and then sees the outcome of this one.
pub(super) async fn rewrap(
    pool: &PgPool,
    r: &RewrapPacket,
    body: PacketBody,
) -> Result<RewrapOutcome, StoreError> {
    let mut tx = pool.begin().await?;
    let row = sqlx::query(concat!(
        "SELECT ",
        packet_columns!(),
        " FROM packets WHERE id = $1::uuid AND recipient_desk = $2 FOR UPDATE"
    ))
    .bind(r.id.to_string())
    .bind(r.desk.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(m) = row.as_ref().map(codec::packet_meta).transpose()? else {
        return Ok(RewrapOutcome::NotFound);
    };
    if m.delivery != DeliveryState::Pending {
        return Ok(RewrapOutcome::NotPending(m.delivery));
    }
    if m.sha256 != r.replaces || m.bytes != r.bytes || body.len() != r.bytes {
        return Ok(RewrapOutcome::Stale);
    }
    sqlx::query("DELETE FROM packet_chunks WHERE packet_id = $1::uuid")
        .bind(r.id.to_string())
        .execute(&mut *tx)
        .await?;
    insert_chunks(&mut tx, &r.id, body).await?;
    sqlx::query("UPDATE packets SET sha256 = $2 WHERE id = $1::uuid")
        .bind(r.id.to_string())
        .bind(r.sha256)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(RewrapOutcome::Rewrapped(PacketMeta {
        sha256: r.sha256,
        ..m
    }))
}

pub(super) async fn ack(
    pool: &PgPool,
    id: &PacketId,
    desk: &DeskId,
    now: UnixTime,
) -> Result<AckOutcome, StoreError> {
    let mut tx = pool.begin().await?;
    // Locks the packet so a concurrent ack or purge waits for this one:
    // exactly one of them moves it out of `pending`.
    let row = sqlx::query(
        "SELECT delivery, kind, thread_id::text AS thread_id FROM packets \
         WHERE id = $1::uuid AND recipient_desk = $2 FOR UPDATE",
    )
    .bind(id.to_string())
    .bind(desk.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(AckOutcome::NotFound);
    };
    match codec::decode(row.try_get("delivery")?)? {
        DeliveryState::Expired => return Ok(AckOutcome::Expired),
        // Idempotent: a repeated ack changes nothing and adds no event.
        DeliveryState::Acknowledged => return Ok(AckOutcome::Acknowledged),
        DeliveryState::Pending => {}
    }
    sqlx::query("UPDATE packets SET delivery = 'acknowledged', acked_at = $2 WHERE id = $1::uuid")
        .bind(id.to_string())
        .bind(codec::ceil_hour(now))
        .execute(&mut *tx)
        .await?;
    // Only a thread's opening packet (referral or forward) marks it
    // received; acknowledging a reply says nothing about the case.
    if codec::decode::<PacketKindWord>(row.try_get("kind")?)? != PacketKindWord::Reply {
        let thread = codec::parse("thread id", row.try_get("thread_id")?)?;
        threads::mark_received(&mut tx, &thread, to_hour(now)).await?;
    }
    tx.commit().await?;
    Ok(AckOutcome::Acknowledged)
}

#[cfg(test)]
mod tests {
    use sqlx::Connection;

    use super::*;
    use crate::postgres::PostgresStore;
    use crate::postgres::test_support::FreshDatabase;

    #[tokio::test]
    async fn inbox_reads_the_partial_index_in_order() {
        let Some(db) = FreshDatabase::create().await else {
            return;
        };
        PostgresStore::connect(db.url())
            .await
            .unwrap()
            .close()
            .await;
        let mut conn = PgConnection::connect(db.url()).await.unwrap();
        // The tables are empty, so a scan would be cheapest: forbid scans
        // to see whether the index can serve the query, order included.
        sqlx::raw_sql("SET enable_seqscan = off; SET enable_bitmapscan = off")
            .execute(&mut conn)
            .await
            .unwrap();
        let plan: Vec<String> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("EXPLAIN {INBOX_SQL}")))
                .bind("shinjuku-iea")
                .bind(10i64)
                .fetch_all(&mut conn)
                .await
                .unwrap();
        let plan = plan.join("\n");
        assert!(plan.contains("packets_inbox"), "{plan}");
        assert!(!plan.contains("Sort"), "no sort step: {plan}");
        conn.close().await.unwrap();
        db.cleanup().await;
    }
}
