//! Writes for the bootstrap claim, auth challenges and token keys, on the
//! writer's connection inside its batch's transaction and the op's own
//! savepoint (see `writer`); these functions check before they write, so a
//! refusal does no work to undo.

use referral_protocol::VerifyingKey;
use secrecy::{ExposeSecret, SecretSlice};
use sqlx::SqliteConnection;

use super::{desks, entries};
use crate::{ChallengeKey, Device, NewEntry, StoreError, TokenKey, UnixTime};

async fn has_root(conn: &mut SqliteConnection) -> Result<bool, StoreError> {
    let found = sqlx::query("SELECT 1 FROM root WHERE slot = 1")
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

pub(super) async fn set_bootstrap_code(
    conn: &mut SqliteConnection,
    code_hash: &[u8; 32],
    expires_at: UnixTime,
) -> Result<(), StoreError> {
    if has_root(conn).await? {
        return Err(StoreError::AlreadyClaimed);
    }
    sqlx::query(
        "INSERT INTO bootstrap (slot, code_hash, expires_at, claimed_at) VALUES (1, ?, ?, NULL) \
         ON CONFLICT (slot) DO UPDATE SET code_hash = excluded.code_hash, \
         expires_at = excluded.expires_at, claimed_at = NULL",
    )
    .bind(&code_hash[..])
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The admin device, the root key, the genesis entry and the spent code, all
/// in one savepoint: a claim happens completely or not at all.
pub(super) async fn claim_bootstrap(
    conn: &mut SqliteConnection,
    code_hash: &[u8; 32],
    now: UnixTime,
    admin: &Device,
    genesis: &NewEntry,
) -> Result<bool, StoreError> {
    genesis.check_genesis()?;
    if has_root(&mut *conn).await?
        || desks::device_exists(&mut *conn, &admin.id).await?
        || desks::signing_key_used(&mut *conn, &admin.signing_key).await?
        || entries::has_entries(&mut *conn).await?
    {
        return Ok(false);
    }
    let claimed = sqlx::query(
        "UPDATE bootstrap SET claimed_at = ? \
         WHERE slot = 1 AND code_hash = ? AND claimed_at IS NULL AND expires_at > ?",
    )
    .bind(now)
    .bind(&code_hash[..])
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if claimed.rows_affected() != 1 {
        return Ok(false);
    }
    if !desks::add_device(&mut *conn, admin).await? {
        // Checked above; an error makes the writer roll the claim back.
        return Err(StoreError::Corrupt(
            "the first admin's device id appeared".into(),
        ));
    }
    sqlx::query("INSERT INTO root (slot, signing_key) VALUES (1, ?)")
        .bind(&admin.signing_key.as_bytes()[..])
        .execute(&mut *conn)
        .await?;
    entries::insert_entry(conn, genesis).await?;
    Ok(true)
}

pub(super) async fn put_challenge(
    conn: &mut SqliteConnection,
    key: &ChallengeKey,
    now: UnixTime,
    expires_at: UnixTime,
) -> Result<(), StoreError> {
    delete_expired_challenges(conn, now).await?;
    sqlx::query("INSERT INTO challenges (key, expires_at) VALUES (?, ?)")
        .bind(&key.as_bytes()[..])
        .bind(expires_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes first, then judges: a late try still burns the challenge, so it
/// can never be used again.
pub(super) async fn take_challenge(
    conn: &mut SqliteConnection,
    key: &ChallengeKey,
    now: UnixTime,
) -> Result<bool, StoreError> {
    let expires_at: Option<i64> =
        sqlx::query_scalar("DELETE FROM challenges WHERE key = ? RETURNING expires_at")
            .bind(&key.as_bytes()[..])
            .fetch_optional(&mut *conn)
            .await?;
    delete_expired_challenges(conn, now).await?;
    Ok(expires_at.is_some_and(|expires_at| now < expires_at))
}

/// A challenge that can no longer be answered is deleted at the next
/// challenge or token request, or by the broker's sweep a minute later at
/// most, not left for the hourly purge (ADR 0019 §2).
pub(super) async fn delete_expired_challenges(
    conn: &mut SqliteConnection,
    now: UnixTime,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM challenges WHERE expires_at <= ?")
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Retires every current key at the new key's creation time, then adds it.
pub(super) async fn rotate_token_key(
    conn: &mut SqliteConnection,
    key: &TokenKey,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE token_keys SET retired_at = ? WHERE retired_at IS NULL")
        .bind(key.created_at)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO token_keys (kid, pkcs8, public, created_at, retired_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&key.kid)
    .bind(key.pkcs8.expose_secret())
    .bind(&key.public.as_bytes()[..])
    .bind(key.created_at)
    .bind(key.retired_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub(super) async fn stage_token_key(
    conn: &mut SqliteConnection,
    key: &TokenKey,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO staged_token_keys (kid, pkcs8, public, created_at) VALUES (?, ?, ?, ?)",
    )
    .bind(&key.kid)
    .bind(key.pkcs8.expose_secret())
    .bind(&key.public.as_bytes()[..])
    .bind(key.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves the staged key `kid` (if its public key is `public`) into
/// `token_keys` as the current key from `at`, retiring the others at `at`.
/// `false` if no such key is staged.
pub(super) async fn activate_token_key(
    conn: &mut SqliteConnection,
    kid: &str,
    public: &VerifyingKey,
    at: UnixTime,
) -> Result<bool, StoreError> {
    let staged: Option<Vec<u8>> = sqlx::query_scalar(
        "DELETE FROM staged_token_keys WHERE kid = ? AND public = ? RETURNING pkcs8",
    )
    .bind(kid)
    .bind(&public.as_bytes()[..])
    .fetch_optional(&mut *conn)
    .await?;
    let Some(pkcs8) = staged else {
        return Ok(false);
    };
    let key = TokenKey {
        kid: kid.to_owned(),
        pkcs8: SecretSlice::from(pkcs8),
        public: *public,
        created_at: at,
        retired_at: None,
    };
    rotate_token_key(conn, &key).await?;
    Ok(true)
}
