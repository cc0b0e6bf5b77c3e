//! Chaos and crash suites (issue 5): a bulk change of 500 actions under injected faults (lost
//! answers of applied writes included), and the same change killed with SIGKILL at 20 seeded
//! random moments and resumed each time; each under both realism settings of the emulator.
//!
//! Both suites check the same end state, from the emulator's own state and request journal:
//! - every changeable action ends at the target, except the actions whose *timeout* a
//!   concurrent editor changed, which keep that editor's value and are the only failures;
//! - every concurrent edit of another field is preserved;
//! - nothing else differs, templates and unknown fields included (a diff of the whole state);
//! - no action was written again after its verified success (exactly one 2xx PATCH each, and
//!   it is that action's last PATCH);
//! - the run journal is consistent: one `done` per changed action, nothing after it.
//!
//! Everything is seeded (the synthetic org, the fault triggers, the kill moments); the order in
//! which concurrent workers meet the faults is not, so the assertions are computed from what
//! the emulator journal says happened, never from a fixed expectation.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use genesys_emulator::{Config, FaultRule, JournalEntry};
use serde_json::{json, Value};

/// Actions in the org (seed org plus synthetic ones).
const ACTIONS: usize = 500;
/// The target timeout. The concurrent timeout editor sets 44 or 45, never this.
const TARGET: i64 = 30;
const ACTIONS_PATH: &str = "/api/v2/integrations/actions/";

const EDIT_OTHER: &str = "concurrent-editor";
const EDIT_TIMEOUT: &str = "concurrent-timeout-editor";
const EXPIRE: &str = "token-expiry";
const S503: &str = "503";
const S429: &str = "429";
const DROP: &str = "drop";
const DROP_AFTER: &str = "drop-after-write";
const S504_AFTER: &str = "504-after-write";

/// An emulator config with exactly [`ACTIONS`] actions.
fn org_of_500(seed: u64, latency: Duration) -> Config {
    let seeded = genesys_emulator::Emulator::new(Config::default());
    let n_seed = find_actions(&seeded.state()).len();
    Config {
        seed,
        synthetic_actions: ACTIONS - n_seed,
        latency,
        ..Config::default()
    }
}

/// The chaos of issue 5: 5% 503s, 3% 429s with `Retry-After: 1`, 2% dropped connections, a
/// concurrent editor on every 7th write, a token that expires mid-run, and a concurrent editor
/// that changes the *timeout* of three actions (those must be reported, not overwritten).
/// `scale` multiplies the probabilities (the crash suite runs with lighter weather).
fn chaos_rules(seed: u64, scale: f64, expire_at: u64) -> Vec<FaultRule> {
    let patch = ACTION_PATH;
    vec![
        // First: the first rule that fires decides a request, and an `nth` trigger fires once.
        fault_rule(json!({"name": EXPIRE, "path": "/api/**",
            "trigger": {"type": "nth", "n": expire_at}, "times": 1,
            "action": {"type": "expire_token"}})),
        fault_rule(
            json!({"name": EDIT_TIMEOUT, "method": "PATCH", "path": patch,
            "trigger": {"type": "every", "n": 97}, "times": 3,
            "action": {"type": "concurrent_edit", "field": "timeout"}}),
        ),
        fault_rule(json!({"name": EDIT_OTHER, "method": "PATCH", "path": patch,
            "trigger": {"type": "every", "n": 7},
            "action": {"type": "concurrent_edit", "field": "other"}})),
        fault_rule(json!({"name": S503, "path": "/api/**",
            "trigger": {"type": "probability", "p": 0.05 * scale, "seed": seed},
            "action": {"type": "status", "status": 503}})),
        fault_rule(json!({"name": S429, "path": "/api/**",
            "trigger": {"type": "probability", "p": 0.03 * scale, "seed": seed + 1},
            "action": {"type": "status", "status": 429, "retry_after": 1}})),
        fault_rule(json!({"name": DROP, "path": "/api/**",
            "trigger": {"type": "probability", "p": 0.02 * scale, "seed": seed + 2},
            "action": {"type": "drop"}})),
        // Answers lost after the write was applied: the outcome is unknown to dactl.
        fault_rule(json!({"name": DROP_AFTER, "method": "PATCH", "path": patch,
            "trigger": {"type": "probability", "p": 0.02 * scale, "seed": seed + 3},
            "action": {"type": "drop_after"}})),
        fault_rule(json!({"name": S504_AFTER, "method": "PATCH", "path": patch,
            "trigger": {"type": "probability", "p": 0.02 * scale, "seed": seed + 4},
            "action": {"type": "status_after", "status": 504}})),
    ]
}

