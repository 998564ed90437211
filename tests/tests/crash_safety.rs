//! Crash safety (the Hardening issue, item 1): several concurrent senders
//! post referrals to the real `referral-broker` binary while it is killed
//! with SIGKILL again and again (20 times) and restarted on the same data
//! directory and database, on SQLite and on PostgreSQL.
//!
//! Pass: every packet that got a 201 is stored exactly once, byte-identical
//! (SHA-256 of what is served against what was sent); nothing is stored that
//! was never sent; each stored referral opened exactly one thread and has all
//! its chunks; SQLite's `PRAGMA quick_check` is `ok` after every kill and
//! `PRAGMA integrity_check` after the last. A request in flight at a kill
//! has an unknown outcome: it may or may not be stored, but if it is, the
//! same rules hold. Its sender retries the same id and bytes after the
//! restart, as the client's outbox does, which must not store it twice; the
//! packets still in doubt at the last kill are retried likewise once the
//! broker is back, after the harness has looked whether they were stored.
//!
//! The negative control runs the same harness against a broker that
//! answers 201 before it commits (`REFERRAL_BROKER_UNSAFE_ACK_BEFORE_COMMIT`,
//! honoured by debug builds only) and requires that the harness reports
//! losses: it shows the check can fail.
//!
//! No assertion depends on timing: kills land at random moments, readiness
//! is polled, and every wait has a generous limit.
//!
//! Build the binaries first when running this crate alone:
//! `cargo build -p referral-broker -p referral-cli && cargo test -p referral-e2e --test crash_safety`.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use referral_e2e::deployment::{Broker, Deployment, Sealer, Sent};
use referral_protocol::PacketId;
use referral_store::postgres::test_support::FreshDatabase;
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::Value;
use sqlx::Connection;

/// Kill/restart cycles for each backend (the issue asks for at least 20).
const CYCLES: usize = 20;
/// Cycles of the negative control: every cycle there loses what was
/// acknowledged in its last second, so a few are plenty.
const NEGATIVE_CYCLES: usize = 5;
/// Concurrent senders.
const SENDERS: usize = 4;
/// The longest random wait between the first acknowledgement after a
/// restart and the kill. Short, so that kills find requests in flight.
const MAX_KILL_DELAY_MS: u32 = 300;
/// The store's chunk size (`referral_store::body::CHUNK_BYTES`): a packet
/// larger than this is written as several rows.
const CHUNK_BYTES: usize = 1 << 20;
/// Generous limit for anything the harness waits for.
const PATIENCE: Duration = Duration::from_secs(90);

const UNSAFE_VAR: &str = "REFERRAL_BROKER_UNSAFE_ACK_BEFORE_COMMIT";

#[test]
fn sqlite_keeps_every_acknowledged_packet_through_20_kill_9s() {
    let report = run(Backend::Sqlite, "", &[], CYCLES);
    report.print("SQLite");
    report.assert_durable();
    assert_eq!(report.integrity.as_deref(), Some("ok"));
}

#[test]
fn postgres_keeps_every_acknowledged_packet_through_20_kill_9s() {
    let runtime = runtime();
    // Skips loudly when no server is reachable outside CI; fails in CI.
    let Some(db) = runtime.block_on(FreshDatabase::create()) else {
        return;
    };
    let config = format!("database_url = \"{}\"\n", db.url());
    let report = run(Backend::Postgres(db.url().to_owned()), &config, &[], CYCLES);
    report.print("PostgreSQL");
    report.assert_durable();
    runtime.block_on(db.cleanup());
}

