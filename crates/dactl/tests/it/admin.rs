//! The Genesys admin's world, at the CLI level: profiles (dactl's and gc's), `auth check` with
//! the emulator's permission model, error hints (403, 401, 429, unknown region), logging,
//! `restore` through the safe engine, completions and the man page.

use std::path::{Path, PathBuf};

use crate::common::*;
use genesys_emulator::{Config, FaultAction, FaultRule, OrgCredentials, Trigger};
use serde_json::Value;

fn with_permissions(perms: &[&str]) -> Harness {
    Harness::with_config(Config {
        orgs: vec![OrgCredentials {
            permissions: Some(perms.iter().map(|p| p.to_string()).collect()),
            ..OrgCredentials::default()
        }],
        ..Config::default()
    })
}

#[cfg(unix)]
fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A user home with dactl's config (profiles `emu` and `default`) and gc's config.
fn write_configs(h: &Harness, secret_mode: u32) -> std::path::PathBuf {
    let home = h.home().join("user-home");
    let cfg_dir = home.join(".config/dactl");
    std::fs::create_dir_all(&cfg_dir).unwrap();
    let secret = cfg_dir.join("emu.secret");
    std::fs::write(&secret, format!("{SECRET}\n")).unwrap();
    #[cfg(unix)]
    chmod(&secret, secret_mode);
    let _ = secret_mode;
    std::fs::write(
        cfg_dir.join("config.toml"),
        format!(
            "[profiles.emu]\nbase_url = \"{}\"\nclient_id = \"{ID}\"\nclient_secret_file = \"emu.secret\"\n\n\
             [profiles.default]\nregion = \"eu-west-1\"\nclient_id = \"other-client\"\nclient_secret_env = \"OTHER_SECRET\"\n",
            h.base_url()
        ),
    )
    .unwrap();
    let gc = home.join(".gc");
    std::fs::create_dir_all(&gc).unwrap();
    std::fs::write(
        gc.join("config.toml"),
        include_str!("../fixtures/gc-config.toml"),
    )
    .unwrap();
    #[cfg(unix)]
    chmod(&gc.join("config.toml"), 0o644);
    home
}

/// A command with no credentials in the environment.
fn bare(h: &Harness) -> std::process::Command {
    let mut c = h.cmd_without_url();
    c.env_remove("GENESYSCLOUD_OAUTHCLIENT_ID")
        .env_remove("GENESYSCLOUD_OAUTHCLIENT_SECRET");
    c
}

