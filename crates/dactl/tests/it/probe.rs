//! `dactl probe` against the emulator: client-side timing of test executions, the
//! recommendation, failures and timeouts, confirmation, refusals and stored results.

use crate::common::*;
use genesys_emulator::{Config, OrgCredentials};
use serde_json::{json, Value};

fn scaled(scale: f64) -> Harness {
    Harness::with_config(Config {
        execution_time_scale: scale,
        ..Config::default()
    })
}

fn tests_sent(h: &Harness, id: &str) -> Vec<genesys_emulator::JournalEntry> {
    h.journal()
        .into_iter()
        .filter(|e| {
            e.method == "POST" && e.path == format!("/api/v2/integrations/actions/{id}/test")
        })
        .collect()
}

#[test]
fn probe_times_each_call_and_recommends_p99_times_three() {
    // Real time: the emulator sleeps the action's 420 ms for every call.
    let h = scaled(1.0);
    let input = r#"{"phoneNumber": "+3225551234"}"#;
    let o = h.run(&[
        "-o",
        "json",
        "probe",
        CONTACT,
        "--input",
        input,
        "-n",
        "4",
        "--concurrency",
        "4",
        "--yes",
    ]);
    assert_code(&o, 0);
    let v = json_out(&o);
    let s = &v["stats"];
    assert_eq!(s["executions"], 4);
    assert_eq!(s["ok"], 4);
    assert_eq!(s["failed"], 0);
    let p50 = s["p50_ms"].as_f64().unwrap();
    let p99 = s["p99_ms"].as_f64().unwrap();
    assert!(
        p50 >= 420.0,
        "timed on the client: p50 {p50} ms covers the 420 ms latency"
    );
    assert!(p99 >= p50 && p99 < 666.0, "p99 {p99} ms");
    // ceil(0.42..0.666 s × 3) = 2 s.
    assert_eq!(v["recommended_timeout_seconds"], 2);
    assert_eq!(v["timeout_seconds"], 10);
    assert_eq!(v["samples"].as_array().unwrap().len(), 4);
    // Exactly N test executions, each with the input as the body.
    let sent = tests_sent(&h, CONTACT);
    assert_eq!(sent.len(), 4);
    for e in &sent {
        assert_eq!(e.body, Some(json!({"phoneNumber": "+3225551234"})));
        assert!(e.status == 200);
    }
    // Stored for `report`: private, keys only (input values may be personal data).
    let file = h.home().join("probes").join(format!("{CONTACT}.json"));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains("+3225551234"), "input values are not stored");
    let stored: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(stored["input_keys"], json!(["phoneNumber"]));
    assert_eq!(stored["recommended_timeout_seconds"], 2);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    assert_contains(&stderr(&o), &format!(" timeout set 2s {CONTACT}"));
    // Four executions give no p99: the output says the advice is rough, from the max.
    assert_contains(&stderr(&o), "only 4 timed executions");
}

