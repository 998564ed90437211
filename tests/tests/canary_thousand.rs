//! Hardening, plaintext canaries (SPEC §2.1, §2.2, §8): a thousand
//! referrals, each carrying canaries of its own (a name, a phone number, a
//! case reference, a contact id, free text), go through the whole workflow
//! against the real broker binary: send, open (verify, decrypt,
//! acknowledge), reply, forward, open the forward, reply to it, open every
//! reply, purge. Replies, forward notes and attachments carry canaries of
//! their own.
//!
//! Then the broker's files are read byte by byte: the SQLite database, its
//! WAL and shm, the spool, PostgreSQL's files for the broker's database and
//! its WAL, and every log (the broker at `trace`, the purge job, the
//! PostgreSQL server's own), looking for every canary in raw UTF-8, hex,
//! UTF-16LE and base64 (`referral_e2e::canary`). That happens three times:
//! with the broker running, after it stopped, and after the purge. Each time
//! there must be no hit.
//!
//! Two more checks make "no hit" mean something:
//!
//! - a negative control: the same scanner finds every canary in files where
//!   they were deliberately written, plain and in each encoding;
//! - the ciphertext itself: windows of the stored packets' bytes are found in
//!   the database files before the purge (the scan sees what is there), and
//!   nowhere in them after it: on SQLite `secure_delete` zeroed them in the
//!   main file and the `TRUNCATE` checkpoint emptied the WAL; on PostgreSQL
//!   the purge's `VACUUM` removed them from the table files. PostgreSQL's
//!   own WAL keeps them until the server recycles its segments: that is
//!   counted and shown, not asserted (ciphertext only, and the server's to
//!   manage).
//!
//! The bulk runs in-process through the `referral` client's own command
//! functions (`referral_cli::commands::*::run`: the code `referral` runs,
//! minus argument parsing and printing) over real HTTP; unlocking the
//! keystore and fetching a token in a new process for each of 5,000 steps
//! would take too long in a debug build. The last few referrals go through
//! the real `referral` binary.
//!
//! Run alone (the binaries must be built first):
//! `cargo build --workspace && cargo test -p referral-e2e --test canary_thousand`.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use referral_cli::cli::{ForwardArgs, OpenArgs, ReplyArgs, SendArgs};
use referral_cli::commands;
use referral_cli::context::Context;
use referral_cli::output::Format;
use referral_e2e::Device;
use referral_e2e::canary::{self, Form, Scan, Scanner};
use referral_e2e::deployment::{Broker, Deployment, broker_command, unix_now};
use referral_protocol::{PacketId, ThreadId};
use referral_store::postgres::test_support::FreshDatabase;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

/// Referrals sent, each with canaries of its own.
const REFERRALS: usize = 1000;
/// The last referrals go through the real `referral` binary, every step.
const VIA_CLI: usize = 4;
/// Every `ATTACH_EVERY`th referral carries an attachment with canaries.
const ATTACH_EVERY: usize = 10;
/// How many devices at each desk work through the cases at the same time.
const TEAMS: usize = 4;
/// Ciphertext windows taken from each stored packet, and their length.
const WINDOWS_PER_PACKET: usize = 2;
const WINDOW: usize = 32;
/// The share of ciphertext windows that must be found before the purge. Not
/// all: a window can straddle a page boundary (SQLite overflow pages,
/// PostgreSQL's TOAST chunks), where other bytes interrupt it.
const WINDOWS_FOUND_BEFORE_PURGE: f64 = 0.9;

const CASEWORKER_DESK: &str = "covic-intake";
const DESK: &str = "shinjuku-iea";
const ONWARD_DESK: &str = "osaka-ngo";

/// As verbose as the broker gets: every level of every target (its own
/// request log, and its dependencies' output: each SQL statement, for one).
const BROKER_LOG: &str = "trace";

/// The settings for this run: no auth or request limits that thousands of
/// steps from one address would trip, and no grace after acknowledgement.
const BROKER_CONFIG: &str = "ack_grace_secs = 0\n\
    auth_per_minute = 1000000\n\
    unauthenticated_per_minute_per_address = 1000000\n\
    requests_per_minute_per_device = 1000000\n";

#[test]
fn a_thousand_referrals_leave_no_plaintext_at_the_broker_on_sqlite() {
    run(None);
}

#[test]
fn a_thousand_referrals_leave_no_plaintext_at_the_broker_on_postgres() {
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let Some(db) = runtime.block_on(FreshDatabase::create()) else {
        return; // skipped, loudly (fails in CI)
    };
    run(Some(Postgres {
        db: &db,
        runtime: &runtime,
    }));
    runtime.block_on(db.cleanup());
}

/// The PostgreSQL database the broker uses, when it uses one.
struct Postgres<'a> {
    db: &'a FreshDatabase,
    runtime: &'a tokio::runtime::Runtime,
}

/// Writes to the process's stderr directly: the test harness captures
/// `eprintln!` and shows it only for a failing test, and the summary and any
/// skip must show on a plain `cargo test` too.
fn say(text: &str) {
    let _ = std::io::stderr()
        .lock()
        .write_all(format!("{text}\n").as_bytes());
}

/// splitmix64: a small, well-mixed generator, seeded per run so that each
/// run's canaries are new (and printed, to reproduce a run).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).expect("fits usize")
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// What kind of personal data a canary stands for, for the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Name,
    Phone,
    CaseReference,
    ContactId,
    FreeText,
    AttachmentName,
}

/// Every canary of the run: unique strings, made to be impossible to find
/// by chance (at least [`canary::MIN_CANARY_BYTES`], random letters).
struct Canaries {
    rng: Rng,
    all: Vec<(String, Kind)>,
    seen: HashSet<String>,
}

impl Canaries {
    fn new(seed: u64) -> Self {
        Self {
            rng: Rng(seed),
            all: Vec::new(),
            seen: HashSet::new(),
        }
    }

