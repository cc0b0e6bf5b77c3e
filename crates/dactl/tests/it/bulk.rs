//! Bulk runs against the emulator: selection, plan, dry run, canary, crash and resume, undo.

use std::collections::HashMap;

use crate::common::*;
use serde_json::Value;

/// The category with the most regular actions.
fn busiest_category(h: &Harness) -> String {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for a in h.actions().iter().filter(|a| is_regular(a)) {
        *counts
            .entry(a["category"].as_str().unwrap_or("").to_string())
            .or_default() += 1;
    }
    let mut v: Vec<(String, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    assert!(v[0].1 >= 3, "a category with at least 3 actions");
    v[0].0.clone()
}

fn successful_patches_by_id(h: &Harness) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for e in h.journal() {
        if e.method == "PATCH" && e.status < 300 && !e.path.ends_with("/draft") {
            let id = e.path.rsplit('/').next().unwrap().to_string();
            *m.entry(id).or_default() += 1;
        }
    }
    m
}

fn strip_versions(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| k.as_str() != "version")
                .map(|(k, v)| (k.clone(), strip_versions(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_versions).collect()),
        other => other.clone(),
    }
}

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let h = Harness::new();
    let cat = busiest_category(&h);
    let o = h.run(&["timeout", "set", "45s", "--category", &cat, "--dry-run"]);
    assert_code(&o, 0);
    // The snapshot keeps the name it had when this file was a test binary of its own
    // (`bulk__…`), not the one of the module path (`it__bulk__…`).
    insta::with_settings!({prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("bulk__dry_run_plan_table", stdout(&o));
    });
    let o = h.run(&[
        "-o",
        "json",
        "timeout",
        "set",
        "45s",
        "--category",
        &cat,
        "--dry-run",
    ]);
    assert_code(&o, 0);
    let v = json_out(&o);
    let rows = v["plan"]["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    for r in rows {
        assert_eq!(
            r["category"].as_str().unwrap().to_lowercase(),
            cat.to_lowercase()
        );
        assert!(["change", "unchanged", "skip"].contains(&r["verdict"].as_str().unwrap()));
    }
    assert_eq!(h.writes().len(), 0, "a dry run writes nothing");
    assert!(
        !h.runs_dir().exists() || std::fs::read_dir(h.runs_dir()).unwrap().count() == 0,
        "a dry run makes no run"
    );
}

#[test]
fn a_bulk_write_needs_yes_off_a_terminal() {
    let h = Harness::new();
    let cat = busiest_category(&h);
    let o = h.run(&["timeout", "set", "45s", "--category", &cat]);
    assert_code(&o, 2);
    assert_contains(&stderr(&o), "--yes");
    assert_eq!(h.writes().len(), 0);
}

both_realisms! {
    fn bulk_set_reaches_the_target_with_reasons_for_the_rest() {
        let h = Harness::new();
        let o = h.run(&[
            "-o",
            "ndjson",
            "--concurrency",
            "4",
            "timeout",
            "set",
            "45s",
            "--all",
            "--yes",
        ]);
        assert_code(&o, 0);
        let lines = ndjson_out(&o);
        let summary = lines.last().unwrap();
        assert!(summary["summary"]["changed"].as_u64().unwrap() >= 3);
        for a in h.actions() {
            if is_regular(&a) {
                assert_eq!(a["config"]["timeoutSeconds"], 45, "{}", a["name"]);
            }
        }
        // Every action not changed has a reason.
        for l in &lines[..lines.len() - 1] {
            if l["status"] != "changed" {
                assert!(l["message"].as_str().is_some_and(|m| !m.is_empty()), "{l}");
            }
        }
        // Built-in and custom-auth actions were skipped with their reasons.
        assert!(lines
            .iter()
            .any(|l| l["status"] == "skipped" && l["message"].as_str().unwrap().contains("built-in")));
        assert!(lines.iter().any(
            |l| l["status"] == "skipped" && l["message"].as_str().unwrap().contains("custom-auth")
        ));
        // No action written twice; no GET per action beyond the canary's verification.
        assert!(successful_patches_by_id(&h).values().all(|&n| n == 1));
        let gets_of_actions = h
            .journal()
            .iter()
            .filter(|e| {
                e.method == "GET"
                    && e.path.split('/').count() == 6
                    && e.path.starts_with("/api/v2/integrations/actions/")
                    && !e.path.ends_with("/drafts")
            })
            .count();
        assert!(
            gets_of_actions <= 1,
            "configs come from the listing: {gets_of_actions} GETs"
        );
    }
}

