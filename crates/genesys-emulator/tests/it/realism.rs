//! Realism settings over HTTP: the rate limit's scope (genesys-api.md U19) counts per access
//! token by default and per OAuth client when set so, from the configuration or at run time
//! through `/__emulator/realism`, per org.

use crate::common::*;
use genesys_emulator::{
    Config, OrgCredentials, RateLimitScope, Realism, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET,
};
use reqwest::Method;

fn limited(scope: RateLimitScope) -> Config {
    Config {
        rate_limit_per_minute: Some(3),
        orgs: vec![
            OrgCredentials {
                realism: Realism {
                    rate_limit_scope: scope,
                    ..Realism::default()
                },
                ..OrgCredentials::default()
            },
            OrgCredentials {
                client_id: "acme".into(),
                client_secret: "acme-secret".into(),
                ..OrgCredentials::default()
            },
        ],
        ..Config::default()
    }
}

/// Three requests with the harness's token, then one with a second token of the same client.
async fn second_token_status(env: &Env) -> u16 {
    let base = &env.running.base_url;
    let second = fetch_token(&env.http, base, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
        .await
        .expect("token");
    for _ in 0..3 {
        assert_eq!(env.get(ACTIONS).await.status, 200);
    }
    assert_eq!(
        env.get(ACTIONS).await.status,
        429,
        "the first token's own limit"
    );
    env.call_with(&second, Method::GET, ACTIONS, None)
        .await
        .status
        .as_u16()
}

#[tokio::test]
async fn per_token_by_default_a_second_token_has_its_own_limit() {
    let env = start(limited(RateLimitScope::Token)).await;
    assert_eq!(second_token_status(&env).await, 200);
}

#[tokio::test]
async fn per_client_every_token_of_the_client_shares_the_limit() {
    let env = start(limited(RateLimitScope::Client)).await;
    let base = env.running.base_url.clone();
    let r = {
        let second = fetch_token(&env.http, &base, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
            .await
            .expect("token");
        for _ in 0..3 {
            assert_eq!(env.get(ACTIONS).await.status, 200);
        }
        env.call_with(&second, Method::GET, ACTIONS, None).await
    };
    let body = r.assert_error(429, "too.many.requests.retry.after");
    assert!(body["message"].as_str().expect("message").contains("Retry"));
    let secs: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("secs");
    assert!((1..=60).contains(&secs));
    // Another org's client is not counted with this one.
    let acme = fetch_token(&env.http, &base, "acme", "acme-secret")
        .await
        .expect("token");
    assert_eq!(
        env.call_with(&acme, Method::GET, ACTIONS, None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn the_scope_is_data_per_org_through_the_admin_endpoint() {
    let env = start(limited(RateLimitScope::Token)).await;
    let url = env.url("/__emulator/realism");
    let got: serde_json::Value = env
        .http
        .get(&url)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(got["rate_limit_scope"], "token");
    let put = env
        .http
        .put(&url)
        .body(r#"{"rate_limit_scope":"client"}"#)
        .send()
        .await
        .expect("send");
    assert_eq!(put.status(), 200);
    assert_eq!(
        env.emu.realism(None).expect("default org").rate_limit_scope,
        RateLimitScope::Client
    );
    // Only the default org changed.
    assert_eq!(
        env.emu
            .realism(Some("acme"))
            .expect("acme")
            .rate_limit_scope,
        RateLimitScope::Token
    );
    assert_eq!(second_token_status(&env).await, 429);
    // Strict: unknown values and keys are refused; unknown orgs are 404.
    for bad in [
        r#"{"rate_limit_scope":"org"}"#,
        r#"{"scope":"client"}"#,
        "nope",
    ] {
        let r = env.http.put(&url).body(bad).send().await.expect("send");
        assert_eq!(r.status(), 400, "{bad}");
    }
    let r = env
        .http
        .get(format!("{url}?clientId=nobody"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 404);
    let r = env
        .http
        .put(format!("{url}?clientId=acme"))
        .body("{}")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 200);
    // Setting only one key leaves the others at their default.
    assert_eq!(env.emu.realism(Some("acme")), Some(Realism::default()));
}
