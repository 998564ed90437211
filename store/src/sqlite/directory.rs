//! The directory log: appending an entry together with its effect on the
//! broker's tables (on the writer's connection, inside the op's savepoint,
//! which the writer rolls back for every outcome but `Appended`), and
//! reading entries back.

use referral_protocol::{DeviceId, RecipientKey, RequestId, VerifyingKey};
use sqlx::SqliteConnection;

use super::{admin, codec, requests};
use crate::{
    AppendOutcome, Device, DirectoryEffect, NewEntry, RequestKind, StoreError, StoredEntry,
};

pub(super) async fn has_entries(conn: &mut SqliteConnection) -> Result<bool, StoreError> {
    let found = sqlx::query("SELECT 1 FROM directory_entries LIMIT 1")
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

pub(super) async fn insert_entry(
    conn: &mut SqliteConnection,
    entry: &NewEntry,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO directory_entries (seq, hash, entry) VALUES (?, ?, ?)")
        .bind(codec::signed(entry.seq)?)
        .bind(&entry.hash[..])
        .bind(&entry.bytes[..])
        .execute(conn)
        .await?;
    Ok(())
}

/// The entry goes in only at the next free position; then its effect.
pub(super) async fn append(
    conn: &mut SqliteConnection,
    entry: NewEntry,
) -> Result<AppendOutcome, StoreError> {
    let next: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq) + 1, 0) FROM directory_entries")
        .fetch_one(&mut *conn)
        .await?;
    let seq = codec::signed(entry.seq)?;
    if seq < next {
        return Ok(AppendOutcome::SeqTaken);
    }
    if seq > next {
        return Ok(AppendOutcome::NotNext);
    }
    insert_entry(conn, &entry).await?;
    apply(conn, entry.effect).await
}

async fn apply(
    conn: &mut SqliteConnection,
    effect: DirectoryEffect,
) -> Result<AppendOutcome, StoreError> {
    use AppendOutcome::{Appended, Inconsistent};
    Ok(match effect {
        DirectoryEffect::None => Appended,
        DirectoryEffect::CreateDesk(desk) => {
            if admin::create_desk(conn, &desk).await? {
                Appended
            } else {
                Inconsistent("the desk already exists")
            }
        }
        DirectoryEffect::EnrollDevice { device, request } => {
            enroll(conn, &device, &request).await?
        }
        DirectoryEffect::RotateDevice {
            device,
            signing_key,
            age_recipient,
            request,
        } => rotate(conn, &device, &signing_key, &age_recipient, &request).await?,
        DirectoryEffect::RevokeDevice(device) => revoke(conn, &device).await?,
        DirectoryEffect::RotateRoot { new_root } => rotate_root(conn, &new_root).await?,
        DirectoryEffect::ActivateTokenKey {
            kid,
            public_key,
            at,
        } => {
            if admin::activate_token_key(conn, &kid, &public_key, at).await? {
                Appended
            } else {
                AppendOutcome::UnknownTokenKey
            }
        }
    })
}

async fn enroll(
    conn: &mut SqliteConnection,
    device: &Device,
    request: &RequestId,
) -> Result<AppendOutcome, StoreError> {
    let closed = requests::close(
        conn,
        request,
        requests::Expected {
            kind: RequestKind::Enrollment,
            device: &device.id,
            placement: Some((device.desk.as_ref(), device.role)),
            signing_key: &device.signing_key,
            age_recipient: &device.age_recipient,
        },
    )
    .await?;
    if !closed {
        return Ok(AppendOutcome::RequestGone);
    }
    if admin::device_exists(conn, &device.id).await? {
        return Ok(AppendOutcome::Inconsistent(
            "the device id is already enrolled",
        ));
    }
    if admin::signing_key_used(conn, &device.signing_key).await? {
        return Ok(AppendOutcome::Inconsistent(
            "the signing key belongs to another device",
        ));
    }
    match admin::add_device(conn, device).await {
        Ok(true) => Ok(AppendOutcome::Appended),
        Ok(false) => Ok(AppendOutcome::Inconsistent(
            "the device id is already enrolled",
        )),
        Err(StoreError::UnknownDesk) => Ok(AppendOutcome::Inconsistent("the desk does not exist")),
        Err(e) => Err(e),
    }
}

