//! `referral cases [--status S]`: the cases in this device's case store,
//! oldest referral first. The store is first brought up to date from the
//! broker when it can be reached ([`sync`], ADR 0014); otherwise it is shown
//! as of the last sync, and a note says so.

use std::io::{self, Write};

use referral_protocol::{DeskId, ThreadId, ThreadStatus};
use serde::{Deserialize, Serialize};

use crate::cases::{CaseRecord, CaseStore, EventSource, search};
use crate::cli::CasesArgs;
use crate::context::Context;
use crate::exit::Failure;
use crate::output::Report;
use crate::referral::model::Need;
use crate::referral::words;
use crate::workflow::rfc3339;
use crate::workflow::sync::{self, Freshness};
use crate::{columns, i18n, terminal, tr};

/// One case, in a line.
#[derive(Debug, Serialize)]
pub struct CaseRow {
    /// The thread.
    pub thread_id: ThreadId,
    /// The latest status this device knows (`cases::history::status`).
    pub status: ThreadStatus,
    /// Where it was learnt: `packet` (signed) or `broker`.
    pub status_source: EventSource,
    /// `sent` or `received`.
    pub direction: &'static str,
    /// The desk on the other side.
    pub other_desk: DeskId,
    /// `case.reference`, the caseworker's own number for the case.
    pub reference: Option<String>,
    /// `person.name`, where given (decrypted here, from the case store).
    pub name: Option<String>,
    /// `case.need`.
    pub need: Option<String>,
    /// `person.preferred_language`.
    pub preferred_language: Option<String>,
    /// `person.prefecture`.
    pub prefecture: Option<String>,
    /// When it was referred (RFC 3339).
    pub referred_at: String,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
    /// `referred_at` as Unix time, for people (shown in the local zone).
    #[serde(skip)]
    pub referred_at_unix: i64,
}

impl From<&CaseRecord> for CaseRow {
    fn from(r: &CaseRecord) -> Self {
        Self {
            thread_id: r.thread_id,
            status: r.status,
            status_source: r.status_source(),
            direction: r.direction.as_str(),
            other_desk: r.other_desk.clone(),
            reference: given(r.field("case", "reference")),
            name: given(r.field("person", "name")),
            need: r.field("case", "need").map(str::to_owned),
            preferred_language: r.field("person", "preferred_language").map(str::to_owned),
            prefecture: r.field("person", "prefecture").map(str::to_owned),
            referred_at: rfc3339(r.referred_at),
            updated_at: rfc3339(r.events.last().map_or(r.referred_at, |e| e.at)),
            referred_at_unix: r.referred_at,
        }
    }
}

/// A free-text field as listed: absent when left blank.
fn given(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The cases listed, and how current the store was.
#[derive(Debug)]
pub struct CasesReport(pub Vec<CaseRow>, pub Freshness);

/// `--json`: the list of rows as before, each with the store's freshness
/// (`stale`, `synced_at`) added beside its fields.
impl Serialize for CasesReport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Row<'a> {
            #[serde(flatten)]
            row: &'a CaseRow,
            #[serde(flatten)]
            freshness: &'a Freshness,
        }
        s.collect_seq(self.0.iter().map(|row| Row {
            row,
            freshness: &self.1,
        }))
    }
}

/// `cases`, with what was asked for: an empty list reads differently when a
/// search found nothing.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct CasesListing {
    /// The cases.
    pub report: CasesReport,
    /// The `--search` text, if any.
    #[serde(skip)]
    pub search: Option<String>,
}

impl Report for CasesListing {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        match &self.search {
            Some(query) if self.report.0.is_empty() => writeln!(
                out,
                "{}",
                tr!("cases-search-none", query = terminal::line(query).as_ref())
            ),
            _ => self.report.write_human(out),
        }
    }
}

