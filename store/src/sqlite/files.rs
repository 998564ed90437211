//! The data directory and the database files, private to the broker's user:
//! they hold ciphertext, routing metadata and the token-signing keys
//! (ADR 0002 §6: directory 0700, `broker.db` 0600).

use std::fs::{self, DirBuilder, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The database file inside the data directory.
pub(super) const DB_FILE: &str = "broker.db";

/// Creates `dir` (0700) unless it exists. An existing directory keeps its
/// mode, since an operator may have set it on purpose, but a group- or
/// world-accessible one is worth a warning.
pub(super) fn prepare_dir(dir: &Path) -> io::Result<()> {
    match fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(dir = %dir.display(), "data directory is accessible to other users");
            }
            Ok(())
        }
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            "data dir is not a directory",
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            DirBuilder::new().recursive(true).mode(0o700).create(dir)
        }
        Err(e) => Err(e),
    }
}

/// Creates the database file 0600 before SQLite opens it, so it never
/// exists with a wider mode (SQLite would create it 0644 under the usual
/// umask). An existing file is brought back to 0600.
pub(super) fn create_private(db: &Path) -> io::Result<()> {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(db)
    {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    fs::set_permissions(db, Permissions::from_mode(0o600))
}

/// The `-wal` and `-shm` files beside `db`.
pub(super) fn siblings(db: &Path) -> [PathBuf; 2] {
    let with = |suffix: &str| {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [with("-wal"), with("-shm")]
}

/// SQLite creates `-wal` and `-shm` with the main file's mode; this makes
/// sure of it for files left by an older run.
pub(super) fn tighten_siblings(db: &Path) -> io::Result<()> {
    for path in siblings(db) {
        match fs::set_permissions(&path, Permissions::from_mode(0o600)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}
