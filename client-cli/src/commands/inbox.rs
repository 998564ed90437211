//! `referral inbox`: the packets waiting for this device's desk, oldest
//! first (SPEC §9: `inbox`). Only routing metadata: nothing is decrypted
//! until `open`.

use std::io::{self, Write};

use referral_protocol::api::{Inbox, InboxEntry};
use serde::Serialize;

use crate::context::Context;
use crate::exit::Failure;
use crate::output::Report;
use crate::session::Online;
use crate::terminal;

/// The waiting packets.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct InboxReport(pub Vec<InboxEntry>);

impl Report for InboxReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.0.is_empty() {
            return writeln!(out, "No packets waiting.");
        }
        writeln!(
            out,
            "{:<36}  {:<36}  {:<20}  {:<8}  {:>9}  received (hour, UTC)",
            "packet", "thread", "from", "kind", "bytes"
        )?;
        for p in &self.0 {
            writeln!(
                out,
                "{:<36}  {:<36}  {:<20}  {:<8}  {:>9}  {}",
                p.packet_id.to_string(),
                p.thread_id.to_string(),
                p.from_desk.as_str(),
                // The broker's words.
                terminal::line(&p.kind),
                p.bytes,
                terminal::line(&p.received_hour)
            )?;
        }
        writeln!(
            out,
            "Open one with: referral open PACKET [--save-attachments DIR]"
        )
    }
}

/// Runs `inbox`.
pub fn run(ctx: &Context) -> Result<InboxReport, Failure> {
    let online = Online::connect(ctx)?;
    online.desk()?;
    let keys = online.unlock(ctx)?;
    let token = online.token(&keys)?;
    let inbox: Inbox = online.client.get("/v1/inbox", Some(&token.token))?;
    Ok(InboxReport(inbox.packets))
}
