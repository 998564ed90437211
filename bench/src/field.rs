//! `referral-bench load`: the broker under a field-shaped load, as a separate
//! process (the real release binary), with every packet accounted for.
//!
//! - Desks: one recipient desk per support center in `--profile`
//!   (`prefectures.csv`: 302 desks, `tokyo-1`…), each with one `desk`-role
//!   device, and `--sender-desks` call-center desks whose `--clients`
//!   caseworker devices send. Everything is enrolled through the HTTP API
//!   the way the CLI does it ([`crate::enroll`]).
//! - Sends: real sealed 4 KiB packets (`--content-bytes 2600` of referral
//!   JSON fills the smallest bucket), addressed to desks drawn with the
//!   consultations column's weights, sealed before the window; each client
//!   sends its own one after the other (closed loop).
//! - Reads: `--readers` pollers share the recipient desks; each goes round
//!   its desks with that desk's token: `GET /v1/inbox`, then for each
//!   pending packet `GET /v1/packets/{id}` and `POST /v1/packets/{id}/ack`.
//!   After the window the readers drain every inbox.
//! - Scale-out (`--brokers 2`, PostgreSQL): a second broker process starts
//!   on the already-claimed database (it loads the directory log from the
//!   store and makes no bootstrap code); senders use the first, readers
//!   alternate between both.
//! - Checks: every packet answered 201 is in the database exactly once (read
//!   directly with sqlx, not through the broker) and acknowledged there, and
//!   was fetched and acknowledged by its own recipient desk exactly once.
//!   A lost or duplicated packet makes the run fail.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail, ensure};
use referral_protocol::api::Inbox;
use referral_protocol::{DeskId, PacketId, Role};
use referral_store::postgres::test_support::FreshDatabase;
use reqwest::StatusCode;
use sqlx::Row;

use crate::enroll::{Admin, Device, Prepared, seal_per_sender, seal_referral, time_now, token};
use crate::load::{self, Outcome};
use crate::process::{BrokerProcess, Launch, Memory, broker_binary, workspace_root};
use crate::profile::{Profile, SplitMix};
use crate::report::{
    self, Latencies, cores, cpu_model, load_average, loud, table_header, text_row,
};

/// The longest window: every token is taken before it and lives 15 min
/// (the most the broker allows), and the drain comes after it.
const MAX_SECONDS: u64 = 600;

/// How long the readers may take to empty the inboxes after the window.
const DRAIN_LIMIT: Duration = Duration::from_secs(120);

/// A reader's pause after a round in which none of its desks had mail, so
/// that idle pollers do not spin on two cores the senders need.
const IDLE_PAUSE: Duration = Duration::from_millis(10);

/// The desk draws are the same in every run.
const SEED: u64 = 0x5eed_2021_0917;

/// Which database the broker(s) run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// Embedded SQLite in a temporary directory.
    Sqlite,
    /// A fresh database on the PostgreSQL server at 127.0.0.1:5432.
    Postgres,
}

/// `referral-bench load` options.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which database the broker(s) run on.
    #[arg(long, value_enum, default_value_t = Backend::Sqlite)]
    backend: Backend,
    /// Concurrent senders, one caseworker device each.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Concurrent desk pollers; the recipient desks are shared out among
    /// them.
    #[arg(long, default_value_t = 8)]
    readers: usize,
    /// Length of the timed window, in seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Broker processes: 2 runs two on one PostgreSQL database.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    brokers: u8,
    /// The field profile (relative paths: to the current directory, else to
    /// the workspace root).
    #[arg(long, default_value = "client-cli/data/prefectures.csv")]
    profile: PathBuf,
    /// Call-center desks the senders belong to.
    #[arg(long, default_value_t = 4)]
    sender_desks: usize,
    /// Packets sealed before timing: the count bound of the window (spread
    /// evenly over the senders).
    #[arg(long, default_value_t = 40_000)]
    packets: usize,
    /// Bytes of referral JSON in each packet (2600 seals to 4096 B, the
    /// smallest bucket).
    #[arg(long, default_value_t = 2600)]
    content_bytes: usize,
}

