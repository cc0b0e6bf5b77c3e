//! Wire-level tests of authentication, retries, rate limiting, errors and transport rules
//! against a wiremock server on 127.0.0.1. No test sleeps: waits go through a manual clock.

use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use genesys_client::{
    ActionConfig, Error, ErrorKind, ManualClock, Method, RetryPolicy, UpdateActionInput,
    UpdateDraftInput,
};
use serde_json::json;
use wiremock::matchers::{body_string, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ACTION_PATH: &str = "/api/v2/integrations/actions/a1";

async fn mount_action(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("inin-correlation-id", "corr-ok")
                .set_body_json(action_json("a1")),
        )
        .mount(server)
        .await;
}

// ---- authentication -------------------------------------------------------------------

#[tokio::test]
async fn token_request_shape() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header(
            "authorization",
            "Basic dGVzdC1jbGllbnQtaWQ6czNjcjN0LVZBTFVFLW5ldmVyLXByaW50ZWQ=",
        ))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string("grant_type=client_credentials"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "tok-XYZ", "token_type": "BEARER", "expires_in": 86400}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .and(header("authorization", "Bearer tok-XYZ"))
        .and(header("user-agent", "dactl-test/1.0"))
        .and(header("accept", "application/json"))
        .and(query_param("expand", "contract"))
        .and(query_param("includeConfig", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(action_json("a1")))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let resp = c.get_action("a1").await.unwrap();
    assert_eq!(resp.body.id, "a1");
    assert_eq!(resp.status, 200);
    assert_eq!(c.stats().token_requests, 1);
    assert_eq!(c.stats().requests, 1);
    assert_eq!(c.stats().by_method.get("GET"), Some(&1));
}

#[tokio::test]
async fn token_fetched_once_for_concurrent_calls() {
    let server = MockServer::start().await;
    let issued = mount_tokens_delayed(&server, 3600, Duration::from_millis(100)).await;
    mount_action(&server).await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let c = c.clone();
        tasks.spawn(async move { c.get_action("a1").await.map(|r| r.body.id) });
    }
    while let Some(r) = tasks.join_next().await {
        assert_eq!(r.unwrap().unwrap(), "a1");
    }
    assert_eq!(issued.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(token_requests(&server).await, 1);
    assert_eq!(requests_to(&server, ACTION_PATH).await.len(), 20);
    assert_eq!(c.stats().token_requests, 1);
}

#[tokio::test]
async fn authenticate_is_single_flight_too() {
    let server = MockServer::start().await;
    mount_tokens_delayed(&server, 3600, Duration::from_millis(50)).await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let (a, b, d) = tokio::join!(c.authenticate(), c.authenticate(), c.authenticate());
    a.unwrap();
    b.unwrap();
    d.unwrap();
    assert_eq!(token_requests(&server).await, 1);
}

