//! `GET /new`, `POST /new`: the new-referral form, every field of schema
//! v1; and `GET /new/sent/{thread}`, the page that says it went.
//!
//! The choices are those `referral new --interactive` offers, in the same
//! words; the desks are the verified directory's, as `referral directory`
//! lists them; the document is judged by `referral::validate` and sent by
//! [`send::send_referral`], the function `referral send` calls.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::anyhow;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use referral_protocol::{DeskId, ThreadId};

use super::form::{self, DESK_FIELD, FILES_FIELD, FormValues};
use super::uploads;
use crate::cases::CaseStore;
use crate::cli::DirectoryArgs;
use crate::commands::directory::{self, DirectoryReport};
use crate::commands::new_interactive::{self, Choice};
use crate::commands::send;
use crate::desk_choice;
use crate::exit::Failure;
use crate::referral::model::{ConsentScope, Document, Need, ResidenceCategory, Urgency};
use crate::referral::{validate, words};
use crate::tr;
use crate::ui::guard::{CSRF_FIELD, redirect};
use crate::ui::page::Chrome;
use crate::ui::state::App;
use crate::ui::work;
use crate::workflow::{attachments, unix_now};

/// The largest post read: the broker's default packet limit (64 MiB) and
/// room for the form's fields.
pub const BODY_LIMIT: usize = 65 * 1024 * 1024;

/// A desk the referral may go to, as the picker shows it.
#[derive(Debug, Clone)]
pub struct DeskOption {
    /// Its id.
    pub id: DeskId,
    /// Its display name (an administrator's free text).
    pub name: String,
    /// Its languages in words, if it declared any.
    pub languages: Option<String>,
    /// Its prefecture in words, if it declared one.
    pub prefecture: Option<String>,
}

/// The desks of the directory other than this device's own, in words.
fn desk_options(report: &DirectoryReport) -> Vec<DeskOption> {
    report
        .desks
        .iter()
        .filter(|desk| !desk.devices.iter().any(|d| d.this_device))
        .map(|desk| DeskOption {
            id: desk.desk.clone(),
            name: desk.name.clone(),
            languages: desk.languages.as_deref().map(desk_choice::languages_words),
            prefecture: desk
                .prefecture
                .as_deref()
                .map(desk_choice::prefecture_words),
        })
        .collect()
}

/// The desks to offer, from the verified directory (synced first, as
/// `referral directory` does).
async fn desks(app: &Arc<App>, chrome: &Chrome) -> Result<Vec<DeskOption>, Failure> {
    let lang = chrome.lang;
    work::with_keys(app, lang, move |ctx| {
        let args = DirectoryArgs {
            language: None,
            prefecture: None,
        };
        directory::run(ctx, &args).map(|report| desk_options(&report))
    })
    .await
}

/// What the form shows besides the fields.
#[derive(Debug, Default)]
struct Shown {
    /// Errors by field.
    errors: BTreeMap<String, String>,
    /// A failure of the sending, above the form.
    failure: Option<String>,
    /// How many files must be chosen again.
    files_dropped: usize,
}

/// `GET /new`.
pub async fn page(State(app): State<Arc<App>>, chrome: Chrome) -> Response {
    match desks(&app, &chrome).await {
        Ok(desks) => {
            let mut values = FormValues::default();
            // The default the interactive questions offer: now, in the
            // local zone, with its offset.
            values.set(
                "consent.obtained_at",
                referral_i18n::time::rfc3339(&referral_i18n::time::local_zone(), unix_now()),
            );
            render(&chrome, &desks, &values, &Shown::default(), StatusCode::OK)
        }
        Err(failure) => chrome.failure(&failure),
    }
}

