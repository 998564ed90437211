//! `referral-bench cli`: the whole-process cost of the `referral` command,
//! beside the keystore unlock it cannot avoid (SPEC §11, "CLI cost").
//!
//! The real release `referral-broker` runs on a fresh data directory
//! (embedded SQLite) on a free loopback port. The real release `referral`
//! claims it, creates two desks and enrolls a caseworker and a desk member
//! the way people do (SPEC §10, steps 1–3). Then, round after round, it times
//! as separate processes:
//!
//! - `referral whoami` (reads `device.json` only: process start-up);
//! - `referral export-identity` (unlocks the keystore and nothing more: the
//!   baseline that `send` and `open` are measured beyond);
//! - `referral send --to DESK r.json` of a 4 KiB schema v1 referral;
//! - `referral open PACKET` by the desk member, of the packet the same round
//!   sent, so that every `open` is a first open (download, verify, keep,
//!   acknowledge), not a re-read of the case store.
//!
//! The commands run round-robin rather than one batch after another, so that
//! other work on the machine slows all of them alike and the differences stay
//! meaningful. Everything is measured twice: with keystores at the CLI's
//! default scrypt work factor (what users pay), and with keystores at a
//! work factor of 2^10, where scrypt is a millisecond and what remains is the
//! CLI's own work, without the unlock's noise in the subtraction.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail, ensure};
use serde_json::{Value, json};

use crate::process::{BrokerProcess, Launch};
use crate::report::{cores, cpu_model, load_average, millis};

/// The performance goal: `send`/`open` of a 4 KiB referral within this much
/// whole-process time beyond the keystore unlock.
const GOAL: Duration = Duration::from_millis(30);

/// The cheap work factor of the second set of keystores: the lowest the CLI
/// accepts is what the end-to-end tests use too.
const CHEAP_WORK_FACTOR: &str = "10";

/// `referral-bench cli` options.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Timed rounds (each runs every command once).
    #[arg(long, default_value_t = 20)]
    pub runs: u32,
    /// Untimed rounds first (page cache, broker warm-up).
    #[arg(long, default_value_t = 3)]
    pub warmup: u32,
    /// The `referral` binary; by default the one next to this benchmark
    /// (target/release), so build it first.
    #[arg(long)]
    pub referral_bin: Option<PathBuf>,
    /// The `referral-broker` binary; by default the one next to this
    /// benchmark.
    #[arg(long)]
    pub broker_bin: Option<PathBuf>,
    /// Keep the work directory (broker data, device homes, the referral
    /// file) and print where it is, for profiling the same commands by hand.
    #[arg(long)]
    pub keep: bool,
}

/// A binary built next to this one (same profile, same target directory).
fn sibling(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("where is this benchmark?")?;
    let dir = exe
        .parent()
        .ok_or_else(|| anyhow!("{} has no directory", exe.display()))?;
    Ok(dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX)))
}

fn existing(path: PathBuf) -> anyhow::Result<PathBuf> {
    ensure!(
        path.is_file(),
        "{} is missing: build it first with `cargo build --release -p referral-broker -p \
         referral-cli`",
        path.display()
    );
    Ok(path)
}

