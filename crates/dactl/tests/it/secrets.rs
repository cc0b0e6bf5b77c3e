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
use genesys_emulator::{Config, OrgCredentials};
use serde_json::json;

const CLIENT: &str = "secret-test-client";
const SECRET: &str = "s3cr3t-value-that-must-never-print";
const WRONG: &str = "wrong-but-secret-too";

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

/// One command of the table: `(label, environment overrides, arguments, exit code)`. An
/// override `"<unset>"` removes the variable.
type Row<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [&'a str], i32);

/// No environment overrides.
const NO_ENV: &[(&str, &str)] = &[];

/// Runs `dactl` against the harness's org with `CLIENT` and `SECRET`, every command twice (at
/// `-vvv`, and with the most verbose filter there is), and keeps every transcript.
struct Recorder<'h> {
    h: &'h Harness,
    transcripts: Vec<Transcript>,
    /// Every argument a command was given: the subcommands that ran.
    covered: BTreeSet<String>,
}

impl Recorder<'_> {
    /// Run `args` twice; the output of the second run.
    fn run_env(&mut self, label: &str, envs: &[(&str, &str)], args: &[&str]) -> Output {
        let mut last = None;
        for (tag, verbose) in [("-vvv", true), ("DACTL_LOG=trace", false)] {
            let mut c = self.h.cmd();
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
            self.keep(format!("{label} [{tag}]"), o.clone());
            last = Some(o);
        }
        self.covered.extend(args.iter().map(|a| a.to_string()));
        last.unwrap()
    }

    fn run(&mut self, label: &str, args: &[&str]) -> Output {
        self.run_env(label, NO_ENV, args)
    }

    /// Run the rows in order; a wrong exit code fails under the row's label.
    fn rows(&mut self, rows: &[Row]) {
        for &(label, envs, args, code) in rows {
            let o = self.run_env(label, envs, args);
            assert_case_code(label, &o, code);
        }
    }

    fn keep(&mut self, label: String, output: Output) {
        self.transcripts.push(Transcript { label, output });
    }
}

/// `sandbox serve` at `-vvv`: its banner up to the client secret line, then stopped.
fn sandbox_serve(h: &Harness) -> Output {
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
    Output {
        status,
        stdout: banner.into_bytes(),
        stderr: err.into_bytes(),
    }
}

