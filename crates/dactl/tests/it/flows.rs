//! `dactl flows` and `--show-flows` against the emulator's dependency tracking.

use crate::common::*;
use genesys_emulator::{Config, OrgCredentials};
use serde_json::json;

const A2: &str = "/api/v2/architect/dependencytracking/consumingresources";

fn dependency_requests(h: &Harness) -> Vec<genesys_emulator::JournalEntry> {
    h.journal().into_iter().filter(|e| e.path == A2).collect()
}

#[test]
fn flows_lists_the_flows_that_use_an_action() {
    let h = Harness::new();
    let o = h.run(&["flows", "Get Customer Profile"]);
    assert_code(&o, 0);
    let out = stdout(&o);
    for flow in ["Main IVR", "Billing IVR", "Customer Lookup Module"] {
        assert!(out.contains(flow), "{flow} in\n{out}");
    }
    assert!(out.contains("INBOUNDCALLFLOW") && out.contains("COMMONMODULEFLOW"));
    let err = stderr(&o);
    assert!(err.contains("used by 3 flows"), "{err}");
    assert!(err.contains("advisory"), "{err}");
    let id = h.action_by_name("Get Customer Profile")["id"]
        .as_str()
        .unwrap()
        .to_string();
    // A secure action: the index keeps some of its flows under SECUREACTION (the emulator
    // splits them), so both types are asked and merged; the three flows need both.
    let reqs = dependency_requests(&h);
    assert_eq!(reqs.len(), 2);
    let mut types: Vec<String> = reqs
        .iter()
        .map(|r| {
            let q = r.query.clone().unwrap();
            assert!(q.contains(&format!("id={id}")), "{q}");
            q.split('&')
                .find_map(|kv| kv.strip_prefix("objectType="))
                .unwrap()
                .to_string()
        })
        .collect();
    types.sort();
    assert_eq!(types, ["DATAACTION", "SECUREACTION"]);

    let o = h.run(&["-o", "json", "flows", &id]);
    assert_code(&o, 0);
    let v = json_out(&o);
    assert_eq!(v["action"]["name"], "Get Customer Profile");
    assert_eq!(v["complete"], true);
    assert_eq!(v["flows"].as_array().unwrap().len(), 3);
    assert_eq!(v["flows"][0]["type"], "INBOUNDCALLFLOW");
}

#[test]
fn published_only_and_unused_actions() {
    let h = Harness::new();
    let o = h.run(&[
        "-o",
        "json",
        "flows",
        "Get Acme Account Tier",
        "--published",
    ]);
    assert_code(&o, 0);
    let v = json_out(&o);
    let names: Vec<&str> = v["flows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Outbound Payment Reminder"]);
    assert!(dependency_requests(&h)[0]
        .query
        .clone()
        .unwrap()
        .contains("flowFilter=published"));
    let o = h.run(&["flows", "Get Weather Forecast"]);
    assert_code(&o, 0);
    assert_eq!(stdout(&o), "", "no table for no flow");
    assert_contains(&stderr(&o), "used by 0 flows");
    let o = h.run(&["-o", "ndjson", "flows", "Create Case"]);
    assert_code(&o, 0);
    assert_eq!(stdout(&o).lines().count(), 1);
}

#[test]
fn show_flows_adds_used_by_to_the_bulk_plan_and_is_opt_in() {
    let h = Harness::new();
    let cat = "Salesforce Data Actions";
    let o = h.run(&["timeout", "set", "30", "--category", cat, "--dry-run"]);
    assert_code(&o, 0);
    assert!(!stdout(&o).contains("USED BY"));
    assert!(
        dependency_requests(&h).is_empty(),
        "no request without --show-flows"
    );

    let o = h.run(&[
        "timeout",
        "set",
        "30",
        "--category",
        cat,
        "--dry-run",
        "--show-flows",
    ]);
    assert_code(&o, 0);
    let out = stdout(&o);
    assert!(out.contains("USED BY"), "{out}");
    assert!(out.contains("2 flows") && out.contains("1 flow "), "{out}");
    let o = h.run(&[
        "-o",
        "json",
        "timeout",
        "set",
        "30",
        "--category",
        cat,
        "--dry-run",
        "--show-flows",
    ]);
    assert_code(&o, 0);
    let v = json_out(&o);
    let mut got: Vec<(String, u64)> = v["plan"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["flows"].as_u64().unwrap(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("Create Case".to_string(), 1),
            ("Get Account By Account Number".to_string(), 2),
            ("Get Contact By Phone Number".to_string(), 2),
            ("Update Case Status".to_string(), 1),
        ]
    );
    // One request per planned action, two for the secure one (Create Case): 4 actions, two
    // plans with --show-flows.
    assert_eq!(dependency_requests(&h).len(), 10);
    // The policy plan takes the flag too.
    let policy = h.home().join("p.toml");
    std::fs::write(
        &policy,
        "[[rule]]\ncategory = \"Salesforce Data Actions\"\ntimeout = 31\n",
    )
    .unwrap();
    let o = h.run(&["plan", "-f", policy.to_str().unwrap(), "--show-flows"]);
    assert_code(&o, 0);
    assert!(stdout(&o).contains("USED BY") && stdout(&o).contains("2 flows"));
}

#[test]
fn a_missing_dependency_permission() {
    // The OAuth client's role can read and edit actions, but not Architect's index.
    let h = Harness::with_config(Config {
        orgs: vec![OrgCredentials {
            permissions: Some(vec![
                "integrations:action:view".into(),
                "integrations:action:edit".into(),
            ]),
            ..OrgCredentials::default()
        }],
        ..Config::default()
    });
    let o = h.run(&["flows", "Create Case"]);
    assert_code(&o, 4);
    assert_contains(&stderr(&o), "architect:dependencyTracking:view");
    // In a plan the count is advisory: a warning, and the plan still goes on.
    let o = h.run(&[
        "timeout",
        "set",
        "30",
        "--category",
        "Salesforce Data Actions",
        "--dry-run",
        "--show-flows",
    ]);
    assert_code(&o, 0);
    let err = stderr(&o);
    assert!(
        err.contains("warning: could not count the flows of 4 action(s)"),
        "{err}"
    );
    assert!(err.contains("architect:dependencyTracking:view"), "{err}");
    assert!(!stdout(&o).contains("USED BY"), "no counts, no column");
}

#[test]
fn an_injected_server_error_on_the_index_is_reported() {
    let h = Harness::new();
    let rule = fault_rule(json!({
        "name": "index-down", "method": "GET", "path": A2,
        "action": {"type": "status", "status": 500}
    }));
    h.emu.set_faults(vec![rule]);
    let o = h.run(&["flows", "Create Case"]);
    assert_code(&o, 5); // a server error is transient (exit 5)
    assert_contains(&stderr(&o), "cannot list the flows");
}