    /// Registers `make()`'s result, drawing again on the (unlikely) repeat.
    fn unique(&mut self, kind: Kind, make: impl Fn(&mut Rng) -> String) -> String {
        loop {
            let s = make(&mut self.rng);
            if self.seen.insert(s.clone()) {
                self.all.push((s.clone(), kind));
                return s;
            }
        }
    }

    /// A made-up word of 12 letters, capitalised: free text's canary. Free
    /// texts carry one each, so any leaked part of a text that includes it
    /// is found, in every form (each form of a word is part of the same
    /// form of the text around it).
    fn word(&mut self) -> String {
        self.unique(Kind::FreeText, pseudo_word)
    }

    /// Names in three scripts: Latin, Vietnamese with diacritics, and
    /// katakana (multi-byte UTF-8, which makes UTF-16 differ from ASCII's).
    fn name(&mut self, i: usize) -> String {
        self.unique(Kind::Name, |rng| match i % 3 {
            0 => format!(
                "{} {}",
                rng.pick(&["Maria", "Jose", "Ana", "Bao", "Amina"]),
                pseudo_word(rng)
            ),
            1 => format!(
                "{} {} {}",
                rng.pick(&["Nguyễn", "Trần", "Phạm", "Lê"]),
                rng.pick(&["Thị", "Văn", "Đức"]),
                pseudo_word(rng)
            ),
            _ => {
                const KANA: [&str; 24] = [
                    "ア", "イ", "ウ", "エ", "オ", "カ", "キ", "ク", "ケ", "コ", "サ", "シ", "ス",
                    "タ", "チ", "ト", "ナ", "ニ", "ハ", "ホ", "マ", "ミ", "ラ", "リ",
                ];
                let part = |rng: &mut Rng, n: usize| -> String {
                    (0..n).map(|_| rng.pick(&KANA)).collect()
                };
                let (family, given) = (part(rng, 5), part(rng, 7));
                format!("{family}・{given}")
            }
        })
    }

    fn phone(&mut self) -> String {
        self.unique(Kind::Phone, |rng| {
            format!(
                "0{}0-{:04}-{:04}",
                rng.pick(&["7", "8", "9"]),
                rng.below(10_000),
                rng.below(10_000)
            )
        })
    }

    fn case_reference(&mut self) -> String {
        self.unique(Kind::CaseReference, |rng| {
            const ALNUM: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
            let code: String = (0..6)
                .map(|_| char::from(ALNUM[rng.below(ALNUM.len())]))
                .collect();
            format!("CW-{}-{code}", 2024 + rng.below(3))
        })
    }

    fn contact_id(&mut self) -> String {
        self.unique(Kind::ContactId, |rng| {
            format!("line-{}", pseudo_word(rng).to_lowercase())
        })
    }

    fn attachment_name(&mut self) -> String {
        self.unique(Kind::AttachmentName, |rng| {
            format!("{}-notes.txt", pseudo_word(rng).to_lowercase())
        })
    }

    fn strs(&self) -> Vec<&str> {
        self.all.iter().map(|(s, _)| s.as_str()).collect()
    }
}

fn pseudo_word(rng: &mut Rng) -> String {
    const CONSONANTS: &[u8] = b"bdfgklmnprstvz";
    const VOWELS: &[u8] = b"aeiou";
    let mut word = String::with_capacity(12);
    for _ in 0..6 {
        word.push(char::from(CONSONANTS[rng.below(CONSONANTS.len())]));
        word.push(char::from(VOWELS[rng.below(VOWELS.len())]));
    }
    let mut chars = word.chars();
    let first = chars.next().expect("a word").to_ascii_uppercase();
    std::iter::once(first).chain(chars).collect()
}

/// A run's seed: fresh each time, so that no run can pass on what an
/// earlier one left behind.
fn seed() -> u64 {
    let mut bytes = [0u8; 8];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .expect("system randomness");
    u64::from_le_bytes(bytes)
}

/// A device at a desk, and its in-process `referral` context.
struct Member {
    device: Device,
    ctx: Context,
}

impl Member {
    fn enroll(d: &Deployment, desk: &str, role: &str, work: &Path) -> Self {
        let (device, _) = d.enroll(desk, role);
        // `--passphrase-file`, the way a script would give it.
        let passphrase_file = work.join(format!("{desk}.passphrase"));
        std::fs::write(&passphrase_file, device.passphrase().expose_secret())
            .expect("write the passphrase file");
        let ctx = Context {
            home: device.home.path().to_path_buf(),
            format: Format::Json,
            passphrase_file: Some(passphrase_file),
            held_keys: None,
        };
        Member { device, ctx }
    }
}

/// One `referral` command.
#[derive(Debug)]
enum Step<'a> {
    Send {
        to: &'a str,
        file: &'a Path,
        attach: &'a [PathBuf],
    },
    Open(PacketId),
    Reply {
        thread: ThreadId,
        status: &'a str,
        message: Option<&'a str>,
        reason: Option<&'a str>,
        outcome: Option<&'a str>,
    },
    Forward {
        packet: PacketId,
        to: &'a str,
        note: &'a str,
    },
}

impl Step<'_> {
    /// What the reader of this reply must see, as `open --json` shows it.
    fn reply_texts(&self) -> Value {
        match self {
            Step::Reply {
                status,
                message,
                reason,
                outcome,
                ..
            } => json!({"status": status, "message": message, "reason": reason,
                        "outcome": outcome}),
            other => panic!("not a reply: {other:?}"),
        }
    }
}