/// `POST /new?csrf=…` (multipart: the CSRF token is in the query).
pub async fn submit(State(app): State<Arc<App>>, chrome: Chrome, multipart: Multipart) -> Response {
    let dir = match uploads::directory(&app.ctx.home) {
        Ok(dir) => dir,
        Err(e) => {
            return chrome.failure(&Failure::User(
                anyhow!(e).context(chrome.words(|| tr!("ui-cw-upload-dir"))),
            ));
        }
    };
    let received = uploads::receive(multipart, &dir).await;
    let values = received.values.clone();
    let document = form::referral_json(&values);
    let mut shown = Shown {
        errors: chrome.words(|| form::field_errors(&values, &validate::check(&document))),
        ..Shown::default()
    };
    let desk: Option<DeskId> = crate::desk_name::parse(values.get(DESK_FIELD)).ok();
    if desk.is_none() {
        shown.errors.insert(
            DESK_FIELD.to_owned(),
            chrome.words(|| tr!("ui-cw-error-desk")),
        );
    }
    if let Some(broken) = &received.broken {
        let message = chrome.words(|| tr!("ui-cw-error-upload", error = broken.as_str()));
        shown.errors.insert(FILES_FIELD.to_owned(), message);
    }
    let checked = if shown.errors.is_empty() {
        chrome.words(|| attachments::from_named(received.files.named()))
    } else {
        Ok(Vec::new())
    };
    let attachments = match checked {
        Ok(list) => list,
        Err(failure) => {
            let message = format!("{:#}", failure.error());
            shown.errors.insert(FILES_FIELD.to_owned(), message);
            Vec::new()
        }
    };
    let referral = match (shown.errors.is_empty(), desk) {
        (true, Some(desk)) => validate::from_value(document).ok().map(|r| (desk, r)),
        _ => None,
    };
    let Some((desk, referral)) = referral else {
        shown.files_dropped = received.files.len();
        drop(received);
        return again(
            &app,
            &chrome,
            &values,
            shown,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let file_count = received.files.len();
    let files = received.files;
    let sent = work::with_keys(&app, chrome.lang, move |ctx| {
        // The files are removed when this work ends, sent or not.
        let _files = files;
        send::send_referral(ctx, &desk, &referral, &attachments)
    })
    .await;
    match sent {
        // A classic send is said on the next page, as the CLI warns
        // (ADR 0020): the caseworker should know, and tell an administrator.
        Ok(sent) if !sent.post_quantum => {
            redirect(&format!("/new/sent/{}?classic=1", sent.thread_id))
        }
        Ok(sent) => redirect(&format!("/new/sent/{}", sent.thread_id)),
        Err(failure) => {
            let status = match failure {
                Failure::BrokerUnreachable(_) => StatusCode::BAD_GATEWAY,
                Failure::Verification(_) => StatusCode::UNPROCESSABLE_ENTITY,
                Failure::User(_) => StatusCode::BAD_REQUEST,
            };
            shown.failure = Some(format!("{:#}", failure.error()));
            shown.files_dropped = file_count;
            again(&app, &chrome, &values, shown, status).await
        }
    }
}

/// The form again, with what was entered and what is wrong.
async fn again(
    app: &Arc<App>,
    chrome: &Chrome,
    values: &FormValues,
    shown: Shown,
    status: StatusCode,
) -> Response {
    match desks(app, chrome).await {
        Ok(desks) => render(chrome, &desks, values, &shown, status),
        Err(failure) => chrome.failure(&failure),
    }
}

/// The id of a field's input: its path with dashes.
fn id_of(field: &str) -> String {
    field.replace('.', "-")
}

/// The error under a field, and the attributes that tie it to the input.
struct Problem<'a> {
    message: Option<&'a String>,
    id: String,
}

impl<'a> Problem<'a> {
    fn of(shown: &'a Shown, field: &str) -> Self {
        Problem {
            message: shown.errors.get(field),
            id: format!("{}-error", id_of(field)),
        }
    }

    fn invalid(&self) -> Option<&'static str> {
        self.message.map(|_| "true")
    }

    fn described_by(&self) -> Option<&str> {
        self.message.map(|_| self.id.as_str())
    }

    fn markup(&self) -> Markup {
        html! {
            @if let Some(message) = self.message {
                p.field-error id=(self.id) { (message) }
            }
        }
    }
}

