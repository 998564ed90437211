//! The directory log (ADR 0003): a realistic log verifies and builds the
//! expected state, and every kind of tampering a malicious broker (or a
//! thief, or a confused administrator) could try is refused with the error
//! that names it. Each refusal starts from a log that verifies, so the
//! failure is due to the one thing changed.

use crate::common;

use std::sync::OnceLock;

use proptest::prelude::*;
use referral_protocol::directory::{
    DeviceStatus, DirectoryError, Entry, PastSigningKey, RETIRED_KEY_GRACE_SECS, Statement,
    VerifiedLog, enrollment_proof, rotation_request,
};
use referral_protocol::{
    AgeIdentity, ContentType, DeskId, DeviceId, Fingerprint, OpenError, PacketId, RecipientKey,
    Role, SealRequest, Sender, SigningKey, ThreadId, VerifyingKey, open, seal,
};
use secrecy::ExposeSecret;

const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const DAY: i64 = 86_400;

fn desk(s: &str) -> DeskId {
    s.parse().unwrap()
}

/// A device with its private keys.
struct Dev {
    id: DeviceId,
    desk: Option<DeskId>,
    role: Role,
    key: SigningKey,
    identity: AgeIdentity,
    /// The hybrid identity; `None` for a device made before ADR 0020.
    pq: Option<AgeIdentity>,
}

impl Dev {
    /// A device as the first release made them: classic keys only.
    fn new(desk_id: Option<&str>, role: Role) -> Self {
        Self {
            id: DeviceId::random(),
            desk: desk_id.map(desk),
            role,
            key: SigningKey::generate().unwrap(),
            identity: AgeIdentity::generate_classic(),
            pq: None,
        }
    }

    fn pq_recipient(&self) -> Option<RecipientKey> {
        self.pq.as_ref().map(AgeIdentity::recipient)
    }

    fn vk(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    fn recipient(&self) -> RecipientKey {
        self.identity.recipient()
    }

    /// The enrollment statement, with the device's own proof of possession.
    fn enrolled(&self) -> Statement {
        Statement::DeviceEnrolled {
            device: self.id,
            desk: self.desk.clone(),
            role: self.role,
            signing_key: self.vk(),
            age_recipient: self.recipient(),
            pq_recipient: self.pq_recipient(),
            device_signature: enrollment_proof(
                &self.id,
                self.desk.as_ref(),
                self.role,
                &self.vk(),
                &self.recipient(),
                self.pq_recipient().as_ref(),
                &self.key,
            ),
        }
    }

    /// The rotation statement from these keys to `new`'s, signed by both
    /// (what `referral rotate` sends; ADR 0004).
    fn rotation_to(&self, new: &Dev) -> Statement {
        rotation_request(
            &self.id,
            &self.key,
            &new.key,
            &new.recipient(),
            new.pq_recipient().as_ref(),
        )
    }

    /// New keys for the same device id.
    fn rotated(&self) -> Self {
        Self {
            id: self.id,
            desk: self.desk.clone(),
            role: self.role,
            key: SigningKey::generate().unwrap(),
            identity: AgeIdentity::generate_classic(),
            // A rotation keeps the device's kind (post_quantum.rs plays a
            // classic device gaining a hybrid key).
            pq: self
                .pq
                .as_ref()
                .map(|_| AgeIdentity::generate_post_quantum()),
        }
    }
}

/// Appends entries with the next seq, the previous hash and a clock.
struct Builder {
    entries: Vec<Entry>,
    time: i64,
}

impl Builder {
    fn genesis(root: &SigningKey) -> Self {
        let g = Entry::sign(
            0,
            [0; 32],
            T0,
            Statement::Genesis {
                root: root.verifying_key(),
            },
            root,
            None,
        )
        .unwrap();
        Self {
            entries: vec![g],
            time: T0,
        }
    }

    /// The next entry, signed but not appended.
    fn next(
        &self,
        statement: Statement,
        signer: &SigningKey,
        co_signer: Option<&SigningKey>,
    ) -> Entry {
        let prev = self.entries.last().unwrap();
        Entry::sign(
            prev.seq + 1,
            prev.hash(),
            self.time + 60,
            statement,
            signer,
            co_signer,
        )
        .unwrap()
    }

    fn push(&mut self, statement: Statement, signer: &SigningKey) -> &mut Self {
        self.push_co(statement, signer, None)
    }

    fn push_co(
        &mut self,
        statement: Statement,
        signer: &SigningKey,
        co_signer: Option<&SigningKey>,
    ) -> &mut Self {
        let e = self.next(statement, signer, co_signer);
        self.time = e.time;
        self.entries.push(e);
        self
    }

    fn push_entry(&mut self, e: Entry) -> &mut Self {
        self.time = e.time;
        self.entries.push(e);
        self
    }

