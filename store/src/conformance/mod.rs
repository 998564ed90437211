//! The behaviour every [`Store`] must have, as one suite that each backend's
//! tests run against a fresh database. A backend passes only if it behaves
//! exactly like the others.
//!
//! The store keeps directory entries as opaque bytes (the broker verifies
//! them), so the suite appends stand-in bytes: what it checks is that each
//! entry lands at the right position together with its effect, or not at all.

mod retention;
mod rewrap;
mod trust;

use bytes::Bytes;
use referral_protocol::{DeskId, DeviceId, PacketId, SigningKey, ThreadId};

use crate::{
    AckOutcome, AppendOutcome, ChallengeKey, DeliveryState, Desk, Device, DeviceState,
    DirectoryEffect, Invite, NewEntry, NewPacket, PacketBody, PacketKind, PurgeCutoffs, PutOutcome,
    Role, Store, ThreadChanges, ThreadStatus, TokenKey, UnixTime, body::CHUNK_BYTES,
    tombstone_hash,
};

const T0: UnixTime = 1_700_000_000;
const HOUR: UnixTime = 3600;

/// Runs every check against `store`, which must be freshly migrated and empty.
pub async fn run_all(store: &dyn Store) {
    trust::bootstrap(store).await;
    trust::directory(store).await;
    trust::invites_and_enrollment(store).await;
    trust::rotation_and_revocation(store).await;
    trust::root_rotation(store).await;
    challenges(store).await;
    token_keys(store).await;
    trust::staged_token_keys(store).await;
    packets_and_threads(store).await;
    rewrap::rewrap(store).await;
    rewrap::thread_stats(store).await;
    purge_and_tombstones(store).await;
    counts(store).await;
    // Last: it makes desks of its own, which `counts` would see.
    pending_bytes_sent(store).await;
    thread_changes(store).await;
    // Last: it purges with cutoffs far past everything above.
    retention::thread_retention(store).await;
}

/// Cutoffs for a purge of packets only: no thread is old enough to go.
/// The checks written before thread retention purge with these.
pub fn packets_only(now: UnixTime, acked_before: UnixTime) -> PurgeCutoffs {
    PurgeCutoffs {
        now,
        acked_before,
        closed_before: UnixTime::MIN,
    }
}

/// Appends an entry with `effect` at the next position. The bytes stand in
/// for an entry the broker would have verified; only their position and the
/// effect matter to the store.
pub async fn append(store: &dyn Store, effect: DirectoryEffect) -> AppendOutcome {
    let seq = next_seq(store).await;
    let bytes = format!("stand-in entry {seq}").into_bytes();
    let entry = NewEntry {
        seq,
        hash: referral_protocol::envelope::sha256(&bytes),
        bytes,
        effect,
    };
    store
        .append_directory(entry)
        .await
        .expect("append_directory")
}

/// The position the next entry takes.
pub async fn next_seq(store: &dyn Store) -> u64 {
    store
        .directory_since(0)
        .await
        .expect("directory_since")
        .last()
        .map_or(0, |e| e.seq + 1)
}

/// Creates desks the only way a store creates them, by appending
/// `DeskCreated` stand-ins (for backend tests that need desks to send
/// packets between).
pub async fn create_desks(store: &dyn Store, ids: &[&str]) {
    for id in ids {
        let outcome = append(store, DirectoryEffect::CreateDesk(desk(id))).await;
        assert_eq!(outcome, AppendOutcome::Appended, "creating desk {id}");
    }
}

fn desk_id(s: &str) -> DeskId {
    s.parse().expect("test desk id")
}

pub(crate) fn desk(id: &str) -> Desk {
    Desk {
        id: desk_id(id),
        name: format!("{id} office"),
        prefecture: Some("JP-13".into()),
        languages: Some("ja,en,vi".into()),
        created_at: T0,
    }
}

fn device(desk: Option<&str>, role: Role) -> Device {
    let key = SigningKey::generate().expect("key");
    Device {
        id: DeviceId::random(),
        desk: desk.map(desk_id),
        role,
        signing_key: key.verifying_key(),
        age_recipient: EXAMPLE_RECIPIENT.parse().expect("valid age recipient"),
        state: DeviceState::Active,
        created_at: T0,
    }
}

/// The example recipient from age's README: the store never decrypts, so
/// any valid recipient serves.
const EXAMPLE_RECIPIENT: &str = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

