//! Invites and pending requests (ADR 0004).
//!
//! Submitting a request reads (is the invite there, is the key free?) and
//! then writes, across brokers: each submission takes a transaction-scoped
//! advisory lock first, so two submissions never both see a key as free.
//! The unique indexes on `requests` would catch a race anyway, but as an
//! opaque error instead of an answer.

use referral_protocol::{DeskId, DeviceId, RecipientKey, RequestId, VerifyingKey};
use sqlx::Row;
use sqlx::postgres::{PgConnection, PgPool, PgRow};

use super::{codec, desks};
use crate::directory_effects::Expected;
use crate::encoding::Word;
use crate::{
    EnrollOutcome, Invite, Request, RequestKind, RequestSignatures, RotationOutcome, StoreError,
    UnixTime, to_hour,
};

/// Advisory lock key serialising request submissions across brokers.
const REQUESTS_LOCK: i64 = 0x7265_6672_6571_7301; // "refreqs" + 1

async fn lock_requests(conn: &mut PgConnection) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(REQUESTS_LOCK)
        .execute(conn)
        .await?;
    Ok(())
}

/// The columns [`request`] reads.
macro_rules! request_columns {
    () => {
        "id::text AS id, kind, device_id::text AS device_id, desk_id, role, signing_key, \
         age_recipient, pq_recipient, device_signature, old_key_signature, new_key_signature, \
         created_hour"
    };
}

