//! The directory as a replay of the log leaves it: root, desks, devices and
//! their keys, token keys and the key-age policy. Built only by
//! [`super::VerifiedLog`], so holding a `DirectoryState` means holding keys
//! the administrators signed for.

use std::collections::{BTreeMap, HashMap};

use crate::ids::{DeskId, DeviceId};
use crate::keys::{RecipientKey, VerifyingKey};
use crate::open::{ClassicPacket, SenderDirectory, SenderKey};
use crate::role::Role;

/// How far after a rotation entry's time a packet signed with the retired key
/// is still accepted: the entry carries the approving administrator's clock,
/// the packet its sender's, and an honest device keeps signing with the old
/// key until it has synced the entry. Five minutes of skew gives a forger
/// nothing that backdating (which no rule can see) does not already give.
pub const RETIRED_KEY_GRACE_SECS: i64 = 5 * 60;

/// A signing key a rotation replaced, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PastSigningKey {
    /// The retired key.
    pub key: VerifyingKey,
    /// The time of the rotation entry that retired it.
    pub retired_at: i64,
}

/// A desk as the log created it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskRecord {
    /// The desk's id.
    pub id: DeskId,
    /// Display name.
    pub name: String,
    /// ISO 3166-2:JP code, if given.
    pub prefecture: Option<String>,
    /// Comma-separated language tags, if given.
    pub languages: Option<String>,
    /// When the desk was created (entry time).
    pub created_at: i64,
}

/// Whether a device may still take part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceStatus {
    /// Enrolled and not revoked.
    Active,
    /// Revoked: no packets are encrypted to it, its signatures are refused,
    /// and it can never come back (a new enrollment needs a new device id).
    Revoked,
}

/// A device as the log enrolled, rotated and perhaps revoked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    /// The device's id.
    pub id: DeviceId,
    /// Its desk (admins may have none).
    pub desk: Option<DeskId>,
    /// Its role.
    pub role: Role,
    /// Its current signing key.
    pub signing_key: VerifyingKey,
    /// Its current classic (X25519) age recipient: what classic packets are
    /// encrypted to while some device they are for has no hybrid key.
    pub age_recipient: RecipientKey,
    /// Its current hybrid age recipient, if it has one (ADR 0020).
    pub pq_recipient: Option<RecipientKey>,
    /// When it first had a hybrid key (entry time). A device never goes back
    /// to classic only, so from this time on it could read a hybrid packet.
    pub post_quantum_since: Option<i64>,
    /// Signing keys it used before its rotations, oldest first, with the
    /// time each was retired, so packets signed before a rotation still
    /// verify and packets signed with a retired key after it do not.
    pub past_signing_keys: Vec<PastSigningKey>,
    /// Active or revoked.
    pub status: DeviceStatus,
    /// When it was enrolled (entry time).
    pub enrolled_at: i64,
    /// When its keys last rotated, if ever.
    pub rotated_at: Option<i64>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<i64>,
}

impl DeviceRecord {
    /// Whether the device is active.
    pub fn is_active(&self) -> bool {
        self.status == DeviceStatus::Active
    }

    /// When the current keys were set: the last rotation, or enrollment.
    pub fn keys_since(&self) -> i64 {
        self.rotated_at.unwrap_or(self.enrolled_at)
    }

    /// Whether `key` is the current or a past signing key of this device.
    pub fn has_signing_key(&self, key: &VerifyingKey) -> bool {
        self.signing_key == *key || self.past_signing_keys.iter().any(|p| p.key == *key)
    }

    /// Whether this device may have signed with `key` at `signed_at` (the
    /// packet's signed time): its current key at any time, a retired key
    /// only up to its retirement plus [`RETIRED_KEY_GRACE_SECS`].
    pub fn signing_key_at(&self, key: &VerifyingKey, signed_at: i64) -> SenderKey {
        if self.signing_key == *key {
            return SenderKey::Valid;
        }
        match self.past_signing_keys.iter().find(|p| p.key == *key) {
            Some(past) if signed_at <= past.retired_at.saturating_add(RETIRED_KEY_GRACE_SECS) => {
                SenderKey::Valid
            }
            Some(past) => SenderKey::Retired {
                retired_at: past.retired_at,
            },
            None => SenderKey::Unknown,
        }
    }

