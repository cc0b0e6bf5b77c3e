//! Errors of the Genesys Cloud client and their classification.
//!
//! Every failure the client can report is one variant of [`Error`], with structured fields
//! (HTTP status, decoded [`ErrorBody`], `ININ-Correlation-ID`, ...) rather than preformatted
//! strings. [`Error::kind`] is the single classification that both the retry machinery and
//! callers (exit codes, bulk-run bookkeeping) use, so nobody has to match on messages.
//!
//! Nothing in an error ever carries a secret: the client secret and the access token never
//! reach any field, and transport messages are built without request headers.

use std::time::Duration;

use crate::models::ErrorBody;

mod hint;

/// Coarse classification of an [`Error`], shared by the retry policy and the CLI's exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad settings: unknown region, refused URL, invalid option.
    Config,
    /// The credentials were refused, or a fresh token was refused (401).
    Auth,
    /// The OAuth client lacks a permission (403).
    Permission,
    /// The object does not exist (404).
    NotFound,
    /// Optimistic-concurrency conflict: 409, or a 400 saying the version does not match.
    Conflict,
    /// Any other 4xx: the request itself is wrong and repeating it will not help.
    BadRequest,
    /// 429 (possibly after retries), or a `Retry-After` above the ceiling.
    RateLimited,
    /// 5xx, connection errors and timeouts.
    Transient,
    /// The server answered something the client cannot accept (bad JSON, short listing, ...).
    Protocol,
    /// Anything else (unexpected 1xx/3xx statuses).
    Other,
}

/// A connection problem that waiting will not fix: the user must change something.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectProblem {
    /// The server's certificate was refused; the text says why (unknown issuer, expired,
    /// wrong name, ...).
    Certificate(String),
    /// Another TLS failure (the handshake itself); the text is rustls' message.
    Tls(String),
    /// The host name did not resolve.
    Dns,
    /// The proxy answered the `CONNECT` with 407: it wants credentials.
    ProxyAuth,
}

/// An error of the Genesys Cloud client.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Invalid configuration, detected before any request is sent.
    #[error("{message}")]
    Config {
        /// What is wrong.
        message: String,
        /// How to fix it (for example the list of valid regions).
        hint: Option<String>,
    },
    /// Any non-2xx from the Platform API (after retries where they apply).
    #[error("{method} {path} failed with HTTP {status}{}", api_detail(body.as_ref()))]
    Api {
        /// HTTP method of the request.
        method: String,
        /// Request path, without query string and host.
        path: String,
        /// HTTP status code.
        status: u16,
        /// The decoded error body, when the server sent one.
        body: Option<ErrorBody>,
        /// `ININ-Correlation-ID` of the response (or the body's `contextId`).
        correlation_id: Option<String>,
    },
    /// The token endpoint refused the credentials, or a request got 401 again right after a
    /// fresh token.
    #[error("authentication failed with HTTP {status} for the credentials from {credential_source}{}", opt_detail(detail.as_deref()))]
    Auth {
        /// HTTP status code (400/401 from the token endpoint, 401 from the API).
        status: u16,
        /// Where the credentials came from (never their value).
        credential_source: String,
        /// The server's explanation, when it gave one.
        detail: Option<String>,
        /// `ININ-Correlation-ID` of the response.
        correlation_id: Option<String>,
    },
    /// A 429 asked to wait longer than the configured ceiling: fail loudly instead of stalling.
    #[error("{method} {path} was rate limited with `Retry-After: {}` seconds, above the {}-second ceiling", retry_after.as_secs(), ceiling.as_secs())]
    RetryAfterTooLong {
        /// HTTP method of the request.
        method: String,
        /// Request path, without query string and host.
        path: String,
        /// The wait the server asked for.
        retry_after: Duration,
        /// The configured ceiling.
        ceiling: Duration,
        /// `ININ-Correlation-ID` of the 429 response.
        correlation_id: Option<String>,
    },
    /// Retries used up; `last` is the final error (kind RateLimited if it was a 429, else
    /// Transient).
    #[error("gave up after {attempts} attempts: {last}")]
    Exhausted {
        /// How many attempts were made.
        attempts: u32,
        /// The error of the final attempt.
        last: Box<Error>,
    },
    /// The request could not be sent or its response not received (connection, timeout, TLS).
    #[error("{method} {path} failed: {message}")]
    Transport {
        /// HTTP method of the request.
        method: String,
        /// Request path, without query string and host.
        path: String,
        /// What went wrong (never contains secrets).
        message: String,
    },
    /// A connection failed for a reason that waiting will not fix (a refused certificate, a
    /// host name that does not resolve, a proxy that wants credentials). Never retried.
    #[error("{method} {path} failed: {}", connect_detail(problem, host, proxy.as_deref()))]
    Connect {
        /// HTTP method of the request.
        method: String,
        /// Request path, without query string and host.
        path: String,
        /// The host (and port, when not the default) the request was for.
        host: String,
        /// The proxy the request went through (`host:port`, never its credentials).
        proxy: Option<String>,
        /// Where the host came from (`--region`, a profile, ...), when the caller said.
        endpoint_source: Option<String>,
        /// What went wrong.
        problem: ConnectProblem,
    },
    /// A response body could not be decoded into the expected type.
    #[error("cannot decode the response of {method} {path} at `{json_path}`: {message}")]
    Decode {
        /// HTTP method of the request.
        method: String,
        /// Request path, without query string and host.
        path: String,
        /// JSON path of the offending value (`.` for the document itself).
        json_path: String,
        /// The decoder's message.
        message: String,
        /// `ININ-Correlation-ID` of the response.
        correlation_id: Option<String>,
    },
    /// Server misbehaved: listing count != total, body too large, wrong content type, redirect
    /// refused, ...
    #[error("{message}")]
    Protocol {
        /// What the server did wrong.
        message: String,
        /// `ININ-Correlation-ID` of the response, when there was one.
        correlation_id: Option<String>,
    },
}

