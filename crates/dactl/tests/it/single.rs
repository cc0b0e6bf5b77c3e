//! One action, end to end against the emulator: only the timeout and the version change,
//! templates always travel with the PATCH, concurrent edits survive, bad input writes nothing.

use crate::common::*;
use serde_json::Value;

/// A regular action with both templates (in the emulator's state, templates are text).
fn action_with_templates(h: &Harness) -> Value {
    h.actions()
        .into_iter()
        .find(|a| {
            is_regular(a)
                && a["config"]["request"]["requestTemplate"].is_string()
                && a["config"]["response"]["successTemplate"].is_string()
                && a["config"]["request"]["requestTemplate"]
                    .as_str()
                    .unwrap()
                    .contains('"')
                && !a["config"]["request"]["requestTemplate"]
                    .as_str()
                    .unwrap()
                    .is_ascii()
                && has_unique_name(h, a["name"].as_str().unwrap())
        })
        .expect("the seed org has an action with both templates holding quotes and non-ASCII text")
}

fn has_unique_name(h: &Harness, name: &str) -> bool {
    h.actions().iter().filter(|a| a["name"] == name).count() == 1
}

fn patches(h: &Harness) -> Vec<genesys_emulator::JournalEntry> {
    h.journal()
        .into_iter()
        .filter(|e| e.method == "PATCH")
        .collect()
}

fn only_timeout_and_version_changed(before: &Value, after: &Value) -> Vec<String> {
    diff_paths(before, after)
        .into_iter()
        .filter(|p| !p.ends_with("/timeoutSeconds") && !p.ends_with("/version"))
        .collect()
}

both_realisms! {
    fn set_changes_only_the_timeout_and_the_version() {
        let h = Harness::new();
        let a = action_with_templates(&h);
        let name = a["name"].as_str().unwrap();
        let target = if a["config"]["timeoutSeconds"] == 30 {
            "31"
        } else {
            "30"
        };
        let before = h.state();
        let o = h.run(&["timeout", "set", &format!("{target}s"), name]);
        assert_code(&o, 0);
        let after = h.state();
        assert_eq!(
            only_timeout_and_version_changed(&before, &after),
            Vec::<String>::new()
        );
        let changed = h.action_by_name(name);
        assert_eq!(changed["config"]["timeoutSeconds"].to_string(), target);
        assert!(changed["version"].as_i64().unwrap() > a["version"].as_i64().unwrap());
        // The PATCH carried the template text, not the URIs.
        let p = patches(&h);
        assert_eq!(p.len(), 1);
        let body = p[0].body.clone().unwrap();
        assert_eq!(
            body["config"]["request"]["requestTemplate"],
            a["config"]["request"]["requestTemplate"]
        );
        assert_eq!(
            body["config"]["response"]["successTemplate"],
            a["config"]["response"]["successTemplate"]
        );
        let text = body.to_string();
        assert!(!text.contains("TemplateUri"), "{text}");
        assert_eq!(body["version"], a["version"]);
        // An audit line and a backup exist.
        let audit = std::fs::read_to_string(h.home().join("audit.ndjson")).unwrap();
        assert_eq!(audit.lines().count(), 1);
        assert!(audit.contains(a["id"].as_str().unwrap()));
    }
}

both_realisms! {
    fn unset_removes_only_the_timeout() {
        let h = Harness::new();
        let a = h
            .actions()
            .into_iter()
            .find(|a| {
                let id = a["id"].as_str().unwrap_or("");
                a["config"]["timeoutSeconds"].is_i64()
                    && !id.starts_with("static")
                    && has_unique_name(&h, a["name"].as_str().unwrap())
            })
            .expect("an action with an explicit timeout");
        let name = a["name"].as_str().unwrap();
        let before = h.state();
        let o = h.run(&["timeout", "unset", name]);
        assert_code(&o, 0);
        let after = h.state();
        assert_eq!(
            only_timeout_and_version_changed(&before, &after),
            Vec::<String>::new()
        );
        assert!(h.action_by_name(name)["config"]
            .get("timeoutSeconds")
            .is_none());
        // Unset again: nothing to change, no write.
        let n = patches(&h).len();
        let o = h.run(&["timeout", "unset", name]);
        assert_code(&o, 0);
        assert_eq!(patches(&h).len(), n);
    }
}

both_realisms! {
    fn already_at_target_writes_nothing() {
        let h = Harness::new();
        let a = action_with_templates(&h);
        let name = a["name"].as_str().unwrap();
        assert_code(&h.run(&["timeout", "set", "25", name]), 0);
        assert_eq!(patches(&h).len(), 1);
        let o = h.run(&["timeout", "set", "25000ms", name]);
        assert_code(&o, 0);
        assert_eq!(patches(&h).len(), 1, "no second write");
    }
}

both_realisms! {
    fn a_concurrent_edit_is_re_read_and_survives() {
        let h = Harness::new();
        let a = action_with_templates(&h);
        let name = a["name"].as_str().unwrap();
        h.emu.set_faults(vec![nth_patch_fault(
            "editor",
            1,
            serde_json::json!({"type": "concurrent_edit", "field": "other"}),
        )]);
        let before = h.state();
        let o = h.run(&["timeout", "set", "17", name]);
        assert_code(&o, 0);
        let after = h.state();
        let changed = h.action_by_name(name);
        assert_eq!(changed["config"]["timeoutSeconds"], 17);
        // The concurrent edit is still there: something other than timeout/version changed.
        let other = only_timeout_and_version_changed(&before, &after);
        assert!(!other.is_empty(), "the concurrent edit must survive");
        let p = patches(&h);
        assert_eq!(p.len(), 2, "one stale PATCH, one re-applied");
        assert_eq!(p[0].status, conflict_status());
        assert!(p[1].status < 300);
        // The re-applied PATCH still carried the templates.
        assert_eq!(
            p[1].body.as_ref().unwrap()["config"]["request"]["requestTemplate"],
            a["config"]["request"]["requestTemplate"]
        );
    }
}