    fn verify(&self) -> Result<VerifiedLog, DirectoryError> {
        VerifiedLog::from_genesis(self.entries.clone(), None)
    }
}

fn desk_created(id: &str, name: &str) -> Statement {
    Statement::DeskCreated {
        desk: desk(id),
        name: name.to_owned(),
        prefecture: Some("JP-13".to_owned()),
        languages: Some("ja,en,vi".to_owned()),
    }
}

/// Everyone in the realistic log, with their keys.
struct World {
    root: SigningKey,
    new_root: SigningKey,
    admin: Dev,
    caseworker: Dev,
    desk_a: Dev,
    desk_a2: Dev,
    desk_b: Dev,
    late: Dev,
    broker_k1: SigningKey,
    broker_k2: SigningKey,
    log: Builder,
}

/// Genesis, two desks, an admin device (enrolled by the root), a caseworker
/// and two desk devices (enrolled by the admin device), a co-signed
/// rotation, a revocation, two token keys, a key-age policy, a root rotation,
/// then a desk and an enrollment signed by the new root.
fn world() -> World {
    let root = SigningKey::generate().unwrap();
    let new_root = SigningKey::generate().unwrap();
    let admin = Dev::new(None, Role::Admin);
    let caseworker = Dev::new(Some("covic-intake"), Role::Caseworker);
    let desk_a = Dev::new(Some("shinjuku-iea"), Role::Desk);
    let desk_a2 = desk_a.rotated();
    let desk_b = Dev::new(Some("shinjuku-iea"), Role::Desk);
    let late = Dev::new(Some("osaka-ngo"), Role::Desk);
    let broker_k1 = SigningKey::generate().unwrap();
    let broker_k2 = SigningKey::generate().unwrap();

    let mut log = Builder::genesis(&root);
    log.push(desk_created("covic-intake", "COVIC intake"), &root) // 1
        .push(desk_created("shinjuku-iea", "新宿区国際交流協会"), &root) // 2
        .push(admin.enrolled(), &root) // 3
        .push(
            Statement::TokenKeyRotated {
                kid: "k1".to_owned(),
                public_key: broker_k1.verifying_key(),
            },
            &admin.key,
        ) // 4
        .push(caseworker.enrolled(), &admin.key) // 5
        .push(desk_a.enrolled(), &admin.key) // 6
        .push(desk_b.enrolled(), &admin.key) // 7
        .push(desk_a.rotation_to(&desk_a2), &admin.key) // 8
        .push(Statement::DeviceRevoked { device: desk_b.id }, &admin.key) // 9
        .push(
            Statement::TokenKeyRotated {
                kid: "k2".to_owned(),
                public_key: broker_k2.verifying_key(),
            },
            &admin.key,
        ) // 10
        .push(
            Statement::KeyAgePolicy {
                max_age_secs: 90 * DAY as u64,
            },
            &root,
        ) // 11
        .push_co(
            Statement::RootRotated {
                new_root: new_root.verifying_key(),
            },
            &root,
            Some(&new_root),
        ) // 12
        .push(
            Statement::DeskCreated {
                desk: desk("osaka-ngo"),
                name: "Osaka NGO".to_owned(),
                prefecture: None,
                languages: None,
            },
            &new_root,
        ) // 13
        .push(late.enrolled(), &new_root); // 14
    World {
        root,
        new_root,
        admin,
        caseworker,
        desk_a,
        desk_a2,
        desk_b,
        late,
        broker_k1,
        broker_k2,
        log,
    }
}

fn shared_world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(world)
}

/// The realistic log minus its last `n` entries, verified.
fn verified_prefix(w: &World, keep: usize) -> VerifiedLog {
    VerifiedLog::from_genesis(w.log.entries[..keep].to_vec(), None).unwrap()
}

/// A builder continuing the realistic log at its end.
fn continue_world(w: &World) -> Builder {
    Builder {
        entries: w.log.entries.clone(),
        time: w.log.time,
    }
}

#[test]
fn realistic_log_verifies_and_builds_the_expected_state() {
    let w = shared_world();
    let pin = Fingerprint::of_root(&w.root.verifying_key());
    let log = VerifiedLog::from_genesis(w.log.entries.clone(), Some(pin)).unwrap();
    let s = log.state();

    assert_eq!(log.head().seq, 14);
    assert_eq!(log.head().hash, w.log.entries[14].hash());
    assert_eq!(log.genesis_root_fingerprint(), pin);
    assert_eq!(*s.root(), w.new_root.verifying_key());
    assert_eq!(s.past_roots(), &[w.root.verifying_key()]);
    assert_eq!(
        log.root_fingerprint(),
        Fingerprint::of_root(&w.new_root.verifying_key())
    );

    // Desks.
    assert_eq!(s.desks().len(), 3);
    let sj = s.desk(&desk("shinjuku-iea")).unwrap();
    assert_eq!(sj.name, "新宿区国際交流協会");
    assert_eq!(sj.prefecture.as_deref(), Some("JP-13"));
    assert_eq!(sj.languages.as_deref(), Some("ja,en,vi"));
    assert_eq!(sj.created_at, T0 + 2 * 60);

    // Devices.
    assert_eq!(s.devices().len(), 5);
    let admins: Vec<_> = s.admins().map(|d| d.id).collect();
    assert_eq!(admins, vec![w.admin.id]);
    assert!(s.is_administrator(&w.admin.vk()));
    assert!(s.is_administrator(&w.new_root.verifying_key()));
    assert!(!s.is_administrator(&w.root.verifying_key()));
    assert!(!s.is_administrator(&w.caseworker.vk()));

    let a = s.device(&w.desk_a.id).unwrap();
    assert_eq!(a.role, Role::Desk);
    assert_eq!(a.signing_key, w.desk_a2.vk());
    assert_eq!(a.age_recipient, w.desk_a2.recipient());
    assert_eq!(
        a.past_signing_keys,
        vec![PastSigningKey {
            key: w.desk_a.vk(),
            retired_at: T0 + 8 * 60,
        }]
    );
    assert_eq!(a.enrolled_at, T0 + 6 * 60);
    assert_eq!(a.rotated_at, Some(T0 + 8 * 60));
    assert_eq!(a.status, DeviceStatus::Active);

    let b = s.device(&w.desk_b.id).unwrap();
    assert_eq!(b.status, DeviceStatus::Revoked);
    assert_eq!(b.revoked_at, Some(T0 + 9 * 60));

    let active: Vec<_> = s
        .active_devices_of(&desk("shinjuku-iea"))
        .map(|d| d.id)
        .collect();
    assert_eq!(active, vec![w.desk_a.id]);
    let cw = s.device(&w.caseworker.id).unwrap();
    assert_eq!(cw.desk, Some(desk("covic-intake")));
    assert_eq!(cw.role, Role::Caseworker);
    assert!(s.device(&w.late.id).unwrap().is_active());

    // Token keys and policy.
    let kids: Vec<_> = s.token_keys().iter().map(|k| k.kid.as_str()).collect();
    assert_eq!(kids, ["k1", "k2"]);
    assert_eq!(
        s.token_key("k1").unwrap().public_key,
        w.broker_k1.verifying_key()
    );
    assert_eq!(
        s.token_keys().last().unwrap().public_key,
        w.broker_k2.verifying_key()
    );
    assert_eq!(s.max_key_age_secs(), Some(90 * DAY as u64));

    // Encryption keys: the rotated key, not the old one nor the revoked one.
    assert_eq!(
        s.encryption_keys(&desk("shinjuku-iea"), T0 + DAY, None),
        vec![w.desk_a2.recipient()]
    );
    assert!(
        s.encryption_keys(&desk("no-such-desk"), T0, None)
            .is_empty()
    );

    // The broker serves `?since=N` from the same entries.
    assert_eq!(log.since(13), &w.log.entries[13..]);
    assert!(log.since(15).is_empty());
    assert!(log.since(u64::MAX).is_empty());
}

