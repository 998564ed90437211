//! `GET /admin/audit`: the directory log as `referral admin audit` lists
//! it, in local time; `?verify=1` fetches the whole log again and verifies
//! it from the pinned root, as `referral admin audit --verify` does. Like
//! the command, it is open to every device: the log is what each of them
//! verifies anyway.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use crate::cli::AuditArgs;
use crate::commands::admin_audit;
use crate::i18n;
use crate::tr;
use crate::ui::page::Chrome;
use crate::ui::state::App;
use crate::ui::work;
use crate::workflow::parse_rfc3339;

/// The page's query.
#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    /// `1` to verify the whole log again.
    verify: Option<String>,
}

/// `GET /admin/audit`.
pub async fn page(
    State(app): State<Arc<App>>,
    chrome: Chrome,
    Query(query): Query<AuditQuery>,
) -> Response {
    let verify = query.verify.as_deref() == Some("1");
    let audited = work::with_keys(&app, chrome.lang, move |ctx| {
        admin_audit::audit(ctx, &AuditArgs { verify })
    })
    .await;
    let report = match audited {
        Ok(report) => report,
        Err(failure) => return chrome.failure(&failure),
    };
    chrome.page(|| {
        let body = html! {
            @if report.verified {
                p.notice.ok role="status" { (tr!("ui-admin-audit-verified")) }
            } @else {
                p.notice { (tr!("ui-admin-audit-cached")) }
                form method="get" action="/admin/audit" {
                    input type="hidden" name="verify" value="1";
                    button type="submit" { (tr!("ui-admin-audit-verify-button")) }
                }
            }
            dl {
                dt { (tr!("ui-admin-audit-root")) }
                dd { (super::fingerprint::show(&report.root_fingerprint)) }
                dt { (tr!("ui-admin-audit-head")) }
                dd { (report.head_seq) " " code { (report.head_hash) } }
            }
            table {
                caption.muted { (tr!("ui-admin-audit-caption", count = report.entries.len())) }
                thead { tr {
                    th scope="col" { (tr!("ui-admin-audit-seq")) }
                    th scope="col" { (tr!("ui-admin-audit-time")) }
                    th scope="col" { (tr!("ui-admin-audit-kind")) }
                    th scope="col" { (tr!("ui-admin-audit-subject")) }
                    th scope="col" { (tr!("ui-admin-audit-signer")) }
                } }
                tbody {
                    @for entry in report.entries.iter().rev() {
                        tr {
                            th scope="row" { (entry.seq) }
                            td { (parse_rfc3339(&entry.time).map_or_else(|| entry.time.clone(), i18n::moment)) }
                            td { (kind_words(entry.kind)) }
                            td { (entry.subject) }
                            td { code title=(entry.signer.to_string()) { (entry.signer.hex().chars().take(16).collect::<String>()) } }
                        }
                    }
                }
            }
        };
        (tr!("ui-admin-audit-title"), body)
    })
}

/// A directory statement's kind in words; a kind this build does not know
/// is shown as the log names it.
fn kind_words(kind: &str) -> String {
    match kind {
        "genesis" => tr!("ui-admin-kind-genesis"),
        "desk_created" => tr!("ui-admin-kind-desk-created"),
        "device_enrolled" => tr!("ui-admin-kind-device-enrolled"),
        "device_rotated" => tr!("ui-admin-kind-device-rotated"),
        "device_revoked" => tr!("ui-admin-kind-device-revoked"),
        "root_rotated" => tr!("ui-admin-kind-root-rotated"),
        "token_key_rotated" => tr!("ui-admin-kind-token-key-rotated"),
        "key_age_policy" => tr!("ui-admin-kind-key-age-policy"),
        other => other.to_owned(),
    }
}
