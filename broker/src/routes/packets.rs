//! Packet routes: send, inbox, fetch, acknowledge.
//!
//! Access rule: a packet is visible to its addressed desk and to the desk
//! that sent it, and to nobody else. To anyone else a packet does not exist
//! (404), so the answer leaks nothing about other desks' traffic.

use axum::body::Body;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use referral_protocol::api::{AckResponse, Hour, Inbox, InboxEntry, PacketReceipt};
use referral_protocol::{PacketId, PacketRouting, RefusalCode, RoutingError};
use referral_store::{AckOutcome, DeliveryState, NewPacket, PacketMeta, PutOutcome, to_hour};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiPath, Refusal};
use crate::intake::{self, DeclaredLength};
use crate::state::{AppState, now};

/// Most inbox entries in one answer.
pub const INBOX_PAGE: u32 = 500;

/// The routing metadata of an upload, from its headers (the rule lives in
/// [`PacketRouting::from_headers`]). An extractor (a newtype, since the
/// extractor trait and `PacketRouting` both live elsewhere); the send route
/// takes it as a `Result`, so that a desk-less caller is told so before its
/// headers are judged.
#[derive(Debug)]
pub struct Routing(PacketRouting);

impl<S: Send + Sync> FromRequestParts<S> for Routing {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        PacketRouting::from_headers(&parts.headers)
            .map(Routing)
            .map_err(|e| {
                match e {
                    RoutingError::Missing(header) => Refusal::MissingHeader { header },
                    other => Refusal::BadHeader {
                        rule: other.to_string(),
                    },
                }
                .into()
            })
    }
}

/// The receipt for a stored packet (a send, a retry, a rewrap).
pub(crate) fn receipt(meta: &PacketMeta) -> PacketReceipt {
    PacketReceipt {
        packet_id: meta.id,
        thread_id: meta.thread_id,
        recipient_desk: meta.recipient_desk.clone(),
        bytes: meta.bytes,
        delivery: meta.delivery.into(),
        received_hour: Hour::containing(meta.received_hour).into(),
    }
}

/// `POST /v1/packets`: stores a sealed packet. The body is the age file; the
/// routing metadata travels in `referral-*` headers.
pub async fn send(
    State(state): State<AppState>,
    user: AuthUser,
    routing: Result<Routing, ApiError>,
    declared: DeclaredLength,
    body: Body,
) -> Result<Response, ApiError> {
    let sender_desk = user.require_desk()?.clone();
    let Routing(routing) = routing?;
    let limits = state.intake_limits();
    // A declared length over the limit is refused before reading a byte.
    if declared.exceeds(limits.max_packet_bytes) {
        let refusal = intake::too_large(&limits);
        state.metrics().packet_refused(refusal.code().as_str());
        return Err(refusal);
    }
    let idle = std::time::Duration::from_secs(state.limits().body_idle_timeout_secs);
    let received = match intake::receive(body, &limits, state.spool_dir(), idle).await {
        Ok(r) => r,
        Err(e) => {
            state.metrics().packet_refused(e.code().as_str());
            return Err(e);
        }
    };
    // The per-desk cap. A retry of a stored packet adds nothing, so it is
    // answered as before whatever the desk holds; whether it is one is
    // asked only when the cap would refuse, keeping the read off the
    // common path.
    let cap = state.limits().max_pending_bytes_per_desk;
    let _reservation = match state
        .quota()
        .reserve(state.store(), &sender_desk, received.len, cap)
        .await
    {
        Ok(held) => Some(held),
        Err(e)
            if e.code() == RefusalCode::PendingBytesCap
                && state.store().packet(&routing.packet_id).await?.is_some() =>
        {
            None
        }
        Err(e) => {
            state.metrics().packet_refused(e.code().as_str());
            return Err(e);
        }
    };
    let t = now();
    let packet = NewPacket {
        id: routing.packet_id,
        thread_id: routing.thread_id,
        sender_desk,
        recipient_desk: routing.recipient_desk,
        bytes: received.len,
        sha256: received.sha256,
        kind: routing.kind,
        received_hour: to_hour(t),
        // From the hour, not the second: with the TTL a known setting, an
        // expiry to the second would give away the exact time of receipt,
        // which SPEC §2.2 keeps to the hour. A packet may so expire up to an
        // hour before its TTL, never after.
        expires_at: to_hour(t) + state.limits().ttl_secs,
    };
    #[cfg(feature = "test-support")]
    if crate::ack_before_commit::enabled() {
        return Ok(crate::ack_before_commit::answer_then_store(
            state,
            packet,
            received.body,
        ));
    }
    let outcome = state.store().put_packet(packet, received.body).await?;
    let refused = |refusal: Refusal| {
        state.metrics().packet_refused(refusal.code().as_str());
        Err(refusal.into())
    };
    match outcome {
        PutOutcome::Stored(meta) => {
            state.metrics().packet_stored();
            Ok((StatusCode::CREATED, axum::Json(receipt(&meta))).into_response())
        }
        // A retry of the same packet gets the same answer.
        PutOutcome::Duplicate(meta) => {
            Ok((StatusCode::CREATED, axum::Json(receipt(&meta))).into_response())
        }
        PutOutcome::Conflict => refused(Refusal::PacketIdConflict),
        PutOutcome::Gone => refused(Refusal::PacketIdPurged),
        PutOutcome::UnknownDesk => refused(Refusal::UnknownDesk),
        PutOutcome::UnknownThread => refused(Refusal::UnknownThread),
        PutOutcome::ThreadExists => refused(Refusal::ThreadExists),
        PutOutcome::IllegalTransition { from, to } => refused(Refusal::IllegalTransition {
            from: from.to_string(),
            to: to.to_string(),
        }),
    }
}

