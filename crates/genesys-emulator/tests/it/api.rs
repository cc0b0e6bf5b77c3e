//! Integration tests of the emulated API over real HTTP on 127.0.0.1.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::common::*;
use genesys_emulator::{Config, EditField, Emulator, FaultAction, FaultRule, Trigger};
use reqwest::Method;
use serde_json::{json, Value};

fn action_path(id: &str) -> String {
    format!("{ACTIONS}/{id}")
}

/// A PATCH body from a stored action: full config with template text, `*Uri` never sent.
fn patch_body(stored: &Value, timeout: Option<i64>) -> Value {
    let mut config = stored["config"].clone();
    match timeout {
        Some(t) => config["timeoutSeconds"] = json!(t),
        None => {
            config
                .as_object_mut()
                .expect("config")
                .remove("timeoutSeconds");
        }
    }
    json!({"name": stored["name"], "category": stored["category"], "version": stored["version"], "config": config})
}

#[tokio::test]
async fn oauth_client_credentials() {
    let env = start_default().await;
    let r = into_resp(
        env.http
            .post(env.url("/oauth/token"))
            .basic_auth(
                genesys_emulator::DEFAULT_CLIENT_ID,
                Some(genesys_emulator::DEFAULT_CLIENT_SECRET),
            )
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.header("inin-correlation-id").is_some());
    let body = r.json();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 86_400);
    assert!(body["access_token"].as_str().is_some_and(|t| t.len() >= 32));

    let bad = fetch_token(&env.http, &env.running.base_url, "dactl-sandbox", "wrong")
        .await
        .expect_err("bad secret");
    assert_eq!(bad.status, 401);
    let b = bad.json();
    assert_eq!(b["error"], "invalid_client");
    assert!(b["description"].is_string() && b["error_description"].is_string());
    assert!(bad.header("inin-correlation-id").is_some());

    let grant = into_resp(
        env.http
            .post(env.url("/oauth/token"))
            .basic_auth("dactl-sandbox", Some("sandbox-secret-not-for-production"))
            .form(&[("grant_type", "password")])
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(grant.status, 400);
    assert_eq!(grant.json()["error"], "unsupported_grant_type");

    // No token, unknown token.
    let r = into_resp(env.http.get(env.url(ACTIONS)).send().await.expect("send")).await;
    r.assert_error(401, "authentication.required");
    env.call_with("not-a-token", Method::GET, ACTIONS, None)
        .await
        .assert_error(401, "authentication.required");
}

#[tokio::test]
async fn errors_are_error_bodies_with_context_id() {
    let env = start_default().await;
    env.get(&action_path("nope"))
        .await
        .assert_error(404, "not.found");
    env.get("/api/v2/somewhere/else")
        .await
        .assert_error(404, "not.found");
    env.get(&format!("{ACTIONS}?pageSize=abc"))
        .await
        .assert_error(400, "invalid.query.param.value");
    env.get(&format!("{ACTIONS}?secure=maybe"))
        .await
        .assert_error(400, "invalid.query.param.value");
    let ok = env.get(ACTIONS).await;
    assert_eq!(ok.status, 200);
    let a = ok.header("inin-correlation-id").expect("cid");
    let b = env
        .get(ACTIONS)
        .await
        .header("inin-correlation-id")
        .expect("cid");
    assert_ne!(a, b, "a fresh correlation id per request");
}