/// The same harness must catch a broker that acknowledges before it
/// commits. A release build ignores the switch, so there the broker must
/// stay durable instead, which shows that the gate holds end to end.
#[test]
fn negative_control_ack_before_commit_is_caught_losing_packets() {
    let report = run(Backend::Sqlite, "", &[(UNSAFE_VAR, "1")], NEGATIVE_CYCLES);
    report.print("SQLite, NEGATIVE CONTROL (ack before commit)");
    if cfg!(debug_assertions) {
        assert!(
            report.log.contains("UNSAFE, NOT DURABLE"),
            "the unsafe mode must be announced loudly at startup (the broker binary must be \
             built with its test-support feature, as `cargo test --workspace` does):\n{}",
            report.log
        );
        assert!(
            !report.lost.is_empty(),
            "the harness reported no loss from a broker that acknowledges before it \
             commits: it cannot be trusted to see a real loss"
        );
        // Losing packets is the point; corrupting or doubling them is not.
        assert!(report.corrupt.is_empty(), "{:?}", report.corrupt);
        assert!(report.duplicates.is_empty(), "{:?}", report.duplicates);
    } else {
        assert!(
            report.log.contains("is set but ignored"),
            "a release build must say it ignores {UNSAFE_VAR}:\n{}",
            report.log
        );
        report.assert_durable();
    }
}

#[derive(Debug, Clone)]
enum Backend {
    /// `<data-dir>/broker.db`.
    Sqlite,
    /// The database URL.
    Postgres(String),
}

/// One packet as its sender knows it.
#[derive(Debug)]
struct Attempt {
    sha256: [u8; 32],
    len: usize,
    /// A 201 arrived for it.
    acknowledged: bool,
    /// Some request for it failed after it may have reached the broker.
    was_in_doubt: bool,
}

/// What one sender did.
#[derive(Debug, Default)]
struct SenderLog {
    attempts: Vec<(PacketId, Attempt)>,
    /// The packet it held when the run stopped, if a request for it may
    /// have reached the broker: still to be retried.
    unresolved: Option<Sent>,
    /// Answers other than 201, 429 and 503 (none are expected).
    refused: Vec<String>,
}

/// The figures of one run.
#[derive(Debug, Default)]
struct Report {
    cycles: usize,
    senders: usize,
    /// Packets posted at least once.
    attempted: usize,
    acknowledged: usize,
    /// Acknowledged only on a retry after a request that may have reached
    /// a broker that was then killed (the packets in doubt at the last kill
    /// included).
    acknowledged_after_doubt: usize,
    /// Packets whose last request died with the broker at the last kill.
    in_doubt: usize,
    /// Of those, how many the broker had stored before their retry.
    in_doubt_stored: usize,
    /// Packets the restarted broker serves.
    stored: usize,
    /// Stored packets larger than one store chunk.
    stored_multi_chunk: usize,
    lost: Vec<PacketId>,
    corrupt: Vec<PacketId>,
    duplicates: Vec<String>,
    /// Inbox entries that no sender sent.
    phantoms: Vec<String>,
    refused: Vec<String>,
    /// From the database itself.
    db: DbFigures,
    /// SQLite: `quick_check` after each kill (all must be `ok`).
    quick_checks: Vec<String>,
    /// SQLite: kills that left a non-empty WAL, which the restarted broker
    /// then had to recover from.
    wal_left: usize,
    /// SQLite: `integrity_check` after the last kill.
    integrity: Option<String>,
    elapsed: Duration,
    /// The broker's stderr over every run.
    log: String,
}

/// Counts read from the database after the run.
#[derive(Debug, Default, Clone, Copy)]
struct DbFigures {
    packet_rows: i64,
    distinct_ids: i64,
    /// Threads with no packet: half of a referral's write survived.
    orphan_threads: i64,
    /// Packets whose chunks do not add up to their length.
    short_packets: i64,
}

