//! How the row types travel to and from PostgreSQL.
//!
//! Ids are bound as text and cast to `uuid` in SQL (`$1::uuid`), and read
//! back as `id::text`: the workspace builds sqlx without its `uuid` feature,
//! and PostgreSQL prints UUIDs in exactly the lowercase hyphenated form the
//! id types accept. Every value read back is parsed again, so a damaged row
//! is a [`StoreError::Corrupt`], never a wrong answer.

use referral_protocol::{DeskId, DeviceId, PacketId, ThreadId, VerifyingKey};
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::{Desk, Device, PacketMeta, StoreError, UnixTime};

/// The columns [`packet_meta`] reads, as a literal for `concat!` (queries
/// must be `&'static str`), so every query returning packet metadata selects
/// the same thing.
macro_rules! packet_columns {
    () => {
        "id::text AS id, thread_id::text AS thread_id, sender_desk, recipient_desk, \
         bytes, sha256, kind, delivery, received_hour, expires_at"
    };
}
pub(super) use packet_columns;

/// The columns [`device`] reads.
macro_rules! device_columns {
    () => {
        "id::text AS id, desk_id, role, signing_key, age_recipient, state, created_at"
    };
}
pub(super) use device_columns;

/// The columns [`desk`] reads.
macro_rules! desk_columns {
    () => {
        "id, name, prefecture, languages, created_at"
    };
}
pub(super) use desk_columns;

pub(super) use crate::encoding::{decode, parse};

/// A size for a BIGINT column.
pub(super) fn to_i64(what: &str, n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::Corrupt(format!("{what} {n} is out of range")))
}

/// A BIGINT size read back.
pub(super) fn to_u64(what: &str, n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("{what} {n} is negative")))
}

/// Rounds a time up to the next whole hour (a whole hour stays as it is).
/// Acknowledgement times are kept this coarse; rounding up rather than down
/// means the grace period before deletion is never shortened.
pub(super) fn ceil_hour(t: UnixTime) -> UnixTime {
    crate::to_hour(t.saturating_add(3599))
}

pub(super) fn packet_meta(row: &PgRow) -> Result<PacketMeta, StoreError> {
    Ok(PacketMeta {
        id: parse::<PacketId>("packet id", row.try_get("id")?)?,
        thread_id: parse::<ThreadId>("thread id", row.try_get("thread_id")?)?,
        sender_desk: parse::<DeskId>("desk id", row.try_get("sender_desk")?)?,
        recipient_desk: parse::<DeskId>("desk id", row.try_get("recipient_desk")?)?,
        bytes: to_u64("packet size", row.try_get("bytes")?)?,
        sha256: row.try_get("sha256")?,
        kind: decode(row.try_get("kind")?)?,
        delivery: decode(row.try_get("delivery")?)?,
        received_hour: row.try_get("received_hour")?,
        expires_at: row.try_get("expires_at")?,
    })
}

pub(super) fn device(row: &PgRow) -> Result<Device, StoreError> {
    let desk: Option<&str> = row.try_get("desk_id")?;
    Ok(Device {
        id: parse::<DeviceId>("device id", row.try_get("id")?)?,
        desk: desk.map(|d| parse::<DeskId>("desk id", d)).transpose()?,
        role: decode(row.try_get("role")?)?,
        signing_key: VerifyingKey(row.try_get("signing_key")?),
        age_recipient: parse("age recipient", row.try_get("age_recipient")?)?,
        state: decode(row.try_get("state")?)?,
        created_at: row.try_get("created_at")?,
    })
}

pub(super) fn desk(row: &PgRow) -> Result<Desk, StoreError> {
    Ok(Desk {
        id: parse::<DeskId>("desk id", row.try_get("id")?)?,
        name: row.try_get("name")?,
        prefecture: row.try_get("prefecture")?,
        languages: row.try_get("languages")?,
        created_at: row.try_get("created_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceil_hour_rounds_up_only_partial_hours() {
        assert_eq!(ceil_hour(7200), 7200);
        assert_eq!(ceil_hour(7201), 10800);
        assert_eq!(ceil_hour(10799), 10800);
    }
}
