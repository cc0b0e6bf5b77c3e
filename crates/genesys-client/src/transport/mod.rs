//! The request pipeline shared by every endpoint: rate limit, token, send, read, classify,
//! retry.
//!
//! One call of [`Inner::execute`] sends one logical request and returns its 2xx response or
//! one [`Error`]. Each attempt goes through these steps:
//!
//! 1. take a permit from the client's token [`Pool`] (one token's [`RateLimiter`] with the
//!    default one token; it also waits out a 429 pause);
//! 2. get that permit's cached token (single flight, see [`crate::auth`]);
//! 3. send with the one shared `reqwest::Client` (connect and overall timeouts, no redirects);
//! 4. refuse any 3xx (the `Location` host is named, the token is never re-sent there), read
//!    the body in chunks up to `max_body_bytes`, keep `ININ-Correlation-ID`;
//! 5. on a 401, invalidate that token and re-send once; on another non-2xx decode the
//!    `ErrorBody` and ask the pure [`RetryPolicy`](crate::RetryPolicy) whether to retry. A 429
//!    pauses the token's limiter for `Retry-After` (the whole client with one token; the pool
//!    decides with several, see [`crate::pool`]); other retries sleep through the clock.
//!
//! Every attempt is logged with `tracing::debug!` (method, path, status, correlation id,
//! attempt, elapsed). Headers are never logged; the `Authorization` values are marked
//! sensitive.
//!
//! This module holds the loop over attempts ([`Inner::execute`]); `attempt` sends and reads one
//! attempt, and `token` keeps the pool's access tokens.

mod attempt;
mod token;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;

use crate::auth::Credentials;
use crate::error::Error;
use crate::options::{ClientOptions, MAX_TOKENS};
use crate::pool::{Permit, Pool};
use crate::ratelimit::RateLimiter;
use crate::region::Environment;
use crate::retry::{Decision, Outcome};
use crate::stats::RequestStats;

pub(crate) use attempt::RawResponse;
use attempt::SendError;

/// State shared by all clones of a `Client`.
pub(crate) struct Inner {
    pub(crate) env: Environment,
    pub(crate) creds: Credentials,
    pub(crate) opts: ClientOptions,
    pub(crate) http: reqwest::Client,
    /// The access tokens and their limiters (one of each unless `opts.tokens` > 1).
    pub(crate) pool: Pool,
    pub(crate) stats: Mutex<RequestStats>,
    /// Whether the API connection was opened ahead of the first token (see `connect`).
    pub(crate) preconnected: std::sync::atomic::AtomicBool,
}

fn is_read(method: &Method) -> bool {
    *method == Method::GET || *method == Method::HEAD
}

impl Inner {
    fn stats(&self) -> std::sync::MutexGuard<'_, RequestStats> {
        self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn count_request(&self, method: &Method) {
        let mut st = self.stats();
        st.requests += 1;
        *st.by_method.entry(method.as_str().to_string()).or_insert(0) += 1;
    }

    /// Send one logical API request; returns the 2xx response or the final error.
    pub(crate) async fn execute(
        &self,
        method: &Method,
        path_and_query: &str,
        body: Option<&[u8]>,
        accept: &'static str,
    ) -> Result<RawResponse, Error> {
        self.execute_accepting(method, path_and_query, body, accept, &[])
            .await
    }

