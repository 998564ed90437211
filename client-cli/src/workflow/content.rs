//! The contents of replies and forwards (ADR 0005), next to the referral's
//! (`crate::referral`). Each is signed and encrypted like a referral; the
//! envelope's content type says which one a packet holds.

use anyhow::anyhow;
use referral_protocol::{ContentType, DeskId, ThreadId, ThreadStatus};
use serde::{Deserialize, Serialize};

use crate::exit::Failure;
use crate::tr;

/// The longest message, reason, outcome or note accepted, in bytes: a few
/// paragraphs. Longer texts belong in an attachment.
pub const MAX_TEXT: usize = 8 * 1024;

/// `reply.v1`: a desk's answer on a thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyContent {
    /// Always `reply.v1`.
    pub schema: String,
    /// The thread's new status.
    pub status: ThreadStatus,
    /// A message to the other desk.
    pub message: Option<String>,
    /// Why the case was rejected (required with `rejected`).
    pub reason: Option<String>,
    /// What came of it (required with `completed`).
    pub outcome: Option<String>,
}

/// The schema name of [`ReplyContent`].
pub const REPLY_SCHEMA: &str = "reply.v1";
/// The schema name of [`ForwardContent`].
pub const FORWARD_SCHEMA: &str = "forward.v1";

impl ReplyContent {
    /// A reply, checked: SPEC §7 wants a reason with a rejection and an
    /// outcome with a completion; the broker cannot see either, so the CLI
    /// is where it is enforced.
    pub fn new(
        status: ThreadStatus,
        message: Option<String>,
        reason: Option<String>,
        outcome: Option<String>,
    ) -> Result<Self, Failure> {
        let reply = Self {
            schema: REPLY_SCHEMA.to_owned(),
            status,
            message: non_blank(message),
            reason: non_blank(reason),
            outcome: non_blank(outcome),
        };
        reply.check().map_err(Failure::User)?;
        Ok(reply)
    }

    /// The rules a reply must follow, for one being sent and one received.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.schema != REPLY_SCHEMA {
            return Err(anyhow!("schema: expected {REPLY_SCHEMA:?}"));
        }
        if !self.status.settable_by_reply() {
            return Err(anyhow!(
                "status: a reply may set accepted, rejected, in_progress, completed or \
                 cancelled, not {}",
                self.status
            ));
        }
        if self.status == ThreadStatus::Rejected && self.reason.is_none() {
            return Err(anyhow!(tr!("reply-needs-reason")));
        }
        if self.status == ThreadStatus::Completed && self.outcome.is_none() {
            return Err(anyhow!(tr!("reply-needs-outcome")));
        }
        for (name, text) in [
            ("message", &self.message),
            ("reason", &self.reason),
            ("outcome", &self.outcome),
        ] {
            if text.as_ref().is_some_and(|t| t.len() > MAX_TEXT) {
                return Err(anyhow!(tr!(
                    "reply-text-too-long",
                    name = name,
                    max = MAX_TEXT
                )));
            }
        }
        Ok(())
    }

    /// The envelope's content type.
    pub fn content_type() -> ContentType {
        ContentType::reply_v1()
    }
}

/// `forward.v1`: a referral passed on to another desk, with a note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardContent {
    /// Always `forward.v1`.
    pub schema: String,
    /// A note from the forwarding desk.
    pub note: Option<String>,
    /// The desk that forwards it.
    pub from_desk: DeskId,
    /// The thread it came in on.
    pub from_thread_id: ThreadId,
    /// The referral (schema v1), unchanged.
    pub referral: serde_json::Value,
}

impl ForwardContent {
    /// The envelope's content type.
    pub fn content_type() -> ContentType {
        "forward.v1"
            .parse()
            .expect("forward.v1 is a well-formed content type")
    }
}

/// A blank text is no text: `--reason ""` must not pass for a reason.
fn non_blank(text: Option<String>) -> Option<String> {
    text.filter(|t| !t.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_needs_a_reason_and_a_completion_an_outcome() {
        let err = ReplyContent::new(ThreadStatus::Rejected, None, Some(" ".into()), None);
        assert!(err.unwrap_err().error().to_string().contains("--reason"));
        let err = ReplyContent::new(ThreadStatus::Completed, Some("done".into()), None, None);
        assert!(err.unwrap_err().error().to_string().contains("--outcome"));
        ReplyContent::new(
            ThreadStatus::Rejected,
            None,
            Some("out of area".into()),
            None,
        )
        .unwrap();
        ReplyContent::new(
            ThreadStatus::Completed,
            None,
            None,
            Some("voucher issued".into()),
        )
        .unwrap();
        ReplyContent::new(ThreadStatus::Accepted, None, None, None).unwrap();
    }

    #[test]
    fn only_reply_statuses_and_bounded_texts() {
        assert!(ReplyContent::new(ThreadStatus::Forwarded, None, None, None).is_err());
        assert!(ReplyContent::new(ThreadStatus::Received, None, None, None).is_err());
        let long = "x".repeat(MAX_TEXT + 1);
        assert!(ReplyContent::new(ThreadStatus::Accepted, Some(long), None, None).is_err());
    }

    #[test]
    fn the_forward_content_type_parses() {
        assert_eq!(ForwardContent::content_type().as_str(), FORWARD_SCHEMA);
    }
}