/// Every device of the run.
struct Fleet {
    admin: Device,
    profile: Profile,
    /// One `desk`-role device per profile desk, in the profile's order.
    desk_devices: Vec<Device>,
    sender_desks: Vec<DeskId>,
    /// One caseworker per sender, spread over `sender_desks`.
    senders: Vec<Device>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    ensure!(args.clients >= 1, "--clients must be at least 1");
    ensure!(args.readers >= 1, "--readers must be at least 1");
    ensure!(args.sender_desks >= 1, "--sender-desks must be at least 1");
    ensure!(
        (1..=MAX_SECONDS).contains(&args.seconds),
        "--seconds must be between 1 and {MAX_SECONDS} (tokens live at most 15 minutes)"
    );
    ensure!(
        args.packets >= args.clients,
        "--packets must be at least --clients"
    );
    ensure!(
        args.brokers == 1 || args.backend == Backend::Postgres,
        "--brokers 2 needs --backend postgres: brokers share nothing but the database, and \
         embedded SQLite is one process's file"
    );
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run_async(args))
}

/// The brokers' config file. The abuse limits (ADR 0006) are lifted: every
/// device takes its token from one address within a second, and each then
/// works far faster than a person, so the default limits would measure
/// themselves. Tokens live their longest (15 min) so that none expires
/// within a run (`--seconds` is bounded to match). The database URL goes in
/// the file, not on the command line, where `ps` would show it.
fn broker_config(database_url: Option<&str>) -> String {
    let mut config = String::from(
        "auth_per_minute = 1000000\n\
         unauthenticated_per_minute_per_address = 1000000\n\
         requests_per_minute_per_device = 100000000\n\
         token_lifetime_secs = 900\n",
    );
    if let Some(url) = database_url {
        config.push_str(&format!("database_url = {url:?}\n"));
    }
    config
}

/// A relative `--profile` is looked for in the current directory first (as
/// any path argument), then under the workspace root (where the default is
/// meant).
fn resolve_profile(path: &Path) -> anyhow::Result<PathBuf> {
    if path.is_absolute() {
        return Ok(path.to_owned());
    }
    let candidates = [path.to_owned(), workspace_root().join(path)];
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| {
            anyhow!(
                "no profile at {} or {}",
                candidates[0].display(),
                candidates[1].display()
            )
        })
}

/// What the sealing step made.
struct Sealed {
    pools: Vec<Vec<Prepared>>,
    /// Each packet's recipient desk (index into the profile).
    desk_of: HashMap<PacketId, usize>,
    took: Duration,
    packet_len: usize,
}

async fn run_async(args: Args) -> anyhow::Result<()> {
    let load_before = load_average();
    // Everything that can refuse the run does so before the minutes of
    // enrollment and sealing.
    let bin = broker_binary()?;
    let profile_path = resolve_profile(&args.profile)?;
    let profile = Profile::read(&profile_path)?;
    let pg = match args.backend {
        Backend::Postgres => match FreshDatabase::create().await {
            Some(db) => Some(db),
            None => {
                loud(
                    "PostgreSQL is unreachable (REFERRAL_TEST_POSTGRES_URL, default \
                     127.0.0.1:5432): the `load --backend postgres` run is SKIPPED",
                );
                return Ok(());
            }
        },
        Backend::Sqlite => None,
    };
    let outcome = run_with(
        &args,
        &bin,
        &profile_path,
        profile,
        pg.as_ref(),
        load_before,
    )
    .await;
    if let Some(db) = pg {
        db.cleanup().await;
    }
    outcome
}

fn make_fleet(args: &Args, profile: Profile) -> anyhow::Result<Fleet> {
    let sender_desks: Vec<DeskId> = (1..=args.sender_desks)
        .map(|i| format!("call-center-{i}").parse())
        .collect::<Result<_, _>>()?;
    let senders = (0..args.clients)
        .map(|c| Device::new(Some(sender_desks[c % sender_desks.len()].clone())))
        .collect::<anyhow::Result<_>>()?;
    let desk_devices = profile
        .desks
        .iter()
        .map(|d| Device::new(Some(d.id.clone())))
        .collect::<anyhow::Result<_>>()?;
    Ok(Fleet {
        admin: Device::new(None)?,
        profile,
        desk_devices,
        sender_desks,
        senders,
    })
}

