//! The broker's storage, behind one trait ([`Store`]) with an implementation
//! per backend (atuin's `Database` trait is the model; docs/adr/0002):
//!
//! - [`sqlite::SqliteStore`]: embedded, the default; WAL, `synchronous=FULL`,
//!   `secure_delete=ON`, one writer task that group-commits concurrent sends;
//! - [`postgres::PostgresStore`]: for several stateless brokers.
//!
//! [`inspect`] (with each backend's `maintenance`) reads a database for
//! `referral-broker check` without migrating it; SQLite's also makes online
//! backups.
//!
//! Both run their own migrations (`migrations/sqlite`, `migrations/postgres`)
//! at start, and both pass the same behavioural suite (`conformance`, behind
//! the `test-support` feature), and both are checked against the inventory
//! of what a seized database holds (`inventory`, same feature).

#![forbid(unsafe_code)]

pub mod body;
#[cfg(feature = "test-support")]
pub mod conformance;
mod directory;
mod directory_effects;
mod encoding;
mod error;
pub mod inspect;
#[cfg(feature = "test-support")]
pub mod inventory;
mod lifecycle;
pub mod model;
pub mod postgres;
mod retention;
pub mod sqlite;

use async_trait::async_trait;
use referral_protocol::{DeskId, DeviceId, PacketId, RequestId, ThreadId};

pub use body::PacketBody;
pub use directory::*;
pub use error::StoreError;
pub use model::*;

