//! `referral ui`'s defences (issue 21; ADR 0017 §5), over HTTP with no
//! browser, against the real binaries: a real broker and an enrolled desk
//! device whose app is started as a person starts it.
//!
//! - who may talk to it: no cookie and no token, a wrong token, the token
//!   used twice → 401; the first visit trades the token for an HttpOnly,
//!   SameSite=Strict cookie and a URL without it;
//! - DNS rebinding: any `Host` but the app's own → 421, cookie or not;
//! - CSRF: a POST from another site, from another origin or without the
//!   form's token → 403, and nothing changed;
//! - the headers of every answer (CSP, no-store, no-referrer), refusals
//!   included;
//! - only loopback: any other `--listen` exits 2 before printing anything;
//! - the lock after idle time, and the passphrase asked again;
//! - the language of the browser, and the switch that overrides it.

use std::time::Duration;

use referral_cli::i18n::{Lang, with_lang};
use referral_e2e::Device;
use referral_e2e::deployment::Deployment;
use referral_e2e::ui::{UiApp, csrf_in};
use reqwest::StatusCode;
use reqwest::blocking::Response;
use reqwest::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, HOST, LOCATION, ORIGIN,
    REFERRER_POLICY, SET_COOKIE,
};
use secrecy::ExposeSecret;

/// The policy ADR 0017 §5 writes down, word for word.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// A deployment with one desk and its enrolled desk device.
fn desk_device() -> (Deployment, Device) {
    let d = Deployment::start(&["desk-a"]);
    let (device, _) = d.enroll("desk-a", "desk");
    (d, device)
}

/// A message of the app's catalogs in `lang`, as the pages word it.
fn words(lang: Lang, key: &str) -> String {
    with_lang(lang, || match key {
        "ui-inbox-title" => referral_cli::tr!("ui-inbox-title"),
        "ui-unlock-title" => referral_cli::tr!("ui-unlock-title"),
        "ui-unlock-wrong" => referral_cli::tr!("ui-unlock-wrong"),
        "ui-refused-no-session" => referral_cli::tr!("ui-refused-no-session"),
        "ui-refused-host" => referral_cli::tr!("ui-refused-host"),
        "ui-refused-cross-site" => referral_cli::tr!("ui-refused-cross-site"),
        other => panic!("no such message in this test: {other}"),
    })
}

/// The app's port, from its base URL.
fn port(app: &UiApp) -> u16 {
    reqwest::Url::parse(&app.base)
        .expect("a URL")
        .port()
        .expect("a port")
}

/// The session cookie a first visit set, as a `Cookie` header value.
fn session_cookie(entered: &Response) -> String {
    let set = entered
        .headers()
        .get(SET_COOKIE)
        .expect("the first visit sets a cookie")
        .to_str()
        .expect("an ASCII cookie");
    set.split(';').next().expect("name=value").trim().to_owned()
}

