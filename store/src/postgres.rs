//! PostgreSQL implementation of [`Store`], for several stateless brokers on
//! one database (SPEC §8, docs/adr/0002).
//!
//! - Every writing method is one transaction. Read-then-write methods lock
//!   what they read (`SELECT … FOR UPDATE` on the thread or packet row) under
//!   PostgreSQL's default READ COMMITTED isolation, so two brokers can never
//!   both act on the same stale state, and nothing needs retrying.
//! - Durability is PostgreSQL's own: `synchronous_commit=on` makes `COMMIT`
//!   wait for the WAL flush, and its group commit lets concurrent sends share
//!   one fsync. [`PostgresStore::connect`] refuses a server where either that
//!   or `fsync` is off.
//! - Ciphertext is stored as rows of at most [`crate::body::CHUNK_BYTES`] in
//!   `packet_chunks`, streamed in and out one chunk at a time.
//! - Migrations (`migrations/postgres`) run at connect. sqlx takes an
//!   advisory lock around them, so brokers starting together are safe.

mod auth;
mod codec;
mod desks;
mod directory;
mod entries;
pub mod maintenance;
mod packets;
mod purge;
mod requests;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;
mod threads;

use std::time::Duration;

use async_trait::async_trait;
use referral_protocol::{DeskId, DeviceId, PacketId, RequestId, ThreadId, VerifyingKey};
use sqlx::postgres::{PgPool, PgPoolOptions};

use crate::{
    AckOutcome, AppendOutcome, Backend, ChallengeKey, Counts, Desk, Device, EnrollOutcome, Invite,
    NewEntry, NewPacket, PacketBody, PacketMeta, PurgeCutoffs, PurgeReport, PutOutcome, Request,
    RewrapOutcome, RewrapPacket, RotationOutcome, Store, StoreError, StoredEntry, Thread,
    ThreadChanges, ThreadStat, TokenKey, UnixTime,
};

