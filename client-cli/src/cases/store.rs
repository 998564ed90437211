//! `<home>/cases/`: the device's own copy of every case (ADR 0005).
//!
//! - `packets/<packet-id>.age`: each packet this device sent, received or
//!   replied with, exactly as it travelled. It is already encrypted to this
//!   device (senders encrypt to their own desk too), so keeping it adds no
//!   plaintext to the disk.
//! - `threads/<thread-id>.age`: the case record, JSON age-encrypted to the
//!   device's current key. Records sealed before a rotation still open with
//!   the retired key, which the keystore keeps. Inside the encryption each
//!   record carries a tag under the keystore's record key ([`super::auth`]),
//!   bound to the thread its file is named after: encryption to a public key
//!   alone would let anyone who can write the home plant or swap records.
//!
//! - `sync.age`: where `cases` and `report` left off syncing with the broker
//!   ([`SyncState`], ADR 0014), sealed and tagged like a record.
//!
//! Every write goes through [`atomic_file`]: a crash leaves the old record or
//! the new one, never a torn file.

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use referral_protocol::{AgeIdentity, PacketId, RecipientKey, ThreadId};
use zeroize::Zeroizing;

use super::auth::{AuthError, RecordKey};
use super::record::{CaseRecord, RECORD_VERSION};
use super::sync_state::SyncState;
use crate::atomic_file::{self, Existing};

/// A case record is a few KiB; a far larger file is not one of ours.
const MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;

/// Why the case store could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CaseStoreError {
    /// Reading or writing a file failed.
    #[error("case store {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// No key of this device opens the record, or it is damaged.
    #[error("case record {path} cannot be decrypted with this device's keys: {reason}")]
    Decrypt {
        /// The file.
        path: PathBuf,
        /// What age said.
        reason: String,
    },
    /// The record decrypted, but its tag under the keystore's record key
    /// is missing or wrong: it was planted, edited, or moved from another
    /// thread's file.
    #[error(
        "case record {path} failed authentication ({reason}): it was planted, edited or moved \
         by something other than referral, and was not used. Restore it from a backup or \
         remove it, and tell your administrator"
    )]
    Unauthenticated {
        /// The file.
        path: PathBuf,
        /// Which check failed.
        reason: AuthError,
    },
    /// The record decrypted but is not a case record this build reads.
    #[error("case record {path} is not readable: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> CaseStoreError + '_ {
    move |source| CaseStoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What reading and writing records takes, all from the unlocked keystore.
#[derive(Clone)]
pub struct CaseKeys<'a> {
    /// This device's current and retired age keys (to decrypt).
    pub identities: &'a [AgeIdentity],
    /// Its current age recipient (to encrypt to).
    pub recipient: RecipientKey,
    /// The record key (to tag and check).
    pub record_key: &'a RecordKey,
}

/// The secrets are never in a debug dump.
impl std::fmt::Debug for CaseKeys<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaseKeys")
            .field("recipient", &self.recipient)
            .field("identities", &"[REDACTED]")
            .field("record_key", self.record_key)
            .finish()
    }
}

/// The case store of one device.
#[derive(Debug, Clone)]
pub struct CaseStore {
    root: PathBuf,
    threads: PathBuf,
    packets: PathBuf,
}

impl CaseStore {
    /// The store under `home`, created (mode 0700) if absent.
    pub fn open(home: &Path) -> Result<Self, CaseStoreError> {
        let root = home.join("cases");
        let store = Self {
            threads: root.join("threads"),
            packets: root.join("packets"),
            root,
        };
        for dir in [&store.root, &store.threads, &store.packets] {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(io_error(dir))?;
        }
        Ok(store)
    }

    /// The threads that have a record here, by file name alone (nothing is
    /// decrypted): the ids a typed thread prefix may stand for. Loading one
    /// still authenticates it.
    pub fn thread_ids(&self) -> Result<Vec<ThreadId>, CaseStoreError> {
        Ok(self
            .record_files()?
            .into_iter()
            .map(|(_, thread)| thread)
            .collect())
    }

