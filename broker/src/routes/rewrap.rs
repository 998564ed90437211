//! `POST /v1/packets/{id}/rewrap` (ADR 0004): the recipient desk replaces a
//! pending packet's age header, re-encrypting the file key from a retired
//! device key to the device's current one. The body is the whole new
//! ciphertext; `referral-replaces` names the SHA-256 of the one it replaces.

use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequestParts, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use referral_protocol::api::{HEADER_REPLACES, PacketReceipt};
use referral_protocol::{PacketId, check_one_stanza_replaced};
use referral_store::{DeliveryState, RewrapOutcome, RewrapPacket};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiPath, Refusal};
use crate::intake::{self, DeclaredLength};
use crate::rewrap;
use crate::routes::packets::{no_such_packet, receipt};
use crate::state::AppState;

fn stale() -> ApiError {
    Refusal::StaleCiphertext.into()
}

fn payload_changed() -> ApiError {
    Refusal::PayloadChanged.into()
}

fn not_pending(delivery: DeliveryState) -> ApiError {
    match delivery {
        DeliveryState::Expired => Refusal::PacketExpired.into(),
        _ => Refusal::NotPending.into(),
    }
}

/// The `referral-replaces` header, the SHA-256 of the ciphertext a rewrap
/// replaces: an extractor. The route takes it as a `Result`, so that an
/// unknown packet id is answered first, as it always was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replaces(pub [u8; 32]);

impl<S: Send + Sync> FromRequestParts<S> for Replaces {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        replaces(&parts.headers).map(Self)
    }
}

/// The `referral-replaces` header: 64 lowercase hex digits.
fn replaces(headers: &HeaderMap) -> Result<[u8; 32], ApiError> {
    let value = headers.get(HEADER_REPLACES).ok_or(Refusal::MissingHeader {
        header: HEADER_REPLACES,
    })?;
    let bad = || {
        ApiError::from(Refusal::BadHeader {
            rule: format!(
                "{HEADER_REPLACES} must be the SHA-256 of the stored ciphertext, 64 lowercase hex digits"
            ),
        })
    };
    let text = value.to_str().map_err(|_| bad())?;
    // One spelling per hash, as for ids: lowercase only.
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).map_err(|_| bad())?;
    Ok(out)
}

/// Replaces a pending packet's ciphertext with one whose header changed
/// and whose size and payload did not.
pub async fn rewrap(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    replaces: Result<Replaces, ApiError>,
    declared: DeclaredLength,
    body: Body,
) -> Result<Json<PacketReceipt>, ApiError> {
    let desk = user.require_desk()?.clone();
    let id: PacketId = id.parse().map_err(|_| no_such_packet())?;
    let Replaces(replaces) = replaces?;
    // The cheap refusals first, before a byte of the body is read.
    let meta = state
        .store()
        .packet(&id)
        .await?
        .ok_or_else(no_such_packet)?;
    if meta.recipient_desk != desk {
        if meta.sender_desk == desk {
            return Err(Refusal::NotRecipient.into());
        }
        return Err(no_such_packet());
    }
    if meta.delivery != DeliveryState::Pending {
        return Err(not_pending(meta.delivery));
    }
    if meta.sha256 != replaces {
        return Err(stale());
    }
    if declared.differs_from(meta.bytes) {
        return Err(payload_changed());
    }
    // The same intake as a send: size limit, bucket, age header check.
    let limits = state.intake_limits();
    let idle = std::time::Duration::from_secs(state.limits().body_idle_timeout_secs);
    let mut received = intake::receive(body, &limits, state.spool_dir(), idle).await?;
    if received.len != meta.bytes {
        return Err(payload_changed());
    }
    let internal = |e: rewrap::CompareError| ApiError::Internal(e.into());
    let stored_header = rewrap::stored_header(state.store(), &id, &limits.header)
        .await
        .map_err(internal)?;
    // Equal sizes and equal payloads mean equal header lengths; checking the
    // lengths first lets a different one fail before any comparison.
    if received.header.header_len != stored_header.len()
        || !rewrap::same_from(
            state.store(),
            &id,
            &mut received.body,
            stored_header.len() as u64,
        )
        .await
        .map_err(internal)?
    {
        return Err(payload_changed());
    }
    // Within the header: one X25519 stanza replaced, every other stanza
    // kept, in order (issue 14, item 5).
    check_one_stanza_replaced(&stored_header, &received.head, &limits.header)
        .map_err(Refusal::RewrapRule)?;
    let request = RewrapPacket {
        id,
        desk,
        replaces,
        sha256: received.sha256,
        bytes: received.len,
    };
    match state.store().rewrap_packet(request, received.body).await? {
        RewrapOutcome::Rewrapped(meta) => Ok(Json(receipt(&meta))),
        RewrapOutcome::NotFound => Err(no_such_packet()),
        RewrapOutcome::NotPending(delivery) => Err(not_pending(delivery)),
        RewrapOutcome::Stale => Err(stale()),
    }
}

#[cfg(test)]
mod tests {
    use referral_protocol::RefusalCode;

    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(HEADER_REPLACES, value.parse().unwrap());
        h
    }

    #[test]
    fn replaces_is_64_lowercase_hex_digits() {
        let hash = [0xab; 32];
        assert_eq!(replaces(&with(&"ab".repeat(32))).unwrap(), hash);
        for bad in [
            "AB".repeat(32),
            "ab".repeat(31),
            "zz".repeat(32),
            "ab".repeat(33),
            format!("+a{}", "ab".repeat(31)),
        ] {
            assert_eq!(
                replaces(&with(&bad)).unwrap_err().code(),
                RefusalCode::BadHeader,
                "{bad}"
            );
        }
        assert_eq!(
            replaces(&HeaderMap::new()).unwrap_err().code(),
            RefusalCode::MissingHeader
        );
    }
}
