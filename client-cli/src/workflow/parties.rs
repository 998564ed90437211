//! Who may say what about a case: the rules that tie what a packet claims
//! about a case to the desks its envelope signs. A colluding broker can put
//! any enrolled device's packet on any thread; these checks are what keep a
//! third desk from writing into a case it is not a party to.
//!
//! - A packet recorded onto an existing case must be *between the case's two
//!   desks*: its signed sender desk and signed recipient desk are exactly
//!   this desk and the other one, in either order (a colleague at this desk
//!   may reply too).
//! - A forward's `from_desk` must be its signed sender desk: the content may
//!   not claim to come from a desk that did not sign it.
//!
//! A packet that breaks either rule is a verification failure (exit 4): it
//! is not shown, not recorded, and not acknowledged.

use anyhow::anyhow;
use referral_protocol::PacketHeader;

use super::content::ForwardContent;
use crate::cases::CaseRecord;
use crate::exit::Failure;
use crate::tr;

/// Checks that `header` is a packet between the two desks of `case`.
pub fn check_case(header: &PacketHeader, case: &CaseRecord) -> Result<(), Failure> {
    let (sender, recipient) = (&header.sender_desk, &header.recipient_desk);
    let (ours, other) = (&case.our_desk, &case.other_desk);
    let between_the_two =
        (sender == ours && recipient == other) || (sender == other && recipient == ours);
    if between_the_two {
        return Ok(());
    }
    Err(Failure::Verification(anyhow!(tr!(
        "receive-not-a-party",
        packet = header.packet_id.to_string(),
        thread = header.thread_id.to_string(),
        sender = sender.as_str(),
        recipient = recipient.as_str(),
        ours = ours.as_str(),
        other = other.as_str()
    ))))
}

/// Checks that a forward names its signed sender desk as the forwarding desk.
pub fn check_forward(header: &PacketHeader, forward: &ForwardContent) -> Result<(), Failure> {
    if forward.from_desk == header.sender_desk {
        return Ok(());
    }
    Err(Failure::Verification(anyhow!(tr!(
        "receive-forward-forged",
        packet = header.packet_id.to_string(),
        claimed = forward.from_desk.as_str(),
        signer = header.sender_desk.as_str()
    ))))
}
