//! The device keystore: this device's keys, on disk and unlocked in memory.
//!
//! A home directory (mode 0700) holds two files, both mode 0600:
//!
//! - `device.json` ([`DeviceRecord`]): public. Device id, broker, pinned root,
//!   desk and role, the current public keys and their fingerprint.
//! - `keystore.age`: the private keys, current and retired, age-encrypted to
//!   the user's passphrase with scrypt (SPEC §2.6).
//!
//! [`Keystore::unlock`] decrypts the second and checks it against the first:
//! the keys the device *uses* must be the keys it has *published*
//! (enrollment approved that fingerprint), or nothing is trusted.

mod device;
mod secret;

use crate::tr;
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use referral_protocol::{
    AgeIdentity, DeviceId, Fingerprint, KeyError, RecipientKey, SigningKey, VerifyingKey,
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use device::{DeviceRecord, PublicKeys, Role};

use crate::atomic_file::{self, Existing};
use crate::broker_url::BrokerUrl;
use crate::cases::{CaseKeys, CaseStore, RecordKey};

/// The public device record, in the home directory.
pub const DEVICE_FILE: &str = "device.json";
/// The encrypted private keys, in the home directory.
pub const KEYSTORE_FILE: &str = "keystore.age";

/// Owner only: the home directory lists which files exist, and later holds
/// the local case store.
pub const HOME_DIR_MODE: u32 = 0o700;

/// A keystore holds a handful of keys, a few hundred bytes each; a file far
/// larger than that is refused unread.
const MAX_KEYSTORE_LEN: u64 = 1024 * 1024;

/// Why a keystore operation failed. Every message is written for the user,
/// and none ever contains key material.
#[derive(Debug, thiserror::Error)]
pub enum KeystoreError {
    /// `device.json` is absent: `referral init` has not run for this home.
    #[error("{}", tr!("keystore-not-initialized", home = home.display().to_string()))]
    NotInitialized {
        /// The home directory that was searched.
        home: PathBuf,
    },
    /// `init` found an existing keystore (or part of one) and left it alone.
    #[error("{}", tr!("keystore-already-exists", path = path.display().to_string()))]
    AlreadyExists {
        /// The file that is already there.
        path: PathBuf,
    },
    /// `device.json` exists but `keystore.age` does not, so the private
    /// keys are gone from this home.
    #[error("{}", tr!(
        "keystore-missing",
        path = path.display().to_string(),
        device_file = DEVICE_FILE
    ))]
    MissingKeystore {
        /// Where the keystore should be.
        path: PathBuf,
    },
    /// The passphrase did not decrypt the keystore.
    #[error("{}", tr!("keystore-wrong-passphrase"))]
    WrongPassphrase,
    /// `device.json` is damaged or was edited.
    #[error("{}", tr!("keystore-file-damaged", file = DEVICE_FILE, reason = reason.as_str()))]
    CorruptDevice {
        /// What is wrong, without quoting secrets (there are none here).
        reason: String,
    },
    /// `keystore.age` is damaged or was modified, or is not ours.
    #[error("{}", tr!("keystore-file-damaged", file = KEYSTORE_FILE, reason = reason.as_str()))]
    CorruptKeystore {
        /// What is wrong. Never quotes the plaintext.
        reason: String,
    },
    /// The keystore decrypted, but its keys are not the ones `device.json`
    /// publishes, or it belongs to another device.
    #[error("{}", tr!(
        "keystore-mismatch",
        keystore_file = KEYSTORE_FILE,
        device_file = DEVICE_FILE,
        what = *what
    ))]
    Mismatch {
        /// Which part disagrees.
        what: &'static str,
    },
    /// A file from a newer (or unknown) format version.
    #[error("{}", tr!("keystore-unsupported-version", file = *file, version = *version))]
    UnsupportedVersion {
        /// Which file.
        file: &'static str,
        /// The version found.
        version: u32,
    },
    /// `REFERRAL_KDF_WORK_FACTOR` is out of range or not a number.
    #[error(
        "{} must be a whole number from {} to {}, got {got:?}",
        WorkFactor::ENV,
        WorkFactor::MIN,
        WorkFactor::MAX
    )]
    WorkFactor {
        /// The rejected value.
        got: String,
    },
    /// Key generation failed (the system RNG).
    #[error("could not generate device keys")]
    KeyGeneration(#[source] KeyError),
    /// age refused to encrypt.
    #[error("could not encrypt the keystore: {0}")]
    Encrypt(String),
    /// Serialisation failed.
    #[error("could not encode {what}: {reason}")]
    Encode {
        /// Which file.
        what: &'static str,
        /// What serde said.
        reason: String,
    },
    /// Tagging the case records for the record key, at the unlock that adds
    /// it, failed (the keystore was left as it was: the next unlock tries
    /// again).
    #[error("cannot authenticate the existing case records")]
    CaseMigration(#[source] crate::cases::CaseStoreError),
    /// A file system operation failed.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// What was being done ("read", "write", "create directory").
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

impl KeystoreError {
    /// Whether this is an integrity failure (exit status 4) rather than a
    /// user error (exit status 1): the files exist but cannot be trusted.
    pub fn is_integrity_failure(&self) -> bool {
        matches!(
            self,
            KeystoreError::CorruptDevice { .. }
                | KeystoreError::CorruptKeystore { .. }
                | KeystoreError::Mismatch { .. }
        )
    }

    fn write(home: &Path, file: &str, source: io::Error) -> Self {
        let path = home.join(file);
        if source.kind() == io::ErrorKind::AlreadyExists {
            KeystoreError::AlreadyExists { path }
        } else {
            KeystoreError::Io {
                action: "write",
                path,
                source,
            }
        }
    }
}

/// The scrypt work factor (log2 of N) for new keystores.
///
/// The default, 16, costs 64 MiB and about 0.1 to 0.2 s per unlock on the
/// 2-core reference machine (0.18 s whole-process for `export-identity`,
/// release build): noticeable but cheap enough to pay on every command,
/// and 2^16 times the cost of a plain hash for anyone guessing passphrases
/// against a stolen file. It can be changed only through the environment,
/// never a flag, because lowering it weakens the keystore and should not
/// look like a routine option: the variable exists so that test suites
/// (which create hundreds of keystores) can use 2^10, and so that operators
/// can raise it on strong machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkFactor(u8);

impl WorkFactor {
    /// The environment variable that overrides the default.
    pub const ENV: &str = "REFERRAL_KDF_WORK_FACTOR";
    /// The lowest accepted factor: 1 MiB of scrypt memory, test suites only.
    pub const MIN: u8 = 10;
    /// The highest accepted factor, to write and to read (about 4 GiB of
    /// memory). Reading caps at the same value so that a tampered file
    /// cannot make an unlock run for hours.
    pub const MAX: u8 = 22;
    /// The factor used unless [`WorkFactor::ENV`] says otherwise.
    pub const DEFAULT: WorkFactor = WorkFactor(16);

    /// A factor in `MIN..=MAX`.
    pub fn new(log_n: u8) -> Result<Self, KeystoreError> {
        if (Self::MIN..=Self::MAX).contains(&log_n) {
            Ok(Self(log_n))
        } else {
            Err(KeystoreError::WorkFactor {
                got: log_n.to_string(),
            })
        }
    }

    /// The default, or the value of [`WorkFactor::ENV`] if it is set.
    pub fn from_env() -> Result<Self, KeystoreError> {
        match std::env::var_os(Self::ENV) {
            None => Ok(Self::DEFAULT),
            Some(value) => {
                let text = value.to_string_lossy();
                let invalid = || KeystoreError::WorkFactor {
                    got: text.chars().take(20).collect(),
                };
                text.trim()
                    .parse::<u8>()
                    .map_err(|_| invalid())
                    .and_then(Self::new)
            }
        }
    }

    /// The factor: N = 2^log_n.
    pub fn log_n(self) -> u8 {
        self.0
    }
}

/// Whether a key is the one in use or kept only to open older packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyStatus {
    /// Used to sign, and published for encryption.
    Current,
    /// Replaced by a rotation; kept so that packets encrypted to it still open.
    Retired,
}

impl fmt::Display for KeyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyStatus::Current => "current",
            KeyStatus::Retired => "retired",
        })
    }
}

