//! `referral-broker check`: a database and its directory log, verified
//! without changing either (ADR 0013). The log is verified by
//! [`crate::directory::cache::verify`], the path every broker start takes
//! and the verifier clients use, so a log `check` passes is one they accept.

use referral_store::inspect::{Inspection, MigrationReport};
use referral_store::postgres::maintenance as postgres;
use referral_store::sqlite::maintenance as sqlite;

use super::Report;
use crate::config::Config;
use crate::directory::cache;
use crate::tr;

/// Checks the database `config` describes.
pub async fn run(config: &Config) -> Report {
    let mut report = Report::default();
    let inspection = match config.postgres_url() {
        Some(url) => {
            report.ok(tr!(
                "check-database-postgres",
                url = config.postgres_url_redacted().unwrap_or_default()
            ));
            postgres::inspect(url).await.map_err(|e| e.to_string())
        }
        None => {
            report.ok(tr!(
                "check-database-sqlite",
                data_dir = config.data_dir.display().to_string()
            ));
            sqlite::inspect(&config.data_dir)
                .await
                .map_err(|e| e.to_string())
        }
    };
    match inspection {
        Ok(inspection) => judge(&mut report, inspection),
        Err(detail) => report.problem(tr!("check-unreadable", detail = detail)),
    }
    if report.problems == 0 {
        report.ok(tr!("check-passed"));
    } else {
        let problems = report.problems;
        report.lines.push(tr!("check-failed", problems = problems));
    }
    report
}

fn judge(report: &mut Report, inspection: Inspection) {
    match &inspection.integrity {
        Some(problems) if problems.is_empty() => report.ok(tr!("check-integrity-ok")),
        Some(problems) => report.problem(tr!(
            "check-integrity-bad",
            count = problems.len(),
            first = problems.first().cloned().unwrap_or_default()
        )),
        None => report.ok(tr!("check-integrity-postgres")),
    }
    match inspection.foreign_key_violations {
        Some(0) => report.ok(tr!("check-foreign-keys-ok")),
        Some(rows) => report.problem(tr!("check-foreign-keys-bad", rows = rows)),
        None => {}
    }
    migrations(report, &inspection.migrations);
    if !inspection.migrations.missing.is_empty() {
        report.ok(tr!("check-directory-skipped"));
        return;
    }
    match cache::verify(inspection.directory, inspection.root) {
        Ok(None) => report.ok(tr!("check-directory-unclaimed")),
        Ok(Some(log)) => report.ok(tr!(
            "check-directory-ok",
            entries = log.entries().len(),
            root = log.root_fingerprint().to_string()
        )),
        Err(e) => report.problem(tr!("check-directory-bad", detail = e.to_string())),
    }
}

fn migrations(report: &mut Report, m: &MigrationReport) {
    if m.is_complete() {
        report.ok(tr!(
            "check-migrations-ok",
            applied = m.applied,
            known = m.known
        ));
        return;
    }
    let list = |versions: &[i64]| {
        if versions.is_empty() {
            "-".to_owned()
        } else {
            versions
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    report.problem(tr!(
        "check-migrations-bad",
        missing = list(&m.missing),
        unknown = list(&m.unknown),
        changed = list(&m.changed),
        failed = list(&m.failed)
    ));
}