pub fn run(args: Args) -> anyhow::Result<()> {
    ensure!(args.runs > 0, "--runs must be at least 1");
    let referral_bin = existing(match args.referral_bin {
        Some(p) => p,
        None => sibling("referral")?,
    })?;
    let broker_bin = existing(match args.broker_bin {
        Some(p) => p,
        None => sibling("referral-broker")?,
    })?;
    let work = tempfile::Builder::new().prefix("cli-cost-").tempdir()?;
    let broker = start_broker(&broker_bin, work.path())?;
    let setup = Setup::new(&referral_bin, &broker, work.path())?;
    let referral = work.path().join("r.json");
    std::fs::write(&referral, referral_4k()?)?;

    println!("machine: {} cores; {}", cores(), cpu_model());
    println!("load average before: {}", load_average());
    println!(
        "referral: {}; broker: {} (SQLite, loopback http)",
        referral_bin.display(),
        broker_bin.display()
    );
    println!(
        "{} timed rounds after {} warm-up rounds; each round runs every command once, \
         as its own process",
        args.runs, args.warmup
    );
    println!();

    for (label, pair) in [
        ("default work factor (what users pay)", &setup.real),
        (
            "work factor 2^10 (scrypt negligible: the CLI's own work)",
            &setup.cheap,
        ),
    ] {
        let timings = measure(pair, &referral, args.warmup, args.runs)?;
        print_table(label, &timings);
    }
    println!("load average after: {}", load_average());

    drop(broker);
    if args.keep {
        let kept = work.keep();
        println!(
            "\nkept {} (device homes caseworker*/desk*, passphrase {:?}, referral r.json); \
             start its broker again with `{} serve --data-dir {}/data --config {}/broker.toml \
             --listen <the port in the homes' device.json>`",
            kept.display(),
            PASSPHRASE,
            broker_bin.display(),
            kept.display(),
            kept.display()
        );
    }
    Ok(())
}

/// Times of one command, one per round.
#[derive(Debug, Default)]
struct Series {
    wall: Vec<Duration>,
    /// Children's user+system CPU over all rounds (clock ticks, so only
    /// meaningful summed).
    cpu: Duration,
}

impl Series {
    fn sorted(&self) -> Vec<Duration> {
        let mut s = self.wall.clone();
        s.sort();
        s
    }

    fn median(&self) -> Duration {
        let s = self.sorted();
        s[s.len() / 2]
    }

    fn mean(&self) -> Duration {
        self.wall.iter().sum::<Duration>() / self.wall.len() as u32
    }

    fn min(&self) -> Duration {
        self.sorted()[0]
    }

    fn p90(&self) -> Duration {
        let s = self.sorted();
        let rank = (s.len() * 9).div_ceil(10);
        s[rank.clamp(1, s.len()) - 1]
    }

    fn cpu_per_run(&self) -> Duration {
        self.cpu / self.wall.len() as u32
    }
}

#[derive(Debug, Default)]
struct Timings {
    whoami: Series,
    unlock: Series,
    send: Series,
    open: Series,
}

fn measure(pair: &Pair, referral: &Path, warmup: u32, runs: u32) -> anyhow::Result<Timings> {
    let mut t = Timings::default();
    let referral = referral.to_str().context("a UTF-8 temporary path")?;
    for round in 0..warmup + runs {
        let timed = round >= warmup;
        let record = |series: &mut Series, (wall, cpu): (Duration, Duration)| {
            if timed {
                series.wall.push(wall);
                series.cpu += cpu;
            }
        };
        let (_, cost) = pair.caseworker.timed(&["whoami"])?;
        record(&mut t.whoami, cost);
        let (_, cost) = pair.caseworker.timed(&["export-identity"])?;
        record(&mut t.unlock, cost);
        let (out, cost) = pair
            .caseworker
            .timed(&["--json", "send", "--to", DESK, referral])?;
        record(&mut t.send, cost);
        let sent: Value = serde_json::from_slice(&out.stdout).context("send --json")?;
        ensure!(
            sent["bytes"].as_u64() == Some(8192),
            "a 4 KiB referral should travel in the 8 KiB bucket: {sent}"
        );
        let packet = sent["packet_id"]
            .as_str()
            .context("send --json packet_id")?
            .to_owned();
        let (out, cost) = pair.desk.timed(&["--json", "open", &packet])?;
        record(&mut t.open, cost);
        let opened: Value = serde_json::from_slice(&out.stdout).context("open --json")?;
        ensure!(
            opened["verified"] == true && opened["packet_id"] == packet.as_str(),
            "open did not verify the packet it was given: {opened}"
        );
    }
    Ok(t)
}

