//! `referral cases [--status S]`: the cases in this device's case store,
//! oldest referral first. The store is first brought up to date from the
//! broker when it can be reached ([`sync`], ADR 0014); otherwise it is shown
//! as of the last sync, and a note says so.

use std::io::{self, Write};

use referral_protocol::{DeskId, ThreadId, ThreadStatus};
use serde::Serialize;

use crate::cases::{CaseRecord, CaseStore, EventSource};
use crate::cli::CasesArgs;
use crate::context::Context;
use crate::exit::Failure;
use crate::output::Report;
use crate::terminal;
use crate::workflow::rfc3339;
use crate::workflow::sync::{self, Freshness};

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
}

impl From<&CaseRecord> for CaseRow {
    fn from(r: &CaseRecord) -> Self {
        Self {
            thread_id: r.thread_id,
            status: r.status,
            status_source: r.status_source(),
            direction: r.direction.as_str(),
            other_desk: r.other_desk.clone(),
            need: r.field("case", "need").map(str::to_owned),
            preferred_language: r.field("person", "preferred_language").map(str::to_owned),
            prefecture: r.field("person", "prefecture").map(str::to_owned),
            referred_at: rfc3339(r.referred_at),
            updated_at: rfc3339(r.events.last().map_or(r.referred_at, |e| e.at)),
        }
    }
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

impl Report for CasesReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.0.is_empty() {
            return writeln!(out, "No cases.");
        }
        writeln!(
            out,
            "{:<36}  {:<11}  {:<8}  {:<20}  {:<20}  {:<8}  {:<6}  referred",
            "thread", "status", "sent/rcv", "other desk", "need", "language", "pref."
        )?;
        for c in &self.0 {
            // A status only the broker reported is marked, so that it never
            // reads like one a signed packet set (ADR 0010).
            let status = match c.status_source {
                EventSource::Packet => c.status.as_str().to_owned(),
                EventSource::Broker => format!("{}*", c.status.as_str()),
            };
            writeln!(
                out,
                "{:<36}  {:<11}  {:<8}  {:<20}  {:<20}  {:<8}  {:<6}  {}",
                c.thread_id.to_string(),
                status,
                c.direction,
                c.other_desk.as_str(),
                // Codes as the sender wrote them.
                terminal::line(c.need.as_deref().unwrap_or("-")),
                terminal::line(c.preferred_language.as_deref().unwrap_or("-")),
                terminal::line(c.prefecture.as_deref().unwrap_or("-")),
                c.referred_at
            )?;
        }
        if self
            .0
            .iter()
            .any(|c| c.status_source == EventSource::Broker)
        {
            writeln!(out, "* reported by the broker, not by a signed packet")?;
        }
        writeln!(
            out,
            "{} case(s). Details: referral thread THREAD",
            self.0.len()
        )
    }
}

/// Runs `cases`.
pub fn run(ctx: &Context, args: &CasesArgs) -> Result<CasesReport, Failure> {
    let status: Option<ThreadStatus> = args
        .status
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|e| Failure::User(anyhow::anyhow!("--status: {e}")))?;
    let (keys, freshness) = sync::bring_up_to_date(ctx)?;
    freshness.print_note();
    let cases = CaseStore::open(&ctx.home)?;
    let rows = cases
        .all(&keys.case_keys())?
        .iter()
        .filter(|r| status.is_none_or(|s| r.status == s))
        .map(CaseRow::from)
        .collect();
    Ok(CasesReport(rows, freshness))
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
            need: None,
            preferred_language: None,
            prefecture: None,
            referred_at: "2026-12-07T10:00:00Z".to_owned(),
            updated_at: "2026-12-07T10:00:00Z".to_owned(),
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
