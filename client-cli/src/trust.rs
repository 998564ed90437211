//! The device's verified copy of the directory log (SPEC §2.5, ADR 0003).
//!
//! `directory.log` in the home directory holds every entry this device has
//! verified, and so its head. Each sync fetches `GET /v1/directory?since=HEAD`
//! and accepts it only as an extension of what is held: the broker cannot
//! roll the log back (to hide a revocation), fork it (to show this device
//! other keys than its colleagues see), or slip in an entry no administrator
//! signed. Every key this client encrypts to, and every sender key it
//! accepts, comes from the state this verification produced.
//!
//! The cache is re-verified from the pinned root each time it is loaded, so
//! a file edited on disk is caught like a broker's lie.

use std::path::Path;

use anyhow::anyhow;
use referral_protocol::api::DirectoryPage;
use referral_protocol::directory::{DirectoryError, DirectoryState, Entry, VerifiedLog};
use referral_protocol::paths;
use referral_protocol::{DeviceId, Fingerprint, VerifyingKey};

use crate::api_client::BrokerClient;
use crate::atomic_file::{self, Existing};
use crate::exit::Failure;
use crate::keystore::{DeviceRecord, Role};
use crate::output;
use crate::tr;

/// The verified directory entries, in the home directory.
pub const DIRECTORY_FILE: &str = "directory.log";

/// A directory of a few thousand entries is well under a MiB; a far larger
/// cache file is not ours.
const MAX_CACHE_LEN: u64 = 64 * 1024 * 1024;

/// How a sync shows the broker it may read the directory (ADR 0019 §3).
#[derive(Clone, Copy)]
pub enum Access<'a> {
    /// An enrolled device's bearer token.
    Token(&'a str),
    /// A device not enrolled yet: its invite code.
    Invite(&'a str),
}

impl std::fmt::Debug for Access<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Neither the token nor the code is ever written anywhere.
        f.write_str(match self {
            Access::Token(_) => "Access::Token([REDACTED])",
            Access::Invite(_) => "Access::Invite([REDACTED])",
        })
    }
}

/// What a sync found.
#[derive(Debug)]
pub struct Synced {
    /// The verified log, extended by whatever the broker had that was new.
    pub log: VerifiedLog,
    /// How many entries were new.
    pub new_entries: usize,
}

/// Loads the cached log, verifying it from its genesis against the pinned
/// root. `None` if this device has never synced.
pub fn load(home: &Path, pinned: Option<Fingerprint>) -> Result<Option<VerifiedLog>, Failure> {
    let path = home.join(DIRECTORY_FILE);
    let bytes = match crate::keystore::read_bounded(&path, MAX_CACHE_LEN)? {
        None => return Ok(None),
        Some(bytes) if bytes.len() as u64 > MAX_CACHE_LEN => {
            return Err(Failure::Verification(anyhow!(tr!(
                "trust-cache-too-large",
                path = path.display().to_string(),
                max = MAX_CACHE_LEN
            ))));
        }
        Some(bytes) => bytes,
    };
    let entries = decode_cache(&bytes).map_err(|e| cache_failure(&path, e))?;
    let log = VerifiedLog::from_genesis(entries, pinned).map_err(|e| cache_failure(&path, e))?;
    Ok(Some(log))
}

fn cache_failure(path: &Path, e: DirectoryError) -> Failure {
    Failure::Verification(anyhow!(tr!(
        "trust-cache-invalid",
        path = path.display().to_string(),
        error = e.to_string()
    )))
}

/// Fetches what is new at the broker, verifies it as an extension of the
/// cached log (or, the first time, from genesis against the pinned root),
/// stores it, and brings `device.json` up to date: the root pinned on first
/// use, and this device's desk and role once an administrator approved it.
/// The broker shows the log only to a token or an invite code (`access`).
pub fn sync(
    home: &Path,
    client: &BrokerClient,
    device: &mut DeviceRecord,
    access: Access<'_>,
) -> Result<Synced, Failure> {
    let cached = load(home, device.root_fingerprint)?;
    let since = cached.as_ref().map_or(0, |log| log.head().seq);
    let path = paths::directory_since(since);
    let page: DirectoryPage = match access {
        Access::Token(token) => client.get(&path, Some(token))?,
        Access::Invite(code) => client.get_with_invite(&path, code)?,
    };
    let fetched = page
        .entries
        .iter()
        .map(|text| Entry::from_base64(text))
        .collect::<Result<Vec<_>, _>>()
        .map_err(refused)?;

    let (log, new_entries) = match cached {
        Some(mut log) => {
            let before = log.head().seq;
            log.extend(&fetched).map_err(refused)?;
            let added = usize::try_from(log.head().seq - before).unwrap_or(usize::MAX);
            (log, added)
        }
        None => {
            if fetched.is_empty() {
                return Err(Failure::User(anyhow!(tr!(
                    "trust-no-directory",
                    broker = client.base().to_string()
                ))));
            }
            let count = fetched.len();
            let log =
                VerifiedLog::from_genesis(fetched, device.root_fingerprint).map_err(refused)?;
            (log, count)
        }
    };
    if new_entries > 0 {
        store(home, &log)?;
    }
    update_device(home, device, &log)?;
    Ok(Synced { log, new_entries })
}

/// Writes the verified log to the cache, atomically.
pub fn store(home: &Path, log: &VerifiedLog) -> Result<(), Failure> {
    let bytes = encode_cache(log.entries());
    atomic_file::write(home, DIRECTORY_FILE, &bytes, Existing::Replace).map_err(|e| {
        Failure::User(anyhow!(tr!(
            "trust-cannot-write",
            path = home.join(DIRECTORY_FILE).display().to_string(),
            error = e.to_string()
        )))
    })
}

