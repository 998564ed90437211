//! `--attach FILE`: the files a referral carries, checked before anything is
//! sealed or sent, so that a typo in a path fails the command up front.

use std::path::{Path, PathBuf};

use anyhow::anyhow;
use referral_protocol::attachment_name;
use referral_protocol::{Attachment, AttachmentSource};

use crate::exit::Failure;
use crate::tr;

/// The attachments for `paths`, each a readable regular file whose name
/// follows the rule for new names (no invisible or bidirectional formatting
/// character), no two of them named alike.
pub fn from_paths(paths: &[impl AsRef<Path>]) -> Result<Vec<Attachment>, Failure> {
    let list = paths
        .iter()
        .map(|p| one(p.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    attachment_name::check_new_names(list.iter().map(|a| a.name.as_str()))
        .map_err(|e| Failure::User(anyhow!(tr!("attach-these-refused", error = e.to_string()))))?;
    Ok(list)
}

/// The attachments for files kept under other names than their own: the
/// web app streams each uploaded file to a private file of its own naming
/// and sends it under the name the user's file had. The same checks as
/// [`from_paths`]; a refusal names the file by `name`.
pub fn from_named(files: &[(String, PathBuf)]) -> Result<Vec<Attachment>, Failure> {
    let list = files
        .iter()
        .map(|(name, path)| checked(path, name, || Ok(name.clone())))
        .collect::<Result<Vec<_>, _>>()?;
    attachment_name::check_new_names(list.iter().map(|a| a.name.as_str()))
        .map_err(|e| Failure::User(anyhow!(tr!("attach-these-refused", error = e.to_string()))))?;
    Ok(list)
}

fn one(path: &Path) -> Result<Attachment, Failure> {
    let shown = path.display().to_string();
    checked(path, &shown, || {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| {
                Failure::User(anyhow!(tr!(
                    "attach-refused",
                    path = path.display().to_string(),
                    error = tr!("attach-no-name")
                )))
            })
    })
}

/// The attachment of the regular file at `path`, sent under the name
/// `name` gives; a refusal names the file as `shown`.
fn checked(
    path: &Path,
    shown: &str,
    name: impl FnOnce() -> Result<String, Failure>,
) -> Result<Attachment, Failure> {
    let meta = std::fs::metadata(path).map_err(|e| {
        Failure::User(anyhow!(tr!(
            "attach-refused",
            path = shown,
            error = e.to_string()
        )))
    })?;
    if !meta.is_file() {
        return Err(Failure::User(anyhow!(tr!(
            "attach-refused",
            path = shown,
            error = tr!("attach-not-a-file")
        ))));
    }
    let name = name()?;
    attachment_name::check_new_name(&name).map_err(|e| {
        Failure::User(anyhow!(tr!(
            "attach-refused",
            path = crate::terminal::line(shown).into_owned(),
            error = e.to_string()
        )))
    })?;
    Ok(Attachment {
        media_type: media_type(&name).to_owned(),
        name,
        source: AttachmentSource::Path(path.to_path_buf()),
    })
}

/// The media type for a file name's extension: the few kinds desks exchange
/// (scans, photos, documents), and `application/octet-stream` otherwise. The
/// reader sees the type as a hint only; the bytes are what the hash covers.
pub fn media_type(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "heic" => "image/heic",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "tif" | "tiff" => "image/tiff",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "json" => "application/json",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_by_extension() {
        assert_eq!(media_type("scan.PDF"), "application/pdf");
        assert_eq!(media_type("photo.jpeg"), "image/jpeg");
        assert_eq!(media_type("noext"), "application/octet-stream");
    }

    #[test]
    fn a_missing_or_non_regular_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = from_paths(&[dir.path().join("absent.pdf")]).unwrap_err();
        assert!(err.error().to_string().contains("absent.pdf"));
        assert!(from_paths(&[dir.path()]).is_err());
        let file = dir.path().join("scan.pdf");
        std::fs::write(&file, b"%PDF").unwrap();
        let list = from_paths(&[&file]).unwrap();
        assert_eq!(list[0].name, "scan.pdf");
        assert_eq!(list[0].media_type, "application/pdf");
    }

    #[test]
    fn names_that_display_as_another_or_repeat_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let spoof = dir.path().join("Invoice_\u{202E}gpj.exe");
        std::fs::write(&spoof, b"MZ").unwrap();
        let err = from_paths(&[&spoof]).unwrap_err().error().to_string();
        assert!(err.contains("Invoice_<U+202E>gpj.exe"), "{err}");
        assert!(err.contains("U+202E"), "{err}");

        let a = dir.path().join("a");
        let b = dir.path().join("b");
        for d in [&a, &b] {
            std::fs::create_dir(d).unwrap();
            std::fs::write(d.join("scan.pdf"), b"%PDF").unwrap();
        }
        let err = from_paths(&[a.join("scan.pdf"), b.join("scan.pdf")])
            .unwrap_err()
            .error()
            .to_string();
        assert!(err.contains("scan.pdf"), "{err}");
    }
}
