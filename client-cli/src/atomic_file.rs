//! Crash-safe file writes for the client's state files.
//!
//! A keystore cut short by a crash or a full disk would lock the user out of
//! every packet sent to them, so files are never written in place. The bytes
//! go to a temporary file in the same directory (same file system, so the
//! final step is atomic), which is created with mode 0600 (never briefly
//! readable by others, whatever the umask) and fsynced. It is then moved into
//! place, and the directory is fsynced so that the new name itself survives a
//! power cut.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use ring::rand::{SecureRandom, SystemRandom};

/// Owner read and write only.
pub const PRIVATE_FILE_MODE: u32 = 0o600;

/// What to do when the destination already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Fail with [`io::ErrorKind::AlreadyExists`] and leave it untouched.
    /// Checked atomically by the final link, so two concurrent writers can
    /// never both succeed (a check beforehand would leave a race).
    Keep,
    /// Replace it atomically: readers see the old or the new file, never a mix.
    Replace,
}

/// Writes `bytes` to `dir/name` with mode 0600, atomically and durably.
pub fn write(dir: &Path, name: &str, bytes: &[u8], existing: Existing) -> io::Result<()> {
    let target = dir.join(name);
    let temp = temp_path(dir, name)?;
    if let Err(e) = write_synced(&temp, bytes) {
        // Best effort: the write already failed, and that is the error to
        // report; a leftover temporary file holds only what we meant to write.
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    let published = match existing {
        Existing::Replace => fs::rename(&temp, &target),
        // link(2) refuses to overwrite, which makes "create if absent" atomic.
        // The temporary name is removed afterwards either way; if that alone
        // fails, the file is already published, and reporting an error would
        // make the caller believe it was not.
        Existing::Keep => {
            let linked = fs::hard_link(&temp, &target);
            let _ = fs::remove_file(&temp);
            linked
        }
    };
    if let Err(e) = published {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    sync_dir(dir)
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(PRIVATE_FILE_MODE)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Creates (or truncates) `path` for writing with mode 0600 from the start,
/// for files written as a stream (a download, a sealed packet, a saved
/// attachment) that are then renamed into place by their writer.
pub fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(PRIVATE_FILE_MODE)
        .open(path)
}

/// Makes a completed rename or link durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// A fresh hidden name next to the target. Random, so that a temporary file
/// left behind by a crashed run never blocks the next one (`create_new`).
fn temp_path(dir: &Path, name: &str) -> io::Result<PathBuf> {
    let mut suffix = [0u8; 8];
    SystemRandom::new()
        .fill(&mut suffix)
        .map_err(|_| io::Error::other("the system random number generator failed"))?;
    let hex: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    Ok(dir.join(format!(".{name}.{hex}.tmp")))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn writes_with_mode_0600_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.json", b"one", Existing::Keep).unwrap();
        assert_eq!(fs::read(dir.path().join("a.json")).unwrap(), b"one");
        assert_eq!(mode(&dir.path().join("a.json")), 0o600);
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn keep_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.json", b"one", Existing::Keep).unwrap();
        let err = write(dir.path(), "a.json", b"two", Existing::Keep).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(dir.path().join("a.json")).unwrap(), b"one");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn replace_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.json", b"one", Existing::Keep).unwrap();
        write(dir.path(), "a.json", b"two", Existing::Replace).unwrap();
        assert_eq!(fs::read(dir.path().join("a.json")).unwrap(), b"two");
        assert_eq!(mode(&dir.path().join("a.json")), 0o600);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
