//! The PostgreSQL store against a real server: one fresh database per test
//! (see `referral_store::postgres::test_support`). Outside CI an unreachable
//! server skips these tests with a banner on stderr; in CI it fails them.

use std::sync::Arc;

use bytes::Bytes;
use referral_protocol::{DeskId, DeviceId, PacketId, RequestId, SigningKey, ThreadId};
use referral_store::postgres::PostgresStore;
use referral_store::postgres::test_support::FreshDatabase;
use referral_store::{
    AckOutcome, AppendOutcome, Desk, DirectoryEffect, EnrollOutcome, Invite, NewEntry, NewPacket,
    PacketBody, PacketKind, PutOutcome, Request, RequestSignatures, Role, Store, StoreError,
    ThreadStatus, UnixTime, body::CHUNK_BYTES, conformance, inventory,
};
use sqlx::Connection;
use sqlx::postgres::PgConnection;

const T0: UnixTime = 1_700_000_000;
const HOUR: UnixTime = 3600;

fn desk_id(s: &str) -> DeskId {
    s.parse().unwrap()
}

/// Desks come only from directory entries (stand-ins here: the store keeps
/// entries opaque).
async fn with_desks(store: &PostgresStore) {
    conformance::create_desks(store, &["covic-intake", "shinjuku-iea"]).await;
}

fn referral(body: &[u8]) -> NewPacket {
    NewPacket {
        id: PacketId::random(),
        thread_id: ThreadId::random(),
        sender_desk: desk_id("covic-intake"),
        recipient_desk: desk_id("shinjuku-iea"),
        bytes: body.len() as u64,
        sha256: referral_protocol::envelope::sha256(body),
        kind: PacketKind::Referral,
        received_hour: T0 - T0.rem_euclid(HOUR),
        expires_at: T0 + 30 * 24 * HOUR,
    }
}

fn memory(body: &[u8]) -> PacketBody {
    PacketBody::Memory(Bytes::copy_from_slice(body))
}

/// A body of several chunks, so chunk handling is really exercised.
fn big_body() -> Vec<u8> {
    (0..(CHUNK_BYTES * 2 + 17))
        .map(|i| (i % 253) as u8)
        .collect()
}

async fn read_all(store: &dyn Store, id: &PacketId) -> Vec<u8> {
    let mut out = Vec::new();
    let mut seq = 0;
    while let Some(chunk) = store.packet_chunk(id, seq).await.unwrap() {
        out.extend_from_slice(&chunk);
        seq += 1;
    }
    out
}

/// A plain connection for looking at the tables directly.
async fn raw(db: &FreshDatabase) -> PgConnection {
    PgConnection::connect(db.url()).await.unwrap()
}

