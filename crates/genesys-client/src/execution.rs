//! Test executions of an action (`POST /api/v2/integrations/actions/{id}/test`, X1), timed.
//!
//! A test runs the action against its real backend. How the platform reports that the remote
//! call ran past the action's timeout is unpublished (U18), so every plausible answer is read
//! as a **timeout** ([`TestExecutionResult::is_timeout`]):
//!
//! - HTTP 200 with a `TestExecutionResult` whose `success` is false and whose `error` (or a
//!   failed step's error) has status 504 or 408, the code `request.timeout` or
//!   `client.timeout`, or a message saying the call timed out;
//! - HTTP 504 or HTTP 408 for the test call itself: [`Client::test_action`] turns it into a
//!   failed `TestExecutionResult` carrying the answer's `ErrorBody` (or one made from the
//!   status), with [`TimedTest::status`] saying which status came.
//!
//! The result has no duration field, so the client measures the call itself:
//! [`TimedTest::elapsed`] is the time from sending the final attempt to the end of its
//! response body. It leaves out the wait for a rate-limit permit and for a token, so a probe
//! that runs faster than the rate limit still measures the backend, not the limiter.
//!
//! A test execution is **never retried** on a 5xx, a 408 or a connection error (a retry would
//! run the backend call twice, pay another full timeout, and hide the answer); a 429 is waited
//! out and re-sent, because the platform did not process it.

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
        if self.error.as_ref().is_some_and(error_is_timeout) {
            return true;
        }
        // No top-level error that says so: a failed step's error may.
        self.operations.iter().flatten().any(|op| {
            op.get("success").and_then(Value::as_bool) == Some(false)
                && op
                    .get("error")
                    .and_then(|e| serde_json::from_value::<ErrorBody>(e.clone()).ok())
                    .is_some_and(|e| error_is_timeout(&e))
        })
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

/// Whether an `ErrorBody` says that the remote call timed out: status 504 or 408, a code
/// `request.timeout` / `client.timeout` (or any code naming a timeout), or a message saying
/// that the call timed out.
pub fn error_is_timeout(e: &ErrorBody) -> bool {
    let code = e.code.as_deref().unwrap_or("").to_ascii_lowercase();
    let message = e.message.as_deref().unwrap_or("").to_ascii_lowercase();
    code.contains("timeout")
        || matches!(e.status, Some(504) | Some(408))
        || message.contains("timed out")
        || message.contains("timeout exceeded")
}

/// HTTP statuses of a test call that mean its remote call timed out.
pub const TIMEOUT_STATUSES: [u16; 2] = [504, 408];

/// A test execution with its client-side duration.
#[derive(Clone, Debug)]
pub struct TimedTest {
    /// The decoded result (for an HTTP 504/408 answer: a failed result carrying its error).
    pub result: TestExecutionResult,
    /// Time from sending the final attempt to the end of the response body.
    pub elapsed: Duration,
    /// `ININ-Correlation-ID` of the response.
    pub correlation_id: Option<String>,
    /// HTTP status of the answer: 200, or 504 / 408 when the test call itself timed out.
    pub status: u16,
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
            .execute_accepting(
                &method,
                &path,
                Some(&body),
                "application/json",
                &TIMEOUT_STATUSES,
            )
            .await?;
        if TIMEOUT_STATUSES.contains(&resp.status) {
            let mut error = crate::client::sniff_error_body(&resp.body).unwrap_or_default();
            error.status.get_or_insert(i64::from(resp.status));
            if error.code.is_none() {
                error.code = Some(
                    if resp.status == 408 {
                        "client.timeout"
                    } else {
                        "request.timeout"
                    }
                    .to_string(),
                );
            }
            return Ok(TimedTest {
                result: TestExecutionResult {
                    success: false,
                    error: Some(error),
                    ..TestExecutionResult::default()
                },
                elapsed: resp.elapsed,
                correlation_id: resp.correlation_id,
                status: resp.status,
            });
        }
        let result: TestExecutionResult = Self::decode(&method, &path, &resp)?;
        Ok(TimedTest {
            result,
            elapsed: resp.elapsed,
            correlation_id: resp.correlation_id,
            status: resp.status,
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
        let by_client_code =
            result(serde_json::json!({"success": false, "error": {"code": "client.timeout"}}));
        assert!(by_client_code.is_timeout());
        let in_a_step = result(serde_json::json!({"success": false, "operations": [
            {"step": 1, "name": "Execute request", "success": false,
             "error": {"message": "The remote call timed out after 10 seconds"}}]}));
        assert!(in_a_step.is_timeout());
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