#[tokio::test]
async fn token_refreshed_before_expiry() {
    let server = MockServer::start().await;
    mount_tokens(&server, 300).await;
    mount_action(&server).await;
    let clock = Arc::new(ManualClock::new());
    let c = client(&server, clock.clone());
    c.get_action("a1").await.unwrap();
    clock.advance(Duration::from_secs(269));
    c.get_action("a1").await.unwrap();
    assert_eq!(token_requests(&server).await, 1);
    // 300 s token: refreshed 30 s before expiry, i.e. from 270 s on.
    clock.advance(Duration::from_secs(2));
    c.get_action("a1").await.unwrap();
    assert_eq!(token_requests(&server).await, 2);
    let reqs = requests_to(&server, ACTION_PATH).await;
    let auth: Vec<_> = reqs
        .iter()
        .map(|r| {
            r.headers
                .get("authorization")
                .unwrap()
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(auth, ["Bearer token-1", "Bearer token-1", "Bearer token-2"]);
}

#[tokio::test]
async fn unauthorized_refreshes_once_and_retries() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .and(header("authorization", "Bearer token-1"))
        .respond_with(json_error(
            401,
            "authentication.required",
            "expired",
            "c401",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .and(header("authorization", "Bearer token-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(action_json("a1")))
        .mount(&server)
        .await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let resp = c.get_action("a1").await.unwrap();
    assert_eq!(resp.body.id, "a1");
    assert_eq!(token_requests(&server).await, 2);
    assert_eq!(requests_to(&server, ACTION_PATH).await.len(), 2);
}

#[tokio::test]
async fn second_unauthorized_is_not_looped() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("PATCH"))
        .and(path(ACTION_PATH))
        .respond_with(json_error(
            401,
            "bad.credentials",
            "Invalid login credentials",
            "c401",
        ))
        .mount(&server)
        .await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let body = UpdateActionInput {
        name: "n".into(),
        category: None,
        version: 1,
        config: ActionConfig::default(),
    };
    let err = c.patch_action("a1", &body).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(matches!(err, Error::Auth { status: 401, .. }), "{err:?}");
    assert_eq!(err.correlation_id(), Some("c401"));
    assert!(err.hint().unwrap().contains(SOURCE));
    assert_eq!(token_requests(&server).await, 2);
    assert_eq!(requests_to(&server, ACTION_PATH).await.len(), 2);
}

#[tokio::test]
async fn wrong_credentials_name_the_source_not_the_secret() {
    for status in [400u16, 401] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("ININ-Correlation-Id", "ctok")
                    .set_body_json(json!({"error": "invalid_client", "description": "client not found", "error_description": "client not found"})),
            )
            .mount(&server)
            .await;
        let c = client(&server, Arc::new(ManualClock::new()));
        let err = c.get_action("a1").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Auth);
        match &err {
            Error::Auth {
                status: s,
                credential_source,
                detail,
                correlation_id,
            } => {
                assert_eq!(*s, status);
                assert_eq!(credential_source, SOURCE);
                assert_eq!(detail.as_deref(), Some("client not found"));
                assert_eq!(correlation_id.as_deref(), Some("ctok"));
            }
            other => panic!("{other:?}"),
        }
        let text = format!("{err} {err:?} {}", err.hint().unwrap());
        assert!(!text.contains(CLIENT_SECRET), "{text}");
        assert!(text.contains(SOURCE));
        assert_eq!(
            token_requests(&server).await,
            1,
            "credentials are not retried"
        );
        assert!(requests_to(&server, ACTION_PATH).await.is_empty());
    }
}

#[tokio::test]
async fn wrong_token_type_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "t", "token_type": "mac", "expires_in": 60})),
        )
        .mount(&server)
        .await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let err = c.authenticate().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
}

#[tokio::test]
async fn debug_output_never_shows_secret_or_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "TOKEN-abc-123-SECRET", "token_type": "bearer", "expires_in": 60}),
        ))
        .mount(&server)
        .await;
    let c = client(&server, Arc::new(ManualClock::new()));
    c.authenticate().await.unwrap();
    let dbg = format!("{c:?} {:?} {:?}", creds(), c.environment());
    assert!(!dbg.contains(CLIENT_SECRET), "{dbg}");
    assert!(!dbg.contains("TOKEN-abc-123-SECRET"), "{dbg}");
    assert!(dbg.contains(CLIENT_ID));
    let alt = format!("{c:#?} {:#?}", creds());
    assert!(!alt.contains(CLIENT_SECRET) && !alt.contains("TOKEN-abc"));
}

// ---- retries and rate limiting -----------------------------------------------------------

#[tokio::test]
async fn too_many_requests_waits_retry_after() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .respond_with(
            json_error(
                429,
                "too.many.requests.retry.after",
                "Retry in [7] seconds",
                "c429",
            )
            .insert_header("Retry-After", "7"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount_action(&server).await;
    let clock = Arc::new(ManualClock::new());
    let c = client(&server, clock.clone());
    let resp = c.get_action("a1").await.unwrap();
    assert_eq!(resp.body.id, "a1");
    assert_eq!(resp.correlation_id.as_deref(), Some("corr-ok"));
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(7)]);
    let st = c.stats();
    assert_eq!((st.requests, st.retries, st.rate_limited), (2, 1, 1));
}

#[tokio::test]
async fn too_many_requests_wait_is_exact_with_the_default_rate_limit() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "7"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount_action(&server).await;
    let clock = Arc::new(ManualClock::new());
    let mut opts = options(clock.clone());
    opts.rate_per_minute = 300;
    let c = client_with(&server, opts);
    c.get_action("a1").await.unwrap();
    c.get_action("a1").await.unwrap();
    // The retry waits the full 7 s, not 7 s less the burst tolerance; the next request
    // fits in the burst.
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(7)]);
}

#[tokio::test]
async fn too_many_requests_without_header_uses_default_wait() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount_action(&server).await;
    let clock = Arc::new(ManualClock::new());
    let c = client(&server, clock.clone());
    c.get_action("a1").await.unwrap();
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(3)]);
}