impl Report for CasesReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.0.is_empty() {
            return writeln!(out, "{}", tr!("cases-none"));
        }
        let header = [
            tr!("cases-column-thread"),
            tr!("cases-column-status"),
            tr!("cases-column-direction"),
            tr!("cases-column-other-desk"),
            tr!("cases-column-need"),
            tr!("cases-column-language"),
            tr!("cases-column-prefecture"),
            tr!("cases-column-referred"),
        ];
        let rows: Vec<[String; 8]> = self.0.iter().map(row_words).collect();
        let widths = columns::widths(&header, &rows);
        writeln!(out, "{}", columns::row(&header, &widths))?;
        for (c, cells) in self.0.iter().zip(&rows) {
            writeln!(out, "{}", columns::row(cells, &widths))?;
            // The caseworker's reference and the person's name, when given,
            // on a line of their own: free text of any length, typed by
            // people.
            let who: Vec<String> = [&c.reference, &c.name]
                .into_iter()
                .flatten()
                .map(|v| terminal::line(v).to_string())
                .collect();
            if !who.is_empty() {
                writeln!(out, "  {}", who.join(" · "))?;
            }
        }
        if self
            .0
            .iter()
            .any(|c| c.status_source == EventSource::Broker)
        {
            writeln!(out, "{}", tr!("cases-footnote-broker"))?;
        }
        writeln!(out, "{}", tr!("cases-count", count = self.0.len()))
    }
}

/// A case's cells for people: words and names, the time in the local zone.
/// A code outside the lists (another desk's software let it through) is
/// shown as written, escaped.
fn row_words(c: &CaseRow) -> [String; 8] {
    // A status only the broker reported is marked, so that it never reads
    // like one a signed packet set (ADR 0010).
    let status = match c.status_source {
        EventSource::Packet => words::status(c.status),
        EventSource::Broker => format!("{}*", words::status(c.status)),
    };
    let direction = match c.direction {
        "sent" => tr!("cases-direction-sent"),
        _ => tr!("cases-direction-received"),
    };
    let code = |code: &Option<String>, name: fn(&str) -> Option<String>| match code.as_deref() {
        None => "-".to_owned(),
        Some(code) => name(code).unwrap_or_else(|| terminal::line(code).into_owned()),
    };
    [
        c.thread_id.to_string(),
        status,
        direction,
        c.other_desk.as_str().to_owned(),
        code(&c.need, need_words),
        code(&c.preferred_language, words::language),
        code(&c.prefecture, words::prefecture),
        i18n::moment(c.referred_at_unix),
    ]
}

fn need_words(code: &str) -> Option<String> {
    Need::deserialize(serde_json::Value::from(code))
        .ok()
        .map(words::need)
}

/// Runs `cases`.
pub fn run(ctx: &Context, args: &CasesArgs) -> Result<CasesListing, Failure> {
    let status: Option<ThreadStatus> = args
        .status
        .as_deref()
        .map(str::parse::<ThreadStatus>)
        .transpose()
        .map_err(|e| {
            Failure::User(anyhow::anyhow!(tr!(
                "cases-bad-status",
                error = e.to_string()
            )))
        })?;
    let (keys, freshness) = sync::bring_up_to_date(ctx)?;
    freshness.print_note();
    let cases = CaseStore::open(&ctx.home)?;
    let rows = cases
        .all(&keys.case_keys())?
        .iter()
        .filter(|r| status.is_none_or(|s| r.status == s))
        .filter(|r| {
            args.search
                .as_deref()
                .is_none_or(|query| search::matches(r, query))
        })
        .map(CaseRow::from)
        .collect();
    Ok(CasesListing {
        report: CasesReport(rows, freshness),
        search: args.search.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(status: ThreadStatus, status_source: EventSource) -> CaseRow {
        CaseRow {
            thread_id: ThreadId::random(),
            status,
            status_source,
            direction: "sent",
            other_desk: "shinjuku-iea".parse().unwrap(),
            reference: None,
            name: None,
            need: None,
            preferred_language: None,
            prefecture: None,
            referred_at: "2026-12-07T10:00:00Z".to_owned(),
            updated_at: "2026-12-07T10:00:00Z".to_owned(),
            referred_at_unix: 1_796_637_600,
        }
    }

    fn human(report: &CasesReport) -> String {
        let mut out = Vec::new();
        report.write_human(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_status_only_the_broker_reported_is_marked_as_its() {
        let text = human(&CasesReport(
            vec![
                row(ThreadStatus::Accepted, EventSource::Packet),
                row(ThreadStatus::Expired, EventSource::Broker),
            ],
            Freshness::default(),
        ));
        assert!(text.contains("accepted "), "{text}");
        assert!(!text.contains("accepted*"), "{text}");
        assert!(text.contains("expired* "), "{text}");
        assert!(
            text.contains("* reported by the broker, not by a signed packet"),
            "{text}"
        );
    }

    #[test]
    fn signed_statuses_need_no_footnote() {
        let text = human(&CasesReport(
            vec![row(ThreadStatus::Completed, EventSource::Packet)],
            Freshness::default(),
        ));
        assert!(!text.contains('*'), "{text}");
    }
}
