//! Secrets (issue 5): every command, at `-vvv` and with `DACTL_LOG=trace`, successes and
//! failures, prints neither the client secret, nor its Basic-auth encoding, nor any token the
//! emulator issued, nor an `Authorization` header; no file under `$DACTL_HOME` holds them; every
//! file there is mode 0600 and every folder 0700.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use genesys_emulator::{Config, FaultRule, OrgCredentials};
use serde_json::json;

const CLIENT: &str = "secret-test-client";
const SECRET: &str = "s3cr3t-value-that-must-never-print";
const WRONG: &str = "wrong-but-secret-too";
/// A seed-org action whose test execution the emulator simulates (and that flows use).
const PROBED: &str = "93da3357-3952-4653-be94-b044c4a45e2f";

fn all_entries(dir: &Path, files: &mut Vec<PathBuf>, dirs: &mut Vec<PathBuf>) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p.clone());
                all_entries(&p, files, dirs);
            } else {
                files.push(p);
            }
        }
    }
}

/// Standard base64 (the Basic-auth encoding of `id:secret`), to look for it too.
fn base64(input: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

struct Transcript {
    label: String,
    output: Output,
}

impl Transcript {
    fn text(&self) -> String {
        format!("{}{}", stdout(&self.output), stderr(&self.output))
    }
}

/// The subcommands `dactl --help` lists (so that a new command is not forgotten here).
fn listed_commands() -> BTreeSet<String> {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_dactl"))
        .arg("--help")
        .output()
        .unwrap();
    let help = stdout(&o);
    let mut in_commands = false;
    let mut out = BTreeSet::new();
    for line in help.lines() {
        if line.starts_with("Commands:") {
            in_commands = true;
            continue;
        }
        if in_commands {
            if !line.starts_with("  ") {
                break;
            }
            if let Some(cmd) = line.split_whitespace().next() {
                if cmd != "help" {
                    out.insert(cmd.to_string());
                }
            }
        }
    }
    assert!(out.len() >= 7, "commands found in --help: {out:?}");
    out
}

#[test]
fn every_command_at_every_verbosity_keeps_secrets_and_files_private() {
    let config = Config {
        execution_time_scale: 0.001,
        orgs: vec![OrgCredentials {
            client_id: CLIENT.into(),
            client_secret: SECRET.into(),
            name: "Secret Test Org".into(),
            ..OrgCredentials::default()
        }],
        ..Config::default()
    };
    let h = Harness::with_config(config);
    let transcripts = std::cell::RefCell::new(Vec::<Transcript>::new());
    let covered = std::cell::RefCell::new(BTreeSet::<String>::new());
    // Every command runs twice: at -vvv, and with the most verbose filter there is.
    let run_env = |label: &str, envs: &[(&str, &str)], args: &[&str]| -> Output {
        let mut last = None;
        for (tag, verbose) in [("-vvv", true), ("DACTL_LOG=trace", false)] {
            let mut c = h.cmd();
            c.env("GENESYSCLOUD_OAUTHCLIENT_ID", CLIENT)
                .env("GENESYSCLOUD_OAUTHCLIENT_SECRET", SECRET);
            if verbose {
                // With the token kept from an earlier command (encrypted in DACTL_HOME/tokens).
                c.arg("-vvv");
            } else {
                // Without it: every command logs in, so that many tokens are issued to look for.
                c.env("DACTL_LOG", "trace").env("DACTL_TOKEN_CACHE", "off");
            }
            for (k, v) in envs {
                if *v == "<unset>" {
                    c.env_remove(k);
                } else {
                    c.env(k, v);
                }
            }
            let o = c.args(["--rate", "100000"]).args(args).output().unwrap();
            transcripts.borrow_mut().push(Transcript {
                label: format!("{label} [{tag}]"),
                output: o.clone(),
            });
            last = Some(o);
        }
        covered
            .borrow_mut()
            .extend(args.iter().map(|a| a.to_string()));
        last.unwrap()
    };
    let run = |label: &str, args: &[&str]| run_env(label, &[], args);

    let ids: Vec<String> = h
        .actions()
        .iter()
        .filter(|a| {
            let id = a["id"].as_str().unwrap();
            !id.starts_with("static") && !id.starts_with("customAuth")
        })
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    let id = ids[0].as_str();
    let backup_dir = h.home().join("backup");
    let backup = backup_dir.to_str().unwrap();

    // Successes.
    assert_code(&run("list", &["list"]), 0);
    assert_code(&run("get json", &["-o", "json", "get", id]), 0);
    assert_code(&run("get table", &["get", id]), 0);
    assert_code(&run("set", &["timeout", "set", "33", id]), 0);
    assert_code(&run("unset", &["timeout", "unset", id]), 0);
    assert_code(
        &run(
            "bulk set",
            &[
                "-o", "ndjson", "timeout", "set", "31", "--id", &ids[1], "--id", &ids[2], "--yes",
            ],
        ),
        0,
    );
    assert_code(&run("runs list", &["runs", "list"]), 0);
    assert_code(
        &run("runs show", &["-o", "json", "runs", "show", "last"]),
        0,
    );
    assert_code(&run("undo dry", &["undo", "last", "--dry-run"]), 0);
    // Each command runs twice, so the second undo undoes the first: that needs `--force`.
    assert_code(&run("undo", &["undo", "last", "--yes", "--force"]), 0);
    assert_code(&run("backup", &["backup", "--all", "--out", backup]), 0);
    // A crash and a resume.
    let crash = run_env(
        "crash",
        &[("DACTL_TEST_CRASH_AT", "after-patch:1")],
        &[
            "timeout", "set", "34", "--id", &ids[3], "--id", &ids[4], "--yes",
        ],
    );
    assert_code(&crash, 137);
    assert_code(&run("resume", &["runs", "resume", "last"]), 0);
    assert_code(&run("auth forget", &["auth", "forget"]), 0);
    assert_code(&run("list after forget", &["list"]), 0);

    // Failures.
    assert_code(&run("bad duration", &["timeout", "set", "99", id]), 2);
    assert_code(
        &run(
            "unknown action",
            &["timeout", "set", "34", "no such action"],
        ),
        2,
    );
    assert_code(&run("bad run", &["runs", "show", "nope"]), 2);
    assert_code(&run("bad resume", &["runs", "resume", "nope"]), 2);
    assert_code(&run("bad undo", &["undo", "nope"]), 2);
    // A server error (a 400 on the write) with its ErrorBody and correlation id.
    h.emu
        .set_faults(vec![serde_json::from_value::<FaultRule>(json!({
        "name": "bad", "method": "PATCH", "path": "/api/v2/integrations/actions/*",
        "action": {"type": "status", "status": 400, "code": "bad.request", "message": "injected"}
    }))
    .unwrap()]);
    assert_code(&run("server error", &["timeout", "set", "35", id]), 1);
    // A rate limit that asks for a wait above the ceiling: fails loudly.
    h.emu
        .set_faults(vec![serde_json::from_value::<FaultRule>(json!({
            "name": "slow down", "method": "GET", "path": "/api/**",
            "action": {"type": "status", "status": 429, "retry_after": 1000}
        }))
        .unwrap()]);
    assert_code(&run("exhausted", &["list"]), 5);
    h.emu.set_faults(Vec::new());
    // Wrong credentials, from both credential sets.
    assert_code(
        &run_env(
            "wrong secret",
            &[("GENESYSCLOUD_OAUTHCLIENT_SECRET", WRONG)],
            &["list"],
        ),
        4,
    );
    assert_code(
        &run_env(
            "wrong secret, other set",
            &[
                ("GENESYS_CLIENT_ID", CLIENT),
                ("GENESYS_CLIENT_SECRET", WRONG),
                ("GENESYSCLOUD_OAUTHCLIENT_ID", "<unset>"),
                ("GENESYSCLOUD_OAUTHCLIENT_SECRET", "<unset>"),
            ],
            &["list"],
        ),
        4,
    );
    // An empty secret variable.
    assert_code(
        &run_env(
            "empty secret",
            &[("GENESYSCLOUD_OAUTHCLIENT_SECRET", "")],
            &["list"],
        ),
        2,
    );
    // Two disagreeing credential sets: refused, and neither secret is quoted.
    assert_code(
        &run_env(
            "both sets",
            &[
                ("GENESYS_CLIENT_ID", CLIENT),
                ("GENESYS_CLIENT_SECRET", WRONG),
            ],
            &["list"],
        ),
        2,
    );
    // The commands of timeouts as code, probes, flows, the report, auth, restore, meta.
    let outside = tempfile::tempdir().unwrap();
    let policy = outside.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!("[[rule]]\nid = \"{}\"\ntimeout = 22\n", ids[5]),
    )
    .unwrap();
    let policy = policy.to_str().unwrap();
    assert_code(&run("plan", &["plan", "-f", policy]), 0);
    assert_code(&run("apply", &["apply", "-f", policy, "--yes"]), 0);
    let o = run(
        "probe",
        &[
            "-o",
            "json",
            "probe",
            PROBED,
            "--input",
            r#"{"phoneNumber": "+3225551234"}"#,
            "-n",
            "2",
            "--yes",
        ],
    );
    assert_code(&o, 0);
    assert_code(&run("flows", &["flows", PROBED]), 0);
    let html = outside.path().join("report.html");
    assert_code(
        &run("report", &["report", "--html", html.to_str().unwrap()]),
        0,
    );
    assert_code(&run("auth check", &["auth", "check"]), 0);
    let got = run("get for restore", &["-o", "json", "get", &ids[6]]);
    assert_code(&got, 0);
    let doc = outside.path().join("doc.json");
    std::fs::write(&doc, &got.stdout).unwrap();
    assert_code(
        &run("restore", &["restore", doc.to_str().unwrap(), "--yes"]),
        0,
    );
    assert_code(&run("completions", &["completions", "bash"]), 0);
    let man_dir = outside.path().join("man");
    assert_code(&run("man", &["man", "--dir", man_dir.to_str().unwrap()]), 0);
    // Failures of those.
    let bad_policy = outside.path().join("bad.toml");
    std::fs::write(&bad_policy, "[[rule]]\ntimeout = 99\nname = \"*\"\n").unwrap();
    assert_code(
        &run("plan bad", &["plan", "-f", bad_policy.to_str().unwrap()]),
        2,
    );
    assert_code(
        &run("probe bad", &["probe", PROBED, "--input", "{not json"]),
        2,
    );
    assert_code(&run("restore bad", &["restore", policy]), 2);

    // Profiles: a secret in a private file, a plain secret in a readable config (warned
    // about), and gc's config; none of them printed.
    let secret_file = outside.path().join("prod.secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let cfg = outside.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[profiles.prod]\nbase_url = \"{url}\"\nclient_id = \"{CLIENT}\"\nclient_secret_file = \"{}\"\n\n\
             [profiles.plain]\nbase_url = \"{url}\"\nclient_id = \"{CLIENT}\"\nclient_secret = \"{SECRET}\"\n\n\
             [profiles.wrong]\nbase_url = \"{url}\"\nclient_id = \"{CLIENT}\"\nclient_secret = \"{WRONG}\"\n",
            secret_file.display(),
            url = h.base_url()
        ),
    )
    .unwrap();
    let gc_home = outside.path().join("home");
    std::fs::create_dir_all(gc_home.join(".gc")).unwrap();
    std::fs::write(
        gc_home.join(".gc/config.toml"),
        format!(
            "[gcprof]\nenvironment = \"{}\"\nclient_credentials = \"{CLIENT}\"\nclient_secret = \"{SECRET}\"\n",
            h.base_url().trim_start_matches("http://")
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let cfg_s = cfg.to_str().unwrap();
    let gc_home_s = gc_home.to_str().unwrap();
    let no_env = [
        ("GENESYSCLOUD_OAUTHCLIENT_ID", "<unset>"),
        ("GENESYSCLOUD_OAUTHCLIENT_SECRET", "<unset>"),
        ("DACTL_CONFIG", cfg_s),
        ("HOME", gc_home_s),
    ];
    for (label, args, code) in [
        ("profiles list", vec!["profiles", "list"], 0),
        (
            "profiles list json",
            vec!["-o", "json", "profiles", "list"],
            0,
        ),
        (
            "profile from a secret file",
            vec!["--profile", "prod", "list"],
            0,
        ),
        (
            "profile with a plain secret",
            vec!["--profile", "plain", "timeout", "set", "21", &ids[7]],
            0,
        ),
        (
            "profile with a wrong secret",
            vec!["--profile", "wrong", "list"],
            4,
        ),
        ("gc profile", vec!["--profile", "gc:gcprof", "list"], 0),
        (
            "auth check by profile",
            vec!["--profile", "prod", "auth", "check"],
            0,
        ),
        ("unknown profile", vec!["--profile", "nope", "list"], 2),
    ] {
        let o = run_env(label, &no_env, &args);
        assert_code(&o, code);
    }
    let o = run_env(
        "plain secret warning",
        &no_env,
        &["--profile", "plain", "list"],
    );
    assert!(
        stderr(&o).contains("warning"),
        "a secret in a readable file is warned about: {}",
        stderr(&o)
    );

    // The sandbox commands (their own public credentials; the user's must not appear).
    assert_code(&run("sandbox reset", &["sandbox", "reset"]), 0);
    // `sandbox serve`: read its banner, then stop it.
    {
        let mut child = h
            .cmd_without_url()
            .env("GENESYSCLOUD_OAUTHCLIENT_ID", CLIENT)
            .env("GENESYSCLOUD_OAUTHCLIENT_SECRET", SECRET)
            .args(["-vvv", "sandbox", "serve", "--addr", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut banner = String::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while !banner.contains("client secret") && Instant::now() < deadline {
            let mut line = String::new();
            if out.read_line(&mut line).unwrap() == 0 {
                break;
            }
            banner.push_str(&line);
        }
        child.kill().unwrap();
        let status = child.wait().unwrap();
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert!(banner.contains("base URL"), "{banner}");
        transcripts.borrow_mut().push(Transcript {
            label: "sandbox serve".into(),
            output: Output {
                status,
                stdout: banner.into_bytes(),
                stderr: err.into_bytes(),
            },
        });
        covered.borrow_mut().insert("sandbox".into());
    }
    {
        let o = h
            .cmd_without_url()
            .env("GENESYSCLOUD_OAUTHCLIENT_ID", CLIENT)
            .env("GENESYSCLOUD_OAUTHCLIENT_SECRET", SECRET)
            .args([
                "-vvv",
                "--sandbox",
                "--rate",
                "100000",
                "timeout",
                "set",
                "20",
                "--all",
                "--yes",
            ])
            .output()
            .unwrap();
        assert!(
            matches!(o.status.code(), Some(0) | Some(3)),
            "{}",
            stderr(&o)
        );
        transcripts.borrow_mut().push(Transcript {
            label: "sandbox bulk".into(),
            output: o,
        });
    }
    // Commands added later than this test: at least their usage paths are checked.
    for cmd in listed_commands() {
        if !covered.borrow().contains(&cmd) {
            eprintln!("note: `{cmd}` is only checked through its bare invocation");
            run(&format!("bare {cmd}"), &[&cmd]);
        }
    }

    let html_dir = outside.path().to_path_buf();
    // The needles: the secrets, their Basic encodings, and every token issued.
    let tokens = h.emu.issued_tokens();
    assert!(
        tokens.len() >= 10,
        "the emulator issued tokens: {}",
        tokens.len()
    );
    let mut needles: Vec<String> = tokens;
    for s in [SECRET, WRONG] {
        needles.push(s.to_string());
        needles.push(base64(format!("{CLIENT}:{s}").as_bytes()));
    }
    let transcripts = transcripts.into_inner();
    assert!(transcripts.len() >= 50, "{} transcripts", transcripts.len());
    let mut saw_debug = 0;
    let mut saw_error = 0;
    for t in &transcripts {
        let text = t.text();
        if text.contains("DEBUG") || text.contains("TRACE") {
            saw_debug += 1;
        }
        if text.contains("error:") {
            saw_error += 1;
        }
        for n in &needles {
            assert!(
                !text.contains(n.as_str()),
                "{}: output leaked a secret or token:\n{text}",
                t.label
            );
        }
        for line in text.lines() {
            let l = line.to_ascii_lowercase();
            assert!(
                !l.contains("authorization:")
                    && !l.contains("\"authorization\"")
                    && !l.contains("authorization=")
                    && !l.contains("bearer ")
                    && !l.contains("basic "),
                "{}: an Authorization header was logged: {line}",
                t.label
            );
        }
    }
    assert!(saw_debug >= 30, "verbose logs were on ({saw_debug})");
    assert!(saw_error >= 10, "failures were included ({saw_error})");

    // Files under DACTL_HOME: no secret, no token; files 0600, folders 0700.
    let mut files = Vec::new();
    let mut dirs = vec![h.home().to_path_buf()];
    all_entries(h.home(), &mut files, &mut dirs);
    for want in [
        "audit.ndjson",
        "plan.json",
        "journal.ndjson",
        "summary.json",
        "index.json",
        "state.json",
    ] {
        assert!(
            files
                .iter()
                .any(|f| f.file_name().is_some_and(|n| n == want)),
            "{want} was written"
        );
    }
    assert!(
        files
            .iter()
            .any(|f| f.parent().is_some_and(|d| d.ends_with("tokens"))),
        "a token was kept (encrypted) between commands"
    );
    for f in &files {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        for n in &needles {
            assert!(
                !text.contains(n.as_str()),
                "{} leaked a secret or token",
                f.display()
            );
        }
        assert!(
            !text.to_ascii_lowercase().contains("bearer "),
            "{} holds a bearer header",
            f.display()
        );
    }
    // Files the commands wrote elsewhere: the report, the man pages, the backup folder.
    let mut written = Vec::new();
    let mut ignore = Vec::new();
    all_entries(&html_dir, &mut written, &mut ignore);
    for f in written
        .iter()
        .filter(|f| f.extension().is_none_or(|e| e != "toml" && e != "secret"))
    {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        for n in &needles {
            assert!(
                !text.contains(n.as_str()),
                "{} leaked a secret or token",
                f.display()
            );
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in &files {
            let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{} must be private", f.display());
        }
        for d in &dirs {
            let mode = std::fs::metadata(d).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{} must be private", d.display());
        }
    }
    eprintln!(
        "secrets: {} transcripts, {} files and {} folders checked, {} needles",
        transcripts.len(),
        files.len(),
        dirs.len(),
        needles.len()
    );
}
