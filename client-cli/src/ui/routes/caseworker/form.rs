//! The new-referral form as data: the fields a browser posts, the referral
//! document they make (the same document `referral new --interactive`
//! builds from its answers), and the validator's problems placed next to
//! the field each concerns, in the page's words.
//!
//! No rule is judged here: [`referral_json`] only arranges what was typed,
//! and [`field_errors`] only words what `referral::validate` found.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::referral::FieldError;
use crate::referral::model::{Document, SchemaVersion};
use crate::tr;

/// The form field naming the desk the referral goes to.
pub const DESK_FIELD: &str = "to";
/// The form field of the files to attach.
pub const FILES_FIELD: &str = "attachments";

/// The free-text fields of the form, by their referral path.
pub const TEXT_FIELDS: [&str; 9] = [
    "case.reference",
    "case.summary",
    "person.name",
    "person.contact.phone",
    "person.contact.other",
    "person.contact.best_times",
    "person.municipality",
    "consent.obtained_at",
    "consent.method",
];

/// What a browser posted: each field's values, in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormValues(BTreeMap<String, Vec<String>>);

impl FormValues {
    /// Adds a value of `name` (a checkbox group has several).
    pub fn push(&mut self, name: &str, value: String) {
        self.0.entry(name.to_owned()).or_default().push(value);
    }

    /// Sets the one value of `name`.
    pub fn set(&mut self, name: &str, value: String) {
        self.0.insert(name.to_owned(), vec![value]);
    }

    /// The first value of `name`, trimmed; empty if none was posted.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .get(name)
            .and_then(|v| v.first())
            .map_or("", |v| v.trim())
    }

    /// Every value of `name`, as posted.
    pub fn all(&self, name: &str) -> &[String] {
        self.0.get(name).map_or(&[], Vec::as_slice)
    }

    /// Whether `name` was given a value that is not blank.
    pub fn given(&self, name: &str) -> bool {
        self.all(name).iter().any(|v| !v.trim().is_empty())
    }
}

/// The referral document of the form's values: every field of schema v1
/// in the shape `referral new --interactive` writes. A choice left empty
/// is left out (the validator then names it as missing); an empty name or
/// other contact is `null`, as in the interactive questions.
pub fn referral_json(form: &FormValues) -> Value {
    let text = |name: &str| Value::from(form.get(name));
    let nullable = |name: &str| match form.get(name) {
        "" => Value::Null,
        given => Value::from(given),
    };
    let mut case = Map::new();
    case.insert("reference".into(), text("case.reference"));
    choice(&mut case, form, "case.need");
    choice(&mut case, form, "case.urgency");
    case.insert("summary".into(), text("case.summary"));

    let mut contact = Map::new();
    contact.insert("phone".into(), text("person.contact.phone"));
    contact.insert("other".into(), nullable("person.contact.other"));
    contact.insert("best_times".into(), text("person.contact.best_times"));
    yes_no(&mut contact, form, "person.contact.desk_may_call");

    let mut person = Map::new();
    person.insert("name".into(), nullable("person.name"));
    choice(&mut person, form, "person.preferred_language");
    yes_no(&mut person, form, "person.interpreter_needed");
    person.insert("contact".into(), Value::Object(contact));
    choice(&mut person, form, "person.prefecture");
    person.insert("municipality".into(), text("person.municipality"));

    let mut status = Map::new();
    choice(&mut status, form, "status.residence_category");
    status.insert(
        "documents_held".into(),
        form.all("status.documents_held")
            .iter()
            .map(|d| Value::from(d.trim()))
            .collect(),
    );

    let mut consent = Map::new();
    consent.insert(
        "recorded".into(),
        Value::Bool(form.get("consent.recorded") == "yes"),
    );
    choice(&mut consent, form, "consent.scope");
    consent.insert("obtained_at".into(), text("consent.obtained_at"));
    consent.insert("method".into(), text("consent.method"));
    choice(&mut consent, form, "consent.language");

    let mut referral = Map::new();
    referral.insert("schema".into(), SchemaVersion::V1.as_str().into());
    referral.insert("case".into(), Value::Object(case));
    referral.insert("person".into(), Value::Object(person));
    referral.insert("status".into(), Value::Object(status));
    referral.insert("consent".into(), Value::Object(consent));
    Value::Object(referral)
}

