//! Classic or post-quantum (ADR 0020 §5): the one rule that says which keys
//! a packet between two desks is sealed to, and the reader's side of the
//! same rule, which refuses a classic packet the sender had no reason to
//! send.
//!
//! age cannot mix hybrid and classic recipients in one file, and a classic
//! stanza beside hybrid ones would hand a future quantum attacker the file
//! key anyway. So a packet is sealed post-quantum when every device it is for
//! (the addressed desk's and the sender's own desk's) has a hybrid key, and
//! classic only while one does not. The reader judges a classic packet by
//! its own verified directory at the packet's signed time.

use crate::ids::{DeskId, DeviceId};
use crate::keys::RecipientKey;
use crate::open::ClassicPacket;

use super::state::{DeviceRecord, DirectoryState, RETIRED_KEY_GRACE_SECS};

/// What a packet is sealed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PacketRecipients {
    /// Every device has a hybrid key: these, sorted, without repeats.
    PostQuantum(Vec<RecipientKey>),
    /// Some device has no hybrid key yet: every device's X25519 key.
    Classic {
        /// The X25519 keys, sorted, without repeats.
        keys: Vec<RecipientKey>,
        /// The devices without a hybrid key: the ones to rotate
        /// (`referral rotate`) so that the next packet is post-quantum.
        holding_back: Vec<DeviceId>,
    },
}

impl PacketRecipients {
    /// The keys to seal to, whatever their kind.
    pub fn keys(&self) -> &[RecipientKey] {
        match self {
            Self::PostQuantum(keys) | Self::Classic { keys, .. } => keys,
        }
    }
}

/// The directory requires post-quantum packets, and some device the packet
/// is for has no hybrid key: sealing classic is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the directory requires post-quantum encryption, and {} device(s) this packet is for have no \
     post-quantum key yet",
    holding_back.len()
)]
pub struct PostQuantumRequired {
    /// The devices without a hybrid key.
    pub holding_back: Vec<DeviceId>,
}

impl DirectoryState {
    /// What a packet from `own_desk` to `to` is sealed to at `now`: every
    /// device [`DirectoryState::encryption_devices`] gives for the two desks,
    /// by their hybrid keys if all have one, by their classic keys if not
    /// (unless the log's policy requires post-quantum, which refuses).
    ///
    /// An empty list means nobody can be written to; callers check the
    /// addressed desk first and refuse.
    pub fn packet_recipients(
        &self,
        to: &DeskId,
        own_desk: &DeskId,
        now: i64,
        max_age_secs: Option<u64>,
    ) -> Result<PacketRecipients, PostQuantumRequired> {
        let mut devices = self.encryption_devices(to, now, max_age_secs);
        if own_desk != to {
            devices.extend(self.encryption_devices(own_desk, now, max_age_secs));
        }
        let holding_back: Vec<DeviceId> = devices
            .iter()
            .filter(|d| d.pq_recipient.is_none())
            .map(|d| d.id)
            .collect();
        if holding_back.is_empty() {
            let keys = devices.iter().filter_map(|d| d.pq_recipient.clone());
            return Ok(PacketRecipients::PostQuantum(sorted(keys)));
        }
        if self.post_quantum_required_since.is_some() {
            return Err(PostQuantumRequired { holding_back });
        }
        let keys = devices.iter().map(|d| d.age_recipient.clone());
        Ok(PacketRecipients::Classic {
            keys: sorted(keys),
            holding_back,
        })
    }

    /// The reader's side of [`DirectoryState::packet_recipients`]: whether a
    /// classic packet from `sender_desk` to `recipient_desk`, signed at
    /// `signed_at`, was the sender's only choice.
    ///
    /// It was not, and the packet is refused, when the policy required
    /// post-quantum by then, or when every device of the two desks that the
    /// sender could have been writing to had a hybrid key by then. Both
    /// allow [`RETIRED_KEY_GRACE_SECS`] for a sender that had not yet synced
    /// the entry that changed things, as a retired signing key does:
    ///
    /// - a device that gained its hybrid key by a rotation counts as hybrid
    ///   only from the grace after that rotation (one enrolled with a hybrid
    ///   key never had another);
    /// - a device revoked within the grace before `signed_at` still counts,
    ///   since the sender may not have seen the revocation.
    pub fn classic_packet(
        &self,
        sender_desk: &DeskId,
        recipient_desk: &DeskId,
        signed_at: i64,
    ) -> ClassicPacket {
        let settled = |since: i64| since.saturating_add(RETIRED_KEY_GRACE_SECS) < signed_at;
        if let Some(since) = self.post_quantum_required_since
            && settled(since)
        {
            return ClassicPacket::PostQuantumRequired { since };
        }
        let mut for_devices = self.devices.values().filter(|d: &&DeviceRecord| {
            d.enrolled_at <= signed_at
                && !d.revoked_at.is_some_and(settled)
                && d.desk
                    .as_ref()
                    .is_some_and(|desk| desk == sender_desk || desk == recipient_desk)
        });
        let mut any = false;
        let all_hybrid = for_devices.all(|d| {
            any = true;
            d.post_quantum_since
                .is_some_and(|since| since == d.enrolled_at || settled(since))
        });
        if any && all_hybrid {
            ClassicPacket::Downgrade
        } else {
            ClassicPacket::Allowed
        }
    }
}

fn sorted(keys: impl Iterator<Item = RecipientKey>) -> Vec<RecipientKey> {
    let mut keys: Vec<RecipientKey> = keys.collect();
    keys.sort();
    keys.dedup();
    keys
}