/// Draws each packet's desk (one generator, in order, so the draws do not
/// depend on the thread count) and seals the packets on every core.
fn seal_all(fleet: &Fleet, per_client: usize, content: &[u8]) -> anyhow::Result<Sealed> {
    let started = Instant::now();
    let mut rng = SplitMix::new(SEED);
    let plan: Vec<Vec<usize>> = fleet
        .senders
        .iter()
        .map(|_| {
            (0..per_client)
                .map(|_| fleet.profile.pick(rng.next_f64()))
                .collect()
        })
        .collect();
    let created_at = time_now();
    let pools = seal_per_sender(&fleet.senders, cores(), |i, sender| {
        plan[i]
            .iter()
            .map(|&d| {
                // Sealed to the desk's one device and to the sender, as the
                // CLI seals to its own desk too.
                let recipients = vec![
                    fleet.desk_devices[d].recipient.clone(),
                    sender.recipient.clone(),
                ];
                let to = &fleet.profile.desks[d].id;
                seal_referral(sender, to, recipients, content, created_at)
            })
            .collect()
    })?;
    let mut desk_of = HashMap::new();
    for (pool, desks) in pools.iter().zip(&plan) {
        for (p, &d) in pool.iter().zip(desks) {
            desk_of.insert(p.id, d);
        }
    }
    let packet_len = pools[0][0].body.len();
    ensure!(
        pools.iter().flatten().all(|p| p.body.len() == packet_len),
        "sealed packets differ in size"
    );
    Ok(Sealed {
        pools,
        desk_of,
        took: started.elapsed(),
        packet_len,
    })
}

/// One poller's share of the desks, and the broker it polls.
struct ReaderPlan {
    broker: usize,
    base: String,
    /// (profile index, desk, that desk's device token)
    desks: Vec<(usize, DeskId, String)>,
}

/// One operation's tally in a reader.
#[derive(Default)]
struct Op {
    /// Answered as expected within the window.
    ok: u64,
    /// Answered as expected after it (the drain).
    after: u64,
    errors: u64,
    latencies_us: Vec<u32>,
}

impl Op {
    fn record(
        &mut self,
        started: Instant,
        deadline: Instant,
        result: &Result<(), String>,
        first_error: &mut Option<String>,
    ) {
        match result {
            Ok(()) => {
                let done = Instant::now();
                if done <= deadline {
                    self.ok += 1;
                    let us = (done - started).as_micros();
                    self.latencies_us
                        .push(u32::try_from(us).unwrap_or(u32::MAX));
                } else {
                    self.after += 1;
                }
            }
            Err(e) => {
                self.errors += 1;
                first_error.get_or_insert_with(|| e.clone());
            }
        }
    }

    fn merge(&mut self, other: Op) {
        self.ok += other.ok;
        self.after += other.after;
        self.errors += other.errors;
        self.latencies_us.extend(other.latencies_us);
    }
}

#[derive(Default)]
struct ReaderResult {
    inbox: Op,
    fetch: Op,
    ack: Op,
    first_error: Option<String>,
    /// Every successful fetch: packet, the desk that fetched it, when.
    fetches: Vec<(PacketId, usize, Instant)>,
    /// Every successful ack: packet, the desk that acknowledged it.
    acks: Vec<(PacketId, usize)>,
    /// Whether a round begun after the last send found every inbox empty.
    drained: bool,
}

/// Polls its desks round after round until the window is over and the
/// senders have stopped, then until one whole round (begun after the last
/// send was answered) finds every inbox empty.
async fn reader(
    plan: ReaderPlan,
    http: reqwest::Client,
    deadline: Instant,
    senders_done: Arc<AtomicBool>,
) -> ReaderResult {
    let mut r = ReaderResult::default();
    loop {
        let finishing = senders_done.load(Ordering::Acquire);
        let mut busy = false;
        for (desk_index, _desk, token) in &plan.desks {
            let started = Instant::now();
            let inbox = get_inbox(&http, &plan.base, token).await;
            let result = inbox.as_ref().map(|_| ()).map_err(Clone::clone);
            r.inbox
                .record(started, deadline, &result, &mut r.first_error);
            let Ok(inbox) = inbox else {
                // Not known to be empty.
                busy = true;
                continue;
            };
            for entry in inbox.packets {
                busy = true;
                let started = Instant::now();
                let fetched = fetch(&http, &plan.base, token, &entry.packet_id, entry.bytes).await;
                r.fetch
                    .record(started, deadline, &fetched, &mut r.first_error);
                if fetched.is_err() {
                    // Left pending: the next round fetches it again.
                    continue;
                }
                r.fetches
                    .push((entry.packet_id, *desk_index, Instant::now()));
                let started = Instant::now();
                let acked = ack(&http, &plan.base, token, &entry.packet_id).await;
                r.ack.record(started, deadline, &acked, &mut r.first_error);
                if acked.is_ok() {
                    r.acks.push((entry.packet_id, *desk_index));
                }
            }
        }
        if finishing && !busy {
            r.drained = true;
            return r;
        }
        if Instant::now() > deadline + DRAIN_LIMIT {
            return r;
        }
        if !busy {
            tokio::time::sleep(IDLE_PAUSE).await;
        }
    }
}

