//! The access tokens of the pool: fetched once per slot (single flight), refreshed before
//! expiry, taken over from the [`TokenStore`](crate::TokenStore) of an earlier process while
//! its rate budget lasts, and handed back to it with the start times of the last minute.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;

use crate::auth::{self, CachedToken, TokenError, TokenResponse};
use crate::error::Error;
use crate::retry::{Decision, Outcome};

use super::attempt::{RawResponse, SendError};
use super::Inner;

impl Inner {
    /// A valid token of pool slot `index` (single flight; refreshed before expiry).
    pub(crate) async fn token(&self, index: usize) -> Result<CachedToken, Error> {
        let tokens = &self.pool.slots[index].tokens;
        let mut slot = tokens.slot.lock().await;
        if let Some(t) = slot.as_ref() {
            if self.opts.clock.now() < t.refresh_at {
                return Ok(t.clone());
            }
        }
        *slot = None;
        if let Some(stored) = self.stored_token(index) {
            tokens
                .stored_generation
                .store(stored.generation, std::sync::atomic::Ordering::Relaxed);
            *slot = Some(stored.clone());
            self.pool.mark_ready(index);
            return Ok(stored);
        }
        let fresh = match self.fetch_token(index).await {
            Ok(t) => t,
            Err(e) => {
                self.pool.mark_failed(index);
                return Err(e);
            }
        };
        if let Some(store) = &self.opts.token_store {
            store.save_slot(
                index,
                &auth::StoredToken {
                    access_token: fresh.secret.clone(),
                    expires_at: fresh.expires_at,
                    recent: Vec::new(),
                },
            );
            tokens
                .stored_generation
                .store(fresh.generation, std::sync::atomic::Ordering::Relaxed);
        }
        *slot = Some(fresh.clone());
        self.pool.mark_ready(index);
        Ok(fresh)
    }

    /// The token kept by an earlier process for pool slot `index`, the first time this process
    /// needs one there.
    fn stored_token(&self, index: usize) -> Option<CachedToken> {
        let store = self.opts.token_store.as_ref()?;
        let tokens = &self.pool.slots[index].tokens;
        let limiter = &self.pool.slots[index].limiter;
        if tokens
            .store_consulted
            .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            return None;
        }
        let stored = store.load_slot(index)?;
        let now_wall = SystemTime::now();
        let ages: Vec<Duration> = stored
            .recent
            .iter()
            .filter_map(|t| now_wall.duration_since(*t).ok())
            .filter(|age| *age < crate::ratelimit::WINDOW)
            .collect();
        let (burst_left, window_left) = {
            let probe = limiter.fresh_like();
            probe.seed(&ages);
            probe.headroom()
        };
        if burst_left < limiter.burst() / 2 || window_left < limiter.per_window() / 2 {
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
            tokens.generation(),
        );
        match &token {
            Some(t) => {
                limiter.seed(&ages);
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

    /// Hand every token of the pool, with the start times of its requests in the last minute,
    /// to the token store (each where it is the token the store holds for its slot).
    pub(crate) fn save_token_usage(&self) {
        let Some(store) = &self.opts.token_store else {
            return;
        };
        for (index, pooled) in self.pool.slots.iter().enumerate() {
            let Ok(slot) = pooled.tokens.slot.try_lock() else {
                continue;
            };
            let Some(t) = slot.as_ref() else { continue };
            let kept = pooled
                .tokens
                .stored_generation
                .load(std::sync::atomic::Ordering::Relaxed);
            if t.generation != kept {
                continue;
            }
            let now = self.opts.clock.now();
            let now_wall = SystemTime::now();
            let recent = self
                .pool
                .usage_limiter(index)
                .recent_starts()
                .into_iter()
                .filter(|s| *s <= now && now.duration_since(*s) < crate::ratelimit::WINDOW)
                .map(|s| now_wall - now.duration_since(s))
                .collect();
            store.save_slot(
                index,
                &auth::StoredToken {
                    access_token: t.secret.clone(),
                    expires_at: t.expires_at,
                    recent,
                },
            );
        }
    }

    /// `POST {login_base}/oauth/token` with the client-credentials grant, for pool slot
    /// `index`. A 429 is waited out (its `Retry-After`, within the ceiling) by this request
    /// alone: the pool's other tokens keep sending.
    async fn fetch_token(&self, index: usize) -> Result<CachedToken, Error> {
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
                        return self.parse_token(&resp, index);
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

    fn parse_token(&self, resp: &RawResponse, index: usize) -> Result<CachedToken, Error> {
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
        let generation = self.pool.slots[index].tokens.generation();
        Ok(CachedToken {
            header,
            refresh_at: auth::refresh_at(self.opts.clock.now(), lifetime),
            generation,
            secret: auth::Secret::new(token.access_token),
            expires_at: SystemTime::now() + lifetime,
        })
    }
}