/// Runs `step` as `member` with the client's own command function, and
/// returns its report as `--json` would print it.
fn in_process(member: &Member, step: &Step<'_>) -> Value {
    let ctx = &member.ctx;
    let report = match step {
        Step::Send { to, file, attach } => serde_json::to_value(
            commands::send::run(
                ctx,
                &SendArgs {
                    to: to.parse().expect("desk id"),
                    file: file.to_path_buf(),
                    attach: attach.to_vec(),
                },
            )
            .unwrap_or_else(|e| failed(step, &e)),
        ),
        Step::Open(packet) => serde_json::to_value(
            commands::open::run(
                ctx,
                &OpenArgs {
                    packet: packet.to_string(),
                    save_attachments: None,
                },
            )
            .unwrap_or_else(|e| failed(step, &e)),
        ),
        Step::Reply {
            thread,
            status,
            message,
            reason,
            outcome,
        } => serde_json::to_value(
            commands::reply::run(
                ctx,
                &ReplyArgs {
                    thread: thread.to_string(),
                    status: (*status).to_owned(),
                    message: message.map(str::to_owned),
                    reason: reason.map(str::to_owned),
                    outcome: outcome.map(str::to_owned),
                },
            )
            .unwrap_or_else(|e| failed(step, &e)),
        ),
        Step::Forward { packet, to, note } => serde_json::to_value(
            commands::forward::run(
                ctx,
                &ForwardArgs {
                    packet: packet.to_string(),
                    to: to.parse().expect("desk id"),
                    note: Some((*note).to_owned()),
                },
            )
            .unwrap_or_else(|e| failed(step, &e)),
        ),
    };
    report.expect("a report serialises")
}

/// Runs `step` as `member` with the real `referral` binary (`--json`).
fn via_cli(member: &Member, step: &Step<'_>) -> Value {
    let mut args: Vec<String> = Vec::new();
    let mut push = |items: &[&str]| args.extend(items.iter().map(|s| (*s).to_owned()));
    match step {
        Step::Send { to, file, attach } => {
            push(&["send", "--to", to, path_str(file)]);
            for a in *attach {
                push(&["--attach", path_str(a)]);
            }
        }
        Step::Open(packet) => push(&["open", &packet.to_string()]),
        Step::Reply {
            thread,
            status,
            message,
            reason,
            outcome,
        } => {
            push(&["reply", &thread.to_string(), "--status", status]);
            for (flag, text) in [
                ("--message", message),
                ("--reason", reason),
                ("--outcome", outcome),
            ] {
                if let Some(text) = text {
                    push(&[flag, text]);
                }
            }
        }
        Step::Forward { packet, to, note } => {
            push(&["forward", &packet.to_string(), "--to", to, "--note", note]);
        }
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    member.device.json(&args)
}

fn failed<T>(step: &Step<'_>, e: &referral_cli::exit::Failure) -> T {
    panic!("referral {step:?} failed: {:#}", e.error())
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temporary path")
}

fn packet_of(report: &Value) -> PacketId {
    report["packet_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no packet_id in {report}"))
}

fn thread_of(report: &Value) -> ThreadId {
    report["thread_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no thread_id in {report}"))
}

/// What happens to a referral after the desk opened it, by its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// Forwarded to a third desk, which opens it and replies.
    Forward,
    /// Rejected, with a reason.
    Reject,
    /// Accepted, with a message.
    Accept,
    /// Accepted, then completed with an outcome.
    Complete,
}

impl Plan {
    fn of(i: usize) -> Self {
        match i % 4 {
            0 => Plan::Forward,
            1 => Plan::Reject,
            2 => Plan::Accept,
            _ => Plan::Complete,
        }
    }
}

/// One referral, the texts that will answer it, and what became of it.
struct Case {
    referral: Value,
    file: PathBuf,
    attach: Vec<PathBuf>,
    plan: Plan,
    via_cli: bool,
    /// The desk's texts: a forward note, a rejection's reason, an
    /// acceptance's message, a completion's outcome (as the plan needs).
    note: String,
    reason: String,
    message: String,
    outcome: String,
    /// The onward desk's message, for a forwarded case.
    onward_message: String,
}

/// A reply sent, to be opened by the desk it went to, with the texts that
/// desk must see.
struct SentReply {
    packet: PacketId,
    expect: Value,
    via_cli: bool,
}

/// What the workflow did, for the summary and the ciphertext check.
#[derive(Default)]
struct Counts {
    sent: usize,
    opened: usize,
    replied: usize,
    forwarded: usize,
    steps: usize,
    via_cli_steps: usize,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.sent += other.sent;
        self.opened += other.opened;
        self.replied += other.replied;
        self.forwarded += other.forwarded;
        self.steps += other.steps;
        self.via_cli_steps += other.via_cli_steps;
    }
}

/// The example referral with this case's canaries in every personal field.
fn referral_for(i: usize, c: &mut Canaries) -> Value {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/referral.json");
    let mut r: Value =
        serde_json::from_slice(&std::fs::read(example).expect("the example referral"))
            .expect("the example is JSON");
    r["case"]["reference"] = json!(c.case_reference());
    r["case"]["summary"] = json!(format!(
        "Lost the voucher envelope near {} station; needs a new voucher.",
        c.word()
    ));
    r["person"]["name"] = json!(c.name(i));
    r["person"]["contact"]["phone"] = json!(c.phone());
    r["person"]["contact"]["other"] = json!(c.contact_id());
    if Plan::of(i) == Plan::Forward {
        r["consent"]["scope"] = json!("onward_referral_allowed");
    }
    r
}

/// One device at each desk. The cases are shared out among several such
/// teams working at once, as a call center's staff would, each device with
/// its own home as on its own machine; the broker's writes from several
/// clients share its group commits, which keeps the run short.
struct Team {
    caseworker: Member,
    desk: Member,
    onward: Member,
}

/// Runs a `referral` step, in-process or through the binary, counting it.
fn step(counts: &mut Counts, member: &Member, via: bool, s: Step<'_>) -> Value {
    counts.steps += 1;
    if via {
        counts.via_cli_steps += 1;
        via_cli(member, &s)
    } else {
        in_process(member, &s)
    }
}

