//! A packet's routing metadata: the only things the broker learns about a
//! packet besides its size and when it arrived (SPEC §2.2). They travel as
//! HTTP headers beside the ciphertext, and this module is the one place that
//! writes and reads them: the client with [`PacketRouting::to_headers`], the
//! broker with [`PacketRouting::from_headers`].
//!
//! [`PacketKind`] makes the combinations the broker would refuse impossible
//! to write down: a referral carries no status, a reply may carry one (never
//! `forwarded`, `received`, `sent` or `expired`), and a forward always names
//! the thread it forwards.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ids::{DeskId, PacketId, ThreadId};
use crate::status::ThreadStatus;

/// Header: the packet's random id.
pub const HEADER_PACKET_ID: &str = "referral-packet-id";
/// Header: the packet's thread id.
pub const HEADER_THREAD_ID: &str = "referral-thread-id";
/// Header: the addressed desk.
pub const HEADER_RECIPIENT_DESK: &str = "referral-recipient-desk";
/// Header: `referral`, `reply` or `forward` ([`PacketKindWord`]).
pub const HEADER_KIND: &str = "referral-kind";
/// Header (replies): the thread's new coarse status.
pub const HEADER_THREAD_STATUS: &str = "referral-thread-status";
/// Header (forwards): the thread being forwarded.
pub const HEADER_FORWARDS: &str = "referral-forwards";
/// Header (`POST /v1/packets/{id}/rewrap`): the SHA-256 (lowercase hex) of
/// the ciphertext the rewrap replaces, a compare-and-swap (ADR 0004).
pub const HEADER_REPLACES: &str = "referral-replaces";

/// A packet kind as one word, without what goes with it: what the inbox
/// lists and the broker's database keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PacketKindWord {
    /// Opens a new thread.
    Referral,
    /// Answers on an existing thread.
    Reply,
    /// Opens a new thread to another desk and closes the forwarded one.
    Forward,
}

impl PacketKindWord {
    /// Every kind.
    pub const ALL: [Self; 3] = [Self::Referral, Self::Reply, Self::Forward];

    /// The word on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Referral => "referral",
            Self::Reply => "reply",
            Self::Forward => "forward",
        }
    }
}

impl fmt::Display for PacketKindWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not a packet kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown packet kind {0:?}: expected referral, reply or forward")]
pub struct UnknownKind(pub String);

impl FromStr for PacketKindWord {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.chars().take(32).collect()))
    }
}

/// Why a packet was sent, with what the broker needs for its thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketKind {
    /// Opens a new thread (status `sent`).
    Referral,
    /// A reply on an existing thread. A status, if any, is the thread's new
    /// coarse status; only a status [`ThreadStatus::settable_by_reply`]
    /// can be built ([`PacketKind::reply`]).
    Reply {
        /// The thread's new status, if the reply changes it.
        status: Option<ThreadStatus>,
    },
    /// Opens a new thread to another desk and marks `forwards` `forwarded`.
    Forward {
        /// The thread being passed on.
        forwards: ThreadId,
    },
}

impl PacketKind {
    /// A reply that sets `status`: refused unless a reply may set it.
    pub fn reply(status: Option<ThreadStatus>) -> Result<Self, RoutingError> {
        match status {
            Some(s) if !s.settable_by_reply() => Err(RoutingError::StatusNotSettable(s)),
            status => Ok(Self::Reply { status }),
        }
    }

    /// The kind as one word.
    pub fn word(&self) -> PacketKindWord {
        match self {
            Self::Referral => PacketKindWord::Referral,
            Self::Reply { .. } => PacketKindWord::Reply,
            Self::Forward { .. } => PacketKindWord::Forward,
        }
    }

    /// The status a reply sets.
    pub fn status(&self) -> Option<ThreadStatus> {
        match self {
            Self::Reply { status } => *status,
            _ => None,
        }
    }

    /// The thread a forward passes on.
    pub fn forwards(&self) -> Option<ThreadId> {
        match self {
            Self::Forward { forwards } => Some(*forwards),
            _ => None,
        }
    }

