//! The referral test vectors in `tests/referrals/` (see its README): every
//! `ok_*` document must be accepted and every `fail_*` document refused with
//! exactly the problems its `.expected` file lists, and the generated JSON
//! Schema must reach the same verdict on each, so that a tool validating
//! against the published schema agrees with the CLI.

use std::fs;
use std::path::{Path, PathBuf};

use referral_cli::referral::{self, ReferralError};
use serde_json::Value;

fn vectors() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/referrals");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn name(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

fn schema_validator() -> jsonschema::Validator {
    // Formats are annotations only in draft 2020-12 unless asserted; the CLI
    // does check `consent.obtained_at`, so the schema must too to agree.
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&referral::json_schema())
        .unwrap()
}

#[test]
fn the_corpus_has_both_kinds() {
    let names: Vec<String> = vectors().iter().map(|p| name(p)).collect();
    assert!(names.iter().filter(|n| n.starts_with("ok_")).count() >= 3);
    assert!(names.iter().filter(|n| n.starts_with("fail_")).count() >= 20);
    assert!(
        names
            .iter()
            .all(|n| n.starts_with("ok_") || n.starts_with("fail_")),
        "{names:?}"
    );
}

#[test]
fn ok_vectors_are_accepted() {
    for path in vectors().iter().filter(|p| name(p).starts_with("ok_")) {
        let text = fs::read_to_string(path).unwrap();
        if let Err(e) = referral::parse(&text) {
            panic!("{}: {e}", path.display());
        }
    }
}

#[test]
fn fail_vectors_are_refused_with_the_expected_problems() {
    for path in vectors().iter().filter(|p| name(p).starts_with("fail_")) {
        let text = fs::read_to_string(path).unwrap();
        let expected_path = path.with_extension("expected");
        let expected = fs::read_to_string(&expected_path)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
        let expected: Vec<&str> = expected.lines().filter(|l| !l.is_empty()).collect();
        match referral::parse(&text) {
            Ok(_) => panic!("{} was accepted", path.display()),
            Err(ReferralError::Invalid(problems)) => {
                let got: Vec<String> = problems.iter().map(ToString::to_string).collect();
                assert_eq!(got, expected, "{}", path.display());
            }
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
}

#[test]
fn the_schema_agrees_with_the_validator_on_every_vector() {
    let validator = schema_validator();
    for path in vectors() {
        let doc: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        let cli_accepts = referral::validate::from_value(doc.clone()).is_ok();
        let schema_errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert_eq!(
            schema_errors.is_empty(),
            cli_accepts,
            "{}: the CLI {} it, the schema says {schema_errors:?}",
            path.display(),
            if cli_accepts { "accepts" } else { "refuses" }
        );
    }
}
