//! `POST /cases/{thread}/reply` and `POST /cases/{thread}/forward`: the
//! answer and forward forms, sent through `referral reply` and `referral
//! forward` themselves. A form's own mistakes (no status chosen, a
//! rejection without a reason, a completion without an outcome) are shown
//! beside their fields with what was typed kept; a refusal of the workflow
//! is shown above the form.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use referral_protocol::{DeskId, ThreadId, ThreadStatus};
use serde::Deserialize;

use super::case::{self, Forms};
use super::view;
use super::{case_path, not_found, thread_in_path};
use crate::cases::CaseRecord;
use crate::cli::{ForwardArgs, ReplyArgs};
use crate::commands::{forward, reply};
use crate::exit::Failure;
use crate::tr;
use crate::ui::guard::redirect;
use crate::ui::page::Chrome;
use crate::ui::state::App;
use crate::ui::work;
use crate::workflow::content::{MAX_TEXT, ReplyContent, ReplyField, ReplyProblem};

/// The answer form's fields.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ReplyForm {
    /// The new status (`accepted`, …).
    pub status: Option<String>,
    /// A message to the other desk.
    pub message: Option<String>,
    /// Why the case is declined.
    pub reason: Option<String>,
    /// What came of it.
    pub outcome: Option<String>,
}

/// What is wrong with an answer, by field, in the page's words.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReplyErrors {
    /// The status choice.
    pub status: Option<String>,
    /// The message.
    pub message: Option<String>,
    /// The reason.
    pub reason: Option<String>,
    /// The outcome.
    pub outcome: Option<String>,
    /// The workflow's refusal, for the whole form.
    pub general: Option<String>,
}

/// The forward form's fields.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ForwardForm {
    /// The desk to pass the case on to.
    pub to: Option<String>,
    /// A note for that desk.
    pub note: Option<String>,
}

/// What is wrong with a forward, by field, in the page's words.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ForwardErrors {
    /// The desk choice.
    pub to: Option<String>,
    /// The note.
    pub note: Option<String>,
    /// The workflow's refusal, for the whole form.
    pub general: Option<String>,
}

/// The status an answer sets, or its errors: a status among `choices` (the
/// lifecycle's, [`reply::choices`]) and the texts `reply.v1` requires with
/// it ([`ReplyContent::problems`], the rule `referral reply` applies).
pub fn check_reply(
    form: &ReplyForm,
    choices: &[ThreadStatus],
) -> Result<ThreadStatus, ReplyErrors> {
    let mut errors = ReplyErrors::default();
    let status = form
        .status
        .as_deref()
        .and_then(|s| s.parse::<ThreadStatus>().ok())
        .filter(|s| choices.contains(s));
    let Some(status) = status else {
        errors.status = Some(tr!("ui-clerk-error-status"));
        return Err(errors);
    };
    let draft = ReplyContent::draft(
        status,
        form.message.clone(),
        form.reason.clone(),
        form.outcome.clone(),
    );
    for problem in draft.problems() {
        let words = match problem {
            ReplyProblem::NeedsReason => tr!("ui-clerk-error-reason"),
            ReplyProblem::NeedsOutcome => tr!("ui-clerk-error-outcome"),
            ReplyProblem::TooLong(_) => tr!("ui-clerk-error-too-long", max = MAX_TEXT),
            ReplyProblem::Schema | ReplyProblem::Status(_) => tr!("ui-clerk-error-status"),
        };
        let slot = match problem.field() {
            Some(ReplyField::Message) => &mut errors.message,
            Some(ReplyField::Reason) => &mut errors.reason,
            Some(ReplyField::Outcome) => &mut errors.outcome,
            None => &mut errors.status,
        };
        slot.get_or_insert(words);
    }
    if errors == ReplyErrors::default() {
        Ok(status)
    } else {
        Err(errors)
    }
}

/// The desk a forward goes to, or the error beside the picker.
pub fn check_forward(form: &ForwardForm) -> Result<DeskId, ForwardErrors> {
    form.to
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .and_then(|t| t.parse::<DeskId>().ok())
        .ok_or_else(|| ForwardErrors {
            to: Some(tr!("ui-clerk-error-desk")),
            ..ForwardErrors::default()
        })
}

