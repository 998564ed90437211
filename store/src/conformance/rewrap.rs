//! Rewrapping a pending packet (ADR 0004) and the `admin stats` counts.

use bytes::Bytes;
use referral_protocol::ThreadId;

use super::{HOUR, T0, create_desks, desk_id, packet, put, read_all};
use crate::{
    AckOutcome, DeliveryState, PacketBody, PacketKind, PutOutcome, RewrapOutcome, RewrapPacket,
    Store, ThreadStat, ThreadStatus, WEEK, body::CHUNK_BYTES, week_start,
};

pub(super) async fn rewrap(store: &dyn Store) {
    let (from, to) = ("covic-intake", "shinjuku-iea");
    // Larger than a chunk, so the replacement spans several chunk rows.
    let old: Vec<u8> = (0..CHUNK_BYTES + CHUNK_BYTES / 3)
        .map(|i| (i % 253) as u8)
        .collect();
    let mut new = old.clone();
    new[..64].copy_from_slice(&[0x42; 64]);
    let p = packet(from, to, PacketKind::Referral, ThreadId::random(), &old);
    let PutOutcome::Stored(meta) = put(store, p.clone(), &old).await else {
        panic!("stored");
    };
    let request = |desk: &str, replaces: [u8; 32], bytes: &[u8]| RewrapPacket {
        id: p.id,
        desk: desk_id(desk),
        replaces,
        sha256: referral_protocol::envelope::sha256(bytes),
        bytes: bytes.len() as u64,
    };
    let body = |bytes: &[u8]| PacketBody::Memory(Bytes::copy_from_slice(bytes));
    let rewrap = |r: RewrapPacket, b: PacketBody| async move {
        store.rewrap_packet(r, b).await.expect("rewrap_packet")
    };

    // Refusals: another desk (the sender included), a stale hash, another
    // length. None changes a byte.
    for desk in [from, "minato-ngo"] {
        assert_eq!(
            rewrap(request(desk, p.sha256, &new), body(&new)).await,
            RewrapOutcome::NotFound
        );
    }
    assert_eq!(
        rewrap(request(to, [0; 32], &new), body(&new)).await,
        RewrapOutcome::Stale
    );
    let short = &new[..new.len() - 1];
    assert_eq!(
        rewrap(request(to, p.sha256, short), body(short)).await,
        RewrapOutcome::Stale
    );
    assert_eq!(read_all(store, &p.id).await, old);
    assert_eq!(store.packet(&p.id).await.unwrap(), Some(meta.clone()));

    let outcome = rewrap(request(to, p.sha256, &new), body(&new)).await;
    let new_sha = referral_protocol::envelope::sha256(&new);
    let expected = crate::PacketMeta {
        sha256: new_sha,
        ..meta.clone()
    };
    assert_eq!(outcome, RewrapOutcome::Rewrapped(expected.clone()));
    assert_eq!(read_all(store, &p.id).await, new);
    assert_eq!(store.packet(&p.id).await.unwrap(), Some(expected));
    assert_eq!(
        rewrap(request(to, p.sha256, &new), body(&new)).await,
        RewrapOutcome::Stale,
        "the old hash no longer names what is stored"
    );

    assert_eq!(
        store.ack(&p.id, &desk_id(to), T0).await.unwrap(),
        AckOutcome::Acknowledged
    );
    assert_eq!(
        rewrap(request(to, new_sha, &new), body(&new)).await,
        RewrapOutcome::NotPending(DeliveryState::Acknowledged)
    );
}

pub(super) async fn thread_stats(store: &dyn Store) {
    // A desk of its own, so the rows are exactly the threads made here.
    create_desks(store, &["stats-desk"]).await;
    let from = "covic-intake";
    let hour = |t: i64| t - t.rem_euclid(HOUR);
    let this_week = hour(T0);
    let later = hour(T0 + WEEK + 2 * 24 * HOUR);
    let mut opened = Vec::new();
    for at in [this_week, this_week, later] {
        let mut p = packet(
            from,
            "stats-desk",
            PacketKind::Referral,
            ThreadId::random(),
            b"x",
        );
        p.received_hour = at;
        assert!(matches!(
            put(store, p.clone(), b"x").await,
            PutOutcome::Stored(_)
        ));
        opened.push(p);
    }
    // Acknowledged after T0, like every other ack of the suite, so that
    // `purge_and_tombstones` knows what its purges may take.
    store
        .ack(&opened[0].id, &desk_id("stats-desk"), T0 + HOUR)
        .await
        .unwrap();

    let rows: Vec<ThreadStat> = store
        .thread_stats()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.desk.as_str() == "stats-desk")
        .collect();
    let row = |status, week, threads| ThreadStat {
        desk: desk_id("stats-desk"),
        status,
        week_start: week,
        threads,
    };
    assert_eq!(
        rows,
        [
            row(ThreadStatus::Sent, week_start(this_week), 1),
            row(ThreadStatus::Received, week_start(this_week), 1),
            row(ThreadStatus::Sent, week_start(later), 1),
        ],
        "by desk, week, then status in lifecycle order"
    );
    assert!(rows.iter().all(|r| r.week_start % (24 * HOUR) == 0));

    // Every row names a desk, a status and a Monday: never a thread.
    let all = store.thread_stats().await.unwrap();
    let total: u64 = all.iter().map(|r| r.threads).sum();
    assert!(total >= 3);
    let mut sorted = all.clone();
    crate::sort_stats(&mut sorted);
    assert_eq!(all, sorted);
}