#[test]
fn profiles_list_shows_origin_and_secret_source_never_the_secret() {
    let h = Harness::new();
    write_configs(&h, 0o600);
    let o = bare(&h)
        .args(["profiles", "list", "-o", "json"])
        .output()
        .unwrap();
    assert_code(&o, 0);
    let v = json_out(&o);
    let rows = v.as_array().unwrap();
    let names: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().into(),
                r["tool"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        names,
        vec![
            ("default".into(), "dactl".into()),
            ("emu".into(), "dactl".into()),
            ("default".into(), "gc".into()),
            ("emea-prod".into(), "gc".into()),
            ("local".into(), "gc".into()),
            ("mideast".into(), "gc".into()),
        ]
    );
    let emu = &rows[1];
    assert_eq!(emu["base_url"], h.base_url());
    assert_eq!(emu["client_id"], ID);
    assert_eq!(emu["secret_kind"], "file");
    assert!(emu["secret_source"]
        .as_str()
        .unwrap()
        .contains("emu.secret"));
    assert!(emu["file"]
        .as_str()
        .unwrap()
        .ends_with(".config/dactl/config.toml"));
    // the implicit `default` is dactl's; gc's `default` is shadowed
    assert_eq!(rows[0]["active"], true);
    assert!(rows[2]["note"].as_str().unwrap().contains("gc:default"));
    assert_eq!(rows[3]["region"], "mypurecloud.ie");
    assert_eq!(rows[3]["secret_kind"], "plain");
    assert!(rows[3]["note"]
        .as_str()
        .unwrap()
        .contains("readable by others"));
    // never a secret value, in any format
    for fmt in ["json", "table", "csv", "ndjson"] {
        let o = bare(&h)
            .args(["profiles", "list", "-o", fmt])
            .output()
            .unwrap();
        assert_code(&o, 0);
        let all = format!("{}{}", stdout(&o), stderr(&o));
        for s in [
            "gc-default-secret",
            "gc-emea-secret",
            "gc-mec-secret",
            SECRET,
        ] {
            assert!(!all.contains(s), "{fmt} leaked a secret:\n{all}");
        }
    }
    // --profile marks the selected one
    let o = bare(&h)
        .args([
            "--profile",
            "gc:emea-prod",
            "profiles",
            "list",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let v = json_out(&o);
    let active: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["active"] == true)
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(active, vec!["emea-prod"]);
}

#[test]
fn a_profile_connects_with_a_secret_file_and_warns_when_it_is_readable() {
    let h = Harness::new();
    write_configs(&h, 0o600);
    let o = bare(&h)
        .args(["--profile", "emu", "list", "-o", "json"])
        .output()
        .unwrap();
    assert_code(&o, 0);
    assert!(json_out(&o).as_array().unwrap().len() > 5);
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    // DACTL_PROFILE selects it too
    let o = bare(&h)
        .env("DACTL_PROFILE", "emu")
        .args(["list", "-o", "json"])
        .output()
        .unwrap();
    assert_code(&o, 0);
    // a secret file others can read: it works, with a warning
    #[cfg(unix)]
    {
        let home = h.home().join("user-home");
        chmod(&home.join(".config/dactl/emu.secret"), 0o644);
        let o = bare(&h)
            .args(["--profile", "emu", "list", "-q"])
            .output()
            .unwrap();
        assert_code(&o, 0);
        assert_contains(&stderr(&o), "readable by group or others (mode 644)");
        assert!(stderr(&o).contains("chmod 600"));
        assert!(!stderr(&o).contains(SECRET));
    }
    // an unknown profile lists the known ones (exit 2)
    let o = bare(&h)
        .args(["--profile", "nope", "list"])
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert_contains(&stderr(&o), "no profile named `nope`");
    assert!(stderr(&o).contains("`emu`") && stderr(&o).contains("`emea-prod` (gc)"));
    // an explicit profile against credential variables of another client: refuse to guess
    let o = h
        .cmd_without_url()
        .env("GENESYSCLOUD_OAUTHCLIENT_ID", "someone-else")
        .args(["--profile", "emu", "list"])
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert_contains(&stderr(&o), "hold client `someone-else`");
}

#[test]
fn config_errors_name_the_file_and_the_key() {
    let h = Harness::new();
    let cfg = h.home().join("custom.toml");
    std::fs::write(&cfg, "[profiles.x]\nregoin = \"eu-west-1\"\n").unwrap();
    let o = bare(&h)
        .env("DACTL_CONFIG", &cfg)
        .args(["list"])
        .output()
        .unwrap();
    assert_code(&o, 2);
    let e = stderr(&o);
    assert!(
        e.contains("custom.toml") && e.contains("`profiles.x.regoin` is not a known key"),
        "{e}"
    );
    assert!(
        e.contains("hint: a profile may hold: region, base_url"),
        "{e}"
    );
    std::fs::write(&cfg, "[profiles.x]\nclient_id = 42\n").unwrap();
    let o = bare(&h)
        .env("DACTL_CONFIG", &cfg)
        .args(["profiles", "list"])
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert!(stderr(&o).contains("`profiles.x.client_id` must be a string, not an integer"));
    // DACTL_CONFIG naming a missing file is an error, not silence
    let o = bare(&h)
        .env("DACTL_CONFIG", h.home().join("missing.toml"))
        .args(["profiles", "list"])
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert!(stderr(&o).contains("missing.toml"));
    // the sandbox does not need (or read) any config
    let o = bare(&h)
        .env("DACTL_CONFIG", &cfg)
        .args(["--sandbox", "list", "-q"])
        .output()
        .unwrap();
    assert_code(&o, 0);
}

#[test]
fn auth_check_passes_with_every_permission_and_changes_nothing() {
    let h = Harness::new();
    let before = h.state();
    let o = h.run(&["auth", "check", "-o", "json"]);
    assert_code(&o, 0);
    let v = json_out(&o);
    assert_eq!(v["ok"], true);
    assert_eq!(v["missing"], serde_json::json!([]));
    let checks: Vec<(&str, &str)> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["check"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    // The edit probe used an action with an open draft: decisive. The optional rows follow;
    // a test of a made-up action is not refused, but that does not prove the permission.
    assert_eq!(
        checks,
        vec![
            ("token", "ok"),
            ("view", "ok"),
            ("edit", "ok"),
            ("execute", "unknown"),
            ("flows", "ok"),
            ("integrations", "ok"),
            ("function settings", "ok")
        ]
    );
    let optional: Vec<bool> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["optional"].as_bool().unwrap())
        .collect();
    assert_eq!(optional, [false, false, false, true, true, true, true]);
    assert_eq!(v["optional_missing"], serde_json::json!([]));
    assert_eq!(
        v["unknown"],
        serde_json::json!(["integrations:action:execute"])
    );
    assert_no_write_but_the_made_up_test(&h);
    assert_eq!(diff_paths(&before, &h.state()), Vec::<String>::new());
    // the probe is the draft validation read
    assert!(h
        .journal()
        .iter()
        .any(|e| e.method == "GET" && e.path.ends_with("/draft/validation")));
}

#[test]
fn auth_check_names_a_missing_edit_permission_exit_4() {
    let h = with_permissions(&["integrations:action:view"]);
    let o = h.run(&["auth", "check", "-o", "json"]);
    assert_code(&o, 4);
    let v = json_out(&o);
    assert_eq!(v["ok"], false);
    assert_eq!(
        v["missing"],
        serde_json::json!(["integrations:action:edit"])
    );
    assert!(v["checks"][2]["detail"]
        .as_str()
        .unwrap()
        .contains("missing the following permission(s): [integrations:action:edit]"));
    let e = stderr(&o);
    assert!(
        e.contains("error: the OAuth client's role is missing `integrations:action:edit`"),
        "{e}"
    );
    assert!(e.contains("hint: in Genesys Cloud admin"), "{e}");
    assert!(e.contains("Integrations > Action > Edit"), "{e}");
    // The optional permissions are missing too: reported, never the error.
    assert_eq!(
        v["optional_missing"],
        serde_json::json!([
            "integrations:action:execute",
            "architect:dependencyTracking:view",
            "integrations:integration:view",
            "integrations:actionFunction:view"
        ])
    );
    assert!(e.contains("optional: without `integrations:action:execute`, `dactl probe` cannot run test executions"), "{e}");
    assert_no_write_but_the_made_up_test(&h);
}

/// `auth check` sends one non-GET request: a test of an action id that does not exist (so
/// nothing runs), to see whether the execute permission is refused.
fn assert_no_write_but_the_made_up_test(h: &Harness) {
    let writes: Vec<String> = h
        .writes()
        .iter()
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert_eq!(
        writes,
        ["POST /api/v2/integrations/actions/dactl-auth-check-probe/test"]
    );
}

#[test]
fn auth_check_without_an_open_draft_reports_the_edit_probe_as_unknown() {
    // No drafts: the validation read of a real action answers 404, which does not show
    // whether the edit permission was checked. Neither a pass nor a failure.
    let h = Harness::new();
    let mut state = h.state();
    state["drafts"] = serde_json::json!([]);
    h.emu.load_state(state).unwrap();
    let o = h.run(&["auth", "check", "-o", "json"]);
    assert_code(&o, 0);
    let v = json_out(&o);
    assert_eq!(v["ok"], true);
    let edit = &v["checks"][2];
    assert_eq!(edit["check"], "edit");
    assert_eq!(edit["status"], "unknown", "{edit}");
    assert!(
        edit["detail"].as_str().unwrap().contains("HTTP 404"),
        "{edit}"
    );
    // A real action was probed, not a made-up one.
    let probed: Vec<String> = h
        .journal()
        .iter()
        .filter(|e| e.path.ends_with("/draft/validation"))
        .map(|e| e.path.clone())
        .collect();
    assert_eq!(probed.len(), 1);
    assert!(!probed[0].contains("dactl-auth-check-probe"), "{probed:?}");
    assert_contains(&stderr(&o), "its edit permission could not be confirmed");
}

#[test]
fn auth_check_marks_missing_optional_permissions_without_failing() {
    let h = with_permissions(&["integrations:action:*", "bridge:*:*"]);
    let o = h.run(&["auth", "check"]);
    assert_code(&o, 0);
    let out = stdout(&o);
    for row in [
        "flows (optional)",
        "integrations (optional)",
        "function settings (optional)",
    ] {
        let line = out
            .lines()
            .find(|l| l.contains(row))
            .unwrap_or_else(|| panic!("{row}: {out}"));
        assert!(line.contains("missing"), "{line}");
    }
    let e = stderr(&o);
    assert!(
        e.contains("optional: without `architect:dependencyTracking:view`"),
        "{e}"
    );
    assert!(
        e.contains("function data actions are recognised by their category only"),
        "{e}"
    );
}

#[test]
fn auth_check_names_a_missing_view_permission() {
    let h = with_permissions(&["integrations:action:edit"]);
    let o = h.run(&["auth", "check"]);
    assert_code(&o, 4);
    let e = stderr(&o);
    assert!(e.contains("missing `integrations:action:view`"), "{e}");
    assert!(!e.contains("and `integrations:action:edit`"), "{e}");
    assert_contains(&stdout(&o), "missing");
    let h = with_permissions(&[]);
    let o = h.run(&["auth", "check"]);
    assert_code(&o, 4);
    assert!(
        stderr(&o).contains("missing `integrations:action:view` and `integrations:action:edit`")
    );
}

#[test]
fn hint_403_names_the_missing_permission() {
    let h = with_permissions(&["integrations:action:view"]);
    let o = h.run(&["timeout", "set", "30s", "Lookup Order Status"]);
    assert_code(&o, 4);
    let e = stderr(&o);
    assert!(
        e.contains(
            "hint: grant the OAuth client's role the missing permission `integrations:action:edit`"
        ),
        "{e}"
    );
    let h = with_permissions(&[]);
    let o = h.run(&["list"]);
    assert_code(&o, 4);
    assert_contains(&stderr(&o), "`integrations:action:view`");
}

#[test]
fn hint_401_says_which_credential_source_was_used() {
    let h = Harness::new();
    let o = h.run_env(
        &[("GENESYSCLOUD_OAUTHCLIENT_SECRET", "wrong-secret")],
        &["list"],
    );
    assert_code(&o, 4);
    let e = stderr(&o);
    assert!(
        e.contains(
            "environment variables `GENESYSCLOUD_OAUTHCLIENT_ID`/`GENESYSCLOUD_OAUTHCLIENT_SECRET`"
        ),
        "{e}"
    );
    assert!(!e.contains("wrong-secret"));
    // from a profile: the profile, its file and the secret's source are named
    write_configs(&h, 0o600);
    let home = h.home().join("user-home");
    std::fs::write(home.join(".config/dactl/emu.secret"), "bad\n").unwrap();
    let o = bare(&h)
        .args(["--profile", "emu", "list"])
        .output()
        .unwrap();
    assert_code(&o, 4);
    let e = stderr(&o);
    assert!(e.contains("profile `emu` (dactl config"), "{e}");
    assert!(e.contains("secret from file"), "{e}");
    assert!(e.contains("emu.secret"), "{e}");
}

#[test]
fn hint_429_exhausted_suggests_rate_and_concurrency() {
    let h = Harness::with_config(Config {
        faults: vec![FaultRule {
            name: Some("always-429".into()),
            method: Some("GET".into()),
            path: "/api/v2/integrations/actions".into(),
            trigger: Trigger::Always,
            action: FaultAction::Status {
                status: 429,
                retry_after: Some(0),
                code: None,
                message: None,
            },
            times: None,
        }],
        ..Config::default()
    });
    let o = h.run(&["list"]);
    assert_code(&o, 5);
    let e = stderr(&o);
    assert!(e.contains("gave up after"), "{e}");
    assert!(e.contains("--rate") && e.contains("--concurrency"), "{e}");
}

#[test]
fn unknown_region_lists_the_valid_ones() {
    let h = Harness::new();
    let o = h
        .cmd_without_url()
        .args(["--region", "mars-1", "list"])
        .output()
        .unwrap();
    assert_code(&o, 2);
    let e = stderr(&o);
    assert!(e.contains("unknown region `mars-1`"), "{e}");
    assert!(e.contains("(from the flag `--region`)"), "{e}");
    // A table, one region and its domain a column pair, never one long line.
    for r in [
        "us-east-1      mypurecloud.com",
        "eu-west-1      mypurecloud.ie",
        "ap-northeast-3",
    ] {
        assert!(e.contains(r), "{e}");
    }
    assert!(e.lines().all(|l| l.chars().count() <= 130), "{e}");
    assert!(h.journal().is_empty(), "nothing may be sent");
    // from the environment too
    let o = h
        .cmd_without_url()
        .env("GENESYSCLOUD_REGION", "eu-west-9")
        .args(["list"])
        .output()
        .unwrap();
    assert_code(&o, 2);
    let e = stderr(&o);
    assert!(
        e.contains(
            "unknown region `eu-west-9` (from the environment variable `GENESYSCLOUD_REGION`)"
        ),
        "{e}"
    );
    assert!(
        e.contains("did you mean `eu-west-1` or `eu-west-2`?"),
        "{e}"
    );
}

#[test]
fn verbose_logs_carry_correlation_ids_and_never_secrets() {
    let h = Harness::new();
    let o = h.run(&["-vv", "list"]);
    assert_code(&o, 0);
    let e = stderr(&o);
    let ids: Vec<String> = h
        .journal()
        .iter()
        .map(|j| j.correlation_id.clone())
        .collect();
    assert!(!ids.is_empty());
    assert!(
        ids.iter().any(|id| e.contains(id.as_str())),
        "no correlation id of the emulator's journal in the -vv log:\n{e}"
    );
    assert!(e.contains("correlation_id="), "{e}");
    assert!(
        !e.contains('\x1b'),
        "no colour codes when stderr is not a terminal"
    );
    // -v: the resolved target, not every request
    let o = h.run(&["-v", "list"]);
    let e = stderr(&o);
    assert!(
        e.contains("target resolved") && e.contains("credentials_from"),
        "{e}"
    );
    assert!(!e.contains("correlation_id="), "{e}");
    // -vvv: the most verbose level never prints the secret
    let o = h.run(&["-vvv", "list"]);
    assert_code(&o, 0);
    assert!(!stderr(&o).contains(SECRET));
    assert!(!stdout(&o).contains(SECRET));
    // DACTL_LOG sets the filter, without -v
    let o = h.run_env(&[("DACTL_LOG", "genesys_client=debug")], &["list"]);
    assert_contains(&stderr(&o), "correlation_id=");
    let o = h.run_env(&[("DACTL_LOG", "error")], &["-vv", "list"]);
    assert!(
        !stderr(&o).contains("correlation_id="),
        "DACTL_LOG must win over -vv"
    );
}

both_realisms! {
    fn restore_writes_a_get_json_back_through_the_safe_engine() {
        let h = Harness::new();
        let name = "Lookup Order Status";
        let original = h.action_by_name(name);
        let id = original["id"].as_str().unwrap().to_string();
        let o = h.run(&["get", name, "-o", "json"]);
        assert_code(&o, 0);
        let file = h.home().join("lookup.json");
        std::fs::write(&file, &o.stdout).unwrap();
        // two later changes: the timeout, and the request template (by a "UI edit")
        assert_code(&h.run(&["timeout", "set", "17s", name, "-q"]), 0);
        let mut edited: Value = json_out(&o);
        edited["config"]["request"]["requestTemplate"] = "edited in the UI".into();
        edited["config"]["timeoutSeconds"] = 17.into();
        let ef = h.home().join("edited.json");
        std::fs::write(&ef, edited.to_string()).unwrap();
        assert_code(&h.run(&["restore", ef.to_str().unwrap(), "-q"]), 0);
        // dry run: a plan naming what differs, nothing written
        let writes = h.writes().len();
        let o = h.run(&["restore", file.to_str().unwrap(), "--dry-run", "-o", "json"]);
        assert_code(&o, 0);
        let plan = json_out(&o);
        let row = &plan["plan"]["rows"][0];
        assert_eq!(row["verdict"], "change");
        assert_eq!(row["old_timeout"], 17);
        let reason = row["reason"].as_str().unwrap();
        assert!(
            reason.contains("config.request.requestTemplate")
                && reason.contains("config.timeoutSeconds"),
            "{reason}"
        );
        assert_eq!(h.writes().len(), writes);
        // restore: the action is back to the file, byte for byte except its version
        let o = h.run(&["restore", file.to_str().unwrap(), "-o", "json"]);
        assert_code(&o, 0);
        let v = json_out(&o);
        assert_eq!(v["summary"]["changed"], 1);
        let run_id = v["run_id"].as_str().unwrap().to_string();
        let now = h.action_by_name(name);
        let diff: Vec<String> = diff_paths(&original, &now)
            .into_iter()
            .filter(|p| p != "/version")
            .collect();
        assert!(diff.is_empty(), "differs from the original at {diff:?}");
        // the engine's guarantees: a pre-image backup, a journal, undo
        let run = h.runs_dir().join(&run_id);
        assert!(run.join("backups").join(format!("{id}.json")).exists());
        assert!(run.join("targets").join(format!("{id}.json")).exists());
        let journal = std::fs::read_to_string(run.join("journal.ndjson")).unwrap();
        for step in ["\"backup\"", "\"patch\"", "\"patched\"", "\"done\""] {
            assert!(journal.contains(step), "{journal}");
        }
        // the PATCH carried the template text, not a URI
        let patch = h.writes().into_iter().last().unwrap();
        let req = &patch.body.as_ref().unwrap()["config"]["request"];
        assert!(req.get("requestTemplateUri").is_none());
        assert!(req["requestTemplate"].is_string());
        // undo puts the edited state back
        let o = h.run(&["undo", &run_id, "--yes", "-q"]);
        assert_code(&o, 0);
        let now = h.action_by_name(name);
        assert_eq!(now["config"]["timeoutSeconds"], 17);
        // again: a second restore is a no-op after a first one
        assert_code(&h.run(&["restore", file.to_str().unwrap(), "-q"]), 0);
        let writes = h.writes().len();
        let o = h.run(&["restore", file.to_str().unwrap()]);
        assert_code(&o, 0);
        assert_contains(&stderr(&o), "nothing to change");
        assert_eq!(h.writes().len(), writes);
    }
}

both_realisms! {
    fn restore_of_a_backup_folder_and_its_refusals() {
        let h = Harness::new();
        let out = h.home().join("bk");
        let o = h.run(&[
            "backup",
            "--category",
            "Orders",
            "--out",
            out.to_str().unwrap(),
            "-o",
            "json",
        ]);
        assert_code(&o, 0);
        let n = json_out(&o)["count"].as_u64().unwrap();
        assert!(n >= 2);
        assert_code(
            &h.run(&[
                "timeout",
                "set",
                "9s",
                "--category",
                "Orders",
                "--yes",
                "-q",
            ]),
            0,
        );
        let o = h.run(&["restore", out.to_str().unwrap(), "--yes", "-o", "json"]);
        assert_code(&o, 0);
        let v = json_out(&o);
        assert!(v["summary"]["changed"].as_u64().unwrap() >= 1, "{v}");
        // several changes need --yes off a terminal
        assert_code(
            &h.run(&[
                "timeout",
                "set",
                "8s",
                "--category",
                "Orders",
                "--yes",
                "-q",
            ]),
            0,
        );
        let o = h.run(&["restore", out.to_str().unwrap()]);
        assert_code(&o, 2);
        assert!(stderr(&o).contains("--yes"));
        // a document with a template by URI only: refused before any request
        let raw = serde_json::json!({"id": "x", "name": "X", "config": {"request":
            {"requestTemplateUri": "/api/v2/integrations/actions/x/templates/requesttemplate.vm"}}});
        let f = h.home().join("raw.json");
        std::fs::write(&f, raw.to_string()).unwrap();
        let before = h.journal().len();
        let o = h.run(&["restore", f.to_str().unwrap()]);
        assert_code(&o, 2);
        assert_contains(&stderr(&o), "by URI only");
        assert_eq!(h.journal().len(), before, "nothing may be sent");
        // an id that does not exist is skipped, never created
        let ghost = serde_json::json!({"id": "00000000-0000-0000-0000-00000000dead", "name": "Ghost", "config": {}});
        std::fs::write(&f, ghost.to_string()).unwrap();
        let o = h.run(&["restore", f.to_str().unwrap(), "-o", "json"]);
        assert_code(&o, 0);
        assert_contains(&stdout(&o), "never creates actions");
    }
}

both_realisms! {
    fn restore_never_overwrites_a_concurrent_edit() {
        let h = Harness::new();
        let name = "Lookup Order Status";
        let file = saved_then_changed(&h, name, "12s");
        // someone edits another field just before the PATCH lands
        h.emu.set_faults(vec![nth_fault(
            "ui-edit",
            Some("PATCH"),
            ACTION_PATH,
            1,
            FaultAction::ConcurrentEdit {
                field: genesys_emulator::EditField::Other,
            },
        )]);
        let o = h.run(&["restore", file.to_str().unwrap()]);
        assert_code(&o, 1);
        assert_contains(&stderr(&o), "edited since it was read");
        assert_eq!(h.action_by_name(name)["config"]["timeoutSeconds"], 12);
    }
}

#[test]
fn completions_and_man_page() {
    let h = Harness::new();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef dactl"),
        ("fish", "complete -c dactl"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let o = h.run(&["completions", shell]);
        assert_code(&o, 0);
        let s = stdout(&o);
        assert!(s.contains(marker), "{shell}: {}", &s[..s.len().min(300)]);
        assert!(s.contains("restore") && s.contains("auth"), "{shell}");
    }
    let o = h.run(&["completions", "tcsh"]);
    assert_code(&o, 2);
    let o = h.run(&["man"]);
    assert_code(&o, 0);
    let s = stdout(&o);
    assert!(
        s.starts_with(".ie") || s.contains(".TH dactl"),
        "{}",
        &s[..200]
    );
    assert!(s.contains("timeout") && s.contains("profiles"));
    let dir = h.home().join("man");
    assert_code(&h.run(&["man", "--dir", dir.to_str().unwrap()]), 0);
    assert!(dir.join("dactl.1").exists());
    assert!(dir.join("dactl-restore.1").exists());
}

/// `name` as `get -o json` prints it, saved to `l.json` in the harness's home; then its
/// timeout is changed to `later` (the change a restore of the file undoes). The file.
fn saved_then_changed(h: &Harness, name: &str, later: &str) -> PathBuf {
    let o = h.run(&["get", name, "-o", "json"]);
    let file = h.home().join("l.json");
    std::fs::write(&file, &o.stdout).unwrap();
    assert_code(&h.run(&["timeout", "set", later, name, "-q"]), 0);
    file
}

/// The id of the restore run (`last` is ambiguous between runs started in the same second).
fn restore_run_id(h: &Harness) -> String {
    std::fs::read_dir(h.runs_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.path().join("targets").exists())
        .map(|e| e.file_name().into_string().unwrap())
        .expect("a restore run")
}

both_realisms! {
    fn a_restore_killed_after_its_write_is_settled_by_resume() {
        let h = Harness::new();
        let name = "Lookup Order Status";
        let original = h.action_by_name(name);
        let file = saved_then_changed(&h, name, "41s");
        // The process dies after the PATCH was sent, before its answer was journalled.
        let o = h.run_env(&[("DACTL_TEST_CRASH_AT", "after-patch:1")], &["restore", file.to_str().unwrap()]);
        assert_code(&o, 137);
        let patches = h.writes().len();
        let o = h.run(&["runs", "resume", &restore_run_id(&h), "-o", "json"]);
        assert_code(&o, 0);
        let v = json_out(&o);
        assert_eq!(v["summary"]["changed"], 1, "{v}");
        assert!(v["results"][0]["message"]
            .as_str()
            .unwrap()
            .contains("had landed"));
        assert_eq!(h.writes().len(), patches, "resume must not write again");
        let diff: Vec<String> = diff_paths(&original, &h.action_by_name(name))
            .into_iter()
            .filter(|p| p != "/version")
            .collect();
        assert!(diff.is_empty(), "{diff:?}");
    }
}

both_realisms! {
    fn a_restore_killed_before_its_write_is_finished_by_resume() {
        let h = Harness::new();
        let name = "Lookup Order Status";
        let file = saved_then_changed(&h, name, "42s");
        let o = h.run_env(&[("DACTL_TEST_CRASH_AT", "after-backup:1")], &["restore", file.to_str().unwrap()]);
        assert_code(&o, 137);
        assert_eq!(h.action_by_name(name)["config"]["timeoutSeconds"], 42);
        let o = h.run(&["runs", "resume", &restore_run_id(&h), "-q"]);
        assert_code(&o, 0);
        assert!(h.action_by_name(name)["config"]
            .get("timeoutSeconds")
            .is_none());
    }
}

#[test]
fn auth_check_names_the_credential_source_on_401() {
    let h = Harness::new();
    let o = h.run_env(
        &[("GENESYSCLOUD_OAUTHCLIENT_SECRET", "nope")],
        &["auth", "check"],
    );
    assert_code(&o, 4);
    let e = stderr(&o);
    assert!(e.contains("auth check: the token request failed"), "{e}");
    assert!(
        e.contains("`GENESYSCLOUD_OAUTHCLIENT_ID`/`GENESYSCLOUD_OAUTHCLIENT_SECRET`"),
        "{e}"
    );
}

#[cfg(not(feature = "keyring"))]
#[test]
fn keyring_profiles_explain_the_missing_feature() {
    let h = Harness::new();
    let cfg = h.home().join("k.toml");
    std::fs::write(
        &cfg,
        format!(
            "[profiles.k]\nbase_url = \"{}\"\nclient_id = \"{ID}\"\nclient_secret_keyring = true\n",
            h.base_url()
        ),
    )
    .unwrap();
    let o = bare(&h)
        .env("DACTL_CONFIG", &cfg)
        .args(["--profile", "k", "list"])
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert_contains(&stderr(&o), "built without keyring support");
    assert!(stderr(&o).contains("--features keyring"));
    let o = bare(&h)
        .env("DACTL_CONFIG", &cfg)
        .args(["profiles", "set-secret", "k"])
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert!(h.journal().is_empty());
}
