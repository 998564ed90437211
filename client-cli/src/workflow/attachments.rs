//! `--attach FILE`: the files a referral carries, checked before anything is
//! sealed or sent, so that a typo in a path fails the command up front.

use std::path::Path;

use anyhow::anyhow;
use referral_protocol::envelope::check_attachment_name;
use referral_protocol::{Attachment, AttachmentSource};

use crate::exit::Failure;

/// The attachments for `paths`, each a readable regular file.
pub fn from_paths(paths: &[impl AsRef<Path>]) -> Result<Vec<Attachment>, Failure> {
    paths.iter().map(|p| one(p.as_ref())).collect()
}

fn one(path: &Path) -> Result<Attachment, Failure> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Failure::User(anyhow!("cannot attach {}: {e}", path.display())))?;
    if !meta.is_file() {
        return Err(Failure::User(anyhow!(
            "cannot attach {}: not a regular file",
            path.display()
        )));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Failure::User(anyhow!("cannot attach {}: no file name", path.display())))?;
    check_attachment_name(&name)
        .map_err(|e| Failure::User(anyhow!("cannot attach {}: {e}", path.display())))?;
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
}
