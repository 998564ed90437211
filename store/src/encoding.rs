//! The words the database keeps for enums, the same for both backends: the
//! schema's CHECK constraints list exactly these. Where the protocol already
//! spells a type (`as_str` and `FromStr`), that spelling is the one used, so
//! the wire and the database cannot drift apart; the store's own enums are
//! spelled here.
//!
//! Every word read back is parsed again, so a damaged row surfaces as
//! [`StoreError::Corrupt`] instead of a wrong value.

use std::str::FromStr;

use crate::{
    DeliveryState, DeviceState, PacketKindWord, RequestKind, Role, StoreError, ThreadStatus,
};

/// An enum stored as one word.
pub(crate) trait Word: Sized + Copy {
    /// What the column holds, for the error a damaged row gives.
    const WHAT: &'static str;

    /// The word stored.
    fn word(self) -> &'static str;

    /// The value a stored word names, if any.
    fn from_word(s: &str) -> Option<Self>;
}

/// Reads a stored word back.
pub(crate) fn decode<T: Word>(s: &str) -> Result<T, StoreError> {
    T::from_word(s).ok_or_else(|| corrupt(T::WHAT, s))
}

/// Parses any stored text form (an id, a key) back into its type.
pub(crate) fn parse<T: FromStr>(what: &str, s: &str) -> Result<T, StoreError> {
    s.parse().map_err(|_| corrupt(what, s))
}

/// A damaged value. The message stays short: a corrupt value is never
/// ciphertext, but there is no reason to copy much of it into a log either.
pub(crate) fn corrupt(what: &str, value: &str) -> StoreError {
    let shown: String = value.chars().take(40).collect();
    StoreError::Corrupt(format!("{what} {shown:?}"))
}

/// The protocol's words, through its `as_str` and `FromStr`.
macro_rules! protocol_word {
    ($type:ty, $what:literal) => {
        impl Word for $type {
            const WHAT: &'static str = $what;

            fn word(self) -> &'static str {
                self.as_str()
            }

            fn from_word(s: &str) -> Option<Self> {
                s.parse().ok()
            }
        }
    };
}

protocol_word!(Role, "device role");
protocol_word!(ThreadStatus, "thread status");
protocol_word!(PacketKindWord, "packet kind");
protocol_word!(DeliveryState, "delivery state");

/// The store's own words, each listed once with its value.
macro_rules! store_word {
    ($type:ty, $what:literal, { $($value:path => $word:literal),+ $(,)? }) => {
        impl Word for $type {
            const WHAT: &'static str = $what;

            fn word(self) -> &'static str {
                match self {
                    $($value => $word,)+
                }
            }

            fn from_word(s: &str) -> Option<Self> {
                match s {
                    $($word => Some($value),)+
                    _ => None,
                }
            }
        }
    };
}

store_word!(DeviceState, "device state", {
    DeviceState::Active => "active",
    DeviceState::Retired => "retired",
    DeviceState::Revoked => "revoked",
});

store_word!(RequestKind, "request kind", {
    RequestKind::Enrollment => "enrollment",
    RequestKind::Rotation => "rotation",
});

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T: Word + PartialEq + std::fmt::Debug>(all: &[T]) {
        for &v in all {
            assert_eq!(decode::<T>(v.word()).unwrap(), v);
        }
        assert!(matches!(decode::<T>("lost"), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn every_word_round_trips() {
        round_trips(&[Role::Caseworker, Role::Desk, Role::Admin]);
        round_trips(&ThreadStatus::ALL);
        round_trips(&PacketKindWord::ALL);
        round_trips(&DeliveryState::ALL);
        round_trips(&[
            DeviceState::Active,
            DeviceState::Retired,
            DeviceState::Revoked,
        ]);
        round_trips(&[RequestKind::Enrollment, RequestKind::Rotation]);
    }

    #[test]
    fn the_schema_words_are_unchanged() {
        // The CHECK constraints of both migrations list these words.
        assert_eq!(Role::Caseworker.word(), "caseworker");
        assert_eq!(PacketKindWord::Forward.word(), "forward");
        assert_eq!(DeliveryState::Acknowledged.word(), "acknowledged");
        assert_eq!(DeviceState::Revoked.word(), "revoked");
        assert_eq!(RequestKind::Enrollment.word(), "enrollment");
    }

    #[test]
    fn a_corrupt_value_is_shown_short() {
        let long = "x".repeat(100);
        let StoreError::Corrupt(msg) = decode::<Role>(&long).unwrap_err() else {
            panic!("not corrupt");
        };
        assert!(msg.len() < 60, "{msg}");
    }
}
