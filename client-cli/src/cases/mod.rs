//! The local case store (ADR 0005): every case this device sent or
//! received, kept encrypted to the device's own key, so that the history
//! survives the broker's purge and `report` needs nothing from the broker.
//!
//! - [`record`]: what a case is: the referral, the other desk, the events;
//! - [`history`]: a case's events merged with the broker's coarse view;
//! - [`search`]: which cases a typed reference, name or phone number means;
//! - [`store`]: where records and packets live on disk, and how they are
//!   encrypted;
//! - [`sync_state`]: where the last sync with the broker left off;
//! - [`auth`]: the tag that authenticates each record under a key only the
//!   unlocked keystore holds.

pub mod auth;
pub mod history;
pub mod record;
pub mod search;
pub mod store;
pub mod sync_state;

pub use auth::RecordKey;
pub use record::{AttachmentView, CaseEvent, CaseRecord, Direction, EventSource, ThreadLink};
pub use store::{CaseKeys, CaseStore, CaseStoreError};
pub use sync_state::SyncState;

use crate::exit::Failure;

impl From<CaseStoreError> for Failure {
    fn from(e: CaseStoreError) -> Self {
        match e {
            // A record that no key of this device opens was damaged or
            // replaced: an integrity failure, not a user error.
            CaseStoreError::Decrypt { .. } | CaseStoreError::Unauthenticated { .. } => {
                Failure::Verification(e.into())
            }
            CaseStoreError::Io { .. } | CaseStoreError::Malformed { .. } => Failure::User(e.into()),
        }
    }
}
