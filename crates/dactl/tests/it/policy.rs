//! Timeouts as code against the emulator: `plan -f`, `--detailed-exitcode`, `apply -f` as a
//! bulk run (resume, undo), strict validation, and the example policy in `docs/`.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::common::*;
use serde_json::Value;

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/timeouts.example.toml")
}

fn write(h: &Harness, name: &str, text: &str) -> String {
    let p = h.home().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

/// name -> (new timeout, verdict, rule) of a JSON policy plan (names unique here; the two
/// "Get Contact By Phone Number" share a rule and a target).
fn plan_rows(v: &Value) -> HashMap<String, (Value, String, String)> {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                (
                    r["new_timeout"].clone(),
                    r["verdict"].as_str().unwrap().to_string(),
                    r["rule"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

fn timeouts(h: &Harness) -> HashMap<String, Value> {
    h.actions()
        .into_iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_string(),
                a["config"]["timeoutSeconds"].clone(),
            )
        })
        .collect()
}

#[test]
fn the_example_policy_parses_and_plans_against_the_seed_org() {
    let h = Harness::new();
    let file = example();
    let f = file.to_str().unwrap();
    let o = h.run(&["-o", "json", "plan", "-f", f]);
    assert_code(&o, 0);
    let v = json_out(&o);
    let rows = plan_rows(&v);
    let expect = [
        ("Get Contact By Phone Number", 4, "change", "rule 1"),
        (
            "Get External Contact By Phone Number",
            5,
            "change",
            "rule 2",
        ),
        ("Get Authenticated User", 5, "skip", "rule 2"),
        ("Get Loyalty Points Balance", 2, "change", "rule 3"),
        ("Create Case", 30, "unchanged", "rule 4"),
        ("Create Incident", 30, "change", "rule 4"),
        ("Lookup CMDB Configuration Item", 45, "change", "rule 5"),
        ("Compute Callback Slot", 15, "unchanged", "rule 6"),
        ("Check Store Hours", 20, "change", "default"),
        ("Custom Auth - Acme CRM (OAuth)", 20, "skip", "default"),
    ];
    for (name, t, verdict, rule) in expect {
        let (nt, vd, r) = rows.get(name).unwrap_or_else(|| panic!("{name} planned"));
        assert_eq!(nt, &Value::from(t), "{name}");
        assert_eq!(vd, verdict, "{name}");
        assert!(r.starts_with(rule), "{name}: {r}");
    }
    let total = h.actions().len();
    assert_eq!(v["summary"]["left_alone"], 0, "the example has a default");
    assert_eq!(v["rows"].as_array().unwrap().len(), total);
    assert_eq!(v["summary"]["change"], 25);
    // A plan writes nothing.
    assert!(h.writes().is_empty(), "{:?}", h.writes());
    // Table: changes and skips with the rule that decided them, not the unchanged rows.
    let o = h.run(&["plan", "-f", f]);
    assert_code(&o, 0);
    let out = stdout(&o);
    assert!(
        out.contains("rule 1 (line") && out.contains("default (line"),
        "{out}"
    );
    assert!(
        !out.contains("Create Case "),
        "unchanged rows are not in the table:\n{out}"
    );
    assert_contains(&stderr(&o), "25 to change");
}

both_realisms! {
    fn detailed_exitcode_apply_then_no_drift_then_undo() {
        let h = Harness::new();
        let file = example();
        let f = file.to_str().unwrap();
        let before = timeouts(&h);
        assert_code(&h.run(&["plan", "-f", f, "--detailed-exitcode"]), 2);
        // More than one change: refused without a terminal or --yes, nothing written.
        let o = h.run(&["apply", "-f", f]);
        assert_code(&o, 2);
        assert!(h.writes().is_empty());
        let o = h.run(&["-o", "json", "apply", "-f", f, "--yes"]);
        assert_code(&o, 0);
        let v = json_out(&o);
        assert_eq!(v["plan"]["operation"]["type"], "policy");
        assert_eq!(v["summary"]["changed"], 25);
        let after = timeouts(&h);
        let contact = h
            .actions()
            .into_iter()
            .find(|a| a["name"] == "Get Contact By Phone Number")
            .unwrap();
        assert_eq!(contact["config"]["timeoutSeconds"], 4);
        assert_eq!(
            h.action_by_name("Check Store Hours")["config"]["timeoutSeconds"],
            20
        );
        assert_eq!(
            h.action_by_name("Hash Customer Identifier")["config"]["timeoutSeconds"],
            15
        );
        // The org now matches: no drift.
        let o = h.run(&["plan", "-f", f, "--detailed-exitcode"]);
        assert_code(&o, 0);
        assert_contains(&stderr(&o), "no changes");
        // A hand edit is drift again.
        let o = h.run(&["timeout", "set", "9", "Check Store Hours"]);
        assert_code(&o, 0);
        assert_code(&h.run(&["plan", "-f", f, "--detailed-exitcode"]), 2);
        assert_code(&h.run(&["apply", "-f", f, "--yes"]), 0);
        // The apply is a run: listed, and undoable back to the original timeouts.
        let o = h.run(&["-o", "json", "runs", "list"]);
        let runs: Vec<Value> = serde_json::from_str(&stdout(&o)).unwrap();
        let applies: Vec<&Value> = runs
            .iter()
            .filter(|r| r["command"].as_str().unwrap().contains("apply -f"))
            .collect();
        assert_eq!(applies.len(), 2);
        let set_run = runs
            .iter()
            .find(|r| r["command"].as_str().unwrap().contains("timeout set"))
            .unwrap();
        // Undo newest first: each undo finds the timeouts its run set.
        for run in [applies[1], set_run, applies[0]] {
            let o = h.run(&["undo", run["id"].as_str().unwrap(), "--yes"]);
            assert_code(&o, 0);
        }
        assert_eq!(timeouts(&h), before);
        assert_ne!(after, before);
    }
}

both_realisms! {
    fn an_interrupted_apply_resumes() {
        let h = Harness::new();
        let f = write(
            &h,
            "p.toml",
            "[[rule]]\ncategory = \"Genesys Cloud Data Actions\"\ntimeout = 7\n\n[[rule]]\nname = \"Get *\"\ntimeout = 11\n",
        );
        let o = h.run_env(&[("DACTL_TEST_CRASH_AT", "after-patched:2")], &["apply", "-f", &f, "--yes", "--concurrency", "1"]);
        assert_code(&o, 137);
        assert_code(&h.run(&["runs", "resume", "last"]), 0);
        for a in h.actions() {
            if !is_regular(&a) {
                continue;
            }
            let want = if a["category"] == "Genesys Cloud Data Actions" {
                Some(7)
            } else if a["name"].as_str().unwrap().starts_with("Get ") {
                Some(11)
            } else {
                None
            };
            if let Some(t) = want {
                assert_eq!(a["config"]["timeoutSeconds"], t, "{}", a["name"]);
            }
        }
        assert_code(&h.run(&["plan", "-f", &f, "--detailed-exitcode"]), 0);
    }
}

#[test]
fn without_a_default_unmatched_actions_are_left_alone() {
    let h = Harness::new();
    let f = write(
        &h,
        "p.toml",
        "[[rule]]\nname = \"Create *\"\ntimeout = 33\n",
    );
    let o = h.run(&["-o", "json", "plan", "-f", &f]);
    assert_code(&o, 0);
    let v = json_out(&o);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "Create Case, Create Incident, Create Ticket");
    assert_eq!(
        v["summary"]["left_alone"].as_u64().unwrap() as usize,
        h.actions().len() - 3
    );
    assert_code(&h.run(&["apply", "-f", &f, "--yes"]), 0);
    let patched: std::collections::BTreeSet<String> = h
        .writes()
        .into_iter()
        .filter(|e| e.method == "PATCH")
        .map(|e| e.path)
        .collect();
    assert_eq!(patched.len(), 3);
}

