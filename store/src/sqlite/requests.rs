//! Invites and pending requests (ADR 0004). Writes run on the writer's
//! connection inside the op's savepoint; every check comes before the first
//! write, and the writer rolls back any outcome but `Created` regardless.

use referral_protocol::{DeskId, DeviceId, RecipientKey, RequestId, VerifyingKey};
use sqlx::{SqliteConnection, SqlitePool};

use super::{codec, codec::request_columns, desks};
use crate::directory_effects::Expected;
use crate::encoding::Word;
use crate::{
    EnrollOutcome, Invite, Request, RequestKind, RequestSignatures, RotationOutcome, StoreError,
    UnixTime, to_hour,
};

pub(super) async fn create_invite(
    conn: &mut SqliteConnection,
    invite: &Invite,
) -> Result<(), StoreError> {
    if !desks::desk_exists(conn, &invite.desk).await? {
        return Err(StoreError::UnknownDesk);
    }
    sqlx::query(
        "INSERT INTO invites (code_hash, desk_id, role, created_at, expires_at) \
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&invite.code_hash[..])
    .bind(invite.desk.as_str())
    .bind(Word::word(invite.role))
    .bind(invite.created_at)
    .bind(invite.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// An unexpired invite, on the writer's connection or the read pool. Used
/// invites are deleted, so "unused" needs no column.
pub(super) async fn invite<'e>(
    conn: impl sqlx::SqliteExecutor<'e>,
    code_hash: &[u8; 32],
    now: UnixTime,
) -> Result<Option<Invite>, StoreError> {
    let row: Option<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT desk_id, role, created_at, expires_at FROM invites \
         WHERE code_hash = ? AND expires_at > ?",
    )
    .bind(&code_hash[..])
    .bind(now)
    .fetch_optional(conn)
    .await?;
    row.map(|(desk, role, created_at, expires_at)| {
        Ok(Invite {
            code_hash: *code_hash,
            desk: codec::desk_id(&desk)?,
            role: codec::decode(&role)?,
            created_at,
            expires_at,
        })
    })
    .transpose()
}

/// Whether a device row or another pending request already has this device
/// id (`device`) or signing key. A rotation of `except_rotation_of` is left
/// out: a newer rotation of the same device replaces it.
async fn taken(
    conn: &mut SqliteConnection,
    device: Option<&DeviceId>,
    key: &VerifyingKey,
    except_rotation_of: Option<&DeviceId>,
) -> Result<bool, StoreError> {
    if let Some(device) = device {
        let asked = sqlx::query("SELECT 1 FROM requests WHERE device_id = ?")
            .bind(&device.as_bytes()[..])
            .fetch_optional(&mut *conn)
            .await?;
        if asked.is_some() || desks::device_exists(conn, device).await? {
            return Ok(true);
        }
    }
    if desks::signing_key_used(conn, key).await? {
        return Ok(true);
    }
    let exempt = except_rotation_of.map(|d| d.as_bytes().to_vec());
    let asked = sqlx::query(
        "SELECT 1 FROM requests WHERE signing_key = ?1 \
         AND NOT (kind = 'rotation' AND device_id IS ?2)",
    )
    .bind(&key.as_bytes()[..])
    .bind(exempt)
    .fetch_optional(conn)
    .await?;
    Ok(asked.is_some())
}

pub(super) async fn submit_enrollment(
    conn: &mut SqliteConnection,
    code_hash: &[u8; 32],
    now: UnixTime,
    request: &Request,
) -> Result<EnrollOutcome, StoreError> {
    if request.kind() != RequestKind::Enrollment {
        return Err(StoreError::Invalid("not an enrollment request"));
    }
    let Some(invite) = invite(&mut *conn, code_hash, now).await? else {
        return Ok(EnrollOutcome::BadCode);
    };
    if request.desk.as_ref() != Some(&invite.desk) || request.role != invite.role {
        return Ok(EnrollOutcome::BadCode);
    }
    if taken(conn, Some(&request.device), &request.signing_key, None).await? {
        return Ok(EnrollOutcome::DeviceExists);
    }
    sqlx::query("DELETE FROM invites WHERE code_hash = ?")
        .bind(&code_hash[..])
        .execute(&mut *conn)
        .await?;
    insert(conn, request).await?;
    Ok(EnrollOutcome::Created)
}

pub(super) async fn submit_rotation(
    conn: &mut SqliteConnection,
    request: &Request,
) -> Result<RotationOutcome, StoreError> {
    if request.kind() != RequestKind::Rotation {
        return Err(StoreError::Invalid("not a rotation request"));
    }
    let active = sqlx::query("SELECT 1 FROM devices WHERE id = ? AND state = 'active'")
        .bind(&request.device.as_bytes()[..])
        .fetch_optional(&mut *conn)
        .await?;
    if active.is_none() {
        return Ok(RotationOutcome::UnknownDevice);
    }
    if taken(conn, None, &request.signing_key, Some(&request.device)).await? {
        return Ok(RotationOutcome::KeyInUse);
    }
    sqlx::query("DELETE FROM requests WHERE device_id = ? AND kind = 'rotation'")
        .bind(&request.device.as_bytes()[..])
        .execute(&mut *conn)
        .await?;
    insert(conn, request).await?;
    Ok(RotationOutcome::Created)
}

async fn insert(conn: &mut SqliteConnection, r: &Request) -> Result<(), StoreError> {
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
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&r.id.as_bytes()[..])
    .bind(Word::word(r.kind()))
    .bind(&r.device.as_bytes()[..])
    .bind(r.desk.as_ref().map(DeskId::as_str))
    .bind(Word::word(r.role))
    .bind(&r.signing_key.as_bytes()[..])
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
    conn: &mut SqliteConnection,
    id: &RequestId,
    expected: Expected<'_>,
) -> Result<bool, StoreError> {
    let (check_placement, desk, role) = match expected.placement {
        Some((desk, role)) => (true, desk.map(DeskId::as_str), Some(Word::word(role))),
        None => (false, None, None),
    };
    let done = sqlx::query(
        "DELETE FROM requests WHERE id = ?1 AND kind = ?2 AND device_id = ?3 \
         AND signing_key = ?4 AND age_recipient = ?5 \
         AND (NOT ?6 OR (desk_id IS ?7 AND role = ?8)) AND pq_recipient IS ?9",
    )
    .bind(&id.as_bytes()[..])
    .bind(Word::word(expected.kind))
    .bind(&expected.device.as_bytes()[..])
    .bind(&expected.signing_key.as_bytes()[..])
    .bind(expected.age_recipient.as_str())
    .bind(check_placement)
    .bind(desk)
    .bind(role)
    .bind(expected.pq_recipient.map(RecipientKey::as_str))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn pending(pool: &SqlitePool) -> Result<Vec<Request>, StoreError> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        request_columns!(),
        " FROM requests ORDER BY arrival"
    ))
    .fetch_all(pool)
    .await?;
    rows.iter().map(codec::request).collect()
}

pub(super) async fn request(
    pool: &SqlitePool,
    id: &RequestId,
) -> Result<Option<Request>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        request_columns!(),
        " FROM requests WHERE id = ?"
    ))
    .bind(&id.as_bytes()[..])
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(codec::request).transpose()
}