impl Report {
    fn print(&self, backend: &str) {
        let quick = if self.quick_checks.is_empty() {
            "n/a".to_owned()
        } else {
            let ok = self.quick_checks.iter().filter(|c| *c == "ok").count();
            format!("{ok}/{} ok", self.quick_checks.len())
        };
        // Written to the stderr handle, not with `eprintln!`, which the test
        // harness captures for a passing test: the figures go in the docs.
        let summary = format!(
            "\n== crash safety: {backend} ==\n\
             cycles (kill -9 + restart): {}   senders: {}   time: {:.1?}\n\
             packets attempted: {}   acknowledged (201): {} (of which after a retry across a kill: {})\n\
             in doubt at the last kill: {} (already stored when retried after the restart: {})\n\
             stored: {} (larger than one chunk: {})   lost: {}   corrupt: {}   duplicates: {}   phantoms: {}   refused: {}\n\
             database: {} packet rows, {} distinct ids, {} orphan threads, {} short packets\n\
                          quick_check after each kill: {}   integrity_check after the last: {}   kills that left a WAL to recover: {}\n",
            self.cycles,
            self.senders,
            self.elapsed,
            self.attempted,
            self.acknowledged,
            self.acknowledged_after_doubt,
            self.in_doubt,
            self.in_doubt_stored,
            self.stored,
            self.stored_multi_chunk,
            self.lost.len(),
            self.corrupt.len(),
            self.duplicates.len(),
            self.phantoms.len(),
            self.refused.len(),
            self.db.packet_rows,
            self.db.distinct_ids,
            self.db.orphan_threads,
            self.db.short_packets,
            quick,
            self.integrity.as_deref().unwrap_or("n/a"),
            if self.quick_checks.is_empty() {
                "n/a".to_owned()
            } else {
                format!("{}/{}", self.wal_left, self.quick_checks.len())
            },
        );
        let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), summary.as_bytes());
    }

    fn assert_durable(&self) {
        assert!(self.acknowledged > 0, "no packet was acknowledged at all");
        assert!(
            self.lost.is_empty(),
            "{} acknowledged packet(s) lost: {:?}",
            self.lost.len(),
            self.lost
        );
        assert!(
            self.corrupt.is_empty(),
            "served bytes differ: {:?}",
            self.corrupt
        );
        assert!(
            self.duplicates.is_empty(),
            "listed twice: {:?}",
            self.duplicates
        );
        assert!(self.phantoms.is_empty(), "never sent: {:?}", self.phantoms);
        assert!(self.refused.is_empty(), "refused: {:?}", self.refused);
        let stored = i64::try_from(self.stored).expect("fits");
        assert_eq!(self.db.packet_rows, stored, "{:?}", self.db);
        assert_eq!(self.db.distinct_ids, stored, "{:?}", self.db);
        assert_eq!(self.db.orphan_threads, 0, "{:?}", self.db);
        assert_eq!(self.db.short_packets, 0, "{:?}", self.db);
        assert!(
            self.quick_checks.iter().all(|c| c == "ok"),
            "{:?}",
            self.quick_checks
        );
    }
}