both_realisms! {
    fn a_failed_canary_stops_the_run_before_any_other_write() {
        let h = Harness::new();
        let cat = busiest_category(&h);
        h.emu.set_faults(vec![nth_patch_fault(
            "canary-breaker",
            1,
            serde_json::json!({"type": "status", "status": 400, "code": "bad.request", "message": "injected"}),
        )]);
        let o = h.run(&["timeout", "set", "45s", "--category", &cat, "--yes"]);
        assert_code(&o, 3);
        let patches: Vec<_> = h
            .journal()
            .into_iter()
            .filter(|e| e.method == "PATCH")
            .collect();
        assert_eq!(patches.len(), 1, "only the canary was written");
        assert_contains(&stderr(&o), "canary");
        // The fault is gone: the printed next step, run back as printed, finishes the run.
        h.emu.set_faults(Vec::new());
        let resume = printed_step(&stderr(&o), "fix the cause and run:");
        assert!(resume.starts_with("dactl --base-url "), "{resume}");
        let o = h.run_printed(&resume);
        assert_code(&o, 0);
        for a in h.actions().iter().filter(|a| a["category"] == cat.as_str()) {
            if is_regular(a) {
                assert_eq!(a["config"]["timeoutSeconds"], 45, "{}", a["name"]);
            }
        }
    }
}

fn crash_then_resume(step: &str, nth: u32) {
    let h = Harness::new();
    let cat = busiest_category(&h);
    let o = h.run_env(
        &[("DACTL_TEST_CRASH_AT", &format!("{step}:{nth}"))],
        &[
            "timeout",
            "set",
            "44s",
            "--category",
            &cat,
            "--yes",
            "--concurrency",
            "2",
        ],
    );
    assert_code(&o, 137);
    let o = h.run(&["runs", "resume", "last"]);
    assert_code(&o, 0);
    for a in h.actions() {
        if is_regular(&a) && a["category"].as_str() == Some(cat.as_str()) {
            assert_eq!(
                a["config"]["timeoutSeconds"], 44,
                "{step}:{nth} {}",
                a["name"]
            );
        }
    }
    for (id, n) in successful_patches_by_id(&h) {
        assert_eq!(n, 1, "{step}:{nth}: action {id} written {n} times");
    }
    // A second resume finds nothing to do.
    let before = h.journal().len();
    assert_code(&h.run(&["runs", "resume", "last"]), 0);
    assert!(h.journal().iter().skip(before).all(|e| e.method != "PATCH"));
}

both_realisms! {
    fn resume_after_a_crash_at_every_step() {
        for step in [
            "after-backup",
            "after-intent",
            "after-patch",
            "after-patched",
            "after-done",
        ] {
            for nth in [1, 2] {
                crash_then_resume(step, nth);
            }
        }
    }
}

