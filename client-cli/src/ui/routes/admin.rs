//! The administrator's pages (pending enrollments and rotations, invites, devices and revocation, the audit log) and the outbox.

use std::sync::Arc;

use axum::Router;

use crate::ui::state::App;

/// This area's routes.
pub fn routes() -> Router<Arc<App>> {
    Router::new()
}
