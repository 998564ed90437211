//! The SQLite backend: the shared behaviour suite, plus what only SQLite
//! promises (settings, file modes, durability across a restart, group
//! commit, isolation inside a batch, and really deleting purged bytes).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use referral_protocol::{DeskId, PacketId, ThreadId};
use referral_store::sqlite::{SqliteSettings, SqliteStore};
use referral_store::{
    AckOutcome, DeliveryState, NewPacket, PacketBody, PacketKind, PutOutcome, Store, StoreError,
    ThreadStatus, TokenKey, conformance, inventory, to_hour,
};
use sqlx::{ConnectOptions, Connection};

const T0: i64 = 1_700_000_000;
const HOUR: i64 = 3600;

fn desk_id(s: &str) -> DeskId {
    s.parse().unwrap()
}

/// Desks come only from directory entries (stand-ins here: the store keeps
/// entries opaque).
async fn with_desks(store: &SqliteStore, ids: &[&str]) {
    conformance::create_desks(store, ids).await;
}

fn referral(from: &str, to: &str, body: &[u8]) -> NewPacket {
    NewPacket {
        id: PacketId::random(),
        thread_id: ThreadId::random(),
        sender_desk: desk_id(from),
        recipient_desk: desk_id(to),
        bytes: body.len() as u64,
        sha256: referral_protocol::envelope::sha256(body),
        kind: PacketKind::Referral,
        received_hour: to_hour(T0),
        expires_at: T0 + 30 * 24 * HOUR,
    }
}

fn memory(body: &[u8]) -> PacketBody {
    PacketBody::Memory(Bytes::copy_from_slice(body))
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn sibling(db: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

#[tokio::test]
async fn conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    conformance::run_all(&store).await;
}

/// Issue 20: after a scripted month of traffic and months of purges, the
/// database holds exactly the tables and value-holding columns that
/// `docs/threat-model.md` §3.2 lists, and nothing longer than it says.
#[tokio::test]
async fn the_seized_disk_holds_exactly_the_documented_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    let mut raw = inventory::Raw::sqlite(store.path()).await;
    inventory::assert_the_seized_disk_matches_the_inventory(&store, &mut raw).await;
    raw.close().await;
    store.close().await;
}

/// The negative control: a table the inventory does not name, and a column
/// added with `ALTER TABLE … ADD COLUMN` that then holds a value, each fail
/// the comparison with a message naming it.
#[tokio::test]
async fn an_undocumented_table_or_column_fails_the_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    with_desks(&store, &["covic-intake"]).await;
    let mut raw = inventory::Raw::sqlite(store.path()).await;
    raw.execute("CREATE TABLE scratch (id INTEGER NOT NULL); INSERT INTO scratch VALUES (1)")
        .await;
    let doc = inventory::Documented::describing(&inventory::Holdings::read(&mut raw).await);
    let found = inventory::Holdings::read(&mut raw).await;
    assert_eq!(
        inventory::compare(&found, &doc),
        Ok(()),
        "a true inventory passes"
    );

    raw.execute("ALTER TABLE scratch ADD COLUMN contact TEXT")
        .await;
    let found = inventory::Holdings::read(&mut raw).await;
    assert_eq!(
        inventory::compare(&found, &doc),
        Ok(()),
        "a column that holds nothing is no finding"
    );
    raw.execute("UPDATE scratch SET contact = 'someone@example.org'")
        .await;
    let found = inventory::Holdings::read(&mut raw).await;
    let diff = inventory::compare(&found, &doc).unwrap_err();
    assert!(
        diff.contains("column scratch.contact holds values but is not in the inventory"),
        "{diff}"
    );

    raw.execute("CREATE TABLE scratch_empty (note TEXT)").await;
    let found = inventory::Holdings::read(&mut raw).await;
    let diff = inventory::compare(&found, &doc).unwrap_err();
    assert!(
        diff.contains("table scratch_empty exists but is not in the inventory"),
        "{diff}"
    );
    raw.close().await;
    store.close().await;
}

/// SPEC §2.2: next to a packet, only desk-level routing metadata. A column
/// added to these tables must be a deliberate decision, made here (the same
/// check as PostgreSQL's; `arrival` is SQLite's rowid, its `ord`).
#[tokio::test]
async fn packet_tables_hold_only_routing_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    let mut plain = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(store.path())
        .connect()
        .await
        .unwrap();
    let allowed: [(&str, &[&str]); 4] = [
        (
            "packets",
            &[
                "arrival",
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
        let mut actual: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?1)")
            .bind(table)
            .fetch_all(&mut plain)
            .await
            .unwrap();
        actual.sort();
        let mut expected: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
        expected.sort();
        assert_eq!(actual, expected, "columns of {table}");
    }
    plain.close().await.unwrap();
}