/// The whole workflow for `cases`, by one team. Returns what it did, and
/// every packet it sent with the home that keeps its ciphertext (the
/// sender's case store).
fn work_through<'t>(team: &'t Team, cases: &[&Case]) -> (Counts, Vec<(PacketId, &'t Member)>) {
    let mut counts = Counts::default();
    let mut packets: Vec<(PacketId, &Member)> = Vec::new();

    // 1. The caseworker sends every referral to the desk.
    let mut sent: Vec<(PacketId, ThreadId)> = Vec::new();
    for case in cases {
        let report = step(
            &mut counts,
            &team.caseworker,
            case.via_cli,
            Step::Send {
                to: DESK,
                file: &case.file,
                attach: &case.attach,
            },
        );
        sent.push((packet_of(&report), thread_of(&report)));
        packets.push((packet_of(&report), &team.caseworker));
        counts.sent += 1;
    }

    // 2. The desk opens each one (verifying, decrypting, acknowledging),
    // checks it is what was sent, and answers it or passes it on.
    let mut to_caseworker: Vec<SentReply> = Vec::new();
    let mut forwards: Vec<(PacketId, &Case)> = Vec::new();
    for (case, (packet, thread)) in cases.iter().zip(sent) {
        let opened = step(&mut counts, &team.desk, case.via_cli, Step::Open(packet));
        counts.opened += 1;
        assert_eq!(opened["verified"], true, "{opened}");
        assert_eq!(
            opened["referral"], case.referral,
            "the desk reads what was sent"
        );
        assert_eq!(
            opened["attachments"].as_array().map(Vec::len),
            Some(case.attach.len())
        );
        let reply = |status, message, reason, outcome| Step::Reply {
            thread,
            status,
            message,
            reason,
            outcome,
        };
        let replies: Vec<Step<'_>> = match case.plan {
            Plan::Forward => {
                let report = step(
                    &mut counts,
                    &team.desk,
                    case.via_cli,
                    Step::Forward {
                        packet,
                        to: ONWARD_DESK,
                        note: &case.note,
                    },
                );
                packets.push((packet_of(&report), &team.desk));
                forwards.push((packet_of(&report), case));
                counts.forwarded += 1;
                Vec::new()
            }
            Plan::Reject => vec![reply("rejected", None, Some(&case.reason), None)],
            Plan::Accept => vec![reply("accepted", Some(&case.message), None, None)],
            Plan::Complete => vec![
                reply("accepted", Some(&case.message), None, None),
                reply("completed", None, None, Some(&case.outcome)),
            ],
        };
        for s in replies {
            let expect = s.reply_texts();
            let report = step(&mut counts, &team.desk, case.via_cli, s);
            packets.push((packet_of(&report), &team.desk));
            to_caseworker.push(SentReply {
                packet: packet_of(&report),
                expect,
                via_cli: case.via_cli,
            });
            counts.replied += 1;
        }
    }

    // 3. The onward desk opens each forward and accepts it.
    let mut to_desk: Vec<SentReply> = Vec::new();
    for (packet, case) in forwards {
        let opened = step(&mut counts, &team.onward, case.via_cli, Step::Open(packet));
        counts.opened += 1;
        assert_eq!(opened["verified"], true, "{opened}");
        assert_eq!(opened["forward"]["note"], case.note.as_str());
        assert_eq!(opened["referral"], case.referral);
        let accept = Step::Reply {
            thread: thread_of(&opened),
            status: "accepted",
            message: Some(&case.onward_message),
            reason: None,
            outcome: None,
        };
        let expect = accept.reply_texts();
        let report = step(&mut counts, &team.onward, case.via_cli, accept);
        packets.push((packet_of(&report), &team.onward));
        to_desk.push(SentReply {
            packet: packet_of(&report),
            expect,
            via_cli: case.via_cli,
        });
        counts.replied += 1;
    }

    // 4. Every reply is opened by the device whose case it answers (which
    // acknowledges it), and says what was written.
    for (member, replies) in [(&team.desk, &to_desk), (&team.caseworker, &to_caseworker)] {
        for r in replies {
            let opened = step(&mut counts, member, r.via_cli, Step::Open(r.packet));
            counts.opened += 1;
            assert_eq!(opened["verified"], true, "{opened}");
            for field in ["status", "message", "reason", "outcome"] {
                assert_eq!(opened["reply"][field], r.expect[field], "{opened}");
            }
        }
    }
    (counts, packets)
}

