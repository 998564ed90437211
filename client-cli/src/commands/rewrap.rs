//! `referral rewrap`: moves this device's pending packets from its retired
//! keys to its current ones (SPEC §4, rotation; ADR 0004).
//!
//! Only the age header changes: the stanza for a retired key is replaced by
//! one for the current key, and the header MAC recomputed. The payload, the
//! sender's signature inside it and every other recipient's stanza stay as
//! they were, so the packet is still exactly what its sender signed, and
//! still standard age. The broker accepts the new bytes only in place of the
//! ones it holds (`referral-replaces`), and only with the payload unchanged.

use std::io::{self, Write};

use anyhow::anyhow;
use referral_protocol::api::{HEADER_REPLACES, Inbox, PacketReceipt};
use referral_protocol::paths;
use referral_protocol::rewrap::{RewrapError, rewrap};
use referral_protocol::{PacketId, RecipientKind, RefusalCode};
use serde::Serialize;

use crate::api_client::BrokerError;
use crate::context::Context;
use crate::exit::Failure;
use crate::keystore::UnlockedKeys;
use crate::output::{self, Report};
use crate::session::Online;
use crate::tr;
use crate::workflow::progress;

/// What `rewrap` did.
#[derive(Debug, Default, Serialize)]
pub struct RewrapReport {
    /// Pending packets looked at.
    pub pending: usize,
    /// Packets moved to the current key.
    pub rewrapped: Vec<PacketId>,
    /// Packets already sealed (or rewrapped) to the current key.
    pub already_current: usize,
    /// Packets this device could not rewrap (not addressed to any of its
    /// retired keys, or refused); their ids are in the warnings.
    pub skipped: usize,
}

impl Report for RewrapReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "{}",
            tr!(
                "rewrap-done",
                pending = self.pending,
                rewrapped = self.rewrapped.len(),
                current = self.already_current,
                skipped = self.skipped
            )
        )?;
        for id in &self.rewrapped {
            writeln!(out, "  {}", tr!("rewrap-one", packet = id.to_string()))?;
        }
        Ok(())
    }
}

/// What happened to one packet.
enum Outcome {
    Rewrapped,
    AlreadyCurrent,
    Skipped(String),
}

/// Runs `rewrap`.
pub fn run(ctx: &Context) -> Result<RewrapReport, Failure> {
    let online = Online::connect(ctx)?;
    let keys = online.unlock(ctx)?;
    let listed = online
        .log
        .state()
        .device(&online.device.device_id)
        .filter(|d| d.is_active())
        .ok_or_else(|| Failure::User(anyhow!(tr!("rewrap-not-active"))))?;
    let current = keys.current_public_keys();
    if listed.age_recipient != current.age_recipient || listed.pq_recipient != current.pq_recipient
    {
        return Err(Failure::User(anyhow!(tr!("rewrap-not-approved"))));
    }
    if keys.keys().len() < 2 {
        return Ok(RewrapReport::default());
    }
    let token = online.token(&keys)?;
    let inbox: Inbox = online.client.get(paths::INBOX, Some(&token.token))?;

    let bar = progress::bar(
        ctx.format,
        inbox.packets.len() as u64,
        &format!("{} {{bar:30}} {{pos}}/{{len}}", tr!("progress-rewrap")),
    );
    let mut report = RewrapReport {
        pending: inbox.packets.len(),
        ..RewrapReport::default()
    };
    for entry in &inbox.packets {
        match rewrap_one(&online, &keys, &token.token, &entry.packet_id)? {
            Outcome::Rewrapped => report.rewrapped.push(entry.packet_id),
            Outcome::AlreadyCurrent => report.already_current += 1,
            Outcome::Skipped(why) => {
                report.skipped += 1;
                bar.suspend(|| {
                    output::warn(&tr!(
                        "rewrap-skipped",
                        packet = entry.packet_id.to_string(),
                        reason = why.as_str()
                    ))
                });
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(report)
}

/// Fetches one packet, rewraps it from whichever retired key it is sealed
/// to, and replaces it at the broker. One retry if another device of the
/// desk replaced it in between.
fn rewrap_one(
    online: &Online,
    keys: &UnlockedKeys,
    token: &str,
    id: &PacketId,
) -> Result<Outcome, Failure> {
    let path = paths::packet(id);
    for _ in 0..2 {
        let bytes = online.client.get_bytes(&path, token)?;
        let current_key = keys.current_key();
        // A stanza moves only to a current key of its own kind (a classic
        // packet stays classic; the broker refuses anything else).
        let current_of_kind = |kind: RecipientKind| {
            [Some(current_key.identity), current_key.pq_identity]
                .into_iter()
                .flatten()
                .find(|i| i.kind() == kind)
        };
        let retired = keys
            .keys()
            .skip(1)
            .flat_map(|k| [Some(k.identity), k.pq_identity].into_iter().flatten());
        let mut rewrapped = None;
        for old in retired {
            let Some(current) = current_of_kind(old.kind()) else {
                continue;
            };
            let mut out = Vec::with_capacity(bytes.len());
            match rewrap(&bytes[..], &mut out, old, current) {
                Ok(_) => {
                    rewrapped = Some(out);
                    break;
                }
                Err(RewrapError::AlreadyCurrent) => return Ok(Outcome::AlreadyCurrent),
                Err(RewrapError::NotAddressedToThisKey) => continue,
                Err(e) => return Ok(Outcome::Skipped(e.to_string())),
            }
        }
        let Some(new_bytes) = rewrapped else {
            return Ok(Outcome::Skipped(
                "not addressed to any of this device's retired keys".to_owned(),
            ));
        };
        let replaces = hex::encode(ring::digest::digest(&ring::digest::SHA256, &bytes));
        let sent: Result<PacketReceipt, BrokerError> = online.client.post_bytes(
            &paths::packet_rewrap(id),
            token,
            &[(HEADER_REPLACES, replaces)],
            new_bytes,
        );
        match sent {
            Ok(_) => return Ok(Outcome::Rewrapped),
            Err(e) if e.refusal() == Some(RefusalCode::StaleCiphertext) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Outcome::Skipped(
        "it kept changing at the broker while being rewrapped; run rewrap again".to_owned(),
    ))
}