fn action_id(e: &JournalEntry) -> Option<&str> {
    let rest = e.path.strip_prefix(ACTIONS_PATH)?;
    (!rest.contains('/')).then_some(rest)
}

/// Ids on which a concurrent edit of the given kind was really applied (the request got past
/// authentication: an edit on a request refused with 401 is not applied by the emulator).
fn edited(journal: &[JournalEntry], fault: &str) -> BTreeSet<String> {
    journal
        .iter()
        .filter(|e| e.method == "PATCH" && e.fault.as_deref() == Some(fault) && e.status != 401)
        .filter_map(|e| action_id(e).map(str::to_string))
        .collect()
}

fn fault_counts(journal: &[JournalEntry]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for e in journal {
        if let Some(f) = &e.fault {
            *m.entry(f.clone()).or_default() += 1;
        }
    }
    m
}

/// The end-state checks shared by both suites. Returns the ids that must be reported failed.
fn check_end_state(h: &Harness, before: &Value) -> BTreeSet<String> {
    let journal = h.journal();
    let after = h.state();
    let timeout_edited = edited(&journal, EDIT_TIMEOUT);
    let other_edited = edited(&journal, EDIT_OTHER);
    let before_actions = find_actions(before);
    let after_actions = find_actions(&after);
    assert_eq!(before_actions.len(), after_actions.len(), "no action lost");

    // 1. The whole state differs only where it may.
    let ids: Vec<String> = before_actions
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    for p in diff_paths(before, &after) {
        let mut segs = p.trim_start_matches('/').splitn(3, '/');
        let (top, ix, rest) = (segs.next(), segs.next(), segs.next());
        assert_eq!(top, Some("actions"), "outside the actions: {p}");
        let id = &ids[ix.unwrap().parse::<usize>().unwrap()];
        let allowed = match rest {
            Some("version") | Some("config/timeoutSeconds") => true,
            Some("config/request/headers/X-Concurrent-Edit") => other_edited.contains(id),
            _ => false,
        };
        assert!(allowed, "unexpected difference at {p} (action {id})");
    }

    // 2. Timeouts: the target, or the concurrent editor's value where it changed the timeout.
    for (b, a) in before_actions.iter().zip(&after_actions) {
        let id = a["id"].as_str().unwrap();
        let t = a["config"].get("timeoutSeconds").and_then(Value::as_i64);
        if !is_regular(a) {
            assert_eq!(a, b, "{id} is built-in or custom-auth: untouched");
        } else if timeout_edited.contains(id) {
            assert!(
                matches!(t, Some(44) | Some(45)),
                "{id}: the concurrent timeout edit is kept, got {t:?}"
            );
        } else {
            assert_eq!(t, Some(TARGET), "{id} ends at the target");
        }
        // 3. Every concurrent edit of another field is preserved.
        if other_edited.contains(id) {
            assert!(
                a["config"]["request"]["headers"]
                    .get("X-Concurrent-Edit")
                    .is_some(),
                "{id}: the concurrent edit survived"
            );
        }
    }

    // 4. No action written again after its verified success.
    let mut ok_patches: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    let mut last_patch: BTreeMap<&str, u64> = BTreeMap::new();
    for e in journal.iter().filter(|e| e.method == "PATCH") {
        if let Some(id) = action_id(e) {
            last_patch.insert(id, e.seq);
            // Applied: answered 2xx, or answered 2xx by the handler before a fault lost it.
            let applied = |s: u16| (200..300).contains(&s);
            if applied(e.status) || e.handled_status.is_some_and(applied) {
                ok_patches.entry(id).or_default().push(e.seq);
            }
        }
    }
    for a in after_actions.iter().filter(|a| is_regular(a)) {
        let id = a["id"].as_str().unwrap();
        let ok = ok_patches.get(id).cloned().unwrap_or_default();
        let was = before_actions
            .iter()
            .find(|b| b["id"] == id)
            .and_then(|b| b["config"].get("timeoutSeconds"))
            .and_then(Value::as_i64);
        if timeout_edited.contains(id) || was == Some(TARGET) {
            assert!(
                ok.is_empty(),
                "{id}: no write (already at the target, or a concurrent timeout)"
            );
        } else {
            assert_eq!(ok.len(), 1, "{id}: written exactly once, got {ok:?}");
            assert_eq!(
                Some(&ok[0]),
                last_patch.get(id),
                "{id}: no PATCH after the verified success"
            );
        }
    }
    timeout_edited
}

