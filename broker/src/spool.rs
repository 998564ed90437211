//! `<data-dir>/spool`: where an upload larger than one store chunk waits
//! while it is checked (`intake`), and how files left there are cleaned.
//!
//! An upload's spool file is unlinked as soon as the body is checked, so a
//! file stays behind only when the broker died during an upload. Such a
//! file holds ciphertext outside retention and the store's secure delete
//! (issue 14, item 6), so it is removed when the broker starts, before it
//! serves, and by every purge. Only files this module's naming pattern
//! produced are touched, and links are never followed: a symbolic link,
//! a directory or any other name in the spool stays.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Every spool file's name starts with this; `tempfile` adds six random
/// alphanumeric characters.
pub const PREFIX: &str = "upload-";
const RANDOM_LEN: usize = 6;

/// The spool directory inside `data_dir`.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("spool")
}

/// Whether `name` is one the intake gives its spool files.
fn is_ours(name: &str) -> bool {
    name.strip_prefix(PREFIX).is_some_and(|rest| {
        rest.len() == RANDOM_LEN && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// Removes the spool files in `spool` last written more than `older_than`
/// ago (`Duration::ZERO`: all of them) and returns how many. At start
/// nothing is uploading, so everything goes; a purge runs beside uploads,
/// and an upload in progress writes its file at least every body idle
/// timeout (or is cut off), so a purge passes an age beyond that.
pub fn clean(spool: &Path, older_than: Duration) -> std::io::Result<usize> {
    let entries = match std::fs::read_dir(spool) {
        Ok(entries) => entries,
        // No spool yet: nothing was ever left in it.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let now = SystemTime::now();
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        if !entry.file_name().to_str().is_some_and(is_ours) {
            continue;
        }
        // `DirEntry::metadata` does not follow a symbolic link, so a link
        // is seen as a link, not as its target.
        let meta = entry.metadata()?;
        if !meta.file_type().is_file() {
            continue;
        }
        let age = meta
            .modified()
            .ok()
            .and_then(|at| now.duration_since(at).ok())
            .unwrap_or(Duration::ZERO);
        if older_than.is_zero() || age > older_than {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => removed += 1,
                // Its upload finished and unlinked it meanwhile.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_intake_naming_pattern_is_ours() {
        assert!(is_ours("upload-a1B2c3"));
        for other in [
            "upload-",
            "upload-a1B2c",
            "upload-a1B2c3d",
            "upload-a1B2.3",
            "broker.db",
            "x-upload-a1B2c3",
        ] {
            assert!(!is_ours(other), "{other}");
        }
    }

    #[test]
    fn clean_removes_leftovers_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path().join("spool");
        std::fs::create_dir(&spool).unwrap();
        let outside = dir.path().join("keep-me");
        std::fs::write(&outside, b"not the broker's").unwrap();
        std::fs::write(spool.join("upload-AbC123"), b"left by a crash").unwrap();
        std::fs::write(spool.join("notes.txt"), b"someone else's").unwrap();
        std::os::unix::fs::symlink(&outside, spool.join("upload-Link99")).unwrap();
        std::fs::create_dir(spool.join("upload-Dir999")).unwrap();

        // Fresh files survive a purge's age limit, then go at start.
        assert_eq!(clean(&spool, Duration::from_secs(60)).unwrap(), 0);
        assert!(spool.join("upload-AbC123").exists());
        assert_eq!(clean(&spool, Duration::ZERO).unwrap(), 1);
        assert!(!spool.join("upload-AbC123").exists());
        assert!(spool.join("notes.txt").exists());
        assert!(
            spool.join("upload-Link99").symlink_metadata().is_ok(),
            "a link stays"
        );
        assert!(spool.join("upload-Dir999").is_dir());
        assert_eq!(
            std::fs::read(&outside).unwrap(),
            b"not the broker's",
            "its target too"
        );
        assert_eq!(clean(&dir.path().join("none"), Duration::ZERO).unwrap(), 0);
    }
}