/// A hybrid recipient for requests (ADR 0020), made once per test process:
/// its text is 1,959 characters, too long to write out.
fn example_pq_recipient() -> referral_protocol::RecipientKey {
    static KEY: std::sync::OnceLock<referral_protocol::RecipientKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| referral_protocol::AgeIdentity::generate_post_quantum().recipient())
        .clone()
}

fn packet(from: &str, to: &str, kind: PacketKind, thread: ThreadId, bytes: &[u8]) -> NewPacket {
    NewPacket {
        id: PacketId::random(),
        thread_id: thread,
        sender_desk: desk_id(from),
        recipient_desk: desk_id(to),
        bytes: bytes.len() as u64,
        sha256: referral_protocol::envelope::sha256(bytes),
        kind,
        received_hour: T0 - T0.rem_euclid(HOUR),
        expires_at: T0 + 30 * 24 * HOUR,
    }
}

async fn put(store: &dyn Store, p: NewPacket, bytes: &[u8]) -> PutOutcome {
    store
        .put_packet(p, PacketBody::Memory(Bytes::copy_from_slice(bytes)))
        .await
        .expect("put_packet")
}

async fn read_all(store: &dyn Store, id: &PacketId) -> Vec<u8> {
    let mut out = Vec::new();
    let mut seq = 0;
    while let Some(chunk) = store.packet_chunk(id, seq).await.expect("chunk") {
        assert!(chunk.len() <= CHUNK_BYTES, "chunks are at most CHUNK_BYTES");
        out.extend_from_slice(&chunk);
        seq += 1;
    }
    out
}

async fn challenges(store: &dyn Store) {
    let dev = DeviceId::random();
    let other = DeviceId::random();
    let key = |device: &DeviceId, n: u8| ChallengeKey::new(device, &[n; 32]);

    // Found only under the device it was issued to.
    store
        .put_challenge(key(&dev, 1), T0, T0 + 60)
        .await
        .unwrap();
    assert!(
        !store.take_challenge(key(&other, 1), T0).await.unwrap(),
        "another device's answer finds nothing"
    );
    assert!(store.take_challenge(key(&dev, 1), T0).await.unwrap());
    assert!(
        !store.take_challenge(key(&dev, 1), T0).await.unwrap(),
        "single use"
    );

    store
        .put_challenge(key(&dev, 3), T0, T0 + 60)
        .await
        .unwrap();
    assert!(
        !store.take_challenge(key(&dev, 3), T0 + 61).await.unwrap(),
        "expired"
    );
    assert!(
        !store.take_challenge(key(&dev, 3), T0).await.unwrap(),
        "burnt by the late try"
    );

    // Expired challenges go at the next challenge or token request, not at
    // the next purge: neither answers for them afterwards, even at a time
    // before their expiry.
    store
        .put_challenge(key(&dev, 4), T0, T0 + 60)
        .await
        .unwrap();
    store
        .put_challenge(key(&dev, 5), T0 + 60, T0 + 120)
        .await
        .unwrap();
    assert!(
        !store.take_challenge(key(&dev, 4), T0).await.unwrap(),
        "swept by the later challenge"
    );
    store
        .put_challenge(key(&dev, 6), T0, T0 + 60)
        .await
        .unwrap();
    assert!(!store.take_challenge(key(&dev, 7), T0 + 60).await.unwrap());
    assert!(
        !store.take_challenge(key(&dev, 6), T0).await.unwrap(),
        "swept by the later token request"
    );
    assert!(store.take_challenge(key(&dev, 5), T0 + 61).await.unwrap());

    // The broker's sweep, with no login at all: the expired one goes, the
    // live one stays.
    store
        .put_challenge(key(&dev, 8), T0, T0 + 60)
        .await
        .unwrap();
    store
        .put_challenge(key(&dev, 9), T0, T0 + 120)
        .await
        .unwrap();
    store.drop_expired_challenges(T0 + 60).await.unwrap();
    assert!(
        !store.take_challenge(key(&dev, 8), T0).await.unwrap(),
        "swept"
    );
    assert!(store.take_challenge(key(&dev, 9), T0).await.unwrap());
}

