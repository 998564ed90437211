//! The caseworker's pages: the new-referral form, the case list with
//! search and filter, and the report.
//!
//! - [`new_referral`]: `GET`/`POST /new`, `GET /new/sent/{thread}`;
//! - [`form`]: the form's fields as a referral document, and the
//!   validator's problems placed at their fields;
//! - [`uploads`]: attachments streamed to private files and removed;
//! - [`cases`]: `GET /cases`;
//! - [`report`]: `GET /report`, `GET /report.csv`;
//! - [`svg`]: the bar charts.

pub mod cases;
pub mod form;
pub mod new_referral;
pub mod report;
pub mod svg;
pub mod uploads;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;

use crate::ui::state::App;

/// This area's routes.
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/new",
            get(new_referral::page)
                .post(new_referral::submit)
                .layer(DefaultBodyLimit::max(new_referral::BODY_LIMIT)),
        )
        .route("/new/sent/{thread}", get(new_referral::sent))
        .route("/cases", get(cases::page))
        .route("/report", get(report::page))
        .route("/report.csv", get(report::csv))
}