#[tokio::test]
async fn paging_envelope_and_walk() {
    let env = start(Config {
        synthetic_actions: 120,
        ..Config::default()
    })
    .await;
    let first = env.get(&format!("{ACTIONS}?pageSize=25&name=")).await;
    assert_eq!(first.status, 200);
    let page = first.json();
    let keys: Vec<&str> = page
        .as_object()
        .expect("obj")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "entities",
            "pageSize",
            "pageNumber",
            "total",
            "pageCount",
            "firstUri",
            "nextUri",
            "lastUri",
            "selfUri"
        ]
    );
    let total = page["total"].as_u64().expect("total");
    assert_eq!(page["pageCount"].as_u64(), Some(total.div_ceil(25)));
    assert_eq!(page["entities"].as_array().map(Vec::len), Some(25));
    assert!(page["nextUri"]
        .as_str()
        .expect("next")
        .starts_with("/api/v2/integrations/actions?pageSize=25&pageNumber=2"));
    assert!(
        page["entities"][0].get("config").is_none(),
        "config only with includeConfig"
    );

    // Walk every page by pageNumber; ids unique, order by name.
    let mut ids = BTreeSet::new();
    let mut names = Vec::new();
    let mut n = 1;
    loop {
        let p = env
            .get(&format!("{ACTIONS}?pageSize=25&pageNumber={n}"))
            .await
            .json();
        for e in p["entities"].as_array().expect("entities") {
            assert!(ids.insert(e["id"].as_str().expect("id").to_owned()));
            names.push(e["name"].as_str().expect("name").to_lowercase());
        }
        if p.get("nextUri").is_none() {
            assert_eq!(p["pageNumber"], p["pageCount"]);
            assert_eq!(p["lastUri"], p["selfUri"]);
            break;
        }
        n += 1;
    }
    assert_eq!(ids.len() as u64, total);
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert!(
        !ids.iter().any(|i| i.starts_with("customAuth")),
        "custom auth hidden by default"
    );

    // Cap, echo, auth actions, descending.
    let big = env.get(&format!("{ACTIONS}?pageSize=100000")).await.json();
    assert_eq!(big["pageSize"], 500);
    assert_eq!(
        big["entities"].as_array().map(Vec::len),
        Some(total as usize)
    );
    assert!(big.get("nextUri").is_none());
    let with_auth = env
        .get(&format!("{ACTIONS}?pageSize=500&includeAuthActions=true"))
        .await
        .json();
    assert_eq!(with_auth["total"].as_u64(), Some(total + 1));
    let desc = env
        .get(&format!("{ACTIONS}?pageSize=500&sortOrder=DESC"))
        .await
        .json();
    let first_desc = desc["entities"][0]["name"]
        .as_str()
        .expect("name")
        .to_lowercase();
    assert_eq!(&first_desc, names.last().expect("names"));
    // Past the end: an empty page, no nextUri.
    let past = env
        .get(&format!("{ACTIONS}?pageSize=25&pageNumber=999"))
        .await
        .json();
    assert_eq!(past["entities"], json!([]));
    assert!(past.get("nextUri").is_none());
}

#[tokio::test]
async fn listing_filters() {
    let env = start_default().await;
    let names = |v: &Value| -> Vec<String> {
        v["entities"]
            .as_array()
            .expect("entities")
            .iter()
            .map(|e| e["name"].as_str().expect("name").to_owned())
            .collect()
    };
    let by_name = env
        .get(&format!("{ACTIONS}?name=CONTACT%20by%20phone"))
        .await
        .json();
    assert_eq!(
        names(&by_name),
        [
            "Get Contact By Phone Number",
            "Get Contact By Phone Number",
            "Get External Contact By Phone Number"
        ]
    );
    let cat = env
        .get(&format!("{ACTIONS}?category=Utilities"))
        .await
        .json();
    assert_eq!(
        names(&cat),
        [
            "Check Store Hours",
            "Get Weather Forecast",
            "Validate Postal Code"
        ]
    );
    let secure = env
        .get(&format!("{ACTIONS}?secure=true&pageSize=100"))
        .await
        .json();
    assert!(secure["entities"]
        .as_array()
        .expect("e")
        .iter()
        .all(|e| e["secure"] == true));
    assert!(secure["total"].as_u64().expect("total") >= 5);
    let a = env.id_of("Create Case");
    let b = env.id_of("Get Weather Forecast");
    let ids = env
        .get(&format!("{ACTIONS}?ids={a},{b}&includeConfig=true"))
        .await
        .json();
    assert_eq!(ids["total"], 2);
    assert!(ids["entities"][0]["config"].is_object());
    let many: Vec<String> = (0..51).map(|i| format!("id{i}")).collect();
    env.get(&format!("{ACTIONS}?ids={}", many.join(",")))
        .await
        .assert_error(400, "invalid.query.param.value");
    let drafts = env
        .get(&format!("{ACTIONS}/drafts?includeConfig=true"))
        .await
        .json();
    assert_eq!(
        names(&drafts),
        ["Search Tickets By Requester", "Update Case Status"]
    );
    assert_eq!(
        drafts["entities"][1]["config"]["request"]["requestTemplateUri"],
        format!(
            "{ACTIONS}/{}/draft/templates/requesttemplate.vm",
            env.id_of("Update Case Status")
        )
    );
}

