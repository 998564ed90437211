//! The router: every route, its layers, and the helpers they share.

pub mod admin;
pub mod directory;
pub mod health;
pub mod limits;
pub mod packets;
pub mod requests;
pub mod rewrap;
pub mod threads;

use axum::Router;
use axum::routing::{get, post};
use referral_store::UnixTime;

use crate::auth;
use crate::error::ApiError;
use crate::state::AppState;

/// Where `/metrics` is served (ADR 0013).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsRoute {
    /// On the API's own listener.
    WithApi,
    /// On a listener of its own ([`metrics_router`]); the API answers 404.
    Apart,
}

/// `/metrics` alone, for the separate metrics listener.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(health::metrics))
        .fallback(|| async { ApiError::not_found() })
        .with_state(state)
}

/// Every route of the API, `/metrics` among them unless it is served apart.
pub fn router(state: AppState, metrics: MetricsRoute) -> Router {
    let json_limit = state.limits().max_json_bytes;
    let packet_limit = usize::try_from(state.limits().max_packet_bytes).unwrap_or(usize::MAX);
    let packets = Router::new()
        .route("/v1/packets", post(packets::send))
        .route("/v1/packets/{id}/rewrap", post(rewrap::rewrap))
        .layer(axum::middleware::map_response(close_after_refused_upload))
        // axum applies DefaultBodyLimit only to its own extractors, not to a
        // raw `Body`: the packet limit is enforced by `intake::receive` while
        // streaming, and by `packets::send` on a declared Content-Length.
        .layer(axum::extract::DefaultBodyLimit::max(packet_limit));
    let api = Router::new()
        .route("/v1/auth/challenge", post(auth::routes::challenge))
        .route("/v1/auth/token", post(auth::routes::token))
        .route("/v1/inbox", get(packets::inbox))
        .route("/v1/packets/{id}", get(packets::fetch))
        .route("/v1/packets/{id}/ack", post(packets::ack))
        .route("/v1/threads", get(threads::changed_since))
        .route("/v1/threads/{id}", get(threads::get))
        .route("/v1/directory", get(directory::get).post(directory::append))
        .route("/v1/limits", get(limits::get))
        .route("/v1/invites/lookup", post(requests::lookup_invite))
        .route("/v1/enrollments", post(requests::enroll))
        .route("/v1/rotations", post(requests::rotate))
        .route("/v1/admin/bootstrap", post(admin::bootstrap))
        .route("/v1/admin/invites", post(requests::create_invite))
        .route("/v1/admin/requests", get(requests::list))
        .route("/v1/admin/requests/{id}", get(requests::get))
        .route("/v1/admin/token-keys", post(admin::stage_token_key))
        .route("/v1/admin/stats", get(admin::stats))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz));
    let api = match metrics {
        MetricsRoute::WithApi => api.route("/metrics", get(health::metrics)),
        MetricsRoute::Apart => api,
    }
    .layer(axum::extract::DefaultBodyLimit::max(json_limit));
    api.merge(packets)
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async {
            ApiError::client(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "method not allowed on this route",
            )
        })
        .with_state(state)
}

/// A refused upload (401, 413 part-way, 408, …) may leave the rest of its
/// body unread, and hyper then closes the connection after the answer. Say
/// so with `Connection: close`: otherwise the client may put the connection
/// back in its pool and see its next request fail with a transport error
/// instead of this answer.
async fn close_after_refused_upload(
    mut response: axum::response::Response,
) -> axum::response::Response {
    if !response.status().is_success() {
        response.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
    response
}

/// An hour as RFC 3339 (`2026-11-21T20:00:00Z`).
pub fn hour_text(t: UnixTime) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| t.to_string())
}
