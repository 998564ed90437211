//! The replaying verifier: checks a log entry by entry from its genesis, and
//! only ever extends what it has verified.

use crate::fingerprint::Fingerprint;
use crate::role::Role;

use super::entry::{Entry, EntryHash};
use super::error::DirectoryError;
use super::state::{
    DeskRecord, DeviceRecord, DeviceStatus, DirectoryState, PastSigningKey, TokenKey,
};
use super::statement::{Statement, enrollment_message, rotation_message};

/// The last verified entry: what a client remembers and compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Its sequence number.
    pub seq: u64,
    /// Its hash.
    pub hash: EntryHash,
}

impl Head {
    /// The hash as lowercase hex, for display and comparison by people.
    pub fn hash_hex(&self) -> String {
        hex::encode(self.hash)
    }
}

/// A log that verified from its genesis, with the state it replays to.
///
/// The fields are private: the only ways to get or change one are
/// [`VerifiedLog::from_genesis`], [`VerifiedLog::extend`] and
/// [`VerifiedLog::append`], which verify everything first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedLog {
    entries: Vec<Entry>,
    state: DirectoryState,
    head: Head,
}

impl VerifiedLog {
    /// Replays a whole log from its genesis entry.
    ///
    /// With `pinned`, the genesis root must have that fingerprint. Without
    /// one (trust on first use), the caller must show
    /// [`VerifiedLog::genesis_root_fingerprint`] loudly.
    pub fn from_genesis(
        entries: Vec<Entry>,
        pinned: Option<Fingerprint>,
    ) -> Result<VerifiedLog, DirectoryError> {
        let genesis = entries
            .first()
            .ok_or(DirectoryError::Malformed("the directory log is empty"))?;
        check_encodable(&entries)?;
        let mut state = verify_genesis(genesis, pinned)?;
        for pair in entries.windows(2) {
            apply(&mut state, &pair[0], &pair[1])?;
        }
        let last = entries.last().expect("not empty");
        let head = Head {
            seq: last.seq,
            hash: last.hash(),
        };
        Ok(VerifiedLog {
            entries,
            state,
            head,
        })
    }

    /// Takes a fetch of `GET /v1/directory?since=HEAD_SEQ`: entries starting
    /// at (or before) this log's head. The entries up to the head must be
    /// exactly the ones already verified, the rest a valid extension.
    ///
    /// Refuses an empty fetch, or one that ends before the head, as a
    /// [`DirectoryError::Rollback`], and a differing entry at or before the
    /// head as a [`DirectoryError::Fork`]. Atomic: on any error `self` is
    /// unchanged.
    pub fn extend(&mut self, fetched: &[Entry]) -> Result<(), DirectoryError> {
        let have = self.head.seq;
        let Some(last) = fetched.last() else {
            return Err(DirectoryError::Rollback { have, got: None });
        };
        if last.seq < have {
            return Err(DirectoryError::Rollback {
                have,
                got: Some(last.seq),
            });
        }
        check_encodable(fetched)?;
        let first_seq = fetched[0].seq;
        if first_seq > have {
            // A gap: the entry at our head was not served, so nothing ties
            // the fetch to what we verified.
            return Err(DirectoryError::BadSequence { seq: first_seq });
        }
        // The overlap: must be byte-for-byte what we hold.
        let overlap = usize::try_from(have - first_seq + 1).expect("fits: we hold these entries");
        if overlap > fetched.len() {
            // Sequence numbers jump inside the fetch.
            return Err(DirectoryError::BadSequence { seq: last.seq });
        }
        for (i, e) in fetched[..overlap].iter().enumerate() {
            let seq = first_seq + i as u64;
            if e.seq != seq {
                return Err(DirectoryError::BadSequence { seq: e.seq });
            }
            let held = &self.entries[usize::try_from(seq).expect("held entry index")];
            if e.hash() != held.hash() {
                return Err(DirectoryError::Fork { seq });
            }
        }
        // The extension, on a copy of the state so that a failure part-way
        // leaves `self` as it was.
        let new = &fetched[overlap..];
        let mut state = self.state.clone();
        let mut prev = self.entries.last().expect("a verified log is never empty");
        for e in new {
            apply(&mut state, prev, e)?;
            prev = e;
        }
        if let Some(last) = new.last() {
            self.head = Head {
                seq: last.seq,
                hash: last.hash(),
            };
            self.entries.extend_from_slice(new);
            self.state = state;
        }
        Ok(())
    }

