//! Printing a [`ProgramReport`]: aligned tables for people, CSV for
//! spreadsheets, JSON for scripts.
//!
//! Kept apart from the computation so that the figures are tested once and
//! each format only has to show them faithfully. Table and CSV round
//! fractional figures (median days, percentages) to one decimal, which is
//! what a person reads; JSON keeps full precision, for scripts that compute
//! further.

use std::borrow::Cow;
use std::io::{self, Write};

use serde::Deserialize;

use super::{CountRow, ProgramReport, UNKNOWN};
use crate::cli::ReportFormat;
use crate::referral::model::Need;
use crate::referral::words;
use crate::{columns, terminal, tr};

/// What "median" shows in the table when no case is completed.
const NONE: &str = "-";

/// The width the definitions are wrapped to: a terminal's 80 columns, less
/// a margin.
const TEXT_WIDTH: usize = 78;

/// The definitions, printed under the table so that nobody reads a figure
/// without knowing what was counted (see the module documentation of
/// [`super`] and `docs/report.md`), as (term, meaning).
fn definitions() -> [(String, String); 7] {
    [
        (tr!("report-term-case"), tr!("report-define-case")),
        (tr!("report-term-since"), tr!("report-define-since")),
        (tr!("report-term-unknown"), tr!("report-define-unknown")),
        ("%".to_owned(), tr!("report-define-percent")),
        (tr!("report-term-outcome"), tr!("report-define-outcome")),
        (tr!("report-term-contact"), tr!("report-define-contact")),
        (tr!("report-term-days"), tr!("report-define-days")),
    ]
}

/// Writes `report` in `format`.
pub fn write(out: &mut dyn Write, report: &ProgramReport, format: ReportFormat) -> io::Result<()> {
    match format {
        ReportFormat::Table => write_table(out, report),
        ReportFormat::Csv => write_csv(out, report),
        ReportFormat::Json => write_json(out, report),
    }
}

/// One JSON document, followed by a newline.
pub fn write_json(out: &mut dyn Write, report: &ProgramReport) -> io::Result<()> {
    serde_json::to_writer(&mut *out, report)?;
    out.write_all(b"\n")
}

/// `section,key,value`, one row per figure (RFC 4180 quoting). Every
/// status is listed, like in the other formats; a median that does not
/// exist, and the `since` of a report over all dates, are empty fields.
pub fn write_csv(out: &mut dyn Write, report: &ProgramReport) -> io::Result<()> {
    let mut rows: Vec<(&str, String, String)> = vec![
        (
            "filter",
            "since".into(),
            report.since.map(|s| s.to_string()).unwrap_or_default(),
        ),
        ("cases", "total".into(), report.cases.to_string()),
        (
            "cases",
            "forwarded_copies_not_counted".into(),
            report.forwarded_copies.to_string(),
        ),
    ];
    for (section, breakdown) in [
        ("language", &report.by_language),
        ("prefecture", &report.by_prefecture),
        ("need", &report.by_need),
    ] {
        rows.extend(
            breakdown
                .iter()
                // A code as another desk's referral gave it: one line, no
                // control characters, whatever the sender put in it.
                .map(|r| {
                    let key = terminal::line(&r.display_key()).into_owned();
                    (section, key, r.count.to_string())
                }),
        );
    }
    rows.extend(
        report
            .outcomes
            .iter()
            .map(|o| ("outcome", o.status.as_str().into(), o.count.to_string())),
    );
    rows.push((
        "contacts",
        "multi_contact_cases".into(),
        report.multi_contact_cases.to_string(),
    ));
    rows.push((
        "contacts",
        "multi_contact_percent".into(),
        report
            .multi_contact_share
            .map(|s| format!("{:.1}", s * 100.0))
            .unwrap_or_default(),
    ));
    rows.push((
        "days_to_outcome",
        "count".into(),
        report.days_to_outcome.count.to_string(),
    ));
    rows.push((
        "days_to_outcome",
        "median".into(),
        report
            .days_to_outcome
            .median
            .map(|m| format!("{m:.1}"))
            .unwrap_or_default(),
    ));

    writeln!(out, "section,key,value")?;
    for (section, key, value) in rows {
        writeln!(
            out,
            "{},{},{}",
            csv_field(section),
            csv_field(&key),
            csv_field(&value)
        )?;
    }
    Ok(())
}

