//! `referral open PACKET [--save-attachments DIR]`: fetches a packet,
//! verifies it (sender's signature, sender's key in the verified directory,
//! this device among the signed recipients, content and attachment hashes,
//! padding), shows it, keeps it in the case store and acknowledges it
//! (SPEC §9: `open`).
//!
//! A packet that fails any check is neither shown nor kept, and exits 4.

use std::io::{self, Write};

use referral_protocol::api::Inbox;
use referral_protocol::paths;
use referral_protocol::{DeskId, DeviceId, PacketId, PacketKindWord, ThreadId};
use serde::Serialize;

use crate::cases::CaseStore;
use crate::cli::OpenArgs;
use crate::columns;
use crate::context::Context;
use crate::exit::Failure;
use crate::i18n;
use crate::output::{self, Report};
use crate::referral::words;
use crate::session::Online;
use crate::tr;
use crate::typed_id;
use crate::workflow::content::ReplyContent;
use crate::workflow::receive::{self, Body, ReceivedAttachment, Receiver, VerifiedPacket};
use crate::workflow::{render, rfc3339, unix_now};

/// A forward's own fields.
#[derive(Debug, Serialize)]
pub struct ForwardInfo {
    /// The forwarding desk's note.
    pub note: Option<String>,
    /// The desk that forwarded it.
    pub from_desk: DeskId,
    /// The thread it came in on there.
    pub from_thread_id: ThreadId,
}

/// What `open` and `unseal` print (SPEC §9: `open`, `unseal`).
#[derive(Debug, Serialize)]
pub struct OpenReport {
    /// The packet.
    pub packet_id: PacketId,
    /// Its thread.
    pub thread_id: ThreadId,
    /// The sending desk.
    pub from_desk: DeskId,
    /// The sending device.
    pub sender_device: DeviceId,
    /// Always true: a packet that does not verify is not reported, it fails.
    pub verified: bool,
    /// `referral`, `reply` or `forward`.
    pub kind: PacketKindWord,
    /// When the sender sealed it (RFC 3339, the sender's signed clock).
    pub sent_at: String,
    /// The referral (schema v1), for a referral or a forward; null for a
    /// reply.
    pub referral: serde_json::Value,
    /// The reply, for a reply.
    pub reply: Option<ReplyContent>,
    /// The forward's note and origin, for a forward.
    pub forward: Option<ForwardInfo>,
    /// The attachments, `{name, media_type, bytes, sha256, saved_to}`.
    pub attachments: Vec<ReceivedAttachment>,
    /// The case's status in this device's case store after opening.
    pub case_status: Option<String>,
    /// `sent_at` as Unix time, for people (shown in the local zone).
    #[serde(skip)]
    pub sent_at_unix: i64,
}

impl OpenReport {
    /// The report for a verified packet.
    pub fn new(received: VerifiedPacket, case_status: Option<String>) -> Self {
        let header = &received.opened.header;
        let kind = received.body.kind();
        let (referral, reply, forward) = match received.body {
            Body::Referral(v) => (v, None, None),
            Body::Reply(r) => (serde_json::Value::Null, Some(r), None),
            Body::Forward(f) => (
                f.referral,
                None,
                Some(ForwardInfo {
                    note: f.note,
                    from_desk: f.from_desk,
                    from_thread_id: f.from_thread_id,
                }),
            ),
        };
        Self {
            packet_id: header.packet_id,
            thread_id: header.thread_id,
            from_desk: header.sender_desk.clone(),
            sender_device: header.sender_device,
            verified: true,
            kind,
            sent_at: rfc3339(header.created_at),
            referral,
            reply,
            forward,
            attachments: received.attachments,
            case_status,
            sent_at_unix: header.created_at,
        }
    }
}

impl Report for OpenReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        let packet = self.packet_id.to_string();
        let title = match self.kind {
            PacketKindWord::Reply => tr!("open-title-reply", packet = packet),
            PacketKindWord::Forward => tr!("open-title-forward", packet = packet),
            PacketKindWord::Referral => tr!("open-title-referral", packet = packet),
        };
        writeln!(out, "{title}")?;
        columns::line(out, &tr!("open-label-thread"), &self.thread_id.to_string())?;
        columns::line(
            out,
            &tr!("open-label-from"),
            &tr!(
                "open-from-verified",
                desk = self.from_desk.as_str(),
                device = self.sender_device.to_string()
            ),
        )?;
        columns::line(
            out,
            &tr!("open-label-sent-at"),
            &i18n::moment(self.sent_at_unix),
        )?;
        if let Some(forward) = &self.forward {
            columns::line(
                out,
                &tr!("open-label-forwarded"),
                &tr!(
                    "open-forwarded-by",
                    desk = forward.from_desk.as_str(),
                    thread = forward.from_thread_id.to_string()
                ),
            )?;
            if let Some(note) = &forward.note {
                columns::paragraph(out, &tr!("open-label-note"), note)?;
            }
        }
        if let Some(reply) = &self.reply {
            columns::line(out, &tr!("open-label-status"), &words::status(reply.status))?;
            for (label, text) in [
                (tr!("open-label-message"), &reply.message),
                (tr!("open-label-reason"), &reply.reason),
                (tr!("open-label-outcome"), &reply.outcome),
            ] {
                if let Some(text) = text {
                    columns::paragraph(out, &label, text)?;
                }
            }
        }
        if !self.referral.is_null() {
            writeln!(out)?;
            render::referral(out, &self.referral)?;
        }
        render::attachments(out, &self.attachments)?;
        writeln!(out)?;
        let thread = self.thread_id.to_string();
        match self.kind {
            PacketKindWord::Reply => writeln!(out, "{}", tr!("open-next-thread", thread = thread)),
            PacketKindWord::Referral | PacketKindWord::Forward => {
                writeln!(out, "{}", tr!("open-next-reply", thread = thread))
            }
        }
    }
}

/// Runs `open`.
pub fn run(ctx: &Context, args: &OpenArgs) -> Result<OpenReport, Failure> {
    let online = Online::connect(ctx)?;
    let our_desk = online.desk()?;
    let keys = online.unlock(ctx)?;
    let cases = CaseStore::open(&ctx.home)?;
    let token = online.token(&keys)?;
    let packet: PacketId = typed_id::pick(&args.packet, || {
        let inbox: Inbox = online.client.get(paths::INBOX, Some(&token.token))?;
        Ok(inbox.packets.into_iter().map(|p| p.packet_id).collect())
    })?;
    let receiver = Receiver {
        client: &online.client,
        token: &token.token,
        cases: &cases,
        identities: keys.age_identities(),
        directory: online.log.state(),
        our_desk: &our_desk,
        format: ctx.format,
    };
    let received = receiver.fetch_and_open(&packet, args.save_attachments.as_deref())?;
    let record = receive::record(
        &cases,
        &keys.case_keys(),
        &our_desk,
        online.device.device_id,
        &received,
        unix_now(),
    )?;
    if received.opened.header.recipient_desk == our_desk
        && let Err(e) = receive::ack(&online.client, &token.token, &packet)
    {
        output::warn(&tr!("open-ack-failed", error = e.error().to_string()));
    }
    Ok(OpenReport::new(
        received,
        record.map(|r| r.status.to_string()),
    ))
}
