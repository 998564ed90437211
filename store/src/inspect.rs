//! What `referral-broker check` reads from a database without changing it
//! (ADR 0013): the engine's own consistency checks, the migrations table
//! compared with the migrations compiled into this binary, and the directory
//! log and root as stored. Verifying the log is the broker's job, with the
//! verifier clients use; this module only reads.

use referral_protocol::VerifyingKey;
use sqlx::migrate::Migrator;

use crate::StoredEntry;

/// What one database holds, as read for a check.
#[derive(Debug)]
pub struct Inspection {
    /// Problems SQLite's `integrity_check` reported (empty: none), or `None`
    /// for PostgreSQL, which checks its own pages.
    pub integrity: Option<Vec<String>>,
    /// Rows `foreign_key_check` reported, or `None` for PostgreSQL, which
    /// enforces its foreign keys on every write.
    pub foreign_key_violations: Option<u64>,
    /// The migrations table against this binary's migrations.
    pub migrations: MigrationReport,
    /// The directory log's entries, from its genesis.
    pub directory: Vec<StoredEntry>,
    /// The root signing key the store holds.
    pub root: Option<VerifyingKey>,
}

/// How the migrations a database records compare with this binary's.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct MigrationReport {
    /// Migrations this binary knows.
    pub known: usize,
    /// Versions recorded as applied successfully with this binary's checksum.
    pub applied: usize,
    /// Versions this binary has that the database has not applied.
    pub missing: Vec<i64>,
    /// Versions the database recorded that this binary does not know (a
    /// newer broker wrote it).
    pub unknown: Vec<i64>,
    /// Versions whose recorded checksum differs from this binary's.
    pub changed: Vec<i64>,
    /// Versions recorded as failed.
    pub failed: Vec<i64>,
}

impl MigrationReport {
    /// Every migration applied, none unknown, changed or failed.
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty()
            && self.unknown.is_empty()
            && self.changed.is_empty()
            && self.failed.is_empty()
    }

    /// Compares the rows of `_sqlx_migrations` (version, checksum, success)
    /// with `migrator`.
    pub(crate) fn compare(migrator: &Migrator, recorded: &[(i64, Vec<u8>, bool)]) -> Self {
        let mut report = Self {
            known: migrator.iter().count(),
            ..Self::default()
        };
        for m in migrator.iter() {
            match recorded.iter().find(|(v, _, _)| *v == m.version) {
                None => report.missing.push(m.version),
                Some((v, _, false)) => report.failed.push(*v),
                Some((v, sum, true)) if sum.as_slice() != &*m.checksum => report.changed.push(*v),
                Some(_) => report.applied += 1,
            }
        }
        report.unknown = recorded
            .iter()
            .map(|(v, _, _)| *v)
            .filter(|v| !migrator.version_exists(*v))
            .collect();
        report
    }
}

/// The query both backends answer for [`MigrationReport::compare`]; a
/// database without the table has applied nothing.
pub(crate) const RECORDED_MIGRATIONS: &str =
    "SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version";