/// A CSV field, quoted when it holds a comma, a quote or a line break, with
/// quotes doubled (RFC 4180). Language names and free-text codes from a
/// referral could hold any of them.
///
/// A spreadsheet reads a cell that starts with `=`, `+`, `-` or `@` as a
/// formula (and a leading tab or carriage return can hide such a start), so
/// such a cell, which can only come from another desk's referral, is
/// prefixed with `'`, which makes it text (OWASP, "CSV Injection").
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.into_owned()
    }
}

/// What a cell may not start with: a spreadsheet would evaluate it.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A breakdown section of the table: its title, its rows, and how a row's
/// key is labelled for people.
type Breakdown<'r> = (String, &'r Vec<CountRow>, fn(&CountRow) -> String);

/// A line of the table: a label, a count, and optionally its share.
struct Line {
    label: String,
    value: String,
    percent: Option<String>,
}

/// The table for people: one section per figure, columns aligned across
/// all sections, and the definitions underneath, in the user's language.
/// Codes are shown with their names (`vi (Vietnamese)`), needs and
/// statuses in words; CSV and JSON keep the codes.
pub fn write_table(out: &mut dyn Write, report: &ProgramReport) -> io::Result<()> {
    let percent = |count: u64| {
        Some(if report.cases == 0 {
            NONE.to_owned()
        } else {
            format!("{:.1}", count as f64 * 100.0 / report.cases as f64)
        })
    };
    let line = |label: String, value: String, percent: Option<String>| Line {
        label,
        value,
        percent,
    };

    let mut sections: Vec<(String, Vec<Line>)> = Vec::new();
    sections.push((
        tr!("report-section-people"),
        vec![line(
            tr!("report-label-cases"),
            report.cases.to_string(),
            None,
        )],
    ));
    let breakdowns: [Breakdown; 3] = [
        (tr!("report-section-language"), &report.by_language, |r| {
            code_with_name(r, words::language)
        }),
        (
            tr!("report-section-prefecture"),
            &report.by_prefecture,
            |r| code_with_name(r, words::prefecture),
        ),
        (tr!("report-section-need"), &report.by_need, need_label),
    ];
    for (title, breakdown, label) in breakdowns {
        sections.push((
            title,
            breakdown
                .iter()
                .map(|r| line(label(r), r.count.to_string(), percent(r.count)))
                .collect(),
        ));
    }
    sections.push((
        tr!("report-section-outcomes"),
        report
            .outcomes
            .iter()
            .map(|o| {
                line(
                    words::status(o.status),
                    o.count.to_string(),
                    percent(o.count),
                )
            })
            .collect(),
    ));
    sections.push((
        tr!("report-section-contacts"),
        vec![line(
            tr!("report-label-multi-contact"),
            report.multi_contact_cases.to_string(),
            percent(report.multi_contact_cases),
        )],
    ));
    sections.push((
        tr!("report-section-days"),
        vec![
            line(
                tr!("report-label-completed-cases"),
                report.days_to_outcome.count.to_string(),
                None,
            ),
            line(
                tr!("report-label-median-days"),
                report
                    .days_to_outcome
                    .median
                    .map_or_else(|| NONE.to_owned(), |m| format!("{m:.1}")),
                None,
            ),
        ],
    ));

    let all = || sections.iter().flat_map(|(_, lines)| lines);
    let label_width = all()
        .map(|l| columns::width(&l.label))
        .max()
        .unwrap_or(0)
        .max(28);
    let value_width = all().map(|l| l.value.len()).max().unwrap_or(0).max(5);
    let percent_width = 5;

    writeln!(out, "{}", tr!("report-title"))?;
    match report.since {
        Some(since) => writeln!(out, "{}", tr!("report-since", since = since.to_string()))?,
        None => writeln!(out, "{}", tr!("report-all-dates"))?,
    }
    if report.forwarded_copies > 0 {
        writeln!(
            out,
            "{}",
            tr!("report-forwarded-copies", count = report.forwarded_copies)
        )?;
    }
    for (title, lines) in &sections {
        writeln!(out)?;
        if lines.iter().any(|l| l.percent.is_some()) {
            writeln!(
                out,
                "{}  {:>vw$}  {:>pw$}",
                columns::pad(title, label_width + 2),
                tr!("report-label-cases"),
                "%",
                vw = value_width,
                pw = percent_width
            )?;
        } else {
            writeln!(out, "{title}")?;
        }
        if lines.is_empty() {
            writeln!(out, "  {}", tr!("report-none"))?;
        }
        for l in lines {
            let mut text = format!(
                "  {}  {:>vw$}",
                columns::pad(&l.label, label_width),
                l.value,
                vw = value_width
            );
            if let Some(p) = &l.percent {
                text.push_str(&format!("  {p:>percent_width$}"));
            }
            writeln!(out, "{text}")?;
        }
    }
    writeln!(out)?;
    writeln!(out, "{}", tr!("report-definitions"))?;
    let definitions = definitions();
    let term_width = definitions
        .iter()
        .map(|(t, _)| columns::width(t))
        .max()
        .unwrap_or(0);
    let meaning_width = TEXT_WIDTH.saturating_sub(term_width + 4).max(20);
    for (term, meaning) in &definitions {
        for (i, text) in wrap(meaning, meaning_width).iter().enumerate() {
            let term = if i == 0 { term.as_str() } else { "" };
            writeln!(out, "  {}  {text}", columns::pad(term, term_width))?;
        }
    }
    writeln!(out, "\n{}", tr!("report-footer"))
}

