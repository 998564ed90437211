//! Operations on a broker's SQLite file from a second process, beside a
//! running broker or on a copy (ADR 0013): the online backup and the
//! read-only inspection behind `check`. Neither migrates nor writes rows.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};

use super::{BUSY_TIMEOUT, MIGRATOR, directory, files, reads};
use crate::StoreError;
use crate::inspect::{Inspection, MigrationReport, RECORDED_MIGRATIONS};

/// Why a backup was not made.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The data directory has no `broker.db`.
    #[error("no database at {0}")]
    NoDatabase(PathBuf),
    /// The output file exists; a backup never replaces one.
    #[error("{0} already exists")]
    OutExists(PathBuf),
    /// Writing the copy failed.
    #[error("writing {path}: {source}")]
    Write {
        /// The file being written.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// SQLite failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `<data_dir>/broker.db`, which must exist.
pub fn database_file(data_dir: &Path) -> Option<PathBuf> {
    let path = data_dir.join(files::DB_FILE);
    path.is_file().then_some(path)
}

/// A connection to an existing database, never creating one, with the
/// broker's busy timeout so that it waits for the running broker's commits.
async fn connect_existing(db: &Path) -> Result<SqliteConnection, StoreError> {
    Ok(SqliteConnectOptions::new()
        .filename(db)
        .create_if_missing(false)
        .busy_timeout(BUSY_TIMEOUT)
        .connect()
        .await?)
}

/// Copies the database in `data_dir` to `out` with `VACUUM INTO`: one read
/// transaction, so a consistent copy while the broker keeps writing. The
/// copy is written to `out.partial` (0600, created exclusively), synced,
/// and published with `link(2)`, which refuses an existing `out`. Returns
/// the copy's size in bytes.
pub async fn backup(data_dir: &Path, out: &Path) -> Result<u64, BackupError> {
    let db = database_file(data_dir)
        .ok_or_else(|| BackupError::NoDatabase(data_dir.join(files::DB_FILE)))?;
    if out.symlink_metadata().is_ok() {
        return Err(BackupError::OutExists(out.to_owned()));
    }
    let partial = partial_path(out);
    let write_err = |path: &Path| {
        let path = path.to_owned();
        move |source| BackupError::Write { path, source }
    };
    // An empty 0600 file: VACUUM INTO accepts one and keeps its mode.
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .map_err(write_err(&partial))?;
    let result = copy_into(&db, &partial).await;
    let published = match result {
        Ok(()) => publish(&partial, out),
        Err(e) => Err(e),
    };
    let _ = fs::remove_file(&partial);
    published?;
    Ok(fs::metadata(out).map_err(write_err(out))?.len())
}

fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

async fn copy_into(db: &Path, partial: &Path) -> Result<(), BackupError> {
    let target = partial
        .to_str()
        .ok_or_else(|| BackupError::Write {
            path: partial.to_owned(),
            source: io::Error::new(io::ErrorKind::InvalidInput, "the path is not UTF-8"),
        })?
        .to_owned();
    let mut conn = connect_existing(db).await?;
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(&mut conn)
        .await
        .map_err(StoreError::from)?;
    conn.close().await.map_err(StoreError::from)?;
    // VACUUM INTO does not sync what it wrote.
    File::open(partial)
        .and_then(|f| f.sync_all())
        .map_err(|source| BackupError::Write {
            path: partial.to_owned(),
            source,
        })
}

/// Gives the synced copy its final name unless that name is taken, and
/// syncs the directory so that the name survives a crash.
fn publish(partial: &Path, out: &Path) -> Result<(), BackupError> {
    fs::hard_link(partial, out).map_err(|source| {
        if source.kind() == io::ErrorKind::AlreadyExists {
            BackupError::OutExists(out.to_owned())
        } else {
            BackupError::Write {
                path: out.to_owned(),
                source,
            }
        }
    })?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent)
        .and_then(|d| d.sync_all())
        .map_err(|source| BackupError::Write {
            path: parent.to_owned(),
            source,
        })
}

