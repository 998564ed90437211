//! Administration outside the directory log's entries: claiming a fresh
//! broker with its genesis entry, staging a token-signing key for a
//! `TokenKeyRotated` entry, and aggregate counts. Desks, devices, rotations
//! and revocations change only through signed entries (`routes::directory`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use referral_protocol::api::{
    BootstrapRequest, BootstrapResponse, StagedTokenKey, Stats, StatsRow,
};
use referral_protocol::directory::VerifiedLog;
use referral_store::{Device, DeviceState, DirectoryEffect, NewEntry, Role, UnixTime};

use crate::abuse::UnauthenticatedQuota;
use crate::auth::AdminUser;
use crate::bootstrap::code_hash;
use crate::directory::errors::{check_time, decode_entry, refused};
use crate::error::{ApiError, ApiJson, Refusal};
use crate::state::{AppState, now};

/// `POST /v1/admin/bootstrap`: claims a fresh broker. The code is the only
/// credential, single use; the genesis entry, signed by the first
/// administrator's device key, makes that key the root.
pub async fn bootstrap(
    _quota: UnauthenticatedQuota,
    State(state): State<AppState>,
    ApiJson(req): ApiJson<BootstrapRequest>,
) -> Result<(StatusCode, Json<BootstrapResponse>), ApiError> {
    let t = now();
    let (genesis, bytes) = decode_entry(&req.genesis)?;
    check_time(genesis.time, t)?;
    // Entry 0 must verify on its own: a genesis, signed by the root it names.
    let log = VerifiedLog::from_genesis(vec![genesis.clone()], None).map_err(refused)?;
    let root = *log.state().root();
    // Held across the claim, so no request of this broker sees the claim
    // without the log (or the reverse).
    let mut cache = state.directory().lock().await;
    if state.store().root_key().await?.is_some() {
        return Err(Refusal::AlreadyClaimed.into());
    }
    let admin = Device {
        id: req.device_id,
        desk: None,
        role: Role::Admin,
        signing_key: root,
        age_recipient: req.age_recipient,
        state: DeviceState::Active,
        created_at: t,
    };
    let entry = NewEntry {
        seq: 0,
        hash: genesis.hash(),
        bytes,
        effect: DirectoryEffect::None,
    };
    if !state
        .store()
        .claim_bootstrap(code_hash(&req.code), t, &admin, &entry)
        .await?
    {
        return Err(Refusal::InvalidBootstrapCode.into());
    }
    *cache = Some(log);
    drop(cache);
    tracing::info!("the broker was claimed; the directory log has its genesis");
    // The code is spent; its file would only tell a reader of the data
    // directory that this broker was once unclaimed (issue 14, item 6).
    crate::bootstrap::remove_code_file(state.data_dir());
    Ok((
        StatusCode::CREATED,
        Json(BootstrapResponse {
            root_fingerprint: referral_protocol::Fingerprint::of_root(&root),
        }),
    ))
}

/// `POST /v1/admin/token-keys`: makes and stages a token-signing key. It
/// signs nothing until an administrator's `TokenKeyRotated` entry names it.
pub async fn stage_token_key(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> Result<(StatusCode, Json<StagedTokenKey>), ApiError> {
    let (kid, public_key) = state
        .tokens()
        .stage(now())
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok((
        StatusCode::CREATED,
        Json(StagedTokenKey { kid, public_key }),
    ))
}

/// `GET /v1/admin/stats`: threads by recipient desk, status and ISO week,
/// and packets by delivery state. Counts only: no id of any packet, thread,
/// device or person.
pub async fn stats(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> Result<Json<Stats>, ApiError> {
    let rows = state
        .store()
        .thread_stats()
        .await?
        .into_iter()
        .map(|r| StatsRow {
            desk: r.desk,
            status: r.status.into(),
            week: iso_week(r.week_start),
            threads: r.threads,
        })
        .collect();
    let counts = state.store().counts().await?;
    Ok(Json(Stats {
        rows,
        packets_pending: counts.pending_packets,
        packets_acknowledged: counts.acknowledged_packets,
        packets_expired: counts.expired_packets,
    }))
}

/// The ISO 8601 week of a time: `2026-W47`. The year is the ISO week-based
/// year, which differs from the calendar year around New Year.
pub fn iso_week(t: UnixTime) -> String {
    match time::OffsetDateTime::from_unix_timestamp(t) {
        Ok(d) => {
            let (year, week, _) = d.to_iso_week_date();
            format!("{year}-W{week:02}")
        }
        // Out of the calendar's range: stored times never are.
        Err(_) => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::iso_week;

    #[test]
    fn iso_weeks_use_the_week_based_year() {
        // Monday 2026-11-16.
        assert_eq!(iso_week(1_794_787_200), "2026-W47");
        // Monday 2024-12-30 starts week 1 of 2025.
        assert_eq!(iso_week(1_735_516_800), "2025-W01");
        // Monday 2021-01-04 is week 1 of 2021; the Friday before it,
        // 2021-01-01, belongs to week 53 of 2020.
        assert_eq!(iso_week(1_609_718_400), "2021-W01");
        assert_eq!(iso_week(1_609_459_200), "2020-W53");
    }
}
