//! `GET /admin/invites` and `POST /admin/invites`: a one-time enrollment
//! code for a desk and role, as `referral admin invite` makes it (for the
//! CLI's default 72 hours).
//!
//! The code is shown once, in the answer to the POST itself: the broker
//! keeps only its hash, and a redirect would have to carry it in a URL or
//! keep it in the app. The page is not cached (`Cache-Control: no-store`).

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use referral_protocol::{DeskId, Role};
use serde::Deserialize;

use super::overview::{if_admin, not_admin};
use crate::cli::{DirectoryArgs, InviteArgs};
use crate::commands::admin_devices::{self, InviteReport};
use crate::commands::directory::{self, DirectoryDesk};
use crate::exit::Failure;
use crate::i18n;
use crate::referral::words;
use crate::tr;
use crate::ui::page::Chrome;
use crate::ui::state::App;
use crate::ui::work;
use crate::workflow::parse_rfc3339;

/// Hours an invite from the web app is valid: the CLI's default.
const TTL_HOURS: u32 = 72;

/// The roles an invite may name, as `referral admin invite --role` takes
/// them.
const ROLES: [Role; 3] = [Role::Desk, Role::Caseworker, Role::Admin];

/// The desks of the verified directory, as `referral directory` lists them.
fn desks(ctx: &crate::context::Context) -> Result<Vec<DirectoryDesk>, Failure> {
    let args = DirectoryArgs {
        language: None,
        prefecture: None,
    };
    Ok(directory::run(ctx, &args)?.desks)
}

/// `GET /admin/invites`.
pub async fn page(State(app): State<Arc<App>>, chrome: Chrome) -> Response {
    match work::with_keys(&app, chrome.lang, |ctx| if_admin(ctx, desks)).await {
        Ok(Some(desks)) => render(&chrome, &desks, None, None, None, StatusCode::OK),
        Ok(None) => not_admin(&chrome),
        Err(failure) => chrome.failure(&failure),
    }
}

/// The invite form's fields.
#[derive(Debug, Deserialize)]
pub struct InviteForm {
    /// The desk's id, from the picker.
    #[serde(default)]
    desk: String,
    /// `desk`, `caseworker` or `admin`.
    role: String,
}

/// `POST /admin/invites`.
pub async fn create(
    State(app): State<Arc<App>>,
    chrome: Chrome,
    Form(form): Form<InviteForm>,
) -> Response {
    let picked = form.desk.clone();
    let role = form.role.clone();
    let made = work::with_keys(&app, chrome.lang, move |ctx| {
        if_admin(ctx, |ctx| {
            let desks = desks(ctx)?;
            let Ok(desk) = picked.parse::<DeskId>() else {
                return Ok((desks, None));
            };
            let args = InviteArgs {
                desk,
                role,
                ttl_hours: TTL_HOURS,
            };
            let report = admin_devices::invite(ctx, &args)?;
            Ok((desks, Some(report)))
        })
    })
    .await;
    match made {
        Ok(Some((desks, Some(report)))) => {
            render(&chrome, &desks, Some(&report), None, None, StatusCode::OK)
        }
        Ok(Some((desks, None))) => {
            let error = chrome.words(|| tr!("ui-admin-invite-pick-desk"));
            render(
                &chrome,
                &desks,
                None,
                Some(error),
                Some(&form),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Ok(None) => not_admin(&chrome),
        Err(failure) => chrome.failure(&failure),
    }
}

fn render(
    chrome: &Chrome,
    desks: &[DirectoryDesk],
    made: Option<&InviteReport>,
    desk_error: Option<String>,
    form: Option<&InviteForm>,
    status: StatusCode,
) -> Response {
    chrome.page_with_status(status, || {
        let body = html! {
            @if let Some(report) = made { (code_once(report)) }
            h2 { (tr!("ui-admin-invite-new")) }
            @if desks.is_empty() {
                p.notice { (tr!("ui-admin-invite-no-desks")) }
            } @else {
                form method="post" action="/admin/invites" {
                    (chrome.csrf_field())
                    p {
                        label for="invite-desk" { (tr!("ui-admin-desk")) }
                        select id="invite-desk" name="desk" required
                            aria-invalid=[desk_error.as_ref().map(|_| "true")]
                            aria-describedby=[desk_error.as_ref().map(|_| "invite-desk-error")] {
                            option value="" { (tr!("ui-admin-invite-choose-desk")) }
                            @for desk in desks {
                                @let id = desk.desk.as_str();
                                option value=(id) selected[form.is_some_and(|f| f.desk == id)] {
                                    (desk.name) " (" (id) ")"
                                }
                            }
                        }
                        @if let Some(error) = &desk_error {
                            p.field-error id="invite-desk-error" role="alert" { (error) }
                        }
                    }
                    p {
                        label for="invite-role" { (tr!("ui-admin-role")) }
                        select id="invite-role" name="role" {
                            @for role in ROLES {
                                option value=(role.as_str()) selected[form.is_some_and(|f| f.role == role.as_str())] {
                                    (words::role(role))
                                }
                            }
                        }
                    }
                    p.hint { (tr!("ui-admin-invite-valid", hours = TTL_HOURS)) }
                    button type="submit" { (tr!("ui-admin-invite-button")) }
                }
            }
        };
        (tr!("ui-admin-invites-title"), body)
    })
}

/// The code, once, with what to tell its new owner.
fn code_once(report: &InviteReport) -> Markup {
    let until =
        parse_rfc3339(&report.expires_at).map_or_else(|| report.expires_at.clone(), i18n::moment);
    html! {
        section.notice.ok role="status" aria-labelledby="invite-made" {
            h2 id="invite-made" { (tr!("ui-admin-invite-made")) }
            p {
                (tr!("ui-admin-invite-code"))
                " "
                code.fingerprint { (report.code) }
            }
            p { (tr!("admin-invite-for", desk = report.desk.as_str(), role = words::role(report.role), until = until)) }
            p { (tr!("ui-admin-invite-shown-once")) }
            p { (tr!("ui-admin-invite-tell")) }
        }
    }
}