    /// Verifies and appends one new entry (the broker accepting an
    /// administrator's entry, or an administrator checking one before
    /// sending it). Atomic like [`VerifiedLog::extend`].
    pub fn append(&mut self, entry: Entry) -> Result<Head, DirectoryError> {
        check_encodable(std::slice::from_ref(&entry))?;
        let mut state = self.state.clone();
        apply(
            &mut state,
            self.entries.last().expect("a verified log is never empty"),
            &entry,
        )?;
        self.head = Head {
            seq: entry.seq,
            hash: entry.hash(),
        };
        self.entries.push(entry);
        self.state = state;
        Ok(self.head)
    }

    /// Every verified entry, from genesis.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entries from `seq` on (empty past the head): what the broker
    /// serves for `?since=seq`.
    pub fn since(&self, seq: u64) -> &[Entry] {
        let start = usize::try_from(seq).unwrap_or(usize::MAX);
        self.entries.get(start..).unwrap_or(&[])
    }

    /// The state the log replays to.
    pub fn state(&self) -> &DirectoryState {
        &self.state
    }

    /// The last verified entry's sequence number and hash.
    pub fn head(&self) -> Head {
        self.head
    }

    /// The fingerprint of the root named by the genesis entry: what a client
    /// pins, or shows on first use.
    pub fn genesis_root_fingerprint(&self) -> Fingerprint {
        match &self.entries[0].statement {
            Statement::Genesis { root } => Fingerprint::of_root(root),
            _ => unreachable!("entry 0 of a verified log is a genesis"),
        }
    }

    /// The fingerprint of the current root (after any rotations).
    pub fn root_fingerprint(&self) -> Fingerprint {
        Fingerprint::of_root(self.state.root())
    }

    /// Gives the entries back (to cache them).
    pub fn into_entries(self) -> Vec<Entry> {
        self.entries
    }
}

/// Entries are plain values with public fields, so one built by hand (not
/// decoded) may hold a statement with no encoding, such as a 300-byte desk
/// name; hashing it would panic. Refuse such entries before anything
/// encodes them.
fn check_encodable(entries: &[Entry]) -> Result<(), DirectoryError> {
    entries.iter().try_for_each(|e| e.statement.validate())
}

fn verify_genesis(
    entry: &Entry,
    pinned: Option<Fingerprint>,
) -> Result<DirectoryState, DirectoryError> {
    let seq = entry.seq;
    if seq != 0 {
        return Err(DirectoryError::BadSequence { seq });
    }
    if entry.prev_hash != [0; 32] {
        return Err(DirectoryError::BrokenChain { seq });
    }
    let Statement::Genesis { root } = &entry.statement else {
        return Err(DirectoryError::Precondition {
            seq,
            reason: "the log does not start with a genesis entry",
        });
    };
    if let Some(expected) = pinned {
        let found = Fingerprint::of_root(root);
        if found != expected {
            return Err(DirectoryError::RootMismatch { expected, found });
        }
    }
    if entry.signer != *root {
        return Err(DirectoryError::Unauthorised { seq });
    }
    if !entry.signature_valid() {
        return Err(DirectoryError::BadSignature { seq });
    }
    if entry.co_signature.is_some() {
        return Err(unexpected_co_signature(seq));
    }
    Ok(DirectoryState::new(*root))
}

fn unexpected_co_signature(seq: u64) -> DirectoryError {
    DirectoryError::Precondition {
        seq,
        reason: "a co-signature on a statement that takes none",
    }
}