/// What `init` needs to know besides the passphrase.
#[derive(Debug, Clone)]
pub struct NewDevice {
    /// The broker to talk to.
    pub broker: BrokerUrl,
    /// The admin root to pin, or `None` for trust on first use.
    pub root_fingerprint: Option<Fingerprint>,
}

/// Everything about one generation of keys except its age identities, which
/// live in their own list (see [`UnlockedKeys`]).
struct KeyInfo {
    signing: SigningKey,
    status: KeyStatus,
    created_at: OffsetDateTime,
    /// Whether this generation has a hybrid identity beside its X25519 one.
    /// Generations made before ADR 0020 do not.
    has_post_quantum: bool,
}

/// The device's private keys, unlocked. The secrets wipe themselves when
/// this is dropped: age identities and [`SigningKey`]s zeroize on drop.
///
/// Invariants, established by [`Keystore::unlock`] and
/// [`Keystore::create`]: there is at least one key, the first is the only
/// current one, the retired ones follow newest first, and the current public
/// keys are the ones in `device.json`.
pub struct UnlockedKeys {
    device_id: DeviceId,
    // Kept as their own contiguous list, because that is what
    // `referral_protocol::open` takes: for each generation in `keys`, in
    // order, its X25519 identity, then its hybrid one if it has one.
    identities: Vec<AgeIdentity>,
    keys: Vec<KeyInfo>,
    /// Authenticates the case records; never leaves the keystore.
    record_key: RecordKey,
    /// The keystore did not have one yet (format version 1): this one was
    /// just made, and [`Keystore::unlock`] must tag the records and save it.
    record_key_is_new: bool,
}

/// One key of an [`UnlockedKeys`], borrowed.
#[derive(Clone, Copy)]
pub struct DeviceKey<'a> {
    /// The X25519 age identity (private).
    pub identity: &'a AgeIdentity,
    /// The hybrid age identity (private), if this generation has one.
    pub pq_identity: Option<&'a AgeIdentity>,
    /// The Ed25519 signing key (private).
    pub signing: &'a SigningKey,
    /// Current or retired.
    pub status: KeyStatus,
    /// When the key was made.
    pub created_at: OffsetDateTime,
}

impl fmt::Debug for DeviceKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceKey")
            .field("age_recipient", &self.identity.recipient())
            .field(
                "pq_recipient",
                &self.pq_identity.map(AgeIdentity::recipient),
            )
            .field("identity", &"[REDACTED]")
            .field("signing", self.signing)
            .field("status", &self.status)
            .field("created_at", &self.created_at)
            .finish()
    }
}

