//! `GET /v1/directory` (an active device, or a device not enrolled yet with
//! its invite code: [`DirectoryReader`]) and `POST /v1/directory` (an
//! administrator appends one signed entry).
//!
//! An append is verified against the broker's own copy of the log, as the
//! successor of its head, before anything is stored; its effect on the
//! broker's tables is stored in the same transaction as the entry. The
//! broker serves only entries it has verified, so a broker that stored a bad
//! entry would refuse to start rather than hand it to clients.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use referral_protocol::api::{
    AppendEntryRequest, AppendEntryResponse, DirectoryPage, DirectoryQuery,
};
use referral_store::{AppendOutcome, DirectoryEffect, NewEntry};

use crate::auth::AdminUser;
use crate::directory::cache::read_all;
use crate::directory::effect;
use crate::directory::errors::{check_time, decode_entry, refused, stale_head, unavailable};
use crate::directory::reader::DirectoryReader;
use crate::error::{ApiError, ApiJson, ApiQuery, Refusal};
use crate::state::{AppState, now};

/// `GET /v1/directory?since=N`: the verified entries from `N` on, and the
/// head's seq. Before the broker is claimed: no entries and no head, for
/// anyone.
pub async fn get(
    reader: DirectoryReader,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<DirectoryQuery>,
) -> Result<Json<DirectoryPage>, ApiError> {
    let cache = state
        .directory()
        .fresh(state.store())
        .await
        .map_err(unavailable)?;
    let page = match cache.as_ref() {
        None => DirectoryPage {
            entries: Vec::new(),
            head_seq: None,
        },
        // Claimed since the reader was let in as "before the claim".
        Some(_) if reader == DirectoryReader::BeforeClaim => {
            return Err(Refusal::DirectoryPrivate.into());
        }
        Some(log) => DirectoryPage {
            entries: log
                .since(query.since)
                .iter()
                .map(|e| e.to_base64())
                .collect(),
            head_seq: Some(log.head().seq),
        },
    };
    Ok(Json(page))
}

/// `POST /v1/directory`: appends one entry signed by an administrator.
pub async fn append(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiJson(req): ApiJson<AppendEntryRequest>,
) -> Result<(StatusCode, Json<AppendEntryResponse>), ApiError> {
    let t = now();
    let (entry, bytes) = decode_entry(&req.entry)?;
    check_time(entry.time, t)?;
    let mut cache = state
        .directory()
        .fresh(state.store())
        .await
        .map_err(unavailable)?;
    let Some(log) = cache.as_ref() else {
        return Err(Refusal::NotBootstrapped.into());
    };
    let head = log.head();
    if entry.seq != head.seq.saturating_add(1) || entry.prev_hash != head.hash {
        return Err(stale_head());
    }
    // Verified on a copy, so the cache changes only once the store has the
    // entry too.
    let mut extended = log.clone();
    let appended = extended.append(entry.clone()).map_err(refused)?;
    let effect = effect::derive(state.store(), &entry, req.request_id, t).await?;
    let activates_token_key = matches!(effect, DirectoryEffect::ActivateTokenKey { .. });
    let outcome = state
        .store()
        .append_directory(NewEntry {
            seq: entry.seq,
            hash: appended.hash,
            bytes,
            effect,
        })
        .await?;
    match outcome {
        AppendOutcome::Appended => {
            *cache = Some(extended);
            drop(cache);
            if activates_token_key {
                // Sign with the new key from the next token on, here at once
                // (other brokers see it within their key refresh).
                state
                    .tokens()
                    .reload()
                    .await
                    .map_err(|e| ApiError::Internal(e.into()))?;
            }
            tracing::info!(kind = entry.statement.kind(), "directory entry appended");
            Ok((
                StatusCode::CREATED,
                Json(AppendEntryResponse {
                    seq: appended.seq,
                    hash: appended.hash_hex(),
                }),
            ))
        }
        AppendOutcome::SeqTaken | AppendOutcome::NotNext => {
            // Another broker appended first (or the database is not where
            // this copy thought): start over from what the database holds.
            *cache = read_all(state.store()).await.map_err(unavailable)?;
            Err(Refusal::DirectoryConflict.into())
        }
        AppendOutcome::RequestGone => Err(Refusal::RequestGone.into()),
        AppendOutcome::UnknownTokenKey => Err(Refusal::UnknownTokenKey.into()),
        AppendOutcome::Inconsistent(why) => {
            tracing::warn!(
                reason = why,
                "a verified entry disagrees with the broker's tables"
            );
            Err(Refusal::DirectoryInconsistent { why: why.into() }.into())
        }
    }
}
