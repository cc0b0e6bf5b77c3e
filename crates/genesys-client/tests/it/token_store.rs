//! The token kept between processes ([`TokenStore`]): a kept token replaces the login round
//! trip, a fetched one is handed to the store, one that expires too soon is not used, and a
//! refused one is discarded and replaced once, never looped. Wiremock on 127.0.0.1.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::common::*;
use genesys_client::{ErrorKind, ManualClock, Secret, StoredToken, TokenStore};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ACTION_PATH: &str = "/api/v2/integrations/actions/a1";

/// An in-memory store that records what the client asked of it.
#[derive(Debug, Default)]
struct MemoryStore {
    kept: Mutex<Option<(String, SystemTime)>>,
    loads: Mutex<usize>,
    saves: Mutex<Vec<(String, SystemTime)>>,
    discards: Mutex<usize>,
    recent: Mutex<Vec<SystemTime>>,
}

impl MemoryStore {
    fn holding(token: &str, life: Duration) -> Arc<MemoryStore> {
        let s = MemoryStore::default();
        *s.kept.lock().unwrap() = Some((token.to_string(), SystemTime::now() + life));
        Arc::new(s)
    }
    fn loads(&self) -> usize {
        *self.loads.lock().unwrap()
    }
    fn saves(&self) -> Vec<(String, SystemTime)> {
        self.saves.lock().unwrap().clone()
    }
    fn discards(&self) -> usize {
        *self.discards.lock().unwrap()
    }
}

impl TokenStore for MemoryStore {
    fn load(&self) -> Option<StoredToken> {
        *self.loads.lock().unwrap() += 1;
        self.kept
            .lock()
            .unwrap()
            .as_ref()
            .map(|(t, at)| StoredToken {
                access_token: Secret::new(t.clone()),
                expires_at: *at,
                recent: self.recent.lock().unwrap().clone(),
            })
    }
    fn save(&self, token: &StoredToken) {
        *self.recent.lock().unwrap() = token.recent.clone();
        let entry = (token.access_token.expose().to_string(), token.expires_at);
        *self.kept.lock().unwrap() = Some(entry.clone());
        self.saves.lock().unwrap().push(entry);
    }
    fn discard(&self) {
        *self.discards.lock().unwrap() += 1;
        *self.kept.lock().unwrap() = None;
    }
}

fn client_with_store(server: &MockServer, store: Arc<MemoryStore>) -> genesys_client::Client {
    client_with_rate(server, store, 0)
}

/// A client with the store and a rate limit of `rate` requests/min (0 = none).
fn client_with_rate(
    server: &MockServer,
    store: Arc<MemoryStore>,
    rate: u32,
) -> genesys_client::Client {
    let mut opts = options(Arc::new(ManualClock::new()));
    opts.rate_per_minute = rate;
    opts.token_store = Some(store);
    client_with(server, opts)
}

async fn mount_action_for(server: &MockServer, bearer: &str) {
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .and(header("authorization", format!("Bearer {bearer}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(action_json("a1")))
        .mount(server)
        .await;
}

async fn mount_refusal_of(server: &MockServer, bearer: &str) {
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .and(header("authorization", format!("Bearer {bearer}").as_str()))
        .respond_with(json_error(
            401,
            "authentication.required",
            "expired",
            "c401",
        ))
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_kept_token_replaces_the_login() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    mount_action_for(&server, "kept-token").await;
    let store = MemoryStore::holding("kept-token", Duration::from_secs(3600));
    let c = client_with_store(&server, store.clone());
    for _ in 0..3 {
        c.get_action("a1").await.unwrap();
    }
    assert_eq!(token_requests(&server).await, 0);
    assert_eq!(c.stats().token_requests, 0);
    assert_eq!(store.loads(), 1, "the store is asked once per process");
    assert!(store.saves().is_empty());
    assert_eq!(store.discards(), 0);
}

#[tokio::test]
async fn a_fetched_token_is_handed_to_the_store_with_its_expiry() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    mount_action_for(&server, "token-1").await;
    let store = Arc::new(MemoryStore::default());
    let c = client_with_store(&server, store.clone());
    let before = SystemTime::now();
    c.get_action("a1").await.unwrap();
    let after = SystemTime::now();
    assert_eq!(token_requests(&server).await, 1);
    let saves = store.saves();
    assert_eq!(saves.len(), 1);
    assert_eq!(saves[0].0, "token-1");
    assert!(saves[0].1 >= before + Duration::from_secs(3600));
    assert!(saves[0].1 <= after + Duration::from_secs(3600));
    // A second client (a second process) now needs no login.
    let c2 = client_with_store(&server, store.clone());
    c2.get_action("a1").await.unwrap();
    assert_eq!(token_requests(&server).await, 1);
}

#[tokio::test]
async fn a_token_about_to_expire_is_not_used() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    mount_action_for(&server, "token-1").await;
    let store = MemoryStore::holding("old-token", Duration::from_secs(60));
    let c = client_with_store(&server, store.clone());
    c.get_action("a1").await.unwrap();
    assert_eq!(token_requests(&server).await, 1);
    assert_eq!(store.saves().len(), 1);
    let seen: Vec<String> = requests_to(&server, ACTION_PATH)
        .await
        .iter()
        .map(|r| r.headers["authorization"].to_str().unwrap().to_string())
        .collect();
    assert_eq!(seen, ["Bearer token-1"]);
}

#[tokio::test]
async fn a_refused_kept_token_is_discarded_and_replaced_once() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    mount_refusal_of(&server, "revoked-token").await;
    mount_action_for(&server, "token-1").await;
    let store = MemoryStore::holding("revoked-token", Duration::from_secs(3600));
    let c = client_with_store(&server, store.clone());
    c.get_action("a1").await.unwrap();
    assert_eq!(token_requests(&server).await, 1);
    assert_eq!(store.discards(), 1);
    assert_eq!(store.saves().len(), 1);
    assert_eq!(store.saves()[0].0, "token-1");
    assert_eq!(requests_to(&server, ACTION_PATH).await.len(), 2);
    // Later requests of the process use the fresh token; the store is not asked again.
    c.get_action("a1").await.unwrap();
    assert_eq!(store.loads(), 1);
    assert_eq!(token_requests(&server).await, 1);
}