fn api_detail(body: Option<&ErrorBody>) -> String {
    match body {
        Some(b) => match (b.code.as_deref(), b.message.as_deref()) {
            (Some(code), Some(msg)) => format!(" (`{code}`): {msg}"),
            (None, Some(msg)) => format!(": {msg}"),
            (Some(code), None) => format!(" (`{code}`)"),
            (None, None) => String::new(),
        },
        None => String::new(),
    }
}

fn connect_detail(problem: &ConnectProblem, host: &str, proxy: Option<&str>) -> String {
    match (problem, proxy) {
        (ConnectProblem::Certificate(why), _) => {
            format!("the TLS certificate of `{host}` is not trusted: {why}")
        }
        (ConnectProblem::Tls(why), _) => format!("the TLS handshake with `{host}` failed: {why}"),
        (ConnectProblem::Dns, Some(p)) => {
            format!("the proxy's host name `{p}` does not resolve (DNS)")
        }
        (ConnectProblem::Dns, None) => format!("the host name `{host}` does not resolve (DNS)"),
        (ConnectProblem::ProxyAuth, p) => format!(
            "the proxy `{}` refused to connect to `{host}`: it wants proxy credentials (HTTP 407)",
            p.unwrap_or("(unknown)")
        ),
    }
}

fn opt_detail(detail: Option<&str>) -> String {
    detail.map(|d| format!(": {d}")).unwrap_or_default()
}

/// True when an API error (status + body) is an optimistic-concurrency conflict.
fn status_is_version_conflict(status: u16, body: Option<&ErrorBody>) -> bool {
    if status == 409 {
        return true;
    }
    if status != 400 {
        return false;
    }
    let Some(body) = body else { return false };
    [body.message.as_deref(), body.message_with_params.as_deref()]
        .into_iter()
        .flatten()
        .any(|m| {
            let m = m.to_ascii_lowercase();
            m.contains("does not match") && m.contains("version")
        })
}

