//! `report` on a generated case store gives the figures a hand count gives.
//!
//! 100 cases are generated from a seeded PRNG (so every run sees the same
//! store) along legal lifecycle paths (SPEC §7), with a forwarded pair, a
//! case forwarded in from elsewhere, missing fields and broker-learnt events.
//! While generating, plain counters keep a hand tally, without calling the
//! report module. The records are saved into a real device home with
//! `CaseStore::save`, and the real `referral report` binary must print the
//! same figures in JSON, CSV and table form, with and without `--since`.
//!
//! The device's broker is `http://127.0.0.1:9`, a closed port: `report`
//! must work without it. A separate test points the device at a listening
//! socket and checks that nobody connected.
//!
//! Run with `--nocapture` to see the table for the 100 cases.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use referral_cli::cases::record::RECORD_VERSION;
use referral_cli::cases::{CaseEvent, CaseRecord, CaseStore, Direction, EventSource, ThreadLink};
use referral_cli::keystore::Keystore;
use referral_cli::referral::model::Need;
use referral_cli::referral::words;
use referral_protocol::{DeskId, DeviceId, PacketId, ThreadId, ThreadStatus};
use secrecy::SecretString;
use serde_json::{Value, json};
use tempfile::TempDir;

const PASSPHRASE: &str = "report test passphrase";
/// Closed: nothing listens on the discard port on loopback.
const UNREACHABLE_BROKER: &str = "http://127.0.0.1:9";
const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;
/// 2024-04-01T00:00:00Z: the first referral day.
const APRIL_1: i64 = 1_711_929_600;
/// The `--since` day, and its midnight UTC (April has 30 days).
const SINCE: &str = "2024-05-15";
const SINCE_START: i64 = APRIL_1 + 44 * DAY;
const CASES: usize = 100;

// ---------------------------------------------------------------------------
// Deterministic generation

/// xorshift64*: a few lines, no dependency, the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn seconds(&mut self, n: i64) -> i64 {
        i64::try_from(self.below(u64::try_from(n).unwrap())).unwrap()
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[usize::try_from(self.below(items.len() as u64)).unwrap()]
    }

    /// A version-4 UUID's bytes, so that ids are deterministic too.
    fn uuid(&mut self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.next().to_le_bytes());
        b[8..].copy_from_slice(&self.next().to_le_bytes());
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        b
    }

    fn thread(&mut self) -> ThreadId {
        ThreadId::from_bytes(self.uuid()).unwrap()
    }

    fn packet(&mut self) -> PacketId {
        PacketId::from_bytes(self.uuid()).unwrap()
    }

    fn device(&mut self) -> DeviceId {
        DeviceId::from_bytes(self.uuid()).unwrap()
    }
}

/// Codes from `client-cli/data/languages.csv`, with their English names.
const LANGUAGES: &[(&str, &str)] = &[
    ("vi", "Vietnamese"),
    ("en", "English"),
    ("zh-Hans", "Chinese (simplified)"),
    ("tl", "Tagalog"),
    ("pt", "Portuguese"),
    ("ne", "Nepali"),
    ("my", "Burmese"),
    ("id", "Indonesian"),
    ("ko", "Korean"),
    ("es", "Spanish"),
    ("ja", "Japanese (easy Japanese)"),
];
/// Codes from `client-cli/data/prefectures.csv`, with their names.
const PREFECTURES: &[(&str, &str)] = &[
    ("JP-13", "Tokyo"),
    ("JP-14", "Kanagawa"),
    ("JP-23", "Aichi"),
    ("JP-27", "Osaka"),
    ("JP-11", "Saitama"),
    ("JP-40", "Fukuoka"),
];
/// Every need of SPEC §6.
const NEEDS: &[&str] = &[
    "vaccination_voucher",
    "vaccination_booking",
    "interpretation",
    "medical",
    "legal",
    "housing",
    "labour",
    "livelihood",
    "other",
];