/// The status of a page that shows a workflow's refusal.
fn refused_status(failure: &Failure) -> StatusCode {
    match failure {
        Failure::BrokerUnreachable(_) => StatusCode::BAD_GATEWAY,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// `POST /cases/{thread}/reply`.
pub async fn reply(
    State(app): State<Arc<App>>,
    chrome: Chrome,
    Path(thread): Path<String>,
    Form(form): Form<ReplyForm>,
) -> Response {
    let (thread, record) = match case_in_store(&app, &chrome, &thread).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let choices = reply::choices(record.status, view::party(&record));
    let status = match chrome.words(|| check_reply(&form, &choices)) {
        Ok(status) => status,
        Err(errors) => {
            let forms = Forms {
                reply: form,
                reply_errors: errors,
                ..Forms::default()
            };
            return case::show(
                &app,
                &chrome,
                thread,
                forms,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let args = ReplyArgs {
        thread: thread.to_string(),
        status: status.as_str().to_owned(),
        message: form.message.clone(),
        reason: form.reason.clone(),
        outcome: form.outcome.clone(),
    };
    match work::with_keys(&app, chrome.lang, move |ctx| reply::run(ctx, &args)).await {
        Ok(_) => redirect(&format!("{}?done=reply", case_path(&thread))),
        Err(failure @ Failure::Verification(_)) => chrome.failure(&failure),
        Err(failure) => {
            let forms = Forms {
                reply: form,
                reply_errors: ReplyErrors {
                    general: Some(format!("{:#}", failure.error())),
                    ..ReplyErrors::default()
                },
                ..Forms::default()
            };
            case::show(&app, &chrome, thread, forms, refused_status(&failure)).await
        }
    }
}

/// The case a form was posted for, from the local case store: the answer
/// to give instead if the path names no thread or no case this device has.
async fn case_in_store(
    app: &Arc<App>,
    chrome: &Chrome,
    thread: &str,
) -> Result<(ThreadId, CaseRecord), Response> {
    let Some(thread) = thread_in_path(thread) else {
        return Err(not_found(chrome));
    };
    match work::with_keys(app, chrome.lang, move |ctx| view::local(ctx, thread)).await {
        Ok(Some(record)) => Ok((thread, record)),
        Ok(None) => Err(not_found(chrome)),
        Err(failure) => Err(chrome.failure(&failure)),
    }
}

/// `POST /cases/{thread}/forward`.
pub async fn forward(
    State(app): State<Arc<App>>,
    chrome: Chrome,
    Path(thread): Path<String>,
    Form(form): Form<ForwardForm>,
) -> Response {
    let (thread, record) = match case_in_store(&app, &chrome, &thread).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let to = match chrome.words(|| check_forward(&form)) {
        Ok(to) => to,
        Err(errors) => {
            let forms = Forms {
                forward: form,
                forward_errors: errors,
                ..Forms::default()
            };
            return case::show(
                &app,
                &chrome,
                thread,
                forms,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    // The packet the case came in, kept in the case store when it was
    // opened: what `referral forward PACKET` passes on.
    let args = ForwardArgs {
        packet: record.referral_packet.to_string(),
        to,
        note: form.note.clone(),
    };
    match work::with_keys(&app, chrome.lang, move |ctx| forward::run(ctx, &args)).await {
        Ok(_) => redirect(&format!("{}?done=forward", case_path(&thread))),
        Err(failure @ Failure::Verification(_)) => chrome.failure(&failure),
        Err(failure) => {
            let forms = Forms {
                forward: form,
                forward_errors: ForwardErrors {
                    general: Some(format!("{:#}", failure.error())),
                    ..ForwardErrors::default()
                },
                ..Forms::default()
            };
            case::show(&app, &chrome, thread, forms, refused_status(&failure)).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(status: &str, reason: &str, outcome: &str) -> ReplyForm {
        ReplyForm {
            status: Some(status.into()),
            message: Some(String::new()),
            reason: Some(reason.into()),
            outcome: Some(outcome.into()),
        }
    }

    const FROM_RECEIVED: [ThreadStatus; 2] = [ThreadStatus::Accepted, ThreadStatus::Rejected];
    const FROM_ACCEPTED: [ThreadStatus; 2] = [ThreadStatus::InProgress, ThreadStatus::Completed];

    #[test]
    fn a_status_must_be_one_offered() {
        assert_eq!(
            check_reply(&form("accepted", "", ""), &FROM_RECEIVED),
            Ok(ThreadStatus::Accepted)
        );
        for status in ["", "completed", "forwarded", "<script>"] {
            let errors = check_reply(&form(status, "", ""), &FROM_RECEIVED).unwrap_err();
            assert!(errors.status.is_some(), "{status:?}");
            assert_eq!(errors.reason, None);
        }
        let none = ReplyForm::default();
        assert!(
            check_reply(&none, &FROM_RECEIVED)
                .unwrap_err()
                .status
                .is_some()
        );
    }

    #[test]
    fn a_rejection_needs_a_reason_and_a_completion_an_outcome_beside_their_fields() {
        let errors = check_reply(&form("rejected", "  ", ""), &FROM_RECEIVED).unwrap_err();
        assert!(errors.reason.is_some());
        assert_eq!((errors.status, errors.outcome), (None, None));
        assert_eq!(
            check_reply(&form("rejected", "out of area", ""), &FROM_RECEIVED),
            Ok(ThreadStatus::Rejected)
        );
        let errors = check_reply(&form("completed", "", ""), &FROM_ACCEPTED).unwrap_err();
        assert!(errors.outcome.is_some());
        assert_eq!(errors.reason, None);
        assert_eq!(
            check_reply(&form("completed", "", "voucher issued"), &FROM_ACCEPTED),
            Ok(ThreadStatus::Completed)
        );
    }

    #[test]
    fn an_overlong_message_is_flagged_on_the_message() {
        let mut long = form("accepted", "", "");
        long.message = Some("x".repeat(MAX_TEXT + 1));
        let errors = check_reply(&long, &FROM_RECEIVED).unwrap_err();
        assert!(errors.message.is_some());
        assert_eq!(errors.status, None);
    }

    #[test]
    fn a_forward_needs_a_desk() {
        let to = |t: Option<&str>| ForwardForm {
            to: t.map(str::to_owned),
            note: None,
        };
        assert_eq!(
            check_forward(&to(Some("osaka-ngo"))).unwrap().as_str(),
            "osaka-ngo"
        );
        assert!(check_forward(&to(None)).unwrap_err().to.is_some());
        assert!(check_forward(&to(Some(" "))).unwrap_err().to.is_some());
        assert!(
            check_forward(&to(Some("Not A Desk!")))
                .unwrap_err()
                .to
                .is_some()
        );
    }
}
