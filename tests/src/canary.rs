//! The plaintext canary scan (SPEC §2.1, §11): none of a referral's words
//! may be found in the broker's files, in any encoding.
//!
//! The scan is one pass of a multi-pattern automaton (Aho–Corasick) over
//! each file, whatever the number of canaries: the thousand-packet test
//! looks for tens of thousands of patterns in tens of megabytes, which a
//! substring search per pattern could not do in reasonable time.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use aho_corasick::AhoCorasick;
use base64::Engine;

/// Canaries shorter than this could turn up in binary files by chance, or
/// leave base64 forms too short to mean anything (see [`labelled_forms`]).
pub const MIN_CANARY_BYTES: usize = 12;

/// One encoding the scan looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Form {
    /// The UTF-8 bytes themselves.
    Raw,
    /// Lowercase hex.
    HexLower,
    /// Uppercase hex.
    HexUpper,
    /// UTF-16, little-endian (what Windows tools and some drivers write).
    Utf16Le,
    /// Base64 (standard or URL-safe alphabet), for the canary starting at
    /// byte `shift` of a 3-byte group.
    Base64 {
        /// The URL-safe alphabet (`-_`) rather than the standard (`+/`).
        url_safe: bool,
        /// Where in a 3-byte group the canary starts (0, 1 or 2).
        shift: u8,
    },
}

impl Form {
    /// Every form, in the order [`labelled_forms`] gives them.
    pub const ALL: [Form; 10] = [
        Form::Raw,
        Form::HexLower,
        Form::HexUpper,
        Form::Utf16Le,
        Form::Base64 {
            url_safe: false,
            shift: 0,
        },
        Form::Base64 {
            url_safe: true,
            shift: 0,
        },
        Form::Base64 {
            url_safe: false,
            shift: 1,
        },
        Form::Base64 {
            url_safe: true,
            shift: 1,
        },
        Form::Base64 {
            url_safe: false,
            shift: 2,
        },
        Form::Base64 {
            url_safe: true,
            shift: 2,
        },
    ];
}

impl fmt::Display for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Form::Raw => f.write_str("raw"),
            Form::HexLower => f.write_str("hex"),
            Form::HexUpper => f.write_str("HEX"),
            Form::Utf16Le => f.write_str("utf-16le"),
            Form::Base64 { url_safe, shift } => {
                let alphabet = if *url_safe { "base64url" } else { "base64" };
                write!(f, "{alphabet}@{shift}")
            }
        }
    }
}

/// Every encoding of `canary` the scan looks for, labelled: raw UTF-8,
/// lowercase and uppercase hex, UTF-16LE, and base64 (standard and
/// URL-safe) at all three alignments, minus the edge characters that depend
/// on the neighbours. Each form of a canary is also a substring of the same
/// form of any text that contains it, so a canary is found inside a longer
/// leaked text too.
pub fn labelled_forms(canary: &str) -> Vec<(Form, Vec<u8>)> {
    Form::ALL
        .iter()
        .map(|&form| {
            let bytes = match form {
                Form::Raw => canary.as_bytes().to_vec(),
                Form::HexLower => hex::encode(canary).into_bytes(),
                Form::HexUpper => hex::encode_upper(canary).into_bytes(),
                Form::Utf16Le => canary
                    .encode_utf16()
                    .flat_map(|u| u.to_le_bytes())
                    .collect(),
                Form::Base64 { url_safe, shift } => {
                    // `shift` bytes of filler put the canary at that place in
                    // a 3-byte group; the first and last 4 characters mix in
                    // the filler or whatever follows, so they are dropped.
                    let padded: Vec<u8> = std::iter::repeat_n(b' ', usize::from(shift))
                        .chain(canary.bytes())
                        .collect();
                    let b64 = if url_safe {
                        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&padded)
                    } else {
                        base64::engine::general_purpose::STANDARD.encode(&padded)
                    };
                    b64.as_bytes()[4..b64.len().saturating_sub(4)].to_vec()
                }
            };
            (form, bytes)
        })
        .collect()
}

/// Every encoding of `canary` the scan looks for ([`labelled_forms`]).
pub fn forms(canary: &str) -> Vec<Vec<u8>> {
    labelled_forms(canary)
        .into_iter()
        .map(|(_, bytes)| bytes)
        .collect()
}

/// Every file under `dir`.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// A set of needles, each looked for in some forms, searched for in one
/// pass per file.
#[derive(Debug)]
pub struct Scanner {
    automaton: AhoCorasick,
    /// For each pattern of the automaton: its needle and form.
    patterns: Vec<(usize, Form)>,
}

/// One needle found in one file, in one form (the first place only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The file.
    pub file: PathBuf,
    /// The needle's index, as given to the scanner.
    pub needle: usize,
    /// In which form.
    pub form: Form,
    /// The byte offset of its first occurrence.
    pub offset: usize,
}

/// What a scan read and found.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// Files read.
    pub files: usize,
    /// Bytes read.
    pub bytes: u64,
    /// Files listed but gone when their turn came (PostgreSQL renames and
    /// removes files of its own while it runs).
    pub vanished: usize,
    /// What was found, in the order of the files given, then by needle and
    /// form.
    pub hits: Vec<Hit>,
}

impl Scan {
    /// How many distinct needles were found anywhere.
    pub fn needles_found(&self) -> usize {
        let mut found: Vec<usize> = self.hits.iter().map(|h| h.needle).collect();
        found.sort_unstable();
        found.dedup();
        found.len()
    }

