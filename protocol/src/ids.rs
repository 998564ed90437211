//! Parsed identifiers. Every id that crosses a trust boundary (the wire, the
//! command line, the database) is parsed into one of these newtypes first, so
//! that the rest of the code never handles an unchecked string.
//!
//! Packet, thread and device ids are random 128-bit values (UUIDv4) made by
//! the client: random so that they say nothing about the caller, made by the
//! client so that a retried send is idempotent. Their only text form is the
//! lowercase hyphenated one, so one id has exactly one spelling (the broker
//! keys idempotency and tombstones on it).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// Why a string was not accepted as an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Not a lowercase, hyphenated UUID of version 4.
    #[error("{kind} must be a lowercase hyphenated random UUID (version 4), got {got:?}")]
    NotRandomUuid {
        /// Which kind of id was being parsed.
        kind: &'static str,
        /// The rejected input, shortened.
        got: String,
    },
    /// Not a valid desk id.
    #[error(
        "desk id must be 2-48 characters of a-z, 0-9 and single inner hyphens, starting with a letter; got {0:?}"
    )]
    Desk(String),
    /// Not a valid content type token.
    #[error("content type must be 1-32 characters of a-z, 0-9, '.', '_' and '-'; got {0:?}")]
    ContentType(String),
}

fn shorten(s: &str) -> String {
    s.chars().take(64).collect()
}

macro_rules! random_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh random id.
            pub fn random() -> Self {
                Self(Uuid::new_v4())
            }

            /// The 16 raw bytes, as they appear in the signed packet header.
            pub fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }

            /// Rebuilds an id from its 16 raw bytes, refusing anything that is
            /// not a version-4 UUID.
            pub fn from_bytes(bytes: [u8; 16]) -> Result<Self, IdError> {
                let uuid = Uuid::from_bytes(bytes);
                Self::check(uuid, &uuid.to_string())
            }

            fn check(uuid: Uuid, input: &str) -> Result<Self, IdError> {
                if uuid.get_version_num() == 4
                    && uuid.get_variant() == uuid::Variant::RFC4122
                {
                    Ok(Self(uuid))
                } else {
                    Err(IdError::NotRandomUuid { kind: $kind, got: shorten(input) })
                }
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let err = || IdError::NotRandomUuid { kind: $kind, got: shorten(s) };
                // Only the canonical spelling: 36 chars, lowercase, hyphenated.
                if s.len() != 36 || s.bytes().any(|b| b.is_ascii_uppercase()) {
                    return Err(err());
                }
                let uuid = Uuid::try_parse(s).map_err(|_| err())?;
                if uuid.hyphenated().to_string() != s {
                    return Err(err());
                }
                Self::check(uuid, s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0.hyphenated())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

random_id!(
    /// Identifies one packet. Made by the sender; the broker's idempotency key.
    PacketId,
    "packet id"
);
random_id!(
    /// Identifies a case thread: a referral and every reply to it.
    ThreadId,
    "thread id"
);
random_id!(
    /// Identifies one enrolled device. Stable across key rotations.
    DeviceId,
    "device id"
);
random_id!(
    /// Identifies a pending enrollment or rotation request at the broker,
    /// which an administrator approves (ADR 0004). Made by the broker.
    RequestId,
    "request id"
);

/// A desk: a partner organisation's inbox (`shinjuku-iea`, `covic-intake`).
///
/// Desk ids are chosen by administrators and appear in routing metadata, so
/// they are kept to a small, unambiguous alphabet.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeskId(String);

impl DeskId {
    /// The longest desk id accepted.
    pub const MAX_LEN: usize = 48;

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for DeskId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        let ok = (2..=Self::MAX_LEN).contains(&bytes.len())
            && bytes[0].is_ascii_lowercase()
            && bytes[bytes.len() - 1] != b'-'
            && !s.contains("--")
            && bytes
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::Desk(shorten(s)))
        }
    }
}

impl fmt::Display for DeskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for DeskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeskId({})", self.0)
    }
}

