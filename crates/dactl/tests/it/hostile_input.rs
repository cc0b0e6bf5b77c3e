//! Hostile input (issue 5): a table of bad inputs, each run through the real binary against
//! the emulator. For every case: the documented exit code, a one-line `error:` on stderr, no
//! panic, no raw control or bidi character echoed to the terminal, and no remote write (the
//! emulator journal shows no request other than reads and logins).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use serde_json::Value;

/// Where a case sends its requests.
#[derive(Clone, Copy, PartialEq)]
enum Target {
    /// `--base-url` of the harness's emulator.
    Emulator,
    /// No `--base-url`: the case brings its own target (or none).
    Own,
}

struct Case {
    name: &'static str,
    args: Vec<String>,
    /// Environment overrides; a `None` value removes the variable.
    env: Vec<(&'static str, Option<String>)>,
    stdin: Option<Vec<u8>>,
    target: Target,
    code: i32,
    /// Text the error output must contain (lower-case comparison).
    says: &'static str,
}

fn case(name: &'static str, args: &[&str], code: i32, says: &'static str) -> Case {
    Case {
        name,
        args: args.iter().map(|s| s.to_string()).collect(),
        env: Vec::new(),
        stdin: None,
        target: Target::Emulator,
        code,
        says,
    }
}

impl Case {
    fn own(mut self) -> Self {
        self.target = Target::Own;
        self
    }
    fn env(mut self, k: &'static str, v: Option<&str>) -> Self {
        self.env.push((k, v.map(str::to_string)));
        self
    }
    fn stdin(mut self, bytes: &[u8]) -> Self {
        self.stdin = Some(bytes.to_vec());
        self
    }
}

fn owned(args: Vec<String>, name: &'static str, code: i32, says: &'static str) -> Case {
    Case {
        name,
        args,
        env: Vec::new(),
        stdin: None,
        target: Target::Emulator,
        code,
        says,
    }
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p: PathBuf = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

/// Swap Latin letters for Cyrillic lookalikes (а е о р с х).
fn lookalike(name: &str) -> String {
    let mut swapped = false;
    name.chars()
        .map(|c| {
            let to = match c {
                'a' => 'а',
                'e' => 'е',
                'o' => 'о',
                'p' => 'р',
                'c' => 'с',
                'x' => 'х',
                _ => return c,
            };
            if swapped {
                c
            } else {
                swapped = true;
                to
            }
        })
        .collect()
}

fn run_case(h: &Harness, c: &Case) -> Output {
    let mut cmd = match c.target {
        Target::Emulator => h.cmd(),
        Target::Own => h.cmd_without_url(),
    };
    for (k, v) in &c.env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.args(&c.args)
        .stdin(if c.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(bytes) = &c.stdin {
        let mut sin = child.stdin.take().unwrap();
        // The process may refuse before reading all of it.
        let _ = sin.write_all(bytes);
    }
    let drain = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    // Bad input must be refused at once; a process still running after 30 s is a failure.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Characters that must never reach a terminal raw from user input.
fn dangerous(ch: char) -> bool {
    (ch.is_control() && ch != '\n')
        || matches!(ch, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200b}' | '\u{feff}')
}

#[test]
fn bad_inputs_get_their_exit_code_an_error_line_and_no_write() {
    let h = Harness::new();
    let files = tempfile::tempdir().unwrap();
    let f = files.path();
    let actions = h.actions();
    let regular: Vec<&Value> = actions
        .iter()
        .filter(|a| {
            let id = a["id"].as_str().unwrap();
            !id.starts_with("static")
                && !id.starts_with("customAuth")
                && actions.iter().filter(|b| b["name"] == a["name"]).count() == 1
        })
        .collect();
    let id = regular[0]["id"].as_str().unwrap().to_string();
    let name = regular
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .find(|n| n.chars().any(|c| "aeopcx".contains(c)))
        .unwrap()
        .to_string();
    let dup = actions
        .iter()
        .find(|a| actions.iter().filter(|b| b["name"] == a["name"]).count() > 1)
        .unwrap()["name"]
        .as_str()
        .unwrap()
        .to_string();
    // One earlier run, so that run selectors have something to hit by mistake.
    assert_code(&h.run(&["timeout", "set", "29", &id]), 0);
    let long = "x".repeat(10 * 1024);

    // --from-file contents.
    let ff_empty = write_file(f, "empty.txt", b"");
    let ff_blank = write_file(f, "blank.txt", b"\r\n   \r\n# only a comment\r\n\t\r\n");
    let ff_bom_crlf_dups = write_file(
        f,
        "bom.txt",
        "\u{feff}No Such Action\r\nNo Such Action\r\n\r\nNo Such Action\r\n".as_bytes(),
    );
    let mut big = String::with_capacity(4_000_000);
    for i in 0..100_000 {
        big.push_str(&format!("no such action {i:06}\n"));
    }
    let ff_100k = write_file(f, "100k.txt", big.as_bytes());
    let ff_mixed = write_file(f, "mixed.txt", format!("{id}\nNo Such Action\n").as_bytes());
    let ff_binary = write_file(f, "binary.txt", &[0xff, 0xfe, 0x00, 0x41, 0x80, 0x0a]);
    let ff_control = write_file(f, "control.txt", format!("{id}\n\u{7}bell\n").as_bytes());
    let ff_long = write_file(f, "long.txt", format!("{long}\n").as_bytes());
    let ff_lookalike = write_file(
        f,
        "lookalike.txt",
        format!("{}\n", lookalike(&name)).as_bytes(),
    );
    let ff_missing = f.join("missing.txt").to_str().unwrap().to_string();
    let ff_dir = f.to_str().unwrap().to_string();
    // Fault files (`sandbox serve --faults`): the configuration files that exist today.
    let faults_malformed = write_file(f, "f1.toml", b"[[faults]\npath = \"/x\"\n");
    let faults_types = write_file(
        f,
        "f2.toml",
        b"[[faults]]\npath = \"/x\"\ntrigger = { type = \"nth\", n = \"second\" }\naction = { type = \"drop\" }\n",
    );
    let faults_unknown = write_file(
        f,
        "f3.toml",
        b"[[faults]]\npath = \"/x\"\ntigger = { type = \"nth\", n = 2 }\naction = { type = \"drop\" }\n",
    );
    let faults_bad_value = write_file(
        f,
        "f4.json",
        br#"[{"path": "x", "action": {"type": "status", "status": 999}}]"#,
    );

    // dactl's config (profiles), gc's config, policy files, probe inputs, restore documents.
    let cfg = |name: &str, text: &str| write_file(f, name, text.as_bytes());
    let url = h.base_url();
    let cfg_malformed = cfg("c1.toml", "[profiles.a\nregion = \"eu-west-1\"\n");
    let cfg_unknown = cfg("c2.toml", "[profiles.a]\nregoin = \"eu-west-1\"\n");
    let cfg_type = cfg("c3.toml", "[profiles.a]\nregion = 5\n");
    let cfg_two_endpoints = cfg(
        "c4.toml",
        &format!("[profiles.a]\nregion = \"eu-west-1\"\nbase_url = \"{url}\"\nclient_id = \"x\"\nclient_secret_env = \"S\"\n"),
    );
    let cfg_two_secrets = cfg(
        "c5.toml",
        &format!("[profiles.a]\nbase_url = \"{url}\"\nclient_id = \"x\"\nclient_secret_env = \"S\"\nclient_secret_file = \"s.txt\"\n"),
    );
    let cfg_top_level = cfg("c6.toml", "profile = \"a\"\n");
    let cfg_missing = f.join("no-config.toml").to_str().unwrap().to_string();
    let gc_home = f.join("gc-home");
    std::fs::create_dir_all(gc_home.join(".gc")).unwrap();
    std::fs::write(gc_home.join(".gc/config.toml"), "[x\n").unwrap();
    let gc_home = gc_home.to_str().unwrap().to_string();
    let pol = |name: &str, text: &str| write_file(f, name, text.as_bytes());
    let pol_malformed = pol("p1.toml", "[[rule]\ntimeout = 5\n");
    let pol_unknown = pol("p2.toml", "[[rule]]\nnmae = \"x*\"\ntimeout = 5\n");
    let pol_type = pol("p3.toml", "[[rule]]\nname = \"x*\"\ntimeout = \"soon\"\n");
    let pol_range = pol("p4.toml", "default = 61\n");
    let pol_empty = pol("p5.toml", "");
    let pol_no_matcher = pol("p6.toml", "[[rule]]\ntimeout = 5\n");
    let pol_bad_glob = pol("p7.toml", "[[rule]]\nname = \"[\"\ntimeout = 5\n");
    let pol_long = pol(
        "p8.toml",
        &format!("[[rule]]\nname = \"{long}\"\ntimeout = 5\n"),
    );
    let pol_control = pol(
        "p9.toml",
        "[[rule]]\ncategory = \"a\\u0007b\"\ntimeout = 5\n",
    );
    let doc_not_json = pol("d1.json", "{\"id\": ");
    let doc_wrong_shape = pol("d2.json", "[1, 2, 3]");
    let man_on_file = write_file(f, "not-a-folder", b"x");

    let set = |d: &str| vec!["timeout".to_string(), "set".into(), d.into(), id.clone()];
    let cases: Vec<Case> = vec![
        // Durations.
        owned(set("0"), "duration 0", 2, "invalid timeout"),
        owned(set("61"), "duration 61", 2, "out of range"),
        owned(set("1.5s"), "duration 1.5s", 2, "whole number"),
        owned(set("-3"), "duration -3", 2, "error"),
        owned(set("abc"), "duration abc", 2, "invalid timeout"),
        owned(set("90000ms"), "duration 90000ms", 2, "out of range"),
        owned(set(""), "duration empty", 2, "empty"),
        owned(set("   "), "duration whitespace", 2, "empty"),
        owned(set("30x"), "duration unknown unit", 2, "unit"),
        owned(set("1h"), "duration hours", 2, "unit"),
        owned(
            set("１０"),
            "duration fullwidth digits",
            2,
            "invalid timeout",
        ),
        owned(
            set("٣٠"),
            "duration arabic-indic digits",
            2,
            "invalid timeout",
        ),
        owned(
            set("99999999999999999999999"),
            "duration overflow",
            2,
            "out of range",
        ),
        owned(
            set("3\u{7}0"),
            "duration control char",
            2,
            "invalid timeout",
        ),
        owned(set(&long), "duration 10 kB", 2, "invalid timeout"),
        // Names (positional ACTION).
        case("name empty", &["timeout", "set", "30", ""], 2, "empty"),
        case(
            "name whitespace",
            &["timeout", "set", "30", "   "],
            2,
            "empty",
        ),
        owned(
            vec!["timeout".into(), "set".into(), "30".into(), long.clone()],
            "name 10 kB",
            2,
            "characters long",
        ),
        case(
            "name ANSI escape",
            &["timeout", "set", "30", "Get\u{1b}[31mContact"],
            2,
            "control character",
        ),
        case(
            "name newline",
            &["timeout", "set", "30", "Get\nContact"],
            2,
            "control character",
        ),
        case(
            "name NUL-like DEL",
            &["timeout", "set", "30", "Get\u{7f}Contact"],
            2,
            "control character",
        ),
        owned(
            vec![
                "timeout".into(),
                "set".into(),
                "30".into(),
                lookalike(&name),
            ],
            "name Cyrillic lookalike",
            2,
            "no action",
        ),
        owned(
            vec![
                "timeout".into(),
                "set".into(),
                "30".into(),
                name.replacen(' ', " \u{200b}", 1),
            ],
            "name zero-width space",
            2,
            "no action",
        ),
        owned(
            vec![
                "timeout".into(),
                "set".into(),
                "30".into(),
                format!("\u{202e}{name}"),
            ],
            "name bidi override",
            2,
            "no action",
        ),
        owned(
            vec![
                "timeout".into(),
                "set".into(),
                "30".into(),
                name.to_uppercase(),
            ],
            "name wrong case",
            2,
            "no action",
        ),
        owned(
            vec!["timeout".into(), "set".into(), "30".into(), dup.clone()],
            "name ambiguous",
            2,
            "matches",
        ),
        case("get empty", &["get", ""], 2, "empty"),
        // Selectors.
        case(
            "no selector",
            &["timeout", "set", "30"],
            2,
            "no action selected",
        ),
        case(
            "glob invalid",
            &["timeout", "set", "30", "--name", "["],
            2,
            "invalid `--name`",
        ),
        case(
            "glob empty",
            &["timeout", "set", "30", "--name", ""],
            2,
            "empty",
        ),
        owned(
            vec![
                "timeout".into(),
                "set".into(),
                "30".into(),
                "--name".into(),
                long.clone(),
            ],
            "glob 10 kB",
            2,
            "characters long",
        ),
        case(
            "glob matches nothing",
            &["timeout", "set", "30", "--name", "zz-no-such-*"],
            2,
            "match no action",
        ),
        case(
            "glob lookalike",
            &["timeout", "set", "30", "--name", "*Соntact*"],
            2,
            "match no action",
        ),
        case(
            "category whitespace",
            &["timeout", "set", "30", "--category", "  "],
            2,
            "empty",
        ),
        case(
            "category control",
            &["timeout", "set", "30", "--category", "Web\tServices"],
            2,
            "control character",
        ),
        case(
            "integration control",
            &["timeout", "set", "30", "--integration", "a\rb"],
            2,
            "control character",
        ),
        case(
            "id empty",
            &["timeout", "set", "30", "--id", ""],
            2,
            "empty",
        ),
        case(
            "id unknown",
            &[
                "timeout",
                "set",
                "30",
                "--id",
                "00000000-0000-0000-0000-000000000000",
            ],
            2,
            "no action",
        ),
        case(
            "bulk without --yes",
            &["timeout", "set", "30", "--all"],
            2,
            "--yes",
        ),
        case("concurrency 0", &["--concurrency", "0", "list"], 2, "error"),
        case("rate 0", &["--rate", "0", "list"], 2, "error"),
        case("output format", &["-o", "xml", "list"], 2, "error"),
        case(
            "unknown flag",
            &["timeout", "set", "30", "--force-everything"],
            2,
            "error",
        ),
        // --from-file.
        owned(
            vec![
                "timeout".into(),
                "set".into(),
                "30".into(),
                "--from-file".into(),
                ff_empty,
            ],
            "from-file empty",
            2,
            "lists no action",
        ),
        owned(
            vec![
                "timeout".into(),
                "set".into(),
                "30".into(),
                "--from-file".into(),
                ff_blank,
            ],
            "from-file blank lines CRLF comments",
            2,
            "lists no action",
        ),
        owned(
            vec![
                "timeout".into(),
                "set".into(),
                "30".into(),
                "--from-file".into(),
                ff_bom_crlf_dups,
            ],
            "from-file BOM CRLF duplicates",
            2,
            "no action",
        ),
        owned(
            vec![
                "timeout".into(),
                "set".into(),
                "30".into(),
                "--yes".into(),
                "--from-file".into(),
                ff_100k,
            ],
            "from-file 100k lines",
            2,
            "no actions",
        ),
        owned(
            vec![
                "timeout".into(),
                "set".into(),
                "30".into(),
                "--yes".into(),
                "--from-file".into(),
                ff_mixed,
            ],
            "from-file one unknown among valid",
            2,
            "no action",
        ),
        owned(
            vec![
                "timeout".into(),
                "set".into(),
                "30".into(),
                "--from-file".into(),
                ff_binary,
            ],
            "from-file not UTF-8",
            2,
            "not utf-8",
        ),
        owned(
            vec![
                "timeout".into(),
                "set".into(),
                "30".into(),
                "--from-file".into(),
                ff_control,
            ],
            "from-file control char",
            2,
            "control character",
        ),
        owned(
            vec![
                "timeout".into(),
                "set".into(),
                "30".into(),
                "--from-file".into(),
                ff_long,
            ],
            "from-file 10 kB line",
            2,
            "characters long",
        ),
        owned(
            vec![
                "timeout".into(),
                "set".into(),
                "30".into(),
                "--from-file".into(),
                ff_lookalike,
            ],
            "from-file lookalike",
            2,
            "no action",
        ),
        owned(
            vec![
                "timeout".into(),
                "set".into(),
                "30".into(),
                "--from-file".into(),
                ff_missing,
            ],
            "from-file missing",
            2,
            "cannot read",
        ),
        owned(
            vec![
                "timeout".into(),
                "set".into(),
                "30".into(),
                "--from-file".into(),
                ff_dir,
            ],
            "from-file a folder",
            2,
            "cannot read",
        ),
        case(
            "from-file stdin empty",
            &["timeout", "set", "30", "--from-file", "-"],
            2,
            "lists no action",
        )
        .stdin(b""),
        case(
            "from-file stdin BOM only",
            &["timeout", "set", "30", "--from-file", "-"],
            2,
            "lists no action",
        )
        .stdin("\u{feff}\r\n".as_bytes()),
        // Runs.
        case("run id empty", &["undo", "", "--yes"], 2, "run"),
        case("run id whitespace", &["runs", "resume", "  "], 2, "run"),
        case(
            "run id traversal",
            &["runs", "show", "../../etc"],
            2,
            "no run",
        ),
        case("run id unknown", &["undo", "nope", "--yes"], 2, "no run"),
        // Configuration files (fault files of `sandbox serve`).
        owned(
            vec![
                "sandbox".into(),
                "serve".into(),
                "--addr".into(),
                "127.0.0.1:0".into(),
                "--faults".into(),
                faults_malformed,
            ],
            "faults malformed TOML",
            2,
            "invalid fault file",
        ),
        owned(
            vec![
                "sandbox".into(),
                "serve".into(),
                "--addr".into(),
                "127.0.0.1:0".into(),
                "--faults".into(),
                faults_types,
            ],
            "faults wrong type",
            2,
            "invalid fault file",
        ),
        owned(
            vec![
                "sandbox".into(),
                "serve".into(),
                "--addr".into(),
                "127.0.0.1:0".into(),
                "--faults".into(),
                faults_unknown,
            ],
            "faults unknown key",
            2,
            "unknown field",
        ),
        owned(
            vec![
                "sandbox".into(),
                "serve".into(),
                "--addr".into(),
                "127.0.0.1:0".into(),
                "--faults".into(),
                faults_bad_value,
            ],
            "faults bad values",
            2,
            "invalid fault file",
        ),
        case(
            "serve bad address",
            &["sandbox", "serve", "--addr", "localhost"],
            2,
            "invalid value",
        ),
        // dactl's config file and gc's.
        case("config malformed TOML", &["list"], 2, "not valid toml")
            .env("DACTL_CONFIG", Some(&cfg_malformed)),
        case("config unknown key", &["list"], 2, "not a known key")
            .env("DACTL_CONFIG", Some(&cfg_unknown)),
        case("config wrong type", &["list"], 2, "must be a string")
            .env("DACTL_CONFIG", Some(&cfg_type)),
        case(
            "config two endpoints",
            &["--profile", "a", "list"],
            2,
            "sets both",
        )
        .own()
        .env("DACTL_CONFIG", Some(&cfg_two_endpoints)),
        case(
            "config two secret sources",
            &["--profile", "a", "list"],
            2,
            "2 secret sources",
        )
        .own()
        .env("DACTL_CONFIG", Some(&cfg_two_secrets)),
        case("config unknown top-level key", &["list"], 2, "profile")
            .env("DACTL_CONFIG", Some(&cfg_top_level)),
        case("config missing", &["list"], 2, "no-config.toml")
            .env("DACTL_CONFIG", Some(&cfg_missing)),
        case("gc config malformed", &["list"], 2, "not valid toml").env("HOME", Some(&gc_home)),
        case("profile unknown", &["--profile", "nope", "list"], 2, "nope").own(),
        case("profile empty", &["--profile", "", "list"], 2, "profile").own(),
        case("env empty DACTL_PROFILE", &["list"], 2, "dactl_profile")
            .own()
            .env("DACTL_PROFILE", Some("")),
        // Policy files (timeouts as code).
        owned(
            vec!["plan".into(), "-f".into(), pol_malformed],
            "policy malformed TOML",
            2,
            "p1.toml",
        ),
        owned(
            vec!["plan".into(), "-f".into(), pol_unknown],
            "policy unknown key",
            2,
            "unknown field",
        ),
        owned(
            vec!["plan".into(), "-f".into(), pol_type],
            "policy wrong type",
            2,
            "p3.toml",
        ),
        owned(
            vec!["apply".into(), "-f".into(), pol_range, "--yes".into()],
            "policy timeout out of range",
            2,
            "p4.toml",
        ),
        owned(
            vec!["apply".into(), "-f".into(), pol_empty, "--yes".into()],
            "policy empty",
            2,
            "p5.toml",
        ),
        owned(
            vec!["plan".into(), "-f".into(), pol_no_matcher],
            "policy rule without matcher",
            2,
            "p6.toml",
        ),
        owned(
            vec!["plan".into(), "-f".into(), pol_bad_glob],
            "policy bad glob",
            2,
            "p7.toml",
        ),
        owned(
            vec!["plan".into(), "-f".into(), pol_long],
            "policy 10 kB name",
            2,
            "p8.toml",
        ),
        owned(
            vec!["plan".into(), "-f".into(), pol_control],
            "policy control character",
            2,
            "p9.toml",
        ),
        case(
            "policy missing",
            &["plan", "-f", "/nonexistent/policy.toml"],
            2,
            "policy.toml",
        ),
        // Probe inputs, restore documents, output paths.
        owned(
            vec![
                "probe".into(),
                id.clone(),
                "--input".into(),
                "{not json".into(),
            ],
            "probe input not JSON",
            2,
            "input",
        ),
        owned(
            vec!["probe".into(), id.clone(), "--input".into(), "[1]".into()],
            "probe input not an object",
            2,
            "input",
        ),
        owned(
            vec![
                "probe".into(),
                id.clone(),
                "--input".into(),
                "{}".into(),
                "-n".into(),
                "0".into(),
            ],
            "probe zero runs",
            2,
            "error",
        ),
        owned(
            vec![
                "probe".into(),
                id.clone(),
                "--input".into(),
                "{}".into(),
                "-n".into(),
                "100000".into(),
            ],
            "probe too many runs",
            2,
            "error",
        ),
        owned(
            vec![
                "probe".into(),
                id.clone(),
                "--input".into(),
                "@/nonexistent/input.json".into(),
            ],
            "probe input file missing",
            2,
            "input.json",
        ),
        owned(
            vec!["restore".into(), doc_not_json, "--yes".into()],
            "restore not JSON",
            2,
            "d1.json",
        ),
        owned(
            vec!["restore".into(), doc_wrong_shape, "--yes".into()],
            "restore wrong shape",
            2,
            "d2.json",
        ),
        case(
            "restore missing file",
            &["restore", "/nonexistent/doc.json", "--yes"],
            2,
            "doc.json",
        ),
        owned(
            vec!["man".into(), "--dir".into(), man_on_file],
            "man into a file",
            1,
            "not-a-folder",
        ),
        case(
            "completions unknown shell",
            &["completions", "tcsh"],
            2,
            "error",
        ),
        // Environment.
        case("env empty client id", &["list"], 2, "empty")
            .env("GENESYSCLOUD_OAUTHCLIENT_ID", Some("")),
        case("env whitespace secret", &["list"], 2, "empty")
            .env("GENESYSCLOUD_OAUTHCLIENT_SECRET", Some("   ")),
        case("env id without secret", &["list"], 2, "is not")
            .env("GENESYSCLOUD_OAUTHCLIENT_SECRET", None),
        case("env no credentials", &["list"], 2, "no client credentials")
            .env("GENESYSCLOUD_OAUTHCLIENT_ID", None)
            .env("GENESYSCLOUD_OAUTHCLIENT_SECRET", None),
        case(
            "env both credential sets",
            &["list"],
            2,
            "two different sets",
        )
        .env("GENESYS_CLIENT_ID", Some("someone-else"))
        .env("GENESYS_CLIENT_SECRET", Some("another-secret")),
        case("env empty other set", &["list"], 2, "empty").env("GENESYS_CLIENT_ID", Some("")),
        case("env empty DACTL_HOME", &["list"], 2, "dactl_home").env("DACTL_HOME", Some("")),
        case("env empty region", &["list"], 2, "genesyscloud_region")
            .own()
            .env("GENESYSCLOUD_REGION", Some("")),
        case("env unknown region", &["list"], 2, "unknown region")
            .own()
            .env("GENESYSCLOUD_REGION", Some("mars-1")),
        // Base URLs and regions.
        case(
            "url plain http off loopback",
            &["--base-url", "http://example.com", "list"],
            2,
            "plain http",
        )
        .own(),
        case(
            "url ftp",
            &["--base-url", "ftp://127.0.0.1", "list"],
            2,
            "scheme",
        )
        .own(),
        case(
            "url garbage",
            &["--base-url", "not a url", "list"],
            2,
            "invalid base url",
        )
        .own(),
        case("url empty", &["--base-url", "", "list"], 2, "base url").own(),
        case(
            "url user info",
            &[
                "--base-url",
                "https://user:hunter2@api.mypurecloud.ie",
                "list",
            ],
            2,
            "user information",
        )
        .own(),
        case(
            "url query",
            &["--base-url", "http://127.0.0.1:9/?token=x", "list"],
            2,
            "query",
        )
        .own(),
        case(
            "url bad port",
            &["--base-url", "http://127.0.0.1:99999", "list"],
            2,
            "base url",
        )
        .own(),
        case(
            "region unknown",
            &["--region", "mars-1", "list"],
            2,
            "unknown region",
        )
        .own(),
        case("region empty", &["--region", "", "list"], 2, "region").own(),
        case(
            "region is a URL",
            &["--region", "https://api.mypurecloud.ie", "list"],
            2,
            "is a url",
        )
        .own(),
        case(
            "region Cyrillic lookalike",
            &["--region", "mypurеcloud.ie", "list"],
            2,
            "not a valid region",
        )
        .own(),
        case(
            "region Unicode hyphen",
            &["--region", "eu\u{2010}west\u{2010}1", "list"],
            2,
            "region",
        )
        .own(),
        case(
            "sandbox with region",
            &["--sandbox", "--region", "eu-west-1", "list"],
            2,
            "cannot be combined",
        )
        .own(),
    ];
    assert!(cases.len() >= 40, "{} cases", cases.len());

    let mut failures = Vec::new();
    let runs_before = std::fs::read_dir(h.runs_dir()).unwrap().count();
    let before = h.state();
    for c in &cases {
        let from = h.journal().len();
        let o = run_case(&h, c);
        let err = stderr(&o);
        let mut problems = Vec::new();
        if o.status.code() != Some(c.code) {
            problems.push(format!("exit {:?}, expected {}", o.status.code(), c.code));
        }
        let error_lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
        if error_lines.is_empty() {
            problems.push("no `error:` line".into());
        }
        if !err.to_lowercase().contains(&c.says.to_lowercase()) {
            problems.push(format!("the error does not say `{}`", c.says));
        }
        if err.contains("panicked") || o.status.code() == Some(101) {
            problems.push("panic".into());
        }
        if let Some(ch) = err.chars().find(|&ch| dangerous(ch)) {
            problems.push(format!("raw {:?} echoed to the terminal", ch));
        }
        if err.lines().any(|l| l.len() > 2_000) {
            problems.push("an error line longer than 2,000 bytes".into());
        }
        let new: Vec<_> = h.journal().into_iter().skip(from).collect();
        let writes: Vec<String> = new
            .iter()
            .filter(|e| e.method != "GET" && e.path != "/oauth/token")
            .map(|e| format!("{} {}", e.method, e.path))
            .collect();
        if !writes.is_empty() {
            problems.push(format!("remote writes: {writes:?}"));
        }
        if new.len() > 12 {
            problems.push(format!("{} requests for bad input", new.len()));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n--- stderr (first 600 bytes)\n{}",
                c.name,
                problems.join("; "),
                err.chars().take(600).collect::<String>()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert_eq!(h.state(), before, "no bad input changed the org");
    assert_eq!(
        std::fs::read_dir(h.runs_dir()).unwrap().count(),
        runs_before,
        "no bad input started a run"
    );
    eprintln!("hostile input: {} bad inputs tried", cases.len());
}

/// 100,000 lines naming one action (duplicates) select it once: one listing, one write.
#[test]
fn a_100k_line_from_file_costs_a_few_requests() {
    let h = Harness::new();
    let a = h
        .actions()
        .into_iter()
        .find(|a| {
            let id = a["id"].as_str().unwrap();
            !id.starts_with("static")
                && !id.starts_with("customAuth")
                && a["config"]["timeoutSeconds"] != 27
        })
        .unwrap();
    let id = a["id"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("\u{feff}");
    for i in 0..100_000 {
        text.push_str(id);
        text.push_str(if i % 2 == 0 { "\r\n" } else { "\n" });
    }
    let file = write_file(dir.path(), "ids.txt", text.as_bytes());
    let o = h.run(&["timeout", "set", "27", "--from-file", &file]);
    assert_code(&o, 0);
    let j = h.journal();
    assert!(j.len() <= 12, "{} requests", j.len());
    assert_eq!(j.iter().filter(|e| e.method == "PATCH").count(), 1);
}

/// A client secret in a config file that group or others can read: dactl works, but warns,
/// names the file and the fix, and never prints the secret.
#[cfg(unix)]
#[test]
fn a_secret_in_a_world_readable_config_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let h = Harness::new();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[profiles.emu]\nbase_url = \"{}\"\nclient_id = \"{ID}\"\nclient_secret = \"{SECRET}\"\n",
            h.base_url()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = h
        .cmd_without_url()
        .env_remove("GENESYSCLOUD_OAUTHCLIENT_ID")
        .env_remove("GENESYSCLOUD_OAUTHCLIENT_SECRET")
        .env("DACTL_CONFIG", &cfg)
        .args(["--profile", "emu", "list"])
        .output()
        .unwrap();
    assert_code(&o, 0);
    let err = stderr(&o);
    let warning = err
        .lines()
        .find(|l| l.starts_with("warning:") && l.contains("readable by group or others"))
        .unwrap_or_else(|| panic!("a warning: {err}"));
    assert!(warning.contains(cfg.to_str().unwrap()) && warning.contains("chmod 600"));
    assert!(!format!("{}{err}", stdout(&o)).contains(SECRET));
    // Made private, the warning about readability goes away.
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).unwrap();
    let o = h
        .cmd_without_url()
        .env_remove("GENESYSCLOUD_OAUTHCLIENT_ID")
        .env_remove("GENESYSCLOUD_OAUTHCLIENT_SECRET")
        .env("DACTL_CONFIG", &cfg)
        .args(["--profile", "emu", "list"])
        .output()
        .unwrap();
    assert_code(&o, 0);
    assert!(!stderr(&o).contains("readable by group or others"));
}
