//! Wire-level tests of complete listings: echoed page size, concurrent pages, exact query
//! strings, dedupe, the `total` check and `ids` chunking.

use std::sync::Arc;

use crate::common::*;
use genesys_client::{Error, ErrorKind, ListQuery, ManualClock};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const LIST: &str = "/api/v2/integrations/actions";

fn query_of(r: &Request) -> String {
    r.url.query().unwrap_or("").to_string()
}

fn page_number(r: &Request) -> i64 {
    r.url
        .query_pairs()
        .find(|(k, _)| k == "pageNumber")
        .map(|(_, v)| v.parse().unwrap())
        .unwrap_or(1)
}

/// A listing server over `ids` that serves at most `cap` per page and echoes what it used.
/// `with_page_count` controls whether `pageCount` is sent; `total_override` lies about total.
async fn mount_listing(
    server: &MockServer,
    list_path: &str,
    ids: Vec<String>,
    cap: usize,
    with_page_count: bool,
    total_override: Option<usize>,
) {
    Mock::given(method("GET"))
        .and(path(list_path))
        .respond_with(move |r: &Request| {
            let asked: usize = r
                .url
                .query_pairs()
                .find(|(k, _)| k == "pageSize")
                .map(|(_, v)| v.parse().unwrap())
                .unwrap_or(25);
            let size = asked.min(cap);
            let n = page_number(r) as usize;
            let entities: Vec<Value> = ids
                .iter()
                .skip((n - 1) * size)
                .take(size)
                .map(|id| action_json(id))
                .collect();
            let total = total_override.unwrap_or(ids.len());
            let mut body = json!({
                "entities": entities,
                "pageSize": size,
                "pageNumber": n,
                "total": total,
                "selfUri": format!("{LIST}?pageSize={size}&pageNumber={n}"),
            });
            if with_page_count {
                body["pageCount"] = json!(ids.len().div_ceil(size));
            }
            ResponseTemplate::new(200)
                .insert_header("ININ-Correlation-ID", format!("page-{n}").as_str())
                .set_body_json(body)
        })
        .mount(server)
        .await;
}

fn ids(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("id-{i:03}")).collect()
}

#[tokio::test]
async fn capped_page_size_fetches_every_page_with_exact_queries() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    mount_listing(&server, LIST, ids(60), 25, true, None).await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let q = ListQuery {
        include_config: true,
        ..ListQuery::default()
    };
    let actions = c.list_actions(&q).await.unwrap();
    assert_eq!(actions.len(), 60);
    let got: Vec<String> = actions.iter().map(|a| a.id.clone()).collect();
    assert_eq!(got, ids(60), "page order is kept");
    assert_eq!(actions[0].timeout_seconds(), Some(20));
    let mut reqs = requests_to(&server, LIST).await;
    reqs.sort_by_key(page_number);
    let queries: Vec<String> = reqs.iter().map(query_of).collect();
    assert_eq!(
        queries,
        [
            "pageSize=100&pageNumber=1&includeConfig=true&includeAuthActions=false",
            "pageSize=100&pageNumber=2&includeConfig=true&includeAuthActions=false",
            "pageSize=100&pageNumber=3&includeConfig=true&includeAuthActions=false",
        ]
    );
    assert_eq!(c.stats().requests, 3);
}

#[tokio::test]
async fn page_count_missing_is_computed_from_total_and_echoed_size() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    mount_listing(&server, LIST, ids(51), 10, false, None).await;
    let mut opts = options(Arc::new(ManualClock::new()));
    opts.list_concurrency = 2;
    let c = client_with(&server, opts);
    let actions = c.list_actions(&ListQuery::default()).await.unwrap();
    assert_eq!(actions.len(), 51);
    assert_eq!(requests_to(&server, LIST).await.len(), 6);
}

#[tokio::test]
async fn single_page_and_empty_listing() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    mount_listing(&server, LIST, ids(3), 25, true, None).await;
    mount_listing(
        &server,
        "/api/v2/integrations/actions/drafts",
        vec![],
        25,
        true,
        None,
    )
    .await;
    let c = client(&server, Arc::new(ManualClock::new()));
    assert_eq!(
        c.list_actions(&ListQuery::default()).await.unwrap().len(),
        3
    );
    assert!(c
        .list_drafts(&ListQuery::default())
        .await
        .unwrap()
        .is_empty());
    assert_eq!(requests_to(&server, LIST).await.len(), 1);
}

#[tokio::test]
async fn short_listing_is_a_protocol_error() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    // 50 entities served, but the server claims 60.
    mount_listing(&server, LIST, ids(50), 25, true, Some(60)).await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let err = c.list_actions(&ListQuery::default()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(
        err.to_string()
            .contains("listing returned 50 of 60 actions"),
        "{err}"
    );
    assert_eq!(err.correlation_id(), Some("page-1"));
}

#[tokio::test]
async fn trusting_an_empty_page_is_not_possible() {
    // pageCount says 3 but page 3 comes back empty: 50 of 60, loudly.
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path(LIST))
        .respond_with(|r: &Request| {
            let n = page_number(r);
            let entities: Vec<Value> = if n <= 2 {
                (0..25).map(|i| action_json(&format!("p{n}-{i}"))).collect()
            } else {
                vec![]
            };
            ResponseTemplate::new(200).set_body_json(json!({
                "entities": entities, "pageSize": 25, "pageNumber": n, "total": 60, "pageCount": 3
            }))
        })
        .mount(&server)
        .await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let err = c.list_actions(&ListQuery::default()).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("listing returned 50 of 60 actions"),
        "{err}"
    );
}