impl Error {
    /// The classification used for retries and exit codes.
    ///
    /// 401 → Auth, 403 → Permission, 404 → NotFound, 409 or version-mismatch 400 → Conflict,
    /// other 4xx → BadRequest, 429 → RateLimited, 5xx and transport errors → Transient.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config { .. } => ErrorKind::Config,
            Error::Api { status, body, .. } => match *status {
                401 => ErrorKind::Auth,
                403 => ErrorKind::Permission,
                404 => ErrorKind::NotFound,
                429 => ErrorKind::RateLimited,
                s if status_is_version_conflict(s, body.as_ref()) => ErrorKind::Conflict,
                400..=499 => ErrorKind::BadRequest,
                500..=599 => ErrorKind::Transient,
                _ => ErrorKind::Other,
            },
            Error::Auth { .. } => ErrorKind::Auth,
            Error::RetryAfterTooLong { .. } => ErrorKind::RateLimited,
            Error::Exhausted { last, .. } => match last.kind() {
                ErrorKind::RateLimited => ErrorKind::RateLimited,
                _ => ErrorKind::Transient,
            },
            Error::Transport { .. } => ErrorKind::Transient,
            // Nothing a retry fixes: the trust store, the region or the proxy settings must
            // change.
            Error::Connect { .. } => ErrorKind::Config,
            Error::Decode { .. } | Error::Protocol { .. } => ErrorKind::Protocol,
        }
    }

    /// True for a 409, or a 400 whose message contains "does not match" and "version"
    /// (case-insensitive): the caller should re-read and re-apply its change.
    pub fn is_version_conflict(&self) -> bool {
        match self {
            Error::Api { status, body, .. } => status_is_version_conflict(*status, body.as_ref()),
            _ => false,
        }
    }

    /// The `ININ-Correlation-ID` of the response behind this error, if any.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            Error::Api {
                correlation_id,
                body,
                ..
            } => correlation_id
                .as_deref()
                .or_else(|| body.as_ref().and_then(|b| b.context_id.as_deref())),
            Error::Auth { correlation_id, .. }
            | Error::RetryAfterTooLong { correlation_id, .. }
            | Error::Decode { correlation_id, .. }
            | Error::Protocol { correlation_id, .. } => correlation_id.as_deref(),
            Error::Exhausted { last, .. } => last.correlation_id(),
            Error::Config { .. } | Error::Transport { .. } | Error::Connect { .. } => None,
        }
    }

    /// The decoded `ErrorBody` of the failing response, if any.
    pub fn error_body(&self) -> Option<&ErrorBody> {
        match self {
            Error::Api { body, .. } => body.as_ref(),
            Error::Exhausted { last, .. } => last.error_body(),
            _ => None,
        }
    }

    /// The HTTP status of the failing response, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } | Error::Auth { status, .. } => Some(*status),
            Error::RetryAfterTooLong { .. } => Some(429),
            Error::Exhausted { last, .. } => last.status(),
            _ => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn api(status: u16, message: Option<&str>) -> Error {
        Error::Api {
            method: "PATCH".into(),
            path: "/api/v2/integrations/actions/x".into(),
            status,
            body: message.map(|m| ErrorBody {
                message: Some(m.to_string()),
                ..ErrorBody::default()
            }),
            correlation_id: Some("corr-1".into()),
        }
    }

    #[test]
    fn kinds_by_status() {
        assert_eq!(api(401, None).kind(), ErrorKind::Auth);
        assert_eq!(api(403, None).kind(), ErrorKind::Permission);
        assert_eq!(api(404, None).kind(), ErrorKind::NotFound);
        assert_eq!(api(409, None).kind(), ErrorKind::Conflict);
        assert_eq!(api(400, Some("bad")).kind(), ErrorKind::BadRequest);
        assert_eq!(api(422, None).kind(), ErrorKind::BadRequest);
        assert_eq!(api(429, None).kind(), ErrorKind::RateLimited);
        assert_eq!(api(500, None).kind(), ErrorKind::Transient);
        assert_eq!(api(503, None).kind(), ErrorKind::Transient);
        let ex = Error::Exhausted {
            attempts: 3,
            last: Box::new(api(429, None)),
        };
        assert_eq!(ex.kind(), ErrorKind::RateLimited);
        assert!(ex.hint().unwrap().contains("--rate"));
        assert_eq!(ex.correlation_id(), Some("corr-1"));
        let ex = Error::Exhausted {
            attempts: 3,
            last: Box::new(api(503, None)),
        };
        assert_eq!(ex.kind(), ErrorKind::Transient);
    }

    #[test]
    fn connection_problems_are_configuration_with_the_fix() {
        let e = |problem: ConnectProblem, proxy: Option<&str>| Error::Connect {
            method: "POST".into(),
            path: "/oauth/token".into(),
            host: "login.mypurecloud.ie".into(),
            proxy: proxy.map(str::to_string),
            endpoint_source: Some("--region".into()),
            problem,
        };
        let cert = e(ConnectProblem::Certificate("it has expired".into()), None);
        assert_eq!(cert.kind(), ErrorKind::Config);
        assert!(cert.to_string().contains("`login.mypurecloud.ie`"));
        assert!(cert.to_string().contains("it has expired"));
        let hint = cert.hint().unwrap();
        assert!(
            hint.contains("SSL_CERT_FILE") && hint.contains("--ca-file"),
            "{hint}"
        );
        let dns = e(ConnectProblem::Dns, None);
        assert_eq!(dns.kind(), ErrorKind::Config);
        assert!(dns
            .to_string()
            .contains("`login.mypurecloud.ie` does not resolve"));
        let hint = dns.hint().unwrap();
        assert!(
            hint.contains("comes from --region") && hint.contains("HTTPS_PROXY"),
            "{hint}"
        );
        let dns_proxy = e(ConnectProblem::Dns, Some("proxy.corp:8080"));
        assert!(dns_proxy.to_string().contains("`proxy.corp:8080`"));
        let auth = e(ConnectProblem::ProxyAuth, Some("proxy.corp:8080"));
        assert_eq!(auth.kind(), ErrorKind::Config);
        assert!(auth.to_string().contains("407"));
        assert!(auth.hint().unwrap().contains("USER:PASSWORD@"));
        // Never retried: the transport returns it as is, never inside `Exhausted`.
        assert_eq!(auth.status(), None);

        // A proxy that refuses the tunnel otherwise is retried, with a hint that names it.
        let tunnel = Error::Exhausted {
            attempts: 6,
            last: Box::new(Error::Transport {
                method: "POST".into(),
                path: "/oauth/token".into(),
                message:
                    "error sending request: client error (Connect): tunnel error: unsuccessful"
                        .into(),
            }),
        };
        assert_eq!(tunnel.kind(), ErrorKind::Transient);
        let hint = tunnel.hint().unwrap();
        assert!(
            hint.contains("NO_PROXY") && hint.contains("HTTPS_PROXY"),
            "{hint}"
        );
    }

    #[test]
    fn version_conflicts() {
        assert!(api(409, None).is_version_conflict());
        assert!(api(
            400,
            Some("Supplied version 2 does not match latest draft version 1")
        )
        .is_version_conflict());
        assert!(api(400, Some("Version DOES NOT MATCH the current version")).is_version_conflict());
        assert_eq!(
            api(
                400,
                Some("Supplied version 2 does not match latest draft version 1")
            )
            .kind(),
            ErrorKind::Conflict
        );
        assert!(!api(400, Some("timeoutSeconds must be between 1 and 60")).is_version_conflict());
        assert!(!api(400, Some("name does not match pattern")).is_version_conflict());
        assert!(!api(412, Some("version does not match")).is_version_conflict());
    }

    #[test]
    fn forbidden_hint_names_permission() {
        let e = api(
            403,
            Some("You are missing the following permission(s): integrations:action:edit"),
        );
        let hint = e.hint().unwrap();
        assert!(hint.contains("`integrations:action:edit`"), "{hint}");
        let e = api(
            403,
            Some("Missing any of: [integrations:action:view, bridge:actions:view]."),
        );
        let hint = e.hint().unwrap();
        assert!(hint.contains("`integrations:action:view`"), "{hint}");
        assert!(hint.contains("`bridge:actions:view`"), "{hint}");
        assert!(api(403, Some("not allowed"))
            .hint()
            .unwrap()
            .contains("integrations:action"));
    }

    #[test]
    fn display_is_lowercase_and_has_details() {
        let e = api(400, Some("bad value"));
        assert_eq!(
            e.to_string(),
            "PATCH /api/v2/integrations/actions/x failed with HTTP 400: bad value"
        );
        let e = Error::Auth {
            status: 401,
            credential_source: "environment (X)".into(),
            detail: Some("invalid client".into()),
            correlation_id: None,
        };
        assert!(e.to_string().contains("environment (X)"));
        assert!(e.hint().unwrap().contains("environment (X)"));
    }
}
