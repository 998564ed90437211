//! Who may talk to the app, and what every answer carries (ADR 0017 §5):
//! the `Host` allow-list against DNS rebinding, the one-time entry token
//! traded for a session cookie, the cross-site checks on anything that
//! changes state, and the headers that keep pages out of frames, caches
//! and other origins.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HOST, LOCATION, ORIGIN, REFERRER_POLICY,
    SET_COOKIE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use super::lang;
use super::page;
use super::state::{Admission, App};
use crate::i18n::with_lang;
use crate::tr;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "referral_session";
/// The query parameter of the printed URL that carries the entry token.
pub const TOKEN_PARAM: &str = "token";
/// The form field (or, for file uploads, query parameter) with the CSRF token.
pub const CSRF_FIELD: &str = "csrf";
/// The poll route: it does not count as use, so an open tab does not keep
/// the app unlocked.
pub const POLL_PATH: &str = "/api/poll";
/// Where static files live: they hold no secret and are served without a
/// session, so that the "not signed in" page has its style.
pub const ASSETS_PREFIX: &str = "/assets/";
/// The unlock page and the language switch work while locked.
const OPEN_WHILE_LOCKED: [&str; 3] = ["/unlock", "/lang", POLL_PATH];
/// The largest form body read for its CSRF field. Forms with files use
/// multipart and carry the token in the query.
const FORM_LIMIT: usize = 1024 * 1024;

/// The policy for every answer: nothing but the app's own files, no inline
/// or evaluated script, no frames (ADR 0017 §5).
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// Adds the headers every answer carries.
pub async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (CONTENT_SECURITY_POLICY, CSP),
        (CACHE_CONTROL, "no-store"),
        (REFERRER_POLICY, "no-referrer"),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// The checks, in order: Host, session, cross-site, lock.
pub async fn admit(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let lang = lang::of_headers(request.headers());
    // The message is worded inside `with_lang`, so that it speaks the
    // page's language and not this worker thread's.
    let refuse = |status: StatusCode, message: fn() -> String| {
        with_lang(lang, || page::refusal(lang, status, &message()))
    };
    let Some(host) = allowed_host(request.headers(), app.port) else {
        return refuse(StatusCode::MISDIRECTED_REQUEST, || tr!("ui-refused-host"));
    };
    if request.uri().path().starts_with(ASSETS_PREFIX) {
        return next.run(request).await;
    }
    let jar = CookieJar::from_headers(request.headers());
    let cookie = jar.get(SESSION_COOKIE).map(Cookie::value);
    let token = query_value(request.uri(), TOKEN_PARAM);
    match app.admit(cookie, token.as_deref()) {
        Admission::Session => {}
        Admission::Entered(session) => return entered(request.uri(), &session),
        Admission::Refused => {
            return refuse(StatusCode::UNAUTHORIZED, || tr!("ui-refused-no-session"));
        }
    }
    let request = if is_safe(request.method()) {
        request
    } else {
        match same_origin_with_token(&app, &host, request).await {
            Ok(request) => request,
            Err(()) => return refuse(StatusCode::FORBIDDEN, || tr!("ui-refused-cross-site")),
        }
    };
    let path = request.uri().path().to_owned();
    if path != POLL_PATH {
        app.touch();
    }
    if !app.is_unlocked() && !OPEN_WHILE_LOCKED.contains(&path.as_str()) {
        return redirect(&format!(
            "/unlock?back={}",
            encode(&path_and_query(request.uri()))
        ));
    }
    next.run(request).await
}

/// The `Host` header, if it names this app: `127.0.0.1`, `localhost` or
/// `[::1]` with the app's port. Anything else is a name some other site
/// controls (DNS rebinding) or another service.
fn allowed_host(headers: &HeaderMap, port: u16) -> Option<String> {
    let host = headers.get(HOST)?.to_str().ok()?;
    let allowed = ["127.0.0.1", "localhost", "[::1]"]
        .into_iter()
        .any(|name| host == format!("{name}:{port}"));
    allowed.then(|| host.to_owned())
}

fn is_safe(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD
}

/// A state-changing request is served only if the browser says it came
/// from this app (`Sec-Fetch-Site`, `Origin`) and it carries the session's
/// CSRF token, which a page of another origin cannot read.
async fn same_origin_with_token(app: &App, host: &str, request: Request) -> Result<Request, ()> {
    let headers = request.headers();
    if !from_this_app(headers, host) {
        return Err(());
    }
    if let Some(token) = query_value(request.uri(), CSRF_FIELD) {
        return if app.csrf_matches(&token) {
            Ok(request)
        } else {
            Err(())
        };
    }
    let is_form = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(());
    }
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, FORM_LIMIT).await.map_err(|_| ())?;
    let token = url::form_urlencoded::parse(&bytes)
        .find(|(name, _)| name == CSRF_FIELD)
        .map(|(_, value)| value.into_owned());
    match token {
        Some(token) if app.csrf_matches(&token) => {
            Ok(Request::from_parts(parts, Body::from(bytes)))
        }
        _ => Err(()),
    }
}

