//! Desks, devices, the metric counts and `admin stats`. Desks and devices
//! change only as effects of directory entries (`directory`) and the
//! bootstrap claim.

use referral_protocol::{DeskId, DeviceId, VerifyingKey};
use sqlx::postgres::{PgConnection, PgPool};

use super::codec::{self, desk_columns, device_columns};
use crate::encoding::Word;
use crate::{Counts, Desk, Device, StoreError, ThreadStat};

pub(super) async fn create_desk(conn: &mut PgConnection, desk: &Desk) -> Result<bool, StoreError> {
    // ON CONFLICT DO NOTHING: an existing desk is left exactly as it was.
    let done = sqlx::query(
        "INSERT INTO desks (id, name, prefecture, languages, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
    )
    .bind(desk.id.as_str())
    .bind(&desk.name)
    .bind(desk.prefecture.as_deref())
    .bind(desk.languages.as_deref())
    .bind(desk.created_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn desk_exists(conn: &mut PgConnection, id: &DeskId) -> Result<bool, StoreError> {
    let known = sqlx::query("SELECT 1 FROM desks WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(conn)
        .await?;
    Ok(known.is_some())
}

pub(super) async fn device_exists(
    conn: &mut PgConnection,
    id: &DeviceId,
) -> Result<bool, StoreError> {
    let found = sqlx::query("SELECT 1 FROM devices WHERE id = $1::uuid")
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// Whether any device (active or not) holds `key`: keys name one device.
pub(super) async fn signing_key_used(
    conn: &mut PgConnection,
    key: &VerifyingKey,
) -> Result<bool, StoreError> {
    let found = sqlx::query("SELECT 1 FROM devices WHERE signing_key = $1")
        .bind(key.as_bytes())
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

pub(super) async fn desk(pool: &PgPool, id: &DeskId) -> Result<Option<Desk>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        desk_columns!(),
        " FROM desks WHERE id = $1"
    ))
    .bind(id.as_str())
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(codec::desk).transpose()
}

pub(super) async fn desks(pool: &PgPool) -> Result<Vec<Desk>, StoreError> {
    // COLLATE "C": "by id" means byte order, whatever the database's locale.
    let rows = sqlx::query(concat!(
        "SELECT ",
        desk_columns!(),
        " FROM desks ORDER BY id COLLATE \"C\""
    ))
    .fetch_all(pool)
    .await?;
    rows.iter().map(codec::desk).collect()
}

/// Inserts a device inside the caller's transaction (claiming the broker
/// adds its first device in the same transaction as the root).
pub(super) async fn add_device(
    conn: &mut PgConnection,
    device: &Device,
) -> Result<bool, StoreError> {
    // Desks are never deleted, so this check cannot go stale before the
    // insert; the foreign key would catch it anyway, as an opaque error.
    if let Some(desk) = &device.desk
        && !desk_exists(conn, desk).await?
    {
        return Err(StoreError::UnknownDesk);
    }
    let done = sqlx::query(
        "INSERT INTO devices (id, desk_id, role, signing_key, age_recipient, state, created_at) \
         VALUES ($1::uuid, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
    )
    .bind(device.id.to_string())
    .bind(device.desk.as_ref().map(DeskId::as_str))
    .bind(Word::word(device.role))
    .bind(device.signing_key.as_bytes())
    .bind(device.age_recipient.as_str())
    .bind(Word::word(device.state))
    .bind(device.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn device(pool: &PgPool, id: &DeviceId) -> Result<Option<Device>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        device_columns!(),
        " FROM devices WHERE id = $1::uuid"
    ))
    .bind(id.to_string())
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(codec::device).transpose()
}

pub(super) async fn counts(pool: &PgPool) -> Result<Counts, StoreError> {
    // One statement, so the numbers come from one snapshot. `stored_bytes`
    // counts the ciphertext still held: expired packets have none left.
    type Row = (i64, i64, i64, i64, i64, i64);
    let (pending, acknowledged, expired, stored, desks, active): Row = sqlx::query_as(
        "SELECT \
               (SELECT count(*) FROM packets WHERE delivery = 'pending'), \
               (SELECT count(*) FROM packets WHERE delivery = 'acknowledged'), \
               (SELECT count(*) FROM packets WHERE delivery = 'expired'), \
               (SELECT coalesce(sum(bytes), 0)::bigint FROM packets \
                 WHERE delivery IN ('pending', 'acknowledged')), \
               (SELECT count(*) FROM desks), \
               (SELECT count(*) FROM devices WHERE state = 'active')",
    )
    .fetch_one(pool)
    .await?;
    Ok(Counts {
        pending_packets: codec::to_u64("count", pending)?,
        acknowledged_packets: codec::to_u64("count", acknowledged)?,
        expired_packets: codec::to_u64("count", expired)?,
        stored_bytes: codec::to_u64("stored bytes", stored)?,
        desks: codec::to_u64("count", desks)?,
        active_devices: codec::to_u64("count", active)?,
    })
}

/// Threads by recipient desk, status and the Monday their hour falls in
/// (`crate::week_start`, computed in SQL so only the groups come back):
/// the live threads plus the weekly counts deleted threads left, read in
/// one snapshot so a purge in between cannot count a thread twice.
pub(super) async fn thread_stats(pool: &PgPool) -> Result<Vec<ThreadStat>, StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT recipient_desk, status, \
                created_hour - mod(mod(created_hour - 345600, 604800) + 604800, 604800) AS week, \
                count(*) \
         FROM threads GROUP BY recipient_desk, status, week",
    )
    .fetch_all(&mut *tx)
    .await?;
    let folded: Vec<(String, String, i64, i64)> =
        sqlx::query_as("SELECT desk_id, status, week_start, threads FROM thread_week_counts")
            .fetch_all(&mut *tx)
            .await?;
    tx.commit().await?;
    let stats = |rows: Vec<(String, String, i64, i64)>| {
        rows.into_iter()
            .map(|(desk, status, week_start, threads)| {
                Ok(ThreadStat {
                    desk: codec::parse("desk id", &desk)?,
                    status: codec::decode(&status)?,
                    week_start,
                    threads: codec::to_u64("count", threads)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()
    };
    Ok(crate::retention::merge(stats(rows)?, stats(folded)?))
}
