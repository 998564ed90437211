//! `GET /outbox`: the sealed packets waiting to be sent again (as
//! `referral outbox` lists them); `GET /outbox/{packet}/drop`, the
//! confirmation, and `POST /outbox/{packet}/drop`, which gives one up as
//! `referral outbox drop` does.
//!
//! There is no "send now" button: the CLI has no command that re-posts an
//! outbox entry on its own. A packet is re-sent by repeating what sealed it
//! (ADR 0005 §4), because only that command knows the packet's kind (the
//! routing the broker needs) and writes the case record once the broker
//! has it; posting the bytes alone would leave the case missing here.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use crate::commands::outbox::{self, Waiting, age_in_words, size_in_words};
use crate::i18n;
use crate::tr;
use crate::ui::guard::redirect;
use crate::ui::page::Chrome;
use crate::ui::state::App;
use crate::ui::work;
use crate::workflow::parse_rfc3339;

/// What the list shows after a drop (post/redirect/get).
#[derive(Debug, Deserialize)]
pub struct Done {
    /// `1` once a packet was given up.
    dropped: Option<u8>,
}

fn sealed_at(waiting: &Waiting) -> String {
    parse_rfc3339(&waiting.sealed_at).map_or_else(|| waiting.sealed_at.clone(), i18n::moment)
}

/// `GET /outbox`.
pub async fn page(
    State(app): State<Arc<App>>,
    chrome: Chrome,
    Query(done): Query<Done>,
) -> Response {
    let listed = work::with_keys(&app, chrome.lang, outbox::list).await;
    let report = match listed {
        Ok(report) => report,
        Err(failure) => return chrome.failure(&failure),
    };
    chrome.page(|| {
        let body = html! {
            @if done.dropped.is_some() {
                p.notice.ok role="status" { (tr!("ui-outbox-dropped")) }
            }
            @if report.0.is_empty() {
                p.notice { (tr!("outbox-empty")) }
            } @else {
                p { (tr!("ui-outbox-explain")) }
                table {
                    caption.muted { (tr!("ui-outbox-caption", count = report.0.len())) }
                    thead { tr {
                        th scope="col" { (tr!("ui-outbox-to")) }
                        th scope="col" { (tr!("ui-outbox-sealed")) }
                        th scope="col" { (tr!("ui-outbox-size")) }
                        th scope="col" { (tr!("ui-outbox-packet")) }
                        th scope="col" { span.visually-hidden { (tr!("ui-admin-action")) } }
                    } }
                    tbody {
                        @for waiting in &report.0 {
                            tr {
                                th scope="row" { (waiting.recipient_desk.as_str()) }
                                td { (sealed_at(waiting)) br; span.muted { (age_in_words(waiting.age_secs)) } }
                                td { (size_in_words(waiting.bytes)) }
                                td { code { (waiting.packet_id.to_string()) } }
                                td {
                                    a href=(format!("/outbox/{}/drop", waiting.packet_id)) { (tr!("ui-outbox-drop-link")) }
                                }
                            }
                        }
                    }
                }
                p.hint { (tr!("ui-outbox-resend-how")) }
            }
        };
        (tr!("ui-outbox-title"), body)
    })
}

/// `GET /outbox/{packet}/drop`.
pub async fn confirm(
    State(app): State<Arc<App>>,
    chrome: Chrome,
    Path(packet): Path<String>,
) -> Response {
    let listed = work::with_keys(&app, chrome.lang, outbox::list).await;
    let report = match listed {
        Ok(report) => report,
        Err(failure) => return chrome.failure(&failure),
    };
    let Some(waiting) = report.0.iter().find(|w| w.packet_id.to_string() == packet) else {
        return chrome.page_with_status(StatusCode::NOT_FOUND, || {
            let body = html! {
                p.notice.error role="alert" { (tr!("ui-outbox-not-waiting")) }
                p { a href="/outbox" { (tr!("ui-outbox-back")) } }
            };
            (tr!("ui-outbox-drop-title"), body)
        });
    };
    chrome.page(|| {
        let body = html! {
            dl {
                dt { (tr!("ui-outbox-to")) }
                dd { (waiting.recipient_desk.as_str()) }
                dt { (tr!("ui-outbox-sealed")) }
                dd { (sealed_at(waiting)) }
                dt { (tr!("ui-outbox-size")) }
                dd { (size_in_words(waiting.bytes)) }
                dt { (tr!("ui-outbox-packet")) }
                dd { code { (waiting.packet_id.to_string()) } }
            }
            p.notice.warn { (tr!("ui-outbox-drop-explain")) }
            form method="post" action=(format!("/outbox/{}/drop", waiting.packet_id)) {
                (chrome.csrf_field())
                button.danger type="submit" { (tr!("ui-outbox-drop-button")) }
                " "
                a href="/outbox" { (tr!("ui-admin-cancel")) }
            }
        };
        (tr!("ui-outbox-drop-title"), body)
    })
}

/// `POST /outbox/{packet}/drop`.
pub async fn drop(
    State(app): State<Arc<App>>,
    chrome: Chrome,
    Path(packet): Path<String>,
) -> Response {
    match work::with_keys(&app, chrome.lang, move |ctx| outbox::drop(ctx, &packet)).await {
        Ok(_) => redirect("/outbox?dropped=1"),
        Err(failure) => chrome.failure(&failure),
    }
}
