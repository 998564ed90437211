//! The broker's HTTP API as types both sides share: request and response
//! bodies, the headers that carry a packet's routing metadata, and the exact
//! bytes a device signs to authenticate. `schemas/openapi.json` describes the
//! same shapes.

use serde::{Deserialize, Serialize};

use crate::delivery::DeliveryState;
use crate::fingerprint::Fingerprint;
use crate::ids::{DeskId, DeviceId, PacketId, RequestId, ThreadId};
use crate::keys::{RecipientKey, VerifyingKey};
use crate::role::Role;
use crate::routing::PacketKindWord;
use crate::status::ThreadStatus;

pub use crate::hour::Hour;
pub use crate::reported::Reported;

/// Prefixed to what a device signs to get a token, so an auth signature can
/// never be mistaken for a packet or directory signature. Version 2 names
/// the broker (issue 14, item 8e).
pub const AUTH_DOMAIN: &[u8] = b"referral-broker auth challenge v2\0";

pub use crate::routing::{
    HEADER_FORWARDS, HEADER_KIND, HEADER_PACKET_ID, HEADER_RECIPIENT_DESK, HEADER_REPLACES,
    HEADER_THREAD_ID, HEADER_THREAD_STATUS,
};

/// The bytes a device signs to answer a challenge:
/// `AUTH_DOMAIN || len(issuer) (8 bytes, big-endian) || issuer (UTF-8) ||
/// device id (16 bytes) || challenge`. Naming the broker (its token issuer)
/// makes the answer good at that broker only: a challenge one broker relays
/// from another is signed for the relaying broker, and the other refuses
/// it. The length prefix keeps every (issuer, device, challenge) apart.
pub fn challenge_message(issuer: &str, device: &DeviceId, challenge: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(AUTH_DOMAIN.len() + 8 + issuer.len() + 16 + challenge.len());
    m.extend_from_slice(AUTH_DOMAIN);
    m.extend_from_slice(&(issuer.len() as u64).to_be_bytes());
    m.extend_from_slice(issuer.as_bytes());
    m.extend_from_slice(device.as_bytes());
    m.extend_from_slice(challenge);
    m
}

/// `POST /v1/auth/challenge`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeRequest {
    /// The device asking.
    pub device_id: DeviceId,
}

/// The answer to [`ChallengeRequest`].
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChallengeResponse {
    /// 32 random bytes, standard base64.
    pub challenge: String,
    /// The broker the challenge is for: its token issuer, signed as part of
    /// [`challenge_message`]. A client signs only a challenge naming the
    /// broker it pinned.
    pub issuer: String,
    /// Unix time after which the challenge is refused.
    pub expires_at: i64,
}

/// `POST /v1/auth/token`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// The device.
    pub device_id: DeviceId,
    /// The challenge, as received.
    pub challenge: String,
    /// Ed25519 signature over [`challenge_message`], standard base64.
    pub signature: String,
    /// The broker the device signed for. The broker checks the signature
    /// over its own name whatever this says; naming another broker here
    /// only gets a clearer refusal (`wrong_broker`).
    #[serde(default)]
    pub issuer: Option<String>,
}

/// The answer to [`TokenRequest`].
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TokenResponse {
    /// The bearer token (a JWT).
    pub token: String,
    /// Unix time it expires.
    pub expires_at: i64,
}

/// What the broker answers for a stored packet (`POST /v1/packets`; the
/// same answer again for a retry with the same id and bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PacketReceipt {
    /// Packet id.
    pub packet_id: PacketId,
    /// Thread id.
    pub thread_id: ThreadId,
    /// The addressed desk.
    pub recipient_desk: DeskId,
    /// Ciphertext length.
    pub bytes: u64,
    /// `pending`, `acknowledged` or `expired`.
    pub delivery: Reported<DeliveryState>,
    /// Arrival, truncated to the hour (RFC 3339).
    pub received_hour: Reported<Hour>,
}

/// `GET /v1/limits` (no token): the broker's limits on uploads, the same for
/// every caller, so that a client can refuse an oversize packet before it
/// seals it (ADR 0015).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BrokerLimits {
    /// The largest sealed packet accepted, in bytes.
    pub max_packet_bytes: u64,
    /// The largest age header accepted, in bytes.
    pub max_header_bytes: u64,
    /// The most ciphertext one desk may have sent and still pending, in bytes.
    pub max_pending_bytes_per_desk: u64,
}

/// One packet waiting in a desk's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InboxEntry {
    /// Packet id.
    pub packet_id: PacketId,
    /// Thread id.
    pub thread_id: ThreadId,
    /// The sending desk.
    pub from_desk: DeskId,
    /// `referral`, `reply` or `forward`.
    pub kind: Reported<PacketKindWord>,
    /// Ciphertext length.
    pub bytes: u64,
    /// Delivery state (`pending`).
    pub status: Reported<DeliveryState>,
    /// Arrival, truncated to the hour (RFC 3339).
    pub received_hour: Reported<Hour>,
}

