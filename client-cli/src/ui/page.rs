//! The frame around every page: `<html lang>`, the navigation, the trust
//! state, the language switch and the lock button; and the pages for a
//! refusal and a failure (ADR 0017).
//!
//! Every text that came from a packet, the directory or the broker goes
//! through maud's `(…)`, which escapes it for HTML.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::guard::CSRF_FIELD;
use super::lang;
use super::state::{App, Poll};
use crate::exit::Failure;
use crate::i18n::{Lang, with_lang};
use crate::tr;

/// What the frame of a page needs to know about the request.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The page's language.
    pub lang: Lang,
    /// The session's CSRF token, for forms.
    pub csrf: String,
    /// The path and query of this page, for the language switch to return to.
    pub here: String,
    /// Whether the keys are held.
    pub unlocked: bool,
    /// What the last poll of the broker found.
    pub poll: Option<Poll>,
}

impl FromRequestParts<Arc<App>> for Chrome {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        Ok(Chrome {
            lang: lang::of_headers(&parts.headers),
            csrf: app.csrf().to_string(),
            here: parts
                .uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned()),
            unlocked: app.is_unlocked(),
            poll: app.last_poll(),
        })
    }
}

impl Chrome {
    /// A page: `content` gives its title and body, inside the frame. It is
    /// called inside [`with_lang`], so that its `tr!` speak the page's
    /// language (a handler's own thread may serve any language next).
    pub fn page(&self, content: impl FnOnce() -> (String, Markup)) -> Response {
        self.page_with_status(StatusCode::OK, content)
    }

    /// As [`Chrome::page`], with another status.
    pub fn page_with_status(
        &self,
        status: StatusCode,
        content: impl FnOnce() -> (String, Markup),
    ) -> Response {
        let markup = with_lang(self.lang, || {
            let (title, body) = content();
            self.frame(&title, body)
        });
        (status, markup).into_response()
    }

    /// Runs `work` in the page's language: for text a handler words
    /// outside a page (a form error, a header).
    pub fn words<R>(&self, work: impl FnOnce() -> R) -> R {
        with_lang(self.lang, work)
    }

    /// A failure of the workflow, as a page that says what happened and
    /// what to do next (the workflow's own message, in the page's
    /// language).
    pub fn failure(&self, failure: &Failure) -> Response {
        let status = match failure {
            Failure::User(_) => StatusCode::BAD_REQUEST,
            Failure::BrokerUnreachable(_) => StatusCode::BAD_GATEWAY,
            Failure::Verification(_) => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let message = format!("{:#}", failure.error());
        self.page_with_status(status, || {
            let title = match failure {
                Failure::User(_) => tr!("ui-failure-user"),
                Failure::BrokerUnreachable(_) => tr!("ui-failure-broker"),
                Failure::Verification(_) => tr!("ui-failure-verification"),
            };
            let body = html! {
                p.notice.error role="alert" { (message) }
                p { a href="/" { (tr!("ui-back-home")) } }
            };
            (title, body)
        })
    }

    /// A desk as people know it: its display name in the verified
    /// directory, with its id where the two differ ("Shinjuku IEA
    /// (shinjuku-iea)", in Japanese with full-width brackets); the id alone
    /// before the first poll. Called inside the page's language. The name
    /// is the directory's text: the page escapes it.
    pub fn desk(&self, desk: &referral_protocol::DeskId) -> String {
        match self.poll.as_ref().and_then(|p| p.desk_names.get(desk)) {
            Some(name) if name != desk.as_str() => {
                tr!("ui-desk-named", name = name.as_str(), desk = desk.as_str())
            }
            _ => desk.as_str().to_owned(),
        }
    }

    /// The hidden CSRF field every form carries.
    pub fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name=(CSRF_FIELD) value=(self.csrf); }
    }

    fn frame(&self, title: &str, body: Markup) -> Markup {
        let waiting = self.poll.as_ref().map_or(0, |p| p.waiting);
        let full_title = if waiting > 0 {
            format!("({waiting}) {title} · {}", tr!("ui-app-name"))
        } else {
            format!("{title} · {}", tr!("ui-app-name"))
        };
        html! {
            (DOCTYPE)
            html lang=(self.lang.code()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title data-title=(format!("{title} · {}", tr!("ui-app-name"))) { (full_title) }
                    link rel="stylesheet" href="/assets/app.css";
                    script src="/assets/app.js" defer {}
                }
                body data-waiting=(waiting) {
                    a.skip href="#main" { (tr!("ui-skip-to-content")) }
                    header.top {
                        span.brand { (tr!("ui-app-name")) }
                        @if self.unlocked {
                            nav aria-label=(tr!("ui-nav-label")) {
                                ul {
                                    li { a href="/" { (tr!("ui-nav-inbox")) @if waiting > 0 { " " span.badge id="waiting" { (waiting) } } } }
                                    li { a href="/cases" { (tr!("ui-nav-cases")) } }
                                    li { a href="/new" { (tr!("ui-nav-new")) } }
                                    li { a href="/report" { (tr!("ui-nav-report")) } }
                                    li { a href="/outbox" { (tr!("ui-nav-outbox")) } }
                                    li { a href="/admin" { (tr!("ui-nav-admin")) } }
                                }
                            }
                            form.lock method="post" action="/lock" {
                                (self.csrf_field())
                                button type="submit" { (tr!("ui-lock")) }
                            }
                        }
                        (self.language_switch())
                    }
                    (self.trust_state())
                    main id="main" {
                        h1 { (title) }
                        (body)
                    }
                }
            }
        }
    }

    fn language_switch(&self) -> Markup {
        let back: String = url::form_urlencoded::byte_serialize(self.here.as_bytes()).collect();
        html! {
            nav.languages aria-label=(tr!("ui-language-label")) {
                ul {
                    @for (lang, name) in [(Lang::Ja, "日本語"), (Lang::En, "English"), (Lang::Vi, "Tiếng Việt")] {
                        li {
                            @if lang == self.lang {
                                span aria-current="true" lang=(lang.code()) { (name) }
                            } @else {
                                a href=(format!("/lang?to={}&back={back}", lang.code())) lang=(lang.code()) hreflang=(lang.code()) { (name) }
                            }
                        }
                    }
                }
            }
        }
    }

    fn trust_state(&self) -> Markup {
        html! {
            p.trust id="trust" role="status" {
                @match &self.poll {
                    Some(poll) => { (poll.trust_words()) }
                    None => { (tr!("ui-trust-not-yet")) }
                }
            }
        }
    }
}

/// A refusal before any page: wrong Host, no session, a cross-site request.
/// A bare page in the request's language, with no navigation and nothing
/// of the app's state.
pub fn refusal(lang: Lang, status: StatusCode, message: &str) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                title { (tr!("ui-app-name")) }
                link rel="stylesheet" href="/assets/app.css";
            }
            body {
                main id="main" {
                    h1 { (tr!("ui-app-name")) }
                    p.notice.error role="alert" { (message) }
                }
            }
        }
    };
    (status, markup).into_response()
}