/// This device's desk, and the desks on the other side of its threads.
const OUR_DESK: &str = "minato-desk";
const OTHER_DESKS: &[&str] = &[
    "shinjuku-iea",
    "covic-intake",
    "kanagawa-desk",
    "aichi-help",
];

/// Who makes a step of the lifecycle.
#[derive(Clone, Copy)]
enum Actor {
    /// The desk the referral was sent to.
    Recipient,
    /// The desk that sent it.
    Sender,
    /// The broker (`expired`): no desk.
    Broker,
}

use Actor::{Broker, Recipient, Sender};
use ThreadStatus::{
    Accepted, Cancelled, Completed, Expired, Forwarded, InProgress, Received, Rejected, Sent,
};

/// Legal lifecycle paths after `sent` (SPEC §7, `ThreadStatus::may_become`).
const PATHS: &[&[(ThreadStatus, Actor)]] = &[
    &[],
    &[(Received, Recipient)],
    &[(Received, Recipient), (Accepted, Recipient)],
    &[
        (Received, Recipient),
        (Accepted, Recipient),
        (Completed, Recipient),
    ],
    &[
        (Received, Recipient),
        (Accepted, Recipient),
        (InProgress, Recipient),
        (Completed, Recipient),
    ],
    &[
        (Received, Recipient),
        (Accepted, Recipient),
        (InProgress, Recipient),
        (InProgress, Recipient),
        (Completed, Recipient),
    ],
    &[
        (Received, Recipient),
        (Accepted, Recipient),
        (InProgress, Recipient),
    ],
    &[
        (Received, Recipient),
        (Accepted, Recipient),
        (InProgress, Recipient),
        (InProgress, Recipient),
    ],
    &[(Received, Recipient), (Rejected, Recipient)],
    &[(Cancelled, Sender)],
    &[(Received, Recipient), (Cancelled, Sender)],
    &[(Expired, Broker)],
    &[(Received, Recipient), (Forwarded, Recipient)],
    &[
        (Received, Recipient),
        (Accepted, Recipient),
        (Forwarded, Recipient),
    ],
];
/// The path index of the forwarded paths (a pair is made when this device
/// is the one that forwarded).
const FIRST_FORWARDED_PATH: usize = 12;
/// The case that another desk forwarded to this one.
const FORWARDED_IN: usize = 20;

/// The hand tally: counters bumped as each case is generated.
#[derive(Debug, Default)]
struct Tally {
    cases: u64,
    forwarded_copies: u64,
    language: BTreeMap<String, u64>,
    prefecture: BTreeMap<String, u64>,
    need: BTreeMap<String, u64>,
    status: BTreeMap<&'static str, u64>,
    multi_contact: u64,
    days: Vec<f64>,
}

impl Tally {
    fn count(&mut self, language: &str, prefecture: &str, need: &str, status: ThreadStatus) {
        self.cases += 1;
        *self.language.entry(language.to_owned()).or_default() += 1;
        *self.prefecture.entry(prefecture.to_owned()).or_default() += 1;
        *self.need.entry(need.to_owned()).or_default() += 1;
        *self.status.entry(status.as_str()).or_default() += 1;
    }

    fn median_days(&self) -> Option<f64> {
        let mut days = self.days.clone();
        days.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let n = days.len();
        if n == 0 {
            None
        } else if n % 2 == 1 {
            Some(days[n / 2])
        } else {
            Some((days[n / 2 - 1] + days[n / 2]) / 2.0)
        }
    }
}

struct Generated {
    records: Vec<CaseRecord>,
    all: Tally,
    since: Tally,
}

fn desk(s: &str) -> DeskId {
    s.parse().unwrap()
}