fn precondition(seq: u64, reason: &'static str) -> DirectoryError {
    DirectoryError::Precondition { seq, reason }
}

/// Checks `entry` as the successor of `prev` against `state`, and applies
/// it. On error `state` may be part-changed: callers work on a copy.
fn apply(state: &mut DirectoryState, prev: &Entry, entry: &Entry) -> Result<(), DirectoryError> {
    let seq = entry.seq;
    // Structure first: where the entry sits in the chain.
    if prev.seq.checked_add(1) != Some(seq) {
        return Err(DirectoryError::BadSequence { seq });
    }
    if entry.prev_hash != prev.hash() {
        return Err(DirectoryError::BrokenChain { seq });
    }
    // Then the signature, before anything is read from the statement: an
    // entry whose bytes were changed fails here, whoever it names.
    if !entry.signature_valid() {
        return Err(DirectoryError::BadSignature { seq });
    }
    // Then authority. Only the current root may hand the root over; any
    // administrator may sign the rest.
    let authorised = match &entry.statement {
        Statement::RootRotated { .. } => entry.signer == state.root,
        _ => state.is_administrator(&entry.signer),
    };
    if !authorised {
        return Err(DirectoryError::Unauthorised { seq });
    }
    if entry.time < prev.time {
        return Err(precondition(seq, "time goes backwards"));
    }
    let time = entry.time;

    // Which key must co-sign, if any.
    let co_signer = match &entry.statement {
        Statement::RootRotated { new_root } => Some(*new_root),
        _ => None,
    };
    match (co_signer, &entry.co_signature) {
        (None, None) => {}
        (None, Some(_)) => return Err(unexpected_co_signature(seq)),
        (Some(_), None) => return Err(DirectoryError::MissingCoSignature { seq }),
        (Some(key), Some(sig)) => {
            if !key.verify(&entry.co_signed_message(), sig) {
                return Err(DirectoryError::BadSignature { seq });
            }
        }
    }

    match &entry.statement {
        Statement::Genesis { .. } => {
            return Err(precondition(seq, "a genesis entry after seq 0"));
        }
        Statement::DeskCreated {
            desk,
            name,
            prefecture,
            languages,
        } => {
            if state.desks.contains_key(desk) {
                return Err(precondition(seq, "desk already exists"));
            }
            state.desks.insert(
                desk.clone(),
                DeskRecord {
                    id: desk.clone(),
                    name: name.clone(),
                    prefecture: prefecture.clone(),
                    languages: languages.clone(),
                    created_at: time,
                },
            );
        }
        Statement::DeviceEnrolled {
            device,
            desk,
            role,
            signing_key,
            age_recipient,
            pq_recipient,
            device_signature,
        } => {
            if state.devices.contains_key(device) {
                return Err(precondition(seq, "device id already enrolled"));
            }
            match desk {
                Some(d) if !state.desks.contains_key(d) => {
                    return Err(precondition(
                        seq,
                        "enrollment to a desk that does not exist",
                    ));
                }
                None if *role != Role::Admin => {
                    return Err(precondition(seq, "only admin devices may have no desk"));
                }
                _ => {}
            }
            check_fresh_key(state, seq, signing_key)?;
            let msg = enrollment_message(
                device,
                desk.as_ref(),
                *role,
                signing_key,
                age_recipient,
                pq_recipient.as_ref(),
            );
            if !signing_key.verify(&msg, device_signature) {
                return Err(DirectoryError::BadSignature { seq });
            }
            state.key_owner.insert(*signing_key, *device);
            state.devices.insert(
                *device,
                DeviceRecord {
                    id: *device,
                    desk: desk.clone(),
                    role: *role,
                    signing_key: *signing_key,
                    age_recipient: age_recipient.clone(),
                    pq_recipient: pq_recipient.clone(),
                    post_quantum_since: pq_recipient.as_ref().map(|_| time),
                    past_signing_keys: Vec::new(),
                    status: DeviceStatus::Active,
                    enrolled_at: time,
                    rotated_at: None,
                    revoked_at: None,
                },
            );
        }
        Statement::DeviceRotated {
            device,
            signing_key,
            age_recipient,
            pq_recipient,
            old_key_signature,
            new_key_signature,
        } => {
            let d = state
                .devices
                .get(device)
                .ok_or(precondition(seq, "rotation of an unknown device"))?;
            if !d.is_active() {
                return Err(precondition(seq, "rotation of a revoked device"));
            }
            // Once a device can read hybrid packets, senders rely on it (and
            // readers refuse classic packets to it); going back would undo
            // that silently.
            if d.pq_recipient.is_some() && pq_recipient.is_none() {
                return Err(precondition(
                    seq,
                    "rotation would drop the device's post-quantum key",
                ));
            }
            check_fresh_key(state, seq, signing_key)?;
            // Both of the device's keys asked for this (ADR 0004): the old one
            // (the device, not only an administrator, wants it) and the new
            // one (possession).
            let msg = rotation_message(
                device,
                &d.signing_key,
                signing_key,
                age_recipient,
                pq_recipient.as_ref(),
            );
            if !d.signing_key.verify(&msg, old_key_signature) {
                return Err(DirectoryError::BadSignature { seq });
            }
            if !signing_key.verify(&msg, new_key_signature) {
                return Err(DirectoryError::BadSignature { seq });
            }
            state.key_owner.insert(*signing_key, *device);
            let d = state
                .devices
                .get_mut(device)
                .expect("checked above, with the signatures");
            let old = std::mem::replace(&mut d.signing_key, *signing_key);
            d.past_signing_keys.push(PastSigningKey {
                key: old,
                retired_at: time,
            });
            d.age_recipient = age_recipient.clone();
            d.pq_recipient = pq_recipient.clone();
            if pq_recipient.is_some() && d.post_quantum_since.is_none() {
                d.post_quantum_since = Some(time);
            }
            d.rotated_at = Some(time);
        }
        Statement::DeviceRevoked { device } => {
            let d = state
                .devices
                .get_mut(device)
                .ok_or(precondition(seq, "revocation of an unknown device"))?;
            if !d.is_active() {
                return Err(precondition(seq, "device already revoked"));
            }
            d.status = DeviceStatus::Revoked;
            d.revoked_at = Some(time);
        }
        Statement::RootRotated { new_root } => {
            // Fresh in every sense: not a root before, and no device's key
            // either (a key names one party, for good).
            if *new_root == state.root
                || state.past_roots.contains(new_root)
                || state.key_owner.contains_key(new_root)
            {
                return Err(precondition(seq, "the new root key is not new"));
            }
            let old = std::mem::replace(&mut state.root, *new_root);
            state.past_roots.push(old);
        }
        Statement::TokenKeyRotated { kid, public_key } => {
            if state.token_key(kid).is_some() {
                return Err(precondition(seq, "token key id already used"));
            }
            state.token_keys.push(TokenKey {
                kid: kid.clone(),
                public_key: *public_key,
                since: time,
            });
        }
        Statement::PostQuantumPolicy { required } => {
            state.post_quantum_required_since = match (required, state.post_quantum_required_since)
            {
                (false, _) => None,
                // Repeating the policy does not move its start.
                (true, Some(since)) => Some(since),
                (true, None) => Some(time),
            };
        }
        Statement::KeyAgePolicy { max_age_secs } => {
            state.max_key_age_secs = (*max_age_secs > 0).then_some(*max_age_secs);
        }
    }
    Ok(())
}

/// Device signing keys are never shared or reused (nor the root's), so a
/// key names one device and a revoked key cannot come back under another id.
fn check_fresh_key(
    state: &DirectoryState,
    seq: u64,
    key: &crate::keys::VerifyingKey,
) -> Result<(), DirectoryError> {
    if state.key_owner.contains_key(key) || *key == state.root || state.past_roots.contains(key) {
        Err(precondition(seq, "signing key already in use"))
    } else {
        Ok(())
    }
}