/// `GET /v1/inbox`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Inbox {
    /// Oldest first.
    pub packets: Vec<InboxEntry>,
}

/// `POST /v1/packets/{id}/ack`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AckResponse {
    /// Packet id.
    pub packet_id: PacketId,
    /// `acknowledged`.
    pub delivery: Reported<DeliveryState>,
}

/// One status change of a thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ThreadEventView {
    /// The status.
    pub status: Reported<ThreadStatus>,
    /// When, truncated to the hour (RFC 3339).
    pub at: Reported<Hour>,
}

/// `GET /v1/threads/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ThreadView {
    /// Thread id.
    pub thread_id: ThreadId,
    /// Current coarse status.
    pub status: Reported<ThreadStatus>,
    /// The desk that sent the referral.
    pub sender_desk: DeskId,
    /// The desk it was addressed to.
    pub recipient_desk: DeskId,
    /// Oldest first.
    pub events: Vec<ThreadEventView>,
}

/// `GET /v1/threads?changed_since=CURSOR&limit=N` (ADR 0014).
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreadChangesQuery {
    /// A `next_cursor` from an earlier answer, as it was given: opaque to
    /// the client. Absent: from the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_since: Option<String>,
    /// At most this many threads (1 to 100; default and cap 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// The answer to [`ThreadChangesQuery`]: the caller's desk's threads with a
/// change after the cursor, each as `GET /v1/threads/{id}` gives it, oldest
/// change first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ThreadChanges {
    /// The changed threads.
    pub threads: Vec<ThreadView>,
    /// The cursor to ask with next time (or for the next page): opaque.
    pub next_cursor: String,
    /// Whether more changed threads wait: ask again with `next_cursor`.
    pub more: bool,
}

/// A device's public record as the broker serves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DeviceView {
    /// Device id.
    pub device_id: DeviceId,
    /// Its desk, if any.
    pub desk: Option<DeskId>,
    /// `caseworker`, `desk` or `admin`.
    pub role: String,
    /// Ed25519 public key.
    pub signing_key: VerifyingKey,
    /// age recipient.
    pub age_recipient: RecipientKey,
    /// Its hybrid (ML-KEM-768 + X25519) age recipient, if it has one
    /// (ADR 0020); absent for a device that has not rotated to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pq_recipient: Option<RecipientKey>,
    /// `active`, `retired` or `revoked`.
    pub state: String,
}

/// The error body of every 4xx and 5xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code.
    pub error: String,
    /// Human-readable explanation.
    pub message: String,
}

// --- the directory log and the requests that feed it (ADR 0003, 0004) ------

/// `POST /v1/admin/bootstrap`: claims a fresh broker. The genesis entry is
/// signed by the first administrator's device key, which becomes the root.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BootstrapRequest {
    /// The one-time code the broker printed at first start.
    pub code: String,
    /// The first administrator's device id.
    pub device_id: DeviceId,
    /// Its age recipient (the broker records the device so it can
    /// authenticate; the signing key is the genesis root).
    pub age_recipient: RecipientKey,
    /// Directory entry 0, `Genesis`, standard base64 of its canonical
    /// encoding (docs/protocol.md).
    pub genesis: String,
}

/// The answer to a successful bootstrap.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BootstrapResponse {
    /// The fingerprint every other client pins.
    pub root_fingerprint: Fingerprint,
}

/// `GET /v1/directory?since=N`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DirectoryQuery {
    /// The first sequence number wanted: a client passes the seq of the
    /// head it holds, so the answer starts with that entry and can be
    /// checked against it. Default 0 (the whole log).
    #[serde(default)]
    pub since: u64,
}

/// The answer to [`DirectoryQuery`].
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DirectoryPage {
    /// Entries from `since` on, in order, each the standard base64 of its
    /// canonical encoding. Empty when `since` is past the head.
    pub entries: Vec<String>,
    /// The broker's head: the last entry's seq (absent before bootstrap).
    pub head_seq: Option<u64>,
}

/// `POST /v1/directory`: an administrator appends one signed entry.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppendEntryRequest {
    /// The entry, standard base64 of its canonical encoding.
    pub entry: String,
    /// For `DeviceEnrolled` and `DeviceRotated`: the request it approves.
    /// The entry must match that request exactly.
    #[serde(default)]
    pub request_id: Option<RequestId>,
}

/// The broker's head after an append.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AppendEntryResponse {
    /// The appended entry's seq.
    pub seq: u64,
    /// Its hash, lowercase hex.
    pub hash: String,
}

/// `POST /v1/admin/invites`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    /// The desk the device will join.
    pub desk: DeskId,
    /// Its role there.
    pub role: Role,
    /// Hours until the code expires (1–720; default 72).
    #[serde(default)]
    pub ttl_hours: Option<u32>,
}

/// A one-time enrollment code. Shown once: the broker keeps only its hash.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InviteResponse {
    /// The code to hand to the new device's owner.
    pub code: String,
    /// The desk.
    pub desk: DeskId,
    /// The role.
    pub role: Role,
    /// When the code stops working (RFC 3339, UTC).
    pub expires_at: String,
}

