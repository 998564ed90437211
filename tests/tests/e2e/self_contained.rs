//! The repository needs nothing beside it (issue 15, item 6): no file a
//! test, the bench, CI or the docs read lives outside the clone. Earlier
//! rounds read the age test vectors, the prefecture table and the
//! specification from a sibling directory a person who clones the
//! repository does not have.

use std::fs;
use std::path::{Path, PathBuf};

/// Directories that are build output or tool caches, not the repository.
const SKIPPED: [&str; 4] = ["target", ".git", "node_modules", "corpus"];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_owned()
}

fn text_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("a readable directory").flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if !SKIPPED.iter().any(|skip| name == *skip) {
                text_files(&path, found);
            }
        } else if fs::read_to_string(&path).is_ok() {
            found.push(path);
        }
    }
}

#[test]
fn no_file_reaches_outside_the_repository() {
    // Spelled in pieces so that this file does not name what it looks for.
    let sibling = ["..", "/shared/"].concat();
    let absolute = ["/work", "/shared"].concat();
    let mut files = Vec::new();
    text_files(&workspace_root(), &mut files);
    assert!(files.len() > 100, "the walk found the repository's files");
    let offenders: Vec<String> = files
        .iter()
        .filter(|file| {
            let text = fs::read_to_string(file).expect("read above");
            text.contains(&sibling) || text.contains(&absolute)
        })
        .map(|file| file.display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "files that read from outside the clone: {offenders:?}"
    );
}

#[test]
fn the_vendored_data_names_its_source_and_licence() {
    let root = workspace_root();
    for (data, notes) in [
        ("testdata/cctv-age", "testdata/README.md"),
        ("client-cli/data/languages.csv", "client-cli/data/README.md"),
        (
            "client-cli/data/prefectures.csv",
            "client-cli/data/README.md",
        ),
        ("docs/spec.md", "README.md"),
    ] {
        assert!(root.join(data).exists(), "{data} is in the repository");
        let text = fs::read_to_string(root.join(notes)).expect("the notes file");
        let named = Path::new(data)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(text.contains(&named), "{notes} says where {data} came from");
    }
    assert!(root.join("testdata/cctv-age/LICENSE.md").exists());
}
