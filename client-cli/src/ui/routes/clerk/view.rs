//! What a case page shows, gathered on a blocking thread: the case from
//! this device's case store, after `referral thread`'s own refresh from the
//! broker (replies opened, the broker's events merged), and, where the case
//! may be forwarded, the desks of the verified directory (`referral
//! directory`).

use referral_protocol::{DeskId, Party, ThreadId, ThreadStatus};

use crate::cases::{CaseRecord, CaseStore, Direction};
use crate::cli::{DirectoryArgs, ThreadArgs};
use crate::commands::{directory, forward, reply, thread};
use crate::context::Context;
use crate::desk_choice;
use crate::exit::Failure;

/// How current the case page is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refresh {
    /// Brought up to date from the broker just now.
    Fresh,
    /// The broker was out of reach: this device's record alone.
    Offline,
    /// The broker no longer has the case (closed, and deleted after its
    /// retention period, ADR 0019 §1): this device's record is all there is.
    ClosedAtBroker,
    /// The refresh failed, with the workflow's words; the record is shown
    /// as this device last kept it.
    Failed(String),
}

/// A desk a case may be forwarded to, as the directory lists it, in words.
#[derive(Debug, Clone)]
pub struct DeskChoice {
    /// Its id.
    pub desk: DeskId,
    /// Its name (an administrator's free text).
    pub name: String,
    /// Its languages in words, where it declared them.
    pub languages: Option<String>,
    /// Its prefecture in words, where it declared one.
    pub prefecture: Option<String>,
}

/// Everything a case page shows.
#[derive(Debug)]
pub struct CaseView {
    /// The case, from the case store.
    pub record: CaseRecord,
    /// How current it is.
    pub refresh: Refresh,
    /// Where the case may be forwarded: the desks to choose from, or why
    /// they could not be listed. `None` where forwarding is not offered.
    pub desks: Option<Result<Vec<DeskChoice>, String>>,
}

impl CaseView {
    /// Which side this desk is on.
    pub fn party(&self) -> Party {
        party(&self.record)
    }

    /// The statuses an answer may set now (`referral reply`'s rule).
    pub fn choices(&self) -> Vec<ThreadStatus> {
        reply::choices(self.record.status, self.party())
    }
}

/// This desk's side of `record`.
pub fn party(record: &CaseRecord) -> Party {
    match record.direction {
        Direction::Received => Party::Recipient,
        Direction::Sent => Party::Sender,
    }
}

/// Whether the page offers to forward `record`: a case this desk received,
/// whose person agreed to onward referral (`referral forward`'s consent
/// rule), in a status the lifecycle lets become `forwarded`.
pub fn may_forward(record: &CaseRecord) -> bool {
    record.direction == Direction::Received
        && forward::consent_allows_forwarding(&record.referral)
        && record
            .status
            .may_become(ThreadStatus::Forwarded, Party::Recipient)
}

/// The case `thread` from the case store, if this device has it.
pub fn local(ctx: &Context, thread: ThreadId) -> Result<Option<CaseRecord>, Failure> {
    let keys = ctx.unlock()?;
    let cases = CaseStore::open(&ctx.home)?;
    Ok(cases.load(&thread, &keys.case_keys())?)
}

/// Gathers the case page: the record as `referral thread` leaves it, and
/// the desks to forward to where that is offered. `None` for a case this
/// device has no record of.
pub fn gather(ctx: &Context, thread_id: ThreadId) -> Result<Option<CaseView>, Failure> {
    // Read first: a case this device does not have is not looked up.
    if local(ctx, thread_id)?.is_none() {
        return Ok(None);
    }
    let refresh = match thread::run(
        ctx,
        &ThreadArgs {
            thread: thread_id.to_string(),
        },
    ) {
        Ok(report) if report.offline => Refresh::Offline,
        Ok(report) if report.closed_at_broker => Refresh::ClosedAtBroker,
        Ok(_) => Refresh::Fresh,
        Err(failure) => Refresh::Failed(format!("{:#}", failure.error())),
    };
    let Some(record) = local(ctx, thread_id)? else {
        return Ok(None);
    };
    let desks = may_forward(&record).then(|| {
        forward_targets(ctx, &record.our_desk).map_err(|failure| format!("{:#}", failure.error()))
    });
    Ok(Some(CaseView {
        record,
        refresh,
        desks,
    }))
}

/// The desks of the verified directory but this one, as `referral
/// directory` lists them.
fn forward_targets(ctx: &Context, our_desk: &DeskId) -> Result<Vec<DeskChoice>, Failure> {
    let report = directory::run(
        ctx,
        &DirectoryArgs {
            language: None,
            prefecture: None,
        },
    )?;
    Ok(report
        .desks
        .into_iter()
        .filter(|d| d.desk != *our_desk)
        .map(|d| DeskChoice {
            desk: d.desk,
            name: d.name,
            languages: d.languages.as_deref().map(desk_choice::languages_words),
            prefecture: d.prefecture.as_deref().map(desk_choice::prefecture_words),
        })
        .collect())
}
