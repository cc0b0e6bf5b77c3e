//! Shared helpers of the wire-level tests: a mock Genesys Cloud on 127.0.0.1 (wiremock), a
//! client wired to it with a `ManualClock`, and a gated clock for tests that need to observe
//! requests while they wait.
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use genesys_client::{Client, ClientOptions, Clock, Credentials, Environment, ManualClock};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub const CLIENT_ID: &str = "test-client-id";
pub const CLIENT_SECRET: &str = "s3cr3t-VALUE-never-printed";
pub const SOURCE: &str =
    "environment (GENESYSCLOUD_OAUTHCLIENT_ID/GENESYSCLOUD_OAUTHCLIENT_SECRET)";

pub fn creds() -> Credentials {
    Credentials::new(CLIENT_ID, CLIENT_SECRET, SOURCE)
}

/// Options for tests: manual clock, no rate limit unless a test sets one.
pub fn options(clock: Arc<dyn Clock>) -> ClientOptions {
    ClientOptions {
        user_agent: "dactl-test/1.0".to_string(),
        rate_per_minute: 0,
        clock,
        ..ClientOptions::default()
    }
}

pub fn client_with(server: &MockServer, opts: ClientOptions) -> Client {
    let env = Environment::from_base_url(&server.uri()).unwrap();
    Client::new(env, creds(), opts).unwrap()
}

pub fn client(server: &MockServer, clock: Arc<ManualClock>) -> Client {
    client_with(server, options(clock))
}

/// A token endpoint that issues `token-1`, `token-2`, ... valid for `expires_in` seconds.
pub async fn mount_tokens(server: &MockServer, expires_in: u64) -> Arc<AtomicUsize> {
    mount_tokens_delayed(server, expires_in, Duration::ZERO).await
}

pub async fn mount_tokens_delayed(
    server: &MockServer,
    expires_in: u64,
    delay: Duration,
) -> Arc<AtomicUsize> {
    let counter = Arc::new(AtomicUsize::new(0));
    let c = counter.clone();
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(move |_req: &Request| {
            let n = c.fetch_add(1, Ordering::SeqCst) + 1;
            ResponseTemplate::new(200)
                .set_body_json(json!({
                    "access_token": format!("token-{n}"),
                    "token_type": "bearer",
                    "expires_in": expires_in
                }))
                .set_delay(delay)
        })
        .mount(server)
        .await;
    counter
}

pub fn action_json(id: &str) -> Value {
    json!({
        "id": id,
        "name": format!("Action {id}"),
        "integrationId": "int-1",
        "category": "Users",
        "version": 3,
        "secure": false,
        "config": {"timeoutSeconds": 20, "request": {"requestType": "GET"}, "response": {}},
        "selfUri": format!("/api/v2/integrations/actions/{id}")
    })
}

/// Requests the server received on `p` (any method).
pub async fn requests_to(server: &MockServer, p: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == p)
        .collect()
}

pub async fn token_requests(server: &MockServer) -> usize {
    requests_to(server, "/oauth/token").await.len()
}

pub fn json_error(status: u16, code: &str, message: &str, corr: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("ININ-Correlation-ID", corr)
        .set_body_json(json!({
            "message": message, "code": code, "status": status, "contextId": corr,
            "details": [], "errors": []
        }))
}

/// A clock whose sleeps block until the test advances time past their deadline; records
/// every requested delay. Lets a test observe requests while others are waiting.
#[derive(Debug)]
pub struct GateClock {
    start: Instant,
    offset: tokio::sync::watch::Sender<Duration>,
    sleeps: Mutex<Vec<Duration>>,
}

impl GateClock {
    pub fn new() -> Self {
        GateClock {
            start: Instant::now(),
            offset: tokio::sync::watch::channel(Duration::ZERO).0,
            sleeps: Mutex::new(Vec::new()),
        }
    }

    pub fn advance(&self, d: Duration) {
        self.offset.send_modify(|o| *o += d);
    }

    pub fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().unwrap().clone()
    }

    /// Wait (for real, briefly) until `n` sleeps have been requested.
    pub async fn wait_for_sleeps(&self, n: usize) {
        for _ in 0..2000 {
            if self.sleeps().len() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        panic!("expected {n} sleeps, got {:?}", self.sleeps());
    }
}

impl Clock for GateClock {
    fn now(&self) -> Instant {
        self.start + *self.offset.borrow()
    }

    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        self.sleeps.lock().unwrap().push(d);
        let target = *self.offset.borrow() + d;
        let mut rx = self.offset.subscribe();
        Box::pin(async move {
            while *rx.borrow_and_update() < target {
                if rx.changed().await.is_err() {
                    return;
                }
            }
        })
    }
}
