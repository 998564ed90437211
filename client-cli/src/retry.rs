//! When a request to the broker is tried again, and after how long: the one
//! policy behind both of the client's retries.
//!
//! - [`RetryPolicy::RATE_LIMITED`]: any repeatable request that the broker
//!   answered 429 (which changed nothing, ADR 0006) is sent again after the
//!   wait the broker asked for, when that wait is short.
//! - [`RetryPolicy::UPLOAD`]: the outbox posts the same sealed bytes until
//!   the broker has them (ADR 0005), backing off between attempts; only a
//!   refusal ends it early, since the same bytes would be refused again.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::api_client::BrokerError;

/// Why one try did not get an answer to use, as far as retrying goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setback {
    /// The broker refused the request: it would refuse it again.
    Refused,
    /// The broker is limiting requests and asked to wait this long.
    Limited(Duration),
    /// No usable answer: the network, a timeout, a proxy's page.
    NoAnswer,
}

impl Setback {
    /// What `error` means for trying again.
    pub fn of(error: &BrokerError) -> Self {
        match error {
            BrokerError::Refused { .. } => Self::Refused,
            BrokerError::Busy {
                retry_after_secs, ..
            } => Self::Limited(Duration::from_secs(*retry_after_secs)),
            BrokerError::Unreachable { .. } | BrokerError::Unexpected { .. } => Self::NoAnswer,
        }
    }
}

/// What to do after a failed try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then try again.
    RetryAfter(Duration),
    /// Stop: report the failure.
    GiveUp,
}

/// A wait the broker asked for that is longer than the policy's longest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongWait {
    /// Give up at once: the user is told when to come back.
    GiveUp,
    /// Wait the policy's longest, then try again.
    WaitLongest,
}

/// How many tries, how far apart, and which failures are worth another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub tries: u32,
    /// The wait after the first failed try, doubled after each one after;
    /// a wait the broker asks for is honoured when longer.
    pub first_backoff: Duration,
    /// The longest wait sat out.
    pub longest_wait: Duration,
    /// What a longer wait asked for means.
    pub long_wait: LongWait,
    /// Whether a try without an answer is tried again.
    pub retry_no_answer: bool,
}

impl RetryPolicy {
    /// A repeatable request the broker answered 429: up to three waits of
    /// what the broker asked for, each at most 30 s.
    pub const RATE_LIMITED: Self = Self {
        tries: 4,
        first_backoff: Duration::ZERO,
        longest_wait: Duration::from_secs(30),
        long_wait: LongWait::GiveUp,
        retry_no_answer: false,
    };

    /// The outbox's upload of a sealed packet: four attempts, 0.5 s, 1 s and
    /// 2 s apart, or as long as the broker asked (at most 30 s).
    pub const UPLOAD: Self = Self {
        tries: 4,
        first_backoff: Duration::from_millis(500),
        longest_wait: Duration::from_secs(30),
        long_wait: LongWait::WaitLongest,
        retry_no_answer: true,
    };

    /// What to do after try number `tried` (1 for the first) failed with
    /// `setback`.
    pub fn decide(&self, tried: u32, setback: Setback) -> Decision {
        if tried >= self.tries {
            return Decision::GiveUp;
        }
        let backoff = self
            .first_backoff
            .saturating_mul(2u32.saturating_pow(tried.saturating_sub(1)));
        match setback {
            Setback::Refused => Decision::GiveUp,
            Setback::NoAnswer if !self.retry_no_answer => Decision::GiveUp,
            Setback::NoAnswer => Decision::RetryAfter(backoff),
            Setback::Limited(asked) if asked <= self.longest_wait => {
                Decision::RetryAfter(backoff.max(asked))
            }
            Setback::Limited(_) => match self.long_wait {
                LongWait::GiveUp => Decision::GiveUp,
                LongWait::WaitLongest => Decision::RetryAfter(backoff.max(self.longest_wait)),
            },
        }
    }
}

/// The `Retry-After` of a 429 in seconds (RFC 9110 §10.2.3); a missing or
/// unreadable one (an HTTP date, say) counts as a second, and so does 0.
pub fn retry_after(headers: &HeaderMap) -> Duration {
    let secs = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1);
    Duration::from_secs(secs.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn a_rate_limited_request_waits_what_the_broker_asked_three_times() {
        let p = RetryPolicy::RATE_LIMITED;
        for tried in 1..=3 {
            assert_eq!(
                p.decide(tried, Setback::Limited(secs(2))),
                Decision::RetryAfter(secs(2)),
                "after try {tried}"
            );
        }
        assert_eq!(p.decide(4, Setback::Limited(secs(2))), Decision::GiveUp);
        assert_eq!(
            p.decide(1, Setback::Limited(secs(30))),
            Decision::RetryAfter(secs(30))
        );
    }

    #[test]
    fn a_rate_limited_request_gives_up_on_a_long_wait_or_anything_else() {
        let p = RetryPolicy::RATE_LIMITED;
        assert_eq!(p.decide(1, Setback::Limited(secs(31))), Decision::GiveUp);
        assert_eq!(p.decide(1, Setback::NoAnswer), Decision::GiveUp);
        assert_eq!(p.decide(1, Setback::Refused), Decision::GiveUp);
    }

    #[test]
    fn an_upload_backs_off_doubling_and_stops_after_four_attempts() {
        let p = RetryPolicy::UPLOAD;
        let waits: Vec<Decision> = (1..=4).map(|t| p.decide(t, Setback::NoAnswer)).collect();
        assert_eq!(
            waits,
            [
                Decision::RetryAfter(Duration::from_millis(500)),
                Decision::RetryAfter(secs(1)),
                Decision::RetryAfter(secs(2)),
                Decision::GiveUp,
            ]
        );
    }

    #[test]
    fn an_upload_honours_a_longer_wait_up_to_thirty_seconds() {
        let p = RetryPolicy::UPLOAD;
        assert_eq!(
            p.decide(1, Setback::Limited(secs(5))),
            Decision::RetryAfter(secs(5))
        );
        // The backoff is longer than what was asked: the backoff.
        assert_eq!(
            p.decide(3, Setback::Limited(secs(1))),
            Decision::RetryAfter(secs(2))
        );
        assert_eq!(
            p.decide(1, Setback::Limited(secs(600))),
            Decision::RetryAfter(secs(30))
        );
        assert_eq!(p.decide(4, Setback::Limited(secs(1))), Decision::GiveUp);
    }

    #[test]
    fn a_refused_upload_is_not_tried_again() {
        assert_eq!(
            RetryPolicy::UPLOAD.decide(1, Setback::Refused),
            Decision::GiveUp
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_defaults_to_one() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), secs(1));
        headers.insert(RETRY_AFTER, " 7 ".parse().unwrap());
        assert_eq!(retry_after(&headers), secs(7));
        headers.insert(RETRY_AFTER, "0".parse().unwrap());
        assert_eq!(retry_after(&headers), secs(1));
        headers.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2026 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), secs(1));
    }
}
