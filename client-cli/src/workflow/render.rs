//! Showing a referral to a person: labelled sections, the language's and
//! the prefecture's names, enumerations in words, all in the user's
//! language ([`crate::referral::words`]). It works from the JSON
//! value rather than the typed referral so that a referral from a sender
//! whose software let a mistake through is still shown in full.
//!
//! Every value is the sender's text: single-line fields are shown through
//! [`terminal::line`] and the summary through [`terminal::block`]
//! ([`crate::columns`]), so no
//! field can move the cursor or start a line that looks like another field.

use std::io::{self, Write};

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::receive::ReceivedAttachment;
use crate::columns::{line, paragraph};
use crate::referral::words;
use crate::{terminal, tr};

/// One labelled value of a referral, as people read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The label, from the catalog (`reference:`).
    pub label: String,
    /// The value: the sender's text, or words for a code; `-` when empty.
    pub value: String,
    /// Whether the value is a paragraph (the summary) rather than a line.
    pub paragraph: bool,
    /// The value as a moment, where it is a time that parses (the consent's
    /// `obtained_at`): a page shows it in local time. The terminal shows the
    /// value as written.
    pub at: Option<i64>,
}

/// One section of a referral: a heading and its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The heading, from the catalog (`Consent`).
    pub title: String,
    /// The labelled values, in order.
    pub fields: Vec<Field>,
}

fn line_field(label: String, value: String) -> Field {
    Field {
        label,
        value,
        paragraph: false,
        at: None,
    }
}

/// The referral as sections of labelled values in the user's language: the
/// one list both the terminal ([`referral`]) and the web app show. Values
/// are the sender's text unescaped; each front end escapes for its medium.
pub fn sections(referral: &Value) -> Vec<Section> {
    let case = &referral["case"];
    let person = &referral["person"];
    let contact = &person["contact"];
    let status = &referral["status"];
    let consent = &referral["consent"];
    let documents = match &status["documents_held"] {
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|d| in_words(d, words::document))
            .collect::<Vec<_>>()
            .join(&tr!("list-separator")),
        _ => "-".to_owned(),
    };
    vec![
        Section {
            title: tr!("referral-section-case"),
            fields: vec![
                line_field(tr!("referral-label-reference"), text(&case["reference"])),
                line_field(tr!("referral-label-need"), need(referral)),
                line_field(tr!("referral-label-urgency"), urgency(referral)),
                Field {
                    label: tr!("referral-label-summary"),
                    value: text(&case["summary"]),
                    paragraph: true,
                    at: None,
                },
            ],
        },
        Section {
            title: tr!("referral-section-person"),
            fields: vec![
                line_field(tr!("referral-label-name"), text(&person["name"])),
                line_field(
                    tr!("referral-label-language"),
                    language(&person["preferred_language"]),
                ),
                line_field(
                    tr!("referral-label-interpreter"),
                    yes_no(
                        &person["interpreter_needed"],
                        tr!("referral-interpreter-needed"),
                        tr!("referral-interpreter-not-needed"),
                    ),
                ),
                line_field(tr!("referral-label-phone"), text(&contact["phone"])),
                line_field(tr!("referral-label-other-contact"), text(&contact["other"])),
                line_field(
                    tr!("referral-label-best-times"),
                    text(&contact["best_times"]),
                ),
                line_field(
                    tr!("referral-label-desk-may-call"),
                    yes_no(
                        &contact["desk_may_call"],
                        tr!("referral-yes"),
                        tr!("referral-no"),
                    ),
                ),
                line_field(
                    tr!("referral-label-prefecture"),
                    prefecture(&person["prefecture"]),
                ),
                line_field(
                    tr!("referral-label-municipality"),
                    text(&person["municipality"]),
                ),
            ],
        },
        Section {
            title: tr!("referral-section-residence"),
            fields: vec![
                line_field(
                    tr!("referral-label-category"),
                    in_words(&status["residence_category"], words::residence),
                ),
                line_field(tr!("referral-label-documents"), documents),
            ],
        },
        Section {
            title: tr!("referral-section-consent"),
            fields: vec![
                line_field(
                    tr!("referral-label-recorded"),
                    yes_no(
                        &consent["recorded"],
                        tr!("referral-consent-recorded"),
                        tr!("referral-consent-not-recorded"),
                    ),
                ),
                line_field(
                    tr!("referral-label-scope"),
                    in_words(&consent["scope"], words::consent_scope),
                ),
                Field {
                    at: consent["obtained_at"]
                        .as_str()
                        .and_then(super::parse_rfc3339),
                    ..line_field(
                        tr!("referral-label-obtained-at"),
                        text(&consent["obtained_at"]),
                    )
                },
                line_field(tr!("referral-label-method"), text(&consent["method"])),
                line_field(
                    tr!("referral-label-consent-language"),
                    language(&consent["language"]),
                ),
            ],
        },
    ]
}

