//! What the work commands (`send`, `open`, `reply`, `forward`, `thread`,
//! `seal`, `unseal`) share:
//!
//! - [`recipients`]: whom a packet is encrypted to, from the verified
//!   directory only;
//! - [`attachments`]: the files given with `--attach`, checked up front;
//! - [`content`]: the reply and forward contents (`reply.v1`, `forward.v1`);
//! - [`closed`]: a case the broker deleted after its retention period
//!   (ADR 0019 §1), explained from this device's own record;
//! - [`outbox`]: sealing once and posting the same bytes until the broker
//!   has them (ADR 0005);
//! - [`parties`]: which desks may write into a case, and as whom;
//! - [`receive`]: fetching a packet, opening and verifying it, and recording
//!   it in the case store;
//! - [`render`]: showing an opened referral to a person;
//! - [`sync`]: bringing the case store up to date before `cases` and
//!   `report` (ADR 0014);
//! - [`progress`]: progress bars for long transfers, on a terminal only.

pub mod attachments;
pub mod closed;
pub mod content;
pub mod outbox;
pub mod parties;
pub mod progress;
pub mod receive;
pub mod recipients;
pub mod render;
pub mod sync;

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A time as RFC 3339 (UTC), for `--json` (people see [`crate::i18n::moment`]).
pub fn rfc3339(at: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| at.to_string())
}

/// An RFC 3339 time from the broker as Unix time; `None` if it is not one.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}
