//! A test-only clock for `referral-broker purge`: the end-to-end tests must
//! see what the purge does months from now (a thread deleted after the
//! retention period) without waiting months, and without a second way to
//! delete threads that production code could reach.
//!
//! Like [`crate::ack_before_commit`], it is honoured only by a debug build
//! with the broker's `test-support` feature (the end-to-end tests' crate
//! turns it on); any other build reads the variable only to warn that it
//! is ignored, and purges at the real time.

use std::ffi::OsStr;

use referral_store::UnixTime;

/// The environment variable: the Unix time, in seconds, to purge at.
pub const VAR: &str = "REFERRAL_BROKER_TEST_PURGE_AT";

/// Whether this build can honour the variable at all.
const HONOURING_BUILD: bool = cfg!(debug_assertions) && cfg!(feature = "test-support");

/// The time to purge at: the variable's, when this build honours it and it
/// is a whole number of seconds; otherwise `now`.
fn gate(honouring_build: bool, value: Option<&OsStr>, now: UnixTime) -> UnixTime {
    if !honouring_build {
        return now;
    }
    value
        .and_then(OsStr::to_str)
        .and_then(|v| v.parse::<UnixTime>().ok())
        .unwrap_or(now)
}

/// The time `purge` runs at, given the real `now`. Warns (in the log) when
/// the variable moves it, and when it is set but ignored.
pub fn purge_time(now: UnixTime) -> UnixTime {
    let value = std::env::var_os(VAR);
    let at = gate(HONOURING_BUILD, value.as_deref(), now);
    if at != now {
        tracing::warn!(
            "{VAR} is set: this purge runs as if it were {at}, not now. This exists only \
             for the end-to-end tests; never run a broker like this"
        );
    } else if value.is_some() {
        tracing::warn!(
            "{VAR} is set but ignored: only a debug build with the test-support feature \
             honours it, and only a whole number of seconds; the purge runs at the real time"
        );
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_release_build_never_honours_it() {
        for value in [None, Some("99999999999"), Some("1")] {
            assert_eq!(gate(false, value.map(OsStr::new), 7), 7, "{value:?}");
        }
    }

    #[test]
    fn a_debug_build_honours_whole_seconds_only() {
        assert_eq!(gate(true, Some(OsStr::new("1800000000")), 7), 1_800_000_000);
        for value in [None, Some(""), Some("soon"), Some("1.5"), Some(" 1")] {
            assert_eq!(gate(true, value.map(OsStr::new), 7), 7, "{value:?}");
        }
    }
}