#[tokio::test]
async fn duplicates_across_pages_are_deduped() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path(LIST))
        .respond_with(|r: &Request| {
            let n = page_number(r);
            let page: Vec<Value> = match n {
                1 => vec![action_json("a"), action_json("b")],
                _ => vec![action_json("b"), action_json("c")],
            };
            ResponseTemplate::new(200).set_body_json(json!({
                "entities": page, "pageSize": 2, "pageNumber": n, "total": 3, "pageCount": 2
            }))
        })
        .mount(&server)
        .await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let got: Vec<String> = c
        .list_actions(&ListQuery::default())
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(got, ["a", "b", "c"]);
}

#[tokio::test]
async fn filters_are_sent_literally_and_ids_chunked_by_fifty() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    let all = ids(120);
    let served = all.clone();
    Mock::given(method("GET"))
        .and(path("/api/v2/integrations/actions/drafts"))
        .respond_with(move |r: &Request| {
            let wanted: Vec<String> = r
                .url
                .query_pairs()
                .find(|(k, _)| k == "ids")
                .map(|(_, v)| v.split(',').map(str::to_string).collect())
                .unwrap_or_default();
            let entities: Vec<Value> = served
                .iter()
                .filter(|id| wanted.contains(id))
                .map(|id| action_json(id))
                .collect();
            let n = entities.len();
            ResponseTemplate::new(200).set_body_json(json!({
                "entities": entities, "pageSize": 100, "pageNumber": 1, "total": n, "pageCount": 1
            }))
        })
        .mount(&server)
        .await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let mut wanted = all.clone();
    wanted.push("id-001".to_string()); // a repeated id is asked for once
    let q = ListQuery {
        category: Some("My Category".into()),
        name: Some("Get".into()),
        ids: wanted,
        include_auth_actions: true,
        include_config: true,
        secure: Some(false),
    };
    let actions = c.list_drafts(&q).await.unwrap();
    assert_eq!(actions.len(), 120);
    let reqs = requests_to(&server, "/api/v2/integrations/actions/drafts").await;
    assert_eq!(reqs.len(), 3);
    let mut sizes = Vec::new();
    for r in &reqs {
        let q = query_of(r);
        assert!(
            q.starts_with(
                "pageSize=100&pageNumber=1&includeConfig=true&includeAuthActions=true&category=My%20Category&name=Get&ids="
            ),
            "{q}"
        );
        assert!(q.ends_with("&secure=false"), "{q}");
        let ids_param = r
            .url
            .query_pairs()
            .find(|(k, _)| k == "ids")
            .map(|(_, v)| v.to_string())
            .unwrap();
        sizes.push(ids_param.split(',').count());
    }
    sizes.sort();
    assert_eq!(sizes, [20, 50, 50]);
}

#[tokio::test]
async fn listing_without_total_is_refused() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path(LIST))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"entities": [action_json("a")]})),
        )
        .mount(&server)
        .await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let err = c.list_actions(&ListQuery::default()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.to_string().contains("total"), "{err}");
}

#[tokio::test]
async fn bad_entity_names_its_json_path() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    let mut bad = action_json("b");
    bad["config"]["timeoutSeconds"] = json!("sixty");
    Mock::given(method("GET"))
        .and(path(LIST))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "entities": [action_json("a"), bad], "pageSize": 25, "pageNumber": 1, "total": 2, "pageCount": 1
        })))
        .mount(&server)
        .await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let err = c.list_actions(&ListQuery::default()).await.unwrap_err();
    match err {
        Error::Decode { json_path, .. } => {
            assert_eq!(json_path, "entities[1].config.timeoutSeconds")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_failing_page_fails_the_listing() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path(LIST))
        .respond_with(|r: &Request| {
            let n = page_number(r);
            if n == 3 {
                return json_error(403, "missing.permissions", "no", "c3");
            }
            ResponseTemplate::new(200).set_body_json(json!({
                "entities": (0..10).map(|i| action_json(&format!("p{n}-{i}"))).collect::<Vec<_>>(),
                "pageSize": 10, "pageNumber": n, "total": 40, "pageCount": 4
            }))
        })
        .mount(&server)
        .await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let err = c.list_actions(&ListQuery::default()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Permission);
    assert_eq!(err.correlation_id(), Some("c3"));
}

#[tokio::test]
async fn pages_go_through_the_shared_rate_limit() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    mount_listing(&server, LIST, ids(100), 10, true, None).await;
    let clock = Arc::new(ManualClock::new());
    let mut opts = options(clock.clone());
    opts.rate_per_minute = 10; // 6 s apart, burst 2
    let c = client_with(&server, opts);
    assert_eq!(
        c.list_actions(&ListQuery::default()).await.unwrap().len(),
        100
    );
    // 10 requests 6 s apart with a burst of 2: the last one waited 48 s, through the clock
    // (concurrent waits add up on a ManualClock, so only the lower bound is exact).
    let elapsed = clock.elapsed();
    assert!(elapsed >= std::time::Duration::from_secs(48), "{elapsed:?}");
}