/// Asserts the headers every answer carries (ADR 0017 §5).
fn assert_guarded(what: &str, response: &Response) {
    let header = |name: reqwest::header::HeaderName| {
        response
            .headers()
            .get(&name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{what}: no {name} header"))
            .to_owned()
    };
    let csp = header(CONTENT_SECURITY_POLICY);
    assert_eq!(csp, CSP, "{what}: the Content-Security-Policy");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{what}: no inline or evaluated script: {csp}"
    );
    assert!(csp.contains("default-src 'self'"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert_eq!(header(CACHE_CONTROL), "no-store", "{what}: Cache-Control");
    assert_eq!(
        header(REFERRER_POLICY),
        "no-referrer",
        "{what}: Referrer-Policy"
    );
    assert_eq!(
        header(reqwest::header::X_CONTENT_TYPE_OPTIONS),
        "nosniff",
        "{what}: X-Content-Type-Options"
    );
}

/// `GET path` with `cookie` (if any) and `host` (if any) by a client that
/// follows no redirect.
fn get(app: &UiApp, path: &str, cookie: Option<&str>, host: Option<&str>) -> Response {
    let mut request = UiApp::stranger().get(format!("{}{path}", app.base));
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    if let Some(host) = host {
        request = request.header(HOST, host);
    }
    request.send().unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

#[test]
fn ui_security_entry_token_host_headers_and_language() {
    let (_d, device) = desk_device();
    let app = UiApp::start(&device, &[]);
    let port = port(&app);
    let entry = reqwest::Url::parse(&app.entry_url).expect("the printed URL");
    let token = entry
        .query_pairs()
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value.into_owned())
        .expect("the printed URL carries the token");
    assert!(
        token.len() >= 32 && token.chars().all(|c| c.is_ascii_hexdigit()),
        "the token holds at least 128 bits: {token}"
    );

    // Neither a cookie nor the token: 401, with the headers, in the
    // browser's language, saying what to do.
    let refused = get(&app, "/", None, None);
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_guarded("a 401", &refused);
    assert!(
        refused
            .text()
            .expect("a page")
            .contains(&words(Lang::En, "ui-refused-no-session"))
    );
    assert_eq!(
        get(&app, "/unlock", None, None).status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&app, "/api/poll", None, None).status(),
        StatusCode::UNAUTHORIZED
    );

    // A wrong token, of the right length or not: 401.
    let wrong = "0".repeat(token.len());
    for guess in [wrong.as_str(), "", &token[..token.len() - 1]] {
        let response = get(&app, &format!("/?token={guess}"), None, None);
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "token {guess:?}"
        );
        assert!(response.headers().get(SET_COOKIE).is_none());
    }

    // The right token: a 303 to the same page without it, and the cookie.
    let entered = get(&app, &format!("/?token={token}"), None, None);
    assert_eq!(entered.status(), StatusCode::SEE_OTHER);
    assert_guarded("the first visit", &entered);
    let location = entered
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("a Location");
    assert_eq!(location, "/", "the token is not left in the URL");
    let set_cookie = entered
        .headers()
        .get(SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("a Set-Cookie")
        .to_owned();
    let attributes: Vec<String> = set_cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    for wanted in ["httponly", "samesite=strict", "path=/"] {
        assert!(
            attributes.iter().any(|a| a == wanted),
            "the session cookie is {wanted}: {set_cookie}"
        );
    }
    let cookie = session_cookie(&entered);
    let session_value = cookie.split_once('=').expect("name=value").1;
    assert_ne!(session_value, token, "the cookie is not the token");

    // The token again, from anyone: 401. It was good once.
    let again = get(&app, &format!("/?token={token}"), None, None);
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    assert!(again.headers().get(SET_COOKIE).is_none());
    let again = get(&app, &format!("/?token={token}"), Some(&cookie), None);
    assert_ne!(
        again.status(),
        StatusCode::SEE_OTHER,
        "a spent token gives no new session"
    );

    // The cookie is the session: the inbox, with the headers.
    let inbox = get(&app, "/", Some(&cookie), None);
    assert_eq!(inbox.status(), StatusCode::OK);
    assert_guarded("the inbox", &inbox);
    assert!(
        inbox
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html")),
        "pages are HTML"
    );
    let body = inbox.text().expect("a page");
    assert!(body.contains("<html lang=\"en\">"), "{body}");
    assert!(body.contains(&words(Lang::En, "ui-inbox-title")));
    // `localhost` with the app's port is the app too.
    let local = get(&app, "/", Some(&cookie), Some(&format!("localhost:{port}")));
    assert_eq!(local.status(), StatusCode::OK);

    // Any other Host is someone else's name for this address (DNS
    // rebinding) or another service: 421, even with the session's cookie,
    // and the style sheet too.
    let other_port = if port == u16::MAX { port - 1 } else { port + 1 };
    for host in [
        format!("evil.example:{port}"),
        format!("127.0.0.1:{other_port}"),
        format!("localhost.evil.example:{port}"),
        "127.0.0.1".to_owned(),
    ] {
        for path in ["/", "/unlock", "/api/poll", "/assets/app.css"] {
            let response = get(&app, path, Some(&cookie), Some(&host));
            assert_eq!(
                response.status(),
                StatusCode::MISDIRECTED_REQUEST,
                "Host {host} {path}"
            );
            assert_guarded("a 421", &response);
            let body = response.text().expect("a page");
            assert!(body.contains(&words(Lang::En, "ui-refused-host")), "{body}");
            assert!(
                !body.contains(&words(Lang::En, "ui-inbox-title")),
                "a 421 shows nothing of the app: {body}"
            );
        }
    }

    // A page that does not exist, and the style sheet: the same headers.
    let missing = get(&app, "/no-such-page", Some(&cookie), None);
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_guarded("a 404", &missing);
    let missing_asset = get(&app, "/assets/nothing.js", Some(&cookie), None);
    assert_eq!(missing_asset.status(), StatusCode::NOT_FOUND);
    assert_guarded("a missing asset", &missing_asset);
    let css = get(&app, "/assets/app.css", None, None);
    assert_eq!(css.status(), StatusCode::OK);
    assert_guarded("/assets/app.css", &css);
    let script = get(&app, "/assets/app.js", None, None);
    assert_eq!(script.status(), StatusCode::OK);
    assert_guarded("/assets/app.js", &script);

    // The language: the browser's, unless the switch chose another.
    let in_lang = |accept: &str, cookie: &str| {
        UiApp::stranger()
            .get(format!("{}/", app.base))
            .header(COOKIE, cookie)
            .header(reqwest::header::ACCEPT_LANGUAGE, accept)
            .send()
            .expect("GET /")
            .text()
            .expect("a page")
    };
    let japanese = in_lang("ja-JP,ja;q=0.9,en;q=0.5", &cookie);
    assert!(japanese.contains("<html lang=\"ja\">"), "{japanese}");
    assert!(japanese.contains(&words(Lang::Ja, "ui-inbox-title")));
    assert!(japanese.contains("ロック"), "Japanese words: {japanese}");
    let vietnamese = in_lang("vi", &cookie);
    assert!(vietnamese.contains("<html lang=\"vi\">"), "{vietnamese}");
    assert!(vietnamese.contains(&words(Lang::Vi, "ui-inbox-title")));
    // A refusal speaks the browser's language too.
    let refused_ja = UiApp::stranger()
        .get(format!("{}/", app.base))
        .header(reqwest::header::ACCEPT_LANGUAGE, "ja")
        .send()
        .expect("GET /");
    assert_eq!(refused_ja.status(), StatusCode::UNAUTHORIZED);
    let refused_ja = refused_ja.text().expect("a page");
    assert!(refused_ja.contains("<html lang=\"ja\">"));
    assert!(refused_ja.contains(&words(Lang::Ja, "ui-refused-no-session")));
    let foreign_ja = UiApp::stranger()
        .get(format!("{}/", app.base))
        .header(HOST, format!("evil.example:{port}"))
        .header(reqwest::header::ACCEPT_LANGUAGE, "ja")
        .send()
        .expect("GET /")
        .text()
        .expect("a page");
    assert!(foreign_ja.contains("<html lang=\"ja\">"));
    assert!(foreign_ja.contains(&words(Lang::Ja, "ui-refused-host")));

    let switched = UiApp::stranger()
        .get(format!("{}/lang?to=en&back=/", app.base))
        .header(COOKIE, &cookie)
        .header(reqwest::header::ACCEPT_LANGUAGE, "ja")
        .send()
        .expect("the language switch");
    assert_eq!(switched.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        switched
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok()),
        Some("/")
    );
    let lang_cookie = session_cookie(&switched);
    let english = in_lang("ja", &format!("{cookie}; {lang_cookie}"));
    assert!(english.contains("<html lang=\"en\">"), "{english}");
    assert!(english.contains(&words(Lang::En, "ui-inbox-title")));
    // The switch returns only to a page of the app.
    let away = UiApp::stranger()
        .get(format!("{}/lang?to=ja&back=//evil.example/", app.base))
        .header(COOKIE, &cookie)
        .send()
        .expect("the language switch");
    assert_eq!(
        away.headers().get(LOCATION).and_then(|v| v.to_str().ok()),
        Some("/")
    );
}