fn referral(
    reference: &str,
    language: Option<&str>,
    prefecture: &str,
    need: Option<&str>,
) -> Value {
    let mut person = json!({
        "name": "(pseudonym)",
        "interpreter_needed": true,
        "contact": {"phone": "080-0000-0000", "other": null, "best_times": "mornings", "desk_may_call": true},
        "prefecture": prefecture,
        "municipality": "Minato-ku",
    });
    if let Some(language) = language {
        person["preferred_language"] = json!(language);
    }
    let mut case = json!({"reference": reference, "urgency": "normal", "summary": "generated"});
    if let Some(need) = need {
        case["need"] = json!(need);
    }
    json!({
        "schema": "referral.v1",
        "case": case,
        "person": person,
        "status": {"residence_category": "unknown", "documents_held": ["none"]},
        "consent": {"recorded": true, "scope": "onward_referral_allowed",
                    "obtained_at": "2024-04-01T10:00:00+09:00", "method": "verbal", "language": "ja"},
    })
}

/// A record of `direction`, referred at `at`, taken along `path` with
/// events spaced by hours to days. Returns it, its number of contacts as
/// counted by hand, and the time of its completion, if any.
fn walk(
    rng: &mut Rng,
    direction: Direction,
    other: &str,
    at: i64,
    content: Value,
    path: &[(ThreadStatus, Actor)],
) -> (CaseRecord, u64, Option<i64>) {
    let (sender, recipient) = match direction {
        Direction::Sent => (OUR_DESK, other),
        Direction::Received => (other, OUR_DESK),
    };
    let referral_packet = rng.packet();
    let mut record = CaseRecord {
        version: RECORD_VERSION,
        thread_id: rng.thread(),
        direction,
        our_desk: desk(OUR_DESK),
        other_desk: desk(other),
        referral_packet,
        referred_at: at,
        referral: content,
        attachments: Vec::new(),
        forward_note: None,
        forwarded_from: None,
        forwarded_to: None,
        status: Sent,
        events: Vec::new(),
    };
    let mut first = CaseEvent::from_packet(Sent, at, &desk(sender), rng.device());
    first.packet_id = Some(referral_packet);
    record.push(first);

    let mut contacts = 0;
    let mut completed_at = None;
    let mut t = at;
    for &(status, actor) in path {
        t += HOUR + rng.seconds(3 * DAY);
        let mut event = match actor {
            Recipient => CaseEvent::from_packet(status, t, &desk(recipient), rng.device()),
            Sender => CaseEvent::from_packet(status, t, &desk(sender), rng.device()),
            Broker => CaseEvent {
                status,
                at: t,
                desk: None,
                device: None,
                packet_id: None,
                message: None,
                reason: None,
                outcome: None,
                source: EventSource::Broker,
            },
        };
        // Now and then a reply is known only from the broker's coarse view
        // (no desk): unsigned, it is neither a contact nor an outcome, and
        // does not set the case's status.
        if matches!(actor, Recipient) && rng.below(4) == 0 {
            event.desk = None;
            event.device = None;
            event.source = EventSource::Broker;
        } else if !matches!(actor, Broker) {
            event.packet_id = Some(rng.packet());
        }
        match status {
            Rejected => event.reason = Some("outside our area".into()),
            Completed => event.outcome = Some("voucher reissued".into()),
            InProgress => event.message = Some("called the person".into()),
            _ => {}
        }
        let signed = event.source == EventSource::Packet;
        if signed && matches!(status, InProgress | Completed) {
            contacts += 1;
        }
        if signed && status == Completed && completed_at.is_none() {
            completed_at = Some(t);
        }
        record.push(event);
    }
    if record.status != Completed {
        completed_at = None;
    }
    (record, contacts, completed_at)
}

