//! `keystore.age`: the device's private keys, encrypted to the passphrase.
//!
//! The file is a standard age file with a single scrypt stanza, so it can be
//! inspected (and, in an emergency, decrypted) with any age implementation.
//! Inside is a small JSON document listing every key the device has had, the
//! current one and the retired ones, because packets sent before a rotation
//! are still encrypted to the retired keys (SPEC §4, rotation), and, from
//! format version 2, the key that authenticates the case records
//! (`crate::cases::auth`).
//!
//! Handling of the plaintext: every buffer that holds secret bytes is a
//! `Zeroizing` (or a `secrecy` container) and is sized up front where that
//! is possible, so that no reallocation leaves an un-wiped copy behind in
//! freed memory.

use std::io::{Read, Write};
use std::iter;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use referral_protocol::{AgeIdentity, DeviceId, RecipientKind, SigningKey};
use secrecy::{ExposeSecret, SecretString};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zeroize::Zeroizing;

use super::{KeyStatus, KeystoreError, UnlockedKeys, WorkFactor};
use crate::cases::RecordKey;

/// The plaintext format version this code writes. Version 2 added
/// `record_key`; version 3 added a key's `pq_age_identity` (ADR 0020).
const FORMAT_VERSION: u32 = 3;

/// The version before `pq_age_identity`, still read: its keys are classic
/// only, until the next rotation.
const FORMAT_VERSION_CLASSIC_ONLY: u32 = 2;

/// The version before `record_key`, still read: unlocking one adds the key
/// (`Keystore::unlock`).
const FORMAT_VERSION_WITHOUT_RECORD_KEY: u32 = 1;

/// Room reserved in the plaintext buffer for each key (an entry is about
/// 300 bytes, 400 more with a hybrid identity), so that serialising never
/// grows the buffer by reallocation.
const BYTES_PER_KEY: usize = 1024;

/// Serialises the keys for encryption: `{"version", "device_id", "keys"}`.
pub(super) fn encode(keys: &UnlockedKeys) -> Result<Zeroizing<Vec<u8>>, KeystoreError> {
    let doc = PlainOut {
        device_id: keys.device_id,
        record_key: &keys.record_key,
        keys: keys
            .keys()
            .map(|key| KeyOut {
                identity: key.identity,
                pq_identity: key.pq_identity,
                signing: key.signing,
                status: key.status,
                created_at: key.created_at,
            })
            .collect(),
    };
    let mut buf = Zeroizing::new(Vec::with_capacity(256 + BYTES_PER_KEY * keys.keys.len()));
    serde_json::to_writer(&mut *buf, &doc).map_err(|e| KeystoreError::Encode {
        what: super::KEYSTORE_FILE,
        reason: e.to_string(),
    })?;
    Ok(buf)
}

