//! Referral content, schema v1 (SPEC §6): the types, the reference data
//! they are checked against, and the validator that names every bad field.
//!
//! This lives in the CLI, not in `referral-protocol`: content is only ever
//! read on the devices at either end, and the broker must never parse it
//! (SPEC §2.1), so it should not even link the code that could.
//!
//! - [`model`]: the types; `schemas/referral.v1.schema.json` is generated
//!   from them ([`json_schema`]);
//! - [`validate`]: reads a document and reports every problem with its path;
//!   also the blank document `referral new` prints;
//! - [`reference_data`]: languages and prefectures from `client-cli/data/`;
//! - [`rules`]: the checks on single values that the two share;
//! - [`words`]: the enumerations in the words of the user's language.

pub mod model;
pub mod reference_data;
pub mod rules;
pub mod validate;
pub mod words;

pub use model::Referral;
pub use validate::{Blank, FieldError, ReferralError, parse};

use schemars::generate::SchemaSettings;

/// The JSON Schema (draft 2020-12) of a v1 referral, as checked in at
/// `schemas/referral.v1.schema.json`. The validator is the authority: the
/// schema says the same about every document, but in the words of JSON
/// Schema rather than with a message per field.
pub fn json_schema() -> serde_json::Value {
    let schema = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<Referral>();
    serde_json::to_value(schema).expect("a generated schema is plain JSON")
}
