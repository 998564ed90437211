//! `GET /v1/threads/{id}`: a thread's coarse status and history, for its two
//! desks only.

use axum::extract::State;
use axum::http::StatusCode;
use referral_protocol::ThreadId;
use referral_protocol::api::{ThreadEventView, ThreadView};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiPath};
use crate::routes::hour_text;
use crate::state::AppState;

fn no_such_thread() -> ApiError {
    ApiError::client(
        StatusCode::NOT_FOUND,
        "unknown_thread",
        "no such thread for this desk",
    )
}

/// The thread, if the caller's desk is one of its two parties.
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<axum::Json<ThreadView>, ApiError> {
    let desk = user.require_desk()?;
    let id: ThreadId = id.parse().map_err(|_| no_such_thread())?;
    let thread = state
        .store()
        .thread(&id)
        .await?
        .ok_or_else(no_such_thread)?;
    if &thread.sender_desk != desk && &thread.recipient_desk != desk {
        return Err(no_such_thread());
    }
    Ok(axum::Json(ThreadView {
        thread_id: thread.id,
        status: thread.status.as_str().to_owned(),
        sender_desk: thread.sender_desk,
        recipient_desk: thread.recipient_desk,
        events: thread
            .events
            .into_iter()
            .map(|e| ThreadEventView {
                status: e.status.as_str().to_owned(),
                at: hour_text(e.at_hour),
            })
            .collect(),
    }))
}
