//! `--tokens N`: a pool of access tokens against the emulator on 127.0.0.1, under both answers
//! to genesys-api.md U19 (the limit counts per token, or per OAuth client): bad values are
//! refused before any request; where the limit is per token the pool takes several tokens and
//! meets no 429; where it is per client the run falls back to one shared limiter, loses
//! nothing, and says so in its summary and in `runs show`; a pooled run resumes and undoes like
//! any other, and keeps its tokens in the token cache.

use std::time::Duration;

use crate::common::*;
use genesys_emulator::{Config, OrgCredentials, RateLimitScope, Realism};
use serde_json::Value;

const GENERATED: &str = "* (S0*";

fn org(actions: usize, rate: Option<u32>, scope: RateLimitScope) -> Config {
    Config {
        synthetic_actions: actions,
        rate_limit_per_minute: rate,
        orgs: vec![OrgCredentials {
            realism: Realism {
                rate_limit_scope: scope,
                ..Realism::default()
            },
            ..OrgCredentials::default()
        }],
        ..Config::default()
    }
}

fn api_429s(h: &Harness) -> usize {
    h.journal()
        .iter()
        .filter(|e| e.path.starts_with("/api/") && e.status == 429)
        .count()
}

fn token_requests(h: &Harness) -> usize {
    h.journal()
        .iter()
        .filter(|e| e.path == "/oauth/token" && e.status == 200)
        .count()
}

fn summary(o: &std::process::Output) -> Value {
    let doc: Value = serde_json::from_str(&stdout(o))
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(o), stderr(o)));
    doc["summary"].clone()
}

fn generated_timeouts(h: &Harness) -> Vec<(String, Value)> {
    let mut v: Vec<(String, Value)> = h
        .actions()
        .into_iter()
        .filter(|a| a["name"].as_str().unwrap_or_default().contains("(S0"))
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_string(),
                a["config"]["timeoutSeconds"].clone(),
            )
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn bad_token_counts_are_refused_before_any_request() {
    let h = Harness::new();
    for (bad, needle) in [
        (
            "0",
            "`--tokens` must be from 1 to 10 access tokens, not `0`",
        ),
        ("11", "not `11`"),
        ("100000000000", "not `100000000000`"),
    ] {
        let o = h.run(&["--tokens", bad, "timeout", "set", "30", "--all", "--yes"]);
        assert_code(&o, 2);
        let e = stderr(&o);
        assert!(e.contains("error: ") && e.contains(needle), "{e}");
        assert!(e.contains("hint: give a whole number from 1 to 10"), "{e}");
    }
    for bad in ["abc", "2.5", ""] {
        let o = h.run(&["--tokens", bad, "list"]);
        assert_code(&o, 2);
        assert_contains(&stderr(&o), "error:");
    }
    assert!(h.journal().is_empty(), "{:?}", h.journal());
}

#[test]
fn a_profile_sets_tokens_and_a_bad_value_names_the_file_and_key() {
    let h = Harness::with_config(org(30, None, RateLimitScope::Token));
    let config = h.home().join("config.toml");
    let with_profile = |tokens: &str| {
        std::fs::write(
            &config,
            format!(
                "[profiles.pool]\nbase_url = \"{}\"\ntokens = {tokens}\n",
                h.base_url()
            ),
        )
        .unwrap();
        let mut c = h.cmd_without_url();
        c.env("DACTL_CONFIG", &config).args(["--profile", "pool"]);
        c
    };
    for (bad, needle) in [
        (
            "11",
            "profiles.pool.tokens` must be from 1 to 10 access tokens, not `11`",
        ),
        (
            "\"4\"",
            "profiles.pool.tokens` must be an integer, not a string",
        ),
    ] {
        let o = with_profile(bad).args(["list"]).output().unwrap();
        assert_code(&o, 2);
        let e = stderr(&o);
        assert!(e.contains(needle) && e.contains("config.toml"), "{e}");
        assert!(e.contains("hint: "), "{e}");
    }
    assert!(h.journal().is_empty());
    // A good value is used (flag > profile > default): 4 tokens where the run needs them.
    let o = with_profile("4")
        .args(["--rate", "20", "-o", "json"])
        .args(["timeout", "set", "47s", "Create Case"])
        .output()
        .unwrap();
    assert_code(&o, 0);
    assert_eq!(summary(&o)["token_pool"]["tokens"], 4);
    let o = with_profile("4")
        .args(["--tokens", "1", "--rate", "20", "-o", "json"])
        .args(["timeout", "set", "48s", "Create Case"])
        .output()
        .unwrap();
    assert_code(&o, 0);
    assert!(summary(&o).get("token_pool").is_none(), "--tokens 1 wins");
}

