//! Bringing the case store up to date before `cases` and `report` (ADR
//! 0014): one request for every thread of this desk changed since the last
//! sync (following pages), then the replies addressed to this desk on those
//! threads opened, kept and acknowledged exactly as `thread` does
//! ([`receive::pull_replies_each`]), and the broker's coarse events merged
//! under ADR 0010's rule. The cursor and the time of the sync are kept in
//! the case store ([`SyncState`]).
//!
//! With the broker out of reach the store is shown as it is, and the caller
//! says so ([`Freshness::print_note`]).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use referral_protocol::api::{ThreadChanges, ThreadView};
use referral_protocol::paths;
use referral_protocol::{RefusalCode, ThreadId};
use serde::{Serialize, Serializer};

use super::{receive, rfc3339, unix_now};
use crate::api_client::{BrokerClient, BrokerError};
use crate::cases::{CaseStore, SyncState};
use crate::context::{Context, Keys};
use crate::exit::Failure;
use crate::keystore::UnlockedKeys;
use crate::output;
use crate::session::Online;
use crate::tr;

/// How current the case store is, for people (a note) and `--json`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Freshness {
    /// Whether the broker could not be reached this time, so that the
    /// store is as of `synced_at`.
    pub stale: bool,
    /// When the store was last brought up to date (RFC 3339), if ever.
    #[serde(serialize_with = "time_or_null")]
    pub synced_at: Option<i64>,
}

fn time_or_null<S: Serializer>(at: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    at.map(rfc3339).serialize(s)
}

impl Freshness {
    /// On stderr, when the store could not be brought up to date: as of
    /// when it is, and what to do.
    pub fn print_note(&self) {
        if !self.stale {
            return;
        }
        let note = match self.synced_at {
            Some(at) => tr!("sync-stale", when = crate::i18n::moment(at)),
            None => tr!("sync-stale-never"),
        };
        output::warn(&note);
    }
}

/// How long each request of a sync may take. The list is small and the
/// command has a useful answer without the broker, so a broker that
/// accepts connections but never answers costs this, not the upload
/// timeout; a reply too large to fetch in it is fetched by the next sync
/// or by `thread`.
const SYNC_TIMEOUT: Duration = Duration::from_secs(15);

/// Unlocks the keystore and brings the case store up to date if the broker
/// can be reached. Only "unreachable" is forgiven: a directory or packet
/// that fails verification still fails (exit 4), as it does for `thread`.
pub fn bring_up_to_date(ctx: &Context) -> Result<(Keys, Freshness), Failure> {
    // Unlocked before connecting (which signs in with them), so that going
    // on without the broker does not ask for the passphrase again.
    let keys = ctx.unlock()?.shared();
    let online = match Online::connect_unlocked(ctx, Arc::clone(&keys), Some(SYNC_TIMEOUT)) {
        Ok(online) => Some(online),
        Err(Failure::BrokerUnreachable(_)) => None,
        Err(e) => return Err(e),
    };
    let keys = Keys::Held(keys);
    let cases = CaseStore::open(&ctx.home)?;
    let synced = match &online {
        // A device of no desk (an administrator's) has no threads to sync:
        // its store is as current as it can be.
        Some(online) if online.desk().is_err() => Some(None),
        Some(online) => match sync(ctx, online, &keys, &cases) {
            Ok(at) => Some(Some(at)),
            Err(Failure::BrokerUnreachable(_)) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let last_sync = || -> Result<Option<i64>, Failure> {
        Ok(cases
            .load_sync_state(&keys.case_keys())?
            .map(|s| s.synced_at))
    };
    let freshness = match synced {
        Some(Some(at)) => Freshness {
            stale: false,
            synced_at: Some(at),
        },
        Some(None) => Freshness {
            stale: false,
            synced_at: last_sync()?,
        },
        None => Freshness {
            stale: true,
            synced_at: last_sync()?,
        },
    };
    Ok((keys, freshness))
}

/// One sync; returns its time.
fn sync(
    ctx: &Context,
    online: &Online,
    keys: &UnlockedKeys,
    cases: &CaseStore,
) -> Result<i64, Failure> {
    let broker = online.client.base().to_string();
    let our_desk = online.desk()?;
    let token = online.token(keys)?;
    let case_keys = keys.case_keys();
    // A cursor is the broker's: after a change of broker, from the start.
    let previous = cases
        .load_sync_state(&case_keys)?
        .filter(|s| s.broker == broker)
        .and_then(|s| s.cursor);
    let (views, cursor) = match changed_threads(&online.client, &token.token, previous.clone()) {
        // Not a cursor this broker issued (restored from a backup, say):
        // from the start, which is always right, only longer.
        Err(e) if e.refusal() == Some(RefusalCode::BadCursor) && previous.is_some() => {
            changed_threads(&online.client, &token.token, None)?
        }
        other => other?,
    };

    // Only cases this device has a record of: a reply on a colleague's case
    // is left for that colleague's device.
    let mut ours = HashSet::new();
    for view in &views {
        if cases.load(&view.thread_id, &case_keys)?.is_some() {
            ours.insert(view.thread_id);
        }
    }
    let mut complete = true;
    if !ours.is_empty() {
        let receiver = receive::receiver(ctx, online, keys, &token.token, cases, &our_desk);
        receive::pull_replies_each(
            &receiver,
            keys,
            online.device.device_id,
            |thread: &ThreadId| ours.contains(thread),
            |thread, e| {
                output::warn(&tr!(
                    "sync-reply-failed",
                    thread = thread.to_string(),
                    reason = format!("{:#}", e.error())
                ));
                complete = false;
                Ok(())
            },
        )?;
    }
    for view in views.iter().filter(|v| ours.contains(&v.thread_id)) {
        receive::merge_broker_view(cases, &case_keys, view)?;
    }
    let at = unix_now();
    cases.save_sync_state(
        &SyncState {
            broker,
            // A reply that failed is asked about again next time.
            cursor: if complete { Some(cursor) } else { previous },
            synced_at: at,
        },
        &case_keys,
    )?;
    Ok(at)
}

/// Every thread of the desk changed after `cursor`, page after page, and
/// the cursor to ask with next time.
fn changed_threads(
    client: &BrokerClient,
    token: &str,
    mut cursor: Option<String>,
) -> Result<(Vec<ThreadView>, String), BrokerError> {
    let mut views = Vec::new();
    loop {
        let page: ThreadChanges = client.get(&paths::threads(cursor.as_deref()), Some(token))?;
        views.extend(page.threads);
        // A broker that says "more" without moving on would loop forever.
        let moved = cursor.as_deref() != Some(page.next_cursor.as_str());
        cursor = Some(page.next_cursor);
        if !page.more || !moved {
            break;
        }
    }
    Ok((views, cursor.unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshness_in_json_adds_stale_and_synced_at() {
        let stale = Freshness {
            stale: true,
            synced_at: Some(1_765_101_600),
        };
        assert_eq!(
            serde_json::to_value(stale).unwrap(),
            serde_json::json!({"stale": true, "synced_at": "2025-12-07T10:00:00Z"})
        );
        assert_eq!(
            serde_json::to_value(Freshness::default()).unwrap(),
            serde_json::json!({"stale": false, "synced_at": null})
        );
    }
}
