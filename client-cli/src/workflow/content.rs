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
        let reply = Self::draft(status, message, reason, outcome);
        reply.check().map_err(Failure::User)?;
        Ok(reply)
    }

    /// A reply as given, blank texts dropped, not yet checked: a form shows
    /// every one of its [`ReplyContent::problems`] beside its field.
    pub fn draft(
        status: ThreadStatus,
        message: Option<String>,
        reason: Option<String>,
        outcome: Option<String>,
    ) -> Self {
        Self {
            schema: REPLY_SCHEMA.to_owned(),
            status,
            message: non_blank(message),
            reason: non_blank(reason),
            outcome: non_blank(outcome),
        }
    }

    /// The rules a reply must follow, for one being sent and one received.
    pub fn check(&self) -> anyhow::Result<()> {
        match self.problems().into_iter().next() {
            Some(problem) => Err(anyhow!("{problem}")),
            None => Ok(()),
        }
    }

    /// Every rule this reply breaks, in the order [`ReplyContent::check`]
    /// reports them.
    pub fn problems(&self) -> Vec<ReplyProblem> {
        let mut problems = Vec::new();
        if self.schema != REPLY_SCHEMA {
            problems.push(ReplyProblem::Schema);
        }
        if !self.status.settable_by_reply() {
            problems.push(ReplyProblem::Status(self.status));
        }
        if self.status == ThreadStatus::Rejected && self.reason.is_none() {
            problems.push(ReplyProblem::NeedsReason);
        }
        if self.status == ThreadStatus::Completed && self.outcome.is_none() {
            problems.push(ReplyProblem::NeedsOutcome);
        }
        for (field, text) in [
            (ReplyField::Message, &self.message),
            (ReplyField::Reason, &self.reason),
            (ReplyField::Outcome, &self.outcome),
        ] {
            if text.as_ref().is_some_and(|t| t.len() > MAX_TEXT) {
                problems.push(ReplyProblem::TooLong(field));
            }
        }
        problems
    }

    /// The envelope's content type.
    pub fn content_type() -> ContentType {
        ContentType::reply_v1()
    }
}

/// A text of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyField {
    /// `message`.
    Message,
    /// `reason`.
    Reason,
    /// `outcome`.
    Outcome,
}

impl ReplyField {
    /// The field's name, as the rules and `--json` say it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::Reason => "reason",
            Self::Outcome => "outcome",
        }
    }
}

/// A rule of SPEC §7 a reply breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyProblem {
    /// The schema is not `reply.v1`.
    Schema,
    /// A status a reply may not carry.
    Status(ThreadStatus),
    /// A rejection without a reason.
    NeedsReason,
    /// A completion without an outcome.
    NeedsOutcome,
    /// A text over [`MAX_TEXT`].
    TooLong(ReplyField),
}

impl ReplyProblem {
    /// The text the problem is about, if it is about one.
    pub fn field(self) -> Option<ReplyField> {
        match self {
            Self::NeedsReason => Some(ReplyField::Reason),
            Self::NeedsOutcome => Some(ReplyField::Outcome),
            Self::TooLong(field) => Some(field),
            Self::Schema | Self::Status(_) => None,
        }
    }
}

impl std::fmt::Display for ReplyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Schema => write!(f, "schema: expected {REPLY_SCHEMA:?}"),
            Self::Status(status) => write!(
                f,
                "status: a reply may set accepted, rejected, in_progress, completed or \
                 cancelled, not {status}"
            ),
            Self::NeedsReason => f.write_str(&tr!("reply-needs-reason")),
            Self::NeedsOutcome => f.write_str(&tr!("reply-needs-outcome")),
            Self::TooLong(field) => f.write_str(&tr!(
                "reply-text-too-long",
                name = field.as_str(),
                max = MAX_TEXT
            )),
        }
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
    fn every_problem_is_listed_with_its_field() {
        let draft = ReplyContent::draft(
            ThreadStatus::Completed,
            Some("x".repeat(MAX_TEXT + 1)),
            None,
            Some("  ".into()),
        );
        let problems = draft.problems();
        assert_eq!(
            problems,
            vec![
                ReplyProblem::NeedsOutcome,
                ReplyProblem::TooLong(ReplyField::Message)
            ]
        );
        assert_eq!(problems[0].field(), Some(ReplyField::Outcome));
        assert_eq!(problems[1].field(), Some(ReplyField::Message));
        // `check` reports the first, as before.
        let err = draft.check().unwrap_err().to_string();
        assert!(err.contains("--outcome"), "{err}");
        assert!(
            ReplyContent::draft(ThreadStatus::Accepted, None, None, None)
                .problems()
                .is_empty()
        );
    }

    #[test]
    fn the_forward_content_type_parses() {
        assert_eq!(ForwardContent::content_type().as_str(), FORWARD_SCHEMA);
    }
}
