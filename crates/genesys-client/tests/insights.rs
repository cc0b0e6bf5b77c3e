//! Wire-level tests of the test-execution timing (X1) and Architect consumers (A2).
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use genesys_client::{ErrorKind, FlowFilter, ManualClock, SystemClock, DATA_ACTION};
use serde_json::json;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const A2: &str = "/api/v2/architect/dependencytracking/consumingresources";

#[tokio::test]
async fn test_action_posts_the_input_and_times_the_call_without_the_rate_limit_wait() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("POST"))
        .and(path("/api/v2/integrations/actions/a-1/test"))
        .and(body_json(json!({"phoneNumber": "+32"})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_millis(80))
                .set_body_json(json!({"success": false, "operations": [],
                    "error": {"status": 504, "code": "request.timeout", "message": "timed out"}})),
        )
        .mount(&server)
        .await;
    // 100 requests/minute (burst 1): the second test waits about 520 ms for its permit.
    let opts = genesys_client::ClientOptions {
        rate_per_minute: 100,
        ..options(Arc::new(SystemClock))
    };
    let client = client_with(&server, opts);
    client.authenticate().await.unwrap();
    let input = json!({"phoneNumber": "+32"}).as_object().unwrap().clone();
    let first = client.test_action("a-1", &input).await.unwrap();
    let started = Instant::now();
    let second = client.test_action("a-1", &input).await.unwrap();
    let wall = started.elapsed();
    for t in [&first, &second] {
        assert!(t.elapsed >= Duration::from_millis(80), "{:?}", t.elapsed);
        assert!(!t.result.success);
        assert!(t.result.is_timeout());
    }
    assert!(
        wall >= Duration::from_millis(400),
        "the limiter waited: {wall:?}"
    );
    assert!(
        second.elapsed < wall - Duration::from_millis(250),
        "elapsed {:?} leaves out the limiter's wait (wall {wall:?})",
        second.elapsed
    );
}

#[tokio::test]
async fn a_5xx_on_a_test_is_not_retried() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("POST"))
        .and(path("/api/v2/integrations/actions/a-1/test"))
        .respond_with(json_error(503, "service.unavailable", "busy", "c-1"))
        .mount(&server)
        .await;
    let client = client(&server, Arc::new(ManualClock::new()));
    let err = client
        .test_action("a-1", &serde_json::Map::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert_eq!(
        requests_to(&server, "/api/v2/integrations/actions/a-1/test")
            .await
            .len(),
        1
    );
}

fn dep(id: &str) -> serde_json::Value {
    json!({"id": id, "name": format!("Flow {id}"), "version": "2.0", "type": "INBOUNDCALLFLOW",
        "deleted": false, "updated": false, "stateUnknown": false, "selfUri": format!("/api/v2/flows/{id}")})
}

#[tokio::test]
async fn consumers_read_every_page_and_drop_repeats() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path(A2))
        .and(query_param("id", "act 1"))
        .and(query_param("objectType", DATA_ACTION))
        .and(query_param("flowFilter", "published"))
        .and(query_param("pageNumber", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "entities": [dep("f1"), dep("f2")], "pageSize": 2, "pageNumber": 1, "total": 3, "pageCount": 2})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(A2))
        .and(query_param("pageNumber", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "entities": [dep("f2"), dep("f3")], "pageSize": 2, "pageNumber": 2, "total": 3, "pageCount": 2})))
        .mount(&server)
        .await;
    let client = client(&server, Arc::new(ManualClock::new()));
    let c = client
        .consuming_resources("act 1", DATA_ACTION, Some(FlowFilter::Published))
        .await
        .unwrap();
    let ids: Vec<&str> = c.entities.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["f1", "f2", "f3"]);
    assert!(c.complete);
    assert_eq!(c.entities[0].kind.as_deref(), Some("INBOUNDCALLFLOW"));
    assert_eq!(c.entities[0].version.as_deref(), Some("2.0"));
    assert_eq!(requests_to(&server, A2).await.len(), 2);
}

#[tokio::test]
async fn a_short_or_partial_answer_is_flagged_incomplete() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path(A2))
        .and(query_param("id", "short"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "entities": [dep("f1")], "pageSize": 100, "pageNumber": 1, "total": 4, "pageCount": 1})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(A2))
        .and(query_param("id", "partial"))
        .respond_with(ResponseTemplate::new(206).set_body_json(json!({
            "entities": [dep("f1")], "pageSize": 100, "pageNumber": 1, "total": 1, "pageCount": 1})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(A2))
        .and(query_param("id", "denied"))
        .respond_with(json_error(
            403,
            "missing.permissions",
            "You are missing the following permission(s): architect:dependencyTracking:view",
            "c-2",
        ))
        .mount(&server)
        .await;
    let client = client(&server, Arc::new(ManualClock::new()));
    let short = client
        .consuming_resources("short", DATA_ACTION, None)
        .await
        .unwrap();
    assert!(!short.complete);
    assert_eq!(short.total, Some(4));
    let partial = client
        .consuming_resources("partial", DATA_ACTION, None)
        .await
        .unwrap();
    assert!(!partial.complete, "HTTP 206");
    let denied = client
        .consuming_resources("denied", DATA_ACTION, None)
        .await
        .unwrap_err();
    assert_eq!(denied.kind(), ErrorKind::Permission);
}