#[test]
fn entries_travel_as_base64_json_and_decode_to_the_same_log() {
    let w = shared_world();
    let json = serde_json::to_string(&w.log.entries).unwrap();
    let back: Vec<Entry> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, w.log.entries);
    for e in &w.log.entries {
        assert_eq!(Entry::decode(&e.encode()).unwrap(), *e);
    }
    let log = VerifiedLog::from_genesis(back, None).unwrap();
    assert_eq!(log.head().hash, w.log.entries.last().unwrap().hash());
    assert!(serde_json::from_str::<Entry>("\"not base64!\"").is_err());
}

#[test]
fn a_substituted_enrollment_key_is_refused() {
    // The broker swaps the signing key in the caseworker's enrollment (5).
    let w = shared_world();
    let mut entries = w.log.entries.clone();
    let evil = SigningKey::generate().unwrap().verifying_key();
    if let Statement::DeviceEnrolled { signing_key, .. } = &mut entries[5].statement {
        *signing_key = evil;
    } else {
        panic!("entry 5 is an enrollment");
    }
    assert_eq!(
        VerifiedLog::from_genesis(entries, None).unwrap_err(),
        DirectoryError::BadSignature { seq: 5 }
    );
}

#[test]
fn a_substituted_age_recipient_is_refused() {
    let w = shared_world();
    let mut entries = w.log.entries.clone();
    if let Statement::DeviceEnrolled { age_recipient, .. } = &mut entries[6].statement {
        *age_recipient = AgeIdentity::generate_classic().recipient();
    }
    assert_eq!(
        VerifiedLog::from_genesis(entries, None).unwrap_err(),
        DirectoryError::BadSignature { seq: 6 }
    );
}

#[test]
fn an_admin_cannot_enroll_keys_without_the_devices_proof() {
    // Properly admin-signed, but the device signature was made for other keys.
    let w = shared_world();
    let mut log = continue_world(w);
    let victim = Dev::new(Some("covic-intake"), Role::Caseworker);
    let thief = Dev::new(Some("covic-intake"), Role::Caseworker);
    let Statement::DeviceEnrolled {
        device_signature, ..
    } = victim.enrolled()
    else {
        unreachable!()
    };
    let forged = Statement::DeviceEnrolled {
        device: victim.id,
        desk: victim.desk.clone(),
        role: Role::Caseworker,
        signing_key: thief.vk(),
        age_recipient: victim.recipient(),
        pq_recipient: None,
        device_signature,
    };
    log.push(forged, &w.admin.key);
    assert_eq!(
        log.verify().unwrap_err(),
        DirectoryError::BadSignature { seq: 15 }
    );

    // And the proof binds the role: a caseworker's proof cannot enroll an admin.
    let mut log = continue_world(w);
    let Statement::DeviceEnrolled {
        device_signature, ..
    } = victim.enrolled()
    else {
        unreachable!()
    };
    log.push(
        Statement::DeviceEnrolled {
            device: victim.id,
            desk: victim.desk.clone(),
            role: Role::Admin,
            signing_key: victim.vk(),
            age_recipient: victim.recipient(),
            pq_recipient: None,
            device_signature,
        },
        &w.admin.key,
    );
    assert_eq!(
        log.verify().unwrap_err(),
        DirectoryError::BadSignature { seq: 15 }
    );
}

#[test]
fn an_entry_signed_by_a_non_admin_device_is_refused() {
    let w = shared_world();
    let mut log = continue_world(w);
    let mallory = Dev::new(Some("covic-intake"), Role::Admin);
    log.push(mallory.enrolled(), &w.caseworker.key);
    assert_eq!(
        log.verify().unwrap_err(),
        DirectoryError::Unauthorised { seq: 15 }
    );
}

#[test]
fn a_stranger_key_is_refused() {
    let w = shared_world();
    let mut log = continue_world(w);
    let stranger = SigningKey::generate().unwrap();
    log.push(desk_created("evil-desk", "Evil"), &stranger);
    assert_eq!(
        log.verify().unwrap_err(),
        DirectoryError::Unauthorised { seq: 15 }
    );
}

#[test]
fn unsigned_and_zero_signature_entries_are_refused() {
    let w = shared_world();
    let mut log = continue_world(w);
    let mut e = log.next(desk_created("evil-desk", "Evil"), &w.admin.key, None);
    e.signature = [0; 64];
    log.push_entry(e);
    assert_eq!(
        log.verify().unwrap_err(),
        DirectoryError::BadSignature { seq: 15 }
    );

    // A broker cannot "sign" with the admin's name and its own signature.
    let mut log = continue_world(w);
    let broker = SigningKey::generate().unwrap();
    let mut e = log.next(desk_created("evil-desk", "Evil"), &broker, None);
    e.signer = w.admin.vk();
    log.push_entry(e);
    assert_eq!(
        log.verify().unwrap_err(),
        DirectoryError::BadSignature { seq: 15 }
    );
}

