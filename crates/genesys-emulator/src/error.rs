//! Platform errors as the emulator returns them.
//!
//! Every non-2xx API response is an `ErrorBody`
//! (`{message, code, status, contextId, details: [], errors: []}`), where `contextId` repeats the
//! `ININ-Correlation-ID` header of the same response. Handlers do not know the correlation id, so
//! an [`ApiError`] renders as an empty response that carries the error in its extensions, and the
//! request pipeline (`api::pipeline`) writes the body once it knows the id.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// One platform error: HTTP status, `code` from the contract's `x-inin-error-codes`, message.
#[derive(Clone, Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// Sent as `Retry-After` (whole seconds) when set.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_owned(),
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not.found",
            "The requested resource was not found.",
        )
    }

    pub fn action_not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not.found",
            format!("Unable to find an action with id [{id}]"),
        )
    }

    pub fn draft_not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not.found",
            format!("Unable to find a draft for action with id [{id}]"),
        )
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad.request", message)
    }

    pub fn invalid_value(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid.value", message)
    }

    pub fn constraint(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "constraint.validation", message)
    }

    pub fn invalid_query(value: &str, param: &str, allowed: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid.query.param.value",
            format!(
                "Value [{value}] is not valid for parameter [{param}]. Allowable values are: {allowed}"
            ),
        )
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "request.conflict", message)
    }

    pub fn auth_required() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "authentication.required",
            "No authentication bearer token specified in authorization header.",
        )
    }

    /// The normalised 429 of the platform (genesys-api.md §5).
    pub fn rate_limited(retry_after: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too.many.requests.retry.after",
            format!(
                "Rate limit exceeded the maximum. Retry the request in [{retry_after}] seconds"
            ),
        );
        e.retry_after = Some(retry_after);
        e
    }

    /// A generic error for a status, with the contract's default code and message.
    pub fn for_status(status: StatusCode) -> Self {
        let (code, message) = default_code(status);
        Self::new(status, code, message)
    }

    /// The wire body, with `contextId` = the response's correlation id.
    pub fn body(&self, correlation_id: &str) -> Value {
        error_body(
            self.status.as_u16(),
            &self.code,
            &self.message,
            correlation_id,
        )
    }
}

/// An `ErrorBody` JSON document.
pub(crate) fn error_body(status: u16, code: &str, message: &str, correlation_id: &str) -> Value {
    json!({
        "message": message,
        "code": code,
        "status": status,
        "contextId": correlation_id,
        "details": [],
        "errors": [],
    })
}

/// The contract's default `code` and message for a status.
pub(crate) fn default_code(status: StatusCode) -> (&'static str, String) {
    let (code, msg) = match status.as_u16() {
        400 => (
            "bad.request",
            "The request could not be understood by the server due to malformed syntax.",
        ),
        401 => (
            "authentication.required",
            "No authentication bearer token specified in authorization header.",
        ),
        403 => (
            "not.authorized",
            "You are not authorized to perform the requested action.",
        ),
        404 => ("not.found", "The requested resource was not found."),
        405 => ("method.not.allowed", "The requested method is not allowed."),
        408 => (
            "client.timeout",
            "The client did not produce a request within the server timeout limit.",
        ),
        409 => (
            "request.conflict",
            "The request conflicts with the current state of the target resource.",
        ),
        413 => (
            "request.entity.too.large",
            "The request is over the size limit.",
        ),
        415 => (
            "unsupported.media.type",
            "Unsupported Media Type - Unsupported or incorrect media type, such as an incorrect Content-Type value in the header.",
        ),
        429 => (
            "too.many.requests.retry.after",
            "Rate limit exceeded the maximum.",
        ),
        502 => ("bad.gateway", "Bad gateway."),
        503 => (
            "service.unavailable",
            "Service Unavailable - The server is currently unavailable (because it is overloaded or down for maintenance).",
        ),
        504 => ("request.timeout", "The request timed out."),
        s if s >= 500 => (
            "internal.server.error",
            "The server encountered an unexpected condition which prevented it from fulfilling the request.",
        ),
        _ => ("bad.request", "The request could not be processed."),
    };
    (code, msg.to_owned())
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = self.status.into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert("Retry-After", HeaderValue::from(secs));
        }
        resp.extensions_mut().insert(self);
        resp
    }
}

/// Result type of the API handlers.
pub(crate) type ApiResult<T> = Result<T, ApiError>;
