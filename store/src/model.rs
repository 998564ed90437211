//! The rows the broker keeps. Nothing here can hold plaintext: packets are
//! ciphertext plus the desk-level routing metadata of SPEC §2.2 (random ids,
//! desks, padded size, coarse status, hour-truncated times, expiry). No
//! device or person id is stored next to a packet.

use std::fmt;

pub use referral_protocol::status::{Party, ThreadStatus, UnknownStatus};
use referral_protocol::{DeskId, DeviceId, PacketId, RecipientKey, ThreadId, VerifyingKey};
use secrecy::SecretSlice;

/// Seconds since the Unix epoch.
pub type UnixTime = i64;

/// Truncates a time to the hour, as every stored packet time is (SPEC §2.2).
pub fn to_hour(t: UnixTime) -> UnixTime {
    t - t.rem_euclid(3600)
}

/// A partner desk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desk {
    /// The desk's id.
    pub id: DeskId,
    /// The organisation's display name (not personal data).
    pub name: String,
    /// ISO 3166-2:JP code, if given.
    pub prefecture: Option<String>,
    /// BCP 47 codes the desk serves, comma-separated, if given.
    pub languages: Option<String>,
    /// When it was created.
    pub created_at: UnixTime,
}

/// What a device may do (the protocol's one definition).
pub use referral_protocol::Role;

/// A device's state. Only `Active` devices get tokens or new packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceState {
    /// Enrolled and in use.
    Active,
    /// Replaced (its keys still open old packets on the device itself).
    Retired,
    /// Lost or compromised: refused from its next request on.
    Revoked,
}

/// An enrolled device's public record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// The device's id.
    pub id: DeviceId,
    /// Its desk (`None` for administrators who belong to no desk).
    pub desk: Option<DeskId>,
    /// Its role.
    pub role: Role,
    /// Its current Ed25519 key (auth and packet signatures).
    pub signing_key: VerifyingKey,
    /// Its current age recipient.
    pub age_recipient: RecipientKey,
    /// Its state.
    pub state: DeviceState,
    /// When it was enrolled.
    pub created_at: UnixTime,
}

/// A broker token-signing key (Ed25519). The private half never leaves the
/// store and the process; `Debug` redacts it.
pub struct TokenKey {
    /// Key id, carried in every token's header.
    pub kid: String,
    /// PKCS#8 document of the private key.
    pub pkcs8: SecretSlice<u8>,
    /// Raw public key.
    pub public: VerifyingKey,
    /// When it was made.
    pub created_at: UnixTime,
    /// After this time tokens are no longer signed with it; tokens it signed
    /// stay valid until `retired_at` + the token lifetime (the overlap window).
    pub retired_at: Option<UnixTime>,
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKey")
            .field("kid", &self.kid)
            .field("pkcs8", &"[REDACTED]")
            .field("public", &self.public)
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .finish()
    }
}

/// Why a packet was sent, with what its thread needs (a reply's status, a
/// forward's forwarded thread), and the data-less word the database keeps:
/// the protocol's one definition.
pub use referral_protocol::{PacketKind, PacketKindWord};

/// A packet's own delivery state (the protocol's one definition).
pub use referral_protocol::DeliveryState;

/// A packet to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPacket {
    /// The client's random packet id.
    pub id: PacketId,
    /// Its thread.
    pub thread_id: ThreadId,
    /// The sending desk (from the sender's token, never from the request).
    pub sender_desk: DeskId,
    /// The addressed desk.
    pub recipient_desk: DeskId,
    /// Ciphertext length (a published bucket).
    pub bytes: u64,
    /// SHA-256 of the ciphertext: the idempotency check compares it.
    pub sha256: [u8; 32],
    /// Why it was sent, with the reply's status or the forwarded thread.
    pub kind: PacketKind,
    /// When it arrived, truncated to the hour.
    pub received_hour: UnixTime,
    /// When it expires if nobody acknowledges it.
    pub expires_at: UnixTime,
}