#[test]
fn a_rotation_needs_the_old_and_the_new_keys_signatures() {
    let w = shared_world();
    let new = w.caseworker.rotated();
    let rotation = w.caseworker.rotation_to(&new);
    let pre = |err: DirectoryError| matches!(err, DirectoryError::Precondition { .. });
    let Statement::DeviceRotated {
        old_key_signature,
        new_key_signature,
        ..
    } = rotation.clone()
    else {
        unreachable!()
    };
    let with_signatures = |old: [u8; 64], new_sig: [u8; 64]| Statement::DeviceRotated {
        device: w.caseworker.id,
        signing_key: new.vk(),
        age_recipient: new.recipient(),
        pq_recipient: new.pq_recipient(),
        old_key_signature: old,
        new_key_signature: new_sig,
    };

    // The old key's signature replaced by the new key's (what a thief with
    // admin access but not the laptop could make): refused.
    let mut log = continue_world(w);
    log.push(
        with_signatures(new_key_signature, new_key_signature),
        &w.admin.key,
    );
    assert_eq!(
        log.verify().unwrap_err(),
        DirectoryError::BadSignature { seq: 15 }
    );

    // No proof of possession of the new key: refused.
    let mut log = continue_world(w);
    log.push(
        with_signatures(old_key_signature, old_key_signature),
        &w.admin.key,
    );
    assert_eq!(
        log.verify().unwrap_err(),
        DirectoryError::BadSignature { seq: 15 }
    );

    // Signatures lifted from another device's rotation do not transfer.
    let Statement::DeviceRotated {
        old_key_signature: other_old,
        new_key_signature: other_new,
        ..
    } = w.log.entries[8].statement.clone()
    else {
        unreachable!("entry 8 is desk A's rotation")
    };
    let mut log = continue_world(w);
    log.push(with_signatures(other_old, other_new), &w.admin.key);
    assert_eq!(
        log.verify().unwrap_err(),
        DirectoryError::BadSignature { seq: 15 }
    );

    // A co-signature on top is refused: the statement carries its own.
    let mut log = continue_world(w);
    log.push_co(rotation.clone(), &w.admin.key, Some(&w.caseworker.key));
    assert!(pre(log.verify().unwrap_err()));

    // The device alone (a thief of the laptop) cannot sign the entry.
    let mut log = continue_world(w);
    log.push(rotation.clone(), &w.caseworker.key);
    assert_eq!(
        log.verify().unwrap_err(),
        DirectoryError::Unauthorised { seq: 15 }
    );

    // Replaying the same rotation after it landed: the new key is not fresh.
    let mut log = continue_world(w);
    log.push(rotation.clone(), &w.admin.key);
    log.verify().unwrap();
    log.push(rotation.clone(), &w.admin.key);
    assert!(pre(log.verify().unwrap_err()));

    // Control: an administrator's entry with both signatures verifies.
    let mut log = continue_world(w);
    log.push(rotation, &w.admin.key);
    log.verify().unwrap();
}

#[test]
fn a_rotation_of_the_root_needs_both_roots() {
    let w = shared_world();
    let newer = SigningKey::generate().unwrap();
    let rotation = Statement::RootRotated {
        new_root: newer.verifying_key(),
    };

    let mut log = continue_world(w);
    log.push(rotation.clone(), &w.new_root);
    assert_eq!(
        log.verify().unwrap_err(),
        DirectoryError::MissingCoSignature { seq: 15 }
    );

    // An admin device may not replace the root, even with the new key's help.
    let mut log = continue_world(w);
    log.push_co(rotation.clone(), &w.admin.key, Some(&newer));
    assert_eq!(
        log.verify().unwrap_err(),
        DirectoryError::Unauthorised { seq: 15 }
    );

    // Nor the replaced root.
    let mut log = continue_world(w);
    log.push_co(rotation.clone(), &w.root, Some(&newer));
    assert_eq!(
        log.verify().unwrap_err(),
        DirectoryError::Unauthorised { seq: 15 }
    );

    // A device's key cannot become the root, even with both signatures: a
    // key names one party for good.
    let mut log = continue_world(w);
    log.push_co(
        Statement::RootRotated {
            new_root: w.caseworker.vk(),
        },
        &w.new_root,
        Some(&w.caseworker.key),
    );
    assert!(matches!(
        log.verify().unwrap_err(),
        DirectoryError::Precondition { seq: 15, .. }
    ));

    let mut log = continue_world(w);
    log.push_co(rotation, &w.new_root, Some(&newer));
    assert_eq!(*log.verify().unwrap().state().root(), newer.verifying_key());
}

#[test]
fn the_replaced_root_loses_its_authority() {
    let w = shared_world();
    let mut log = continue_world(w);
    log.push(desk_created("evil-desk", "Evil"), &w.root);
    assert_eq!(
        log.verify().unwrap_err(),
        DirectoryError::Unauthorised { seq: 15 }
    );
}

#[test]
fn a_revoked_or_rotated_out_admin_key_cannot_sign() {
    let w = shared_world();
    let mut log = continue_world(w);
    log.push(Statement::DeviceRevoked { device: w.admin.id }, &w.new_root)
        .push(desk_created("evil-desk", "Evil"), &w.admin.key);
    assert_eq!(
        log.verify().unwrap_err(),
        DirectoryError::Unauthorised { seq: 16 }
    );

    let admin2 = w.admin.rotated();
    let mut log = continue_world(w);
    log.push(w.admin.rotation_to(&admin2), &w.new_root);
    log.push(desk_created("new-desk", "New"), &admin2.key);
    log.verify().unwrap();
    log.push(desk_created("evil-desk", "Evil"), &w.admin.key);
    assert_eq!(
        log.verify().unwrap_err(),
        DirectoryError::Unauthorised { seq: 17 }
    );
}

#[test]
fn a_changed_past_entry_is_refused() {
    let w = shared_world();

    // Edited in place: its signature no longer verifies.
    let mut entries = w.log.entries.clone();
    if let Statement::DeskCreated { name, .. } = &mut entries[2].statement {
        *name = "Somewhere else".to_owned();
    }
    assert_eq!(
        VerifiedLog::from_genesis(entries, None).unwrap_err(),
        DirectoryError::BadSignature { seq: 2 }
    );

    // Replaced by another validly signed entry: the next link breaks.
    let mut entries = w.log.entries.clone();
    let old = &entries[4];
    entries[4] = Entry::sign(
        4,
        old.prev_hash,
        old.time,
        Statement::TokenKeyRotated {
            kid: "evil".to_owned(),
            public_key: SigningKey::generate().unwrap().verifying_key(),
        },
        &w.admin.key,
        None,
    )
    .unwrap();
    assert_eq!(
        VerifiedLog::from_genesis(entries, None).unwrap_err(),
        DirectoryError::BrokenChain { seq: 5 }
    );

    // Dropped (hiding the revocation at 9): the sequence breaks.
    let mut entries = w.log.entries.clone();
    entries.remove(9);
    assert_eq!(
        VerifiedLog::from_genesis(entries, None).unwrap_err(),
        DirectoryError::BadSequence { seq: 10 }
    );

    // Renumbered around the gap: the chain breaks instead.
    let mut entries = w.log.entries[..9].to_vec();
    let mut e10 = w.log.entries[10].clone();
    e10.seq = 9;
    entries.push(e10);
    let err = VerifiedLog::from_genesis(entries, None).unwrap_err();
    assert!(
        matches!(
            err,
            DirectoryError::BrokenChain { seq: 9 } | DirectoryError::BadSignature { seq: 9 }
        ),
        "{err:?}"
    );
}