/// No transcript holds a needle or an `Authorization` header; verbose logs were on and
/// failures were among them.
fn check_transcripts(transcripts: &[Transcript], needles: &[String]) {
    assert!(transcripts.len() >= 50, "{} transcripts", transcripts.len());
    let mut saw_debug = 0;
    let mut saw_error = 0;
    for t in transcripts {
        let text = t.text();
        if text.contains("DEBUG") || text.contains("TRACE") {
            saw_debug += 1;
        }
        if text.contains("error:") {
            saw_error += 1;
        }
        for n in needles {
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
}

/// Files under `home` hold no needle and no bearer header, are 0600 in 0700 folders, and
/// include the run files and a kept token; files written to `outside` hold no needle either.
/// The numbers of files and folders under `home`.
fn check_files(home: &Path, outside: &Path, needles: &[String]) -> (usize, usize) {
    let mut files = Vec::new();
    let mut dirs = vec![home.to_path_buf()];
    all_entries(home, &mut files, &mut dirs);
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
    let leaks = |f: &Path| {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        for n in needles {
            assert!(
                !text.contains(n.as_str()),
                "{} leaked a secret or token",
                f.display()
            );
        }
        text
    };
    for f in &files {
        let text = leaks(f);
        assert!(
            !text.to_ascii_lowercase().contains("bearer "),
            "{} holds a bearer header",
            f.display()
        );
    }
    // Files the commands wrote elsewhere: the report, the man pages, the backup folder.
    let mut written = Vec::new();
    let mut ignore = Vec::new();
    all_entries(outside, &mut written, &mut ignore);
    for f in written
        .iter()
        .filter(|f| f.extension().is_none_or(|e| e != "toml" && e != "secret"))
    {
        leaks(f);
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
    (files.len(), dirs.len())
}

/// A profile config of three profiles (a secret in a private file, a plain secret in a file
/// others can read, a wrong plain secret) and a `HOME` with a gc config; the paths of both.
fn write_profiles(h: &Harness, outside: &Path) -> (String, String) {
    let secret_file = outside.join("prod.secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let cfg = outside.join("config.toml");
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
    let gc_home = outside.join("home");
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
    let path = |p: PathBuf| p.to_str().unwrap().to_string();
    (path(cfg), path(gc_home))
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
    let mut r = Recorder {
        h: &h,
        transcripts: Vec::new(),
        covered: BTreeSet::new(),
    };
    let ids: Vec<String> = h
        .actions()
        .iter()
        .filter(|a| is_regular(a))
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    let id = ids[0].as_str();
    let backup_dir = h.home().join("backup");
    let backup = backup_dir.to_str().unwrap();
    let crash_at = &[("DACTL_TEST_CRASH_AT", "after-patch:1")][..];

    // Successes, a crash and a resume, then failures.
    #[rustfmt::skip]
    let rows: &[Row] = &[
        ("list", NO_ENV, &["list"], 0),
        ("get json", NO_ENV, &["-o", "json", "get", id], 0),
        ("get table", NO_ENV, &["get", id], 0),
        ("set", NO_ENV, &["timeout", "set", "33", id], 0),
        ("unset", NO_ENV, &["timeout", "unset", id], 0),
        ("bulk set", NO_ENV, &["-o", "ndjson", "timeout", "set", "31", "--id", &ids[1], "--id", &ids[2], "--yes"], 0),
        ("runs list", NO_ENV, &["runs", "list"], 0),
        ("runs show", NO_ENV, &["-o", "json", "runs", "show", "last"], 0),
        ("undo dry", NO_ENV, &["undo", "last", "--dry-run"], 0),
        // Each command runs twice, so the second undo undoes the first: that needs `--force`.
        ("undo", NO_ENV, &["undo", "last", "--yes", "--force"], 0),
        ("backup", NO_ENV, &["backup", "--all", "--out", backup], 0),
        ("crash", crash_at, &["timeout", "set", "34", "--id", &ids[3], "--id", &ids[4], "--yes"], 137),
        ("resume", NO_ENV, &["runs", "resume", "last"], 0),
        ("auth forget", NO_ENV, &["auth", "forget"], 0),
        ("list after forget", NO_ENV, &["list"], 0),
        ("bad duration", NO_ENV, &["timeout", "set", "99", id], 2),
        ("unknown action", NO_ENV, &["timeout", "set", "34", "no such action"], 2),
        ("bad run", NO_ENV, &["runs", "show", "nope"], 2),
        ("bad resume", NO_ENV, &["runs", "resume", "nope"], 2),
        ("bad undo", NO_ENV, &["undo", "nope"], 2),
    ];
    r.rows(rows);
    // A server error (a 400 on the write) with its ErrorBody and correlation id.
    h.emu.set_faults(vec![fault_rule(json!({
        "name": "bad", "method": "PATCH", "path": "/api/v2/integrations/actions/*",
        "action": {"type": "status", "status": 400, "code": "bad.request", "message": "injected"}
    }))]);
    r.rows(&[("server error", NO_ENV, &["timeout", "set", "35", id], 1)]);
    // A rate limit that asks for a wait above the ceiling: fails loudly.
    h.emu.set_faults(vec![fault_rule(json!({
        "name": "slow down", "method": "GET", "path": "/api/**",
        "action": {"type": "status", "status": 429, "retry_after": 1000}
    }))]);
    r.rows(&[("exhausted", NO_ENV, &["list"], 5)]);
    h.emu.set_faults(Vec::new());
    // Wrong credentials, from both credential sets; an empty secret variable; two
    // disagreeing credential sets: refused, and neither secret is quoted.
    let other_set = [
        ("GENESYS_CLIENT_ID", CLIENT),
        ("GENESYS_CLIENT_SECRET", WRONG),
        ("GENESYSCLOUD_OAUTHCLIENT_ID", "<unset>"),
        ("GENESYSCLOUD_OAUTHCLIENT_SECRET", "<unset>"),
    ];
    #[rustfmt::skip]
    let rows: &[Row] = &[
        ("wrong secret", &[("GENESYSCLOUD_OAUTHCLIENT_SECRET", WRONG)], &["list"], 4),
        ("wrong secret, other set", &other_set, &["list"], 4),
        ("empty secret", &[("GENESYSCLOUD_OAUTHCLIENT_SECRET", "")], &["list"], 2),
        ("both sets", &other_set[..2], &["list"], 2),
    ];
    r.rows(rows);

    // The commands of timeouts as code, probes, flows, the report, auth, restore, meta.
    let outside = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &[u8]| {
        let p = outside.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let policy = file(
        "policy.toml",
        format!("[[rule]]\nid = \"{}\"\ntimeout = 22\n", ids[5]).as_bytes(),
    );
    let html = outside.path().join("report.html");
    let man_dir = outside.path().join("man");
    let input = r#"{"phoneNumber": "+3225551234"}"#;
    #[rustfmt::skip]
    let rows: &[Row] = &[
        ("plan", NO_ENV, &["plan", "-f", &policy], 0),
        ("apply", NO_ENV, &["apply", "-f", &policy, "--yes"], 0),
        ("probe", NO_ENV, &["-o", "json", "probe", CONTACT, "--input", input, "-n", "2", "--yes"], 0),
        ("flows", NO_ENV, &["flows", CONTACT], 0),
        ("report", NO_ENV, &["report", "--html", html.to_str().unwrap()], 0),
        ("auth check", NO_ENV, &["auth", "check"], 0),
    ];
    r.rows(rows);
    let got = r.run("get for restore", &["-o", "json", "get", &ids[6]]);
    assert_code(&got, 0);
    let doc = file("doc.json", &got.stdout);
    let bad_policy = file("bad.toml", b"[[rule]]\ntimeout = 99\nname = \"*\"\n");
    #[rustfmt::skip]
    let rows: &[Row] = &[
        ("restore", NO_ENV, &["restore", &doc, "--yes"], 0),
        ("completions", NO_ENV, &["completions", "bash"], 0),
        ("man", NO_ENV, &["man", "--dir", man_dir.to_str().unwrap()], 0),
        // Failures of those.
        ("plan bad", NO_ENV, &["plan", "-f", &bad_policy], 2),
        ("probe bad", NO_ENV, &["probe", CONTACT, "--input", "{not json"], 2),
        ("restore bad", NO_ENV, &["restore", &policy], 2),
    ];
    r.rows(rows);

    // Profiles: a secret in a private file, a plain secret in a readable config (warned
    // about), and gc's config; none of them printed.
    let (cfg, gc_home) = write_profiles(&h, outside.path());
    let no_env = &[
        ("GENESYSCLOUD_OAUTHCLIENT_ID", "<unset>"),
        ("GENESYSCLOUD_OAUTHCLIENT_SECRET", "<unset>"),
        ("DACTL_CONFIG", cfg.as_str()),
        ("HOME", gc_home.as_str()),
    ][..];
    #[rustfmt::skip]
    let rows: &[Row] = &[
        ("profiles list", no_env, &["profiles", "list"], 0),
        ("profiles list json", no_env, &["-o", "json", "profiles", "list"], 0),
        ("profile from a secret file", no_env, &["--profile", "prod", "list"], 0),
        ("profile with a plain secret", no_env, &["--profile", "plain", "timeout", "set", "21", &ids[7]], 0),
        ("profile with a wrong secret", no_env, &["--profile", "wrong", "list"], 4),
        ("gc profile", no_env, &["--profile", "gc:gcprof", "list"], 0),
        ("auth check by profile", no_env, &["--profile", "prod", "auth", "check"], 0),
        ("unknown profile", no_env, &["--profile", "nope", "list"], 2),
    ];
    r.rows(rows);
    let o = r.run_env(
        "plain secret warning",
        no_env,
        &["--profile", "plain", "list"],
    );
    assert!(
        stderr(&o).contains("warning"),
        "a secret in a readable file is warned about: {}",
        stderr(&o)
    );

    // The sandbox commands (their own public credentials; the user's must not appear).
    r.rows(&[("sandbox reset", NO_ENV, &["sandbox", "reset"], 0)]);
    r.keep("sandbox serve".into(), sandbox_serve(&h));
    r.covered.insert("sandbox".into());
    let o = h
        .cmd_without_url()
        .env("GENESYSCLOUD_OAUTHCLIENT_ID", CLIENT)
        .env("GENESYSCLOUD_OAUTHCLIENT_SECRET", SECRET)
        .args(["-vvv", "--sandbox", "--rate", "100000"])
        .args(["timeout", "set", "20", "--all", "--yes"])
        .output()
        .unwrap();
    assert!(
        matches!(o.status.code(), Some(0) | Some(3)),
        "{}",
        stderr(&o)
    );
    r.keep("sandbox bulk".into(), o);
    // Commands added later than this test: at least their usage paths are checked.
    for cmd in listed_commands() {
        if !r.covered.contains(&cmd) {
            eprintln!("note: `{cmd}` is only checked through its bare invocation");
            r.run(&format!("bare {cmd}"), &[&cmd]);
        }
    }

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
    check_transcripts(&r.transcripts, &needles);
    // Files under DACTL_HOME: no secret, no token; files 0600, folders 0700.
    let (files, dirs) = check_files(h.home(), outside.path(), &needles);
    eprintln!(
        "secrets: {} transcripts, {files} files and {dirs} folders checked, {} needles",
        r.transcripts.len(),
        needles.len()
    );
}
