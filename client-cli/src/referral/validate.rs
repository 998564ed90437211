//! Checking a referral document and reporting *every* problem, each with the
//! JSON path of the field it is about (`person.preferred_language: "xx" is
//! not a known language ...`).
//!
//! serde stops at the first error, and a caseworker fixing a form one error
//! per run would rightly give up; so the document is first read as plain
//! JSON and walked against `REFERRAL`, a table of the schema's fields that
//! collects all problems. Only a document that passes the walk is then
//! deserialized into the typed [`Referral`] (through `serde_path_to_error`,
//! so that a disagreement between the table and the types would still name
//! its field). A test checks the table against the schema generated from the
//! types, field by field, so that the two cannot drift apart.

use std::fmt;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

use super::model::{ConsentScope, Document, Need, Referral, ResidenceCategory, Urgency};
use super::rules;

/// One problem, at one place in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Where: a JSON path such as `person.contact.phone` or
    /// `status.documents_held[1]`; `(top level)` for the document itself.
    pub path: String,
    /// What is wrong there.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Why a document is not a valid referral.
#[derive(Debug, thiserror::Error)]
pub enum ReferralError {
    /// It is not JSON at all.
    #[error("the referral is not valid JSON: {0}")]
    Syntax(serde_json::Error),
    /// It is JSON but breaks the schema: every problem found, in the order
    /// of the schema's fields, then unknown fields.
    #[error("{}", Listed(.0))]
    Invalid(Vec<FieldError>),
}

struct Listed<'a>(&'a [FieldError]);

impl fmt::Display for Listed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "the referral is not valid ({n} problem{}):",
            if n == 1 { "" } else { "s" }
        )?;
        for e in self.0 {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

/// Reads and checks a referral from JSON text.
pub fn parse(text: &str) -> Result<Referral, ReferralError> {
    let value: Value = serde_json::from_str(text).map_err(ReferralError::Syntax)?;
    from_value(value)
}

/// Checks a referral already read as JSON.
pub fn from_value(value: Value) -> Result<Referral, ReferralError> {
    let problems = check(&value);
    if !problems.is_empty() {
        return Err(ReferralError::Invalid(problems));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        ReferralError::Invalid(vec![FieldError {
            path: at(if path == "." { "" } else { &path }),
            message: e.into_inner().to_string(),
        }])
    })
}

/// Every problem with `value` as a referral; empty if it is valid.
pub fn check(value: &Value) -> Vec<FieldError> {
    let mut problems = Vec::new();
    check_fields(value, REFERRAL, "", &mut problems);
    problems
}

/// What a field may hold.
#[derive(Debug)]
pub(crate) enum Rule {
    /// `"referral.v1"`.
    Schema,
    /// Any string, empty included.
    Text,
    /// A string that is not blank.
    Filled,
    /// A string or null.
    NullableText,
    /// true or false.
    Bool,
    /// true, and nothing else (`consent.recorded`).
    Consent,
    /// One of these names.
    Choice(&'static [&'static str]),
    /// A code from `data/languages.csv`.
    Language,
    /// A code from `data/prefectures.csv`.
    Prefecture,
    /// An RFC 3339 date and time.
    Timestamp,
    /// `status.documents_held`.
    Documents,
    /// An object with exactly these fields.
    Object(&'static [Field]),
}

/// A field of an object.
#[derive(Debug)]
pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) rule: Rule,
    pub(crate) required: bool,
}

const fn required(name: &'static str, rule: Rule) -> Field {
    Field {
        name,
        rule,
        required: true,
    }
}

const fn optional(name: &'static str, rule: Rule) -> Field {
    Field {
        name,
        rule,
        required: false,
    }
}

/// The fields of a v1 referral, in the order of SPEC §6 (which is also the
/// order `referral new` prints them in).
pub(crate) const REFERRAL: &[Field] = &[
    required("schema", Rule::Schema),
    required("case", Rule::Object(CASE)),
    required("person", Rule::Object(PERSON)),
    required("status", Rule::Object(STATUS)),
    required("consent", Rule::Object(CONSENT)),
];

const CASE: &[Field] = &[
    required("reference", Rule::Text),
    required("need", Rule::Choice(Need::NAMES)),
    required("urgency", Rule::Choice(Urgency::NAMES)),
    required("summary", Rule::Filled),
];

