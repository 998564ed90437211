//! The embedded SQLite backend, the default (SPEC §8, docs/adr/0002):
//! `<data-dir>/broker.db`, WAL, `synchronous=FULL`, `secure_delete=ON`, a
//! busy timeout and foreign keys, asserted at start; one writer task that
//! group-commits concurrent writes (`writer`); a pool of read-only
//! connections for reads (`reads`).

mod ack_set;
mod auth;
mod codec;
mod desks;
mod directory;
mod entries;
mod files;
pub mod maintenance;
mod packets;
mod purge;
mod put_set;
mod reads;
mod requests;
mod settings;
mod threads;
mod writer;

/// Prepared statements the write connection keeps.
const WRITER_STATEMENT_CACHE: usize = 8 * writer::MAX_BATCH;

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use referral_protocol::{DeskId, DeviceId, PacketId, RequestId, ThreadId, VerifyingKey};
use secrecy::{ExposeSecret, SecretSlice};
use sqlx::migrate::Migrator;
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::{ConnectOptions, SqlitePool};

pub use settings::{BUSY_TIMEOUT, SqliteSettings};
use writer::{Op, Reply, WriterHandle};

use crate::{
    AckOutcome, AppendOutcome, Backend, ChallengeKey, Counts, Desk, Device, EnrollOutcome, Invite,
    NewEntry, NewPacket, PacketBody, PacketMeta, PurgeCutoffs, PurgeReport, PutOutcome, Request,
    RewrapOutcome, RewrapPacket, RotationOutcome, Store, StoreError, StoredEntry, Thread,
    ThreadChanges, ThreadStat, TokenKey, UnixTime,
};

/// The SQLite migrations, compiled in (`build.rs` makes a new file in
/// `migrations/sqlite` trigger a rebuild).
static MIGRATOR: Migrator = sqlx::migrate!("../migrations/sqlite");

/// Read-only connections beside the writer (two cores; reads are short).
const READERS: u32 = 4;