/// Which database is behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The broker's storage. Every method is one transaction: it either happens
/// completely or not at all, and a method that returned `Ok` after a write has
/// made that write durable.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is.
    fn backend(&self) -> Backend;

    /// Whether the database answers (for `/readyz`).
    async fn ready(&self) -> Result<(), StoreError>;

    // --- desks and devices (changed only through the directory log) -------

    /// One desk.
    async fn desk(&self, id: &DeskId) -> Result<Option<Desk>, StoreError>;

    /// Every desk, by id.
    async fn desks(&self) -> Result<Vec<Desk>, StoreError>;

    /// One device.
    async fn device(&self, id: &DeviceId) -> Result<Option<Device>, StoreError>;

    // --- bootstrap and root --------------------------------------------------

    /// Records the hash of a fresh bootstrap code, replacing any unclaimed
    /// one. Refused with [`StoreError::AlreadyClaimed`] once a root exists.
    async fn set_bootstrap_code(
        &self,
        code_hash: [u8; 32],
        expires_at: UnixTime,
    ) -> Result<(), StoreError>;

    /// Whether an unexpired, unclaimed bootstrap code exists.
    async fn has_bootstrap_code(&self, now: UnixTime) -> Result<bool, StoreError>;

    /// Claims the broker: if `code_hash` matches an unexpired, unclaimed code,
    /// no root exists and the log is empty, records `admin` as the first
    /// device, its signing key as the root and `genesis` as log entry 0, all
    /// at once. `false` otherwise (nothing changes). `genesis` must have
    /// `seq` 0 and no effect ([`StoreError::Invalid`] otherwise).
    async fn claim_bootstrap(
        &self,
        code_hash: [u8; 32],
        now: UnixTime,
        admin: &Device,
        genesis: &NewEntry,
    ) -> Result<bool, StoreError>;

    /// The current root signing key, once claimed.
    async fn root_key(&self) -> Result<Option<referral_protocol::VerifyingKey>, StoreError>;

    // --- the directory log (ADR 0003) ------------------------------------------

    /// The entries from `seq` on, in order (empty past the head).
    async fn directory_since(&self, seq: u64) -> Result<Vec<StoredEntry>, StoreError>;

    /// Appends an entry and applies its effect, in one transaction. See
    /// [`AppendOutcome`] for refusals; a refusal changes nothing.
    async fn append_directory(&self, entry: NewEntry) -> Result<AppendOutcome, StoreError>;

    // --- invites and requests (ADR 0004) ---------------------------------------

    /// Stores a one-time invite. [`StoreError::UnknownDesk`] if its desk does
    /// not exist.
    async fn create_invite(&self, invite: &Invite) -> Result<(), StoreError>;

    /// The invite with this code hash, if it is unused and unexpired at `now`.
    async fn invite(
        &self,
        code_hash: [u8; 32],
        now: UnixTime,
    ) -> Result<Option<Invite>, StoreError>;

    /// Consumes the invite and stores the enrollment request, atomically:
    /// the invite must be unused, unexpired, and for the request's desk and
    /// role; the device id and signing key must be new to every device and
    /// pending request.
    async fn submit_enrollment(
        &self,
        code_hash: [u8; 32],
        now: UnixTime,
        request: &Request,
    ) -> Result<EnrollOutcome, StoreError>;

    /// Stores a rotation request for an active device, replacing its earlier
    /// pending rotation if any (at most one per device).
    async fn submit_rotation(&self, request: &Request) -> Result<RotationOutcome, StoreError>;

    /// Every pending request, oldest first.
    async fn pending_requests(&self) -> Result<Vec<Request>, StoreError>;

    /// One pending request.
    async fn request(&self, id: &RequestId) -> Result<Option<Request>, StoreError>;

    // --- auth ----------------------------------------------------------------

    /// Stores a single-use challenge under its [`ChallengeKey`], and deletes
    /// every challenge that expired by `now`.
    async fn put_challenge(
        &self,
        key: ChallengeKey,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Result<(), StoreError>;

    /// Consumes a challenge: `true` if it existed and had not expired by
    /// `now`; either way it can never be used again. Every other challenge
    /// that expired by `now` is deleted too.
    async fn take_challenge(&self, key: ChallengeKey, now: UnixTime) -> Result<bool, StoreError>;

    /// Deletes every challenge that expired by `now`. The broker runs this
    /// every minute, so a login nobody finished leaves no row for longer
    /// than that past its expiry, even on a broker nobody else logs in to.
    async fn drop_expired_challenges(&self, now: UnixTime) -> Result<(), StoreError>;

    /// Every token-signing key, newest first.
    async fn token_keys(&self) -> Result<Vec<TokenKey>, StoreError>;

    /// Adds a token-signing key and retires the others at `key.created_at`.
    /// The broker's first key is made this way at first start; later keys
    /// are staged and activated by a `TokenKeyRotated` entry.
    async fn rotate_token_key(&self, key: &TokenKey) -> Result<(), StoreError>;

    /// Stages a token-signing key for a later `TokenKeyRotated` entry
    /// ([`DirectoryEffect::ActivateTokenKey`]). Staged keys older than
    /// [`STAGED_TOKEN_KEY_TTL`] are dropped by the purge.
    async fn stage_token_key(&self, key: &TokenKey) -> Result<(), StoreError>;

    // --- packets -------------------------------------------------------------

    /// Stores a packet and its ciphertext and applies its effect on its
    /// thread, atomically and durably. See [`PutOutcome`] for refusals;
    /// a refusal changes nothing.
    async fn put_packet(
        &self,
        packet: NewPacket,
        body: PacketBody,
    ) -> Result<PutOutcome, StoreError>;

    /// A packet's metadata.
    async fn packet(&self, id: &PacketId) -> Result<Option<PacketMeta>, StoreError>;

    /// Chunk `seq` of a packet's ciphertext (chunks are at most
    /// [`body::CHUNK_BYTES`]); `None` past the end or once purged.
    async fn packet_chunk(&self, id: &PacketId, seq: u32) -> Result<Option<Vec<u8>>, StoreError>;

    /// The total size of the pending packets `desk` has sent (not yet
    /// acknowledged, not expired): what the broker's per-desk cap counts.
    async fn pending_bytes_sent(&self, desk: &DeskId) -> Result<u64, StoreError>;

    /// Pending packets addressed to `desk`, oldest first, at most `limit`.
    async fn inbox(&self, desk: &DeskId, limit: u32) -> Result<Vec<PacketMeta>, StoreError>;

    /// Acknowledges a packet addressed to `desk`; a referral's thread becomes
    /// `received`.
    async fn ack(
        &self,
        id: &PacketId,
        desk: &DeskId,
        now: UnixTime,
    ) -> Result<AckOutcome, StoreError>;

    /// Replaces a pending packet's ciphertext (a rewrap, ADR 0004) if it is
    /// addressed to `rewrap.desk`, still pending, and its stored SHA-256 and
    /// length are `rewrap.replaces` and `rewrap.bytes`. The caller has
    /// checked that only the age header differs.
    async fn rewrap_packet(
        &self,
        rewrap: RewrapPacket,
        body: PacketBody,
    ) -> Result<RewrapOutcome, StoreError>;

    /// A thread and its history.
    async fn thread(&self, id: &ThreadId) -> Result<Option<Thread>, StoreError>;

    /// The threads in which `desk` is the sender or the recipient whose
    /// last change has a sequence number above `after`, oldest change first,
    /// at most `limit` (capped at [`THREAD_CHANGES_PAGE_MAX`]), read in one
    /// snapshot (ADR 0014).
    async fn threads_changed_since(
        &self,
        desk: &DeskId,
        after: u64,
        limit: u32,
    ) -> Result<ThreadChanges, StoreError>;

    /// Deletes ciphertext acknowledged before `cutoffs.acked_before`,
    /// expires pending packets past their expiry at `cutoffs.now` (their
    /// referral threads become `expired`), leaves a tombstone per deleted
    /// packet, deletes closed threads older than `cutoffs.closed_before`
    /// that no packet names (each becomes a weekly count, ADR 0019 §1),
    /// drops expired invites, stale challenges and staged token keys, and
    /// reclaims space (SQLite: `wal_checkpoint(TRUNCATE)`).
    async fn purge(&self, cutoffs: PurgeCutoffs) -> Result<PurgeReport, StoreError>;

    /// Counts for metrics.
    async fn counts(&self) -> Result<Counts, StoreError>;

    /// Threads by recipient desk, status and week of creation, for
    /// `admin stats`: counts only. Deleted threads are still counted
    /// (their weekly counts are added), so a purge does not change it.
    async fn thread_stats(&self) -> Result<Vec<ThreadStat>, StoreError>;
}