/// The last part of a referral path: `need` of `case.need`.
fn leaf(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// A choice (a `<select>` or radio group): left out when nothing was chosen.
fn choice(object: &mut Map<String, Value>, form: &FormValues, path: &str) {
    if form.given(path) {
        object.insert(leaf(path).into(), Value::from(form.get(path)));
    }
}

/// A yes/no radio pair: left out when neither was chosen; anything but
/// `yes` or `no` is passed on as posted, for the validator to refuse.
fn yes_no(object: &mut Map<String, Value>, form: &FormValues, path: &str) {
    let value = match form.get(path) {
        "" => return,
        "yes" => Value::Bool(true),
        "no" => Value::Bool(false),
        other => Value::from(other),
    };
    object.insert(leaf(path).into(), value);
}

/// Whether every value is one of `names`.
fn listed(values: &[String], names: &[&str]) -> bool {
    values.iter().all(|v| names.contains(&v.trim()))
}

/// The form field a problem's path is about: `status.documents_held[1]`
/// is the documents group; a whole missing section is its first field.
pub fn field_of(path: &str) -> String {
    let path = path.split('[').next().unwrap_or(path);
    match path {
        "case" => "case.need".to_owned(),
        "person" | "person.contact" => "person.preferred_language".to_owned(),
        "status" => "status.residence_category".to_owned(),
        "consent" => "consent.recorded".to_owned(),
        other => other.to_owned(),
    }
}

/// The validator's problems, each placed at its form field and worded in
/// the page's language (the first problem of a field is the one shown).
/// An empty answer reads "needed"; a choice that is not on the list (only
/// a tampered form posts one) reads "choose from the list"; otherwise each
/// field says what its rule asks for.
pub fn field_errors(form: &FormValues, problems: &[FieldError]) -> BTreeMap<String, String> {
    let mut errors = BTreeMap::new();
    for problem in problems {
        let field = field_of(&problem.path);
        if errors.contains_key(&field) {
            continue;
        }
        let message = match field.as_str() {
            "consent.recorded" => tr!("ui-cw-error-consent"),
            "status.documents_held" if !listed(form.all(&field), Document::NAMES) => {
                tr!("ui-cw-error-not-listed")
            }
            "status.documents_held" if form.given(&field) => tr!("ui-cw-error-documents"),
            "status.documents_held" => tr!("ui-cw-error-documents-none"),
            _ if !form.given(&field) => tr!("ui-cw-error-required"),
            "consent.obtained_at" => tr!("ui-cw-error-time"),
            "case.need"
            | "case.urgency"
            | "person.preferred_language"
            | "person.prefecture"
            | "person.interpreter_needed"
            | "person.contact.desk_may_call"
            | "status.residence_category"
            | "consent.scope"
            | "consent.language" => tr!("ui-cw-error-not-listed"),
            // A field the form does not have (`schema`, an unknown one):
            // the validator's own words.
            _ => problem.to_string(),
        };
        errors.insert(field, message);
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::referral::validate;

    /// A form filled in as a caseworker would.
    fn filled() -> FormValues {
        let mut form = FormValues::default();
        for (name, value) in [
            ("case.reference", "CW-1"),
            ("case.need", "medical"),
            ("case.urgency", "high"),
            ("case.summary", " Needs a clinic "),
            ("person.name", ""),
            ("person.preferred_language", "vi"),
            ("person.interpreter_needed", "yes"),
            ("person.contact.phone", "080-1234-5678"),
            ("person.contact.other", ""),
            ("person.contact.best_times", "mornings"),
            ("person.contact.desk_may_call", "no"),
            ("person.prefecture", "JP-13"),
            ("person.municipality", "Shinjuku"),
            ("status.residence_category", "unknown"),
            ("consent.recorded", "yes"),
            ("consent.scope", "this_desk"),
            ("consent.obtained_at", "2026-12-07T10:20:00+09:00"),
            ("consent.method", "verbal"),
            ("consent.language", "vi"),
        ] {
            form.set(name, value.to_owned());
        }
        form.push("status.documents_held", "passport".to_owned());
        form.push("status.documents_held", "proof_of_residency".to_owned());
        form
    }

    #[test]
    fn a_filled_form_is_a_valid_referral_in_the_interactive_shape() {
        let value = referral_json(&filled());
        assert_eq!(validate::check(&value), []);
        let referral = validate::from_value(value.clone()).expect("valid");
        assert_eq!(referral.case.summary.as_str(), "Needs a clinic");
        assert_eq!(value["person"]["name"], Value::Null);
        assert_eq!(value["person"]["contact"]["other"], Value::Null);
        assert_eq!(value["person"]["interpreter_needed"], true);
        assert_eq!(value["person"]["contact"]["desk_may_call"], false);
        assert_eq!(
            value["status"]["documents_held"],
            serde_json::json!(["passport", "proof_of_residency"])
        );
    }

    #[test]
    fn each_problem_is_placed_at_its_field_in_words() {
        let mut form = filled();
        form.set("case.need", String::new());
        form.set("case.summary", "   ".to_owned());
        form.set("consent.recorded", String::new());
        form.set("consent.obtained_at", "yesterday".to_owned());
        form.push("status.documents_held", "none".to_owned());
        form.set("person.interpreter_needed", "maybe".to_owned());
        let problems = validate::check(&referral_json(&form));
        let errors = field_errors(&form, &problems);
        assert_eq!(
            errors.keys().map(String::as_str).collect::<Vec<_>>(),
            [
                "case.need",
                "case.summary",
                "consent.obtained_at",
                "consent.recorded",
                "person.interpreter_needed",
                "status.documents_held",
            ]
        );
        assert_eq!(errors["case.need"], tr!("ui-cw-error-required"));
        assert_eq!(errors["case.summary"], tr!("ui-cw-error-required"));
        assert_eq!(errors["consent.recorded"], tr!("ui-cw-error-consent"));
        assert_eq!(errors["consent.obtained_at"], tr!("ui-cw-error-time"));
        assert_eq!(
            errors["person.interpreter_needed"],
            tr!("ui-cw-error-not-listed")
        );
        assert_eq!(
            errors["status.documents_held"],
            tr!("ui-cw-error-documents")
        );
    }

    #[test]
    fn no_documents_and_empty_choices_are_asked_for() {
        let form = FormValues::default();
        let errors = field_errors(&form, &validate::check(&referral_json(&form)));
        assert_eq!(
            errors["status.documents_held"],
            tr!("ui-cw-error-documents-none")
        );
        assert_eq!(errors["person.prefecture"], tr!("ui-cw-error-required"));
        assert_eq!(errors["consent.recorded"], tr!("ui-cw-error-consent"));
        let mut tampered = filled();
        tampered.push("status.documents_held", "visa".to_owned());
        let errors = field_errors(&tampered, &validate::check(&referral_json(&tampered)));
        assert_eq!(
            errors["status.documents_held"],
            tr!("ui-cw-error-not-listed")
        );
        let errors = field_errors(&form, &validate::check(&referral_json(&form)));
        assert!(!errors.contains_key("case.reference"), "{errors:?}");
        assert!(!errors.contains_key("person.name"), "{errors:?}");
    }

    #[test]
    fn paths_name_their_form_field() {
        assert_eq!(
            field_of("status.documents_held[2]"),
            "status.documents_held"
        );
        assert_eq!(field_of("person.contact.phone"), "person.contact.phone");
        assert_eq!(field_of("consent"), "consent.recorded");
    }
}
