//! `POST /v1/auth/challenge` and `POST /v1/auth/token`.

use axum::Json;
use axum::extract::State;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use referral_protocol::api::{
    ChallengeRequest, ChallengeResponse, TokenRequest, TokenResponse, challenge_message,
};
use referral_store::{ChallengeKey, DeviceState};
use ring::rand::{SecureRandom, SystemRandom};

use crate::abuse::UnauthenticatedQuota;
use crate::error::{ApiError, ApiJson, Refusal};
use crate::state::{AppState, now};

/// How long a challenge may be answered.
pub const CHALLENGE_TTL_SECS: i64 = 60;

/// Issues a single-use challenge. It is issued whether or not the device
/// exists, so the answer says nothing about which devices are enrolled.
pub async fn challenge(
    _quota: UnauthenticatedQuota,
    State(state): State<AppState>,
    ApiJson(req): ApiJson<ChallengeRequest>,
) -> Result<Json<ChallengeResponse>, ApiError> {
    let mut challenge = [0u8; 32];
    SystemRandom::new()
        .fill(&mut challenge)
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("system RNG failed")))?;
    let issued = now();
    let expires_at = issued + CHALLENGE_TTL_SECS;
    state
        .store()
        .put_challenge(
            ChallengeKey::new(&req.device_id, &challenge),
            issued,
            expires_at,
        )
        .await?;
    Ok(Json(ChallengeResponse {
        challenge: STANDARD.encode(challenge),
        issuer: state.tokens().issuer().to_owned(),
        expires_at,
    }))
}

/// Exchanges a signed challenge for a token.
pub async fn token(
    _quota: UnauthenticatedQuota,
    State(state): State<AppState>,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let refused = || ApiError::from(Refusal::InvalidCredentials);
    let challenge = STANDARD.decode(&req.challenge).map_err(|_| refused())?;
    let signature: [u8; 64] = STANDARD
        .decode(&req.signature)
        .ok()
        .and_then(|s| s.try_into().ok())
        .ok_or_else(refused)?;
    // Consume the challenge first: a wrong signature burns it too. It is
    // found only under the device it was issued to (ChallengeKey).
    if !state
        .store()
        .take_challenge(ChallengeKey::new(&req.device_id, &challenge), now())
        .await?
    {
        return Err(refused());
    }
    // The signature below is checked over this broker's own name whatever
    // the request says; a request naming another broker is refused here
    // only to say why (a challenge relayed between brokers).
    if req
        .issuer
        .as_deref()
        .is_some_and(|named| named != state.tokens().issuer())
    {
        return Err(Refusal::WrongBroker.into());
    }
    let device = state
        .store()
        .device(&req.device_id)
        .await?
        .ok_or_else(refused)?;
    if device.state != DeviceState::Active {
        return Err(refused());
    }
    if !device.signing_key.verify(
        &challenge_message(state.tokens().issuer(), &req.device_id, &challenge),
        &signature,
    ) {
        return Err(refused());
    }
    let (token, expires_at) = state
        .tokens()
        .issue(&device, now())
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    state.metrics().token_issued();
    Ok(Json(TokenResponse { token, expires_at }))
}
