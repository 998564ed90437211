//! `device.json`: the public half of the device's identity.
//!
//! Everything here is public (ids, public keys, the broker address), so it is
//! stored in clear and read without the passphrase: `whoami` and the
//! pre-flight checks of other commands need no unlock. It is still written
//! with mode 0600, because which broker and desk a device belongs to is
//! nobody else's business on a shared machine.
//!
//! The file carries the device fingerprint as well as the keys it is computed
//! from. The copy is checked on every load, so a hand-edited or damaged file is
//! caught instead of showing a fingerprint that does not match the keys the
//! device really uses.

use std::path::Path;

use referral_protocol::{DeskId, DeviceId, Fingerprint, RecipientKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{DEVICE_FILE, KeystoreError};
use crate::atomic_file::{self, Existing};
use crate::broker_url::BrokerUrl;

/// The on-disk format version this code writes and reads.
const FORMAT_VERSION: u32 = 1;

/// device.json is a few hundred bytes; anything far larger is not ours, and
/// is refused before parsing rather than read into memory.
const MAX_LEN: u64 = 64 * 1024;

/// A device's role at its desk, set when it is enrolled: the protocol's
/// one definition, so the CLI, tokens and the directory spell it alike.
pub use referral_protocol::Role;

/// The public halves of the device's current key pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicKeys {
    /// Ed25519: packet signatures and authentication to the broker.
    pub signing_key: VerifyingKey,
    /// age X25519: what classic packets for this device are encrypted to.
    pub age_recipient: RecipientKey,
    /// age hybrid ML-KEM-768 + X25519: what post-quantum packets for this
    /// device are encrypted to (ADR 0020). Absent for keys made before it,
    /// until `referral rotate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pq_recipient: Option<RecipientKey>,
}

impl PublicKeys {
    /// The fingerprint people compare out of band (SPEC §4, enrollment).
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of_device(
            &self.signing_key,
            &self.age_recipient,
            self.pq_recipient.as_ref(),
        )
    }
}

/// The public state of this device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    /// Random, stable across key rotations.
    pub device_id: DeviceId,
    /// The broker this device talks to.
    pub broker: BrokerUrl,
    /// The admin root key pinned at init, or `None` for trust on first use.
    pub root_fingerprint: Option<Fingerprint>,
    /// The desk, once enrolled.
    pub desk: Option<DeskId>,
    /// The role at that desk, once enrolled.
    pub role: Option<Role>,
    /// The public halves of the current keys in the keystore.
    pub current_keys: PublicKeys,
    /// When the device was initialised.
    pub created_at: OffsetDateTime,
}

/// The file's layout. Kept apart from [`DeviceRecord`] so that the stored
/// copy of the fingerprint can only be written from the keys, never set on
/// its own.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceFile {
    version: u32,
    device_id: DeviceId,
    broker: BrokerUrl,
    root_fingerprint: Option<Fingerprint>,
    desk: Option<DeskId>,
    role: Option<Role>,
    current_keys: PublicKeys,
    fingerprint: Fingerprint,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

/// Read first so that a file from a newer client gets a clear "upgrade"
/// message instead of a complaint about an unknown field.
#[derive(Deserialize)]
struct VersionOnly {
    version: u32,
}

impl DeviceRecord {
    /// The device fingerprint of the current keys.
    pub fn fingerprint(&self) -> Fingerprint {
        self.current_keys.fingerprint()
    }

    /// Reads and checks `home/device.json`.
    pub fn load(home: &Path) -> Result<Self, KeystoreError> {
        let Some(bytes) = super::read_bounded(&home.join(DEVICE_FILE), MAX_LEN)? else {
            return Err(KeystoreError::NotInitialized {
                home: home.to_path_buf(),
            });
        };
        if bytes.len() as u64 > MAX_LEN {
            return Err(KeystoreError::CorruptDevice {
                reason: format!("larger than {MAX_LEN} bytes"),
            });
        }
        Self::decode(&bytes)
    }

    fn decode(bytes: &[u8]) -> Result<Self, KeystoreError> {
        let corrupt = |e: serde_json::Error| KeystoreError::CorruptDevice {
            reason: e.to_string(),
        };
        let version = serde_json::from_slice::<VersionOnly>(bytes)
            .map_err(corrupt)?
            .version;
        if version != FORMAT_VERSION {
            return Err(KeystoreError::UnsupportedVersion {
                file: DEVICE_FILE,
                version,
            });
        }
        let file: DeviceFile = serde_json::from_slice(bytes).map_err(corrupt)?;
        if file.fingerprint != file.current_keys.fingerprint() {
            return Err(KeystoreError::CorruptDevice {
                reason: "the stored fingerprint does not match the stored public keys".to_owned(),
            });
        }
        Ok(Self {
            device_id: file.device_id,
            broker: file.broker,
            root_fingerprint: file.root_fingerprint,
            desk: file.desk,
            role: file.role,
            current_keys: file.current_keys,
            created_at: file.created_at,
        })
    }

