//! Replays the checked-in fuzz corpus through the same target bodies the
//! fuzzer runs (`referral_fuzz_harness::TARGETS`), on stable, as part of
//! `cargo test --workspace`. CI has neither nightly nor libFuzzer; this is
//! how it keeps every input ever fuzzed (and every crash ever fixed)
//! passing.
//!
//! For each target it runs every file in `fuzz/corpus/<target>/` and, if
//! present, `fuzz/artifacts/<target>/` (where `cargo fuzz` leaves a crashing
//! input: a crash that is not fixed yet fails here too). The corpus
//! directories must not be empty. Run with `-- --nocapture` to see the
//! counts.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use referral_fuzz_harness::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files directly in `dir`, sorted; none if it does not exist.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(name: &str) {
    let (_, target) = TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .expect("a known target");
    let corpus = files(&fuzz_dir().join("corpus").join(name));
    assert!(
        !corpus.is_empty(),
        "fuzz/corpus/{name}/ is empty: the seed corpus is checked in"
    );
    let artifacts = files(&fuzz_dir().join("artifacts").join(name));
    // Every file runs even after a failure, so one report names them all;
    // each failure's panic message is printed above the list.
    let failed: Vec<&PathBuf> = corpus
        .iter()
        .chain(&artifacts)
        .filter(|path| {
            let data = std::fs::read(path).expect("readable corpus file");
            catch_unwind(AssertUnwindSafe(|| target(&data))).is_err()
        })
        .collect();
    println!(
        "{name}: replayed {} corpus files and {} artifacts",
        corpus.len(),
        artifacts.len()
    );
    assert!(failed.is_empty(), "{name}: {failed:#?} failed");
}

#[test]
fn header_check_corpus() {
    replay("header_check");
}

#[test]
fn envelope_corpus() {
    replay("envelope");
}

#[test]
fn padding_corpus() {
    replay("padding");
}

#[test]
fn api_json_corpus() {
    replay("api_json");
}

#[test]
fn every_target_is_replayed() {
    // A target added to TARGETS without a test above would go unreplayed.
    let names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["header_check", "envelope", "padding", "api_json"]);
}