const PERSON: &[Field] = &[
    optional("name", Rule::NullableText),
    required("preferred_language", Rule::Language),
    required("interpreter_needed", Rule::Bool),
    required("contact", Rule::Object(CONTACT)),
    required("prefecture", Rule::Prefecture),
    required("municipality", Rule::Text),
];

const CONTACT: &[Field] = &[
    required("phone", Rule::Text),
    required("other", Rule::NullableText),
    required("best_times", Rule::Text),
    required("desk_may_call", Rule::Bool),
];

const STATUS: &[Field] = &[
    required("residence_category", Rule::Choice(ResidenceCategory::NAMES)),
    required("documents_held", Rule::Documents),
];

const CONSENT: &[Field] = &[
    required("recorded", Rule::Consent),
    required("scope", Rule::Choice(ConsentScope::NAMES)),
    required("obtained_at", Rule::Timestamp),
    required("method", Rule::Filled),
    required("language", Rule::Language),
];

/// The path shown for `path`: the document itself has no name of its own.
fn at(path: &str) -> String {
    if path.is_empty() {
        "(top level)".to_owned()
    } else {
        path.to_owned()
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn problem(problems: &mut Vec<FieldError>, path: &str, message: impl Into<String>) {
    problems.push(FieldError {
        path: at(path),
        message: message.into(),
    });
}

/// "a string", "null", ...: what a value is, for type errors.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn wrong_type(problems: &mut Vec<FieldError>, path: &str, expected: &str, value: &Value) {
    problem(
        problems,
        path,
        format!("expected {expected}, found {}", kind(value)),
    );
}

fn check_fields(value: &Value, fields: &[Field], path: &str, problems: &mut Vec<FieldError>) {
    let Some(object) = value.as_object() else {
        return wrong_type(problems, path, "an object", value);
    };
    for field in fields {
        let field_path = join(path, field.name);
        match object.get(field.name) {
            Some(v) => check_rule(v, &field.rule, &field_path, problems),
            None if field.required => problem(problems, &field_path, "missing required field"),
            None => {}
        }
    }
    for key in object.keys() {
        if !fields.iter().any(|f| f.name == key) {
            problem(problems, &join(path, key), "unknown field");
        }
    }
}

fn check_rule(value: &Value, rule: &Rule, path: &str, problems: &mut Vec<FieldError>) {
    // The rules that take a string share the type check; each then judges
    // the text.
    let text_rule: fn(&str) -> Result<(), String> = match rule {
        Rule::Object(fields) => return check_fields(value, fields, path, problems),
        Rule::Documents => return check_documents(value, path, problems),
        Rule::Bool | Rule::Consent => {
            match value.as_bool() {
                None => wrong_type(problems, path, "true or false", value),
                Some(false) if matches!(rule, Rule::Consent) => {
                    problem(problems, path, rules::CONSENT_NOT_RECORDED)
                }
                Some(_) => {}
            }
            return;
        }
        Rule::NullableText => {
            if !(value.is_string() || value.is_null()) {
                wrong_type(problems, path, "a string or null", value);
            }
            return;
        }
        Rule::Choice(names) => {
            match value.as_str() {
                None => wrong_type(problems, path, "a string", value),
                Some(s) => {
                    if let Err(m) = rules::choice(s, names) {
                        problem(problems, path, m);
                    }
                }
            }
            return;
        }
        Rule::Schema => schema_version,
        Rule::Text => |_| Ok(()),
        Rule::Filled => rules::filled,
        Rule::Language => rules::language,
        Rule::Prefecture => rules::prefecture,
        Rule::Timestamp => rules::timestamp,
    };
    match value.as_str() {
        None => wrong_type(problems, path, "a string", value),
        Some(s) => {
            if let Err(m) = text_rule(s) {
                problem(problems, path, m);
            }
        }
    }
}

fn schema_version(s: &str) -> Result<(), String> {
    let v1 = super::model::SchemaVersion::V1.as_str();
    if s == v1 {
        Ok(())
    } else {
        Err(format!(
            "{} is not a schema this client reads; it reads {}",
            rules::quoted(s),
            rules::quoted(v1)
        ))
    }
}

fn check_documents(value: &Value, path: &str, problems: &mut Vec<FieldError>) {
    let Some(items) = value.as_array() else {
        return wrong_type(problems, path, "an array", value);
    };
    let mut names = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{i}]");
        match item.as_str() {
            None => wrong_type(problems, &item_path, "a string", item),
            Some(s) => match rules::choice(s, Document::NAMES) {
                Ok(()) => names.push(s),
                Err(m) => problem(problems, &item_path, m),
            },
        }
    }
    // The rules on the list as a whole only make sense once every item is
    // a document; until then the item errors say what to fix.
    if names.len() == items.len() {
        for (index, message) in rules::documents(&names) {
            match index {
                Some(i) => problem(problems, &format!("{path}[{i}]"), message),
                None => problem(problems, path, message),
            }
        }
    }
}

