//! The token pool (`ClientOptions::tokens`) against a mock platform on 127.0.0.1 whose rate
//! limit counts per token or per OAuth client, in the virtual time of a `ManualClock`: where
//! the limit is per token the pool multiplies the rate without a single 429; where it is per
//! client it falls back to one shared limiter after one 429 and loses no request; a 429 from
//! the token endpoint is waited out; one token behaves as it always did.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;
use genesys_client::{Clock, ManualClock};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ACTION_PATH: &str = "/api/v2/integrations/actions/a1";

/// Whose requests the mock platform counts together.
#[derive(Clone, Copy, PartialEq)]
enum Scope {
    Token,
    Client,
}

/// A 60 s window opened by the first request in it, per token or for the whole client, in the
/// clock's virtual time; request `limit + 1` in a window gets a 429 with the seconds left.
async fn mount_limited_action(
    server: &MockServer,
    clock: Arc<ManualClock>,
    scope: Scope,
    limit: u32,
) -> Arc<AtomicUsize> {
    let windows: Arc<Mutex<HashMap<String, (Instant, u32)>>> = Arc::default();
    let refused = Arc::new(AtomicUsize::new(0));
    let r = refused.clone();
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .respond_with(move |req: &Request| {
            let key = match scope {
                Scope::Token => req
                    .headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string(),
                Scope::Client => "client".to_string(),
            };
            let now = clock.now();
            let mut w = windows.lock().unwrap();
            let entry = w.entry(key).or_insert((now, 0));
            if now.duration_since(entry.0) >= Duration::from_secs(60) {
                *entry = (now, 0);
            }
            if entry.1 >= limit {
                r.fetch_add(1, Ordering::SeqCst);
                let left = Duration::from_secs(60) - now.duration_since(entry.0);
                let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                return ResponseTemplate::new(429)
                    .insert_header("Retry-After", secs.max(1).to_string().as_str())
                    .set_body_json(json!({"message": "Rate limit exceeded the maximum",
                        "code": "too.many.requests.retry.after", "status": 429}));
            }
            entry.1 += 1;
            ResponseTemplate::new(200).set_body_json(action_json("a1"))
        })
        .mount(server)
        .await;
    refused
}

fn pooled_client(
    server: &MockServer,
    clock: Arc<ManualClock>,
    tokens: u32,
    rate: u32,
) -> genesys_client::Client {
    let mut opts = options(clock);
    opts.rate_per_minute = rate;
    opts.tokens = tokens;
    client_with(server, opts)
}

#[tokio::test]
async fn per_token_limit_the_pool_multiplies_the_rate_without_a_429() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    let clock = Arc::new(ManualClock::new());
    let refused = mount_limited_action(&server, clock.clone(), Scope::Token, 30).await;
    let c = pooled_client(&server, clock.clone(), 3, 30);
    for _ in 0..270 {
        c.get_action("a1").await.unwrap();
    }
    assert_eq!(refused.load(Ordering::SeqCst), 0);
    let stats = c.stats();
    assert_eq!(stats.rate_limited, 0);
    assert_eq!(stats.tokens_taken, 3);
    assert!(!stats.per_client_limit);
    assert_eq!(token_requests(&server).await, 3);
    // 270 requests at 3 × 30 a minute: three minutes, where one token needs nine.
    let took = clock.elapsed();
    assert!(took <= Duration::from_secs(3 * 61), "{took:?}");
    assert!(took >= Duration::from_secs(2 * 60), "{took:?}");
}

#[tokio::test]
async fn per_client_limit_the_pool_falls_back_after_one_429_and_loses_nothing() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    let clock = Arc::new(ManualClock::new());
    let refused = mount_limited_action(&server, clock.clone(), Scope::Client, 30).await;
    let c = pooled_client(&server, clock.clone(), 3, 30);
    for _ in 0..100 {
        c.get_action("a1").await.unwrap();
    }
    let stats = c.stats();
    assert!(stats.per_client_limit);
    // One request was in flight when the first 429 came: one 429, re-sent after the pause;
    // from then on one limiter at 30 a minute for the whole client.
    assert_eq!(refused.load(Ordering::SeqCst), 1);
    assert_eq!(stats.rate_limited, 1);
    assert_eq!(requests_to(&server, ACTION_PATH).await.len(), 101);
    // 100 requests at 30 a minute: a bit over three minutes, as with one token.
    let took = clock.elapsed();
    assert!(took >= Duration::from_secs(3 * 60), "{took:?}");
    assert!(took <= Duration::from_secs(4 * 61), "{took:?}");
}

