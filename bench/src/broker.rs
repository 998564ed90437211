//! `referral-bench broker`: durable sends per second against the real broker
//! over HTTP on 127.0.0.1, beside its limits measured in the same run
//! (SPEC §11):
//!
//! - the broker, started in-process with `Application::build` on
//!   `127.0.0.1:0` over SQLite in a temporary directory and/or a fresh
//!   PostgreSQL database, takes `POST /v1/packets` from `--clients`
//!   concurrent clients, each a device of its own with its own token, each
//!   sending packets sealed before the timed window (one distinct packet, with
//!   its own id in its signed header, per send);
//! - the raw insert rate of SQLite at the broker's durability (WAL,
//!   `synchronous=FULL`, `secure_delete=ON`) of blobs the size of the
//!   packets, one row per transaction and `--clients` rows per transaction
//!   (the most a group commit can gather from that many clients);
//! - the raw insert rate of PostgreSQL, one row per transaction, from as many
//!   connections as clients and from as many as the broker's pool holds;
//! - an axum route that does nothing, on the broker's server stack, hammered
//!   by the same clients: the HTTP stack's limit.
//!
//! Every loop stops by itself at `--seconds` or when its count runs out.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use bytes::Bytes;
use referral_broker::app::Application;
use referral_broker::bootstrap::BootstrapState;
use referral_broker::config::ConfigLayer;
use referral_protocol::{DeskId, Role};
use referral_store::postgres::PostgresStore;
use referral_store::postgres::test_support::FreshDatabase;
use reqwest::StatusCode;
use tokio::sync::oneshot;

// `Device` and `token` moved to `crate::enroll` (shared with `load`); they
// stay reachable here under their old paths.
use crate::enroll::{Admin, Prepared, seal_per_sender, seal_referral, time_now};
pub(crate) use crate::enroll::{Device, token};
use crate::limits::{self, Inserts, NoopServer};
use crate::load::{self, Outcome};
use crate::report::{
    self, cores, cpu_model, load_average, loud, millis, row, table_header, text_row,
};

/// Sends per client before the timed window: connections are open, the
/// token's device is warm in every cache, the database files exist.
const WARMUP: usize = 2;

/// Rows at most in one raw insert run (8 KiB each: 3.2 GB), whatever
/// `--seconds` says.
const MAX_RAW_ROWS: u64 = 400_000;

/// Requests at most in one do-nothing HTTP run, whatever `--seconds` says.
const MAX_NOOP_REQUESTS: usize = 4_000_000;

/// Which databases the broker is measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backends {
    /// Embedded SQLite only.
    Sqlite,
    /// PostgreSQL only.
    Postgres,
    /// Both, one after the other.
    Both,
}

/// `referral-bench broker` options.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which database(s) the broker runs on.
    #[arg(long, value_enum, default_value_t = Backends::Both)]
    backend: Backends,
    /// Concurrent clients, one enrolled device each.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Desks: the first receives, the others send (clients are spread over
    /// them). At least 2.
    #[arg(long, default_value_t = 2)]
    desks: usize,
    /// Length of each timed window, in seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Packets sealed before timing: the count bound of each send window
    /// (spread evenly over the clients; shared by both backends).
    #[arg(long, default_value_t = 60_000)]
    packets: usize,
    /// Bytes of referral JSON in each packet.
    #[arg(long, default_value_t = 4096)]
    content_bytes: usize,
}

/// Every device of the run. The same keys are enrolled in each broker, so
/// one set of sealed packets serves both backends.
pub(crate) struct Fleet {
    admin: Device,
    pub(crate) desks: Vec<DeskId>,
    /// The one `desk`-role device of `desks[0]`, to which every packet goes.
    pub(crate) inbox: Device,
    /// One caseworker per client, spread over `desks[1..]`.
    pub(crate) senders: Vec<Device>,
}

impl Fleet {
    pub(crate) fn new(desks: usize, clients: usize) -> anyhow::Result<Self> {
        let desks: Vec<DeskId> = (0..desks)
            .map(|i| format!("bench-desk-{i}").parse())
            .collect::<Result<_, _>>()?;
        let senders = (0..clients)
            .map(|c| Device::new(Some(desks[1 + c % (desks.len() - 1)].clone())))
            .collect::<anyhow::Result<_>>()?;
        Ok(Self {
            admin: Device::new(None)?,
            inbox: Device::new(Some(desks[0].clone()))?,
            desks,
            senders,
        })
    }
}

/// One broker run.
struct SendRun {
    backend: &'static str,
    outcome: Outcome,
    stored: Option<u64>,
    warmup_ok: u64,
    notes: String,
}