/// `code (name)` for a language or a prefecture the tables know, the name
/// in the user's language; `unknown` in words; any other code as another
/// desk's referral gave it, on one line.
pub fn code_with_name(row: &CountRow, name: fn(&str) -> Option<String>) -> String {
    if row.key == UNKNOWN {
        return tr!("report-unknown");
    }
    match name(&row.key) {
        Some(name) => tr!("report-code-named", code = row.key.as_str(), name = name),
        None => terminal::line(&row.display_key()).into_owned(),
    }
}

/// A need in words; a code outside the list as written, on one line.
pub fn need_label(row: &CountRow) -> String {
    if row.key == UNKNOWN {
        return tr!("report-unknown");
    }
    match Need::deserialize(serde_json::Value::from(row.key.as_str())) {
        Ok(need) => words::need(need),
        Err(_) => terminal::line(&row.display_key()).into_owned(),
    }
}

/// `text` in lines of at most `width` columns, broken between words (a
/// word longer than `width` gets a line of its own). Japanese has no spaces
/// between words, so a run wider than `width` is broken between characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && columns::width(&line) + 1 + columns::width(word) > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        if columns::width(word) > width && word.chars().any(|c| columns::width(&c.to_string()) == 2)
        {
            for c in word.chars() {
                if columns::width(&line) + columns::width(&c.to_string()) > width {
                    lines.push(std::mem::take(&mut line));
                }
                line.push(c);
            }
        } else {
            line.push_str(word);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{CountRow, DaysToOutcome, Since, StatusCount};
    use referral_protocol::ThreadStatus;

    #[test]
    fn cells_a_spreadsheet_would_evaluate_are_made_text() {
        for (cell, written) in [
            (
                "=HYPERLINK(\"http://x\")",
                "\"'=HYPERLINK(\"\"http://x\"\")\"",
            ),
            ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "\"'\r=1\""),
        ] {
            assert_eq!(csv_field(cell), written, "{cell:?}");
        }
        // Anywhere but at the start, and ordinary values, are left alone.
        for cell in ["vi (Vietnamese)", "JP-13", "a=b", "12.5", ""] {
            assert_eq!(csv_field(cell), cell);
        }
    }

    fn sample() -> ProgramReport {
        ProgramReport {
            since: Some(Since::parse("2024-05-01").unwrap()),
            cases: 4,
            forwarded_copies: 1,
            by_language: vec![
                CountRow {
                    key: "vi".into(),
                    label: Some("Vietnamese".into()),
                    count: 3,
                },
                CountRow {
                    key: "xx".into(),
                    label: Some("Odd, \"quoted\"".into()),
                    count: 1,
                },
            ],
            by_prefecture: vec![CountRow {
                key: "JP-13".into(),
                label: Some("Tokyo".into()),
                count: 4,
            }],
            by_need: vec![CountRow {
                key: "medical".into(),
                label: None,
                count: 4,
            }],
            outcomes: ThreadStatus::ALL
                .into_iter()
                .map(|status| StatusCount {
                    status,
                    count: u64::from(status == ThreadStatus::Completed) * 4,
                })
                .collect(),
            multi_contact_cases: 1,
            multi_contact_share: Some(0.25),
            days_to_outcome: DaysToOutcome {
                count: 4,
                median: Some(2.34),
            },
        }
    }

    fn text(
        f: impl Fn(&mut dyn Write, &ProgramReport) -> io::Result<()>,
        r: &ProgramReport,
    ) -> String {
        let mut out = Vec::new();
        f(&mut out, r).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_rows_are_quoted_where_needed() {
        let csv = text(write_csv, &sample());
        let lines: Vec<_> = csv.lines().collect();
        assert_eq!(lines[0], "section,key,value");
        assert!(lines.contains(&"filter,since,2024-05-01"));
        assert!(lines.contains(&"cases,total,4"));
        assert!(lines.contains(&"language,vi (Vietnamese),3"));
        assert!(lines.contains(&"language,\"xx (Odd, \"\"quoted\"\")\",1"));
        assert!(lines.contains(&"prefecture,JP-13 (Tokyo),4"));
        assert!(lines.contains(&"outcome,completed,4"));
        assert!(lines.contains(&"outcome,expired,0"));
        assert!(lines.contains(&"contacts,multi_contact_cases,1"));
        assert!(lines.contains(&"contacts,multi_contact_percent,25.0"));
        assert!(lines.contains(&"days_to_outcome,count,4"));
        assert!(lines.contains(&"days_to_outcome,median,2.3"));
    }

    #[test]
    fn csv_leaves_missing_figures_empty() {
        let mut r = sample();
        r.since = None;
        r.days_to_outcome.median = None;
        r.multi_contact_share = None;
        let csv = text(write_csv, &r);
        assert!(csv.contains("\nfilter,since,\n"));
        assert!(csv.contains("\ndays_to_outcome,median,\n"));
        assert!(csv.contains("\ncontacts,multi_contact_percent,\n"));
    }

    #[test]
    fn table_aligns_figures_and_explains_them() {
        let table = text(write_table, &sample());
        assert!(table.contains("Cases referred since 2024-05-01 (00:00 UTC)"));
        let vi = table
            .lines()
            .find(|l| l.contains("vi (Vietnamese)"))
            .unwrap();
        let tokyo = table.lines().find(|l| l.contains("JP-13 (Tokyo)")).unwrap();
        assert!(vi.ends_with(" 3   75.0"), "{vi:?}");
        assert_eq!(vi.len(), tokyo.len(), "columns line up");
        assert!(table.contains("needed more than one contact"));
        let median = table
            .lines()
            .find(|l| l.starts_with("  median days"))
            .unwrap();
        assert!(median.ends_with(" 2.3"), "{median:?}");
        assert!(table.contains("Definitions"));
        assert!(table.contains("nothing was sent to the broker"));
    }

    #[test]
    fn table_shows_a_dash_without_completed_cases() {
        let mut r = sample();
        r.cases = 0;
        r.days_to_outcome = DaysToOutcome {
            count: 0,
            median: None,
        };
        let table = text(write_table, &r);
        let median = table.lines().find(|l| l.contains("median days")).unwrap();
        assert!(median.trim_end().ends_with(" -"), "{median:?}");
    }

    #[test]
    fn definitions_fit_a_terminal() {
        let table = text(write_table, &sample());
        let definitions = table.split("Definitions").nth(1).unwrap();
        assert!(
            definitions.lines().all(|l| l.chars().count() <= TEXT_WIDTH),
            "{definitions}"
        );
        assert!(definitions.contains("two middle values"));
        assert_eq!(wrap("a bb ccc", 4), ["a bb", "ccc"]);
        assert_eq!(wrap("", 4), Vec::<String>::new());
    }

    #[test]
    fn json_is_one_document() {
        let json = text(write_json, &sample());
        assert_eq!(json.matches('\n').count(), 1);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["days_to_outcome"]["median"], serde_json::json!(2.34));
    }
}
