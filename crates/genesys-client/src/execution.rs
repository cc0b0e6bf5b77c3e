//! Test executions of an action (`POST /api/v2/integrations/actions/{id}/test`, X1), timed.
//!
//! A test runs the action against its real backend and answers 200 with a
//! `TestExecutionResult` whether or not the action succeeded: `success` says which, and a
//! failed run carries an `ErrorBody` in `error` (an action that ran past its timeout fails
//! this way; the emulator uses status 504 and code `request.timeout`, and no public source
//! shows the platform's exact wording, see genesys-api.md §3). The result has no duration
//! field, so the client measures the call itself: [`TimedTest::elapsed`] is the time from
//! sending the final attempt to the end of its response body. It leaves out the wait for a
//! rate-limit permit and for a token, so a probe that runs faster than the rate limit still
//! measures the backend, not the limiter.
//!
//! Like every POST, a test is never retried on a 5xx or a connection error (a retry would
//! run the backend call twice and hide the failure); a 429 is waited out and re-sent, because
//! the platform did not process it.

use std::time::Duration;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::{encode_segment, Client};
use crate::error::Error;
use crate::models::ErrorBody;

/// `TestExecutionResult`: the outcome of a test execution.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestExecutionResult {
    /// The steps of the execution, kept as JSON (`step`, `name`, `success`, `result`, `error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operations: Option<Vec<Value>>,
    /// Why the execution failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
    /// The translated result of a successful execution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_result: Option<Value>,
    /// Whether the execution succeeded (absent reads as false).
    #[serde(default)]
    pub success: bool,
    /// Every other field, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TestExecutionResult {
    /// True when the failure is the action's execution timeout: an error with code
    /// `request.timeout` / `client.timeout`, status 504 or 408, or a message that says the
    /// request timed out.
    pub fn is_timeout(&self) -> bool {
        if self.success {
            return false;
        }
        let Some(e) = &self.error else { return false };
        let code = e.code.as_deref().unwrap_or("").to_ascii_lowercase();
        let message = e.message.as_deref().unwrap_or("").to_ascii_lowercase();
        code.contains("timeout")
            || matches!(e.status, Some(504) | Some(408))
            || message.contains("timed out")
    }

    /// A one-line reason for a failed execution: the error's code and message, or the name
    /// of the first failed step.
    pub fn failure_reason(&self) -> Option<String> {
        if self.success {
            return None;
        }
        if let Some(e) = &self.error {
            let text = match (e.code.as_deref(), e.message.as_deref()) {
                (Some(c), Some(m)) => format!("{c}: {m}"),
                (Some(c), None) => c.to_string(),
                (None, Some(m)) => m.to_string(),
                (None, None) => "failed".to_string(),
            };
            return Some(text);
        }
        let step = self
            .operations
            .iter()
            .flatten()
            .find(|op| op.get("success").and_then(Value::as_bool) == Some(false));
        Some(
            match step.and_then(|s| s.get("name")).and_then(Value::as_str) {
                Some(name) => format!("step `{name}` failed"),
                None => "the test execution failed".to_string(),
            },
        )
    }
}

/// A test execution with its client-side duration.
#[derive(Clone, Debug)]
pub struct TimedTest {
    /// The decoded result.
    pub result: TestExecutionResult,
    /// Time from sending the final attempt to the end of the response body.
    pub elapsed: Duration,
    /// `ININ-Correlation-ID` of the response.
    pub correlation_id: Option<String>,
}

impl Client {
    /// `POST /api/v2/integrations/actions/{id}/test` with `input` (the action's input contract
    /// as a JSON object) as the body; needs `integrations:action:execute`.
    pub async fn test_action(
        &self,
        id: &str,
        input: &Map<String, Value>,
    ) -> Result<TimedTest, Error> {
        let path = format!("/api/v2/integrations/actions/{}/test", encode_segment(id));
        let method = Method::POST;
        let body = serde_json::to_vec(input).map_err(|e| Error::Protocol {
            message: format!("cannot encode the body of POST {path}: {e}"),
            correlation_id: None,
        })?;
        let resp = self
            .inner
            .execute(&method, &path, Some(&body), "application/json")
            .await?;
        let result: TestExecutionResult = Self::decode(&method, &path, &resp)?;
        Ok(TimedTest {
            result,
            elapsed: resp.elapsed,
            correlation_id: resp.correlation_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(v: Value) -> TestExecutionResult {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn timeout_is_recognised_by_code_status_or_message() {
        let by_code = result(serde_json::json!({"success": false,
            "error": {"code": "request.timeout", "status": 504, "message": "x"}}));
        assert!(by_code.is_timeout());
        let by_status = result(serde_json::json!({"success": false, "error": {"status": 408}}));
        assert!(by_status.is_timeout());
        let by_message = result(serde_json::json!({"success": false,
            "error": {"code": "internal.server.error", "message": "The request timed out"}}));
        assert!(by_message.is_timeout());
        let other = result(serde_json::json!({"success": false,
            "error": {"code": "bad.request", "status": 400, "message": "Missing input"}}));
        assert!(!other.is_timeout());
        assert_eq!(
            other.failure_reason().as_deref(),
            Some("bad.request: Missing input")
        );
        let ok = result(serde_json::json!({"success": true, "finalResult": {}}));
        assert!(!ok.is_timeout());
        assert_eq!(ok.failure_reason(), None);
    }

    #[test]
    fn failed_step_names_the_reason_when_there_is_no_error() {
        let r = result(serde_json::json!({"success": false, "operations": [
            {"step": 1, "name": "Validate input", "success": true},
            {"step": 2, "name": "Execute request", "success": false}]}));
        assert_eq!(
            r.failure_reason().as_deref(),
            Some("step `Execute request` failed")
        );
        // Unknown fields survive.
        let v = serde_json::json!({"success": true, "futureField": [1, 2]});
        let r = result(v.clone());
        assert_eq!(
            serde_json::to_value(&r).unwrap()["futureField"],
            v["futureField"]
        );
    }
}
