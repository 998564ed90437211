//! The rows of the trust flows (ADR 0003, 0004): the signed directory log as
//! the broker keeps it, the change each appended entry makes to the broker's
//! own tables, one-time invites, and the enrollment and rotation requests
//! that wait for an administrator.
//!
//! The store never parses an entry: it keeps the bytes the broker verified
//! and applies the [`DirectoryEffect`] the broker derived from them, in the
//! same transaction, so the tables the broker authenticates against can
//! never run ahead of or behind the log.

use referral_protocol::{DeskId, DeviceId, RecipientKey, RequestId, VerifyingKey};

pub use referral_protocol::api::RequestKind;

use crate::{Desk, Device, Role, StoreError, UnixTime};

/// One stored log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// Its position in the log, from 0.
    pub seq: u64,
    /// Its canonical encoding, exactly as appended.
    pub bytes: Vec<u8>,
}

/// An entry to append, with what it changes in the broker's tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    /// Its position: must be the next one.
    pub seq: u64,
    /// Its chain hash (`Entry::hash`), kept beside it for operators and
    /// audits; the broker recomputes it from the bytes when it reads them.
    pub hash: [u8; 32],
    /// Its canonical encoding.
    pub bytes: Vec<u8>,
    /// Its effect, applied in the same transaction.
    pub effect: DirectoryEffect,
}

impl NewEntry {
    /// Entry 0 changes nothing beyond the bootstrap claim that stores it.
    pub(crate) fn check_genesis(&self) -> Result<(), StoreError> {
        if self.seq != 0 || self.effect != DirectoryEffect::None {
            return Err(StoreError::Invalid(
                "the genesis entry must have seq 0 and no effect",
            ));
        }
        Ok(())
    }
}

/// How an appended entry changes the broker's own tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectoryEffect {
    /// Nothing the broker keeps (the genesis, a key-age policy).
    None,
    /// A desk is created.
    CreateDesk(Desk),
    /// A pending enrollment request is approved: the device is added and
    /// the request closed. The request must still be pending and name
    /// exactly this device, desk, role and keys.
    EnrollDevice {
        /// The device row to add.
        device: Device,
        /// Its hybrid age recipient, which the request must name too. The
        /// broker keeps it only in the request (the directory log is where
        /// clients read it).
        pq_recipient: Option<RecipientKey>,
        /// The request it approves.
        request: RequestId,
    },
    /// A pending rotation request is approved: the device's keys change and
    /// the request is closed. The request must still be pending and name
    /// exactly this device and these keys.
    RotateDevice {
        /// The device.
        device: DeviceId,
        /// Its new signing key.
        signing_key: VerifyingKey,
        /// Its new age recipient.
        age_recipient: RecipientKey,
        /// Its new hybrid age recipient, which the request must name too.
        pq_recipient: Option<RecipientKey>,
        /// The request it approves.
        request: RequestId,
    },
    /// A device is revoked for good; its pending requests are dropped.
    RevokeDevice(DeviceId),
    /// The root moves to a new key, and so does the device that held the
    /// old one (the root device authenticates with the root key).
    RotateRoot {
        /// The new root key.
        new_root: VerifyingKey,
    },
    /// A staged token-signing key becomes the current one and every other
    /// key retires at `at` (tokens they signed stay valid until they expire).
    ActivateTokenKey {
        /// The staged key's id.
        kid: String,
        /// Its public key, as the entry names it: a staged key with this id
        /// but another public key is not the one the administrators signed.
        public_key: VerifyingKey,
        /// When it takes over.
        at: UnixTime,
    },
}

/// What an append did. Every outcome but `Appended` changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendOutcome {
    /// The entry and its effect are stored.
    Appended,
    /// An entry with this `seq` exists: another broker appended first.
    SeqTaken,
    /// `seq` is past the next free position: the caller's copy of the log
    /// is ahead of the database.
    NotNext,
    /// The approved request is no longer pending (approved or replaced
    /// meanwhile), or does not name what the effect names.
    RequestGone,
    /// No staged token key has this id and public key.
    UnknownTokenKey,
    /// The broker's tables disagree with what the verified log implies
    /// (a desk or device that should not exist does, or the reverse).
    Inconsistent(&'static str),
}

/// A one-time enrollment code, by hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    /// Domain-separated SHA-256 of the code; the code itself is never kept.
    pub code_hash: [u8; 32],
    /// The desk the enrolling device joins.
    pub desk: DeskId,
    /// Its role there.
    pub role: Role,
    /// When the code was made.
    pub created_at: UnixTime,
    /// When it stops working.
    pub expires_at: UnixTime,
}

/// The device's signatures a request carries, by kind.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RequestSignatures {
    /// An enrollment: the device's proof of possession over
    /// `directory::enrollment_message`.
    Enrollment {
        /// By the device's signing key.
        device_signature: [u8; 64],
    },
    /// A rotation: both keys over `directory::rotation_message`.
    Rotation {
        /// By the key the device has now.
        old_key_signature: [u8; 64],
        /// By the new key.
        new_key_signature: [u8; 64],
    },
}

impl std::fmt::Debug for RequestSignatures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Public values, but 128 hex digits each make every log line
        // unreadable; the kind is what a reader of a Debug dump needs.
        match self {
            Self::Enrollment { .. } => f.write_str("Enrollment { .. }"),
            Self::Rotation { .. } => f.write_str("Rotation { .. }"),
        }
    }
}

/// An enrollment or rotation request waiting for an administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Its id (random, made by the broker).
    pub id: RequestId,
    /// The device.
    pub device: DeviceId,
    /// Its desk: the invite's for an enrollment, the device's for a rotation.
    pub desk: Option<DeskId>,
    /// Its role, likewise.
    pub role: Role,
    /// The (new) signing key.
    pub signing_key: VerifyingKey,
    /// The (new) age recipient.
    pub age_recipient: RecipientKey,
    /// The (new) hybrid age recipient, if the device has one (ADR 0020).
    pub pq_recipient: Option<RecipientKey>,
    /// The device's signatures; their variant is the request's kind.
    pub signatures: RequestSignatures,
    /// When it arrived. Stored truncated to the hour.
    pub created_at: UnixTime,
}

impl Request {
    /// Enrollment or rotation.
    pub fn kind(&self) -> RequestKind {
        match self.signatures {
            RequestSignatures::Enrollment { .. } => RequestKind::Enrollment,
            RequestSignatures::Rotation { .. } => RequestKind::Rotation,
        }
    }
}

/// What submitting an enrollment request did. Only `Created` changed
/// anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrollOutcome {
    /// The invite was consumed and the request stored.
    Created,
    /// No unused, unexpired invite with this code for the request's desk
    /// and role.
    BadCode,
    /// The device id, or its signing key, is already enrolled or asked for.
    DeviceExists,
}

/// What submitting a rotation request did. Only `Created` changed anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationOutcome {
    /// Stored, replacing the device's earlier pending rotation if any.
    Created,
    /// The new signing key belongs to a device or to another request.
    KeyInUse,
    /// The device is not an active, enrolled device.
    UnknownDevice,
}