/// The whole harness: a deployment with a sending and a receiving desk,
/// `SENDERS` threads posting referrals, `cycles` kills at random moments
/// with a restart after each, then the checks on the restarted broker.
fn run(backend: Backend, config: &str, env: &[(&str, &str)], cycles: usize) -> Report {
    let started = Instant::now();
    let acks_before_commit = env.iter().any(|(name, _)| *name == UNSAFE_VAR);
    let runtime = runtime();
    let mut dep = Deployment::on(
        Broker::start_with_env(config, env),
        &[("clinic", "Clinic"), ("shelter", "Shelter")],
    );
    let (caseworker, _) = dep.enroll("clinic", "caseworker");
    let (member, _) = dep.enroll("shelter", "desk");
    let sealer = dep.sealer(&caseworker, "shelter");
    let token = caseworker.token();
    let base = dep.broker.url.clone();
    let mut report = Report {
        cycles,
        senders: SENDERS,
        ..Report::default()
    };

    let stop = AtomicBool::new(false);
    let acks = AtomicU64::new(0);
    let logs: Vec<SenderLog> = std::thread::scope(|scope| {
        let senders: Vec<_> = (0..SENDERS)
            .map(|n| {
                let (sealer, base, token) = (&sealer, base.as_str(), token.as_str());
                let (stop, acks) = (&stop, &acks);
                scope.spawn(move || send_until_stopped(n, sealer, base, token, stop, acks))
            })
            .collect();
        // Stops the senders however this closure ends: the scope waits for
        // them, so a failed assertion below would otherwise hang the test.
        let stop_senders = StopOnDrop(&stop);
        for cycle in 0..cycles {
            if cycle > 0 {
                dep.broker.restart();
            }
            // Kill only once senders are being answered, at a random moment
            // after that: the kill then finds requests in flight.
            let before = acks.load(Ordering::SeqCst);
            let waiting = Instant::now();
            while acks.load(Ordering::SeqCst) == before {
                assert!(
                    waiting.elapsed() < PATIENCE,
                    "no packet acknowledged in cycle {cycle}: {}",
                    dep.broker.log()
                );
                std::thread::sleep(Duration::from_millis(5));
            }
            std::thread::sleep(Duration::from_millis(
                random_below(MAX_KILL_DELAY_MS).into(),
            ));
            dep.broker.kill9();
            if matches!(backend, Backend::Sqlite) {
                let db = dep.broker.data_dir.join("broker.db");
                let wal = wal_len(&db);
                report.wal_left += usize::from(wal > 0);
                report
                    .quick_checks
                    .push(runtime.block_on(sqlite_pragma(&db, "PRAGMA quick_check")));
                assert_eq!(
                    wal_len(&db),
                    wal,
                    "the check must leave the WAL as the kill left it"
                );
            }
        }
        drop(stop_senders);
        senders
            .into_iter()
            .map(|s| s.join().expect("a sender panicked"))
            .collect()
    });

    // The database as the last kill left it, before the broker touches it.
    if matches!(backend, Backend::Sqlite) {
        let db = dep.broker.data_dir.join("broker.db");
        report.integrity = Some(runtime.block_on(sqlite_pragma(&db, "PRAGMA integrity_check")));
    }
    dep.broker.restart();

    let mut attempts: HashMap<PacketId, Attempt> = HashMap::new();
    let mut unresolved = Vec::new();
    for log in logs {
        report.refused.extend(log.refused);
        attempts.extend(log.attempts);
        unresolved.extend(log.unresolved);
    }
    let http = Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client");
    let member_token = member.token();
    // What a client's outbox does with a send whose answer it never got:
    // the same id and bytes again, which must be acknowledged whether or not
    // the first one was stored, and stored once either way.
    let sender_token = caseworker.token();
    for sent in unresolved {
        report.in_doubt += 1;
        let before = fetch(&http, &dep.broker.url, &member_token, &sent.packet_id);
        report.in_doubt_stored += usize::from(before.is_some());
        let res = sent
            .post(&http, &dep.broker.url, &sender_token)
            .expect("retry a packet in doubt");
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "retry of {}",
            sent.packet_id
        );
        if acks_before_commit {
            // The negative control's broker answers before it commits, on
            // these retries too: wait for the commit, or `verify` races it
            // and finds the inbox listing what a fetch a moment earlier
            // did not find. A durable broker is never waited for.
            wait_until_stored(&http, &dep.broker.url, &member_token, &sent.packet_id);
        }
        attempts.insert(sent.packet_id, attempt(&sent, true, true));
    }
    verify(
        &http,
        &dep.broker.url,
        &member_token,
        &attempts,
        &mut report,
    );
    report.db = runtime.block_on(db_figures(&backend, &dep.broker.data_dir));
    report.log = dep.broker.log();
    report.elapsed = started.elapsed();
    report
}