#[test]
fn genesis_must_match_the_pinned_root() {
    let w = shared_world();
    let other = Fingerprint::of_root(&SigningKey::generate().unwrap().verifying_key());
    let err = VerifiedLog::from_genesis(w.log.entries.clone(), Some(other)).unwrap_err();
    assert!(matches!(err, DirectoryError::RootMismatch { expected, .. } if expected == other));

    // A whole parallel directory under another root, as a broker would make.
    let evil_root = SigningKey::generate().unwrap();
    let evil = Builder::genesis(&evil_root);
    let pin = Fingerprint::of_root(&w.root.verifying_key());
    assert!(matches!(
        VerifiedLog::from_genesis(evil.entries.clone(), Some(pin)),
        Err(DirectoryError::RootMismatch { .. })
    ));
    // Without a pin (trust on first use) it verifies, and the caller shows
    // the fingerprint it got.
    let tofu = VerifiedLog::from_genesis(evil.entries, None).unwrap();
    assert_eq!(
        tofu.genesis_root_fingerprint(),
        Fingerprint::of_root(&evil_root.verifying_key())
    );
}

#[test]
fn genesis_must_be_self_signed_and_first() {
    let root = SigningKey::generate().unwrap();
    let other = SigningKey::generate().unwrap();
    let g = Entry::sign(
        0,
        [0; 32],
        T0,
        Statement::Genesis {
            root: root.verifying_key(),
        },
        &other,
        None,
    )
    .unwrap();
    assert_eq!(
        VerifiedLog::from_genesis(vec![g], None).unwrap_err(),
        DirectoryError::Unauthorised { seq: 0 }
    );
    assert!(matches!(
        VerifiedLog::from_genesis(vec![], None),
        Err(DirectoryError::Malformed(_))
    ));
    let d = Entry::sign(0, [0; 32], T0, desk_created("a-desk", "A"), &root, None).unwrap();
    assert!(matches!(
        VerifiedLog::from_genesis(vec![d], None),
        Err(DirectoryError::Precondition { seq: 0, .. })
    ));
    let mut log = Builder::genesis(&root);
    log.push(
        Statement::Genesis {
            root: root.verifying_key(),
        },
        &root,
    );
    assert!(matches!(
        log.verify(),
        Err(DirectoryError::Precondition { seq: 1, .. })
    ));
}

#[test]
fn preconditions_are_enforced() {
    let w = shared_world();
    let check = |statement: Statement, signer: &SigningKey| {
        let mut log = continue_world(w);
        log.push(statement, signer);
        log.verify().unwrap_err()
    };
    let pre = |err: DirectoryError| matches!(err, DirectoryError::Precondition { seq: 15, .. });

    // A device enrolled to a desk that does not exist.
    assert!(pre(check(
        Dev::new(Some("nowhere"), Role::Desk).enrolled(),
        &w.admin.key
    )));
    // The same device enrolled twice.
    assert!(pre(check(w.caseworker.enrolled(), &w.admin.key)));
    // A new device id reusing another device's key.
    let mut twin = Dev::new(Some("covic-intake"), Role::Caseworker);
    twin.key = SigningKey::from_pkcs8(w.caseworker.key.pkcs8().expose_secret()).unwrap();
    assert!(pre(check(twin.enrolled(), &w.admin.key)));
    // A non-admin without a desk.
    assert!(pre(check(
        Dev::new(None, Role::Caseworker).enrolled(),
        &w.admin.key
    )));
    // A desk created twice.
    assert!(pre(check(
        desk_created("covic-intake", "Again"),
        &w.admin.key
    )));
    // Revoking an unknown device, or a revoked one again.
    assert!(pre(check(
        Statement::DeviceRevoked {
            device: DeviceId::random()
        },
        &w.admin.key
    )));
    assert!(pre(check(
        Statement::DeviceRevoked {
            device: w.desk_b.id
        },
        &w.admin.key
    )));
    // A token key id reused.
    assert!(pre(check(
        Statement::TokenKeyRotated {
            kid: "k1".to_owned(),
            public_key: SigningKey::generate().unwrap().verifying_key(),
        },
        &w.admin.key
    )));

    // Rotating a revoked device (signed by its own old key).
    let mut log = continue_world(w);
    let b2 = w.desk_b.rotated();
    log.push(w.desk_b.rotation_to(&b2), &w.admin.key);
    assert!(pre(log.verify().unwrap_err()));

    // A co-signature where none belongs.
    let mut log = continue_world(w);
    log.push_co(
        desk_created("new-desk", "New"),
        &w.admin.key,
        Some(&w.admin.key),
    );
    assert!(pre(log.verify().unwrap_err()));

    // An admin with no desk is fine (the control for "non-admin without desk").
    let mut log = continue_world(w);
    log.push(Dev::new(None, Role::Admin).enrolled(), &w.admin.key);
    log.verify().unwrap();
}

#[test]
fn a_hand_built_entry_without_an_encoding_is_refused_not_a_panic() {
    let w = shared_world();
    let mut entries = w.log.entries.clone();
    if let Statement::DeskCreated { name, .. } = &mut entries[1].statement {
        *name = "x".repeat(300);
    }
    assert!(matches!(
        VerifiedLog::from_genesis(entries.clone(), None),
        Err(DirectoryError::Malformed(_))
    ));
    let mut log = verified_prefix(w, 1);
    assert!(matches!(
        log.extend(&entries[..3]),
        Err(DirectoryError::Malformed(_))
    ));
    assert!(matches!(
        log.append(entries[1].clone()),
        Err(DirectoryError::Malformed(_))
    ));
}