    /// Puts a kind back together from its word and the two optional parts,
    /// refusing every combination [`PacketKind`] cannot hold.
    pub fn from_parts(
        word: PacketKindWord,
        status: Option<ThreadStatus>,
        forwards: Option<ThreadId>,
    ) -> Result<Self, RoutingError> {
        match (word, status, forwards) {
            (PacketKindWord::Referral, None, None) => Ok(Self::Referral),
            (PacketKindWord::Reply, status, None) => Self::reply(status),
            (PacketKindWord::Forward, None, Some(forwards)) => Ok(Self::Forward { forwards }),
            _ => Err(RoutingError::Inconsistent),
        }
    }
}

/// What the broker is told about a packet, beside its ciphertext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketRouting {
    /// The packet's random id.
    pub packet_id: PacketId,
    /// Its thread.
    pub thread_id: ThreadId,
    /// The addressed desk.
    pub recipient_desk: DeskId,
    /// Why it was sent.
    pub kind: PacketKind,
}

/// The routing headers were missing, unreadable or contradictory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutingError {
    /// A required header is absent.
    #[error("{0} is required")]
    Missing(&'static str),
    /// A header's value is not visible ASCII.
    #[error("{0} is not text")]
    NotText(&'static str),
    /// A header's value does not parse.
    #[error("{name}: {reason}")]
    Invalid {
        /// The header.
        name: &'static str,
        /// Why it does not parse (no request data beyond 32 characters).
        reason: String,
    },
    /// A reply names a status that only the broker, an acknowledgement or
    /// a forward may set.
    #[error("a reply may set accepted, rejected, in_progress, completed or cancelled, not {0}")]
    StatusNotSettable(ThreadStatus),
    /// The kind and the optional headers do not go together.
    #[error(
        "referral-thread-status goes only with replies, referral-forwards only (and always) with forwards"
    )]
    Inconsistent,
}

impl PacketRouting {
    /// The headers that carry this routing, in a fixed order.
    pub fn to_headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            (HEADER_PACKET_ID, self.packet_id.to_string()),
            (HEADER_THREAD_ID, self.thread_id.to_string()),
            (HEADER_RECIPIENT_DESK, self.recipient_desk.to_string()),
            (HEADER_KIND, self.kind.word().as_str().to_owned()),
        ];
        if let Some(status) = self.kind.status() {
            headers.push((HEADER_THREAD_STATUS, status.as_str().to_owned()));
        }
        if let Some(forwards) = self.kind.forwards() {
            headers.push((HEADER_FORWARDS, forwards.to_string()));
        }
        headers
    }

    /// Reads the routing from a request's headers. Every header is checked
    /// in the order [`Self::to_headers`] writes them, so the first problem
    /// is the one reported.
    pub fn from_headers(headers: &http::HeaderMap) -> Result<Self, RoutingError> {
        let packet_id = parse(required(headers, HEADER_PACKET_ID)?, HEADER_PACKET_ID)?;
        let thread_id = parse(required(headers, HEADER_THREAD_ID)?, HEADER_THREAD_ID)?;
        let recipient_desk = parse(
            required(headers, HEADER_RECIPIENT_DESK)?,
            HEADER_RECIPIENT_DESK,
        )?;
        let word = parse(required(headers, HEADER_KIND)?, HEADER_KIND)?;
        let status = optional(headers, HEADER_THREAD_STATUS)?
            .map(|s| parse(s, HEADER_THREAD_STATUS))
            .transpose()?;
        let forwards = optional(headers, HEADER_FORWARDS)?
            .map(|s| parse(s, HEADER_FORWARDS))
            .transpose()?;
        if let Some(s) = status.filter(|s: &ThreadStatus| !s.settable_by_reply()) {
            return Err(RoutingError::StatusNotSettable(s));
        }
        Ok(Self {
            packet_id,
            thread_id,
            recipient_desk,
            kind: PacketKind::from_parts(word, status, forwards)?,
        })
    }
}

/// A header's value as text, if present.
pub fn optional<'a>(
    headers: &'a http::HeaderMap,
    name: &'static str,
) -> Result<Option<&'a str>, RoutingError> {
    headers
        .get(name)
        .map(|v| v.to_str().map_err(|_| RoutingError::NotText(name)))
        .transpose()
}

