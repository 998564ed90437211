//! The directory log: appending an entry together with its effect on the
//! broker's tables (on the writer's connection, inside the op's savepoint,
//! which the writer rolls back for every outcome but `Appended`), and
//! reading entries back.

use async_trait::async_trait;
use referral_protocol::{DeviceId, RecipientKey, RequestId, VerifyingKey};
use sqlx::SqliteConnection;

use super::{auth, codec, desks, entries, requests};
use crate::directory_effects::{self, DirectoryTables, Expected};
use crate::{AppendOutcome, Desk, Device, NewEntry, StoreError, StoredEntry, UnixTime};

/// The entry goes in only at the next free position; then its effect.
pub(super) async fn append(
    conn: &mut SqliteConnection,
    entry: NewEntry,
) -> Result<AppendOutcome, StoreError> {
    let next: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq) + 1, 0) FROM directory_entries")
        .fetch_one(&mut *conn)
        .await?;
    let seq = codec::signed(entry.seq)?;
    if seq < next {
        return Ok(AppendOutcome::SeqTaken);
    }
    if seq > next {
        return Ok(AppendOutcome::NotNext);
    }
    entries::insert_entry(conn, &entry).await?;
    directory_effects::apply(conn, entry.effect).await
}

/// The effects' reads and writes, on the writer's connection.
#[async_trait]
impl DirectoryTables for SqliteConnection {
    async fn create_desk(&mut self, desk: &Desk) -> Result<bool, StoreError> {
        desks::create_desk(self, desk).await
    }

    async fn close_request(
        &mut self,
        id: &RequestId,
        expected: Expected<'_>,
    ) -> Result<bool, StoreError> {
        requests::close(self, id, expected).await
    }

    async fn device_exists(&mut self, id: &DeviceId) -> Result<bool, StoreError> {
        desks::device_exists(self, id).await
    }

    async fn signing_key_used(&mut self, key: &VerifyingKey) -> Result<bool, StoreError> {
        desks::signing_key_used(self, key).await
    }

    async fn add_device(&mut self, device: &Device) -> Result<bool, StoreError> {
        desks::add_device(self, device).await
    }

    async fn set_device_keys(
        &mut self,
        device: &DeviceId,
        signing_key: &VerifyingKey,
        age_recipient: &RecipientKey,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE devices SET signing_key = ?, age_recipient = ? \
             WHERE id = ? AND state = 'active'",
        )
        .bind(&signing_key.as_bytes()[..])
        .bind(age_recipient.as_str())
        .bind(&device.as_bytes()[..])
        .execute(self)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn revoke_device(&mut self, device: &DeviceId) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE devices SET state = 'revoked' WHERE id = ? AND state <> 'revoked'")
                .bind(&device.as_bytes()[..])
                .execute(self)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn drop_requests_of(&mut self, device: &DeviceId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM requests WHERE device_id = ?")
            .bind(&device.as_bytes()[..])
            .execute(self)
            .await?;
        Ok(())
    }

    /// The writer holds the only write lock already.
    async fn lock_root(&mut self) -> Result<Option<VerifyingKey>, StoreError> {
        let old: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT signing_key FROM root WHERE slot = 1")
                .fetch_optional(self)
                .await?;
        old.map(|key| Ok(VerifyingKey(codec::bytes32(&key, "root key")?)))
            .transpose()
    }

    async fn replace_root(
        &mut self,
        old: &VerifyingKey,
        new: &VerifyingKey,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE root SET signing_key = ? WHERE slot = 1")
            .bind(&new.as_bytes()[..])
            .execute(&mut *self)
            .await?;
        sqlx::query("UPDATE devices SET signing_key = ? WHERE signing_key = ?")
            .bind(&new.as_bytes()[..])
            .bind(&old.as_bytes()[..])
            .execute(self)
            .await?;
        Ok(())
    }

    async fn activate_token_key(
        &mut self,
        kid: &str,
        public: &VerifyingKey,
        at: UnixTime,
    ) -> Result<bool, StoreError> {
        auth::activate_token_key(self, kid, public, at).await
    }
}

/// Entries from `seq` on, in order, on the read pool.
pub(super) async fn since(
    pool: &sqlx::SqlitePool,
    seq: u64,
) -> Result<Vec<StoredEntry>, StoreError> {
    let Ok(from) = i64::try_from(seq) else {
        // Past any position SQLite can hold: past the head.
        return Ok(Vec::new());
    };
    let rows: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT seq, entry FROM directory_entries WHERE seq >= ? ORDER BY seq")
            .bind(from)
            .fetch_all(pool)
            .await?;
    rows.into_iter()
        .map(|(seq, bytes)| {
            Ok(StoredEntry {
                seq: codec::unsigned(seq, "directory seq")?,
                bytes,
            })
        })
        .collect()
}
