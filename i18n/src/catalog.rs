//! One language's messages, with English behind it.

use std::borrow::Cow;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

use crate::Lang;

/// A binary's catalog files for one language: `(file name, text)` pairs, as
/// [`crate::build_support`] embeds them.
pub type Sources = fn(Lang) -> &'static [(&'static str, &'static str)];

/// A value for a placeable. Numbers stay numbers, so that Fluent can choose
/// a plural form (CLDR) for them.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// Text, shown as given.
    Text(String),
    /// A count or a size.
    Number(f64),
}

impl From<&str> for Arg {
    fn from(text: &str) -> Self {
        Arg::Text(text.to_owned())
    }
}

impl From<String> for Arg {
    fn from(text: String) -> Self {
        Arg::Text(text)
    }
}

impl From<&String> for Arg {
    fn from(text: &String) -> Self {
        Arg::Text(text.clone())
    }
}

macro_rules! number_arg {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(n: $t) -> Self {
                // Counts and sizes in this product are far below 2^53.
                Arg::Number(n as f64)
            }
        }
    )*};
}
number_arg!(u8, u16, u32, u64, usize, i32, i64);

/// The messages of one language, with the English ones behind them for a
/// key a translation lacks (CI's check makes that never happen; the
/// fallback only keeps a slip from printing a bare key).
pub struct Catalog {
    lang: Lang,
    chosen: FluentBundle<FluentResource>,
    english: FluentBundle<FluentResource>,
}

impl Catalog {
    /// Builds the catalog for `lang` from a binary's embedded sources.
    ///
    /// # Panics
    /// If a catalog file does not parse or repeats a key. The files are
    /// compiled in and checked by every binary's tests, so this is a build
    /// defect, not a runtime condition.
    pub fn new(lang: Lang, sources: Sources) -> Catalog {
        Catalog {
            lang,
            chosen: bundle(lang, sources),
            english: bundle(Lang::En, sources),
        }
    }

    /// The language the messages are in.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The message `key`, with `args` in its placeables.
    pub fn message(&self, key: &str, args: &[(&str, Arg)]) -> String {
        let fluent_args = fluent_args(args);
        format(&self.chosen, key, &fluent_args)
            .or_else(|| format(&self.english, key, &fluent_args))
            .unwrap_or_else(|| key.to_owned())
    }
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The bundles are not `Debug`; the language says which they are.
        f.debug_struct("Catalog")
            .field("lang", &self.lang)
            .finish_non_exhaustive()
    }
}

/// A binary's one catalog for the life of the process: `main` installs the
/// language once; until then (library tests), English.
pub struct ProcessCatalog {
    sources: Sources,
    installed: OnceLock<Catalog>,
}

impl ProcessCatalog {
    /// For a `static`, over the binary's embedded sources.
    pub const fn new(sources: Sources) -> ProcessCatalog {
        ProcessCatalog {
            sources,
            installed: OnceLock::new(),
        }
    }

    /// Sets the language. The first call wins: `main` makes it before any
    /// message is looked up.
    pub fn install(&self, lang: Lang) {
        let _ = self.installed.set(Catalog::new(lang, self.sources));
    }

    /// The installed catalog, or English if none was installed.
    pub fn get(&self) -> &Catalog {
        self.installed
            .get_or_init(|| Catalog::new(Lang::En, self.sources))
    }
}

impl std::fmt::Debug for ProcessCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessCatalog")
            .field("installed", &self.installed.get().map(Catalog::lang))
            .finish_non_exhaustive()
    }
}

fn bundle(lang: Lang, sources: Sources) -> FluentBundle<FluentResource> {
    let id: LanguageIdentifier = lang
        .code()
        .parse()
        .expect("a catalog's language is a valid tag");
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Fluent wraps placeables in Unicode isolation marks by default. A
    // terminal shows them as `<U+2068>` after escaping (ADR 0011), and the
    // text around a placeable here is never of the other direction.
    bundle.set_use_isolating(false);
    for (name, text) in sources(lang) {
        let resource = FluentResource::try_new((*text).to_owned())
            .unwrap_or_else(|(_, errors)| panic!("{}/{name}: {errors:?}", lang.code()));
        bundle
            .add_resource(resource)
            .unwrap_or_else(|errors| panic!("{}/{name}: {errors:?}", lang.code()));
    }
    bundle
}

fn fluent_args<'a>(args: &'a [(&'a str, Arg)]) -> FluentArgs<'a> {
    let mut fluent = FluentArgs::with_capacity(args.len());
    for (name, value) in args {
        let value = match value {
            Arg::Text(text) => FluentValue::String(Cow::Borrowed(text.as_str())),
            Arg::Number(n) => FluentValue::from(*n),
        };
        fluent.set(*name, value);
    }
    fluent
}

fn format(bundle: &FluentBundle<FluentResource>, key: &str, args: &FluentArgs) -> Option<String> {
    let pattern = bundle.get_message(key)?.value()?;
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(args), &mut errors);
    Some(text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(lang: Lang) -> &'static [(&'static str, &'static str)] {
        match lang {
            Lang::En => &[(
                "t.ftl",
                "hello = Hello, { $name }.\nonly-en = English only\nitems = { $count ->\n    [one] one item\n   *[other] { $count } items\n}\n",
            )],
            Lang::Ja => &[(
                "t.ftl",
                "hello = { $name }さん、こんにちは。\nitems = { $count }件\n",
            )],
            Lang::Vi => &[(
                "t.ftl",
                "hello = Xin chào { $name }.\nitems = { $count } mục\n",
            )],
        }
    }

    #[test]
    fn ok_placeables_without_isolation_marks() {
        let ja = Catalog::new(Lang::Ja, sources);
        assert_eq!(
            ja.message("hello", &[("name", "佐藤".into())]),
            "佐藤さん、こんにちは。"
        );
    }

    #[test]
    fn ok_plural_forms_follow_cldr() {
        let en = Catalog::new(Lang::En, sources);
        assert_eq!(en.message("items", &[("count", 1u32.into())]), "one item");
        assert_eq!(en.message("items", &[("count", 3u32.into())]), "3 items");
        let ja = Catalog::new(Lang::Ja, sources);
        assert_eq!(ja.message("items", &[("count", 1u32.into())]), "1件");
    }

    #[test]
    fn ok_missing_translation_falls_back_to_english() {
        let vi = Catalog::new(Lang::Vi, sources);
        assert_eq!(vi.message("only-en", &[]), "English only");
        assert_eq!(vi.message("no-such-key", &[]), "no-such-key");
    }
}