    /// Adds another scan's figures and hits to this one's.
    pub fn add(&mut self, other: Scan) {
        self.files += other.files;
        self.bytes += other.bytes;
        self.vanished += other.vanished;
        self.hits.extend(other.hits);
    }
}

impl Scanner {
    /// Looks for each of `canaries` in every form of [`labelled_forms`].
    ///
    /// # Panics
    ///
    /// If a canary is shorter than [`MIN_CANARY_BYTES`].
    pub fn text(canaries: &[&str]) -> Self {
        let mut patterns = Vec::with_capacity(canaries.len() * Form::ALL.len());
        let mut bytes = Vec::with_capacity(patterns.capacity());
        for (i, canary) in canaries.iter().enumerate() {
            assert!(
                canary.len() >= MIN_CANARY_BYTES,
                "canary {canary:?} is shorter than {MIN_CANARY_BYTES} bytes"
            );
            for (form, pattern) in labelled_forms(canary) {
                patterns.push((i, form));
                bytes.push(pattern);
            }
        }
        Self::build(patterns, bytes)
    }

    /// Looks for each of `needles` byte for byte ([`Form::Raw`]): for
    /// ciphertext, which has no other encoding at rest.
    pub fn bytes(needles: &[Vec<u8>]) -> Self {
        let patterns = (0..needles.len()).map(|i| (i, Form::Raw)).collect();
        Self::build(patterns, needles.to_vec())
    }

    fn build(patterns: Vec<(usize, Form)>, bytes: Vec<Vec<u8>>) -> Self {
        // The default (standard) match semantics are the ones that report
        // overlapping matches: every needle present is found, even inside
        // or across another one.
        let automaton = AhoCorasick::new(&bytes).expect("build the canary automaton");
        Self {
            automaton,
            patterns,
        }
    }

    /// How many patterns (needles times forms) the scanner looks for.
    pub fn patterns(&self) -> usize {
        self.patterns.len()
    }

    /// Reads each of `files` and finds every needle in every form.
    ///
    /// # Panics
    ///
    /// If a file cannot be read for any reason but having disappeared.
    pub fn scan(&self, files: &[PathBuf]) -> Scan {
        let mut scan = Scan::default();
        for file in files {
            let bytes = match std::fs::read(file) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    scan.vanished += 1;
                    continue;
                }
                Err(e) => panic!("cannot read {} to scan it: {e}", file.display()),
            };
            scan.files += 1;
            scan.bytes += bytes.len() as u64;
            let mut first: BTreeMap<(usize, Form), usize> = BTreeMap::new();
            for m in self.automaton.find_overlapping_iter(&bytes) {
                let (needle, form) = self.patterns[m.pattern().as_usize()];
                first.entry((needle, form)).or_insert(m.start());
            }
            scan.hits
                .extend(first.into_iter().map(|((needle, form), offset)| Hit {
                    file: file.clone(),
                    needle,
                    form,
                    offset,
                }));
        }
        scan
    }
}

/// The files among `files` that contain any form of any canary, with the
/// canary found (once per file and canary).
pub fn hits(files: &[PathBuf], canaries: &[&str]) -> Vec<(PathBuf, String)> {
    let scan = Scanner::text(canaries).scan(files);
    let mut found: Vec<(PathBuf, String)> = Vec::new();
    for hit in scan.hits {
        let entry = (hit.file, canaries[hit.needle].to_owned());
        if found.last() != Some(&entry) {
            found.push(entry);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_is_found_inside_a_longer_encoded_text() {
        let canary = "Nguyễn Vokrelintuza";
        let scanner = Scanner::text(&[canary]);
        let dir = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        // The canary at each place in a 3-byte group of a longer text,
        // encoded whole, as a leak would be.
        for prefix in ["", "x", "xy"] {
            let text = format!("{prefix}name: {canary}, phone unknown");
            let encodings: [(&str, Vec<u8>); 5] = [
                ("hex", hex::encode(&text).into_bytes()),
                ("HEX", hex::encode_upper(&text).into_bytes()),
                (
                    "utf16",
                    text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect(),
                ),
                (
                    "b64",
                    base64::engine::general_purpose::STANDARD
                        .encode(&text)
                        .into_bytes(),
                ),
                (
                    "b64url",
                    base64::engine::general_purpose::URL_SAFE
                        .encode(&text)
                        .into_bytes(),
                ),
            ];
            for (name, bytes) in encodings {
                let path = dir.path().join(format!("{name}-{}", prefix.len()));
                std::fs::write(&path, bytes).unwrap();
                files.push(path);
            }
        }
        let raw = dir.path().join("raw");
        std::fs::write(&raw, format!("..{canary}..")).unwrap();
        files.push(raw);
        let scan = scanner.scan(&files);
        for file in &files {
            assert!(
                scan.hits.iter().any(|h| &h.file == file),
                "{} not found",
                file.display()
            );
        }
        assert_eq!(scan.files, files.len());
        assert_eq!(hits(&files, &[canary]).len(), files.len());
    }

    #[test]
    fn nothing_is_found_where_nothing_is() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "Nguyen Vokrelintuz (one letter short)").unwrap();
        let scan = Scanner::text(&["Nguyen Vokrelintuza"]).scan(std::slice::from_ref(&file));
        assert!(scan.hits.is_empty(), "{:?}", scan.hits);
        let gone = dir.path().join("gone");
        assert_eq!(
            Scanner::text(&["Nguyen Vokrelintuza"])
                .scan(&[gone])
                .vanished,
            1
        );
    }
}
