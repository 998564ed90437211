//! Program figures for `referral report` (SPEC §9, ADR 0005 point 5),
//! computed from this device's own case store and nothing else.
//!
//! The broker cannot compute these: it holds only ciphertext and a coarse
//! status per thread, while language, prefecture and need are encrypted by
//! design (SPEC §2.1). So the figures are computed here, on the device, from
//! the decrypted case records, and never leave it unless the user copies
//! them somewhere.
//!
//! [`compute`] is a pure function of the records and the `--since` day, so
//! that every definition below is unit-tested without a keystore, a disk or
//! a clock; [`format`](mod@format) prints the result; `commands::report` unlocks the
//! keys, loads the store and calls both.
//!
//! # Definitions
//!
//! - **Case**: one record in the case store, except the second copy of a
//!   case forwarded on from this device. When this desk forwards a case, the
//!   store holds the original thread (status `forwarded`) and the new thread
//!   to the next desk, whose `forwarded_from` names the original. The person
//!   was referred once, so the new thread is not counted at all: not among
//!   people referred, outcomes, contacts nor days to outcome; the original
//!   counts, with its status `forwarded`. A record whose `forwarded_from`
//!   names a thread that is *not* in this store (a case another desk
//!   forwarded to this one) is a case like any other.
//! - **`--since DATE`**: only cases whose referral was created (its signed
//!   time) at or after midnight UTC at the start of `DATE`.
//! - **People referred**: the number of cases, and their counts by
//!   `person.preferred_language`, `person.prefecture` and `case.need`. A
//!   field that is missing, empty or not text is counted as `unknown`, so
//!   that every breakdown adds up to the total.
//! - **Outcomes**: the number of cases in each current status. All nine
//!   statuses are listed, zeros included and in lifecycle order, so that two
//!   reports always have the same rows and can be compared line by line.
//! - **Contacts**: the desk's replies after acceptance: events with status
//!   `in_progress` or `completed` made by the desk that received the
//!   referral (for a case this desk sent, events by the other desk; for one
//!   it received, events by this desk), learnt from signed packets only:
//!   an event the broker reported (its coarse, unsigned view) does not
//!   count, since a broker could otherwise inflate it. A case **needed more
//!   than one contact** when it has two or more.
//! - **Days to outcome**: for each case whose current status is
//!   `completed`, the time from the referral's signed creation to the
//!   first signed `completed` event, in days of 86 400 s. The median is the middle
//!   value, or the mean of the two middle values for an even count; there is
//!   none when no case is completed.
//!
//! Rows counted by language, prefecture and need are sorted by count,
//! highest first, then by key, so that the largest groups come first and the
//! order is stable.

pub mod format;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use referral_protocol::{ThreadId, ThreadStatus};
use serde::{Serialize, Serializer};
use time::Date;
use time::macros::format_description;

use crate::cases::{CaseRecord, Direction, EventSource};
use crate::referral::reference_data;

/// The key for a referral field that is missing, empty or not text.
pub const UNKNOWN: &str = "unknown";

/// Seconds in a day, for days to outcome.
const SECONDS_PER_DAY: f64 = 86_400.0;

/// Why the figures could not be computed as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// `--since` is not a calendar date written as YYYY-MM-DD.
    #[error("--since {got:?} is not a date: expected YYYY-MM-DD (UTC), for example 2024-04-01")]
    Since {
        /// What was given, shortened.
        got: String,
    },
}

/// The first day counted (`--since`): cases referred from its midnight UTC
/// onwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Since(Date);

impl Since {
    /// Parses `YYYY-MM-DD`. Only that form is accepted: a report is read by
    /// people in several countries, and a day written `04/05/2024` means two
    /// different days to them.
    pub fn parse(text: &str) -> Result<Self, ReportError> {
        Date::parse(text.trim(), format_description!("[year]-[month]-[day]"))
            .map(Self)
            .map_err(|_| ReportError::Since {
                got: text.chars().take(40).collect(),
            })
    }

    /// The day.
    pub fn date(self) -> Date {
        self.0
    }

    /// Midnight UTC at the start of the day, in seconds since the Unix epoch:
    /// referral times are compared with this.
    pub fn start(self) -> i64 {
        self.0.midnight().assume_utc().unix_timestamp()
    }
}

impl fmt::Display for Since {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}",
            d.year(),
            u8::from(d.month()),
            d.day()
        )
    }
}