impl UnlockedKeys {
    /// Fresh keys for a new device.
    fn generate(device_id: DeviceId, now: OffsetDateTime) -> Result<Self, KeystoreError> {
        let signing = SigningKey::generate().map_err(KeystoreError::KeyGeneration)?;
        Ok(Self {
            device_id,
            identities: vec![
                AgeIdentity::generate_classic(),
                AgeIdentity::generate_post_quantum(),
            ],
            keys: vec![KeyInfo {
                signing,
                status: KeyStatus::Current,
                created_at: now,
                has_post_quantum: true,
            }],
            record_key: RecordKey::generate()
                .map_err(|_| KeystoreError::KeyGeneration(KeyError::Rng))?,
            record_key_is_new: false,
        })
    }

    /// What the case store needs: the age keys to decrypt and encrypt
    /// records, and the record key to tag and check them.
    pub fn case_keys(&self) -> CaseKeys<'_> {
        // Records are for this device alone, so they are sealed to its
        // strongest current key.
        let current = self.current_key();
        CaseKeys {
            identities: &self.identities,
            recipient: current.pq_identity.unwrap_or(current.identity).recipient(),
            record_key: &self.record_key,
        }
    }

    /// The device these keys belong to.
    pub fn device_id(&self) -> DeviceId {
        self.device_id
    }

    /// The current signing key: packet signatures and broker authentication.
    pub fn signing_key(&self) -> &SigningKey {
        &self.keys[0].signing
    }

    /// Every age identity, current first, then retired ones newest first:
    /// what `referral_protocol::open` takes to decrypt a packet.
    pub fn age_identities(&self) -> &[AgeIdentity] {
        &self.identities
    }

    /// The current generation of keys.
    pub fn current_key(&self) -> DeviceKey<'_> {
        self.keys()
            .next()
            .expect("invariant: an unlocked keystore holds at least one key")
    }

    /// The public halves of the current keys.
    pub fn current_public_keys(&self) -> PublicKeys {
        let current = self.current_key();
        PublicKeys {
            signing_key: current.signing.verifying_key(),
            age_recipient: current.identity.recipient(),
            pq_recipient: current.pq_identity.map(AgeIdentity::recipient),
        }
    }

    /// The signing key, current or retired, whose public half is `public`.
    ///
    /// After `rotate` the newest key is current in the keystore, but the
    /// directory (and so the broker and every reader) still holds the old
    /// one until an administrator approves the rotation: the device signs
    /// with whichever key the verified directory lists for it.
    pub fn signing_key_for(&self, public: &VerifyingKey) -> Option<&SigningKey> {
        self.keys
            .iter()
            .map(|k| &k.signing)
            .find(|k| k.verifying_key() == *public)
    }

    /// The age identity, current or retired, of either kind, whose
    /// recipient is `recipient`.
    pub fn identity_for(&self, recipient: &RecipientKey) -> Option<&AgeIdentity> {
        self.identities.iter().find(|i| i.recipient() == *recipient)
    }

    /// Fresh keys become current; the current key and every retired one
    /// stay, retired, so that packets encrypted to them still open.
    fn rotated(mut self, now: OffsetDateTime) -> Result<Self, KeystoreError> {
        let signing = SigningKey::generate().map_err(KeystoreError::KeyGeneration)?;
        for info in &mut self.keys {
            info.status = KeyStatus::Retired;
        }
        // Every rotation makes a hybrid key too: this is how a device made
        // before ADR 0020 gets one.
        self.identities.splice(
            0..0,
            [
                AgeIdentity::generate_classic(),
                AgeIdentity::generate_post_quantum(),
            ],
        );
        self.keys.insert(
            0,
            KeyInfo {
                signing,
                status: KeyStatus::Current,
                created_at: now,
                has_post_quantum: true,
            },
        );
        Ok(self)
    }

    /// All generations of keys, current first, then retired ones newest
    /// first.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = DeviceKey<'_>> {
        let mut next = 0;
        let keys: Vec<DeviceKey<'_>> = self
            .keys
            .iter()
            .map(|info| {
                let identity = &self.identities[next];
                let pq_identity = info.has_post_quantum.then(|| &self.identities[next + 1]);
                next += 1 + usize::from(info.has_post_quantum);
                DeviceKey {
                    identity,
                    pq_identity,
                    signing: &info.signing,
                    status: info.status,
                    created_at: info.created_at,
                }
            })
            .collect();
        keys.into_iter()
    }

    /// Whether `device.json` names the newest *retired* keys: what a crash
    /// between the two writes of [`Keystore::rotate`] leaves behind.
    fn is_interrupted_rotation_of(&self, device: &DeviceRecord) -> bool {
        let Some(previous) = self.keys().nth(1) else {
            return false;
        };
        self.device_id == device.device_id
            && previous.signing.verifying_key() == device.current_keys.signing_key
            && previous.identity.recipient() == device.current_keys.age_recipient
            && previous.pq_identity.map(AgeIdentity::recipient) == device.current_keys.pq_recipient
    }

    /// Checks the invariants that the rest of the program relies on against
    /// the public record.
    fn check_against(&self, device: &DeviceRecord) -> Result<(), KeystoreError> {
        if self.device_id != device.device_id {
            return Err(KeystoreError::Mismatch { what: "device id" });
        }
        let public = self.current_public_keys();
        if public.signing_key != device.current_keys.signing_key {
            return Err(KeystoreError::Mismatch {
                what: "current signing key",
            });
        }
        if public.age_recipient != device.current_keys.age_recipient
            || public.pq_recipient != device.current_keys.pq_recipient
        {
            return Err(KeystoreError::Mismatch {
                what: "current age recipient",
            });
        }
        Ok(())
    }
}

