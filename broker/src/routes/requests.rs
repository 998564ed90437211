//! The requests that wait for an administrator (ADR 0004): invites, a new
//! device's enrollment request, an enrolled device's rotation request, and
//! the administrators' view of what is pending. A request changes nothing
//! in the directory: an administrator's signed entry does, when it approves
//! the request (`routes::directory`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use referral_protocol::api::{
    EnrollmentRequest, Hour, InviteLookup, InviteLookupRequest, InviteRequest, InviteResponse,
    PendingRequest, PendingRequests, RequestReceipt, RotationRequest,
};
use referral_protocol::directory::{DirectoryState, enrollment_message, rotation_message};
use referral_protocol::hour::rfc3339;
use referral_protocol::{
    DeviceId, Fingerprint, RecipientKey, RecipientKind, RequestId, VerifyingKey,
};
use referral_store::{
    EnrollOutcome, Invite, Request, RequestSignatures, RotationOutcome, StoreError,
};

use crate::abuse::UnauthenticatedQuota;
use crate::auth::{AdminUser, AuthUser};
use crate::error::{ApiError, ApiJson, ApiPath, Refusal};
use crate::invite;
use crate::state::{AppState, now};

/// Default lifetime of an invite code.
pub const DEFAULT_INVITE_TTL_HOURS: u32 = 72;
/// Longest lifetime of an invite code (30 days).
pub const MAX_INVITE_TTL_HOURS: u32 = 720;

/// `POST /v1/admin/invites`: a one-time code for a desk and role, shown
/// once; the broker keeps only its hash.
pub async fn create_invite(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiJson(req): ApiJson<InviteRequest>,
) -> Result<(StatusCode, Json<InviteResponse>), ApiError> {
    let hours = req.ttl_hours.unwrap_or(DEFAULT_INVITE_TTL_HOURS);
    if !(1..=MAX_INVITE_TTL_HOURS).contains(&hours) {
        return Err(Refusal::InvalidTtl {
            max: MAX_INVITE_TTL_HOURS,
        }
        .into());
    }
    let code =
        invite::generate().map_err(|_| ApiError::Internal(anyhow::anyhow!("system RNG failed")))?;
    let code_hash = invite::code_hash(&code).ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("a generated invite code has no hash"))
    })?;
    let t = now();
    let expires_at = t + i64::from(hours) * 3600;
    let stored = Invite {
        code_hash,
        desk: req.desk.clone(),
        role: req.role,
        created_at: t,
        expires_at,
    };
    match state.store().create_invite(&stored).await {
        Ok(()) => {}
        Err(StoreError::UnknownDesk) => {
            return Err(Refusal::InviteForUnknownDesk.into());
        }
        Err(e) => return Err(e.into()),
    }
    Ok((
        StatusCode::CREATED,
        Json(InviteResponse {
            code,
            desk: req.desk,
            role: req.role,
            expires_at: rfc3339(expires_at),
        }),
    ))
}

fn invalid_code() -> ApiError {
    Refusal::InvalidInviteCode.into()
}

/// `POST /v1/invites/lookup`: which desk and role an invite code is for, so
/// that the device can sign its proof of possession over them before it
/// enrolls (the proof binds desk and role). Does not use the code up. No
/// token; rate-limited like the auth routes, since it answers whether a
/// guessed code exists (100 random bits: guessing is hopeless anyway).
pub async fn lookup_invite(
    _quota: UnauthenticatedQuota,
    State(state): State<AppState>,
    ApiJson(req): ApiJson<InviteLookupRequest>,
) -> Result<Json<InviteLookup>, ApiError> {
    let code_hash = invite::code_hash(&req.code).ok_or_else(invalid_code)?;
    let invite = state
        .store()
        .invite(code_hash, now())
        .await?
        .ok_or_else(invalid_code)?;
    Ok(Json(InviteLookup {
        desk: invite.desk,
        role: invite.role,
        expires_at: rfc3339(invite.expires_at),
    }))
}