fn generate() -> Generated {
    let mut rng = Rng(0x5EED_2024_0401_CAFE);
    let mut records = Vec::new();
    let mut all = Tally::default();
    let mut since = Tally::default();

    for i in 0..CASES {
        // The first cases walk every path once; the rest are drawn.
        let path_index = if i < PATHS.len() {
            i
        } else {
            usize::try_from(rng.below(PATHS.len() as u64)).unwrap()
        };
        let path = PATHS[path_index];
        let mut direction = if rng.below(2) == 0 {
            Direction::Sent
        } else {
            Direction::Received
        };
        if i == FIRST_FORWARDED_PATH || i == FORWARDED_IN {
            // Forwarded on by this desk (makes the pair), or forwarded to it.
            direction = Direction::Received;
        }
        let other = *rng.pick(OTHER_DESKS);
        // Right on the --since boundary, and one second before it.
        let at = match i {
            0 => SINCE_START,
            1 => SINCE_START - 1,
            _ => APRIL_1 + rng.seconds(75 * DAY),
        };
        let (language, _) = *rng.pick(LANGUAGES);
        let (prefecture, _) = *rng.pick(PREFECTURES);
        let need = *rng.pick(NEEDS);
        let language = (i % 17 != 5).then_some(language);
        let need = (i % 23 != 7).then_some(need);
        let content = referral(&format!("CW-{i:03}"), language, prefecture, need);

        let (mut record, contacts, completed_at) =
            walk(&mut rng, direction, other, at, content.clone(), path);
        // A case another desk forwarded to this one: its original is not in
        // this store, so it is a case like any other.
        if i == FORWARDED_IN {
            record.forward_note = Some("please take this one".into());
            record.forwarded_from = Some(ThreadLink {
                desk: desk("aichi-help"),
                thread_id: rng.thread(),
            });
        }

        // The hand count.
        let language_key = language.unwrap_or("unknown");
        let need_key = need.unwrap_or("unknown");
        let mut tallies = vec![&mut all];
        if at >= SINCE_START {
            tallies.push(&mut since);
        }
        for tally in tallies {
            tally.count(language_key, prefecture, need_key, record.status);
            if contacts >= 2 {
                tally.multi_contact += 1;
            }
            if let Some(done) = completed_at {
                tally.days.push((done - at) as f64 / DAY as f64);
            }
        }

        // This desk forwarded it on: the onward thread is a second record,
        // linked both ways, and not a second case.
        let forwarded_here = record.status == Forwarded && direction == Direction::Received;
        if forwarded_here {
            let onward_desk = *rng.pick(&["covic-intake", "kanagawa-desk"]);
            let forwarded_at = record.events.last().unwrap().at;
            let onward_path = PATHS[rng.below(6) as usize];
            let (mut copy, _, _) = walk(
                &mut rng,
                Direction::Sent,
                onward_desk,
                forwarded_at,
                content,
                onward_path,
            );
            copy.forwarded_from = Some(ThreadLink {
                desk: record.other_desk.clone(),
                thread_id: record.thread_id,
            });
            record.forwarded_to = Some(ThreadLink {
                desk: desk(onward_desk),
                thread_id: copy.thread_id,
            });
            all.forwarded_copies += 1;
            if copy.referred_at >= SINCE_START {
                since.forwarded_copies += 1;
            }
            records.push(copy);
        }
        records.push(record);
    }
    assert!(
        all.forwarded_copies >= 1,
        "the generator must make a forwarded pair"
    );
    Generated {
        records,
        all,
        since,
    }
}

// ---------------------------------------------------------------------------
// The device and the binary

struct Fixture {
    _dir: TempDir,
    home: PathBuf,
    generated: Generated,
}

fn referral_cmd(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_referral"));
    cmd.env_remove("REFERRAL_HOME")
        .env("REFERRAL_PASSPHRASE", PASSPHRASE)
        .env("REFERRAL_KDF_WORK_FACTOR", "10")
        // English messages and UTC, whatever the machine's locale.
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C.UTF-8")
        .env("TZ", "UTC")
        .arg("--home")
        .arg(home)
        .stdin(Stdio::null());
    cmd
}

fn run(home: &Path, args: &[&str]) -> Output {
    referral_cmd(home).args(args).output().unwrap()
}

