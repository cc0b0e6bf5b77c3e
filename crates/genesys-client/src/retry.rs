//! Retry policy: a pure function from (outcome, attempt) to "retry after D" or "give up".
//!
//! The transport calls [`RetryPolicy::decide`] after every failed attempt and does the waiting
//! itself, through the injected clock; the policy never sleeps, reads time or draws random
//! numbers (jitter is passed in), so every row of the table below is a plain unit test.
//!
//! | outcome | reads (GET/HEAD) | writes (PATCH/POST/PUT/DELETE) |
//! |---|---|---|
//! | 429 with `Retry-After: N` (N ≤ ceiling) | wait N s | wait N s |
//! | 429 without `Retry-After` | wait `default_retry_after` (3 s) | same |
//! | 429 with N > ceiling (180 s) | give up: `Error::RetryAfterTooLong` | same |
//! | 502, 503, 504 | jittered exponential backoff | give up |
//! | connection error, timeout | jittered exponential backoff | give up |
//! | 401 | not here: the auth layer refreshes the token once and re-sends once | same |
//! | 500, 501, any other 4xx | give up | give up |
//!
//! Why writes are never retried blindly: a write that timed out or got a 5xx may or may not
//! have landed. Re-sending it is safe only after a re-read (the version then tells whether the
//! first attempt landed), and that is the caller's read-modify-write loop, not the transport's.
//! A 429 however was not processed at all, so every method waits and re-sends.
//!
//! Backoff for attempt `n` (1-based, the attempt that just failed) is
//! `min(max_delay, base_delay · 2^(n-1)) · (0.5 + 0.5·jitter)` with `jitter` uniform in
//! `0..1` ("equal jitter"): at least half the exponential step, so concurrent workers spread
//! out without any of them retrying at once. With the defaults (500 ms, cap 30 s) the steps
//! are 0.5, 1, 2, 4, 8 s before jitter. A 5xx that carries a `Retry-After` within the ceiling
//! waits the longer of the two.
//!
//! Attempts are bounded: after `max_attempts` (6) attempts the decision is always "give up",
//! and the transport reports `Error::Exhausted` with the last error. The ceiling of 180 s is
//! the one every official Genesys SDK uses; a longer `Retry-After` fails loudly instead of
//! stalling a run for minutes.

use std::time::{Duration, SystemTime};

/// Bounds and constants of the retry behaviour.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Maximum number of attempts, the first one included (6).
    pub max_attempts: u32,
    /// First backoff step (500 ms).
    pub base_delay: Duration,
    /// Largest backoff step (30 s).
    pub max_delay: Duration,
    /// Largest `Retry-After` that is waited out (180 s); above it the request fails loudly.
    pub retry_after_ceiling: Duration,
    /// Wait after a 429 that has no `Retry-After` header (3 s).
    pub default_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            retry_after_ceiling: Duration::from_secs(180),
            default_retry_after: Duration::from_secs(3),
        }
    }
}

/// What happened to one attempt, as far as retrying is concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The server answered with a non-2xx status.
    Status {
        /// HTTP status code.
        status: u16,
        /// Parsed `Retry-After`, if the response had one.
        retry_after: Option<Duration>,
    },
    /// The connection could not be made, or broke before the response was complete.
    Connection,
    /// The request timed out.
    Timeout,
}

/// The policy's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then send the request again.
    RetryAfter(Duration),
    /// Do not retry; report the error.
    GiveUp,
}

impl RetryPolicy {
    /// Decide what to do after attempt number `attempt` (1-based) ended with `outcome`.
    ///
    /// `is_read` is true for GET/HEAD; `jitter` is a number in `0..=1` supplied by the caller
    /// (random in production, fixed in tests).
    pub fn decide(&self, outcome: &Outcome, attempt: u32, is_read: bool, jitter: f64) -> Decision {
        if !self.is_retryable(outcome, is_read) || attempt >= self.max_attempts {
            return Decision::GiveUp;
        }
        match outcome {
            Outcome::Status {
                status: 429,
                retry_after,
            } => Decision::RetryAfter(retry_after.unwrap_or(self.default_retry_after)),
            Outcome::Status { retry_after, .. } => {
                let backoff = self.backoff(attempt, jitter);
                let wait = match retry_after {
                    Some(ra) if *ra <= self.retry_after_ceiling => backoff.max(*ra),
                    _ => backoff,
                };
                Decision::RetryAfter(wait)
            }
            Outcome::Connection | Outcome::Timeout => {
                Decision::RetryAfter(self.backoff(attempt, jitter))
            }
        }
    }

    /// Whether this outcome may be retried at all (ignoring the attempt bound).
    ///
    /// A 429 whose `Retry-After` exceeds the ceiling is not retryable; see
    /// [`RetryPolicy::exceeds_ceiling`].
    pub fn is_retryable(&self, outcome: &Outcome, is_read: bool) -> bool {
        match outcome {
            Outcome::Status {
                status: 429,
                retry_after,
            } => self.exceeds_ceiling(*retry_after).is_none(),
            Outcome::Status { status, .. } => is_read && matches!(status, 502..=504),
            Outcome::Connection | Outcome::Timeout => is_read,
        }
    }