#[test]
fn a_short_probe_says_it_is_rough_and_shows_the_default_in_seconds() {
    let h = scaled(0.01);
    let o = probe(
        &h,
        &[],
        "Get Loyalty Points Balance",
        r#"{"memberId": "M-1"}"#,
        "3",
    );
    assert_code(&o, 0);
    let out = stdout(&o);
    assert!(out.contains("– (needs 20 executions)"), "{out}");
    assert!(out.contains("max × 3"), "{out}");
    assert_contains(&stderr(&o), "the estimate is rough");
    // An action at the platform default.
    let o = probe(&h, &[], "Check Store Hours", r#"{"storeId": "S-1"}"#, "2");
    assert_contains(&stdout(&o), "60 s (default)");
}

#[test]
fn table_output_has_percentiles_and_a_histogram() {
    let h = scaled(0.02);
    let o = probe(&h, &[], CONTACT, r#"{"phoneNumber": "1"}"#, "9");
    assert_code(&o, 0);
    let out = stdout(&o);
    for key in [
        "p50",
        "p95",
        "p99",
        "max",
        "recommended timeout",
        "current timeout",
    ] {
        assert!(out.contains(key), "{key} in\n{out}");
    }
    assert!(out.contains('█'), "a histogram:\n{out}");
    assert!(out.contains(" ms │"), "{out}");
}

/// U18: however the platform reports a timed-out test (inside a 200 result, HTTP 504 or HTTP
/// 408), every execution is a timeout sample, none is retried, the probe is not aborted, and
/// the advice says the timeout is too tight, not that the input is wrong.
#[test]
fn timeouts_are_timeout_samples_however_answered_and_give_no_recommendation() {
    use genesys_emulator::{Realism, TestTimeout};
    for how in TestTimeout::ALL {
        // 7.5 s against a 5 s timeout, scaled to 50 ms: every test times out.
        let h = scaled(0.01);
        h.emu.set_realism(
            None,
            Realism {
                test_timeout: how,
                ..Realism::default()
            },
        );
        let o = probe(
            &h,
            &["-o", "json"],
            WEATHER,
            r#"{"postalCode": "1000"}"#,
            "3",
        );
        assert_code(&o, 1);
        let v = json_out(&o);
        assert_eq!(v["stats"]["timeouts"], 3, "{how:?}");
        assert_eq!(v["stats"]["ok"], 0);
        assert_eq!(
            v["stats"]["failed"], 0,
            "{how:?}: no timeout counts as failed"
        );
        assert_eq!(v["recommended_timeout_seconds"], Value::Null);
        let code = if how == TestTimeout::Http408 {
            "client.timeout"
        } else {
            "request.timeout"
        };
        for s in v["samples"].as_array().unwrap() {
            assert_eq!(s["outcome"], "timeout", "{how:?}");
            assert!(s["message"].as_str().unwrap().contains(code), "{s}");
            assert!(s["elapsed_ms"].as_f64().is_some(), "{s}");
        }
        assert_eq!(tests_sent(&h, WEATHER).len(), 3, "{how:?}: never retried");
        let err = stderr(&o);
        assert!(err.contains("the timeout of 5 s is too tight"), "{err}");
        assert!(err.contains("error: no test execution"), "{err}");
        assert!(
            !err.contains("--input"),
            "{how:?}: the input is not blamed: {err}"
        );
    }
}

/// A function data action stops at its function's timeout: the probe shows it and caps its
/// recommendation there, saying why.
#[test]
fn a_function_action_is_capped_at_its_function_timeout() {
    let h = scaled(1.0);
    let id = h.action_by_name("Compute Callback Slot")["id"]
        .as_str()
        .unwrap()
        .to_string();
    // A function that stops at 1 s, and a backend that takes 600 ms: p99 × 3 is about 2 s.
    let mut state = h.state();
    state["x-emulator"]["latencyMs"][&id] = json!(600);
    for f in state["functions"].as_array_mut().unwrap() {
        if f["id"] == id.as_str() {
            f["function"]["timeoutSeconds"] = json!(1);
        }
    }
    h.emu.load_state(state).unwrap();
    let o = probe(
        &h,
        &["-o", "json"],
        &id,
        r#"{"timezone": "Europe/Brussels", "preferred": "morning"}"#,
        "1",
    );
    assert_code(&o, 0);
    let v = json_out(&o);
    assert_eq!(v["kind"], "function");
    assert_eq!(v["timeout_seconds"], 15);
    assert_eq!(v["function_timeout_seconds"], 1);
    assert_eq!(v["effective_timeout_seconds"], 1);
    assert_eq!(v["stats"]["ok"], 1);
    assert_eq!(v["recommended_timeout_seconds"], 1);
    let err = stderr(&o);
    assert!(err.contains("capped at 1 s"), "{err}");
    assert!(
        err.contains("function stops at its own timeout of 1 s"),
        "{err}"
    );
}

#[test]
fn a_transient_failure_makes_a_partial_probe() {
    let h = scaled(0.01);
    let rule = fault_rule(json!({
        "name": "test-503", "method": "POST", "path": "/api/v2/integrations/actions/*/test",
        "trigger": {"type": "nth", "n": 3},
        "action": {"type": "status", "status": 503}
    }));
    h.emu.set_faults(vec![rule]);
    let o = h.run(&[
        "-o",
        "csv",
        "probe",
        CONTACT,
        "--input",
        r#"{"phoneNumber": "1"}"#,
        "-n",
        "5",
        "--yes",
        "--concurrency",
        "1",
    ]);
    assert_code(&o, 3);
    let csv = stdout(&o);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "seq,elapsed_ms,outcome,message");
    assert_eq!(lines.len(), 6, "{csv}");
    assert!(lines[3].starts_with("3,,error,"), "{csv}");
    // POST is never retried: 5 calls, one of them the 503.
    assert_eq!(tests_sent(&h, CONTACT).len(), 5);
}

#[test]
fn ndjson_has_one_line_per_call_and_a_summary() {
    let h = scaled(0.01);
    let o = probe(
        &h,
        &["-o", "ndjson"],
        CONTACT,
        r#"{"phoneNumber": "1"}"#,
        "3",
    );
    assert_code(&o, 0);
    let lines = ndjson_out(&o);
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["outcome"], "ok");
    assert_eq!(lines[3]["summary"]["stats"]["executions"], 3);
    assert_eq!(lines[3]["summary"]["recommended_timeout_seconds"], 1);
}