fn run_ok(home: &Path, args: &[&str]) -> String {
    let out = run(home, args);
    assert!(
        out.status.success(),
        "referral {args:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A device made by the real `init`, its case store filled through the
/// library with `records`.
fn device_with(broker: &str, records: &[CaseRecord]) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    run_ok(&home, &["init", "--broker", broker]);
    let keys = Keystore::unlock(&home, &SecretString::from(PASSPHRASE)).unwrap();
    let store = CaseStore::open(&home).unwrap();
    for record in records {
        store.save(record, &keys.case_keys()).unwrap();
    }
    (dir, home)
}

fn fixture() -> Fixture {
    let generated = generate();
    let (dir, home) = device_with(UNREACHABLE_BROKER, &generated.records);
    Fixture {
        _dir: dir,
        home,
        generated,
    }
}

fn json_report(home: &Path, args: &[&str]) -> Value {
    let text = run_ok(home, args);
    let mut docs = serde_json::Deserializer::from_str(&text).into_iter::<Value>();
    let doc = docs.next().unwrap().unwrap();
    assert!(docs.next().is_none(), "more than one JSON document: {text}");
    doc
}

/// A breakdown from the JSON as key → count, checking the documented order
/// (count descending, then key) on the way.
fn breakdown(rows: &Value) -> BTreeMap<String, u64> {
    let rows = rows.as_array().unwrap();
    let order: Vec<(u64, &str)> = rows
        .iter()
        .map(|r| (r["count"].as_u64().unwrap(), r["key"].as_str().unwrap()))
        .collect();
    let mut sorted = order.clone();
    sorted.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    assert_eq!(order, sorted, "rows sorted by count, then key");
    order.into_iter().map(|(c, k)| (k.to_owned(), c)).collect()
}

/// Asserts that a JSON report equals the hand tally, figure by figure.
fn assert_matches(report: &Value, tally: &Tally) {
    assert_eq!(report["cases"], json!(tally.cases), "cases");
    assert_eq!(report["forwarded_copies"], json!(tally.forwarded_copies));
    assert_eq!(
        breakdown(&report["by_language"]),
        tally.language,
        "by language"
    );
    assert_eq!(
        breakdown(&report["by_prefecture"]),
        tally.prefecture,
        "by prefecture"
    );
    assert_eq!(breakdown(&report["by_need"]), tally.need, "by need");

    let outcomes = report["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 9, "every status is listed");
    let statuses: Vec<&str> = outcomes
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ThreadStatus::ALL.map(ThreadStatus::as_str),
        "statuses in lifecycle order"
    );
    for o in outcomes {
        let status = o["status"].as_str().unwrap();
        let expected = tally.status.get(status).copied().unwrap_or(0);
        assert_eq!(o["count"], json!(expected), "outcome {status}");
    }

    assert_eq!(report["multi_contact_cases"], json!(tally.multi_contact));
    assert_eq!(report["days_to_outcome"]["count"], json!(tally.days.len()));
    match tally.median_days() {
        Some(median) => assert_eq!(report["days_to_outcome"]["median"].as_f64(), Some(median)),
        None => assert_eq!(report["days_to_outcome"]["median"], Value::Null),
    }
}

/// Parses `section,key,value` CSV (RFC 4180 quoting) into a map.
fn parse_csv(text: &str) -> BTreeMap<(String, String), String> {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("section,key,value"));
    lines
        .map(|line| {
            let mut fields = Vec::new();
            let mut field = String::new();
            let mut quoted = false;
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '"' if quoted && chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    '"' => quoted = !quoted,
                    ',' if !quoted => fields.push(std::mem::take(&mut field)),
                    c => field.push(c),
                }
            }
            fields.push(field);
            assert_eq!(fields.len(), 3, "three fields in {line:?}");
            let value = fields.pop().unwrap();
            let key = fields.pop().unwrap();
            ((fields.pop().unwrap(), key), value)
        })
        .collect()
}

