//! A case the broker no longer has (ADR 0019 §1). The broker deletes a
//! closed thread a retention period after its last change and keeps no
//! trace of it, so it answers `unknown_thread` (404), exactly as for an id
//! that never existed. This device knows better when its case store keeps
//! the case: it explains the 404 as "closed at the broker", keeps its own
//! history, and says what to do next.

use anyhow::anyhow;
use referral_protocol::{RefusalCode, ThreadId};

use crate::api_client::BrokerError;
use crate::cases::CaseStore;
use crate::exit::Failure;
use crate::tr;

/// Whether `e` is the broker saying it has no such thread.
pub fn is_unknown_thread(e: &BrokerError) -> bool {
    e.refusal() == Some(RefusalCode::UnknownThread)
}

/// Whether this device's case store keeps a record of `thread` (by file
/// name: nothing is decrypted).
pub fn known_here(cases: &CaseStore, thread: &ThreadId) -> Result<bool, Failure> {
    Ok(cases.thread_ids()?.contains(thread))
}

/// The failure a `reply` or `forward` on a case closed at the broker ends
/// with (exit 1): what happened, that the history is kept here, and what to
/// do instead.
pub fn closed_at_broker(thread: &ThreadId) -> Failure {
    Failure::User(anyhow!(tr!(
        "case-closed-at-broker",
        thread = thread.to_string()
    )))
}

/// `result`, with an `unknown_thread` refusal about `thread` turned into
/// [`closed_at_broker`] when this device keeps that case; any other
/// outcome as it was.
pub fn explain<T>(
    result: Result<T, Failure>,
    cases: &CaseStore,
    thread: &ThreadId,
) -> Result<T, Failure> {
    let failure = match result {
        Ok(value) => return Ok(value),
        Err(failure) => failure,
    };
    let refused_thread = failure
        .error()
        .downcast_ref::<BrokerError>()
        .is_some_and(is_unknown_thread);
    if refused_thread && known_here(cases, thread)? {
        return Err(closed_at_broker(thread));
    }
    Err(failure)
}