#[tokio::test]
async fn settings_are_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    assert_eq!(store.settings().await.unwrap(), SqliteSettings::required());
    assert_eq!(
        store.reader_settings().await.unwrap(),
        SqliteSettings::required()
    );
    let s = store.settings().await.unwrap();
    assert_eq!(
        (
            s.journal_mode.as_str(),
            s.synchronous.as_str(),
            s.secure_delete,
            s.busy_timeout_ms,
            s.foreign_keys
        ),
        ("wal", "full", true, 5000, true)
    );

    // WAL is a property of the file: a plain connection that asks for
    // nothing still finds it.
    let mut plain = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(store.path())
        .connect()
        .await
        .unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut plain)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    plain.close().await.unwrap();
}

#[tokio::test]
async fn files_are_private() {
    let parent = tempfile::tempdir().unwrap();
    let data_dir = parent.path().join("broker-data");
    let store = SqliteStore::open(&data_dir).await.unwrap();
    with_desks(&store, &["aa-desk", "bb-desk"]).await;
    let p = referral("aa-desk", "bb-desk", b"x");
    store.put_packet(p, memory(b"x")).await.unwrap();

    assert_eq!(
        mode(&data_dir),
        0o700,
        "a data directory the store creates is 0700"
    );
    assert_eq!(store.path(), data_dir.join("broker.db"));
    assert_eq!(mode(store.path()), 0o600);
    for suffix in ["-wal", "-shm"] {
        let path = sibling(store.path(), suffix);
        assert!(path.exists(), "{suffix} exists while open");
        assert_eq!(mode(&path), 0o600, "{suffix}");
    }
}

#[tokio::test]
async fn restart_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let body = vec![0x5a; 4096];
    let p = referral("aa-desk", "bb-desk", &body);
    {
        let store = SqliteStore::open(dir.path()).await.unwrap();
        with_desks(&store, &["aa-desk", "bb-desk"]).await;
        assert!(matches!(
            store.put_packet(p.clone(), memory(&body)).await.unwrap(),
            PutOutcome::Stored(_)
        ));
        assert_eq!(
            store.ack(&p.id, &desk_id("bb-desk"), T0 + 5).await.unwrap(),
            AckOutcome::Acknowledged
        );
        // Dropped here without close(): what was answered must be on disk.
    }
    let store = SqliteStore::open(dir.path()).await.unwrap();
    assert_eq!(store.desks().await.unwrap().len(), 2);
    let meta = store
        .packet(&p.id)
        .await
        .unwrap()
        .expect("packet survives a restart");
    assert_eq!(meta.delivery, DeliveryState::Acknowledged);
    assert_eq!(
        store.packet_chunk(&p.id, 0).await.unwrap(),
        Some(body.clone())
    );
    let thread = store.thread(&p.thread_id).await.unwrap().unwrap();
    assert_eq!(thread.status, ThreadStatus::Received);
    assert_eq!(thread.events.len(), 2);
    assert!(matches!(
        store.put_packet(p, memory(&body)).await.unwrap(),
        PutOutcome::Duplicate(_)
    ));
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_puts_share_commits() {
    const N: usize = 200;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
    with_desks(&store, &["aa-desk", "bb-desk"]).await;
    let before = store.commits();

    let tasks: Vec<_> = (0..N)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let body = vec![i as u8; 1024];
                let p = referral("aa-desk", "bb-desk", &body);
                store.put_packet(p, memory(&body)).await.unwrap()
            })
        })
        .collect();
    for task in tasks {
        assert!(matches!(task.await.unwrap(), PutOutcome::Stored(_)));
    }

    let commits = store.commits() - before;
    println!("{N} concurrent puts took {commits} commits");
    assert_eq!(
        store.inbox(&desk_id("bb-desk"), 1000).await.unwrap().len(),
        N
    );
    assert!(
        commits < N as u64,
        "{commits} commits for {N} puts: no group commit"
    );
}

