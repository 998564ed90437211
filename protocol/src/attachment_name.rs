//! Attachment names: every rule about them, in one place.
//!
//! A reader may save an attachment under its name, so a name is a file name,
//! never a path ([`check_attachment_name`], part of the envelope's canonical
//! form since version 1). A sender must also not give a name that displays
//! as something else: `Invoice_\u{202E}gpj.exe` shows as `Invoice_exe.jpg`.
//! New names are held to that ([`check_new_name`], [`check_new_names`]);
//! packets sealed before the rule existed still open, and their names are
//! made safe where they are saved ([`name_for_saving`]).

use std::collections::HashSet;

use crate::envelope::{EnvelopeError, MAX_NAME_LEN};
use crate::text;

/// Why a sender may not give an attachment this name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentNameError {
    /// Empty, too long, `.` or `..`, or holding a path separator or a
    /// control character.
    #[error("the name is not a plain file name")]
    NotPlain,
    /// Holds a bidirectional or invisible formatting character.
    #[error(
        "the name holds U+{:04X}, an invisible or bidirectional formatting character that \
         would make it display as another name; rename the file",
        u32::from(*.0)
    )]
    Formatting(char),
    /// Two attachments would be saved under the same name.
    #[error("two attachments are named {0:?} (names may not differ only in case)")]
    Duplicate(String),
}

/// The envelope's rule, checked on every header sealed or opened: a name is
/// a non-empty file name of at most [`MAX_NAME_LEN`] bytes, not `.` or `..`,
/// without `/`, `\` or control characters.
pub fn check_attachment_name(name: &str) -> Result<(), EnvelopeError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || text::is_control(c));
    if ok {
        Ok(())
    } else {
        Err(EnvelopeError::Malformed(
            "attachment name is not a plain file name",
        ))
    }
}

/// The rule for a name a sender gives now: the envelope's rule, and no
/// character that [`text::is_unsafe_to_show`].
pub fn check_new_name(name: &str) -> Result<(), AttachmentNameError> {
    check_attachment_name(name).map_err(|_| AttachmentNameError::NotPlain)?;
    match name.chars().find(|c| text::is_unsafe_to_show(*c)) {
        Some(c) => Err(AttachmentNameError::Formatting(c)),
        None => Ok(()),
    }
}

/// The rule for one packet's names: each one [`check_new_name`], and no two
/// the same, ignoring case (a case-insensitive disk would save the second
/// over the first).
pub fn check_new_names<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> Result<(), AttachmentNameError> {
    let mut seen = HashSet::new();
    for name in names {
        check_new_name(name)?;
        if !seen.insert(name.to_lowercase()) {
            return Err(AttachmentNameError::Duplicate(name.to_owned()));
        }
    }
    Ok(())
}

/// What to save an attachment as: its name with every character that
/// [`check_new_name`] refuses (and any path separator) replaced by `_`, so
/// that a name from an older sender cannot display as another or leave the
/// directory. A name that [`check_new_name`] accepts is returned unchanged.
pub fn name_for_saving(name: &str) -> String {
    let mut safe: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || text::is_unsafe_to_show(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    while safe.len() > MAX_NAME_LEN {
        safe.pop();
    }
    if safe.is_empty() || safe == "." || safe == ".." {
        safe = "attachment".to_owned();
    }
    safe
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass_every_rule() {
        for name in ["scan.pdf", "写真 1.jpg", "Résumé (final).docx", ".hidden"] {
            check_attachment_name(name).unwrap();
            check_new_name(name).unwrap();
            assert_eq!(name_for_saving(name), name);
        }
    }

    #[test]
    fn paths_and_controls_break_the_envelope_rule() {
        let long = "a".repeat(MAX_NAME_LEN + 1);
        for name in [
            "",
            ".",
            "..",
            "a/b",
            "a\\b",
            "a\nb",
            "a\u{1b}[2Kb",
            "a\u{9b}b",
            &long,
        ] {
            assert!(check_attachment_name(name).is_err(), "{name:?}");
            assert_eq!(check_new_name(name), Err(AttachmentNameError::NotPlain));
        }
    }

    #[test]
    fn formatting_characters_are_refused_for_new_names_only() {
        for c in ['\u{202E}', '\u{200B}', '\u{2066}', '\u{FEFF}', '\u{061C}'] {
            let name = format!("Invoice_{c}gpj.exe");
            // An older sender could seal it, and a reader must open it.
            check_attachment_name(&name).unwrap();
            assert_eq!(
                check_new_name(&name),
                Err(AttachmentNameError::Formatting(c))
            );
            let saved = name_for_saving(&name);
            assert_eq!(saved, "Invoice__gpj.exe");
            check_new_name(&saved).unwrap();
        }
        let message = check_new_name("a\u{202E}b").unwrap_err().to_string();
        assert!(message.contains("U+202E"), "{message}");
    }

    #[test]
    fn duplicate_names_are_refused_ignoring_case() {
        check_new_names(["a.pdf", "b.pdf"]).unwrap();
        assert_eq!(
            check_new_names(["a.pdf", "b.pdf", "a.pdf"]),
            Err(AttachmentNameError::Duplicate("a.pdf".into()))
        );
        assert_eq!(
            check_new_names(["Scan.PDF", "scan.pdf"]),
            Err(AttachmentNameError::Duplicate("scan.pdf".into()))
        );
    }

    #[test]
    fn names_made_safe_are_always_acceptable_file_names() {
        let long = "\u{202E}".repeat(MAX_NAME_LEN);
        for name in ["..", "/", "\u{202E}", "a/../b", &long, "x\u{1b}]0;t\u{7}"] {
            let saved = name_for_saving(name);
            check_new_name(&saved).unwrap_or_else(|e| panic!("{name:?} → {saved:?}: {e}"));
        }
    }
}