/// Parses decrypted plaintext. The keys come back with the current key first
/// and the retired ones after it, newest first: the order in which it is
/// worth trying them on a packet.
pub(super) fn decode(plaintext: &[u8]) -> Result<UnlockedKeys, KeystoreError> {
    let version = serde_json::from_slice::<VersionOnly>(plaintext)
        .map_err(json_error)?
        .version;
    if ![
        FORMAT_VERSION,
        FORMAT_VERSION_CLASSIC_ONLY,
        FORMAT_VERSION_WITHOUT_RECORD_KEY,
    ]
    .contains(&version)
    {
        return Err(KeystoreError::UnsupportedVersion {
            file: super::KEYSTORE_FILE,
            version,
        });
    }
    let mut doc: PlainIn = serde_json::from_slice(plaintext).map_err(json_error)?;
    let (record_key, record_key_is_new) = match (version, &doc.record_key) {
        (FORMAT_VERSION | FORMAT_VERSION_CLASSIC_ONLY, Some(text)) => {
            let bytes = Zeroizing::new(STANDARD.decode(text.as_bytes()).map_err(|_| {
                KeystoreError::CorruptKeystore {
                    reason: "the record key is not base64".to_owned(),
                }
            })?);
            let key =
                RecordKey::from_bytes(&bytes).ok_or_else(|| KeystoreError::CorruptKeystore {
                    reason: "the record key has the wrong length".to_owned(),
                })?;
            (key, false)
        }
        (FORMAT_VERSION_WITHOUT_RECORD_KEY, None) => (
            RecordKey::generate()
                .map_err(|_| KeystoreError::KeyGeneration(referral_protocol::KeyError::Rng))?,
            true,
        ),
        _ => {
            return Err(KeystoreError::CorruptKeystore {
                reason: format!("format version {version} with the record key missing or extra"),
            });
        }
    };
    let current = doc
        .keys
        .iter()
        .filter(|k| k.status == KeyStatus::Current)
        .count();
    if current != 1 {
        return Err(KeystoreError::CorruptKeystore {
            reason: format!("expected exactly one current key, found {current}"),
        });
    }
    // Sorting moves only the `Zeroizing<String>` handles, never the secret
    // text, which stays where the JSON parser put it until it is wiped.
    doc.keys.sort_by(|a, b| {
        (a.status != KeyStatus::Current)
            .cmp(&(b.status != KeyStatus::Current))
            .then(b.created_at.cmp(&a.created_at))
    });

    let mut identities = Vec::with_capacity(doc.keys.len());
    let mut infos = Vec::with_capacity(doc.keys.len());
    for (index, key) in doc.keys.iter().enumerate() {
        // The parse errors name the entry, never its content.
        let identity: AgeIdentity = key
            .age_identity
            .parse()
            .ok()
            .filter(|i: &AgeIdentity| i.kind() == RecipientKind::Classic)
            .ok_or_else(|| KeystoreError::CorruptKeystore {
                reason: format!("key {index}: not an age X25519 identity"),
            })?;
        let pq_identity: Option<AgeIdentity> = match &key.pq_age_identity {
            None => None,
            Some(text) if version == FORMAT_VERSION => Some(
                text.parse()
                    .ok()
                    .filter(|i: &AgeIdentity| i.kind() == RecipientKind::PostQuantum)
                    .ok_or_else(|| KeystoreError::CorruptKeystore {
                        reason: format!("key {index}: not an age post-quantum identity"),
                    })?,
            ),
            Some(_) => {
                return Err(KeystoreError::CorruptKeystore {
                    reason: format!(
                        "key {index}: a post-quantum identity in format version {version}"
                    ),
                });
            }
        };
        let pkcs8 =
            Zeroizing::new(STANDARD.decode(key.signing_pkcs8.as_bytes()).map_err(|_| {
                KeystoreError::CorruptKeystore {
                    reason: format!("key {index}: signing key is not base64"),
                }
            })?);
        let signing =
            SigningKey::from_pkcs8(&pkcs8).map_err(|_| KeystoreError::CorruptKeystore {
                reason: format!("key {index}: not an Ed25519 PKCS#8 signing key"),
            })?;
        identities.push(identity);
        let has_post_quantum = pq_identity.is_some();
        identities.extend(pq_identity);
        infos.push(super::KeyInfo {
            signing,
            status: key.status,
            created_at: key.created_at,
            has_post_quantum,
        });
    }
    Ok(UnlockedKeys {
        device_id: doc.device_id,
        identities,
        keys: infos,
        record_key,
        record_key_is_new,
    })
}