impl fmt::Debug for UnlockedKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnlockedKeys")
            .field("device_id", &self.device_id)
            .field("current", &self.current_public_keys())
            .field("keys", &self.keys.len())
            .field("secrets", &"[REDACTED]")
            .finish()
    }
}

/// Operations on the keystore in a home directory.
///
/// An empty enum: it is a namespace and is never constructed.
#[derive(Debug)]
pub enum Keystore {}

impl Keystore {
    /// Fails with [`KeystoreError::AlreadyExists`] if `home` holds a
    /// keystore, or any part of one. `init` calls this before asking for a
    /// passphrase, so that a refusal costs the user nothing.
    pub fn ensure_absent(home: &Path) -> Result<(), KeystoreError> {
        for file in [DEVICE_FILE, KEYSTORE_FILE] {
            let path = home.join(file);
            // symlink_metadata: a dangling symlink still counts as "there".
            match fs::symlink_metadata(&path) {
                Ok(_) => return Err(KeystoreError::AlreadyExists { path }),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(KeystoreError::Io {
                        action: "inspect",
                        path,
                        source,
                    });
                }
            }
        }
        Ok(())
    }

    /// The public device record. Needs no passphrase.
    pub fn device(home: &Path) -> Result<DeviceRecord, KeystoreError> {
        DeviceRecord::load(home)
    }

    /// Creates a new device in `home`: fresh keys, `keystore.age` encrypted to
    /// `passphrase`, and `device.json`. Refuses if either file exists; this
    /// is checked atomically, so a concurrent `init` cannot overwrite ours.
    pub fn create(
        home: &Path,
        new: NewDevice,
        passphrase: &SecretString,
        work_factor: WorkFactor,
    ) -> Result<DeviceRecord, KeystoreError> {
        Self::ensure_absent(home)?;
        create_home(home)?;

        let device_id = DeviceId::random();
        let now = whole_seconds(OffsetDateTime::now_utc());
        let keys = UnlockedKeys::generate(device_id, now)?;
        let record = DeviceRecord {
            device_id,
            broker: new.broker,
            root_fingerprint: new.root_fingerprint,
            desk: None,
            role: None,
            current_keys: keys.current_public_keys(),
            created_at: now,
        };

        let sealed = secret::seal(&secret::encode(&keys)?, passphrase, work_factor)?;
        // The keystore first, device.json second: device.json is what marks a
        // home as initialised, so it must never exist without its keys.
        atomic_file::write(home, KEYSTORE_FILE, &sealed, Existing::Keep)
            .map_err(|e| KeystoreError::write(home, KEYSTORE_FILE, e))?;
        if let Err(e) = record.store(home, Existing::Keep) {
            // We created keystore.age moments ago (Keep guarantees it was not
            // there before), so removing it restores the previous state, but
            // only if device.json did not get published after all (the error
            // may come from the final directory fsync): a device.json
            // without its keys would be worse than a stray keystore.
            // Best effort: the store error is the one worth reporting.
            if fs::symlink_metadata(home.join(DEVICE_FILE)).is_err() {
                let _ = fs::remove_file(home.join(KEYSTORE_FILE));
            }
            return Err(e);
        }
        Ok(record)
    }

    /// Unlocks the keystore in `home` with `passphrase`, and checks that its
    /// current keys are the ones `device.json` publishes.
    pub fn unlock(home: &Path, passphrase: &SecretString) -> Result<UnlockedKeys, KeystoreError> {
        let device = DeviceRecord::load(home)?;
        let ciphertext = read_keystore(home)?;
        let plaintext = secret::unseal(&ciphertext, passphrase)?;
        let mut keys = secret::decode(&plaintext)?;
        if keys.is_interrupted_rotation_of(&device) {
            // keystore.age was written, device.json was not: finish the
            // rotation rather than refuse keys that are all ours.
            let mut repaired = device;
            repaired.current_keys = keys.current_public_keys();
            repaired.store(home, Existing::Replace)?;
        } else {
            keys.check_against(&device)?;
        }
        if keys.record_key_is_new {
            add_record_key(home, passphrase, &ciphertext, &keys)?;
            keys.record_key_is_new = false;
        }
        Ok(keys)
    }

    /// Makes fresh current keys and retires the current ones (SPEC §4,
    /// rotation), re-encrypting the keystore to the same passphrase.
    ///
    /// `keystore.age` is written first and `device.json` second; a crash in
    /// between is repaired by the next [`Keystore::unlock`], so the new
    /// private keys are never lost while the record already names them.
    pub fn rotate(
        home: &Path,
        passphrase: &SecretString,
        keys: UnlockedKeys,
        work_factor: WorkFactor,
    ) -> Result<(UnlockedKeys, DeviceRecord), KeystoreError> {
        let mut device = DeviceRecord::load(home)?;
        keys.check_against(&device)?;
        let keys = keys.rotated(whole_seconds(OffsetDateTime::now_utc()))?;
        let sealed = secret::seal(&secret::encode(&keys)?, passphrase, work_factor)?;
        atomic_file::write(home, KEYSTORE_FILE, &sealed, Existing::Replace)
            .map_err(|e| KeystoreError::write(home, KEYSTORE_FILE, e))?;
        device.current_keys = keys.current_public_keys();
        device.store(home, Existing::Replace)?;
        Ok((keys, device))
    }
}

