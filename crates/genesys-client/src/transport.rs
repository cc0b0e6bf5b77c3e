//! The request pipeline shared by every endpoint: rate limit, token, send, read, classify,
//! retry.
//!
//! One call of [`Inner::execute`] sends one logical request and returns its 2xx response or
//! one [`Error`]. Each attempt goes through these steps:
//!
//! 1. take a permit from the client-wide [`RateLimiter`] (which also waits out a 429 pause);
//! 2. get the cached token (single flight, see [`crate::auth`]);
//! 3. send with the one shared `reqwest::Client` (connect and overall timeouts, no redirects);
//! 4. refuse any 3xx (the `Location` host is named, the token is never re-sent there), read
//!    the body in chunks up to `max_body_bytes`, keep `ININ-Correlation-ID`;
//! 5. on a 401, invalidate that token and re-send once; on another non-2xx decode the
//!    `ErrorBody` and ask the pure [`RetryPolicy`](crate::RetryPolicy) whether to retry. A 429
//!    pauses the whole client for `Retry-After`; other retries sleep through the clock.
//!
//! Every attempt is logged with `tracing::debug!` (method, path, status, correlation id,
//! attempt, elapsed). Headers are never logged; the `Authorization` values are marked
//! sensitive.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION, RETRY_AFTER,
};
use reqwest::Method;

use crate::auth::{self, CachedToken, Credentials, TokenCache, TokenError, TokenResponse};
use crate::client::{ClientOptions, RequestStats};
use crate::error::Error;
use crate::models::ErrorBody;
use crate::ratelimit::RateLimiter;
use crate::region::Environment;
use crate::retry::{Decision, Outcome};

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
enum SendError {
    /// Connection/timeout: may be retried (reads only).
    Retryable(Outcome, Error),
    /// Never retried (oversize body, redirect, ...).
    Fatal(Error),
}

/// State shared by all clones of a `Client`.
pub(crate) struct Inner {
    pub(crate) env: Environment,
    pub(crate) creds: Credentials,
    pub(crate) opts: ClientOptions,
    pub(crate) http: reqwest::Client,
    pub(crate) limiter: RateLimiter,
    pub(crate) tokens: TokenCache,
    pub(crate) stats: Mutex<RequestStats>,
    /// Whether the API connection was opened ahead of the first token (see `connect`).
    pub(crate) preconnected: std::sync::atomic::AtomicBool,
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Message of a reqwest error and its sources, without the URL.
pub(crate) fn transport_message(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        source = s.source();
    }
    msg
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

    /// Send one attempt and read the whole response (bounded).
    async fn send_once(
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
    fn error_body(body: &[u8]) -> Option<ErrorBody> {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        if !v.is_object() {
            return None;
        }
        serde_json::from_value(v).ok()
    }

    fn retry_after(&self, headers: &HeaderMap) -> Option<Duration> {
        header_str(headers, RETRY_AFTER.as_str())
            .and_then(|v| crate::retry::parse_retry_after(&v, SystemTime::now()))
    }

    /// A valid token (single flight; refreshed before expiry).
    pub(crate) async fn token(&self) -> Result<CachedToken, Error> {
        let mut slot = self.tokens.slot.lock().await;
        if let Some(t) = slot.as_ref() {
            if self.opts.clock.now() < t.refresh_at {
                return Ok(t.clone());
            }
        }
        *slot = None;
        if let Some(stored) = self.stored_token() {
            self.tokens
                .stored_generation
                .store(stored.generation, std::sync::atomic::Ordering::Relaxed);
            *slot = Some(stored.clone());
            return Ok(stored);
        }
        let fresh = self.fetch_token().await?;
        if let Some(store) = &self.opts.token_store {
            store.save(&auth::StoredToken {
                access_token: fresh.secret.clone(),
                expires_at: fresh.expires_at,
                recent: Vec::new(),
            });
            self.tokens
                .stored_generation
                .store(fresh.generation, std::sync::atomic::Ordering::Relaxed);
        }
        *slot = Some(fresh.clone());
        Ok(fresh)
    }

    /// The token kept by an earlier process, the first time this process needs one.
    fn stored_token(&self) -> Option<CachedToken> {
        let store = self.opts.token_store.as_ref()?;
        if self
            .tokens
            .store_consulted
            .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            return None;
        }
        let stored = store.load()?;
        let now_wall = SystemTime::now();
        let ages: Vec<Duration> = stored
            .recent
            .iter()
            .filter_map(|t| now_wall.duration_since(*t).ok())
            .filter(|age| *age < crate::ratelimit::WINDOW)
            .collect();
        let (burst_left, window_left) = {
            let probe = self.limiter.fresh_like();
            probe.seed(&ages);
            probe.headroom()
        };
        if burst_left < self.limiter.burst() / 2 || window_left < self.limiter.per_window() / 2 {
            tracing::debug!(
                used = ages.len(),
                burst_left,
                window_left,
                "the kept access token has spent much of its budget; a new one has all of it"
            );
            return None;
        }
        let token = auth::from_stored(
            &stored,
            self.opts.clock.now(),
            now_wall,
            self.tokens.generation(),
        );
        match &token {
            Some(t) => {
                self.limiter.seed(&ages);
                tracing::debug!(
                    valid_for_s = t
                        .refresh_at
                        .saturating_duration_since(self.opts.clock.now())
                        .as_secs(),
                    used_last_minute = ages.len(),
                    "using the access token kept from an earlier command"
                );
            }
            None => tracing::debug!("the kept access token expires too soon; fetching a new one"),
        }
        token
    }