/// The run journal: every line parses, one `done` per changed action and no write step after
/// it; the failed actions are exactly `failed`.
fn check_run_journal(h: &Harness, before: &Value, failed: &BTreeSet<String>) -> usize {
    let runs: Vec<_> = std::fs::read_dir(h.runs_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("plan.json").exists())
        .collect();
    assert_eq!(runs.len(), 1, "one run");
    let text = std::fs::read_to_string(runs[0].join("journal.ndjson")).unwrap();
    let mut done: BTreeMap<String, usize> = BTreeMap::new();
    let mut last_failed: BTreeSet<String> = BTreeSet::new();
    let lines: Vec<&str> = text.lines().collect();
    for line in &lines {
        let ev: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let id = ev["id"].as_str().map(str::to_string);
        match (ev["step"].as_str().unwrap(), id) {
            ("done", Some(id)) => {
                *done.entry(id.clone()).or_default() += 1;
                last_failed.remove(&id);
            }
            ("failed", Some(id)) => {
                last_failed.insert(id);
            }
            (step @ ("backup" | "patch" | "patched" | "conflict"), Some(id)) => {
                assert!(
                    !done.contains_key(&id),
                    "{step} of {id} after its done line"
                );
                last_failed.remove(&id);
            }
            _ => {}
        }
    }
    assert!(done.values().all(|&n| n == 1), "one done line per action");
    assert_eq!(&last_failed, failed, "the journal's failures");
    for a in find_actions(before).iter().filter(|a| is_regular(a)) {
        let id = a["id"].as_str().unwrap();
        let at_target = a["config"].get("timeoutSeconds").and_then(Value::as_i64) == Some(TARGET);
        assert_eq!(
            done.contains_key(id),
            !failed.contains(id) && !at_target,
            "{id}: done in the journal iff changed"
        );
    }
    lines.len()
}

fn report_faults(suite: &str, journal: &[JournalEntry]) -> BTreeMap<String, usize> {
    let counts = fault_counts(journal);
    eprintln!(
        "{suite}: {} requests, faults injected: {counts:?}",
        journal.len()
    );
    counts
}

both_realisms! {
    fn a_bulk_change_of_500_actions_survives_chaos() {
        let started = Instant::now();
        let h = Harness::with_config(org_of_500(5, Duration::ZERO));
        let before = h.state();
        h.emu.set_faults(chaos_rules(5, 1.0, 400));
        let o = h
            .cmd()
            .args(["-o", "json", "--concurrency", "8", "--rate", "100000"])
            .args(["timeout", "set", &TARGET.to_string(), "--all", "--yes"])
            .output()
            .unwrap();
        eprintln!("--- dactl stderr\n{}", stderr(&o));
        let journal = h.journal();
        let counts = report_faults("chaos", &journal);
        let failed = check_end_state(&h, &before);
        assert!(!failed.is_empty(), "the timeout editor fired");
        // Exit 3, naming exactly the actions whose timeout was changed concurrently.
        assert_code(&o, 3);
        let v = json_out(&o);
        let reported = failed_ids(&v);
        assert_eq!(reported, failed, "failures reported");
        let err = stderr(&o);
        let error_lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(error_lines.len(), failed.len(), "{err}");
        for id in &failed {
            assert!(
                error_lines
                    .iter()
                    .any(|l| l.contains(id.as_str()) && l.contains("changed since")),
                "{id} named: {err}"
            );
        }
        assert_eq!(
            (v["summary"]["changed"].as_u64().unwrap() + v["summary"]["unchanged"].as_u64().unwrap())
                as usize,
            h.actions().iter().filter(|a| is_regular(a)).count() - failed.len()
        );
        check_run_journal(&h, &before, &failed);
        // The weather really happened.
        for (k, min) in [
            (S503, 20),
            (S429, 10),
            (DROP, 5),
            (DROP_AFTER, 3),
            (S504_AFTER, 3),
            (EDIT_OTHER, 40),
            (EXPIRE, 1),
        ] {
            assert!(
                counts.get(k).copied().unwrap_or(0) >= min,
                "{k}: {counts:?}"
            );
        }
        assert!(
            journal
                .iter()
                .filter(|e| e.path == "/oauth/token" && e.status == 200)
                .count()
                >= 2,
            "a fresh token was fetched after the expiry"
        );
        eprintln!(
            "chaos: {} actions, {} failed as expected, {:.1} s",
            ACTIONS,
            failed.len(),
            started.elapsed().as_secs_f64()
        );
    }
}