async fn chunk_rows(conn: &mut PgConnection, id: &PacketId) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM packet_chunks WHERE packet_id = $1::uuid")
        .bind(id.to_string())
        .fetch_one(conn)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_suite() {
    let Some(db) = FreshDatabase::create().await else {
        return;
    };
    let store = PostgresStore::connect(db.url()).await.unwrap();
    conformance::run_all(&store).await;
    store.close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn restart_keeps_data() {
    let Some(db) = FreshDatabase::create().await else {
        return;
    };
    let body = big_body();
    let p = referral(&body);
    {
        let store = PostgresStore::connect(db.url()).await.unwrap();
        with_desks(&store).await;
        assert!(matches!(
            store.put_packet(p.clone(), memory(&body)).await.unwrap(),
            PutOutcome::Stored(_)
        ));
        store.close().await;
    }
    let store = PostgresStore::connect(db.url()).await.unwrap();
    assert_eq!(store.desks().await.unwrap().len(), 2);
    let meta = store
        .packet(&p.id)
        .await
        .unwrap()
        .expect("packet survives a restart");
    assert_eq!((meta.bytes, meta.sha256), (p.bytes, p.sha256));
    assert_eq!(read_all(&store, &p.id).await, body);
    let thread = store.thread(&p.thread_id).await.unwrap().unwrap();
    assert_eq!(
        (thread.status, thread.events.len()),
        (ThreadStatus::Sent, 1)
    );
    assert_eq!(
        store.put_packet(p.clone(), memory(&body)).await.unwrap(),
        PutOutcome::Duplicate(meta),
        "idempotency survives a restart"
    );
    store.close().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_duplicate_puts_store_once() {
    let Some(db) = FreshDatabase::create().await else {
        return;
    };
    let store = Arc::new(PostgresStore::connect(db.url()).await.unwrap());
    with_desks(&store).await;
    let body = Bytes::from(big_body());
    let p = referral(&body);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (store, p, body) = (store.clone(), p.clone(), body.clone());
            tokio::spawn(async move { store.put_packet(p, PacketBody::Memory(body)).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap().unwrap());
    }
    let stored: Vec<_> = outcomes
        .iter()
        .filter_map(|o| {
            if let PutOutcome::Stored(m) = o {
                Some(m)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(stored.len(), 1, "exactly one put stores: {outcomes:?}");
    let meta = stored[0].clone();
    for o in &outcomes {
        assert!(
            matches!(o, PutOutcome::Stored(_)) || *o == PutOutcome::Duplicate(meta.clone()),
            "the others are duplicates with the stored answer: {o:?}"
        );
    }
    assert_eq!(read_all(store.as_ref(), &p.id).await, body);
    let thread = store.thread(&p.thread_id).await.unwrap().unwrap();
    assert_eq!(thread.events.len(), 1, "one thread, opened once");
    assert_eq!(store.counts().await.unwrap().pending_packets, 1);
    store.close().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_conflicting_puts_store_one_body() {
    let Some(db) = FreshDatabase::create().await else {
        return;
    };
    let store = Arc::new(PostgresStore::connect(db.url()).await.unwrap());
    with_desks(&store).await;
    let id = PacketId::random();
    let thread = ThreadId::random();
    let tasks: Vec<_> = (0..10u8)
        .map(|i| {
            let store = store.clone();
            let body = vec![i; 4096];
            let mut p = referral(&body);
            (p.id, p.thread_id) = (id, thread);
            tokio::spawn(async move { (i, store.put_packet(p, memory(&body)).await.unwrap()) })
        })
        .collect();
    let mut winner = None;
    for task in tasks {
        match task.await.unwrap() {
            (i, PutOutcome::Stored(_)) => assert!(winner.replace(i).is_none(), "two puts stored"),
            (_, outcome) => assert_eq!(outcome, PutOutcome::Conflict),
        }
    }
    let winner = winner.expect("one put stores");
    assert_eq!(
        read_all(store.as_ref(), &id).await,
        vec![winner; 4096],
        "the winner's bytes only"
    );
    store.close().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_are_idempotent() {
    let Some(db) = FreshDatabase::create().await else {
        return;
    };
    // Two brokers starting at once, then a restart: sqlx's migration lock
    // and its version table must make every run after the first a no-op.
    let (a, b) = tokio::join!(
        PostgresStore::connect(db.url()),
        PostgresStore::connect(db.url())
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    with_desks(&a).await;
    a.close().await;
    b.close().await;
    let c = PostgresStore::connect(db.url()).await.unwrap();
    assert_eq!(
        c.desks().await.unwrap().len(),
        2,
        "re-running migrations kept the data"
    );
    c.close().await;
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut raw(&db).await)
        .await
        .unwrap();
    let files = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../migrations/postgres"
    ))
    .unwrap()
    .filter(|e| {
        e.as_ref()
            .unwrap()
            .path()
            .extension()
            .is_some_and(|x| x == "sql")
    })
    .count();
    assert_eq!(applied, files as i64, "each migration applied exactly once");
    db.cleanup().await;
}

#[tokio::test]
async fn refuses_synchronous_commit_off() {
    let Some(db) = FreshDatabase::create().await else {
        return;
    };
    // A per-database setting, so only this test's database is affected.
    let sql = format!(
        "ALTER DATABASE \"{}\" SET synchronous_commit = off",
        db.name()
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut raw(&db).await)
        .await
        .unwrap();
    match PostgresStore::connect(db.url()).await {
        Err(StoreError::Setting {
            name: "synchronous_commit",
            actual,
            ..
        }) => {
            assert_eq!(actual, "off")
        }
        other => panic!("expected a Setting error, got {other:?}"),
    }
    // The refusal happened before migrating: nothing was created.
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_one(&mut raw(&db).await)
    .await
    .unwrap();
    assert_eq!(tables, 0);
    db.cleanup().await;
}

#[tokio::test]
async fn accepts_the_servers_durable_defaults() {
    let Some(db) = FreshDatabase::create().await else {
        return;
    };
    // fsync is server-wide and cannot be turned off for one test; check
    // that it is on here, so the refusal path above is the only one taken.
    let fsync: String = sqlx::query_scalar("SELECT current_setting('fsync')")
        .fetch_one(&mut raw(&db).await)
        .await
        .unwrap();
    assert_eq!(fsync, "on");
    let store = PostgresStore::connect(db.url()).await.unwrap();
    store.ready().await.unwrap();
    store.close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn purge_leaves_no_chunk_rows() {
    let Some(db) = FreshDatabase::create().await else {
        return;
    };
    let store = PostgresStore::connect(db.url()).await.unwrap();
    with_desks(&store).await;
    let body = big_body();
    let read = referral(&body);
    let mut unread = referral(&body);
    unread.expires_at = T0 + 2 * HOUR;
    let kept = referral(b"still pending");
    for (p, b) in [
        (&read, &body[..]),
        (&unread, &body[..]),
        (&kept, &b"still pending"[..]),
    ] {
        assert!(matches!(
            store.put_packet(p.clone(), memory(b)).await.unwrap(),
            PutOutcome::Stored(_)
        ));
    }
    let mut conn = raw(&db).await;
    assert_eq!(chunk_rows(&mut conn, &read.id).await, 3);
    let me = desk_id("shinjuku-iea");
    assert_eq!(
        store.ack(&read.id, &me, T0).await.unwrap(),
        AckOutcome::Acknowledged
    );

    let report = store
        .purge(referral_store::conformance::packets_only(
            T0 + 3 * HOUR,
            T0 + 2 * HOUR,
        ))
        .await
        .unwrap();
    assert_eq!((report.purged, report.expired), (1, 1));
    assert_eq!(
        chunk_rows(&mut conn, &read.id).await,
        0,
        "purged: no chunk rows"
    );
    assert_eq!(
        chunk_rows(&mut conn, &unread.id).await,
        0,
        "expired: no chunk rows"
    );
    assert_eq!(
        chunk_rows(&mut conn, &kept.id).await,
        1,
        "pending packets keep theirs"
    );
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM packet_chunks")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(total, 1);
    // The purge vacuumed the table, so the deleted ciphertext is not left
    // behind as dead tuples (PostgreSQL 15 updates these statistics as
    // VACUUM finishes, before the purge returns).
    let (vacuumed, dead): (bool, i64) = sqlx::query_as(
        "SELECT last_vacuum IS NOT NULL, n_dead_tup FROM pg_stat_user_tables \
         WHERE relname = 'packet_chunks'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(vacuumed, "VACUUM ran after the purge");
    assert_eq!(dead, 0, "no dead chunk tuples left");
    // Chunks of 1 MiB live out of line, in the TOAST table: VACUUM of the
    // table covers it too.
    let toast_dead: i64 = sqlx::query_scalar(
        "SELECT n_dead_tup FROM pg_stat_all_tables WHERE relid = \
         (SELECT reltoastrelid FROM pg_class WHERE relname = 'packet_chunks')",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(toast_dead, 0, "no dead TOAST tuples left");
    assert_eq!(
        store.put_packet(read.clone(), memory(&body)).await.unwrap(),
        PutOutcome::Gone,
        "a purged id is refused"
    );
    conn.close().await.unwrap();
    store.close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn inbox_breaks_ties_by_arrival() {
    let Some(db) = FreshDatabase::create().await else {
        return;
    };
    let store = PostgresStore::connect(db.url()).await.unwrap();
    with_desks(&store).await;
    let mut sent = Vec::new();
    for i in 0..5u8 {
        let p = referral(&[i; 64]);
        store.put_packet(p.clone(), memory(&[i; 64])).await.unwrap();
        sent.push(p.id);
    }
    // An older hour arriving last still comes first.
    let mut early = referral(b"early");
    early.received_hour -= HOUR;
    store
        .put_packet(early.clone(), memory(b"early"))
        .await
        .unwrap();
    sent.insert(0, early.id);
    let inbox: Vec<PacketId> = store
        .inbox(&desk_id("shinjuku-iea"), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(inbox, sent);
    store.close().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_status_changes_apply_once() {
    let Some(db) = FreshDatabase::create().await else {
        return;
    };
    let store = Arc::new(PostgresStore::connect(db.url()).await.unwrap());
    with_desks(&store).await;
    let opening = referral(b"case");
    store
        .put_packet(opening.clone(), memory(b"case"))
        .await
        .unwrap();
    // Ten different cancel packets at once: the thread row lock makes the
    // status check and the change one step, so exactly one wins.
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let store = store.clone();
            let mut p = referral(b"cancel");
            p.thread_id = opening.thread_id;
            p.kind = PacketKind::Reply {
                status: Some(ThreadStatus::Cancelled),
            };
            tokio::spawn(async move { store.put_packet(p, memory(b"cancel")).await.unwrap() })
        })
        .collect();
    let mut stored = 0;
    for task in tasks {
        match task.await.unwrap() {
            PutOutcome::Stored(_) => stored += 1,
            other => assert_eq!(
                other,
                PutOutcome::IllegalTransition {
                    from: ThreadStatus::Cancelled,
                    to: ThreadStatus::Cancelled
                }
            ),
        }
    }
    assert_eq!(stored, 1);
    let thread = store.thread(&opening.thread_id).await.unwrap().unwrap();
    let statuses: Vec<_> = thread.events.iter().map(|e| e.status).collect();
    assert_eq!(statuses, [ThreadStatus::Sent, ThreadStatus::Cancelled]);
    store.close().await;
    db.cleanup().await;
}

/// SPEC §2.2: next to a packet, only desk-level routing metadata. A column
/// added to these tables must be a deliberate decision, made here.
#[tokio::test]
async fn packet_tables_hold_only_routing_metadata() {
    let Some(db) = FreshDatabase::create().await else {
        return;
    };
    PostgresStore::connect(db.url())
        .await
        .unwrap()
        .close()
        .await;
    let mut conn = raw(&db).await;
    let allowed: [(&str, &[&str]); 4] = [
        (
            "packets",
            &[
                "id",
                "thread_id",
                "sender_desk",
                "recipient_desk",
                "bytes",
                "sha256",
                "kind",
                "delivery",
                "received_hour",
                "expires_at",
                "acked_at",
                "ord",
            ],
        ),
        ("packet_chunks", &["packet_id", "seq", "data"]),
        (
            "threads",
            &[
                "id",
                "sender_desk",
                "recipient_desk",
                "status",
                "created_hour",
            ],
        ),
        ("thread_events", &["thread_id", "seq", "status", "at_hour"]),
    ];
    for (table, columns) in allowed {
        let mut actual: Vec<String> = sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = $1",
        )
        .bind(table)
        .fetch_all(&mut conn)
        .await
        .unwrap();
        actual.sort();
        let mut expected: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
        expected.sort();
        assert_eq!(actual, expected, "columns of {table}");
    }
    conn.close().await.unwrap();
    db.cleanup().await;
}

/// Several brokers appending at the same head (SPEC §8, scale-out): exactly
/// one entry lands at each position, with its effect; the others are told
/// the position is taken and change nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_at_one_position_store_one() {
    let Some(db) = FreshDatabase::create().await else {
        return;
    };
    let store = Arc::new(PostgresStore::connect(db.url()).await.unwrap());
    with_desks(&store).await;
    let seq = conformance::next_seq(store.as_ref()).await;
    let tasks: Vec<_> = (0..8u8)
        .map(|i| {
            let store = store.clone();
            let id = format!("desk-{i}");
            let desk = Desk {
                id: desk_id(&id),
                name: id.clone(),
                prefecture: None,
                languages: None,
                created_at: T0,
            };
            let entry = NewEntry {
                seq,
                hash: [i; 32],
                bytes: vec![i; 16],
                effect: DirectoryEffect::CreateDesk(desk),
            };
            tokio::spawn(async move { (i, store.append_directory(entry).await.unwrap()) })
        })
        .collect();
    let mut winner = None;
    for task in tasks {
        match task.await.unwrap() {
            (i, AppendOutcome::Appended) => assert!(winner.replace(i).is_none(), "two appended"),
            (_, outcome) => assert_eq!(outcome, AppendOutcome::SeqTaken),
        }
    }
    let winner = winner.expect("one append lands");
    let log = store.directory_since(seq).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].bytes, vec![winner; 16]);
    let desks: Vec<String> = store
        .desks()
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.id.to_string())
        .filter(|d| d.starts_with("desk-"))
        .collect();
    assert_eq!(
        desks,
        [format!("desk-{winner}")],
        "only the winner's effect"
    );
    store.close().await;
    db.cleanup().await;
}

/// One invite, many devices racing for it on several connections: one
/// request is stored, the invite is spent once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_enrollments_spend_an_invite_once() {
    let Some(db) = FreshDatabase::create().await else {
        return;
    };
    let store = Arc::new(PostgresStore::connect(db.url()).await.unwrap());
    with_desks(&store).await;
    let invite = Invite {
        code_hash: [4; 32],
        desk: desk_id("shinjuku-iea"),
        role: Role::Desk,
        created_at: T0,
        expires_at: T0 + HOUR,
    };
    store.create_invite(&invite).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            let request = Request {
                id: RequestId::random(),
                device: DeviceId::random(),
                desk: Some(desk_id("shinjuku-iea")),
                role: Role::Desk,
                signing_key: SigningKey::generate().unwrap().verifying_key(),
                age_recipient: "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
                    .parse()
                    .unwrap(),
                pq_recipient: None,
                signatures: RequestSignatures::Enrollment {
                    device_signature: [9; 64],
                },
                created_at: T0,
            };
            tokio::spawn(async move { store.submit_enrollment([4; 32], T0, &request).await })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        match task.await.unwrap().unwrap() {
            EnrollOutcome::Created => created += 1,
            other => assert_eq!(other, EnrollOutcome::BadCode),
        }
    }
    assert_eq!(created, 1);
    assert_eq!(store.pending_requests().await.unwrap().len(), 1);
    store.close().await;
    db.cleanup().await;
}

/// Issue 20: after a scripted month of traffic and months of purges, the
/// database holds exactly the tables and value-holding columns that
/// `docs/threat-model.md` §3.2 lists, and nothing longer than it says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seized_disk_holds_exactly_the_documented_inventory() {
    let Some(db) = FreshDatabase::create().await else {
        return;
    };
    let store = PostgresStore::connect(db.url()).await.unwrap();
    let mut raw = inventory::Raw::postgres(db.url()).await;
    inventory::assert_the_seized_disk_matches_the_inventory(&store, &mut raw).await;
    raw.close().await;
    store.close().await;
    db.cleanup().await;
}

/// The negative control on PostgreSQL: a column added with `ALTER TABLE …
/// ADD COLUMN` that holds a value fails the comparison, by name.
#[tokio::test]
async fn an_undocumented_column_fails_the_inventory() {
    let Some(db) = FreshDatabase::create().await else {
        return;
    };
    let store = PostgresStore::connect(db.url()).await.unwrap();
    with_desks(&store).await;
    let mut raw = inventory::Raw::postgres(db.url()).await;
    raw.execute("CREATE TABLE scratch (id INTEGER NOT NULL); INSERT INTO scratch VALUES (1)")
        .await;
    let doc = inventory::Documented::describing(&inventory::Holdings::read(&mut raw).await);
    assert_eq!(
        inventory::compare(&inventory::Holdings::read(&mut raw).await, &doc),
        Ok(())
    );
    raw.execute("ALTER TABLE scratch ADD COLUMN contact TEXT; UPDATE scratch SET contact = 'x'")
        .await;
    let diff = inventory::compare(&inventory::Holdings::read(&mut raw).await, &doc).unwrap_err();
    assert!(
        diff.contains("column scratch.contact holds values but is not in the inventory"),
        "{diff}"
    );
    raw.close().await;
    store.close().await;
    db.cleanup().await;
}