#[test]
fn ui_security_cross_site_posts_are_refused_and_change_nothing() {
    let (_d, device) = desk_device();
    let app = UiApp::start(&device, &[]);
    assert!(app.enter().status().is_success());
    let csrf = app.csrf();
    let port = port(&app);
    let lock = format!("{}/lock", app.base);
    let still_unlocked = |what: &str| {
        let response = app.get("/");
        assert_eq!(response.status(), StatusCode::OK, "{what}");
        assert_eq!(response.url().path(), "/", "{what}: the inbox still loads");
        let body = response.text().expect("a page");
        assert!(body.contains(&words(Lang::En, "ui-inbox-title")), "{what}");
        let poll: serde_json::Value = app.get("/api/poll").json().expect("JSON");
        assert_eq!(poll["locked"], false, "{what}");
    };
    let refused = |what: &str, response: Response| {
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{what}");
        assert_guarded(what, &response);
        let body = response.text().expect("a page");
        assert!(
            body.contains(&words(Lang::En, "ui-refused-cross-site")),
            "{what}: {body}"
        );
        still_unlocked(what);
    };
    let form = [("csrf", csrf.as_str())];

    // The browser says another site sent it.
    for site in ["cross-site", "same-site", "none"] {
        refused(
            &format!("Sec-Fetch-Site: {site}"),
            app.client
                .post(&lock)
                .header("Sec-Fetch-Site", site)
                .header(ORIGIN, &app.base)
                .form(&form)
                .send()
                .expect("POST /lock"),
        );
    }
    // Another origin, even with the right token.
    for origin in [
        "http://evil.example".to_owned(),
        format!("http://evil.example:{port}"),
        format!("http://127.0.0.1:{}", port.wrapping_add(1)),
        "null".to_owned(),
    ] {
        refused(
            &format!("Origin: {origin}"),
            app.client
                .post(&lock)
                .header(ORIGIN, origin.as_str())
                .form(&form)
                .send()
                .expect("POST /lock"),
        );
    }
    // `Origin: null` is what a browser sends with this app's own forms
    // under `Referrer-Policy: no-referrer`; it is taken only with the
    // browser's word that the page was this app's (`Sec-Fetch-Site:
    // same-origin`), never from another site.
    refused(
        "Origin: null from another site",
        app.client
            .post(&lock)
            .header("Sec-Fetch-Site", "cross-site")
            .header(ORIGIN, "null")
            .form(&form)
            .send()
            .expect("POST /lock"),
    );
    // Same origin, but no token, a wrong one, or one a page of another
    // site could send without reading ours (a text/plain form).
    refused(
        "no CSRF token",
        app.client
            .post(&lock)
            .header("Sec-Fetch-Site", "same-origin")
            .header(ORIGIN, &app.base)
            .form(&[("other", "x")])
            .send()
            .expect("POST /lock"),
    );
    refused(
        "a wrong CSRF token",
        app.client
            .post(&lock)
            .header(ORIGIN, &app.base)
            .form(&[("csrf", "0".repeat(csrf.len()).as_str())])
            .send()
            .expect("POST /lock"),
    );
    refused(
        "a wrong CSRF token in the query",
        app.client
            .post(format!("{lock}?csrf={}", "0".repeat(csrf.len())))
            .header(ORIGIN, &app.base)
            .form(&form)
            .send()
            .expect("POST /lock"),
    );
    refused(
        "a text/plain form",
        app.client
            .post(&lock)
            .header(CONTENT_TYPE, "text/plain")
            .body(format!("csrf={csrf}"))
            .send()
            .expect("POST /lock"),
    );
    // Without the session cookie, even the right form token is not enough.
    let stranger = UiApp::stranger()
        .post(&lock)
        .header(ORIGIN, &app.base)
        .form(&form)
        .send()
        .expect("POST /lock");
    assert_eq!(stranger.status(), StatusCode::UNAUTHORIZED);
    still_unlocked("no session");

    // The app's own form locks it: the refusals above were the checks, not
    // a route that does nothing.
    let locked = app.post_form("/lock", &[]);
    assert_eq!(locked.url().path(), "/unlock");
    let poll: serde_json::Value = app.get("/api/poll").json().expect("JSON");
    assert_eq!(poll["locked"], true);

    // Nor can another site unlock it with a passphrase it guessed (login
    // CSRF): refused before the passphrase is looked at.
    let passphrase = device.passphrase();
    let cross_unlock = app
        .client
        .post(format!("{}/unlock", app.base))
        .header("Sec-Fetch-Site", "cross-site")
        .form(&[
            ("csrf", csrf.as_str()),
            ("passphrase", passphrase.expose_secret()),
        ])
        .send()
        .expect("POST /unlock");
    assert_eq!(cross_unlock.status(), StatusCode::FORBIDDEN);
    let poll: serde_json::Value = app.get("/api/poll").json().expect("JSON");
    assert_eq!(poll["locked"], true, "a cross-site unlock did nothing");
}