/// The rows of the table section whose title starts with `title` (sections
/// are separated by blank lines; rows are indented).
fn table_section<'a>(table: &'a str, title: &str) -> Vec<&'a str> {
    let mut lines = table.lines().skip_while(|l| !l.starts_with(title));
    assert!(lines.next().is_some(), "no section {title:?}:\n{table}");
    lines.take_while(|l| !l.is_empty()).collect()
}

/// The row labelled `label` in a section, which must be there exactly once.
fn table_line<'a>(table: &'a str, section: &str, label: &str) -> &'a str {
    let rows: Vec<&str> = table_section(table, section)
        .into_iter()
        .filter(|l| {
            l.strip_prefix("  ")
                .and_then(|r| r.strip_prefix(label))
                .is_some_and(|r| r.starts_with("  "))
        })
        .collect();
    assert_eq!(rows.len(), 1, "one {label:?} row in {section:?}:\n{table}");
    rows[0]
}

/// A need row's label in the table: the need in (English) words.
fn need_words(row: &Value) -> String {
    match serde_json::from_value::<Need>(row["key"].clone()) {
        Ok(need) => words::need(need),
        Err(_) => display_key(row),
    }
}

fn display_key(row: &Value) -> String {
    let key = row["key"].as_str().unwrap();
    match row["label"].as_str() {
        Some(label) => format!("{key} ({label})"),
        None => key.to_owned(),
    }
}

// ---------------------------------------------------------------------------
// The tests

#[test]
fn report_matches_a_hand_count_of_100_generated_cases() {
    let fx = fixture();
    let tally = &fx.generated.all;
    assert_eq!(tally.cases, CASES as u64);
    assert_eq!(
        fx.generated.records.len() as u64,
        tally.cases + tally.forwarded_copies
    );

    // JSON.
    let report = json_report(&fx.home, &["report", "--json"]);
    assert_eq!(report["since"], Value::Null);
    assert_matches(&report, tally);
    // Labels come from the reference data.
    let vi = report["by_language"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "vi")
        .unwrap();
    assert_eq!(vi["label"], "Vietnamese");
    let unknown = report["by_language"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "unknown")
        .unwrap();
    assert_eq!(unknown["label"], Value::Null);
    for (field, names) in [("by_language", LANGUAGES), ("by_prefecture", PREFECTURES)] {
        for row in report[field].as_array().unwrap() {
            if row["key"] != "unknown" {
                let name = names
                    .iter()
                    .find(|(code, _)| row["key"] == *code)
                    .unwrap()
                    .1;
                assert_eq!(row["label"], name, "{row}");
            }
        }
    }
    assert_eq!(
        json_report(&fx.home, &["report", "--format", "json"]),
        report
    );

    // CSV: the same numbers.
    let csv = parse_csv(&run_ok(&fx.home, &["report", "--format", "csv"]));
    let get = |section: &str, key: &str| {
        csv.get(&(section.to_owned(), key.to_owned()))
            .unwrap_or_else(|| panic!("no csv row {section},{key}"))
            .as_str()
    };
    assert_eq!(get("filter", "since"), "");
    assert_eq!(get("cases", "total"), tally.cases.to_string());
    assert_eq!(
        get("cases", "forwarded_copies_not_counted"),
        tally.forwarded_copies.to_string()
    );
    for (section, field) in [
        ("language", "by_language"),
        ("prefecture", "by_prefecture"),
        ("need", "by_need"),
    ] {
        let rows = report[field].as_array().unwrap();
        assert_eq!(
            csv.keys().filter(|(s, _)| s == section).count(),
            rows.len(),
            "{section} rows"
        );
        for row in rows {
            assert_eq!(get(section, &display_key(row)), row["count"].to_string());
        }
    }
    for status in ThreadStatus::ALL {
        let expected = tally.status.get(status.as_str()).copied().unwrap_or(0);
        assert_eq!(get("outcome", status.as_str()), expected.to_string());
    }
    assert_eq!(
        get("contacts", "multi_contact_cases"),
        tally.multi_contact.to_string()
    );
    assert_eq!(
        get("contacts", "multi_contact_percent"),
        format!(
            "{:.1}",
            tally.multi_contact as f64 * 100.0 / tally.cases as f64
        )
    );
    assert_eq!(
        get("days_to_outcome", "count"),
        tally.days.len().to_string()
    );
    let median = tally
        .median_days()
        .expect("some generated cases are completed");
    assert_eq!(get("days_to_outcome", "median"), format!("{median:.1}"));

    // Table: the figures, for people.
    let table = run_ok(&fx.home, &["report"]);
    println!("{table}");
    assert_eq!(run_ok(&fx.home, &["report", "--format", "table"]), table);
    let line = |section: &str, label: &str| table_line(&table, section, label);
    // Rows with a share end in "count  percent"; the others in the figure.
    let count_in = |l: &str| l.split_whitespace().rev().nth(1).unwrap().to_owned();
    let last_in = |l: &str| l.split_whitespace().last().unwrap().to_owned();
    assert_eq!(last_in(line("People referred", "cases")), "100");
    for (section, field) in [
        ("By language", "by_language"),
        ("By prefecture", "by_prefecture"),
        ("By need", "by_need"),
    ] {
        let rows = report[field].as_array().unwrap();
        assert_eq!(
            table_section(&table, section).len(),
            rows.len(),
            "{section} rows"
        );
        for row in rows {
            // Needs are shown in words; languages and prefectures as codes
            // with their names.
            let key = match field {
                "by_need" => need_words(row),
                _ => display_key(row),
            };
            assert_eq!(
                count_in(line(section, &key)),
                row["count"].to_string(),
                "{key}"
            );
        }
    }
    for status in ThreadStatus::ALL {
        let expected = tally.status.get(status.as_str()).copied().unwrap_or(0);
        let l = line("Outcomes", &words::status(status));
        assert_eq!(count_in(l), expected.to_string(), "{status}");
    }
    let multi = line("Contacts", "needed more than one contact");
    assert_eq!(count_in(multi), tally.multi_contact.to_string());
    let days = "Days to outcome";
    assert_eq!(
        last_in(line(days, "completed cases")),
        tally.days.len().to_string()
    );
    assert_eq!(last_in(line(days, "median days")), format!("{median:.1}"));
    assert!(table.contains("Definitions"));
    assert!(table.contains("nothing was sent to the broker"));
}