/// A stored packet's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketMeta {
    /// Packet id.
    pub id: PacketId,
    /// Thread id.
    pub thread_id: ThreadId,
    /// Sending desk.
    pub sender_desk: DeskId,
    /// Addressed desk.
    pub recipient_desk: DeskId,
    /// Ciphertext length.
    pub bytes: u64,
    /// SHA-256 of the ciphertext.
    pub sha256: [u8; 32],
    /// Why it was sent.
    pub kind: PacketKindWord,
    /// Delivery state.
    pub delivery: DeliveryState,
    /// Arrival hour.
    pub received_hour: UnixTime,
    /// Expiry.
    pub expires_at: UnixTime,
}

/// The result of storing a packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    /// Newly stored.
    Stored(PacketMeta),
    /// The same id with the same bytes was stored before: the same answer.
    Duplicate(PacketMeta),
    /// The same id with other bytes, or from another desk: refused (409).
    Conflict,
    /// The id was delivered and purged (tombstone): refused (410).
    Gone,
    /// The addressed desk does not exist (404 / 422).
    UnknownDesk,
    /// A reply or forward names a thread that does not exist, or that the
    /// sending desk is not a party to.
    UnknownThread,
    /// The thread exists, but this status change is not allowed.
    IllegalTransition {
        /// The thread's status now.
        from: ThreadStatus,
        /// The status asked for.
        to: ThreadStatus,
    },
    /// A referral reuses an existing thread id.
    ThreadExists,
}

/// The result of an acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckOutcome {
    /// Acknowledged now (or already acknowledged: acks are idempotent).
    Acknowledged,
    /// No such packet addressed to this desk.
    NotFound,
    /// The packet expired before it was acknowledged.
    Expired,
}

/// A thread's coarse state, as its parties see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thread {
    /// Thread id.
    pub id: ThreadId,
    /// The desk that sent the referral.
    pub sender_desk: DeskId,
    /// The desk it was addressed to.
    pub recipient_desk: DeskId,
    /// Current status.
    pub status: ThreadStatus,
    /// Every status change, oldest first.
    pub events: Vec<ThreadEvent>,
}

/// One page of "my desk's threads changed since N" (ADR 0014).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadChanges {
    /// The changed threads, each with the sequence number of its last
    /// change, in that order.
    pub threads: Vec<(u64, Thread)>,
    /// Whether more changed threads follow the last one listed.
    pub more: bool,
    /// The newest change the store has for anyone (the highest cursor it
    /// ever issued), so that a cursor beyond it can be refused.
    pub head: u64,
}

/// The most threads one page of [`ThreadChanges`] may hold.
pub const THREAD_CHANGES_PAGE_MAX: u32 = 100;

/// One status change, with its hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadEvent {
    /// The new status.
    pub status: ThreadStatus,
    /// When, truncated to the hour.
    pub at_hour: UnixTime,
}

/// What a purge did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Acknowledged packets whose ciphertext was deleted.
    pub purged: u64,
    /// Unread packets that expired (ciphertext deleted, sender sees `expired`).
    pub expired: u64,
    /// Closed threads deleted after the retention period (ADR 0019 §1);
    /// each was folded into `admin stats`' weekly counts.
    pub threads_deleted: u64,
}

/// The times one purge works from (all seconds since the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgeCutoffs {
    /// Now: unread packets past their expiry expire; stale challenges,
    /// invites and staged token keys go.
    pub now: UnixTime,
    /// Ciphertext acknowledged before this is deleted (now − grace).
    pub acked_before: UnixTime,
    /// A closed thread whose last event's hour is before this, and which
    /// no packet row names any more, is deleted (now − retention).
    pub closed_before: UnixTime,
}

