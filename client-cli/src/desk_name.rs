//! Desk names as people type them (issue 15 item 3): case does not matter
//! (desk ids are lower case by their grammar, so lowering never makes one
//! ambiguous), and a name close to a real desk in the verified directory
//! gets a "did you mean".

use referral_protocol::directory::DirectoryState;
use referral_protocol::{DeskId, IdError};

/// How many single-character edits still count as "close".
const CLOSE: usize = 2;

/// Parses a desk name from the command line, in any case.
pub fn parse(typed: &str) -> Result<DeskId, IdError> {
    typed.trim().to_lowercase().parse()
}

/// The desk of the verified directory closest to `typed`, if one is within
/// a couple of typing mistakes and no other is as close.
pub fn closest<'a>(state: &'a DirectoryState, typed: &DeskId) -> Option<&'a DeskId> {
    let mut best: Option<(usize, &DeskId)> = None;
    let mut tied = false;
    for desk in state.desks().keys() {
        let distance = strsim::damerau_levenshtein(typed.as_str(), desk.as_str());
        match best {
            Some((d, _)) if distance > d => {}
            Some((d, _)) if distance == d => tied = true,
            _ => {
                best = Some((distance, desk));
                tied = false;
            }
        }
    }
    match best {
        Some((d, desk)) if d <= CLOSE && !tied => Some(desk),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn desk_names_are_taken_in_any_case() {
        assert_eq!(parse("Shinjuku-IEA").unwrap().as_str(), "shinjuku-iea");
        assert!(parse("shinjuku iea").is_err());
    }
}
