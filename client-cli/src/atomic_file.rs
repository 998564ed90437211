//! Crash-safe file writes for the client's state files.
//!
//! A keystore cut short by a crash or a full disk would lock the user out of
//! every packet sent to them, so files are never written in place. The bytes
//! go to a temporary file in the same directory (same file system, so the
//! final step is atomic), which is created with mode 0600 (never briefly
//! readable by others, whatever the umask) and fsynced. It is then moved into
//! place, and the directory is fsynced so that the new name itself survives a
//! power cut.
//!
//! Some of these files are written into a directory the user chose
//! (`--save-attachments DIR`, `seal --out F`), which may be shared with
//! other users, like `/tmp`. So a file is never opened through a link: it is
//! created under a random name with exclusive creation and `O_NOFOLLOW`
//! ([`create_temp`]), and published with `link(2)`, which neither follows
//! nor replaces what is at the final name ([`publish`],
//! [`publish_unused_name`]). A name another user prepared is never written
//! through.

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
    let (mut file, temp) = create_temp(dir, name)?;
    if let Err(e) = file.write_all(bytes).and_then(|()| file.sync_all()) {
        // Best effort: the write already failed, and that is the error to
        // report; a leftover temporary file holds only what we meant to write.
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    publish(&temp, &target, existing)?;
    sync_dir(dir)
}

/// Creates a temporary file for `name` in `dir`, empty, with mode 0600: a
/// fresh random name (so a file left by a crashed run never blocks the next
/// one, and nobody can prepare the name beforehand), created exclusively and
/// without following a link. Returns the file and its path; the caller
/// writes it, syncs it and [`publish`]es it, or removes it.
pub fn create_temp(dir: &Path, name: &str) -> io::Result<(File, PathBuf)> {
    let temp = temp_path(dir, name)?;
    let file = OpenOptions::new()
        .write(true)
        // O_CREAT | O_EXCL: fails on anything already there, a link
        // included; O_NOFOLLOW says the same to anyone reading this.
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW)
        .mode(PRIVATE_FILE_MODE)
        .open(&temp)?;
    Ok((file, temp))
}

/// Moves the finished temporary file `temp` to `target` (same directory),
/// and removes `temp`. Neither way follows a link at `target`: `rename(2)`
/// replaces the link itself, `link(2)` refuses it.
pub fn publish(temp: &Path, target: &Path, existing: Existing) -> io::Result<()> {
    let published = match existing {
        Existing::Replace => fs::rename(temp, target),
        // link(2) refuses to overwrite, which makes "create if absent" atomic.
        // The temporary name is removed afterwards either way; if that alone
        // fails, the file is already published, and reporting an error would
        // make the caller believe it was not.
        Existing::Keep => {
            let linked = link_new(temp, target);
            let _ = fs::remove_file(temp);
            linked
        }
    };
    if published.is_err() {
        let _ = fs::remove_file(temp);
    }
    published
}

/// Publishes `temp` as `dir/name`, or, if that name is taken, as the first
/// free one of `name (2)`, `name (3)`, … (before the extension), never
/// replacing anything. Returns the path it was published at.
pub fn publish_unused_name(temp: &Path, dir: &Path, name: &str) -> io::Result<PathBuf> {
    for n in 1..=MAX_NUMBERED_NAMES {
        let target = dir.join(numbered(name, n));
        match link_new(temp, &target) {
            Ok(()) => {
                let _ = fs::remove_file(temp);
                return Ok(target);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                let _ = fs::remove_file(temp);
                return Err(e);
            }
        }
    }
    let _ = fs::remove_file(temp);
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("{name} and {MAX_NUMBERED_NAMES} numbered variants already exist"),
    ))
}