fn run(pg: Option<Postgres<'_>>) {
    let started = Instant::now();
    let started_at = SystemTime::now();
    let backend = if pg.is_some() { "PostgreSQL" } else { "SQLite" };
    let seed = seed();
    let work = tempfile::tempdir().expect("tempdir");
    let config = match &pg {
        Some(pg) => format!("{BROKER_CONFIG}database_url = \"{}\"\n", pg.db.url()),
        None => BROKER_CONFIG.to_owned(),
    };
    let config_path = work.path().join("broker.toml");
    std::fs::write(&config_path, &config).expect("write the config");
    let broker = Broker::start_with_env(&config, &[("RUST_LOG", BROKER_LOG)]);
    let mut d = Deployment::on(
        broker,
        &[
            (CASEWORKER_DESK, "COVIC intake"),
            (DESK, "Shinjuku IEA"),
            (ONWARD_DESK, "Osaka NGO"),
        ],
    );
    // Everyone enrolls before the first packet, so that every packet is
    // encrypted to the same devices.
    let teams: Vec<Team> = (0..TEAMS)
        .map(|t| {
            let dir = work.path().join(format!("team{t}"));
            std::fs::create_dir(&dir).expect("mkdir");
            Team {
                caseworker: Member::enroll(&d, CASEWORKER_DESK, "caseworker", &dir),
                desk: Member::enroll(&d, DESK, "desk", &dir),
                onward: Member::enroll(&d, ONWARD_DESK, "desk", &dir),
            }
        })
        .collect();
    let set_up = started.elapsed();

    // The referrals, as the caseworkers wrote them: files on their own
    // disk, the only place they exist in plaintext. The canaries written
    // into those files (all but the attachments' names, which are file
    // names, not content) are the positive control.
    let mut c = Canaries::new(seed);
    let referrals_dir = work.path().join("referrals");
    std::fs::create_dir(&referrals_dir).expect("mkdir");
    let mut written: HashSet<String> = HashSet::new();
    let cases: Vec<Case> = (0..REFERRALS)
        .map(|i| {
            let before = c.all.len();
            let referral = referral_for(i, &mut c);
            let file = referrals_dir.join(format!("r{i:04}.json"));
            std::fs::write(&file, serde_json::to_vec_pretty(&referral).expect("JSON"))
                .expect("write a referral");
            let mut attach = Vec::new();
            if i % ATTACH_EVERY == 0 {
                let path = referrals_dir.join(c.attachment_name());
                std::fs::write(
                    &path,
                    format!(
                        "Interview notes: she asked about {} and the ward office.\n",
                        c.word()
                    ),
                )
                .expect("write an attachment");
                attach.push(path);
            }
            written.extend(
                c.all[before..]
                    .iter()
                    .filter(|(_, kind)| *kind != Kind::AttachmentName)
                    .map(|(s, _)| s.clone()),
            );
            let plan = Plan::of(i);
            let mut text = |wanted: bool, make: &dyn Fn(&str) -> String| {
                if wanted {
                    make(&c.word())
                } else {
                    String::new()
                }
            };
            Case {
                note: text(plan == Plan::Forward, &|w| {
                    format!("She moved near {w}; please call her in the morning.")
                }),
                reason: text(plan == Plan::Reject, &|w| {
                    format!("Outside our area: {w} is served by another desk.")
                }),
                message: text(matches!(plan, Plan::Accept | Plan::Complete), &|w| {
                    format!("We will call her on Monday about {w}.")
                }),
                outcome: text(plan == Plan::Complete, &|w| {
                    format!("Voucher issued; she collected it at {w}.")
                }),
                onward_message: text(plan == Plan::Forward, &|w| {
                    format!("We have her case now; {w} is near our office.")
                }),
                referral,
                file,
                attach,
                plan,
                via_cli: i >= REFERRALS - VIA_CLI,
            }
        })
        .collect();

    // The workflow, the cases shared out among the teams, all at once.
    let workflow_started = Instant::now();
    let mut counts = Counts::default();
    let mut packets: Vec<(PacketId, &Member)> = Vec::new();
    std::thread::scope(|scope| {
        let running: Vec<_> = teams
            .iter()
            .enumerate()
            .map(|(t, team)| {
                let mine: Vec<&Case> = cases.iter().skip(t).step_by(TEAMS).collect();
                scope.spawn(move || work_through(team, &mine))
            })
            .collect();
        for handle in running {
            let (team_counts, team_packets) = handle.join().expect("a team's workflow");
            counts.add(&team_counts);
            packets.extend(team_packets);
        }
    });
    let workflow = workflow_started.elapsed();
    assert_eq!(counts.sent, REFERRALS);
    assert_eq!(
        packets.len(),
        counts.sent + counts.forwarded + counts.replied
    );

    // Nothing is left unacknowledged: all of it may be purged.
    for team in &teams {
        for member in [&team.caseworker, &team.desk, &team.onward] {
            let inbox = commands::inbox::run(&member.ctx)
                .unwrap_or_else(|e| panic!("inbox: {:#}", e.error()));
            assert!(inbox.0.is_empty(), "unacknowledged: {:?}", inbox.0);
        }
    }

    // The canaries, and the ciphertext windows from the senders' case
    // stores (the bytes exactly as posted and stored).
    let canary_strs = c.strs();
    let canaries = Scanner::text(&canary_strs);
    let mut rng = Rng(seed ^ 0x5eed);
    let mut windows: Vec<Vec<u8>> = Vec::new();
    for (packet, sender) in &packets {
        let store = referral_cli::cases::CaseStore::open(&sender.ctx.home).expect("case store");
        let bytes = std::fs::read(store.packet_path(packet)).expect("the sender kept the packet");
        assert!(bytes.len() >= 4096, "a padded packet");
        // Past the age header's fixed text, into the random bytes.
        for _ in 0..WINDOWS_PER_PACKET {
            let at = 512 + rng.below(bytes.len() - 512 - WINDOW);
            windows.push(bytes[at..at + WINDOW].to_vec());
        }
    }
    let ciphertext = Scanner::bytes(&windows);

    // Scan 1: the broker still running (SQLite's WAL and shm in use).
    let scans_started = Instant::now();
    let pg_layout = pg.as_ref().and_then(|pg| pg_layout(pg));
    let mut report = Report::new(backend, seed, canary_strs.len(), windows.len());
    let (data_dir, broker_logs) = (
        d.broker.data_dir.clone(),
        [d.broker.stderr_path.clone(), d.broker.stdout_path.clone()],
    );
    let files = |extra: &[PathBuf]| -> Targets {
        let mut broker_files = canary::files_under(&data_dir);
        broker_files.extend(broker_logs.iter().cloned());
        broker_files.extend(extra.iter().filter(|p| p.exists()).cloned());
        Targets {
            broker: broker_files,
            postgres: pg_layout
                .as_ref()
                .map(|l| l.files(started_at))
                .unwrap_or_default(),
        }
    };
    if let Some(pg) = &pg {
        pg_checkpoint(pg);
    }
    let live = report.scan("running", &files(&[]), &canaries, &ciphertext);
    assert!(
        d.broker.log().contains(" DEBUG "),
        "the broker logs verbosely (RUST_LOG reached it)"
    );

    // Scan 2: stopped cleanly, everything still stored.
    let status = d.broker.terminate(Duration::from_secs(30));
    assert!(status.success(), "SIGTERM: {status}: {}", d.broker.log());
    if let Some(pg) = &pg {
        pg_checkpoint(pg);
    }
    let stored = report.scan("stopped", &files(&[]), &canaries, &ciphertext);

    // The purge. The store rounds acknowledgement times up to the next
    // hour, so nothing acknowledged in this run is past even a zero grace
    // until then: the broker's own retention job runs in-process with the
    // clock two hours ahead. Then the real `referral-broker purge` runs (at
    // the real time: nothing more to purge) and its log is scanned too.
    let purged = purge_ahead(&config_path, &d.broker.data_dir);
    assert_eq!(
        purged.purged as usize,
        packets.len(),
        "every acknowledged packet is purged"
    );
    let purge_stdout = work.path().join("purge.stdout");
    let purge_stderr = work.path().join("purge.stderr");
    let status = broker_command(&["purge"], &d.broker.data_dir)
        .arg("--config")
        .arg(&config_path)
        .env("RUST_LOG", BROKER_LOG)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&purge_stdout).expect("stdout file"))
        .stderr(std::fs::File::create(&purge_stderr).expect("stderr file"))
        .status()
        .expect("run referral-broker purge");
    assert!(
        status.success(),
        "referral-broker purge: {status}: {}",
        std::fs::read_to_string(&purge_stderr).unwrap_or_default()
    );
    if let Some(pg) = &pg {
        pg_checkpoint(pg);
    }

    // Scan 3: after the purge and its checkpoint.
    let after = report.scan(
        "purged",
        &files(&[purge_stdout, purge_stderr]),
        &canaries,
        &ciphertext,
    );
    let scanning = scans_started.elapsed();

    // The negative control: the same scanner, on files where every canary
    // was written on purpose, plain and in each encoding, finds each one in
    // each file; and the caseworker's own referral files, plaintext by
    // design, hold every referral's canaries.
    let control = negative_control(work.path(), &canary_strs, &canaries);
    let own_files = canaries.scan(&canary::files_under(&referrals_dir));
    let mut own: Vec<&str> = own_files
        .hits
        .iter()
        .map(|h| canary_strs[h.needle])
        .collect();
    own.sort_unstable();
    own.dedup();
    assert_eq!(
        own.len(),
        written.len(),
        "the scan finds exactly the canaries in the caseworker's referral files"
    );
    assert!(own.iter().all(|s| written.contains(*s)));

    // The devices keep everything encrypted too (keystore, case store,
    // directory cache): no canary in their homes.
    let mut homes = Scan::default();
    for team in &teams {
        for member in [&team.caseworker, &team.desk, &team.onward] {
            homes.add(canaries.scan(&canary::files_under(member.device.home.path())));
        }
    }

    report.summary(
        &counts,
        purged.purged,
        &c,
        &control,
        &own_files,
        &homes,
        &[
            ("set-up", set_up),
            ("workflow", workflow),
            ("scans", scanning),
            ("total", started.elapsed()),
        ],
    );

    // The verdicts, after the summary so that a failure shows the figures.
    // The database files are PostgreSQL's table files when PostgreSQL holds
    // the packets: where those could not be read (the banner said so), there
    // is no ciphertext to look for.
    let db_files_scanned = pg.is_none() || pg_layout.is_some();
    for scan in [&live, &stored].into_iter().filter(|_| db_files_scanned) {
        let found = scan.db_windows_found as f64 / windows.len() as f64;
        assert!(
            found >= WINDOWS_FOUND_BEFORE_PURGE,
            "{}: only {} of {} ciphertext windows found in the database files: the scan \
             does not see what is stored",
            scan.when,
            scan.db_windows_found,
            windows.len()
        );
    }
    for scan in [&live, &stored, &after] {
        assert!(
            scan.canaries.hits.is_empty(),
            "plaintext at the broker ({}): {}",
            scan.when,
            describe(&scan.canaries, &canary_strs)
        );
    }
    assert!(
        homes.hits.is_empty(),
        "plaintext in a device's home: {}",
        describe(&homes, &canary_strs)
    );
    assert_eq!(
        after.db_windows_found,
        0,
        "ciphertext left in the database files after the purge: {:?}",
        after
            .db_windows
            .hits
            .iter()
            .map(|h| (&h.file, h.offset))
            .take(10)
            .collect::<Vec<_>>()
    );
}

