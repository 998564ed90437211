//! Files chosen in the new-referral form: each streamed, chunk by chunk,
//! to a private file (mode 0600, created exclusively and never through a
//! link) in a directory of the home, and removed once the referral is
//! sealed, whether or not sealing worked (ADR 0017 §6).

use std::fs::DirBuilder;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use axum::extract::Multipart;
use axum::extract::multipart::Field;
use tokio::io::AsyncWriteExt;

use super::form::{FILES_FIELD, FormValues};
use crate::atomic_file;

/// The directory of the home that holds files while they are sealed.
pub const UPLOAD_DIR: &str = "ui-uploads";
/// The longest text field read: a referral's longest text is a summary.
const TEXT_LIMIT: usize = 64 * 1024;

/// The files received, removed when this is dropped.
#[derive(Debug, Default)]
pub struct Uploads {
    files: Vec<(String, PathBuf)>,
}

impl Uploads {
    /// Each file's name, as the user's file was called, and where it is.
    pub fn named(&self) -> &[(String, PathBuf)] {
        &self.files
    }

    /// How many files were received.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file was received.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

impl Drop for Uploads {
    fn drop(&mut self) {
        for (_, path) in &self.files {
            // Nothing better can be done about a file that cannot be
            // removed: the directory is the user's, mode 0700.
            let _ = std::fs::remove_file(path);
        }
    }
}

/// What a form post carried.
#[derive(Debug, Default)]
pub struct Received {
    /// The text fields.
    pub values: FormValues,
    /// The files, kept until this is dropped.
    pub files: Uploads,
    /// Why the post could not be read to its end, if it could not (too
    /// large, cut off): the fields before that point are kept.
    pub broken: Option<String>,
}

/// The upload directory of `home`: created owner-only if missing; refused
/// if something else (a link, a file) holds its name.
pub fn directory(home: &Path) -> io::Result<PathBuf> {
    let dir = home.join(UPLOAD_DIR);
    match DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => Ok(dir),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let meta = std::fs::symlink_metadata(&dir)?;
            if meta.is_dir() {
                Ok(dir)
            } else {
                Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} is not a directory", dir.display()),
                ))
            }
        }
        Err(e) => Err(e),
    }
}

/// Reads a multipart post: text fields into [`FormValues`], each file of
/// [`FILES_FIELD`] streamed into `dir`. A browser sends an empty part with
/// no name when no file was chosen; it is skipped.
pub async fn receive(mut multipart: Multipart, dir: &Path) -> Received {
    let mut received = Received::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                received.broken = Some(e.body_text());
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        let result = if name == FILES_FIELD {
            let file_name = base_name(field.file_name().unwrap_or_default());
            store(field, dir, file_name, &mut received.files).await
        } else {
            text(field)
                .await
                .map(|value| received.values.push(&name, value))
        };
        if let Err(e) = result {
            received.broken = Some(e);
            break;
        }
    }
    received
}

/// The name a browser gave a file, without any folder (some send the
/// whole path the user picked).
pub fn base_name(name: &str) -> String {
    name.rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn text(mut field: Field<'_>) -> Result<String, String> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| e.body_text())? {
        if bytes.len() + chunk.len() > TEXT_LIMIT {
            return Err(format!("a field is longer than {TEXT_LIMIT} bytes"));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

async fn store(
    mut field: Field<'_>,
    dir: &Path,
    name: String,
    files: &mut Uploads,
) -> Result<(), String> {
    let (file, path) = atomic_file::create_temp(dir, "upload").map_err(|e| e.to_string())?;
    // Listed before the first byte, so that it is removed however this ends.
    files.files.push((name, path));
    let mut file = tokio::fs::File::from_std(file);
    let mut length = 0usize;
    while let Some(chunk) = field.chunk().await.map_err(|e| e.body_text())? {
        length += chunk.len();
        file.write_all(&chunk).await.map_err(|e| e.to_string())?;
    }
    file.flush().await.map_err(|e| e.to_string())?;
    let empty_part = length == 0 && files.files.last().is_some_and(|(n, _)| n.is_empty());
    if empty_part && let Some((_, path)) = files.files.pop() {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_browsers_path_is_cut_to_the_file_name() {
        assert_eq!(base_name("C:\\Users\\me\\scan.pdf"), "scan.pdf");
        assert_eq!(base_name("../../etc/passwd"), "passwd");
        assert_eq!(base_name("photo.jpg"), "photo.jpg");
        assert_eq!(base_name(""), "");
    }

    #[test]
    fn the_directory_is_private_and_no_link_stands_in_for_it() {
        let home = tempfile::tempdir().unwrap();
        let dir = directory(home.path()).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        assert_eq!(directory(home.path()).unwrap(), dir, "found again");

        let other = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), other.path().join(UPLOAD_DIR)).unwrap();
        assert!(directory(other.path()).is_err());
    }

    #[test]
    fn files_are_removed_when_the_uploads_are_dropped() {
        let home = tempfile::tempdir().unwrap();
        let dir = directory(home.path()).unwrap();
        let (_, path) = atomic_file::create_temp(&dir, "upload").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let uploads = Uploads {
            files: vec![("scan.pdf".to_owned(), path.clone())],
        };
        assert_eq!(uploads.len(), 1);
        drop(uploads);
        assert!(!path.exists());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    }
}
