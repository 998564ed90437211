//! Whom a packet is encrypted to (SPEC §2.3): every active device of the
//! addressed desk, plus this desk's own devices so that colleagues can
//! follow the case. Keys come from the verified directory and nowhere else;
//! if the desk has no device that can be written to, the send is refused
//! rather than sent to fewer people than it should be.
//!
//! Classic or post-quantum is the directory's rule
//! ([`DirectoryState::packet_recipients`], ADR 0020 §5): hybrid keys when
//! every device has one; otherwise classic keys, with a warning naming the
//! devices that hold the packet back, or a refusal when the directory
//! requires post-quantum.

use anyhow::anyhow;
use referral_protocol::directory::{DirectoryState, PacketRecipients, PostQuantumRequired};
use referral_protocol::{DeskId, DeviceId, RecipientKey};

use crate::exit::Failure;
use crate::output;

/// The recipients of a packet from `own_desk` to `to`, at time `now`.
pub fn for_desk(
    state: &DirectoryState,
    to: &DeskId,
    own_desk: &DeskId,
    now: i64,
) -> Result<Vec<RecipientKey>, Failure> {
    if state.desk(to).is_none() {
        let text = match crate::desk_name::closest(state, to) {
            Some(near) => crate::tr!(
                "errors-no-such-desk-did-you-mean",
                desk = to.as_str(),
                near = near.as_str()
            ),
            None => crate::tr!("errors-no-such-desk", desk = to.as_str()),
        };
        return Err(Failure::User(anyhow!(text)));
    }
    if state.encryption_devices(to, now, None).is_empty() {
        return Err(Failure::User(anyhow!(
            "desk {to} has no active device whose keys can be written to now (none enrolled, \
             all revoked, or all past the maximum key age): nothing was sent. Ask an \
             administrator to enroll a device for it"
        )));
    }
    match state.packet_recipients(to, own_desk, now, None) {
        Ok(PacketRecipients::PostQuantum(keys)) => Ok(keys),
        Ok(PacketRecipients::Classic { keys, holding_back }) => {
            output::warn(&crate::tr!(
                "warn-sealed-classic",
                count = holding_back.len(),
                devices = device_list(state, &holding_back)
            ));
            Ok(keys)
        }
        Err(PostQuantumRequired { holding_back }) => Err(Failure::User(anyhow!(crate::tr!(
            "errors-post-quantum-required",
            count = holding_back.len(),
            devices = device_list(state, &holding_back)
        )))),
    }
}

/// The devices, one a line, each with its desk, for a message.
fn device_list(state: &DirectoryState, devices: &[DeviceId]) -> String {
    devices
        .iter()
        .map(|id| {
            let desk = state
                .device(id)
                .and_then(|d| d.desk.as_ref())
                .map_or("-", DeskId::as_str);
            format!("  {desk}: {id}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}
