//! Why a directory log (or a fetched extension of one) was refused.

/// Every way a directory log can fail verification. Each one means the
/// broker served something the administrators did not sign as served, so the
/// CLI treats all of them as a verification failure (exit code 4).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectoryError {
    /// The genesis entry names a root whose fingerprint is not the pinned one.
    #[error(
        "the directory's root key does not match the pinned root fingerprint (expected {expected}, found {found})"
    )]
    RootMismatch {
        /// The fingerprint this client pinned.
        expected: crate::Fingerprint,
        /// The fingerprint of the root in the served genesis entry.
        found: crate::Fingerprint,
    },
    /// A signature or co-signature (or an enrollment's proof of possession)
    /// does not verify.
    #[error("directory entry {seq}: a signature does not verify")]
    BadSignature {
        /// The entry's sequence number.
        seq: u64,
    },
    /// The entry is validly signed, but by a key with no authority to sign it.
    #[error(
        "directory entry {seq}: signed by a key that is not an administrator allowed to sign it"
    )]
    Unauthorised {
        /// The entry's sequence number.
        seq: u64,
    },
    /// The entry's `prev_hash` is not the hash of the entry before it.
    #[error("directory entry {seq}: does not chain to the entry before it (prev_hash mismatch)")]
    BrokenChain {
        /// The entry's sequence number.
        seq: u64,
    },
    /// The entry's sequence number is not the next one.
    #[error("directory entry with seq {seq} is out of sequence")]
    BadSequence {
        /// The sequence number found.
        seq: u64,
    },
    /// The statement does not apply to the state built so far (unknown desk,
    /// device enrolled twice, time going backwards, ...).
    #[error("directory entry {seq}: {reason}")]
    Precondition {
        /// The entry's sequence number.
        seq: u64,
        /// What was wrong.
        reason: &'static str,
    },
    /// Bytes that are not a canonical directory entry, or an empty log.
    #[error("malformed directory entry: {0}")]
    Malformed(&'static str),
    /// The broker served a log that ends before the head this client already
    /// verified: it may be hiding a revocation.
    #[error(
        "directory rollback: this client holds entries up to seq {have}, the broker served {}",
        describe_end(.got)
    )]
    Rollback {
        /// The head this client holds.
        have: u64,
        /// The last sequence number served, if any.
        got: Option<u64>,
    },
    /// The broker served an entry that differs from the one this client
    /// verified at the same sequence number: two histories exist.
    #[error("directory fork at seq {seq}: the served entry differs from the one this client holds")]
    Fork {
        /// Where the histories differ.
        seq: u64,
    },
    /// A rotation that must be co-signed (by the device's old key, or by the
    /// new root) carries no co-signature.
    #[error("directory entry {seq}: the required co-signature is missing")]
    MissingCoSignature {
        /// The entry's sequence number.
        seq: u64,
    },
}

fn describe_end(got: &Option<u64>) -> String {
    match got {
        Some(seq) => format!("only up to seq {seq}"),
        None => "no entries".to_owned(),
    }
}

impl DirectoryError {
    /// Whether this is a verification failure (CLI exit code 4). Every
    /// variant is: a directory that does not verify is never a user error.
    pub fn is_verification_failure(&self) -> bool {
        true
    }

    /// The sequence number of the offending entry, when there is one.
    pub fn seq(&self) -> Option<u64> {
        match self {
            Self::BadSignature { seq }
            | Self::Unauthorised { seq }
            | Self::BrokenChain { seq }
            | Self::BadSequence { seq }
            | Self::Precondition { seq, .. }
            | Self::Fork { seq }
            | Self::MissingCoSignature { seq } => Some(*seq),
            Self::RootMismatch { .. } => Some(0),
            Self::Malformed(_) | Self::Rollback { .. } => None,
        }
    }
}
