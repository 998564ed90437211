//! The coarse status of a case thread (SPEC §7), and who may change it.
//!
//! It lives here, in the shared crate, because both sides enforce it: the
//! broker refuses an illegal transition, and the CLI refuses it before
//! sealing anything, with the same rule.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The coarse status of a case thread (SPEC §7). Reasons and outcomes are
/// encrypted inside reply packets; only this word is metadata.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ThreadStatus {
    /// The referral was sent.
    Sent,
    /// The addressed desk fetched and acknowledged it.
    Received,
    /// The desk accepted the case.
    Accepted,
    /// The desk declined the case (the reason is in the reply packet).
    Rejected,
    /// The desk is working on it.
    InProgress,
    /// Done (the outcome is in the reply packet).
    Completed,
    /// Withdrawn by the sender.
    Cancelled,
    /// Passed on to another desk.
    Forwarded,
    /// Nobody read it within the TTL.
    Expired,
}

/// Which side of a thread acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The desk that sent the referral.
    Sender,
    /// The desk it was addressed to.
    Recipient,
}

impl ThreadStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [Self; 9] = [
        Self::Sent,
        Self::Received,
        Self::Accepted,
        Self::Rejected,
        Self::InProgress,
        Self::Completed,
        Self::Cancelled,
        Self::Forwarded,
        Self::Expired,
    ];

    /// The word used on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Received => "received",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::Forwarded => "forwarded",
            Self::Expired => "expired",
        }
    }

    /// No further change is possible: the case is closed. This is also what
    /// the broker's retention calls "closed" (ADR 0019 §1): only threads in
    /// these statuses are ever deleted.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Rejected | Self::Completed | Self::Cancelled | Self::Forwarded | Self::Expired
        )
    }

    /// Whether a reply packet may carry this status. `received` comes only
    /// from an acknowledgement, `forwarded` only from a forward, and `sent`
    /// and `expired` only from the broker.
    pub fn settable_by_reply(self) -> bool {
        matches!(
            self,
            Self::Accepted | Self::Rejected | Self::InProgress | Self::Completed | Self::Cancelled
        )
    }

    /// Whether `party` may move a thread from `self` to `next` with a reply
    /// (or, for `Received`, an acknowledgement; for `Forwarded`, a forward).
    /// `Sent` and `Expired` are set only by the broker.
    pub fn may_become(self, next: Self, party: Party) -> bool {
        use ThreadStatus::*;
        match (party, self, next) {
            (Party::Sender, from, Cancelled) => !from.is_terminal(),
            (Party::Recipient, Sent, Received) => true,
            (Party::Recipient, Received, Accepted | Rejected | Forwarded) => true,
            (Party::Recipient, Accepted, InProgress | Completed | Forwarded) => true,
            (Party::Recipient, InProgress, InProgress | Completed | Forwarded) => true,
            _ => false,
        }
    }
}

impl fmt::Display for ThreadStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not a thread status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown status {0:?}: expected one of sent, received, accepted, rejected, in_progress, completed, cancelled, forwarded, expired"
)]
pub struct UnknownStatus(pub String);

impl FromStr for ThreadStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.chars().take(32).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for s in ThreadStatus::ALL {
            assert_eq!(s.as_str().parse::<ThreadStatus>().unwrap(), s);
        }
        assert!("done".parse::<ThreadStatus>().is_err());
    }

    #[test]
    fn lifecycle_rules() {
        use Party::*;
        use ThreadStatus::*;
        assert!(Sent.may_become(Received, Recipient));
        assert!(Received.may_become(Accepted, Recipient));
        assert!(Accepted.may_become(InProgress, Recipient));
        assert!(InProgress.may_become(Completed, Recipient));
        assert!(Sent.may_become(Cancelled, Sender));
        assert!(
            !Sent.may_become(Accepted, Recipient),
            "must be received first"
        );
        assert!(
            !Received.may_become(Accepted, Sender),
            "only the desk accepts"
        );
        assert!(!Completed.may_become(Cancelled, Sender), "terminal");
        assert!(!Rejected.may_become(Accepted, Recipient), "terminal");
        for to in ThreadStatus::ALL {
            for party in [Sender, Recipient] {
                assert!(!Expired.may_become(to, party));
                assert!(!Sent.may_become(Sent, party));
                assert!(
                    !Received.may_become(Expired, party),
                    "only the broker expires"
                );
            }
        }
    }
}
