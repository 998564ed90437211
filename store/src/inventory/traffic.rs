//! One day of traffic: logins, four referrals between desk pairs, each
//! along one path of the lifecycle (completed with a message on the way,
//! rejected, cancelled by its sender, forwarded, never read, left open),
//! a rewrap now and then, and an evening inbox round in which every desk
//! reads and acknowledges what waits for it (except the packets nobody
//! ever reads).

use bytes::Bytes;
use referral_protocol::{PacketId, ThreadId};

use super::script::{HOUR, PACKET_TTL, World, put_challenge, take_challenge};
use crate::{
    AckOutcome, NewPacket, PacketBody, PacketKind, PutOutcome, RewrapOutcome, RewrapPacket,
    ThreadStatus, UnixTime, to_hour,
};

/// Ciphertext size: the smallest published bucket is what most are.
const BODY: usize = 1024;

/// Sender and recipient desk (indices into `World::desks`) of the day's
/// four referrals.
const PAIRS: [(usize, usize); 4] = [(0, 1), (0, 2), (2, 3), (1, 3)];

/// The paths a referral takes, in turn.
#[derive(Clone, Copy)]
enum Fate {
    Completed,
    Rejected,
    Cancelled,
    Forwarded,
    NeverRead,
    Open,
}

const FATES: [Fate; 6] = [
    Fate::Completed,
    Fate::Rejected,
    Fate::Cancelled,
    Fate::Forwarded,
    Fate::NeverRead,
    Fate::Open,
];

/// Day `day` of the script, starting at `start` (midnight).
pub(super) async fn day(w: &mut World<'_>, day: i64, start: UnixTime) {
    logins(w, start + 8 * HOUR).await;
    for (i, (from, to)) in PAIRS.into_iter().enumerate() {
        let at = start + (8 + 2 * i as i64) * HOUR + 15 * 60;
        let fate = FATES[(day as usize * PAIRS.len() + i) % FATES.len()];
        referral_along(w, from, to, fate, at).await;
    }
    inbox_round(w, start + 20 * HOUR).await;
    // A login nobody finished: its challenge expires.
    let hash = w.fresh("challenge");
    let device = w.devices[0];
    put_challenge(w.store, hash, &device, start + 21 * HOUR).await;
}

/// Every active device logs in: a challenge issued and answered.
async fn logins(w: &mut World<'_>, at: UnixTime) {
    for device in w.devices.clone() {
        let hash = w.fresh("challenge");
        put_challenge(w.store, hash, &device, at).await;
        assert!(take_challenge(w.store, hash, &device, at + 2).await);
    }
}

/// Sends a referral from desk `from` to desk `to` at `at` and takes it
/// along `fate`.
async fn referral_along(w: &mut World<'_>, from: usize, to: usize, fate: Fate, at: UnixTime) {
    let thread = ThreadId::random();
    let referral = send(w, from, to, PacketKind::Referral, thread, at).await;
    let step = |n: i64| at + n * HOUR;
    let status = |s: ThreadStatus| PacketKind::Reply { status: Some(s) };
    match fate {
        Fate::NeverRead => {
            w.never_read.insert(referral);
        }
        Fate::Cancelled => {
            // While it waits, the recipient rewraps it (a device was added
            // to the desk since it was sent); then its sender cancels it.
            rewrap(w, referral, to).await;
            send(
                w,
                from,
                to,
                status(ThreadStatus::Cancelled),
                thread,
                step(1),
            )
            .await;
        }
        Fate::Completed => {
            ack(w, referral, to, step(1)).await;
            send(w, to, from, status(ThreadStatus::Accepted), thread, step(2)).await;
            // A message without a status change, from the referring desk.
            send(
                w,
                from,
                to,
                PacketKind::Reply { status: None },
                thread,
                step(3),
            )
            .await;
            send(
                w,
                to,
                from,
                status(ThreadStatus::InProgress),
                thread,
                step(4),
            )
            .await;
            send(
                w,
                to,
                from,
                status(ThreadStatus::Completed),
                thread,
                step(5),
            )
            .await;
        }
        Fate::Rejected => {
            ack(w, referral, to, step(1)).await;
            send(w, to, from, status(ThreadStatus::Rejected), thread, step(2)).await;
        }
        Fate::Forwarded => {
            ack(w, referral, to, step(1)).await;
            let third = (0..w.desks.len())
                .find(|d| *d != from && *d != to)
                .expect("a third desk");
            let forward = PacketKind::Forward { forwards: thread };
            send(w, to, third, forward, ThreadId::random(), step(2)).await;
        }
        Fate::Open => {
            ack(w, referral, to, step(1)).await;
            send(w, to, from, status(ThreadStatus::Accepted), thread, step(2)).await;
            send(
                w,
                to,
                from,
                status(ThreadStatus::InProgress),
                thread,
                step(3),
            )
            .await;
        }
    }
}

/// Stores a packet as the broker does after its checks; it must be stored.
async fn send(
    w: &mut World<'_>,
    from: usize,
    to: usize,
    kind: PacketKind,
    thread: ThreadId,
    at: UnixTime,
) -> PacketId {
    let body = body(w);
    let packet = NewPacket {
        id: PacketId::random(),
        thread_id: thread,
        sender_desk: w.desks[from].clone(),
        recipient_desk: w.desks[to].clone(),
        bytes: BODY as u64,
        sha256: referral_protocol::envelope::sha256(&body),
        kind,
        received_hour: to_hour(at),
        // As the broker counts it: from the hour of receipt.
        expires_at: to_hour(at) + PACKET_TTL,
    };
    let id = packet.id;
    let what = format!("{:?} from {from} to {to}", packet.kind);
    let outcome = w
        .store
        .put_packet(packet, PacketBody::Memory(body))
        .await
        .expect("put_packet");
    assert!(
        matches!(outcome, PutOutcome::Stored(_)),
        "{what}: {outcome:?}"
    );
    id
}

fn body(w: &mut World<'_>) -> Bytes {
    let n = w.next();
    Bytes::from(vec![(n % 251) as u8; BODY])
}

async fn ack(w: &World<'_>, id: PacketId, desk: usize, at: UnixTime) {
    let outcome = w.store.ack(&id, &w.desks[desk], at).await.expect("ack");
    assert_eq!(outcome, AckOutcome::Acknowledged);
}

/// The recipient replaces a pending packet's ciphertext with one of the
/// same length (only the age header would differ).
async fn rewrap(w: &mut World<'_>, id: PacketId, desk: usize) {
    let meta = w.store.packet(&id).await.expect("packet").expect("stored");
    let body = body(w);
    let rewrap = RewrapPacket {
        id,
        desk: w.desks[desk].clone(),
        replaces: meta.sha256,
        sha256: referral_protocol::envelope::sha256(&body),
        bytes: meta.bytes,
    };
    let outcome = w
        .store
        .rewrap_packet(rewrap, PacketBody::Memory(body))
        .await
        .expect("rewrap_packet");
    assert!(
        matches!(outcome, RewrapOutcome::Rewrapped(_)),
        "{outcome:?}"
    );
}

/// Every desk reads its inbox and acknowledges what it read.
async fn inbox_round(w: &mut World<'_>, at: UnixTime) {
    for desk in 0..w.desks.len() {
        let waiting = w.store.inbox(&w.desks[desk], 100).await.expect("inbox");
        for meta in waiting {
            if !w.never_read.contains(&meta.id) {
                ack(w, meta.id, desk, at).await;
            }
        }
    }
}