#[test]
fn per_token_limit_a_pooled_run_takes_several_tokens_and_meets_no_429() {
    // 30 generated actions (about 95 requests) at 120/min per token: one token's burst is
    // 24, so the run needs four tokens to go without waiting.
    let h = Harness::with_config(org(30, Some(120), RateLimitScope::Token));
    let o = h.run(&[
        "--rate", "120", "--tokens", "4", "-o", "json", "timeout", "set", "47s", "--name",
        GENERATED, "--yes",
    ]);
    assert_code(&o, 0);
    let s = summary(&o);
    assert_eq!(s["changed"], 30, "{s}");
    assert_eq!(s["token_pool"]["tokens"], 4);
    assert!(s["token_pool"]["taken"].as_u64().unwrap() >= 3, "{s}");
    assert_eq!(s["token_pool"]["per_client"], false);
    assert_eq!(s["token_pool"]["rate_limited"], 0);
    assert_eq!(api_429s(&h), 0);
    assert!(token_requests(&h) >= 3);
    assert!(!stderr(&o).contains("per OAuth client"));
    // Every token is kept in the token cache, with its own file.
    let kept = std::fs::read_dir(h.home().join("tokens")).unwrap().count();
    assert!(kept >= 3, "{kept} kept tokens");
    // The next command takes them over: no new login for the first token.
    let before = token_requests(&h);
    let o = h.run(&["--tokens", "4", "list", "--name", "Create Case"]);
    assert_code(&o, 0);
    assert_eq!(token_requests(&h), before);
}

#[test]
fn one_token_is_the_default_and_a_one_action_change_takes_one_token_of_a_pool() {
    let h = Harness::with_config(org(30, Some(300), RateLimitScope::Token));
    let o = h.run(&[
        "-o", "json", "timeout", "set", "47s", "--name", GENERATED, "--yes",
    ]);
    assert_code(&o, 0);
    assert!(summary(&o).get("token_pool").is_none());
    assert_eq!(token_requests(&h), 1);
    let home2 = tempfile::tempdir().unwrap();
    let o = h
        .cmd()
        .env("DACTL_HOME", home2.path())
        .args(["--tokens", "10", "timeout", "set", "33", "Create Case"])
        .output()
        .unwrap();
    assert_code(&o, 0);
    assert_eq!(token_requests(&h), 2, "one more login, not ten");
}

#[test]
fn per_client_limit_the_fallback_loses_nothing_and_is_reported() {
    // A 429 while both tokens are under their own limit (the 28th request: the first token
    // spent its burst of 24, the second sent 4): the pool counts it as a per-client limit.
    let h = Harness::with_config(org(12, None, RateLimitScope::Token));
    h.emu.set_faults(vec![nth_fault(
        "client-limit",
        None,
        "/api/**",
        28,
        retry_after_429(),
    )]);
    let before = generated_timeouts(&h);
    let o = h.run(&[
        "--rate", "120", "--tokens", "3", "-o", "json", "timeout", "set", "47s", "--name",
        GENERATED, "--yes",
    ]);
    assert_code(&o, 0);
    let s = summary(&o);
    assert_eq!(s["changed"], 12, "{s}");
    assert_eq!(s["failed"], 0);
    assert_eq!(s["token_pool"]["per_client"], true, "{s}");
    assert_eq!(s["token_pool"]["rate_limited"], 1);
    assert_eq!(api_429s(&h), 1);
    let e = stderr(&o);
    assert!(
        e.contains("warning: the platform counted the rate limit per OAuth client"),
        "{e}"
    );
    assert!(
        e.contains("shared limit of 120 requests/min after 1 × 429"),
        "{e}"
    );
    // Nothing lost: every generated action is at the target.
    let after = generated_timeouts(&h);
    assert_eq!(after.len(), before.len());
    assert!(after.iter().all(|(_, t)| *t == 47), "{after:?}");
    // `runs show` says it too.
    let o = h.run(&["runs", "show", "last"]);
    assert_code(&o, 0);
    assert_contains(
        &stderr(&o),
        "note: the platform counted the rate limit per OAuth client",
    );
    let o = h.run(&["-o", "json", "runs", "show", "last"]);
    let doc = json_out(&o);
    assert_eq!(doc["token_pool"]["per_client"], true, "{doc}");
}