/// The one-time migration of a keystore from before case records were
/// authenticated (ADR 0010): tag the records with the new record key first,
/// then write the keystore that holds it, with the same passphrase and work
/// factor. A crash in between leaves the old keystore, and the next unlock
/// does both again with another key.
fn add_record_key(
    home: &Path,
    passphrase: &SecretString,
    old_ciphertext: &[u8],
    keys: &UnlockedKeys,
) -> Result<(), KeystoreError> {
    let cases = CaseStore::open(home).map_err(KeystoreError::CaseMigration)?;
    cases
        .tag_existing(&keys.case_keys())
        .map_err(KeystoreError::CaseMigration)?;
    let work_factor = secret::work_factor_of(old_ciphertext)?;
    let sealed = secret::seal(&secret::encode(keys)?, passphrase, work_factor)?;
    atomic_file::write(home, KEYSTORE_FILE, &sealed, Existing::Replace)
        .map_err(|e| KeystoreError::write(home, KEYSTORE_FILE, e))
}

/// Whole seconds: sub-second precision says nothing useful about a key.
fn whole_seconds(t: OffsetDateTime) -> OffsetDateTime {
    t - time::Duration::nanoseconds(i64::from(t.nanosecond()))
}

/// Creates `home` (and missing parents) with mode 0700. An existing
/// directory is used as it is: it may be one the user chose on purpose, and
/// the files inside are 0600 regardless.
fn create_home(home: &Path) -> Result<(), KeystoreError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(HOME_DIR_MODE)
        .create(home)
        .map_err(|source| KeystoreError::Io {
            action: "create directory",
            path: home.to_path_buf(),
            source,
        })
}

fn read_keystore(home: &Path) -> Result<Vec<u8>, KeystoreError> {
    let path = home.join(KEYSTORE_FILE);
    let Some(bytes) = read_bounded(&path, MAX_KEYSTORE_LEN)? else {
        return Err(KeystoreError::MissingKeystore { path });
    };
    if bytes.len() as u64 > MAX_KEYSTORE_LEN {
        return Err(KeystoreError::CorruptKeystore {
            reason: format!("larger than {MAX_KEYSTORE_LEN} bytes"),
        });
    }
    Ok(bytes)
}