async fn token_keys(store: &dyn Store) {
    assert!(store.token_keys().await.unwrap().is_empty());
    let k1 = SigningKey::generate().unwrap();
    let key1 = TokenKey {
        kid: "k1".into(),
        pkcs8: secrecy::SecretSlice::from(
            secrecy::ExposeSecret::expose_secret(k1.pkcs8()).to_vec(),
        ),
        public: k1.verifying_key(),
        created_at: T0,
        retired_at: None,
    };
    store.rotate_token_key(&key1).await.unwrap();
    let k2 = SigningKey::generate().unwrap();
    let key2 = TokenKey {
        kid: "k2".into(),
        pkcs8: secrecy::SecretSlice::from(
            secrecy::ExposeSecret::expose_secret(k2.pkcs8()).to_vec(),
        ),
        public: k2.verifying_key(),
        created_at: T0 + HOUR,
        retired_at: None,
    };
    store.rotate_token_key(&key2).await.unwrap();
    let keys = store.token_keys().await.unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(
        (keys[0].kid.as_str(), keys[0].retired_at),
        ("k2", None),
        "newest first"
    );
    assert_eq!(
        (keys[1].kid.as_str(), keys[1].retired_at),
        ("k1", Some(T0 + HOUR))
    );
    assert_eq!(keys[1].public, k1.verifying_key());
    let reloaded = SigningKey::from_pkcs8(secrecy::ExposeSecret::expose_secret(&keys[0].pkcs8))
        .expect("stored PKCS#8 loads");
    assert_eq!(reloaded.verifying_key(), k2.verifying_key());
}

