//! The caseworker's pages: the new-referral form, the case list with search and filter, and the report.

use std::sync::Arc;

use axum::Router;

use crate::ui::state::App;

/// This area's routes.
pub fn routes() -> Router<Arc<App>> {
    Router::new()
}