impl Serialize for Since {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One row of a breakdown: a language, prefecture or need, and how many
/// cases have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountRow {
    /// The code as written in the referral (`vi`, `JP-13`, `medical`), or
    /// [`UNKNOWN`].
    pub key: String,
    /// Its English name from the reference data (`Vietnamese`, `Tokyo`),
    /// where there is one. Needs have none: their codes are English words.
    pub label: Option<String>,
    /// The number of cases.
    pub count: u64,
}

impl CountRow {
    /// How the row is named for people: `vi (Vietnamese)`, or the bare key.
    pub fn display_key(&self) -> String {
        match &self.label {
            Some(label) => format!("{} ({label})", self.key),
            None => self.key.clone(),
        }
    }
}

/// The number of cases in one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StatusCount {
    /// The status.
    pub status: ThreadStatus,
    /// The number of cases whose current status it is.
    pub count: u64,
}

/// Days from referral to completion, over the completed cases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DaysToOutcome {
    /// The number of completed cases with a completion time.
    pub count: u64,
    /// The median, in days; `None` when no case is completed.
    pub median: Option<f64>,
}

/// The program figures (see the module documentation for the definitions).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgramReport {
    /// The first day counted, if `--since` was given.
    pub since: Option<Since>,
    /// The number of cases: people referred.
    pub cases: u64,
    /// Records not counted because they are the second copy of a case
    /// forwarded on from this device (within the `--since` window).
    pub forwarded_copies: u64,
    /// Cases by `person.preferred_language`.
    pub by_language: Vec<CountRow>,
    /// Cases by `person.prefecture`.
    pub by_prefecture: Vec<CountRow>,
    /// Cases by `case.need`.
    pub by_need: Vec<CountRow>,
    /// Cases by current status: all nine, in lifecycle order.
    pub outcomes: Vec<StatusCount>,
    /// Cases with two or more contacts.
    pub multi_contact_cases: u64,
    /// `multi_contact_cases` as a fraction of `cases`; `None` with no cases.
    pub multi_contact_share: Option<f64>,
    /// Days to outcome of the completed cases.
    pub days_to_outcome: DaysToOutcome,
}

/// Computes the figures from `records` (every record of the store: the whole
/// store is needed to recognise forwarded copies), counting only cases
/// referred at or after `since`.
pub fn compute(records: &[CaseRecord], since: Option<Since>) -> ProgramReport {
    let in_store: BTreeSet<&ThreadId> = records.iter().map(|r| &r.thread_id).collect();
    let start = since.map(Since::start);
    let in_window = |r: &&CaseRecord| start.is_none_or(|s| r.referred_at >= s);

    let (copies, cases): (Vec<&CaseRecord>, Vec<&CaseRecord>) = records
        .iter()
        .filter(in_window)
        .partition(|r| is_forwarded_copy(r, &in_store));

    let mut languages = BTreeMap::new();
    let mut prefectures = BTreeMap::new();
    let mut needs = BTreeMap::new();
    let mut statuses: BTreeMap<ThreadStatus, u64> = BTreeMap::new();
    let mut multi_contact_cases = 0;
    let mut days = Vec::new();
    for case in &cases {
        *languages
            .entry(key_of(case, "person", "preferred_language"))
            .or_insert(0) += 1;
        *prefectures
            .entry(key_of(case, "person", "prefecture"))
            .or_insert(0) += 1;
        *needs.entry(key_of(case, "case", "need")).or_insert(0) += 1;
        *statuses.entry(case.status).or_insert(0) += 1;
        if contacts(case) >= 2 {
            multi_contact_cases += 1;
        }
        if let Some(d) = days_to_outcome(case) {
            days.push(d);
        }
    }

    let total = count(cases.len());
    ProgramReport {
        since,
        cases: total,
        forwarded_copies: count(copies.len()),
        by_language: rows(languages, |k| {
            reference_data::language(k).map(|l| l.english_name.clone())
        }),
        by_prefecture: rows(prefectures, |k| {
            reference_data::prefecture(k).map(|p| p.name.clone())
        }),
        by_need: rows(needs, |_| None),
        outcomes: ThreadStatus::ALL
            .into_iter()
            .map(|status| StatusCount {
                status,
                count: statuses.get(&status).copied().unwrap_or(0),
            })
            .collect(),
        multi_contact_cases,
        multi_contact_share: (total > 0).then(|| multi_contact_cases as f64 / total as f64),
        days_to_outcome: DaysToOutcome {
            count: count(days.len()),
            median: median(&mut days),
        },
    }
}

