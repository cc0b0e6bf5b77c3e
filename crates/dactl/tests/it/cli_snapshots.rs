//! Snapshots of what a user sees: every `--help`, and table, JSON and CSV output of the main
//! commands, filtered for ports, paths, times, run ids and correlation ids.

use crate::common::*;
use clap::CommandFactory;

/// Every command path: `[]`, `["list"]`, `["timeout", "set"]`, ...
fn command_paths() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(prefix.clone());
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            let mut p = prefix.clone();
            p.push(sub.get_name().to_string());
            walk(sub, p, out);
        }
    }
    let mut out = Vec::new();
    walk(&dactl::cli::Cli::command(), Vec::new(), &mut out);
    out
}

fn filters(h: &Harness) -> Vec<(String, String)> {
    vec![
        (
            regex_escape(&h.home().display().to_string()),
            "[HOME]".into(),
        ),
        (r"127\.0\.0\.1:\d+".into(), "127.0.0.1:[PORT]".into()),
        (r"\d{8}T\d{9}Z-[0-9a-f]{4}".into(), "[RUN]".into()),
        (
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z".into(),
            "[TIME]".into(),
        ),
        (
            r#""correlation_id": "[^"]*""#.into(),
            r#""correlation_id": "[CID]""#.into(),
        ),
        (
            r#""correlation_id":"[^"]*""#.into(),
            r#""correlation_id":"[CID]""#.into(),
        ),
        // Column widths follow the unfiltered cells (a port has 4 or 5 digits, a temporary
        // folder's name varies): squeeze the padding so that tables compare by content.
        (r" +┆".into(), " ┆".into()),
        (r" +│".into(), " │".into()),
        ("─+".into(), "─".into()),
        ("═+".into(), "═".into()),
    ]
}

fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

macro_rules! snap {
    ($h:expr, $name:expr, $value:expr) => {{
        let f = filters($h);
        let fr: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        insta::with_settings!({filters => fr, prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!($name, $value);
        });
    }};
}

#[test]
fn every_help_page() {
    let h = Harness::new();
    let paths = command_paths();
    assert!(paths.len() >= 20, "{paths:?}");
    for p in paths {
        let mut args: Vec<&str> = p.iter().map(String::as_str).collect();
        args.push("--help");
        let o = h
            .cmd_without_url()
            .env("COLUMNS", "100")
            .args(&args)
            .output()
            .unwrap();
        assert_code(&o, 0);
        let name = if p.is_empty() {
            "help".to_string()
        } else {
            format!("help_{}", p.join("_"))
        };
        let text = stdout(&o);
        // A leaf command's help stands alone: it shows an example.
        let cmd = p.iter().fold(dactl::cli::Cli::command(), |c, n| {
            c.find_subcommand(n).cloned().unwrap()
        });
        if cmd.get_subcommands().next().is_none() || p.is_empty() {
            assert!(
                text.contains("Example"),
                "`dactl {}` has no example",
                p.join(" ")
            );
        }
        snap!(&h, name, text);
    }
}

#[test]
fn list_and_get_in_table_json_csv() {
    let h = Harness::new();
    for fmt in ["table", "json", "csv", "ndjson"] {
        let o = h.run(&["list", "--category", "Orders", "-o", fmt]);
        assert_code(&o, 0);
        snap!(&h, format!("list_{fmt}"), stdout(&o));
    }
    for fmt in ["table", "json", "csv"] {
        let o = h.run(&["get", "Lookup Order Status", "-o", fmt]);
        assert_code(&o, 0);
        snap!(&h, format!("get_{fmt}"), stdout(&o));
    }
}

