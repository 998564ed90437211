//! `referral thread THREAD`: a case's whole history, oldest first (SPEC §7,
//! §9: `thread`).
//!
//! Online, it first opens the thread's replies waiting in this desk's inbox
//! (verifying and keeping them, as `open` does), then merges this device's
//! history with the broker's coarse events ([`crate::cases::history`]), and
//! keeps the result. With the broker out of reach it shows the case store's
//! history and says so; for a case the broker deleted after its retention
//! period (ADR 0019 §1) it shows that history with a note saying so.

use std::io::{self, Write};
use std::sync::Arc;

use anyhow::anyhow;
use referral_protocol::api::ThreadView;
use referral_protocol::paths;
use referral_protocol::{DeskId, ThreadId, ThreadStatus, UnknownStatus};
use serde::Serialize;

use crate::api_client::BrokerError;
use crate::cases::{CaseEvent, CaseRecord, CaseStore, EventSource, history};
use crate::cli::ThreadArgs;
use crate::context::{Context, Keys};
use crate::exit::Failure;
use crate::output::{self, Report};
use crate::referral::words;
use crate::session::Online;
use crate::typed_id;
use crate::workflow::rfc3339;
use crate::workflow::{closed, receive};
use crate::{columns, i18n, terminal, tr};

/// One event, for people and `--json`.
#[derive(Debug, Serialize)]
pub struct EventView {
    /// The case's status after it.
    pub status: ThreadStatus,
    /// When (RFC 3339; to the hour for events only the broker knows).
    pub at: String,
    /// The desk that acted, where known.
    pub desk: Option<DeskId>,
    /// The message, reason and outcome, where there are any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Why the case was rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What came of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// `packet` (this device sealed or verified it) or `broker` (the
    /// broker's unsigned word: coarse status only, and it never sets the
    /// case's `status` over a signed one).
    pub source: EventSource,
    /// `at` as Unix time, for people (shown in the local zone).
    #[serde(skip)]
    pub at_unix: i64,
}

impl From<&CaseEvent> for EventView {
    fn from(e: &CaseEvent) -> Self {
        Self {
            status: e.status,
            at: rfc3339(e.at),
            desk: e.desk.clone(),
            message: e.message.clone(),
            reason: e.reason.clone(),
            outcome: e.outcome.clone(),
            source: e.source,
            at_unix: e.at,
        }
    }
}

/// What `thread` prints (SPEC §9: `thread`).
#[derive(Debug, Serialize)]
pub struct ThreadReport {
    /// The thread.
    pub thread_id: ThreadId,
    /// The case's current status (`cases::history::status`).
    pub status: ThreadStatus,
    /// Where that status was learnt: `packet` (signed) or `broker`.
    pub status_source: EventSource,
    /// The desk on the other side, where known.
    pub other_desk: Option<DeskId>,
    /// Whether this desk sent or received the case, where known.
    pub direction: Option<&'static str>,
    /// The history, oldest first.
    pub events: Vec<EventView>,
    /// Whether the broker was out of reach (the history is this device's
    /// alone, and may be behind).
    pub offline: bool,
    /// Whether the broker no longer has the case: closed, and deleted after
    /// its retention period. The history is this device's alone.
    pub closed_at_broker: bool,
}

impl Report for ThreadReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut status = words::status(self.status);
        if self.status_source == EventSource::Broker {
            // The broker's unsigned word is marked, so that it never reads
            // like a status a signed packet set (ADR 0010).
            status = tr!("thread-status-from-broker", status = status);
        }
        writeln!(
            out,
            "{}",
            tr!(
                "thread-title",
                thread = self.thread_id.to_string(),
                status = status
            )
        )?;
        if let (Some(direction), Some(other)) = (self.direction, &self.other_desk) {
            let with = match direction {
                "sent" => tr!("thread-sent-to", desk = other.as_str()),
                _ => tr!("thread-received-from", desk = other.as_str()),
            };
            writeln!(out, "  {with}")?;
        }
        if self.offline {
            writeln!(out, "  {}", tr!("thread-offline"))?;
        }
        if self.closed_at_broker {
            writeln!(out, "  {}", tr!("thread-closed-at-broker"))?;
        }
        for e in &self.events {
            // A signed time to the minute; the broker's hour as the hour it
            // stands for, so that "received" never seems to come before
            // "sent" within one hour.
            let at = match e.source {
                EventSource::Packet => i18n::moment(e.at_unix),
                EventSource::Broker => i18n::broker_hour(e.at_unix),
            };
            let mut line = format!("  {at}  {}", words::status(e.status));
            if let Some(desk) = &e.desk {
                line.push_str(&tr!("thread-event-by", desk = desk.as_str()));
            }
            if e.source == EventSource::Broker {
                line.push_str(&tr!("thread-event-unsigned"));
            }
            writeln!(out, "{line}")?;
            for (label, text) in [
                (tr!("open-label-message"), &e.message),
                (tr!("open-label-reason"), &e.reason),
                (tr!("open-label-outcome"), &e.outcome),
            ] {
                if let Some(text) = text {
                    // The other desk's text: its later lines go under its
                    // first, so that it cannot print a line like ours.
                    let column = 6 + columns::width(&label) + 1;
                    writeln!(out, "      {label} {}", terminal::block(text, column))?;
                }
            }
        }
        Ok(())
    }
}

