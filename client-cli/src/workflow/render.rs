//! Showing a referral to a person: labelled sections, the language's English
//! name, the prefecture's name, enumerations in words. It works from the JSON
//! value rather than the typed referral so that a referral from a sender
//! whose software let a mistake through is still shown in full.
//!
//! Every value is the sender's text: single-line fields are shown through
//! [`terminal::line`] and the summary through [`terminal::block`], so no
//! field can move the cursor or start a line that looks like another field.

use std::io::{self, Write};

use serde_json::Value;

use super::receive::ReceivedAttachment;
use crate::referral::reference_data;
use crate::terminal;

/// Where a value starts: two spaces, a 14-column label, a space.
const VALUE_COLUMN: usize = 2 + 14 + 1;

/// Writes `referral` as labelled sections.
pub fn referral(out: &mut dyn Write, referral: &Value) -> io::Result<()> {
    let case = &referral["case"];
    let person = &referral["person"];
    let contact = &person["contact"];
    let status = &referral["status"];
    let consent = &referral["consent"];

    writeln!(out, "Case")?;
    line(out, "reference", text(&case["reference"]))?;
    line(out, "need", words(&case["need"]))?;
    line(out, "urgency", words(&case["urgency"]))?;
    paragraph(out, "summary", text(&case["summary"]))?;

    writeln!(out, "Person")?;
    line(out, "name", text(&person["name"]))?;
    line(out, "language", language(&person["preferred_language"]))?;
    line(
        out,
        "interpreter",
        yes_no(&person["interpreter_needed"], "needed", "not needed"),
    )?;
    line(out, "phone", text(&contact["phone"]))?;
    line(out, "other contact", text(&contact["other"]))?;
    line(out, "best times", text(&contact["best_times"]))?;
    line(
        out,
        "desk may call",
        yes_no(&contact["desk_may_call"], "yes", "no"),
    )?;
    line(out, "prefecture", prefecture(&person["prefecture"]))?;
    line(out, "municipality", text(&person["municipality"]))?;

    writeln!(out, "Residence status")?;
    line(out, "category", words(&status["residence_category"]))?;
    let documents = match &status["documents_held"] {
        Value::Array(items) if !items.is_empty() => {
            items.iter().map(words).collect::<Vec<_>>().join(", ")
        }
        _ => "-".to_owned(),
    };
    line(out, "documents", documents)?;

    writeln!(out, "Consent")?;
    line(out, "recorded", yes_no(&consent["recorded"], "yes", "NO"))?;
    let scope = match consent["scope"].as_str() {
        Some("this_desk") => "this desk only (no onward referral)".to_owned(),
        Some("onward_referral_allowed") => "this desk, and onward referral allowed".to_owned(),
        _ => text(&consent["scope"]),
    };
    line(out, "scope", scope)?;
    line(out, "obtained at", text(&consent["obtained_at"]))?;
    line(out, "method", text(&consent["method"]))?;
    line(out, "in language", language(&consent["language"]))
}

/// Writes the attachment list.
pub fn attachments(out: &mut dyn Write, list: &[ReceivedAttachment]) -> io::Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    writeln!(out, "Attachments")?;
    for a in list {
        write!(
            out,
            "  {}  {}  {} bytes  sha256 {}",
            terminal::line(&a.view.name),
            terminal::line(&a.view.media_type),
            a.view.bytes,
            a.view.sha256
        )?;
        match &a.saved_to {
            Some(path) => writeln!(
                out,
                "  saved to {}",
                terminal::line(&path.display().to_string())
            )?,
            None => writeln!(out, "  (not saved; use --save-attachments DIR)")?,
        }
    }
    Ok(())
}

/// A labelled single-line value.
fn line(out: &mut dyn Write, label: &str, value: String) -> io::Result<()> {
    writeln!(
        out,
        "  {:<14} {}",
        format!("{label}:"),
        terminal::line(&value)
    )
}

/// A labelled value that may span lines, its later lines under its first.
fn paragraph(out: &mut dyn Write, label: &str, value: String) -> io::Result<()> {
    writeln!(
        out,
        "  {:<14} {}",
        format!("{label}:"),
        terminal::block(&value, VALUE_COLUMN)
    )
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

/// An enumeration value in words: `vaccination_voucher` → `vaccination voucher`.
fn words(v: &Value) -> String {
    match v.as_str() {
        Some(s) => s.replace('_', " "),
        None => text(v),
    }
}

fn yes_no(v: &Value, yes: &str, no: &str) -> String {
    match v.as_bool() {
        Some(true) => yes.to_owned(),
        Some(false) => no.to_owned(),
        None => text(v),
    }
}

fn language(v: &Value) -> String {
    match v.as_str().and_then(reference_data::language) {
        Some(l) => format!("{} ({})", l.english_name, l.code),
        None => text(v),
    }
}

fn prefecture(v: &Value) -> String {
    match v.as_str().and_then(reference_data::prefecture) {
        Some(p) => format!("{} ({})", p.name, p.code),
        None => text(v),
    }
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
    }
}
