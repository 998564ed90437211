//! How a refused directory entry is answered: the catalogue's refusals
//! ([`Refusal::BadEntry`], [`Refusal::StaleHead`], and the verifier's
//! reasons through `From<DirectoryError>`), 422 for an entry that can never
//! be appended, 409 for one that was made against another head than the
//! broker's.

use referral_protocol::directory::DirectoryError;

use super::LoadError;
use crate::error::{ApiError, Refusal};

/// 422 `bad_entry`.
pub fn bad_entry(reason: impl Into<String>) -> ApiError {
    Refusal::BadEntry {
        reason: reason.into(),
    }
    .into()
}

/// 409 `stale_head`: the entry does not follow the broker's head. The
/// client fetches the directory again, and re-signs on the new head.
pub fn stale_head() -> ApiError {
    Refusal::StaleHead.into()
}

/// The answer for an entry the log's verifier refused.
pub fn refused(e: DirectoryError) -> ApiError {
    Refusal::from(e).into()
}

/// The broker's copy of the log could not be brought up to date: the
/// database holds a log that does not verify. Never the client's fault.
pub fn unavailable(e: LoadError) -> ApiError {
    ApiError::Internal(anyhow::Error::new(e).context("refreshing the directory log"))
}

/// Decodes the standard base64 of an entry and the entry itself, keeping
/// the exact bytes (they are what is stored and served).
pub fn decode_entry(
    text: &str,
) -> Result<(referral_protocol::directory::Entry, Vec<u8>), ApiError> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| bad_entry("the entry is not standard base64"))?;
    let entry = referral_protocol::directory::Entry::decode(&bytes)
        .map_err(|e| bad_entry(e.to_string()))?;
    Ok((entry, bytes))
}

/// Refuses an entry dated more than [`super::MAX_CLOCK_SKEW_SECS`] ahead of
/// `now`.
pub fn check_time(entry_time: i64, now: i64) -> Result<(), ApiError> {
    if entry_time > now.saturating_add(super::MAX_CLOCK_SKEW_SECS) {
        return Err(Refusal::EntryInFuture.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use referral_protocol::RefusalCode;

    use super::*;

    #[test]
    fn every_verifier_refusal_has_a_stable_4xx_code() {
        let cases = [
            (
                DirectoryError::BadSignature { seq: 3 },
                422,
                "bad_signature",
            ),
            (
                DirectoryError::Unauthorised { seq: 3 },
                422,
                "entry_not_authorised",
            ),
            (
                DirectoryError::MissingCoSignature { seq: 3 },
                422,
                "missing_co_signature",
            ),
            (
                DirectoryError::Precondition {
                    seq: 3,
                    reason: "desk already exists",
                },
                422,
                "entry_refused",
            ),
            (DirectoryError::Malformed("x"), 422, "bad_entry"),
            (DirectoryError::BadSequence { seq: 3 }, 409, "stale_head"),
            (DirectoryError::BrokenChain { seq: 3 }, 409, "stale_head"),
        ];
        for (error, status, code) in cases {
            let answer = refused(error);
            assert_eq!(answer.status().as_u16(), status, "{code}");
            assert_eq!(answer.code().as_str(), code);
        }
    }

    #[test]
    fn entries_from_the_future_are_refused_beyond_the_skew() {
        assert!(check_time(1_000 + super::super::MAX_CLOCK_SKEW_SECS, 1_000).is_ok());
        assert!(check_time(1_001 + super::super::MAX_CLOCK_SKEW_SECS, 1_000).is_err());
        assert!(
            check_time(0, 1_000).is_ok(),
            "the past is the log's business"
        );
    }

    #[test]
    fn undecodable_entries_are_bad_entries() {
        for text in ["not base64!", "AAAA", ""] {
            let err = decode_entry(text).unwrap_err();
            assert_eq!(err.code(), RefusalCode::BadEntry, "{text:?}");
        }
    }
}
