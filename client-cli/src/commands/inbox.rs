//! `referral inbox`: the packets waiting for this device's desk, oldest
//! first (SPEC §9: `inbox`). Only routing metadata: nothing is decrypted
//! until `open`.

use std::io::{self, Write};

use referral_protocol::PacketKindWord;
use referral_protocol::api::{Inbox, InboxEntry, Reported};
use referral_protocol::paths;
use serde::Serialize;

use crate::context::Context;
use crate::exit::Failure;
use crate::output::Report;
use crate::session::Online;
use crate::{columns, i18n, terminal, tr};

/// The waiting packets.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct InboxReport(pub Vec<InboxEntry>);

impl Report for InboxReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.0.is_empty() {
            return writeln!(out, "{}", tr!("inbox-none"));
        }
        let header = [
            tr!("inbox-column-packet"),
            tr!("inbox-column-thread"),
            tr!("inbox-column-from"),
            tr!("inbox-column-kind"),
            tr!("inbox-column-bytes"),
            tr!("inbox-column-received"),
        ];
        let rows: Vec<[String; 6]> = self.0.iter().map(row_words).collect();
        let widths = columns::widths(&header, &rows);
        for cells in std::iter::once(&header).chain(&rows) {
            writeln!(out, "{}", columns::row(cells, &widths))?;
        }
        writeln!(out, "{}", tr!("inbox-next"))
    }
}

/// A waiting packet's cells for people. Kind and hour are the broker's
/// words: a kind outside the three is shown as written, escaped, and the
/// hour as the span it stands for.
fn row_words(p: &InboxEntry) -> [String; 6] {
    let kind = match &p.kind {
        Reported::Known(PacketKindWord::Referral) => tr!("packet-kind-referral"),
        Reported::Known(PacketKindWord::Reply) => tr!("packet-kind-reply"),
        Reported::Known(PacketKindWord::Forward) => tr!("packet-kind-forward"),
        Reported::Unreadable(other) => terminal::line(other).into_owned(),
    };
    let received = match p.received_hour.unix() {
        Some(at) => i18n::broker_hour(at),
        None => terminal::line(&p.received_hour.to_string()).into_owned(),
    };
    [
        p.packet_id.to_string(),
        p.thread_id.to_string(),
        p.from_desk.as_str().to_owned(),
        kind,
        p.bytes.to_string(),
        received,
    ]
}

/// Runs `inbox`.
pub fn run(ctx: &Context) -> Result<InboxReport, Failure> {
    let online = Online::connect(ctx)?;
    online.desk()?;
    let keys = online.unlock(ctx)?;
    let token = online.token(&keys)?;
    let inbox: Inbox = online.client.get(paths::INBOX, Some(&token.token))?;
    Ok(InboxReport(inbox.packets))
}