/// Runs `thread`.
pub fn run(ctx: &Context, args: &ThreadArgs) -> Result<ThreadReport, Failure> {
    // Unlocked before connecting (which signs in with them), so that the
    // kept history can be shown without the broker without asking again.
    let keys = ctx.unlock()?.shared();
    let online = match Online::connect_unlocked(ctx, Arc::clone(&keys), None) {
        Ok(online) => Some(online),
        Err(Failure::BrokerUnreachable(e)) => {
            output::warn(&format!("{e:#}\n{}", tr!("thread-offline-warning")));
            None
        }
        Err(e) => return Err(e),
    };
    let keys = Keys::Held(keys);
    let cases = CaseStore::open(&ctx.home)?;
    let Some(online) = online else {
        let thread: ThreadId =
            typed_id::pick(&args.thread, || typed_id::known_threads(&cases, None))?;
        let record = cases
            .load(&thread, &keys.case_keys())?
            .ok_or_else(|| no_case(&thread))?;
        return Ok(report(&record, true, false));
    };
    let our_desk = online.desk()?;
    let token = online.token(&keys)?;
    let thread: ThreadId = typed_id::pick(&args.thread, || {
        typed_id::known_threads(&cases, Some((&online.client, &token.token)))
    })?;
    let view: ThreadView = match online
        .client
        .get(&paths::thread(&thread), Some(&token.token))
    {
        Ok(view) => view,
        Err(e) if closed::is_unknown_thread(&e) => {
            // Closed and deleted at the broker, if this device keeps the
            // case: its own history is all there is, and all there will be.
            let record = cases.load(&thread, &keys.case_keys())?;
            return record
                .map(|record| report(&record, false, true))
                .ok_or_else(|| no_case(&thread));
        }
        Err(e @ BrokerError::Refused { .. }) if e.status().map(|s| s.as_u16()) == Some(404) => {
            return Err(no_case(&thread));
        }
        Err(e) => return Err(e.into()),
    };
    receive::pull_replies(
        &receive::receiver(ctx, &online, &keys, &token.token, &cases, &our_desk),
        &keys,
        online.device.device_id,
        |candidate| *candidate == thread,
    )?;

    let status: ThreadStatus = view.status.parsed().map_err(|e: UnknownStatus| {
        Failure::BrokerUnreachable(anyhow!(tr!("thread-unknown-status", error = e.to_string())))
    })?;
    let broker_events = receive::broker_events(&view)?;
    match receive::merge_broker_view(&cases, &keys.case_keys(), &view)? {
        Some(record) => Ok(report(&record, false, false)),
        None => {
            // A case started on a colleague's device: the broker's view is
            // all this device has.
            let events = history::merge(&[], &broker_events);
            let other = if view.recipient_desk == our_desk {
                view.sender_desk
            } else {
                view.recipient_desk
            };
            Ok(ThreadReport {
                thread_id: thread,
                status,
                status_source: EventSource::Broker,
                other_desk: Some(other),
                direction: None,
                events: events.iter().map(EventView::from).collect(),
                offline: false,
                closed_at_broker: false,
            })
        }
    }
}

fn no_case(thread: &ThreadId) -> Failure {
    Failure::User(anyhow!(tr!("thread-no-case", thread = thread.to_string())))
}

fn report(record: &CaseRecord, offline: bool, closed_at_broker: bool) -> ThreadReport {
    ThreadReport {
        thread_id: record.thread_id,
        status: record.status,
        status_source: record.status_source(),
        other_desk: Some(record.other_desk.clone()),
        direction: Some(record.direction.as_str()),
        events: record.events.iter().map(EventView::from).collect(),
        offline,
        closed_at_broker,
    }
}
