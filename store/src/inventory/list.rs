//! The lister: every table of a database, its row count, and which of its
//! columns hold a non-NULL value in at least one row. It reads the catalog
//! of the database itself (not the migrations), so a table or column added
//! by any means shows up.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use sqlx::postgres::PgConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

use crate::Backend;

/// A plain connection to a store's database, beside the store's own pool:
/// for reading catalogs and counting rows, which the `Store` trait rightly
/// cannot do.
pub enum Raw {
    /// SQLite `broker.db`.
    Sqlite(SqliteConnection),
    /// A PostgreSQL database.
    Postgres(PgConnection),
}

impl fmt::Debug for Raw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(_) => f.write_str("Raw::Sqlite"),
            Self::Postgres(_) => f.write_str("Raw::Postgres"),
        }
    }
}

impl Raw {
    /// Opens the SQLite database at `path` (the store's `broker.db`).
    pub async fn sqlite(path: &Path) -> Self {
        let conn = SqliteConnectOptions::new()
            .filename(path)
            .connect()
            .await
            .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
        Self::Sqlite(conn)
    }

    /// Connects to the PostgreSQL database at `url`.
    pub async fn postgres(url: &str) -> Self {
        let conn = PgConnection::connect(url)
            .await
            .unwrap_or_else(|e| panic!("connecting to the test database: {e}"));
        Self::Postgres(conn)
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs a statement that changes the schema or the rows (the negative
    /// control adds a column with it).
    pub async fn execute(&mut self, sql: &str) {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        let done = match self {
            Self::Sqlite(c) => sqlx::raw_sql(sql).execute(c).await.map(|_| ()),
            Self::Postgres(c) => sqlx::raw_sql(sql).execute(c).await.map(|_| ()),
        };
        done.unwrap_or_else(|e| panic!("{e}"));
    }

    /// The one integer a `SELECT count(*) …` answers. The statements are
    /// built here and in `retention` from catalog names and our own
    /// integers only, never from input.
    pub async fn count(&mut self, sql: &str) -> i64 {
        let query = sqlx::AssertSqlSafe(sql.to_owned());
        let n = match self {
            Self::Sqlite(c) => sqlx::query_scalar::<_, i64>(query).fetch_one(c).await,
            Self::Postgres(c) => sqlx::query_scalar::<_, i64>(query).fetch_one(c).await,
        };
        n.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    async fn names(&mut self, sql: &str) -> Vec<String> {
        let query = sqlx::AssertSqlSafe(sql.to_owned());
        let names = match self {
            Self::Sqlite(c) => sqlx::query_scalar::<_, String>(query).fetch_all(c).await,
            Self::Postgres(c) => sqlx::query_scalar::<_, String>(query).fetch_all(c).await,
        };
        names.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    async fn tables(&mut self) -> Vec<String> {
        let sql = match self {
            // `_sqlx_migrations` is sqlx's bookkeeping (versions and
            // checksums of the migration files), nothing the broker keeps.
            Self::Sqlite(_) => {
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'"
            }
            Self::Postgres(_) => {
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE' \
                 AND table_name <> '_sqlx_migrations'"
            }
        };
        self.names(sql).await
    }

    async fn columns(&mut self, table: &str) -> Vec<String> {
        let table = table.replace('\'', "''");
        let sql = match self {
            Self::Sqlite(_) => format!("SELECT name FROM pragma_table_info('{table}')"),
            Self::Postgres(_) => format!(
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name = '{table}'"
            ),
        };
        self.names(&sql).await
    }

    /// Closes the connection.
    pub async fn close(self) {
        // Closing is a courtesy; the server or file drops it either way.
        let _ = match self {
            Self::Sqlite(c) => c.close().await,
            Self::Postgres(c) => c.close().await,
        };
    }
}

/// A name quoted as an SQL identifier (both backends use double quotes).
pub(crate) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// One table as the lister found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableHolding {
    /// How many rows it has.
    pub rows: i64,
    /// Every column, with how many rows hold a non-NULL value in it.
    pub columns: BTreeMap<String, i64>,
}

/// Every table of a database, as the lister found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holdings {
    /// The backend it was read from.
    pub backend: Backend,
    /// By table name.
    pub tables: BTreeMap<String, TableHolding>,
}

impl Holdings {
    /// Reads every table and column of the database behind `raw`.
    pub async fn read(raw: &mut Raw) -> Self {
        let mut tables = BTreeMap::new();
        for table in raw.tables().await {
            let q = quoted(&table);
            let rows = raw.count(&format!("SELECT count(*) FROM {q}")).await;
            let mut columns = BTreeMap::new();
            for column in raw.columns(&table).await {
                let c = quoted(&column);
                let held = raw
                    .count(&format!("SELECT count(*) FROM {q} WHERE {c} IS NOT NULL"))
                    .await;
                columns.insert(column, held);
            }
            tables.insert(table, TableHolding { rows, columns });
        }
        Self {
            backend: raw.backend(),
            tables,
        }
    }

    /// The tables that exist.
    pub fn table_names(&self) -> BTreeSet<String> {
        self.tables.keys().cloned().collect()
    }

    /// `table.column` of every column that holds a value in some row.
    pub fn holding_columns(&self) -> BTreeSet<String> {
        self.tables
            .iter()
            .flat_map(|(t, h)| {
                h.columns
                    .iter()
                    .filter(|(_, n)| **n > 0)
                    .map(move |(c, _)| format!("{t}.{c}"))
            })
            .collect()
    }
}

/// Table by table, with row counts and, per column, how many rows hold a
/// value: the raw "before" picture for a reader.
impl fmt::Display for Holdings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (table, h) in &self.tables {
            writeln!(f, "{table} ({} rows)", h.rows)?;
            for (column, held) in &h.columns {
                let what = if *held > 0 { "holds values" } else { "empty" };
                writeln!(f, "  {column}: {what} ({held} non-NULL)")?;
            }
        }
        Ok(())
    }
}
