//! The administrator's pages (pending enrollments and rotations, invites,
//! devices and revocation, the audit log) and the outbox.
//!
//! Every page calls the command the CLI runs (`admin_devices`,
//! `admin_audit`, `directory`, `outbox`) and renders its report; no rule is
//! written here a second time.
//!
//! - [`fingerprint`]: a fingerprint in groups for reading aloud, and the
//!   comparison of a typed one;
//! - [`overview`]: `GET /admin`, and the page for a device that is not an
//!   administrator;
//! - [`pending`]: enrollments and rotations waiting, and their approval;
//! - [`invites`]: one-time enrollment codes;
//! - [`devices`]: the directory's devices, and revocation;
//! - [`audit`]: the directory log and its verification;
//! - [`outbox`]: the sealed packets waiting to be sent again.

pub mod audit;
pub mod devices;
pub mod fingerprint;
pub mod invites;
pub mod outbox;
pub mod overview;
pub mod pending;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::ui::state::App;

/// This area's routes.
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/admin", get(overview::page))
        .route("/admin/pending", get(pending::page))
        .route("/admin/pending/{request}/approve", post(pending::approve))
        .route("/admin/invites", get(invites::page).post(invites::create))
        .route("/admin/devices", get(devices::page))
        .route(
            "/admin/devices/{device}/revoke",
            get(devices::confirm).post(devices::revoke),
        )
        .route("/admin/audit", get(audit::page))
        .route("/outbox", get(outbox::page))
        .route(
            "/outbox/{packet}/drop",
            get(outbox::confirm).post(outbox::drop),
        )
}