#[tokio::test]
async fn retry_after_above_ceiling_fails_loudly() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .respond_with(
            json_error(
                429,
                "too.many.requests.retry.after",
                "Retry in [600] seconds",
                "c600",
            )
            .insert_header("Retry-After", "600"),
        )
        .mount(&server)
        .await;
    let clock = Arc::new(ManualClock::new());
    let c = client(&server, clock.clone());
    let err = c.get_action("a1").await.unwrap_err();
    match &err {
        Error::RetryAfterTooLong {
            retry_after,
            ceiling,
            path,
            ..
        } => {
            assert_eq!(*retry_after, Duration::from_secs(600));
            assert_eq!(*ceiling, Duration::from_secs(180));
            assert_eq!(path, ACTION_PATH);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.correlation_id(), Some("c600"));
    assert!(clock.sleeps().is_empty());
    assert_eq!(requests_to(&server, ACTION_PATH).await.len(), 1);
}

#[tokio::test]
async fn too_many_requests_on_patch_is_retried() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("PATCH"))
        .and(path(ACTION_PATH))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "2"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(ACTION_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(action_json("a1")))
        .mount(&server)
        .await;
    let clock = Arc::new(ManualClock::new());
    let c = client(&server, clock.clone());
    let body = UpdateActionInput {
        name: "Action a1".into(),
        category: Some("Users".into()),
        version: 3,
        config: ActionConfig {
            timeout_seconds: Some(15),
            ..ActionConfig::default()
        },
    };
    c.patch_action("a1", &body).await.unwrap();
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(2)]);
    let reqs = requests_to(&server, ACTION_PATH).await;
    assert_eq!(reqs.len(), 2);
    for r in reqs {
        assert_eq!(
            r.body_json::<serde_json::Value>().unwrap(),
            json!({"name":"Action a1","category":"Users","version":3,"config":{"timeoutSeconds":15}})
        );
        assert_eq!(r.headers.get("content-type").unwrap(), "application/json");
    }
}

#[tokio::test]
async fn service_unavailable_on_get_is_retried() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .respond_with(json_error(503, "service.unavailable", "down", "c503"))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    mount_action(&server).await;
    let clock = Arc::new(ManualClock::new());
    let c = client(&server, clock.clone());
    c.get_action("a1").await.unwrap();
    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), 2, "{sleeps:?}");
    assert!(sleeps[0] >= Duration::from_millis(250) && sleeps[0] <= Duration::from_millis(500));
    assert!(sleeps[1] >= Duration::from_millis(500) && sleeps[1] <= Duration::from_secs(1));
    assert_eq!(c.stats().retries, 2);
}

#[tokio::test]
async fn service_unavailable_on_patch_is_not_retried() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("PATCH"))
        .and(path(ACTION_PATH))
        .respond_with(json_error(503, "service.unavailable", "down", "c503"))
        .mount(&server)
        .await;
    let clock = Arc::new(ManualClock::new());
    let c = client(&server, clock.clone());
    let body = UpdateActionInput {
        name: "n".into(),
        category: None,
        version: 1,
        config: ActionConfig::default(),
    };
    let err = c.patch_action("a1", &body).await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 503, .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert_eq!(err.correlation_id(), Some("c503"));
    assert_eq!(requests_to(&server, ACTION_PATH).await.len(), 1);
    assert!(clock.sleeps().is_empty());
}

#[tokio::test]
async fn retries_are_bounded() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .respond_with(json_error(502, "bad.gateway", "gateway", "c502"))
        .mount(&server)
        .await;
    let clock = Arc::new(ManualClock::new());
    let mut opts = options(clock.clone());
    opts.retry = RetryPolicy {
        max_attempts: 3,
        ..RetryPolicy::default()
    };
    let c = client_with(&server, opts);
    let err = c.get_action("a1").await.unwrap_err();
    match &err {
        Error::Exhausted { attempts, last } => {
            assert_eq!(*attempts, 3);
            assert!(matches!(**last, Error::Api { status: 502, .. }));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert_eq!(err.correlation_id(), Some("c502"));
    assert_eq!(requests_to(&server, ACTION_PATH).await.len(), 3);
    assert_eq!(clock.sleeps().len(), 2);
}

#[tokio::test]
async fn repeated_429_exhausts_as_rate_limited() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("PATCH"))
        .and(path(ACTION_PATH))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .mount(&server)
        .await;
    let clock = Arc::new(ManualClock::new());
    let c = client(&server, clock.clone());
    let body = UpdateActionInput::default();
    let err = c.patch_action("a1", &body).await.unwrap_err();
    assert!(
        matches!(err, Error::Exhausted { attempts: 6, .. }),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert!(err.hint().unwrap().contains("--rate"));
    assert_eq!(c.stats().rate_limited, 6);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(1); 5]);
}