/// A header's value as text; absent is [`RoutingError::Missing`].
pub fn required<'a>(
    headers: &'a http::HeaderMap,
    name: &'static str,
) -> Result<&'a str, RoutingError> {
    optional(headers, name)?.ok_or(RoutingError::Missing(name))
}

fn parse<T>(value: &str, name: &'static str) -> Result<T, RoutingError>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    value.parse().map_err(|e: T::Err| RoutingError::Invalid {
        name,
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, String)]) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    fn routing(kind: PacketKind) -> PacketRouting {
        PacketRouting {
            packet_id: PacketId::random(),
            thread_id: ThreadId::random(),
            recipient_desk: "shinjuku-iea".parse().unwrap(),
            kind,
        }
    }

    #[test]
    fn every_kind_round_trips_through_headers() {
        let kinds = [
            PacketKind::Referral,
            PacketKind::Reply { status: None },
            PacketKind::Reply {
                status: Some(ThreadStatus::Accepted),
            },
            PacketKind::Forward {
                forwards: ThreadId::random(),
            },
        ];
        for kind in kinds {
            let sent = routing(kind);
            let read = PacketRouting::from_headers(&headers(&sent.to_headers())).unwrap();
            assert_eq!(read, sent);
        }
    }

    #[test]
    fn contradictory_headers_are_refused() {
        let forwards = ThreadId::random();
        let status = ThreadStatus::Accepted;
        for (word, status, forwards) in [
            (PacketKindWord::Referral, Some(status), None),
            (PacketKindWord::Referral, None, Some(forwards)),
            (PacketKindWord::Reply, None, Some(forwards)),
            (PacketKindWord::Forward, None, None),
            (PacketKindWord::Forward, Some(status), Some(forwards)),
        ] {
            assert_eq!(
                PacketKind::from_parts(word, status, forwards),
                Err(RoutingError::Inconsistent),
                "{word} {status:?} {forwards:?}"
            );
        }
    }

    #[test]
    fn a_reply_cannot_set_what_only_the_broker_sets() {
        for status in ThreadStatus::ALL {
            let built = PacketKind::reply(Some(status));
            assert_eq!(built.is_ok(), status.settable_by_reply(), "{status}");
        }
        let mut pairs = routing(PacketKind::Reply { status: None }).to_headers();
        pairs.push((HEADER_THREAD_STATUS, "forwarded".into()));
        assert_eq!(
            PacketRouting::from_headers(&headers(&pairs)),
            Err(RoutingError::StatusNotSettable(ThreadStatus::Forwarded))
        );
    }

    #[test]
    fn a_missing_or_bad_header_is_named() {
        let pairs = routing(PacketKind::Referral).to_headers();
        for dropped in 0..pairs.len() {
            let mut some = pairs.clone();
            let (name, _) = some.remove(dropped);
            assert_eq!(
                PacketRouting::from_headers(&headers(&some)),
                Err(RoutingError::Missing(name))
            );
        }
        let mut bad = pairs.clone();
        bad[3].1 = "letter".into();
        let err = PacketRouting::from_headers(&headers(&bad)).unwrap_err();
        assert!(
            matches!(
                err,
                RoutingError::Invalid {
                    name: HEADER_KIND,
                    ..
                }
            ),
            "{err:?}"
        );
        let mut not_text = headers(&pairs);
        not_text.insert(
            HEADER_KIND,
            http::HeaderValue::from_bytes(b"r\xffply").unwrap(),
        );
        assert_eq!(
            PacketRouting::from_headers(&not_text),
            Err(RoutingError::NotText(HEADER_KIND))
        );
    }

    #[test]
    fn kind_words_round_trip() {
        for word in PacketKindWord::ALL {
            assert_eq!(word.as_str().parse::<PacketKindWord>().unwrap(), word);
            let json = serde_json::to_string(&word).unwrap();
            assert_eq!(json, format!("\"{word}\""));
        }
        assert!("letter".parse::<PacketKindWord>().is_err());
    }
}
