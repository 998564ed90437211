//! Writes for desks, devices, the bootstrap claim, auth challenges and
//! token keys. Desks and devices change only as effects of directory
//! entries (`directory`) and the bootstrap claim. Each runs on the writer's connection inside its batch's
//! transaction and its own savepoint (see `writer`), so "nothing changes" on
//! a refusal or an error is the savepoint's job; these functions still
//! check before they write, so a refusal does no work to undo.

use referral_protocol::{DeskId, DeviceId, VerifyingKey};
use secrecy::{ExposeSecret, SecretSlice};
use sqlx::SqliteConnection;

use crate::encoding::Word;
use crate::{Desk, Device, NewEntry, StoreError, TokenKey, UnixTime};

pub(super) async fn create_desk(
    conn: &mut SqliteConnection,
    desk: &Desk,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO desks (id, name, prefecture, languages, created_at) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(desk.id.as_str())
    .bind(&desk.name)
    .bind(desk.prefecture.as_deref())
    .bind(desk.languages.as_deref())
    .bind(desk.created_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn desk_exists(
    conn: &mut SqliteConnection,
    id: &DeskId,
) -> Result<bool, StoreError> {
    let found = sqlx::query("SELECT 1 FROM desks WHERE id = ?")
        .bind(id.as_str())
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// `false` if the id exists; [`StoreError::UnknownDesk`] if the desk does
/// not. Only a clash on the id is a "no": any other constraint is an error.
pub(super) async fn add_device(
    conn: &mut SqliteConnection,
    device: &Device,
) -> Result<bool, StoreError> {
    if let Some(desk) = &device.desk
        && !desk_exists(conn, desk).await?
    {
        return Err(StoreError::UnknownDesk);
    }
    let done = sqlx::query(
        "INSERT INTO devices (id, desk_id, role, signing_key, age_recipient, state, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&device.id.as_bytes()[..])
    .bind(device.desk.as_ref().map(DeskId::as_str))
    .bind(Word::word(device.role))
    .bind(&device.signing_key.as_bytes()[..])
    .bind(device.age_recipient.as_str())
    .bind(Word::word(device.state))
    .bind(device.created_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn device_exists(
    conn: &mut SqliteConnection,
    id: &DeviceId,
) -> Result<bool, StoreError> {
    let found = sqlx::query("SELECT 1 FROM devices WHERE id = ?")
        .bind(&id.as_bytes()[..])
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

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

/// Whether any device (active or not) holds `key`: keys name one device.
pub(super) async fn signing_key_used(
    conn: &mut SqliteConnection,
    key: &VerifyingKey,
) -> Result<bool, StoreError> {
    let found = sqlx::query("SELECT 1 FROM devices WHERE signing_key = ?")
        .bind(&key.as_bytes()[..])
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
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
        || device_exists(&mut *conn, &admin.id).await?
        || signing_key_used(&mut *conn, &admin.signing_key).await?
        || super::directory::has_entries(&mut *conn).await?
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
    if !add_device(&mut *conn, admin).await? {
        // Checked above; an error makes the writer roll the claim back.
        return Err(StoreError::Corrupt(
            "the first admin's device id appeared".into(),
        ));
    }
    sqlx::query("INSERT INTO root (slot, signing_key) VALUES (1, ?)")
        .bind(&admin.signing_key.as_bytes()[..])
        .execute(&mut *conn)
        .await?;
    super::directory::insert_entry(conn, genesis).await?;
    Ok(true)
}

pub(super) async fn put_challenge(
    conn: &mut SqliteConnection,
    hash: &[u8; 32],
    device: &DeviceId,
    expires_at: UnixTime,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO challenges (hash, device_id, expires_at) VALUES (?, ?, ?)")
        .bind(&hash[..])
        .bind(&device.as_bytes()[..])
        .bind(expires_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes first, then judges: a wrong device or a late try still burns the
/// challenge, so it can never be used again.
pub(super) async fn take_challenge(
    conn: &mut SqliteConnection,
    hash: &[u8; 32],
    device: &DeviceId,
    now: UnixTime,
) -> Result<bool, StoreError> {
    let row: Option<(Vec<u8>, i64)> =
        sqlx::query_as("DELETE FROM challenges WHERE hash = ? RETURNING device_id, expires_at")
            .bind(&hash[..])
            .fetch_optional(conn)
            .await?;
    Ok(match row {
        Some((owner, expires_at)) => owner == device.as_bytes() && now < expires_at,
        None => false,
    })
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
