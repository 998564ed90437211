//! The language `referral` speaks, and its messages (ADR 0012).
//!
//! `main` installs the language once, from `--lang` or the locale; every
//! human message is then looked up with [`tr!`](crate::tr) by a literal key
//! in `locales/<lang>/*.ftl`. Keys are literals so that CI can check that
//! each is defined in every language and used somewhere.
//!
//! `--json` output never comes from here.

pub use referral_i18n::{Arg, Lang};
use std::sync::OnceLock;

use referral_i18n::{Catalog, ProcessCatalog, time};

include!(concat!(env!("OUT_DIR"), "/catalog_sources.rs"));

static CATALOG: ProcessCatalog = ProcessCatalog::new(catalog_sources);

/// One catalog per language, for [`with_lang`]: the web app answers each
/// request in that request's language (ADR 0017).
static EACH_LANG: [OnceLock<Catalog>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];

thread_local! {
    /// The language [`with_lang`] set for the work running on this thread.
    static THREAD_LANG: std::cell::Cell<Option<Lang>> = const { std::cell::Cell::new(None) };
}

/// Sets the process's language, once, in `main`.
pub fn install(lang: Lang) {
    CATALOG.install(lang);
}

/// The catalog of the language [`with_lang`] set on this thread, else the
/// installed one; English where `main` never ran (library tests).
pub fn catalog() -> &'static Catalog {
    match THREAD_LANG.with(std::cell::Cell::get) {
        Some(lang) => {
            let index = Lang::ALL.iter().position(|l| *l == lang).unwrap_or(0);
            EACH_LANG[index].get_or_init(|| Catalog::new(lang, catalog_sources))
        }
        None => CATALOG.get(),
    }
}

/// Runs `work` with every message on this thread in `lang`: the web app
/// runs each request's workflow and page this way, so that an error from
/// the same workflow the CLI runs reaches the page in the page's language.
pub fn with_lang<R>(lang: Lang, work: impl FnOnce() -> R) -> R {
    /// Puts back the language that was set before, even if `work` panics.
    struct Restore(Option<Lang>);
    impl Drop for Restore {
        fn drop(&mut self) {
            THREAD_LANG.with(|cell| cell.set(self.0));
        }
    }
    let _restore = Restore(THREAD_LANG.with(|cell| cell.replace(Some(lang))));
    work()
}

/// The language messages are in.
pub fn lang() -> Lang {
    catalog().lang()
}

/// A message by key, with named placeables:
/// `tr!("sent-to", desk = name, count = n)`.
#[macro_export]
macro_rules! tr {
    ($key:literal) => {
        $crate::i18n::catalog().message($key, &[])
    };
    ($key:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::i18n::catalog().message(
            $key,
            &[$((stringify!($name), $crate::i18n::Arg::from($value))),+],
        )
    };
}

/// A moment for people: local zone, zone named, in the language's order.
pub fn moment(unix_seconds: i64) -> String {
    time::moment(lang(), &time::local_zone(), unix_seconds)
}

/// A date for people, in the local zone.
pub fn date(unix_seconds: i64) -> String {
    time::date(lang(), &time::local_zone(), unix_seconds)
}

/// A broker time, which is rounded to the hour, worded as the hour it
/// stands for ("between 10:00 and 11:00 JST"), so that it never seems to
/// come before a signed time within that hour.
pub fn broker_hour(unix_seconds: i64) -> String {
    let (from, to) = time::hour_span(lang(), &time::local_zone(), unix_seconds);
    crate::tr!("time-broker-hour", from = from, to = to)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{Lang, with_lang};

    #[test]
    fn with_lang_speaks_that_language_on_this_thread_and_then_stops() {
        let before = crate::tr!("inbox-none");
        let japanese = with_lang(Lang::Ja, || crate::tr!("inbox-none"));
        let vietnamese = with_lang(Lang::Vi, || crate::tr!("inbox-none"));
        assert_ne!(japanese, before);
        assert_ne!(vietnamese, japanese);
        assert_eq!(crate::tr!("inbox-none"), before);
        assert_eq!(with_lang(Lang::Ja, super::lang), Lang::Ja);
    }

    use referral_i18n::check::check_catalogs;

    #[test]
    fn catalogs_are_complete_consistent_and_used() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let problems = check_catalogs(&root.join("locales"), &[&root.join("src")], "tr!");
        let report: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            report.is_empty(),
            "catalog problems:\n{}",
            report.join("\n")
        );
    }
}
