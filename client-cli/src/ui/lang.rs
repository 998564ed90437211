//! The language of a page: the switch's cookie, else the browser's
//! `Accept-Language`, else English (ADR 0017).

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;

use crate::i18n::Lang;

/// The cookie the language switch sets.
pub const LANG_COOKIE: &str = "referral_lang";

/// The language to answer a request in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PageLang(of_headers(&parts.headers)))
    }
}

/// The language a request's headers ask for.
pub fn of_headers(headers: &HeaderMap) -> Lang {
    let chosen = CookieJar::from_headers(headers)
        .get(LANG_COOKIE)
        .and_then(|cookie| Lang::from_tag(cookie.value()));
    let browser = || {
        headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
            .and_then(from_accept_language)
    };
    chosen.or_else(browser).unwrap_or(Lang::En)
}

/// The browser's most preferred language that has a catalog (RFC 9110
/// §12.5.4): tags in order of their `q`, ties in the order written, `q=0`
/// meaning "not this one".
pub fn from_accept_language(header: &str) -> Option<Lang> {
    let mut ranked: Vec<(u16, usize, &str)> = header
        .split(',')
        .enumerate()
        .filter_map(|(position, item)| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim();
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1000), parse_quality)?;
            (quality > 0).then_some((quality, position, tag))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked
        .into_iter()
        .find_map(|(_, _, tag)| Lang::from_tag(tag))
}

/// A `q` value as thousandths; `None` if it is not one.
fn parse_quality(text: &str) -> Option<u16> {
    let value: f32 = text.trim().parse().ok()?;
    (0.0..=1.0)
        .contains(&value)
        .then(|| (value * 1000.0).round() as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browsers_first_supported_language_wins() {
        assert_eq!(
            from_accept_language("ja-JP,ja;q=0.9,en;q=0.8"),
            Some(Lang::Ja)
        );
        assert_eq!(
            from_accept_language("fr-FR, vi;q=0.7, en;q=0.5"),
            Some(Lang::Vi)
        );
        assert_eq!(from_accept_language("en;q=0.2, ja;q=0.9"), Some(Lang::Ja));
        assert_eq!(from_accept_language("vi, ja"), Some(Lang::Vi));
    }

    #[test]
    fn refused_unknown_and_malformed_languages_are_passed_over() {
        assert_eq!(from_accept_language("ja;q=0, en"), Some(Lang::En));
        assert_eq!(from_accept_language("de, fr"), None);
        assert_eq!(from_accept_language("ja;q=abc, vi;q=0.1"), Some(Lang::Vi));
        assert_eq!(from_accept_language(""), None);
        assert_eq!(from_accept_language("*"), None);
    }
}
