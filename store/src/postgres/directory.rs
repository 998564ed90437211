//! The directory log: appending an entry together with its effect on the
//! broker's tables in one transaction, and reading entries back.
//!
//! Two brokers appending at the same head both try to insert the same
//! `seq`: the second waits on the primary key until the first commits, then
//! finds it taken and rolls back. Every other row an effect changes is
//! written only after that insert, so effects never interleave.

use referral_protocol::{DeviceId, RecipientKey, RequestId, VerifyingKey};
use sqlx::postgres::{PgConnection, PgPool};

use super::{auth, codec, desks, requests};
use crate::{
    AppendOutcome, Device, DirectoryEffect, NewEntry, RequestKind, StoreError, StoredEntry,
};

pub(super) async fn has_entries(conn: &mut PgConnection) -> Result<bool, StoreError> {
    let found = sqlx::query("SELECT 1 FROM directory_entries LIMIT 1")
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// Inserts the entry; `false` if its `seq` is taken.
pub(super) async fn insert_entry(
    conn: &mut PgConnection,
    entry: &NewEntry,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO directory_entries (seq, hash, entry) VALUES ($1, $2, $3) \
         ON CONFLICT (seq) DO NOTHING",
    )
    .bind(codec::to_i64("directory seq", entry.seq)?)
    .bind(entry.hash)
    .bind(&entry.bytes[..])
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn append(pool: &PgPool, entry: NewEntry) -> Result<AppendOutcome, StoreError> {
    let mut tx = pool.begin().await?;
    let outcome = append_in(&mut tx, entry).await?;
    // Only an appended entry commits: a refused effect rolls the entry back.
    if outcome == AppendOutcome::Appended {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    Ok(outcome)
}

async fn append_in(conn: &mut PgConnection, entry: NewEntry) -> Result<AppendOutcome, StoreError> {
    if !insert_entry(conn, &entry).await? {
        return Ok(AppendOutcome::SeqTaken);
    }
    // After the insert, which waited for any concurrent append at this seq:
    // the entry before it must exist, or this broker's log is ahead of the
    // database (restored from an older backup, say).
    if entry.seq > 0 {
        let prev = sqlx::query("SELECT 1 FROM directory_entries WHERE seq = $1")
            .bind(codec::to_i64("directory seq", entry.seq - 1)?)
            .fetch_optional(&mut *conn)
            .await?;
        if prev.is_none() {
            return Ok(AppendOutcome::NotNext);
        }
    }
    apply(conn, entry.effect).await
}

async fn apply(
    conn: &mut PgConnection,
    effect: DirectoryEffect,
) -> Result<AppendOutcome, StoreError> {
    use AppendOutcome::{Appended, Inconsistent};
    Ok(match effect {
        DirectoryEffect::None => Appended,
        DirectoryEffect::CreateDesk(desk) => {
            if desks::create_desk(conn, &desk).await? {
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
            if auth::activate_token_key(conn, &kid, &public_key, at).await? {
                Appended
            } else {
                AppendOutcome::UnknownTokenKey
            }
        }
    })
}

async fn enroll(
    conn: &mut PgConnection,
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
    if desks::device_exists(conn, &device.id).await? {
        return Ok(AppendOutcome::Inconsistent(
            "the device id is already enrolled",
        ));
    }
    if desks::signing_key_used(conn, &device.signing_key).await? {
        return Ok(AppendOutcome::Inconsistent(
            "the signing key belongs to another device",
        ));
    }
    match desks::add_device(conn, device).await {
        Ok(true) => Ok(AppendOutcome::Appended),
        Ok(false) => Ok(AppendOutcome::Inconsistent(
            "the device id is already enrolled",
        )),
        Err(StoreError::UnknownDesk) => Ok(AppendOutcome::Inconsistent("the desk does not exist")),
        Err(e) => Err(e),
    }
}

async fn rotate(
    conn: &mut PgConnection,
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
    if desks::signing_key_used(conn, signing_key).await? {
        return Ok(AppendOutcome::Inconsistent(
            "the new signing key belongs to a device",
        ));
    }
    let done = sqlx::query(
        "UPDATE devices SET signing_key = $2, age_recipient = $3 \
         WHERE id = $1::uuid AND state = 'active'",
    )
    .bind(device.to_string())
    .bind(signing_key.as_bytes())
    .bind(age_recipient.as_str())
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
async fn revoke(conn: &mut PgConnection, device: &DeviceId) -> Result<AppendOutcome, StoreError> {
    let done = sqlx::query(
        "UPDATE devices SET state = 'revoked' WHERE id = $1::uuid AND state <> 'revoked'",
    )
    .bind(device.to_string())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(AppendOutcome::Inconsistent("no device to revoke"));
    }
    sqlx::query("DELETE FROM requests WHERE device_id = $1::uuid")
        .bind(device.to_string())
        .execute(conn)
        .await?;
    Ok(AppendOutcome::Appended)
}

/// The root device authenticates with the root key, so it follows the root.
async fn rotate_root(
    conn: &mut PgConnection,
    new_root: &VerifyingKey,
) -> Result<AppendOutcome, StoreError> {
    let old: Option<[u8; 32]> = sqlx::query_scalar("SELECT signing_key FROM root FOR UPDATE")
        .fetch_optional(&mut *conn)
        .await?;
    let Some(old) = old else {
        return Ok(AppendOutcome::Inconsistent("the broker has no root"));
    };
    if desks::signing_key_used(conn, new_root).await? {
        return Ok(AppendOutcome::Inconsistent(
            "the new root key belongs to a device",
        ));
    }
    sqlx::query("UPDATE root SET signing_key = $1")
        .bind(new_root.as_bytes())
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE devices SET signing_key = $1 WHERE signing_key = $2")
        .bind(new_root.as_bytes())
        .bind(old)
        .execute(conn)
        .await?;
    Ok(AppendOutcome::Appended)
}

pub(super) async fn since(pool: &PgPool, seq: u64) -> Result<Vec<StoredEntry>, StoreError> {
    let Ok(from) = i64::try_from(seq) else {
        // Past any position a BIGINT can hold: past the head.
        return Ok(Vec::new());
    };
    let rows: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT seq, entry FROM directory_entries WHERE seq >= $1 ORDER BY seq")
            .bind(from)
            .fetch_all(pool)
            .await?;
    rows.into_iter()
        .map(|(seq, bytes)| {
            Ok(StoredEntry {
                seq: codec::to_u64("directory seq", seq)?,
                bytes,
            })
        })
        .collect()
}