    /// Hand the current token, with the start times of its requests in the last minute, to
    /// the token store (when it is the token the store holds).
    pub(crate) fn save_token_usage(&self) {
        let Some(store) = &self.opts.token_store else {
            return;
        };
        let Ok(slot) = self.tokens.slot.try_lock() else {
            return;
        };
        let Some(t) = slot.as_ref() else { return };
        let kept = self
            .tokens
            .stored_generation
            .load(std::sync::atomic::Ordering::Relaxed);
        if t.generation != kept {
            return;
        }
        let now = self.opts.clock.now();
        let now_wall = SystemTime::now();
        let recent = self
            .limiter
            .recent_starts()
            .into_iter()
            .filter(|s| *s <= now && now.duration_since(*s) < crate::ratelimit::WINDOW)
            .map(|s| now_wall - now.duration_since(s))
            .collect();
        store.save(&auth::StoredToken {
            access_token: t.secret.clone(),
            expires_at: t.expires_at,
            recent,
        });
    }

    /// `POST {login_base}/oauth/token` with the client-credentials grant.
    async fn fetch_token(&self) -> Result<CachedToken, Error> {
        const PATH: &str = "/oauth/token";
        let method = Method::POST;
        let url = format!("{}{PATH}", self.env.login_base);
        let basic = auth::basic_auth_header(&self.creds).ok_or_else(|| Error::Config {
            message: format!(
                "the client id or secret from {} contains characters that cannot be sent",
                self.creds.source
            ),
            hint: Some("check for stray newlines or quotes in the credentials".to_string()),
        })?;
        // The API host's handshakes overlap with this request (first token only).
        crate::connect::preconnect(&self.http, &self.env, &self.opts, &self.preconnected);
        let policy = &self.opts.retry;
        let clock = &self.opts.clock;
        let mut attempt = 1u32;
        loop {
            let mut headers = HeaderMap::new();
            headers.insert(AUTHORIZATION, basic.clone());
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
            headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
            let started = clock.now();
            let result = self
                .send_once(
                    &method,
                    &url,
                    headers,
                    Some(b"grant_type=client_credentials"),
                    PATH,
                )
                .await;
            self.stats().token_requests += 1;
            let elapsed = clock.now().saturating_duration_since(started);
            let (outcome, error) = match result {
                Err(SendError::Fatal(e)) => return Err(e),
                Err(SendError::Retryable(outcome, e)) => {
                    tracing::debug!(method = %method, path = PATH, status = "error", attempt, elapsed_ms = elapsed.as_millis() as u64, error = %e, "token request");
                    (outcome, e)
                }
                Ok(resp) => {
                    tracing::debug!(method = %method, path = PATH, status = resp.status, correlation_id = resp.correlation_id.as_deref().unwrap_or("-"), attempt, elapsed_ms = elapsed.as_millis() as u64, "token request");
                    if (200..300).contains(&resp.status) {
                        return self.parse_token(&resp);
                    }
                    if matches!(resp.status, 400 | 401 | 403) {
                        let detail = serde_json::from_slice::<TokenError>(&resp.body)
                            .ok()
                            .and_then(|e| e.detail());
                        return Err(Error::Auth {
                            status: resp.status,
                            credential_source: self.creds.source.clone(),
                            detail,
                            correlation_id: resp.correlation_id,
                        });
                    }
                    let retry_after = self.retry_after(&resp.headers);
                    let error = Error::Api {
                        method: method.to_string(),
                        path: PATH.to_string(),
                        status: resp.status,
                        body: Self::error_body(&resp.body),
                        correlation_id: resp.correlation_id.clone(),
                    };
                    if resp.status == 429 {
                        if let Some(ra) = policy.exceeds_ceiling(retry_after) {
                            return Err(Error::RetryAfterTooLong {
                                method: method.to_string(),
                                path: PATH.to_string(),
                                retry_after: ra,
                                ceiling: policy.retry_after_ceiling,
                                correlation_id: resp.correlation_id,
                            });
                        }
                    }
                    (
                        Outcome::Status {
                            status: resp.status,
                            retry_after,
                        },
                        error,
                    )
                }
            };
            // The token request is idempotent: retry it like a read.
            match policy.decide(&outcome, attempt, true, fastrand::f64()) {
                Decision::RetryAfter(d) => {
                    clock.sleep(d).await;
                    attempt += 1;
                }
                Decision::GiveUp => {
                    return Err(if policy.is_retryable(&outcome, true) {
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

    fn parse_token(&self, resp: &RawResponse) -> Result<CachedToken, Error> {
        const PATH: &str = "/oauth/token";
        let de = &mut serde_json::Deserializer::from_slice(&resp.body);
        let token: TokenResponse =
            serde_path_to_error::deserialize(de).map_err(|e| Error::Decode {
                method: "POST".to_string(),
                path: PATH.to_string(),
                json_path: e.path().to_string(),
                // The decoder's message may quote values of the document, which holds the
                // token: report only the JSON path and the category of the problem.
                message: match e.inner().classify() {
                    serde_json::error::Category::Data => {
                        "missing or mistyped field in the token response"
                    }
                    serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                        "the token response is not valid JSON"
                    }
                    serde_json::error::Category::Io => "the token response could not be read",
                }
                .to_string(),
                correlation_id: resp.correlation_id.clone(),
            })?;
        if let Some(tt) = token.token_type.as_deref() {
            if !tt.eq_ignore_ascii_case("bearer") {
                return Err(Error::Protocol {
                    message: format!(
                        "the token endpoint returned token_type `{tt}`, expected `bearer`"
                    ),
                    correlation_id: resp.correlation_id.clone(),
                });
            }
        }
        let header = match auth::bearer_header(&token.access_token) {
            Some(h) if !token.access_token.is_empty() => h,
            _ => {
                return Err(Error::Protocol {
                    message: "the token endpoint returned an empty or malformed access_token"
                        .to_string(),
                    correlation_id: resp.correlation_id.clone(),
                })
            }
        };
        let lifetime = token
            .expires_in
            .as_ref()
            .and_then(auth::ExpiresIn::seconds)
            .map(Duration::from_secs)
            .unwrap_or(auth::DEFAULT_TOKEN_LIFETIME);
        let generation = self.tokens.generation();
        Ok(CachedToken {
            header,
            refresh_at: auth::refresh_at(self.opts.clock.now(), lifetime),
            generation,
            secret: auth::Secret::new(token.access_token),
            expires_at: SystemTime::now() + lifetime,
        })
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
            self.limiter.acquire().await;
            let token = self.token().await?;
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
                        // A refused token must not be handed to the next process either.
                        if let Some(store) = &self.opts.token_store {
                            let kept = self
                                .tokens
                                .stored_generation
                                .compare_exchange(
                                    token.generation,
                                    0,
                                    std::sync::atomic::Ordering::Relaxed,
                                    std::sync::atomic::Ordering::Relaxed,
                                )
                                .is_ok();
                            if kept {
                                store.discard();
                            }
                        }
                        if !refreshed {
                            refreshed = true;
                            self.tokens.invalidate(token.generation).await;
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
                        // Every request of this client waits; ours waits in acquire().
                        self.limiter.pause_for(d);
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
    let limiter = RateLimiter::with_burst(
        opts.rate_per_minute,
        opts.rate_burst
            .unwrap_or_else(|| crate::ratelimit::burst_for(opts.rate_per_minute)),
        opts.clock.clone(),
    );
    Ok(Arc::new(Inner {
        env,
        creds,
        opts,
        http,
        limiter,
        tokens: TokenCache::new(),
        stats: Mutex::new(RequestStats {
            by_method: BTreeMap::new(),
            ..RequestStats::default()
        }),
        preconnected: std::sync::atomic::AtomicBool::new(false),
    }))
}
