//! Architect dependency tracking (A1, A2) over real HTTP on 127.0.0.1.

use std::collections::BTreeSet;

use crate::common::*;
use genesys_emulator::Config;
use serde_json::Value;

const A2: &str = "/api/v2/architect/dependencytracking/consumingresources";
const A1: &str = "/api/v2/architect/dependencytracking/object";

fn names(listing: &Value) -> BTreeSet<String> {
    listing["entities"]
        .as_array()
        .expect("entities")
        .iter()
        .map(|e| e["name"].as_str().expect("name").to_owned())
        .collect()
}

#[tokio::test]
async fn consuming_resources_lists_the_flows_of_an_action() {
    let env = start_default().await;
    let id = env.id_of("Get Customer Profile");
    let r = env
        .get(&format!("{A2}?id={id}&objectType=DATAACTION"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.header("inin-correlation-id").is_some());
    let v = r.json();
    // A secure action: the index keeps some of its consumers under SECUREACTION.
    assert_eq!(names(&v), BTreeSet::from(["Billing IVR".to_string()]));
    assert_eq!(v["total"], 1);
    let secure = env
        .get(&format!("{A2}?id={id}&objectType=SECUREACTION"))
        .await
        .json();
    assert_eq!(
        names(&secure),
        ["Customer Lookup Module", "Main IVR"]
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>()
    );
    // A non-secure action has everything under DATAACTION and nothing under SECUREACTION.
    let plain = env.id_of("Check Store Hours");
    let all = env
        .get(&format!("{A2}?id={plain}&objectType=DATAACTION"))
        .await
        .json();
    assert_eq!(all["total"], 2);
    let none = env
        .get(&format!("{A2}?id={plain}&objectType=SECUREACTION"))
        .await
        .json();
    assert_eq!(none["total"], 0);
    assert_eq!(v["pageNumber"], 1);
    assert_eq!(v["pageCount"], 1);
    assert!(v.get("nextUri").is_none());
    let e = &v["entities"][0];
    for key in [
        "id",
        "name",
        "version",
        "type",
        "deleted",
        "updated",
        "stateUnknown",
        "selfUri",
    ] {
        assert!(e.get(key).is_some(), "Dependency has `{key}`: {e}");
    }
    assert!(e["version"].is_string());

    // Same answer twice (deterministic), and the same ids from another emulator.
    let again = env
        .get(&format!("{A2}?id={id}&objectType=DATAACTION"))
        .await
        .json();
    assert_eq!(again["entities"], v["entities"]);
    let other = start_default().await;
    let third = other
        .get(&format!("{A2}?id={id}&objectType=DATAACTION"))
        .await
        .json();
    assert_eq!(third["entities"], v["entities"]);
}

#[tokio::test]
async fn unused_actions_and_other_types_have_no_consumers() {
    let env = start_default().await;
    let id = env.id_of("Get Weather Forecast");
    let v = env
        .get(&format!("{A2}?id={id}&objectType=DATAACTION"))
        .await
        .json();
    assert_eq!(v["total"], 0);
    assert_eq!(v["entities"], serde_json::json!([]));
    let v = env
        .get(&format!("{A2}?id=unknown-id&objectType=DATAACTION"))
        .await
        .json();
    assert_eq!(v["total"], 0);
    let used = env.id_of("Get Customer Profile");
    let v = env
        .get(&format!("{A2}?id={used}&objectType=QUEUE"))
        .await
        .json();
    assert_eq!(v["total"], 0, "a data action id asked as a queue");
}

#[tokio::test]
async fn bad_queries_are_refused() {
    let env = start_default().await;
    env.get(&format!("{A2}?objectType=DATAACTION"))
        .await
        .assert_error(400, "bad.request");
    env.get(&format!("{A2}?id=x"))
        .await
        .assert_error(400, "bad.request");
    env.get(&format!("{A2}?id=x&objectType=dataaction"))
        .await
        .assert_error(400, "invalid.query.param.value");
    env.get(&format!(
        "{A2}?id=x&objectType=DATAACTION&flowFilter=latest"
    ))
    .await
    .assert_error(400, "invalid.query.param.value");
    env.get(&format!("{A2}?id=x&objectType=DATAACTION&pageSize=0"))
        .await
        .assert_error(400, "invalid.query.param.value");
    // No token: 401 like every API route.
    let r = env
        .call_with(
            "nope",
            reqwest::Method::GET,
            &format!("{A2}?id=x&objectType=DATAACTION"),
            None,
        )
        .await;
    r.assert_error(401, "authentication.required");
}

#[tokio::test]
async fn filters_and_paging() {
    let env = start_default().await;
    let id = env.id_of("Get Acme Account Tier");
    let all = env
        .get(&format!("{A2}?id={id}&objectType=DATAACTION"))
        .await
        .json();
    assert_eq!(all["total"], 2);
    // The presence router is only checked in.
    let published = env
        .get(&format!(
            "{A2}?id={id}&objectType=DATAACTION&flowFilter=published"
        ))
        .await
        .json();
    assert_eq!(
        names(&published),
        ["Outbound Payment Reminder".to_string()].into()
    );
    let typed = env
        .get(&format!(
            "{A2}?id={id}&objectType=DATAACTION&resourceType=INQUEUECALLFLOW"
        ))
        .await
        .json();
    assert_eq!(names(&typed), ["Agent Presence Router".to_string()].into());

    // Page size 1: two pages, nextUri/previousUri, every flow once.
    let p1 = env
        .get(&format!("{A2}?id={id}&objectType=DATAACTION&pageSize=1"))
        .await
        .json();
    assert_eq!(p1["pageCount"], 2);
    let next = p1["nextUri"].as_str().expect("nextUri").to_owned();
    assert!(
        next.starts_with(A2) && next.contains("pageNumber=2"),
        "{next}"
    );
    let p2 = env.get(&next).await.json();
    assert!(p2.get("nextUri").is_none());
    assert!(p2["previousUri"].as_str().is_some());
    let mut seen = names(&p1);
    seen.extend(names(&p2));
    assert_eq!(seen, names(&all));
}

#[tokio::test]
async fn object_with_consuming_resources() {
    let env = start_default().await;
    let id = env.id_of("Create Case");
    // Create Case is secure: its one consumer is indexed under SECUREACTION.
    let data = env
        .get(&format!(
            "{A1}?id={id}&objectType=DATAACTION&consumingResources=true"
        ))
        .await
        .json();
    assert_eq!(data["consumingResources"], serde_json::json!([]));
    let v = env
        .get(&format!(
            "{A1}?id={id}&objectType=SECUREACTION&consumingResources=true"
        ))
        .await;
    assert_eq!(v.status, 200, "{}", v.text);
    let v = v.json();
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["name"], "Create Case");
    assert_eq!(v["type"], "SECUREACTION");
    let consumers: Vec<&str> = v["consumingResources"]
        .as_array()
        .expect("consumingResources")
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    assert_eq!(consumers, ["Case Follow-up Workflow"]);
    let bare = env.get(&format!("{A1}?id={id}")).await.json();
    assert!(bare.get("consumingResources").is_none());
    env.get(&format!("{A1}?id=does-not-exist"))
        .await
        .assert_error(404, "not.found");
}

#[tokio::test]
async fn synthetic_actions_get_generated_flows() {
    let env = start(Config {
        synthetic_actions: 200,
        ..Config::default()
    })
    .await;
    let state = env.emu.state();
    let synthetic: Vec<String> = state["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter(|a| a["name"].as_str().is_some_and(|n| n.ends_with(')')))
        .filter_map(|a| a["id"].as_str().map(str::to_owned))
        .take(40)
        .collect();
    assert_eq!(synthetic.len(), 40);
    let mut counts = BTreeSet::new();
    for id in &synthetic {
        let v = env
            .get(&format!("{A2}?id={id}&objectType=DATAACTION"))
            .await
            .json();
        let n = v["total"].as_u64().expect("total");
        assert!(n <= 3);
        for e in v["entities"].as_array().expect("entities") {
            assert!(e["name"]
                .as_str()
                .expect("name")
                .starts_with("Generated Flow"));
        }
        counts.insert(n);
    }
    assert!(counts.len() >= 3, "a spread of consumer counts: {counts:?}");
}