/// Reads what `check` needs from `<data_dir>/broker.db`, which must exist.
pub async fn inspect(data_dir: &Path) -> Result<Inspection, BackupError> {
    let db = database_file(data_dir)
        .ok_or_else(|| BackupError::NoDatabase(data_dir.join(files::DB_FILE)))?;
    let mut conn = connect_existing(&db).await?;
    let integrity: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await
        .map_err(StoreError::from)?;
    let integrity = integrity.into_iter().filter(|line| line != "ok").collect();
    let fk_rows = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut conn)
        .await
        .map_err(StoreError::from)?;
    let has_table: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_optional(&mut conn)
    .await
    .map_err(StoreError::from)?;
    let recorded: Vec<(i64, Vec<u8>, bool)> = if has_table.is_some() {
        sqlx::query_as(RECORDED_MIGRATIONS)
            .fetch_all(&mut conn)
            .await
            .map_err(StoreError::from)?
    } else {
        Vec::new()
    };
    let migrations = MigrationReport::compare(&MIGRATOR, &recorded);
    conn.close().await.map_err(StoreError::from)?;
    // The log and root are read with the store's own queries, through a
    // one-connection pool on the same existing file.
    let (directory, root) = if migrations.missing.is_empty() {
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(
                SqliteConnectOptions::new()
                    .filename(&db)
                    .create_if_missing(false)
                    .read_only(true)
                    .busy_timeout(BUSY_TIMEOUT),
            )
            .await
            .map_err(StoreError::from)?;
        let read = async {
            Ok::<_, StoreError>((
                directory::since(&pool, 0).await?,
                reads::root_key(&pool).await?,
            ))
        }
        .await;
        pool.close().await;
        read?
    } else {
        (Vec::new(), None)
    };
    Ok(Inspection {
        integrity: Some(integrity),
        foreign_key_violations: Some(fk_rows.len() as u64),
        migrations,
        directory,
        root,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::SqliteStore;

    async fn fresh() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        SqliteStore::open(dir.path()).await.unwrap().close().await;
        dir
    }

    async fn execute(data_dir: &Path, sql: &'static str) {
        let mut conn = connect_existing(&data_dir.join(files::DB_FILE))
            .await
            .unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    }

    #[tokio::test]
    async fn inspection_reports_missing_and_unknown_migrations() {
        let dir = fresh().await;
        let found = inspect(dir.path()).await.unwrap();
        assert!(found.migrations.is_complete(), "{:?}", found.migrations);
        assert_eq!(found.migrations.applied, found.migrations.known);
        assert_eq!(found.integrity, Some(Vec::new()));
        assert_eq!(found.foreign_key_violations, Some(0));
        assert!(found.directory.is_empty() && found.root.is_none());

        execute(
            dir.path(),
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (9999, 'from a newer broker', TRUE, X'00', 0)",
        )
        .await;
        execute(
            dir.path(),
            "DELETE FROM _sqlx_migrations WHERE version = (SELECT MIN(version) FROM _sqlx_migrations)",
        )
        .await;
        let found = inspect(dir.path()).await.unwrap();
        assert_eq!(found.migrations.unknown, vec![9999]);
        assert_eq!(found.migrations.missing.len(), 1);
        assert!(!found.migrations.is_complete());
    }

    #[tokio::test]
    async fn nothing_is_created_where_there_is_no_database() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            inspect(dir.path()).await,
            Err(BackupError::NoDatabase(_))
        ));
        let out = dir.path().join("copy.db");
        assert!(matches!(
            backup(dir.path(), &out).await,
            Err(BackupError::NoDatabase(_))
        ));
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn a_backup_is_private_complete_and_never_replaces_a_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = fresh().await;
        let out = dir.path().join("copy.db");
        let bytes = backup(dir.path(), &out).await.unwrap();
        assert_eq!(fs::metadata(&out).unwrap().len(), bytes);
        assert_eq!(
            fs::metadata(&out).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let copy = tempfile::tempdir().unwrap();
        fs::copy(&out, copy.path().join(files::DB_FILE)).unwrap();
        assert!(inspect(copy.path()).await.unwrap().migrations.is_complete());
        assert!(matches!(
            backup(dir.path(), &out).await,
            Err(BackupError::OutExists(_))
        ));
        assert!(!partial_path(&out).exists());
    }
}