    /// The packets kept here, by file name alone: the ids a typed packet
    /// prefix may stand for (`forward`). Opening one still verifies it.
    pub fn kept_packet_ids(&self) -> Result<Vec<PacketId>, CaseStoreError> {
        let entries = fs::read_dir(&self.packets).map_err(io_error(&self.packets))?;
        let mut ids = Vec::new();
        for entry in entries {
            let path = entry.map_err(io_error(&self.packets))?.path();
            if path.extension().is_some_and(|e| e == "age")
                && let Some(id) = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .and_then(|s| s.parse::<PacketId>().ok())
            {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// Where the packet `id` is kept.
    pub fn packet_path(&self, id: &PacketId) -> PathBuf {
        self.packets.join(format!("{id}.age"))
    }

    /// Keeps a copy of the packet at `source` (a file this device wrote or
    /// downloaded). Keeping the same packet twice is harmless.
    pub fn keep_packet(&self, id: &PacketId, source: &Path) -> Result<(), CaseStoreError> {
        let target = self.packet_path(id);
        if target.exists() {
            return Ok(());
        }
        let temp = self.packets.join(format!(".{id}.tmp"));
        let copy = || -> io::Result<()> {
            let mut from = File::open(source)?;
            let mut to = atomic_file::create_private(&temp)?;
            io::copy(&mut from, &mut to)?;
            to.sync_all()?;
            fs::rename(&temp, &target)?;
            atomic_file::sync_dir(&self.packets)
        };
        copy().map_err(|e| {
            let _ = fs::remove_file(&temp);
            io_error(&target)(e)
        })
    }

    /// Keeps the packet at `source` by moving it into the store (a packet
    /// this device sealed into its outbox, which it no longer needs once
    /// the broker has it). Falls back to [`CaseStore::keep_packet`]'s copy
    /// if the two are on different file systems.
    ///
    /// `source` was fsynced when it was written, so a rename and a synced
    /// directory make the kept copy as durable as a fresh copy would, without
    /// writing and fsyncing the bytes a second time on every `send`.
    pub fn keep_packet_by_moving(
        &self,
        id: &PacketId,
        source: &Path,
    ) -> Result<(), CaseStoreError> {
        let target = self.packet_path(id);
        if target.exists() {
            return Ok(());
        }
        match fs::rename(source, &target) {
            Ok(()) => atomic_file::sync_dir(&self.packets).map_err(io_error(&self.packets)),
            // EXDEV (a home split over file systems) and the like: the copy
            // reports its own error if there is a real problem.
            Err(_) => self.keep_packet(id, source),
        }
    }

    /// Moves a packet downloaded next to the kept ones (same directory, so
    /// the rename is atomic) into the store, once it has verified.
    pub fn adopt_packet(&self, id: &PacketId, downloaded: &Path) -> Result<(), CaseStoreError> {
        let target = self.packet_path(id);
        fs::rename(downloaded, &target).map_err(io_error(&target))?;
        atomic_file::sync_dir(&self.packets).map_err(io_error(&self.packets))
    }

    fn record_path(&self, thread: &ThreadId) -> PathBuf {
        self.threads.join(format!("{thread}.age"))
    }

    /// Writes `record`, tagged with the record key and encrypted to the
    /// device's current key.
    pub fn save(&self, record: &CaseRecord, keys: &CaseKeys<'_>) -> Result<(), CaseStoreError> {
        let path = self.record_path(&record.thread_id);
        let json =
            Zeroizing::new(
                serde_json::to_vec(record).map_err(|e| CaseStoreError::Malformed {
                    path: path.clone(),
                    reason: e.to_string(),
                })?,
            );
        let plain = keys.record_key.frame(&record.thread_id, &json);
        self.write_sealed(&record.thread_id, &plain, &keys.recipient)
    }

    fn write_sealed(
        &self,
        thread: &ThreadId,
        plain: &[u8],
        to: &RecipientKey,
    ) -> Result<(), CaseStoreError> {
        seal_into(&self.threads, &format!("{thread}.age"), plain, to)
    }

    fn sync_state_path(&self) -> PathBuf {
        self.root.join(SYNC_STATE_FILE)
    }

    /// Writes where the last sync with the broker left off, tagged and
    /// encrypted like a record.
    pub fn save_sync_state(
        &self,
        state: &SyncState,
        keys: &CaseKeys<'_>,
    ) -> Result<(), CaseStoreError> {
        let path = self.sync_state_path();
        let json = serde_json::to_vec(state).map_err(|e| CaseStoreError::Malformed {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let plain = keys.record_key.frame_named(SYNC_STATE_NAME, &json);
        seal_into(&self.root, SYNC_STATE_FILE, &plain, &keys.recipient)
    }

    /// Where the last sync left off; `None` before the first one.
    pub fn load_sync_state(
        &self,
        keys: &CaseKeys<'_>,
    ) -> Result<Option<SyncState>, CaseStoreError> {
        let path = self.sync_state_path();
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(&path)(e)),
        };
        let plain = decrypt_record(&path, file, keys.identities)?;
        let json = keys
            .record_key
            .unframe_named(SYNC_STATE_NAME, &plain)
            .map_err(|reason| CaseStoreError::Unauthenticated {
                path: path.clone(),
                reason,
            })?;
        serde_json::from_slice(json)
            .map(Some)
            .map_err(|e| CaseStoreError::Malformed {
                path,
                reason: e.to_string(),
            })
    }
}

/// The sync state's file, beside `threads/` (not in it: it is no case).
const SYNC_STATE_FILE: &str = "sync.age";

/// What the sync state's tag is bound to, as a record's is to its thread.
const SYNC_STATE_NAME: &str = "sync-state";

/// Encrypts `plain` to `to` and publishes it atomically as `dir/name`.
fn seal_into(
    dir: &Path,
    name: &str,
    plain: &[u8],
    to: &RecipientKey,
) -> Result<(), CaseStoreError> {
    let path = dir.join(name);
    {
        let recipient = to.to_age();
        let encryptor = age::Encryptor::with_recipients(std::iter::once(
            recipient.as_ref() as &dyn age::Recipient
        ))
        .map_err(|e| CaseStoreError::Decrypt {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let mut sealed = Vec::with_capacity(plain.len() + 256);
        let mut writer = encryptor
            .wrap_output(&mut sealed)
            .map_err(io_error(&path))?;
        writer.write_all(plain).map_err(io_error(&path))?;
        writer.finish().map_err(io_error(&path))?;
        atomic_file::write(dir, name, &sealed, Existing::Replace).map_err(io_error(&path))
    }
}

impl CaseStore {
    /// The record of `thread`, if this device has one.
    pub fn load(
        &self,
        thread: &ThreadId,
        keys: &CaseKeys<'_>,
    ) -> Result<Option<CaseRecord>, CaseStoreError> {
        let path = self.record_path(thread);
        match File::open(&path) {
            Ok(file) => read_record(&path, thread, file, keys).map(Some),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(&path)(e)),
        }
    }

    /// The record files, with the thread each is named after. A file whose
    /// name is not a thread id is not one of ours: it is refused like a
    /// record that fails authentication.
    fn record_files(&self) -> Result<Vec<(PathBuf, ThreadId)>, CaseStoreError> {
        let mut files = Vec::new();
        let entries = fs::read_dir(&self.threads).map_err(io_error(&self.threads))?;
        for entry in entries {
            let entry = entry.map_err(io_error(&self.threads))?;
            let path = entry.path();
            // Temporary files of an interrupted write start with a dot.
            let is_record = path.extension().is_some_and(|e| e == "age")
                && !entry.file_name().to_string_lossy().starts_with('.');
            if !is_record {
                continue;
            }
            let thread = path
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse::<ThreadId>().ok())
                .ok_or_else(|| CaseStoreError::Unauthenticated {
                    path: path.clone(),
                    reason: AuthError::BadTag,
                })?;
            files.push((path, thread));
        }
        Ok(files)
    }

    /// Every record, oldest referral first.
    pub fn all(&self, keys: &CaseKeys<'_>) -> Result<Vec<CaseRecord>, CaseStoreError> {
        let mut records = Vec::new();
        for (path, thread) in self.record_files()? {
            let file = File::open(&path).map_err(io_error(&path))?;
            records.push(read_record(&path, &thread, file, keys)?);
        }
        records.sort_by(|a, b| {
            (a.referred_at, a.thread_id.to_string()).cmp(&(b.referred_at, b.thread_id.to_string()))
        });
        Ok(records)
    }

    /// The one-time migration (ADR 0010): tags every record with `keys`'
    /// record key, which the keystore has just been given. Runs at the
    /// unlock that adds the key, before the keystore that holds it is
    /// written, so a crash in between runs it again with a new key. It
    /// trusts what is in the store at that moment, as the device did before;
    /// from then on an untagged record is refused. Returns how many records
    /// it tagged. Records no key of this device decrypts are left as they
    /// are (they were unreadable before too).
    pub fn tag_existing(&self, keys: &CaseKeys<'_>) -> Result<usize, CaseStoreError> {
        let mut tagged = 0;
        for (path, thread) in self.record_files()? {
            let file = File::open(&path).map_err(io_error(&path))?;
            let plain = match decrypt_record(&path, file, keys.identities) {
                Ok(plain) => plain,
                Err(CaseStoreError::Decrypt { .. }) => continue,
                Err(e) => return Err(e),
            };
            let json = RecordKey::strip_any_frame(&plain);
            let framed = keys.record_key.frame(&thread, json);
            self.write_sealed(&thread, &framed, &keys.recipient)?;
            tagged += 1;
        }
        Ok(tagged)
    }
}

fn decrypt_record(
    path: &Path,
    file: File,
    identities: &[AgeIdentity],
) -> Result<Zeroizing<Vec<u8>>, CaseStoreError> {
    let dyn_ids: Vec<&dyn age::Identity> = identities.iter().map(AgeIdentity::as_age).collect();
    let decrypt_error = |reason: String| CaseStoreError::Decrypt {
        path: path.to_path_buf(),
        reason,
    };
    let (reader, _) =
        referral_protocol::decrypt(BufReader::new(file.take(MAX_RECORD_BYTES)), &dyn_ids)
            .map_err(|e| decrypt_error(e.to_string()))?;
    let mut plain = Zeroizing::new(Vec::new());
    reader
        .take(MAX_RECORD_BYTES)
        .read_to_end(&mut plain)
        .map_err(|e| decrypt_error(e.to_string()))?;
    Ok(plain)
}

fn read_record(
    path: &Path,
    thread: &ThreadId,
    file: File,
    keys: &CaseKeys<'_>,
) -> Result<CaseRecord, CaseStoreError> {
    let plain = decrypt_record(path, file, keys.identities)?;
    let json = keys.record_key.unframe(thread, &plain).map_err(|reason| {
        CaseStoreError::Unauthenticated {
            path: path.to_path_buf(),
            reason,
        }
    })?;
    let mut record: CaseRecord =
        serde_json::from_slice(json).map_err(|e| CaseStoreError::Malformed {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    if record.version != RECORD_VERSION {
        return Err(CaseStoreError::Malformed {
            path: path.to_path_buf(),
            reason: format!(
                "record version {} (this build reads {RECORD_VERSION})",
                record.version
            ),
        });
    }
    // Records written before the status rule may hold a status the broker
    // reported over a signed one.
    record.settle_status();
    Ok(record)
}

#[cfg(test)]
mod tests {
    use referral_protocol::{DeviceId, PacketId, ThreadId};

    use super::*;
    use crate::cases::CaseRecord;

    /// A device's keys, as the keystore would hand them over.
    struct Keys {
        identities: Vec<AgeIdentity>,
        recipient: RecipientKey,
        record_key: RecordKey,
    }

    impl Keys {
        /// A device made since ADR 0020: records go to its hybrid key.
        fn new() -> Self {
            let identity = AgeIdentity::generate_post_quantum();
            Self {
                recipient: identity.recipient(),
                identities: vec![identity],
                record_key: RecordKey::generate().unwrap(),
            }
        }

        fn case_keys(&self) -> CaseKeys<'_> {
            CaseKeys {
                identities: &self.identities,
                recipient: self.recipient.clone(),
                record_key: &self.record_key,
            }
        }
    }

    fn record(at: i64) -> CaseRecord {
        CaseRecord::sent(
            ThreadId::random(),
            &"covic-intake".parse().unwrap(),
            &"shinjuku-iea".parse().unwrap(),
            DeviceId::random(),
            PacketId::random(),
            at,
            serde_json::json!({"person": {"name": "store canary 51c2"}}),
            Vec::new(),
        )
    }

    #[test]
    fn records_are_encrypted_to_the_device_and_read_back_in_order() {
        let home = tempfile::tempdir().unwrap();
        let store = CaseStore::open(home.path()).unwrap();
        let keys = Keys::new();
        let (later, earlier) = (record(2_000), record(1_000));
        store.save(&later, &keys.case_keys()).unwrap();
        store.save(&earlier, &keys.case_keys()).unwrap();

        let all = store.all(&keys.case_keys()).unwrap();
        assert_eq!(all, vec![earlier.clone(), later]);
        assert_eq!(
            store.load(&earlier.thread_id, &keys.case_keys()).unwrap(),
            Some(earlier.clone())
        );
        assert_eq!(
            store.load(&ThreadId::random(), &keys.case_keys()).unwrap(),
            None
        );
        // Nothing of the content is on disk in the clear.
        for entry in fs::read_dir(home.path().join("cases/threads")).unwrap() {
            let bytes = fs::read(entry.unwrap().path()).unwrap();
            assert!(bytes.starts_with(b"age-encryption.org/v1\n-> mlkem768x25519 "));
            assert!(!bytes.windows(17).any(|w| w == b"store canary 51c2"));
        }
    }

    #[test]
    fn another_key_cannot_read_a_record_and_a_retired_key_still_can() {
        let home = tempfile::tempdir().unwrap();
        let store = CaseStore::open(home.path()).unwrap();
        let mut keys = Keys::new();
        let case = record(1_000);
        store.save(&case, &keys.case_keys()).unwrap();

        let stranger = [AgeIdentity::generate_post_quantum()];
        let err = store
            .load(
                &case.thread_id,
                &CaseKeys {
                    identities: &stranger,
                    ..keys.case_keys()
                },
            )
            .unwrap_err();
        assert!(matches!(err, CaseStoreError::Decrypt { .. }), "{err}");
        // After a rotation the keystore holds the new key first, the retired
        // one after it.
        keys.identities
            .insert(0, AgeIdentity::generate_post_quantum());
        // A record a device made before ADR 0020, sealed to its X25519
        // key, which the keystore keeps as a retired one.
        let classic = AgeIdentity::generate_classic();
        let old_case = record(500);
        keys.identities.push(classic.clone());
        store
            .save(
                &old_case,
                &CaseKeys {
                    recipient: classic.recipient(),
                    ..keys.case_keys()
                },
            )
            .unwrap();
        assert_eq!(
            store.load(&old_case.thread_id, &keys.case_keys()).unwrap(),
            Some(old_case)
        );
        assert_eq!(
            store.load(&case.thread_id, &keys.case_keys()).unwrap(),
            Some(case)
        );
    }

    fn unauthenticated(err: CaseStoreError) -> AuthError {
        match err {
            CaseStoreError::Unauthenticated { reason, .. } => reason,
            other => panic!("expected an authentication failure, got {other}"),
        }
    }

    #[test]
    fn the_sync_state_is_sealed_authenticated_and_no_case() {
        let home = tempfile::tempdir().unwrap();
        let store = CaseStore::open(home.path()).unwrap();
        let keys = Keys::new();
        assert_eq!(store.load_sync_state(&keys.case_keys()).unwrap(), None);
        let state = SyncState {
            broker: "https://broker.example/".into(),
            cursor: Some("42".into()),
            synced_at: 1_765_101_600,
        };
        store.save_sync_state(&state, &keys.case_keys()).unwrap();
        assert_eq!(
            store.load_sync_state(&keys.case_keys()).unwrap(),
            Some(state.clone())
        );
        let path = home.path().join("cases").join(SYNC_STATE_FILE);
        assert!(!String::from_utf8_lossy(&fs::read(&path).unwrap()).contains("broker.example"));
        // It is not listed as a case.
        assert!(store.all(&keys.case_keys()).unwrap().is_empty());

        // Planted (encrypted to the public key, as anyone can) or moved the
        // cursor: refused.
        let moved = serde_json::to_vec(&SyncState {
            cursor: Some("999999".into()),
            ..state.clone()
        })
        .unwrap();
        seal_into(&store.root, SYNC_STATE_FILE, &moved, &keys.recipient).unwrap();
        let err = store.load_sync_state(&keys.case_keys()).unwrap_err();
        assert_eq!(unauthenticated(err), AuthError::Untagged);
        // A case record's tag does not pass for the sync state's.
        let thread = ThreadId::random();
        let framed = keys.record_key.frame(&thread, &moved);
        seal_into(&store.root, SYNC_STATE_FILE, &framed, &keys.recipient).unwrap();
        let err = store.load_sync_state(&keys.case_keys()).unwrap_err();
        assert_eq!(unauthenticated(err), AuthError::BadTag);
    }

    #[test]
    fn edited_swapped_and_planted_records_are_refused() {
        let home = tempfile::tempdir().unwrap();
        let store = CaseStore::open(home.path()).unwrap();
        let keys = Keys::new();
        let (a, b) = (record(1_000), record(2_000));
        store.save(&a, &keys.case_keys()).unwrap();
        store.save(&b, &keys.case_keys()).unwrap();
        let path = |r: &CaseRecord| store.record_path(&r.thread_id);
        let plain = |r: &CaseRecord| {
            decrypt_record(&path(r), File::open(path(r)).unwrap(), &keys.identities).unwrap()
        };

        // Edit a byte of the record (re-encrypting to the public key, as
        // anyone can).
        let mut edited = plain(&a).to_vec();
        let at = edited.len() - 3;
        edited[at] ^= 0x01;
        store
            .write_sealed(&a.thread_id, &edited, &keys.recipient)
            .unwrap();
        let err = store.load(&a.thread_id, &keys.case_keys()).unwrap_err();
        assert_eq!(unauthenticated(err), AuthError::BadTag);
        // `cases` and `report` read them all: one bad record fails the lot.
        assert!(store.all(&keys.case_keys()).is_err());

        // Swap: b's (genuine, tagged) record under a's file name.
        fs::copy(path(&b), path(&a)).unwrap();
        let err = store.load(&a.thread_id, &keys.case_keys()).unwrap_err();
        assert_eq!(unauthenticated(err), AuthError::BadTag);

        // Plant: a record of someone's making, encrypted to the device's
        // public key, untagged or tagged under another key.
        let planted = record(3_000);
        let json = serde_json::to_vec(&planted).unwrap();
        store
            .write_sealed(&planted.thread_id, &json, &keys.recipient)
            .unwrap();
        let err = store
            .load(&planted.thread_id, &keys.case_keys())
            .unwrap_err();
        assert_eq!(unauthenticated(err), AuthError::Untagged);
        let forger = RecordKey::generate().unwrap();
        store
            .write_sealed(
                &planted.thread_id,
                &forger.frame(&planted.thread_id, &json),
                &keys.recipient,
            )
            .unwrap();
        let err = store
            .load(&planted.thread_id, &keys.case_keys())
            .unwrap_err();
        assert_eq!(unauthenticated(err), AuthError::BadTag);
        // Each is a verification failure (exit 4).
        let failure = crate::exit::Failure::from(CaseStoreError::Unauthenticated {
            path: path(&a),
            reason: AuthError::BadTag,
        });
        assert_eq!(failure.exit(), crate::exit::Exit::Verification);
    }

    #[test]
    fn the_migration_tags_records_written_before_authentication() {
        let home = tempfile::tempdir().unwrap();
        let store = CaseStore::open(home.path()).unwrap();
        let keys = Keys::new();
        // A record as the previous version wrote it: bare JSON.
        let old = record(1_000);
        store
            .write_sealed(
                &old.thread_id,
                &serde_json::to_vec(&old).unwrap(),
                &keys.recipient,
            )
            .unwrap();
        assert!(store.load(&old.thread_id, &keys.case_keys()).is_err());
        assert_eq!(store.tag_existing(&keys.case_keys()).unwrap(), 1);
        assert_eq!(
            store.load(&old.thread_id, &keys.case_keys()).unwrap(),
            Some(old)
        );
    }

    #[test]
    fn kept_packets_are_private_copies() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        let store = CaseStore::open(home.path()).unwrap();
        let source = home.path().join("p.age");
        fs::write(&source, b"ciphertext").unwrap();
        let id = PacketId::random();
        store.keep_packet(&id, &source).unwrap();
        store.keep_packet(&id, &source).unwrap();
        let kept = store.packet_path(&id);
        assert_eq!(fs::read(&kept).unwrap(), b"ciphertext");
        let mode = fs::metadata(&kept).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn packets_kept_by_moving_leave_the_outbox_and_keep_their_mode() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        let store = CaseStore::open(home.path()).unwrap();
        let source = home.path().join("sealed.age");
        let mut file = atomic_file::create_private(&source).unwrap();
        file.write_all(b"ciphertext").unwrap();
        drop(file);
        let id = PacketId::random();
        store.keep_packet_by_moving(&id, &source).unwrap();
        assert!(!source.exists(), "moved, not copied");
        let kept = store.packet_path(&id);
        assert_eq!(fs::read(&kept).unwrap(), b"ciphertext");
        let mode = fs::metadata(&kept).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // Keeping it again (a retried post of a packet already kept) is
        // harmless and leaves the kept copy as it was.
        fs::write(&source, b"other").unwrap();
        store.keep_packet_by_moving(&id, &source).unwrap();
        assert_eq!(fs::read(&kept).unwrap(), b"ciphertext");
    }
}