#[test]
fn ui_security_only_loopback_is_listened_on() {
    let device = Device::new("unused passphrase");
    for address in ["0.0.0.0:0", "192.168.0.1:0", "[::]:0", "10.0.0.1:8080"] {
        let stderr = device.run_fails(&["--json", "ui", "--no-open", "--listen", address], 2);
        assert!(
            stderr.contains("loopback"),
            "--listen {address}: says why: {stderr}"
        );
    }
}

#[test]
fn ui_security_locks_after_idle_time_and_asks_again() {
    let (_d, device) = desk_device();
    let app = UiApp::start(&device, &["--lock-after", "3s"]);
    let entered = get(
        &app,
        &format!(
            "/?token={}",
            reqwest::Url::parse(&app.entry_url)
                .expect("URL")
                .query_pairs()
                .find(|(n, _)| n == "token")
                .expect("token")
                .1
        ),
        None,
        None,
    );
    assert_eq!(entered.status(), StatusCode::SEE_OTHER);
    let cookie = session_cookie(&entered);
    let inbox = get(&app, "/", Some(&cookie), None);
    assert_eq!(inbox.status(), StatusCode::OK);
    let csrf = csrf_in(&inbox.text().expect("a page")).expect("the lock button's form");

    // Polling is not use: an open tab does not keep the app unlocked.
    for _ in 0..4 {
        std::thread::sleep(Duration::from_secs(1));
        let _ = get(&app, "/api/poll", Some(&cookie), None);
    }
    std::thread::sleep(Duration::from_millis(500));

    let poll: serde_json::Value = get(&app, "/api/poll", Some(&cookie), None)
        .json()
        .expect("JSON");
    assert_eq!(
        poll,
        serde_json::json!({"locked": true, "waiting": 0, "trust": null})
    );
    let page = get(&app, "/", Some(&cookie), None);
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        page.headers().get(LOCATION).and_then(|v| v.to_str().ok()),
        Some("/unlock?back=%2F")
    );
    let unlock_page = get(&app, "/unlock?back=%2F", Some(&cookie), None);
    assert_eq!(unlock_page.status(), StatusCode::OK);
    let unlock_page = unlock_page.text().expect("a page");
    assert!(unlock_page.contains(&words(Lang::En, "ui-unlock-title")));
    assert!(
        !unlock_page.contains("action=\"/lock\""),
        "a locked app offers no lock button and no navigation"
    );

    let post_unlock = |passphrase: &str| {
        UiApp::stranger()
            .post(format!("{}/unlock", app.base))
            .header(COOKIE, &cookie)
            .header(ORIGIN, &app.base)
            .header("Sec-Fetch-Site", "same-origin")
            .form(&[
                ("csrf", csrf.as_str()),
                ("back", "/"),
                ("passphrase", passphrase),
            ])
            .send()
            .expect("POST /unlock")
    };
    // The wrong passphrase: 401, the form again, the error next to the field.
    let wrong = post_unlock("not the passphrase");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_guarded("a wrong passphrase", &wrong);
    let wrong = wrong.text().expect("a page");
    let field = wrong
        .split('<')
        .find(|tag| tag.starts_with("input") && tag.contains("id=\"passphrase\""))
        .expect("the passphrase field");
    assert!(field.contains("aria-invalid=\"true\""), "{field}");
    assert!(
        field.contains("aria-describedby=\"passphrase-error\""),
        "{field}"
    );
    assert!(
        wrong.contains(&format!(
            "id=\"passphrase-error\" role=\"alert\">{}",
            words(Lang::En, "ui-unlock-wrong")
        )) || wrong.contains(&format!(
            "role=\"alert\" id=\"passphrase-error\">{}",
            words(Lang::En, "ui-unlock-wrong")
        )),
        "the error is the field's description: {wrong}"
    );
    assert!(
        !wrong.contains("not the passphrase"),
        "the typed passphrase is not sent back"
    );
    assert_eq!(
        get(&app, "/", Some(&cookie), None).status(),
        StatusCode::SEE_OTHER,
        "still locked"
    );

    // The right one: unlocked, back where the person was.
    let passphrase = device.passphrase();
    let right = post_unlock(passphrase.expose_secret());
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        right.headers().get(LOCATION).and_then(|v| v.to_str().ok()),
        Some("/")
    );
    let inbox = get(&app, "/", Some(&cookie), None);
    assert_eq!(inbox.status(), StatusCode::OK);
    assert!(
        inbox
            .text()
            .expect("a page")
            .contains(&words(Lang::En, "ui-inbox-title"))
    );
    let poll: serde_json::Value = get(&app, "/api/poll", Some(&cookie), None)
        .json()
        .expect("JSON");
    assert_eq!(poll["locked"], false);
}
