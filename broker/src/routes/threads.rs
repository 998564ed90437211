//! `GET /v1/threads/{id}`: a thread's coarse status and history, for its two
//! desks only; `GET /v1/threads?changed_since=CURSOR`: the same view of each
//! of the caller's desk's threads changed after the cursor (ADR 0014).

use axum::extract::State;
use referral_protocol::ThreadId;
use referral_protocol::api::{
    Hour, ThreadChanges, ThreadChangesQuery, ThreadEventView, ThreadView,
};
use referral_store::{THREAD_CHANGES_PAGE_MAX, Thread};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiPath, ApiQuery, Refusal};
use crate::state::AppState;

fn no_such_thread() -> ApiError {
    Refusal::UnknownThread.into()
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
    Ok(axum::Json(view(thread)))
}

fn bad_cursor() -> ApiError {
    Refusal::BadCursor.into()
}

fn bad_limit() -> ApiError {
    Refusal::BadLimit {
        max: THREAD_CHANGES_PAGE_MAX,
    }
    .into()
}

/// The caller's desk's threads changed after the cursor, oldest change
/// first, one bounded page. The cursor is the store's change sequence as
/// decimal text: opaque to clients, which only hand it back.
pub async fn changed_since(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<ThreadChangesQuery>,
) -> Result<axum::Json<ThreadChanges>, ApiError> {
    let desk = user.require_desk()?;
    let after = match query.changed_since.as_deref() {
        None => 0,
        Some(text) => parse_cursor(text).ok_or_else(bad_cursor)?,
    };
    let limit = query.limit.unwrap_or(THREAD_CHANGES_PAGE_MAX);
    if !(1..=THREAD_CHANGES_PAGE_MAX).contains(&limit) {
        return Err(bad_limit());
    }
    let page = state
        .store()
        .threads_changed_since(desk, after, limit)
        .await?;
    // A cursor past the newest change was never issued here (or comes from
    // before a restore): following it would skip changes for good.
    if after > page.head {
        return Err(bad_cursor());
    }
    let next = page.threads.last().map_or(after, |(seq, _)| *seq);
    Ok(axum::Json(ThreadChanges {
        threads: page.threads.into_iter().map(|(_, t)| view(t)).collect(),
        next_cursor: next.to_string(),
        more: page.more,
    }))
}

/// Only plain decimal digits: no sign, no spaces, no leading `+`.
fn parse_cursor(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// What a party desk may see of a thread: the same for both routes.
fn view(thread: Thread) -> ThreadView {
    ThreadView {
        thread_id: thread.id,
        status: thread.status.into(),
        sender_desk: thread.sender_desk,
        recipient_desk: thread.recipient_desk,
        events: thread
            .events
            .into_iter()
            .map(|e| ThreadEventView {
                status: e.status.into(),
                at: Hour::containing(e.at_hour).into(),
            })
            .collect(),
    }
}