#[test]
fn a_failed_first_execution_stops_the_probe() {
    let h = scaled(0.01);
    // The contract requires `phoneNumber`.
    let o = probe(&h, &[], CONTACT, r#"{"wrong": 1}"#, "10");
    assert_code(&o, 1);
    assert_eq!(
        tests_sent(&h, CONTACT).len(),
        1,
        "no other execution was started"
    );
    let err = stderr(&o);
    assert!(err.contains("Missing required input"), "{err}");
    assert!(err.contains("hint:"), "{err}");
}

#[test]
fn a_missing_permission_stops_at_once_with_exit_4() {
    // The role can read actions but not execute them.
    let h = Harness::with_config(Config {
        execution_time_scale: 0.01,
        orgs: vec![OrgCredentials {
            permissions: Some(vec!["integrations:action:view".into()]),
            ..OrgCredentials::default()
        }],
        ..Config::default()
    });
    let o = h.run(&["probe", CONTACT, "--input", "{}", "-n", "10", "--yes"]);
    assert_code(&o, 4);
    assert_eq!(tests_sent(&h, CONTACT).len(), 1);
    assert_contains(&stderr(&o), "integrations:action:execute");
}

#[test]
fn refusals_and_bad_input_send_nothing() {
    let h = scaled(0.01);
    // Bulk selectors are refused.
    for args in [
        vec!["probe", "--all", "--input", "{}"],
        vec!["probe", CONTACT, "--category", "Orders", "--input", "{}"],
        vec!["probe", "--name", "Get*", "--input", "{}"],
    ] {
        let o = h.run(&args);
        assert_code(&o, 2);
        assert_contains(&stderr(&o), "runs one action");
    }
    // Two actions: clap refuses the second positional.
    assert_code(
        &h.run(&["probe", CONTACT, WEATHER, "--input", "{}", "--yes"]),
        2,
    );
    // Bad input.
    for input in ["[1]", "{oops", "@/nonexistent/input.json", "@"] {
        let o = h.run(&["probe", CONTACT, "--input", input, "--yes"]);
        assert_code(&o, 2);
    }
    assert!(
        h.journal().is_empty(),
        "nothing was sent: {:?}",
        h.journal()
    );
    // No terminal and no --yes: refused after reading the action, before any test.
    let o = h.run(&["probe", CONTACT, "--input", "{}"]);
    assert_code(&o, 2);
    assert_contains(&stderr(&o), "--yes");
    assert!(tests_sent(&h, CONTACT).is_empty());
    // An ambiguous name is an error that lists both.
    let o = h.run(&[
        "probe",
        "Get Contact By Phone Number",
        "--input",
        "{}",
        "--yes",
    ]);
    assert_code(&o, 2);
    assert!(tests_sent(&h, CONTACT).is_empty());
}

#[test]
fn input_from_a_file() {
    let h = scaled(0.01);
    let file = h.home().join("input.json");
    std::fs::write(&file, r#"{"phoneNumber": "+15550100"}"#).unwrap();
    let arg = format!("@{}", file.display());
    let o = h.run(&["probe", CONTACT, "--input", &arg, "-n", "2", "--yes"]);
    assert_code(&o, 0);
    let sent = tests_sent(&h, CONTACT);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].body, Some(json!({"phoneNumber": "+15550100"})));
}

#[test]
fn input_values_never_reach_the_output_or_the_store() {
    let h = scaled(0.01);
    let rule = fault_rule(json!({
        "name": "echo", "method": "POST", "path": "/api/v2/integrations/actions/*/test",
        "action": {"type": "status", "status": 400, "code": "bad.request",
            "message": "no contact matches +3225559876"}
    }));
    h.emu.set_faults(vec![rule]);
    let o = probe(&h, &[], CONTACT, r#"{"phoneNumber": "+3225559876"}"#, "3");
    assert_code(&o, 1);
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(all.contains("no contact matches ***"), "{all}");
    assert!(!all.contains("+3225559876"), "{all}");
}