/// `GET /v1/inbox`: the caller's desk's pending packets, oldest first.
pub async fn inbox(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<axum::Json<Inbox>, ApiError> {
    let desk = user.require_desk()?;
    let packets = state
        .store()
        .inbox(desk, INBOX_PAGE)
        .await?
        .into_iter()
        .map(|m| InboxEntry {
            packet_id: m.id,
            thread_id: m.thread_id,
            from_desk: m.sender_desk,
            kind: m.kind.into(),
            bytes: m.bytes,
            status: m.delivery.into(),
            received_hour: Hour::containing(m.received_hour).into(),
        })
        .collect();
    Ok(axum::Json(Inbox { packets }))
}

/// 404 for a packet the caller's desk may not see, or that does not exist:
/// the two are answered alike.
pub(crate) fn no_such_packet() -> ApiError {
    Refusal::UnknownPacket.into()
}

/// `GET /v1/packets/{id}`: the ciphertext, streamed chunk by chunk.
pub async fn fetch(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let desk = user.require_desk()?.clone();
    let id: PacketId = id.parse().map_err(|_| no_such_packet())?;
    let meta = state
        .store()
        .packet(&id)
        .await?
        .ok_or_else(no_such_packet)?;
    if meta.recipient_desk != desk && meta.sender_desk != desk {
        return Err(no_such_packet());
    }
    if meta.delivery == DeliveryState::Expired {
        return Err(Refusal::PacketExpired.into());
    }
    let first = state
        .store()
        .packet_chunk(&id, 0)
        .await?
        .ok_or_else(no_such_packet)?;
    let store_state = state.clone();
    let rest = stream::unfold(Some(1u32), move |seq| {
        let state = store_state.clone();
        async move {
            let seq = seq?;
            match state.store().packet_chunk(&id, seq).await {
                Ok(Some(chunk)) => Some((
                    Ok::<_, std::io::Error>(bytes::Bytes::from(chunk)),
                    Some(seq + 1),
                )),
                Ok(None) => None,
                Err(e) => Some((Err(std::io::Error::other(e)), None)),
            }
        }
    });
    let body = Body::from_stream(
        stream::once(async move { Ok::<_, std::io::Error>(bytes::Bytes::from(first)) }).chain(rest),
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_LENGTH, meta.bytes.to_string()),
        ],
        body,
    )
        .into_response())
}

use futures_util::StreamExt as _;

/// `POST /v1/packets/{id}/ack`: the addressed desk has the packet.
pub async fn ack(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<axum::Json<AckResponse>, ApiError> {
    let desk = user.require_desk()?;
    let id: PacketId = id.parse().map_err(|_| no_such_packet())?;
    match state.store().ack(&id, desk, now()).await? {
        AckOutcome::Acknowledged => Ok(axum::Json(AckResponse {
            packet_id: id,
            delivery: referral_protocol::DeliveryState::Acknowledged.into(),
        })),
        AckOutcome::NotFound => Err(no_such_packet()),
        AckOutcome::Expired => Err(Refusal::PacketExpired.into()),
    }
}
