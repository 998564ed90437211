//! `GET /cases/{thread}`: one case. The referral as a labelled form in the
//! page's language (the sections and words `referral open` prints,
//! [`render::sections`]), its attachments as downloads, the thread's
//! history, and the forms to answer and to forward. Every value from the
//! packet or the broker goes through maud's `(…)`, which escapes it.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use referral_protocol::ThreadStatus;
use serde::Deserialize;

use super::answer::{ForwardErrors, ForwardForm, ReplyErrors, ReplyForm};
use super::view::{self, CaseView, DeskChoice, Refresh};
use super::{bare_label, case_path, not_found, size_words, thread_in_path};
use crate::cases::{CaseEvent, CaseRecord, Direction, EventSource};
use crate::commands::forward;
use crate::referral::words;
use crate::ui::page::Chrome;
use crate::ui::state::App;
use crate::ui::work;
use crate::workflow::render;
use crate::{i18n, tr};

/// What the forms on the page hold, and what was wrong with them: empty
/// for a fresh page, the values sent back with errors after a refusal.
#[derive(Debug, Default)]
pub struct Forms {
    /// The answer form.
    pub reply: ReplyForm,
    /// Its errors.
    pub reply_errors: ReplyErrors,
    /// The forward form.
    pub forward: ForwardForm,
    /// Its errors.
    pub forward_errors: ForwardErrors,
    /// What was just done, for the notice after a redirect.
    pub done: Option<Done>,
}

/// What a form just did, named in the query after its redirect
/// (`?done=reply`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// An answer was sent.
    Reply,
    /// The case was forwarded.
    Forward,
}

/// The case page's query.
#[derive(Debug, Deserialize)]
pub struct CaseQuery {
    done: Option<String>,
}

/// `GET /cases/{thread}`.
pub async fn page(
    State(app): State<Arc<App>>,
    chrome: Chrome,
    Path(thread): Path<String>,
    Query(query): Query<CaseQuery>,
) -> Response {
    let Some(thread) = thread_in_path(&thread) else {
        return not_found(&chrome);
    };
    let forms = Forms {
        done: match query.done.as_deref() {
            Some("reply") => Some(Done::Reply),
            Some("forward") => Some(Done::Forward),
            _ => None,
        },
        ..Forms::default()
    };
    show(&app, &chrome, thread, forms, StatusCode::OK).await
}

/// Gathers the case and shows it, with `forms` as they are.
pub async fn show(
    app: &Arc<App>,
    chrome: &Chrome,
    thread: referral_protocol::ThreadId,
    forms: Forms,
    status: StatusCode,
) -> Response {
    match work::with_keys(app, chrome.lang, move |ctx| view::gather(ctx, thread)).await {
        Ok(Some(view)) => render(chrome, &view, &forms, status),
        Ok(None) => not_found(chrome),
        Err(failure) => chrome.failure(&failure),
    }
}

fn render(chrome: &Chrome, view: &CaseView, forms: &Forms, status: StatusCode) -> Response {
    let record = &view.record;
    chrome.page_with_status(status, || {
        let title = match record.direction {
            Direction::Received => tr!("ui-clerk-case-from", desk = chrome.desk(&record.other_desk)),
            Direction::Sent => tr!("ui-clerk-case-to", desk = chrome.desk(&record.other_desk)),
        };
        let body = html! {
            @match forms.done {
                Some(Done::Reply) => { p.notice.ok role="status" { (tr!("ui-clerk-done-reply")) } }
                Some(Done::Forward) => { p.notice.ok role="status" { (tr!("ui-clerk-done-forward")) } }
                None => {}
            }
            (refresh_notice(&view.refresh))
            (summary(chrome, record))
            @for (i, section) in render::sections(&record.referral).iter().enumerate() {
                section aria-labelledby=(format!("referral-section-{i}")) {
                    h2 id=(format!("referral-section-{i}")) { (section.title) }
                    dl.fields {
                        @for field in &section.fields {
                            dt { (bare_label(&field.label)) }
                            @match field.at {
                                Some(at) => { dd { (i18n::moment(at)) } }
                                None => { dd { (field.value) } }
                            }
                        }
                    }
                }
            }
            (attachments(record))
            (history(record))
            (answer_form(chrome, view, &forms.reply, &forms.reply_errors))
            (forward_section(chrome, view, &forms.forward, &forms.forward_errors))
        };
        (title, body)
    })
}

