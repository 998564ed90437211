//! The desk clerk's pages: opening a packet, the case page (the referral as
//! a labelled form, its attachments as downloads, its history), answering
//! and forwarding.
//!
//! - [`open`]: `POST /packets/{id}/open`, the same open as `referral open`;
//! - [`view`]: what a case page shows, gathered from the case store (and
//!   refreshed from the broker as `referral thread` does);
//! - [`case`]: `GET /cases/{thread}`, and the page again with a form's
//!   errors;
//! - [`answer`]: `POST /cases/{thread}/reply` and `/forward`, through
//!   `referral reply` and `referral forward`;
//! - [`download`]: `GET /cases/{thread}/attachments/{n}`, decrypted into
//!   memory and served as a download.

pub mod answer;
pub mod case;
pub mod download;
pub mod open;
pub mod view;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use maud::html;
use referral_protocol::ThreadId;

use crate::tr;
use crate::ui::page::Chrome;
use crate::ui::state::App;

/// This area's routes.
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/packets/{packet}/open", post(open::open))
        .route("/cases/{thread}", get(case::page))
        .route("/cases/{thread}/reply", post(answer::reply))
        .route("/cases/{thread}/forward", post(answer::forward))
        .route(
            "/cases/{thread}/attachments/{index}",
            get(download::attachment),
        )
}

/// The case page's path.
pub fn case_path(thread: &ThreadId) -> String {
    format!("/cases/{thread}")
}

/// A thread id from a path; `None` for anything else (a 404, not a prefix
/// search: nobody types these).
pub fn thread_in_path(text: &str) -> Option<ThreadId> {
    text.parse().ok()
}

/// The page for a case or attachment this device does not have.
pub fn not_found(chrome: &Chrome) -> Response {
    chrome.page_with_status(StatusCode::NOT_FOUND, || {
        let body = html! {
            p.notice.error role="alert" { (tr!("ui-clerk-no-case")) }
            p { a href="/" { (tr!("ui-back-home")) } }
        };
        (tr!("ui-clerk-not-found-title"), body)
    })
}

/// A catalog label as a form shows it: without the colon the terminal's
/// columns end it with (`reference:`, `整理番号：`), and starting with a
/// capital where the script has one.
pub fn bare_label(label: &str) -> String {
    let trimmed = label.trim_end().trim_end_matches([':', '：']).trim_end();
    let mut chars = trimmed.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A size for people: bytes, kilobytes or megabytes, in the page's words.
pub fn size_words(bytes: u64) -> String {
    const KB: u64 = 1024;
    if bytes < KB {
        tr!("ui-clerk-size-bytes", count = bytes)
    } else if bytes < KB * KB {
        tr!(
            "ui-clerk-size-kb",
            size = format!("{:.1}", bytes as f64 / KB as f64)
        )
    } else {
        tr!(
            "ui-clerk-size-mb",
            size = format!("{:.1}", bytes as f64 / (KB * KB) as f64)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_lose_their_colon_and_start_with_a_capital() {
        assert_eq!(bare_label("reference:"), "Reference");
        assert_eq!(bare_label("desk may call:"), "Desk may call");
        assert_eq!(bare_label("整理番号："), "整理番号");
        assert_eq!(bare_label("mức khẩn cấp:"), "Mức khẩn cấp");
        assert_eq!(bare_label(""), "");
    }

    #[test]
    fn sizes_are_worded_in_the_nearest_unit() {
        assert_eq!(size_words(1), "1 byte");
        assert_eq!(size_words(900), "900 bytes");
        assert_eq!(size_words(1536), "1.5 KB");
        assert_eq!(size_words(3 * 1024 * 1024), "3.0 MB");
    }

    #[test]
    fn only_whole_thread_ids_are_taken_from_a_path() {
        let thread = ThreadId::random();
        assert_eq!(thread_in_path(&thread.to_string()), Some(thread));
        assert_eq!(thread_in_path(&thread.to_string()[..8]), None);
        assert_eq!(thread_in_path("<script>"), None);
    }
}