/// Runs the whole benchmark on a runtime of its own.
pub fn run(args: Args) -> anyhow::Result<()> {
    ensure!(args.desks >= 2, "--desks must be at least 2");
    ensure!(args.clients >= 1, "--clients must be at least 1");
    ensure!(args.seconds >= 1, "--seconds must be at least 1");
    ensure!(
        args.packets >= args.clients,
        "--packets must be at least --clients"
    );
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run_async(args))
}

async fn run_async(args: Args) -> anyhow::Result<()> {
    let load_before = load_average();
    let window = Duration::from_secs(args.seconds);
    let http = load::http_client(args.clients)?;

    // Keys and packets first: nothing of this is timed.
    let fleet = std::sync::Arc::new(Fleet::new(args.desks, args.clients)?);
    let per_client = args.packets.div_ceil(args.clients) + WARMUP;
    let content = crate::protocol::referral_json(args.content_bytes);
    let threads = cores();
    let sealing = Instant::now();
    let pools = {
        let fleet = std::sync::Arc::clone(&fleet);
        tokio::task::spawn_blocking(move || seal_pools(&fleet, per_client, &content, threads))
            .await??
    };
    let sealing = sealing.elapsed();
    let sealed_total = per_client * args.clients;
    let packet_len = pools[0][0].body.len();
    ensure!(
        pools.iter().flatten().all(|p| p.body.len() == packet_len),
        "sealed packets differ in size"
    );

    let backends: &[(bool, &'static str)] = match args.backend {
        Backends::Sqlite => &[(false, "SQLite")],
        Backends::Postgres => &[(true, "PostgreSQL")],
        Backends::Both => &[(false, "SQLite"), (true, "PostgreSQL")],
    };
    let mut runs = Vec::new();
    let mut skipped = Vec::new();
    for &(postgres, name) in backends {
        match run_broker(postgres, name, &fleet, &pools, &args, &http).await? {
            Some(r) => runs.push(r),
            None => skipped.push(name),
        }
    }
    drop(pools);

    // The limits, after the broker has stopped.
    let with_sqlite = args.backend != Backends::Postgres;
    let with_postgres = args.backend != Backends::Sqlite && !skipped.contains(&"PostgreSQL");
    let raw_dir = tempfile::tempdir()?;
    let mut raw_sqlite = Vec::new();
    if with_sqlite {
        // One row per commit (no group commit at all), and as many rows as
        // there are clients: the most one commit can gather from them.
        let mut batches = vec![1];
        if args.clients > 1 {
            batches.push(args.clients);
        }
        for batch in batches {
            raw_sqlite.push(
                limits::raw_sqlite(raw_dir.path(), batch, packet_len, window, MAX_RAW_ROWS).await?,
            );
        }
    }
    drop(raw_dir);
    let broker_pool = PostgresStore::DEFAULT_MAX_CONNECTIONS;
    let mut raw_postgres = Vec::new();
    if with_postgres {
        match FreshDatabase::create().await {
            Some(db) => {
                let connections = [args.clients as u32, broker_pool];
                for c in connections {
                    let r =
                        limits::raw_postgres(db.url(), c, packet_len, window, MAX_RAW_ROWS).await;
                    raw_postgres.push((c, r));
                }
                db.cleanup().await;
            }
            None => loud("PostgreSQL became unreachable: no raw PostgreSQL limit"),
        }
    }
    let (noop, sink) = http_limits(&http, args.clients, window, packet_len).await?;
    let load_after = load_average();

    // The report.
    println!(
        "machine: {} cores; {}; load average before / after: {load_before} / {load_after}",
        cores(),
        cpu_model()
    );
    println!(
        "packets: {sealed_total} sealed before timing in {:.1} s ({:.0} µs each on {threads} threads); \
         {} B of referral JSON → {packet_len} B packets, 2 age recipients, one fresh packet and \
         thread id per send",
        sealing.as_secs_f64(),
        report::micros(sealing) * threads as f64 / sealed_total as f64,
        args.content_bytes,
    );
    println!(
        "load: {} clients (one device and token each, keep-alive HTTP/1.1 over 127.0.0.1), \
         {} desks ({} sending, all to {}), window {} s or {} sends per client",
        args.clients,
        args.desks,
        args.desks - 1,
        fleet.desks[0],
        args.seconds,
        per_client - WARMUP,
    );
    for name in &skipped {
        loud(&format!("{name} was SKIPPED: the server is unreachable"));
    }
    println!();
    table_header();
    for r in &runs {
        let o = &r.outcome;
        let what = format!("durable sends/s, {} broker", r.backend);
        if r.backend == "SQLite" {
            for raw in &raw_sqlite {
                row(
                    &what,
                    o.rate(),
                    raw.rate(),
                    &format!("raw SQLite inserts/s, {}", batch_label(raw)),
                );
            }
        } else {
            for (c, raw) in &raw_postgres {
                if let Ok(raw) = raw {
                    row(
                        &what,
                        o.rate(),
                        raw.rate(),
                        &format!("raw PostgreSQL inserts/s, 1 row/txn, {c} connections"),
                    );
                }
            }
        }
        row(
            &what,
            o.rate(),
            noop.rate(),
            &format!("GET /noop req/s, {} clients", args.clients),
        );
        row(
            &what,
            o.rate(),
            sink.rate(),
            &format!(
                "POST {packet_len} B to /sink req/s, {} clients",
                args.clients
            ),
        );
        let p99 = millis(o.latencies.percentile(99.0));
        let limit_p99 = millis(noop.latencies.percentile(99.0));
        text_row(
            &format!("send latency p50 / p95 / p99, {} broker", r.backend),
            &o.latencies.triple(),
            &format!("{} (GET /noop, same clients)", noop.latencies.triple()),
            &format!("{:.1} (p99)", p99 / limit_p99),
        );
        if r.backend == "SQLite" {
            if let Some(raw) = raw_sqlite.last() {
                let raw_p99 = millis(raw.latencies.percentile(99.0));
                text_row(
                    "send latency p50 / p95 / p99, SQLite broker",
                    &o.latencies.triple(),
                    &format!(
                        "{} (one raw commit of {} rows)",
                        raw.latencies.triple(),
                        raw.rows / raw.commits.max(1)
                    ),
                    &format!("{:.1} (p99)", p99 / raw_p99),
                );
            }
            text_row(
                "SQLite commits in the window",
                "not measured",
                "`SqliteStore::commits()` is not reachable through `Application` (`dyn Store`)",
                "",
            );
        } else if let Some((c, Ok(raw))) = raw_postgres.first() {
            let raw_p99 = millis(raw.latencies.percentile(99.0));
            text_row(
                "send latency p50 / p95 / p99, PostgreSQL broker",
                &o.latencies.triple(),
                &format!(
                    "{} (one raw insert, {c} connections)",
                    raw.latencies.triple()
                ),
                &format!("{:.1} (p99)", p99 / raw_p99),
            );
        }
    }
    println!();
    println!("SPEC §11 goal: at least 10 000 durable sends/s with p99 under 25 ms, on 2 cores.");
    for r in &runs {
        let rate = r.outcome.rate();
        let p99 = millis(r.outcome.latencies.percentile(99.0));
        let met = rate >= 10_000.0 && p99 < 25.0;
        println!(
            "- {}: {rate:.0} sends/s, p99 {p99:.1} ms: {}",
            r.backend,
            if met { "met" } else { "NOT met" }
        );
    }

    println!();
    println!("Parameters and checks:");
    for r in &runs {
        let o = &r.outcome;
        println!(
            "- {} broker: {} sends answered 201 in {:.2} s, {} errors{}; {} warm-up sends before; \
             the broker's /metrics counts {} packets stored (expected {}){}; {}; {}",
            r.backend,
            o.ok,
            o.elapsed.as_secs_f64(),
            o.errors,
            o.first_error
                .as_deref()
                .map(|e| format!(" (first: {e})"))
                .unwrap_or_default(),
            r.warmup_ok,
            r.stored.map_or_else(|| "?".into(), |n| n.to_string()),
            o.ok + r.warmup_ok,
            if o.exhausted > 0 {
                format!(
                    "; {} clients ran out of packets before the deadline: raise --packets",
                    o.exhausted
                )
            } else {
                String::new()
            },
            r.notes,
            o.cpu_share(),
        );
    }
    for raw in &raw_sqlite {
        println!(
            "- raw SQLite, {}: {} rows of {packet_len} B in {} transactions, {:.2} s, \
             one connection, random 16-byte BLOB primary keys; {}; {}",
            batch_label(raw),
            raw.rows,
            raw.commits,
            raw.elapsed.as_secs_f64(),
            raw.settings,
            raw.cpu_share(),
        );
    }
    for (c, raw) in &raw_postgres {
        match raw {
            Ok(raw) => println!(
                "- raw PostgreSQL, {c} connections: {} rows of {packet_len} B BYTEA, one \
                 INSERT per transaction, {:.2} s; insert latency {}; {}{}; client side: {}",
                raw.rows,
                raw.elapsed.as_secs_f64(),
                raw.latencies.triple(),
                raw.settings,
                if *c == broker_pool {
                    " (the broker's own pool size)"
                } else {
                    ""
                },
                raw.cpu_share(),
            ),
            Err(e) => println!("- raw PostgreSQL, {c} connections: FAILED: {e:#}"),
        }
    }
    for (name, o) in [("GET /noop", &noop), ("POST /sink", &sink)] {
        println!(
            "- {name}: {} answers in {:.2} s, {} errors{}; axum on axum-server (the broker's \
             stack, no middleware), same process, same {} clients; {}",
            o.ok,
            o.elapsed.as_secs_f64(),
            o.errors,
            o.first_error
                .as_deref()
                .map(|e| format!(" (first: {e})"))
                .unwrap_or_default(),
            args.clients,
            o.cpu_share(),
        );
    }
    println!(
        "- one process on one tokio runtime ({} worker threads): the clients and the server \
         share the cores, for the broker and for its HTTP limit alike",
        cores()
    );
    Ok(())
}

fn batch_label(raw: &Inserts) -> String {
    let per = raw.rows / raw.commits.max(1);
    if per == 1 {
        "1 row/txn".into()
    } else {
        format!("{per} rows/txn")
    }
}

/// Seals `per_client` packets for each sender, on `threads` threads.
fn seal_pools(
    fleet: &Fleet,
    per_client: usize,
    content: &[u8],
    threads: usize,
) -> anyhow::Result<Vec<Vec<Prepared>>> {
    let created_at = time_now();
    seal_per_sender(&fleet.senders, threads, |_, sender| {
        (0..per_client)
            .map(|_| seal_one(fleet, sender, content, created_at))
            .collect()
    })
}

/// One packet from `sender` to the receiving desk, sealed to its one
/// device and to the sender (as the CLI seals to the sender's own desk).
fn seal_one(
    fleet: &Fleet,
    sender: &Device,
    content: &[u8],
    created_at: i64,
) -> anyhow::Result<Prepared> {
    seal_referral(
        sender,
        &fleet.desks[0],
        vec![fleet.inbox.recipient.clone(), sender.recipient.clone()],
        content,
        created_at,
    )
}

/// Starts a broker on a fresh database, enrolls the fleet, warms up, runs
/// the timed window and stops the broker. `None` if PostgreSQL is wanted but
/// unreachable (after a loud note).
async fn run_broker(
    postgres: bool,
    name: &'static str,
    fleet: &Fleet,
    pools: &[Vec<Prepared>],
    args: &Args,
    http: &reqwest::Client,
) -> anyhow::Result<Option<SendRun>> {
    let dir = tempfile::tempdir()?;
    let pg = if postgres {
        match FreshDatabase::create().await {
            Some(db) => Some(db),
            None => {
                loud("PostgreSQL is unreachable: the PostgreSQL broker run is SKIPPED");
                return Ok(None);
            }
        }
    } else {
        None
    };
    let config = ConfigLayer {
        data_dir: Some(dir.path().join("data")),
        listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        database_url: pg.as_ref().map(|db| db.url().to_owned()),
        // Every client gets its token before the window, all from one
        // address, and each then sends far above what a person would: the
        // abuse limits (ADR 0006) are lifted so that they do not measure
        // themselves.
        auth_per_minute: Some(100_000),
        unauthenticated_per_minute_per_address: Some(100_000),
        requests_per_minute_per_device: Some(10_000_000),
        ..ConfigLayer::default()
    }
    .resolve()?;
    let application = Application::build(&config)
        .await
        .with_context(|| format!("building the {name} broker"))?;
    let code = match application.bootstrap_state() {
        BootstrapState::NewCode(code) => code.clone(),
        other => bail!("a fresh broker should make a bootstrap code, not {other:?}"),
    };
    let addr = application.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(application.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let base = format!("http://{addr}");

    let measured = measure_broker(&base, &code, fleet, pools, args, http).await;

    let _ = stop.send(());
    server.await?.context("the broker stopped with an error")?;
    if let Some(db) = pg {
        db.cleanup().await;
    }
    let (outcome, warmup_ok, stored) = measured?;
    Ok(Some(SendRun {
        backend: name,
        outcome,
        stored,
        warmup_ok,
        notes: if postgres {
            format!(
                "fresh database, broker pool of {} connections; PostgreSQL's own CPU is \
                 in its processes, not counted below",
                PostgresStore::DEFAULT_MAX_CONNECTIONS
            )
        } else {
            "broker.db in a temporary directory".into()
        },
    }))
}

async fn measure_broker(
    base: &str,
    code: &str,
    fleet: &Fleet,
    pools: &[Vec<Prepared>],
    args: &Args,
    http: &reqwest::Client,
) -> anyhow::Result<(Outcome, u64, Option<u64>)> {
    let tokens = enroll(http, base, code, fleet).await?;
    let sends = |range: std::ops::Range<usize>| -> Vec<_> {
        pools
            .iter()
            .zip(&tokens)
            .map(|(pool, token)| {
                let (http, url, token) =
                    (http.clone(), format!("{base}/v1/packets"), token.clone());
                Vec::from(&pool[range.clone()])
                    .into_iter()
                    .map(move |p| p.request(&http, &url, &token))
            })
            .collect()
    };
    let per_client = pools[0].len();
    let warm = load::run(
        sends(0..WARMUP),
        Duration::from_secs(60),
        StatusCode::CREATED,
    )
    .await;
    if warm.errors > 0 {
        bail!(
            "warm-up sends failed: {}",
            warm.first_error.unwrap_or_default()
        );
    }
    let outcome = load::run(
        sends(WARMUP..per_client),
        Duration::from_secs(args.seconds),
        StatusCode::CREATED,
    )
    .await;
    let stored = stored_count(http, base).await.ok();
    Ok((outcome, warm.ok, stored))
}

/// `referral_packets_stored_total` from the broker's `/metrics`.
async fn stored_count(http: &reqwest::Client, base: &str) -> anyhow::Result<u64> {
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    text.lines()
        .find_map(|l| l.strip_prefix("referral_packets_stored_total "))
        .context("no referral_packets_stored_total in /metrics")?
        .trim()
        .parse()
        .context("parsing referral_packets_stored_total")
}

/// Claims the broker with the admin's genesis entry, creates the desks and
/// enrolls every device the way the CLI does (see [`crate::enroll`]), and
/// returns each sender's token (in `fleet.senders` order).
pub(crate) async fn enroll(
    http: &reqwest::Client,
    base: &str,
    code: &str,
    fleet: &Fleet,
) -> anyhow::Result<Vec<String>> {
    let mut admin = Admin::claim(http, base, code, &fleet.admin).await?;
    for desk in &fleet.desks {
        admin.add_desk(desk, format!("{desk} office"), None).await?;
    }
    let devices = std::iter::once((&fleet.inbox, Role::Desk))
        .chain(fleet.senders.iter().map(|d| (d, Role::Caseworker)));
    for (device, role) in devices {
        admin.enroll(device, role).await?;
    }
    let mut tokens = Vec::with_capacity(fleet.senders.len());
    for sender in &fleet.senders {
        tokens.push(token(http, base, sender).await?);
    }
    Ok(tokens)
}

/// `GET /noop` and `POST /sink` (a body of the packets' size) on the
/// do-nothing server, by the same clients.
async fn http_limits(
    http: &reqwest::Client,
    clients: usize,
    window: Duration,
    body_len: usize,
) -> anyhow::Result<(Outcome, Outcome)> {
    let server = NoopServer::start().await?;
    let per_client = MAX_NOOP_REQUESTS / clients;
    let noop_url = format!("http://{}/noop", server.addr);
    let sink_url = format!("http://{}/sink", server.addr);
    let body = Bytes::from(vec![0x5a; body_len]);
    let gets = |n: usize| -> Vec<_> {
        (0..clients)
            .map(|_| {
                let (http, url) = (http.clone(), noop_url.clone());
                std::iter::repeat_with(move || http.get(&url)).take(n)
            })
            .collect()
    };
    let posts = |n: usize| -> Vec<_> {
        (0..clients)
            .map(|_| {
                let (http, url, body) = (http.clone(), sink_url.clone(), body.clone());
                std::iter::repeat_with(move || {
                    http.post(&url)
                        .header("content-type", "application/octet-stream")
                        .body(body.clone())
                })
                .take(n)
            })
            .collect()
    };
    let warm = load::run(gets(WARMUP * 10), window, StatusCode::OK).await;
    ensure!(warm.errors == 0, "GET /noop: {:?}", warm.first_error);
    let noop = load::run(gets(per_client), window, StatusCode::OK).await;
    let warm = load::run(posts(WARMUP * 10), window, StatusCode::CREATED).await;
    ensure!(warm.errors == 0, "POST /sink: {:?}", warm.first_error);
    let sink = load::run(posts(per_client), window, StatusCode::CREATED).await;
    server.stop().await?;
    Ok((noop, sink))
}