/// Whether `record` is the onward copy of a case forwarded from this
/// device: its original is in the same store, and counted there.
fn is_forwarded_copy(record: &CaseRecord, in_store: &BTreeSet<&ThreadId>) -> bool {
    record.forwarded_from.as_ref().is_some_and(|link| {
        link.thread_id != record.thread_id && in_store.contains(&link.thread_id)
    })
}

/// A referral field as a breakdown key: missing, empty and non-text values
/// all become [`UNKNOWN`], so that every breakdown sums to the total.
fn key_of(case: &CaseRecord, section: &str, name: &str) -> String {
    match case.field(section, name).map(str::trim) {
        Some(value) if !value.is_empty() => value.to_owned(),
        _ => UNKNOWN.to_owned(),
    }
}

/// The number of contacts: replies with `in_progress` or `completed` from
/// the desk the referral was addressed to.
pub fn contacts(case: &CaseRecord) -> usize {
    let receiving_desk = match case.direction {
        Direction::Sent => &case.other_desk,
        Direction::Received => &case.our_desk,
    };
    case.events
        .iter()
        .filter(|e| e.source == EventSource::Packet)
        .filter(|e| matches!(e.status, ThreadStatus::InProgress | ThreadStatus::Completed))
        .filter(|e| e.desk.as_ref().is_none_or(|d| d == receiving_desk))
        .count()
}

/// Days from the referral to its first `completed` event, for a case whose
/// current status is `completed`.
pub fn days_to_outcome(case: &CaseRecord) -> Option<f64> {
    if case.status != ThreadStatus::Completed {
        return None;
    }
    let done = case
        .events
        .iter()
        .find(|e| e.status == ThreadStatus::Completed && e.source == EventSource::Packet)?;
    // i64 seconds to f64 is exact for any date within ±285 million years.
    Some((done.at - case.referred_at) as f64 / SECONDS_PER_DAY)
}

/// The median of `values` (reordered in place), or `None` for none.
fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

/// Breakdown rows, highest count first, then by key.
fn rows(counts: BTreeMap<String, u64>, label: impl Fn(&str) -> Option<String>) -> Vec<CountRow> {
    let mut rows: Vec<CountRow> = counts
        .into_iter()
        .map(|(key, count)| CountRow {
            label: label(&key),
            key,
            count,
        })
        .collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    rows
}