#[tokio::test]
async fn a_refused_fresh_token_after_a_refused_kept_one_is_an_auth_error() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    mount_refusal_of(&server, "revoked-token").await;
    mount_refusal_of(&server, "token-1").await;
    let store = MemoryStore::holding("revoked-token", Duration::from_secs(3600));
    let c = client_with_store(&server, store.clone());
    let err = c.get_action("a1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(
        token_requests(&server).await,
        1,
        "one refresh, never a loop"
    );
    assert_eq!(requests_to(&server, ACTION_PATH).await.len(), 2);
    assert_eq!(store.discards(), 2);
    assert!(
        store.kept.lock().unwrap().is_none(),
        "a refused token is not left for the next process"
    );
}

#[tokio::test]
async fn workers_refused_with_the_same_old_token_keep_the_fresh_one() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    mount_refusal_of(&server, "revoked-token").await;
    mount_action_for(&server, "token-1").await;
    let store = MemoryStore::holding("revoked-token", Duration::from_secs(3600));
    let c = client_with_store(&server, store.clone());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let c = c.clone();
        tasks.spawn(async move { c.get_action("a1").await.map(|_| ()) });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap().unwrap();
    }
    assert_eq!(
        token_requests(&server).await,
        1,
        "one refresh for all workers"
    );
    assert_eq!(store.discards(), 1, "only the kept token was discarded");
    assert_eq!(
        store.kept.lock().unwrap().as_ref().map(|(t, _)| t.clone()),
        Some("token-1".to_string()),
        "the fresh token stays kept for the next process"
    );
}

#[tokio::test]
async fn a_token_busy_in_the_last_minute_is_replaced_and_usage_is_handed_on() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    mount_action_for(&server, "kept-token").await;
    mount_action_for(&server, "token-1").await;
    // 300/min: a burst of 60, one permit per 0.2 s. The kept token started 40 requests a
    // second ago: 25 are left of its burst, less than half.
    let store = MemoryStore::holding("kept-token", Duration::from_secs(3600));
    *store.recent.lock().unwrap() = vec![SystemTime::now() - Duration::from_secs(1); 40];
    let c = client_with_rate(&server, store.clone(), 300);
    c.get_action("a1").await.unwrap();
    assert_eq!(
        token_requests(&server).await,
        1,
        "a new token, with the full budget"
    );
    // The next process gets the new token with the one request this one made.
    c.get_action("a1").await.unwrap();
    c.save_token_usage();
    assert_eq!(store.saves().last().unwrap().0, "token-1");
    assert_eq!(store.recent.lock().unwrap().len(), 2);

    // 30 a second ago leave 35: taken over, and its use counts in the new process.
    *store.recent.lock().unwrap() = vec![SystemTime::now() - Duration::from_secs(1); 30];
    let c = client_with_rate(&server, store.clone(), 300);
    c.get_action("a1").await.unwrap();
    assert_eq!(token_requests(&server).await, 1, "the kept token was used");
    c.save_token_usage();
    assert_eq!(store.recent.lock().unwrap().len(), 31);
}

#[tokio::test]
async fn a_token_with_most_of_its_minute_spent_is_replaced() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    mount_action_for(&server, "token-1").await;
    // 300/min. The kept token started 200 requests spread over the last 50 s: its burst has
    // refilled, but only 100 of the minute's 300 are left.
    let store = MemoryStore::holding("kept-token", Duration::from_secs(3600));
    let now = SystemTime::now();
    *store.recent.lock().unwrap() = (0..200)
        .map(|i| now - Duration::from_millis(50_000 - i * 250))
        .collect();
    let c = client_with_rate(&server, store.clone(), 300);
    c.get_action("a1").await.unwrap();
    assert_eq!(
        token_requests(&server).await,
        1,
        "a new token, with a whole minute's budget"
    );
}