impl Serialize for DeskId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for DeskId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What the content of a packet is (`referral.v1`, `reply.v1`, ...). It is
/// signed, so a reply can never be passed off as a referral.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ContentType(String);

impl ContentType {
    /// A referral, schema v1.
    pub fn referral_v1() -> Self {
        Self("referral.v1".to_owned())
    }

    /// A reply on a thread, schema v1.
    pub fn reply_v1() -> Self {
        Self("reply.v1".to_owned())
    }

    /// The type as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ContentType {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = (1..=32).contains(&s.len())
            && s.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            });
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::ContentType(shorten(s)))
        }
    }
}

impl fmt::Display for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentType({})", self.0)
    }
}

/// JSON Schemas for the parsed ids, so the API schema says exactly what
/// each accepts.
mod schema {
    use std::borrow::Cow;

    use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

    use super::{ContentType, DeskId, DeviceId, PacketId, RequestId, ThreadId};

    const UUID_V4: &str = "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$";

    macro_rules! uuid_schema {
        ($name:ident, $what:literal) => {
            impl JsonSchema for $name {
                fn schema_name() -> Cow<'static, str> {
                    stringify!($name).into()
                }
                fn json_schema(_: &mut SchemaGenerator) -> Schema {
                    json_schema!({
                        "type": "string",
                        "format": "uuid",
                        "pattern": UUID_V4,
                        "description": $what
                    })
                }
            }
        };
    }

    uuid_schema!(
        PacketId,
        "Random packet id (UUIDv4, lowercase hyphenated), made by the sender."
    );
    uuid_schema!(ThreadId, "Random thread id (UUIDv4, lowercase hyphenated).");
    uuid_schema!(DeviceId, "Random device id (UUIDv4, lowercase hyphenated).");
    uuid_schema!(
        RequestId,
        "Random id of a pending enrollment or rotation request (UUIDv4, lowercase hyphenated)."
    );

    impl JsonSchema for DeskId {
        fn schema_name() -> Cow<'static, str> {
            "DeskId".into()
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({
                "type": "string",
                "pattern": "^[a-z][a-z0-9]*(-[a-z0-9]+)*$",
                "minLength": 2,
                "maxLength": 48,
                "description": "A desk id: a-z, 0-9 and single inner hyphens, starting with a letter."
            })
        }
    }

    impl JsonSchema for ContentType {
        fn schema_name() -> Cow<'static, str> {
            "ContentType".into()
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({ "type": "string", "pattern": "^[a-z0-9._-]{1,32}$" })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_id_round_trips_and_has_one_spelling() {
        let id = PacketId::random();
        let text = id.to_string();
        assert_eq!(text.parse::<PacketId>().unwrap(), id);
        assert!(text.to_uppercase().parse::<PacketId>().is_err());
        assert!(text.replace('-', "").parse::<PacketId>().is_err());
        assert!(format!("{{{text}}}").parse::<PacketId>().is_err());
        assert_eq!(PacketId::from_bytes(*id.as_bytes()).unwrap(), id);
    }

    #[test]
    fn non_random_uuids_are_refused() {
        // Version 1 (time-based) and the nil UUID carry no randomness.
        assert!(
            "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
                .parse::<ThreadId>()
                .is_err()
        );
        assert!(
            "00000000-0000-0000-0000-000000000000"
                .parse::<DeviceId>()
                .is_err()
        );
        assert!(DeviceId::from_bytes([0; 16]).is_err());
    }

    #[test]
    fn desk_ids() {
        for ok in ["shinjuku-iea", "covic-intake", "jp13-ngo-2", "ab"] {
            assert!(ok.parse::<DeskId>().is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a",
            "-ab",
            "ab-",
            "a--b",
            "Shinjuku",
            "1abc",
            "a b",
            "a_b",
            "ａｂ",
            "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij",
        ] {
            assert!(bad.parse::<DeskId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn content_types() {
        assert_eq!(ContentType::referral_v1().as_str(), "referral.v1");
        assert!("Referral".parse::<ContentType>().is_err());
        assert!("".parse::<ContentType>().is_err());
        assert!("reply.v1".parse::<ContentType>().is_ok());
    }
}
