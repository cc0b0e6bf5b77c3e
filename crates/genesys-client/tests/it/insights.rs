//! Wire-level tests of the test-execution timing (X1) and Architect consumers (A2).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::*;
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
        rate_burst: Some(1),
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

/// U18: a test call answered HTTP 504 or 408 is a timed-out sample with its duration, sent
/// once (a retry would run the backend call again and pay another full timeout).
#[tokio::test]
async fn a_504_or_408_test_answer_is_a_timeout_sample_and_never_retried() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("POST"))
        .and(path("/api/v2/integrations/actions/gw/test"))
        .respond_with(
            json_error(504, "request.timeout", "The request timed out.", "c-504")
                .set_delay(Duration::from_millis(40)),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/integrations/actions/slow/test"))
        .respond_with(ResponseTemplate::new(408))
        .mount(&server)
        .await;
    let client = client_with(&server, options(Arc::new(SystemClock)));
    let input = serde_json::Map::new();
    let t = client.test_action("gw", &input).await.unwrap();
    assert_eq!(t.status, 504);
    assert!(!t.result.success);
    assert!(t.result.is_timeout());
    assert!(t.elapsed >= Duration::from_millis(40), "{:?}", t.elapsed);
    assert_eq!(t.correlation_id.as_deref(), Some("c-504"));
    assert_eq!(
        t.result.failure_reason().as_deref(),
        Some("request.timeout: The request timed out.")
    );
    let t = client.test_action("slow", &input).await.unwrap();
    assert_eq!(t.status, 408);
    assert!(t.result.is_timeout());
    assert_eq!(
        t.result.error.as_ref().and_then(|e| e.code.as_deref()),
        Some("client.timeout")
    );
    for p in [
        "/api/v2/integrations/actions/gw/test",
        "/api/v2/integrations/actions/slow/test",
    ] {
        assert_eq!(requests_to(&server, p).await.len(), 1, "{p} was retried");
    }
    assert_eq!(client.stats().retries, 0);
}

#[tokio::test]
async fn a_secure_action_is_looked_up_under_both_object_types() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path(A2))
        .and(query_param("objectType", DATA_ACTION))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "entities": [dep("f1"), dep("f2")], "pageSize": 100, "pageNumber": 1, "total": 2, "pageCount": 1})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(A2))
        .and(query_param("objectType", genesys_client::SECURE_ACTION))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "entities": [dep("f2"), dep("f3")], "pageSize": 100, "pageNumber": 1, "total": 2, "pageCount": 1})))
        .mount(&server)
        .await;
    let client = client(&server, Arc::new(ManualClock::new()));
    let secure = client.action_consumers("s", true, None).await.unwrap();
    let ids: Vec<&str> = secure.entities.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["f1", "f2", "f3"]);
    assert!(secure.complete);
    let plain = client.action_consumers("p", false, None).await.unwrap();
    assert_eq!(plain.entities.len(), 2);
    let asked: Vec<String> = requests_to(&server, A2)
        .await
        .iter()
        .filter_map(|r| {
            r.url
                .query_pairs()
                .find(|(k, _)| k == "objectType")
                .map(|(_, v)| v.into_owned())
        })
        .collect();
    assert_eq!(asked.iter().filter(|t| *t == "SECUREACTION").count(), 1);
    assert_eq!(asked.iter().filter(|t| *t == "DATAACTION").count(), 2);
}

#[tokio::test]
async fn an_index_that_refuses_secureaction_leaves_the_dataaction_answer() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path(A2))
        .and(query_param("objectType", DATA_ACTION))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "entities": [dep("f1")], "pageSize": 100, "pageNumber": 1, "total": 1, "pageCount": 1})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(A2))
        .and(query_param("objectType", genesys_client::SECURE_ACTION))
        .respond_with(json_error(
            400,
            "invalid.query.param.value",
            "Value [SECUREACTION] is not valid",
            "c-3",
        ))
        .mount(&server)
        .await;
    let client = client(&server, Arc::new(ManualClock::new()));
    let c = client.action_consumers("s", true, None).await.unwrap();
    assert_eq!(c.entities.len(), 1);
    assert!(c.complete);
}

#[tokio::test]
async fn integrations_are_listed_by_type_and_function_settings_read() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path("/api/v2/integrations"))
        .and(query_param("integrationType", "function-data-actions"))
        .and(query_param("pageNumber", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "entities": [{"id": "i1", "name": "F", "integrationType": {"id": "function-data-actions"}, "intendedState": "ENABLED"}],
            "pageSize": 1, "pageNumber": 1, "total": 2, "pageCount": 2})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/integrations"))
        .and(query_param("pageNumber", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "entities": [{"id": "i2", "integrationType": {"id": "custom-rest-actions"}}],
            "pageSize": 1, "pageNumber": 2, "total": 2, "pageCount": 2})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/integrations/actions/a%201/function"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "a 1", "function": {"handler": "h", "runtime": "r", "timeoutSeconds": 9}})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/integrations/actions/a%201/draft/function"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": "a 1", "function": {}})),
        )
        .mount(&server)
        .await;
    let client = client(&server, Arc::new(ManualClock::new()));
    let all = client
        .list_integrations(Some("function-data-actions"))
        .await
        .unwrap();
    // A server that ignored the filter answers other types too: the caller checks the type.
    let functions: Vec<&str> = all
        .iter()
        .filter(|i| i.is_function())
        .map(|i| i.id.as_str())
        .collect();
    assert_eq!(functions, ["i1"]);
    assert_eq!(all.len(), 2);
    let f = client.get_action_function("a 1", false).await.unwrap();
    assert_eq!(f.body.timeout_seconds(), 9);
    let d = client.get_action_function("a 1", true).await.unwrap();
    assert_eq!(d.body.timeout_seconds(), 15);
}
