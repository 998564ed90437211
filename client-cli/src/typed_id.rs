//! An id argument as typed: a whole id is taken as it is; anything else is
//! read as a prefix of one of the ids the command could mean
//! ([`crate::id_prefix`] holds the rule). Commands call [`pick`] with a
//! closure that lists their candidates, so that a whole id costs no extra
//! request to the broker.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::str::FromStr;

use referral_protocol::ThreadId;
use referral_protocol::api::Inbox;
use referral_protocol::paths;

use crate::api_client::BrokerClient;
use crate::cases::CaseStore;
use crate::exit::Failure;
use crate::id_prefix;

/// The id `typed` names among `candidates` (called only when `typed` is not
/// a whole id). An ambiguous, too short or unknown prefix is a user error
/// (exit 1) whose message lists what the user can type instead.
pub fn pick<I, C>(typed: &str, candidates: C) -> Result<I, Failure>
where
    I: FromStr + Display,
    C: FnOnce() -> Result<Vec<I>, Failure>,
{
    if let Ok(whole) = typed.trim().parse::<I>() {
        return Ok(whole);
    }
    // The same id may come from two sources (a thread both in the case store
    // and in the inbox): one entry each, or it would seem ambiguous.
    let unique: BTreeMap<String, I> = candidates()?
        .into_iter()
        .map(|id| (id.to_string(), id))
        .collect();
    id_prefix::resolve(typed, unique).map_err(|e| Failure::User(e.into()))
}

/// The threads a typed thread prefix may stand for: this device's cases and,
/// when online, the threads with packets waiting in the desk's inbox (a case
/// a colleague's device opened).
pub fn known_threads(
    cases: &CaseStore,
    inbox: Option<(&BrokerClient, &str)>,
) -> Result<Vec<ThreadId>, Failure> {
    let mut threads = cases.thread_ids()?;
    if let Some((client, token)) = inbox {
        let inbox: Inbox = client.get(paths::INBOX, Some(token))?;
        threads.extend(inbox.packets.into_iter().map(|p| p.thread_id));
    }
    Ok(threads)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_id_is_taken_without_asking_for_candidates() {
        let id = ThreadId::random();
        let picked: ThreadId = pick(&id.to_string(), || panic!("no candidates needed")).unwrap();
        assert_eq!(picked, id);
    }

    #[test]
    fn a_prefix_names_the_one_candidate_even_when_listed_twice() {
        let id = ThreadId::random();
        let other = ThreadId::random();
        let typed = &id.to_string()[..8];
        let picked: ThreadId = pick(typed, || Ok(vec![id, other, id])).unwrap();
        assert_eq!(picked, id);
    }

    #[test]
    fn an_ambiguous_prefix_is_a_user_error_naming_both() {
        let a: ThreadId = "3f2a9c1e-0000-4000-8000-000000000001".parse().unwrap();
        let b: ThreadId = "3f2a9c7b-0000-4000-8000-000000000002".parse().unwrap();
        let failure = pick::<ThreadId, _>("3f2a9c", || Ok(vec![a, b])).unwrap_err();
        assert!(matches!(failure, Failure::User(_)));
        let message = failure.error().to_string();
        assert!(message.contains(&a.to_string()), "{message}");
        assert!(message.contains(&b.to_string()), "{message}");
    }
}