/// How long a staged token key may wait for its `TokenKeyRotated` entry.
/// An administrator stages, signs and appends in one command; a key left
/// over (the command failed half-way) is a private key nobody will use.
pub const STAGED_TOKEN_KEY_TTL: UnixTime = 24 * 3600;

/// How long a retired token-signing key is kept. It verifies only tokens it
/// signed that are still alive, and a token lives at most 15 minutes (with
/// 30 s of leeway): after an hour it verifies nothing, and its private key
/// would only let whoever seizes the database mint tokens with an old `kid`
/// that no broker accepts any more. The purge deletes it.
pub const RETIRED_TOKEN_KEY_TTL: UnixTime = 3600;

/// What a challenge row is keyed by: SHA-256 of a domain, the device the
/// challenge was issued to and the challenge itself. The row then names no
/// device (ADR 0019 §2): the challenge is never stored, so nobody holding
/// the database can tell whose login a row was. The token request names
/// the device and returns the challenge, so the broker finds the row again,
/// and a challenge answered for another device finds nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ChallengeKey([u8; 32]);

impl ChallengeKey {
    /// The key of `challenge` as issued to `device`.
    pub fn new(device: &DeviceId, challenge: &[u8]) -> Self {
        Self(domain_sha256(
            b"referral-broker challenge v1\0",
            &[device.as_bytes(), challenge],
        ))
    }

    /// The 32 bytes stored in `challenges.key`.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for ChallengeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChallengeKey(..)")
    }
}

/// SHA-256 of a packet id under the tombstone domain: what `tombstones`
/// keeps, so a replayed id can be refused without keeping the id.
pub fn tombstone_hash(id: &PacketId) -> [u8; 32] {
    domain_sha256(b"referral-broker tombstone v1\0", &[id.as_bytes()])
}

/// SHA-256 of `domain` followed by `parts`. Each use has its own domain, so
/// a value hashed for one table can never match another's.
fn domain_sha256(domain: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(domain);
    for part in parts {
        ctx.update(part);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_challenge_key_depends_on_device_and_challenge_and_shows_neither() {
        let (a, b) = (DeviceId::random(), DeviceId::random());
        let key = ChallengeKey::new(&a, &[1; 32]);
        assert_eq!(key, ChallengeKey::new(&a, &[1; 32]));
        assert_ne!(key, ChallengeKey::new(&b, &[1; 32]), "another device");
        assert_ne!(key, ChallengeKey::new(&a, &[2; 32]), "another challenge");
        assert!(
            !key.as_bytes().windows(16).any(|w| w == a.as_bytes()),
            "the device id is not in the key"
        );
        assert_eq!(format!("{key:?}"), "ChallengeKey(..)");
    }
}