async fn packets_and_threads(store: &dyn Store) {
    let intake = "covic-intake";
    let iea = "shinjuku-iea";
    create_desks(store, &["minato-ngo"]).await;

    // A referral opens a thread.
    let t1 = ThreadId::random();
    let body1 = vec![0xa1u8; 8192];
    let p1 = packet(intake, iea, PacketKind::Referral, t1, &body1);
    let PutOutcome::Stored(meta1) = put(store, p1.clone(), &body1).await else {
        panic!("first put must store");
    };
    assert_eq!(meta1.delivery, DeliveryState::Pending);
    assert_eq!(meta1.bytes, 8192);
    assert_eq!(store.packet(&p1.id).await.unwrap(), Some(meta1.clone()));
    assert_eq!(read_all(store, &p1.id).await, body1);
    let th = store.thread(&t1).await.unwrap().unwrap();
    assert_eq!((th.status, th.events.len()), (ThreadStatus::Sent, 1));
    assert_eq!(th.sender_desk.as_str(), intake);

    // Idempotency: same id and bytes → the same answer; other bytes → conflict.
    assert_eq!(
        put(store, p1.clone(), &body1).await,
        PutOutcome::Duplicate(meta1.clone())
    );
    let mut other = p1.clone();
    let body_other = vec![0xa2u8; 8192];
    other.sha256 = referral_protocol::envelope::sha256(&body_other);
    assert_eq!(put(store, other, &body_other).await, PutOutcome::Conflict);
    let mut hijack = p1.clone();
    hijack.sender_desk = desk_id("minato-ngo");
    assert_eq!(
        put(store, hijack, &body1).await,
        PutOutcome::Conflict,
        "same id, other desk"
    );
    assert_eq!(
        read_all(store, &p1.id).await,
        body1,
        "refusals change nothing"
    );
    assert_eq!(store.thread(&t1).await.unwrap().unwrap().events.len(), 1);

    // Refusals.
    let nowhere = packet(
        intake,
        "nowhere-desk",
        PacketKind::Referral,
        ThreadId::random(),
        &body1,
    );
    assert_eq!(
        put(store, nowhere.clone(), &body1).await,
        PutOutcome::UnknownDesk
    );
    assert_eq!(store.packet(&nowhere.id).await.unwrap(), None);
    let reuse = packet(intake, iea, PacketKind::Referral, t1, &body1);
    assert_eq!(
        put(store, reuse.clone(), &body1).await,
        PutOutcome::ThreadExists
    );
    assert_eq!(store.packet(&reuse.id).await.unwrap(), None);

    // A large body is chunked and reassembled exactly.
    let big: Vec<u8> = (0..(2 * CHUNK_BYTES + CHUNK_BYTES / 2))
        .map(|i| (i % 251) as u8)
        .collect();
    let mut p2 = packet(intake, iea, PacketKind::Referral, ThreadId::random(), &big);
    p2.received_hour += HOUR;
    let spool = tempfile::tempfile().unwrap();
    std::io::Write::write_all(&mut &spool, &big).unwrap();
    std::io::Seek::rewind(&mut &spool).unwrap();
    let outcome = store
        .put_packet(
            p2.clone(),
            PacketBody::Spooled {
                file: tokio::fs::File::from_std(spool),
                len: big.len() as u64,
            },
        )
        .await
        .unwrap();
    assert!(matches!(outcome, PutOutcome::Stored(_)));
    assert_eq!(read_all(store, &p2.id).await, big);
    assert!(store.packet_chunk(&p2.id, 3).await.unwrap().is_none());

    // Inbox: the addressed desk's pending packets, oldest first; nobody else's.
    let inbox: Vec<PacketId> = store
        .inbox(&desk_id(iea), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(inbox, vec![p1.id, p2.id]);
    assert!(store.inbox(&desk_id(intake), 100).await.unwrap().is_empty());
    assert_eq!(
        store.inbox(&desk_id(iea), 1).await.unwrap().len(),
        1,
        "limit"
    );

    // Ack: only the addressed desk; idempotent; the thread becomes received.
    assert_eq!(
        store.ack(&p1.id, &desk_id(intake), T0).await.unwrap(),
        AckOutcome::NotFound
    );
    assert_eq!(
        store
            .ack(&PacketId::random(), &desk_id(iea), T0)
            .await
            .unwrap(),
        AckOutcome::NotFound
    );
    assert_eq!(
        store.ack(&p1.id, &desk_id(iea), T0 + 10).await.unwrap(),
        AckOutcome::Acknowledged
    );
    assert_eq!(
        store.ack(&p1.id, &desk_id(iea), T0 + 20).await.unwrap(),
        AckOutcome::Acknowledged
    );
    assert_eq!(
        store.packet(&p1.id).await.unwrap().unwrap().delivery,
        DeliveryState::Acknowledged
    );
    let th = store.thread(&t1).await.unwrap().unwrap();
    assert_eq!(th.status, ThreadStatus::Received);
    assert_eq!(th.events.len(), 2, "a repeated ack adds no event");
    let inbox: Vec<PacketId> = store
        .inbox(&desk_id(iea), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(inbox, vec![p2.id]);

    // Replies move the thread, by the right party only.
    let reply = |from: &str, to: &str, status: Option<ThreadStatus>| {
        packet(from, to, PacketKind::Reply { status }, t1, b"reply")
    };
    let wrong_party = reply(intake, iea, Some(ThreadStatus::Accepted));
    assert_eq!(
        put(store, wrong_party.clone(), b"reply").await,
        PutOutcome::IllegalTransition {
            from: ThreadStatus::Received,
            to: ThreadStatus::Accepted
        }
    );
    assert_eq!(store.packet(&wrong_party.id).await.unwrap(), None);
    let outsider = reply("minato-ngo", iea, Some(ThreadStatus::Cancelled));
    assert_eq!(
        put(store, outsider, b"reply").await,
        PutOutcome::UnknownThread
    );
    let mut stray = reply(iea, intake, Some(ThreadStatus::Accepted));
    stray.thread_id = ThreadId::random();
    assert_eq!(put(store, stray, b"reply").await, PutOutcome::UnknownThread);
    let misaddressed = reply(iea, "minato-ngo", Some(ThreadStatus::Accepted));
    assert_eq!(
        put(store, misaddressed, b"reply").await,
        PutOutcome::UnknownThread
    );

    for status in [ThreadStatus::Accepted, ThreadStatus::InProgress] {
        let r = reply(iea, intake, Some(status));
        assert!(
            matches!(put(store, r, b"reply").await, PutOutcome::Stored(_)),
            "{status}"
        );
    }
    let note = reply(intake, iea, None);
    assert!(
        matches!(put(store, note, b"reply").await, PutOutcome::Stored(_)),
        "a message without a status change"
    );
    let done = reply(iea, intake, Some(ThreadStatus::Completed));
    assert!(matches!(
        put(store, done, b"reply").await,
        PutOutcome::Stored(_)
    ));
    let late_cancel = reply(intake, iea, Some(ThreadStatus::Cancelled));
    assert_eq!(
        put(store, late_cancel, b"reply").await,
        PutOutcome::IllegalTransition {
            from: ThreadStatus::Completed,
            to: ThreadStatus::Cancelled
        }
    );
    let th = store.thread(&t1).await.unwrap().unwrap();
    let statuses: Vec<ThreadStatus> = th.events.iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        [
            ThreadStatus::Sent,
            ThreadStatus::Received,
            ThreadStatus::Accepted,
            ThreadStatus::InProgress,
            ThreadStatus::Completed
        ]
    );
    assert!(
        th.events.iter().all(|e| e.at_hour % HOUR == 0),
        "event times are whole hours"
    );
    // The three stored replies to the intake desk (accepted, in_progress,
    // completed) wait in its inbox; the note went the other way, and every
    // refused reply left nothing.
    assert_eq!(store.inbox(&desk_id(intake), 100).await.unwrap().len(), 3);

    // Forward: the addressed desk passes a received case on.
    let t3 = ThreadId::random();
    let p3 = packet(intake, iea, PacketKind::Referral, t3, b"third");
    put(store, p3.clone(), b"third").await;
    store.ack(&p3.id, &desk_id(iea), T0).await.unwrap();
    let mut fwd = packet(
        iea,
        "minato-ngo",
        PacketKind::Forward {
            forwards: ThreadId::random(),
        },
        ThreadId::random(),
        b"fwd",
    );
    assert_eq!(
        put(store, fwd.clone(), b"fwd").await,
        PutOutcome::UnknownThread
    );
    fwd.kind = PacketKind::Forward { forwards: t3 };
    assert!(matches!(
        put(store, fwd.clone(), b"fwd").await,
        PutOutcome::Stored(_)
    ));
    assert_eq!(
        store.thread(&t3).await.unwrap().unwrap().status,
        ThreadStatus::Forwarded
    );
    let t4 = store.thread(&fwd.thread_id).await.unwrap().unwrap();
    assert_eq!(
        (t4.status, t4.sender_desk.as_str()),
        (ThreadStatus::Sent, iea)
    );
    let fwd_again = packet(
        iea,
        "minato-ngo",
        PacketKind::Forward { forwards: t3 },
        ThreadId::random(),
        b"f2",
    );
    assert_eq!(
        put(store, fwd_again, b"f2").await,
        PutOutcome::IllegalTransition {
            from: ThreadStatus::Forwarded,
            to: ThreadStatus::Forwarded
        }
    );
}

async fn purge_and_tombstones(store: &dyn Store) {
    let from = "covic-intake";
    let to = "minato-ngo";
    // One packet acknowledged, one left unread past its expiry.
    let t_read = ThreadId::random();
    let read = packet(from, to, PacketKind::Referral, t_read, b"read me");
    put(store, read.clone(), b"read me").await;
    store.ack(&read.id, &desk_id(to), T0 + HOUR).await.unwrap();
    let t_unread = ThreadId::random();
    let mut unread = packet(from, to, PacketKind::Referral, t_unread, b"nobody reads me");
    unread.expires_at = T0 + 2 * HOUR;
    put(store, unread.clone(), b"nobody reads me").await;

    // Before the grace period ends and before expiry: nothing goes.
    let report = store.purge(packets_only(T0 + HOUR, T0)).await.unwrap();
    assert_eq!((report.purged, report.expired), (0, 0));
    assert_eq!(read_all(store, &read.id).await, b"read me");

    // After expiry: the unread one's ciphertext goes, its sender sees expired.
    let report = store.purge(packets_only(T0 + 3 * HOUR, T0)).await.unwrap();
    assert_eq!((report.purged, report.expired), (0, 1));
    assert!(store.packet_chunk(&unread.id, 0).await.unwrap().is_none());
    assert_eq!(
        store.packet(&unread.id).await.unwrap().unwrap().delivery,
        DeliveryState::Expired
    );
    assert_eq!(
        store.thread(&t_unread).await.unwrap().unwrap().status,
        ThreadStatus::Expired
    );
    assert!(
        !store
            .inbox(&desk_id(to), 100)
            .await
            .unwrap()
            .iter()
            .any(|m| m.id == unread.id)
    );
    assert_eq!(
        store
            .ack(&unread.id, &desk_id(to), T0 + 3 * HOUR)
            .await
            .unwrap(),
        AckOutcome::Expired
    );
    assert_eq!(store.counts().await.unwrap().expired_packets, 1);

    // After the grace period: the acknowledged one goes, leaving a tombstone,
    // and so does every packet acknowledged earlier in the suite (all before
    // T0 + 8h: two in `packets_and_threads`), so count them first.
    let acknowledged = store.counts().await.unwrap().acknowledged_packets;
    assert!(acknowledged >= 1);
    let report = store
        .purge(packets_only(T0 + 9 * HOUR, T0 + 8 * HOUR))
        .await
        .unwrap();
    assert_eq!(report.purged, acknowledged);
    assert_eq!(store.counts().await.unwrap().acknowledged_packets, 0);
    assert_eq!(store.packet(&read.id).await.unwrap(), None);
    assert!(store.packet_chunk(&read.id, 0).await.unwrap().is_none());
    assert_eq!(
        put(store, read.clone(), b"read me").await,
        PutOutcome::Gone,
        "replay refused"
    );
    assert_eq!(
        store.packet(&read.id).await.unwrap(),
        None,
        "and not stored again"
    );
    let _ = tombstone_hash(&read.id);
    // The thread's history outlives the ciphertext.
    assert_eq!(
        store.thread(&t_read).await.unwrap().unwrap().status,
        ThreadStatus::Received
    );

    // Expired invites go too. The trait has no way to read an expired
    // invite, but a second invite with the same hash can be stored only
    // once the first row is gone.
    let expiring = Invite {
        code_hash: [0x1e; 32],
        desk: desk_id(to),
        role: Role::Desk,
        created_at: T0,
        expires_at: T0 + 10 * HOUR,
    };
    store.create_invite(&expiring).await.unwrap();
    store
        .purge(packets_only(T0 + 10 * HOUR - 1, T0 + 8 * HOUR))
        .await
        .unwrap();
    assert!(
        store.create_invite(&expiring).await.is_err(),
        "kept until it expires"
    );
    store
        .purge(packets_only(T0 + 10 * HOUR, T0 + 8 * HOUR))
        .await
        .unwrap();
    store.create_invite(&expiring).await.unwrap();
}

async fn counts(store: &dyn Store) {
    let c = store.counts().await.unwrap();
    // covic-intake, shinjuku-iea, minato-ngo and stats-desk.
    assert_eq!(c.desks, 4);
    // The root admin and the two desk members enrolled along the way; the
    // caseworker was revoked.
    assert_eq!(c.active_devices, 3);
    assert!(c.pending_packets >= 1);
    assert!(c.stored_bytes > 0);
    // One packet expired unread in `purge_and_tombstones`, and a later purge
    // removed its row.
    assert_eq!(c.expired_packets, 0);
}

/// What the per-desk cap counts (issue 14, item 6): the sizes of the
/// packets a desk sent that are still pending, nothing else.
async fn pending_bytes_sent(store: &dyn Store) {
    create_desks(store, &["cap-sender", "cap-other", "cap-recipient"]).await;
    let (from, other, to) = (
        desk_id("cap-sender"),
        desk_id("cap-other"),
        desk_id("cap-recipient"),
    );
    assert_eq!(store.pending_bytes_sent(&from).await.unwrap(), 0);

    let first = vec![1u8; 4096];
    let second = vec![2u8; CHUNK_BYTES + 8192];
    let mut expiring = packet(
        "cap-sender",
        "cap-recipient",
        PacketKind::Referral,
        ThreadId::random(),
        &first,
    );
    expiring.expires_at = T0 + 2 * HOUR;
    put(store, expiring.clone(), &first).await;
    let acked = packet(
        "cap-sender",
        "cap-recipient",
        PacketKind::Referral,
        ThreadId::random(),
        &second,
    );
    put(store, acked.clone(), &second).await;
    // Another desk's packets, and packets *to* the sender, count for it not.
    let theirs = packet(
        "cap-other",
        "cap-sender",
        PacketKind::Referral,
        ThreadId::random(),
        &first,
    );
    put(store, theirs, &first).await;
    let both = (first.len() + second.len()) as u64;
    assert_eq!(store.pending_bytes_sent(&from).await.unwrap(), both);
    assert_eq!(
        store.pending_bytes_sent(&other).await.unwrap(),
        first.len() as u64
    );
    assert_eq!(store.pending_bytes_sent(&to).await.unwrap(), 0);

    // A retry of a stored packet adds nothing.
    put(store, acked.clone(), &second).await;
    assert_eq!(store.pending_bytes_sent(&from).await.unwrap(), both);

    // Acknowledged, or expired: no longer pending.
    store.ack(&acked.id, &to, T0 + HOUR).await.unwrap();
    assert_eq!(
        store.pending_bytes_sent(&from).await.unwrap(),
        first.len() as u64
    );
    store
        .purge(packets_only(T0 + 3 * HOUR, T0 - HOUR))
        .await
        .unwrap();
    assert_eq!(store.pending_bytes_sent(&from).await.unwrap(), 0);
}

/// "My desk's threads changed since N" (ADR 0014): only the desk's own
/// threads, each once at its last change, a cursor that moves with every
/// change (a reply without a status and an acknowledgement included),
/// bounded pages, and a refusal changes nothing.
async fn thread_changes(store: &dyn Store) {
    create_desks(store, &["chg-sender", "chg-desk", "chg-third"]).await;
    let (a, b, c) = (
        desk_id("chg-sender"),
        desk_id("chg-desk"),
        desk_id("chg-third"),
    );
    let changed = |desk: DeskId, after: u64, limit: u32| async move {
        store
            .threads_changed_since(&desk, after, limit)
            .await
            .expect("threads_changed_since")
    };
    let ids = |page: &ThreadChanges| page.threads.iter().map(|(_, t)| t.id).collect::<Vec<_>>();

    let start = changed(a.clone(), 0, 100).await.head;
    let t1 = ThreadId::random();
    let t2 = ThreadId::random();
    let p1 = packet("chg-sender", "chg-desk", PacketKind::Referral, t1, b"one");
    put(store, p1.clone(), b"one").await;
    put(
        store,
        packet("chg-sender", "chg-desk", PacketKind::Referral, t2, b"two"),
        b"two",
    )
    .await;

    // Both parties see both threads, in the order of their changes; the
    // third desk sees none of them.
    let page = changed(a.clone(), start, 100).await;
    assert_eq!(ids(&page), vec![t1, t2]);
    assert!(!page.more);
    assert!(page.head > start);
    assert_eq!(page.threads[1].0, page.head, "the last change is the head");
    assert_eq!(ids(&changed(b.clone(), start, 100).await), vec![t1, t2]);
    assert!(changed(c.clone(), start, 100).await.threads.is_empty());
    assert!(changed(c.clone(), 0, 100).await.threads.is_empty());
    // Each thread as `thread` gives it.
    let (_, listed) = &page.threads[0];
    assert_eq!(Some(listed), store.thread(&t1).await.unwrap().as_ref());

    // Bounded pages, each continuing after the last one listed.
    let first = changed(a.clone(), start, 1).await;
    assert_eq!((ids(&first), first.more), (vec![t1], true));
    let second = changed(a.clone(), first.threads[0].0, 1).await;
    assert_eq!((ids(&second), second.more), (vec![t2], false));
    let capped = store.threads_changed_since(&a, 0, u32::MAX).await.unwrap();
    assert!(capped.threads.len() <= crate::THREAD_CHANGES_PAGE_MAX as usize);

    // Every change moves the thread to the end: the acknowledgement, a reply
    // with a status, and a note without one.
    let cursor = page.head;
    assert!(changed(a.clone(), cursor, 100).await.threads.is_empty());
    store.ack(&p1.id, &b, T0).await.unwrap();
    let after_ack = changed(a.clone(), cursor, 100).await;
    assert_eq!(ids(&after_ack), vec![t1]);
    assert_eq!(after_ack.threads[0].1.status, ThreadStatus::Received);
    let accept = packet(
        "chg-desk",
        "chg-sender",
        PacketKind::Reply {
            status: Some(ThreadStatus::Accepted),
        },
        t1,
        b"ok",
    );
    put(store, accept, b"ok").await;
    let cursor = after_ack.head;
    let after_reply = changed(a.clone(), cursor, 100).await;
    assert_eq!(ids(&after_reply), vec![t1]);
    assert_eq!(after_reply.threads[0].1.status, ThreadStatus::Accepted);
    let note = packet(
        "chg-sender",
        "chg-desk",
        PacketKind::Reply { status: None },
        t2,
        b"note",
    );
    put(store, note, b"note").await;
    let after_note = changed(b.clone(), after_reply.head, 100).await;
    assert_eq!(ids(&after_note), vec![t2]);

    // A refused send changes nothing, not even the head.
    let head = after_note.head;
    let outsider = packet(
        "chg-third",
        "chg-desk",
        PacketKind::Reply { status: None },
        t1,
        b"x",
    );
    assert_eq!(put(store, outsider, b"x").await, PutOutcome::UnknownThread);
    assert_eq!(changed(a.clone(), 0, 100).await.head, head);
    assert!(changed(a, head, 100).await.threads.is_empty());
}