#[test]
fn time_may_not_go_backwards() {
    let w = shared_world();
    let mut log = continue_world(w);
    let prev = log.entries.last().unwrap();
    let e = Entry::sign(
        prev.seq + 1,
        prev.hash(),
        prev.time - 1,
        desk_created("new-desk", "New"),
        &w.admin.key,
        None,
    )
    .unwrap();
    log.push_entry(e);
    assert!(matches!(
        log.verify(),
        Err(DirectoryError::Precondition { seq: 15, .. })
    ));
}

#[test]
fn extend_accepts_a_valid_extension_from_the_head() {
    let w = shared_world();
    let mut log = verified_prefix(w, 8);
    assert_eq!(log.head().seq, 7);
    log.extend(&w.log.entries[7..]).unwrap();
    let full = VerifiedLog::from_genesis(w.log.entries.clone(), None).unwrap();
    assert_eq!(log, full);

    // Nothing new: the head alone is fine, and changes nothing.
    log.extend(&w.log.entries[14..]).unwrap();
    assert_eq!(log, full);

    // A fetch starting before the head is fine if it agrees.
    let mut log = verified_prefix(w, 8);
    log.extend(&w.log.entries[3..]).unwrap();
    assert_eq!(log, full);
}

#[test]
fn extend_refuses_a_rollback() {
    let w = shared_world();
    let mut log = verified_prefix(w, 11); // head 10, after the revocation at 9
    let before = log.clone();
    assert_eq!(
        log.extend(&[]).unwrap_err(),
        DirectoryError::Rollback {
            have: 10,
            got: None
        }
    );
    assert_eq!(
        log.extend(&w.log.entries[5..9]).unwrap_err(),
        DirectoryError::Rollback {
            have: 10,
            got: Some(8)
        }
    );
    assert_eq!(log, before);
    assert!(
        DirectoryError::Rollback {
            have: 10,
            got: None
        }
        .to_string()
        .contains("no entries")
    );
}

#[test]
fn extend_refuses_a_fork() {
    let w = shared_world();
    let mut log = verified_prefix(w, 10); // head 9
    let before = log.clone();

    // Another history from 9 on: a different, validly signed entry at 9.
    let mut fork = Builder {
        entries: w.log.entries[..9].to_vec(),
        time: w.log.entries[8].time,
    };
    fork.push(desk_created("other-desk", "Other"), &w.admin.key)
        .push(desk_created("more-desk", "More"), &w.admin.key);
    assert_eq!(
        log.extend(&fork.entries[9..]).unwrap_err(),
        DirectoryError::Fork { seq: 9 }
    );
    // Also when the fetch starts earlier and differs before the head.
    assert_eq!(
        log.extend(&fork.entries[5..]).unwrap_err(),
        DirectoryError::Fork { seq: 9 }
    );
    assert_eq!(log, before);

    // A fetch that skips the head entry cannot be tied to it.
    assert_eq!(
        log.extend(&w.log.entries[10..]).unwrap_err(),
        DirectoryError::BadSequence { seq: 10 }
    );
}

#[test]
fn extend_is_atomic() {
    let w = shared_world();
    let mut log = verified_prefix(w, 6); // head 5
    let before = log.clone();
    // Valid 5..=9, then a tampered 10.
    let mut fetched = w.log.entries[5..].to_vec();
    fetched[5].signature[0] ^= 1;
    assert_eq!(fetched[5].seq, 10);
    assert_eq!(
        log.extend(&fetched).unwrap_err(),
        DirectoryError::BadSignature { seq: 10 }
    );
    assert_eq!(log, before);
    assert_eq!(log.head().seq, 5);
    assert!(log.state().device(&w.desk_a.id).is_none());

    // append is atomic too.
    let bad = Entry {
        signature: [0; 64],
        ..w.log.entries[6].clone()
    };
    assert!(log.append(bad).is_err());
    assert_eq!(log, before);
    let head = log.append(w.log.entries[6].clone()).unwrap();
    assert_eq!(head.seq, 6);
}

#[test]
fn a_revoked_device_gets_no_packets_and_its_signatures_are_refused() {
    let w = shared_world();
    let before = verified_prefix(w, 9); // before the revocation at 9
    let after = verified_prefix(w, 10);
    let sj = desk("shinjuku-iea");

    assert!(
        before
            .state()
            .encryption_keys(&sj, T0, None)
            .contains(&w.desk_b.recipient())
    );
    assert!(
        before
            .state()
            .is_sender_key(&w.desk_b.id, &sj, &w.desk_b.vk(), T0)
    );

    assert!(
        !after
            .state()
            .encryption_keys(&sj, T0, None)
            .contains(&w.desk_b.recipient())
    );
    assert!(
        !after
            .state()
            .is_sender_key(&w.desk_b.id, &sj, &w.desk_b.vk(), T0)
    );
}

#[test]
fn a_pre_rotation_key_still_verifies_packets() {
    let w = shared_world();
    let state = VerifiedLog::from_genesis(w.log.entries.clone(), None)
        .unwrap()
        .state()
        .clone();
    let sj = desk("shinjuku-iea");
    assert!(state.is_sender_key(&w.desk_a.id, &sj, &w.desk_a.vk(), T0));
    assert!(state.is_sender_key(&w.desk_a.id, &sj, &w.desk_a2.vk(), T0));
    // But only for that device and its desk.
    assert!(!state.is_sender_key(&w.caseworker.id, &desk("covic-intake"), &w.desk_a.vk(), T0));
    assert!(!state.is_sender_key(&w.desk_a.id, &desk("covic-intake"), &w.desk_a.vk(), T0));
    // A key never in the log is refused.
    let stranger = SigningKey::generate().unwrap().verifying_key();
    assert!(!state.is_sender_key(&w.desk_a.id, &sj, &stranger, T0));

    // End to end: a packet sealed with the pre-rotation key opens against the
    // verified state; one from the revoked device does not.
    let content = common::small_referral();
    let reader = &w.caseworker;
    let seal_with = |dev: &Dev, key: &SigningKey| {
        let req = SealRequest {
            packet_id: PacketId::random(),
            thread_id: ThreadId::random(),
            created_at: T0,
            sender: Sender {
                device: dev.id,
                desk: sj.clone(),
                key,
            },
            recipient_desk: desk("covic-intake"),
            recipients: vec![reader.recipient()],
            content_type: ContentType::referral_v1(),
            content: &content,
            attachments: &[],
        };
        let mut out = Vec::new();
        seal(&req, &mut out).unwrap();
        out
    };
    let ids = [reader.identity.clone()];
    let mut sink = referral_protocol::DiscardAttachments;
    let old = seal_with(&w.desk_a, &w.desk_a.key);
    let opened = open(&old[..], &ids, &state, &mut sink).unwrap();
    assert_eq!(opened.header.sender_key, w.desk_a.vk());
    let revoked = seal_with(&w.desk_b, &w.desk_b.key);
    assert!(matches!(
        open(&revoked[..], &ids, &state, &mut sink),
        Err(OpenError::UnknownSender { .. })
    ));
}

