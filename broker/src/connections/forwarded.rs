//! Behind a trusted proxy one TCP connection carries many clients, so the
//! per-address cap cannot count sockets there. It counts requests in flight
//! for each forwarded address instead (the address ADR 0006 believes from
//! `X-Forwarded-For`), until the handler has answered. Slow clients are the
//! proxy's to cut off: it sees their sockets, the broker does not
//! (docs/deployment.md says what it must do).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, Refusal};

use super::Gate;

/// Refuses a request through a trusted proxy whose forwarded address already
/// has `max_connections_per_address` requests in flight (429
/// `too_many_connections`). Other requests pass untouched: their socket was
/// admitted by the acceptor.
pub async fn limit(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let abuse = gate.state().abuse();
    let Some(peer) = peer.filter(|p| abuse.is_trusted_proxy(*p)) else {
        return next.run(request).await;
    };
    let client = abuse.client(Some(peer), request.headers());
    match gate.forwarded_request(client) {
        Ok(_permit) => next.run(request).await,
        Err(_) => ApiError::from(Refusal::TooManyConnections).into_response(),
    }
}
