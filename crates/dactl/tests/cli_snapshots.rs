//! Snapshots of what a user sees: every `--help`, and table, JSON and CSV output of the main
//! commands, filtered for ports, paths, times, run ids and correlation ids.
#![allow(clippy::unwrap_used)]

mod common;

use clap::CommandFactory;
use common::*;

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
        include_str!("fixtures/gc-config.toml"),
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