    fn encode(&self) -> Result<Vec<u8>, KeystoreError> {
        let file = DeviceFile {
            version: FORMAT_VERSION,
            device_id: self.device_id,
            broker: self.broker.clone(),
            root_fingerprint: self.root_fingerprint,
            desk: self.desk.clone(),
            role: self.role,
            current_keys: self.current_keys.clone(),
            fingerprint: self.fingerprint(),
            created_at: self.created_at,
        };
        let mut bytes = serde_json::to_vec_pretty(&file).map_err(|e| KeystoreError::Encode {
            what: DEVICE_FILE,
            reason: e.to_string(),
        })?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// Writes `home/device.json` atomically. With [`Existing::Keep`] an
    /// existing file is an error ([`KeystoreError::AlreadyExists`]); later
    /// commands that update the record (enrollment, rotation) use
    /// [`Existing::Replace`].
    pub fn store(&self, home: &Path, existing: Existing) -> Result<(), KeystoreError> {
        let bytes = self.encode()?;
        atomic_file::write(home, DEVICE_FILE, &bytes, existing)
            .map_err(|e| KeystoreError::write(home, DEVICE_FILE, e))
    }
}

#[cfg(test)]
mod tests {
    use referral_protocol::{AgeIdentity, SigningKey};

    use super::*;

    fn sample() -> DeviceRecord {
        DeviceRecord {
            device_id: DeviceId::random(),
            broker: "https://broker.example".parse().unwrap(),
            root_fingerprint: None,
            desk: None,
            role: None,
            current_keys: PublicKeys {
                signing_key: SigningKey::generate().unwrap().verifying_key(),
                age_recipient: AgeIdentity::generate_classic().recipient(),
                pq_recipient: Some(AgeIdentity::generate_post_quantum().recipient()),
            },
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn round_trips_through_the_file_format() {
        let mut record = sample();
        record.desk = Some("shinjuku-iea".parse().unwrap());
        record.role = Some(Role::Desk);
        let decoded = DeviceRecord::decode(&record.encode().unwrap()).unwrap();
        assert_eq!(decoded, record);
    }

    #[test]
    fn store_then_load_and_replace() {
        let home = tempfile::tempdir().unwrap();
        let mut record = sample();
        record.store(home.path(), Existing::Keep).unwrap();
        assert!(matches!(
            record.store(home.path(), Existing::Keep),
            Err(KeystoreError::AlreadyExists { .. })
        ));
        record.role = Some(Role::Caseworker);
        record.store(home.path(), Existing::Replace).unwrap();
        assert_eq!(DeviceRecord::load(home.path()).unwrap(), record);
    }

    #[test]
    fn a_fingerprint_that_does_not_match_the_keys_is_refused() {
        let record = sample();
        let mut json: serde_json::Value =
            serde_json::from_slice(&record.encode().unwrap()).unwrap();
        json["fingerprint"] = serde_json::Value::String("ab".repeat(32));
        let err = DeviceRecord::decode(&serde_json::to_vec(&json).unwrap()).unwrap_err();
        assert!(matches!(err, KeystoreError::CorruptDevice { .. }), "{err}");
        assert!(err.is_integrity_failure());
    }

    #[test]
    fn newer_versions_and_unknown_fields_are_refused() {
        let record = sample();
        let mut json: serde_json::Value =
            serde_json::from_slice(&record.encode().unwrap()).unwrap();
        json["version"] = 2.into();
        assert!(matches!(
            DeviceRecord::decode(&serde_json::to_vec(&json).unwrap()),
            Err(KeystoreError::UnsupportedVersion { version: 2, .. })
        ));
        json["version"] = 1.into();
        json["surprise"] = true.into();
        assert!(matches!(
            DeviceRecord::decode(&serde_json::to_vec(&json).unwrap()),
            Err(KeystoreError::CorruptDevice { .. })
        ));
    }

    #[test]
    fn a_missing_file_means_not_initialised() {
        let home = tempfile::tempdir().unwrap();
        assert!(matches!(
            DeviceRecord::load(home.path()),
            Err(KeystoreError::NotInitialized { .. })
        ));
    }
}
