//! The critical path of one change, counted in sequential round trips from the emulator's
//! request journal (not timed): with a fixed added latency, a request that waited for another's
//! answer arrives after that answer was ready, and requests sent together arrive together. The
//! number of round trips is the longest chain of requests, each received after the previous
//! one was answered.
//!
//! The emulator caps pages at 2 entries here, so that an unnarrowed drafts listing (the org has
//! several drafts) would take extra round trips: a change of one action must not list them.
//!
//! Its own binary: these tests read concurrency from arrival times (requests sent together
//! arrive within the emulator's added latency of each other). Beside the hundreds of processes
//! of the `it` binary's chaos and bulk tests, a scheduling delay on a loaded 2-core machine can
//! exceed that latency; cargo runs test binaries one after the other, so here nothing else runs.
#![allow(clippy::unwrap_used)]

#[macro_use]
#[allow(unused_macros, unused_imports)]
#[path = "it/common/mod.rs"]
mod common;

use std::time::Duration;

use crate::common::*;
use genesys_emulator::{Config, JournalEntry};

/// Added latency: far above any scheduling delay of the client, so that "sent together" and
/// "sent after the answer" cannot be confused.
const LATENCY: Duration = Duration::from_millis(120);

fn harness() -> Harness {
    Harness::with_config(Config {
        latency: LATENCY,
        max_page_size: 2,
        synthetic_actions: 250,
        ..Config::default()
    })
}

/// The longest chain of requests, each received after the previous one was answered.
fn round_trips(journal: &[JournalEntry]) -> usize {
    let mut es: Vec<&JournalEntry> = journal.iter().collect();
    es.sort_by_key(|e| e.received_us);
    let mut depth: Vec<usize> = Vec::with_capacity(es.len());
    for (i, e) in es.iter().enumerate() {
        let before = (0..i)
            .filter(|&j| es[j].answered_us <= e.received_us)
            .map(|j| depth[j])
            .max()
            .unwrap_or(0);
        depth.push(before + 1);
    }
    depth.into_iter().max().unwrap_or(0)
}

/// The requests of each round trip, in order: `(method, path)` sorted within a round.
fn rounds(journal: &[JournalEntry]) -> Vec<Vec<String>> {
    let mut es: Vec<&JournalEntry> = journal.iter().collect();
    es.sort_by_key(|e| e.received_us);
    let mut out: Vec<(u64, Vec<String>)> = Vec::new();
    for e in es {
        let label = format!(
            "{} {}{}",
            e.method,
            e.path
                .rsplit_once("/actions")
                .map_or(e.path.as_str(), |(_, rest)| rest),
            e.query
                .as_deref()
                .filter(|q| q.contains("ids="))
                .map_or("", |_| " (ids)")
        );
        match out.last_mut() {
            Some((answered, group)) if e.received_us < *answered => group.push(label),
            _ => out.push((e.answered_us, vec![label])),
        }
    }
    out.into_iter()
        .map(|(_, mut g)| {
            g.sort();
            g
        })
        .collect()
}

/// The integrations listing (function data actions), read alongside the first listing.
const INTEGRATIONS: &str = "GET /api/v2/integrations";

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn drafts_in_org(h: &Harness) -> usize {
    h.state()["drafts"].as_array().map_or(0, Vec::len)
}

#[test]
fn one_action_by_name_takes_five_round_trips() {
    let h = harness();
    assert!(
        drafts_in_org(&h) > 2,
        "the org needs more than a page of drafts"
    );
    let a = h.action_by_name("Create Case");
    let id = a["id"].as_str().unwrap().to_string();
    h.emu.clear_journal();
    let out = h.run(&["timeout", "set", "17s", "Create Case"]);
    assert_code(&out, 0);
    let journal = h.journal();
    let r = rounds(&journal);
    assert_eq!(round_trips(&journal), 5, "{r:#?}");
    let tpl = format!("/{id}/templates/");
    assert_eq!(r[0], vec!["POST /oauth/token"]);
    // The integrations (function data actions are told apart by their type) are read
    // alongside the first listing: no round trip of their own.
    assert_eq!(
        r[1],
        vec!["GET ", INTEGRATIONS],
        "the listing narrowed by name: {r:#?}"
    );
    assert_eq!(
        r[2],
        sorted(vec![
            "GET /drafts (ids)".to_string(),
            format!("GET {tpl}requesttemplate.vm"),
            format!("GET {tpl}successtemplate.vm"),
        ]),
        "drafts of this action only, with its templates"
    );
    assert_eq!(r[3], vec![format!("PATCH /{id}")]);
    assert_eq!(
        r[4],
        sorted(vec![
            format!("GET /{id}"),
            format!("GET {tpl}requesttemplate.vm"),
            format!("GET {tpl}successtemplate.vm"),
        ]),
        "the verification re-reads the action and its templates at once"
    );
    assert_eq!(journal.len(), 10);
}

