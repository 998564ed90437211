//! `referral seal --to DESK FILE [--attach FILE]... --out F.age` and
//! `referral unseal F.age`: the same packets as `send` and `open`, written to
//! and read from a file instead of the broker, for a desk without
//! connectivity or a hand-over on a USB stick (SPEC §9: offline).
//!
//! Both use the directory this device last verified (`directory.log`), never
//! the network; a device that has never synced is told to sync once. Both
//! keep the case in the case store, as `send` and `open` do.

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::anyhow;
use referral_protocol::directory::VerifiedLog;
use referral_protocol::{DeskId, PacketId, ThreadId};
use serde::Serialize;

use super::open::OpenReport;
use super::send::read_referral;
use crate::cases::{CaseRecord, CaseStore};
use crate::cli::{SealArgs, UnsealArgs};
use crate::context::Context;
use crate::exit::Failure;
use crate::keystore::{DeviceRecord, Keystore};
use crate::output::Report;
use crate::session::{desk_of, listed_signing_key};
use crate::tr;
use crate::trust;
use crate::workflow::outbox::{self, Outgoing, Signer};
use crate::workflow::{attachments, receive, recipients, unix_now};

/// What `seal` prints.
#[derive(Debug, Serialize)]
pub struct SealReport {
    /// The packet's id.
    pub packet_id: PacketId,
    /// The case's thread.
    pub thread_id: ThreadId,
    /// The desk it is for.
    pub recipient_desk: DeskId,
    /// How many device keys it is encrypted to.
    pub recipients: usize,
    /// Whether it is sealed to hybrid post-quantum keys (ADR 0020).
    pub post_quantum: bool,
    /// Its size (a padding bucket).
    pub bytes: u64,
    /// Where it was written.
    pub out: PathBuf,
}

impl Report for SealReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        let file = self.out.display().to_string();
        writeln!(
            out,
            "{}",
            tr!(
                "seal-done",
                packet = self.packet_id.to_string(),
                desk = self.recipient_desk.as_str(),
                file = file.as_str(),
                bytes = self.bytes,
                keys = self.recipients
            )
        )?;
        writeln!(out, "{}", tr!("seal-next", file = file))
    }
}

/// The device and the directory it last verified, without the network.
fn offline(ctx: &Context) -> Result<(DeviceRecord, VerifiedLog), Failure> {
    let device = Keystore::device(&ctx.home)?;
    let log = trust::load(&ctx.home, device.root_fingerprint)?
        .ok_or_else(|| Failure::User(anyhow!(tr!("seal-no-directory"))))?;
    Ok((device, log))
}

/// Runs `seal`.
pub fn seal(ctx: &Context, args: &SealArgs) -> Result<SealReport, Failure> {
    let referral = read_referral(&args.file)?;
    let attachments = attachments::from_paths(&args.attach)?;
    if args.out.exists() {
        return Err(Failure::User(anyhow!(tr!(
            "seal-out-exists",
            file = args.out.display().to_string()
        ))));
    }
    let (device, log) = offline(ctx)?;
    let our_desk = desk_of(log.state(), &device.device_id)?;
    let recipients =
        recipients::for_desk(log.state(), &args.to, &our_desk, unix_now()).map_err(|e| {
            Failure::User(anyhow!(tr!(
                "seal-offline-directory",
                error = format!("{:#}", e.error()),
                seq = log.head().seq
            )))
        })?;
    let keys = ctx.unlock()?;
    let signing = listed_signing_key(log.state(), &device.device_id, &keys)?;
    let content = serde_json::to_vec(&referral).map_err(|e| Failure::User(e.into()))?;
    let outgoing = Outgoing::referral(&args.to, recipients, &content, &attachments);
    let signer = Signer {
        device: device.device_id,
        desk: &our_desk,
        key: signing,
    };
    let sealed = outbox::seal_file(&args.out, signer, &outgoing, ctx.format)?;
    let cases = CaseStore::open(&ctx.home)?;
    cases.keep_packet(&sealed.packet_id, &args.out)?;
    let record = CaseRecord::sent(
        sealed.thread_id,
        &our_desk,
        &args.to,
        device.device_id,
        sealed.packet_id,
        sealed.created_at,
        serde_json::to_value(&referral).map_err(|e| Failure::User(e.into()))?,
        sealed.attachments.clone(),
    );
    cases.save(&record, &keys.case_keys())?;
    Ok(SealReport {
        packet_id: sealed.packet_id,
        thread_id: sealed.thread_id,
        recipient_desk: args.to.clone(),
        recipients: sealed.recipients.len(),
        post_quantum: sealed.is_post_quantum(),
        bytes: sealed.bytes,
        out: args.out.clone(),
    })
}

/// Runs `unseal`.
pub fn unseal(ctx: &Context, args: &UnsealArgs) -> Result<OpenReport, Failure> {
    let (device, log) = offline(ctx)?;
    let our_desk = desk_of(log.state(), &device.device_id)?;
    let keys = ctx.unlock()?;
    let received = receive::open_file(
        &args.file,
        keys.age_identities(),
        log.state(),
        args.save_attachments.as_deref(),
    )?;
    receive::check_addressing(&received, None, &our_desk)?;
    let cases = CaseStore::open(&ctx.home)?;
    cases.keep_packet(&received.opened.header.packet_id, &args.file)?;
    let record = receive::record(
        &cases,
        &keys.case_keys(),
        &our_desk,
        device.device_id,
        &received,
        unix_now(),
    )?;
    Ok(OpenReport::new(
        received,
        record.map(|r| r.status.to_string()),
    ))
}