fn count(n: usize) -> u64 {
    // usize is at most 64 bits on every target this builds for.
    u64::try_from(n).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::{CaseEvent, ThreadLink};
    use referral_protocol::{DeskId, PacketId};
    use serde_json::json;

    const DAY: i64 = 86_400;
    /// 2024-04-01T00:00:00Z.
    const APRIL_1: i64 = 1_711_929_600;

    fn desk(s: &str) -> DeskId {
        s.parse().unwrap()
    }

    fn event(status: ThreadStatus, at: i64, by: Option<&str>) -> CaseEvent {
        CaseEvent {
            status,
            at,
            desk: by.map(desk),
            device: None,
            packet_id: None,
            message: None,
            reason: None,
            outcome: None,
            source: EventSource::Packet,
        }
    }

    /// A case sent by `caseworker` to `desk-a`, referred at `at`, that went
    /// through `path` (each step a day apart, made by `desk-a`).
    fn sent(at: i64, language: &str, path: &[ThreadStatus]) -> CaseRecord {
        let mut record = CaseRecord {
            version: crate::cases::record::RECORD_VERSION,
            thread_id: ThreadId::random(),
            direction: Direction::Sent,
            our_desk: desk("caseworker"),
            other_desk: desk("desk-a"),
            referral_packet: PacketId::random(),
            referred_at: at,
            referral: json!({
                "schema": "referral.v1",
                "case": {"need": "medical"},
                "person": {"preferred_language": language, "prefecture": "JP-13"},
            }),
            attachments: Vec::new(),
            forward_note: None,
            forwarded_from: None,
            forwarded_to: None,
            status: ThreadStatus::Sent,
            events: vec![event(ThreadStatus::Sent, at, Some("caseworker"))],
        };
        for (i, status) in path.iter().enumerate() {
            let step = i64::try_from(i).unwrap() + 1;
            record.push(event(*status, at + step * DAY, Some("desk-a")));
        }
        record
    }

    use ThreadStatus::*;

    #[test]
    fn an_empty_store_has_no_figures() {
        let report = compute(&[], None);
        assert_eq!(report.cases, 0);
        assert!(report.by_language.is_empty());
        assert_eq!(report.outcomes.len(), 9);
        assert!(report.outcomes.iter().all(|o| o.count == 0));
        assert_eq!(report.multi_contact_share, None);
        assert_eq!(
            report.days_to_outcome,
            DaysToOutcome {
                count: 0,
                median: None
            }
        );
    }

    #[test]
    fn breakdowns_are_labelled_and_sorted_by_count_then_key() {
        let records = [
            sent(APRIL_1, "vi", &[]),
            sent(APRIL_1, "en", &[]),
            sent(APRIL_1, "vi", &[]),
            sent(APRIL_1, "tl", &[]),
        ];
        let report = compute(&records, None);
        let keys: Vec<_> = report
            .by_language
            .iter()
            .map(CountRow::display_key)
            .collect();
        assert_eq!(keys, ["vi (Vietnamese)", "en (English)", "tl (Tagalog)"]);
        assert_eq!(report.by_language[0].count, 2);
        assert_eq!(report.by_prefecture[0].display_key(), "JP-13 (Tokyo)");
        assert_eq!(report.by_need[0].label, None);
    }

    #[test]
    fn missing_or_empty_fields_count_as_unknown() {
        let mut no_language = sent(APRIL_1, "vi", &[]);
        no_language.referral["person"]
            .as_object_mut()
            .unwrap()
            .remove("preferred_language");
        let empty = sent(APRIL_1, "", &[]);
        let mut not_text = sent(APRIL_1, "vi", &[]);
        not_text.referral["person"]["preferred_language"] = json!(7);
        let mut no_case = sent(APRIL_1, "vi", &[]);
        no_case.referral.as_object_mut().unwrap().remove("case");
        let report = compute(&[no_language, empty, not_text, no_case], None);
        assert_eq!(
            report.by_language,
            [
                CountRow {
                    key: UNKNOWN.into(),
                    label: None,
                    count: 3
                },
                CountRow {
                    key: "vi".into(),
                    label: Some("Vietnamese".into()),
                    count: 1
                },
            ]
        );
        assert_eq!(
            report
                .by_need
                .iter()
                .find(|r| r.key == UNKNOWN)
                .unwrap()
                .count,
            1
        );
    }

    #[test]
    fn a_copy_forwarded_on_from_this_device_is_not_a_second_case() {
        let mut original = sent(APRIL_1, "vi", &[]);
        original.direction = Direction::Received;
        original.our_desk = desk("desk-a");
        original.other_desk = desk("caseworker");
        original.events = vec![event(Sent, APRIL_1, None)];
        original.status = Sent;
        original.push(event(Received, APRIL_1 + DAY, Some("desk-a")));
        original.push(event(Forwarded, APRIL_1 + 2 * DAY, Some("desk-a")));
        let mut copy = sent(
            APRIL_1 + 2 * DAY,
            "vi",
            &[Received, Accepted, InProgress, Completed],
        );
        copy.our_desk = desk("desk-a");
        copy.other_desk = desk("desk-b");
        for e in &mut copy.events[1..] {
            e.desk = Some(desk("desk-b"));
        }
        copy.forwarded_from = Some(ThreadLink {
            desk: desk("caseworker"),
            thread_id: original.thread_id,
        });
        // Forwarded here by another desk: its original is not in this store.
        let mut from_elsewhere = sent(APRIL_1, "en", &[]);
        from_elsewhere.forwarded_from = Some(ThreadLink {
            desk: desk("desk-z"),
            thread_id: ThreadId::random(),
        });

        let report = compute(&[original, copy, from_elsewhere], None);
        assert_eq!(report.cases, 2);
        assert_eq!(report.forwarded_copies, 1);
        let count = |s| {
            report
                .outcomes
                .iter()
                .find(|o| o.status == s)
                .unwrap()
                .count
        };
        assert_eq!(count(Forwarded), 1);
        assert_eq!(count(Sent), 1);
        assert_eq!(count(Completed), 0);
        assert_eq!(report.multi_contact_cases, 0);
        assert_eq!(report.days_to_outcome.count, 0);
    }

    #[test]
    fn contacts_are_the_receiving_desks_updates_and_completion() {
        let once = sent(APRIL_1, "vi", &[Received, Accepted, Completed]);
        let twice = sent(APRIL_1, "vi", &[Received, Accepted, InProgress, Completed]);
        let two_updates = sent(APRIL_1, "vi", &[Received, Accepted, InProgress, InProgress]);
        assert_eq!(contacts(&once), 1);
        assert_eq!(contacts(&twice), 2);
        assert_eq!(contacts(&two_updates), 2);

        // Reported by the broker (unsigned, no desk): neither a contact nor
        // an outcome, so a broker cannot complete a case in the report.
        let mut reported = once.clone();
        reported.events[3].desk = None;
        reported.events[3].source = EventSource::Broker;
        reported.settle_status();
        assert_eq!(contacts(&reported), 0);
        assert_eq!(reported.status, Accepted);
        assert_eq!(days_to_outcome(&reported), None);
        let figures = compute(std::slice::from_ref(&reported), None);
        let completed = figures.outcomes.iter().find(|o| o.status == Completed);
        assert_eq!(completed.map(|o| o.count), Some(0));
        // An event by some third desk is not a contact on this thread.
        let mut stray = twice.clone();
        stray.events[3].desk = Some(desk("desk-z"));
        assert_eq!(contacts(&stray), 1);

        // A received case: this desk's own replies are the contacts.
        let mut received = twice.clone();
        received.direction = Direction::Received;
        std::mem::swap(&mut received.our_desk, &mut received.other_desk);
        assert_eq!(contacts(&received), 2);

        let report = compute(&[once, twice, two_updates, received], None);
        assert_eq!(report.multi_contact_cases, 3);
        assert_eq!(report.multi_contact_share, Some(0.75));
    }

    #[test]
    fn median_days_to_outcome_odd_and_even() {
        // One step a day: completed after 2, 3.5 and 4 days; one still open.
        let two = sent(APRIL_1, "vi", &[Received, Completed]);
        let mut three_and_a_half = sent(APRIL_1, "vi", &[Received, Accepted, Completed]);
        three_and_a_half.events.last_mut().unwrap().at += DAY / 2;
        let four = sent(APRIL_1, "vi", &[Received, Accepted, InProgress, Completed]);
        let open = sent(APRIL_1, "vi", &[Received, Accepted, InProgress]);
        assert_eq!(days_to_outcome(&two), Some(2.0));
        assert_eq!(days_to_outcome(&three_and_a_half), Some(3.5));
        assert_eq!(days_to_outcome(&open), None);

        let odd = compute(&[four.clone(), two.clone(), three_and_a_half, open], None);
        assert_eq!(
            odd.days_to_outcome,
            DaysToOutcome {
                count: 3,
                median: Some(3.5)
            }
        );
        let even = compute(&[two, four], None);
        assert_eq!(
            even.days_to_outcome,
            DaysToOutcome {
                count: 2,
                median: Some(3.0)
            }
        );
    }

    #[test]
    fn the_first_completion_counts() {
        let mut case = sent(APRIL_1, "vi", &[Received, Accepted, Completed]);
        let late = event(Completed, APRIL_1 + 30 * DAY, Some("desk-a"));
        case.push(late);
        assert_eq!(days_to_outcome(&case), Some(3.0));
    }

    #[test]
    fn since_counts_from_midnight_utc() {
        let since = Since::parse("2024-04-02").unwrap();
        assert_eq!(since.start(), APRIL_1 + DAY);
        assert_eq!(since.to_string(), "2024-04-02");
        let records = [
            sent(APRIL_1 + DAY - 1, "vi", &[]),
            sent(APRIL_1 + DAY, "en", &[]),
            sent(APRIL_1 + 5 * DAY, "tl", &[]),
        ];
        let report = compute(&records, Some(since));
        assert_eq!(report.cases, 2);
        assert!(report.by_language.iter().all(|r| r.key != "vi"));
        assert_eq!(
            serde_json::to_value(&report).unwrap()["since"],
            json!("2024-04-02")
        );
    }

    #[test]
    fn malformed_since_dates_are_refused_naming_the_format() {
        for bad in [
            "",
            "2024-4-1",
            "01/04/2024",
            "2024-02-30",
            "yesterday",
            "2024-04-01T00:00",
        ] {
            let err = Since::parse(bad).unwrap_err();
            assert!(err.to_string().contains("YYYY-MM-DD"), "{bad}: {err}");
        }
    }

    #[test]
    fn json_has_the_documented_shape() {
        let report = compute(
            &[sent(APRIL_1, "vi", &[Received, Accepted, Completed])],
            None,
        );
        let value = serde_json::to_value(&report).unwrap();
        assert_eq!(value["since"], json!(null));
        assert_eq!(value["cases"], json!(1));
        assert_eq!(
            value["by_language"],
            json!([{"key": "vi", "label": "Vietnamese", "count": 1}])
        );
        assert_eq!(
            value["outcomes"][5],
            json!({"status": "completed", "count": 1})
        );
        assert_eq!(value["multi_contact_cases"], json!(0));
        assert_eq!(value["days_to_outcome"], json!({"count": 1, "median": 3.0}));
    }
}
