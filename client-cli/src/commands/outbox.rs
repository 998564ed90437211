//! `referral outbox`: the sealed packets waiting to be sent again, and
//! `referral outbox drop ID` to remove one (ADR 0015). The outbox itself,
//! how packets are kept and re-sent, is `workflow::outbox`.

use std::io::{self, Write};

use referral_protocol::{DeskId, PacketId, ThreadId};
use serde::Serialize;

use crate::context::Context;
use crate::exit::Failure;
use crate::id_prefix;
use crate::output::Report;
use crate::terminal;
use crate::tr;
use crate::workflow::outbox::Outbox;
use crate::workflow::{rfc3339, unix_now};

/// One sealed packet waiting.
#[derive(Debug, Serialize)]
pub struct Waiting {
    /// The packet id.
    pub packet_id: PacketId,
    /// Its thread.
    pub thread_id: ThreadId,
    /// The desk it is addressed to.
    pub recipient_desk: DeskId,
    /// Its size in bytes.
    pub bytes: u64,
    /// When it was sealed (RFC 3339, UTC).
    pub sealed_at: String,
    /// How long ago, in seconds.
    pub age_secs: i64,
}

/// `outbox`: what is waiting, oldest first.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct OutboxReport(pub Vec<Waiting>);

impl Report for OutboxReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.0.is_empty() {
            return writeln!(out, "{}", tr!("outbox-empty"));
        }
        for w in &self.0 {
            writeln!(
                out,
                "{}",
                tr!(
                    "outbox-entry",
                    id = w.packet_id.to_string(),
                    desk = terminal::line(w.recipient_desk.as_str()).into_owned(),
                    size = size_in_words(w.bytes),
                    age = age_in_words(w.age_secs)
                )
            )?;
        }
        writeln!(out, "{}", tr!("outbox-hint"))
    }
}

/// `outbox drop ID`: what was removed.
#[derive(Debug, Serialize)]
pub struct Dropped {
    /// The packet removed from the outbox.
    pub dropped: PacketId,
    /// The desk it was addressed to.
    pub recipient_desk: DeskId,
}

impl Report for Dropped {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "{}",
            tr!(
                "outbox-dropped",
                id = self.dropped.to_string(),
                desk = terminal::line(self.recipient_desk.as_str()).into_owned()
            )
        )
    }
}

/// Runs `outbox`.
pub fn list(ctx: &Context) -> Result<OutboxReport, Failure> {
    let now = unix_now();
    let waiting = Outbox::open(&ctx.home, ctx.format)?
        .waiting()?
        .into_iter()
        .map(|(sealed, _)| Waiting {
            packet_id: sealed.packet_id,
            thread_id: sealed.thread_id,
            recipient_desk: sealed.recipient_desk,
            bytes: sealed.bytes,
            sealed_at: rfc3339(sealed.created_at),
            age_secs: (now - sealed.created_at).max(0),
        })
        .collect();
    Ok(OutboxReport(waiting))
}

/// Runs `outbox drop ID` (the whole id or a unique prefix of 6 or more).
pub fn drop(ctx: &Context, typed: &str) -> Result<Dropped, Failure> {
    let outbox = Outbox::open(&ctx.home, ctx.format)?;
    let candidates = outbox
        .waiting()?
        .into_iter()
        .map(|(sealed, path)| (sealed.packet_id.to_string(), (sealed, path)));
    let (sealed, path) =
        id_prefix::resolve(typed, candidates).map_err(|e| Failure::User(e.into()))?;
    outbox.discard(&path);
    Ok(Dropped {
        dropped: sealed.packet_id,
        recipient_desk: sealed.recipient_desk,
    })
}

/// A size for people: KiB below a MiB, MiB with one decimal above.
pub fn size_in_words(bytes: u64) -> String {
    if bytes < 1024 * 1024 {
        tr!("outbox-size-kib", kib = bytes.div_ceil(1024))
    } else {
        tr!(
            "outbox-size-mib",
            mib = format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
        )
    }
}

/// How long ago, in the largest whole unit.
pub fn age_in_words(secs: i64) -> String {
    match secs {
        s if s < 60 => tr!("outbox-age-now"),
        s if s < 3600 => tr!("outbox-age-minutes", count = s / 60),
        s if s < 86_400 => tr!("outbox-age-hours", count = s / 3600),
        s => tr!("outbox-age-days", count = s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_sizes_read_as_words() {
        assert_eq!(age_in_words(5), "just now");
        assert_eq!(age_in_words(60), "1 minute ago");
        assert_eq!(age_in_words(7300), "2 hours ago");
        assert_eq!(age_in_words(3 * 86_400 + 5), "3 days ago");
        assert_eq!(size_in_words(4096), "4 KiB");
        assert_eq!(size_in_words(3 << 20), "3.0 MiB");
    }
}