#[test]
fn a_retired_key_is_refused_for_packets_dated_after_its_rotation() {
    let w = shared_world();
    let state = VerifiedLog::from_genesis(w.log.entries.clone(), None)
        .unwrap()
        .state()
        .clone();
    let sj = desk("shinjuku-iea");
    // desk_a's first key was retired by the rotation entry at T0 + 8 min.
    let rotated_at = T0 + 8 * 60;
    let content = common::small_referral();
    let reader = &w.caseworker;
    let seal_at = |key: &SigningKey, created_at: i64| {
        let req = SealRequest {
            packet_id: PacketId::random(),
            thread_id: ThreadId::random(),
            created_at,
            sender: Sender {
                device: w.desk_a.id,
                desk: sj.clone(),
                key,
            },
            recipient_desk: desk("covic-intake"),
            recipients: vec![reader.recipient()],
            content_type: ContentType::referral_v1(),
            content: &content,
            attachments: &[],
        };
        let mut out = Vec::new();
        seal(&req, &mut out).unwrap();
        out
    };
    let ids = [reader.identity.clone()];
    let mut sink = referral_protocol::DiscardAttachments;
    let opens = |packet: &[u8], sink: &mut referral_protocol::DiscardAttachments| {
        open(packet, &ids, &state, sink)
    };

    // Signed before the rotation, or within the documented clock skew
    // after it: still the device's key then.
    opens(&seal_at(&w.desk_a.key, rotated_at - 60), &mut sink).unwrap();
    opens(&seal_at(&w.desk_a.key, rotated_at), &mut sink).unwrap();
    opens(
        &seal_at(&w.desk_a.key, rotated_at + RETIRED_KEY_GRACE_SECS),
        &mut sink,
    )
    .unwrap();
    // Dated after that: whoever signs with the old key now is not the device.
    let late = rotated_at + RETIRED_KEY_GRACE_SECS + 1;
    match opens(&seal_at(&w.desk_a.key, late), &mut sink) {
        Err(e @ OpenError::RetiredSenderKey { .. }) => {
            assert!(e.is_verification_failure());
            let OpenError::RetiredSenderKey {
                device,
                retired_at,
                signed_at,
            } = e
            else {
                unreachable!()
            };
            assert_eq!(
                (device, retired_at, signed_at),
                (w.desk_a.id, rotated_at, late)
            );
        }
        other => panic!("expected RetiredSenderKey, got {other:?}"),
    }
    // The current key signs at any time.
    opens(&seal_at(&w.desk_a2.key, late), &mut sink).unwrap();
    assert!(state.is_sender_key(&w.desk_a.id, &sj, &w.desk_a2.vk(), late));
    assert!(!state.is_sender_key(&w.desk_a.id, &sj, &w.desk_a.vk(), late));
}

#[test]
fn the_key_age_policy_skips_old_keys() {
    let w = shared_world();
    let s = VerifiedLog::from_genesis(w.log.entries.clone(), None)
        .unwrap()
        .state()
        .clone();
    let covic = desk("covic-intake");
    let sj = desk("shinjuku-iea");
    // The caseworker enrolled at T0+5min; desk_a rotated at T0+8min.
    let at = T0 + 90 * DAY + 6 * 60;
    assert!(s.encryption_keys(&covic, at, None).is_empty());
    assert_eq!(
        s.encryption_keys(&sj, at, None),
        vec![w.desk_a2.recipient()]
    );
    // A caller's stricter limit applies too; a looser one does not loosen.
    assert!(
        s.encryption_keys(&sj, T0 + 2 * DAY, Some(DAY as u64))
            .is_empty()
    );
    assert!(
        s.encryption_keys(&covic, at, Some(365 * DAY as u64))
            .is_empty()
    );
    assert!(
        s.device(&w.caseworker.id)
            .unwrap()
            .keys_expired(at, 90 * DAY as u64)
    );

    // A policy of 0 lifts the limit.
    let mut log = continue_world(w);
    log.push(Statement::KeyAgePolicy { max_age_secs: 0 }, &w.new_root);
    let s = log.verify().unwrap().state().clone();
    assert_eq!(s.max_key_age_secs(), None);
    assert_eq!(
        s.encryption_keys(&covic, at, None),
        vec![w.caseworker.recipient()]
    );
}

#[test]
fn every_directory_error_is_a_verification_failure() {
    let errors = [
        DirectoryError::RootMismatch {
            expected: Fingerprint::of_root(&VerifyingKey([1; 32])),
            found: Fingerprint::of_root(&VerifyingKey([2; 32])),
        },
        DirectoryError::BadSignature { seq: 1 },
        DirectoryError::Unauthorised { seq: 1 },
        DirectoryError::BrokenChain { seq: 1 },
        DirectoryError::BadSequence { seq: 1 },
        DirectoryError::Precondition {
            seq: 1,
            reason: "x",
        },
        DirectoryError::Malformed("x"),
        DirectoryError::Rollback {
            have: 2,
            got: Some(1),
        },
        DirectoryError::Fork { seq: 1 },
        DirectoryError::MissingCoSignature { seq: 1 },
    ];
    for e in errors {
        assert!(e.is_verification_failure());
        assert!(!e.to_string().is_empty());
    }
}

// --- Encoding properties -------------------------------------------------