#[tokio::test]
async fn templates_by_uri_never_text() {
    let env = start_default().await;
    let stored = env.stored("Create Case");
    let id = stored["id"].as_str().expect("id");
    let g = env
        .get(&format!(
            "{}?expand=contract&includeConfig=true",
            action_path(id)
        ))
        .await;
    assert_eq!(g.status, 200);
    let a = g.json();
    assert!(a["contract"]["input"]["inputSchema"].is_object());
    let req = &a["config"]["request"];
    assert!(req.get("requestTemplate").is_none());
    assert_eq!(
        req["requestTemplateUri"],
        format!("{ACTIONS}/{id}/templates/requesttemplate.vm")
    );
    assert_eq!(
        a["config"]["response"]["successTemplateUri"],
        format!("{ACTIONS}/{id}/templates/successtemplate.vm")
    );
    assert!(!g.text.contains("Rückruf"), "template text never inline");
    let plain = env.get(&action_path(id)).await.json();
    assert!(plain.get("config").is_none() && plain.get("contract").is_none());
    assert_eq!(plain["selfUri"], action_path(id));

    let t = env
        .get(&format!("{ACTIONS}/{id}/templates/requesttemplate.vm"))
        .await;
    assert_eq!(t.status, 200);
    assert!(t
        .header("content-type")
        .expect("ct")
        .starts_with("text/plain"));
    assert_eq!(
        t.text,
        stored["config"]["request"]["requestTemplate"]
            .as_str()
            .expect("text")
    );
    assert!(
        t.text.contains('"')
            && t.text.contains('\\')
            && t.text.contains('\n')
            && t.text.contains('ü')
            && t.text.contains('📞')
    );

    let none = env.id_of("Validate Postal Code");
    env.get(&format!("{ACTIONS}/{none}/templates/requesttemplate.vm"))
        .await
        .assert_error(404, "not.found");
    env.get(&format!("{ACTIONS}/{id}/templates/other.vm"))
        .await
        .assert_error(404, "not.found");
    let draft_id = env.id_of("Update Case Status");
    let t2 = env
        .get(&format!(
            "{ACTIONS}/{draft_id}/draft/templates/successtemplate.vm"
        ))
        .await;
    assert_eq!((t2.status.as_u16(), t2.text.as_str()), (200, "{}"));
    env.get(&format!("{ACTIONS}/{id}/draft"))
        .await
        .assert_error(404, "not.found");
}

