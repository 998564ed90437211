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
use referral_protocol::{DeskId, PacketId, Party, ThreadId, ThreadStatus};
use serde::Serialize;

use crate::cases::{CaseEvent, CaseStore};
use crate::cli::ReplyArgs;
use crate::context::Context;
use crate::exit::Failure;
use crate::output::{self, Report};
use crate::session::Online;
use crate::typed_id;
use crate::workflow::content::ReplyContent;
use crate::workflow::outbox::{self, Kind, Outgoing};
use crate::workflow::{recipients, unix_now};

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
        writeln!(
            out,
            "Replied on thread {}: the case is now {} (packet {}, {} bytes, to {}).",
            self.thread_id, self.status, self.packet_id, self.bytes, self.recipient_desk
        )?;
        writeln!(
            out,
            "See the whole case with: referral thread {}",
            self.thread_id
        )
    }
}

/// The statuses `party` may move a case in `current` to, for the error
/// message of a refused change.
fn allowed(current: ThreadStatus, party: Party) -> Vec<&'static str> {
    ThreadStatus::ALL
        .into_iter()
        .filter(|s| s.settable_by_reply() && current.may_become(*s, party))
        .map(ThreadStatus::as_str)
        .collect()
}

/// Runs `reply`.
pub fn run(ctx: &Context, args: &ReplyArgs) -> Result<ReplyReport, Failure> {
    let status: ThreadStatus = args
        .status
        .parse()
        .map_err(|e| Failure::User(anyhow!("--status: {e}")))?;
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
    let view: ThreadView = online
        .client
        .get(&format!("/v1/threads/{thread}"), Some(&token.token))?;
    let (other, party) = if view.recipient_desk == our_desk {
        (view.sender_desk.clone(), Party::Recipient)
    } else {
        (view.recipient_desk.clone(), Party::Sender)
    };
    let current: ThreadStatus = view.status.parse().map_err(|e| {
        Failure::BrokerUnreachable(anyhow!("the broker reported an unknown thread status: {e}"))
    })?;
    if !current.may_become(status, party) {
        let options = allowed(current, party);
        let side = match party {
            Party::Recipient => "the desk the case was sent to",
            Party::Sender => "the desk that sent the case",
        };
        return Err(Failure::User(anyhow!(
            "the case is {current}; as {side}, this desk cannot make it {status}. {}",
            if current == ThreadStatus::Sent && party == Party::Recipient {
                "Open the referral first (`referral inbox`, `referral open PACKET`): opening \
                 it acknowledges receipt, and then the desk can answer."
                    .to_owned()
            } else if options.is_empty() {
                "No further change is possible.".to_owned()
            } else {
                format!("Possible now: {}.", options.join(", "))
            }
        )));
    }
    let recipients = recipients::for_desk(online.log.state(), &other, &our_desk, unix_now())?;
    let content = serde_json::to_vec(&reply).map_err(|e| Failure::User(e.into()))?;
    let outgoing = Outgoing {
        kind: Kind::Reply(status),
        thread_id: Some(thread),
        recipient_desk: other.clone(),
        recipients,
        content_type: ReplyContent::content_type(),
        content: &content,
        attachments: &[],
        attachments_key: None,
    };
    let (sealed, receipt) = outbox::deliver(ctx, &online, &keys, &our_desk, &outgoing, &cases)?;

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
        None => output::warn(&format!(
            "this device has no record of thread {} (the case was opened on another device): \
             the reply was sent, but only that device's case store has the case",
            thread
        )),
    }
    Ok(ReplyReport {
        packet_id: receipt.packet_id,
        thread_id: receipt.thread_id,
        status,
        recipient_desk: other,
        bytes: receipt.bytes,
    })
}