fn key_pool() -> &'static [(SigningKey, RecipientKey)] {
    static POOL: OnceLock<Vec<(SigningKey, RecipientKey)>> = OnceLock::new();
    POOL.get_or_init(|| {
        (0..8)
            .map(|_| {
                (
                    SigningKey::generate().unwrap(),
                    AgeIdentity::generate_classic().recipient(),
                )
            })
            .collect()
    })
}

fn arb_key() -> impl Strategy<Value = VerifyingKey> {
    any::<[u8; 32]>().prop_map(VerifyingKey)
}

fn arb_recipient() -> impl Strategy<Value = RecipientKey> {
    (0..key_pool().len()).prop_map(|i| key_pool()[i].1.clone())
}

/// No hybrid key, or one of a few (a hybrid key takes a few milliseconds to
/// make, so they are made once).
fn arb_pq_recipient() -> impl Strategy<Value = Option<RecipientKey>> {
    static POOL: OnceLock<Vec<RecipientKey>> = OnceLock::new();
    let pool = POOL.get_or_init(|| {
        (0..4)
            .map(|_| AgeIdentity::generate_post_quantum().recipient())
            .collect()
    });
    prop::option::of((0..pool.len()).prop_map(move |i| pool[i].clone()))
}

fn arb_device() -> impl Strategy<Value = DeviceId> {
    any::<[u8; 16]>().prop_map(|mut b| {
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        DeviceId::from_bytes(b).unwrap()
    })
}

fn arb_desk() -> impl Strategy<Value = DeskId> {
    "[a-z][a-z0-9]{1,10}(-[a-z0-9]{1,8}){0,3}".prop_map(|s| s.parse().unwrap())
}

fn arb_role() -> impl Strategy<Value = Role> {
    prop::sample::select(Role::ALL.to_vec())
}

fn arb_statement() -> impl Strategy<Value = Statement> {
    prop_oneof![
        arb_key().prop_map(|root| Statement::Genesis { root }),
        (
            arb_desk(),
            "[^\\p{Cc}\\s][^\\p{Cc}]{0,40}[^\\p{Cc}\\s]",
            prop::option::of((1u8..=47).prop_map(|n| format!("JP-{n:02}"))),
            prop::option::of("[a-z]{2,3}(-[A-Za-z0-9]{2,8})?(,[a-z]{2,3}){0,4}"),
        )
            .prop_map(|(desk, name, prefecture, languages)| {
                Statement::DeskCreated {
                    desk,
                    name,
                    prefecture,
                    languages,
                }
            }),
        (
            arb_device(),
            prop::option::of(arb_desk()),
            arb_role(),
            arb_key(),
            (arb_recipient(), arb_pq_recipient()),
            any::<[u8; 64]>()
        )
            .prop_map(
                |(device, desk, role, signing_key, (age_recipient, pq_recipient), sig)| {
                    Statement::DeviceEnrolled {
                        device,
                        desk,
                        role,
                        signing_key,
                        age_recipient,
                        pq_recipient,
                        device_signature: sig,
                    }
                }
            ),
        (
            arb_device(),
            arb_key(),
            (arb_recipient(), arb_pq_recipient()),
            any::<[u8; 32]>(),
            any::<[u8; 32]>()
        )
            .prop_map(
                |(device, signing_key, (age_recipient, pq_recipient), a, b)| {
                    Statement::DeviceRotated {
                        device,
                        signing_key,
                        age_recipient,
                        pq_recipient,
                        old_key_signature: [a, b].concat().try_into().unwrap(),
                        new_key_signature: [b, a].concat().try_into().unwrap(),
                    }
                }
            ),
        arb_device().prop_map(|device| Statement::DeviceRevoked { device }),
        arb_key().prop_map(|new_root| Statement::RootRotated { new_root }),
        ("[A-Za-z0-9._-]{1,64}", arb_key())
            .prop_map(|(kid, public_key)| Statement::TokenKeyRotated { kid, public_key }),
        any::<u64>().prop_map(|max_age_secs| Statement::KeyAgePolicy { max_age_secs }),
        any::<bool>().prop_map(|required| Statement::PostQuantumPolicy { required }),
    ]
}

fn arb_entry() -> impl Strategy<Value = Entry> {
    (
        any::<u64>(),
        any::<[u8; 32]>(),
        any::<i64>(),
        arb_statement(),
        0..key_pool().len(),
        prop::option::of(0..key_pool().len()),
    )
        .prop_map(|(seq, prev, time, statement, signer, co)| {
            let pool = key_pool();
            Entry::sign(
                seq,
                prev,
                time,
                statement,
                &pool[signer].0,
                co.map(|i| &pool[i].0),
            )
            .expect("generated statements validate")
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn entries_round_trip(entry in arb_entry()) {
        let bytes = entry.encode();
        let back = Entry::decode(&bytes).unwrap();
        prop_assert_eq!(&back, &entry);
        prop_assert_eq!(back.encode(), bytes);
        prop_assert!(back.signature_valid());
        prop_assert_eq!(Entry::from_base64(&entry.to_base64()).unwrap(), entry);
    }

    /// One encoding per value: whatever a mutated encoding decodes to
    /// re-encodes to exactly those bytes, and a changed body never keeps a
    /// valid signature.
    #[test]
    fn decoding_is_canonical(entry in arb_entry(), pos in any::<prop::sample::Index>(), bit in 0u8..8) {
        let mut bytes = entry.encode();
        let i = pos.index(bytes.len());
        bytes[i] ^= 1 << bit;
        if let Ok(decoded) = Entry::decode(&bytes) {
            prop_assert_eq!(decoded.encode(), bytes);
            prop_assert_ne!(decoded.hash(), entry.hash());
            if decoded.signed_message() != entry.signed_message() || decoded.signature != entry.signature {
                prop_assert!(!decoded.signature_valid() || decoded.signer != entry.signer);
            }
        }
    }

    #[test]
    fn truncated_or_extended_encodings_are_refused(entry in arb_entry(), extra in 1usize..4) {
        let bytes = entry.encode();
        prop_assert!(Entry::decode(&bytes[..bytes.len() - 1]).is_err());
        let mut long = bytes.clone();
        long.extend(std::iter::repeat_n(0u8, extra));
        prop_assert!(Entry::decode(&long).is_err());
    }
}
