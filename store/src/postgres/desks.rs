//! Desks, devices and the metric counts.

use referral_protocol::{DeskId, DeviceId};
use sqlx::postgres::{PgConnection, PgPool};

use super::codec::{self, desk_columns, device_columns};
use crate::{Counts, Desk, Device, DeviceState, StoreError};

pub(super) async fn create_desk(pool: &PgPool, desk: &Desk) -> Result<bool, StoreError> {
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
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
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
    if let Some(desk) = &device.desk {
        // Desks are never deleted, so this check cannot go stale before the
        // insert; the foreign key would catch it anyway, as an opaque error.
        let known = sqlx::query("SELECT 1 FROM desks WHERE id = $1")
            .bind(desk.as_str())
            .fetch_optional(&mut *conn)
            .await?;
        if known.is_none() {
            return Err(StoreError::UnknownDesk);
        }
    }
    let done = sqlx::query(
        "INSERT INTO devices (id, desk_id, role, signing_key, age_recipient, state, created_at) \
         VALUES ($1::uuid, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
    )
    .bind(device.id.to_string())
    .bind(device.desk.as_ref().map(DeskId::as_str))
    .bind(codec::role_str(device.role))
    .bind(device.signing_key.as_bytes())
    .bind(device.age_recipient.as_str())
    .bind(codec::state_str(device.state))
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

pub(super) async fn active_devices_of(
    pool: &PgPool,
    desk: &DeskId,
) -> Result<Vec<Device>, StoreError> {
    // Ordered so that every broker lists the same devices the same way.
    let rows = sqlx::query(concat!(
        "SELECT ",
        device_columns!(),
        " FROM devices WHERE desk_id = $1 AND state = 'active' ORDER BY created_at, id"
    ))
    .bind(desk.as_str())
    .fetch_all(pool)
    .await?;
    rows.iter().map(codec::device).collect()
}

pub(super) async fn set_device_state(
    pool: &PgPool,
    id: &DeviceId,
    state: DeviceState,
) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE devices SET state = $2 WHERE id = $1::uuid")
        .bind(id.to_string())
        .bind(codec::state_str(state))
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn counts(pool: &PgPool) -> Result<Counts, StoreError> {
    // One statement, so the numbers come from one snapshot. `stored_bytes`
    // counts the ciphertext still held: expired packets have none left.
    let (pending, acknowledged, stored, desks, active): (i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT \
               (SELECT count(*) FROM packets WHERE delivery = 'pending'), \
               (SELECT count(*) FROM packets WHERE delivery = 'acknowledged'), \
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
        stored_bytes: codec::to_u64("stored bytes", stored)?,
        desks: codec::to_u64("count", desks)?,
        active_devices: codec::to_u64("count", active)?,
    })
}
