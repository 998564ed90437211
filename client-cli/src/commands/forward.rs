//! `referral forward PACKET --to DESK [--note T]`: passes a received
//! referral on to another desk, re-encrypted to that desk (and this one),
//! with its attachments, and marks the original case `forwarded` (SPEC §7,
//! §9: `forward`).
//!
//! Only where the person agreed: `consent.scope` must be
//! `onward_referral_allowed`. The packet is read from this device's case
//! store (it must have been opened here first), so a case can be forwarded
//! after the broker purged the original.

use std::fs;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use anyhow::anyhow;
use referral_protocol::{
    Attachment, AttachmentSource, PacketId, PacketKind, PacketKindWord, ThreadStatus,
};
use ring::rand::{SecureRandom, SystemRandom};

use super::send::PacketSent;
use crate::cases::{CaseEvent, CaseRecord, CaseStore, ThreadLink};
use crate::cli::ForwardArgs;
use crate::context::Context;
use crate::exit::Failure;
use crate::session::Online;
use crate::tr;
use crate::typed_id;
use crate::workflow::content::{FORWARD_SCHEMA, ForwardContent};
use crate::workflow::outbox::{self, Outgoing};
use crate::workflow::{closed, receive, recipients, unix_now};

/// The consent scope that allows onward referral (SPEC §6).
const ONWARD_ALLOWED: &str = "onward_referral_allowed";

/// Whether the person agreed that `referral` may be passed on to another
/// desk (SPEC §6: `consent.scope` is `onward_referral_allowed`): the rule
/// `forward` applies, and what decides whether the web app offers it.
pub fn consent_allows_forwarding(referral: &serde_json::Value) -> bool {
    referral["consent"]["scope"].as_str() == Some(ONWARD_ALLOWED)
}

/// A private directory for the attachments between opening the original
/// and sealing the forward, removed however the command ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new(home: &Path) -> Result<Self, Failure> {
        let mut random = [0u8; 16];
        SystemRandom::new()
            .fill(&mut random)
            .map_err(|_| Failure::User(anyhow!(tr!("forward-random-failed"))))?;
        let dir = home.join(format!(".forward-{}", hex::encode(random)));
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(|e| {
                Failure::User(anyhow!(tr!(
                    "forward-cannot-create",
                    path = dir.display().to_string(),
                    error = e.to_string()
                )))
            })?;
        Ok(Self(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Best effort; the files are this user's own, under their home.
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs `forward`.
pub fn run(ctx: &Context, args: &ForwardArgs) -> Result<PacketSent, Failure> {
    let online = Online::connect(ctx)?;
    let our_desk = online.desk()?;
    if args.to == our_desk {
        return Err(Failure::User(anyhow!(tr!(
            "forward-to-own-desk",
            desk = our_desk.as_str()
        ))));
    }
    let keys = online.unlock(ctx)?;
    let cases = CaseStore::open(&ctx.home)?;
    let packet: PacketId = typed_id::pick(&args.packet, || Ok(cases.kept_packet_ids()?))?;
    let kept = cases.packet_path(&packet);
    if !kept.exists() {
        return Err(Failure::User(anyhow!(tr!(
            "forward-not-opened",
            packet = packet.to_string()
        ))));
    }
    let scratch = Scratch::new(&ctx.home)?;
    let original = receive::open_file(
        &kept,
        keys.age_identities(),
        online.log.state(),
        Some(&scratch.0),
    )?;
    receive::check_addressing(&original, Some(&packet), &our_desk)?;
    let header = &original.opened.header;
    if header.recipient_desk != our_desk {
        return Err(Failure::User(anyhow!(tr!("forward-only-recipient"))));
    }
    let Some(referral) = original.body.referral().cloned() else {
        return Err(Failure::User(anyhow!(tr!(
            "forward-is-a-reply",
            packet = packet.to_string()
        ))));
    };
    if !consent_allows_forwarding(&referral) {
        let scope = referral["consent"]["scope"].as_str().unwrap_or("");
        return Err(Failure::User(anyhow!(tr!(
            "forward-no-consent",
            scope = format!("{scope:?}"),
            allowed = format!("{ONWARD_ALLOWED:?}")
        ))));
    }
    let recipients = recipients::for_desk(online.log.state(), &args.to, &our_desk, unix_now())?;
    let forward = ForwardContent {
        schema: FORWARD_SCHEMA.to_owned(),
        note: args.note.clone().filter(|n| !n.trim().is_empty()),
        from_desk: our_desk.clone(),
        from_thread_id: header.thread_id,
        referral: referral.clone(),
    };
    let attachments: Vec<Attachment> = original
        .attachments
        .iter()
        .map(|a| {
            a.saved_to
                .clone()
                .map(|path| Attachment {
                    name: a.view.name.clone(),
                    media_type: a.view.media_type.clone(),
                    source: AttachmentSource::Path(path),
                })
                .ok_or_else(|| {
                    Failure::User(anyhow!(tr!(
                        "forward-attachment-not-saved",
                        name = a.view.name.as_str()
                    )))
                })
        })
        .collect::<Result<_, _>>()?;
    let content = serde_json::to_vec(&forward).map_err(|e| Failure::User(e.into()))?;
    let outgoing = Outgoing {
        kind: PacketKind::Forward {
            forwards: header.thread_id,
        },
        thread_id: None,
        recipient_desk: args.to.clone(),
        recipients,
        content_type: ForwardContent::content_type(),
        content: &content,
        attachments: &attachments,
        attachments_key: Some(packet.to_string()),
    };
    let delivered = outbox::deliver(ctx, &online, &keys, &our_desk, &outgoing, &cases);
    let (sealed, receipt) = closed::explain(delivered, &cases, &header.thread_id)?;
    drop(scratch);

    let own_key = keys.case_keys();
    let device = online.device.device_id;
    let mut new_case = CaseRecord::sent(
        sealed.thread_id,
        &our_desk,
        &args.to,
        device,
        sealed.packet_id,
        sealed.created_at,
        referral,
        sealed.attachments.clone(),
    );
    new_case.forward_note = forward.note.clone();
    new_case.forwarded_from = Some(ThreadLink {
        desk: header.sender_desk.clone(),
        thread_id: header.thread_id,
    });
    cases.save(&new_case, &own_key)?;
    if let Some(mut old_case) = cases.load(&header.thread_id, &keys.case_keys())? {
        let mut event = CaseEvent::from_packet(
            ThreadStatus::Forwarded,
            sealed.created_at,
            &our_desk,
            device,
        );
        event.packet_id = Some(sealed.packet_id);
        event.message = forward.note;
        old_case.push(event);
        old_case.forwarded_to = Some(ThreadLink {
            desk: args.to.clone(),
            thread_id: sealed.thread_id,
        });
        cases.save(&old_case, &own_key)?;
    }
    Ok(PacketSent::new(PacketKindWord::Forward, &sealed, receipt))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_onward_consent_allows_forwarding() {
        let with = |scope: serde_json::Value| serde_json::json!({"consent": {"scope": scope}});
        assert!(consent_allows_forwarding(&with(
            "onward_referral_allowed".into()
        )));
        assert!(!consent_allows_forwarding(&with("this_desk".into())));
        assert!(!consent_allows_forwarding(&with(serde_json::Value::Null)));
        assert!(!consent_allows_forwarding(&serde_json::json!({})));
    }
}
