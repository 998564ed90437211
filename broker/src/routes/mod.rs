//! The router: every route, its layers, and the helpers they share.

pub mod admin;
pub mod directory;
pub mod health;
pub mod limits;
pub mod packets;
pub mod refusals;
pub mod requests;
pub mod rewrap;
pub mod threads;

use axum::Router;
use axum::routing::{get, post};
use referral_protocol::paths;

use crate::auth;
use crate::error::{ApiError, Refusal};
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
        .route(paths::METRICS, get(health::metrics))
        .fallback(|| async { ApiError::from(Refusal::NotFound) })
        .layer(axum::middleware::map_response(
            crate::error::log_internal_errors,
        ))
        .with_state(state)
}

/// Every route of the API, `/metrics` among them unless it is served apart.
pub fn router(state: AppState, metrics: MetricsRoute) -> Router {
    let json_limit = state.limits().max_json_bytes;
    let packet_limit = usize::try_from(state.limits().max_packet_bytes).unwrap_or(usize::MAX);
    let packets = Router::new()
        .route(paths::PACKETS, post(packets::send))
        .route(paths::PACKET_REWRAP, post(rewrap::rewrap))
        .layer(axum::middleware::map_response(close_after_refused_upload))
        // axum applies DefaultBodyLimit only to its own extractors, not to a
        // raw `Body`: the packet limit is enforced by `intake::receive` while
        // streaming, and by `packets::send` on a declared Content-Length.
        .layer(axum::extract::DefaultBodyLimit::max(packet_limit));
    let api = Router::new()
        .route(paths::AUTH_CHALLENGE, post(auth::routes::challenge))
        .route(paths::AUTH_TOKEN, post(auth::routes::token))
        .route(paths::INBOX, get(packets::inbox))
        .route(paths::PACKET, get(packets::fetch))
        .route(paths::PACKET_ACK, post(packets::ack))
        .route(paths::THREADS, get(threads::changed_since))
        .route(paths::THREAD, get(threads::get))
        .route(
            paths::DIRECTORY,
            get(directory::get).post(directory::append),
        )
        .route(paths::LIMITS, get(limits::get))
        .route(paths::INVITE_LOOKUP, post(requests::lookup_invite))
        .route(paths::ENROLLMENTS, post(requests::enroll))
        .route(paths::ROTATIONS, post(requests::rotate))
        .route(paths::ADMIN_BOOTSTRAP, post(admin::bootstrap))
        .route(paths::ADMIN_INVITES, post(requests::create_invite))
        .route(paths::ADMIN_REQUESTS, get(requests::list))
        .route(paths::ADMIN_REQUEST, get(requests::get))
        .route(paths::ADMIN_TOKEN_KEYS, post(admin::stage_token_key))
        .route(paths::ADMIN_STATS, get(admin::stats))
        .route(paths::HEALTHZ, get(health::healthz))
        .route(paths::READYZ, get(health::readyz));
    let api = match metrics {
        MetricsRoute::WithApi => api.route(paths::METRICS, get(health::metrics)),
        MetricsRoute::Apart => api,
    }
    .layer(axum::extract::DefaultBodyLimit::max(json_limit));
    api.merge(packets)
        .fallback(|| async { ApiError::from(Refusal::NotFound) })
        .method_not_allowed_fallback(|| async { ApiError::from(Refusal::MethodNotAllowed) })
        // Outermost of the router's layers, so that a failure anywhere in it
        // is logged (and taken out of the answer) here.
        .layer(axum::middleware::map_response(
            crate::error::log_internal_errors,
        ))
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