/// A text input (or a text area for the summary) with its label, hint and
/// error.
fn text_field(
    shown: &Shown,
    values: &FormValues,
    field: &str,
    label: String,
    hint: Option<String>,
    required: bool,
) -> Markup {
    let id = id_of(field);
    let problem = Problem::of(shown, field);
    let hint_id = format!("{id}-hint");
    let described: Vec<&str> = [
        hint.as_ref().map(|_| hint_id.as_str()),
        problem.described_by(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let described = (!described.is_empty()).then(|| described.join(" "));
    let value = values.all(field).first().cloned().unwrap_or_default();
    html! {
        div.field {
            label for=(id) { (label) @if !required { " " span.muted { (tr!("ui-cw-optional")) } } }
            @if let Some(hint) = &hint { p.hint id=(hint_id) { (hint) } }
            @if field == "case.summary" {
                textarea id=(id) name=(field) rows="4" required[required]
                    aria-invalid=[problem.invalid()] aria-describedby=[described.as_deref()] { (value) }
            } @else {
                input id=(id) type="text" name=(field) value=(value) required[required]
                    aria-invalid=[problem.invalid()] aria-describedby=[described.as_deref()];
            }
            (problem.markup())
        }
    }
}

/// A `<select>` of `choices`, with an empty first option so that nothing is
/// chosen for the person.
fn select_field(
    shown: &Shown,
    values: &FormValues,
    field: &str,
    label: String,
    choices: &[Choice],
) -> Markup {
    let id = id_of(field);
    let problem = Problem::of(shown, field);
    let chosen = values.get(field);
    html! {
        div.field {
            label for=(id) { (label) }
            select id=(id) name=(field) required
                aria-invalid=[problem.invalid()] aria-describedby=[problem.described_by()] {
                option value="" { (tr!("ui-cw-choose")) }
                @for choice in choices {
                    option value=(choice.code) selected[choice.code == chosen] { (choice.words) }
                }
            }
            (problem.markup())
        }
    }
}

/// Radio buttons of `choices` in a fieldset.
fn radio_field(
    shown: &Shown,
    values: &FormValues,
    field: &str,
    legend: String,
    choices: &[Choice],
) -> Markup {
    let id = id_of(field);
    let problem = Problem::of(shown, field);
    let chosen = values.get(field);
    html! {
        fieldset.field id=(id) aria-invalid=[problem.invalid()] aria-describedby=[problem.described_by()] {
            legend { (legend) }
            @for choice in choices {
                @let option_id = format!("{id}-{}", choice.code);
                div.choice {
                    input type="radio" id=(option_id) name=(field) value=(choice.code)
                        checked[choice.code == chosen] required;
                    label.inline for=(option_id) { (choice.words) }
                }
            }
            (problem.markup())
        }
    }
}

fn yes_no() -> Vec<Choice> {
    vec![
        Choice {
            code: "yes".to_owned(),
            words: tr!("new-yes"),
        },
        Choice {
            code: "no".to_owned(),
            words: tr!("new-no"),
        },
    ]
}

/// The documents, as checkboxes.
fn documents_field(shown: &Shown, values: &FormValues) -> Markup {
    let field = "status.documents_held";
    let id = id_of(field);
    let problem = Problem::of(shown, field);
    let held = values.all(field);
    html! {
        fieldset.field id=(id) aria-invalid=[problem.invalid()] aria-describedby=[problem.described_by()] {
            legend { (tr!("ui-cw-documents")) }
            p.hint { (tr!("ui-cw-documents-hint")) }
            @for choice in new_interactive::choices(Document::NAMES, words::document) {
                @let option_id = format!("{id}-{}", choice.code);
                div.choice {
                    input type="checkbox" id=(option_id) name=(field) value=(choice.code)
                        checked[held.contains(&choice.code)];
                    label.inline for=(option_id) { (choice.words) }
                }
            }
            (problem.markup())
        }
    }
}

/// The desk picker: one radio per desk, with its languages and prefecture.
fn desk_field(shown: &Shown, values: &FormValues, desks: &[DeskOption]) -> Markup {
    let problem = Problem::of(shown, DESK_FIELD);
    let chosen = values.get(DESK_FIELD);
    html! {
        fieldset.field id="to" aria-invalid=[problem.invalid()] aria-describedby=[problem.described_by()] {
            legend { (tr!("ui-cw-desk")) }
            @if desks.is_empty() {
                p.notice { (tr!("ui-cw-no-desks")) }
            }
            @for desk in desks {
                @let option_id = format!("to-{}", desk.id.as_str());
                div.choice.desk {
                    input type="radio" id=(option_id) name=(DESK_FIELD) value=(desk.id.as_str())
                        checked[desk.id.as_str() == chosen] required;
                    label.inline for=(option_id) {
                        strong { (desk.name) } " " span.muted { "(" (desk.id.as_str()) ")" }
                        br;
                        (tr!("ui-cw-desk-languages")) " "
                        (desk.languages.clone().unwrap_or_else(|| tr!("ui-cw-desk-not-given")))
                        br;
                        (tr!("ui-cw-desk-prefecture")) " "
                        (desk.prefecture.clone().unwrap_or_else(|| tr!("ui-cw-desk-not-given")))
                    }
                }
            }
            (problem.markup())
        }
    }
}

/// The consent checkbox: it must be ticked to send.
fn consent_field(shown: &Shown, values: &FormValues) -> Markup {
    let field = "consent.recorded";
    let id = id_of(field);
    let problem = Problem::of(shown, field);
    html! {
        div.field {
            p.hint { (tr!("ui-cw-consent-explain")) }
            div.choice {
                input type="checkbox" id=(id) name=(field) value="yes"
                    checked[values.get(field) == "yes"] required
                    aria-invalid=[problem.invalid()] aria-describedby=[problem.described_by()];
                label.inline for=(id) { (tr!("ui-cw-consent-recorded")) }
            }
            (problem.markup())
        }
    }
}

fn render(
    chrome: &Chrome,
    desks: &[DeskOption],
    values: &FormValues,
    shown: &Shown,
    status: StatusCode,
) -> Response {
    let action = format!("/new?{CSRF_FIELD}={}", chrome.csrf);
    chrome.page_with_status(status, || {
        let files = Problem::of(shown, FILES_FIELD);
        let body = html! {
            @if let Some(failure) = &shown.failure {
                p.notice.error role="alert" { (tr!("ui-cw-not-sent")) " " (failure) }
            }
            @if !shown.errors.is_empty() {
                p.notice.error role="alert" {
                    (tr!("ui-cw-fix-fields", count = shown.errors.len()))
                }
            }
            @if shown.files_dropped > 0 {
                p.notice role="status" { (tr!("ui-cw-files-again")) }
            }
            form method="post" action=(action) enctype="multipart/form-data" novalidate {
                (desk_field(shown, values, desks))
                fieldset {
                    legend { (tr!("ui-cw-section-case")) }
                    (text_field(shown, values, "case.reference", tr!("ui-cw-reference"), None, false))
                    (select_field(shown, values, "case.need", tr!("ui-cw-need"),
                        &new_interactive::choices(Need::NAMES, words::need)))
                    (radio_field(shown, values, "case.urgency", tr!("ui-cw-urgency"),
                        &new_interactive::choices(Urgency::NAMES, words::urgency)))
                    (text_field(shown, values, "case.summary", tr!("ui-cw-summary"),
                        Some(tr!("ui-cw-summary-hint")), true))
                }
                fieldset {
                    legend { (tr!("ui-cw-section-person")) }
                    (text_field(shown, values, "person.name", tr!("ui-cw-name"),
                        Some(tr!("ui-cw-name-hint")), false))
                    (select_field(shown, values, "person.preferred_language",
                        tr!("ui-cw-preferred-language"), &new_interactive::language_choices()))
                    (radio_field(shown, values, "person.interpreter_needed",
                        tr!("ui-cw-interpreter"), &yes_no()))
                    (text_field(shown, values, "person.contact.phone", tr!("ui-cw-phone"), None, false))
                    (text_field(shown, values, "person.contact.other", tr!("ui-cw-other-contact"),
                        Some(tr!("ui-cw-other-contact-hint")), false))
                    (text_field(shown, values, "person.contact.best_times", tr!("ui-cw-best-times"),
                        None, false))
                    (radio_field(shown, values, "person.contact.desk_may_call",
                        tr!("ui-cw-desk-may-call"), &yes_no()))
                    (select_field(shown, values, "person.prefecture", tr!("ui-cw-prefecture"),
                        &new_interactive::prefecture_choices()))
                    (text_field(shown, values, "person.municipality", tr!("ui-cw-municipality"),
                        None, false))
                }
                fieldset {
                    legend { (tr!("ui-cw-section-status")) }
                    (select_field(shown, values, "status.residence_category",
                        tr!("ui-cw-residence"),
                        &new_interactive::choices(ResidenceCategory::NAMES, words::residence)))
                    (documents_field(shown, values))
                }
                fieldset {
                    legend { (tr!("ui-cw-section-consent")) }
                    (consent_field(shown, values))
                    (radio_field(shown, values, "consent.scope", tr!("ui-cw-consent-scope"),
                        &new_interactive::choices(ConsentScope::NAMES, words::consent_scope)))
                    (text_field(shown, values, "consent.obtained_at", tr!("ui-cw-obtained-at"),
                        Some(tr!("ui-cw-obtained-at-hint")), true))
                    (text_field(shown, values, "consent.method", tr!("ui-cw-consent-method"),
                        Some(tr!("ui-cw-consent-method-hint")), true))
                    (select_field(shown, values, "consent.language", tr!("ui-cw-consent-language"),
                        &new_interactive::language_choices()))
                }
                div.field {
                    label for="attachments" { (tr!("ui-cw-attachments")) " " span.muted { (tr!("ui-cw-optional")) } }
                    p.hint id="attachments-hint" { (tr!("ui-cw-attachments-hint")) }
                    input id="attachments" type="file" name=(FILES_FIELD) multiple
                        aria-invalid=[files.invalid()]
                        aria-describedby=(match files.described_by() {
                            Some(error) => format!("attachments-hint {error}"),
                            None => "attachments-hint".to_owned(),
                        });
                    (files.markup())
                }
                button type="submit" { (tr!("ui-cw-send")) }
            }
        };
        (tr!("ui-cw-new-title"), body)
    })
}

/// The query of `GET /new/sent/{thread}`.
#[derive(Debug, serde::Deserialize)]
pub struct SentQuery {
    /// Present when the referral went with classic encryption: some device
    /// it is for has no post-quantum key yet. Only a notice depends on it.
    classic: Option<u8>,
}

/// `GET /new/sent/{thread}`: what was sent, read back from the case store.
pub async fn sent(
    State(app): State<Arc<App>>,
    chrome: Chrome,
    Path(thread): Path<String>,
    Query(sent): Query<SentQuery>,
) -> Response {
    let classic = sent.classic.is_some();
    let Ok(thread) = thread.parse::<ThreadId>() else {
        return chrome.failure(&Failure::User(anyhow!(
            chrome.words(|| tr!("ui-cw-no-such-case"))
        )));
    };
    let record = work::with_keys(&app, chrome.lang, move |ctx| {
        let keys = ctx.unlock()?;
        Ok(CaseStore::open(&ctx.home)?.load(&thread, &keys.case_keys())?)
    })
    .await;
    match record {
        Ok(Some(record)) => chrome.page(|| {
            let body = html! {
                p.notice role="status" {
                    (tr!("ui-cw-sent", desk = record.other_desk.as_str(),
                        attachments = record.attachments.len()))
                }
                @if classic {
                    p.notice.warn { (tr!("ui-cw-sent-classic")) }
                }
                dl {
                    dt { (tr!("ui-cw-sent-thread")) }
                    dd { code { (record.thread_id.to_string()) } }
                    @if let Some(reference) = record.field("case", "reference").filter(|r| !r.trim().is_empty()) {
                        dt { (tr!("ui-cw-reference")) }
                        dd { (reference) }
                    }
                }
                p {
                    a href=(format!("/cases/{}", record.thread_id)) { (tr!("ui-cw-sent-open-case")) }
                    " · "
                    a href="/cases" { (tr!("ui-cw-sent-to-cases")) }
                    " · "
                    a href="/new" { (tr!("ui-cw-sent-another")) }
                }
            };
            (tr!("ui-cw-sent-title"), body)
        }),
        Ok(None) => chrome.failure(&Failure::User(anyhow!(
            chrome.words(|| tr!("ui-cw-no-such-case"))
        ))),
        Err(failure) => chrome.failure(&failure),
    }
}
