//! The broker's verified copy of the directory log.
//!
//! At start the whole log is read from the store and replayed from its
//! genesis; a log that does not verify, or that disagrees with the root the
//! store holds, stops the broker from starting. Before each use the copy is
//! brought up to date: the entries from the cached head on are read, and the
//! one at the head must still be the entry the cache verified. If it is not
//! (the database was restored, or the cache is somehow behind a fork), the
//! whole log is read and verified again.
//!
//! The copy sits behind one async mutex. Holding it across an append makes
//! this broker's appends one at a time; brokers sharing a database are kept
//! apart by the store (`seq` is the primary key).

use referral_protocol::VerifyingKey;
use referral_protocol::directory::{DirectoryError, Entry, VerifiedLog};
use referral_store::{Store, StoreError, StoredEntry};
use tokio::sync::{Mutex, MutexGuard};

/// Why the log in the database cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The store failed.
    #[error("reading the directory log: {0}")]
    Store(#[from] StoreError),
    /// A stored entry is not a canonical entry, or sits at the wrong position.
    #[error("directory log entry at position {position} in the database is damaged: {reason}")]
    Damaged {
        /// Where it is stored.
        position: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The entries decode but do not verify as a log.
    #[error("the directory log in the database does not verify: {0}")]
    DoesNotVerify(#[from] DirectoryError),
    /// The store's root key is not the one the log leaves in force.
    #[error("the root key in the database is not the one the directory log names")]
    RootMismatch,
    /// A claimed broker with no log: the log was removed, or the broker was
    /// claimed before the log existed. Nothing can be appended to it.
    #[error(
        "the broker is claimed but its directory log is empty; restore the database or start a new one"
    )]
    ClaimedWithoutLog,
}

/// The cached log, `None` before the broker is claimed.
#[derive(Debug)]
pub struct DirectoryCache {
    log: Mutex<Option<VerifiedLog>>,
}

/// The locked cache.
pub type CacheGuard<'a> = MutexGuard<'a, Option<VerifiedLog>>;

impl DirectoryCache {
    /// Loads and verifies the whole log, and checks that the store's root
    /// is the log's current root (both change in one transaction, so a
    /// difference means someone edited the database).
    pub async fn load(store: &dyn Store) -> Result<Self, LoadError> {
        let log = verify(store.directory_since(0).await?, store.root_key().await?)?;
        Ok(Self {
            log: Mutex::new(log),
        })
    }

    /// Locks the cache without refreshing it (for checks that may run
    /// against a slightly old copy because the store checks again).
    pub async fn lock(&self) -> CacheGuard<'_> {
        self.log.lock().await
    }

    /// Locks the cache and brings it up to date with the store.
    pub async fn fresh(&self, store: &dyn Store) -> Result<CacheGuard<'_>, LoadError> {
        let mut guard = self.log.lock().await;
        refresh(store, &mut guard).await?;
        Ok(guard)
    }
}

/// Brings `slot` up to date: reads the entries from the cached head on and
/// extends the cache with them, or reloads everything when the entry at the
/// head is not the one the cache holds.
pub async fn refresh(store: &dyn Store, slot: &mut Option<VerifiedLog>) -> Result<(), LoadError> {
    let Some(log) = slot.as_mut() else {
        *slot = read_all(store).await?;
        return Ok(());
    };
    let head = log.head();
    let fetched = decode_all(store.directory_since(head.seq).await?)?;
    let still_ours = fetched
        .first()
        .is_some_and(|first| first.seq == head.seq && first.hash() == head.hash);
    if !still_ours {
        tracing::warn!("the directory log's head changed under this broker; reloading it");
        *slot = read_all(store).await?;
        return Ok(());
    }
    if fetched.len() > 1 {
        log.extend(&fetched)?;
    }
    Ok(())
}

/// Verifies a whole stored log from its genesis with the clients' own
/// verifier, and checks that `root` (the store's) is the root it leaves in
/// force; `None` for an unclaimed broker. `load` and `referral-broker
/// check` both come here, so a log the broker serves is one `check` passes.
pub fn verify(
    stored: Vec<StoredEntry>,
    root: Option<VerifyingKey>,
) -> Result<Option<VerifiedLog>, LoadError> {
    let entries = decode_all(stored)?;
    let log = if entries.is_empty() {
        None
    } else {
        Some(VerifiedLog::from_genesis(entries, None)?)
    };
    match (&log, root) {
        (None, None) => {}
        (None, Some(_)) => return Err(LoadError::ClaimedWithoutLog),
        (Some(log), Some(root)) if *log.state().root() == root => {}
        (Some(_), _) => return Err(LoadError::RootMismatch),
    }
    Ok(log)
}

/// Reads and verifies the whole log; `None` when it is empty.
pub async fn read_all(store: &dyn Store) -> Result<Option<VerifiedLog>, LoadError> {
    let entries = decode_all(store.directory_since(0).await?)?;
    if entries.is_empty() {
        return Ok(None);
    }
    Ok(Some(VerifiedLog::from_genesis(entries, None)?))
}

fn decode_all(stored: Vec<StoredEntry>) -> Result<Vec<Entry>, LoadError> {
    stored
        .into_iter()
        .map(|s| {
            let entry = Entry::decode(&s.bytes).map_err(|e| LoadError::Damaged {
                position: s.seq,
                reason: e.to_string(),
            })?;
            if entry.seq != s.seq {
                return Err(LoadError::Damaged {
                    position: s.seq,
                    reason: format!("the entry says it is seq {}", entry.seq),
                });
            }
            Ok(entry)
        })
        .collect()
}
