//! The access token kept between commands (`src/token_cache.rs`), end to end against the
//! emulator: the second command does not log in, a refused kept token is replaced once, a
//! wrong secret cannot use a kept token, `auth check` always logs in, the sandbox keeps none,
//! `DACTL_TOKEN_CACHE=off` and `auth forget` work, and a bad value is refused before any request.

use crate::common::*;
use genesys_emulator::FaultAction;

fn logins(h: &Harness) -> usize {
    h.journal()
        .iter()
        .filter(|e| e.path == "/oauth/token")
        .count()
}

fn kept_files(h: &Harness) -> usize {
    std::fs::read_dir(h.home().join("tokens")).map_or(0, |d| d.count())
}

#[test]
fn the_second_command_does_not_log_in() {
    let h = Harness::new();
    assert_code(&h.run(&["list"]), 0);
    assert_eq!(logins(&h), 1);
    assert_eq!(kept_files(&h), 1);
    h.emu.clear_journal();
    assert_code(&h.run(&["list"]), 0);
    let id = h.action_by_name("Create Case")["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_code(&h.run(&["timeout", "set", "21s", &id]), 0);
    assert_eq!(logins(&h), 0, "both commands used the kept token");
    assert!(h.journal().len() > 2);
    // Turned off: every command logs in.
    h.emu.clear_journal();
    let o = h
        .cmd()
        .env("DACTL_TOKEN_CACHE", "off")
        .arg("list")
        .output()
        .unwrap();
    assert_code(&o, 0);
    assert_eq!(logins(&h), 1);
}

#[test]
fn a_refused_kept_token_is_replaced_once_and_the_new_one_kept() {
    let h = Harness::new();
    assert_code(&h.run(&["list"]), 0);
    // The platform revokes the kept token: the next request that carries it gets a 401.
    h.emu.set_faults(vec![nth_fault(
        "revoke",
        Some("GET"),
        "/api/v2/integrations/actions",
        1,
        FaultAction::ExpireToken,
    )]);
    h.emu.clear_journal();
    let o = h.run(&["list"]);
    assert_code(&o, 0);
    assert_eq!(logins(&h), 1, "one new login, no loop");
    let statuses: Vec<u16> = h
        .journal()
        .iter()
        .filter(|e| e.path == "/api/v2/integrations/actions")
        .map(|e| e.status)
        .collect();
    assert_eq!(statuses.first(), Some(&401), "{statuses:?}");
    // The replacement was kept.
    h.emu.clear_journal();
    assert_code(&h.run(&["list"]), 0);
    assert_eq!(logins(&h), 0);
}

#[test]
fn a_wrong_secret_cannot_use_a_kept_token() {
    let h = Harness::new();
    assert_code(&h.run(&["list"]), 0);
    h.emu.clear_journal();
    let o = h
        .cmd()
        .env("GENESYSCLOUD_OAUTHCLIENT_SECRET", "not-the-secret")
        .arg("list")
        .output()
        .unwrap();
    assert_code(&o, 4);
    assert_eq!(
        logins(&h),
        1,
        "the wrong secret was tried at the token endpoint"
    );
    assert!(
        h.journal().iter().all(|e| e.path == "/oauth/token"),
        "no API request with the kept token"
    );
}

#[test]
fn auth_check_always_logs_in_and_keeps_the_new_token() {
    let h = Harness::new();
    assert_code(&h.run(&["list"]), 0);
    h.emu.clear_journal();
    assert_code(&h.run(&["auth", "check"]), 0);
    assert_eq!(logins(&h), 1, "auth check tests the credentials");
    h.emu.clear_journal();
    assert_code(&h.run(&["list"]), 0);
    assert_eq!(logins(&h), 0);
}

#[test]
fn auth_forget_deletes_the_kept_tokens() {
    let h = Harness::new();
    assert_code(&h.run(&["list"]), 0);
    assert_eq!(kept_files(&h), 1);
    let o = h.run(&["-o", "json", "auth", "forget"]);
    assert_code(&o, 0);
    let v = json_out(&o);
    assert_eq!(v[0]["forgotten"], 1, "{v}");
    assert_eq!(kept_files(&h), 0);
    h.emu.clear_journal();
    assert_code(&h.run(&["list"]), 0);
    assert_eq!(logins(&h), 1);
    // Nothing to forget is not an error.
    let o = h.run(&["auth", "forget"]);
    assert_code(&o, 0);
    let o = h.run(&["auth", "forget"]);
    assert_code(&o, 0);
    assert_contains(&stderr(&o), "0 kept access tokens deleted");
}

#[test]
fn the_sandbox_keeps_no_token() {
    let h = Harness::new();
    assert_code(
        &h.cmd_without_url()
            .args(["--sandbox", "list"])
            .output()
            .unwrap(),
        0,
    );
    assert_eq!(kept_files(&h), 0);
}

#[test]
fn a_bad_setting_is_refused_before_any_request() {
    let h = Harness::new();
    h.emu.clear_journal();
    let o = h
        .cmd()
        .env("DACTL_TOKEN_CACHE", "sometimes")
        .arg("list")
        .output()
        .unwrap();
    assert_code(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("error: `DACTL_TOKEN_CACHE` must be `on` or `off`"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
    assert!(h.journal().is_empty());
}

#[test]
fn a_kept_token_busy_in_the_last_minute_is_replaced() {
    let h = Harness::new();
    // --rate 60: a burst of 12, one permit a second; a kept token with fewer than 6 left of
    // its burst is not taken over. Each listing of a category without function data actions
    // makes 3 requests (the actions, the drafts and the integrations).
    for _ in 0..8 {
        assert_code(
            &h.cmd()
                .args(["--rate", "60", "list", "--category", "Orders"])
                .output()
                .unwrap(),
            0,
        );
    }
    let journal = h.journal();
    let logins = journal.iter().filter(|e| e.path == "/oauth/token").count();
    let api = journal.len() - logins;
    assert_eq!(api, 24, "three requests per listing");
    // A login (9 left), 2 takeovers (6, 3 left), a new token (9 left), 2 takeovers, a new
    // token, a takeover: 3 logins.
    assert_eq!(
        logins, 3,
        "a new token once the kept one had spent half a burst"
    );
    assert!(journal.iter().all(|e| e.status != 429));
}