fn refresh_notice(refresh: &Refresh) -> Markup {
    html! {
        @match refresh {
            Refresh::Fresh => {}
            Refresh::Offline => { p.notice.warn role="status" { (tr!("ui-clerk-offline")) } }
            Refresh::ClosedAtBroker => {
                p.notice.warn role="status" { (tr!("thread-closed-at-broker")) }
            }
            Refresh::Failed(why) => {
                div.notice.warn role="status" {
                    p { (tr!("ui-clerk-refresh-failed")) }
                    p { (why) }
                }
            }
        }
    }
}

/// The case's status in words; the broker's unsigned word is marked, as
/// `referral thread` marks it (ADR 0010).
fn status_words(record: &CaseRecord) -> String {
    let words = words::status(record.status);
    if record.status_source() == EventSource::Broker {
        tr!("thread-status-from-broker", status = words)
    } else {
        words
    }
}

fn summary(chrome: &Chrome, record: &CaseRecord) -> Markup {
    html! {
        section aria-labelledby="case-summary" {
            h2 #case-summary { (tr!("ui-clerk-summary")) }
            dl.fields {
                dt { (tr!("ui-clerk-status")) }
                dd { span.status { (status_words(record)) } }
                @match record.direction {
                    Direction::Received => {
                        dt { (tr!("ui-clerk-from-desk")) }
                    }
                    Direction::Sent => {
                        dt { (tr!("ui-clerk-to-desk")) }
                    }
                }
                dd { (chrome.desk(&record.other_desk)) }
                dt { (tr!("ui-clerk-referred-at")) }
                dd { (i18n::moment(record.referred_at)) }
                @if let Some(from) = &record.forwarded_from {
                    dt { (tr!("ui-clerk-forwarded-from")) }
                    dd { (chrome.desk(&from.desk)) }
                }
                @if let Some(note) = &record.forward_note {
                    dt { (tr!("ui-clerk-forward-note")) }
                    dd { (note) }
                }
                @if let Some(to) = &record.forwarded_to {
                    dt { (tr!("ui-clerk-forwarded-to")) }
                    dd { a href=(case_path(&to.thread_id)) { (chrome.desk(&to.desk)) } }
                }
            }
        }
    }
}

fn attachments(record: &CaseRecord) -> Markup {
    let thread = record.thread_id;
    html! {
        section aria-labelledby="attachments" {
            h2 #attachments { (tr!("attachments-section")) }
            @if record.attachments.is_empty() {
                p.muted { (tr!("ui-clerk-attachments-none")) }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { (tr!("ui-clerk-attachment-name")) }
                        th scope="col" { (tr!("ui-clerk-attachment-type")) }
                        th scope="col" { (tr!("ui-clerk-attachment-size")) }
                        th scope="col" { span.visually-hidden { (tr!("ui-inbox-action")) } }
                    } }
                    tbody {
                        @for (i, a) in record.attachments.iter().enumerate() {
                            tr {
                                td { (a.name) }
                                td { (a.media_type) }
                                td { (size_words(a.bytes)) }
                                td {
                                    a href=(format!("/cases/{thread}/attachments/{i}")) download {
                                        (tr!("ui-clerk-download"))
                                        span.visually-hidden { " " (a.name) }
                                    }
                                }
                            }
                        }
                    }
                }
                p.hint { (tr!("ui-clerk-download-hint")) }
            }
        }
    }
}