fn assert_no_write(h: &Harness) {
    assert_eq!(
        h.writes().len(),
        0,
        "nothing may be written: {:?}",
        h.writes()
    );
}

#[test]
fn bad_durations_are_refused_before_any_request() {
    let h = Harness::new();
    let a = action_with_templates(&h);
    let name = a["name"].as_str().unwrap();
    for d in ["0", "61", "1.5s", "-3", "abc", "90000ms", "", "1h"] {
        let o = h.run(&["timeout", "set", d, name]);
        assert_code(&o, 2);
        assert!(stderr(&o).contains("error:"), "{d}: {}", stderr(&o));
    }
    assert_eq!(h.journal().len(), 0, "no request at all for a bad duration");
}

#[test]
fn bad_references_are_refused_without_writing() {
    let h = Harness::new();
    // unknown name
    let o = h.run(&["timeout", "set", "30", "No Such Action Anywhere"]);
    assert_code(&o, 2);
    assert_contains(&stderr(&o), "error: no action");
    // ambiguous name: the error lists the matches
    let actions = h.actions();
    let dup = actions
        .iter()
        .find(|a| actions.iter().filter(|b| b["name"] == a["name"]).count() > 1)
        .expect("the seed org has a duplicated name");
    let o = h.run(&["timeout", "set", "30", dup["name"].as_str().unwrap()]);
    assert_code(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("matches 2 actions") || err.contains("matches"),
        "{err}"
    );
    for a in actions.iter().filter(|b| b["name"] == dup["name"]) {
        assert!(err.contains(a["id"].as_str().unwrap()), "{err}");
    }
    assert_no_write(&h);
}

#[test]
fn builtin_and_custom_auth_actions_are_refused() {
    let h = Harness::new();
    let all = h.actions();
    let st = all
        .iter()
        .find(|a| a["id"].as_str().unwrap().starts_with("static"))
        .expect("a built-in action");
    let o = h.run(&["timeout", "set", "30", st["id"].as_str().unwrap()]);
    assert_code(&o, 1);
    assert_contains(&stderr(&o), "built-in");
    let ca = all
        .iter()
        .find(|a| a["id"].as_str().unwrap().starts_with("customAuth"))
        .expect("a custom-auth action");
    let o = h.run(&["timeout", "set", "30", ca["id"].as_str().unwrap()]);
    assert_code(&o, 1);
    assert_contains(&stderr(&o), "custom-auth");
    assert_no_write(&h);
}

#[test]
fn connection_errors_have_their_codes() {
    let h = Harness::new();
    let a = action_with_templates(&h);
    let name = a["name"].as_str().unwrap();
    // http to a non-loopback host
    let o = h
        .cmd_without_url()
        .args([
            "--base-url",
            "http://api.example.com",
            "timeout",
            "set",
            "30",
            name,
        ])
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert_contains(&stderr(&o), "https");
    // unknown region, with the valid ones listed
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_dactl"));
    c.env_clear()
        .env("DACTL_HOME", h.home())
        .env("GENESYSCLOUD_OAUTHCLIENT_ID", "x")
        .env("GENESYSCLOUD_OAUTHCLIENT_SECRET", "y");
    let o = c
        .args(["--region", "mars-north-1", "list"])
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert_contains(&stderr(&o), "eu-west-1");
    // wrong credentials: exit 4, names the source, never the value
    let o = h.run_env(
        &[("GENESYSCLOUD_OAUTHCLIENT_SECRET", "wrong-secret-value")],
        &["timeout", "set", "30", name],
    );
    assert_code(&o, 4);
    let err = stderr(&o);
    assert!(err.contains("GENESYSCLOUD_OAUTHCLIENT_ID"), "{err}");
    assert!(!err.contains("wrong-secret-value"), "{err}");
    assert_no_write(&h);
}

#[test]
fn get_json_inlines_templates() {
    let h = Harness::new();
    let a = action_with_templates(&h);
    let o = h.run(&["-o", "json", "get", a["name"].as_str().unwrap()]);
    assert_code(&o, 0);
    let v = json_out(&o);
    assert_eq!(v["id"], a["id"]);
    assert_eq!(
        v["config"]["request"]["requestTemplate"],
        a["config"]["request"]["requestTemplate"]
    );
    assert!(v["config"]["request"].get("requestTemplateUri").is_none());
}

#[test]
fn list_shows_every_action_with_its_timeout() {
    let h = Harness::new();
    let o = h.run(&["-o", "json", "list"]);
    assert_code(&o, 0);
    let v: Vec<Value> = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v.len(), h.actions().len());
    let unset = v
        .iter()
        .find(|r| r["timeout_seconds"].is_null())
        .expect("an action with no timeout");
    assert_eq!(unset["effective_timeout_seconds"], 60);
    assert!(v.iter().any(|r| r["draft"] == true));
    let o = h.run(&["list"]);
    assert_code(&o, 0);
    assert!(stdout(&o).contains("60 (default)"));
}