async fn get_inbox(http: &reqwest::Client, base: &str, token: &str) -> Result<Inbox, String> {
    let res = http
        .get(format!("{base}/v1/inbox"))
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| format!("inbox: transport: {e}"))?;
    let status = res.status();
    let body = res.bytes().await.map_err(|e| format!("inbox: body: {e}"))?;
    if status != StatusCode::OK {
        return Err(format!(
            "inbox: {status}: {}",
            String::from_utf8_lossy(&body)
        ));
    }
    serde_json::from_slice(&body).map_err(|e| format!("inbox: {e}"))
}

async fn fetch(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    id: &PacketId,
    expected_len: u64,
) -> Result<(), String> {
    let res = http
        .get(format!("{base}/v1/packets/{id}"))
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| format!("fetch: transport: {e}"))?;
    let status = res.status();
    let body = res.bytes().await.map_err(|e| format!("fetch: body: {e}"))?;
    if status != StatusCode::OK {
        return Err(format!(
            "fetch: {status}: {}",
            String::from_utf8_lossy(&body)
        ));
    }
    if body.len() as u64 != expected_len {
        return Err(format!(
            "fetch: {} bytes, the inbox said {expected_len}",
            body.len()
        ));
    }
    Ok(())
}

async fn ack(http: &reqwest::Client, base: &str, token: &str, id: &PacketId) -> Result<(), String> {
    let res = http
        .post(format!("{base}/v1/packets/{id}/ack"))
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| format!("ack: transport: {e}"))?;
    let status = res.status();
    let body = res.bytes().await.map_err(|e| format!("ack: body: {e}"))?;
    if status != StatusCode::OK {
        return Err(format!("ack: {status}: {}", String::from_utf8_lossy(&body)));
    }
    Ok(())
}

/// The packets table as the database has it: rows per packet id (hex) and
/// the delivery state of the last row seen.
type DbRows = HashMap<String, (u32, String)>;

async fn postgres_rows(url: &str) -> anyhow::Result<DbRows> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .context("connecting to PostgreSQL for the check")?;
    // Every row, not `GROUP BY id`: the count per id is the check, so it is
    // made here rather than trusted to the primary key.
    let rows = sqlx::query("SELECT replace(id::text, '-', '') AS id, delivery FROM packets")
        .fetch_all(&pool)
        .await?;
    pool.close().await;
    Ok(tally(rows.iter().map(|r| (r.get("id"), r.get("delivery")))))
}

async fn sqlite_rows(db: &Path) -> anyhow::Result<DbRows> {
    use sqlx::ConnectOptions;
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db)
        .read_only(true)
        .connect()
        .await
        .with_context(|| format!("opening {} for the check", db.display()))?;
    let rows = sqlx::query("SELECT lower(hex(id)) AS id, delivery FROM packets")
        .fetch_all(&mut conn)
        .await?;
    Ok(tally(rows.iter().map(|r| (r.get("id"), r.get("delivery")))))
}

fn tally(rows: impl Iterator<Item = (String, String)>) -> DbRows {
    let mut out = DbRows::new();
    for (id, delivery) in rows {
        let e = out.entry(id).or_insert((0, String::new()));
        e.0 += 1;
        e.1 = delivery;
    }
    out
}

