//! `GET /admin/pending` and `POST /admin/pending/{request}/approve`: the
//! enrollments and rotations waiting (as `referral admin pending` lists
//! them), and their approval (as `referral admin approve` does it).
//!
//! Approval asks the administrator to type the fingerprint the device's
//! owner reads out, not to tick "I have compared it": a box can be ticked
//! without reading anything, while typing the sixteen groups is the
//! comparison itself, and it is what the CLI asks for (`--fingerprint`).
//! The vendored script keeps the button disabled until the typed text
//! matches; the server checks again here, and `admin_devices::approve`
//! checks the typed fingerprint against the keys the broker sends for the
//! request, exactly as the command does. The CLI has no rejection, so
//! neither has the page: a request nobody approves expires at the broker.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use referral_protocol::api::RequestKind;
use serde::Deserialize;

use super::fingerprint;
use super::overview::{is_admin, not_admin};
use crate::cli::ApproveArgs;
use crate::commands::admin_devices::{self, ApproveReport, PendingItem, PendingReport};
use crate::exit::Failure;
use crate::i18n;
use crate::referral::words;
use crate::tr;
use crate::ui::guard::redirect;
use crate::ui::page::Chrome;
use crate::ui::state::App;
use crate::ui::work;

/// What the list page shows after an approval (post/redirect/get).
#[derive(Debug, Deserialize)]
pub struct Done {
    /// The directory entry of the approval just made.
    approved: Option<u64>,
}

/// `GET /admin/pending`.
pub async fn page(
    State(app): State<Arc<App>>,
    chrome: Chrome,
    Query(done): Query<Done>,
) -> Response {
    let listed = work::with_keys(&app, chrome.lang, |ctx| {
        super::overview::if_admin(ctx, admin_devices::pending)
    })
    .await;
    match listed {
        Ok(Some(list)) => render(&chrome, &list, None, done.approved, StatusCode::OK),
        Ok(None) => not_admin(&chrome),
        Err(failure) => chrome.failure(&failure),
    }
}

/// The approval form's fields.
#[derive(Debug, Deserialize)]
pub struct ApproveForm {
    /// The fingerprint as the administrator typed it.
    typed_fingerprint: String,
}

/// What an approval came to.
enum Approval {
    NotAdmin,
    /// The request is no longer waiting (approved by another administrator,
    /// or expired).
    Gone(PendingReport),
    /// The typed fingerprint is not the request's: nothing was approved.
    Mismatch(PendingReport),
    Approved(ApproveReport),
}

/// `POST /admin/pending/{request}/approve`.
pub async fn approve(
    State(app): State<Arc<App>>,
    chrome: Chrome,
    Path(request): Path<String>,
    Form(form): Form<ApproveForm>,
) -> Response {
    let wanted = request.clone();
    let typed = form.typed_fingerprint;
    let outcome = work::with_keys(&app, chrome.lang, move |ctx| {
        if !is_admin(ctx)? {
            return Ok(Approval::NotAdmin);
        }
        let list = admin_devices::pending(ctx)?;
        let Some(item) = list.0.iter().find(|r| r.request_id.to_string() == wanted) else {
            return Ok(Approval::Gone(list));
        };
        if !fingerprint::typed_matches(&typed, &item.fingerprint) {
            return Ok(Approval::Mismatch(list));
        }
        let args = ApproveArgs {
            request: wanted,
            fingerprint: typed
                .parse()
                .map_err(|e| Failure::User(anyhow::anyhow!("{e}")))?,
        };
        admin_devices::approve(ctx, &args).map(Approval::Approved)
    })
    .await;
    match outcome {
        Ok(Approval::Approved(report)) => {
            redirect(&format!("/admin/pending?approved={}", report.seq))
        }
        Ok(Approval::Mismatch(list)) => {
            let error = chrome.words(|| tr!("ui-admin-approve-mismatch"));
            render(
                &chrome,
                &list,
                Some((request, error)),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Ok(Approval::Gone(list)) => {
            let error = chrome.words(|| tr!("ui-admin-approve-gone"));
            render(
                &chrome,
                &list,
                Some((request, error)),
                None,
                StatusCode::CONFLICT,
            )
        }
        Ok(Approval::NotAdmin) => not_admin(&chrome),
        Err(failure) => chrome.failure(&failure),
    }
}

/// The list, each request with its approval form; `error` is shown next to
/// the form of the request it names (or above the list if that request is
/// gone).
fn render(
    chrome: &Chrome,
    list: &PendingReport,
    error: Option<(String, String)>,
    approved: Option<u64>,
    status: StatusCode,
) -> Response {
    let orphan = error
        .as_ref()
        .filter(|(id, _)| !list.0.iter().any(|r| r.request_id.to_string() == *id))
        .map(|(_, message)| message.clone());
    chrome.page_with_status(status, || {
        let body = html! {
            @if let Some(seq) = approved {
                p.notice.ok role="status" { (tr!("ui-admin-approved", seq = seq)) }
            }
            @if let Some(message) = &orphan {
                p.notice.error role="alert" { (message) }
            }
            p { (tr!("ui-admin-pending-explain")) }
            @if list.0.is_empty() {
                p.notice { (tr!("admin-pending-none")) }
            }
            @for item in &list.0 {
                @let id = item.request_id.to_string();
                @let message = error.as_ref().filter(|(e, _)| *e == id).map(|(_, m)| m.as_str());
                (request_card(chrome, item, message))
            }
        };
        (tr!("ui-admin-pending-title"), body)
    })
}

fn request_card(chrome: &Chrome, item: &PendingItem, error: Option<&str>) -> maud::Markup {
    let id = item.request_id.to_string();
    let input_id = format!("typed-{id}");
    let error_id = format!("typed-{id}-error");
    let hint_id = format!("typed-{id}-hint");
    let kind = match item.kind {
        RequestKind::Enrollment => tr!("ui-admin-request-enrollment"),
        RequestKind::Rotation => tr!("ui-admin-request-rotation"),
    };
    let when = item
        .created_hour
        .unix()
        .map_or_else(|| item.created_hour.to_string(), i18n::broker_hour);
    let described = match error {
        Some(_) => format!("{hint_id} {error_id}"),
        None => hint_id.clone(),
    };
    html! {
        section.card aria-labelledby=(format!("request-{id}")) {
            h2 id=(format!("request-{id}")) { (kind) }
            dl {
                dt { (tr!("ui-admin-desk")) }
                dd { (item.desk.as_ref().map_or("-", |d| d.as_str())) }
                dt { (tr!("ui-admin-role")) }
                dd { (words::role(item.role)) }
                dt { (tr!("ui-admin-requested")) }
                dd { (when) }
                dt { (tr!("ui-admin-fingerprint")) }
                dd { (fingerprint::show(&item.fingerprint)) }
            }
            form method="post" action=(format!("/admin/pending/{id}/approve"))
                data-confirm-fingerprint=(item.fingerprint.hex()) {
                (chrome.csrf_field())
                label for=(input_id) { (tr!("ui-admin-typed-fingerprint")) }
                p.hint id=(hint_id) { (tr!("ui-admin-typed-fingerprint-hint")) }
                input id=(input_id) type="text" name="typed_fingerprint" required
                    autocomplete="off" autocapitalize="off" spellcheck="false"
                    class="fingerprint"
                    aria-invalid=[error.map(|_| "true")]
                    aria-describedby=(described);
                @if let Some(message) = error {
                    p.field-error id=(error_id) role="alert" { (message) }
                }
                button type="submit" { (tr!("ui-admin-approve-button")) }
            }
        }
    }
}