/// Sets its flag when dropped, unwinding included.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// One sender: seals a referral, posts it until it gets an answer, records
/// what happened, and goes on with the next until `stop`. A request that
/// failed after it may have reached the broker leaves its packet in doubt,
/// and the same packet is posted again.
fn send_until_stopped(
    n: usize,
    sealer: &Sealer,
    base: &str,
    token: &str,
    stop: &AtomicBool,
    acks: &AtomicU64,
) -> SenderLog {
    let http = Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client");
    let mut log = SenderLog::default();
    let mut current: Option<(Sent, bool)> = None;
    let mut seq = 0usize;
    while !stop.load(Ordering::SeqCst) {
        let (sent, in_doubt) = current.get_or_insert_with(|| {
            seq += 1;
            (sealer.seal(&content(n, seq)), false)
        });
        match sent.post(&http, base, token) {
            Ok(res) if res.status() == StatusCode::CREATED => {
                log.attempts
                    .push((sent.packet_id, attempt(sent, true, *in_doubt)));
                acks.fetch_add(1, Ordering::SeqCst);
                current = None;
            }
            // Refusals that store nothing and invite a retry: rate limits,
            // a broker that is not ready.
            Ok(res)
                if res.status() == StatusCode::TOO_MANY_REQUESTS
                    || res.status() == StatusCode::SERVICE_UNAVAILABLE =>
            {
                std::thread::sleep(Duration::from_millis(100));
            }
            Ok(res) => {
                let status = res.status();
                log.refused.push(format!(
                    "{}: {status} {}",
                    sent.packet_id,
                    res.text().unwrap_or_default()
                ));
                log.attempts
                    .push((sent.packet_id, attempt(sent, false, *in_doubt)));
                current = None;
            }
            // No connection: the broker is down and nothing was sent.
            Err(e) if e.is_connect() => std::thread::sleep(Duration::from_millis(10)),
            // Anything else (a reset, a closed connection, a timeout) may
            // have happened after the broker received the packet.
            Err(_) => {
                *in_doubt = true;
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    // The packet in hand when the run stopped: in doubt only if a request
    // for it may have reached a broker; otherwise nothing of it was sent.
    if let Some((sent, true)) = current {
        log.unresolved = Some(sent);
    }
    log
}

fn attempt(sent: &Sent, acknowledged: bool, was_in_doubt: bool) -> Attempt {
    Attempt {
        sha256: sha256(&sent.bytes),
        len: sent.bytes.len(),
        acknowledged,
        was_in_doubt,
    }
}

/// A referral body: mostly small, some over 64 KiB, and now and then just
/// under the content limit, so that its ciphertext spans two store chunks
/// (a write of several rows that a kill may tear).
fn content(sender: usize, seq: usize) -> Vec<u8> {
    let mut body = format!("crash-safety sender {sender} packet {seq} ").into_bytes();
    let size = match seq % 16 {
        0 => (1 << 20) - 256,
        4 | 12 => 100_000,
        _ => 200,
    };
    body.resize(size, b'.');
    body
}

/// Checks the restarted broker against what the senders know, through the
/// API as the recipient desk: each packet fetched and hashed, then the inbox
/// listed (acknowledging each page to reach the next) to count each id.
fn verify(
    http: &Client,
    base: &str,
    token: &str,
    attempts: &HashMap<PacketId, Attempt>,
    report: &mut Report,
) {
    let mut stored: HashSet<PacketId> = HashSet::new();
    report.attempted = attempts.len();
    for (id, a) in attempts {
        report.acknowledged += usize::from(a.acknowledged);
        report.acknowledged_after_doubt += usize::from(a.acknowledged && a.was_in_doubt);
        match fetch(http, base, token, id) {
            Some(body) => {
                stored.insert(*id);
                if body.len() != a.len || sha256(&body) != a.sha256 {
                    report.corrupt.push(*id);
                }
                report.stored_multi_chunk += usize::from(body.len() > CHUNK_BYTES);
            }
            None if a.acknowledged => report.lost.push(*id),
            None => {}
        }
    }
    report.stored = stored.len();

    let mut seen: HashMap<String, usize> = HashMap::new();
    let known: HashSet<String> = attempts.keys().map(ToString::to_string).collect();
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(pages <= attempts.len() + 2, "the inbox does not drain");
        let inbox: Value = http
            .get(format!("{base}/v1/inbox"))
            .bearer_auth(token)
            .send()
            .expect("inbox")
            .json()
            .expect("inbox json");
        let entries = inbox["packets"].as_array().expect("packets").clone();
        if entries.is_empty() {
            break;
        }
        for entry in entries {
            let id = entry["packet_id"].as_str().expect("packet_id").to_owned();
            let count = seen.entry(id.clone()).or_default();
            *count += 1;
            if *count == 1 {
                if !known.contains(&id) {
                    report.phantoms.push(id.clone());
                }
                let res = http
                    .post(format!("{base}/v1/packets/{id}/ack"))
                    .bearer_auth(token)
                    .send()
                    .expect("ack");
                assert_eq!(res.status(), StatusCode::OK, "ack {id}");
            }
        }
    }
    report.duplicates = seen
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, n)| format!("{id} x{n}"))
        .collect();
    let listed: HashSet<String> = seen.into_keys().collect();
    let fetched: HashSet<String> = stored.iter().map(ToString::to_string).collect();
    assert_eq!(
        listed, fetched,
        "the inbox and the fetches disagree on what is stored"
    );
}

