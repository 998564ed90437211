//! The name of this device's broker, as its challenges give it (its token
//! issuer), pinned at the device's first sign-in (issue 14, item 8e).
//!
//! A device signs a challenge together with the broker's name, so the
//! signature is good at that broker only. That protects only if the device
//! refuses a challenge naming another broker: a broker relaying another
//! broker's challenge must either name the other broker (refused here) or
//! name itself (and the other broker refuses the signature). The name
//! cannot be derived from the broker URL: operators choose it, and several
//! brokers behind different URLs on one database share it. So it is pinned
//! on first use, like the directory root (`trust`), in `broker-name`.

use std::path::Path;

use anyhow::anyhow;

use crate::atomic_file::{self, Existing};
use crate::exit::Failure;

/// The pinned name, in the home directory.
pub const BROKER_NAME_FILE: &str = "broker-name";

/// Longest name accepted; a token issuer is a short label or a URL.
const MAX_NAME_LEN: usize = 255;

/// Accepts a challenge naming `named` if that is this device's broker; pins
/// `named` if the device has never signed in. Anything else is a
/// verification failure (exit 4): the device must not sign.
pub fn check_or_pin(home: &Path, named: &str) -> Result<(), Failure> {
    if named.is_empty() || named.len() > MAX_NAME_LEN || named.chars().any(char::is_control) {
        return Err(Failure::Verification(anyhow!(
            "the broker's challenge does not carry a usable broker name; refusing to sign it"
        )));
    }
    if let Some(pinned) = pinned(home)? {
        return compare(&pinned, named);
    }
    match atomic_file::write(home, BROKER_NAME_FILE, named.as_bytes(), Existing::Keep) {
        Ok(()) => Ok(()),
        // Another command pinned it first: that one decides.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let pinned = pinned(home)?.unwrap_or_default();
            compare(&pinned, named)
        }
        Err(e) => Err(Failure::User(anyhow!(
            "cannot write {}: {e}",
            home.join(BROKER_NAME_FILE).display()
        ))),
    }
}

fn pinned(home: &Path) -> Result<Option<String>, Failure> {
    let path = home.join(BROKER_NAME_FILE);
    let Some(bytes) = crate::keystore::read_bounded(&path, MAX_NAME_LEN as u64 + 1)? else {
        return Ok(None);
    };
    String::from_utf8(bytes).map(Some).map_err(|_| {
        Failure::Verification(anyhow!(
            "{} is not a broker name; it was edited",
            path.display()
        ))
    })
}

fn compare(pinned: &str, named: &str) -> Result<(), Failure> {
    if pinned == named {
        return Ok(());
    }
    // Debug quoting: a name is the broker's text, shown escaped.
    Err(Failure::Verification(anyhow!(
        "the broker's challenge names another broker ({named:?}) than the one this device \
         signed in to before ({pinned:?}). A broker relaying another broker's challenge \
         would use your signature there, so it is not signed. If your administrator \
         renamed the broker (token_issuer), remove {BROKER_NAME_FILE} from this device's \
         home directory after checking with them"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_name_is_pinned_and_another_refused() {
        let home = tempfile::tempdir().unwrap();
        check_or_pin(home.path(), "broker.example").unwrap();
        check_or_pin(home.path(), "broker.example").unwrap();
        let other = check_or_pin(home.path(), "other.example").unwrap_err();
        assert!(matches!(other, Failure::Verification(_)));
        assert!(other.error().to_string().contains("another broker"));
        for bad in ["", "a\u{1b}[2Jb", &"x".repeat(256)] {
            let fresh = tempfile::tempdir().unwrap();
            assert!(matches!(
                check_or_pin(fresh.path(), bad),
                Err(Failure::Verification(_))
            ));
            assert!(!fresh.path().join(BROKER_NAME_FILE).exists());
        }
    }
}
