//! How the row types travel to and from PostgreSQL.
//!
//! Ids are bound as text and cast to `uuid` in SQL (`$1::uuid`), and read
//! back as `id::text`: the workspace builds sqlx without its `uuid` feature,
//! and PostgreSQL prints UUIDs in exactly the lowercase hyphenated form the
//! id types accept. Every value read back is parsed again, so a damaged row
//! is a [`StoreError::Corrupt`], never a wrong answer.

use std::str::FromStr;

use referral_protocol::{DeskId, DeviceId, PacketId, ThreadId, VerifyingKey};
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::{
    DeliveryState, Desk, Device, DeviceState, PacketKind, PacketMeta, Role, StoreError,
    ThreadStatus, UnixTime,
};

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

pub(super) fn role_str(role: Role) -> &'static str {
    match role {
        Role::Caseworker => "caseworker",
        Role::Desk => "desk",
        Role::Admin => "admin",
    }
}

pub(super) fn parse_role(s: &str) -> Result<Role, StoreError> {
    match s {
        "caseworker" => Ok(Role::Caseworker),
        "desk" => Ok(Role::Desk),
        "admin" => Ok(Role::Admin),
        other => Err(corrupt("role", other)),
    }
}

pub(super) fn state_str(state: DeviceState) -> &'static str {
    match state {
        DeviceState::Active => "active",
        DeviceState::Retired => "retired",
        DeviceState::Revoked => "revoked",
    }
}

fn parse_state(s: &str) -> Result<DeviceState, StoreError> {
    match s {
        "active" => Ok(DeviceState::Active),
        "retired" => Ok(DeviceState::Retired),
        "revoked" => Ok(DeviceState::Revoked),
        other => Err(corrupt("device state", other)),
    }
}

pub(super) fn kind_str(kind: PacketKind) -> &'static str {
    match kind {
        PacketKind::Referral => "referral",
        PacketKind::Reply => "reply",
        PacketKind::Forward => "forward",
    }
}

pub(super) fn parse_kind(s: &str) -> Result<PacketKind, StoreError> {
    match s {
        "referral" => Ok(PacketKind::Referral),
        "reply" => Ok(PacketKind::Reply),
        "forward" => Ok(PacketKind::Forward),
        other => Err(corrupt("packet kind", other)),
    }
}

pub(super) fn parse_delivery(s: &str) -> Result<DeliveryState, StoreError> {
    [
        DeliveryState::Pending,
        DeliveryState::Acknowledged,
        DeliveryState::Expired,
    ]
    .into_iter()
    .find(|d| d.as_str() == s)
    .ok_or_else(|| corrupt("delivery state", s))
}

pub(super) fn parse_status(s: &str) -> Result<ThreadStatus, StoreError> {
    s.parse().map_err(|_| corrupt("thread status", s))
}

/// Parses a stored id (or any stored text form) back into its type.
pub(super) fn parse<T: FromStr>(what: &str, s: &str) -> Result<T, StoreError> {
    s.parse().map_err(|_| corrupt(what, s))
}

fn corrupt(what: &str, value: &str) -> StoreError {
    // Keep the message short: a corrupt value is never ciphertext, but there
    // is no reason to copy much of it into a log either.
    let shown: String = value.chars().take(40).collect();
    StoreError::Corrupt(format!("{what} {shown:?}"))
}

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
        kind: parse_kind(row.try_get("kind")?)?,
        delivery: parse_delivery(row.try_get("delivery")?)?,
        received_hour: row.try_get("received_hour")?,
        expires_at: row.try_get("expires_at")?,
    })
}

pub(super) fn device(row: &PgRow) -> Result<Device, StoreError> {
    let desk: Option<&str> = row.try_get("desk_id")?;
    Ok(Device {
        id: parse::<DeviceId>("device id", row.try_get("id")?)?,
        desk: desk.map(|d| parse::<DeskId>("desk id", d)).transpose()?,
        role: parse_role(row.try_get("role")?)?,
        signing_key: VerifyingKey(row.try_get("signing_key")?),
        age_recipient: parse("age recipient", row.try_get("age_recipient")?)?,
        state: parse_state(row.try_get("state")?)?,
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

    #[test]
    fn words_round_trip() {
        for r in [Role::Caseworker, Role::Desk, Role::Admin] {
            assert_eq!(parse_role(role_str(r)).unwrap(), r);
        }
        for s in [
            DeviceState::Active,
            DeviceState::Retired,
            DeviceState::Revoked,
        ] {
            assert_eq!(parse_state(state_str(s)).unwrap(), s);
        }
        for k in [PacketKind::Referral, PacketKind::Reply, PacketKind::Forward] {
            assert_eq!(parse_kind(kind_str(k)).unwrap(), k);
        }
        assert!(matches!(
            parse_delivery("lost"),
            Err(StoreError::Corrupt(_))
        ));
    }
}
