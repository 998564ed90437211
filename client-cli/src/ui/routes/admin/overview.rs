//! `GET /admin`: what an administrator can do here; and, for a device that
//! is not an administrator, a page that says so and what to do instead.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use crate::admin_log;
use crate::context::Context;
use crate::exit::Failure;
use crate::session::Online;
use crate::tr;
use crate::ui::page::Chrome;
use crate::ui::state::App;
use crate::ui::work;

/// Whether this device may change the directory: the same check every
/// `referral admin` command makes before signing in
/// ([`admin_log::admin_key`]: the root device, or an active admin device of
/// the verified directory).
pub fn is_admin(ctx: &Context) -> Result<bool, Failure> {
    let online = Online::connect(ctx)?;
    let keys = online.unlock(ctx)?;
    Ok(admin_log::admin_key(&online, &keys).is_ok())
}

/// Runs `work` only if this device is an administrator; `None` if not.
pub fn if_admin<T>(
    ctx: &Context,
    work: impl FnOnce(&Context) -> Result<T, Failure>,
) -> Result<Option<T>, Failure> {
    if is_admin(ctx)? {
        work(ctx).map(Some)
    } else {
        Ok(None)
    }
}

/// `GET /admin`.
pub async fn page(State(app): State<Arc<App>>, chrome: Chrome) -> Response {
    match work::with_keys(&app, chrome.lang, is_admin).await {
        Ok(true) => chrome.page(|| {
            let body = html! {
                p { (tr!("ui-admin-intro")) }
                ul.links {
                    li {
                        a href="/admin/pending" { (tr!("ui-admin-pending-title")) }
                        p.hint { (tr!("ui-admin-pending-about")) }
                    }
                    li {
                        a href="/admin/invites" { (tr!("ui-admin-invites-title")) }
                        p.hint { (tr!("ui-admin-invites-about")) }
                    }
                    li {
                        a href="/admin/devices" { (tr!("ui-admin-devices-title")) }
                        p.hint { (tr!("ui-admin-devices-about")) }
                    }
                    li {
                        a href="/admin/audit" { (tr!("ui-admin-audit-title")) }
                        p.hint { (tr!("ui-admin-audit-about")) }
                    }
                }
            };
            (tr!("ui-admin-title"), body)
        }),
        Ok(false) => not_admin(&chrome),
        Err(failure) => chrome.failure(&failure),
    }
}

/// The page for a device that is not an administrator (403).
pub fn not_admin(chrome: &Chrome) -> Response {
    chrome.page_with_status(StatusCode::FORBIDDEN, || {
        let body = html! {
            p.notice.warn role="alert" { (tr!("ui-admin-not-admin")) }
            p { (tr!("ui-admin-not-admin-next")) }
            p { a href="/admin/audit" { (tr!("ui-admin-audit-title")) } }
            p { a href="/" { (tr!("ui-back-home")) } }
        };
        (tr!("ui-admin-not-admin-title"), body)
    })
}
