//! One attempt of a request: send it with the shared `reqwest::Client`, refuse a redirect,
//! read the body up to the cap, keep the correlation id, and tell a failure that may be
//! retried (connection, timeout) from one that may not (certificate, DNS, oversize body).

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use reqwest::Method;

use crate::connect::transport_message;
use crate::error::Error;
use crate::models::ErrorBody;
use crate::retry::Outcome;

use super::Inner;

/// Name of the correlation header (header lookups are case-insensitive).
pub(crate) const CORRELATION_HEADER: &str = "inin-correlation-id";

/// A response as read off the wire.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) correlation_id: Option<String>,
    pub(crate) body: Vec<u8>,
    /// Time from sending the final attempt to the end of its body (no rate-limit or token
    /// wait, no earlier attempts): what `dactl probe` reports as the call's latency.
    pub(crate) elapsed: Duration,
}

impl RawResponse {
    pub(crate) fn content_type(&self) -> Option<&str> {
        self.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok())
    }
}

/// How one attempt failed before a response was complete.
pub(super) enum SendError {
    /// Connection/timeout: may be retried (reads only).
    Retryable(Outcome, Error),
    /// Never retried (oversize body, redirect, ...).
    Fatal(Error),
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

impl Inner {
    /// Send one attempt and read the whole response (bounded).
    pub(super) async fn send_once(
        &self,
        method: &Method,
        url: &str,
        headers: HeaderMap,
        body: Option<&[u8]>,
        path: &str,
    ) -> Result<RawResponse, SendError> {
        let mut req = self.http.request(method.clone(), url).headers(headers);
        if let Some(b) = body {
            req = req.body(b.to_vec());
        }
        let transport_err = |e: reqwest::Error| {
            if let Some(problem) = crate::connect::classify(&e) {
                return SendError::Fatal(Error::Connect {
                    method: method.to_string(),
                    path: path.to_string(),
                    host: crate::connect::host_of(url),
                    proxy: crate::connect::proxy_for(url, &self.env),
                    endpoint_source: self.opts.endpoint_source.clone(),
                    problem,
                });
            }
            if e.is_builder() || e.is_redirect() {
                return SendError::Fatal(Error::Transport {
                    method: method.to_string(),
                    path: path.to_string(),
                    message: transport_message(e),
                });
            }
            let outcome = if e.is_timeout() {
                Outcome::Timeout
            } else {
                Outcome::Connection
            };
            SendError::Retryable(
                outcome,
                Error::Transport {
                    method: method.to_string(),
                    path: path.to_string(),
                    message: transport_message(e),
                },
            )
        };
        let mut resp = req.send().await.map_err(transport_err)?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let correlation_id = header_str(&headers, CORRELATION_HEADER);

        if (300..400).contains(&status) {
            let location = header_str(&headers, LOCATION.as_str());
            let target = location
                .as_deref()
                .and_then(|loc| reqwest::Url::parse(url).ok()?.join(loc).ok())
                .map(|u| match (u.host_str(), u.port()) {
                    (Some(h), Some(p)) => format!("{h}:{p}"),
                    (Some(h), None) => h.to_string(),
                    _ => "(no host)".to_string(),
                })
                .unwrap_or_else(|| "(no location)".to_string());
            return Err(SendError::Fatal(Error::Protocol {
                message: format!(
                    "{method} {path} answered HTTP {status} with a redirect to `{target}`; \
                     redirects are not followed and the token is never sent to another location"
                ),
                correlation_id,
            }));
        }

        let cap = self.opts.max_body_bytes;
        let too_large = |correlation_id: Option<String>| {
            SendError::Fatal(Error::Protocol {
                message: format!(
                    "the response of {method} {path} (HTTP {status}) is larger than the \
                     {cap}-byte limit; reading stopped"
                ),
                correlation_id,
            })
        };
        // (A HEAD response announces the length of a body it does not carry.)
        if *method != Method::HEAD && resp.content_length().is_some_and(|len| len > cap as u64) {
            return Err(too_large(correlation_id));
        }
        let mut buf: Vec<u8> = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(transport_err)? {
            if buf.len() + chunk.len() > cap {
                return Err(too_large(correlation_id));
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(RawResponse {
            status,
            headers,
            correlation_id,
            body: buf,
            elapsed: Duration::ZERO,
        })
    }

    /// Decode an `ErrorBody` from a non-2xx body, if it is one.
    pub(super) fn error_body(body: &[u8]) -> Option<ErrorBody> {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        if !v.is_object() {
            return None;
        }
        serde_json::from_value(v).ok()
    }

    pub(super) fn retry_after(&self, headers: &HeaderMap) -> Option<Duration> {
        header_str(headers, RETRY_AFTER.as_str())
            .and_then(|v| crate::retry::parse_retry_after(&v, SystemTime::now()))
    }
}
