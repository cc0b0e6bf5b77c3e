//! Parsing of the DURATION argument of `timeout set`.
//!
//! Accepted forms: `30`, `30s`, `30000ms`, `1m` (also with upper-case units and surrounding
//! whitespace). The value must be a whole number of seconds in 1..=60, the range the platform
//! accepts for `config.timeoutSeconds`. Anything else is rejected here, before any request is
//! sent, with a message that says what was wrong.

use std::fmt;

/// Smallest timeout the platform accepts, in seconds.
pub const MIN_TIMEOUT: i64 = 1;
/// Largest timeout the platform accepts, and its default when none is set, in seconds.
pub const MAX_TIMEOUT: i64 = 60;
/// The platform default that applies when `timeoutSeconds` is absent.
pub const DEFAULT_TIMEOUT: i64 = 60;

/// Why a duration was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError {
    /// The text as given.
    pub input: String,
    /// What was wrong with it.
    pub reason: String,
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid timeout `{}`: {}",
            self.input.escape_debug(),
            self.reason
        )
    }
}

impl std::error::Error for DurationError {}

/// Parse a DURATION into whole seconds within 1..=60.
pub fn parse_timeout(input: &str) -> Result<i64, DurationError> {
    let err = |reason: &str| DurationError {
        input: input.chars().take(64).collect(),
        reason: reason.to_string(),
    };
    let s = input.trim();
    if s.is_empty() {
        return Err(err("it is empty"));
    }
    let digits_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(digits_end);
    if number.is_empty() {
        if s.starts_with('-') {
            return Err(err("a timeout cannot be negative"));
        }
        return Err(err(
            "expected a whole number with an optional unit: `30`, `30s`, `30000ms` or `1m`",
        ));
    }
    let unit = unit.trim();
    if unit.starts_with('.') || unit.starts_with(',') {
        return Err(err("the timeout must be a whole number of seconds"));
    }
    // More than 12 digits cannot be in range in any unit; refuse before overflowing.
    if number.len() > 12 {
        return Err(err(
            "out of range: the timeout must be between 1 and 60 seconds",
        ));
    }
    let n: i64 = number.parse().map_err(|_| err("expected a whole number"))?;
    let seconds = match unit.to_ascii_lowercase().as_str() {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => n,
        "ms" => {
            if n % 1000 != 0 {
                return Err(err("the timeout must be a whole number of seconds (milliseconds are a multiple of 1000)"));
            }
            n / 1000
        }
        "m" | "min" | "mins" | "minute" | "minutes" => n * 60,
        _ => {
            return Err(err("unknown unit: use `s`, `ms` or `m`, e.g. `30s`"));
        }
    };
    if !(MIN_TIMEOUT..=MAX_TIMEOUT).contains(&seconds) {
        return Err(err(
            "out of range: the timeout must be between 1 and 60 seconds",
        ));
    }
    Ok(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_documented_forms() {
        for (input, want) in [
            ("30", 30),
            ("30s", 30),
            ("30000ms", 30),
            ("1m", 60),
            (" 45S ", 45),
            ("1", 1),
            ("60", 60),
            ("60000ms", 60),
        ] {
            assert_eq!(parse_timeout(input), Ok(want), "{input}");
        }
    }

    #[test]
    fn rejects_bad_durations() {
        for input in [
            "0",
            "61",
            "1.5s",
            "-3",
            "abc",
            "90000ms",
            "",
            "   ",
            "1500ms",
            "2m",
            "30x",
            "3 0",
            "99999999999999999999",
            "+5",
            "0s",
            "1h",
            "s",
        ] {
            assert!(parse_timeout(input).is_err(), "{input:?} should be refused");
        }
    }

    #[test]
    fn error_message_says_why() {
        let e = parse_timeout("61").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid timeout `61`: out of range: the timeout must be between 1 and 60 seconds"
        );
        let e = parse_timeout("1.5s").unwrap_err();
        assert!(e.to_string().contains("whole number"), "{e}");
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_only_returns_valid(s in "\\PC{0,20}") {
            if let Ok(v) = parse_timeout(&s) {
                proptest::prop_assert!((1..=60).contains(&v));
            }
        }

        #[test]
        fn seconds_round_trip(n in 1i64..=60) {
            proptest::prop_assert_eq!(parse_timeout(&format!("{n}s")), Ok(n));
            proptest::prop_assert_eq!(parse_timeout(&format!("{}ms", n * 1000)), Ok(n));
        }
    }
}