#[tokio::test]
async fn patch_replaces_config_and_bumps_version() {
    let env = start_default().await;
    let stored = env.stored("Create Case");
    let id = stored["id"].as_str().expect("id").to_owned();
    let v = stored["version"].as_i64().expect("version");

    // A naive GET -> PATCH: URIs instead of text, no headers. The templates are erased.
    let got = env
        .get(&format!("{}?includeConfig=true", action_path(&id)))
        .await
        .json();
    let mut config = got["config"].clone();
    config["timeoutSeconds"] = json!(42);
    config["request"]
        .as_object_mut()
        .expect("req")
        .remove("headers");
    let r = env.patch(&action_path(&id), &json!({"name": got["name"], "category": got["category"], "version": v, "config": config})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let out = r.json();
    assert_eq!(out["version"], v + 1);
    assert_eq!(out["config"]["timeoutSeconds"], 42);
    assert!(
        out["config"]["request"].get("requestTemplateUri").is_none(),
        "template erased"
    );
    assert!(
        out["config"]["request"].get("headers").is_none(),
        "headers erased"
    );
    env.get(&format!("{ACTIONS}/{id}/templates/requesttemplate.vm"))
        .await
        .assert_error(404, "not.found");

    // The careful PATCH: text inlined, unknown fields kept, timeout omitted = cleared.
    let other = env.stored("Create Ticket");
    let oid = other["id"].as_str().expect("id");
    let mut body = patch_body(&other, None);
    body["config"]["request"]["requestTemplateUri"] = json!("/should/be/dropped");
    let r = env.patch(&action_path(oid), &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let after = env.stored("Create Ticket");
    assert!(after["config"].get("timeoutSeconds").is_none());
    assert!(after["config"]["request"]
        .get("requestTemplateUri")
        .is_none());
    assert_eq!(
        after["config"]["request"]["requestTemplate"],
        other["config"]["request"]["requestTemplate"]
    );
    assert_eq!(
        after["config"]["retryPolicy"],
        other["config"]["retryPolicy"]
    );
    assert_eq!(
        after["config"]["response"]["responseCaching"],
        other["config"]["response"]["responseCaching"]
    );
    assert_eq!(after["version"], other["version"].as_i64().expect("v") + 1);
    let t = env
        .get(&format!("{ACTIONS}/{oid}/templates/requesttemplate.vm"))
        .await;
    assert_eq!(
        t.text,
        other["config"]["request"]["requestTemplate"]
            .as_str()
            .expect("text")
    );

    // Stale version: 409, nothing written.
    let r = env
        .patch(&action_path(oid), &patch_body(&other, Some(9)))
        .await;
    let e = r.assert_error(409, "request.conflict");
    assert!(e["message"].as_str().expect("m").contains("does not match"));
    assert_eq!(env.stored("Create Ticket"), after);
    // Missing / mistyped version: 400.
    env.patch(&action_path(oid), &json!({"config": {}}))
        .await
        .assert_error(400, "bad.request");
    env.patch(&action_path(oid), &json!({"version": "7", "config": {}}))
        .await
        .assert_error(400, "invalid.value");
    env.patch(&action_path("missing"), &json!({"version": 1}))
        .await
        .assert_error(404, "not.found");
}

#[tokio::test]
async fn timeout_validation_and_refusals() {
    let env = start_default().await;
    let stored = env.stored("Lookup Order Status");
    let id = stored["id"].as_str().expect("id").to_owned();
    for bad in [json!(0), json!(61), json!(1.5), json!(-1)] {
        let mut body = patch_body(&stored, None);
        body["config"]["timeoutSeconds"] = bad;
        env.patch(&action_path(&id), &body)
            .await
            .assert_error(400, "constraint.validation");
    }
    let mut body = patch_body(&stored, None);
    body["config"]["timeoutSeconds"] = json!("30");
    env.patch(&action_path(&id), &body)
        .await
        .assert_error(400, "invalid.value");
    for ok in [1, 60] {
        let cur = env.stored("Lookup Order Status");
        let r = env
            .patch(&action_path(&id), &patch_body(&cur, Some(ok)))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }

    // Custom auth: no timeout, but other edits are fine.
    let state = env.emu.state();
    let ca = state["actions"]
        .as_array()
        .expect("a")
        .iter()
        .find(|a| {
            a["id"]
                .as_str()
                .is_some_and(|i| i.starts_with("customAuth_-_"))
        })
        .expect("customAuth")
        .clone();
    let caid = ca["id"].as_str().expect("id");
    env.patch(&action_path(caid), &patch_body(&ca, Some(10)))
        .await
        .assert_error(400, "constraint.validation");
    assert_eq!(
        env.patch(&action_path(caid), &patch_body(&ca, None))
            .await
            .status,
        200
    );
    assert_eq!(
        env.get(&action_path(caid)).await.status,
        200,
        "G1 finds custom auth actions"
    );

    // Static: read-only.
    let st = env.stored("Get Authenticated User");
    let sid = st["id"].as_str().expect("id");
    assert!(sid.starts_with("static_"));
    let r = env
        .patch(&action_path(sid), &patch_body(&st, Some(10)))
        .await;
    assert!(r.status.is_client_error());
    r.assert_error(400, "bad.request");
    assert_eq!(env.stored("Get Authenticated User"), st);

    // PATCH of the published action leaves the open draft alone.
    let pubd = env.stored("Update Case Status");
    let pid = pubd["id"].as_str().expect("id");
    let draft_before = env
        .get(&format!("{ACTIONS}/{pid}/draft?includeConfig=true"))
        .await
        .json();
    assert_eq!(
        env.patch(&action_path(pid), &patch_body(&pubd, Some(33)))
            .await
            .status,
        200
    );
    let draft_after = env
        .get(&format!("{ACTIONS}/{pid}/draft?includeConfig=true"))
        .await
        .json();
    assert_eq!(draft_before, draft_after);
    assert_eq!(draft_after["config"]["timeoutSeconds"], 45);
}

#[tokio::test]
async fn draft_patch_uses_the_draft_version() {
    let env = start_default().await;
    let id = env.id_of("Update Case Status");
    let draft = env.emu.state()["drafts"]
        .as_array()
        .expect("d")
        .iter()
        .find(|d| d["id"] == id.as_str())
        .expect("draft")
        .clone();
    assert_eq!(draft["version"], 2);
    let mut body = patch_body(&draft, Some(50));
    body["version"] = json!(7); // the published version: stale for the draft
    env.patch(&format!("{ACTIONS}/{id}/draft"), &body)
        .await
        .assert_error(409, "request.conflict");
    body["version"] = json!(2);
    let r = env.patch(&format!("{ACTIONS}/{id}/draft"), &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["version"], 3);
    assert_eq!(r.json()["config"]["timeoutSeconds"], 50);
    assert_eq!(
        env.stored("Update Case Status")["version"],
        7,
        "published untouched"
    );
}

#[tokio::test]
async fn rate_limit_429_shape() {
    let env = start(Config {
        rate_limit_per_minute: Some(3),
        ..Config::default()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(env.get(ACTIONS).await.status, 200);
    }
    let r = env.get(ACTIONS).await;
    let secs: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("whole seconds");
    assert!((1..=60).contains(&secs));
    let body = r.assert_error(429, "too.many.requests.retry.after");
    assert_eq!(
        body["message"],
        format!("Rate limit exceeded the maximum. Retry the request in [{secs}] seconds")
    );
    let keys: Vec<&str> = body
        .as_object()
        .expect("o")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "message",
            "code",
            "status",
            "contextId",
            "details",
            "errors"
        ]
    );
    // Another token has its own budget.
    let other = fetch_token(
        &env.http,
        &env.running.base_url,
        "dactl-sandbox",
        "sandbox-secret-not-for-production",
    )
    .await
    .expect("token");
    assert_eq!(
        env.call_with(&other, Method::GET, ACTIONS, None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn tokens_expire() {
    let env = start(Config {
        token_ttl: Duration::from_millis(300),
        ..Config::default()
    })
    .await;
    assert_eq!(env.get(ACTIONS).await.status, 200);
    tokio::time::sleep(Duration::from_millis(350)).await;
    env.get(ACTIONS)
        .await
        .assert_error(401, "authentication.required");
    let fresh = fetch_token(
        &env.http,
        &env.running.base_url,
        "dactl-sandbox",
        "sandbox-secret-not-for-production",
    )
    .await
    .expect("token");
    assert_eq!(
        env.call_with(&fresh, Method::GET, ACTIONS, None)
            .await
            .status,
        200
    );
}

fn rule(
    name: &str,
    method: Option<&str>,
    path: &str,
    trigger: Trigger,
    action: FaultAction,
) -> FaultRule {
    FaultRule {
        name: Some(name.into()),
        method: method.map(Into::into),
        path: path.into(),
        trigger,
        action,
        times: None,
    }
}

#[tokio::test]
async fn fault_status_with_retry_after() {
    let env = start_default().await;
    env.emu.set_faults(vec![FaultRule {
        times: Some(1),
        ..rule(
            "list-503",
            Some("GET"),
            ACTIONS,
            Trigger::Nth { n: 2 },
            FaultAction::Status {
                status: 503,
                retry_after: Some(2),
                code: None,
                message: None,
            },
        )
    }]);
    assert_eq!(env.get(ACTIONS).await.status, 200);
    let r = env.get(ACTIONS).await;
    r.assert_error(503, "service.unavailable");
    assert_eq!(r.header("retry-after").as_deref(), Some("2"));
    assert_eq!(env.get(ACTIONS).await.status, 200);
    let j = env.emu.journal();
    assert_eq!(
        j.iter()
            .filter(|e| e.fault.as_deref() == Some("list-503"))
            .count(),
        1
    );

    env.emu.set_faults(vec![rule(
        "t429",
        None,
        "/api/**",
        Trigger::Always,
        FaultAction::Status {
            status: 429,
            retry_after: Some(7),
            code: None,
            message: None,
        },
    )]);
    let r = env.get(&action_path("x")).await;
    assert_eq!(
        r.json()["message"],
        "Rate limit exceeded the maximum. Retry the request in [7] seconds"
    );
    assert_eq!(r.header("retry-after").as_deref(), Some("7"));
}

#[tokio::test]
async fn fault_drop_closes_the_connection() {
    let env = start_default().await;
    env.emu.set_faults(vec![FaultRule {
        times: Some(1),
        ..rule(
            "drop",
            Some("GET"),
            "/api/**",
            Trigger::Always,
            FaultAction::Drop,
        )
    }]);
    let err = env
        .http
        .get(env.url(ACTIONS))
        .bearer_auth(&env.token)
        .send()
        .await;
    assert!(err.is_err(), "expected a transport error, got {err:?}");
    assert_eq!(env.get(ACTIONS).await.status, 200);
    let j = env.emu.journal();
    let dropped = j
        .iter()
        .find(|e| e.fault.as_deref() == Some("drop"))
        .expect("journaled");
    assert_eq!(dropped.status, 0);
}

#[tokio::test]
async fn fault_expire_token() {
    let env = start_default().await;
    env.emu.set_faults(vec![FaultRule {
        times: Some(1),
        ..rule(
            "exp",
            None,
            "/api/**",
            Trigger::Always,
            FaultAction::ExpireToken,
        )
    }]);
    env.get(ACTIONS)
        .await
        .assert_error(401, "authentication.required");
    env.get(ACTIONS)
        .await
        .assert_error(401, "authentication.required");
    let fresh = fetch_token(
        &env.http,
        &env.running.base_url,
        "dactl-sandbox",
        "sandbox-secret-not-for-production",
    )
    .await
    .expect("token");
    assert_eq!(
        env.call_with(&fresh, Method::GET, ACTIONS, None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn fault_concurrent_edit() {
    let env = start_default().await;
    let stored = env.stored("Get Customer Profile");
    let id = stored["id"].as_str().expect("id").to_owned();
    env.emu.set_faults(vec![FaultRule {
        times: Some(1),
        ..rule(
            "editor",
            Some("PATCH"),
            &format!("{ACTIONS}/*"),
            Trigger::Always,
            FaultAction::ConcurrentEdit {
                field: EditField::Other,
            },
        )
    }]);
    env.patch(&action_path(&id), &patch_body(&stored, Some(20)))
        .await
        .assert_error(409, "request.conflict");
    let edited = env.stored("Get Customer Profile");
    assert_eq!(
        edited["version"],
        stored["version"].as_i64().expect("v") + 1
    );
    assert_eq!(
        edited["config"]["timeoutSeconds"], 60,
        "timeout untouched by an `other` edit"
    );
    assert!(edited["config"]["request"]["headers"]["X-Concurrent-Edit"].is_string());
    // Re-read and re-apply: succeeds, and keeps the other user's change.
    let r = env
        .patch(&action_path(&id), &patch_body(&edited, Some(20)))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        env.stored("Get Customer Profile")["config"]["request"]["headers"]["X-Concurrent-Edit"]
            .is_string()
    );

    env.emu.set_faults(vec![rule(
        "t",
        Some("PATCH"),
        "/api/**",
        Trigger::Always,
        FaultAction::ConcurrentEdit {
            field: EditField::Timeout,
        },
    )]);
    let cur = env.stored("Get Customer Profile");
    env.patch(&action_path(&id), &patch_body(&cur, Some(30)))
        .await
        .assert_error(409, "request.conflict");
    assert_eq!(
        env.stored("Get Customer Profile")["config"]["timeoutSeconds"],
        45
    );
}

#[tokio::test]
async fn journal_records_requests_without_secrets() {
    let env = start_default().await;
    env.emu.clear_journal();
    let stored = env.stored("Check Store Hours");
    let id = stored["id"].as_str().expect("id");
    let r = env.get(&format!("{ACTIONS}?pageSize=5")).await;
    let body = patch_body(&stored, Some(9));
    env.patch(&action_path(id), &body).await;
    let _ = fetch_token(
        &env.http,
        &env.running.base_url,
        "dactl-sandbox",
        "sandbox-secret-not-for-production",
    )
    .await;
    let j = env.emu.journal();
    assert_eq!(j.len(), 3);
    assert_eq!(
        (
            j[0].method.as_str(),
            j[0].path.as_str(),
            j[0].query.as_deref(),
            j[0].status
        ),
        ("GET", ACTIONS, Some("pageSize=5"), 200)
    );
    assert_eq!(
        j[0].correlation_id,
        r.header("inin-correlation-id").expect("cid")
    );
    assert_eq!(j[0].client_id.as_deref(), Some("dactl-sandbox"));
    assert_eq!(j[1].method, "PATCH");
    assert_eq!(j[1].body.as_ref(), Some(&body));
    assert_eq!(j[2].path, "/oauth/token");
    assert_eq!(j[2].client_id.as_deref(), Some("dactl-sandbox"));
    assert!(j[0].seq < j[1].seq && j[1].seq < j[2].seq);
    let dump = serde_json::to_string(&j).expect("json");
    assert!(!dump.contains(&env.token));
    assert!(!dump.contains("sandbox-secret-not-for-production"));
    assert!(!serde_json::to_string(&env.emu.state())
        .expect("json")
        .contains("sandbox-secret"));
}

#[tokio::test]
async fn state_is_deterministic_and_round_trips() {
    let cfg = || Config {
        seed: 7,
        synthetic_actions: 300,
        ..Config::default()
    };
    let a = serde_json::to_string(&Emulator::new(cfg()).state()).expect("json");
    let b = serde_json::to_string(&Emulator::new(cfg()).state()).expect("json");
    assert_eq!(a, b);
    let c =
        serde_json::to_string(&Emulator::new(Config { seed: 8, ..cfg() }).state()).expect("json");
    assert_ne!(a, c);

    let env = start_default().await;
    let stored = env.stored("Get Weather Forecast");
    let id = stored["id"].as_str().expect("id");
    assert_eq!(
        env.patch(&action_path(id), &patch_body(&stored, Some(12)))
            .await
            .status,
        200
    );
    let changed = env.emu.state();
    let fresh = Emulator::new(Config::default());
    assert_ne!(fresh.state(), changed);
    fresh.load_state(changed.clone()).expect("load");
    assert_eq!(fresh.state(), changed);
    assert!(fresh
        .load_state(json!({"actions": [{"name": "x"}]}))
        .is_err());
    env.emu.reset();
    assert_eq!(env.emu.state(), Emulator::new(Config::default()).state());
    assert!(env.emu.journal().is_empty());
}

/// Realism settings (genesys-api.md §7 U4, U17): what a PATCH answers and how a stale version
/// is refused, per org and at run time; a stale draft publish answers 400 whatever they say.
#[tokio::test]
async fn realism_patch_answers_and_conflict_statuses() {
    use genesys_emulator::{ConflictStatus, PatchResponse, Realism};
    let env = start_default().await;
    assert_eq!(env.emu.realism(None), Some(Realism::default()));
    let id = env.id_of("Create Case");
    let path = action_path(&id);

    // Default: the full action, 409 for a stale version.
    let stored = env.stored("Create Case");
    let r = env.patch(&path, &patch_body(&stored, Some(11))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["config"]["timeoutSeconds"], 11);
    env.patch(&path, &patch_body(&stored, Some(12)))
        .await
        .assert_error(409, "request.conflict");

    // Pessimistic: no config in the answer, 400 "does not match … version".
    assert!(env.emu.set_realism(None, Realism::pessimistic()));
    let stored = env.stored("Create Case");
    let r = env.patch(&path, &patch_body(&stored, Some(13))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    assert!(v.get("config").is_none(), "{v}");
    assert_eq!(v["id"], id.as_str());
    assert_eq!(
        v["version"],
        stored["version"].as_i64().expect("version") + 1
    );
    assert_eq!(env.stored("Create Case")["config"]["timeoutSeconds"], 13);
    let e = env
        .patch(&path, &patch_body(&stored, Some(14)))
        .await
        .assert_error(400, "bad.request");
    let m = e["message"].as_str().expect("message");
    assert!(m.contains("does not match") && m.contains("version"), "{m}");

    // Empty: 200 without a body.
    env.emu.set_realism(
        None,
        Realism {
            patch_response: PatchResponse::Empty,
            conflict_status: ConflictStatus::Conflict409,
            ..Realism::default()
        },
    );
    let stored = env.stored("Create Case");
    let r = env.patch(&path, &patch_body(&stored, Some(15))).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text, "");
    assert_eq!(env.stored("Create Case")["config"]["timeoutSeconds"], 15);
    assert!(!env.emu.set_realism(Some("nobody"), Realism::default()));

    // A stale draft publish: 400, under the 409 setting too.
    let draft_id = env.id_of("Update Case Status");
    let e = env
        .post(
            &format!("{ACTIONS}/{draft_id}/draft/publish"),
            Some(&json!({"version": 1})),
        )
        .await
        .assert_error(400, "bad.request");
    assert!(e["message"]
        .as_str()
        .expect("message")
        .contains("does not match latest draft version 2"));
}

/// `drop_after` and `status_after`: the write is applied, its answer lost; the journal keeps
/// the status the handler answered.
#[tokio::test]
async fn faults_that_lose_the_answer_of_an_applied_write() {
    let env = start_default().await;
    let id = env.id_of("Create Case");
    let path = action_path(&id);
    env.emu.set_faults(vec![FaultRule {
        times: Some(1),
        ..rule(
            "drop-after",
            Some("PATCH"),
            &path,
            Trigger::Always,
            FaultAction::DropAfter,
        )
    }]);
    let stored = env.stored("Create Case");
    let sent = env
        .http
        .patch(env.url(&path))
        .bearer_auth(&env.token)
        .json(&patch_body(&stored, Some(21)))
        .send()
        .await;
    assert!(sent.is_err(), "expected a transport error, got {sent:?}");
    assert_eq!(
        env.stored("Create Case")["config"]["timeoutSeconds"],
        21,
        "applied"
    );
    env.emu.set_faults(vec![rule(
        "504-after",
        Some("PATCH"),
        &path,
        Trigger::Always,
        FaultAction::StatusAfter { status: 504 },
    )]);
    let stored = env.stored("Create Case");
    env.patch(&path, &patch_body(&stored, Some(22)))
        .await
        .assert_error(504, "request.timeout");
    assert_eq!(
        env.stored("Create Case")["config"]["timeoutSeconds"],
        22,
        "applied"
    );
    // A refused write stays refused: the handler's 409 is journalled behind the 504.
    env.patch(&path, &patch_body(&stored, Some(23))).await;
    let j = env.emu.journal();
    let lost: Vec<(u16, Option<u16>)> = j
        .iter()
        .filter(|e| e.fault.is_some())
        .map(|e| (e.status, e.handled_status))
        .collect();
    assert_eq!(
        lost,
        vec![(0, Some(200)), (504, Some(200)), (504, Some(409))]
    );
    assert_eq!(env.stored("Create Case")["config"]["timeoutSeconds"], 22);
}
