//! Post-quantum packets (ADR 0020): hybrid ML-KEM-768 + X25519 recipients,
//! the rule that picks classic or post-quantum for a pair of desks, the
//! reader's downgrade and policy refusals, the directory entries that carry
//! hybrid keys, and rewrap of a hybrid stanza.
//!
//! The migration is played through a real signed log: a desk with one classic
//! and one hybrid device, then both hybrid, then the post-quantum policy.

use crate::common::*;

use referral_protocol::directory::{
    DirectoryError, Entry, PacketRecipients, PostQuantumRequired, RETIRED_KEY_GRACE_SECS,
    Statement, VerifiedLog, enrollment_proof, rotation_request,
};
use referral_protocol::envelope::{MAX_CLASSIC_RECIPIENTS, MAX_POST_QUANTUM_RECIPIENTS};
use referral_protocol::rewrap::{RewrapError, rewrap};
use referral_protocol::{
    AgeIdentity, ClassicPacket, ContentType, DeskId, DeviceId, OpenError, PacketId, RecipientKey,
    RecipientKind, Role, SealError, SealRequest, Sender, SigningKey, ThreadId, seal,
};

const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const HOUR: i64 = 3600;

// --- sealing and opening ----------------------------------------------------

#[test]
fn hybrid_packets_open_for_every_recipient_at_1_5_20_and_40() {
    let sender = Device::new("shinjuku-iea");
    let dir = directory(&[&sender]);
    let content = small_referral();
    for n in [1usize, 5, 20, MAX_POST_QUANTUM_RECIPIENTS] {
        let ids = hybrid_identities(n);
        let req = request(&sender, "covic-intake", recipients_of(&ids), &content, &[]);
        let (packet, sealed) = seal_to_vec(&req);
        assert_eq!(sealed.kind, RecipientKind::PostQuantum);
        assert_eq!(sealed.header.recipients.len(), n);
        // One hybrid stanza per recipient, and nothing classic.
        let stanzas = count(&packet, b"\n-> mlkem768x25519 ");
        assert_eq!(stanzas, n, "{n} recipients");
        assert_eq!(count(&packet, b"\n-> X25519 "), 0);
        for id in [&ids[0], &ids[n - 1]] {
            let (opened, _) = open_bytes(&packet, std::slice::from_ref(id), &dir).unwrap();
            assert_eq!(opened.content.as_slice(), content.as_slice());
        }
        let outsider = hybrid_identities(1);
        assert!(matches!(
            open_bytes(&packet, &outsider, &dir),
            Err(OpenError::NoMatchingKey)
        ));
    }
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

#[test]
fn the_recipient_cap_depends_on_the_kind() {
    let sender = Device::new("shinjuku-iea");
    let content = small_referral();
    let try_seal = |recipients: Vec<RecipientKey>| {
        seal(
            &request(&sender, "covic-intake", recipients, &content, &[]),
            &mut Vec::new(),
        )
    };
    let too_many = recipients_of(&hybrid_identities(MAX_POST_QUANTUM_RECIPIENTS + 1));
    assert!(
        matches!(
            try_seal(too_many),
            Err(SealError::RecipientCount { got: 41, max: 40 })
        ),
        "41 hybrid recipients"
    );
    let classic = recipients_of(&identities(MAX_CLASSIC_RECIPIENTS + 1));
    assert!(matches!(
        try_seal(classic),
        Err(SealError::RecipientCount { got: 161, max: 160 })
    ));
}

#[test]
fn classic_and_hybrid_recipients_are_never_mixed() {
    let sender = Device::new("shinjuku-iea");
    let mut recipients = recipients_of(&hybrid_identities(2));
    recipients.extend(recipients_of(&identities(1)));
    let mut out = Vec::new();
    let err = seal(
        &request(&sender, "covic-intake", recipients, b"{}", &[]),
        &mut out,
    )
    .unwrap_err();
    assert!(matches!(err, SealError::MixedRecipientKinds), "{err}");
    assert!(out.is_empty(), "nothing written");
}

#[test]
fn a_device_holding_both_kinds_opens_either_kind_of_packet() {
    let sender = Device::new("shinjuku-iea");
    let dir = directory(&[&sender]);
    let mine = [
        AgeIdentity::generate_classic(),
        AgeIdentity::generate_post_quantum(),
    ];
    for (i, id) in mine.iter().enumerate() {
        let (packet, _) = seal_simple(&sender, vec![id.recipient()], b"{}", &[]);
        let (opened, _) = open_bytes(&packet, &mine, &dir).unwrap();
        assert_eq!(opened.identity_index, i);
    }
}

// --- rewrap of a hybrid stanza ----------------------------------------------

#[test]
fn a_hybrid_stanza_rewraps_to_the_current_hybrid_key_only() {
    let sender = Device::new("shinjuku-iea");
    let dir = directory(&[&sender]);
    let [colleague, retired, current] = [(); 3].map(|()| AgeIdentity::generate_post_quantum());
    let content = small_referral();
    let (packet, _) = seal_simple(
        &sender,
        vec![colleague.recipient(), retired.recipient()],
        &content,
        &[],
    );
    let mut out = Vec::new();
    let done = rewrap(&packet[..], &mut out, &retired, &current).unwrap();
    assert_eq!(done.bytes, packet.len() as u64, "same size, same bucket");
    // The current key opens it (the signed list still names the retired
    // key, which the same device holds), the retired one no longer does.
    let (opened, _) = open_bytes(&out, &[current.clone(), retired.clone()], &dir).unwrap();
    assert_eq!(opened.content.as_slice(), content.as_slice());
    assert!(matches!(
        open_bytes(&out, std::slice::from_ref(&retired), &dir),
        Err(OpenError::NoMatchingKey)
    ));
    open_bytes(&out, std::slice::from_ref(&colleague), &dir).expect("others untouched");
    // A classic key cannot take a hybrid stanza's place.
    let classic = AgeIdentity::generate_classic();
    let err = rewrap(&packet[..], &mut Vec::new(), &retired, &classic).unwrap_err();
    assert!(matches!(err, RewrapError::Wrap(_)), "{err}");
}

// --- the migration, through a signed log ------------------------------------

/// A device and its keys.
struct Dev {
    id: DeviceId,
    desk: DeskId,
    key: SigningKey,
    classic: AgeIdentity,
    hybrid: Option<AgeIdentity>,
}

impl Dev {
    fn new(desk: &str, hybrid: bool) -> Self {
        Self {
            id: DeviceId::random(),
            desk: desk_id(desk),
            key: SigningKey::generate().unwrap(),
            classic: AgeIdentity::generate_classic(),
            hybrid: hybrid.then(AgeIdentity::generate_post_quantum),
        }
    }

    fn pq(&self) -> Option<RecipientKey> {
        self.hybrid.as_ref().map(AgeIdentity::recipient)
    }

    fn identities(&self) -> Vec<AgeIdentity> {
        [Some(self.classic.clone()), self.hybrid.clone()]
            .into_iter()
            .flatten()
            .collect()
    }

    fn enrolled(&self) -> Statement {
        let vk = self.key.verifying_key();
        let pq = self.pq();
        Statement::DeviceEnrolled {
            device: self.id,
            desk: Some(self.desk.clone()),
            role: Role::Desk,
            signing_key: vk,
            age_recipient: self.classic.recipient(),
            pq_recipient: pq.clone(),
            device_signature: enrollment_proof(
                &self.id,
                Some(&self.desk),
                Role::Desk,
                &vk,
                &self.classic.recipient(),
                pq.as_ref(),
                &self.key,
            ),
        }
    }

    /// What `referral rotate` makes: new keys of both kinds, the old ones
    /// kept for the packets already sealed to them.
    fn rotate(&mut self) -> Statement {
        let key = SigningKey::generate().unwrap();
        let classic = AgeIdentity::generate_classic();
        let hybrid = AgeIdentity::generate_post_quantum();
        let statement = rotation_request(
            &self.id,
            &self.key,
            &key,
            &classic.recipient(),
            Some(&hybrid.recipient()),
        );
        self.key = key;
        self.classic = classic;
        self.hybrid = Some(hybrid);
        statement
    }
}

/// A log signed by one root, one entry a minute from `T0` unless told.
struct Log {
    root: SigningKey,
    entries: Vec<Entry>,
}

impl Log {
    fn new() -> Self {
        let root = SigningKey::generate().unwrap();
        let genesis = Entry::sign(
            0,
            [0; 32],
            T0,
            Statement::Genesis {
                root: root.verifying_key(),
            },
            &root,
            None,
        )
        .unwrap();
        Self {
            root,
            entries: vec![genesis],
        }
    }

    fn push_at(&mut self, time: i64, statement: Statement) -> &mut Self {
        let prev = self.entries.last().unwrap();
        let e = Entry::sign(prev.seq + 1, prev.hash(), time, statement, &self.root, None).unwrap();
        self.entries.push(e);
        self
    }

    fn push(&mut self, statement: Statement) -> &mut Self {
        let time = self.entries.last().unwrap().time + 60;
        self.push_at(time, statement)
    }

    fn verify(&self) -> Result<VerifiedLog, DirectoryError> {
        VerifiedLog::from_genesis(self.entries.clone(), None)
    }

    /// A second log with the same entries and root, to try a bad entry on.
    fn fork(&self) -> Self {
        use secrecy::ExposeSecret;
        Self {
            root: SigningKey::from_pkcs8(self.root.pkcs8().expose_secret()).unwrap(),
            entries: self.entries.clone(),
        }
    }
}

fn desk(id: &str) -> Statement {
    Statement::DeskCreated {
        desk: desk_id(id),
        name: id.to_owned(),
        prefecture: None,
        languages: None,
    }
}

/// Seals `content` from `from` to `to_desk` at `at`, to `recipients`.
fn sealed_by(from: &Dev, to_desk: &str, recipients: &[RecipientKey], at: i64) -> Vec<u8> {
    let content = small_referral();
    let req = SealRequest {
        packet_id: PacketId::random(),
        thread_id: ThreadId::random(),
        created_at: at,
        sender: Sender {
            device: from.id,
            desk: from.desk.clone(),
            key: &from.key,
        },
        recipient_desk: desk_id(to_desk),
        recipients: recipients.to_vec(),
        content_type: ContentType::referral_v1(),
        content: &content,
        attachments: &[],
    };
    let mut out = Vec::new();
    seal(&req, &mut out).unwrap();
    out
}

#[test]
fn a_desk_moves_from_classic_to_post_quantum_and_then_to_the_policy() {
    // The caseworker's laptop was made after ADR 0020; the desk has an old
    // classic laptop and a new one.
    let caseworker = Dev::new("covic-intake", true);
    let mut old_laptop = Dev::new("shinjuku-iea", false);
    let new_laptop = Dev::new("shinjuku-iea", true);
    let mut log = Log::new();
    log.push(desk("covic-intake"))
        .push(desk("shinjuku-iea"))
        .push(caseworker.enrolled())
        .push(old_laptop.enrolled())
        .push(new_laptop.enrolled());
    let (to, own) = (desk_id("shinjuku-iea"), desk_id("covic-intake"));

    // 1. One classic device holds the pair back: classic, naming it.
    let verified = log.verify().unwrap();
    let state = verified.state();
    let now = log.entries.last().unwrap().time + HOUR;
    let choice = state.packet_recipients(&to, &own, now, None).unwrap();
    let PacketRecipients::Classic { keys, holding_back } = &choice else {
        panic!("expected classic, got {choice:?}");
    };
    assert_eq!(holding_back, &[old_laptop.id]);
    assert_eq!(keys.len(), 3);
    assert!(keys.iter().all(|k| k.kind() == RecipientKind::Classic));
    // Sealed classic, and every reader accepts it: it was the only choice.
    let classic = sealed_by(&caseworker, "shinjuku-iea", keys, now);
    for reader in [&old_laptop, &new_laptop] {
        let (opened, _) = open_bytes(&classic, &reader.identities(), state).unwrap();
        assert_eq!(opened.header.created_at, now);
    }

    // 2. The old laptop rotates, an administrator approves: all hybrid.
    let rotated_at = now + HOUR;
    log.push_at(rotated_at, old_laptop.rotate());
    let verified = log.verify().unwrap();
    let state = verified.state();
    let later = rotated_at + HOUR;
    let choice = state.packet_recipients(&to, &own, later, None).unwrap();
    let PacketRecipients::PostQuantum(keys) = &choice else {
        panic!("expected post-quantum, got {choice:?}");
    };
    assert_eq!(keys.len(), 3);
    let hybrid = sealed_by(&caseworker, "shinjuku-iea", keys, later);
    open_bytes(&hybrid, &old_laptop.identities(), state).expect("the rotated laptop reads it");

    // The classic packet from before the rotation still opens.
    open_bytes(&classic, &new_laptop.identities(), state).expect("sealed when classic was due");
    // A classic packet dated after the rotation is a downgrade; within the
    // grace a sender that had not synced yet is believed.
    let classic_keys: Vec<RecipientKey> = [&caseworker, &old_laptop, &new_laptop]
        .iter()
        .map(|d| d.classic.recipient())
        .collect();
    let downgrade = sealed_by(&caseworker, "shinjuku-iea", &classic_keys, later);
    let err = open_bytes(&downgrade, &new_laptop.identities(), state).unwrap_err();
    assert!(
        matches!(err, OpenError::Downgrade { signed_at } if signed_at == later),
        "{err}"
    );
    assert!(err.is_verification_failure());
    let in_grace = sealed_by(
        &caseworker,
        "shinjuku-iea",
        &classic_keys,
        rotated_at + RETIRED_KEY_GRACE_SECS,
    );
    open_bytes(&in_grace, &new_laptop.identities(), state).expect("within the grace");

    // 3. The policy: required from its entry's time.
    let policy_at = later + HOUR;
    log.push_at(policy_at, Statement::PostQuantumPolicy { required: true });
    // A classic desk device enrolled afterwards cannot be written to.
    let straggler = Dev::new("shinjuku-iea", false);
    log.push_at(policy_at + 60, straggler.enrolled());
    let verified = log.verify().unwrap();
    let state = verified.state();
    assert_eq!(state.post_quantum_required_since(), Some(policy_at));
    let after = policy_at + HOUR;
    assert_eq!(
        state.packet_recipients(&to, &own, after, None),
        Err(PostQuantumRequired {
            holding_back: vec![straggler.id]
        })
    );
    let mut with_straggler = classic_keys.clone();
    with_straggler.push(straggler.classic.recipient());
    let classic_after = sealed_by(&caseworker, "shinjuku-iea", &with_straggler, after);
    let err = open_bytes(&classic_after, &straggler.identities(), state).unwrap_err();
    assert!(
        matches!(err, OpenError::PostQuantumRequired { since, signed_at }
            if since == policy_at && signed_at == after),
        "{err}"
    );
    // Packets from before the policy keep opening.
    open_bytes(&classic, &new_laptop.identities(), state).expect("before the policy");

    // Lifting the policy lets the straggler's desk be written to again,
    // classic, naming it.
    log.push(Statement::PostQuantumPolicy { required: false });
    let verified = log.verify().unwrap();
    let lifted = verified
        .state()
        .packet_recipients(&to, &own, after + HOUR, None)
        .unwrap();
    assert!(
        matches!(&lifted, PacketRecipients::Classic { holding_back, .. } if holding_back == &[straggler.id])
    );
}

#[test]
fn the_log_refuses_a_rotation_that_drops_the_hybrid_key_and_a_swapped_one() {
    let mut device = Dev::new("shinjuku-iea", true);
    let mut log = Log::new();
    log.push(desk("shinjuku-iea")).push(device.enrolled());
    log.verify().unwrap();

    // Back to classic only: refused, even with both of the device's
    // signatures on it.
    let key = SigningKey::generate().unwrap();
    let classic_only = rotation_request(
        &device.id,
        &device.key,
        &key,
        &AgeIdentity::generate_classic().recipient(),
        None,
    );
    let mut dropped = log.fork();
    dropped.push(classic_only);
    assert!(
        matches!(
            dropped.verify(),
            Err(DirectoryError::Precondition { seq: 3, .. })
        ),
        "{:?}",
        dropped.verify().err()
    );

    // The hybrid key of an enrollment swapped for another: the device's
    // proof no longer verifies.
    let newcomer = Dev::new("shinjuku-iea", true);
    let Statement::DeviceEnrolled {
        device: id,
        desk,
        role,
        signing_key,
        age_recipient,
        device_signature,
        ..
    } = newcomer.enrolled()
    else {
        unreachable!()
    };
    let swapped = Statement::DeviceEnrolled {
        device: id,
        desk,
        role,
        signing_key,
        age_recipient,
        pq_recipient: Some(AgeIdentity::generate_post_quantum().recipient()),
        device_signature,
    };
    let mut forged = log.fork();
    forged.push(swapped);
    assert_eq!(
        forged.verify().unwrap_err(),
        DirectoryError::BadSignature { seq: 3 }
    );

    // An honest rotation keeps the first hybrid time.
    let since = log
        .verify()
        .unwrap()
        .state()
        .device(&device.id)
        .unwrap()
        .post_quantum_since;
    log.push(device.rotate());
    let state = log.verify().unwrap().state().clone();
    let record = state.device(&device.id).unwrap();
    assert_eq!(record.post_quantum_since, since);
    assert_eq!(record.pq_recipient, device.pq());
}

#[test]
fn the_grace_covers_a_rotation_or_a_revocation_the_sender_had_not_seen_yet() {
    let caseworker = Dev::new("covic-intake", true);
    let member = Dev::new("shinjuku-iea", true);
    let straggler = Dev::new("shinjuku-iea", false);
    let mut log = Log::new();
    log.push(desk("covic-intake"))
        .push(desk("shinjuku-iea"))
        .push(caseworker.enrolled())
        .push(member.enrolled());
    let (from, to) = (desk_id("covic-intake"), desk_id("shinjuku-iea"));
    let enrolled_at = log.entries.last().unwrap().time;

    // Devices enrolled with hybrid keys never had classic ones: a classic
    // packet a second later is already a downgrade.
    let verified = log.verify().unwrap();
    assert_eq!(
        verified.state().classic_packet(&from, &to, enrolled_at + 1),
        ClassicPacket::Downgrade
    );

    // A classic device joins, then is revoked: within the grace after the
    // revocation a classic packet is believed (its sender may not have seen
    // it), after it not.
    log.push(straggler.enrolled());
    let revoked_at = log.entries.last().unwrap().time + HOUR;
    log.push_at(
        revoked_at,
        Statement::DeviceRevoked {
            device: straggler.id,
        },
    );
    let verified = log.verify().unwrap();
    let state = verified.state();
    assert_eq!(
        state.classic_packet(&from, &to, revoked_at - 60),
        ClassicPacket::Allowed,
        "before the revocation"
    );
    assert_eq!(
        state.classic_packet(&from, &to, revoked_at + RETIRED_KEY_GRACE_SECS),
        ClassicPacket::Allowed,
        "within the grace"
    );
    assert_eq!(
        state.classic_packet(&from, &to, revoked_at + RETIRED_KEY_GRACE_SECS + 1),
        ClassicPacket::Downgrade,
        "after the grace"
    );
}
