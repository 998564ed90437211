//! Identity primitives: claiming a fresh broker with the bootstrap code,
//! desks, devices, revocation. The trust issue replaces the direct device
//! routes with the signed directory log, invites and approval; until then
//! an administrator's token is what authorises these changes.

use axum::extract::State;
use axum::http::StatusCode;
use referral_protocol::api::DeviceView;
use referral_protocol::{DeskId, DeviceId, Fingerprint, RecipientKey, VerifyingKey};
use referral_store::{Desk, Device, DeviceState, Role};
use serde::{Deserialize, Serialize};

use crate::auth::{AdminUser, AuthUser};
use crate::bootstrap::code_hash;
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::state::{AppState, now};

/// `POST /v1/admin/bootstrap`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BootstrapRequest {
    /// The one-time code the broker printed at first start.
    pub code: String,
    /// The first administrator's device id.
    pub device_id: DeviceId,
    /// Its Ed25519 key: it becomes the root.
    pub signing_key: VerifyingKey,
    /// Its age recipient.
    pub age_recipient: RecipientKey,
}

/// The answer to a successful bootstrap.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct BootstrapResponse {
    /// The fingerprint every other client pins.
    pub root_fingerprint: Fingerprint,
}

/// Claims a fresh broker. The code is the only credential, single use.
pub async fn bootstrap(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<BootstrapRequest>,
) -> Result<(StatusCode, axum::Json<BootstrapResponse>), ApiError> {
    let t = now();
    let admin = Device {
        id: req.device_id,
        desk: None,
        role: Role::Admin,
        signing_key: req.signing_key,
        age_recipient: req.age_recipient,
        state: DeviceState::Active,
        created_at: t,
    };
    if state.store().root_key().await?.is_some() {
        return Err(ApiError::client(
            StatusCode::CONFLICT,
            "already_claimed",
            "this broker already has a root",
        ));
    }
    if !state
        .store()
        .claim_bootstrap(code_hash(&req.code), t, &admin)
        .await?
    {
        return Err(ApiError::client(
            StatusCode::FORBIDDEN,
            "invalid_bootstrap_code",
            "the bootstrap code is wrong, used or expired",
        ));
    }
    Ok((
        StatusCode::CREATED,
        axum::Json(BootstrapResponse {
            root_fingerprint: Fingerprint::of_root(&req.signing_key),
        }),
    ))
}

/// `POST /v1/admin/desks`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDeskRequest {
    /// Desk id.
    pub id: DeskId,
    /// Display name of the organisation.
    pub name: String,
    /// ISO 3166-2:JP code.
    #[serde(default)]
    pub prefecture: Option<String>,
    /// BCP 47 codes, comma-separated.
    #[serde(default)]
    pub languages: Option<String>,
}

/// The answer to desk creation.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DeskCreated {
    /// The new desk's id.
    pub desk: DeskId,
}

/// Creates a desk.
pub async fn create_desk(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiJson(req): ApiJson<NewDeskRequest>,
) -> Result<(StatusCode, axum::Json<DeskCreated>), ApiError> {
    if req.name.trim().is_empty() || req.name.len() > 200 {
        return Err(ApiError::client(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_name",
            "name must be 1-200 characters",
        ));
    }
    let desk = Desk {
        id: req.id.clone(),
        name: req.name,
        prefecture: req.prefecture,
        languages: req.languages,
        created_at: now(),
    };
    if !state.store().create_desk(&desk).await? {
        return Err(ApiError::client(
            StatusCode::CONFLICT,
            "desk_exists",
            "a desk with this id exists",
        ));
    }
    Ok((
        StatusCode::CREATED,
        axum::Json(DeskCreated { desk: req.id }),
    ))
}

/// `POST /v1/admin/devices`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDeviceRequest {
    /// Device id (made by the device).
    pub device_id: DeviceId,
    /// Its desk (required except for administrators).
    #[serde(default)]
    pub desk: Option<DeskId>,
    /// `caseworker`, `desk` or `admin`.
    pub role: String,
    /// Its Ed25519 key.
    pub signing_key: VerifyingKey,
    /// Its age recipient.
    pub age_recipient: RecipientKey,
}

fn parse_role(role: &str) -> Result<Role, ApiError> {
    role.parse().map_err(|e: referral_protocol::RoleError| {
        ApiError::client(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_role",
            e.to_string(),
        )
    })
}

pub(crate) fn device_view(d: &Device) -> DeviceView {
    DeviceView {
        device_id: d.id,
        desk: d.desk.clone(),
        role: d.role.as_str().to_owned(),
        signing_key: d.signing_key,
        age_recipient: d.age_recipient.clone(),
        state: match d.state {
            DeviceState::Active => "active",
            DeviceState::Retired => "retired",
            DeviceState::Revoked => "revoked",
        }
        .to_owned(),
    }
}

/// Enrolls a device directly.
pub async fn add_device(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiJson(req): ApiJson<NewDeviceRequest>,
) -> Result<(StatusCode, axum::Json<DeviceView>), ApiError> {
    let role = parse_role(&req.role)?;
    if role != Role::Admin && req.desk.is_none() {
        return Err(ApiError::client(
            StatusCode::UNPROCESSABLE_ENTITY,
            "desk_required",
            "caseworker and desk devices need a desk",
        ));
    }
    let device = Device {
        id: req.device_id,
        desk: req.desk,
        role,
        signing_key: req.signing_key,
        age_recipient: req.age_recipient,
        state: DeviceState::Active,
        created_at: now(),
    };
    if !state.store().add_device(&device).await? {
        return Err(ApiError::client(
            StatusCode::CONFLICT,
            "device_exists",
            "a device with this id exists",
        ));
    }
    Ok((StatusCode::CREATED, axum::Json(device_view(&device))))
}

/// Revokes a device: its tokens are refused from its next request on.
pub async fn revoke_device(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiPath(id): ApiPath<String>,
) -> Result<axum::Json<DeviceView>, ApiError> {
    let unknown = || ApiError::client(StatusCode::NOT_FOUND, "unknown_device", "no such device");
    let id: DeviceId = id.parse().map_err(|_| unknown())?;
    if !state
        .store()
        .set_device_state(&id, DeviceState::Revoked)
        .await?
    {
        return Err(unknown());
    }
    let device = state.store().device(&id).await?.ok_or_else(unknown)?;
    Ok(axum::Json(device_view(&device)))
}

/// `GET /v1/desks/{id}/devices`: a desk's active devices' public keys. The
/// trust issue's clients take keys only from the signed directory log; this
/// plain listing is what the broker asserts.
pub async fn desk_devices(
    State(state): State<AppState>,
    _user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<axum::Json<Vec<DeviceView>>, ApiError> {
    let unknown = || ApiError::client(StatusCode::NOT_FOUND, "unknown_desk", "no such desk");
    let id: DeskId = id.parse().map_err(|_| unknown())?;
    state.store().desk(&id).await?.ok_or_else(unknown)?;
    let devices = state.store().active_devices_of(&id).await?;
    Ok(axum::Json(devices.iter().map(device_view).collect()))
}

/// Rotates the broker's token-signing key (tokens signed by the old key stay
/// valid until they expire).
pub async fn rotate_token_key(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let kid = state
        .tokens()
        .rotate(now())
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(axum::Json(serde_json::json!({ "kid": kid })))
}