#[test]
fn one_action_by_id_takes_five_round_trips() {
    let h = harness();
    let a = h.action_by_name("Create Case");
    let id = a["id"].as_str().unwrap().to_string();
    h.emu.clear_journal();
    let out = h.run(&["timeout", "set", "18s", &id]);
    assert_code(&out, 0);
    let journal = h.journal();
    let r = rounds(&journal);
    assert_eq!(round_trips(&journal), 5, "{r:#?}");
    assert_eq!(
        r[1],
        vec!["GET  (ids)", INTEGRATIONS, "GET /drafts (ids)"],
        "{r:#?}"
    );
    // The templates are read after the action and its version, never in parallel with it:
    // a concurrent edit between the two reads then makes the PATCH fail instead of being lost.
    assert!(r[2].iter().all(|l| l.contains("/templates/")), "{r:#?}");
    assert_eq!(r[3], vec![format!("PATCH /{id}")]);
}

#[test]
fn with_the_token_kept_from_a_first_command_one_action_takes_four_round_trips() {
    let h = harness();
    let a = h.action_by_name("Create Case");
    let id = a["id"].as_str().unwrap().to_string();
    // A first command that logs in (and keeps the token) but does not read this action.
    assert_code(&h.run(&["auth", "check"]), 0);
    h.emu.clear_journal();
    let out = h.run(&["timeout", "set", "18s", &id]);
    assert_code(&out, 0);
    let journal = h.journal();
    let r = rounds(&journal);
    assert_eq!(round_trips(&journal), 4, "{r:#?}");
    assert_eq!(
        r[0],
        vec!["GET  (ids)", INTEGRATIONS, "GET /drafts (ids)"],
        "no login: {r:#?}"
    );
    assert!(r[1].iter().all(|l| l.contains("/templates/")), "{r:#?}");
    assert_eq!(r[2], vec![format!("PATCH /{id}")]);
    assert_eq!(r[3].len(), 3, "the verification: {r:#?}");
}

#[test]
fn an_action_already_at_the_target_is_not_read_further() {
    let h = harness();
    let a = h.action_by_name("Create Case");
    let t = a["config"]["timeoutSeconds"].as_i64().unwrap();
    h.emu.clear_journal();
    let out = h.run(&["timeout", "set", &format!("{t}s"), "Create Case"]);
    assert_code(&out, 0);
    let journal = h.journal();
    assert!(
        journal.iter().all(|e| !e.path.contains("/templates/")),
        "no template read for an unchanged action"
    );
    assert!(journal.iter().all(|e| e.method != "PATCH"));
    assert_eq!(round_trips(&journal), 3, "{:#?}", rounds(&journal));
}

#[test]
fn after_a_conflict_the_action_is_read_before_its_templates() {
    use genesys_emulator::{EditField, FaultAction};
    let h = harness();
    let a = h.action_by_name("Create Case");
    let id = a["id"].as_str().unwrap().to_string();
    // Another user edits the action just before our PATCH lands: 409, re-read, PATCH again.
    h.emu.set_faults(vec![nth_fault(
        "editor",
        Some("PATCH"),
        ACTION_PATH,
        1,
        FaultAction::ConcurrentEdit {
            field: EditField::Other,
        },
    )]);
    h.emu.clear_journal();
    let out = h.run(&["timeout", "set", "19s", &id]);
    assert_code(&out, 0);
    let journal = h.journal();
    let r = rounds(&journal);
    let patches: Vec<usize> = r
        .iter()
        .enumerate()
        .filter(|(_, g)| g.iter().any(|l| l.starts_with("PATCH")))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(patches.len(), 2, "{r:#?}");
    // Between the refused PATCH and the next: the action (its version) alone, then its
    // templates. Read together, the template text could predate an edit whose version the
    // action read shows, and the second PATCH would put the old text back.
    let between = &r[patches[0] + 1..patches[1]];
    assert_eq!(between.len(), 2, "{r:#?}");
    assert_eq!(between[0], vec![format!("GET /{id}")], "{r:#?}");
    assert!(
        between[1].iter().all(|l| l.contains("/templates/")),
        "{r:#?}"
    );
    assert_eq!(
        h.action_by_name("Create Case")["config"]["timeoutSeconds"],
        19
    );
}

/// Another user's edit, made directly in the emulator's state: a new request template and the
/// version raised by one, as a write does.
fn edit_request_template(h: &Harness, id: &str, text: &str) {
    let mut state = h.state();
    let action = state["actions"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|a| a["id"] == id)
        .unwrap();
    action["config"]["request"]["requestTemplate"] = text.into();
    let v = action["version"].as_i64().unwrap();
    action["version"] = (v + 1).into();
    h.emu.load_state(state).unwrap();
}