/// `GET /v1/packets/{id}`: the bytes, or `None` for a 404.
/// Polls until `id` can be fetched (at most ten seconds): for the negative
/// control only, whose broker acknowledges before it commits.
fn wait_until_stored(http: &Client, base: &str, token: &str, id: &PacketId) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while fetch(http, base, token, id).is_none() {
        assert!(
            Instant::now() < deadline,
            "{id} acknowledged but never stored"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn fetch(http: &Client, base: &str, token: &str, id: &PacketId) -> Option<bytes::Bytes> {
    let res = http
        .get(format!("{base}/v1/packets/{id}"))
        .bearer_auth(token)
        .send()
        .expect("fetch a packet");
    match res.status() {
        StatusCode::OK => Some(res.bytes().expect("packet body")),
        StatusCode::NOT_FOUND => None,
        other => panic!("fetching {id}: {other} {}", res.text().unwrap_or_default()),
    }
}

/// The size of SQLite's `-wal` file beside `db` (0 if there is none).
fn wal_len(db: &Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
}

/// One text answer of a PRAGMA on `db`, on a read-only connection: it must
/// neither checkpoint nor remove the WAL that the killed broker left, so
/// that the restarted broker recovers from exactly what the kill left.
async fn sqlite_pragma(db: &Path, pragma: &'static str) -> String {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db)
        .read_only(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .unwrap_or_else(|e| panic!("open {} read-only: {e}", db.display()));
    let rows: Vec<String> = sqlx::query_scalar(pragma)
        .fetch_all(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{pragma}: {e}"));
    conn.close().await.expect("close");
    rows.join("; ")
}

/// The row counts that show each packet stored once and whole, from the
/// database itself (the broker is running; these are reads).
async fn db_figures(backend: &Backend, data_dir: &Path) -> DbFigures {
    // The same SQL on both backends: it uses only what both have.
    const ROWS: &str = "SELECT count(*), count(DISTINCT id) FROM packets";
    const ORPHANS: &str = "SELECT count(*) FROM threads t \
         WHERE NOT EXISTS (SELECT 1 FROM packets p WHERE p.thread_id = t.id)";
    const SHORT: &str = "SELECT count(*) FROM packets p WHERE p.bytes <> \
         (SELECT coalesce(sum(length(c.data)), 0) FROM packet_chunks c WHERE c.packet_id = p.id)";
    // One body for both connection types: sqlx's executors are typed by
    // backend, and a generic bound over both costs more lines than it saves.
    macro_rules! figures {
        ($conn:expr) => {{
            let conn = $conn;
            let (packet_rows, distinct_ids): (i64, i64) = sqlx::query_as(ROWS)
                .fetch_one(&mut *conn)
                .await
                .expect("count packets");
            let orphan_threads = sqlx::query_scalar(ORPHANS)
                .fetch_one(&mut *conn)
                .await
                .expect("orphan threads");
            let short_packets = sqlx::query_scalar(SHORT)
                .fetch_one(&mut *conn)
                .await
                .expect("short packets");
            DbFigures {
                packet_rows,
                distinct_ids,
                orphan_threads,
                short_packets,
            }
        }};
    }
    match backend {
        Backend::Sqlite => {
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(data_dir.join("broker.db"))
                .read_only(true);
            let mut conn = sqlx::SqliteConnection::connect_with(&options)
                .await
                .expect("open broker.db");
            let found = figures!(&mut conn);
            conn.close().await.expect("close");
            found
        }
        Backend::Postgres(url) => {
            let mut conn = sqlx::PgConnection::connect(url)
                .await
                .expect("connect to the test database");
            let found = figures!(&mut conn);
            conn.close().await.expect("close");
            found
        }
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref());
    out
}

fn random_below(limit: u32) -> u32 {
    let mut bytes = [0u8; 4];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .expect("the system random source works");
    u32::from_le_bytes(bytes) % limit
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}