#[test]
fn changes_runs_and_restore_in_table_json_csv() {
    let h = Harness::new();
    let o = h.run(&["timeout", "set", "25s", "Lookup Order Status", "-o", "json"]);
    assert_code(&o, 0);
    snap!(&h, "timeout_set_json", stdout(&o));
    let o = h.run(&["timeout", "set", "26s", "Lookup Order Status", "-o", "csv"]);
    assert_code(&o, 0);
    snap!(&h, "timeout_set_csv", stdout(&o));
    let o = h.run(&["timeout", "set", "27s", "Lookup Order Status"]);
    assert_code(&o, 0);
    snap!(&h, "timeout_set_table", stdout(&o));
    for fmt in ["table", "json", "csv"] {
        let o = h.run(&["runs", "list", "-o", fmt]);
        assert_code(&o, 0);
        snap!(&h, format!("runs_list_{fmt}"), stdout(&o));
    }
    let o = h.run(&["runs", "show", "last", "-o", "csv"]);
    assert_code(&o, 0);
    snap!(&h, "runs_show_csv", stdout(&o));
    let out = h.home().join("bk");
    for fmt in ["table", "csv"] {
        let o = h.run(&[
            "backup",
            "--category",
            "Orders",
            "--out",
            out.to_str().unwrap(),
            "-o",
            fmt,
        ]);
        assert_code(&o, 0);
        snap!(&h, format!("backup_{fmt}"), stdout(&o));
    }
    assert_code(
        &h.run(&["timeout", "unset", "Lookup Order Status", "-q"]),
        0,
    );
    for fmt in ["table", "json", "csv"] {
        let o = h.run(&["restore", out.to_str().unwrap(), "--dry-run", "-o", fmt]);
        assert_code(&o, 0);
        snap!(&h, format!("restore_dry_run_{fmt}"), stdout(&o));
    }
}

