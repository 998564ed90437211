//! `referral-broker backup`: an online copy of the SQLite database, or, for
//! PostgreSQL, the `pg_dump` command to run instead (ADR 0013).

use std::path::Path;

use referral_store::sqlite::maintenance::{self, BackupError};

use super::Report;
use crate::config::{Config, redact_url};
use crate::tr;

/// Backs up the broker `config` describes to `out`.
pub async fn run(config: &Config, out: &Path) -> Report {
    let mut report = Report::default();
    if let Some(url) = config.postgres_url() {
        // Without the password: pg_dump reads it from ~/.pgpass or PGPASSWORD.
        let url = redact_url(url).replace(":***@", "@");
        let command = format!("pg_dump --format=custom --file='{}' '{url}'", out.display());
        report.problem(tr!("backup-use-pg-dump", command = command));
        return report;
    }
    match maintenance::backup(&config.data_dir, out).await {
        Ok(bytes) => report.ok(tr!(
            "backup-done",
            path = out.display().to_string(),
            bytes = bytes,
            data_dir = config.data_dir.display().to_string()
        )),
        Err(BackupError::OutExists(path)) => {
            report.problem(tr!("backup-out-exists", path = path.display().to_string()))
        }
        Err(BackupError::NoDatabase(path)) => {
            report.problem(tr!("backup-no-database", path = path.display().to_string()))
        }
        Err(e) => report.problem(tr!("backup-failed", detail = e.to_string())),
    }
    report
}