#[tokio::test]
async fn per_client_limit_with_one_token_is_the_one_token_as_before() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    let clock = Arc::new(ManualClock::new());
    let refused = mount_limited_action(&server, clock.clone(), Scope::Client, 30).await;
    let c = pooled_client(&server, clock.clone(), 1, 30);
    for _ in 0..70 {
        c.get_action("a1").await.unwrap();
    }
    assert_eq!(refused.load(Ordering::SeqCst), 0);
    let stats = c.stats();
    assert_eq!((stats.tokens_taken, stats.per_client_limit), (1, false));
    assert_eq!(token_requests(&server).await, 1);
}

#[tokio::test]
async fn a_429_from_the_token_endpoint_is_waited_out() {
    let server = MockServer::start().await;
    // The second token request is refused once with a Retry-After of 5 s.
    let issued = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(AtomicUsize::new(0));
    let (i, s) = (issued.clone(), seen.clone());
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(move |_: &Request| {
            if s.fetch_add(1, Ordering::SeqCst) == 1 {
                return ResponseTemplate::new(429).insert_header("Retry-After", "5");
            }
            let n = i.fetch_add(1, Ordering::SeqCst) + 1;
            ResponseTemplate::new(200).set_body_json(json!({
                "access_token": format!("token-{n}"), "token_type": "bearer", "expires_in": 3600
            }))
        })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(action_json("a1")))
        .mount(&server)
        .await;
    let clock = Arc::new(ManualClock::new());
    // 60 a minute per token: a burst of 12, then the 13th request takes a second token.
    let c = pooled_client(&server, clock.clone(), 2, 60);
    for _ in 0..13 {
        c.get_action("a1").await.unwrap();
    }
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(5)]);
    assert_eq!(token_requests(&server).await, 3);
    let stats = c.stats();
    assert_eq!(stats.tokens_taken, 2);
    assert_eq!(stats.token_requests, 3);
    assert_eq!(
        stats.rate_limited, 0,
        "the token endpoint's 429 is not the API's"
    );
    assert!(!stats.per_client_limit);
    let used: Vec<String> = requests_to(&server, ACTION_PATH)
        .await
        .iter()
        .map(|r| r.headers["authorization"].to_str().unwrap().to_string())
        .collect();
    assert_eq!(used.last().unwrap(), "Bearer token-2");
    assert!(used[..12].iter().all(|h| h == "Bearer token-1"));
}

#[tokio::test]
async fn one_token_by_default_and_a_short_command_takes_one_token_of_a_pool() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(action_json("a1")))
        .mount(&server)
        .await;
    let clock = Arc::new(ManualClock::new());
    let c = pooled_client(&server, clock.clone(), 10, 300);
    // Eight requests, a one-action change: well within one token's burst.
    for _ in 0..8 {
        c.get_action("a1").await.unwrap();
    }
    assert_eq!(token_requests(&server).await, 1);
    assert_eq!(c.stats().tokens_taken, 1);
    assert_eq!(genesys_client::ClientOptions::default().tokens, 1);
}

#[tokio::test]
async fn an_extra_token_that_cannot_be_had_fails_no_request() {
    let server = MockServer::start().await;
    // The first token is issued; every later token request fails (503, retries exhausted).
    let seen = Arc::new(AtomicUsize::new(0));
    let s = seen.clone();
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(move |_: &Request| {
            if s.fetch_add(1, Ordering::SeqCst) == 0 {
                return ResponseTemplate::new(200).set_body_json(json!({
                    "access_token": "token-1", "token_type": "bearer", "expires_in": 3600
                }));
            }
            ResponseTemplate::new(503)
        })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(action_json("a1")))
        .mount(&server)
        .await;
    let clock = Arc::new(ManualClock::new());
    let c = pooled_client(&server, clock.clone(), 3, 60);
    for _ in 0..30 {
        c.get_action("a1").await.unwrap();
    }
    let stats = c.stats();
    assert_eq!(stats.tokens_taken, 1);
    // Each extra token was tried once (with its retries), then given up.
    let asked = token_requests(&server).await;
    assert_eq!(asked, 1 + 2 * 6, "{asked}");
    assert_eq!(requests_to(&server, ACTION_PATH).await.len(), 30);
}