    /// Whether the current keys are older than `max_age_secs` at `now`.
    pub fn keys_expired(&self, now: i64, max_age_secs: u64) -> bool {
        i128::from(now) - i128::from(self.keys_since()) > i128::from(max_age_secs)
    }
}

/// One broker token-signing key, in the order the log introduced them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenKey {
    /// The `kid` tokens carry.
    pub kid: String,
    /// The Ed25519 public key.
    pub public_key: VerifyingKey,
    /// When the log introduced it.
    pub since: i64,
}

/// The state a verified log replays to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryState {
    pub(super) root: VerifyingKey,
    pub(super) past_roots: Vec<VerifyingKey>,
    pub(super) desks: BTreeMap<DeskId, DeskRecord>,
    pub(super) devices: BTreeMap<DeviceId, DeviceRecord>,
    pub(super) token_keys: Vec<TokenKey>,
    pub(super) max_key_age_secs: Option<u64>,
    /// Since when the log requires post-quantum packets, if it does now.
    pub(super) post_quantum_required_since: Option<i64>,
    /// Every device signing key ever enrolled or rotated in, to its device:
    /// keys are never shared or reused, so a key names at most one device.
    pub(super) key_owner: HashMap<VerifyingKey, DeviceId>,
}

impl DirectoryState {
    pub(super) fn new(root: VerifyingKey) -> Self {
        Self {
            root,
            past_roots: Vec::new(),
            desks: BTreeMap::new(),
            devices: BTreeMap::new(),
            token_keys: Vec::new(),
            max_key_age_secs: None,
            post_quantum_required_since: None,
            key_owner: HashMap::new(),
        }
    }

    /// The current admin root key.
    pub fn root(&self) -> &VerifyingKey {
        &self.root
    }

    /// Root keys replaced by `RootRotated`, oldest first.
    pub fn past_roots(&self) -> &[VerifyingKey] {
        &self.past_roots
    }

    /// Every desk, by id.
    pub fn desks(&self) -> &BTreeMap<DeskId, DeskRecord> {
        &self.desks
    }

    /// One desk.
    pub fn desk(&self, desk: &DeskId) -> Option<&DeskRecord> {
        self.desks.get(desk)
    }

    /// Every device ever enrolled (revoked ones included), by id.
    pub fn devices(&self) -> &BTreeMap<DeviceId, DeviceRecord> {
        &self.devices
    }

    /// One device, active or revoked.
    pub fn device(&self, device: &DeviceId) -> Option<&DeviceRecord> {
        self.devices.get(device)
    }

