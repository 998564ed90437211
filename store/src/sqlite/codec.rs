//! Between Rust values and SQLite columns. Ids are stored as their 16 raw
//! bytes, keys and hashes as raw bytes, enums as the words of
//! [`crate::encoding`]. Everything read back is parsed again, so a damaged row
//! surfaces as [`StoreError::Corrupt`] instead of a wrong value.

use referral_protocol::{DeskId, DeviceId, PacketId, RequestId, ThreadId, VerifyingKey};
use secrecy::SecretSlice;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

pub(super) use crate::encoding::decode;
use crate::{
    Desk, Device, PacketMeta, Request, RequestKind, RequestSignatures, StoreError, TokenKey,
};

/// The columns [`packet_meta`] reads, in a macro so that `concat!` can build
/// `&'static str` queries from it (sqlx 0.9 takes no runtime strings).
macro_rules! packet_columns {
    () => {
        "id, thread_id, sender_desk, recipient_desk, bytes, sha256, kind, delivery, \
         received_hour, expires_at"
    };
}
pub(super) use packet_columns;

/// The columns [`request`] reads.
macro_rules! request_columns {
    () => {
        "id, kind, device_id, desk_id, role, signing_key, age_recipient, pq_recipient, \
         device_signature, old_key_signature, new_key_signature, created_hour"
    };
}
pub(super) use request_columns;

/// The columns [`device`] reads.
macro_rules! device_columns {
    () => {
        "id, desk_id, role, signing_key, age_recipient, state, created_at"
    };
}
pub(super) use device_columns;

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

pub(super) fn desk_id(s: &str) -> Result<DeskId, StoreError> {
    s.parse().map_err(|_| corrupt("desk id"))
}

fn id16(bytes: &[u8], what: &str) -> Result<[u8; 16], StoreError> {
    bytes.try_into().map_err(|_| corrupt(what))
}

pub(super) fn bytes32(bytes: &[u8], what: &str) -> Result<[u8; 32], StoreError> {
    bytes.try_into().map_err(|_| corrupt(what))
}

pub(super) fn packet_id(bytes: &[u8]) -> Result<PacketId, StoreError> {
    PacketId::from_bytes(id16(bytes, "packet id")?).map_err(|_| corrupt("packet id"))
}

pub(super) fn thread_id(bytes: &[u8]) -> Result<ThreadId, StoreError> {
    ThreadId::from_bytes(id16(bytes, "thread id")?).map_err(|_| corrupt("thread id"))
}

pub(super) fn request_id(bytes: &[u8]) -> Result<RequestId, StoreError> {
    RequestId::from_bytes(id16(bytes, "request id")?).map_err(|_| corrupt("request id"))
}

fn signature(bytes: Option<Vec<u8>>, what: &str) -> Result<[u8; 64], StoreError> {
    bytes
        .ok_or_else(|| corrupt(what))?
        .try_into()
        .map_err(|_| corrupt(what))
}

/// A row selected with [`request_columns!`].
pub(super) fn request(row: &SqliteRow) -> Result<Request, StoreError> {
    let desk: Option<&str> = row.try_get("desk_id")?;
    let recipient: &str = row.try_get("age_recipient")?;
    let pq_recipient: Option<&str> = row.try_get("pq_recipient")?;
    let signatures = match decode(row.try_get("kind")?)? {
        RequestKind::Enrollment => RequestSignatures::Enrollment {
            device_signature: signature(row.try_get("device_signature")?, "device signature")?,
        },
        RequestKind::Rotation => RequestSignatures::Rotation {
            old_key_signature: signature(row.try_get("old_key_signature")?, "old key signature")?,
            new_key_signature: signature(row.try_get("new_key_signature")?, "new key signature")?,
        },
    };
    Ok(Request {
        id: request_id(row.try_get("id")?)?,
        device: device_id(row.try_get("device_id")?)?,
        desk: desk.map(desk_id).transpose()?,
        role: decode(row.try_get("role")?)?,
        signing_key: VerifyingKey(bytes32(row.try_get("signing_key")?, "signing key")?),
        age_recipient: recipient.parse().map_err(|_| corrupt("age recipient"))?,
        pq_recipient: pq_recipient
            .map(|r| r.parse().map_err(|_| corrupt("pq recipient")))
            .transpose()?,
        signatures,
        created_at: row.try_get("created_hour")?,
    })
}

pub(super) fn device_id(bytes: &[u8]) -> Result<DeviceId, StoreError> {
    DeviceId::from_bytes(id16(bytes, "device id")?).map_err(|_| corrupt("device id"))
}

/// SQLite integers are signed; sizes are not.
pub(super) fn unsigned(n: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| corrupt(what))
}

/// The other way; a size beyond `i64::MAX` cannot be stored.
pub(super) fn signed(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::Corrupt("size beyond i64".into()))
}

pub(super) fn desk(row: &SqliteRow) -> Result<Desk, StoreError> {
    Ok(Desk {
        id: desk_id(row.try_get("id")?)?,
        name: row.try_get("name")?,
        prefecture: row.try_get("prefecture")?,
        languages: row.try_get("languages")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(super) fn device(row: &SqliteRow) -> Result<Device, StoreError> {
    let desk: Option<&str> = row.try_get("desk_id")?;
    let recipient: &str = row.try_get("age_recipient")?;
    Ok(Device {
        id: device_id(row.try_get("id")?)?,
        desk: desk.map(desk_id).transpose()?,
        role: decode(row.try_get("role")?)?,
        signing_key: VerifyingKey(bytes32(row.try_get("signing_key")?, "signing key")?),
        age_recipient: recipient.parse().map_err(|_| corrupt("age recipient"))?,
        state: decode(row.try_get("state")?)?,
        created_at: row.try_get("created_at")?,
    })
}

pub(super) fn token_key(row: &SqliteRow) -> Result<TokenKey, StoreError> {
    let pkcs8: Vec<u8> = row.try_get("pkcs8")?;
    Ok(TokenKey {
        kid: row.try_get("kid")?,
        pkcs8: SecretSlice::from(pkcs8),
        public: VerifyingKey(bytes32(row.try_get("public")?, "token public key")?),
        created_at: row.try_get("created_at")?,
        retired_at: row.try_get("retired_at")?,
    })
}

/// A row selected with [`packet_columns!`].
pub(super) fn packet_meta(row: &SqliteRow) -> Result<PacketMeta, StoreError> {
    Ok(PacketMeta {
        id: packet_id(row.try_get("id")?)?,
        thread_id: thread_id(row.try_get("thread_id")?)?,
        sender_desk: desk_id(row.try_get("sender_desk")?)?,
        recipient_desk: desk_id(row.try_get("recipient_desk")?)?,
        bytes: unsigned(row.try_get("bytes")?, "packet size")?,
        sha256: bytes32(row.try_get("sha256")?, "packet sha256")?,
        kind: decode(row.try_get("kind")?)?,
        delivery: decode(row.try_get("delivery")?)?,
        received_hour: row.try_get("received_hour")?,
        expires_at: row.try_get("expires_at")?,
    })
}
