//! The desk clerk's pages: opening a packet, the case page (the referral as a labelled form, its attachments as downloads, its history), answering and forwarding.

use std::sync::Arc;

use axum::Router;

use crate::ui::state::App;

/// This area's routes.
pub fn routes() -> Router<Arc<App>> {
    Router::new()
}