/// A proof-of-possession signature, named by its request field, that does
/// not decode or does not verify.
fn bad_proof(field: &'static str) -> ApiError {
    Refusal::BadProof { field }.into()
}

fn signature(text: &str, field: &'static str) -> Result<[u8; 64], ApiError> {
    STANDARD
        .decode(text)
        .ok()
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| bad_proof(field))
}

/// Whether `key` is, or ever was, a key of the log: a device's (current or
/// before a rotation, revoked or not) or a root's. The log never lets a key
/// come back, so a request for one could never be approved.
fn key_known(directory: &DirectoryState, key: &VerifyingKey) -> bool {
    directory.root() == key
        || directory.past_roots().contains(key)
        || directory.devices().values().any(|d| d.has_signing_key(key))
}

/// `POST /v1/enrollments`: a new device asks to join with an invite code.
/// No token (the device has none yet); rate-limited like the auth routes.
pub async fn enroll(
    _quota: UnauthenticatedQuota,
    State(state): State<AppState>,
    ApiJson(req): ApiJson<EnrollmentRequest>,
) -> Result<(StatusCode, Json<RequestReceipt>), ApiError> {
    let t = now();
    let code_hash = invite::code_hash(&req.code).ok_or_else(invalid_code)?;
    let invite = state
        .store()
        .invite(code_hash, t)
        .await?
        .ok_or_else(invalid_code)?;
    let device_signature = signature(&req.device_signature, "device_signature")?;
    check_recipient_kinds(&req.age_recipient, req.pq_recipient.as_ref())?;
    let message = enrollment_message(
        &req.device_id,
        Some(&invite.desk),
        invite.role,
        &req.signing_key,
        &req.age_recipient,
        req.pq_recipient.as_ref(),
    );
    if !req.signing_key.verify(&message, &device_signature) {
        return Err(bad_proof("device_signature"));
    }
    {
        let cache = state.directory().lock().await;
        if let Some(log) = cache.as_ref() {
            if log.state().device(&req.device_id).is_some() {
                return Err(Refusal::DeviceExists.into());
            }
            if key_known(log.state(), &req.signing_key) {
                return Err(Refusal::KeyInUse.into());
            }
        }
    }
    let request = Request {
        id: RequestId::random(),
        device: req.device_id,
        desk: Some(invite.desk),
        role: invite.role,
        signing_key: req.signing_key,
        age_recipient: req.age_recipient,
        pq_recipient: req.pq_recipient,
        signatures: RequestSignatures::Enrollment { device_signature },
        created_at: t,
    };
    match state
        .store()
        .submit_enrollment(code_hash, t, &request)
        .await?
    {
        EnrollOutcome::Created => Ok((StatusCode::CREATED, Json(receipt(&request)))),
        EnrollOutcome::BadCode => Err(invalid_code()),
        EnrollOutcome::DeviceExists => Err(Refusal::DeviceExists.into()),
    }
}

/// `POST /v1/rotations`: an enrolled device asks to replace its keys, with
/// its current key and its new one both signing the rotation message. A
/// newer request replaces an older one.
pub async fn rotate(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<RotationRequest>,
) -> Result<(StatusCode, Json<RequestReceipt>), ApiError> {
    let old_key_signature = signature(&req.old_key_signature, "old_key_signature")?;
    let new_key_signature = signature(&req.new_key_signature, "new_key_signature")?;
    let device = state
        .store()
        .device(&user.device)
        .await?
        .ok_or(Refusal::Unauthorized)?;
    check_recipient_kinds(&req.age_recipient, req.pq_recipient.as_ref())?;
    let message = rotation_message(
        &device.id,
        &device.signing_key,
        &req.signing_key,
        &req.age_recipient,
        req.pq_recipient.as_ref(),
    );
    if !device.signing_key.verify(&message, &old_key_signature) {
        return Err(bad_proof("old_key_signature"));
    }
    if !req.signing_key.verify(&message, &new_key_signature) {
        return Err(bad_proof("new_key_signature"));
    }
    check_rotatable(&state, &device.id, &req.signing_key).await?;
    let request = Request {
        id: RequestId::random(),
        device: device.id,
        desk: device.desk,
        role: device.role,
        signing_key: req.signing_key,
        age_recipient: req.age_recipient,
        pq_recipient: req.pq_recipient,
        signatures: RequestSignatures::Rotation {
            old_key_signature,
            new_key_signature,
        },
        created_at: now(),
    };
    match state.store().submit_rotation(&request).await? {
        RotationOutcome::Created => Ok((StatusCode::CREATED, Json(receipt(&request)))),
        RotationOutcome::KeyInUse => Err(Refusal::KeyInUse.into()),
        // Revoked between the token check and now.
        RotationOutcome::UnknownDevice => Err(Refusal::Unauthorized.into()),
    }
}