#[test]
fn report_since_counts_only_cases_referred_from_that_day() {
    let fx = fixture();
    let tally = &fx.generated.since;
    assert!(tally.cases > 0 && tally.cases < fx.generated.all.cases);

    let report = json_report(&fx.home, &["report", "--since", SINCE, "--json"]);
    assert_eq!(report["since"], SINCE);
    assert_matches(&report, tally);

    let csv = parse_csv(&run_ok(
        &fx.home,
        &["report", "--since", SINCE, "--format", "csv"],
    ));
    let get = |section: &str, key: &str| csv[&(section.to_owned(), key.to_owned())].clone();
    assert_eq!(get("filter", "since"), SINCE);
    assert_eq!(get("cases", "total"), tally.cases.to_string());
    assert_eq!(
        get("contacts", "multi_contact_cases"),
        tally.multi_contact.to_string()
    );

    let table = run_ok(&fx.home, &["report", "--since", SINCE]);
    assert!(table.contains(&format!("since {SINCE}")), "{table}");

    // A day after every referral: nothing to count, and no median.
    let empty = json_report(&fx.home, &["report", "--since", "2030-01-01", "--json"]);
    assert_eq!(empty["cases"], 0);
    assert_eq!(
        empty["days_to_outcome"],
        json!({"count": 0, "median": null})
    );
    let table = run_ok(&fx.home, &["report", "--since", "2030-01-01"]);
    assert!(
        table
            .lines()
            .any(|l| l.trim_start().starts_with("median days") && l.trim_end().ends_with(" -")),
        "{table}"
    );
}

