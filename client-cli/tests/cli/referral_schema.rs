//! `schemas/referral.v1.schema.json` is generated from the referral types;
//! this fails when the checked-in file has drifted.
//! `REFERRAL_REGENERATE_SCHEMAS=1` rewrites it.

use std::path::PathBuf;

use serde_json::{Value, json};

#[test]
fn checked_in_schema_matches_the_code() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schemas/referral.v1.schema.json");
    let generated =
        serde_json::to_string_pretty(&referral_cli::referral::json_schema()).unwrap() + "\n";
    if std::env::var_os("REFERRAL_REGENERATE_SCHEMAS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; generate it with REFERRAL_REGENERATE_SCHEMAS=1",
            path.display()
        )
    });
    assert!(
        checked_in == generated,
        "schemas/referral.v1.schema.json has drifted from the code; regenerate with \
         REFERRAL_REGENERATE_SCHEMAS=1 cargo test -p referral-cli --test cli referral_schema::"
    );
}

#[test]
fn the_schema_is_draft_2020_12_and_closed() {
    let schema = referral_cli::referral::json_schema();
    assert_eq!(
        schema["$schema"],
        json!("https://json-schema.org/draft/2020-12/schema")
    );
    assert_eq!(schema["additionalProperties"], json!(false));
    assert!(
        jsonschema::meta::is_valid(&schema),
        "the generated schema is not a valid JSON Schema"
    );
}

#[test]
fn the_schema_lists_the_codes_from_the_data_files() {
    let schema = referral_cli::referral::json_schema();
    let codes = |def: &str| -> Vec<String> {
        schema["$defs"][def]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{def} has no enum"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let languages: Vec<String> = referral_cli::referral::reference_data::languages()
        .iter()
        .map(|l| l.code.clone())
        .collect();
    let prefectures: Vec<String> = referral_cli::referral::reference_data::prefectures()
        .iter()
        .map(|p| p.code.clone())
        .collect();
    assert_eq!(codes("LanguageCode"), languages);
    assert_eq!(codes("PrefectureCode"), prefectures);
    assert_eq!(prefectures.len(), 47);
}

#[test]
fn consent_recorded_is_const_true() {
    let schema = referral_cli::referral::json_schema();
    let recorded: &Value = &schema["$defs"]["Consent"]["properties"]["recorded"];
    assert_eq!(recorded["const"], json!(true), "{recorded}");
}
