//! Bootstrap, the root key, auth challenges and token-signing keys.

use referral_protocol::VerifyingKey;
use secrecy::{ExposeSecret, SecretSlice};
use sqlx::Row;
use sqlx::postgres::{PgConnection, PgPool};

use super::{desks, entries};
use crate::{ChallengeKey, Device, NewEntry, StoreError, TokenKey, UnixTime};

/// Advisory lock key serialising bootstrap changes across brokers: setting
/// a code and claiming the broker each read, then write, several tables,
/// and must never interleave (a code set just after a claim would otherwise
/// look unclaimed). The value is arbitrary but must not be reused.
const BOOTSTRAP_LOCK: i64 = 0x7265_6662_6f6f_7401; // "refboot" + 1

async fn lock_bootstrap(conn: &mut PgConnection) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(BOOTSTRAP_LOCK)
        .execute(conn)
        .await?;
    Ok(())
}

async fn has_root(conn: &mut PgConnection) -> Result<bool, StoreError> {
    Ok(sqlx::query("SELECT 1 FROM root")
        .fetch_optional(conn)
        .await?
        .is_some())
}

pub(super) async fn set_bootstrap_code(
    pool: &PgPool,
    code_hash: [u8; 32],
    expires_at: UnixTime,
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    lock_bootstrap(&mut tx).await?;
    if has_root(&mut tx).await? {
        return Err(StoreError::AlreadyClaimed);
    }
    sqlx::query("DELETE FROM bootstrap WHERE claimed_at IS NULL")
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO bootstrap (code_hash, expires_at) VALUES ($1, $2) \
         ON CONFLICT (code_hash) DO UPDATE SET expires_at = EXCLUDED.expires_at",
    )
    .bind(code_hash)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn has_bootstrap_code(pool: &PgPool, now: UnixTime) -> Result<bool, StoreError> {
    let row =
        sqlx::query("SELECT 1 FROM bootstrap WHERE claimed_at IS NULL AND expires_at > $1 LIMIT 1")
            .bind(now)
            .fetch_optional(pool)
            .await?;
    Ok(row.is_some())
}

/// The admin device, the root key, the genesis entry and the spent code, in
/// one transaction: a claim happens completely or not at all.
pub(super) async fn claim_bootstrap(
    pool: &PgPool,
    code_hash: [u8; 32],
    now: UnixTime,
    admin: &Device,
    genesis: &NewEntry,
) -> Result<bool, StoreError> {
    genesis.check_genesis()?;
    let mut tx = pool.begin().await?;
    lock_bootstrap(&mut tx).await?;
    if has_root(&mut tx).await?
        || entries::has_entries(&mut tx).await?
        || desks::signing_key_used(&mut tx, &admin.signing_key).await?
        || !mark_claimed(&mut tx, code_hash, now).await?
    {
        return Ok(false);
    }
    if !desks::add_device(&mut tx, admin).await? {
        // The admin's device id is taken: refuse rather than make someone
        // else's device the root. Dropping `tx` rolls the claim back.
        return Ok(false);
    }
    sqlx::query("INSERT INTO root (signing_key) VALUES ($1)")
        .bind(admin.signing_key.as_bytes())
        .execute(&mut *tx)
        .await?;
    if !entries::insert_entry(&mut tx, genesis).await? {
        return Ok(false);
    }
    tx.commit().await?;
    Ok(true)
}

/// Marks the code claimed if it is unclaimed and unexpired.
async fn mark_claimed(
    conn: &mut PgConnection,
    code_hash: [u8; 32],
    now: UnixTime,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE bootstrap SET claimed_at = $2 \
         WHERE code_hash = $1 AND claimed_at IS NULL AND expires_at > $2",
    )
    .bind(code_hash)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn root_key(pool: &PgPool) -> Result<Option<VerifyingKey>, StoreError> {
    let key: Option<[u8; 32]> = sqlx::query_scalar("SELECT signing_key FROM root")
        .fetch_optional(pool)
        .await?;
    Ok(key.map(VerifyingKey))
}