#[test]
fn an_action_seen_before_and_unchanged_since_takes_three_round_trips() {
    let h = harness();
    let a = h.action_by_name("Create Case");
    let id = a["id"].as_str().unwrap().to_string();
    assert_code(&h.run(&["timeout", "set", "16s", &id]), 0);
    let before = h.action_by_name("Create Case");
    h.emu.clear_journal();
    assert_code(&h.run(&["timeout", "set", "18s", &id]), 0);
    let journal = h.journal();
    let r = rounds(&journal);
    assert_eq!(round_trips(&journal), 3, "{r:#?}");
    let tpl = format!("/{id}/templates/");
    assert_eq!(
        r[0],
        sorted(vec![
            "GET  (ids)".to_string(),
            "GET /drafts (ids)".to_string(),
            INTEGRATIONS.to_string(),
            format!("GET {tpl}requesttemplate.vm"),
            format!("GET {tpl}successtemplate.vm"),
        ]),
        "the action and its templates at once: {r:#?}"
    );
    assert_eq!(r[1], vec![format!("PATCH /{id}")]);
    assert_eq!(r[2].len(), 3, "the verification: {r:#?}");
    let after = h.action_by_name("Create Case");
    assert_eq!(after["config"]["timeoutSeconds"], 18);
    let mut diff = diff_paths(&before, &after);
    diff.sort();
    assert_eq!(diff, ["/config/timeoutSeconds", "/version"]);

    // By its name too: the listing by name, the drafts and the templates at once.
    h.emu.clear_journal();
    assert_code(&h.run(&["timeout", "set", "19s", "Create Case"]), 0);
    let journal = h.journal();
    let r = rounds(&journal);
    assert_eq!(round_trips(&journal), 3, "{r:#?}");
    assert_eq!(r[0].len(), 5, "{r:#?}");

    // The same value again: seen at the target, so nothing is read ahead, and nothing written.
    h.emu.clear_journal();
    assert_code(&h.run(&["timeout", "set", "19s", "Create Case"]), 0);
    let journal = h.journal();
    assert!(
        journal
            .iter()
            .all(|e| !e.path.contains("/templates/") && e.method != "PATCH"),
        "{:#?}",
        rounds(&journal)
    );
}

#[test]
fn an_action_changed_since_it_was_seen_is_read_in_the_safe_order() {
    let h = harness();
    let a = h.action_by_name("Create Case");
    let id = a["id"].as_str().unwrap().to_string();
    assert_code(&h.run(&["timeout", "set", "16s", &id]), 0);
    edit_request_template(&h, &id, "edited by someone else");
    h.emu.clear_journal();
    assert_code(&h.run(&["timeout", "set", "18s", &id]), 0);
    let journal = h.journal();
    let r = rounds(&journal);
    // The texts read with the action are not used: its version moved. They are read again
    // after it, as on a first command (without the login).
    assert_eq!(round_trips(&journal), 4, "{r:#?}");
    assert!(r[1].iter().all(|l| l.contains("/templates/")), "{r:#?}");
    let after = h.action_by_name("Create Case");
    assert_eq!(after["config"]["timeoutSeconds"], 18);
    assert_eq!(
        after["config"]["request"]["requestTemplate"],
        "edited by someone else"
    );
}

#[test]
fn an_edit_between_the_template_read_and_the_action_read_is_not_lost() {
    use genesys_emulator::FaultAction;
    let h = Harness::with_config(Config {
        latency: Duration::from_millis(20),
        ..Config::default()
    });
    let a = h.action_by_name("Create Case");
    let id = a["id"].as_str().unwrap().to_string();
    assert_code(&h.run(&["timeout", "set", "16s", &id]), 0);
    // The next listing of actions is answered late, after the templates were read: the most
    // dangerous order. Another user edits the template in between.
    h.emu.set_faults(vec![nth_fault(
        "slow listing",
        Some("GET"),
        "/api/v2/integrations/actions",
        1,
        FaultAction::Latency { ms: 1_500 },
    )]);
    h.emu.clear_journal();
    let child = h
        .cmd()
        .args(["timeout", "set", "18s", &id])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let read = h
            .journal()
            .iter()
            .filter(|e| e.path.contains("/templates/"))
            .count();
        if read >= 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the templates were never read"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let listed_yet = h
        .journal()
        .iter()
        .any(|e| e.path == "/api/v2/integrations/actions");
    assert!(!listed_yet, "the listing must still be pending");
    edit_request_template(&h, &id, "edited while dactl was reading");
    let out = child.wait_with_output().unwrap();
    assert_code(&out, 0);
    let after = h.action_by_name("Create Case");
    assert_eq!(after["config"]["timeoutSeconds"], 18);
    assert_eq!(
        after["config"]["request"]["requestTemplate"], "edited while dactl was reading",
        "the concurrent edit survived"
    );
}

#[test]
fn a_get_then_a_change_by_name_takes_three_round_trips() {
    // The README's flow: look at the action, then change it. `get` notes the version it saw.
    let h = harness();
    assert_code(&h.run(&["get", "Create Case"]), 0);
    h.emu.clear_journal();
    assert_code(&h.run(&["timeout", "set", "17s", "Create Case"]), 0);
    let journal = h.journal();
    let r = rounds(&journal);
    assert_eq!(round_trips(&journal), 3, "{r:#?}");
    assert_eq!(
        r[0].len(),
        5,
        "listing, drafts, integrations and both templates at once: {r:#?}"
    );
    assert_eq!(
        h.action_by_name("Create Case")["config"]["timeoutSeconds"],
        17
    );
}