/// Encrypts `plaintext` to `passphrase` with an explicit scrypt work factor.
///
/// The factor is never left to age's default, which benchmarks the machine
/// and aims at about a second of work: that makes every command slow, and
/// makes the file's cost depend on whichever machine happened to write it.
pub(super) fn seal(
    plaintext: &[u8],
    passphrase: &SecretString,
    work_factor: WorkFactor,
) -> Result<Vec<u8>, KeystoreError> {
    let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
    recipient.set_work_factor(work_factor.log_n());
    let encryptor = age::Encryptor::with_recipients(iter::once(&recipient as &dyn age::Recipient))
        .map_err(|e| KeystoreError::Encrypt(e.to_string()))?;
    // age adds a header of about 200 bytes and 16 bytes per 64 KiB chunk.
    let mut out = Vec::with_capacity(plaintext.len() + 512);
    let mut writer = encryptor
        .wrap_output(&mut out)
        .map_err(|e| KeystoreError::Encrypt(e.to_string()))?;
    writer
        .write_all(plaintext)
        .and_then(|()| writer.finish().map(|_| ()))
        .map_err(|e| KeystoreError::Encrypt(e.to_string()))?;
    Ok(out)
}

/// Decrypts a keystore file with `passphrase`.
pub(super) fn unseal(
    ciphertext: &[u8],
    passphrase: &SecretString,
) -> Result<Zeroizing<Vec<u8>>, KeystoreError> {
    // `new_buffered`, never `Decryptor::new`: the latter re-parses the header
    // as it reads and is quadratic in its size (CRATE-NOTES).
    let decryptor =
        age::Decryptor::new_buffered(ciphertext).map_err(|e| KeystoreError::CorruptKeystore {
            reason: format!("not a readable age file ({e})"),
        })?;
    // A keystore that is not passphrase-encrypted was not written by us, and
    // "wrong passphrase" would send the user hunting for the wrong problem.
    if !decryptor.is_scrypt() {
        return Err(KeystoreError::CorruptKeystore {
            reason: "not encrypted to a passphrase".to_owned(),
        });
    }
    let mut identity = age::scrypt::Identity::new(passphrase.clone());
    // The cap bounds the CPU and memory a tampered file can make us spend
    // (2^22 is about 4 GiB of scrypt memory); it matches the highest factor
    // `WorkFactor` lets us write.
    identity.set_max_work_factor(WorkFactor::MAX);
    let mut reader = decryptor
        .decrypt(iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            // scrypt stanzas are not robust to the key: a wrong passphrase
            // shows up as a failed decryption of the file key.
            age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys => {
                KeystoreError::WrongPassphrase
            }
            age::DecryptError::ExcessiveWork { required, .. } => KeystoreError::CorruptKeystore {
                reason: format!(
                    "it demands scrypt work factor {required}, above the limit of {}",
                    WorkFactor::MAX
                ),
            },
            other => KeystoreError::CorruptKeystore {
                reason: format!("the header failed to verify ({other})"),
            },
        })?;
    // The plaintext is never longer than the ciphertext, so this capacity
    // means `read_to_end` never reallocates (and never leaves a copy).
    let mut plaintext = Zeroizing::new(Vec::with_capacity(ciphertext.len()));
    reader
        .read_to_end(&mut plaintext)
        .map_err(|_| KeystoreError::CorruptKeystore {
            reason: "the encrypted payload failed authentication".to_owned(),
        })?;
    Ok(plaintext)
}

/// serde_json's messages can quote the offending value, and in this file the
/// values are secret keys; report where the problem is, never what.
fn json_error(e: serde_json::Error) -> KeystoreError {
    use serde_json::error::Category;
    // Words for people, not the Debug form of serde_json's category.
    let what = match e.classify() {
        Category::Io => crate::tr!("errors-key-list-io"),
        Category::Syntax => crate::tr!("errors-key-list-syntax"),
        Category::Data => crate::tr!("errors-key-list-data"),
        Category::Eof => crate::tr!("errors-key-list-eof"),
    };
    KeystoreError::CorruptKeystore {
        reason: crate::tr!(
            "errors-key-list-invalid",
            what = what,
            line = e.line(),
            column = e.column()
        ),
    }
}

#[derive(Deserialize)]
struct VersionOnly {
    version: u32,
}

struct PlainOut<'a> {
    device_id: DeviceId,
    record_key: &'a RecordKey,
    keys: Vec<KeyOut<'a>>,
}