#[tokio::test]
async fn connection_errors_are_retried_for_reads_and_bounded() {
    // Bind then drop a listener: nothing listens on that port afterwards.
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let env = genesys_client::Environment::from_base_url(&format!("http://{addr}")).unwrap();
    let clock = Arc::new(ManualClock::new());
    let mut opts = options(clock.clone());
    opts.retry.max_attempts = 2;
    let c = genesys_client::Client::new(env, creds(), opts).unwrap();
    let err = c.authenticate().await.unwrap_err();
    match &err {
        Error::Exhausted { attempts: 2, last } => {
            assert!(matches!(**last, Error::Transport { .. }), "{last:?}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert_eq!(clock.sleeps().len(), 1);
}

#[tokio::test]
async fn rate_limit_spaces_requests_through_the_clock() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    mount_action(&server).await;
    let clock = Arc::new(ManualClock::new());
    let mut opts = options(clock.clone());
    opts.rate_per_minute = 5; // 12 s apart, burst 1
    let c = client_with(&server, opts);
    for _ in 0..3 {
        c.get_action("a1").await.unwrap();
    }
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(12); 2]);
}

#[tokio::test]
async fn a_429_pauses_every_request_of_the_client() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path("/api/v2/integrations/actions/slow"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "30"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/integrations/actions/slow"))
        .respond_with(ResponseTemplate::new(200).set_body_json(action_json("slow")))
        .mount(&server)
        .await;
    mount_action(&server).await;
    let clock = Arc::new(GateClock::new());
    let c = client_with(&server, options(clock.clone()));
    let first = {
        let c = c.clone();
        tokio::spawn(async move { c.get_action("slow").await })
    };
    clock.wait_for_sleeps(1).await;
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(30)]);
    // Another worker starts while the pause is in force: it waits too, unsent.
    let second = {
        let c = c.clone();
        tokio::spawn(async move { c.get_action("a1").await })
    };
    clock.wait_for_sleeps(2).await;
    assert_eq!(clock.sleeps()[1], Duration::from_secs(30));
    assert!(requests_to(&server, ACTION_PATH).await.is_empty());
    clock.advance(Duration::from_secs(30));
    first.await.unwrap().unwrap();
    second.await.unwrap().unwrap();
    assert_eq!(requests_to(&server, ACTION_PATH).await.len(), 1);
}

// ---- errors ------------------------------------------------------------------------------

#[tokio::test]
async fn error_body_and_correlation_id_are_kept() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .respond_with(json_error(
            404,
            "not.found",
            "Action a1 not found",
            "corr-404",
        ))
        .mount(&server)
        .await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let err = c.get_action("a1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.correlation_id(), Some("corr-404"));
    let body = err.error_body().unwrap();
    assert_eq!(body.code.as_deref(), Some("not.found"));
    assert_eq!(body.status, Some(404));
    match &err {
        Error::Api {
            method,
            path,
            status,
            ..
        } => {
            assert_eq!(
                (method.as_str(), path.as_str(), *status),
                ("GET", ACTION_PATH, 404)
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("Action a1 not found"));
    assert_eq!(
        requests_to(&server, ACTION_PATH).await.len(),
        1,
        "4xx is never retried"
    );
}

#[tokio::test]
async fn correlation_id_falls_back_to_context_id() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"message": "bad", "code": "bad.request", "status": 400, "contextId": "ctx-1"}),
        ))
        .mount(&server)
        .await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let err = c.get_action("a1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    assert_eq!(err.correlation_id(), Some("ctx-1"));
}

#[tokio::test]
async fn forbidden_hint_names_the_missing_permission() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("PATCH"))
        .and(path(ACTION_PATH))
        .respond_with(json_error(
            403,
            "missing.permissions",
            "Unable to perform the requested action. You are missing the following permission(s): integrations:action:edit",
            "c403",
        ))
        .mount(&server)
        .await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let err = c
        .patch_action("a1", &UpdateActionInput::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Permission);
    let hint = err.hint().unwrap();
    assert!(hint.contains("integrations:action:edit"), "{hint}");
}

