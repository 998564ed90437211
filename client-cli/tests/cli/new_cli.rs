//! `referral new`, run as the real binary: it prints one JSON document, a
//! blank v1 referral with every field of SPEC §6, and needs neither a
//! keystore nor a broker (nor even a home directory).

use std::process::{Command, Output, Stdio};

use referral_cli::referral::{self, ReferralError};
use serde_json::Value;

fn new(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_referral"))
        .arg("new")
        .args(args)
        // Nothing to find: no home, no keystore, no broker, no terminal.
        .env_clear()
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn document(out: &Output) -> Value {
    assert!(out.status.success(), "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
    let text = std::str::from_utf8(&out.stdout).unwrap();
    // Exactly one JSON document, then a newline.
    let mut docs = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let doc = docs.next().unwrap().unwrap();
    assert!(docs.next().is_none(), "more than one document: {text}");
    assert!(text.ends_with('\n'));
    doc
}

/// Every field name of SPEC §6, as paths.
const SPEC_FIELDS: &[&str] = &[
    "schema",
    "case",
    "case.reference",
    "case.need",
    "case.urgency",
    "case.summary",
    "person",
    "person.name",
    "person.preferred_language",
    "person.interpreter_needed",
    "person.contact",
    "person.contact.phone",
    "person.contact.other",
    "person.contact.best_times",
    "person.contact.desk_may_call",
    "person.prefecture",
    "person.municipality",
    "status",
    "status.residence_category",
    "status.documents_held",
    "consent",
    "consent.recorded",
    "consent.scope",
    "consent.obtained_at",
    "consent.method",
    "consent.language",
];

fn paths(value: &Value, prefix: &str, out: &mut Vec<String>) {
    if let Value::Object(map) = value {
        for (k, v) in map {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            out.push(path.clone());
            paths(v, &path, out);
        }
    }
}

#[test]
fn new_prints_a_blank_with_exactly_the_spec_fields() {
    let doc = document(&new(&[]));
    assert_eq!(doc["schema"], "referral.v1");
    let mut got = Vec::new();
    paths(&doc, "", &mut got);
    got.sort();
    let mut want: Vec<String> = SPEC_FIELDS.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn json_mode_prints_the_same_document_on_one_line() {
    let human = new(&[]);
    let json = new(&["--json"]);
    assert_eq!(document(&human), document(&json));
    assert_eq!(String::from_utf8(json.stdout).unwrap().lines().count(), 1);
    // The human form is indented for filling in, fields in SPEC order.
    let text = String::from_utf8(human.stdout).unwrap();
    assert!(
        text.starts_with("{\n  \"schema\": \"referral.v1\",\n  \"case\": {"),
        "{text}"
    );
}

#[test]
fn the_blank_fails_only_on_the_fields_a_person_must_fill_in() {
    let out = new(&["--json"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let Err(ReferralError::Invalid(problems)) = referral::parse(&text) else {
        panic!("the blank referral was not refused as invalid")
    };
    let fields: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    // What a caseworker has to answer; everything else may stay empty
    // (reference, name, municipality, contact details) or is already an
    // answer (the yes/no fields' false).
    assert_eq!(
        fields,
        [
            "case.need",
            "case.urgency",
            "case.summary",
            "person.preferred_language",
            "person.prefecture",
            "status.residence_category",
            "status.documents_held",
            "consent.recorded",
            "consent.scope",
            "consent.obtained_at",
            "consent.method",
            "consent.language",
        ]
    );
}

#[test]
fn the_blank_filled_in_is_valid() {
    let mut doc = document(&new(&[]));
    doc["case"]["need"] = "medical".into();
    doc["case"]["urgency"] = "high".into();
    doc["case"]["summary"] = "Needs a clinic that takes uninsured patients.".into();
    doc["person"]["preferred_language"] = "ne".into();
    doc["person"]["prefecture"] = "JP-23".into();
    doc["status"]["residence_category"] = "unknown".into();
    doc["status"]["documents_held"] = serde_json::json!(["none"]);
    doc["consent"]["recorded"] = true.into();
    doc["consent"]["scope"] = "this_desk".into();
    doc["consent"]["obtained_at"] = "2021-09-17T10:20:00+09:00".into();
    doc["consent"]["method"] = "verbal, by phone".into();
    doc["consent"]["language"] = "ne".into();
    referral::validate::from_value(doc).unwrap();
}

#[test]
fn extra_arguments_are_a_usage_error() {
    let out = new(&["r.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}
