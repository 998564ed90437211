//! `GET /admin/devices`: every device of the verified directory by desk,
//! with its status and fingerprint (as `referral directory` lists them);
//! `GET /admin/devices/{device}/revoke`, the confirmation page, and
//! `POST /admin/devices/{device}/revoke`, which revokes as `referral admin
//! revoke` does.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use referral_protocol::directory::DeviceStatus;
use serde::Deserialize;

use super::fingerprint;
use super::overview::{if_admin, not_admin};
use crate::cli::{DirectoryArgs, RevokeArgs};
use crate::commands::admin_devices;
use crate::commands::directory::{self, DirectoryDevice, DirectoryReport};
use crate::context::Context;
use crate::exit::Failure;
use crate::referral::words;
use crate::tr;
use crate::ui::guard::redirect;
use crate::ui::page::Chrome;
use crate::ui::state::App;
use crate::ui::work;

fn listing(ctx: &Context) -> Result<DirectoryReport, Failure> {
    directory::run(
        ctx,
        &DirectoryArgs {
            language: None,
            prefecture: None,
        },
    )
}

/// What the list shows after a revocation (post/redirect/get).
#[derive(Debug, Deserialize)]
pub struct Done {
    /// The directory entry of the revocation just made.
    revoked: Option<u64>,
}

/// `GET /admin/devices`.
pub async fn page(
    State(app): State<Arc<App>>,
    chrome: Chrome,
    Query(done): Query<Done>,
) -> Response {
    let listed = work::with_keys(&app, chrome.lang, |ctx| if_admin(ctx, listing)).await;
    let report = match listed {
        Ok(Some(report)) => report,
        Ok(None) => return not_admin(&chrome),
        Err(failure) => return chrome.failure(&failure),
    };
    chrome.page(|| {
        let body = html! {
            @if let Some(seq) = done.revoked {
                p.notice.ok role="status" {
                    (tr!("ui-admin-revoked", seq = seq)) " " (tr!("admin-revoked-next"))
                }
            }
            @for desk in &report.desks {
                section aria-labelledby=(format!("desk-{}", desk.desk.as_str())) {
                    h2 id=(format!("desk-{}", desk.desk.as_str())) {
                        (desk.name) " " span.muted { "(" (desk.desk.as_str()) ")" }
                    }
                    (device_table(&desk.devices))
                }
            }
            @if !report.admins.is_empty() {
                section aria-labelledby="desk-none" {
                    h2 id="desk-none" { (tr!("ui-admin-devices-no-desk")) }
                    (device_table(&report.admins))
                }
            }
        };
        (tr!("ui-admin-devices-title"), body)
    })
}

fn status(device: &DirectoryDevice) -> DeviceStatus {
    if device.status == "revoked" {
        DeviceStatus::Revoked
    } else {
        DeviceStatus::Active
    }
}

fn device_table(devices: &[DirectoryDevice]) -> Markup {
    html! {
        @if devices.is_empty() {
            p.muted { (tr!("ui-admin-devices-none")) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (tr!("ui-admin-device")) }
                    th scope="col" { (tr!("ui-admin-role")) }
                    th scope="col" { (tr!("ui-admin-status")) }
                    th scope="col" { (tr!("ui-admin-fingerprint")) }
                    th scope="col" { span.visually-hidden { (tr!("ui-admin-action")) } }
                } }
                tbody {
                    @for device in devices {
                        tr {
                            th scope="row" {
                                code { (device.device_id.to_string()) }
                                @if device.this_device { br; span.badge { (tr!("ui-admin-this-device")) } }
                            }
                            td { (words::role(device.role)) }
                            td {
                                (words::device_status(status(device)))
                                @if device.keys_expired { br; span.muted { (tr!("ui-admin-keys-expired")) } }
                                // ADR 0020: such a device keeps its desk's
                                // packets classic until it rotates.
                                @if !device.post_quantum && status(device) == DeviceStatus::Active {
                                    br; span.muted { (tr!("ui-admin-classic-only")) }
                                }
                            }
                            td { (fingerprint::show(&device.fingerprint)) }
                            td {
                                @if status(device) == DeviceStatus::Active {
                                    a href=(format!("/admin/devices/{}/revoke", device.device_id)) {
                                        (tr!("ui-admin-revoke-link"))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /admin/devices/{device}/revoke`: what revoking it means, and the
/// button that does it.
pub async fn confirm(
    State(app): State<Arc<App>>,
    chrome: Chrome,
    Path(device): Path<String>,
) -> Response {
    let listed = work::with_keys(&app, chrome.lang, |ctx| if_admin(ctx, listing)).await;
    let report = match listed {
        Ok(Some(report)) => report,
        Ok(None) => return not_admin(&chrome),
        Err(failure) => return chrome.failure(&failure),
    };
    let found = report
        .desks
        .iter()
        .flat_map(|desk| desk.devices.iter().map(move |d| (Some(&desk.desk), d)))
        .chain(report.admins.iter().map(|d| (None, d)))
        .find(|(_, d)| d.device_id.to_string() == device && status(d) == DeviceStatus::Active);
    let Some((desk, found)) = found else {
        return chrome.page_with_status(StatusCode::NOT_FOUND, || {
            let body = html! {
                p.notice.error role="alert" { (tr!("ui-admin-revoke-no-device")) }
                p { a href="/admin/devices" { (tr!("ui-admin-devices-back")) } }
            };
            (tr!("ui-admin-revoke-title"), body)
        });
    };
    chrome.page(|| {
        let body = html! {
            dl {
                dt { (tr!("ui-admin-device")) }
                dd { code { (found.device_id.to_string()) } }
                dt { (tr!("ui-admin-desk")) }
                dd { (desk.map_or("-", |d| d.as_str())) }
                dt { (tr!("ui-admin-role")) }
                dd { (words::role(found.role)) }
                dt { (tr!("ui-admin-fingerprint")) }
                dd { (fingerprint::show(&found.fingerprint)) }
            }
            @if found.this_device {
                p.notice.warn role="alert" { (tr!("ui-admin-revoke-this-device")) }
            }
            p.notice.warn { (tr!("ui-admin-revoke-explain")) }
            form method="post" action=(format!("/admin/devices/{}/revoke", found.device_id)) {
                (chrome.csrf_field())
                button.danger type="submit" { (tr!("ui-admin-revoke-button")) }
                " "
                a href="/admin/devices" { (tr!("ui-admin-cancel")) }
            }
        };
        (tr!("ui-admin-revoke-title"), body)
    })
}

/// `POST /admin/devices/{device}/revoke`.
pub async fn revoke(
    State(app): State<Arc<App>>,
    chrome: Chrome,
    Path(device): Path<String>,
) -> Response {
    let done = work::with_keys(&app, chrome.lang, move |ctx| {
        if_admin(ctx, |ctx| {
            admin_devices::revoke(ctx, &RevokeArgs { device })
        })
    })
    .await;
    match done {
        Ok(Some(report)) => redirect(&format!("/admin/devices?revoked={}", report.seq)),
        Ok(None) => not_admin(&chrome),
        Err(failure) => chrome.failure(&failure),
    }
}