/// What the browser says of where a request came from: `Sec-Fetch-Site`,
/// if sent, must be `same-origin`; `Origin`, if sent, must be this app.
///
/// One exception: under this app's own `Referrer-Policy: no-referrer`, a
/// browser sends `Origin: null` with every form it posts, even to its own
/// origin (Fetch, "serializing a request origin"). `null` is accepted only
/// when the browser also says `Sec-Fetch-Site: same-origin`, a header no
/// page can set; a `null` origin without it (a sandboxed frame, an old
/// browser) is refused. The form's CSRF token is checked in every case.
fn from_this_app(headers: &HeaderMap, host: &str) -> bool {
    let fetch_site = headers
        .get("sec-fetch-site")
        .map(|v| v.to_str().unwrap_or_default());
    if fetch_site.is_some_and(|site| site != "same-origin") {
        return false;
    }
    match headers.get(ORIGIN).map(|v| v.to_str().unwrap_or_default()) {
        None => true,
        Some("null") => fetch_site == Some("same-origin"),
        Some(origin) => origin == format!("http://{host}"),
    }
}

/// The answer to the first visit: the session cookie, and the same page
/// again without the token, so that the token is not left in the history.
fn entered(uri: &Uri, session: &str) -> Response {
    let cookie = Cookie::build((SESSION_COOKIE, session.to_owned()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .build();
    let kept: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .filter(|(name, _)| name != TOKEN_PARAM)
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let mut target = uri.path().to_owned();
    if !kept.is_empty() {
        target.push('?');
        target.push_str(
            &url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(kept)
                .finish(),
        );
    }
    let mut response = redirect(&target);
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    response
}

/// A 303 to a path of this app.
pub fn redirect(path: &str) -> Response {
    let location = HeaderValue::from_str(path).unwrap_or(HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response()
}

/// A path of this app to go back to after a form, from a query parameter.
/// Only a path on this app (`/…`, not `//…`, which a browser reads as
/// another host) is accepted; anything else goes home.
pub fn safe_back(back: Option<&str>) -> String {
    match back {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn path_and_query(uri: &Uri) -> String {
    uri.path_and_query()
        .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned())
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn query_value(uri: &Uri, name: &str) -> Option<String> {
    url::form_urlencoded::parse(uri.query()?.as_bytes())
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_str(value).expect("a header value"));
        headers
    }

    #[test]
    fn only_loopback_names_with_the_apps_port_are_served() {
        assert!(allowed_host(&host("127.0.0.1:4000"), 4000).is_some());
        assert!(allowed_host(&host("localhost:4000"), 4000).is_some());
        assert!(allowed_host(&host("[::1]:4000"), 4000).is_some());
        assert!(allowed_host(&host("127.0.0.1:4001"), 4000).is_none());
        assert!(allowed_host(&host("attacker.example:4000"), 4000).is_none());
        assert!(allowed_host(&host("127.0.0.1"), 4000).is_none());
        assert!(allowed_host(&HeaderMap::new(), 4000).is_none());
    }

    fn sent(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_str(value).expect("a header value"));
        }
        headers
    }

    #[test]
    fn only_this_apps_own_pages_may_change_state() {
        let host = "127.0.0.1:4000";
        let ok = |pairs: &[(&'static str, &str)]| from_this_app(&sent(pairs), host);
        assert!(ok(&[]));
        assert!(ok(&[("sec-fetch-site", "same-origin")]));
        assert!(ok(&[("origin", "http://127.0.0.1:4000")]));
        // What Chromium sends for a form of this app under no-referrer.
        assert!(ok(&[("sec-fetch-site", "same-origin"), ("origin", "null")]));
        assert!(!ok(&[("origin", "null")]));
        assert!(!ok(&[("sec-fetch-site", "cross-site"), ("origin", "null")]));
        assert!(!ok(&[("sec-fetch-site", "same-site")]));
        assert!(!ok(&[("sec-fetch-site", "none")]));
        assert!(!ok(&[("origin", "http://evil.example")]));
        assert!(!ok(&[("origin", "http://127.0.0.1:4001")]));
        assert!(!ok(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://localhost:4000")
        ]));
    }

    #[test]
    fn back_goes_only_to_a_path_of_this_app() {
        assert_eq!(safe_back(Some("/cases?q=x")), "/cases?q=x");
        assert_eq!(safe_back(Some("//evil.example/")), "/");
        assert_eq!(safe_back(Some("https://evil.example/")), "/");
        assert_eq!(safe_back(Some("/\\evil.example")), "/");
        assert_eq!(safe_back(None), "/");
    }
}