pub(super) async fn put_challenge(
    pool: &PgPool,
    key: &ChallengeKey,
    now: UnixTime,
    expires_at: UnixTime,
) -> Result<(), StoreError> {
    delete_expired_challenges(pool, now).await?;
    // Challenges are 32 random bytes, so a clash means a replayed request:
    // keep the first one rather than re-arm it.
    sqlx::query(
        "INSERT INTO challenges (key, expires_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
    )
    .bind(&key.as_bytes()[..])
    .bind(expires_at)
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn take_challenge(
    pool: &PgPool,
    key: &ChallengeKey,
    now: UnixTime,
) -> Result<bool, StoreError> {
    // DELETE … RETURNING consumes it whatever the answer, in one statement:
    // of two brokers racing on one challenge, only one gets the row.
    let expires_at: Option<UnixTime> =
        sqlx::query_scalar("DELETE FROM challenges WHERE key = $1 RETURNING expires_at")
            .bind(&key.as_bytes()[..])
            .fetch_optional(pool)
            .await?;
    delete_expired_challenges(pool, now).await?;
    Ok(expires_at.is_some_and(|expires_at| now < expires_at))
}

/// A challenge that can no longer be answered is deleted at the next
/// challenge or token request, or by the broker's sweep a minute later at
/// most, not left for the hourly purge (ADR 0019 §2).
pub(super) async fn delete_expired_challenges(
    db: impl sqlx::PgExecutor<'_>,
    now: UnixTime,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM challenges WHERE expires_at <= $1")
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

pub(super) async fn token_keys(pool: &PgPool) -> Result<Vec<TokenKey>, StoreError> {
    let rows = sqlx::query(
        "SELECT kid, pkcs8, public, created_at, retired_at FROM token_keys \
         ORDER BY created_at DESC, kid DESC",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let pkcs8: Vec<u8> = row.try_get("pkcs8")?;
            Ok(TokenKey {
                kid: row.try_get("kid")?,
                pkcs8: SecretSlice::from(pkcs8),
                public: VerifyingKey(row.try_get("public")?),
                created_at: row.try_get("created_at")?,
                retired_at: row.try_get("retired_at")?,
            })
        })
        .collect()
}

pub(super) async fn rotate_token_key(pool: &PgPool, key: &TokenKey) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    insert_current_key(&mut tx, key).await?;
    tx.commit().await?;
    Ok(())
}

/// Retires every current key at `key.created_at`, then adds `key`.
async fn insert_current_key(conn: &mut PgConnection, key: &TokenKey) -> Result<(), StoreError> {
    sqlx::query("UPDATE token_keys SET retired_at = $1 WHERE retired_at IS NULL")
        .bind(key.created_at)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO token_keys (kid, pkcs8, public, created_at, retired_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&key.kid)
    .bind(key.pkcs8.expose_secret())
    .bind(key.public.as_bytes())
    .bind(key.created_at)
    .bind(key.retired_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub(super) async fn stage_token_key(pool: &PgPool, key: &TokenKey) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO staged_token_keys (kid, pkcs8, public, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&key.kid)
    .bind(key.pkcs8.expose_secret())
    .bind(key.public.as_bytes())
    .bind(key.created_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// Moves the staged key `kid` (if its public key is `public`) into
/// `token_keys` as the current key from `at`, retiring the others at `at`.
/// `false` if no such key is staged.
pub(super) async fn activate_token_key(
    conn: &mut PgConnection,
    kid: &str,
    public: &VerifyingKey,
    at: UnixTime,
) -> Result<bool, StoreError> {
    let staged: Option<Vec<u8>> = sqlx::query_scalar(
        "DELETE FROM staged_token_keys WHERE kid = $1 AND public = $2 RETURNING pkcs8",
    )
    .bind(kid)
    .bind(public.as_bytes())
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
    insert_current_key(conn, &key).await?;
    Ok(true)
}
