//! Integration tests of drafts, test/execute, categories, admin endpoints, orgs and scale.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::common::*;
use axum::extract::ConnectInfo;
use genesys_emulator::{Config, FaultAction, FaultRule, OrgCredentials, Trigger};
use reqwest::Method;
use serde_json::{json, Value};
use tower::ServiceExt as _;

fn fast() -> Config {
    Config {
        execution_time_scale: 0.001,
        ..Config::default()
    }
}

#[tokio::test]
async fn draft_lifecycle_create_patch_validate_publish() {
    let env = start(fast()).await;
    let stored = env.stored("Lookup Order Status");
    let id = stored["id"].as_str().expect("id").to_owned();
    let dpath = format!("{ACTIONS}/{id}/draft");
    env.get(&dpath).await.assert_error(404, "not.found");
    env.get(&format!("{dpath}/validation"))
        .await
        .assert_error(404, "not.found");

    let created = env.post(&dpath, None).await;
    assert_eq!(created.status, 200, "{}", created.text);
    let d = created.json();
    assert_eq!(d["version"], 1);
    assert_eq!(d["selfUri"], dpath);
    assert_eq!(
        d["config"]["request"]["requestTemplateUri"],
        format!("{dpath}/templates/requesttemplate.vm")
    );
    env.post(&dpath, None)
        .await
        .assert_error(409, "request.conflict");
    let t2 = env
        .get(&format!("{dpath}/templates/requesttemplate.vm"))
        .await;
    assert_eq!(
        t2.text,
        stored["config"]["request"]["requestTemplate"]
            .as_str()
            .expect("text")
    );

    // D3 with the draft version, text inlined.
    let mut config = stored["config"].clone();
    config["timeoutSeconds"] = json!(17);
    let r = env
        .patch(
            &dpath,
            &json!({"version": 1, "name": "Lookup Order Status", "config": config}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["version"], 2);
    let v = env.get(&format!("{dpath}/validation")).await;
    assert_eq!(v.status, 200);
    assert_eq!(v.json(), json!({"valid": true, "errors": []}));

    // D4: stale draft version → 400 with the I1961 wording, as the platform answers it;
    // version + 1 is stale too.
    let e = env
        .post(&format!("{dpath}/publish"), Some(&json!({"version": 3})))
        .await
        .assert_error(400, "bad.request");
    assert!(e["message"]
        .as_str()
        .expect("m")
        .contains("does not match latest draft version 2"));
    env.post(&format!("{dpath}/publish"), Some(&json!({})))
        .await
        .assert_error(400, "bad.request");
    env.post(&format!("{dpath}/publish"), Some(&json!({"version": "2"})))
        .await
        .assert_error(400, "invalid.value");
    let p = env
        .post(&format!("{dpath}/publish"), Some(&json!({"version": 2})))
        .await;
    assert_eq!(p.status, 200, "{}", p.text);
    let published = p.json();
    assert_eq!(
        published["version"],
        stored["version"].as_i64().expect("v") + 1
    );
    assert_eq!(published["selfUri"], format!("{ACTIONS}/{id}"));
    let after = env.stored("Lookup Order Status");
    assert_eq!(after["config"]["timeoutSeconds"], 17);
    assert_eq!(
        after["config"]["request"]["requestTemplate"],
        stored["config"]["request"]["requestTemplate"]
    );
    env.get(&dpath).await.assert_error(404, "not.found");
}

#[tokio::test]
async fn invalid_draft_fails_validation_and_publish() {
    let env = start(fast()).await;
    let id = env.id_of("Search Tickets By Requester");
    let dpath = format!("{ACTIONS}/{id}/draft");
    // A config without a request: the draft is stored (config replaced) but not valid.
    let r = env
        .patch(
            &dpath,
            &json!({"version": 1, "config": {"timeoutSeconds": 9}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = env.get(&format!("{dpath}/validation")).await;
    let body = v.json();
    assert_eq!(body["valid"], false);
    let errors = body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0]["code"], "invalid.value");
    assert_eq!(
        errors[0]["contextId"],
        v.header("inin-correlation-id").expect("cid").as_str()
    );
    env.post(&format!("{dpath}/publish"), Some(&json!({"version": 2})))
        .await
        .assert_error(400, "bad.request");
}

#[tokio::test]
async fn delete_draft_and_static_refusals() {
    let env = start(fast()).await;
    let id = env.id_of("Update Case Status");
    let dpath = format!("{ACTIONS}/{id}/draft");
    let r = env.call(Method::DELETE, &dpath, None).await;
    assert_eq!(r.status, 204);
    assert!(r.text.is_empty());
    assert!(r.header("inin-correlation-id").is_some());
    env.call(Method::DELETE, &dpath, None)
        .await
        .assert_error(404, "not.found");
    assert_eq!(env.emu.state()["drafts"].as_array().map(Vec::len), Some(1));

    let sid = env.id_of("Get Authenticated User");
    env.post(&format!("{ACTIONS}/{sid}/draft"), None)
        .await
        .assert_error(400, "bad.request");
    env.call(Method::DELETE, &format!("{ACTIONS}/{sid}/draft"), None)
        .await
        .assert_error(400, "bad.request");
    env.post(&format!("{ACTIONS}/nope/draft"), None)
        .await
        .assert_error(404, "not.found");
}

#[tokio::test]
async fn test_and_execute_honour_the_timeout() {
    let env = start(fast()).await;
    let ok_id = env.id_of("Create Case");
    let input = json!({"subject": "Hallo \"Welt\"", "callerName": "Zoë", "priority": "high", "contactId": "003"});
    let r = env
        .post(&format!("{ACTIONS}/{ok_id}/test"), Some(&input))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let t = r.json();
    assert_eq!(t["success"], true);
    assert!(t.get("error").is_none());
    assert!(t["finalResult"]["caseId"].is_string());
    let ops = t["operations"].as_array().expect("ops");
    assert!(ops.iter().all(|o| o["success"] == true));
    assert!(ops.iter().any(|o| o["result"]["requestBody"]
        .as_str()
        .is_some_and(|b| b.contains("Zoë"))));
    let x = env
        .post(&format!("{ACTIONS}/{ok_id}/execute"), Some(&input))
        .await;
    assert_eq!(x.status, 200);
    assert_eq!(x.json(), t["finalResult"]);

    // Latency 7.5 s, timeout 5 s.
    let slow = env.id_of("Get Weather Forecast");
    let started = Instant::now();
    let t = env
        .post(
            &format!("{ACTIONS}/{slow}/test"),
            Some(&json!({"postalCode": "10115"})),
        )
        .await;
    assert!(started.elapsed() < Duration::from_secs(2), "scaled sleep");
    let body = t.json();
    assert_eq!(body["success"], false);
    assert_eq!(body["error"]["status"], 504);
    assert_eq!(body["error"]["code"], "request.timeout");
    assert_eq!(
        body["error"]["contextId"],
        t.header("inin-correlation-id").expect("cid").as_str()
    );
    let last = body["operations"]
        .as_array()
        .and_then(|o| o.last().cloned())
        .expect("ops");
    assert_eq!(
        (last["name"].as_str(), last["success"].as_bool()),
        (Some("Execute request"), Some(false))
    );
    env.post(
        &format!("{ACTIONS}/{slow}/execute"),
        Some(&json!({"postalCode": "10115"})),
    )
    .await
    .assert_error(504, "request.timeout");

    // Raising the timeout fixes it; unset means 60 s (CMDB lookup takes 72 s).
    let stored = env.stored("Get Weather Forecast");
    let mut body = json!({"version": stored["version"], "name": stored["name"], "category": stored["category"], "config": stored["config"]});
    body["config"]["timeoutSeconds"] = json!(10);
    assert_eq!(
        env.patch(&format!("{ACTIONS}/{slow}"), &body).await.status,
        200
    );
    let t = env
        .post(
            &format!("{ACTIONS}/{slow}/test"),
            Some(&json!({"postalCode": "10115"})),
        )
        .await
        .json();
    assert_eq!(t["success"], true);
    let cmdb = env.id_of("Lookup CMDB Configuration Item");
    let t = env
        .post(
            &format!("{ACTIONS}/{cmdb}/test"),
            Some(&json!({"serial": "X1"})),
        )
        .await
        .json();
    assert_eq!(t["success"], false);
    assert!(t["error"]["message"]
        .as_str()
        .expect("m")
        .contains("60 seconds"));

    // Missing input, bad body, draft test.
    let t = env
        .post(&format!("{ACTIONS}/{ok_id}/test"), Some(&json!({})))
        .await
        .json();
    assert_eq!(
        (t["success"].as_bool(), t["error"]["status"].as_i64()),
        (Some(false), Some(400))
    );
    env.post(&format!("{ACTIONS}/{ok_id}/execute"), Some(&json!({})))
        .await
        .assert_error(400, "bad.request");
    env.post(&format!("{ACTIONS}/{ok_id}/test"), Some(&json!([1])))
        .await
        .assert_error(400, "bad.request");
    env.post(&format!("{ACTIONS}/{ok_id}/draft/test"), Some(&input))
        .await
        .assert_error(404, "not.found");
    let drafted = env.id_of("Update Case Status");
    let t = env
        .post(
            &format!("{ACTIONS}/{drafted}/draft/test"),
            Some(&json!({"caseId": "1", "status": "New", "note": "n"})),
        )
        .await
        .json();
    assert_eq!(t["success"], true);
}

#[tokio::test]
async fn categories_listing() {
    let env = start(fast()).await;
    let r = env.get(&format!("{ACTIONS}/categories?pageSize=100")).await;
    assert_eq!(r.status, 200);
    let c = r.json();
    let names: Vec<&str> = c["entities"]
        .as_array()
        .expect("e")
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    for expected in [
        "Orders",
        "Utilities",
        "Salesforce Data Actions",
        "Scheduling",
    ] {
        assert!(names.contains(&expected), "{names:?}");
    }
    assert_eq!(c["total"].as_u64(), Some(names.len() as u64));
    assert_eq!(c["pageCount"], 1);
    let keys: Vec<&str> = c
        .as_object()
        .expect("o")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["entities", "pageSize", "pageNumber", "total", "pageCount"]
    );
    let p2 = env
        .get(&format!(
            "{ACTIONS}/categories?pageSize=2&pageNumber=2&sortOrder=desc"
        ))
        .await
        .json();
    assert_eq!(p2["entities"].as_array().map(Vec::len), Some(2));
    assert_eq!(p2["entities"][0]["name"], names[names.len() - 3]);
}

#[tokio::test]
async fn admin_endpoints_on_loopback() {
    let env = start(fast()).await;
    let http = http();
    let admin = |p: &str| env.url(&format!("/__emulator{p}"));
    let rules =
        json!([{"name": "slow", "path": "/api/**", "action": {"type": "latency", "ms": 1}}]);
    let r = into_resp(
        http.put(admin("/faults"))
            .json(&rules)
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()[0]["name"], "slow");
    assert_eq!(env.emu.faults().len(), 1);
    let r = into_resp(http.get(admin("/faults")).send().await.expect("send")).await;
    assert_eq!(r.json()[0]["trigger"]["type"], "always");
    let bad = into_resp(
        http.put(admin("/faults"))
            .json(&json!([{"path": "x"}]))
            .send()
            .await
            .expect("send"),
    )
    .await;
    bad.assert_error(400, "bad.request");

    env.emu.clear_journal();
    env.get(ACTIONS).await;
    let j = into_resp(http.get(admin("/requests")).send().await.expect("send"))
        .await
        .json();
    assert_eq!(
        j.as_array().map(Vec::len),
        Some(1),
        "admin calls are not journaled"
    );
    assert_eq!(j[0]["fault"], "slow");

    let r = into_resp(http.delete(admin("/faults")).send().await.expect("send")).await;
    assert_eq!(r.status, 204);
    assert!(env.emu.faults().is_empty());

    let stored = env.stored("Check Store Hours");
    let body = json!({"version": stored["version"], "config": stored["config"]});
    assert_eq!(
        env.patch(
            &format!("{ACTIONS}/{}", stored["id"].as_str().expect("id")),
            &body
        )
        .await
        .status,
        200
    );
    let state = into_resp(http.get(admin("/state")).send().await.expect("send"))
        .await
        .json();
    assert_eq!(state, env.emu.state());
    let r = into_resp(http.post(admin("/reset")).send().await.expect("send")).await;
    assert_eq!(r.status, 204);
    assert_eq!(env.stored("Check Store Hours"), stored);
    assert!(env.emu.journal().is_empty());
    let r = into_resp(
        http.put(admin("/state"))
            .json(&state)
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(env.emu.state(), state);
    let missing = into_resp(
        http.get(admin("/state?clientId=nobody"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    missing.assert_error(404, "not.found");

    // Realism settings, per org, as data.
    let r = into_resp(http.get(admin("/realism")).send().await.expect("send")).await;
    assert_eq!(
        r.json(),
        json!({"test_timeout": "body", "patch_response": "full", "conflict_status": "409", "rate_limit_scope": "token"})
    );
    let r = into_resp(
        http.put(admin("/realism"))
            .json(&json!({"test_timeout": "http408"}))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        env.emu.realism(None).map(|r| r.test_timeout),
        Some(genesys_emulator::TestTimeout::Http408)
    );
    let r = into_resp(
        http.put(admin("/realism"))
            .json(&json!({"patch_response": "bare", "conflict_status": "400"}))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        env.emu.realism(None),
        Some(genesys_emulator::Realism::pessimistic())
    );
    let bad = into_resp(
        http.put(admin("/realism"))
            .json(&json!({"test_timeout": "http500"}))
            .send()
            .await
            .expect("send"),
    )
    .await;
    bad.assert_error(400, "bad.request");
    let nobody = into_resp(
        http.put(admin("/realism?clientId=nobody"))
            .json(&json!({}))
            .send()
            .await
            .expect("send"),
    )
    .await;
    nobody.assert_error(404, "not.found");
}

#[tokio::test]
async fn admin_endpoints_refuse_other_peers() {
    let emu = genesys_emulator::Emulator::new(Config::default());
    for peer in [Some("10.1.2.3:5555"), None] {
        let mut req = axum::http::Request::builder()
            .uri("/__emulator/state")
            .body(axum::body::Body::empty())
            .expect("req");
        if let Some(p) = peer {
            req.extensions_mut()
                .insert(ConnectInfo(p.parse::<SocketAddr>().expect("addr")));
        }
        let resp = emu.router().oneshot(req).await.expect("infallible");
        assert_eq!(resp.status(), 403);
        assert!(resp.headers().contains_key("inin-correlation-id"));
    }
}

#[tokio::test]
async fn orgs_are_separate() {
    let cfg = Config {
        orgs: vec![
            OrgCredentials::default(),
            OrgCredentials {
                client_id: "acme".into(),
                client_secret: "acme-secret".into(),
                name: "Acme".into(),
                ..OrgCredentials::default()
            },
        ],
        ..fast()
    };
    let env = start(cfg).await;
    let acme = fetch_token(&env.http, &env.running.base_url, "acme", "acme-secret")
        .await
        .expect("token");
    let stored = env.stored("Validate Postal Code");
    let id = stored["id"].as_str().expect("id");
    let mut body = json!({"version": stored["version"], "config": stored["config"]});
    body["config"]["timeoutSeconds"] = json!(7);
    let r = env
        .call_with(
            &acme,
            Method::PATCH,
            &format!("{ACTIONS}/{id}"),
            Some(&body),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        env.stored("Validate Postal Code"),
        stored,
        "default org untouched"
    );
    let acme_state = env.emu.org_state("acme").expect("acme");
    let acme_action = acme_state["actions"]
        .as_array()
        .expect("a")
        .iter()
        .find(|a| a["id"] == id)
        .expect("action")
        .clone();
    assert_eq!(acme_action["config"]["timeoutSeconds"], 7);
    assert_eq!(acme_state["org"]["name"], "Acme");
    assert!(env.emu.org_state("nobody").is_none());
    let j = env.emu.journal();
    assert_eq!(j.last().and_then(|e| e.client_id.as_deref()), Some("acme"));
    // A token of one org is no use for the other org's credentials check.
    assert!(fetch_token(
        &env.http,
        &env.running.base_url,
        "acme",
        "sandbox-secret-not-for-production"
    )
    .await
    .is_err());
}

#[tokio::test]
async fn faults_from_files() {
    let dir = tempfile::tempdir().expect("dir");
    let toml_path = dir.path().join("f.toml");
    std::fs::write(&toml_path, "[[faults]]\nname = \"a\"\npath = \"/api/**\"\ntrigger = { type = \"every\", n = 2 }\naction = { type = \"status\", status = 502 }\n").expect("write");
    let json_path = dir.path().join("f.json");
    std::fs::write(
        &json_path,
        r#"{"faults":[{"path":"/oauth/token","action":{"type":"ExpireToken"}}]}"#,
    )
    .expect("write");
    let t = genesys_emulator::load_faults(&toml_path).expect("toml");
    assert_eq!(t[0].trigger, Trigger::Every { n: 2 });
    let j = genesys_emulator::load_faults(&json_path).expect("json");
    assert_eq!(j[0].action, FaultAction::ExpireToken);
    assert!(genesys_emulator::load_faults(&dir.path().join("none.toml")).is_err());

    let env = start(Config {
        faults: t,
        ..fast()
    })
    .await;
    assert_eq!(env.get(ACTIONS).await.status, 200);
    env.get(ACTIONS).await.assert_error(502, "bad.gateway");
    let rules: Vec<FaultRule> = env.emu.faults();
    assert_eq!(rules.len(), 1);
}

/// Ten thousand generated actions page completely, with config, and small pages anywhere in
/// the listing answer. How fast is a benchmark's business (`scripts/emulator-bench/run.sh`), not
/// a test's: a shared 2-core machine makes any time bound flaky.
#[tokio::test]
async fn ten_thousand_actions_list_completely() {
    let env = start(Config {
        synthetic_actions: 10_000,
        ..fast()
    })
    .await;
    let mut seen = 0;
    let mut n = 1;
    loop {
        let p = env
            .get(&format!(
                "{ACTIONS}?pageSize=500&pageNumber={n}&includeConfig=true"
            ))
            .await
            .json();
        let page = p["entities"].as_array().cloned().unwrap_or_default();
        assert!(
            page.iter().all(|a| a["config"].is_object()),
            "page {n} has an action without config"
        );
        seen += page.len();
        if p.get("nextUri").is_none() {
            assert_eq!(p["total"].as_u64(), Some(seen as u64));
            break;
        }
        n += 1;
    }
    assert!(seen > 10_000);
    for i in 0..50 {
        let r = env
            .get(&format!("{ACTIONS}?pageSize=25&pageNumber={}", 1 + i * 7))
            .await;
        assert_eq!(r.status, 200);
    }
    let _: Value = env
        .get(&format!("{ACTIONS}?name=invoice&pageSize=5"))
        .await
        .json();
}

/// A function data action is stopped at the smaller of its own timeout and its function's,
/// and a timed-out test is answered as the org's realism setting says (U18).
#[tokio::test]
async fn function_timeouts_bound_tests_and_realism_chooses_the_answer() {
    let env = start(fast()).await;
    let id = env.id_of("Compute Callback Slot");
    // The backend now takes 12 s: past the function's 10 s, within the action's 15 s.
    let mut state = env.emu.state();
    state["x-emulator"]["latencyMs"][&id] = json!(12_000);
    env.emu.load_state(state).expect("state");
    let input = json!({"timezone": "Europe/Brussels", "preferred": "morning"});
    let r = env
        .post(&format!("{ACTIONS}/{id}/test"), Some(&input))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    assert_eq!(v["success"], false);
    assert_eq!(v["error"]["code"], "request.timeout");
    assert!(
        v["error"]["message"]
            .as_str()
            .expect("message")
            .contains("the function's timeout of 10 seconds"),
        "{v}"
    );
    env.emu.set_realism(
        None,
        genesys_emulator::Realism {
            test_timeout: genesys_emulator::TestTimeout::Http504,
            ..genesys_emulator::Realism::default()
        },
    );
    env.post(&format!("{ACTIONS}/{id}/test"), Some(&input))
        .await
        .assert_error(504, "request.timeout");
    env.emu.set_realism(
        None,
        genesys_emulator::Realism {
            test_timeout: genesys_emulator::TestTimeout::Http408,
            ..genesys_emulator::Realism::default()
        },
    );
    env.post(&format!("{ACTIONS}/{id}/test"), Some(&input))
        .await
        .assert_error(408, "client.timeout");
    // A test that does not time out is unaffected by the setting.
    let quick = env.id_of("Validate Postal Code");
    let r = env
        .post(
            &format!("{ACTIONS}/{quick}/test"),
            Some(&json!({"country": "BE", "postalCode": "1000"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["success"], true);
    assert_eq!(
        env.emu.realism(None).map(|r| r.test_timeout),
        Some(genesys_emulator::TestTimeout::Http408)
    );
    // The function settings never show up in the action's config.
    assert!(env.stored("Compute Callback Slot")["config"]
        .get("function")
        .is_none());
}

#[tokio::test]
async fn integrations_and_function_settings_need_their_own_permissions() {
    let env = start(Config {
        orgs: vec![OrgCredentials {
            permissions: Some(vec!["integrations:action:*".to_string()]),
            ..OrgCredentials::default()
        }],
        ..fast()
    })
    .await;
    let id = env.id_of("Compute Callback Slot");
    env.get("/api/v2/integrations")
        .await
        .assert_error(403, "missing.permissions");
    let e = env
        .get(&format!("{ACTIONS}/{id}/function"))
        .await
        .assert_error(403, "missing.permissions");
    assert!(e["message"]
        .as_str()
        .expect("message")
        .contains("integrations:actionFunction:view"));
}
