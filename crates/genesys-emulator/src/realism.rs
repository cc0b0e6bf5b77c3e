//! Realism settings: for each answer the platform may give where its contract is silent, which
//! one an org of the emulator gives (genesys-api.md §7). They are data, like the faults: set
//! per org in [`OrgCredentials::realism`](crate::OrgCredentials), with a flag of `serve`, or at
//! run time through `PUT /__emulator/realism[?clientId=ID]`.
//!
//! | setting | values | default | open question |
//! |---|---|---|---|
//! | `test_timeout` | `body`, `http504`, `http408` | `body` | U18: how `/test` reports that the remote call ran past the timeout |
//!
//! `body` answers a timed-out test with HTTP 200 and a failed `TestExecutionResult` whose
//! `error` is a 504 `request.timeout` `ErrorBody`; `http504` answers the test call itself with
//! HTTP 504 `request.timeout`; `http408` with HTTP 408 `client.timeout`. A client must treat
//! all three as a timed-out execution.

use serde::{Deserialize, Serialize};

/// How a test execution whose remote call timed out is answered (U18).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TestTimeout {
    /// HTTP 200, `success: false`, the timeout in the result's `error`.
    #[default]
    Body,
    /// HTTP 504 `request.timeout` for the test call.
    Http504,
    /// HTTP 408 `client.timeout` for the test call.
    Http408,
}

impl TestTimeout {
    /// Every value, in the order of the table above.
    pub const ALL: [TestTimeout; 3] = [
        TestTimeout::Body,
        TestTimeout::Http504,
        TestTimeout::Http408,
    ];

    /// The setting's name on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            TestTimeout::Body => "body",
            TestTimeout::Http504 => "http504",
            TestTimeout::Http408 => "http408",
        }
    }
}

impl std::str::FromStr for TestTimeout {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TestTimeout::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("`{s}` is not one of body, http504, http408"))
    }
}

/// The realism settings of one org.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Realism {
    /// How a timed-out test execution is answered.
    pub test_timeout: TestTimeout,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in TestTimeout::ALL {
            assert_eq!(t.as_str().parse::<TestTimeout>(), Ok(t));
            assert_eq!(
                serde_json::to_value(t).expect("json"),
                serde_json::json!(t.as_str())
            );
        }
        assert!("http500".parse::<TestTimeout>().is_err());
        let r: Realism = serde_json::from_str(r#"{"test_timeout": "http408"}"#).expect("json");
        assert_eq!(r.test_timeout, TestTimeout::Http408);
        assert_eq!(
            serde_json::from_str::<Realism>("{}").expect("json"),
            Realism::default()
        );
        assert!(serde_json::from_str::<Realism>(r#"{"nope": 1}"#).is_err());
    }
}