/// A scan's hits, readable: which canary, which form, where.
fn describe(scan: &Scan, canaries: &[&str]) -> String {
    scan.hits
        .iter()
        .take(20)
        .map(|h| {
            format!(
                "{:?} ({}) in {} at {}",
                canaries[h.needle],
                h.form,
                h.file.display(),
                h.offset
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Runs the broker's retention job (what `referral-broker purge` runs) on
/// the broker's storage, two hours ahead of now, and closes the store.
fn purge_ahead(config_path: &Path, data_dir: &Path) -> referral_store::PurgeReport {
    use referral_broker::config::ConfigLayer;
    let config = ConfigLayer::from_file(config_path)
        .expect("the config file")
        .overridden_by(ConfigLayer {
            data_dir: Some(data_dir.to_path_buf()),
            ..ConfigLayer::default()
        })
        .resolve()
        .expect("the config resolves");
    // A runtime of its own: dropping it closes every connection the store
    // opened, as the end of the `purge` process would.
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let report = runtime.block_on(async {
        let store = referral_broker::app::open_store(&config)
            .await
            .expect("open the store");
        referral_broker::retention::purge_once(store.as_ref(), &config.limits, unix_now() + 7200)
            .await
            .expect("purge")
    });
    runtime.shutdown_timeout(Duration::from_secs(10));
    report
}

/// Files every canary into one file per encoding, each encoded the way a
/// leak would be (a whole line at a time, the canary at every alignment),
/// and checks that the scanner finds every canary in every file.
fn negative_control(dir: &Path, canaries: &[&str], scanner: &Scanner) -> Scan {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};
    let dir = dir.join("control");
    std::fs::create_dir(&dir).expect("mkdir");
    type Encode = fn(&str) -> Vec<u8>;
    let encodings: [(&str, Encode); 6] = [
        ("raw", |s| s.as_bytes().to_vec()),
        ("hex", |s| hex::encode(s).into_bytes()),
        ("HEX", |s| hex::encode_upper(s).into_bytes()),
        ("utf-16le", |s| {
            s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
        }),
        ("base64", |s| STANDARD.encode(s).into_bytes()),
        ("base64url", |s| URL_SAFE.encode(s).into_bytes()),
    ];
    let mut files = Vec::new();
    for (name, encode) in encodings {
        let mut bytes = Vec::new();
        for (i, canary) in canaries.iter().enumerate() {
            // 0, 1 or 2 bytes before it put the canary at each place in a
            // base64 group.
            let line = format!("{}name: {canary};\n", &"xy"[..i % 3]);
            bytes.extend(encode(&line));
            bytes.push(b'\n');
        }
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write a control file");
        files.push(path);
    }
    let scan = scanner.scan(&files);
    for file in &files {
        let mut found: Vec<usize> = scan
            .hits
            .iter()
            .filter(|h| &h.file == file)
            .map(|h| h.needle)
            .collect();
        found.sort_unstable();
        found.dedup();
        assert_eq!(
            found.len(),
            canaries.len(),
            "the scan finds every canary written into {}",
            file.display()
        );
    }
    scan
}

/// Where the PostgreSQL server keeps the broker's database.
struct PgLayout {
    /// `<data_directory>/base/<oid>`.
    tables: PathBuf,
    /// `<data_directory>/pg_wal`.
    wal: PathBuf,
    /// The server's own log files, where they could be found.
    logs: Vec<PathBuf>,
}

/// The files to scan.
#[derive(Default)]
struct Targets {
    /// The broker's: data directory and logs.
    broker: Vec<PathBuf>,
    /// PostgreSQL's, if the server's files are readable from here.
    postgres: PgFiles,
}

#[derive(Default)]
struct PgFiles {
    tables: Vec<PathBuf>,
    wal: Vec<PathBuf>,
    wal_segments: usize,
    logs: Vec<PathBuf>,
}

impl PgLayout {
    /// The broker database's files, the WAL segments written since the test
    /// started (older ones cannot hold anything of this run), and the logs.
    fn files(&self, since: SystemTime) -> PgFiles {
        let mut wal = Vec::new();
        let mut wal_segments = 0;
        for entry in std::fs::read_dir(&self.wal).expect("read pg_wal") {
            let entry = entry.expect("pg_wal entry");
            let Ok(meta) = entry.metadata() else {
                continue; // recycled meanwhile
            };
            if !meta.is_file() {
                continue;
            }
            wal_segments += 1;
            if meta
                .modified()
                .is_ok_and(|m| m + Duration::from_secs(2) >= since)
            {
                wal.push(entry.path());
            }
        }
        PgFiles {
            tables: canary::files_under(&self.tables),
            wal,
            wal_segments,
            logs: self.logs.clone(),
        }
    }
}

fn pg_connect(pg: &Postgres<'_>) -> sqlx::PgConnection {
    use sqlx::Connection;
    pg.runtime
        .block_on(sqlx::PgConnection::connect(pg.db.url()))
        .expect("connect to the test database")
}

/// Finds the database's files. `None`, after a banner, when they cannot be
/// read from here (a server on another machine, or another user's files).
fn pg_layout(pg: &Postgres<'_>) -> Option<PgLayout> {
    let mut conn = pg_connect(pg);
    let (data_dir, oid, logfile) = pg.runtime.block_on(async {
        let data_dir: Result<String, _> = sqlx::query_scalar("SHOW data_directory")
            .fetch_one(&mut conn)
            .await;
        let oid: i64 = sqlx::query_scalar(
            "SELECT oid::int8 FROM pg_database WHERE datname = current_database()",
        )
        .fetch_one(&mut conn)
        .await
        .expect("the database's oid");
        let logfile: Option<String> = sqlx::query_scalar("SELECT pg_current_logfile()")
            .fetch_one(&mut conn)
            .await
            .unwrap_or(None);
        (data_dir, oid, logfile)
    });
    let skipped = |why: String| {
        let rule = "!".repeat(72);
        say(&format!(
            "\n{rule}\n!! SKIPPED: PostgreSQL's own files were NOT scanned ({why}).\n\
             !! The broker's data directory and logs were; the server's table files and WAL\n\
             !! need a server on this machine whose data directory this user can read.\n{rule}"
        ));
        None
    };
    let data_dir = match data_dir {
        Ok(d) => PathBuf::from(d),
        Err(e) => return skipped(format!("SHOW data_directory: {e}")),
    };
    let tables = data_dir.join("base").join(oid.to_string());
    if let Err(e) = std::fs::read_dir(&tables) {
        return skipped(format!("{}: {e}", tables.display()));
    }
    // The server's log: where `pg_current_logfile()` says (the logging
    // collector), else Debian's packaged servers' place for it.
    let mut logs = Vec::new();
    match logfile {
        Some(f) => logs.push(data_dir.join(f)),
        None => {
            let debian = Path::new("/var/log/postgresql");
            if debian.is_dir() {
                logs.extend(canary::files_under(debian));
            }
        }
    }
    if logs.is_empty() {
        say(
            "note: PostgreSQL's server log was not found (no logging collector, no /var/log/postgresql); not scanned",
        );
    }
    Some(PgLayout {
        tables,
        wal: data_dir.join("pg_wal"),
        logs,
    })
}

/// `CHECKPOINT`: every dirty page reaches the table files, so that the scan
/// reads what the database holds, not what it held before.
fn pg_checkpoint(pg: &Postgres<'_>) {
    let mut conn = pg_connect(pg);
    if let Err(e) = pg
        .runtime
        .block_on(sqlx::raw_sql("CHECKPOINT").execute(&mut conn))
    {
        say(&format!(
            "warning: CHECKPOINT failed ({e}); recent pages may not be on disk yet"
        ));
    }
}

/// One scan of every target.
struct Scanned {
    when: &'static str,
    canaries: Scan,
    /// Ciphertext windows in the database files (SQLite's data directory,
    /// PostgreSQL's table files), and how many distinct ones.
    db_windows: Scan,
    db_windows_found: usize,
}

/// The size of `files` together, in bytes, as they are now.
fn bytes_of(files: &[PathBuf]) -> u64 {
    files
        .iter()
        .filter_map(|f| f.metadata().ok())
        .map(|m| m.len())
        .sum()
}

/// The figures for the summary.
struct Report {
    backend: &'static str,
    seed: u64,
    canaries: usize,
    windows: usize,
    lines: Vec<String>,
    pg_note: Option<String>,
}

impl Report {
    fn new(backend: &'static str, seed: u64, canaries: usize, windows: usize) -> Self {
        Self {
            backend,
            seed,
            canaries,
            windows,
            lines: Vec::new(),
            pg_note: None,
        }
    }

    fn scan(
        &mut self,
        when: &'static str,
        targets: &Targets,
        canaries: &Scanner,
        ciphertext: &Scanner,
    ) -> Scanned {
        let pg = &targets.postgres;
        let mut all: Vec<PathBuf> = targets.broker.clone();
        all.extend(pg.tables.iter().cloned());
        all.extend(pg.wal.iter().cloned());
        all.extend(pg.logs.iter().cloned());
        let found = canaries.scan(&all);
        // The database files: SQLite's in the broker's data directory,
        // PostgreSQL's table files; PostgreSQL's WAL is counted apart.
        let mut db_windows = ciphertext.scan(&targets.broker);
        db_windows.add(ciphertext.scan(&pg.tables));
        let wal_windows = ciphertext.scan(&pg.wal);
        let db_windows_found = db_windows.needles_found();
        let wal_windows_found = wal_windows.needles_found();
        if !pg.tables.is_empty() || !pg.wal.is_empty() {
            self.pg_note = Some(format!(
                "PostgreSQL: {} table files of the broker's database, {} of {} WAL segments \
                 (those written since the test started; the server keeps ciphertext there \
                 until it recycles them), {} server log file(s)",
                pg.tables.len(),
                pg.wal.len(),
                pg.wal_segments,
                pg.logs.len()
            ));
        }
        self.lines.push(format!(
            "  {when:<8} {:>5} files {:>12} bytes  canary hits {:>3}  ciphertext windows found: \
             {} in database files{}",
            found.files,
            found.bytes,
            found.hits.len(),
            db_windows_found,
            if pg.wal.is_empty() {
                String::new()
            } else {
                format!(", {wal_windows_found} in pg_wal")
            }
        ));
        let mut what: Vec<String> = targets
            .broker
            .iter()
            .map(|f| {
                let name = f.file_name().unwrap_or_default().to_string_lossy();
                format!("{name} {}", bytes_of(std::slice::from_ref(f)))
            })
            .collect();
        for (name, files) in [
            ("PostgreSQL table files", &pg.tables),
            ("pg_wal", &pg.wal),
            ("PostgreSQL log", &pg.logs),
        ] {
            if !files.is_empty() {
                what.push(format!("{name} {}", bytes_of(files)));
            }
        }
        if found.vanished > 0 {
            what.push(format!(
                "{} file(s) gone before they were read",
                found.vanished
            ));
        }
        self.lines.push(format!("           ({})", what.join(", ")));
        Scanned {
            when,
            canaries: found,
            db_windows,
            db_windows_found,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn summary(
        &self,
        counts: &Counts,
        purged: u64,
        c: &Canaries,
        control: &Scan,
        own_files: &Scan,
        homes: &Scan,
        timings: &[(&str, Duration)],
    ) {
        let mut kinds: Vec<(Kind, usize)> = Vec::new();
        for (_, kind) in &c.all {
            match kinds.iter_mut().find(|(k, _)| k == kind) {
                Some((_, n)) => *n += 1,
                None => kinds.push((*kind, 1)),
            }
        }
        let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k:?}")).collect();
        let mut text = vec![
            String::new(),
            format!(
                "=== plaintext canaries, {} (seed {:#018x}) ===",
                self.backend, self.seed
            ),
            format!(
                "packets: {} referrals sent, {} forwarded, {} replies; {} opened; {} purged",
                counts.sent, counts.forwarded, counts.replied, counts.opened, purged,
            ),
            format!(
                "steps: {} `referral` commands by {TEAMS} devices per desk at once, {} of them \
                 through the real binary, the rest in-process",
                counts.steps, counts.via_cli_steps
            ),
            format!(
                "canaries: {} ({}), {} forms each ({}): {} patterns; {} ciphertext windows of \
                 {WINDOW} bytes",
                self.canaries,
                kinds.join(", "),
                Form::ALL.len(),
                Form::ALL.map(|f| f.to_string()).join(" "),
                self.canaries * Form::ALL.len(),
                self.windows
            ),
        ];
        text.extend(self.lines.iter().cloned());
        if let Some(note) = &self.pg_note {
            text.push(format!("  {note}"));
        }
        text.push(format!(
            "negative control: {} canary/form pairs found in {} control files ({} bytes); the \
             caseworker's own referral files: {} canaries found",
            control.hits.len(),
            control.files,
            control.bytes,
            own_files.needles_found()
        ));
        text.push(format!(
            "device homes: {} files, {} bytes, canary hits {}",
            homes.files,
            homes.bytes,
            homes.hits.len()
        ));
        text.push(format!(
            "time: {}",
            timings
                .iter()
                .map(|(what, d)| format!("{what} {:.1}s", d.as_secs_f64()))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        say(&text.join("\n"));
    }
}
