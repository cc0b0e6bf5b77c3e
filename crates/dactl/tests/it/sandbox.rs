//! `--sandbox`: the embedded emulator, with state kept under `$DACTL_HOME/sandbox`.

use crate::common::*;
use serde_json::Value;

fn sandbox(home: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_dactl"))
        .env_clear()
        .env("DACTL_HOME", home)
        .env("NO_COLOR", "1")
        .arg("--sandbox")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn sandbox_changes_persist_and_reset_restores_the_seed() {
    let home = tempfile::tempdir().unwrap();
    let o = sandbox(home.path(), &["-o", "json", "list"]);
    assert_code(&o, 0);
    let list: Vec<Value> = serde_json::from_str(&stdout(&o)).unwrap();
    let a = list
        .iter()
        .find(|r| {
            r["kind"] == "regular" && list.iter().filter(|b| b["name"] == r["name"]).count() == 1
        })
        .unwrap();
    let name = a["name"].as_str().unwrap();
    let target = if a["timeout_seconds"] == 42 {
        "43"
    } else {
        "42"
    };
    assert_code(&sandbox(home.path(), &["timeout", "set", target, name]), 0);
    // A later command sees the change.
    let o = sandbox(home.path(), &["-o", "json", "get", name]);
    assert_code(&o, 0);
    let v = json_out(&o);
    assert_eq!(v["config"]["timeoutSeconds"].to_string(), target);
    // Reset goes back to the seed.
    assert_code(&sandbox(home.path(), &["sandbox", "reset"]), 0);
    let o = sandbox(home.path(), &["-o", "json", "get", name]);
    let v = json_out(&o);
    assert_eq!(v["config"]["timeoutSeconds"], a["timeout_seconds"]);
    // State files are private.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_code(&sandbox(home.path(), &["timeout", "set", target, name]), 0);
        let f = home.path().join("sandbox/state.json");
        assert_eq!(
            std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::metadata(home.path().join("sandbox"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
    }
}

#[test]
fn sandbox_cannot_be_combined_with_a_url() {
    let home = tempfile::tempdir().unwrap();
    let o = sandbox(home.path(), &["--base-url", "http://127.0.0.1:1", "list"]);
    assert_code(&o, 2);
}