/// The directory refused: always exit 4, with what it means for the user.
pub fn refused(e: DirectoryError) -> Failure {
    let advice = match &e {
        DirectoryError::Rollback { .. } => tr!("trust-advice-rollback"),
        DirectoryError::Fork { .. } => tr!("trust-advice-fork"),
        DirectoryError::RootMismatch { .. } => tr!("trust-advice-root-mismatch"),
        _ => tr!("trust-advice-unsigned"),
    };
    Failure::Verification(anyhow!(tr!(
        "trust-refused",
        error = e.to_string(),
        advice = advice
    )))
}

/// Pins the root on first use and records what the log says about this
/// device.
fn update_device(home: &Path, device: &mut DeviceRecord, log: &VerifiedLog) -> Result<(), Failure> {
    let before = device.clone();
    if device.root_fingerprint.is_none() {
        let root = log.genesis_root_fingerprint();
        device.root_fingerprint = Some(root);
        output::warn(&tr!("trust-first-use", root = root.to_string()));
    }
    let state = log.state();
    if let Some(record) = state.device(&device.device_id) {
        device.desk = record.desk.clone();
        device.role = Some(record.role);
        if !record.is_active() {
            output::warn(&tr!("trust-device-revoked"));
        }
        if let Some(max) = state.max_key_age_secs() {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            if record.is_active() && record.keys_expired(now, max) {
                output::warn(&tr!("trust-keys-expired"));
            }
        }
    } else if is_root_device(state, device) {
        device.role = Some(Role::Admin);
        device.desk = None;
    }
    if *device != before {
        device
            .store(home, Existing::Replace)
            .map_err(Failure::from)?;
    }
    Ok(())
}

/// Whether this device holds the directory's current root key (the device
/// that bootstrapped the broker, or took the root over by `rotate-root`).
/// Only the public record is needed: the root device's current signing key
/// *is* the root.
pub fn is_root_device(state: &DirectoryState, device: &DeviceRecord) -> bool {
    *state.root() == device.current_keys.signing_key
}

/// The signing key the directory lists for this device, which is the key the
/// broker authenticates it by: the enrolled device's key, or the root.
/// `None` if the directory does not know this device (not enrolled yet).
pub fn listed_signing_key(
    state: &DirectoryState,
    device_id: &DeviceId,
    own_keys: &[VerifyingKey],
) -> Option<VerifyingKey> {
    if let Some(record) = state.device(device_id) {
        return Some(record.signing_key);
    }
    own_keys.iter().find(|k| *k == state.root()).copied()
}

/// `u32 length (big-endian) || entry`, repeated: simple to write atomically
/// and to read back without trusting anything but the verification.
fn encode_cache(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * 320);
    for entry in entries {
        let bytes = entry.encode();
        out.extend_from_slice(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(&bytes);
    }
    out
}

fn decode_cache(mut bytes: &[u8]) -> Result<Vec<Entry>, DirectoryError> {
    let mut entries = Vec::new();
    while !bytes.is_empty() {
        let (len, rest) = bytes
            .split_first_chunk::<4>()
            .ok_or(DirectoryError::Malformed("truncated cache record"))?;
        let len = u32::from_be_bytes(*len) as usize;
        if rest.len() < len {
            return Err(DirectoryError::Malformed("truncated cache record"));
        }
        entries.push(Entry::decode(&rest[..len])?);
        bytes = &rest[len..];
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use referral_protocol::SigningKey;
    use referral_protocol::directory::Statement;

    use super::*;

    fn genesis(root: &SigningKey) -> Entry {
        Entry::sign(
            0,
            [0; 32],
            1_700_000_000,
            Statement::Genesis {
                root: root.verifying_key(),
            },
            root,
            None,
        )
        .unwrap()
    }

    #[test]
    fn the_cache_encoding_round_trips() {
        let root = SigningKey::generate().unwrap();
        let g = genesis(&root);
        let desk = Entry::sign(
            1,
            g.hash(),
            1_700_000_001,
            Statement::DeskCreated {
                desk: "shinjuku-iea".parse().unwrap(),
                name: "Shinjuku IEA".into(),
                prefecture: Some("JP-13".into()),
                languages: None,
            },
            &root,
            None,
        )
        .unwrap();
        let bytes = encode_cache(&[g.clone(), desk.clone()]);
        assert_eq!(decode_cache(&bytes).unwrap(), vec![g, desk]);
        assert!(decode_cache(&bytes[..bytes.len() - 1]).is_err());
        assert!(decode_cache(&bytes[..3]).is_err());
    }

    #[test]
    fn a_cache_edited_on_disk_is_a_verification_failure() {
        let dir = tempfile::tempdir().unwrap();
        let root = SigningKey::generate().unwrap();
        let log = VerifiedLog::from_genesis(vec![genesis(&root)], None).unwrap();
        store(dir.path(), &log).unwrap();
        let pinned = Some(Fingerprint::of_root(&root.verifying_key()));
        assert_eq!(load(dir.path(), pinned).unwrap().unwrap(), log);

        // Another root pinned: refused.
        let other = Fingerprint::of_root(&SigningKey::generate().unwrap().verifying_key());
        let err = load(dir.path(), Some(other)).unwrap_err();
        assert_eq!(err.exit(), crate::exit::Exit::Verification);

        // A flipped byte: refused.
        let path = dir.path().join(DIRECTORY_FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 10;
        bytes[last] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        let err = load(dir.path(), pinned).unwrap_err();
        assert_eq!(err.exit(), crate::exit::Exit::Verification);
    }
}
