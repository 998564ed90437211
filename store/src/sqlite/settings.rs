//! The SQLite settings the broker's promises rest on, how every connection
//! gets them, and how they are read back and asserted at start (SPEC §8).
//!
//! - `journal_mode=WAL`: readers run beside the single writer;
//! - `synchronous=FULL`: a commit is on disk before its answer (§2.7; WAL
//!   with NORMAL can lose the last commits on power loss);
//! - `secure_delete=ON`: deleted ciphertext is overwritten with zeros rather
//!   than left in free pages (§2.1);
//! - `busy_timeout`: another process (`referral-broker purge`) waits its turn
//!   instead of failing at once;
//! - `foreign_keys=ON`: SQLite leaves them off unless asked, per connection.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use sqlx::SqliteConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};

use crate::StoreError;

/// How long a connection waits for a lock held by another connection.
pub const BUSY_TIMEOUT: Duration = Duration::from_millis(5000);

/// The settings of one connection, as SQLite reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteSettings {
    /// `PRAGMA journal_mode` (persistent in the file): `wal`.
    pub journal_mode: String,
    /// `PRAGMA synchronous`, by name: `full`.
    pub synchronous: String,
    /// `PRAGMA secure_delete`.
    pub secure_delete: bool,
    /// `PRAGMA busy_timeout`, in milliseconds.
    pub busy_timeout_ms: i64,
    /// `PRAGMA foreign_keys`.
    pub foreign_keys: bool,
}

impl SqliteSettings {
    /// What the broker requires.
    pub fn required() -> Self {
        Self {
            journal_mode: "wal".into(),
            synchronous: "full".into(),
            secure_delete: true,
            busy_timeout_ms: BUSY_TIMEOUT.as_millis() as i64,
            foreign_keys: true,
        }
    }

    /// The first setting that differs from [`SqliteSettings::required`].
    pub fn check(&self) -> Result<(), StoreError> {
        let want = Self::required();
        let mismatch = |name: &'static str, expected: String, actual: String| {
            Err(StoreError::Setting {
                name,
                expected,
                actual,
            })
        };
        if self.journal_mode != want.journal_mode {
            return mismatch("journal_mode", want.journal_mode, self.journal_mode.clone());
        }
        if self.synchronous != want.synchronous {
            return mismatch("synchronous", want.synchronous, self.synchronous.clone());
        }
        if self.secure_delete != want.secure_delete {
            return mismatch("secure_delete", on_off(true).into(), on_off(false).into());
        }
        if self.busy_timeout_ms != want.busy_timeout_ms {
            let (w, a) = (
                want.busy_timeout_ms.to_string(),
                self.busy_timeout_ms.to_string(),
            );
            return mismatch("busy_timeout", w, a);
        }
        if self.foreign_keys != want.foreign_keys {
            return mismatch("foreign_keys", on_off(true).into(), on_off(false).into());
        }
        Ok(())
    }
}

fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

/// One line for the start-up log.
impl fmt::Display for SqliteSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "journal_mode={} synchronous={} secure_delete={} busy_timeout={}ms foreign_keys={}",
            self.journal_mode,
            self.synchronous,
            on_off(self.secure_delete),
            self.busy_timeout_ms,
            on_off(self.foreign_keys)
        )
    }
}

/// The options every connection (writer and readers) is opened with: sqlx
/// runs these PRAGMAs on each new connection, which matters because all but
/// `journal_mode` are per connection and forgotten on reconnect.
pub(super) fn connect_options(db: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(db)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true)
        .pragma("secure_delete", "ON")
}

/// Reads the settings back from `conn`: what is in force, not what was asked.
pub(super) async fn read(conn: &mut SqliteConnection) -> Result<SqliteSettings, StoreError> {
    let journal_mode: String = pragma(conn, "PRAGMA journal_mode").await?;
    let synchronous: i64 = pragma(conn, "PRAGMA synchronous").await?;
    let secure_delete: i64 = pragma(conn, "PRAGMA secure_delete").await?;
    let busy_timeout_ms: i64 = pragma(conn, "PRAGMA busy_timeout").await?;
    let foreign_keys: i64 = pragma(conn, "PRAGMA foreign_keys").await?;
    Ok(SqliteSettings {
        journal_mode: journal_mode.to_ascii_lowercase(),
        synchronous: synchronous_name(synchronous),
        secure_delete: secure_delete == 1,
        busy_timeout_ms,
        foreign_keys: foreign_keys == 1,
    })
}

async fn pragma<T>(conn: &mut SqliteConnection, sql: &'static str) -> Result<T, StoreError>
where
    T: Send + Unpin + for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    Ok(sqlx::query_scalar(sql).fetch_one(conn).await?)
}

/// SQLite reports `synchronous` as a number.
fn synchronous_name(n: i64) -> String {
    match n {
        0 => "off".into(),
        1 => "normal".into(),
        2 => "full".into(),
        3 => "extra".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_names_the_first_difference() {
        assert!(SqliteSettings::required().check().is_ok());
        let mut s = SqliteSettings::required();
        s.synchronous = "normal".into();
        match s.check() {
            Err(StoreError::Setting {
                name,
                expected,
                actual,
            }) => {
                assert_eq!(
                    (name, expected.as_str(), actual.as_str()),
                    ("synchronous", "full", "normal")
                );
            }
            other => panic!("{other:?}"),
        }
        let mut s = SqliteSettings::required();
        s.secure_delete = false;
        assert!(matches!(
            s.check(),
            Err(StoreError::Setting {
                name: "secure_delete",
                ..
            })
        ));
    }
}
