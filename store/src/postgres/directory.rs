//! The directory log: appending an entry together with its effect on the
//! broker's tables in one transaction, and reading entries back.
//!
//! Two brokers appending at the same head both try to insert the same
//! `seq`: the second waits on the primary key until the first commits, then
//! finds it taken and rolls back. Every other row an effect changes is
//! written only after that insert, so effects never interleave.

use async_trait::async_trait;
use referral_protocol::{DeviceId, RecipientKey, RequestId, VerifyingKey};
use sqlx::postgres::{PgConnection, PgPool};

use super::{auth, codec, desks, entries, requests};
use crate::directory_effects::{self, DirectoryTables, Expected};
use crate::{AppendOutcome, Desk, Device, NewEntry, StoreError, StoredEntry, UnixTime};

pub(super) async fn append(pool: &PgPool, entry: NewEntry) -> Result<AppendOutcome, StoreError> {
    let mut tx = pool.begin().await?;
    let outcome = append_in(&mut tx, entry).await?;
    // Only an appended entry commits: a refused effect rolls the entry back.
    if outcome == AppendOutcome::Appended {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    Ok(outcome)
}

async fn append_in(conn: &mut PgConnection, entry: NewEntry) -> Result<AppendOutcome, StoreError> {
    if !entries::insert_entry(conn, &entry).await? {
        return Ok(AppendOutcome::SeqTaken);
    }
    // After the insert, which waited for any concurrent append at this seq:
    // the entry before it must exist, or this broker's log is ahead of the
    // database (restored from an older backup, say).
    if entry.seq > 0 {
        let prev = sqlx::query("SELECT 1 FROM directory_entries WHERE seq = $1")
            .bind(codec::to_i64("directory seq", entry.seq - 1)?)
            .fetch_optional(&mut *conn)
            .await?;
        if prev.is_none() {
            return Ok(AppendOutcome::NotNext);
        }
    }
    directory_effects::apply(conn, entry.effect).await
}

/// The effects' reads and writes, inside the append's transaction (READ
/// COMMITTED): a row about to change is locked by the `UPDATE` itself or
/// read `FOR UPDATE`.
#[async_trait]
impl DirectoryTables for PgConnection {
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
            "UPDATE devices SET signing_key = $2, age_recipient = $3 \
             WHERE id = $1::uuid AND state = 'active'",
        )
        .bind(device.to_string())
        .bind(signing_key.as_bytes())
        .bind(age_recipient.as_str())
        .execute(self)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn revoke_device(&mut self, device: &DeviceId) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE devices SET state = 'revoked' WHERE id = $1::uuid AND state <> 'revoked'",
        )
        .bind(device.to_string())
        .execute(self)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn drop_requests_of(&mut self, device: &DeviceId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM requests WHERE device_id = $1::uuid")
            .bind(device.to_string())
            .execute(self)
            .await?;
        Ok(())
    }

    async fn lock_root(&mut self) -> Result<Option<VerifyingKey>, StoreError> {
        let old: Option<[u8; 32]> = sqlx::query_scalar("SELECT signing_key FROM root FOR UPDATE")
            .fetch_optional(self)
            .await?;
        Ok(old.map(VerifyingKey))
    }

    async fn replace_root(
        &mut self,
        old: &VerifyingKey,
        new: &VerifyingKey,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE root SET signing_key = $1")
            .bind(new.as_bytes())
            .execute(&mut *self)
            .await?;
        sqlx::query("UPDATE devices SET signing_key = $1 WHERE signing_key = $2")
            .bind(new.as_bytes())
            .bind(old.as_bytes())
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

pub(super) async fn since(pool: &PgPool, seq: u64) -> Result<Vec<StoredEntry>, StoreError> {
    let Ok(from) = i64::try_from(seq) else {
        // Past any position a BIGINT can hold: past the head.
        return Ok(Vec::new());
    };
    let rows: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT seq, entry FROM directory_entries WHERE seq >= $1 ORDER BY seq")
            .bind(from)
            .fetch_all(pool)
            .await?;
    rows.into_iter()
        .map(|(seq, bytes)| {
            Ok(StoredEntry {
                seq: codec::to_u64("directory seq", seq)?,
                bytes,
            })
        })
        .collect()
}