    /// [`Inner::execute`] that also returns a response whose status is in `also` as an
    /// answer (never retried, never an error), for callers to whom that status is data: a
    /// test execution answered 504 or 408 is a timed-out sample with its duration.
    pub(crate) async fn execute_accepting(
        &self,
        method: &Method,
        path_and_query: &str,
        body: Option<&[u8]>,
        accept: &'static str,
        also: &[u16],
    ) -> Result<RawResponse, Error> {
        let path = path_and_query
            .split('?')
            .next()
            .unwrap_or(path_and_query)
            .to_string();
        let url = format!("{}{}", self.env.api_base, path_and_query);
        let read = is_read(method);
        let policy = &self.opts.retry;
        let clock = &self.opts.clock;
        let mut attempt = 1u32;
        let mut refreshed = false;
        loop {
            let permit: Permit = self.pool.acquire().await;
            let token = match self.token(permit.slot).await {
                Ok(t) => t,
                Err(e) if permit.slot > 0 => {
                    // An extra token of the pool could not be had: go on with the others.
                    tracing::debug!(token = permit.slot + 1, error = %e, "the pool goes on without this token");
                    continue;
                }
                Err(e) => return Err(e),
            };
            let mut headers = HeaderMap::new();
            headers.insert(AUTHORIZATION, token.header.clone());
            headers.insert(ACCEPT, HeaderValue::from_static(accept));
            if body.is_some() {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
            let started = clock.now();
            let result = self.send_once(method, &url, headers, body, &path).await;
            self.count_request(method);
            let elapsed_ms = clock.now().saturating_duration_since(started).as_millis() as u64;
            let (outcome, error) = match result {
                Err(SendError::Fatal(e)) => {
                    tracing::debug!(method = %method, path = %path, status = "refused", correlation_id = e.correlation_id().unwrap_or("-"), attempt, elapsed_ms, error = %e, "request");
                    return Err(e);
                }
                Err(SendError::Retryable(outcome, e)) => {
                    tracing::debug!(method = %method, path = %path, status = "error", attempt, elapsed_ms, error = %e, "request");
                    (outcome, e)
                }
                Ok(mut resp) => {
                    tracing::debug!(method = %method, path = %path, status = resp.status, correlation_id = resp.correlation_id.as_deref().unwrap_or("-"), attempt, elapsed_ms, "request");
                    if (200..300).contains(&resp.status) || also.contains(&resp.status) {
                        resp.elapsed = clock.now().saturating_duration_since(started);
                        if (200..300).contains(&resp.status) {
                            let mut st = self.stats();
                            st.answered += 1;
                            st.answered_elapsed += resp.elapsed;
                        }
                        return Ok(resp);
                    }
                    let body = Self::error_body(&resp.body);
                    let correlation_id = resp
                        .correlation_id
                        .clone()
                        .or_else(|| body.as_ref().and_then(|b| b.context_id.clone()));
                    if resp.status == 401 {
                        let tokens = &self.pool.slots[permit.slot].tokens;
                        // A refused token must not be handed to the next process either.
                        if let Some(store) = &self.opts.token_store {
                            let kept = tokens
                                .stored_generation
                                .compare_exchange(
                                    token.generation,
                                    0,
                                    std::sync::atomic::Ordering::Relaxed,
                                    std::sync::atomic::Ordering::Relaxed,
                                )
                                .is_ok();
                            if kept {
                                store.discard_slot(permit.slot);
                            }
                        }
                        if !refreshed {
                            refreshed = true;
                            tokens.invalidate(token.generation).await;
                            self.stats().retries += 1;
                            continue;
                        }
                        return Err(Error::Auth {
                            status: 401,
                            credential_source: self.creds.source.clone(),
                            detail: body
                                .as_ref()
                                .and_then(|b| b.message.clone())
                                .or_else(|| Some("a freshly issued token was refused".to_string())),
                            correlation_id,
                        });
                    }
                    let retry_after = self.retry_after(&resp.headers);
                    if resp.status == 429 {
                        self.stats().rate_limited += 1;
                        if let Some(ra) = policy.exceeds_ceiling(retry_after) {
                            return Err(Error::RetryAfterTooLong {
                                method: method.to_string(),
                                path,
                                retry_after: ra,
                                ceiling: policy.retry_after_ceiling,
                                correlation_id,
                            });
                        }
                    }
                    (
                        Outcome::Status {
                            status: resp.status,
                            retry_after,
                        },
                        Error::Api {
                            method: method.to_string(),
                            path: path.clone(),
                            status: resp.status,
                            body,
                            correlation_id,
                        },
                    )
                }
            };
            match policy.decide(&outcome, attempt, read, fastrand::f64()) {
                Decision::RetryAfter(d) => {
                    self.stats().retries += 1;
                    if matches!(outcome, Outcome::Status { status: 429, .. }) {
                        // Every request that uses this token's budget waits (with one token:
                        // every request of the client); ours waits in acquire().
                        self.pool.on_429(permit, d);
                    } else {
                        clock.sleep(d).await;
                    }
                    attempt += 1;
                }
                Decision::GiveUp => {
                    return Err(if policy.is_retryable(&outcome, read) {
                        Error::Exhausted {
                            attempts: attempt,
                            last: Box::new(error),
                        }
                    } else {
                        error
                    })
                }
            }
        }
    }
}

/// Build the shared state of a client.
pub(crate) fn build_inner(
    env: Environment,
    creds: Credentials,
    opts: ClientOptions,
) -> Result<Arc<Inner>, Error> {
    env.validate()?;
    if creds.client_id.trim().is_empty() || creds.client_secret.is_empty() {
        return Err(Error::Config {
            message: format!("the client id or secret from {} is empty", creds.source),
            hint: Some(
                "set GENESYSCLOUD_OAUTHCLIENT_ID and GENESYSCLOUD_OAUTHCLIENT_SECRET, or use a profile"
                    .to_string(),
            ),
        });
    }
    let http = crate::connect::build_http(&env, &opts)?;
    let burst = opts
        .rate_burst
        .unwrap_or_else(|| crate::ratelimit::burst_for(opts.rate_per_minute));
    let pool = Pool::new(opts.tokens.clamp(1, MAX_TOKENS) as usize, || {
        RateLimiter::with_burst(opts.rate_per_minute, burst, opts.clock.clone())
    });
    Ok(Arc::new(Inner {
        env,
        creds,
        opts,
        http,
        pool,
        stats: Mutex::new(RequestStats {
            by_method: BTreeMap::new(),
            ..RequestStats::default()
        }),
        preconnected: std::sync::atomic::AtomicBool::new(false),
    }))
}
