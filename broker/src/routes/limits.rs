//! `GET /v1/limits` (anyone): the upload limits in force, so that a client
//! refuses an oversize packet before sealing it (ADR 0015). Only
//! configuration is said here, the same for every caller.

use axum::Json;
use axum::extract::State;
use referral_protocol::api::BrokerLimits;

use crate::abuse::UnauthenticatedQuota;
use crate::state::AppState;

/// The limits an upload must meet.
pub async fn get(
    _quota: UnauthenticatedQuota,
    State(state): State<AppState>,
) -> Json<BrokerLimits> {
    let intake = state.intake_limits();
    Json(BrokerLimits {
        max_packet_bytes: intake.max_packet_bytes,
        max_header_bytes: intake.header.max_header_bytes as u64,
        max_pending_bytes_per_desk: state.limits().max_pending_bytes_per_desk,
    })
}
