//! Thread retention (ADR 0019 §1): which threads the purge deletes, what
//! it keeps of them, and that a deleted thread's number and id cannot come
//! back.

use referral_protocol::ThreadId;

use super::{HOUR, T0, desk_id, packet, put};
use crate::{PacketKind, PurgeCutoffs, PutOutcome, Store, ThreadStatus};

const DAY: i64 = 24 * HOUR;

/// Sends a referral from `ret-sender` to `ret-desk` at `at`, has it
/// acknowledged, and has the desk reply with each of `statuses` at `at`;
/// the intake acknowledges each reply, so no packet stays pending.
async fn case(store: &dyn Store, at: i64, statuses: &[ThreadStatus]) -> ThreadId {
    let (from, to) = ("ret-sender", "ret-desk");
    let id = ThreadId::random();
    let mut referral = packet(from, to, PacketKind::Referral, id, b"case");
    referral.received_hour = at;
    referral.expires_at = at + 30 * DAY;
    assert!(matches!(
        put(store, referral.clone(), b"case").await,
        PutOutcome::Stored(_)
    ));
    store.ack(&referral.id, &desk_id(to), at).await.unwrap();
    for &status in statuses {
        let mut reply = packet(
            to,
            from,
            PacketKind::Reply {
                status: Some(status),
            },
            id,
            b"r",
        );
        reply.received_hour = at;
        reply.expires_at = at + 30 * DAY;
        assert!(
            matches!(put(store, reply.clone(), b"r").await, PutOutcome::Stored(_)),
            "{status}"
        );
        store.ack(&reply.id, &desk_id(from), at).await.unwrap();
    }
    id
}

pub(super) async fn thread_retention(store: &dyn Store) {
    super::create_desks(store, &["ret-sender", "ret-desk"]).await;
    let (a, b) = (desk_id("ret-sender"), desk_id("ret-desk"));
    // Grace a day, retention 30 days, at 60 days: every packet acknowledged
    // here is gone, and a thread closed on day 0 may go, one closed on day
    // 40 may not.
    let cutoffs = PurgeCutoffs {
        now: T0 + 60 * DAY,
        acked_before: T0 + 59 * DAY,
        closed_before: T0 + 30 * DAY,
    };
    // First, whatever the rest of the suite left that these cutoffs take,
    // so that the counts below are this check's own.
    store.purge(cutoffs).await.unwrap();

    let done = [
        ThreadStatus::Accepted,
        ThreadStatus::InProgress,
        ThreadStatus::Completed,
    ];
    let recent = case(store, T0 - T0 % HOUR + 40 * DAY, &done).await;
    let open = case(store, T0 - T0 % HOUR, &[ThreadStatus::Accepted]).await;
    // Closed long ago, but its last reply is still unread.
    let held = case(store, T0 - T0 % HOUR, &[ThreadStatus::Rejected]).await;
    let mut unread = packet(
        "ret-desk",
        "ret-sender",
        PacketKind::Reply { status: None },
        held,
        b"late",
    );
    unread.expires_at = T0 + 1000 * DAY;
    put(store, unread.clone(), b"late").await;
    // Last, so that it holds the highest change number.
    let old = case(store, T0 - T0 % HOUR, &done).await;

    let stats = store.thread_stats().await.unwrap();
    let head = store.threads_changed_since(&a, 0, 1).await.unwrap().head;
    let listed = store.threads_changed_since(&a, head - 1, 10).await.unwrap();
    assert_eq!(
        listed.threads.iter().map(|(_, t)| t.id).collect::<Vec<_>>(),
        vec![old],
        "the thread to be deleted holds the highest number"
    );

    let report = store.purge(cutoffs).await.unwrap();
    assert_eq!(
        report.threads_deleted, 1,
        "only the old, closed, drained one"
    );
    assert_eq!(store.thread(&old).await.unwrap(), None);
    for kept in [recent, open, held] {
        assert!(store.thread(&kept).await.unwrap().is_some());
    }
    assert_eq!(
        store.thread_stats().await.unwrap(),
        stats,
        "admin stats counts a deleted thread as before"
    );
    assert!(
        store
            .threads_changed_since(&a, 0, 100)
            .await
            .unwrap()
            .threads
            .iter()
            .all(|(_, t)| t.id != old),
        "the change feed no longer names it"
    );

    // Its id is refused like one that never existed, and the refusal
    // changes nothing.
    let late = packet(
        "ret-desk",
        "ret-sender",
        PacketKind::Reply { status: None },
        old,
        b"too late",
    );
    assert_eq!(
        put(store, late.clone(), b"too late").await,
        PutOutcome::UnknownThread
    );
    assert_eq!(store.packet(&late.id).await.unwrap(), None);
    assert_eq!(store.thread(&old).await.unwrap(), None);
    assert_eq!(store.thread_stats().await.unwrap(), stats);
    let after = store.threads_changed_since(&a, head, 100).await.unwrap();
    assert!(after.threads.is_empty());
    assert!(after.head <= head);

    // The next change gets a number the deleted thread never had: a client
    // whose cursor saw that number still sees it.
    let note = packet(
        "ret-sender",
        "ret-desk",
        PacketKind::Reply { status: None },
        open,
        b"note",
    );
    assert!(matches!(
        put(store, note, b"note").await,
        PutOutcome::Stored(_)
    ));
    let next = store.threads_changed_since(&b, head, 100).await.unwrap();
    assert_eq!(
        next.threads.iter().map(|(_, t)| t.id).collect::<Vec<_>>(),
        vec![open]
    );
    assert!(next.threads[0].0 > head);

    // A purge that finds nothing more deletes nothing and counts nothing.
    assert_eq!(store.purge(cutoffs).await.unwrap().threads_deleted, 0);
    assert_eq!(store.thread_stats().await.unwrap(), stats);
}
