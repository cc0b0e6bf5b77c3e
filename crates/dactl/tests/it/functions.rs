//! Function data actions against the emulator: told apart by their integration's type (their
//! categories say nothing), their function's timeout read for them only, the effective timeout
//! in `list`, `get` and plans, the plan note past the function's timeout, and the fallback to
//! the category heuristic when the integrations may not be read.

use std::collections::HashMap;

use crate::common::*;
use genesys_emulator::{Config, OrgCredentials};
use serde_json::Value;

fn list_by_name(h: &Harness) -> HashMap<String, Value> {
    let o = h.run(&["-o", "json", "list", "--all"]);
    assert_code(&o, 0);
    let v = json_out(&o);
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap().to_string(), r.clone()))
        .collect()
}

fn function_reads(h: &Harness) -> Vec<String> {
    h.journal()
        .into_iter()
        .filter(|e| e.path.ends_with("/function"))
        .map(|e| e.path)
        .collect()
}

#[test]
fn list_shows_function_and_effective_timeouts_by_integration_type() {
    let h = Harness::new();
    let rows = list_by_name(&h);
    let slot = &rows["Compute Callback Slot"];
    assert_eq!(slot["category"], "Scheduling", "the category says nothing");
    assert_eq!(slot["kind"], "function");
    assert_eq!(slot["timeout_seconds"], 15);
    assert_eq!(slot["function_timeout_seconds"], 10);
    assert_eq!(slot["effective_timeout_seconds"], 10);
    let hash = &rows["Hash Customer Identifier"];
    assert_eq!(hash["kind"], "function");
    assert_eq!(hash["timeout_seconds"], Value::Null);
    assert_eq!(
        hash["function_timeout_seconds"], 15,
        "a function that sets none runs 15 s"
    );
    assert_eq!(hash["effective_timeout_seconds"], 15);
    let case = &rows["Create Case"];
    assert_eq!(case["kind"], "regular");
    assert_eq!(case["function_timeout_seconds"], Value::Null);
    assert_eq!(case["effective_timeout_seconds"], 30);
    assert_eq!(rows.values().filter(|r| r["kind"] == "function").count(), 2);
    // The integrations once, the function settings of the two function actions only.
    let integrations = h
        .journal()
        .iter()
        .filter(|e| e.path == "/api/v2/integrations")
        .count();
    assert_eq!(integrations, 1);
    assert_eq!(function_reads(&h).len(), 2);

    // The table and CSV carry the effective timeout too.
    let o = h.run(&["-o", "csv", "list", "--category", "Scheduling"]);
    assert_code(&o, 0);
    let out = stdout(&o);
    assert!(
        out.starts_with("NAME,CATEGORY,TIMEOUT,EFFECTIVE,KIND,DRAFT,ID,INTEGRATION\n"),
        "{out}"
    );
    assert!(
        out.contains("Compute Callback Slot,Scheduling,15,10 (fn),function,"),
        "{out}"
    );
}

#[test]
fn integrations_are_named_and_integration_takes_a_name() {
    let h = Harness::new();
    let rows = list_by_name(&h);
    let slot = &rows["Compute Callback Slot"];
    let id = slot["integration_id"].as_str().unwrap().to_string();
    let name = slot["integration_name"].as_str().unwrap().to_string();
    assert!(!name.is_empty() && name != id, "{slot}");

    // By id and by name (any case), the same actions.
    let names_of = |args: &[&str]| -> Vec<String> {
        let mut a = vec!["-o", "json", "list"];
        a.extend_from_slice(args);
        let o = h.run(&a);
        assert_code(&o, 0);
        let v = json_out(&o);
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    };
    let by_id = names_of(&["--integration", &id]);
    assert!(
        by_id.contains(&"Compute Callback Slot".to_string()),
        "{by_id:?}"
    );
    assert_eq!(names_of(&["--integration", &name.to_uppercase()]), by_id);

    // `get` names the integration.
    let o = h.run(&["-o", "csv", "get", "Compute Callback Slot"]);
    assert_contains(&stdout(&o), &format!("integration,{name} ({id})\n"));

    // A name that several actions share: the hint names each one's integration.
    let o = h.run(&[
        "timeout",
        "set",
        "30s",
        "Get Contact By Phone Number",
        "--dry-run",
    ]);
    assert_code(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("in integration `Salesforce Data Actions` ("),
        "{err}"
    );
    assert!(
        err.contains("in integration `Zendesk Data Actions` ("),
        "{err}"
    );
}

