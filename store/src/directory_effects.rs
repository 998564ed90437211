//! What an appended directory entry changes in the broker's own tables
//! (ADR 0003), once, for both backends.
//!
//! [`apply`] holds the rules: which request an approval closes, which
//! checks refuse it, and in which order. A backend supplies the reads and
//! writes through [`DirectoryTables`], inside the append's transaction; the
//! caller rolls the whole append back for every outcome but `Appended`, so
//! a refusal found after a write still changes nothing.

use async_trait::async_trait;
use referral_protocol::{DeskId, DeviceId, RecipientKey, RequestId, VerifyingKey};

use crate::{
    AppendOutcome, Desk, Device, DirectoryEffect, RequestKind, Role, StoreError, UnixTime,
};

/// What an approving entry says the request asked for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Expected<'a> {
    /// Enrollment or rotation.
    pub(crate) kind: RequestKind,
    /// The device.
    pub(crate) device: &'a DeviceId,
    /// Desk and role, for an enrollment (a rotation keeps the device's).
    pub(crate) placement: Option<(Option<&'a DeskId>, Role)>,
    /// The (new) signing key.
    pub(crate) signing_key: &'a VerifyingKey,
    /// The (new) age recipient.
    pub(crate) age_recipient: &'a RecipientKey,
    /// The (new) hybrid age recipient, or none.
    pub(crate) pq_recipient: Option<&'a RecipientKey>,
}

/// The reads and writes of the directory effects, inside the append's
/// transaction.
#[async_trait]
pub(crate) trait DirectoryTables: Send {
    /// Creates a desk; `false` if its id exists (which is left as it was).
    async fn create_desk(&mut self, desk: &Desk) -> Result<bool, StoreError>;

    /// Deletes the pending request `id` if it asks for exactly `expected`;
    /// `false` (nothing deleted) otherwise.
    async fn close_request(
        &mut self,
        id: &RequestId,
        expected: Expected<'_>,
    ) -> Result<bool, StoreError>;

    /// Whether a device with this id exists, in any state.
    async fn device_exists(&mut self, id: &DeviceId) -> Result<bool, StoreError>;

    /// Whether any device, in any state, has this signing key.
    async fn signing_key_used(&mut self, key: &VerifyingKey) -> Result<bool, StoreError>;

    /// Adds a device: `false` if its id exists, [`StoreError::UnknownDesk`]
    /// if its desk does not.
    async fn add_device(&mut self, device: &Device) -> Result<bool, StoreError>;

    /// Gives an active device new keys; `false` if no active device has
    /// this id.
    async fn set_device_keys(
        &mut self,
        device: &DeviceId,
        signing_key: &VerifyingKey,
        age_recipient: &RecipientKey,
    ) -> Result<bool, StoreError>;

    /// Revokes a device that is not revoked yet; `false` if there is none.
    async fn revoke_device(&mut self, device: &DeviceId) -> Result<bool, StoreError>;

    /// Deletes every pending request of a device.
    async fn drop_requests_of(&mut self, device: &DeviceId) -> Result<(), StoreError>;

    /// The root key, held until the transaction ends (it is about to
    /// change); `None` before the broker is claimed.
    async fn lock_root(&mut self) -> Result<Option<VerifyingKey>, StoreError>;

    /// Replaces the root key, and the signing key of every device that
    /// authenticated with the old one.
    async fn replace_root(
        &mut self,
        old: &VerifyingKey,
        new: &VerifyingKey,
    ) -> Result<(), StoreError>;

    /// Activates a staged token key (`false` if none is staged under this
    /// kid with this public key) and retires the others at `at`.
    async fn activate_token_key(
        &mut self,
        kid: &str,
        public: &VerifyingKey,
        at: UnixTime,
    ) -> Result<bool, StoreError>;
}

