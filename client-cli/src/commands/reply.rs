//! `referral reply THREAD --status S [--message T] [--reason R] [--outcome O]`:
//! an encrypted reply packet on the case's thread, carrying the case's new
//! coarse status (SPEC §7, §9: `reply`).
//!
//! The texts travel only inside the packet; the broker sees the status word
//! alone. The lifecycle rule is checked here first (the same rule the broker
//! enforces, `ThreadStatus::may_become`), so that an illegal change is
//! refused before anything is sealed.

use std::io::{self, Write};

use anyhow::anyhow;
use referral_protocol::api::ThreadView;
use referral_protocol::paths;
use referral_protocol::{
    DeskId, PacketId, PacketKind, Party, ThreadId, ThreadStatus, UnknownStatus,
};
use serde::Serialize;

use crate::cases::{CaseEvent, CaseStore};
use crate::cli::ReplyArgs;
use crate::context::Context;
use crate::exit::Failure;
use crate::output::{self, Report};
use crate::referral::words;
use crate::session::Online;
use crate::tr;
use crate::typed_id;
use crate::workflow::content::ReplyContent;
use crate::workflow::outbox::{self, Outgoing};
use crate::workflow::{closed, recipients, unix_now};

/// What `reply` prints (SPEC §9: `reply`).
#[derive(Debug, Serialize)]
pub struct ReplyReport {
    /// The reply packet.
    pub packet_id: PacketId,
    /// The case's thread.
    pub thread_id: ThreadId,
    /// The case's new status.
    pub status: ThreadStatus,
    /// The desk the reply went to.
    pub recipient_desk: DeskId,
    /// Its size on the wire.
    pub bytes: u64,
}

impl Report for ReplyReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        let thread = self.thread_id.to_string();
        writeln!(
            out,
            "{}",
            tr!(
                "reply-done",
                thread = thread.as_str(),
                status = words::status(self.status),
                packet = self.packet_id.to_string(),
                bytes = self.bytes,
                desk = self.recipient_desk.as_str()
            )
        )?;
        writeln!(out, "{}", tr!("open-next-thread", thread = thread))
    }
}

/// The statuses a reply from `party` may move a case in `current` to: the
/// choices the web app's answer form offers.
pub fn choices(current: ThreadStatus, party: Party) -> Vec<ThreadStatus> {
    ThreadStatus::ALL
        .into_iter()
        .filter(|s| s.settable_by_reply() && current.may_become(*s, party))
        .collect()
}

/// The statuses `party` may move a case in `current` to, for the error
/// message of a refused change.
fn allowed(current: ThreadStatus, party: Party) -> Vec<&'static str> {
    choices(current, party)
        .into_iter()
        .map(ThreadStatus::as_str)
        .collect()
}

/// Runs `reply`.
pub fn run(ctx: &Context, args: &ReplyArgs) -> Result<ReplyReport, Failure> {
    let status: ThreadStatus = args.status.parse().map_err(|e: UnknownStatus| {
        Failure::User(anyhow!(tr!("cases-bad-status", error = e.to_string())))
    })?;
    let reply = ReplyContent::new(
        status,
        args.message.clone(),
        args.reason.clone(),
        args.outcome.clone(),
    )?;
    let online = Online::connect(ctx)?;
    let our_desk = online.desk()?;
    let keys = online.unlock(ctx)?;
    let token = online.token(&keys)?;
    let cases = CaseStore::open(&ctx.home)?;
    let thread: ThreadId = typed_id::pick(&args.thread, || {
        typed_id::known_threads(&cases, Some((&online.client, &token.token)))
    })?;
    let view: Result<ThreadView, Failure> = online
        .client
        .get(&paths::thread(&thread), Some(&token.token))
        .map_err(Failure::from);
    let view = closed::explain(view, &cases, &thread)?;
    let (other, party) = if view.recipient_desk == our_desk {
        (view.sender_desk.clone(), Party::Recipient)
    } else {
        (view.recipient_desk.clone(), Party::Sender)
    };
    let current: ThreadStatus = view.status.parsed().map_err(|e: UnknownStatus| {
        Failure::BrokerUnreachable(anyhow!(tr!("thread-unknown-status", error = e.to_string())))
    })?;
    if !current.may_become(status, party) {
        let options = allowed(current, party);
        let refused = match party {
            Party::Recipient => tr!(
                "reply-refused-as-recipient",
                current_words = words::status(current),
                current = current.as_str(),
                status = status.as_str()
            ),
            Party::Sender => tr!(
                "reply-refused-as-sender",
                current_words = words::status(current),
                current = current.as_str(),
                status = status.as_str()
            ),
        };
        let next = if current == ThreadStatus::Sent && party == Party::Recipient {
            tr!("reply-open-first")
        } else if options.is_empty() {
            tr!("reply-no-further-change")
        } else {
            tr!("reply-possible-now", statuses = options.join(", "))
        };
        return Err(Failure::User(anyhow!("{refused} {next}")));
    }
    let recipients = recipients::for_desk(online.log.state(), &other, &our_desk, unix_now())?;
    let content = serde_json::to_vec(&reply).map_err(|e| Failure::User(e.into()))?;
    let outgoing = Outgoing {
        kind: PacketKind::Reply {
            status: Some(status),
        },
        thread_id: Some(thread),
        recipient_desk: other.clone(),
        recipients,
        content_type: ReplyContent::content_type(),
        content: &content,
        attachments: &[],
        attachments_key: None,
    };
    // The thread may have been deleted between the read above and the send.
    let delivered = outbox::deliver(ctx, &online, &keys, &our_desk, &outgoing, &cases);
    let (sealed, receipt) = closed::explain(delivered, &cases, &thread)?;

    match cases.load(&thread, &keys.case_keys())? {
        Some(mut record) => {
            let mut event = CaseEvent::from_packet(
                status,
                sealed.created_at,
                &our_desk,
                online.device.device_id,
            );
            event.packet_id = Some(sealed.packet_id);
            event.message = reply.message;
            event.reason = reply.reason;
            event.outcome = reply.outcome;
            record.push(event);
            cases.save(&record, &keys.case_keys())?;
        }
        None => output::warn(&tr!("reply-no-local-record", thread = thread.to_string())),
    }
    Ok(ReplyReport {
        packet_id: receipt.packet_id,
        thread_id: receipt.thread_id,
        status,
        recipient_desk: other,
        bytes: receipt.bytes,
    })
}