/// Gives `temp` the new name `target`, failing with
/// [`io::ErrorKind::AlreadyExists`] if anything, a link included, is there.
/// `link(2)` does that atomically. A file system without hard links (the
/// FAT and exFAT of USB sticks, where `seal --out` often writes) refuses
/// it; there the name is checked and `temp` renamed, which leaves a window
/// between the two, but such a file system has no symbolic links to plant,
/// and is mounted for the one user who plugged it in.
fn link_new(temp: &Path, target: &Path) -> io::Result<()> {
    match fs::hard_link(temp, target) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
            if fs::symlink_metadata(target).is_ok() {
                return Err(io::Error::new(io::ErrorKind::AlreadyExists, e));
            }
            fs::rename(temp, target)
        }
        linked => linked,
    }
}

/// How many names [`publish_unused_name`] tries.
const MAX_NUMBERED_NAMES: u32 = 1000;

/// `name` for n = 1; `stem (n).ext` after that, the stem shortened if the
/// whole would be longer than a file name may be (255 bytes).
fn numbered(name: &str, n: u32) -> String {
    if n == 1 {
        return name.to_owned();
    }
    // `.profile` is all stem; `a.tar.gz` numbers as `a.tar (2).gz`.
    let (stem, ext) = match name.rfind('.') {
        Some(dot) if dot > 0 => name.split_at(dot),
        _ => (name, ""),
    };
    let suffix = format!(" ({n}){ext}");
    let mut stem = stem.to_owned();
    while !stem.is_empty() && stem.len() + suffix.len() > 255 {
        stem.pop();
    }
    format!("{stem}{suffix}")
}

/// Opens `path` for writing with mode 0600 from the start, creating or
/// truncating it, for files of the client's own private home directory
/// written as a stream (a download, a sealed packet for the outbox) that
/// are then renamed into place by their writer. It does not follow a link
/// at `path`. Files in a directory the user chose are made with
/// [`create_temp`] instead.
pub fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(libc::O_NOFOLLOW)
        .mode(PRIVATE_FILE_MODE)
        .open(path)
}

/// Makes a completed rename or link durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// A fresh hidden name next to the target. Random, so that a temporary file
/// left behind by a crashed run never blocks the next one (`create_new`),
/// and nobody can guess it in advance. The target's name is kept for the
/// person who finds a leftover, cut short so the whole stays a legal name.
fn temp_path(dir: &Path, name: &str) -> io::Result<PathBuf> {
    let mut name = name.to_owned();
    while name.len() > 64 {
        name.pop();
    }
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
    fn a_planted_link_is_never_written_through() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        let link = dir.path().join("link");
        symlink(&victim, &link).unwrap();
        // At the final name: refused (Keep), replaced as a link (Replace).
        let err = write(dir.path(), "link", b"evil", Existing::Keep).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(create_private(&link).is_err(), "O_NOFOLLOW refuses it");
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        write(dir.path(), "link", b"new", Existing::Replace).unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(!fs::symlink_metadata(&link).unwrap().is_symlink());
        // A numbered name goes past a link, too.
        let other = dir.path().join("scan.pdf");
        symlink(&victim, &other).unwrap();
        let (mut file, temp) = create_temp(dir.path(), "x").unwrap();
        file.write_all(b"scan").unwrap();
        let at = publish_unused_name(&temp, dir.path(), "scan.pdf").unwrap();
        assert_eq!(at, dir.path().join("scan (2).pdf"));
        assert_eq!(fs::read(&at).unwrap(), b"scan");
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(!temp.exists());
    }

    #[test]
    fn temporary_names_are_fresh_and_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let (_, a) = create_temp(dir.path(), "a").unwrap();
        let (_, b) = create_temp(dir.path(), "a").unwrap();
        assert_ne!(a, b);
        assert_eq!(mode(&a), 0o600);
    }

    #[test]
    fn numbered_names_keep_the_extension_and_the_length_limit() {
        assert_eq!(numbered("scan.pdf", 1), "scan.pdf");
        assert_eq!(numbered("scan.pdf", 2), "scan (2).pdf");
        assert_eq!(numbered(".profile", 3), ".profile (3)");
        assert_eq!(numbered("noext", 2), "noext (2)");
        let long = format!("{}.pdf", "é".repeat(125));
        assert!(numbered(&long, 999).len() <= 255);
        assert!(numbered(&long, 999).ends_with(" (999).pdf"));
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