/// Applies an appended entry's effect. Anything but `Appended` is a refusal
/// the caller must roll back.
pub(crate) async fn apply<T: DirectoryTables + ?Sized>(
    tables: &mut T,
    effect: DirectoryEffect,
) -> Result<AppendOutcome, StoreError> {
    use AppendOutcome::{Appended, Inconsistent};
    Ok(match effect {
        DirectoryEffect::None => Appended,
        DirectoryEffect::CreateDesk(desk) => {
            if tables.create_desk(&desk).await? {
                Appended
            } else {
                Inconsistent("the desk already exists")
            }
        }
        DirectoryEffect::EnrollDevice {
            device,
            pq_recipient,
            request,
        } => enroll(tables, &device, pq_recipient.as_ref(), &request).await?,
        DirectoryEffect::RotateDevice {
            device,
            signing_key,
            age_recipient,
            pq_recipient,
            request,
        } => {
            let new_keys = NewKeys {
                signing_key: &signing_key,
                age_recipient: &age_recipient,
                pq_recipient: pq_recipient.as_ref(),
            };
            rotate(tables, &device, new_keys, &request).await?
        }
        DirectoryEffect::RevokeDevice(device) => revoke(tables, &device).await?,
        DirectoryEffect::RotateRoot { new_root } => rotate_root(tables, &new_root).await?,
        DirectoryEffect::ActivateTokenKey {
            kid,
            public_key,
            at,
        } => {
            if tables.activate_token_key(&kid, &public_key, at).await? {
                Appended
            } else {
                AppendOutcome::UnknownTokenKey
            }
        }
    })
}

async fn enroll<T: DirectoryTables + ?Sized>(
    tables: &mut T,
    device: &Device,
    pq_recipient: Option<&RecipientKey>,
    request: &RequestId,
) -> Result<AppendOutcome, StoreError> {
    let expected = Expected {
        kind: RequestKind::Enrollment,
        device: &device.id,
        placement: Some((device.desk.as_ref(), device.role)),
        signing_key: &device.signing_key,
        age_recipient: &device.age_recipient,
        pq_recipient,
    };
    if !tables.close_request(request, expected).await? {
        return Ok(AppendOutcome::RequestGone);
    }
    if tables.device_exists(&device.id).await? {
        return Ok(AppendOutcome::Inconsistent(
            "the device id is already enrolled",
        ));
    }
    if tables.signing_key_used(&device.signing_key).await? {
        return Ok(AppendOutcome::Inconsistent(
            "the signing key belongs to another device",
        ));
    }
    match tables.add_device(device).await {
        Ok(true) => Ok(AppendOutcome::Appended),
        Ok(false) => Ok(AppendOutcome::Inconsistent(
            "the device id is already enrolled",
        )),
        Err(StoreError::UnknownDesk) => Ok(AppendOutcome::Inconsistent("the desk does not exist")),
        Err(e) => Err(e),
    }
}

/// A rotation's new public keys.
struct NewKeys<'a> {
    signing_key: &'a VerifyingKey,
    age_recipient: &'a RecipientKey,
    pq_recipient: Option<&'a RecipientKey>,
}

async fn rotate<T: DirectoryTables + ?Sized>(
    tables: &mut T,
    device: &DeviceId,
    new_keys: NewKeys<'_>,
    request: &RequestId,
) -> Result<AppendOutcome, StoreError> {
    let NewKeys {
        signing_key,
        age_recipient,
        pq_recipient,
    } = new_keys;
    let expected = Expected {
        kind: RequestKind::Rotation,
        device,
        placement: None,
        signing_key,
        age_recipient,
        pq_recipient,
    };
    if !tables.close_request(request, expected).await? {
        return Ok(AppendOutcome::RequestGone);
    }
    if tables.signing_key_used(signing_key).await? {
        return Ok(AppendOutcome::Inconsistent(
            "the new signing key belongs to a device",
        ));
    }
    Ok(
        if tables
            .set_device_keys(device, signing_key, age_recipient)
            .await?
        {
            AppendOutcome::Appended
        } else {
            AppendOutcome::Inconsistent("no active device to rotate")
        },
    )
}

/// Revoked for good: the device's pending requests go with its state, so
/// none of them can be approved later.
async fn revoke<T: DirectoryTables + ?Sized>(
    tables: &mut T,
    device: &DeviceId,
) -> Result<AppendOutcome, StoreError> {
    if !tables.revoke_device(device).await? {
        return Ok(AppendOutcome::Inconsistent("no device to revoke"));
    }
    tables.drop_requests_of(device).await?;
    Ok(AppendOutcome::Appended)
}

/// The root device authenticates with the root key, so it follows the root.
async fn rotate_root<T: DirectoryTables + ?Sized>(
    tables: &mut T,
    new_root: &VerifyingKey,
) -> Result<AppendOutcome, StoreError> {
    let Some(old) = tables.lock_root().await? else {
        return Ok(AppendOutcome::Inconsistent("the broker has no root"));
    };
    if tables.signing_key_used(new_root).await? {
        return Ok(AppendOutcome::Inconsistent(
            "the new root key belongs to a device",
        ));
    }
    tables.replace_root(&old, new_root).await?;
    Ok(AppendOutcome::Appended)
}
