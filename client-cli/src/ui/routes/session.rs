//! Unlocking, locking and the language switch.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use maud::html;
use secrecy::SecretString;
use serde::Deserialize;

use crate::i18n::Lang;
use crate::keystore::{Keystore, KeystoreError};
use crate::tr;
use crate::ui::guard::{redirect, safe_back};
use crate::ui::lang::LANG_COOKIE;
use crate::ui::page::Chrome;
use crate::ui::state::App;
use crate::ui::work;

/// Where to go once unlocked.
#[derive(Debug, Deserialize)]
pub struct Back {
    back: Option<String>,
}

/// `GET /unlock`: the passphrase form.
pub async fn unlock_page(chrome: Chrome, Query(back): Query<Back>) -> Response {
    if chrome.unlocked {
        return redirect(&safe_back(back.back.as_deref()));
    }
    unlock_form(&chrome, back.back.as_deref(), None, StatusCode::OK)
}

fn unlock_form(
    chrome: &Chrome,
    back: Option<&str>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let back = safe_back(back);
    chrome.page_with_status(status, || {
        let body = html! {
            section {
                p { (tr!("ui-unlock-explain")) }
                form method="post" action="/unlock" {
                    (chrome.csrf_field())
                    input type="hidden" name="back" value=(back);
                    label for="passphrase" { (tr!("ui-unlock-passphrase")) }
                    input #passphrase type="password" name="passphrase" autocomplete="current-password"
                        required autofocus aria-invalid=[error.as_ref().map(|_| "true")]
                        aria-describedby=[error.as_ref().map(|_| "passphrase-error")];
                    @if let Some(error) = &error {
                        p.field-error #passphrase-error role="alert" { (error) }
                    }
                    button type="submit" { (tr!("ui-unlock-button")) }
                }
                p.hint { (tr!("ui-unlock-lock-note")) }
            }
        };
        (tr!("ui-unlock-title"), body)
    })
}

/// The passphrase form's fields.
#[derive(Deserialize)]
pub struct UnlockForm {
    passphrase: String,
    back: Option<String>,
}

impl std::fmt::Debug for UnlockForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnlockForm")
            .field("passphrase", &"[REDACTED]")
            .field("back", &self.back)
            .finish()
    }
}

/// `POST /unlock`: opens the keystore and holds the keys.
pub async fn unlock(
    State(app): State<Arc<App>>,
    chrome: Chrome,
    Form(form): Form<UnlockForm>,
) -> Response {
    let passphrase = SecretString::from(form.passphrase);
    let home = app.ctx.home.clone();
    let opened = work::blocking(chrome.lang, move || {
        Ok(Keystore::unlock(&home, &passphrase))
    })
    .await;
    match opened {
        Ok(Ok(keys)) => {
            app.hold(keys);
            redirect(&safe_back(form.back.as_deref()))
        }
        Ok(Err(KeystoreError::WrongPassphrase)) => {
            let message = chrome.words(|| tr!("ui-unlock-wrong"));
            unlock_form(
                &chrome,
                form.back.as_deref(),
                Some(message),
                StatusCode::UNAUTHORIZED,
            )
        }
        Ok(Err(other)) => chrome.failure(&other.into()),
        Err(failure) => chrome.failure(&failure),
    }
}

/// `POST /lock`: drops the keys.
pub async fn lock(State(app): State<Arc<App>>) -> Response {
    app.lock();
    redirect("/unlock")
}

/// The language switch's query.
#[derive(Debug, Deserialize)]
pub struct Switch {
    to: String,
    back: Option<String>,
}

/// `GET /lang?to=ja&back=/cases`: remembers the language in a cookie and
/// goes back. Changing only how pages read, it needs no CSRF token.
pub async fn switch_language(jar: CookieJar, Query(switch): Query<Switch>) -> Response {
    let Some(lang) = Lang::from_tag(&switch.to) else {
        return (StatusCode::BAD_REQUEST, "unknown language").into_response();
    };
    let cookie = Cookie::build((LANG_COOKIE, lang.code()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .permanent()
        .build();
    (
        jar.add(cookie),
        redirect(&safe_back(switch.back.as_deref())),
    )
        .into_response()
}