#[test]
fn auth_check_and_profiles_in_table_json_csv() {
    let h = Harness::new();
    for fmt in ["table", "json", "csv"] {
        let o = h.run(&["auth", "check", "-o", fmt]);
        assert_code(&o, 0);
        snap!(&h, format!("auth_check_{fmt}"), stdout(&o));
    }
    let home = h.home().join("user-home");
    std::fs::create_dir_all(home.join(".gc")).unwrap();
    std::fs::write(
        home.join(".gc/config.toml"),
        include_str!("../fixtures/gc-config.toml"),
    )
    .unwrap();
    let cfg = home.join(".config/dactl");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(
        cfg.join("config.toml"),
        "[profiles.prod]\nregion = \"eu-west-1\"\nclient_id = \"prod-client\"\nclient_secret_env = \"PROD_SECRET\"\n\n[profiles.lab]\nbase_url = \"http://127.0.0.1:9000\"\nclient_id = \"lab-client\"\nclient_secret_keyring = true\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in [home.join(".gc/config.toml"), cfg.join("config.toml")] {
            std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
    for fmt in ["table", "json", "csv"] {
        let o = h
            .cmd_without_url()
            .args(["profiles", "list", "-o", fmt])
            .output()
            .unwrap();
        assert_code(&o, 0);
        snap!(&h, format!("profiles_list_{fmt}"), stdout(&o));
    }
}

/// The timeout of the action called `name` in the emulator.
fn timeout_of(h: &Harness, name: &str) -> serde_json::Value {
    h.action_by_name(name)["config"]["timeoutSeconds"].clone()
}

#[test]
fn every_printed_next_step_runs_back_as_printed() {
    let h = Harness::new();
    let before = timeout_of(&h, "Lookup Order Status");
    // `undo with:` after a change against --base-url.
    let o = h.run(&["timeout", "set", "33s", "Lookup Order Status"]);
    assert_code(&o, 0);
    let undo = printed_step(&stderr(&o), "undo with:");
    assert!(
        undo.starts_with("dactl --base-url http://127.0.0.1:"),
        "{undo}"
    );
    snap!(&h, "next_step_undo", &undo);
    let o = h.run_printed(&format!("{undo} -q"));
    assert_code(&o, 0);
    assert_eq!(timeout_of(&h, "Lookup Order Status"), before);

    // Undoing that undo says what it would do, and prints the commands for either choice.
    let o = h.run(&["undo", "last"]);
    assert_code(&o, 2);
    snap!(&h, "undo_of_an_undo", stderr(&o));
    let again = printed_step(&stderr(&o), "anyway:");
    let o = h.run_printed(&again);
    assert_code(&o, 0);
    assert_eq!(timeout_of(&h, "Lookup Order Status"), 33);

    // `apply with:` after a plan (a policy that changes one action: no confirmation needed).
    let policy = h.home().join("my policy.toml");
    std::fs::write(
        &policy,
        "[[rule]]\nname = \"Lookup Order Status\"\ntimeout = 21\n",
    )
    .unwrap();
    let o = h.run(&["plan", "-f", policy.to_str().unwrap()]);
    assert_code(&o, 0);
    let apply = printed_step(&stderr(&o), "apply with:");
    assert!(
        apply.contains("'"),
        "a path with a space is quoted: {apply}"
    );
    let o = h.run_printed(&apply);
    assert_code(&o, 0);
    assert_eq!(timeout_of(&h, "Lookup Order Status"), 21);

    // The sandbox: `undo with:` and probe's `apply it with:` carry `--sandbox`.
    let o = h
        .cmd_without_url()
        .args(["--sandbox", "timeout", "set", "34s", "Lookup Order Status"])
        .output()
        .unwrap();
    assert_code(&o, 0);
    let undo = printed_step(&stderr(&o), "undo with:");
    assert!(undo.starts_with("dactl --sandbox undo "), "{undo}");
    assert_code(&h.run_printed(&undo), 0);
    let o = h
        .cmd_without_url()
        .args([
            "--sandbox",
            "probe",
            "93da3357-3952-4653-be94-b044c4a45e2f",
            "--input",
            r#"{"phoneNumber": "+3225551234"}"#,
            "-n",
            "3",
        ])
        .output()
        .unwrap();
    assert_code(&o, 0);
    let apply = printed_step(&stderr(&o), "apply it with:");
    assert!(apply.starts_with("dactl --sandbox timeout set "), "{apply}");
    let o = h.run_printed(&apply);
    assert_code(&o, 0);
    assert_contains(&stderr(&o), "1 changed");
}

#[test]
fn tables_fit_80_and_160_columns() {
    let h = Harness::new();
    for cols in ["80", "160"] {
        let o = h
            .cmd()
            .env("DACTL_TEST_TTY", "1")
            .env("COLUMNS", cols)
            .args(["list"])
            .output()
            .unwrap();
        assert_code(&o, 0);
        let out = stdout(&o);
        let width: usize = cols.parse().unwrap();
        assert!(
            out.lines().all(|l| l.chars().count() <= width),
            "wider than {cols}:\n{out}"
        );
        snap!(&h, format!("list_{cols}_columns"), out);
    }
    // Colour on a terminal, never with NO_COLOR or --no-color.
    let set = |extra: &[&str], no_color: bool| {
        let mut c = h.cmd();
        c.env("DACTL_TEST_TTY", "1")
            .env("COLUMNS", "120")
            .env_remove("NO_COLOR");
        if no_color {
            c.env("NO_COLOR", "1");
        }
        let o = c
            .args(["timeout", "set", "41s", "Lookup Order Status"])
            .args(extra)
            .output()
            .unwrap();
        assert_code(&o, 0);
        stdout(&o)
    };
    assert!(set(&[], false).contains("\u{1b}["), "coloured status");
    assert!(!set(&["--no-color"], false).contains('\u{1b}'));
    assert!(!set(&[], true).contains('\u{1b}'));
    // `--wide` keeps the ids at any width.
    let o = h.run_env(
        &[("DACTL_TEST_TTY", "1"), ("COLUMNS", "80")],
        &["list", "--category", "Orders", "--wide"],
    );
    assert_contains(&stdout(&o), " ID ");
}

#[test]
fn a_plan_of_2000_actions_is_summarised_at_the_prompt() {
    let h = Harness::with_config(genesys_emulator::Config {
        synthetic_actions: 2000,
        ..genesys_emulator::Config::default()
    });
    let mut child = h
        .cmd()
        .env("DACTL_TEST_TTY", "1")
        .env("COLUMNS", "100")
        .args(["timeout", "set", "25s", "--all", "--no-progress"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"n\n").unwrap();
    }
    let o = child.wait_with_output().unwrap();
    assert_code(&o, 1);
    let out = stdout(&o);
    assert!(out.lines().count() < 40, "one screen:\n{out}");
    let err = stderr(&o);
    assert!(err.contains("cancelled; nothing was written"), "{err}");
    assert!(!err.contains("error:"), "declining is not an error: {err}");
    assert!(h.writes().is_empty(), "nothing was written");
    snap!(
        &h,
        "confirm_2000_actions",
        format!("{out}--- stderr\n{err}")
    );
    // A dry run on a terminal is summarised too, and keeps nothing.
    let o = h.run_env(
        &[("DACTL_TEST_TTY", "1"), ("COLUMNS", "100")],
        &["timeout", "set", "25s", "--all", "--dry-run"],
    );
    assert_code(&o, 0);
    assert!(stdout(&o).lines().count() < 40, "{}", stdout(&o));
    assert!(!stdout(&o).contains("once confirmed"), "{}", stdout(&o));
    // Piped, every row is there.
    let o = h.run(&["timeout", "set", "25s", "--all", "--dry-run"]);
    assert!(stdout(&o).lines().count() > 2000);
}

#[test]
fn errors_suggest_what_to_do() {
    let h = Harness::new();
    let mut all = String::new();
    let mut case = |args: &[&str], env: &[(&str, &str)], code: i32| {
        let mut c = h.cmd();
        for (k, v) in env {
            c.env(k, v);
        }
        let o = c.args(args).output().unwrap();
        assert_code(&o, code);
        all.push_str(&format!("$ dactl {}\n{}\n", args.join(" "), stderr(&o)));
    };
    case(&["timeout", "set", "30s", "Lookup Order Stats"], &[], 2);
    case(
        &["timeout", "set", "30s", "--category", "Order", "--yes"],
        &[],
        2,
    );
    case(
        &["timeout", "set", "30s", "--name", "Lookup Ordr*", "--yes"],
        &[],
        2,
    );
    case(
        &[
            "timeout",
            "set",
            "30s",
            "--category",
            "Orders",
            "--name",
            "Get Weather*",
        ],
        &[],
        2,
    );
    let policy = h.home().join("p.toml");
    std::fs::write(&policy, "[[rule]]\ncategory = \"Order\"\ntimeout = 20\n").unwrap();
    case(&["plan", "-f", policy.to_str().unwrap()], &[], 2);
    // The region comes from the environment (no --base-url).
    let o = h
        .cmd_without_url()
        .env("GENESYSCLOUD_REGION", "eu-weest-1")
        .args(["list"])
        .output()
        .unwrap();
    assert_code(&o, 2);
    all.push_str(&format!(
        "$ GENESYSCLOUD_REGION=eu-weest-1 dactl list\n{}\n",
        stderr(&o)
    ));
    snap!(&h, "errors_with_suggestions", all);
}

#[test]
fn plan_detailed_exitcode_is_terraforms() {
    let h = Harness::new();
    let changes = h.home().join("changes.toml");
    std::fs::write(&changes, "[[rule]]\ncategory = \"Orders\"\ntimeout = 21\n").unwrap();
    let same = h.home().join("same.toml");
    let current = timeout_of(&h, "Get Weather Forecast");
    std::fs::write(
        &same,
        format!("[[rule]]\nname = \"Get Weather Forecast\"\ntimeout = {current}\n"),
    )
    .unwrap();
    let typo = h.home().join("typo.toml");
    std::fs::write(&typo, "[[rule]]\ncategroy = \"Orders\"\ntimeout = 21\n").unwrap();
    let mut all = String::new();
    for (file, code) in [(&same, 0), (&typo, 1), (&changes, 2)] {
        let o = h.run(&[
            "plan",
            "-f",
            file.to_str().unwrap(),
            "--detailed-exitcode",
            "-q",
        ]);
        assert_code(&o, code);
        all.push_str(&format!("exit {code}\n{}", stderr(&o)));
    }
    // Without the flag a bad policy keeps its documented 2, changes 0.
    assert_code(&h.run(&["plan", "-f", typo.to_str().unwrap()]), 2);
    assert_code(&h.run(&["plan", "-f", changes.to_str().unwrap(), "-q"]), 0);
    // A misspelt flag is an error too: 1.
    assert_code(
        &h.run(&["plan", "-f", "x.toml", "--detailed-exitcode", "--nope"]),
        1,
    );
    snap!(&h, "plan_detailed_exitcode", all);
}

#[test]
fn undo_last_is_the_newest_run_against_this_target() {
    let h = Harness::new();
    let sandbox = |args: &[&str]| {
        h.cmd_without_url()
            .arg("--sandbox")
            .args(args)
            .output()
            .unwrap()
    };
    assert_code(
        &sandbox(&["timeout", "set", "31s", "Lookup Order Status"]),
        0,
    );
    // A newer run, against another target (the emulator by URL).
    assert_code(&h.run(&["timeout", "set", "32s", "Lookup Order Status"]), 0);
    let o = sandbox(&["undo", "last", "--dry-run", "-o", "json"]);
    assert_code(&o, 0);
    let v = json_out(&o);
    let row = &v["plan"]["rows"][0];
    assert_eq!(
        row["old_timeout"], 31,
        "the sandbox's run, not the newest: {v}"
    );
    // With no run against a target, `last` says so.
    let o = h
        .cmd_without_url()
        .args(["--base-url", "http://127.0.0.1:9", "undo", "last"])
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert_contains(
        &stderr(&o),
        "there is no run against `http://127.0.0.1:9` yet",
    );
}