fn hex_id(id: &PacketId) -> String {
    id.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// What became of the packets, from the senders', readers' and database's
/// records.
#[derive(Debug, Default)]
struct Check {
    answered: usize,
    /// Answered 201 but not in the database.
    lost: usize,
    /// More than one row for one id.
    duplicated: usize,
    /// In the database but not `acknowledged`.
    not_acked_in_db: usize,
    /// Fetched other than exactly once, or by another desk.
    fetch_anomalies: usize,
    /// Acknowledged other than exactly once, or by another desk.
    ack_anomalies: usize,
    /// Rows with no 201 answer (a send whose answer was lost).
    unanswered_rows: usize,
    /// The same id answered 201 twice (a bug here: every send is fresh).
    answered_twice: usize,
}

impl Check {
    fn passed(&self) -> bool {
        self.lost == 0
            && self.duplicated == 0
            && self.not_acked_in_db == 0
            && self.fetch_anomalies == 0
            && self.ack_anomalies == 0
            && self.answered_twice == 0
    }
}

fn check(
    answered: &HashMap<PacketId, Instant>,
    answered_total: usize,
    desk_of: &HashMap<PacketId, usize>,
    fetches: &[(PacketId, usize, Instant)],
    acks: &[(PacketId, usize)],
    rows: &DbRows,
) -> Check {
    let mut fetched: HashMap<PacketId, (u32, bool)> = HashMap::new();
    for (id, desk, _) in fetches {
        let e = fetched.entry(*id).or_insert((0, true));
        e.0 += 1;
        e.1 &= desk_of.get(id) == Some(desk);
    }
    let mut acked: HashMap<PacketId, (u32, bool)> = HashMap::new();
    for (id, desk) in acks {
        let e = acked.entry(*id).or_insert((0, true));
        e.0 += 1;
        e.1 &= desk_of.get(id) == Some(desk);
    }
    let mut c = Check {
        answered: answered.len(),
        answered_twice: answered_total - answered.len(),
        ..Check::default()
    };
    for id in answered.keys() {
        match rows.get(&hex_id(id)) {
            None => c.lost += 1,
            Some((n, delivery)) => {
                if *n > 1 {
                    c.duplicated += 1;
                }
                if delivery != "acknowledged" {
                    c.not_acked_in_db += 1;
                }
            }
        }
        if fetched.get(id) != Some(&(1, true)) {
            c.fetch_anomalies += 1;
        }
        if acked.get(id) != Some(&(1, true)) {
            c.ack_anomalies += 1;
        }
    }
    let answered_hex: std::collections::HashSet<String> = answered.keys().map(hex_id).collect();
    c.unanswered_rows = rows.keys().filter(|k| !answered_hex.contains(*k)).count();
    c
}

async fn run_with(
    args: &Args,
    bin: &Path,
    profile_path: &Path,
    profile: Profile,
    pg: Option<&FreshDatabase>,
    load_before: String,
) -> anyhow::Result<()> {
    let window = Duration::from_secs(args.seconds);
    let http = load::http_client(args.clients + args.readers + 4)?;
    let fleet = Arc::new(make_fleet(args, profile)?);

    // Packets first: nothing of this is timed, and the broker is not yet up.
    let per_client = args.packets.div_ceil(args.clients);
    let content = crate::protocol::referral_json(args.content_bytes);
    let sealed = {
        let fleet = Arc::clone(&fleet);
        tokio::task::spawn_blocking(move || seal_all(&fleet, per_client, &content)).await??
    };

    let work = tempfile::tempdir()?;
    let db_url = pg.map(FreshDatabase::url);
    let config = broker_config(db_url);
    let launch = Launch::in_dir(bin, &work.path().join("broker-1"), &config)?;
    let mut brokers = vec![BrokerProcess::start(&launch, &http).await?];
    let code = brokers[0]
        .bootstrap_code()
        .context("a broker on a fresh database writes a bootstrap code")?;

    // Enrollment through the API, on the first broker.
    let enrolling = Instant::now();
    {
        let base = brokers[0].url.clone();
        let mut admin = Admin::claim(&http, &base, &code, &fleet.admin).await?;
        for d in &fleet.profile.desks {
            admin
                .add_desk(&d.id, d.name.clone(), Some(d.prefecture.clone()))
                .await?;
        }
        for (i, d) in fleet.sender_desks.iter().enumerate() {
            admin
                .add_desk(d, format!("Call center {}", i + 1), None)
                .await?;
        }
        for device in &fleet.desk_devices {
            admin.enroll(device, Role::Desk).await?;
        }
        for device in &fleet.senders {
            admin.enroll(device, Role::Caseworker).await?;
        }
    }
    let enrolling = enrolling.elapsed();

    // The second broker starts only now, on the claimed, populated
    // database: it must take the root, the directory log (which it loads
    // and verifies from the store at start, and refreshes before each use)
    // and the token-signing keys from the database alone.
    if args.brokers == 2 {
        let launch = Launch::in_dir(bin, &work.path().join("broker-2"), &config)?;
        let second = BrokerProcess::start(&launch, &http).await?;
        if second.bootstrap_code().is_some() {
            bail!("the second broker made a bootstrap code: it did not see the claimed database");
        }
        brokers.push(second);
    }

    // Tokens: senders from the first broker; each reader's desks from the
    // broker that reader polls (on the second broker, the challenge and the
    // device lookup work from the shared database).
    let mut sender_tokens = Vec::with_capacity(fleet.senders.len());
    for s in &fleet.senders {
        sender_tokens.push(token(&http, &brokers[0].url, s).await?);
    }
    let mut plans: Vec<ReaderPlan> = (0..args.readers)
        .map(|r| ReaderPlan {
            broker: r % brokers.len(),
            base: brokers[r % brokers.len()].url.clone(),
            desks: Vec::new(),
        })
        .collect();
    for (i, device) in fleet.desk_devices.iter().enumerate() {
        let plan = &mut plans[i % args.readers];
        let t = token(&http, &plan.base, device).await?;
        plan.desks.push((i, fleet.profile.desks[i].id.clone(), t));
    }
    let plans: Vec<ReaderPlan> = plans.into_iter().filter(|p| !p.desks.is_empty()).collect();
    let readers_per_broker: Vec<usize> = (0..brokers.len())
        .map(|b| plans.iter().filter(|p| p.broker == b).count())
        .collect();

    // The window.
    let broker_cpu_before = brokers
        .iter()
        .map(BrokerProcess::cpu)
        .collect::<anyhow::Result<Vec<Duration>>>()?;
    let senders_done = Arc::new(AtomicBool::new(false));
    let deadline = Instant::now() + window;
    let reader_tasks: Vec<_> = plans
        .into_iter()
        .map(|plan| {
            let broker = plan.broker;
            let task = tokio::spawn(reader(
                plan,
                http.clone(),
                deadline,
                Arc::clone(&senders_done),
            ));
            (broker, task)
        })
        .collect();
    let send_url = format!("{}/v1/packets", brokers[0].url);
    let clients: Vec<_> = sealed
        .pools
        .into_iter()
        .zip(sender_tokens)
        .map(|(pool, token)| {
            let (http, url) = (http.clone(), send_url.clone());
            pool.into_iter()
                .map(move |p| (p.request(&http, &url, &token), p.id))
        })
        .collect();
    let (sends, answered) = load::run_tagged(clients, window, StatusCode::CREATED).await;
    senders_done.store(true, Ordering::Release);
    let broker_cpu = brokers
        .iter()
        .zip(&broker_cpu_before)
        .map(|(b, before)| Ok(b.cpu()?.saturating_sub(*before)))
        .collect::<anyhow::Result<Vec<Duration>>>()?;
    let drain_started = Instant::now();
    let mut inbox = Op::default();
    let mut fetch_op = Op::default();
    let mut ack_op = Op::default();
    let mut per_broker_reads = vec![0u64; brokers.len()];
    let mut fetches = Vec::new();
    let mut acks = Vec::new();
    let mut first_error = None;
    let mut undrained = 0;
    for (broker, task) in reader_tasks {
        let r = task.await.context("a reader panicked")?;
        per_broker_reads[broker] += r.inbox.ok + r.fetch.ok + r.ack.ok;
        inbox.merge(r.inbox);
        fetch_op.merge(r.fetch);
        ack_op.merge(r.ack);
        fetches.extend(r.fetches);
        acks.extend(r.acks);
        first_error = first_error.or(r.first_error);
        undrained += usize::from(!r.drained);
    }
    let drain = drain_started.elapsed();
    let memory = brokers
        .iter()
        .map(BrokerProcess::memory)
        .collect::<anyhow::Result<Vec<Memory>>>()?;
    let pids = brokers
        .iter()
        .map(BrokerProcess::pid)
        .collect::<anyhow::Result<Vec<u32>>>()?;
    let load_after = load_average();

    // Stop the brokers (SIGTERM, as an operator would), then read the
    // database directly.
    let sqlite_db = brokers[0].data_dir.join("broker.db");
    let mut exits = Vec::new();
    for mut b in brokers {
        exits.push(b.stop().await?);
    }
    let rows = match pg {
        Some(db) => postgres_rows(db.url()).await?,
        None => sqlite_rows(&sqlite_db).await?,
    };
    let answered_total = answered.len();
    let sent_at: HashMap<PacketId, Instant> = answered.iter().map(|a| (a.tag, a.sent)).collect();
    let result = check(
        &sent_at,
        answered_total,
        &sealed.desk_of,
        &fetches,
        &acks,
        &rows,
    );

    // End-to-end: from the start of the send to the end of the desk's first
    // fetch, for packets fetched within the window (the drain's would add
    // the time the senders were stopped).
    let mut first_fetch: HashMap<PacketId, Instant> = HashMap::new();
    for (id, _, at) in &fetches {
        first_fetch.entry(*id).or_insert(*at);
    }
    let delivery_us: Vec<u32> = first_fetch
        .iter()
        .filter(|(_, at)| **at <= deadline)
        .filter_map(|(id, at)| {
            let sent = sent_at.get(id)?;
            u32::try_from(at.saturating_duration_since(*sent).as_micros()).ok()
        })
        .collect();
    let delivered_in_window = delivery_us.len();
    let delivery = Latencies::new(delivery_us);

    // The report.
    let backend = match args.backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    println!(
        "machine: {} cores; {}; load average before / after: {load_before} / {load_after}",
        cores(),
        cpu_model()
    );
    let busiest = busiest_desks(&fleet.profile, &sealed.desk_of);
    println!(
        "profile: {} — {} recipient desks (one per support center) in {} prefectures, referrals \
         drawn by consultations per year ({} in all; busiest desks: {busiest}); {} call-center \
         desks with {} caseworker devices; {} devices and {} desks enrolled through the API in \
         {:.1} s",
        profile_path.display(),
        fleet.profile.desks.len(),
        fleet.profile.prefectures,
        fleet.profile.consultations,
        fleet.sender_desks.len(),
        fleet.senders.len(),
        fleet.desk_devices.len() + fleet.senders.len() + 1,
        fleet.profile.desks.len() + fleet.sender_desks.len(),
        enrolling.as_secs_f64(),
    );
    println!(
        "packets: {} sealed before timing in {:.1} s; {} B of referral JSON → {} B packets, \
         2 age recipients (the desk's device and the sender)",
        sealed.desk_of.len(),
        sealed.took.as_secs_f64(),
        args.content_bytes,
        sealed.packet_len,
    );
    println!(
        "brokers: {} × the release binary {} as separate processes on {backend}{}; rate limits \
         lifted in their config; senders on broker 1; readers on brokers 1, 2, …: {:?}",
        pids.len(),
        bin.display(),
        if pg.is_some() {
            " (one fresh database, shared)"
        } else {
            " (broker.db in a temporary directory)"
        },
        readers_per_broker,
    );
    println!(
        "load: {} senders (closed loop, one device and token each), {} readers polling {} \
         desks (inbox, then fetch and ack each pending packet), window {} s",
        args.clients,
        args.readers,
        fleet.profile.desks.len(),
        args.seconds,
    );
    println!();
    table_header();
    let secs = window.as_secs_f64();
    let op_rows: [(&str, u64, u64, f64, Latencies); 4] = [
        (
            "send (POST /v1/packets)",
            sends.ok,
            sends.errors,
            sends.rate(),
            sends.latencies.clone(),
        ),
        (
            "inbox (GET /v1/inbox)",
            inbox.ok,
            inbox.errors,
            inbox.ok as f64 / secs,
            Latencies::new(std::mem::take(&mut inbox.latencies_us)),
        ),
        (
            "fetch (GET /v1/packets/{id})",
            fetch_op.ok,
            fetch_op.errors,
            fetch_op.ok as f64 / secs,
            Latencies::new(std::mem::take(&mut fetch_op.latencies_us)),
        ),
        (
            "ack (POST /v1/packets/{id}/ack)",
            ack_op.ok,
            ack_op.errors,
            ack_op.ok as f64 / secs,
            Latencies::new(std::mem::take(&mut ack_op.latencies_us)),
        ),
    ];
    let mut total_rate = 0.0;
    for (what, ok, errors, rate, lat) in &op_rows {
        total_rate += rate;
        text_row(
            &format!("{what}: count / errors / rate/s"),
            &format!("{ok} / {errors} / {rate:.1}"),
            "—",
            "—",
        );
        text_row(
            &format!("{what}: latency p50 / p95 / p99"),
            &lat.triple(),
            "—",
            "—",
        );
    }
    text_row(
        "delivery, send start → desk's fetch done, p50 / p95 / p99",
        &format!(
            "{} ({delivered_in_window} packets fetched in the window)",
            delivery.triple()
        ),
        "—",
        "—",
    );
    text_row(
        &format!(
            "requests/s, all operations, {} together",
            if pids.len() > 1 {
                "both brokers"
            } else {
                "one broker"
            }
        ),
        &format!("{total_rate:.1}"),
        "—",
        "—",
    );
    for (i, ((m, cpu), pid)) in memory.iter().zip(&broker_cpu).zip(&pids).enumerate() {
        text_row(
            &format!("broker {} (pid {pid}) VmRSS / VmHWM", i + 1),
            &format!(
                "{:.1} / {:.1} MiB",
                m.rss_kib as f64 / 1024.0,
                m.hwm_kib as f64 / 1024.0
            ),
            &format!(
                "— (SPEC §11 bar: RSS < 100 MiB with 1M packets stored; {} stored here)",
                rows.len()
            ),
            "—",
        );
        // Requests this broker answered in the window: the sends (all on
        // the first) and its readers' polls, fetches and acks.
        let handled = per_broker_reads[i] + if i == 0 { sends.ok } else { 0 };
        text_row(
            &format!("broker {} CPU in the window", i + 1),
            &report::cpu_share(*cpu, sends.elapsed, handled, "request it answered"),
            "—",
            "—",
        );
    }
    if pids.len() > 1 {
        for (i, n) in per_broker_reads.iter().enumerate() {
            text_row(
                &format!("broker {} reader requests/s (inbox + fetch + ack)", i + 1),
                &format!("{:.1}", *n as f64 / secs),
                "—",
                "—",
            );
        }
    }

    println!();
    println!("Parameters and checks:");
    println!(
        "- sends: {} answered 201 in {:.2} s, {} errors{}{}; load generator (this process, \
         senders and readers): {}",
        sends.ok,
        sends.elapsed.as_secs_f64(),
        sends.errors,
        first(&sends.first_error),
        exhausted_note(&sends),
        sends.cpu_share(),
    );
    println!(
        "- readers: after the window, drained in {:.2} s ({} inbox polls, {} fetches, {} acks \
         after the window; not in the rates); first reader error: {}",
        drain.as_secs_f64(),
        inbox.after,
        fetch_op.after,
        ack_op.after,
        first_error.as_deref().unwrap_or("none"),
    );
    for (i, status) in exits.iter().enumerate() {
        println!("- broker {} stopped on SIGTERM: {status}", i + 1);
    }
    println!(
        "- delivery check ({backend}, the packets table read directly after the drain): {} \
         packets answered 201; {} lost, {} duplicated (more than one row), {} not acknowledged \
         in the database, {} not fetched exactly once by their desk, {} not acknowledged \
         exactly once by their desk; {} rows without a 201 answer; {} ids answered twice",
        result.answered,
        result.lost,
        result.duplicated,
        result.not_acked_in_db,
        result.fetch_anomalies,
        result.ack_anomalies,
        result.unanswered_rows,
        result.answered_twice,
    );
    if undrained > 0 {
        loud(&format!(
            "{undrained} readers could not empty their inboxes within {} s of the window",
            DRAIN_LIMIT.as_secs()
        ));
    }
    if !result.passed() || undrained > 0 {
        loud("DELIVERY CHECK FAILED: packets were lost, duplicated or not delivered exactly once");
        bail!("delivery check failed: {result:?}");
    }
    println!(
        "- RESULT: every packet answered 201 was stored exactly once and fetched and \
         acknowledged exactly once by its recipient desk: 0 lost, 0 duplicated"
    );
    Ok(())
}

fn first(e: &Option<String>) -> String {
    e.as_deref()
        .map(|e| format!(" (first: {e})"))
        .unwrap_or_default()
}

fn exhausted_note(o: &Outcome) -> String {
    if o.exhausted > 0 {
        format!(
            "; {} senders ran out of packets before the deadline: raise --packets",
            o.exhausted
        )
    } else {
        String::new()
    }
}

/// The three desks with the most referrals, with their shares.
fn busiest_desks(profile: &Profile, desk_of: &HashMap<PacketId, usize>) -> String {
    let mut counts = vec![0usize; profile.desks.len()];
    for &d in desk_of.values() {
        counts[d] += 1;
    }
    let mut order: Vec<usize> = (0..counts.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(counts[i]));
    order
        .iter()
        .take(3)
        .map(|&i| {
            format!(
                "{} {:.1} %",
                profile.desks[i].id,
                counts[i] as f64 * 100.0 / desk_of.len().max(1) as f64
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}