/// Only devices the log enrolled rotate by request: the root device's key
/// is the root, which moves with a `RootRotated` entry instead.
async fn check_rotatable(
    state: &AppState,
    device: &DeviceId,
    new_key: &VerifyingKey,
) -> Result<(), ApiError> {
    let cache = state.directory().lock().await;
    let Some(log) = cache.as_ref() else {
        return Err(Refusal::NotBootstrapped.into());
    };
    if log.state().device(device).is_none() {
        return Err(Refusal::NotInDirectory.into());
    }
    if key_known(log.state(), new_key) {
        return Err(Refusal::KeyInUse.into());
    }
    Ok(())
}

/// The X25519 slot holds an X25519 key and the hybrid slot a hybrid one:
/// refused here, before anything is stored, rather than when an
/// administrator's entry fails to verify.
fn check_recipient_kinds(
    age_recipient: &RecipientKey,
    pq_recipient: Option<&RecipientKey>,
) -> Result<(), ApiError> {
    let classic = age_recipient.kind() == RecipientKind::Classic;
    let hybrid = pq_recipient.is_none_or(|pq| pq.kind() == RecipientKind::PostQuantum);
    if classic && hybrid {
        Ok(())
    } else {
        Err(Refusal::WrongRecipientKind.into())
    }
}

fn fingerprint(r: &Request) -> Fingerprint {
    Fingerprint::of_device(&r.signing_key, &r.age_recipient, r.pq_recipient.as_ref())
}

fn receipt(r: &Request) -> RequestReceipt {
    RequestReceipt {
        request_id: r.id,
        fingerprint: fingerprint(r),
    }
}

fn view(r: Request) -> PendingRequest {
    let b64 = |s: &[u8; 64]| Some(STANDARD.encode(s));
    let (device_signature, old_key_signature, new_key_signature) = match &r.signatures {
        RequestSignatures::Enrollment { device_signature } => (b64(device_signature), None, None),
        RequestSignatures::Rotation {
            old_key_signature,
            new_key_signature,
        } => (None, b64(old_key_signature), b64(new_key_signature)),
    };
    PendingRequest {
        request_id: r.id,
        kind: r.kind(),
        device_id: r.device,
        fingerprint: fingerprint(&r),
        desk: r.desk,
        role: r.role,
        signing_key: r.signing_key,
        age_recipient: r.age_recipient,
        pq_recipient: r.pq_recipient,
        device_signature,
        old_key_signature,
        new_key_signature,
        created_hour: Hour::containing(r.created_at).into(),
    }
}

/// `GET /v1/admin/requests`: every pending request, oldest first.
pub async fn list(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> Result<Json<PendingRequests>, ApiError> {
    let requests = state
        .store()
        .pending_requests()
        .await?
        .into_iter()
        .map(view)
        .collect();
    Ok(Json(PendingRequests { requests }))
}

/// `GET /v1/admin/requests/{id}`: one pending request.
pub async fn get(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<PendingRequest>, ApiError> {
    let unknown = || ApiError::from(Refusal::UnknownRequest);
    let id: RequestId = id.parse().map_err(|_| unknown())?;
    let request = state.store().request(&id).await?.ok_or_else(unknown)?;
    Ok(Json(view(request)))
}
