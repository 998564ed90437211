//! Throwaway PostgreSQL databases for tests, here and in the broker's tests
//! (so this is compiled in, not `cfg(test)`).
//!
//! ```no_run
//! # async fn t() {
//! use referral_store::postgres::{PostgresStore, test_support::FreshDatabase};
//! let Some(db) = FreshDatabase::create().await else { return }; // skipped, loudly
//! let store = PostgresStore::connect(db.url()).await.unwrap();
//! // ... test ...
//! store.close().await;
//! db.cleanup().await;
//! # }
//! ```
//!
//! The server comes from `REFERRAL_TEST_POSTGRES_URL` (default
//! [`DEFAULT_URL`]). If it cannot be reached, a test fails when the `CI`
//! environment variable is set (PostgreSQL tests must really run there) and
//! is skipped with a loud banner on stderr otherwise: never silently.

use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::PgConnection;

/// The environment variable naming the server (any database on it).
pub const URL_VAR: &str = "REFERRAL_TEST_POSTGRES_URL";

/// The server used when [`URL_VAR`] is not set.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// How long to wait for the server before deciding it is not there.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A uniquely named, empty database (`referral_test_<random hex>`), dropped
/// by [`FreshDatabase::cleanup`] or, failing that, when dropped.
#[derive(Debug)]
pub struct FreshDatabase {
    name: String,
    url: String,
    admin_url: String,
    dropped: bool,
}

impl FreshDatabase {
    /// Creates a fresh database. `None` (after a banner on stderr) if the
    /// server is unreachable outside CI.
    ///
    /// # Panics
    ///
    /// If the server is unreachable and `CI` is set, or if it is reachable
    /// but the database cannot be created.
    pub async fn create() -> Option<Self> {
        let admin_url = std::env::var(URL_VAR).unwrap_or_else(|_| DEFAULT_URL.to_owned());
        let mut admin = match connect(&admin_url).await {
            Ok(conn) => conn,
            Err(why) => return unreachable(&admin_url, &why),
        };
        let name = format!("referral_test_{}", random_hex());
        // The name is ours (fixed prefix, hex digits), so formatting it into
        // the statement is safe; identifiers cannot be bound parameters.
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("creating test database {name}: {e}"));
        // Closing is a courtesy; the server drops the session either way.
        let _ = admin.close().await;
        let url = with_database(&admin_url, &name);
        Some(Self {
            name,
            url,
            admin_url,
            dropped: false,
        })
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Drops the database now (`WITH (FORCE)`, so open pools are cut off).
    /// If that fails it says so and leaves the retry to `Drop`.
    pub async fn cleanup(mut self) {
        match drop_database(&self.admin_url, &self.name).await {
            Ok(()) => self.dropped = true,
            Err(e) => eprintln!("warning: dropping test database {}: {e}", self.name),
        }
    }
}

impl Drop for FreshDatabase {
    /// The fallback for tests that panic or skip `cleanup()`. `Drop` cannot
    /// await, and blocking on the test's own runtime would deadlock a
    /// current-thread runtime, so a separate thread runs a runtime of its own.
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime
                .block_on(drop_database(&admin_url, &name))
                .map_err(std::io::Error::other)
        });
        match dropper.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: dropping test database {}: {e}", self.name),
            Err(_) => eprintln!("warning: dropping test database {} panicked", self.name),
        }
    }
}

async fn connect(url: &str) -> Result<PgConnection, String> {
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect(url)).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {CONNECT_TIMEOUT:?}")),
    }
}

async fn drop_database(admin_url: &str, name: &str) -> Result<(), String> {
    let mut admin = connect(admin_url).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .map_err(|e| e.to_string())?;
    let _ = admin.close().await;
    Ok(())
}

/// Fails in CI, skips loudly elsewhere.
fn unreachable(url: &str, why: &str) -> Option<FreshDatabase> {
    let url = redact(url);
    if running_in_ci() {
        panic!(
            "PostgreSQL not reachable at {url} ({why}), and CI is set: the PostgreSQL tests \
             must run in CI. Start the server or set {URL_VAR}."
        );
    }
    let rule = "!".repeat(72);
    let banner = format!(
        "\n{rule}\n!! SKIPPED: PostgreSQL not reachable at {url}\n!! ({why})\n\
         !! This PostgreSQL test did NOT run. Start a server or set {URL_VAR}.\n{rule}\n"
    );
    // Written to the stderr handle rather than with `eprintln!`, which the
    // test harness captures and hides for a test that passes: a skip must
    // show on a plain `cargo test`.
    let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), banner.as_bytes());
    None
}

fn running_in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The URL without a password, for messages.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}{tail}")
        }
        _ => url.to_owned(),
    }
}

/// `url` with its database path replaced by `name`, query kept.
fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let query = tail.find('?').map(|i| &tail[i..]).unwrap_or("");
    format!("{scheme}://{authority}/{name}{query}")
}

fn random_hex() -> String {
    let mut bytes = [0u8; 8];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .expect("the system random source works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_is_replaced_and_query_kept() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
        assert_eq!(
            with_database("postgresql://u:p@h/db?sslmode=disable", "x"),
            "postgresql://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres:///db?host=/run/postgresql", "x"),
            "postgres:///x?host=/run/postgresql"
        );
    }

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }

    #[test]
    fn names_are_fresh() {
        assert_ne!(random_hex(), random_hex());
        assert_eq!(random_hex().len(), 16);
    }
}
