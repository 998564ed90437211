//! Where `cases` and `report` left off syncing with the broker (ADR 0014):
//! kept in the case store, sealed and authenticated like a record, so that
//! nobody who can write the home can make a stale list pass for a fresh
//! one, or skip changes by moving the cursor.

use serde::{Deserialize, Serialize};

/// The last successful sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    /// The broker the cursor belongs to (its URL): a cursor means nothing
    /// to another broker, so a change of broker syncs from the start.
    pub broker: String,
    /// The broker's opaque cursor, handed back as it was given (`None`:
    /// from the start, as when a reply failed on the first sync).
    pub cursor: Option<String>,
    /// When the sync finished (Unix seconds, this device's clock).
    pub synced_at: i64,
}
