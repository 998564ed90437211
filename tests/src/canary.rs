//! The plaintext canary scan (SPEC §2.1, §11): none of a referral's words
//! may be found in the broker's files, in any encoding.

use std::path::{Path, PathBuf};

use base64::Engine;

/// Every encoding of `canary` the scan looks for: raw UTF-8, lowercase and
/// uppercase hex, UTF-16LE, and base64 (standard and URL-safe) at all three
/// alignments, minus the edge characters that depend on the neighbours.
pub fn forms(canary: &str) -> Vec<Vec<u8>> {
    let mut forms: Vec<Vec<u8>> = vec![
        canary.as_bytes().to_vec(),
        hex::encode(canary).into_bytes(),
        hex::encode_upper(canary).into_bytes(),
        canary
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect(),
    ];
    for shift in 0..3 {
        let padded: Vec<u8> = std::iter::repeat_n(b' ', shift)
            .chain(canary.bytes())
            .collect();
        for engine in [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ] {
            let b64 = engine.encode(&padded);
            let stable = &b64[4..b64.len().saturating_sub(4)];
            forms.push(stable.as_bytes().to_vec());
        }
    }
    forms
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

/// The files among `files` that contain any form of any canary, with the
/// canary found.
pub fn hits(files: &[PathBuf], canaries: &[&str]) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    for file in files {
        let bytes = std::fs::read(file).expect("read a scanned file");
        for canary in canaries {
            if forms(canary)
                .iter()
                .any(|form| bytes.windows(form.len()).any(|w| w == form.as_slice()))
            {
                found.push((file.clone(), (*canary).to_owned()));
            }
        }
    }
    found
}