#[tokio::test]
async fn version_conflicts_are_detected() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("PATCH"))
        .and(path(ACTION_PATH))
        .respond_with(json_error(
            409,
            "request.conflict",
            "The version is stale",
            "c409",
        ))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/api/v2/integrations/actions/a1/draft"))
        .respond_with(json_error(
            400,
            "bad.request",
            "Supplied version 2 does not match latest draft version 1",
            "c400",
        ))
        .mount(&server)
        .await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let err = c
        .patch_action("a1", &UpdateActionInput::default())
        .await
        .unwrap_err();
    assert!(err.is_version_conflict());
    assert_eq!(err.kind(), ErrorKind::Conflict);
    let draft = UpdateDraftInput {
        version: 2,
        ..UpdateDraftInput::default()
    };
    let err = c.patch_draft("a1", &draft).await.unwrap_err();
    assert!(err.is_version_conflict());
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.correlation_id(), Some("c400"));
    let reqs = requests_to(&server, "/api/v2/integrations/actions/a1/draft").await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].body_json::<serde_json::Value>().unwrap(),
        json!({"version": 2})
    );
}

#[tokio::test]
async fn missing_draft_is_not_found() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path("/api/v2/integrations/actions/a1/draft"))
        .and(query_param("expand", "contract"))
        .and(query_param("includeConfig", "true"))
        .respond_with(json_error(404, "not.found", "no draft", "c"))
        .mount(&server)
        .await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let err = c.get_draft("a1").await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 404, .. }));
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

// ---- transport rules ---------------------------------------------------------------------

#[tokio::test]
async fn redirects_are_not_followed_and_the_token_stays_home() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("Location", format!("{}/steal", elsewhere.uri()).as_str())
                .insert_header("ININ-Correlation-ID", "c302"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(action_json("x")))
        .mount(&elsewhere)
        .await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let err = c.get_action("a1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    let port = elsewhere.address().port();
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    assert!(err.to_string().contains("302"), "{err}");
    assert_eq!(err.correlation_id(), Some("c302"));
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
    assert_eq!(requests_to(&server, ACTION_PATH).await.len(), 1);
}

#[tokio::test]
async fn oversize_body_is_cut_with_a_clear_error() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    let mut big = action_json("a1");
    big["padding"] = json!("x".repeat(5000));
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(big))
        .mount(&server)
        .await;
    let mut opts = options(Arc::new(ManualClock::new()));
    opts.max_body_bytes = 1024;
    let c = client_with(&server, opts);
    let err = c.get_action("a1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.to_string().contains("1024-byte limit"), "{err}");
    assert_eq!(
        requests_to(&server, ACTION_PATH).await.len(),
        1,
        "not retried"
    );
}

/// A hand-written server that streams a chunked body with no Content-Length, so the cap is
/// enforced while reading, not from the header.
#[tokio::test]
async fn chunked_oversize_body_stops_reading() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = tokio::spawn(async move {
        for _ in 0..2 {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 8192];
            let n = sock.read(&mut buf).await.unwrap();
            let req = String::from_utf8_lossy(&buf[..n]).to_string();
            if req.starts_with("POST /oauth/token") {
                let body = r#"{"access_token":"t","token_type":"bearer","expires_in":3600}"#;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                sock.write_all(resp.as_bytes()).await.unwrap();
            } else {
                sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n").await.unwrap();
                let chunk = "y".repeat(400);
                for _ in 0..20 {
                    let frame = format!("{:x}\r\n{chunk}\r\n", chunk.len());
                    if sock.write_all(frame.as_bytes()).await.is_err() {
                        break;
                    }
                }
                let _ = sock.write_all(b"0\r\n\r\n").await;
            }
            let _ = sock.shutdown().await;
        }
    });
    let env = genesys_client::Environment::from_base_url(&format!("http://{addr}")).unwrap();
    let mut opts = options(Arc::new(ManualClock::new()));
    opts.max_body_bytes = 1000;
    let c = genesys_client::Client::new(env, creds(), opts).unwrap();
    let err = c.get_action("a1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err:?}");
    assert!(err.to_string().contains("1000-byte limit"), "{err}");
    served.await.unwrap();
}

