//! `cases --search TEXT`: which cases a caseworker means by a reference, a
//! name or a phone number typed from a note or a call. It reads only the
//! decrypted records, on this device; nothing is sent anywhere.

use super::CaseRecord;

/// Whether `record` matches `query`: the query found, ignoring case, in the
/// case's reference or the person's name; or, when the query is a phone
/// number (digits and the separators people write), its digits found in the
/// person's phone digits, so that `080-1234` finds `08012345678`.
pub fn matches(record: &CaseRecord, query: &str) -> bool {
    let wanted = query.trim().to_lowercase();
    if wanted.is_empty() {
        return true;
    }
    let text_match = [
        record.field("case", "reference"),
        record.field("person", "name"),
    ]
    .into_iter()
    .flatten()
    .any(|value| value.to_lowercase().contains(&wanted));
    text_match || phone_matches(record, &wanted)
}

fn phone_matches(record: &CaseRecord, wanted: &str) -> bool {
    let is_phone = wanted
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '+' | '(' | ')' | '.'));
    let wanted_digits = digits(wanted);
    if !is_phone || wanted_digits.is_empty() {
        return false;
    }
    record
        .referral
        .get("person")
        .and_then(|p| p.get("contact"))
        .and_then(|c| c.get("phone"))
        .and_then(|p| p.as_str())
        .is_some_and(|phone| digits(phone).contains(&wanted_digits))
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use referral_protocol::{DeviceId, PacketId, ThreadId};
    use serde_json::json;

    use super::*;

    fn record(reference: &str, name: Option<&str>, phone: Option<&str>) -> CaseRecord {
        CaseRecord::sent(
            ThreadId::random(),
            &"covic-intake".parse().unwrap(),
            &"shinjuku-iea".parse().unwrap(),
            DeviceId::random(),
            PacketId::random(),
            0,
            json!({
                "case": {"reference": reference},
                "person": {"name": name, "contact": {"phone": phone}},
            }),
            Vec::new(),
        )
    }

    #[test]
    fn ok_reference_and_name_ignoring_case() {
        let r = record("CW-2021-0917", Some("Nguyen Thi Example"), None);
        assert!(matches(&r, "cw-2021"));
        assert!(matches(&r, "NGUYEN"));
        assert!(matches(&r, "thi ex"));
        assert!(!matches(&r, "tran"));
    }

    #[test]
    fn ok_phone_on_digits_only() {
        let r = record("CW-1", None, Some("08012345678"));
        assert!(matches(&r, "080-1234"));
        assert!(matches(&r, "2345 678"));
        assert!(!matches(&r, "090-1234"));
        let written = record("CW-2", None, Some("080-1234-5678"));
        assert!(matches(&written, "08012345678"));
    }

    #[test]
    fn fail_words_with_digits_are_not_phone_numbers() {
        // "case 0801" is not a phone number: it must not match the digits.
        let r = record("CW-1", None, Some("08012345678"));
        assert!(!matches(&r, "case 0801"));
    }

    #[test]
    fn ok_missing_fields_match_nothing_but_an_empty_query() {
        let r = record("", None, None);
        assert!(!matches(&r, "x"));
        assert!(!matches(&r, "0801"));
        assert!(matches(&r, "  "));
    }
}