    /// The active devices of a desk.
    pub fn active_devices_of<'a>(
        &'a self,
        desk: &'a DeskId,
    ) -> impl Iterator<Item = &'a DeviceRecord> + 'a {
        self.devices
            .values()
            .filter(move |d| d.is_active() && d.desk.as_ref() == Some(desk))
    }

    /// The active admin devices: with the root, the keys that may sign
    /// entries.
    pub fn admins(&self) -> impl Iterator<Item = &DeviceRecord> {
        self.devices
            .values()
            .filter(|d| d.is_active() && d.role == Role::Admin)
    }

    /// The active admin device whose *current* signing key is `key`.
    pub fn admin_with_key(&self, key: &VerifyingKey) -> Option<&DeviceRecord> {
        let id = self.key_owner.get(key)?;
        self.devices
            .get(id)
            .filter(|d| d.is_active() && d.role == Role::Admin && d.signing_key == *key)
    }

    /// Whether `key` may sign an ordinary entry: the root, or an active admin
    /// device's current key.
    pub fn is_administrator(&self, key: &VerifyingKey) -> bool {
        *key == self.root || self.admin_with_key(key).is_some()
    }

    /// Broker token-signing keys, oldest first; the last is the current one.
    pub fn token_keys(&self) -> &[TokenKey] {
        &self.token_keys
    }

    /// The token key with this `kid`.
    pub fn token_key(&self, kid: &str) -> Option<&TokenKey> {
        self.token_keys.iter().find(|k| k.kid == kid)
    }

    /// The key-age limit the log sets, if any.
    pub fn max_key_age_secs(&self) -> Option<u64> {
        self.max_key_age_secs
    }

    /// Since when the log requires post-quantum packets, if it does now
    /// (`PostQuantumPolicy`).
    pub fn post_quantum_required_since(&self) -> Option<i64> {
        self.post_quantum_required_since
    }

    /// The devices of `desk` that may be written to at time `now`: active,
    /// and with keys no older than the limit. The limit is the stricter of
    /// the log's `KeyAgePolicy` and `max_age_secs` (a caller's own limit;
    /// `None` for the log's alone).
    ///
    /// An empty answer means nobody at the desk can be written to now; the
    /// caller must refuse to send rather than fall back to any other source.
    /// Which of their keys a packet uses is [`DirectoryState::packet_recipients`]'s
    /// choice.
    pub fn encryption_devices<'a>(
        &'a self,
        desk: &'a DeskId,
        now: i64,
        max_age_secs: Option<u64>,
    ) -> Vec<&'a DeviceRecord> {
        let limit = match (self.max_key_age_secs, max_age_secs) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.active_devices_of(desk)
            .filter(|d| limit.is_none_or(|max| !d.keys_expired(now, max)))
            .collect()
    }

    /// The classic (X25519) recipients of [`DirectoryState::encryption_devices`],
    /// sorted and without repeats.
    pub fn encryption_keys(
        &self,
        desk: &DeskId,
        now: i64,
        max_age_secs: Option<u64>,
    ) -> Vec<RecipientKey> {
        let mut keys: Vec<RecipientKey> = self
            .encryption_devices(desk, now, max_age_secs)
            .into_iter()
            .map(|d| d.age_recipient.clone())
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// Whether `key` may have signed, at `signed_at`, for the *active*
    /// device `device`, which belongs to `desk`: its current key, or a key a
    /// rotation retired after (or, within [`RETIRED_KEY_GRACE_SECS`], just
    /// before) that time.
    ///
    /// A revoked device's keys are refused outright, even for packets it
    /// signed before it was revoked: a packet's time is the sender's claim,
    /// so a thief holding a revoked laptop could otherwise backdate packets.
    /// The same claim is why a retired key is no answer to a leaked one: its
    /// holder can still backdate a packet to before the rotation, and only a
    /// revocation refuses that.
    pub fn sender_key(
        &self,
        device: &DeviceId,
        desk: &DeskId,
        key: &VerifyingKey,
        signed_at: i64,
    ) -> SenderKey {
        match self.devices.get(device) {
            Some(d) if d.is_active() && d.desk.as_ref() == Some(desk) => {
                d.signing_key_at(key, signed_at)
            }
            _ => SenderKey::Unknown,
        }
    }

    /// Whether [`DirectoryState::sender_key`] accepts `key` at `signed_at`.
    pub fn is_sender_key(
        &self,
        device: &DeviceId,
        desk: &DeskId,
        key: &VerifyingKey,
        signed_at: i64,
    ) -> bool {
        self.sender_key(device, desk, key, signed_at) == SenderKey::Valid
    }
}

impl SenderDirectory for DirectoryState {
    fn sender_key(
        &self,
        device: &DeviceId,
        desk: &DeskId,
        key: &VerifyingKey,
        signed_at: i64,
    ) -> SenderKey {
        DirectoryState::sender_key(self, device, desk, key, signed_at)
    }

    fn classic_packet(
        &self,
        sender_desk: &DeskId,
        recipient_desk: &DeskId,
        signed_at: i64,
    ) -> ClassicPacket {
        DirectoryState::classic_packet(self, sender_desk, recipient_desk, signed_at)
    }
}