fn token_key(kid: &str, created_at: i64) -> TokenKey {
    let key = referral_protocol::SigningKey::generate().unwrap();
    TokenKey {
        kid: kid.into(),
        pkcs8: secrecy::SecretSlice::from(
            secrecy::ExposeSecret::expose_secret(key.pkcs8()).to_vec(),
        ),
        public: key.verifying_key(),
        created_at,
        retired_at: None,
    }
}

/// Refusals and a failing op, batched with good puts: only they are undone.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_or_failed_op_spares_its_batch() {
    const GOOD: usize = 50;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
    with_desks(&store, &["aa-desk", "bb-desk"]).await;
    let first = referral("aa-desk", "bb-desk", b"first");
    store
        .put_packet(first.clone(), memory(b"first"))
        .await
        .unwrap();
    store.rotate_token_key(&token_key("k1", T0)).await.unwrap();
    let before = store.commits();

    // Refusals: the same id with other bytes; a sender desk that does not
    // exist. A failure half-way: rotating to a kid that exists retires k1
    // first, then the insert breaks the primary key.
    let mut conflict = first.clone();
    conflict.sha256 = referral_protocol::envelope::sha256(b"other");
    let stranger = referral("no-such-desk", "bb-desk", b"who");
    let stranger_thread = stranger.thread_id;

    let mut tasks = Vec::new();
    for i in 0..GOOD {
        let store = store.clone();
        let (conflict, stranger) = (conflict.clone(), stranger.clone());
        tasks.push(tokio::spawn(async move {
            match i {
                10 => {
                    let outcome = store.put_packet(conflict, memory(b"other")).await.unwrap();
                    assert_eq!(outcome, PutOutcome::Conflict);
                }
                20 => {
                    let outcome = store.put_packet(stranger, memory(b"who")).await.unwrap();
                    assert_eq!(outcome, PutOutcome::UnknownDesk);
                }
                30 => {
                    let result = store.rotate_token_key(&token_key("k1", T0 + HOUR)).await;
                    assert!(matches!(result, Err(StoreError::Database(_))), "{result:?}");
                }
                _ => {}
            }
            let p = referral("aa-desk", "bb-desk", b"good");
            let outcome = store.put_packet(p.clone(), memory(b"good")).await.unwrap();
            assert!(matches!(outcome, PutOutcome::Stored(m) if m.id == p.id));
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let ops = GOOD + 3;
    let commits = store.commits() - before;
    println!("{ops} concurrent ops took {commits} commits");
    assert!(commits < ops as u64, "the ops were batched");

    assert_eq!(
        store.inbox(&desk_id("bb-desk"), 1000).await.unwrap().len(),
        GOOD + 1
    );
    assert_eq!(
        store.packet_chunk(&first.id, 0).await.unwrap().unwrap(),
        b"first"
    );
    assert_eq!(store.packet(&stranger.id).await.unwrap(), None);
    assert_eq!(store.thread(&stranger_thread).await.unwrap(), None);
    let keys = store.token_keys().await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(
        (keys[0].kid.as_str(), keys[0].retired_at),
        ("k1", None),
        "the retirement was undone"
    );
}

/// Concurrent sends that share a packet id or a thread: the writer runs
/// the first of each in its set (ADR 0007) and the others one at a time
/// after it, so every answer is the one some serial order gives.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sends_sharing_ids_or_threads_in_one_batch() {
    const COPIES: usize = 12;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
    with_desks(&store, &["aa-desk", "bb-desk", "cc-desk"]).await;
    let first = referral("aa-desk", "bb-desk", b"case");
    store
        .put_packet(first.clone(), memory(b"case"))
        .await
        .unwrap();
    // Received, so that its recipient may forward it.
    let acked = store.ack(&first.id, &desk_id("bb-desk"), T0).await.unwrap();
    assert_eq!(acked, AckOutcome::Acknowledged);
    let same = referral("aa-desk", "bb-desk", b"retried");

    let mut tasks = Vec::new();
    for _ in 0..COPIES {
        // The same send retried: one is stored, the rest are duplicates.
        let (s, p) = (store.clone(), same.clone());
        tasks.push(tokio::spawn(async move {
            ("copy", s.put_packet(p, memory(b"retried")).await.unwrap())
        }));
        // Messages on one thread, from its recipient: all stored.
        let (s, mut p) = (store.clone(), referral("bb-desk", "aa-desk", b"note"));
        p.kind = PacketKind::Reply { status: None };
        p.thread_id = first.thread_id;
        tasks.push(tokio::spawn(async move {
            ("reply", s.put_packet(p, memory(b"note")).await.unwrap())
        }));
        // Forwards of that thread: only one may forward it.
        let (s, mut p) = (store.clone(), referral("bb-desk", "cc-desk", b"fwd"));
        p.kind = PacketKind::Forward {
            forwards: first.thread_id,
        };
        tasks.push(tokio::spawn(async move {
            ("forward", s.put_packet(p, memory(b"fwd")).await.unwrap())
        }));
    }
    let mut stored = std::collections::HashMap::<&str, usize>::new();
    for task in tasks {
        let (what, outcome) = task.await.unwrap();
        match (what, outcome) {
            (_, PutOutcome::Stored(_)) => *stored.entry(what).or_default() += 1,
            ("copy", PutOutcome::Duplicate(m)) => assert_eq!(m.id, same.id),
            ("forward", PutOutcome::IllegalTransition { from, to }) => {
                assert_eq!(
                    (from, to),
                    (ThreadStatus::Forwarded, ThreadStatus::Forwarded)
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(stored["copy"], 1);
    assert_eq!(stored["reply"], COPIES);
    assert_eq!(stored["forward"], 1);

    let thread = store.thread(&first.thread_id).await.unwrap().unwrap();
    assert_eq!(thread.status, ThreadStatus::Forwarded);
    let statuses: Vec<_> = thread.events.iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        [
            ThreadStatus::Sent,
            ThreadStatus::Received,
            ThreadStatus::Forwarded
        ]
    );
    assert_eq!(
        store.inbox(&desk_id("cc-desk"), 100).await.unwrap().len(),
        1
    );
    assert_eq!(
        store.inbox(&desk_id("aa-desk"), 100).await.unwrap().len(),
        COPIES
    );
}

/// Concurrent acks, as the writer's ack set runs them (ADR 0007): each
/// thread moves to `received` once, however many times its referral is
/// acknowledged, and another desk's ack changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_acks_move_each_thread_once() {
    const PACKETS: usize = 24;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
    with_desks(&store, &["aa-desk", "bb-desk"]).await;
    let mut sent = Vec::new();
    for _ in 0..PACKETS {
        let p = referral("aa-desk", "bb-desk", b"case");
        store.put_packet(p.clone(), memory(b"case")).await.unwrap();
        sent.push(p);
    }

    let mut tasks = Vec::new();
    for p in &sent {
        for desk in ["bb-desk", "bb-desk", "aa-desk"] {
            let (store, id) = (store.clone(), p.id);
            tasks.push(tokio::spawn(async move {
                let outcome = store.ack(&id, &desk_id(desk), T0).await.unwrap();
                (desk, outcome)
            }));
        }
    }
    for task in tasks {
        match task.await.unwrap() {
            ("bb-desk", outcome) => assert_eq!(outcome, AckOutcome::Acknowledged),
            (_, outcome) => assert_eq!(outcome, AckOutcome::NotFound),
        }
    }
    for p in &sent {
        let meta = store.packet(&p.id).await.unwrap().unwrap();
        assert_eq!(meta.delivery, DeliveryState::Acknowledged);
        let thread = store.thread(&p.thread_id).await.unwrap().unwrap();
        let statuses: Vec<_> = thread.events.iter().map(|e| e.status).collect();
        assert_eq!(statuses, [ThreadStatus::Sent, ThreadStatus::Received]);
    }
    assert!(
        store
            .inbox(&desk_id("bb-desk"), 100)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A send that breaks a statement of its set (a length no column can hold)
/// makes the set fall back to one send at a time: it fails alone, and
/// leaves no thread behind, while the others are stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_send_fails_alone_after_its_set_falls_back() {
    const SENDS: usize = 32;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
    with_desks(&store, &["aa-desk", "bb-desk"]).await;
    let mut bad = referral("aa-desk", "bb-desk", b"odd");
    bad.bytes = u64::MAX;

    let tasks: Vec<_> = (0..SENDS)
        .map(|i| {
            let store = store.clone();
            let p = if i == SENDS / 2 {
                bad.clone()
            } else {
                referral("aa-desk", "bb-desk", b"good")
            };
            tokio::spawn(async move { (p.id, store.put_packet(p, memory(b"good")).await) })
        })
        .collect();
    for task in tasks {
        let (id, result) = task.await.unwrap();
        if id == bad.id {
            assert!(result.is_err(), "{result:?}");
        } else {
            assert!(matches!(result, Ok(PutOutcome::Stored(_))), "{result:?}");
        }
    }
    assert_eq!(store.packet(&bad.id).await.unwrap(), None);
    assert_eq!(store.thread(&bad.thread_id).await.unwrap(), None);
    assert_eq!(
        store.inbox(&desk_id("bb-desk"), 100).await.unwrap().len(),
        SENDS - 1
    );
}

/// A spooled body that ends early fails after the thread, the packet row
/// and a first chunk were written: the op's savepoint undoes all of it.
#[tokio::test]
async fn a_half_written_put_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    with_desks(&store, &["aa-desk", "bb-desk"]).await;
    let chunk = referral_store::body::CHUNK_BYTES;
    let written = vec![7u8; chunk + 10];
    let claimed = (2 * chunk) as u64;
    let mut p = referral("aa-desk", "bb-desk", &written);
    p.bytes = claimed;
    let spool = tempfile::tempfile().unwrap();
    std::io::Write::write_all(&mut &spool, &written).unwrap();
    std::io::Seek::rewind(&mut &spool).unwrap();
    let body = PacketBody::Spooled {
        file: tokio::fs::File::from_std(spool),
        len: claimed,
    };

    let result = store.put_packet(p.clone(), body).await;
    assert!(matches!(result, Err(StoreError::Body(_))), "{result:?}");
    assert_eq!(store.packet(&p.id).await.unwrap(), None);
    assert_eq!(store.packet_chunk(&p.id, 0).await.unwrap(), None);
    assert_eq!(store.thread(&p.thread_id).await.unwrap(), None);

    // The writer carries on.
    let ok = referral("aa-desk", "bb-desk", b"fine");
    assert!(matches!(
        store.put_packet(ok, memory(b"fine")).await.unwrap(),
        PutOutcome::Stored(_)
    ));
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn file_contains(path: &Path, needle: &[u8]) -> bool {
    std::fs::read(path)
        .map(|bytes| contains(&bytes, needle))
        .unwrap_or(false)
}

/// `secure_delete` zeroes the bytes in the main file and the TRUNCATE
/// checkpoint empties the WAL that still held them.
#[tokio::test]
async fn purged_bytes_are_gone_from_every_file() {
    const READ_MARK: &[u8] = b"<<READ-CIPHERTEXT-7f3a9c>>";
    const UNREAD_MARK: &[u8] = b"<<UNREAD-CIPHERTEXT-b61d02>>";
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    with_desks(&store, &["aa-desk", "bb-desk"]).await;
    let read_body = READ_MARK.repeat(400);
    let unread_body = UNREAD_MARK.repeat(400);
    let read = referral("aa-desk", "bb-desk", &read_body);
    store
        .put_packet(read.clone(), memory(&read_body))
        .await
        .unwrap();
    store.ack(&read.id, &desk_id("bb-desk"), T0).await.unwrap();
    let mut unread = referral("aa-desk", "bb-desk", &unread_body);
    unread.expires_at = T0 + HOUR;
    store
        .put_packet(unread.clone(), memory(&unread_body))
        .await
        .unwrap();

    let db = store.path().to_owned();
    let wal = sibling(&db, "-wal");
    let files = [db.clone(), wal.clone(), sibling(&db, "-shm")];
    for mark in [READ_MARK, UNREAD_MARK] {
        assert!(
            files.iter().any(|f| file_contains(f, mark)),
            "the scan finds stored bytes"
        );
    }

    let report = store
        .purge(referral_store::conformance::packets_only(
            T0 + 2 * HOUR,
            T0 + 100 * HOUR,
        ))
        .await
        .unwrap();
    assert_eq!((report.purged, report.expired), (1, 1));
    assert_eq!(
        store
            .put_packet(read.clone(), memory(&read_body))
            .await
            .unwrap(),
        PutOutcome::Gone
    );

    let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(wal_len, 0, "the WAL was truncated");
    for file in &files {
        for mark in [READ_MARK, UNREAD_MARK] {
            assert!(
                !file_contains(file, mark),
                "{} still holds purged bytes",
                file.display()
            );
        }
    }
}

#[tokio::test]
async fn the_writer_stops_with_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    with_desks(&store, &["aa-desk"]).await;
    store.ready().await.unwrap();
    store.close().await;
    // A second store on the same files takes over cleanly.
    let again = SqliteStore::open(dir.path()).await.unwrap();
    assert_eq!(again.desks().await.unwrap().len(), 1);
}
