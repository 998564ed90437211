//! `referral send --to DESK FILE [--attach FILE]...`: validates a referral,
//! seals it to every active device of the desk and of this device's own
//! desk, and sends it (SPEC §2.3, §6, §9).
//!
//! Everything that can be refused is refused before anything is sealed or
//! sent, in this order: the referral file (readable, valid schema v1,
//! consent recorded), the attachments (readable regular files), this
//! device's desk, and the addressed desk (in the verified directory, with a
//! device that can be written to).

use std::io::{self, Write};
use std::path::Path;

use anyhow::anyhow;
use referral_protocol::api::PacketReceipt;
use referral_protocol::{Attachment, DeskId, PacketId, PacketKindWord, ThreadId};
use serde::Serialize;

use crate::cases::{CaseRecord, CaseStore};
use crate::cli::SendArgs;
use crate::context::Context;
use crate::exit::Failure;
use crate::output::Report;
use crate::referral::{self, Referral};
use crate::session::Online;
use crate::tr;
use crate::workflow::outbox::{self, Outgoing, SealedFile};
use crate::workflow::{attachments, recipients, unix_now};

/// What `send` and `forward` print (SPEC §9: `send`, `forward`).
#[derive(Debug, Serialize)]
pub struct PacketSent {
    /// The packet's id.
    pub packet_id: PacketId,
    /// The case's thread.
    pub thread_id: ThreadId,
    /// The desk it went to.
    pub recipient_desk: DeskId,
    /// How many device keys it is encrypted to.
    pub recipients: usize,
    /// Whether it is sealed to hybrid post-quantum keys (ADR 0020); `false`
    /// is classic, while some device it is for has no hybrid key.
    pub post_quantum: bool,
    /// Its size on the wire (a padding bucket).
    pub bytes: u64,
    /// How many attachments travel with it.
    pub attachments: usize,
    /// What the packet was: `referral` or `forward`.
    pub kind: PacketKindWord,
}

impl Report for PacketSent {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        let kind = match self.kind {
            PacketKindWord::Forward => tr!("packet-kind-forward"),
            PacketKindWord::Referral | PacketKindWord::Reply => tr!("packet-kind-referral"),
        };
        writeln!(
            out,
            "{}",
            tr!(
                "send-done",
                kind = kind,
                packet = self.packet_id.to_string(),
                desk = self.recipient_desk.as_str(),
                bytes = self.bytes,
                attachments = self.attachments,
                keys = self.recipients
            )
        )?;
        let thread = self.thread_id.to_string();
        writeln!(out, "{}", tr!("send-thread", thread = thread.as_str()))?;
        writeln!(out, "{}", tr!("send-next", thread = thread))
    }
}

impl PacketSent {
    /// The report for `sealed`, as the broker's `receipt` confirmed it.
    pub fn new(kind: PacketKindWord, sealed: &SealedFile, receipt: PacketReceipt) -> Self {
        Self {
            packet_id: receipt.packet_id,
            thread_id: receipt.thread_id,
            recipient_desk: receipt.recipient_desk,
            recipients: sealed.recipients.len(),
            post_quantum: sealed.is_post_quantum(),
            bytes: receipt.bytes,
            attachments: sealed.attachments.len(),
            kind,
        }
    }
}

/// Reads and validates a referral file; every problem is named with its
/// field.
pub fn read_referral(path: &Path) -> Result<Referral, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::User(anyhow!(tr!(
            "send-cannot-read",
            path = path.display().to_string(),
            error = e.to_string()
        )))
    })?;
    referral::parse(&text).map_err(|e| Failure::User(anyhow!("{}: {e}", path.display())))
}

/// Runs `send`: reads the referral file and checks the attachments, then
/// sends them with [`send_referral`].
pub fn run(ctx: &Context, args: &SendArgs) -> Result<PacketSent, Failure> {
    let referral = read_referral(&args.file)?;
    let attachments = attachments::from_paths(&args.attach)?;
    send_referral(ctx, &args.to, &referral, &attachments)
}

/// Seals a valid referral and its checked attachments to every active
/// device of `to` and of this device's own desk, sends it, and keeps the
/// case: what `send` does once it has read its file, and what the web
/// app's new-referral form does with what was entered (ADR 0017 §2).
pub fn send_referral(
    ctx: &Context,
    to: &DeskId,
    referral: &Referral,
    attachments: &[Attachment],
) -> Result<PacketSent, Failure> {
    let online = Online::connect(ctx)?;
    let our_desk = online.desk()?;
    let recipients = recipients::for_desk(online.log.state(), to, &our_desk, unix_now())?;
    let keys = online.unlock(ctx)?;
    let content = serde_json::to_vec(&referral).map_err(|e| Failure::User(e.into()))?;
    let outgoing = Outgoing::referral(to, recipients, &content, attachments);
    let cases = CaseStore::open(&ctx.home)?;
    let (sealed, receipt) = outbox::deliver(ctx, &online, &keys, &our_desk, &outgoing, &cases)?;

    let record = CaseRecord::sent(
        sealed.thread_id,
        &our_desk,
        to,
        online.device.device_id,
        sealed.packet_id,
        sealed.created_at,
        serde_json::to_value(referral).map_err(|e| Failure::User(e.into()))?,
        sealed.attachments.clone(),
    );
    cases.save(&record, &keys.case_keys())?;
    Ok(PacketSent::new(PacketKindWord::Referral, &sealed, receipt))
}