/// Waits until `child` exits or the deadline passes; true when it exited.
fn wait_until(child: &mut Child, deadline: Instant) -> bool {
    loop {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn journal_lines(h: &Harness) -> usize {
    let Ok(rd) = std::fs::read_dir(h.runs_dir()) else {
        return 0;
    };
    rd.filter_map(|e| e.ok())
        .map(|e| {
            std::fs::read(e.path().join("journal.ndjson"))
                .map(|b| b.iter().filter(|&&c| c == b'\n').count())
                .unwrap_or(0)
        })
        .sum()
}

/// Actions whose last journal line is a `patch` (the write was sent, or about to be, and its
/// outcome was not journalled): the kill landed in the middle of a write.
fn writes_in_flight(h: &Harness) -> usize {
    let Ok(rd) = std::fs::read_dir(h.runs_dir()) else {
        return 0;
    };
    let mut last: BTreeMap<String, String> = BTreeMap::new();
    for e in rd.filter_map(|e| e.ok()) {
        let text = std::fs::read_to_string(e.path().join("journal.ndjson")).unwrap_or_default();
        for line in text.lines() {
            if let Ok(v) = serde_json::from_str::<Value>(line) {
                if let (Some(id), Some(step)) = (v["id"].as_str(), v["step"].as_str()) {
                    last.insert(id.to_string(), step.to_string());
                }
            }
        }
    }
    last.values().filter(|s| *s == "patch").count()
}

fn has_run(h: &Harness) -> bool {
    std::fs::read_dir(h.runs_dir())
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .any(|e| e.path().join("plan.json").exists())
        })
        .unwrap_or(false)
}

both_realisms! {
    fn a_bulk_change_killed_20_times_resumes_to_the_same_end_state() {
        let started = Instant::now();
        // A little latency so that a run lasts long enough to be killed 20 times.
        let h = Harness::with_config(org_of_500(11, Duration::from_millis(10)));
        let before = h.state();
        // Lighter weather than the chaos suite (a third of the probabilities), same kinds.
        h.emu.set_faults(chaos_rules(11, 1.0 / 3.0, 900));
        let set_args = [
            "--concurrency",
            "4",
            "--rate",
            "100000",
            "timeout",
            "set",
            "30",
            "--all",
            "--yes",
        ];
        let mut rng = fastrand::Rng::with_seed(20_261_129);
        let mut kills = 0;
        let mut kills_mid_write = 0;
        while kills < 20 {
            let mut cmd = h.cmd();
            if has_run(&h) {
                cmd.args([
                    "--concurrency",
                    "4",
                    "--rate",
                    "100000",
                    "runs",
                    "resume",
                    "last",
                ]);
            } else {
                cmd.args(set_args);
            }
            let mut child = cmd
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            // A seeded random moment: mostly a few ms after a random number of new journal lines
            // (in the middle of the per-action steps), sometimes a plain delay from the start
            // (during login, listing and planning).
            let deadline = Instant::now() + Duration::from_secs(30);
            let exited = if rng.f64() < 0.15 {
                let ms = rng.u64(0..150);
                wait_until(&mut child, Instant::now() + Duration::from_millis(ms))
            } else {
                let target = journal_lines(&h) + rng.usize(1..50);
                loop {
                    if child.try_wait().unwrap().is_some() {
                        break true;
                    }
                    if journal_lines(&h) >= target {
                        let ms = rng.u64(0..15);
                        break wait_until(&mut child, Instant::now() + Duration::from_millis(ms));
                    }
                    assert!(Instant::now() < deadline, "no progress");
                    std::thread::sleep(Duration::from_millis(1));
                }
            };
            if exited {
                let code = child.wait().unwrap().code();
                panic!("the run ended on its own ({code:?}) after {kills} kills; it must outlast 20");
            }
            child.kill().unwrap(); // SIGKILL on Unix
            let status = child.wait().unwrap();
            if let Some(code) = status.code() {
                panic!("the run ended on its own (exit {code}) just before kill {kills}; it must outlast 20");
            }
            kills += 1;
            let in_flight = writes_in_flight(&h);
            if in_flight > 0 {
                kills_mid_write += 1;
            }
            eprintln!(
                "kill {kills}: {} journal lines, {} requests, {in_flight} writes in flight",
                journal_lines(&h),
                h.journal().len()
            );
        }
        // Finish: resume until the run completes (no more kills).
        let o = h.run(&[
            "-o",
            "json",
            "--concurrency",
            "8",
            "--rate",
            "100000",
            "runs",
            "resume",
            "last",
        ]);
        eprintln!("--- dactl stderr\n{}", stderr(&o));
        let journal = h.journal();
        let counts = report_faults("crash", &journal);
        let failed = check_end_state(&h, &before);
        assert_code(&o, if failed.is_empty() { 0 } else { 3 });
        let lines = check_run_journal(&h, &before, &failed);
        // A second resume finds nothing to do.
        let n = h.journal().len();
        let o = h.run(&["--rate", "100000", "runs", "resume", "last"]);
        assert!(matches!(o.status.code(), Some(0) | Some(3)));
        assert!(h.journal()[n..].iter().all(|e| e.method != "PATCH"));
        eprintln!(
            "crash: {kills} kills survived ({kills_mid_write} with a write in flight), {} failed as \
             expected, \
             {lines} journal lines, {counts:?}, {:.1} s",
            failed.len(),
            started.elapsed().as_secs_f64()
        );
    }
}

