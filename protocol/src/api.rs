//! The broker's HTTP API as types both sides share: request and response
//! bodies, the headers that carry a packet's routing metadata, and the exact
//! bytes a device signs to authenticate. `schemas/openapi.json` describes the
//! same shapes.

use serde::{Deserialize, Serialize};

use crate::ids::{DeskId, DeviceId, PacketId, ThreadId};
use crate::keys::{RecipientKey, VerifyingKey};

/// Prefixed to what a device signs to get a token, so an auth signature can
/// never be mistaken for a packet or directory signature.
pub const AUTH_DOMAIN: &[u8] = b"referral-broker auth challenge v1\0";

/// Header: the packet's random id.
pub const HEADER_PACKET_ID: &str = "referral-packet-id";
/// Header: the packet's thread id.
pub const HEADER_THREAD_ID: &str = "referral-thread-id";
/// Header: the addressed desk.
pub const HEADER_RECIPIENT_DESK: &str = "referral-recipient-desk";
/// Header: `referral`, `reply` or `forward`.
pub const HEADER_KIND: &str = "referral-kind";
/// Header (replies): the thread's new coarse status.
pub const HEADER_THREAD_STATUS: &str = "referral-thread-status";
/// Header (forwards): the thread being forwarded.
pub const HEADER_FORWARDS: &str = "referral-forwards";

/// The bytes a device signs to answer a challenge:
/// `AUTH_DOMAIN || device id (16 bytes) || challenge`.
pub fn challenge_message(device: &DeviceId, challenge: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(AUTH_DOMAIN.len() + 16 + challenge.len());
    m.extend_from_slice(AUTH_DOMAIN);
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
    pub delivery: String,
    /// Arrival, truncated to the hour (RFC 3339).
    pub received_hour: String,
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
    pub kind: String,
    /// Ciphertext length.
    pub bytes: u64,
    /// Delivery state (`pending`).
    pub status: String,
    /// Arrival, truncated to the hour (RFC 3339).
    pub received_hour: String,
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
    pub delivery: String,
}

/// One status change of a thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ThreadEventView {
    /// The status.
    pub status: String,
    /// When, truncated to the hour (RFC 3339).
    pub at: String,
}

/// `GET /v1/threads/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ThreadView {
    /// Thread id.
    pub thread_id: ThreadId,
    /// Current coarse status.
    pub status: String,
    /// The desk that sent the referral.
    pub sender_desk: DeskId,
    /// The desk it was addressed to.
    pub recipient_desk: DeskId,
    /// Oldest first.
    pub events: Vec<ThreadEventView>,
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