pub(super) async fn create_invite(pool: &PgPool, invite: &Invite) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    if !desks::desk_exists(&mut tx, &invite.desk).await? {
        return Err(StoreError::UnknownDesk);
    }
    sqlx::query(
        "INSERT INTO invites (code_hash, desk_id, role, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(invite.code_hash)
    .bind(invite.desk.as_str())
    .bind(Word::word(invite.role))
    .bind(invite.created_at)
    .bind(invite.expires_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An unexpired invite. Used invites are deleted, so "unused" needs no
/// column. `lock` takes the row for the rest of the transaction.
async fn find_invite(
    conn: &mut PgConnection,
    code_hash: &[u8; 32],
    now: UnixTime,
    lock: bool,
) -> Result<Option<Invite>, StoreError> {
    let sql = if lock {
        "SELECT desk_id, role, created_at, expires_at FROM invites \
         WHERE code_hash = $1 AND expires_at > $2 FOR UPDATE"
    } else {
        "SELECT desk_id, role, created_at, expires_at FROM invites \
         WHERE code_hash = $1 AND expires_at > $2"
    };
    let row: Option<(String, String, i64, i64)> = sqlx::query_as(sql)
        .bind(code_hash)
        .bind(now)
        .fetch_optional(conn)
        .await?;
    row.map(|(desk, role, created_at, expires_at)| {
        Ok(Invite {
            code_hash: *code_hash,
            desk: codec::parse("desk id", &desk)?,
            role: codec::decode(&role)?,
            created_at,
            expires_at,
        })
    })
    .transpose()
}

pub(super) async fn invite(
    pool: &PgPool,
    code_hash: &[u8; 32],
    now: UnixTime,
) -> Result<Option<Invite>, StoreError> {
    let mut conn = pool.acquire().await?;
    find_invite(&mut conn, code_hash, now, false).await
}

/// Whether a device row or another pending request already has this device
/// id (`device`) or signing key. A rotation of `except_rotation_of` is left
/// out: a newer rotation of the same device replaces it.
async fn taken(
    conn: &mut PgConnection,
    device: Option<&DeviceId>,
    key: &VerifyingKey,
    except_rotation_of: Option<&DeviceId>,
) -> Result<bool, StoreError> {
    if let Some(device) = device {
        let asked = sqlx::query("SELECT 1 FROM requests WHERE device_id = $1::uuid")
            .bind(device.to_string())
            .fetch_optional(&mut *conn)
            .await?;
        if asked.is_some() || desks::device_exists(conn, device).await? {
            return Ok(true);
        }
    }
    if desks::signing_key_used(conn, key).await? {
        return Ok(true);
    }
    let asked = sqlx::query(
        "SELECT 1 FROM requests WHERE signing_key = $1 \
         AND NOT (kind = 'rotation' AND device_id IS NOT DISTINCT FROM $2::uuid)",
    )
    .bind(key.as_bytes())
    .bind(except_rotation_of.map(|d| d.to_string()))
    .fetch_optional(conn)
    .await?;
    Ok(asked.is_some())
}

pub(super) async fn submit_enrollment(
    pool: &PgPool,
    code_hash: &[u8; 32],
    now: UnixTime,
    request: &Request,
) -> Result<EnrollOutcome, StoreError> {
    if request.kind() != RequestKind::Enrollment {
        return Err(StoreError::Invalid("not an enrollment request"));
    }
    let mut tx = pool.begin().await?;
    lock_requests(&mut tx).await?;
    let Some(invite) = find_invite(&mut tx, code_hash, now, true).await? else {
        return Ok(EnrollOutcome::BadCode);
    };
    if request.desk.as_ref() != Some(&invite.desk) || request.role != invite.role {
        return Ok(EnrollOutcome::BadCode);
    }
    if taken(&mut tx, Some(&request.device), &request.signing_key, None).await? {
        return Ok(EnrollOutcome::DeviceExists);
    }
    sqlx::query("DELETE FROM invites WHERE code_hash = $1")
        .bind(code_hash)
        .execute(&mut *tx)
        .await?;
    insert(&mut tx, request).await?;
    tx.commit().await?;
    Ok(EnrollOutcome::Created)
}

pub(super) async fn submit_rotation(
    pool: &PgPool,
    request: &Request,
) -> Result<RotationOutcome, StoreError> {
    if request.kind() != RequestKind::Rotation {
        return Err(StoreError::Invalid("not a rotation request"));
    }
    let mut tx = pool.begin().await?;
    lock_requests(&mut tx).await?;
    // Locks the device row: a revocation appended meanwhile waits for this
    // transaction, then drops the request with the device's others.
    let active =
        sqlx::query("SELECT 1 FROM devices WHERE id = $1::uuid AND state = 'active' FOR UPDATE")
            .bind(request.device.to_string())
            .fetch_optional(&mut *tx)
            .await?;
    if active.is_none() {
        return Ok(RotationOutcome::UnknownDevice);
    }
    if taken(&mut tx, None, &request.signing_key, Some(&request.device)).await? {
        return Ok(RotationOutcome::KeyInUse);
    }
    sqlx::query("DELETE FROM requests WHERE device_id = $1::uuid AND kind = 'rotation'")
        .bind(request.device.to_string())
        .execute(&mut *tx)
        .await?;
    insert(&mut tx, request).await?;
    tx.commit().await?;
    Ok(RotationOutcome::Created)
}

async fn insert(conn: &mut PgConnection, r: &Request) -> Result<(), StoreError> {
    let (device_signature, old_key_signature, new_key_signature) = match &r.signatures {
        RequestSignatures::Enrollment { device_signature } => (Some(device_signature), None, None),
        RequestSignatures::Rotation {
            old_key_signature,
            new_key_signature,
        } => (None, Some(old_key_signature), Some(new_key_signature)),
    };
    sqlx::query(
        "INSERT INTO requests (id, kind, device_id, desk_id, role, signing_key, age_recipient, \
         pq_recipient, device_signature, old_key_signature, new_key_signature, created_hour) \
         VALUES ($1::uuid, $2, $3::uuid, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(r.id.to_string())
    .bind(Word::word(r.kind()))
    .bind(r.device.to_string())
    .bind(r.desk.as_ref().map(DeskId::as_str))
    .bind(Word::word(r.role))
    .bind(r.signing_key.as_bytes())
    .bind(r.age_recipient.as_str())
    .bind(r.pq_recipient.as_ref().map(RecipientKey::as_str))
    .bind(device_signature.map(|s| &s[..]))
    .bind(old_key_signature.map(|s| &s[..]))
    .bind(new_key_signature.map(|s| &s[..]))
    .bind(to_hour(r.created_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes the pending request `id` if it asks for exactly `expected`;
/// `false` (nothing deleted) otherwise. Rows never change once stored, so a
/// request that matched when the broker checked it still matches here
/// unless it was closed or replaced meanwhile.
pub(super) async fn close(
    conn: &mut PgConnection,
    id: &RequestId,
    expected: Expected<'_>,
) -> Result<bool, StoreError> {
    let (check_placement, desk, role) = match expected.placement {
        Some((desk, role)) => (true, desk.map(DeskId::as_str), Some(Word::word(role))),
        None => (false, None, None),
    };
    let done = sqlx::query(
        "DELETE FROM requests WHERE id = $1::uuid AND kind = $2 AND device_id = $3::uuid \
         AND signing_key = $4 AND age_recipient = $5 \
         AND (NOT $6 OR (desk_id IS NOT DISTINCT FROM $7 AND role = $8)) \
         AND pq_recipient IS NOT DISTINCT FROM $9",
    )
    .bind(id.to_string())
    .bind(Word::word(expected.kind))
    .bind(expected.device.to_string())
    .bind(expected.signing_key.as_bytes())
    .bind(expected.age_recipient.as_str())
    .bind(check_placement)
    .bind(desk)
    .bind(role)
    .bind(expected.pq_recipient.map(RecipientKey::as_str))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

fn signature(row: &PgRow, column: &str) -> Result<[u8; 64], StoreError> {
    let bytes: Option<Vec<u8>> = row.try_get(column)?;
    bytes
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| StoreError::Corrupt(format!("request {column}")))
}

fn request(row: &PgRow) -> Result<Request, StoreError> {
    let desk: Option<&str> = row.try_get("desk_id")?;
    let signatures = match row.try_get::<&str, _>("kind")? {
        "enrollment" => RequestSignatures::Enrollment {
            device_signature: signature(row, "device_signature")?,
        },
        "rotation" => RequestSignatures::Rotation {
            old_key_signature: signature(row, "old_key_signature")?,
            new_key_signature: signature(row, "new_key_signature")?,
        },
        other => return Err(StoreError::Corrupt(format!("request kind {other:?}"))),
    };
    Ok(Request {
        id: codec::parse("request id", row.try_get("id")?)?,
        device: codec::parse("device id", row.try_get("device_id")?)?,
        desk: desk.map(|d| codec::parse("desk id", d)).transpose()?,
        role: codec::decode(row.try_get("role")?)?,
        signing_key: VerifyingKey(row.try_get("signing_key")?),
        age_recipient: codec::parse("age recipient", row.try_get("age_recipient")?)?,
        pq_recipient: row
            .try_get::<Option<&str>, _>("pq_recipient")?
            .map(|r| codec::parse("pq recipient", r))
            .transpose()?,
        signatures,
        created_at: row.try_get("created_hour")?,
    })
}

pub(super) async fn pending(pool: &PgPool) -> Result<Vec<Request>, StoreError> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        request_columns!(),
        " FROM requests ORDER BY ord"
    ))
    .fetch_all(pool)
    .await?;
    rows.iter().map(request).collect()
}

pub(super) async fn request_by_id(
    pool: &PgPool,
    id: &RequestId,
) -> Result<Option<Request>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        request_columns!(),
        " FROM requests WHERE id = $1::uuid"
    ))
    .bind(id.to_string())
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(request).transpose()
}
