//! One case, as this device knows it: the referral, the other desk, and the
//! history of the thread with the texts only the two desks can read.

use referral_protocol::{DeskId, DeviceId, PacketId, ThreadId, ThreadStatus};
use serde::{Deserialize, Serialize};

/// The version of [`CaseRecord`]'s serialized form.
pub const RECORD_VERSION: u32 = 1;

/// Which side of the thread this device's desk is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// This desk sent the referral (or forwarded it on).
    Sent,
    /// This desk received it.
    Received,
}

impl Direction {
    /// The word shown to people and in `--json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Received => "received",
        }
    }
}

/// An attachment as listed in an opened referral (SPEC §6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentView {
    /// File name, as the sender gave it.
    pub name: String,
    /// Media type.
    pub media_type: String,
    /// Length in bytes.
    pub bytes: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
}

impl From<&referral_protocol::AttachmentMeta> for AttachmentView {
    fn from(m: &referral_protocol::AttachmentMeta) -> Self {
        Self {
            name: m.name.clone(),
            media_type: m.media_type.clone(),
            bytes: m.bytes,
            sha256: hex::encode(m.sha256),
        }
    }
}

/// Where an event was learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventSource {
    /// From a packet this device sealed or opened (signed, with its texts).
    Packet,
    /// From the broker's coarse thread view (no texts; time to the hour).
    Broker,
}

/// One step in a case's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseEvent {
    /// The thread's status after this event.
    pub status: ThreadStatus,
    /// When, in seconds since the Unix epoch: the packet's signed time, or
    /// the broker's hour.
    pub at: i64,
    /// The desk that acted, where known.
    pub desk: Option<DeskId>,
    /// The device that signed the packet, where there is one.
    pub device: Option<DeviceId>,
    /// The packet that carried it, where there is one.
    pub packet_id: Option<PacketId>,
    /// A message to the other desk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Why the desk declined (with `rejected`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What came of it (with `completed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Where this event was learnt.
    pub source: EventSource,
}

impl CaseEvent {
    /// An event learnt from a packet.
    pub fn from_packet(status: ThreadStatus, at: i64, desk: &DeskId, device: DeviceId) -> Self {
        Self {
            status,
            at,
            desk: Some(desk.clone()),
            device: Some(device),
            packet_id: None,
            message: None,
            reason: None,
            outcome: None,
            source: EventSource::Packet,
        }
    }
}

/// Where a forwarded case went, or came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadLink {
    /// The other desk of the linked thread.
    pub desk: DeskId,
    /// The linked thread.
    pub thread_id: ThreadId,
}

/// One case: a thread this device's desk is a party to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseRecord {
    /// [`RECORD_VERSION`].
    pub version: u32,
    /// The thread.
    pub thread_id: ThreadId,
    /// Whether this desk sent or received the referral.
    pub direction: Direction,
    /// This device's desk.
    pub our_desk: DeskId,
    /// The desk on the other side.
    pub other_desk: DeskId,
    /// The packet that opened the thread.
    pub referral_packet: PacketId,
    /// The referral's signed creation time (seconds since the Unix epoch).
    pub referred_at: i64,
    /// The referral content (schema v1), as sealed or as verified.
    pub referral: serde_json::Value,
    /// Its attachments.
    pub attachments: Vec<AttachmentView>,
    /// The forwarding note, for a case forwarded to this desk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_note: Option<String>,
    /// The thread this one was forwarded from, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded_from: Option<ThreadLink>,
    /// The thread it was forwarded on to, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded_to: Option<ThreadLink>,
    /// The latest status known.
    pub status: ThreadStatus,
    /// The history, oldest first.
    pub events: Vec<CaseEvent>,
}

impl CaseRecord {
    /// The record of a referral this device just sent (or forwarded on).
    #[allow(clippy::too_many_arguments)]
    pub fn sent(
        thread_id: ThreadId,
        our_desk: &DeskId,
        other_desk: &DeskId,
        device: DeviceId,
        packet: PacketId,
        created_at: i64,
        referral: serde_json::Value,
        attachments: Vec<AttachmentView>,
    ) -> Self {
        let mut sent = CaseEvent::from_packet(ThreadStatus::Sent, created_at, our_desk, device);
        sent.packet_id = Some(packet);
        Self {
            version: RECORD_VERSION,
            thread_id,
            direction: Direction::Sent,
            our_desk: our_desk.clone(),
            other_desk: other_desk.clone(),
            referral_packet: packet,
            referred_at: created_at,
            referral,
            attachments,
            forward_note: None,
            forwarded_from: None,
            forwarded_to: None,
            status: ThreadStatus::Sent,
            events: vec![sent],
        }
    }

    /// Records `event`, and settles the case's status from the history
    /// ([`super::history::status`]).
    pub fn push(&mut self, event: CaseEvent) {
        self.events.push(event);
        self.settle_status();
    }

    /// Sets `status` from the events: the one rule, applied wherever the
    /// history changes or a record is read, so that a status the broker
    /// reported never stands over one a signed packet set.
    pub fn settle_status(&mut self) {
        self.status = super::history::status(&self.events).0;
    }

    /// Where the current status was learnt.
    pub fn status_source(&self) -> EventSource {
        super::history::status(&self.events).1
    }

    /// Whether an event for `packet` is already recorded (so that opening a
    /// packet twice records it once).
    pub fn has_packet(&self, packet: &PacketId) -> bool {
        self.events.iter().any(|e| e.packet_id == Some(*packet))
    }

    /// The referral's `case.need`, `person.preferred_language` and
    /// `person.prefecture`, where present.
    pub fn field(&self, section: &str, name: &str) -> Option<&str> {
        self.referral.get(section)?.get(name)?.as_str()
    }
}
