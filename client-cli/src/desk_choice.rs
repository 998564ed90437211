//! Choosing a desk for a caller: the prefecture and languages a desk
//! declared in the signed directory, in words for people, and the filter
//! `directory --language --prefecture` applies. The codes come from the
//! reference tables in `data/` ([`crate::referral::reference_data`]).

use anyhow::anyhow;
use referral_protocol::directory::DeskRecord;

use crate::exit::Failure;

use crate::referral::{reference_data, words};
use crate::terminal;
use crate::tr;

/// What the caseworker asked for; `None` matches every desk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeskFilter {
    language: Option<String>,
    prefecture: Option<String>,
}

impl DeskFilter {
    /// The filter for the typed codes, refused (exit 1) where a code is not
    /// in the tables, so that a typo does not read as "no desk".
    pub fn new(language: Option<&str>, prefecture: Option<&str>) -> Result<Self, Failure> {
        let language = language
            .map(|typed| {
                reference_data::languages()
                    .iter()
                    .find(|l| l.code.eq_ignore_ascii_case(typed.trim()))
                    .map(|l| l.code.clone())
                    .ok_or_else(|| {
                        Failure::User(anyhow!(tr!(
                            "directory-unknown-language",
                            lang = terminal::line(typed).as_ref()
                        )))
                    })
            })
            .transpose()?;
        let prefecture = prefecture
            .map(|typed| {
                reference_data::prefectures()
                    .iter()
                    .find(|p| p.code.eq_ignore_ascii_case(typed.trim()))
                    .map(|p| p.code.clone())
                    .ok_or_else(|| {
                        Failure::User(anyhow!(tr!(
                            "directory-unknown-prefecture",
                            code = terminal::line(typed).as_ref()
                        )))
                    })
            })
            .transpose()?;
        Ok(Self {
            language,
            prefecture,
        })
    }

    /// Whether any filter was given.
    pub fn is_active(&self) -> bool {
        self.language.is_some() || self.prefecture.is_some()
    }

    /// Whether `desk` declared what was asked for. A desk that declared no
    /// languages (or no prefecture) does not match a filter on them.
    pub fn matches(&self, desk: &DeskRecord) -> bool {
        let language_ok = self.language.as_deref().is_none_or(|wanted| {
            desk.languages
                .as_deref()
                .is_some_and(|list| tags(list).any(|tag| tag.eq_ignore_ascii_case(wanted)))
        });
        let prefecture_ok = self.prefecture.as_deref().is_none_or(|wanted| {
            desk.prefecture
                .as_deref()
                .is_some_and(|p| p.eq_ignore_ascii_case(wanted))
        });
        language_ok && prefecture_ok
    }
}

/// The tags of a comma-separated language list.
fn tags(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim).filter(|t| !t.is_empty())
}

/// A prefecture code in words, in the user's language: `東京都 (JP-13)`,
/// `Tokyo (JP-13)` (the names are the catalogs', `referral::words`). A code
/// not in the table is shown as it is, escaped.
pub fn prefecture_words(code: &str) -> String {
    match words::prefecture(code) {
        Some(name) => format!("{name} ({code})"),
        None => terminal::line(code).into_owned(),
    }
}

/// A language list in words, in the user's language: `ベトナム語 (vi),
/// 日本語 (ja)`. A tag not in the table is shown as it is, escaped.
pub fn languages_words(list: &str) -> String {
    tags(list)
        .map(|tag| match words::language(tag) {
            Some(name) => format!("{name} ({tag})"),
            None => terminal::line(tag).into_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desk(prefecture: Option<&str>, languages: Option<&str>) -> DeskRecord {
        DeskRecord {
            id: "shinjuku-iea".parse().unwrap(),
            name: "Shinjuku".into(),
            prefecture: prefecture.map(str::to_owned),
            languages: languages.map(str::to_owned),
            created_at: 0,
        }
    }

    #[test]
    fn ok_language_and_prefecture_narrow_the_desks() {
        let filter = DeskFilter::new(Some("vi"), Some("jp-13")).unwrap();
        assert!(filter.is_active());
        assert!(filter.matches(&desk(Some("JP-13"), Some("ja,en,vi"))));
        assert!(!filter.matches(&desk(Some("JP-27"), Some("ja,vi"))));
        assert!(!filter.matches(&desk(Some("JP-13"), Some("ja,en"))));
        assert!(!filter.matches(&desk(None, None)));
        let none = DeskFilter::new(None, None).unwrap();
        assert!(!none.is_active());
        assert!(none.matches(&desk(None, None)));
    }

    #[test]
    fn fail_unknown_codes_are_user_errors() {
        let err = DeskFilter::new(Some("xx"), None).unwrap_err();
        assert!(matches!(err, Failure::User(_)));
        let err = DeskFilter::new(None, Some("JP-48")).unwrap_err();
        assert!(err.error().to_string().contains("JP-48"));
    }

    #[test]
    fn ok_codes_in_words() {
        assert_eq!(prefecture_words("JP-13"), "Tokyo (JP-13)");
        assert_eq!(languages_words("vi,en"), "Vietnamese (vi), English (en)");
    }
}
