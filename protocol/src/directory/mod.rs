//! The signed directory log (ADR 0003): an append-only, hash-chained list of
//! statements signed by administrators, rooted in the admin root key that
//! clients pin. Public keys reach clients only through it (SPEC §2.5).
//!
//! - [`Statement`] and [`Entry`]: what the log says, its canonical binary
//!   encoding (docs/protocol.md), hashing and signing;
//! - [`VerifiedLog`]: the replaying verifier, which refuses unsigned or
//!   unauthorised entries, broken chains, rollbacks and forks;
//! - [`DirectoryState`]: desks, devices and keys as the verified log leaves
//!   them; the only source of keys to encrypt to and to check senders by.

mod entry;
mod error;
mod sealing;
mod state;
mod statement;
mod verify;
mod wire;

pub use entry::{CO_SIGNATURE_DOMAIN, ENTRY_DOMAIN, Entry, EntryHash, HASH_DOMAIN};
pub use error::DirectoryError;
pub use sealing::{PacketRecipients, PostQuantumRequired};
pub use state::{
    DeskRecord, DeviceRecord, DeviceStatus, DirectoryState, PastSigningKey, RETIRED_KEY_GRACE_SECS,
    TokenKey,
};
pub use statement::{
    ENROLLMENT_DOMAIN, ENROLLMENT_DOMAIN_V2, MAX_DESK_NAME_LEN, MAX_KID_LEN, ROTATION_DOMAIN,
    ROTATION_DOMAIN_V2, Statement, enrollment_message, enrollment_proof, rotation_message,
    rotation_request,
};
pub use verify::{Head, VerifiedLog};
