//! `POST /packets/{packet}/open`: opens a waiting packet exactly as
//! `referral open PACKET` does (fetch, verify, keep in the case store,
//! acknowledge), without saving its attachments anywhere: the case page
//! offers them as downloads. A packet that fails a check is neither shown
//! nor kept; the failure page says so.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use referral_protocol::PacketId;

use super::{case_path, not_found};
use crate::cli::OpenArgs;
use crate::commands::open;
use crate::ui::guard::redirect;
use crate::ui::page::Chrome;
use crate::ui::state::App;
use crate::ui::work;

/// `POST /packets/{packet}/open`.
pub async fn open(
    State(app): State<Arc<App>>,
    chrome: Chrome,
    Path(packet): Path<String>,
) -> Response {
    // A whole id only: a path is never a prefix search.
    let Ok(packet) = packet.parse::<PacketId>() else {
        return not_found(&chrome);
    };
    let args = OpenArgs {
        packet: packet.to_string(),
        save_attachments: None,
    };
    match work::with_keys(&app, chrome.lang, move |ctx| open::run(ctx, &args)).await {
        // A reply on a case this device never had is verified and
        // acknowledged but not kept: there is no case page to go to.
        Ok(report) if report.case_status.is_none() => redirect("/"),
        Ok(report) => redirect(&case_path(&report.thread_id)),
        Err(failure) => chrome.failure(&failure),
    }
}