/// Reads at most `max + 1` bytes of `path` (so the caller can tell "too
/// large" without reading a huge file into memory); `None` if it does not
/// exist.
pub(crate) fn read_bounded(path: &Path, max: u64) -> Result<Option<Vec<u8>>, KeystoreError> {
    let file = match fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(KeystoreError::Io {
                action: "open",
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| KeystoreError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use referral_protocol::RecipientKind;
    use secrecy::ExposeSecret;

    use super::*;

    fn passphrase(s: &str) -> SecretString {
        SecretString::from(s)
    }

    fn new_device() -> NewDevice {
        NewDevice {
            broker: "https://broker.example".parse().unwrap(),
            root_fingerprint: None,
        }
    }

    fn cheap() -> WorkFactor {
        WorkFactor::new(WorkFactor::MIN).unwrap()
    }

    #[test]
    fn create_then_unlock_gives_the_published_keys() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let record = Keystore::create(&home, new_device(), &passphrase("pw"), cheap()).unwrap();
        assert!(matches!(
            Keystore::ensure_absent(&home),
            Err(KeystoreError::AlreadyExists { .. })
        ));
        assert_eq!(Keystore::device(&home).unwrap(), record);

        let keys = Keystore::unlock(&home, &passphrase("pw")).unwrap();
        assert_eq!(keys.device_id(), record.device_id);
        assert_eq!(keys.current_public_keys(), record.current_keys);
        // A new device has a classic and a hybrid identity (ADR 0020).
        let kinds: Vec<_> = keys
            .age_identities()
            .iter()
            .map(AgeIdentity::kind)
            .collect();
        assert_eq!(kinds, [RecipientKind::Classic, RecipientKind::PostQuantum]);
        assert!(record.current_keys.pq_recipient.is_some());
        // Its case records go to the hybrid key.
        assert_eq!(
            Some(keys.case_keys().recipient),
            record.current_keys.pq_recipient
        );
        assert_eq!(keys.keys().next().unwrap().status, KeyStatus::Current);
        let sig = keys.signing_key().sign(b"m");
        assert!(record.current_keys.signing_key.verify(b"m", &sig));
    }

    /// Rewrites the keystore in `home`, and `device.json`, as format version
    /// 1 wrote them: no record key and no hybrid identity.
    fn downgrade_to_version_1(home: &Path, pw: &SecretString) {
        let keys = Keystore::unlock(home, pw).unwrap();
        let mut doc: serde_json::Value =
            serde_json::from_slice(&secret::encode(&keys).unwrap()).unwrap();
        let object = doc.as_object_mut().unwrap();
        object.remove("record_key").unwrap();
        object.insert("version".into(), 1.into());
        for key in object["keys"].as_array_mut().unwrap() {
            key.as_object_mut().unwrap().remove("pq_age_identity");
        }
        let mut device = DeviceRecord::load(home).unwrap();
        device.current_keys.pq_recipient = None;
        device.store(home, Existing::Replace).unwrap();
        let plain = serde_json::to_vec(&doc).unwrap();
        let sealed = secret::seal(&plain, pw, cheap()).unwrap();
        std::fs::write(home.join(KEYSTORE_FILE), sealed).unwrap();
    }

    /// A device made before ADR 0020 has X25519 keys only; its first
    /// rotation gives it a hybrid key and keeps the classic one, retired,
    /// for the packets already sealed to it.
    #[test]
    fn rotating_a_classic_only_device_gives_it_a_hybrid_key() {
        let dir = tempfile::tempdir().unwrap();
        let pw = passphrase("pw");
        Keystore::create(dir.path(), new_device(), &pw, cheap()).unwrap();
        downgrade_to_version_1(dir.path(), &pw);
        let old = Keystore::unlock(dir.path(), &pw).unwrap();
        assert_eq!(old.current_public_keys().pq_recipient, None);
        let old_classic = old.current_public_keys().age_recipient;
        let (rotated, device) = Keystore::rotate(dir.path(), &pw, old, cheap()).unwrap();
        let current = rotated.current_key();
        assert!(current.pq_identity.is_some());
        assert_eq!(
            device.current_keys.pq_recipient,
            current.pq_identity.map(AgeIdentity::recipient)
        );
        let retired = rotated.keys().nth(1).unwrap();
        assert!(
            retired.pq_identity.is_none(),
            "the old generation stays as it was"
        );
        assert_eq!(retired.identity.recipient(), old_classic);
        // And it survives the round trip through the file.
        let again = Keystore::unlock(dir.path(), &pw).unwrap();
        assert_eq!(again.current_public_keys(), device.current_keys);
        assert_eq!(again.age_identities().len(), 3);
    }

    #[test]
    fn unlocking_an_old_keystore_adds_a_record_key_and_tags_the_records_once() {
        let dir = tempfile::tempdir().unwrap();
        let pw = passphrase("pw");
        let record = Keystore::create(dir.path(), new_device(), &pw, cheap()).unwrap();
        downgrade_to_version_1(dir.path(), &pw);
        // A case record as the previous version wrote it: bare JSON,
        // encrypted to the device's key.
        let thread = referral_protocol::ThreadId::random();
        let case = crate::cases::CaseRecord::sent(
            thread,
            &"covic-intake".parse().unwrap(),
            &"shinjuku-iea".parse().unwrap(),
            record.device_id,
            referral_protocol::PacketId::random(),
            1_000,
            serde_json::json!({}),
            Vec::new(),
        );
        let recipient = record.current_keys.age_recipient.to_age();
        let mut legacy = Vec::new();
        let mut writer = age::Encryptor::with_recipients(std::iter::once(
            recipient.as_ref() as &dyn age::Recipient
        ))
        .unwrap()
        .wrap_output(&mut legacy)
        .unwrap();
        std::io::Write::write_all(&mut writer, &serde_json::to_vec(&case).unwrap()).unwrap();
        writer.finish().unwrap();
        let threads = dir.path().join("cases/threads");
        std::fs::create_dir_all(&threads).unwrap();
        std::fs::write(threads.join(format!("{thread}.age")), legacy).unwrap();

        let keys = Keystore::unlock(dir.path(), &pw).unwrap();
        let cases = CaseStore::open(dir.path()).unwrap();
        assert_eq!(
            cases.load(&thread, &keys.case_keys()).unwrap(),
            Some(case.clone())
        );
        // The keystore now holds the key, in the new format, at the same
        // work factor: the next unlock reads the same key and migrates
        // nothing.
        let ciphertext = std::fs::read(dir.path().join(KEYSTORE_FILE)).unwrap();
        assert_eq!(secret::work_factor_of(&ciphertext).unwrap(), cheap());
        let again = Keystore::unlock(dir.path(), &pw).unwrap();
        assert!(!again.record_key_is_new);
        assert_eq!(cases.load(&thread, &again.case_keys()).unwrap(), Some(case));
    }

    #[test]
    fn rotate_makes_new_current_keys_and_keeps_the_old_ones_retired() {
        let dir = tempfile::tempdir().unwrap();
        let before =
            Keystore::create(dir.path(), new_device(), &passphrase("pw"), cheap()).unwrap();
        let keys = Keystore::unlock(dir.path(), &passphrase("pw")).unwrap();
        let old_identity = keys.current_key().identity.to_secret_string();
        let old_hybrid = keys.current_key().pq_identity.unwrap().to_secret_string();
        let (rotated, after) =
            Keystore::rotate(dir.path(), &passphrase("pw"), keys, cheap()).unwrap();
        assert_ne!(after.current_keys, before.current_keys);
        assert_eq!(after.device_id, before.device_id);
        assert_eq!(Keystore::device(dir.path()).unwrap(), after);

        let keys = Keystore::unlock(dir.path(), &passphrase("pw")).unwrap();
        assert_eq!(keys.current_public_keys(), after.current_keys);
        let statuses: Vec<_> = keys.keys().map(|k| k.status).collect();
        assert_eq!(statuses, [KeyStatus::Current, KeyStatus::Retired]);
        let retired = keys.keys().nth(1).unwrap();
        assert_eq!(
            retired.identity.to_secret_string().expose_secret(),
            old_identity.expose_secret()
        );
        assert_eq!(
            retired
                .pq_identity
                .unwrap()
                .to_secret_string()
                .expose_secret(),
            old_hybrid.expose_secret()
        );
        assert_eq!(keys.age_identities().len(), 4);
        // The old signing key is still there to sign with until the
        // directory lists the new one.
        assert!(
            keys.signing_key_for(&before.current_keys.signing_key)
                .is_some()
        );
        assert!(
            keys.identity_for(&before.current_keys.age_recipient)
                .is_some()
        );
        drop(rotated);
    }

    #[test]
    fn a_rotation_cut_short_before_device_json_is_finished_by_unlock() {
        let dir = tempfile::tempdir().unwrap();
        Keystore::create(dir.path(), new_device(), &passphrase("pw"), cheap()).unwrap();
        let old_device = fs::read(dir.path().join(DEVICE_FILE)).unwrap();
        let keys = Keystore::unlock(dir.path(), &passphrase("pw")).unwrap();
        let (_, after) = Keystore::rotate(dir.path(), &passphrase("pw"), keys, cheap()).unwrap();
        // As if the process died between the two writes.
        fs::write(dir.path().join(DEVICE_FILE), old_device).unwrap();
        let keys = Keystore::unlock(dir.path(), &passphrase("pw")).unwrap();
        assert_eq!(keys.current_public_keys(), after.current_keys);
        assert_eq!(Keystore::device(dir.path()).unwrap(), after);
    }

    #[test]
    fn a_wrong_passphrase_is_reported_as_such() {
        let dir = tempfile::tempdir().unwrap();
        Keystore::create(dir.path(), new_device(), &passphrase("right"), cheap()).unwrap();
        let err = Keystore::unlock(dir.path(), &passphrase("wrong")).unwrap_err();
        assert!(matches!(err, KeystoreError::WrongPassphrase), "{err}");
        assert!(!err.is_integrity_failure());
    }

    #[test]
    fn create_refuses_an_existing_keystore() {
        let dir = tempfile::tempdir().unwrap();
        let first = Keystore::create(dir.path(), new_device(), &passphrase("a"), cheap()).unwrap();
        let err =
            Keystore::create(dir.path(), new_device(), &passphrase("b"), cheap()).unwrap_err();
        assert!(matches!(err, KeystoreError::AlreadyExists { .. }), "{err}");
        assert_eq!(Keystore::device(dir.path()).unwrap(), first);
        Keystore::unlock(dir.path(), &passphrase("a")).unwrap();
    }

    #[test]
    fn a_keystore_from_another_device_is_a_mismatch() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        Keystore::create(a.path(), new_device(), &passphrase("pw"), cheap()).unwrap();
        Keystore::create(b.path(), new_device(), &passphrase("pw"), cheap()).unwrap();
        fs::copy(b.path().join(KEYSTORE_FILE), a.path().join(KEYSTORE_FILE)).unwrap();
        let err = Keystore::unlock(a.path(), &passphrase("pw")).unwrap_err();
        assert!(
            matches!(err, KeystoreError::Mismatch { what: "device id" }),
            "{err}"
        );
        assert!(err.is_integrity_failure());
    }

    #[test]
    fn keys_that_differ_from_device_json_are_a_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let mut record =
            Keystore::create(dir.path(), new_device(), &passphrase("pw"), cheap()).unwrap();
        let published = record.current_keys.clone();
        // Either age key counts: the classic one, and the hybrid one.
        let swaps: [fn(&mut PublicKeys); 2] = [
            |keys| keys.age_recipient = AgeIdentity::generate_classic().recipient(),
            |keys| keys.pq_recipient = Some(AgeIdentity::generate_post_quantum().recipient()),
        ];
        for swap in swaps {
            record.current_keys = published.clone();
            swap(&mut record.current_keys);
            record.store(dir.path(), Existing::Replace).unwrap();
            let err = Keystore::unlock(dir.path(), &passphrase("pw")).unwrap_err();
            assert!(
                matches!(
                    err,
                    KeystoreError::Mismatch {
                        what: "current age recipient"
                    }
                ),
                "{err}"
            );
        }
    }

    #[test]
    fn a_missing_or_foreign_keystore_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        Keystore::create(dir.path(), new_device(), &passphrase("pw"), cheap()).unwrap();
        let path = dir.path().join(KEYSTORE_FILE);

        // Encrypted to an age key instead of a passphrase.
        let recipient = age::pq::Identity::generate().to_public();
        let foreign = age::encrypt(&recipient, b"{}").unwrap();
        fs::write(&path, foreign).unwrap();
        let err = Keystore::unlock(dir.path(), &passphrase("pw")).unwrap_err();
        assert!(
            matches!(err, KeystoreError::CorruptKeystore { .. }),
            "{err}"
        );

        fs::write(&path, b"not age at all").unwrap();
        let err = Keystore::unlock(dir.path(), &passphrase("pw")).unwrap_err();
        assert!(
            matches!(err, KeystoreError::CorruptKeystore { .. }),
            "{err}"
        );

        fs::remove_file(&path).unwrap();
        let err = Keystore::unlock(dir.path(), &passphrase("pw")).unwrap_err();
        assert!(
            matches!(err, KeystoreError::MissingKeystore { .. }),
            "{err}"
        );
        assert!(!err.is_integrity_failure());
    }

    #[test]
    fn a_tampered_payload_fails_authentication() {
        let dir = tempfile::tempdir().unwrap();
        Keystore::create(dir.path(), new_device(), &passphrase("pw"), cheap()).unwrap();
        let path = dir.path().join(KEYSTORE_FILE);
        let mut bytes = fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        fs::write(&path, bytes).unwrap();
        let err = Keystore::unlock(dir.path(), &passphrase("pw")).unwrap_err();
        assert!(
            matches!(err, KeystoreError::CorruptKeystore { .. }),
            "{err}"
        );
    }

    #[test]
    fn an_excessive_work_factor_is_refused_before_any_work() {
        let dir = tempfile::tempdir().unwrap();
        Keystore::create(dir.path(), new_device(), &passphrase("pw"), cheap()).unwrap();
        // Rewrite the scrypt stanza's work factor (binary age header, text
        // stanza line "-> scrypt SALT 10"). Checked before scrypt runs.
        let path = dir.path().join(KEYSTORE_FILE);
        let mut bytes = fs::read(&path).unwrap();
        let at = bytes.windows(10).position(|w| w == b"-> scrypt ").unwrap();
        let line_end = at + bytes[at..].iter().position(|&b| b == b'\n').unwrap();
        assert_eq!(&bytes[line_end - 3..line_end], b" 10");
        bytes[line_end - 2..line_end].copy_from_slice(b"30");
        fs::write(&path, bytes).unwrap();
        let err = Keystore::unlock(dir.path(), &passphrase("pw")).unwrap_err();
        assert!(
            matches!(&err, KeystoreError::CorruptKeystore { reason } if reason.contains("work factor")),
            "{err}"
        );
    }

    #[test]
    fn retired_keys_come_after_the_current_one_newest_first() {
        let device_id = DeviceId::random();
        let at = |s: i64| OffsetDateTime::from_unix_timestamp(s).unwrap();
        let mut keys = UnlockedKeys::generate(device_id, at(3_000)).unwrap();
        // Two older generations stored out of order before the current one:
        // one classic only (made before ADR 0020), one with a hybrid key.
        // Decoding must restore the order and keep each generation whole.
        for (created, hybrid) in [(1_000, false), (2_000, true)] {
            let generation = [Some(AgeIdentity::generate_classic())]
                .into_iter()
                .chain([hybrid.then(AgeIdentity::generate_post_quantum)])
                .flatten();
            keys.identities.splice(0..0, generation);
            keys.keys.insert(
                0,
                KeyInfo {
                    signing: SigningKey::generate().unwrap(),
                    status: KeyStatus::Retired,
                    created_at: at(created),
                    has_post_quantum: hybrid,
                },
            );
        }
        let plaintext = secret::encode(&keys).unwrap();
        let decoded = secret::decode(&plaintext).unwrap();
        let order: Vec<_> = decoded.keys().map(|k| (k.status, k.created_at)).collect();
        assert_eq!(
            order,
            [
                (KeyStatus::Current, at(3_000)),
                (KeyStatus::Retired, at(2_000)),
                (KeyStatus::Retired, at(1_000)),
            ]
        );
        // Each identity stayed with its own signing key and metadata.
        let pairs = |k: &UnlockedKeys| {
            let mut v: Vec<_> = k
                .keys()
                .map(|k| {
                    (
                        k.identity.recipient(),
                        k.pq_identity.map(AgeIdentity::recipient),
                        k.signing.verifying_key().to_string(),
                        k.created_at,
                    )
                })
                .collect();
            v.sort();
            v
        };
        assert_eq!(pairs(&keys), pairs(&decoded));
    }

    #[test]
    fn a_key_list_without_exactly_one_current_key_is_refused() {
        let mut keys =
            UnlockedKeys::generate(DeviceId::random(), OffsetDateTime::UNIX_EPOCH).unwrap();
        keys.keys[0].status = KeyStatus::Retired;
        let err = secret::decode(&secret::encode(&keys).unwrap()).unwrap_err();
        assert!(
            matches!(err, KeystoreError::CorruptKeystore { .. }),
            "{err}"
        );
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let keys = UnlockedKeys::generate(DeviceId::random(), OffsetDateTime::UNIX_EPOCH).unwrap();
        let secret = keys.age_identities()[1].to_secret_string();
        let shown = format!("{keys:?} {:?}", keys.keys().next().unwrap());
        assert!(shown.contains("REDACTED"));
        assert!(!shown.contains(secret.expose_secret()));
        assert!(
            !shown
                .to_lowercase()
                .contains(&secret.expose_secret().to_lowercase())
        );
    }

    #[test]
    fn json_errors_in_the_plaintext_never_quote_it() {
        let plaintext = br#"{"version":1,"device_id":"AGE-SECRET-KEY-1SECRET","keys":[]}"#;
        let err = secret::decode(plaintext).unwrap_err();
        assert!(!err.to_string().contains("SECRET"), "{err}");
    }

    #[test]
    fn work_factor_bounds() {
        assert!(WorkFactor::new(9).is_err());
        assert!(WorkFactor::new(23).is_err());
        assert_eq!(WorkFactor::new(10).unwrap().log_n(), 10);
        assert_eq!(WorkFactor::DEFAULT.log_n(), 16);
    }
}