/// Writes `referral` as labelled sections.
pub fn referral(out: &mut dyn Write, referral: &Value) -> io::Result<()> {
    for section in sections(referral) {
        writeln!(out, "{}", section.title)?;
        for field in &section.fields {
            if field.paragraph {
                paragraph(out, &field.label, &field.value)?;
            } else {
                line(out, &field.label, &field.value)?;
            }
        }
    }
    Ok(())
}

/// The referral's `case.need` in the user's words.
pub fn need(referral: &Value) -> String {
    in_words(&referral["case"]["need"], words::need)
}

/// The referral's `case.urgency` in the user's words.
pub fn urgency(referral: &Value) -> String {
    in_words(&referral["case"]["urgency"], words::urgency)
}

/// Writes the attachment list.
pub fn attachments(out: &mut dyn Write, list: &[ReceivedAttachment]) -> io::Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    writeln!(out, "{}", tr!("attachments-section"))?;
    for a in list {
        write!(
            out,
            "  {}",
            tr!(
                "attachment-line",
                name = terminal::line(&a.view.name).into_owned(),
                media_type = terminal::line(&a.view.media_type).into_owned(),
                bytes = a.view.bytes,
                sha256 = a.view.sha256.as_str()
            )
        )?;
        match &a.saved_to {
            Some(path) => writeln!(
                out,
                "  {}",
                tr!(
                    "attachment-saved-to",
                    path = terminal::line(&path.display().to_string()).into_owned()
                )
            )?,
            None => writeln!(out, "  {}", tr!("attachment-not-saved"))?,
        }
    }
    Ok(())
}

/// A text field; `-` for empty, null or missing.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) if !s.trim().is_empty() => s.clone(),
        Value::Null => "-".to_owned(),
        Value::String(_) => "-".to_owned(),
        other => other.to_string(),
    }
}

/// An enumeration value in the user's words; a value outside the list (a
/// sender's software let it through) is shown as it was written.
fn in_words<T: DeserializeOwned>(v: &Value, words: fn(T) -> String) -> String {
    match T::deserialize(v) {
        Ok(value) => words(value),
        Err(_) => text(v),
    }
}

fn yes_no(v: &Value, yes: String, no: String) -> String {
    match v.as_bool() {
        Some(true) => yes,
        Some(false) => no,
        None => text(v),
    }
}

/// A code with its name: `Vietnamese (vi)`, `ベトナム語（vi）`.
fn with_code(name: Option<String>, v: &Value) -> String {
    match (name, v.as_str()) {
        (Some(name), Some(code)) => tr!("name-with-code", name = name, code = code),
        _ => text(v),
    }
}

fn language(v: &Value) -> String {
    with_code(v.as_str().and_then(words::language), v)
}

fn prefecture(v: &Value) -> String {
    with_code(v.as_str().and_then(words::prefecture), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_shown_with_their_names() {
        let value = serde_json::json!({
            "schema": "referral.v1",
            "case": {"reference": "CW-1", "need": "vaccination_voucher", "urgency": "normal",
                     "summary": "Lost the voucher."},
            "person": {"name": null, "preferred_language": "vi", "interpreter_needed": true,
                       "contact": {"phone": "", "other": null, "best_times": "mornings",
                                   "desk_may_call": false},
                       "prefecture": "JP-13", "municipality": "Shinjuku-ku"},
            "status": {"residence_category": "undocumented", "documents_held": ["passport"]},
            "consent": {"recorded": true, "scope": "this_desk",
                        "obtained_at": "2021-09-17T10:20:00+09:00",
                        "method": "verbal, by phone", "language": "vi"}
        });
        let mut out = Vec::new();
        referral(&mut out, &value).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("Vietnamese (vi)"), "{text}");
        assert!(text.contains("Tokyo (JP-13)"), "{text}");
        assert!(text.contains("vaccination voucher"), "{text}");
        assert!(text.contains("this desk only"), "{text}");
        assert!(text.contains("name:          -"), "{text}");
        let consent = &sections(&value)[3];
        let obtained = &consent.fields[2];
        assert_eq!(obtained.value, "2021-09-17T10:20:00+09:00");
        assert_eq!(obtained.at, Some(1_631_841_600));
        assert!(consent.fields.iter().filter(|f| f.at.is_some()).count() == 1);
    }
}
