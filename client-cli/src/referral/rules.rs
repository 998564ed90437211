//! The checks on single values, shared by the typed model (which runs them
//! while deserializing) and the validator (which runs them while walking a
//! document to collect every problem), so that both say the same thing.
//! Each returns the message that follows `path: ` in an error.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::reference_data;

/// Why `consent.recorded: false` is refused.
pub const CONSENT_NOT_RECORDED: &str = "must be true: the caller's consent to this referral \
                                        must be recorded before it is sent";

/// A field that must say something.
pub fn filled(s: &str) -> Result<(), String> {
    if s.trim().is_empty() {
        Err("must not be empty".to_owned())
    } else {
        Ok(())
    }
}

/// A language from `data/languages.csv`.
pub fn language(s: &str) -> Result<(), String> {
    if reference_data::language(s).is_some() {
        return Ok(());
    }
    let known: Vec<&str> = reference_data::languages()
        .iter()
        .map(|l| l.code.as_str())
        .collect();
    Err(format!(
        "{} is not a known language (known: {})",
        quoted(s),
        known.join(", ")
    ))
}

/// A prefecture from `data/prefectures.csv`.
pub fn prefecture(s: &str) -> Result<(), String> {
    if reference_data::prefecture(s).is_some() {
        return Ok(());
    }
    let all = reference_data::prefectures();
    let (first, last) = match (all.first(), all.last()) {
        (Some(f), Some(l)) => (f.code.as_str(), l.code.as_str()),
        _ => ("", ""),
    };
    Err(format!(
        "{} is not a known prefecture (an ISO 3166-2:JP code, {first} to {last})",
        quoted(s)
    ))
}

/// An RFC 3339 date and time, which always carries an offset.
pub fn timestamp(s: &str) -> Result<(), String> {
    match OffsetDateTime::parse(s, &Rfc3339) {
        Ok(_) => Ok(()),
        Err(_) => Err(format!(
            "{} is not an RFC 3339 date and time with an offset, such as \
             2021-09-17T10:20:00+09:00",
            quoted(s)
        )),
    }
}

/// One of a closed list of names.
pub fn choice(s: &str, names: &[&str]) -> Result<(), String> {
    if names.contains(&s) {
        Ok(())
    } else {
        Err(format!("{} is not one of: {}", quoted(s), names.join(", ")))
    }
}

/// The rules on `status.documents_held` as a whole, given its (valid)
/// names: each problem with the index it is about, if any. `none` alone is
/// how a person says they hold nothing, so an empty list is a field nobody
/// filled in rather than an answer.
pub fn documents(names: &[&str]) -> Vec<(Option<usize>, String)> {
    if names.is_empty() {
        return vec![(
            None,
            "must list at least one document (\"none\" if the person holds none)".to_owned(),
        )];
    }
    let mut problems = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if names[..i].contains(name) {
            problems.push((
                Some(i),
                format!("{} is listed more than once", quoted(name)),
            ));
        }
    }
    if names.len() > 1
        && let Some(i) = names.iter().position(|n| *n == "none")
    {
        problems.push((
            Some(i),
            "\"none\" cannot be listed with other documents".to_owned(),
        ));
    }
    problems
}

/// `s` as a JSON string, so that odd characters show as they were written.
pub fn quoted(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filled_refuses_blank_text() {
        assert!(filled("Lost the voucher").is_ok());
        assert_eq!(filled("").unwrap_err(), "must not be empty");
        assert_eq!(filled(" \t\n").unwrap_err(), "must not be empty");
    }

    #[test]
    fn language_names_the_value_and_the_known_codes() {
        assert!(language("vi").is_ok());
        assert!(language("zh-Hant").is_ok());
        let e = language("xx").unwrap_err();
        assert!(
            e.starts_with("\"xx\" is not a known language (known: ja, en, "),
            "{e}"
        );
        assert!(e.ends_with("ru)"), "{e}");
    }

    #[test]
    fn prefecture_names_the_range() {
        assert!(prefecture("JP-47").is_ok());
        assert_eq!(
            prefecture("JP-48").unwrap_err(),
            "\"JP-48\" is not a known prefecture (an ISO 3166-2:JP code, JP-01 to JP-47)"
        );
    }

    #[test]
    fn timestamp_needs_rfc3339_with_an_offset() {
        assert!(timestamp("2021-09-17T10:20:00+09:00").is_ok());
        assert!(timestamp("2021-09-17T01:20:00Z").is_ok());
        assert!(timestamp("2021-09-17T01:20:00.5Z").is_ok());
        for bad in [
            "2021-09-17T10:20:00",
            "2021-09-17",
            "yesterday",
            "",
            "2021-13-01T00:00:00Z",
        ] {
            let e = timestamp(bad).unwrap_err();
            assert!(e.contains("is not an RFC 3339 date and time"), "{bad}: {e}");
        }
    }

    #[test]
    fn choice_lists_the_allowed_names() {
        assert!(choice("low", &["low", "high"]).is_ok());
        assert_eq!(
            choice("Low", &["low", "high"]).unwrap_err(),
            "\"Low\" is not one of: low, high"
        );
    }

    #[test]
    fn documents_must_be_a_nonempty_set_with_none_alone() {
        assert!(documents(&["passport"]).is_empty());
        assert!(documents(&["none"]).is_empty());
        assert!(documents(&["passport", "immigration_postcard"]).is_empty());
        assert_eq!(documents(&[]).len(), 1);
        assert_eq!(
            documents(&["passport", "passport"]),
            [(Some(1), "\"passport\" is listed more than once".to_owned())]
        );
        assert_eq!(
            documents(&["passport", "none"]),
            [(
                Some(1),
                "\"none\" cannot be listed with other documents".to_owned()
            )]
        );
    }

    #[test]
    fn quoted_escapes_like_json() {
        assert_eq!(quoted("a\"b\n"), r#""a\"b\n""#);
    }
}