/// Counts for `/metrics` and `admin stats`: numbers only, no ids.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Packets waiting to be read.
    pub pending_packets: u64,
    /// Acknowledged packets not yet purged.
    pub acknowledged_packets: u64,
    /// Packets that expired unread, whose rows wait for the purge.
    pub expired_packets: u64,
    /// Bytes of ciphertext held.
    pub stored_bytes: u64,
    /// Desks.
    pub desks: u64,
    /// Active devices.
    pub active_devices: u64,
}

/// Seconds in a week.
pub const WEEK: UnixTime = 7 * 24 * 3600;

/// Monday 00:00 UTC of the ISO week holding `t`. The Unix epoch fell on a
/// Thursday, so Mondays are 4 days (345 600 s) past a multiple of a week.
pub fn week_start(t: UnixTime) -> UnixTime {
    const FIRST_MONDAY: UnixTime = 4 * 24 * 3600;
    t - (t - FIRST_MONDAY).rem_euclid(WEEK)
}

/// One row of `admin stats`: how many threads a desk received that started
/// in one week and are in one status now. Counts only: no thread, packet or
/// device id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadStat {
    /// The desk the referral was addressed to.
    pub desk: DeskId,
    /// The threads' coarse status now.
    pub status: ThreadStatus,
    /// [`week_start`] of the hour the threads were opened.
    pub week_start: UnixTime,
    /// How many.
    pub threads: u64,
}

/// The order `admin stats` lists rows in: by desk, week, then status in
/// lifecycle order. Both backends sort with this, so they answer alike.
pub(crate) fn sort_stats(stats: &mut [ThreadStat]) {
    stats.sort_by(|a, b| (&a.desk, a.week_start, a.status).cmp(&(&b.desk, b.week_start, b.status)));
}

/// A rewrap (ADR 0004): the recipient desk replaces a pending packet's
/// ciphertext with one whose age header changed and whose payload did not
/// (the broker compared them before asking the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewrapPacket {
    /// The packet.
    pub id: PacketId,
    /// The desk asking: must be the packet's recipient.
    pub desk: DeskId,
    /// SHA-256 of the ciphertext being replaced: a compare-and-swap, so two
    /// devices of one desk cannot undo each other's rewrap.
    pub replaces: [u8; 32],
    /// SHA-256 of the new ciphertext.
    pub sha256: [u8; 32],
    /// Its length, which must be the stored one.
    pub bytes: u64,
}

/// What a rewrap did. Only `Rewrapped` changed anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RewrapOutcome {
    /// The new ciphertext replaced the old one.
    Rewrapped(PacketMeta),
    /// No such packet addressed to this desk.
    NotFound,
    /// The packet is no longer pending.
    NotPending(DeliveryState),
    /// The stored ciphertext is not the one `replaces` names (someone
    /// rewrapped it first), or its length differs.
    Stale,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_midnight_utc() {
        // 2026-11-16 was a Monday; 2026-11-22 23:59:59 the Sunday after.
        let monday = 1_794_787_200;
        assert_eq!(week_start(monday), monday);
        assert_eq!(week_start(monday + WEEK - 1), monday);
        assert_eq!(week_start(monday + WEEK), monday + WEEK);
        assert_eq!(week_start(monday - 1), monday - WEEK);
        // The epoch (a Thursday) belongs to the week of Monday 1969-12-29.
        assert_eq!(week_start(0), -3 * 24 * 3600);
    }

    #[test]
    fn hours() {
        assert_eq!(to_hour(3600 * 5 + 59), 3600 * 5);
        assert_eq!(to_hour(-1), -3600);
    }

    #[test]
    fn token_key_debug_redacts() {
        let k = referral_protocol::SigningKey::generate().unwrap();
        let tk = TokenKey {
            kid: "k1".into(),
            pkcs8: k.pkcs8().clone(),
            public: k.verifying_key(),
            created_at: 0,
            retired_at: None,
        };
        assert!(format!("{tk:?}").contains("REDACTED"));
    }
}