/// `POST /v1/invites/lookup`: which desk and role an invite code is for, so
/// that the device can sign its proof of possession over them before it
/// enrolls. Does not use the code up.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteLookupRequest {
    /// The invite code.
    pub code: String,
}

/// The answer to [`InviteLookupRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InviteLookup {
    /// The desk the device would join.
    pub desk: DeskId,
    /// Its role there.
    pub role: Role,
    /// When the code stops working (RFC 3339, UTC).
    pub expires_at: String,
}

/// `POST /v1/enrollments`: a new device asks to join, with an invite code.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollmentRequest {
    /// The invite code.
    pub code: String,
    /// The device's id.
    pub device_id: DeviceId,
    /// Its Ed25519 key.
    pub signing_key: VerifyingKey,
    /// Its age recipient.
    pub age_recipient: RecipientKey,
    /// Its hybrid (ML-KEM-768 + X25519) age recipient, if it has one
    /// (ADR 0020); absent for a device that has not rotated to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pq_recipient: Option<RecipientKey>,
    /// The device's proof of possession: Ed25519 by `signing_key` over the
    /// enrollment message for this device, the invite's desk and role and
    /// these keys (`directory::enrollment_message`), standard base64.
    pub device_signature: String,
}

/// `POST /v1/rotations`: an enrolled device asks to replace its keys
/// (authenticated with the device's current token).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RotationRequest {
    /// The new Ed25519 key.
    pub signing_key: VerifyingKey,
    /// The new age recipient.
    pub age_recipient: RecipientKey,
    /// The new hybrid (ML-KEM-768 + X25519) age recipient, if it has one
    /// (ADR 0020); absent for a device that has not rotated to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pq_recipient: Option<RecipientKey>,
    /// Ed25519 by the current key over `directory::rotation_message`,
    /// standard base64.
    pub old_key_signature: String,
    /// Ed25519 by the new key over the same message, standard base64.
    pub new_key_signature: String,
}

/// The answer to an enrollment or rotation request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RequestReceipt {
    /// What the administrator approves.
    pub request_id: RequestId,
    /// The fingerprint of the keys in the request: compare it out of band.
    pub fingerprint: Fingerprint,
}

/// What a pending request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RequestKind {
    /// A new device.
    Enrollment,
    /// New keys for an enrolled device.
    Rotation,
}

/// One request waiting for an administrator (`GET /v1/admin/requests`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PendingRequest {
    /// Its id.
    pub request_id: RequestId,
    /// Enrollment or rotation.
    pub kind: RequestKind,
    /// The device.
    pub device_id: DeviceId,
    /// Its desk (from the invite, or the enrolled device's).
    pub desk: Option<DeskId>,
    /// Its role.
    pub role: Role,
    /// The (new) Ed25519 key.
    pub signing_key: VerifyingKey,
    /// The (new) age recipient.
    pub age_recipient: RecipientKey,
    /// The (new) hybrid (ML-KEM-768 + X25519) age recipient, if it has one
    /// (ADR 0020); absent for a device that has not rotated to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pq_recipient: Option<RecipientKey>,
    /// Enrollment: the device's proof of possession, standard base64.
    pub device_signature: Option<String>,
    /// Rotation: the old key's signature, standard base64.
    pub old_key_signature: Option<String>,
    /// Rotation: the new key's signature, standard base64.
    pub new_key_signature: Option<String>,
    /// The fingerprint of the (new) keys, as the broker computes it; the
    /// approving client recomputes it and trusts only its own.
    pub fingerprint: Fingerprint,
    /// When the request arrived, truncated to the hour (RFC 3339).
    pub created_hour: Reported<Hour>,
}

/// `GET /v1/admin/requests`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PendingRequests {
    /// Oldest first.
    pub requests: Vec<PendingRequest>,
}

/// `POST /v1/admin/token-keys`: the broker stages a new token-signing key,
/// which an administrator's `TokenKeyRotated` entry then activates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StagedTokenKey {
    /// Its key id (the `kid` of tokens it will sign).
    pub kid: String,
    /// Its Ed25519 public key.
    pub public_key: VerifyingKey,
}

/// One row of [`Stats`]: a count of threads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StatsRow {
    /// The desk the referral was addressed to.
    pub desk: DeskId,
    /// The thread's coarse status.
    pub status: Reported<ThreadStatus>,
    /// The ISO week the thread started (`2026-W47`).
    pub week: String,
    /// How many threads.
    pub threads: u64,
}

/// `GET /v1/admin/stats`: aggregate counts, no identities.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Stats {
    /// Threads by recipient desk, status and week of creation.
    pub rows: Vec<StatsRow>,
    /// Packets stored now, by delivery state.
    pub packets_pending: u64,
    /// Acknowledged, not yet purged.
    pub packets_acknowledged: u64,
    /// Expired unread, not yet purged.
    pub packets_expired: u64,
}