#[test]
fn a_pooled_run_resumes_and_undoes() {
    let h = Harness::with_config(org(30, Some(120), RateLimitScope::Token));
    let before = generated_timeouts(&h);
    // Killed at its tenth write, journal and backups as they were.
    let o = h
        .cmd()
        .env("DACTL_TEST_CRASH_AT", "after-patch:10")
        .args(["--rate", "120", "--tokens", "3", "timeout", "set", "47s"])
        .args(["--name", GENERATED, "--yes"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(137), "{}", stderr(&o));
    let o = h.run(&[
        "--rate", "120", "--tokens", "3", "-o", "json", "runs", "resume", "last",
    ]);
    assert_code(&o, 0);
    let s = summary(&o);
    assert_eq!(s["failed"], 0, "{s}");
    assert!(generated_timeouts(&h).iter().all(|(_, t)| *t == 47));
    let o = h.run(&[
        "--rate", "120", "--tokens", "3", "-o", "json", "undo", "last", "--yes",
    ]);
    assert_code(&o, 0);
    assert_eq!(summary(&o)["changed"], 30, "{}", stdout(&o));
    assert_eq!(generated_timeouts(&h), before);
    assert_eq!(api_429s(&h), 0);
}

#[test]
fn per_client_limit_on_the_emulator_the_pool_falls_back_within_a_bounded_number_of_429s() {
    // The emulator counts 30 requests a minute for the whole client; the run makes about 45.
    // Three tokens at 30/min each send the first 30 within seconds; the 31st meets the
    // client's limit. The
    // pool then waits for the client's minute and finishes at one shared 30/min. Takes about
    // a minute of real time (the emulator's window).
    let h = Harness::with_config(org(18, Some(30), RateLimitScope::Client));
    let started = std::time::Instant::now();
    let o = h.run(&[
        "--rate", "30", "--tokens", "3", "-o", "json", "timeout", "set", "47s", "--name",
        GENERATED, "--yes",
    ]);
    assert_code(&o, 0);
    let s = summary(&o);
    assert_eq!(s["changed"], 18, "{s}");
    assert_eq!(s["token_pool"]["per_client"], true, "{s}");
    let r429 = api_429s(&h);
    // One 429 for each request in flight when the first came (4 workers), no more.
    assert!((1..=4).contains(&r429), "{r429} × 429");
    assert_eq!(s["token_pool"]["rate_limited"], r429 as u64);
    assert!(generated_timeouts(&h).iter().all(|(_, t)| *t == 47));
    assert!(started.elapsed() < Duration::from_secs(150));
}

#[test]
fn a_429_from_the_token_endpoint_is_waited_out_by_a_pooled_run() {
    let h = Harness::with_config(org(30, Some(120), RateLimitScope::Token));
    // The second token request (the pool's second token) is refused once for a second.
    h.emu.set_faults(vec![nth_fault(
        "token-429",
        Some("POST"),
        "/oauth/token",
        2,
        retry_after_429(),
    )]);
    let o = h.run(&[
        "--rate", "120", "--tokens", "4", "-o", "json", "timeout", "set", "47s", "--name",
        GENERATED, "--yes",
    ]);
    assert_code(&o, 0);
    let s = summary(&o);
    assert_eq!(s["changed"], 30, "{s}");
    assert_eq!(s["failed"], 0);
    let refused: Vec<_> = h
        .journal()
        .into_iter()
        .filter(|e| e.path == "/oauth/token" && e.status == 429)
        .collect();
    assert_eq!(refused.len(), 1);
    assert!(token_requests(&h) >= 2, "the token was had after the wait");
    assert_eq!(s["token_pool"]["per_client"], false, "{s}");
    assert_eq!(api_429s(&h), 0);
}
