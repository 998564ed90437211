//! Who may read the directory (ADR 0019 §3): an active device's token, a
//! live invite code in the [`INVITE_HEADER`] header (a device not enrolled
//! yet), or anyone while the broker is unclaimed and the log is empty.
//! Every other caller gets one refusal, `directory_private`, whatever was
//! wrong: it says nothing about which devices or codes exist.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use referral_protocol::paths::INVITE_HEADER;

use crate::abuse::client_of;
use crate::auth::extractor::authenticate;
use crate::directory::errors::unavailable;
use crate::error::{ApiError, Refusal};
use crate::invite;
use crate::state::{AppState, now};

/// Why the caller may read the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryReader {
    /// An active device's bearer token (any role).
    Device,
    /// A live (unexpired, unused) invite code.
    InviteHolder,
    /// Nobody proved anything, and the broker was unclaimed when asked: the
    /// handler serves it only an empty log (it checks again under its own
    /// lock, since a claim may land in between).
    BeforeClaim,
}

impl FromRequestParts<AppState> for DirectoryReader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let client = client_of(parts, state);
        if let Some(code) = parts.headers.get(INVITE_HEADER) {
            // Charged before the code is looked up, like `POST
            // /v1/invites/lookup`: the header is no faster way to guess.
            state.abuse().check_unauthenticated(client)?;
            let live = match code.to_str().ok().and_then(invite::code_hash) {
                Some(hash) => state.store().invite(hash, now()).await?.is_some(),
                None => false,
            };
            if live {
                return Ok(Self::InviteHolder);
            }
            return unproven(state).await;
        }
        if parts
            .headers
            .contains_key(axum::http::header::AUTHORIZATION)
        {
            match authenticate(parts, state).await {
                Ok(_) => return Ok(Self::Device),
                Err(refusal) if refusal.status() == StatusCode::UNAUTHORIZED => {}
                Err(other) => return Err(other),
            }
        }
        // A missing or refused token spends from the address's limit, as it
        // does on every route with a token (ADR 0006); before the claim that
        // is the charge of a read without a token.
        state.abuse().charge_failed_auth(client)?;
        unproven(state).await
    }
}

/// A caller who proved nothing: allowed only before the claim.
async fn unproven(state: &AppState) -> Result<DirectoryReader, ApiError> {
    let claimed = state
        .directory()
        .fresh(state.store())
        .await
        .map_err(unavailable)?
        .is_some();
    if claimed {
        Err(Refusal::DirectoryPrivate.into())
    } else {
        Ok(DirectoryReader::BeforeClaim)
    }
}
