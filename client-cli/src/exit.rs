//! Exit statuses (SPEC §9) and the error type that carries one.
//!
//! Scripts branch on the exit status, so every failure is classified exactly
//! once, where it is best understood (the keystore knows that a fingerprint
//! mismatch is an integrity failure; the caller does not), and `main` only
//! reads the classification.

use std::process::ExitCode;

use crate::keystore::KeystoreError;

/// The process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The command did what was asked.
    Success,
    /// A user error or a refusal: bad input, wrong passphrase, an existing
    /// keystore, a refused broker address, or a local failure such as an
    /// unwritable home directory.
    User,
    /// The command line could not be parsed. clap reports these itself.
    Usage,
    /// The broker could not be reached.
    BrokerUnreachable,
    /// A signature, directory or integrity check failed.
    Verification,
}

impl Exit {
    /// The numeric status, as documented in SPEC §9.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::User => 1,
            Exit::Usage => 2,
            Exit::BrokerUnreachable => 3,
            Exit::Verification => 4,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}

/// Why a command failed. The variant decides the exit status; the error
/// inside is what the user reads on stderr.
#[derive(Debug)]
pub enum Failure {
    /// Exit 1: a user error or a refusal.
    User(anyhow::Error),
    /// Exit 3: the broker could not be reached.
    BrokerUnreachable(anyhow::Error),
    /// Exit 4: a signature, directory or integrity check failed.
    Verification(anyhow::Error),
}

impl Failure {
    /// The exit status for this failure.
    pub fn exit(&self) -> Exit {
        match self {
            Failure::User(_) => Exit::User,
            Failure::BrokerUnreachable(_) => Exit::BrokerUnreachable,
            Failure::Verification(_) => Exit::Verification,
        }
    }

    /// The error to show the user.
    pub fn error(&self) -> &anyhow::Error {
        match self {
            Failure::User(e) | Failure::BrokerUnreachable(e) | Failure::Verification(e) => e,
        }
    }
}

/// Anything not classified otherwise is a user error or a local failure
/// (exit 1): the conservative choice, since exit 3 and 4 are promises about
/// *what* went wrong that scripts act upon.
impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::User(e)
    }
}

impl From<KeystoreError> for Failure {
    fn from(e: KeystoreError) -> Self {
        if e.is_integrity_failure() {
            Failure::Verification(e.into())
        } else {
            Failure::User(e.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_spec() {
        assert_eq!(Exit::Success.code(), 0);
        assert_eq!(Exit::User.code(), 1);
        assert_eq!(Exit::Usage.code(), 2);
        assert_eq!(Exit::BrokerUnreachable.code(), 3);
        assert_eq!(Exit::Verification.code(), 4);
    }

    #[test]
    fn keystore_errors_are_classified() {
        let wrong = Failure::from(KeystoreError::WrongPassphrase);
        assert_eq!(wrong.exit(), Exit::User);
        let mismatch = Failure::from(KeystoreError::Mismatch {
            what: "current age recipient",
        });
        assert_eq!(mismatch.exit(), Exit::Verification);
    }
}