async fn rotate(
    conn: &mut SqliteConnection,
    device: &DeviceId,
    signing_key: &VerifyingKey,
    age_recipient: &RecipientKey,
    request: &RequestId,
) -> Result<AppendOutcome, StoreError> {
    let closed = requests::close(
        conn,
        request,
        requests::Expected {
            kind: RequestKind::Rotation,
            device,
            placement: None,
            signing_key,
            age_recipient,
        },
    )
    .await?;
    if !closed {
        return Ok(AppendOutcome::RequestGone);
    }
    if admin::signing_key_used(conn, signing_key).await? {
        return Ok(AppendOutcome::Inconsistent(
            "the new signing key belongs to a device",
        ));
    }
    let done = sqlx::query(
        "UPDATE devices SET signing_key = ?, age_recipient = ? WHERE id = ? AND state = 'active'",
    )
    .bind(&signing_key.as_bytes()[..])
    .bind(age_recipient.as_str())
    .bind(&device.as_bytes()[..])
    .execute(conn)
    .await?;
    Ok(if done.rows_affected() == 1 {
        AppendOutcome::Appended
    } else {
        AppendOutcome::Inconsistent("no active device to rotate")
    })
}

/// Revoked for good: the device's pending requests go with its state, so
/// none of them can be approved later.
async fn revoke(
    conn: &mut SqliteConnection,
    device: &DeviceId,
) -> Result<AppendOutcome, StoreError> {
    let done =
        sqlx::query("UPDATE devices SET state = 'revoked' WHERE id = ? AND state <> 'revoked'")
            .bind(&device.as_bytes()[..])
            .execute(&mut *conn)
            .await?;
    if done.rows_affected() != 1 {
        return Ok(AppendOutcome::Inconsistent("no device to revoke"));
    }
    sqlx::query("DELETE FROM requests WHERE device_id = ?")
        .bind(&device.as_bytes()[..])
        .execute(conn)
        .await?;
    Ok(AppendOutcome::Appended)
}

/// The root device authenticates with the root key, so it follows the root.
async fn rotate_root(
    conn: &mut SqliteConnection,
    new_root: &VerifyingKey,
) -> Result<AppendOutcome, StoreError> {
    let old: Option<Vec<u8>> = sqlx::query_scalar("SELECT signing_key FROM root WHERE slot = 1")
        .fetch_optional(&mut *conn)
        .await?;
    let Some(old) = old else {
        return Ok(AppendOutcome::Inconsistent("the broker has no root"));
    };
    if admin::signing_key_used(conn, new_root).await? {
        return Ok(AppendOutcome::Inconsistent(
            "the new root key belongs to a device",
        ));
    }
    sqlx::query("UPDATE root SET signing_key = ? WHERE slot = 1")
        .bind(&new_root.as_bytes()[..])
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE devices SET signing_key = ? WHERE signing_key = ?")
        .bind(&new_root.as_bytes()[..])
        .bind(&old[..])
        .execute(conn)
        .await?;
    Ok(AppendOutcome::Appended)
}

/// Entries from `seq` on, in order, on the read pool.
pub(super) async fn since(
    pool: &sqlx::SqlitePool,
    seq: u64,
) -> Result<Vec<StoredEntry>, StoreError> {
    let Ok(from) = i64::try_from(seq) else {
        // Past any position SQLite can hold: past the head.
        return Ok(Vec::new());
    };
    let rows: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT seq, entry FROM directory_entries WHERE seq >= ? ORDER BY seq")
            .bind(from)
            .fetch_all(pool)
            .await?;
    rows.into_iter()
        .map(|(seq, bytes)| {
            Ok(StoredEntry {
                seq: codec::unsigned(seq, "directory seq")?,
                bytes,
            })
        })
        .collect()
}
