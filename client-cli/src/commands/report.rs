//! `referral report [--since DATE] [--format table|csv|json]`: program
//! figures from this device's own case store (SPEC §9, ADR 0005 point 5).
//!
//! The figures come from the decrypted case records alone (see
//! [`crate::report`] for what is counted). The store is first brought up to
//! date from the broker when it can be reached ([`sync`], ADR 0014), as
//! `cases` does; offline, `report` still works, on the store as of the last
//! sync, and says so.
//!
//! Unlike the other commands it prints itself, because it has a third
//! output format (CSV) that the shared [`crate::output::Report`] does not
//! know. The global `--json` wins over `--format`, as SPEC §9 promises one
//! JSON document on stdout whenever `--json` is given.

use std::io::{self, Write};

use anyhow::Context as _;

use crate::cases::CaseStore;
use crate::cli::{ReportArgs, ReportFormat};
use crate::context::{Context, Keys};
use crate::exit::Failure;
use crate::output::Format;
use crate::report::{self, ProgramReport, Since};
use crate::terminal;
use crate::tr;
use crate::workflow::sync::{self, Freshness};

/// Runs `report` and prints the figures on stdout.
pub fn run(ctx: &Context, args: &ReportArgs) -> Result<(), Failure> {
    // Before the passphrase: a typo in the date should not cost an unlock.
    let since = args
        .since
        .as_deref()
        .map(Since::parse)
        .transpose()
        .map_err(|e| Failure::User(e.into()))?;
    let (keys, freshness) = sync::bring_up_to_date(ctx)?;
    freshness.print_note();
    let figures = figures(ctx, keys, since)?;
    let format = match ctx.format {
        Format::Json => ReportFormat::Json,
        Format::Human => args.format,
    };
    let text = rendered(&figures, format, freshness)?;
    let mut out = io::stdout().lock();
    out.write_all(&text)
        .and_then(|()| out.flush())
        .with_context(|| tr!("report-cannot-write"))?;
    Ok(())
}

/// The figures from this device's case store, counting cases referred on
/// or after `since`; `keys` (from [`sync::bring_up_to_date`]) are wiped
/// before the counting starts. `report` prints them; the web app draws
/// them.
pub fn figures(ctx: &Context, keys: Keys, since: Option<Since>) -> Result<ProgramReport, Failure> {
    let records = CaseStore::open(&ctx.home)?.all(&keys.case_keys())?;
    // Counting needs no secrets: wipe them before the work starts.
    drop(keys);
    Ok(report::compute(&records, since))
}

/// The figures as `report` prints them in `format`: written whole, so that
/// a failure leaves nothing half-printed (the `--json` promise). The CSV is
/// also what the web app offers as a download.
pub fn rendered(
    figures: &ProgramReport,
    format: ReportFormat,
    freshness: Freshness,
) -> Result<Vec<u8>, Failure> {
    let mut text = Vec::new();
    report::format::write(&mut text, figures, format)
        .with_context(|| tr!("report-cannot-format"))?;
    // The keys (language, prefecture and need codes) come from other desks'
    // referrals: the table and the CSV may well be read in a terminal, so
    // they pass the same last line of defence as every human report. JSON
    // escapes control characters itself.
    Ok(match format {
        ReportFormat::Json => with_freshness(&text, freshness)?,
        ReportFormat::Table | ReportFormat::Csv => {
            terminal::for_terminal(&String::from_utf8_lossy(&text))
                .into_owned()
                .into_bytes()
        }
    })
}

/// The JSON figures with the store's freshness (`stale`, `synced_at`) added
/// beside them; the figures' own fields stay as they are.
fn with_freshness(json: &[u8], freshness: Freshness) -> Result<Vec<u8>, Failure> {
    let mut doc: serde_json::Value =
        serde_json::from_slice(json).context("cannot format the report")?;
    if let (Some(doc), serde_json::Value::Object(fields)) = (
        doc.as_object_mut(),
        serde_json::to_value(freshness).context("cannot format the report")?,
    ) {
        doc.extend(fields);
    }
    let mut out = serde_json::to_vec(&doc).context("cannot format the report")?;
    out.push(b'\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::CountRow;

    #[test]
    fn the_csv_download_is_the_csv_report_with_formulas_and_controls_defused() {
        let mut figures = report::compute(&[], None);
        figures.cases = 2;
        figures.by_language = vec![
            CountRow {
                key: "=HYPERLINK(\"http://x\")".to_owned(),
                label: None,
                count: 1,
            },
            CountRow {
                key: "vi\u{1b}[31m".to_owned(),
                label: Some("Vietnamese".to_owned()),
                count: 1,
            },
        ];
        let csv = rendered(&figures, ReportFormat::Csv, Freshness::default()).unwrap();
        let text = String::from_utf8(csv).unwrap();
        assert!(text.starts_with("section,key,value\n"), "{text}");
        assert!(text.contains("cases,total,2\n"), "{text}");
        assert!(
            text.contains("language,\"'=HYPERLINK(\"\"http://x\"\")\",1\n"),
            "{text}"
        );
        assert!(!text.contains('\u{1b}'), "{text:?}");
        let mut direct = Vec::new();
        report::format::write_csv(&mut direct, &figures).unwrap();
        assert_eq!(
            text.lines().count(),
            String::from_utf8(direct).unwrap().lines().count(),
            "the same rows as `referral report --format csv`"
        );
    }
}