fn history(record: &CaseRecord) -> Markup {
    html! {
        section aria-labelledby="history" {
            h2 #history { (tr!("ui-clerk-history")) }
            table {
                thead { tr {
                    th scope="col" { (tr!("ui-clerk-history-when")) }
                    th scope="col" { (tr!("ui-clerk-status")) }
                    th scope="col" { (tr!("ui-clerk-history-desk")) }
                    th scope="col" { (tr!("ui-clerk-history-details")) }
                } }
                tbody {
                    @for event in &record.events {
                        (history_row(event))
                    }
                }
            }
        }
    }
}

fn history_row(event: &CaseEvent) -> Markup {
    // A signed time to the minute; the broker's hour as the span it
    // stands for, as `referral thread` shows them.
    let at = match event.source {
        EventSource::Packet => i18n::moment(event.at),
        EventSource::Broker => i18n::broker_hour(event.at),
    };
    let texts = [
        (tr!("open-label-message"), &event.message),
        (tr!("open-label-reason"), &event.reason),
        (tr!("open-label-outcome"), &event.outcome),
    ];
    html! {
        tr {
            td { (at) }
            td {
                (words::status(event.status))
                @if event.source == EventSource::Broker {
                    br;
                    span.muted { (tr!("ui-clerk-unsigned")) }
                }
            }
            td { (event.desk.as_ref().map_or("-", |d| d.as_str())) }
            td {
                @if texts.iter().any(|(_, text)| text.is_some()) {
                    dl.fields {
                        @for (label, text) in &texts {
                            @if let Some(text) = text {
                                dt { (bare_label(label)) }
                                dd { (text) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A labelled text area with its hint and its error, tied to it for
/// assistive technology.
fn text_area(
    id: &str,
    name: &str,
    label: String,
    hint: Option<String>,
    value: Option<&str>,
    error: Option<&str>,
) -> Markup {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described: Vec<&str> = [
        hint.as_ref().map(|_| hint_id.as_str()),
        error.map(|_| error_id.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let described = (!described.is_empty()).then(|| described.join(" "));
    html! {
        label for=(id) { (label) }
        @if let Some(hint) = &hint {
            p.hint id=(hint_id) { (hint) }
        }
        textarea id=(id) name=(name) aria-invalid=[error.map(|_| "true")] aria-describedby=[described] {
            (value.unwrap_or(""))
        }
        @if let Some(error) = error {
            p.field-error id=(error_id) { (error) }
        }
    }
}

fn answer_form(chrome: &Chrome, view: &CaseView, form: &ReplyForm, errors: &ReplyErrors) -> Markup {
    let choices = view.choices();
    let thread = view.record.thread_id;
    let chosen = form.status.as_deref();
    html! {
        section aria-labelledby="answer" {
            h2 #answer { (tr!("ui-clerk-answer-title")) }
            @if choices.is_empty() {
                p.muted { (tr!("ui-clerk-answer-none", status = words::status(view.record.status))) }
            } @else {
                @if let Some(general) = &errors.general {
                    p.notice.error role="alert" { (general) }
                }
                form method="post" action=(format!("/cases/{thread}/reply")) {
                    (chrome.csrf_field())
                    fieldset aria-describedby=[errors.status.as_ref().map(|_| "reply-status-error")] {
                        legend { (tr!("ui-clerk-answer-status")) }
                        @for status in &choices {
                            @let id = format!("reply-status-{}", status.as_str());
                            input type="radio" name="status" id=(id) value=(status.as_str())
                                required checked[chosen == Some(status.as_str())]
                                aria-invalid=[errors.status.as_ref().map(|_| "true")];
                            label.inline for=(id) { (words::status(*status)) }
                        }
                        @if let Some(error) = &errors.status {
                            p.field-error #reply-status-error { (error) }
                        }
                    }
                    (text_area("reply-message", "message", tr!("ui-clerk-answer-message"),
                        None, form.message.as_deref(), errors.message.as_deref()))
                    @if choices.contains(&ThreadStatus::Rejected) {
                        (text_area("reply-reason", "reason", tr!("ui-clerk-answer-reason"),
                            Some(tr!("ui-clerk-answer-reason-hint")), form.reason.as_deref(),
                            errors.reason.as_deref()))
                    }
                    @if choices.contains(&ThreadStatus::Completed) {
                        (text_area("reply-outcome", "outcome", tr!("ui-clerk-answer-outcome"),
                            Some(tr!("ui-clerk-answer-outcome-hint")), form.outcome.as_deref(),
                            errors.outcome.as_deref()))
                    }
                    p.hint { (tr!("ui-clerk-answer-privacy")) }
                    button type="submit" { (tr!("ui-clerk-answer-send")) }
                }
            }
        }
    }
}

/// A desk in the picker: name and id, then what it serves.
fn desk_option(desk: &DeskChoice) -> String {
    let named = if desk.name == desk.desk.as_str() {
        desk.name.clone()
    } else {
        tr!(
            "ui-clerk-desk-option",
            name = desk.name.as_str(),
            desk = desk.desk.as_str()
        )
    };
    let mut parts = vec![named];
    parts.extend(desk.languages.clone());
    parts.extend(desk.prefecture.clone());
    parts.join(" · ")
}

fn forward_section(
    chrome: &Chrome,
    view: &CaseView,
    form: &ForwardForm,
    errors: &ForwardErrors,
) -> Markup {
    let record = &view.record;
    let thread = record.thread_id;
    let no_consent = record.direction == Direction::Received
        && !forward::consent_allows_forwarding(&record.referral)
        && !record.status.is_terminal();
    let chosen = form.to.as_deref();
    html! {
        @match &view.desks {
            None => {
                @if no_consent {
                    section aria-labelledby="forward" {
                        h2 #forward { (tr!("ui-clerk-forward-title")) }
                        p.muted { (tr!("ui-clerk-forward-no-consent")) }
                    }
                }
            }
            Some(Err(why)) => {
                section aria-labelledby="forward" {
                    h2 #forward { (tr!("ui-clerk-forward-title")) }
                    div.notice.error role="alert" {
                        p { (tr!("ui-clerk-forward-no-directory")) }
                        p { (why) }
                    }
                }
            }
            Some(Ok(desks)) => {
                section aria-labelledby="forward" {
                    h2 #forward { (tr!("ui-clerk-forward-title")) }
                    p.hint { (tr!("ui-clerk-forward-explain")) }
                    @if desks.is_empty() {
                        p.muted { (tr!("ui-clerk-forward-no-desks")) }
                    } @else {
                        @if let Some(general) = &errors.general {
                            p.notice.error role="alert" { (general) }
                        }
                        form method="post" action=(format!("/cases/{thread}/forward")) {
                            (chrome.csrf_field())
                            label for="forward-to" { (tr!("ui-clerk-forward-to")) }
                            select #forward-to name="to" required
                                aria-invalid=[errors.to.as_ref().map(|_| "true")]
                                aria-describedby=[errors.to.as_ref().map(|_| "forward-to-error")] {
                                option value="" { (tr!("ui-clerk-forward-choose")) }
                                @for desk in desks {
                                    option value=(desk.desk.as_str()) selected[chosen == Some(desk.desk.as_str())] {
                                        (desk_option(desk))
                                    }
                                }
                            }
                            @if let Some(error) = &errors.to {
                                p.field-error #forward-to-error { (error) }
                            }
                            (text_area("forward-note", "note", tr!("ui-clerk-forward-note-label"),
                                Some(tr!("ui-clerk-forward-note-hint")), form.note.as_deref(),
                                errors.note.as_deref()))
                            button type="submit" { (tr!("ui-clerk-forward-send")) }
                        }
                    }
                }
            }
        }
    }
}