impl Serialize for PlainOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // `encode` sizes its output exactly, so no reallocation copies.
        let record_key = Zeroizing::new(STANDARD.encode(self.record_key.expose()));
        let mut st = s.serialize_struct("Keystore", 4)?;
        st.serialize_field("version", &FORMAT_VERSION)?;
        st.serialize_field("device_id", &self.device_id)?;
        st.serialize_field("record_key", record_key.as_str())?;
        st.serialize_field("keys", &self.keys)?;
        st.end()
    }
}

/// One key as written. Serialised by hand so that the secret text exists
/// only inside wiping containers while it is being written out.
struct KeyOut<'a> {
    identity: &'a AgeIdentity,
    pq_identity: Option<&'a AgeIdentity>,
    signing: &'a SigningKey,
    status: KeyStatus,
    created_at: OffsetDateTime,
}

impl Serialize for KeyOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let age_identity: SecretString = self.identity.to_secret_string();
        let pq_age_identity: Option<SecretString> =
            self.pq_identity.map(AgeIdentity::to_secret_string);
        // `encode` sizes its output exactly, so no reallocation copies.
        let signing_pkcs8 = Zeroizing::new(STANDARD.encode(self.signing.pkcs8().expose_secret()));
        let created_at = self
            .created_at
            .format(&Rfc3339)
            .map_err(serde::ser::Error::custom)?;
        let mut st = s.serialize_struct("Key", 5)?;
        st.serialize_field("age_identity", age_identity.expose_secret())?;
        if let Some(pq) = &pq_age_identity {
            st.serialize_field("pq_age_identity", pq.expose_secret())?;
        }
        st.serialize_field("signing_pkcs8", signing_pkcs8.as_str())?;
        st.serialize_field("status", &self.status)?;
        st.serialize_field("created_at", &created_at)?;
        st.end()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlainIn {
    #[serde(rename = "version")]
    _version: u32,
    device_id: DeviceId,
    #[serde(default, deserialize_with = "optional_secret_text")]
    record_key: Option<Zeroizing<String>>,
    keys: Vec<KeyIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyIn {
    #[serde(deserialize_with = "secret_text")]
    age_identity: Zeroizing<String>,
    #[serde(default, deserialize_with = "optional_secret_text")]
    pq_age_identity: Option<Zeroizing<String>>,
    #[serde(deserialize_with = "secret_text")]
    signing_pkcs8: Zeroizing<String>,
    status: KeyStatus,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

/// Takes a secret string straight into a wiping container. Both kinds of
/// secret text (bech32 and base64) contain no JSON escapes, so serde_json
/// copies them once, from the input, into an exactly sized `String`.
fn secret_text<'de, D: Deserializer<'de>>(d: D) -> Result<Zeroizing<String>, D::Error> {
    String::deserialize(d).map(Zeroizing::new)
}

fn optional_secret_text<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Zeroizing<String>>, D::Error> {
    secret_text(d).map(Some)
}

/// The scrypt work factor `ciphertext` (a keystore `unseal` accepted) was
/// written with, so that rewriting it for the record key keeps the user's
/// cost rather than this build's default. The age header stanza is
/// `-> scrypt SALT LOG_N`.
pub(super) fn work_factor_of(ciphertext: &[u8]) -> Result<WorkFactor, KeystoreError> {
    let corrupt = || KeystoreError::CorruptKeystore {
        reason: "no readable scrypt stanza in the header".to_owned(),
    };
    let line = ciphertext
        .split(|&b| b == b'\n')
        .take(8)
        .find(|line| line.starts_with(b"-> scrypt "))
        .ok_or_else(corrupt)?;
    let log_n = std::str::from_utf8(line)
        .ok()
        .and_then(|l| l.split(' ').nth(3))
        .and_then(|n| n.parse::<u8>().ok())
        .ok_or_else(corrupt)?;
    WorkFactor::new(log_n)
}