/// The blank referral `referral new` prints: every field of `REFERRAL`,
/// in order, with an empty value (`""`, `false`, `[]`), and `null` for a
/// required field whose empty value is null (`person.contact.other`). The
/// optional `person.name` is printed as `""`, to show where a name goes.
#[derive(Debug, Clone, Copy)]
pub struct Blank;

impl Serialize for Blank {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        BlankObject(REFERRAL).serialize(s)
    }
}

// Serialized by hand rather than built as a `serde_json::Value`, whose map
// would sort the keys: a person filling the form in reads it top to bottom.
struct BlankObject(&'static [Field]);

impl Serialize for BlankObject {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for field in self.0 {
            map.serialize_entry(field.name, &BlankValue(field))?;
        }
        map.end()
    }
}

struct BlankValue(&'static Field);

impl Serialize for BlankValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0.rule {
            Rule::Schema => s.serialize_str(super::model::SchemaVersion::V1.as_str()),
            Rule::NullableText if self.0.required => s.serialize_none(),
            Rule::Text
            | Rule::Filled
            | Rule::NullableText
            | Rule::Choice(_)
            | Rule::Language
            | Rule::Prefecture
            | Rule::Timestamp => s.serialize_str(""),
            Rule::Bool | Rule::Consent => s.serialize_bool(false),
            Rule::Documents => s.serialize_seq(Some(0))?.end(),
            Rule::Object(fields) => BlankObject(fields).serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::referral::model::{Need, Urgency};

    /// The example of SPEC §6.
    fn example() -> Value {
        json!({
          "schema": "referral.v1",
          "case": {"reference": "CW-2021-0917", "need": "vaccination_voucher", "urgency": "normal",
                   "summary": "Lost the voucher envelope; needs a new voucher."},
          "person": {"name": "(name or pseudonym, optional)", "preferred_language": "vi",
                     "interpreter_needed": true,
                     "contact": {"phone": "080-0000-0000", "other": null,
                                 "best_times": "weekday mornings", "desk_may_call": true},
                     "prefecture": "JP-13", "municipality": "Shinjuku-ku"},
          "status": {"residence_category": "undocumented", "documents_held": ["passport"]},
          "consent": {"recorded": true, "scope": "this_desk",
                      "obtained_at": "2021-09-17T10:20:00+09:00",
                      "method": "verbal, by phone", "language": "vi"}
        })
    }

    /// `example()` with the value at a dotted path replaced (or removed, for
    /// `None`).
    fn with(path: &str, value: Option<Value>) -> Value {
        let mut doc = example();
        let (parents, last) = path.rsplit_once('.').unwrap_or(("", path));
        let mut target = &mut doc;
        for part in parents.split('.').filter(|p| !p.is_empty()) {
            target = target.get_mut(part).unwrap();
        }
        let object = target.as_object_mut().unwrap();
        match value {
            Some(v) => object.insert(last.to_owned(), v),
            None => object.remove(last),
        };
        doc
    }

    /// The problems with `doc`, as the lines a user reads.
    fn problems(doc: &Value) -> Vec<String> {
        check(doc).iter().map(ToString::to_string).collect()
    }

    fn only_problem(doc: &Value) -> String {
        let p = problems(doc);
        assert_eq!(p.len(), 1, "expected exactly one problem, got {p:?}");
        p.into_iter().next().unwrap()
    }

    #[test]
    fn the_spec_example_is_valid_and_typed() {
        assert_eq!(check(&example()), []);
        let r = from_value(example()).unwrap();
        assert_eq!(r.case.need, Need::VaccinationVoucher);
        assert_eq!(r.case.urgency, Urgency::Normal);
        assert_eq!(r.person.preferred_language.as_str(), "vi");
        assert_eq!(r.person.contact.other, None);
        assert_eq!(r.consent.obtained_at.as_str(), "2021-09-17T10:20:00+09:00");
        assert_eq!(serde_json::to_value(&r).unwrap(), example(), "round trip");
    }

    #[test]
    fn unknown_language_names_the_field_and_value() {
        let e = only_problem(&with("person.preferred_language", Some(json!("xx"))));
        assert!(
            e.starts_with("person.preferred_language: \"xx\" is not a known language (known: ja,"),
            "{e}"
        );
        let e = only_problem(&with("consent.language", Some(json!("VI"))));
        assert!(
            e.starts_with("consent.language: \"VI\" is not a known language"),
            "{e}"
        );
    }

    #[test]
    fn unknown_prefecture_names_the_field() {
        assert_eq!(
            only_problem(&with("person.prefecture", Some(json!("JP-00")))),
            "person.prefecture: \"JP-00\" is not a known prefecture (an ISO 3166-2:JP code, \
             JP-01 to JP-47)"
        );
    }

    #[test]
    fn consent_must_be_recorded() {
        assert_eq!(
            only_problem(&with("consent.recorded", Some(json!(false)))),
            "consent.recorded: must be true: the caller's consent to this referral must be \
             recorded before it is sent"
        );
        assert_eq!(
            only_problem(&with("consent.recorded", Some(json!("true")))),
            "consent.recorded: expected true or false, found a string"
        );
    }

    #[test]
    fn missing_required_fields_are_named() {
        assert_eq!(
            only_problem(&with("case.need", None)),
            "case.need: missing required field"
        );
        assert_eq!(
            only_problem(&with("person.contact.other", None)),
            "person.contact.other: missing required field"
        );
        assert_eq!(
            only_problem(&with("consent", None)),
            "consent: missing required field"
        );
    }

    #[test]
    fn name_is_optional_and_nullable() {
        assert_eq!(check(&with("person.name", None)), []);
        assert_eq!(check(&with("person.name", Some(Value::Null))), []);
        assert_eq!(
            from_value(with("person.name", None)).unwrap().person.name,
            None
        );
        assert_eq!(
            only_problem(&with("person.name", Some(json!(7)))),
            "person.name: expected a string or null, found a number"
        );
    }

    #[test]
    fn contact_other_may_be_text() {
        let r = from_value(with("person.contact.other", Some(json!("LINE: abc")))).unwrap();
        assert_eq!(r.person.contact.other.as_deref(), Some("LINE: abc"));
    }

    #[test]
    fn enumerations_list_their_values() {
        assert_eq!(
            only_problem(&with("case.need", Some(json!("vaccine")))),
            "case.need: \"vaccine\" is not one of: vaccination_voucher, vaccination_booking, \
             interpretation, medical, legal, housing, labour, livelihood, other"
        );
        assert_eq!(
            only_problem(&with("case.urgency", Some(json!("Urgent")))),
            "case.urgency: \"Urgent\" is not one of: low, normal, high, urgent"
        );
        let e = only_problem(&with("status.residence_category", Some(json!("illegal"))));
        assert!(e.starts_with("status.residence_category: \"illegal\" is not one of: resident_registered, short_term_3_months_or_less,"), "{e}");
        let e = only_problem(&with("consent.scope", Some(json!("anyone"))));
        assert_eq!(
            e,
            "consent.scope: \"anyone\" is not one of: this_desk, onward_referral_allowed"
        );
    }

    #[test]
    fn every_enumeration_value_is_accepted() {
        for need in Need::NAMES {
            assert_eq!(check(&with("case.need", Some(json!(need)))), [], "{need}");
        }
        for urgency in Urgency::NAMES {
            assert_eq!(check(&with("case.urgency", Some(json!(urgency)))), []);
        }
        for category in ResidenceCategory::NAMES {
            let doc = with("status.residence_category", Some(json!(category)));
            assert!(from_value(doc).is_ok(), "{category}");
        }
        for scope in ConsentScope::NAMES {
            assert!(from_value(with("consent.scope", Some(json!(scope)))).is_ok());
        }
        for doc in Document::NAMES {
            let d = with("status.documents_held", Some(json!([doc])));
            assert!(from_value(d).is_ok(), "{doc}");
        }
    }

    #[test]
    fn the_schema_version_is_checked() {
        assert_eq!(
            only_problem(&with("schema", Some(json!("referral.v2")))),
            "schema: \"referral.v2\" is not a schema this client reads; it reads \"referral.v1\""
        );
        assert_eq!(
            only_problem(&with("schema", None)),
            "schema: missing required field"
        );
    }

    #[test]
    fn blank_text_is_refused_where_text_is_needed() {
        assert_eq!(
            only_problem(&with("case.summary", Some(json!("  ")))),
            "case.summary: must not be empty"
        );
        assert_eq!(
            only_problem(&with("consent.method", Some(json!("")))),
            "consent.method: must not be empty"
        );
        // ... and allowed where it may stay empty.
        for path in [
            "case.reference",
            "person.municipality",
            "person.contact.phone",
            "person.contact.best_times",
        ] {
            assert_eq!(check(&with(path, Some(json!("")))), [], "{path}");
        }
    }

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(
            only_problem(&with(
                "consent.obtained_at",
                Some(json!("2021-09-17 10:20"))
            )),
            "consent.obtained_at: \"2021-09-17 10:20\" is not an RFC 3339 date and time with \
             an offset, such as 2021-09-17T10:20:00+09:00"
        );
        assert_eq!(
            check(&with(
                "consent.obtained_at",
                Some(json!("2021-09-17T01:20:00Z"))
            )),
            []
        );
    }

    #[test]
    fn documents_held_rules() {
        let docs = |v: Value| with("status.documents_held", Some(v));
        assert_eq!(
            only_problem(&docs(json!([]))),
            "status.documents_held: must list at least one document (\"none\" if the person \
             holds none)"
        );
        assert_eq!(
            only_problem(&docs(json!(["passport", "passport"]))),
            "status.documents_held[1]: \"passport\" is listed more than once"
        );
        assert_eq!(
            only_problem(&docs(json!(["none", "passport"]))),
            "status.documents_held[0]: \"none\" cannot be listed with other documents"
        );
        assert_eq!(
            problems(&docs(json!(["visa", 3]))),
            [
                "status.documents_held[0]: \"visa\" is not one of: immigration_postcard, \
                 passport, proof_of_residency, provisional_release_permit, none",
                "status.documents_held[1]: expected a string, found a number",
            ]
        );
        assert_eq!(
            only_problem(&docs(json!("passport"))),
            "status.documents_held: expected an array, found a string"
        );
        assert!(from_value(docs(json!(["passport", "proof_of_residency"]))).is_ok());
    }

    #[test]
    fn unknown_fields_are_named_at_every_level() {
        assert_eq!(
            only_problem(&with("case.foo", Some(json!(1)))),
            "case.foo: unknown field"
        );
        assert_eq!(
            only_problem(&with("person.contact.email", Some(json!("a@b")))),
            "person.contact.email: unknown field"
        );
        assert_eq!(
            only_problem(&with("version", Some(json!(1)))),
            "version: unknown field"
        );
    }

    #[test]
    fn wrong_types_are_named() {
        assert_eq!(
            only_problem(&with("person.interpreter_needed", Some(json!("yes")))),
            "person.interpreter_needed: expected true or false, found a string"
        );
        assert_eq!(
            only_problem(&with("case.summary", Some(json!(["a"])))),
            "case.summary: expected a string, found an array"
        );
        assert_eq!(
            only_problem(&with("case.need", Some(Value::Null))),
            "case.need: expected a string, found null"
        );
        assert_eq!(
            only_problem(&with("person.contact", Some(json!("080")))),
            "person.contact: expected an object, found a string"
        );
        assert_eq!(
            only_problem(&with("person.prefecture", Some(json!(13)))),
            "person.prefecture: expected a string, found a number"
        );
        assert_eq!(
            only_problem(&with("case.reference", Some(json!(false)))),
            "case.reference: expected a string, found true or false"
        );
    }

    #[test]
    fn the_document_must_be_an_object() {
        assert_eq!(
            problems(&json!([])),
            ["(top level): expected an object, found an array"]
        );
    }

    #[test]
    fn all_problems_are_reported_at_once() {
        let mut doc = with("person.preferred_language", Some(json!("xx")));
        doc["consent"]["recorded"] = json!(false);
        doc["case"]["foo"] = json!(1);
        doc["case"].as_object_mut().unwrap().remove("need");
        assert_eq!(
            problems(&doc),
            [
                "case.need: missing required field",
                "case.foo: unknown field",
                &problems(&with("person.preferred_language", Some(json!("xx"))))[0],
                "consent.recorded: must be true: the caller's consent to this referral must be \
                 recorded before it is sent",
            ]
        );
        assert_eq!(problems(&json!({})).len(), REFERRAL.len());
    }

    #[test]
    fn errors_read_as_a_list() {
        let err = parse("{}").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("the referral is not valid (5 problems):\n  schema: missing"),
            "{text}"
        );
        let one = parse(&with("case.foo", Some(json!(1))).to_string()).unwrap_err();
        assert_eq!(
            one.to_string(),
            "the referral is not valid (1 problem):\n  case.foo: unknown field"
        );
    }

    #[test]
    fn text_that_is_not_json_is_a_syntax_error() {
        let err = parse("{\"schema\": ").unwrap_err();
        assert!(matches!(err, ReferralError::Syntax(_)));
        assert!(
            err.to_string()
                .starts_with("the referral is not valid JSON: EOF while parsing"),
            "{err}"
        );
    }

    #[test]
    fn the_types_refuse_what_the_walk_refuses() {
        // The typed model checks during deserialization, so a `Referral` is
        // valid however it was made.
        for (path, value) in [
            ("consent.recorded", json!(false)),
            ("person.preferred_language", json!("xx")),
            ("person.prefecture", json!("JP-48")),
            ("case.summary", json!(" ")),
            ("consent.obtained_at", json!("soon")),
            ("status.documents_held", json!([])),
            ("status.documents_held", json!(["none", "passport"])),
        ] {
            let doc = with(path, Some(value));
            assert!(!check(&doc).is_empty(), "{path}");
            let direct = serde_json::from_value::<Referral>(doc);
            assert!(direct.is_err(), "{path} deserialized");
        }
        let missing = serde_json::from_value::<Referral>(with("person.contact.other", None));
        assert!(missing.is_err(), "a missing nullable field is refused");
    }

    /// `schema` with any `$ref` followed.
    fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.strip_prefix("#/$defs/").unwrap();
                resolve(root, &root["$defs"][name])
            }
            None => schema,
        }
    }

    fn compare(root: &Value, schema: &Value, fields: &[Field], path: &str) {
        let schema = resolve(root, schema);
        let properties = schema["properties"].as_object().unwrap();
        let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
        let mut in_schema: Vec<&str> = properties.keys().map(String::as_str).collect();
        let mut in_table = names.clone();
        in_schema.sort();
        in_table.sort();
        assert_eq!(in_schema, in_table, "fields of {path:?}");
        let mut required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let mut table_required: Vec<&str> = fields
            .iter()
            .filter(|f| f.required)
            .map(|f| f.name)
            .collect();
        required.sort();
        table_required.sort();
        assert_eq!(required, table_required, "required fields of {path:?}");
        assert_eq!(schema["additionalProperties"], json!(false), "{path:?}");
        for field in fields {
            if let Rule::Object(inner) = field.rule {
                compare(
                    root,
                    &properties[field.name],
                    inner,
                    &join(path, field.name),
                );
            }
        }
    }

    #[test]
    fn the_table_has_the_fields_of_the_types() {
        let schema = crate::referral::json_schema();
        compare(&schema, &schema, REFERRAL, "");
    }

    #[test]
    fn the_blank_has_every_field_in_order() {
        let text = serde_json::to_string(&Blank).unwrap();
        assert!(
            text.starts_with(r#"{"schema":"referral.v1","case":{"reference":"","need":"""#),
            "{text}"
        );
        let blank = serde_json::to_value(Blank).unwrap();
        assert_eq!(blank["person"]["contact"]["other"], Value::Null);
        assert_eq!(blank["person"]["name"], json!(""));
        assert_eq!(blank["status"]["documents_held"], json!([]));
        assert_eq!(blank["consent"]["recorded"], json!(false));
        assert_eq!(blank["person"]["interpreter_needed"], json!(false));
    }

    #[test]
    fn the_blank_fails_only_on_what_a_person_must_fill_in() {
        let blank = serde_json::to_value(Blank).unwrap();
        let paths: Vec<String> = check(&blank).into_iter().map(|e| e.path).collect();
        assert_eq!(
            paths,
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
}