both_realisms! {
    fn undo_restores_the_original_state_and_respects_changed_since() {
        let h = Harness::new();
        let cat = busiest_category(&h);
        let before = h.state();
        let o = h.run(&["timeout", "set", "41s", "--category", &cat, "--yes"]);
        assert_code(&o, 0);
        // Undo everything: exactly the original state, versions aside.
        let o = h.run(&["undo", "last", "--dry-run"]);
        assert_code(&o, 0);
        let o = h.run(&["undo", "last", "--yes"]);
        // `last` is now the dry run's… no: a dry run makes no run, so `last` is the set run.
        assert_code(&o, 0);
        assert_eq!(strip_versions(&h.state()), strip_versions(&before));

        // Changed since: set again, move one timeout by hand, undo leaves that one alone.
        let o = h.run(&[
            "-o",
            "json",
            "timeout",
            "set",
            "39s",
            "--category",
            &cat,
            "--yes",
        ]);
        assert_code(&o, 0);
        let run_id = serde_json::from_str::<Value>(&stdout(&o)).unwrap()["run_id"]
            .as_str()
            .unwrap()
            .to_string();
        let victim = h
            .actions()
            .into_iter()
            .find(|a| {
                is_regular(a)
                    && a["category"].as_str() == Some(cat.as_str())
                    && a["config"]["timeoutSeconds"] == 39
            })
            .unwrap();
        assert_code(
            &h.run(&["timeout", "set", "12", victim["id"].as_str().unwrap()]),
            0,
        );
        let o = h.run(&["-o", "json", "undo", &run_id, "--yes"]);
        assert_code(&o, 0);
        let v = json_out(&o);
        let row = v["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == victim["id"])
            .unwrap()
            .clone();
        assert_eq!(row["status"], "skipped");
        assert!(
            row["message"].as_str().unwrap().contains("changed since"),
            "{row}"
        );
        let now: Value = h
            .actions()
            .into_iter()
            .find(|a| a["id"] == victim["id"])
            .unwrap();
        assert_eq!(now["config"]["timeoutSeconds"], 12, "left alone");
        // --force restores it anyway.
        let o = h.run(&["-o", "json", "undo", &run_id, "--yes", "--force"]);
        assert_code(&o, 0);
        let orig = before_timeout(&before, victim["id"].as_str().unwrap());
        let now: Value = h
            .actions()
            .into_iter()
            .find(|a| a["id"] == victim["id"])
            .unwrap();
        assert_eq!(now["config"].get("timeoutSeconds").cloned(), orig);
    }
}

fn before_timeout(state: &Value, id: &str) -> Option<Value> {
    find_actions(state)
        .into_iter()
        .find(|a| a["id"] == id)
        .unwrap()["config"]
        .get("timeoutSeconds")
        .cloned()
}

#[test]
fn runs_list_and_show() {
    let h = Harness::new();
    let cat = busiest_category(&h);
    assert_code(
        &h.run(&["timeout", "set", "43s", "--category", &cat, "--yes"]),
        0,
    );
    let o = h.run(&["-o", "json", "runs", "list"]);
    assert_code(&o, 0);
    let v: Vec<Value> = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["status"], "completed");
    for k in ["id", "started_at", "command", "status", "changed"] {
        assert!(v[0].get(k).is_some(), "{k}");
    }
    let o = h.run(&["runs", "show", v[0]["id"].as_str().unwrap()]);
    assert_code(&o, 0);
    assert!(stdout(&o).contains("done"));
    // The run folder holds plan, journal, backups and summary, privately.
    let dir = h.runs_dir().join(v[0]["id"].as_str().unwrap());
    for f in ["plan.json", "journal.ndjson", "summary.json", "backups"] {
        assert!(dir.join(f).exists(), "{f}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(dir.join("backups"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
        for e in std::fs::read_dir(dir.join("backups")).unwrap() {
            assert_eq!(
                e.unwrap().metadata().unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }
}

both_realisms! {
    fn also_draft_patches_the_draft_and_never_publishes() {
        let h = Harness::new();
        let o = h.run(&["-o", "json", "list"]);
        let list: Vec<Value> = serde_json::from_str(&stdout(&o)).unwrap();
        let with_draft = list
            .iter()
            .find(|r| r["draft"] == true && r["kind"] == "regular")
            .expect("an action with a draft");
        let id = with_draft["id"].as_str().unwrap();
        // Without --also-draft: a warning.
        let o = h.run(&["timeout", "set", "22", id]);
        assert_code(&o, 0);
        assert_contains(&stderr(&o), "draft");
        // With it: the draft is patched too, never published.
        let o = h.run(&["timeout", "set", "23", id, "--also-draft"]);
        assert_code(&o, 0);
        let j = h.journal();
        assert!(j
            .iter()
            .any(|e| e.method == "PATCH" && e.path.ends_with("/draft") && e.status < 300));
        assert!(!j.iter().any(|e| e.path.contains("publish")));
    }
}

#[test]
fn backup_writes_one_file_per_action_and_an_index() {
    let h = Harness::new();
    let out = h.home().join("bk");
    let o = h.run(&["backup", "--all", "--out", out.to_str().unwrap()]);
    assert_code(&o, 0);
    let index: Value =
        serde_json::from_slice(&std::fs::read(out.join("index.json")).unwrap()).unwrap();
    let n = index["actions"].as_array().unwrap().len();
    assert_eq!(n, h.actions().len());
    // Template text is inlined.
    let with_tpl = h
        .actions()
        .into_iter()
        .find(|a| a["config"]["request"]["requestTemplate"].is_string())
        .unwrap();
    let file = index["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == with_tpl["id"])
        .unwrap()["file"]
        .as_str()
        .unwrap()
        .to_string();
    let saved: Value = serde_json::from_slice(&std::fs::read(out.join(file)).unwrap()).unwrap();
    assert_eq!(
        saved["config"]["request"]["requestTemplate"],
        with_tpl["config"]["request"]["requestTemplate"]
    );
}

both_realisms! {
    fn undo_of_an_also_draft_run_restores_the_draft_too() {
        let h = Harness::new();
        let before = h.state();
        let draft = before["drafts"].as_array().unwrap()[0].clone();
        let id = draft["id"].as_str().unwrap();
        assert_code(&h.run(&["timeout", "set", "24", id, "--also-draft"]), 0);
        let mid = h.state();
        let d = mid["drafts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == id)
            .unwrap()
            .clone();
        assert_eq!(d["config"]["timeoutSeconds"], 24);
        assert_code(&h.run(&["undo", "last", "--yes"]), 0);
        assert_eq!(
            strip_versions(&h.state()),
            strip_versions(&before),
            "published and draft restored"
        );
    }
}

/// The regular actions of a category, by id, with their state.
fn in_category(h: &Harness, cat: &str) -> Vec<Value> {
    h.actions()
        .into_iter()
        .filter(|a| is_regular(a) && a["category"].as_str() == Some(cat))
        .collect()
}

/// Steps of a run's journal for one action.
fn run_steps(h: &Harness, id: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(h.runs_dir()).unwrap().flatten() {
        let text = std::fs::read_to_string(e.path().join("journal.ndjson")).unwrap_or_default();
        for l in text.lines() {
            let v: Value = serde_json::from_str(l).unwrap();
            if v["id"] == id {
                out.push(v["step"].as_str().unwrap().to_string());
            }
        }
    }
    out
}

/// Kill the run after the canary's write landed but before its answer was journalled (alone,
/// or after the connection dropped with the write applied). Returns the canary's id.
fn kill_after_the_canary_landed(h: &Harness, cat: &str, drop_after: bool) -> String {
    if drop_after {
        h.emu.set_faults(vec![nth_patch_fault(
            "drop-after-write",
            1,
            serde_json::json!({"type": "drop_after"}),
        )]);
    }
    let o = h.run_env(
        &[("DACTL_TEST_CRASH_AT", "after-patch:1")],
        &["timeout", "set", "43s", "--category", cat, "--yes"],
    );
    assert_code(&o, 137);
    let patches: Vec<_> = h
        .writes()
        .into_iter()
        .filter(|e| e.method == "PATCH")
        .collect();
    assert_eq!(patches.len(), 1, "only the canary was sent");
    let id = patches[0].path.rsplit('/').next().unwrap().to_string();
    let now = h.actions().into_iter().find(|a| a["id"] == id).unwrap();
    assert_eq!(now["config"]["timeoutSeconds"], 43, "the write landed");
    // The journal's last word on it is the intent: no answer, no done.
    assert_eq!(run_steps(h, &id).last().map(String::as_str), Some("patch"));
    h.emu.set_faults(Vec::new());
    id
}

both_realisms! {
    fn undo_and_resume_settle_a_write_that_landed_before_its_answer_was_journalled() {
        for drop_after in [false, true] {
            // undo: the landed write is undone although the journal never said `done`.
            let h = Harness::new();
            let cat = busiest_category(&h);
            let before = h.state();
            let id = kill_after_the_canary_landed(&h, &cat, drop_after);
            let o = h.run(&["-o", "json", "undo", "last", "--yes"]);
            assert_code(&o, 0);
            let v = json_out(&o);
            let rows = v["results"].as_array().unwrap();
            assert_eq!(rows.len(), 1, "only the action the run sent a write to: {v}");
            assert_eq!((rows[0]["id"].as_str(), rows[0]["status"].as_str()), (Some(id.as_str()), Some("changed")));
            assert_eq!(strip_versions(&h.state()), strip_versions(&before), "org back to its state");

            // resume: the landed write is found by reading, journalled done, never sent again.
            let h = Harness::new();
            let cat = busiest_category(&h);
            let before = h.state();
            let id = kill_after_the_canary_landed(&h, &cat, drop_after);
            let o = h.run(&["-o", "json", "runs", "resume", "last"]);
            assert_code(&o, 0);
            for a in in_category(&h, &cat) {
                assert_eq!(a["config"]["timeoutSeconds"], 43, "{}", a["name"]);
            }
            let writes = h.writes().into_iter().filter(|e| e.method == "PATCH" && e.path.ends_with(&id)).count();
            assert_eq!(writes, 1, "the landed write is not sent again");
            let steps = run_steps(&h, &id);
            assert_eq!(steps.iter().filter(|s| *s == "done").count(), 1, "{steps:?}");
            assert!(!steps.iter().any(|s| s == "failed"), "{steps:?}");
            // And undo of the finished run puts every action back.
            assert_code(&h.run(&["undo", "last", "--yes"]), 0);
            assert_eq!(strip_versions(&h.state()), strip_versions(&before));
        }
    }
}

both_realisms! {
    fn a_write_whose_answer_is_lost_is_settled_by_reading_never_reported_failed() {
        let h = Harness::new();
        let cat = busiest_category(&h);
        let before = h.state();
        // The canary's connection drops after its write landed; the third write lands and
        // gets a gateway 504 instead of its answer; the fourth is refused with a 503 (not
        // applied); the fifth answers 200 with an empty body.
        h.emu.set_faults(vec![
            nth_patch_fault("drop-after", 1, serde_json::json!({"type": "drop_after"})),
            nth_patch_fault("504-after", 3, serde_json::json!({"type": "status_after", "status": 504})),
            nth_patch_fault("503", 4, serde_json::json!({"type": "status", "status": 503})),
        ]);
        let o = h.run(&["-o", "json", "timeout", "set", "42s", "--category", &cat, "--yes"]);
        assert_code(&o, 0);
        let v = json_out(&o);
        assert_eq!(v["summary"]["failed"], 0, "{v}");
        let targets = in_category(&h, &cat);
        for a in &targets {
            assert_eq!(a["config"]["timeoutSeconds"], 42, "{}", a["name"]);
        }
        assert_eq!(v["summary"]["changed"].as_u64().unwrap() as usize, targets.len());
        // Every action landed exactly once: a lost answer is settled by reading, not by
        // writing again.
        let mut landed: HashMap<String, usize> = HashMap::new();
        for e in h.writes().into_iter().filter(|e| e.method == "PATCH") {
            let applied = e.status < 300 || matches!(e.handled_status, Some(s) if s < 300);
            if applied {
                *landed.entry(e.path.rsplit('/').next().unwrap().to_string()).or_default() += 1;
            }
        }
        assert!(landed.values().all(|&n| n == 1), "{landed:?}");
        assert_eq!(landed.len(), targets.len());
        // The journal says `unknown`, then `done`, for the two lost answers.
        let unknown: Vec<String> = targets
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_string())
            .filter(|id| run_steps(&h, id).iter().any(|s| s == "unknown"))
            .collect();
        assert_eq!(unknown.len(), 3, "drop-after, 504-after and 503: {unknown:?}");
        for id in &unknown {
            assert_eq!(run_steps(&h, id).last().map(String::as_str), Some("done"));
        }
        assert_code(&h.run(&["undo", "last", "--yes"]), 0);
        assert_eq!(strip_versions(&h.state()), strip_versions(&before));
    }
}

both_realisms! {
    fn an_empty_or_bare_patch_answer_is_no_failure() {
        for answer in [genesys_emulator::PatchResponse::Bare, genesys_emulator::PatchResponse::Empty] {
            let h = Harness::new();
            let mut r = h.emu.realism(None).unwrap();
            r.patch_response = answer;
            h.emu.set_realism(None, r);
            let cat = busiest_category(&h);
            let n = in_category(&h, &cat).len();
            // Default verification: the canary is re-read, the others have no evidence but
            // no failure either.
            let o = h.run(&["-o", "json", "timeout", "set", "33s", "--category", &cat, "--yes"]);
            assert_code(&o, 0);
            let v = json_out(&o);
            assert_eq!(v["summary"]["changed"].as_u64().unwrap() as usize, n, "{answer:?}: {v}");
            for a in in_category(&h, &cat) {
                assert_eq!(a["config"]["timeoutSeconds"], 33);
            }
            // One action alone is its own canary: verified by reading it back.
            let id = in_category(&h, &cat)[0]["id"].as_str().unwrap().to_string();
            let o = h.run(&["timeout", "set", "34s", &id]);
            assert_code(&o, 0);
            assert_code(&h.run(&["-o", "json", "undo", "last", "--yes"]), 0);
        }
    }
}