#[test]
fn undo_and_restore_plans_carry_the_function_timeouts() {
    let h = Harness::new();
    // Compute Callback Slot: its own timeout 15 s, its function's 10 s.
    let o = h.run(&["timeout", "set", "8s", "Compute Callback Slot"]);
    assert_code(&o, 0);
    let o = h.run(&["-o", "json", "undo", "last", "--dry-run"]);
    assert_code(&o, 0);
    let v = json_out(&o);
    let row = &v["plan"]["rows"][0];
    assert_eq!(row["kind"], "function", "{row}");
    assert_eq!(row["new_timeout"], 15, "{row}");
    assert_eq!(row["function_timeout_seconds"], 10, "{row}");
    assert_eq!(row["effective_timeout_seconds"], 10, "{row}");
    assert!(
        row["warning"]
            .as_str()
            .is_some_and(|w| w.contains("function stops at 10 s")),
        "{row}"
    );

    // A restore of the document as it is now, with its timeout raised to 45 s.
    let o = h.run(&["-o", "json", "get", "Compute Callback Slot"]);
    let mut doc = json_out(&o);
    doc["config"]["timeoutSeconds"] = 45.into();
    let file = h.home.path().join("slot.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let o = h.run(&["-o", "json", "restore", file.to_str().unwrap(), "--dry-run"]);
    assert_code(&o, 0);
    let v = json_out(&o);
    let row = &v["plan"]["rows"][0];
    assert_eq!(row["kind"], "function", "{row}");
    assert_eq!(row["function_timeout_seconds"], 10, "{row}");
    assert_eq!(row["effective_timeout_seconds"], 10, "{row}");
}

#[test]
fn get_shows_the_function_timeout() {
    let h = Harness::new();
    let o = h.run(&["-o", "csv", "get", "Compute Callback Slot"]);
    assert_code(&o, 0);
    let out = stdout(&o);
    assert!(out.contains("kind,function\n"), "{out}");
    assert!(out.contains("function timeout,10\n"), "{out}");
    assert!(out.contains("effective timeout,10 (fn)\n"), "{out}");
    // The action document itself is untouched: no `function` key appears in its config.
    let o = h.run(&["-o", "json", "get", "Compute Callback Slot"]);
    let v = json_out(&o);
    assert!(v["config"].get("function").is_none());
}

#[test]
fn a_plan_past_the_function_timeout_keeps_the_change_and_notes_it() {
    let h = Harness::new();
    let o = h.run(&[
        "-o",
        "json",
        "timeout",
        "set",
        "45s",
        "Compute Callback Slot",
        "--dry-run",
    ]);
    assert_code(&o, 0);
    let v = json_out(&o);
    let row = &v["plan"]["rows"][0];
    assert_eq!(row["kind"], "function");
    assert_eq!(row["verdict"], "change");
    assert_eq!(row["new_timeout"], 45);
    assert_eq!(row["function_timeout_seconds"], 10);
    assert_eq!(row["effective_timeout_seconds"], 10);
    assert!(
        row["warning"]
            .as_str()
            .unwrap()
            .contains("function stops at 10 s"),
        "{row}"
    );
    // Within the function's timeout: no note.
    let o = h.run(&[
        "-o",
        "json",
        "timeout",
        "set",
        "8s",
        "Compute Callback Slot",
        "--dry-run",
    ]);
    let v = json_out(&o);
    assert_eq!(v["plan"]["rows"][0]["warning"], Value::Null);
    assert_eq!(v["plan"]["rows"][0]["effective_timeout_seconds"], 8);
    // The table shows the effective timeout and the note.
    let o = h.run(&[
        "timeout",
        "set",
        "45s",
        "Compute Callback Slot",
        "--dry-run",
    ]);
    let out = stdout(&o);
    assert!(out.contains("EFFECTIVE"), "{out}");
    assert!(out.contains("10 (fn)"), "{out}");
    assert!(out.contains("function stops at 10 s"), "{out}");
    // The change itself goes through, with the note on stderr.
    let o = h.run(&["timeout", "set", "45s", "Compute Callback Slot"]);
    assert_code(&o, 0);
    assert_contains(
        &stderr(&o),
        "`Compute Callback Slot` function stops at 10 s",
    );
    assert_eq!(
        h.action_by_name("Compute Callback Slot")["config"]["timeoutSeconds"],
        45
    );
    // dactl never writes function settings.
    assert!(h.writes().iter().all(|e| !e.path.contains("function")));
}

#[test]
fn without_the_integrations_permission_the_heuristic_classifies_and_says_so_once() {
    let h = Harness::with_config(Config {
        orgs: vec![OrgCredentials {
            permissions: Some(vec!["integrations:action:*".to_string()]),
            ..OrgCredentials::default()
        }],
        ..Config::default()
    });
    let o = h.run(&["-o", "json", "list", "--all"]);
    assert_code(&o, 0);
    let err = stderr(&o);
    assert_eq!(
        err.matches("integrations:integration:view").count(),
        1,
        "said once: {err}"
    );
    assert!(err.contains("recognised by their category only"), "{err}");
    let v = json_out(&o);
    let slot = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Compute Callback Slot")
        .unwrap();
    // Its category does not say "function": the heuristic cannot tell.
    assert_eq!(slot["kind"], "regular");
    assert_eq!(slot["effective_timeout_seconds"], 15);
    assert!(function_reads(&h).is_empty());
}

#[test]
fn without_the_function_permission_function_timeouts_are_the_maximum() {
    let h = Harness::with_config(Config {
        orgs: vec![OrgCredentials {
            permissions: Some(vec![
                "integrations:action:*".to_string(),
                "integrations:integration:view".to_string(),
            ]),
            ..OrgCredentials::default()
        }],
        ..Config::default()
    });
    let rows = list_by_name(&h);
    let slot = &rows["Compute Callback Slot"];
    assert_eq!(slot["kind"], "function");
    assert_eq!(slot["function_timeout_seconds"], 15);
    let o = h.run(&["list", "--category", "Scheduling"]);
    let err = stderr(&o);
    assert_eq!(
        err.matches("integrations:actionFunction:view").count(),
        1,
        "{err}"
    );
}
