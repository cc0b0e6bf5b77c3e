//! Network settings from the environment that have no flag: `DACTL_HTTP_TIMEOUT`, the overall
//! timeout of one HTTP attempt (connect, send, and read the whole response), in seconds, and
//! `DACTL_PRECONNECT=0`, which stops the client from opening the API connection while the
//! first token is fetched (for a proxy that objects to the credential-less `HEAD` it sends;
//! see the client's `connect` module).
//!
//! The default (90 s, the client's) must exceed the longest test execution the platform allows
//! (60 s). A shorter value helps on a network where a stalled response should fail fast, and
//! lets tests end a server that drips its answer a byte at a time without waiting 90 s. Reads
//! that time out are retried by the client's retry policy like any transient failure.

use std::time::Duration;

use crate::env::EnvVars;
use crate::error::Failure;

/// The variable that sets the overall timeout of one HTTP attempt.
pub const HTTP_TIMEOUT_VAR: &str = crate::env::DACTL_HTTP_TIMEOUT;
/// Smallest accepted value, in seconds.
pub const MIN_HTTP_TIMEOUT: f64 = 0.1;
/// Largest accepted value, in seconds.
pub const MAX_HTTP_TIMEOUT: f64 = 3600.0;

/// The variable that turns the API pre-connect off (`0`, `off`, `false`, `no`).
pub const PRECONNECT_VAR: &str = crate::env::DACTL_PRECONNECT;

/// Whether the API connection is opened while the first token is fetched (default yes).
pub fn preconnect(env: &EnvVars) -> bool {
    !matches!(
        env.raw(PRECONNECT_VAR)
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref(),
        Some("0" | "off" | "false" | "no")
    )
}

/// `DACTL_HTTP_TIMEOUT` as a duration: `None` when unset; an error for an empty, non-numeric
/// or out-of-range value (seconds, fractions allowed, 0.1 to 3600).
pub fn http_timeout(env: &EnvVars) -> Result<Option<Duration>, Failure> {
    let Some(raw) = env.non_empty(HTTP_TIMEOUT_VAR)? else {
        return Ok(None);
    };
    let text = raw.trim();
    let text = text.strip_suffix('s').unwrap_or(text);
    match text.parse::<f64>() {
        Ok(secs) if (MIN_HTTP_TIMEOUT..=MAX_HTTP_TIMEOUT).contains(&secs) => {
            Ok(Some(Duration::from_secs_f64(secs)))
        }
        _ => Err(Failure::usage(format!(
            "`{HTTP_TIMEOUT_VAR}` must be a number of seconds from {MIN_HTTP_TIMEOUT} to {MAX_HTTP_TIMEOUT}, not `{}`",
            crate::text::shorten(raw)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(v: &str) -> EnvVars {
        EnvVars::from_pairs([(HTTP_TIMEOUT_VAR.to_string(), v.to_string())])
    }

    #[test]
    fn parses_seconds() {
        assert_eq!(http_timeout(&EnvVars::default()).unwrap(), None);
        assert_eq!(
            http_timeout(&env("2")).unwrap(),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            http_timeout(&env(" 0.5s ")).unwrap(),
            Some(Duration::from_millis(500))
        );
        for bad in ["", "0", "-1", "abc", "NaN", "inf", "1e9", "0.01"] {
            assert!(http_timeout(&env(bad)).is_err(), "{bad:?}");
        }
    }
}