#[tokio::test]
async fn malformed_json_names_the_path() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    let mut bad = action_json("a1");
    bad["config"]["timeoutSeconds"] = json!("twenty");
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(bad))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/integrations/actions/broken"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"id":"broken","config":{"request":{"headers": {"a": 1,}}}}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let err = c.get_action("a1").await.unwrap_err();
    match &err {
        Error::Decode {
            json_path, path, ..
        } => {
            assert_eq!(json_path, "config.timeoutSeconds");
            assert_eq!(path, ACTION_PATH);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.kind(), ErrorKind::Protocol);
    let err = c.get_action("broken").await.unwrap_err();
    match &err {
        Error::Decode { json_path, .. } => {
            assert!(
                json_path.starts_with("config.request.headers"),
                "{json_path}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn error_document_with_200_is_not_an_action() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"message": "something broke", "code": "internal.server.error", "status": 500}),
        ))
        .mount(&server)
        .await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let err = c.get_action("a1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.to_string().contains("something broke"), "{err}");
}

#[tokio::test]
async fn html_where_json_was_expected_is_refused() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html>hi</html>", "text/html"))
        .mount(&server)
        .await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let err = c.get_action("a1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.to_string().contains("text/html"), "{err}");
}

// ---- other endpoints ---------------------------------------------------------------------

#[tokio::test]
async fn templates_are_read_as_text() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path(
            "/api/v2/integrations/actions/a1/templates/requesttemplate.vm",
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("ININ-Correlation-ID", "ct")
                .set_body_raw("{\"id\": \"${input.id}\"}", "text/plain"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/api/v2/integrations/actions/a1/draft/templates/successtemplate.vm",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_raw("${rawResult}", "text/plain"))
        .mount(&server)
        .await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let t = c
        .get_template("a1", "requesttemplate.vm", false)
        .await
        .unwrap();
    assert_eq!(t.body, "{\"id\": \"${input.id}\"}");
    assert_eq!(t.correlation_id.as_deref(), Some("ct"));
    let reqs = requests_to(
        &server,
        "/api/v2/integrations/actions/a1/templates/requesttemplate.vm",
    )
    .await;
    assert_eq!(
        reqs[0].headers.get("accept").unwrap(),
        "text/plain, application/json"
    );
    let t = c
        .get_template("a1", "successtemplate.vm", true)
        .await
        .unwrap();
    assert_eq!(t.body, "${rawResult}");
}

#[tokio::test]
async fn request_json_escape_hatch() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("POST"))
        .and(path("/api/v2/integrations/actions/a1/draft/publish"))
        .and(body_string(r#"{"version":2}"#))
        .respond_with(ResponseTemplate::new(200).set_body_json(action_json("a1")))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/v2/integrations/actions/a1/draft"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/integrations/actions/categories"))
        .and(query_param("pageSize", "25"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"entities": [{"name": "Users"}], "total": 1})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/integrations/actions/a1/test"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let c = client(&server, Arc::new(ManualClock::new()));
    let r = c
        .request_json(
            Method::POST,
            "/api/v2/integrations/actions/a1/draft/publish",
            Some(&json!({"version": 2})),
        )
        .await
        .unwrap();
    assert_eq!(r.body["id"], "a1");
    let r = c
        .request_json(
            Method::DELETE,
            "/api/v2/integrations/actions/a1/draft",
            None,
        )
        .await
        .unwrap();
    assert_eq!((r.status, r.body.clone()), (204, serde_json::Value::Null));
    let r = c
        .request_json(
            Method::GET,
            "/api/v2/integrations/actions/categories?pageSize=25",
            None,
        )
        .await
        .unwrap();
    assert_eq!(r.body["total"], 1);
    let err = c
        .request_json(
            Method::POST,
            "/api/v2/integrations/actions/a1/test",
            Some(&json!({})),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { status: 503, .. }));
    assert_eq!(
        requests_to(&server, "/api/v2/integrations/actions/a1/test")
            .await
            .len(),
        1
    );
    for bad in ["http://evil.example/x", "//evil.example/x", "api/v2"] {
        let err = c.request_json(Method::GET, bad, None).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{bad}");
    }
}

#[tokio::test]
async fn ids_are_path_encoded() {
    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path("/api/v2/integrations/actions/a%2Fb%20c"))
        .respond_with(ResponseTemplate::new(200).set_body_json(action_json("a/b c")))
        .mount(&server)
        .await;
    let c = client(&server, Arc::new(ManualClock::new()));
    assert_eq!(c.get_action("a/b c").await.unwrap().body.id, "a/b c");
}

// ---- logging -----------------------------------------------------------------------------
