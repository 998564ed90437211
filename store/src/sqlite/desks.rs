//! Writes for desks and devices, which change only as effects of directory
//! entries (`directory`) and the bootstrap claim (`auth`). Each runs on the
//! writer's connection inside its batch's transaction and its own savepoint
//! (see `writer`), so "nothing changes" on a refusal or an error is the
//! savepoint's job; these functions still check before they write, so a
//! refusal does no work to undo.

use referral_protocol::{DeskId, DeviceId, VerifyingKey};
use sqlx::SqliteConnection;

use crate::encoding::Word;
use crate::{Desk, Device, StoreError};

pub(super) async fn create_desk(
    conn: &mut SqliteConnection,
    desk: &Desk,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO desks (id, name, prefecture, languages, created_at) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (id) DO NOTHING",
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

pub(super) async fn desk_exists(
    conn: &mut SqliteConnection,
    id: &DeskId,
) -> Result<bool, StoreError> {
    let found = sqlx::query("SELECT 1 FROM desks WHERE id = ?")
        .bind(id.as_str())
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// `false` if the id exists; [`StoreError::UnknownDesk`] if the desk does
/// not. Only a clash on the id is a "no": any other constraint is an error.
pub(super) async fn add_device(
    conn: &mut SqliteConnection,
    device: &Device,
) -> Result<bool, StoreError> {
    if let Some(desk) = &device.desk
        && !desk_exists(conn, desk).await?
    {
        return Err(StoreError::UnknownDesk);
    }
    let done = sqlx::query(
        "INSERT INTO devices (id, desk_id, role, signing_key, age_recipient, state, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&device.id.as_bytes()[..])
    .bind(device.desk.as_ref().map(DeskId::as_str))
    .bind(Word::word(device.role))
    .bind(&device.signing_key.as_bytes()[..])
    .bind(device.age_recipient.as_str())
    .bind(Word::word(device.state))
    .bind(device.created_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn device_exists(
    conn: &mut SqliteConnection,
    id: &DeviceId,
) -> Result<bool, StoreError> {
    let found = sqlx::query("SELECT 1 FROM devices WHERE id = ?")
        .bind(&id.as_bytes()[..])
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// Whether any device (active or not) holds `key`: keys name one device.
pub(super) async fn signing_key_used(
    conn: &mut SqliteConnection,
    key: &VerifyingKey,
) -> Result<bool, StoreError> {
    let found = sqlx::query("SELECT 1 FROM devices WHERE signing_key = ?")
        .bind(&key.as_bytes()[..])
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}
