//! Which language a process speaks: `--lang`, then the POSIX locale
//! variables, then English.

use std::fmt;

/// A language the catalogs are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English: the fallback, and the language of logs.
    En,
    /// Japanese: the first language of most users.
    Ja,
    /// Vietnamese.
    Vi,
}

impl Lang {
    /// Every language, English first.
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Ja, Lang::Vi];

    /// The BCP 47 tag, which is also the catalog directory's name.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
            Lang::Vi => "vi",
        }
    }

    /// Reads a BCP 47 tag (`ja`, `ja-JP`) or a POSIX locale (`ja_JP.UTF-8`,
    /// `vi_VN@euro`); `None` for a language without a catalog, or for `C`
    /// and `POSIX`.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag
            .split(['_', '-', '.', '@'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        Lang::ALL.into_iter().find(|lang| lang.code() == primary)
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// `--lang` named a language without a catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no messages in \"{0}\"; the languages are en, ja and vi")]
pub struct UnsupportedLang(pub String);

/// The language to speak: the `--lang` flag if given (which must name a
/// catalog: a typo should not silently fall back), else the first of
/// `LC_ALL`, `LC_MESSAGES` and `LANG` that is set and not empty (POSIX
/// precedence; an unsupported one means English), else English.
///
/// `env` reads a variable; it is a parameter so that tests need not touch
/// the process environment.
pub fn negotiate(
    flag: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Lang, UnsupportedLang> {
    if let Some(flag) = flag {
        return Lang::from_tag(flag).ok_or_else(|| UnsupportedLang(flag.to_owned()));
    }
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .into_iter()
        .filter_map(&env)
        .find(|value| !value.is_empty());
    Ok(locale
        .as_deref()
        .and_then(Lang::from_tag)
        .unwrap_or(Lang::En))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        }
    }

    #[test]
    fn ok_flag_wins_over_the_environment() {
        assert_eq!(
            negotiate(Some("vi"), env(&[("LC_ALL", "ja_JP.UTF-8")])),
            Ok(Lang::Vi)
        );
        assert_eq!(negotiate(Some("ja-JP"), env(&[])), Ok(Lang::Ja));
    }

    #[test]
    fn ok_posix_precedence() {
        let vars = [
            ("LC_ALL", "vi_VN.UTF-8"),
            ("LC_MESSAGES", "ja_JP"),
            ("LANG", "en_US"),
        ];
        assert_eq!(negotiate(None, env(&vars)), Ok(Lang::Vi));
        assert_eq!(negotiate(None, env(&vars[1..])), Ok(Lang::Ja));
        assert_eq!(
            negotiate(None, env(&[("LC_ALL", ""), ("LANG", "ja_JP.UTF-8")])),
            Ok(Lang::Ja)
        );
    }

    #[test]
    fn ok_unknown_or_absent_locale_is_english() {
        assert_eq!(negotiate(None, env(&[])), Ok(Lang::En));
        assert_eq!(negotiate(None, env(&[("LANG", "C.UTF-8")])), Ok(Lang::En));
        // The first set variable decides, as in POSIX: French here, so English.
        assert_eq!(
            negotiate(None, env(&[("LC_ALL", "fr_FR"), ("LANG", "ja_JP")])),
            Ok(Lang::En)
        );
    }

    #[test]
    fn fail_flag_without_a_catalog() {
        assert_eq!(
            negotiate(Some("fr"), env(&[])),
            Err(UnsupportedLang("fr".to_owned()))
        );
    }
}