#[test]
fn report_refuses_a_malformed_since_date() {
    let (_dir, home) = device_with(UNREACHABLE_BROKER, &[]);
    for bad in ["15/05/2024", "2024-5-15", "2024-02-30", "last week"] {
        for format in [&["--json"][..], &["--format", "table"][..]] {
            let mut args = vec!["report", "--since", bad];
            args.extend_from_slice(format);
            let out = run(&home, &args);
            assert_eq!(out.status.code(), Some(1), "{bad}: {out:?}");
            assert!(out.stdout.is_empty(), "nothing on stdout: {out:?}");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains("YYYY-MM-DD"), "names the format: {stderr}");
        }
    }
}

#[test]
fn report_works_on_an_empty_store() {
    let (_dir, home) = device_with(UNREACHABLE_BROKER, &[]);
    let report = json_report(&home, &["report", "--json"]);
    assert_eq!(report["cases"], 0);
    assert_eq!(report["by_language"], json!([]));
    assert_eq!(report["multi_contact_share"], Value::Null);
    let table = run_ok(&home, &["report"]);
    assert!(table.contains("(none)"), "{table}");
}

#[test]
fn global_json_wins_over_format() {
    let generated = generate();
    let (_dir, home) = device_with(UNREACHABLE_BROKER, &generated.records[..10]);
    let report = json_report(&home, &["report", "--format", "table", "--json"]);
    assert!(report["cases"].as_u64().unwrap() > 0);
    let report = json_report(&home, &["--json", "report", "--format", "csv"]);
    assert!(report["cases"].as_u64().unwrap() > 0);
}

#[test]
fn report_from_a_broker_that_never_answers_is_the_store_as_of_the_last_sync() {
    // Something listens and accepts, but never answers: the sync `report`
    // runs first (issue 15) gives up after its own short timeout, not the
    // upload timeout, and the figures come from the local store, marked
    // as not brought up to date.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let generated = generate();
    let (_dir, home) = device_with(&url, &generated.records);
    let started = std::time::Instant::now();
    let report = json_report(&home, &["report", "--json"]);
    assert_eq!(report["cases"], json!(generated.all.cases));
    assert_eq!(report["stale"], json!(true), "{report}");
    // The sync's requests give up after 15 s each; far below the 300 s an
    // upload may take.
    assert!(started.elapsed() < std::time::Duration::from_secs(120));
    drop(listener);
}

#[test]
fn report_needs_the_passphrase() {
    let (_dir, home) = device_with(UNREACHABLE_BROKER, &[]);
    let out = referral_cmd(&home)
        .env("REFERRAL_PASSPHRASE", "not the passphrase")
        .args(["report", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(out.stdout.is_empty());
}

#[test]
fn csv_cells_a_spreadsheet_would_evaluate_are_made_text() {
    // Codes as another desk's software could send them: each starts the
    // way a spreadsheet formula does (a leading tab or carriage return
    // hides the start from the eye).
    let codes = [
        "=HYPERLINK(\"http://evil.example\",\"open\")",
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=2+2",
    ];
    let mut rng = Rng(0xC5F);
    let records: Vec<CaseRecord> = codes
        .iter()
        .map(|code| {
            let content = referral("CW-csv", Some(code), code, Some(code));
            walk(
                &mut rng,
                Direction::Received,
                OTHER_DESKS[0],
                APRIL_1,
                content,
                &[],
            )
            .0
        })
        .collect();
    let (_dir, home) = device_with(UNREACHABLE_BROKER, &records);
    let csv = parse_csv(&run_ok(&home, &["report", "--format", "csv"]));
    for section in ["language", "prefecture", "need"] {
        let keys: Vec<&String> = csv
            .keys()
            .filter(|(s, _)| s == section)
            .map(|(_, k)| k)
            .collect();
        assert_eq!(keys.len(), codes.len(), "{section}: {keys:?}");
        for key in keys {
            assert!(
                key.starts_with('\''),
                "{section}: {key:?} would be evaluated by a spreadsheet"
            );
        }
    }
}