#[test]
fn bad_policies_fail_with_file_and_line_before_any_request() {
    let h = Harness::new();
    let cases = [
        (
            "unknown.toml",
            "default = 20\n\n[[rule]]\ncategory = \"A\"\ntimout = 5\n",
            ":5:",
            "unknown field `timout`",
        ),
        (
            "range.toml",
            "[[rule]]\nname = \"A*\"\ntimeout = 61\n",
            ":3:",
            "61",
        ),
        (
            "ms.toml",
            "default = \"1500ms\"\n",
            ":1:",
            "whole number of seconds",
        ),
        (
            "empty-rule.toml",
            "default = 5\n\n[[rule]]\ntimeout = 5\n",
            ":3:",
            "has no matcher",
        ),
        (
            "nothing.toml",
            "# nothing here\n",
            "nothing.toml",
            "no rules and no `default`",
        ),
        ("syntax.toml", "[[rule]\n", ":1:", ""),
    ];
    for (name, text, place, message) in cases {
        let f = write(&h, name, text);
        for cmd in ["plan", "apply"] {
            let o = h.run(&[cmd, "-f", &f, "--yes"]);
            assert_code(&o, 2);
            let err = stderr(&o);
            assert!(err.starts_with("error: "), "{err}");
            assert!(err.contains(name) && err.contains(place), "{name}: {err}");
            assert!(err.contains(message), "{name}: {err}");
        }
    }
    let o = h.run(&["plan", "-f", "/nonexistent/policy.toml"]);
    assert_code(&o, 2);
    assert!(
        h.journal().is_empty(),
        "nothing was sent: {:?}",
        h.journal()
    );
}

#[test]
fn rules_that_never_apply_are_warned_about() {
    let h = Harness::new();
    let f = write(
        &h,
        "p.toml",
        "[[rule]]\ncategory = \"Orders\"\ntimeout = 9\n\n[[rule]]\nname = \"Lookup Order*\"\ntimeout = 8\n\n[[rule]]\nid = \"no-such-id\"\ntimeout = 7\n",
    );
    // A rule that matches nothing is an error, before any write…
    let o = h.run(&["plan", "-f", &f]);
    assert_code(&o, 2);
    let err = stderr(&o);
    assert!(err.contains("p.toml:9: rule 3 matches no action"), "{err}");
    assert!(err.contains("optional = true"), "{err}");
    assert_code(&h.run(&["apply", "-f", &f, "--yes"]), 2);
    assert!(h.writes().is_empty());
    // …unless it says it may; a rule an earlier one shadows stays a warning.
    let f = write(
        &h,
        "p.toml",
        "[[rule]]\ncategory = \"Orders\"\ntimeout = 9\n\n[[rule]]\nname = \"Lookup Order*\"\ntimeout = 8\n\n[[rule]]\nid = \"no-such-id\"\ntimeout = 7\noptional = true\n",
    );
    let o = h.run(&["plan", "-f", &f]);
    assert_code(&o, 0);
    let err = stderr(&o);
    assert!(err.contains("p.toml:5: rule 2 never applies"), "{err}");
    assert!(!err.contains("rule 3"), "{err}");
}
