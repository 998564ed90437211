//! Whom a packet is encrypted to (SPEC §2.3): every active device of the
//! addressed desk, plus this desk's own devices so that colleagues can
//! follow the case. Keys come from the verified directory and nowhere else;
//! if the desk has no device that can be written to, the send is refused
//! rather than sent to fewer people than it should be.

use anyhow::anyhow;
use referral_protocol::directory::DirectoryState;
use referral_protocol::{DeskId, RecipientKey};

use crate::exit::Failure;

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
    let addressed = state.encryption_keys(to, now, None);
    if addressed.is_empty() {
        return Err(Failure::User(anyhow!(
            "desk {to} has no active device whose keys can be written to now (none enrolled, \
             all revoked, or all past the maximum key age): nothing was sent. Ask an \
             administrator to enroll a device for it"
        )));
    }
    let mut all = addressed;
    all.extend(state.encryption_keys(own_desk, now, None));
    all.sort();
    all.dedup();
    Ok(all)
}
