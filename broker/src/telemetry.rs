//! Request logging and per-route timeouts.
//!
//! Logs carry the route *template* (`/v1/packets/{id}`), the method, the
//! status and the latency — never the concrete path (it holds ids), the
//! query, any header (tokens), the body, or the peer's address (SPEC §2.2).
//!
//! The packet routes (send, fetch, ack, rewrap, inbox, thread) get no line
//! at the default level (issue 14, item 7): each line's timestamp is to the
//! microsecond, and the database keeps the order of arrival within the hour,
//! so the log and a seized database together would give every packet's
//! exact time, which SPEC §2.2 keeps to the hour. Their counts are in
//! `/metrics`; a failure (5xx) is still logged, without its latency. The
//! finer log is an explicit choice, `RUST_LOG=info,referral_broker::telemetry=debug`
//! (docs/deployment.md warns what it gives away).

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use referral_protocol::paths;

use crate::error::{ApiError, Refusal};
use crate::state::AppState;

/// Routes that stream packet bodies: bounded by the body idle timeout, not
/// by the whole-request timeout, so a large upload on a slow line works.
fn streams_packets(method: &Method, route: &str) -> bool {
    (method == Method::POST && matches!(route, paths::PACKETS | paths::PACKET_REWRAP))
        || (method == Method::GET && route == paths::PACKET)
}

/// Routes whose every request is about a packet: logged per request only
/// at debug level.
fn times_packets(route: &str) -> bool {
    matches!(
        route,
        paths::PACKETS
            | paths::PACKET
            | paths::PACKET_ACK
            | paths::PACKET_REWRAP
            | paths::INBOX
            | paths::THREAD
            | paths::THREADS
    )
}

/// Logs and counts each request, and applies the request timeout.
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().clone();
    let started = Instant::now();
    let response = if streams_packets(&method, &route) {
        next.run(request).await
    } else {
        let limit = Duration::from_secs(state.limits().request_timeout_secs);
        match tokio::time::timeout(limit, next.run(request)).await {
            Ok(r) => r,
            Err(_) => ApiError::from(Refusal::RequestTimeout).into_response(),
        }
    };
    let status = response.status().as_u16();
    let took = started.elapsed();
    state
        .metrics()
        .request(&route, method.as_str(), status, took);
    let ms = took.as_millis() as u64;
    if !times_packets(&route) {
        tracing::info!(method = %method, route = %route, status, ms, "request");
    } else if status >= 500 {
        tracing::warn!(method = %method, route = %route, status, "packet request failed");
    } else {
        tracing::debug!(method = %method, route = %route, status, ms, "request");
    }
    response
}

/// Installs the stderr log subscriber (`RUST_LOG` filters it).
pub fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in log files.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .try_init();
}