/// The migrations, embedded at build time.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// A [`Store`] on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Pool size used by [`PostgresStore::connect`]. Several brokers share
    /// one server (whose default `max_connections` is 100), so keep it modest.
    pub const DEFAULT_MAX_CONNECTIONS: u32 = 16;

    /// Connects with [`Self::DEFAULT_MAX_CONNECTIONS`], checks the durability
    /// settings and runs the migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, Self::DEFAULT_MAX_CONNECTIONS).await
    }

    /// Like [`Self::connect`], with a chosen pool size (at least 1).
    pub async fn connect_with(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            // A broker behind a load balancer should fail a request rather
            // than hang when the database is saturated or gone.
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        check_settings(&pool).await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// `synchronous_commit` values that make `COMMIT` wait for the local WAL
/// flush. `on` is the default; `remote_write` and `remote_apply` add waits
/// for standbys and `local` skips them, but all four are durable here. Only
/// `off` acknowledges commits that a crash can lose (SPEC §2.7).
const DURABLE_SYNCHRONOUS_COMMIT: [&str; 4] = ["on", "local", "remote_write", "remote_apply"];

/// Refuses a server that could lose acknowledged sends. Settings apply per
/// database and per role, so this is checked on our own connection.
async fn check_settings(pool: &PgPool) -> Result<(), StoreError> {
    let sync: String = sqlx::query_scalar("SELECT current_setting('synchronous_commit')")
        .fetch_one(pool)
        .await?;
    if !DURABLE_SYNCHRONOUS_COMMIT.contains(&sync.as_str()) {
        return Err(StoreError::Setting {
            name: "synchronous_commit",
            expected: "on".into(),
            actual: sync,
        });
    }
    let fsync: String = sqlx::query_scalar("SELECT current_setting('fsync')")
        .fetch_one(pool)
        .await?;
    if fsync != "on" {
        return Err(StoreError::Setting {
            name: "fsync",
            expected: "on".into(),
            actual: fsync,
        });
    }
    Ok(())
}

#[async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn ready(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn desk(&self, id: &DeskId) -> Result<Option<Desk>, StoreError> {
        desks::desk(&self.pool, id).await
    }

    async fn desks(&self) -> Result<Vec<Desk>, StoreError> {
        desks::desks(&self.pool).await
    }

    async fn device(&self, id: &DeviceId) -> Result<Option<Device>, StoreError> {
        desks::device(&self.pool, id).await
    }

    async fn set_bootstrap_code(
        &self,
        code_hash: [u8; 32],
        expires_at: UnixTime,
    ) -> Result<(), StoreError> {
        auth::set_bootstrap_code(&self.pool, code_hash, expires_at).await
    }

    async fn has_bootstrap_code(&self, now: UnixTime) -> Result<bool, StoreError> {
        auth::has_bootstrap_code(&self.pool, now).await
    }

    async fn claim_bootstrap(
        &self,
        code_hash: [u8; 32],
        now: UnixTime,
        admin: &Device,
        genesis: &NewEntry,
    ) -> Result<bool, StoreError> {
        auth::claim_bootstrap(&self.pool, code_hash, now, admin, genesis).await
    }

    async fn root_key(&self) -> Result<Option<VerifyingKey>, StoreError> {
        auth::root_key(&self.pool).await
    }

    async fn directory_since(&self, seq: u64) -> Result<Vec<StoredEntry>, StoreError> {
        directory::since(&self.pool, seq).await
    }

    async fn append_directory(&self, entry: NewEntry) -> Result<AppendOutcome, StoreError> {
        directory::append(&self.pool, entry).await
    }

    async fn create_invite(&self, invite: &Invite) -> Result<(), StoreError> {
        requests::create_invite(&self.pool, invite).await
    }

    async fn invite(
        &self,
        code_hash: [u8; 32],
        now: UnixTime,
    ) -> Result<Option<Invite>, StoreError> {
        requests::invite(&self.pool, &code_hash, now).await
    }

    async fn submit_enrollment(
        &self,
        code_hash: [u8; 32],
        now: UnixTime,
        request: &Request,
    ) -> Result<EnrollOutcome, StoreError> {
        requests::submit_enrollment(&self.pool, &code_hash, now, request).await
    }

    async fn submit_rotation(&self, request: &Request) -> Result<RotationOutcome, StoreError> {
        requests::submit_rotation(&self.pool, request).await
    }

    async fn pending_requests(&self) -> Result<Vec<Request>, StoreError> {
        requests::pending(&self.pool).await
    }

    async fn request(&self, id: &RequestId) -> Result<Option<Request>, StoreError> {
        requests::request_by_id(&self.pool, id).await
    }

    async fn put_challenge(
        &self,
        key: ChallengeKey,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Result<(), StoreError> {
        auth::put_challenge(&self.pool, &key, now, expires_at).await
    }

    async fn take_challenge(&self, key: ChallengeKey, now: UnixTime) -> Result<bool, StoreError> {
        auth::take_challenge(&self.pool, &key, now).await
    }

    async fn drop_expired_challenges(&self, now: UnixTime) -> Result<(), StoreError> {
        auth::delete_expired_challenges(&self.pool, now).await
    }

    async fn token_keys(&self) -> Result<Vec<TokenKey>, StoreError> {
        auth::token_keys(&self.pool).await
    }

    async fn rotate_token_key(&self, key: &TokenKey) -> Result<(), StoreError> {
        auth::rotate_token_key(&self.pool, key).await
    }

    async fn stage_token_key(&self, key: &TokenKey) -> Result<(), StoreError> {
        auth::stage_token_key(&self.pool, key).await
    }

    async fn put_packet(
        &self,
        packet: NewPacket,
        body: PacketBody,
    ) -> Result<PutOutcome, StoreError> {
        packets::put_packet(&self.pool, packet, body).await
    }

    async fn packet(&self, id: &PacketId) -> Result<Option<PacketMeta>, StoreError> {
        packets::packet(&self.pool, id).await
    }

    async fn packet_chunk(&self, id: &PacketId, seq: u32) -> Result<Option<Vec<u8>>, StoreError> {
        packets::packet_chunk(&self.pool, id, seq).await
    }

    async fn inbox(&self, desk: &DeskId, limit: u32) -> Result<Vec<PacketMeta>, StoreError> {
        packets::inbox(&self.pool, desk, limit).await
    }

    async fn pending_bytes_sent(&self, desk: &DeskId) -> Result<u64, StoreError> {
        packets::pending_bytes_sent(&self.pool, desk).await
    }

    async fn ack(
        &self,
        id: &PacketId,
        desk: &DeskId,
        now: UnixTime,
    ) -> Result<AckOutcome, StoreError> {
        packets::ack(&self.pool, id, desk, now).await
    }

    async fn rewrap_packet(
        &self,
        rewrap: RewrapPacket,
        body: PacketBody,
    ) -> Result<RewrapOutcome, StoreError> {
        packets::rewrap(&self.pool, &rewrap, body).await
    }

    async fn thread(&self, id: &ThreadId) -> Result<Option<Thread>, StoreError> {
        threads::thread(&self.pool, id).await
    }

    async fn threads_changed_since(
        &self,
        desk: &DeskId,
        after: u64,
        limit: u32,
    ) -> Result<ThreadChanges, StoreError> {
        threads::threads_changed_since(&self.pool, desk, after, limit).await
    }

    async fn purge(&self, cutoffs: PurgeCutoffs) -> Result<PurgeReport, StoreError> {
        purge::purge(&self.pool, cutoffs).await
    }

    async fn counts(&self) -> Result<Counts, StoreError> {
        desks::counts(&self.pool).await
    }

    async fn thread_stats(&self) -> Result<Vec<ThreadStat>, StoreError> {
        desks::thread_stats(&self.pool).await
    }
}
