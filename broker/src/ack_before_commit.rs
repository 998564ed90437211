//! A deliberately broken intake for the crash-safety test's negative control
//! (tests/tests/crash_safety.rs): it answers 201 first and stores the packet
//! a while later, so a broker killed in between loses packets it
//! acknowledged. The test must see those losses, which shows that it would
//! see a real durability bug. Killing a process cannot lose what reached the
//! OS (not even with `synchronous=OFF`), so answering before the commit is
//! the only honest way to be non-durable here.
//!
//! The broken intake itself is compiled only with the broker's
//! `test-support` feature (off by default; the end-to-end tests' crate turns
//! it on), and honoured only by a debug build of it, and only when [`VAR`]
//! is exactly `1`. A default or release build keeps just the switch's
//! reader, to say at startup that the variable is ignored
//! (`cfg!(debug_assertions)` and the feature are compile-time `false` there,
//! and the unit tests below check the gate).

use std::ffi::OsStr;
use std::sync::LazyLock;
#[cfg(feature = "test-support")]
use std::time::Duration;

#[cfg(feature = "test-support")]
use axum::http::StatusCode;
#[cfg(feature = "test-support")]
use axum::response::{IntoResponse, Response};
#[cfg(feature = "test-support")]
use referral_protocol::api::Hour;
#[cfg(feature = "test-support")]
use referral_store::{NewPacket, PacketBody};

#[cfg(feature = "test-support")]
use crate::state::AppState;

/// The environment variable that asks for it.
pub const VAR: &str = "REFERRAL_BROKER_UNSAFE_ACK_BEFORE_COMMIT";

/// How long after its 201 a packet is written: longer than the test
/// waits between an acknowledgement and the kill (at most 0.3 s), so
/// that every kill loses what was acknowledged just before it.
#[cfg(feature = "test-support")]
const DELAY: Duration = Duration::from_secs(1);

/// Whether this build can honour the switch at all: a debug build with the
/// `test-support` feature.
const HONOURING_BUILD: bool = cfg!(debug_assertions) && cfg!(feature = "test-support");

/// The gate: a build that can honour it and the variable set to exactly `1`.
fn gate(honouring_build: bool, value: Option<&OsStr>) -> bool {
    honouring_build && value == Some(OsStr::new("1"))
}

/// Whether this process answers before it stores. Read once, so that the
/// startup warning and every request agree.
pub fn enabled() -> bool {
    static ENABLED: LazyLock<bool> =
        LazyLock::new(|| gate(HONOURING_BUILD, std::env::var_os(VAR).as_deref()));
    *ENABLED
}

/// Logs, at startup, a loud warning if the mode is on, or a note that the
/// variable is ignored if it is set but not honoured.
pub fn announce() {
    #[cfg(feature = "test-support")]
    if enabled() {
        tracing::warn!(
            "!!! {VAR}=1: UNSAFE, NOT DURABLE. Packets are acknowledged BEFORE they are \
             stored and are LOST if the broker dies within {DELAY:?}. This exists only for \
             the crash-safety test's negative control; never run a broker like this !!!"
        );
        return;
    }
    if std::env::var_os(VAR).is_some() {
        tracing::warn!(
            "{VAR} is set but ignored: only a debug build with the test-support feature \
             and the value 1 honours it; packets are stored before they are acknowledged"
        );
    }
}

/// 201 with the receipt the store would give a new packet, then the
/// store write, [`DELAY`] later, in the background. Its outcome is only
/// logged: the client has already been told the packet is safe.
#[cfg(feature = "test-support")]
pub(crate) fn answer_then_store(state: AppState, packet: NewPacket, body: PacketBody) -> Response {
    let receipt = referral_protocol::api::PacketReceipt {
        packet_id: packet.id,
        thread_id: packet.thread_id,
        recipient_desk: packet.recipient_desk.clone(),
        bytes: packet.bytes,
        delivery: referral_protocol::DeliveryState::Pending.into(),
        received_hour: Hour::containing(packet.received_hour).into(),
    };
    tokio::spawn(async move {
        tokio::time::sleep(DELAY).await;
        if let Err(e) = state.store().put_packet(packet, body).await {
            tracing::error!(error = %e, "a packet acknowledged before commit was not stored");
        }
    });
    (StatusCode::CREATED, axum::Json(receipt)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_release_build_never_honours_it() {
        for value in [None, Some("1"), Some("true"), Some("")] {
            assert!(!gate(false, value.map(OsStr::new)), "{value:?}");
        }
    }

    #[test]
    fn a_debug_build_honours_exactly_1() {
        assert!(gate(true, Some(OsStr::new("1"))));
        for value in [
            None,
            Some("0"),
            Some("true"),
            Some("yes"),
            Some(""),
            Some(" 1"),
        ] {
            assert!(!gate(true, value.map(OsStr::new)), "{value:?}");
        }
    }
}