    /// `Some(wait)` when a 429's `Retry-After` is above the ceiling (fail loudly).
    pub fn exceeds_ceiling(&self, retry_after: Option<Duration>) -> Option<Duration> {
        retry_after.filter(|ra| *ra > self.retry_after_ceiling)
    }

    /// The jittered exponential backoff after attempt `attempt` (1-based).
    pub fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        let step = self
            .base_delay
            .checked_mul(1u32 << exp)
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        step.mul_f64(0.5 + 0.5 * jitter)
    }
}

/// Parse a `Retry-After` value: whole (or decimal) seconds, or an HTTP-date relative to `now`.
///
/// A date in the past means "retry now" (zero). Anything unparsable is `None`, which the
/// policy treats like a missing header.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>() {
        if (0.0..1e9).contains(&secs) {
            return Some(Duration::from_secs(secs.ceil() as u64));
        }
        return None;
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn status(s: u16, ra: Option<u64>) -> Outcome {
        Outcome::Status {
            status: s,
            retry_after: ra.map(Duration::from_secs),
        }
    }

    #[test]
    fn rate_limited_any_method() {
        let p = RetryPolicy::default();
        for is_read in [true, false] {
            assert_eq!(
                p.decide(&status(429, Some(7)), 1, is_read, 0.3),
                Decision::RetryAfter(Duration::from_secs(7))
            );
            assert_eq!(
                p.decide(&status(429, None), 1, is_read, 0.3),
                Decision::RetryAfter(Duration::from_secs(3))
            );
            assert_eq!(
                p.decide(&status(429, Some(180)), 2, is_read, 0.3),
                Decision::RetryAfter(Duration::from_secs(180))
            );
            assert_eq!(
                p.decide(&status(429, Some(181)), 1, is_read, 0.3),
                Decision::GiveUp
            );
        }
        assert_eq!(
            p.exceeds_ceiling(Some(Duration::from_secs(600))),
            Some(Duration::from_secs(600))
        );
        assert_eq!(p.exceeds_ceiling(Some(Duration::from_secs(180))), None);
        assert_eq!(p.exceeds_ceiling(None), None);
    }

    #[test]
    fn transient_only_for_reads() {
        let p = RetryPolicy::default();
        for o in [
            status(502, None),
            status(503, None),
            status(504, None),
            Outcome::Connection,
            Outcome::Timeout,
        ] {
            assert!(
                matches!(p.decide(&o, 1, true, 0.0), Decision::RetryAfter(_)),
                "{o:?}"
            );
            assert_eq!(p.decide(&o, 1, false, 0.0), Decision::GiveUp, "{o:?}");
        }
    }

    #[test]
    fn never_other_statuses() {
        let p = RetryPolicy::default();
        for s in [400, 401, 403, 404, 408, 409, 413, 500, 501, 505] {
            assert_eq!(
                p.decide(&status(s, Some(1)), 1, true, 0.5),
                Decision::GiveUp,
                "{s}"
            );
        }
    }

    #[test]
    fn bounded_attempts() {
        let p = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        assert!(matches!(
            p.decide(&status(503, None), 2, true, 0.0),
            Decision::RetryAfter(_)
        ));
        assert_eq!(p.decide(&status(503, None), 3, true, 0.0), Decision::GiveUp);
        assert_eq!(
            p.decide(&status(429, Some(1)), 3, false, 0.0),
            Decision::GiveUp
        );
    }

    #[test]
    fn backoff_bounds() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1, 1.0), Duration::from_millis(500));
        assert_eq!(p.backoff(1, 0.0), Duration::from_millis(250));
        assert_eq!(p.backoff(2, 1.0), Duration::from_secs(1));
        assert_eq!(p.backoff(5, 1.0), Duration::from_secs(8));
        assert_eq!(p.backoff(20, 1.0), Duration::from_secs(30));
        assert_eq!(p.backoff(u32::MAX, 1.0), Duration::from_secs(30));
        assert_eq!(p.backoff(40, 0.0), Duration::from_secs(15));
        assert_eq!(p.backoff(1, f64::NAN), Duration::from_millis(250));
        for attempt in 1..12 {
            for j in [0.0, 0.25, 0.5, 0.99, 1.0] {
                let d = p.backoff(attempt, j);
                assert!(d <= p.max_delay);
                assert!(d >= p.base_delay / 2);
            }
        }
        // A 503 with Retry-After waits the longer of backoff and the header.
        assert_eq!(
            p.decide(&status(503, Some(10)), 1, true, 1.0),
            Decision::RetryAfter(Duration::from_secs(10))
        );
        assert_eq!(
            p.decide(&status(503, Some(999)), 1, true, 1.0),
            Decision::RetryAfter(Duration::from_millis(500))
        );
    }

    #[test]
    fn retry_after_parsing() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after(" 42 ", now),
            Some(Duration::from_secs(42))
        );
        assert_eq!(parse_retry_after("0", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("1.2", now), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
    }
}