// A write that lands after a version conflict, then a crash before its response is
// journalled: resume must verify against the pre-image of that write (which carries the
// concurrent edit), not against the first backup.
both_realisms! {
    fn resume_after_a_conflict_and_a_crash_keeps_the_concurrent_edit() {
        let h = Harness::new();
        let a = h
            .actions()
            .into_iter()
            .find(|a| is_regular(a) && a["config"]["timeoutSeconds"] != TARGET)
            .unwrap();
        let id = a["id"].as_str().unwrap().to_string();
        h.emu.set_faults(vec![nth_patch_fault(
            EDIT_OTHER,
            1,
            json!({"type": "concurrent_edit", "field": "other"}),
        )]);
        // The first PATCH gets a 409; the second lands; the process dies right after sending it.
        let o = h.run_env(&[("DACTL_TEST_CRASH_AT", "after-patch:2")], &["timeout", "set", &TARGET.to_string(), &id]);
        assert_code(&o, 137);
        let o = h.run(&["runs", "resume", "last"]);
        assert_code(&o, 0);
        let now = h.action_by_name(a["name"].as_str().unwrap());
        assert_eq!(now["config"]["timeoutSeconds"], TARGET);
        assert!(now["config"]["request"]["headers"]
            .get("X-Concurrent-Edit")
            .is_some());
    }
}

// A canary that failed for a reason of its own (its timeout was changed concurrently) does not
// block the resumed run: it goes last, a new canary is chosen, and only it is reported.
both_realisms! {
    fn an_action_that_keeps_failing_does_not_block_resume_as_its_canary() {
        let h = Harness::new();
        let cat = {
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for a in h.actions().iter().filter(|a| is_regular(a)) {
                *counts
                    .entry(a["category"].as_str().unwrap_or("").to_string())
                    .or_default() += 1;
            }
            counts.into_iter().max_by_key(|(_, n)| *n).unwrap().0
        };
        h.emu.set_faults(vec![nth_patch_fault(
            EDIT_TIMEOUT,
            1,
            json!({"type": "concurrent_edit", "field": "timeout"}),
        )]);
        let args = ["timeout", "set", "30", "--category", &cat, "--yes"];
        let o = h.run(&args);
        assert_code(&o, 3);
        assert_contains(&stderr(&o), "canary");
        let first = edited(&h.journal(), EDIT_TIMEOUT);
        assert_eq!(first.len(), 1);
        let o = h.run(&["-o", "json", "runs", "resume", "last"]);
        assert_code(&o, 3);
        let v = json_out(&o);
        let failed = failed_ids(&v);
        assert_eq!(failed, first, "only the concurrently changed action fails");
        for a in h.actions().iter().filter(|a| is_regular(a)) {
            if a["category"].as_str() == Some(cat.as_str())
                && !first.contains(a["id"].as_str().unwrap())
            {
                assert_eq!(a["config"]["timeoutSeconds"], 30, "{}", a["name"]);
            }
        }
    }
}

/// The ids of the actions a run's JSON summary reports as failed.
fn failed_ids(summary: &Value) -> BTreeSet<String> {
    summary["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "failed")
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}
