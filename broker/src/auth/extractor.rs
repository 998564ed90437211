//! The one way a handler learns who is calling: [`AuthUser`] (any active
//! device) or [`AdminUser`] (an active admin device).
//!
//! The token proves who the device was when it was issued; the device's
//! state is re-read from the store on every request, so a revoked device is
//! refused from its next request on (SPEC §4, revocation).

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use referral_protocol::{DeskId, DeviceId};
use referral_store::{DeviceState, Role};

use crate::error::{ApiError, Refusal};
use crate::state::{AppState, now};

/// An authenticated, active device.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// The device.
    pub device: DeviceId,
    /// Its desk, as the store has it now.
    pub desk: Option<DeskId>,
    /// Its role.
    pub role: Role,
}

impl AuthUser {
    /// The caller's desk, or 403 for a device without one (an administrator).
    pub fn require_desk(&self) -> Result<&DeskId, ApiError> {
        self.desk.as_ref().ok_or(Refusal::NoDesk.into())
    }
}

/// An authenticated, active administrator.
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthUser);

/// Every reason a token is not good enough (missing, malformed, invalid or
/// expired; its device unknown, revoked, retired or moved) is answered
/// alike: the client's remedy is the same, and a guesser learns nothing.
fn unauthorized() -> ApiError {
    Refusal::Unauthorized.into()
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match authenticate(parts, state).await {
            Err(refusal) if refusal.status() == StatusCode::UNAUTHORIZED => {
                // Guessing or replaying tokens runs into the address's limit;
                // devices with good tokens never spend from it (ADR 0006).
                state
                    .abuse()
                    .charge_failed_auth(crate::abuse::client_of(parts, state))?;
                Err(refusal)
            }
            other => other,
        }
    }
}

pub(crate) async fn authenticate(parts: &Parts, state: &AppState) -> Result<AuthUser, ApiError> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(unauthorized)?;
    // The scheme name is case-insensitive (RFC 7235 §2.1).
    let token = header
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .ok_or_else(unauthorized)?;
    let verified = state
        .tokens()
        .verify(token, now())
        .await
        .map_err(|e| match e {
            crate::auth::tokens::TokenError::Store(s) => ApiError::from(s),
            _ => unauthorized(),
        })?;
    // Before the store is read: a device over its limit costs one
    // signature check and nothing more.
    state.abuse().check_device(&verified.device)?;
    let device = state
        .store()
        .device(&verified.device)
        .await?
        .ok_or_else(unauthorized)?;
    match device.state {
        DeviceState::Active => {}
        DeviceState::Revoked => return Err(unauthorized()),
        DeviceState::Retired => return Err(unauthorized()),
    }
    if device.desk != verified.desk {
        // The device moved desks since the token was issued.
        return Err(unauthorized());
    }
    Ok(AuthUser {
        device: device.id,
        desk: device.desk,
        role: device.role,
    })
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        if user.role != Role::Admin {
            return Err(Refusal::AdminOnly.into());
        }
        Ok(Self(user))
    }
}