fn print_table(label: &str, t: &Timings) {
    println!("### {label}");
    println!();
    println!(
        "| command | mean | median | min | p90 | CPU/run | beyond the unlock (median − \
         export-identity median) | goal |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let base = t.unlock.median();
    for (what, series, beyond) in [
        ("`referral whoami`", &t.whoami, false),
        ("`referral export-identity` (unlock only)", &t.unlock, false),
        ("`referral send` 4 KiB referral", &t.send, true),
        ("`referral open` of it (first open)", &t.open, true),
    ] {
        let extra = if beyond {
            let d = millis(series.median()) - millis(base);
            let verdict = if d <= millis(GOAL) { "met" } else { "NOT met" };
            (
                format!("{d:.1} ms"),
                format!("≤ {:.0} ms: {verdict}", millis(GOAL)),
            )
        } else {
            (String::new(), String::new())
        };
        println!(
            "| {what} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {} | {} |",
            millis(series.mean()),
            millis(series.median()),
            millis(series.min()),
            millis(series.p90()),
            millis(series.cpu_per_run()),
            extra.0,
            extra.1
        );
    }
    println!();
}

/// The passphrase of every device here; it is a benchmark's, not a secret.
const PASSPHRASE: &str = "cli-cost benchmark passphrase";
/// The desk referrals go to.
const DESK: &str = "shinjuku-iea";
/// The caseworkers' desk.
const INTAKE: &str = "covic-intake";

/// A `referral` device: its own home, the shared passphrase, and the work
/// factor its keystore is created with.
#[derive(Debug)]
struct Device {
    bin: PathBuf,
    home: PathBuf,
    work_factor: Option<&'static str>,
}

impl Device {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("--home")
            .arg(&self.home)
            .args(args)
            .env("REFERRAL_PASSPHRASE", PASSPHRASE)
            .env_remove("REFERRAL_HOME")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null());
        match self.work_factor {
            Some(wf) => c.env("REFERRAL_KDF_WORK_FACTOR", wf),
            // The CLI's own default, whatever the caller's environment says.
            None => c.env_remove("REFERRAL_KDF_WORK_FACTOR"),
        };
        c
    }

    fn run(&self, args: &[&str]) -> anyhow::Result<Output> {
        let out = self
            .cmd(args)
            .output()
            .with_context(|| format!("spawning {}", self.bin.display()))?;
        if !out.status.success() {
            bail!(
                "referral {args:?} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(out)
    }

    fn json(&self, args: &[&str]) -> anyhow::Result<Value> {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        let out = self.run(&full)?;
        serde_json::from_slice(&out.stdout)
            .with_context(|| format!("stdout of referral {args:?} is not JSON"))
    }

    /// Runs `args` and returns its output, wall time from spawn to exit, and
    /// the CPU time it used (from this process's accounting of waited-for
    /// children, so in clock ticks).
    fn timed(&self, args: &[&str]) -> anyhow::Result<(Output, (Duration, Duration))> {
        let mut cmd = self.cmd(args);
        // stderr is read (and shown on failure); stdout too, since `send` and
        // `open` report what they did there. Both are pipes, as under
        // hyperfine --output=pipe.
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let cpu_before = crate::report::waited_children_cpu();
        let started = Instant::now();
        let out = cmd
            .output()
            .with_context(|| format!("spawning {}", self.bin.display()))?;
        let wall = started.elapsed();
        let cpu = crate::report::waited_children_cpu().saturating_sub(cpu_before);
        if !out.status.success() {
            bail!(
                "referral {args:?} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok((out, (wall, cpu)))
    }
}

/// A caseworker and a desk member whose keystores share a work factor.
#[derive(Debug)]
struct Pair {
    caseworker: Device,
    desk: Device,
}

/// The claimed broker's administrator and two enrolled pairs.
#[derive(Debug)]
struct Setup {
    real: Pair,
    cheap: Pair,
}

impl Setup {
    fn new(bin: &Path, broker: &BrokerProcess, work: &Path) -> anyhow::Result<Self> {
        let device = |name: &str, work_factor| Device {
            bin: bin.to_path_buf(),
            home: work.join(name),
            work_factor,
        };
        // The administrator's unlocks are set-up, not measured.
        let admin = device("admin", Some(CHEAP_WORK_FACTOR));
        admin.json(&["init", "--broker", &broker.url])?;
        let code = broker
            .bootstrap_code()
            .context("the broker's bootstrap-code file")?;
        let claimed = admin.json(&["admin", "bootstrap", "--code", &code])?;
        let root = claimed["root_fingerprint"]
            .as_str()
            .context("root_fingerprint")?
            .to_owned();
        for desk in [INTAKE, DESK] {
            admin.json(&["admin", "desk", "add", desk, "--name", desk])?;
        }
        let enroll = |device: Device, desk: &str, role: &str| -> anyhow::Result<Device> {
            let invite = admin.json(&["admin", "invite", "--desk", desk, "--role", role])?;
            let code = invite["code"].as_str().context("invite code")?;
            device.json(&["init", "--broker", &broker.url, "--root-fingerprint", &root])?;
            let enrolled = device.json(&["enroll", "--code", code])?;
            let request = enrolled["request_id"].as_str().context("request_id")?;
            let fingerprint = enrolled["fingerprint"].as_str().context("fingerprint")?;
            admin.json(&["admin", "approve", request, "--fingerprint", fingerprint])?;
            device.run(&["directory"])?;
            Ok(device)
        };
        let real = Pair {
            caseworker: enroll(device("caseworker", None), INTAKE, "caseworker")?,
            desk: enroll(device("desk", None), DESK, "desk")?,
        };
        let cheap = Pair {
            caseworker: enroll(
                device("caseworker-wf10", Some(CHEAP_WORK_FACTOR)),
                INTAKE,
                "caseworker",
            )?,
            desk: enroll(device("desk-wf10", Some(CHEAP_WORK_FACTOR)), DESK, "desk")?,
        };
        // Every device syncs once more, so that no timed command is the
        // first to see the later enrollments (a bigger directory fetch).
        for d in [&real.caseworker, &real.desk, &cheap.caseworker, &cheap.desk] {
            d.run(&["directory"])?;
        }
        Ok(Self { real, cheap })
    }
}

/// The per-address limit on unauthenticated requests (directory,
/// challenge) is meant for strangers; every process here comes from
/// 127.0.0.1 and a few hundred rounds would trip it. The benchmark measures
/// the client, not the limiter.
const BROKER_CONFIG: &str = "unauthenticated_per_minute_per_address = 1000000\n\
auth_per_minute = 1000000\nrequests_per_minute_per_device = 1000000\n";

/// The real broker binary on a fresh data directory under `work`, up and
/// answering; killed when dropped. The rest of this benchmark runs its
/// commands as blocking child processes, so the wait for the broker gets a
/// runtime of its own.
fn start_broker(bin: &Path, work: &Path) -> anyhow::Result<BrokerProcess> {
    let launch = Launch::in_dir(bin, work, BROKER_CONFIG)?;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(BrokerProcess::start(&launch, &reqwest::Client::new()))
}

/// A valid schema v1 referral (the README's example) of exactly 4096 bytes
/// of JSON, the summary padded to size.
fn referral_4k() -> anyhow::Result<Vec<u8>> {
    let mut referral = json!({
        "schema": "referral.v1",
        "case": {"reference": "CW-2021-0917", "need": "vaccination_voucher",
                 "urgency": "normal", "summary": ""},
        "person": {"name": "Bench Person", "preferred_language": "vi",
                   "interpreter_needed": true,
                   "contact": {"phone": "080-0000-0000", "other": null,
                               "best_times": "weekday mornings", "desk_may_call": true},
                   "prefecture": "JP-13", "municipality": "Shinjuku-ku"},
        "status": {"residence_category": "undocumented", "documents_held": ["passport"]},
        "consent": {"recorded": true, "scope": "this_desk",
                    "obtained_at": "2021-09-17T10:20:00+09:00",
                    "method": "verbal, by phone", "language": "vi"}
    });
    let bare = serde_json::to_vec(&referral)?.len();
    ensure!(bare < 4096, "the bare referral is already {bare} bytes");
    referral["case"]["summary"] = Value::String("x".repeat(4096 - bare));
    let bytes = serde_json::to_vec(&referral)?;
    ensure!(bytes.len() == 4096, "{} bytes, not 4096", bytes.len());
    Ok(bytes)
}
