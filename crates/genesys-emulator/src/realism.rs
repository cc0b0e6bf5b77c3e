//! Realism settings: for each answer the platform may give where its contract is silent, which
//! one an org of the emulator gives (genesys-api.md §7). They are data, like the faults: set
//! per org in [`OrgCredentials::realism`](crate::OrgCredentials), with a flag of `serve`, or at
//! run time through `PUT /__emulator/realism[?clientId=ID]`.
//!
//! | setting | values | default | open question |
//! |---|---|---|---|
//! | `test_timeout` | `body`, `http504`, `http408` | `body` | U18: how `/test` reports that the remote call ran past the timeout |
//! | `rate_limit_scope` | `token`, `client` | `token` | U19: whether the limit of `--rate-limit` requests a minute counts per access token or per OAuth client |
//! | `patch_response` | `full`, `bare`, `empty` | `full` | U17: what a successful PATCH (P1, D3) answers with |
//! | `conflict_status` | `409`, `400` | `409` | U4: how a write with a stale version (P1, D3) is refused |
//!
//! `body` answers a timed-out test with HTTP 200 and a failed `TestExecutionResult` whose
//! `error` is a 504 `request.timeout` `ErrorBody`; `http504` answers the test call itself with
//! HTTP 504 `request.timeout`; `http408` with HTTP 408 `client.timeout`. A client must treat
//! all three as a timed-out execution.
//!
//! `token` gives each access token its own window of the rate limit; `client` one window for all
//! the tokens of an OAuth client, so that more tokens bring no more requests. A client with a
//! pool of tokens must gain under the first and lose nothing under the second.
//!
//! `full` answers a PATCH with the written action, its config (templates by URI) and the risen
//! version; `bare` without the config (id, name, category, version…); `empty` with HTTP 200 and
//! no body. `409` refuses a stale version with 409 `request.conflict`; `400` with 400
//! `bad.request` "Supplied version N does not match the current version M". A stale draft
//! publish answers 400 "Supplied version N does not match latest draft version M" under both,
//! as the platform is known to (terraform-provider-genesyscloud issue 1961).
//! [`Realism::pessimistic`] is `bare` and `400`: dactl's write suites run under it and under the
//! defaults. `sandbox serve` flags: `--patch-response`, `--conflict-status`.

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

/// Whose requests the rate limit counts together (U19: the limit is named
/// `client.credentials.token.rate.per.minute`, and whether it counts per token or per OAuth
/// client is not published).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum RateLimitScope {
    /// Each access token has its own window.
    #[default]
    Token,
    /// Every token of one OAuth client shares one window: more tokens bring no more requests.
    Client,
}

/// What a successful PATCH of an action or a draft answers with (U17).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum PatchResponse {
    /// The written action with its config (templates by URI) and the risen version.
    #[default]
    Full,
    /// The action without its config (id, name, category, version…).
    Bare,
    /// HTTP 200 with an empty body.
    Empty,
}

/// How a write that carries a stale version is refused (U4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum ConflictStatus {
    /// 409 `request.conflict`.
    #[default]
    #[serde(rename = "409")]
    #[value(name = "409")]
    Conflict409,
    /// 400 `bad.request` "Supplied version N does not match the current version M".
    #[serde(rename = "400")]
    #[value(name = "400")]
    BadRequest400,
}

/// The realism settings of one org.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Realism {
    /// How a timed-out test execution is answered.
    pub test_timeout: TestTimeout,
    /// Whose requests the rate limit counts together (U19).
    pub rate_limit_scope: RateLimitScope,
    /// What a PATCH answers with.
    pub patch_response: PatchResponse,
    /// How a stale version is refused.
    pub conflict_status: ConflictStatus,
}

impl Realism {
    /// The pessimistic counterpart of the default for writes: `bare` PATCH answers, 400
    /// conflicts.
    pub fn pessimistic() -> Realism {
        Realism {
            patch_response: PatchResponse::Bare,
            conflict_status: ConflictStatus::BadRequest400,
            ..Realism::default()
        }
    }
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

    #[test]
    fn the_rate_limit_scope_is_token_unless_set() {
        assert_eq!(Realism::default().rate_limit_scope, RateLimitScope::Token);
        let r: Realism = serde_json::from_str(r#"{"rate_limit_scope": "client"}"#).expect("json");
        assert_eq!(r.rate_limit_scope, RateLimitScope::Client);
        assert_eq!(r.test_timeout, TestTimeout::Body);
        assert!(serde_json::from_str::<Realism>(r#"{"rate_limit_scope": "org"}"#).is_err());
        assert_eq!(
            serde_json::to_value(Realism::default()).expect("json")["rate_limit_scope"],
            "token"
        );
    }

    #[test]
    fn write_settings_serialized_form() {
        let r: Realism =
            serde_json::from_str(r#"{"patch_response":"bare","conflict_status":"400"}"#)
                .expect("parse");
        assert_eq!(r, Realism::pessimistic());
        let d = Realism::default();
        assert_eq!(
            (d.patch_response, d.conflict_status),
            (PatchResponse::Full, ConflictStatus::Conflict409)
        );
        assert!(serde_json::from_str::<Realism>(r#"{"conflict_status":"412"}"#).is_err());
        let v = serde_json::to_value(Realism::pessimistic()).expect("json");
        assert_eq!(v["patch_response"], "bare");
        assert_eq!(v["conflict_status"], "400");
    }
}