/// The SQLite store. Dropping it stops the writer once its queue is empty;
/// [`SqliteStore::close`] also waits for that.
#[derive(Debug)]
pub struct SqliteStore {
    writer: WriterHandle,
    readers: SqlitePool,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed) `<data_dir>/broker.db`: the directory is
    /// made 0700 and the file 0600, migrations run, and the settings are
    /// read back on the writer and on a reader; any difference from
    /// [`SqliteSettings::required`] is a [`StoreError::Setting`].
    pub async fn open(data_dir: &Path) -> Result<Self, StoreError> {
        files::prepare_dir(data_dir)?;
        let path = data_dir.join(files::DB_FILE);
        files::create_private(&path)?;
        let options = settings::connect_options(&path);

        // The writer's set statements (ADR 0007) are prepared once per row
        // count, up to `MAX_BATCH`, about six each: a cache of sqlx's
        // default 100 would evict and re-prepare them on every batch.
        let mut conn = options
            .clone()
            .statement_cache_capacity(WRITER_STATEMENT_CACHE)
            .connect()
            .await?;
        let found = settings::read(&mut conn).await?;
        found.check()?;
        MIGRATOR.run(&mut conn).await?;
        files::tighten_siblings(&path)?;

        let readers = SqlitePoolOptions::new()
            .max_connections(READERS)
            .connect_with(options.read_only(true))
            .await?;
        settings::read(&mut *readers.acquire().await?)
            .await?
            .check()?;

        tracing::info!(db = %path.display(), settings = %found, "SQLite store open");
        Ok(Self {
            writer: WriterHandle::spawn(conn),
            readers,
            path,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The settings in force on the write connection, read back from SQLite.
    pub async fn settings(&self) -> Result<SqliteSettings, StoreError> {
        self.writer.settings().await
    }

    /// The settings in force on a read connection, read back from SQLite.
    pub async fn reader_settings(&self) -> Result<SqliteSettings, StoreError> {
        settings::read(&mut *self.readers.acquire().await?).await
    }

    /// How many transactions the writer has committed: fewer than the writes
    /// asked for when concurrent writes shared a commit.
    pub fn commits(&self) -> u64 {
        self.writer.commits()
    }

    /// Finishes the queued writes, stops the writer and closes every
    /// connection (for a graceful shutdown).
    pub async fn close(self) {
        self.writer.shutdown().await;
        self.readers.close().await;
    }

    /// Runs the op `op` builds around its reply channel on the writer.
    async fn write<T>(&self, op: impl FnOnce(Reply<T>) -> Op) -> Result<T, StoreError> {
        self.writer.run(op).await
    }
}

/// A body whose length is not the packet's stated length is a bug in the
/// caller; storing it would make the size metadata lie.
fn check_len(packet: &NewPacket, body: &PacketBody) -> Result<(), StoreError> {
    if body.len() == packet.bytes {
        return Ok(());
    }
    Err(StoreError::Body(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        "the body's length differs from the packet's byte count",
    )))
}

/// An owned copy for the writer task (`TokenKey` is deliberately not Clone).
fn copy_key(key: &TokenKey) -> TokenKey {
    TokenKey {
        kid: key.kid.clone(),
        pkcs8: SecretSlice::from(key.pkcs8.expose_secret().to_vec()),
        public: key.public,
        created_at: key.created_at,
        retired_at: key.retired_at,
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn ready(&self) -> Result<(), StoreError> {
        if !self.writer.alive() {
            return Err(StoreError::WriterGone);
        }
        reads::ping(&self.readers).await
    }

    async fn desk(&self, id: &DeskId) -> Result<Option<Desk>, StoreError> {
        reads::desk(&self.readers, id).await
    }

    async fn desks(&self) -> Result<Vec<Desk>, StoreError> {
        reads::desks(&self.readers).await
    }

    async fn device(&self, id: &DeviceId) -> Result<Option<Device>, StoreError> {
        reads::device(&self.readers, id).await
    }

    async fn set_bootstrap_code(
        &self,
        code_hash: [u8; 32],
        expires_at: UnixTime,
    ) -> Result<(), StoreError> {
        self.write(|reply| Op::SetBootstrapCode {
            code_hash,
            expires_at,
            reply,
        })
        .await
    }

    async fn has_bootstrap_code(&self, now: UnixTime) -> Result<bool, StoreError> {
        reads::has_bootstrap_code(&self.readers, now).await
    }

    async fn claim_bootstrap(
        &self,
        code_hash: [u8; 32],
        now: UnixTime,
        admin: &Device,
        genesis: &NewEntry,
    ) -> Result<bool, StoreError> {
        genesis.check_genesis()?;
        self.write(|reply| Op::ClaimBootstrap {
            code_hash,
            now,
            admin: admin.clone(),
            genesis: genesis.clone(),
            reply,
        })
        .await
    }

    async fn root_key(&self) -> Result<Option<VerifyingKey>, StoreError> {
        reads::root_key(&self.readers).await
    }

    async fn directory_since(&self, seq: u64) -> Result<Vec<StoredEntry>, StoreError> {
        directory::since(&self.readers, seq).await
    }

    async fn append_directory(&self, entry: NewEntry) -> Result<AppendOutcome, StoreError> {
        self.write(|reply| Op::AppendDirectory(entry, reply)).await
    }

    async fn create_invite(&self, invite: &Invite) -> Result<(), StoreError> {
        self.write(|reply| Op::CreateInvite(invite.clone(), reply))
            .await
    }

    async fn invite(
        &self,
        code_hash: [u8; 32],
        now: UnixTime,
    ) -> Result<Option<Invite>, StoreError> {
        requests::invite(&self.readers, &code_hash, now).await
    }

    async fn submit_enrollment(
        &self,
        code_hash: [u8; 32],
        now: UnixTime,
        request: &Request,
    ) -> Result<EnrollOutcome, StoreError> {
        self.write(|reply| Op::SubmitEnrollment {
            code_hash,
            now,
            request: request.clone(),
            reply,
        })
        .await
    }

    async fn submit_rotation(&self, request: &Request) -> Result<RotationOutcome, StoreError> {
        self.write(|reply| Op::SubmitRotation(request.clone(), reply))
            .await
    }

    async fn pending_requests(&self) -> Result<Vec<Request>, StoreError> {
        requests::pending(&self.readers).await
    }

    async fn request(&self, id: &RequestId) -> Result<Option<Request>, StoreError> {
        requests::request(&self.readers, id).await
    }

    async fn put_challenge(
        &self,
        key: ChallengeKey,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Result<(), StoreError> {
        self.write(|reply| Op::PutChallenge {
            key,
            now,
            expires_at,
            reply,
        })
        .await
    }

    async fn take_challenge(&self, key: ChallengeKey, now: UnixTime) -> Result<bool, StoreError> {
        self.write(|reply| Op::TakeChallenge { key, now, reply })
            .await
    }

    async fn drop_expired_challenges(&self, now: UnixTime) -> Result<(), StoreError> {
        self.write(|reply| Op::DropExpiredChallenges { now, reply })
            .await
    }

    async fn token_keys(&self) -> Result<Vec<TokenKey>, StoreError> {
        reads::token_keys(&self.readers).await
    }

    async fn rotate_token_key(&self, key: &TokenKey) -> Result<(), StoreError> {
        self.write(|reply| Op::RotateTokenKey(copy_key(key), reply))
            .await
    }

    async fn stage_token_key(&self, key: &TokenKey) -> Result<(), StoreError> {
        self.write(|reply| Op::StageTokenKey(copy_key(key), reply))
            .await
    }

    async fn put_packet(
        &self,
        packet: NewPacket,
        body: PacketBody,
    ) -> Result<PutOutcome, StoreError> {
        check_len(&packet, &body)?;
        self.write(|reply| Op::PutPacket(packet, body, reply)).await
    }

    async fn packet(&self, id: &PacketId) -> Result<Option<PacketMeta>, StoreError> {
        reads::packet(&self.readers, id).await
    }

    async fn packet_chunk(&self, id: &PacketId, seq: u32) -> Result<Option<Vec<u8>>, StoreError> {
        reads::packet_chunk(&self.readers, id, seq).await
    }

    async fn inbox(&self, desk: &DeskId, limit: u32) -> Result<Vec<PacketMeta>, StoreError> {
        reads::inbox(&self.readers, desk, limit).await
    }

    async fn pending_bytes_sent(&self, desk: &DeskId) -> Result<u64, StoreError> {
        reads::pending_bytes_sent(&self.readers, desk).await
    }

    async fn ack(
        &self,
        id: &PacketId,
        desk: &DeskId,
        now: UnixTime,
    ) -> Result<AckOutcome, StoreError> {
        self.write(|reply| Op::Ack {
            id: *id,
            desk: desk.clone(),
            now,
            reply,
        })
        .await
    }

    async fn rewrap_packet(
        &self,
        rewrap: RewrapPacket,
        body: PacketBody,
    ) -> Result<RewrapOutcome, StoreError> {
        self.write(|reply| Op::Rewrap(rewrap, body, reply)).await
    }

    async fn thread(&self, id: &ThreadId) -> Result<Option<Thread>, StoreError> {
        reads::thread(&self.readers, id).await
    }

    async fn threads_changed_since(
        &self,
        desk: &DeskId,
        after: u64,
        limit: u32,
    ) -> Result<ThreadChanges, StoreError> {
        reads::threads_changed_since(&self.readers, desk, after, limit).await
    }

    async fn purge(&self, cutoffs: PurgeCutoffs) -> Result<PurgeReport, StoreError> {
        self.write(|reply| Op::Purge { cutoffs, reply }).await
    }

    async fn counts(&self) -> Result<Counts, StoreError> {
        reads::counts(&self.readers).await
    }

    async fn thread_stats(&self) -> Result<Vec<ThreadStat>, StoreError> {
        reads::thread_stats(&self.readers).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The inbox must come from the partial index, in index order: no scan
    /// of every stored packet and no sort step.
    #[tokio::test]
    async fn the_pending_sum_reads_the_covering_index_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let sql = sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {}", reads::PENDING_BYTES_SENT));
        let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(sql)
            .bind("some-desk")
            .fetch_all(&store.readers)
            .await
            .unwrap();
        let details: Vec<&str> = plan.iter().map(|row| row.3.as_str()).collect();
        assert!(
            details
                .iter()
                .any(|d| d.contains("USING COVERING INDEX packets_pending_by_sender")),
            "{details:?}"
        );
    }

    #[tokio::test]
    async fn inbox_uses_the_partial_index_without_sorting() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let sql = sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {}", reads::INBOX));
        let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(sql)
            .bind("some-desk")
            .bind(10_i64)
            .fetch_all(&store.readers)
            .await
            .unwrap();
        let details: Vec<&str> = plan.iter().map(|row| row.3.as_str()).collect();
        assert!(
            details
                .iter()
                .any(|d| d.contains("USING INDEX packets_inbox")),
            "{details:?}"
        );
        assert!(
            !details.iter().any(|d| d.contains("TEMP B-TREE")),
            "{details:?}"
        );
    }
}
