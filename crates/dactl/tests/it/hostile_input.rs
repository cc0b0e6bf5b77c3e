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

/// The files and names the cases refer to, written into `f` (each case reads at most one).
struct Inputs {
    /// A regular action with a unique name, its name (with a letter that has a Cyrillic
    /// lookalike), and a name that two actions share.
    id: String,
    name: String,
    dup: String,
    /// 10 kB of `x`.
    long: String,
    /// `--from-file` contents, by what is wrong with them.
    ff_empty: String,
    ff_blank: String,
    ff_bom_crlf_dups: String,
    ff_100k: String,
    ff_mixed: String,
    ff_binary: String,
    ff_control: String,
    ff_long: String,
    ff_lookalike: String,
    ff_missing: String,
    ff_dir: String,
    /// Fault files (`sandbox serve --faults`).
    faults_malformed: String,
    faults_types: String,
    faults_unknown: String,
    faults_bad_value: String,
    /// dactl's config (profiles) and a `HOME` whose gc config is malformed.
    cfg_malformed: String,
    cfg_unknown: String,
    cfg_type: String,
    cfg_two_endpoints: String,
    cfg_two_secrets: String,
    cfg_top_level: String,
    cfg_missing: String,
    gc_home: String,
    /// Policy files (timeouts as code), restore documents, and a file where a folder belongs.
    pol_malformed: String,
    pol_unknown: String,
    pol_type: String,
    pol_range: String,
    pol_empty: String,
    pol_no_matcher: String,
    pol_bad_glob: String,
    pol_long: String,
    pol_control: String,
    doc_not_json: String,
    doc_wrong_shape: String,
    man_on_file: String,
}

impl Inputs {
    fn write(h: &Harness, f: &Path) -> Inputs {
        let actions = h.actions();
        let regular: Vec<&Value> = actions
            .iter()
            .filter(|a| {
                is_regular(a) && actions.iter().filter(|b| b["name"] == a["name"]).count() == 1
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
        let long = "x".repeat(10 * 1024);
        let mut big = String::with_capacity(4_000_000);
        for i in 0..100_000 {
            big.push_str(&format!("no such action {i:06}\n"));
        }
        let text = |name: &str, text: &str| write_file(f, name, text.as_bytes());
        let url = h.base_url();
        let gc_home = f.join("gc-home");
        std::fs::create_dir_all(gc_home.join(".gc")).unwrap();
        std::fs::write(gc_home.join(".gc/config.toml"), "[x\n").unwrap();
        Inputs {
            ff_empty: text("empty.txt", ""),
            ff_blank: text("blank.txt", "\r\n   \r\n# only a comment\r\n\t\r\n"),
            ff_bom_crlf_dups: text(
                "bom.txt",
                "\u{feff}No Such Action\r\nNo Such Action\r\n\r\nNo Such Action\r\n",
            ),
            ff_100k: text("100k.txt", &big),
            ff_mixed: text("mixed.txt", &format!("{id}\nNo Such Action\n")),
            ff_binary: write_file(f, "binary.txt", &[0xff, 0xfe, 0x00, 0x41, 0x80, 0x0a]),
            ff_control: text("control.txt", &format!("{id}\n\u{7}bell\n")),
            ff_long: text("long.txt", &format!("{long}\n")),
            ff_lookalike: text("lookalike.txt", &format!("{}\n", lookalike(&name))),
            ff_missing: f.join("missing.txt").to_str().unwrap().to_string(),
            ff_dir: f.to_str().unwrap().to_string(),
            faults_malformed: text("f1.toml", "[[faults]\npath = \"/x\"\n"),
            faults_types: text(
                "f2.toml",
                "[[faults]]\npath = \"/x\"\ntrigger = { type = \"nth\", n = \"second\" }\naction = { type = \"drop\" }\n",
            ),
            faults_unknown: text(
                "f3.toml",
                "[[faults]]\npath = \"/x\"\ntigger = { type = \"nth\", n = 2 }\naction = { type = \"drop\" }\n",
            ),
            faults_bad_value: text(
                "f4.json",
                r#"[{"path": "x", "action": {"type": "status", "status": 999}}]"#,
            ),
            cfg_malformed: text("c1.toml", "[profiles.a\nregion = \"eu-west-1\"\n"),
            cfg_unknown: text("c2.toml", "[profiles.a]\nregoin = \"eu-west-1\"\n"),
            cfg_type: text("c3.toml", "[profiles.a]\nregion = 5\n"),
            cfg_two_endpoints: text(
                "c4.toml",
                &format!("[profiles.a]\nregion = \"eu-west-1\"\nbase_url = \"{url}\"\nclient_id = \"x\"\nclient_secret_env = \"S\"\n"),
            ),
            cfg_two_secrets: text(
                "c5.toml",
                &format!("[profiles.a]\nbase_url = \"{url}\"\nclient_id = \"x\"\nclient_secret_env = \"S\"\nclient_secret_file = \"s.txt\"\n"),
            ),
            cfg_top_level: text("c6.toml", "profile = \"a\"\n"),
            cfg_missing: f.join("no-config.toml").to_str().unwrap().to_string(),
            gc_home: gc_home.to_str().unwrap().to_string(),
            pol_malformed: text("p1.toml", "[[rule]\ntimeout = 5\n"),
            pol_unknown: text("p2.toml", "[[rule]]\nnmae = \"x*\"\ntimeout = 5\n"),
            pol_type: text("p3.toml", "[[rule]]\nname = \"x*\"\ntimeout = \"soon\"\n"),
            pol_range: text("p4.toml", "default = 61\n"),
            pol_empty: text("p5.toml", ""),
            pol_no_matcher: text("p6.toml", "[[rule]]\ntimeout = 5\n"),
            pol_bad_glob: text("p7.toml", "[[rule]]\nname = \"[\"\ntimeout = 5\n"),
            pol_long: text(
                "p8.toml",
                &format!("[[rule]]\nname = \"{long}\"\ntimeout = 5\n"),
            ),
            pol_control: text(
                "p9.toml",
                "[[rule]]\ncategory = \"a\\u0007b\"\ntimeout = 5\n",
            ),
            doc_not_json: text("d1.json", "{\"id\": "),
            doc_wrong_shape: text("d2.json", "[1, 2, 3]"),
            man_on_file: text("not-a-folder", "x"),
            id,
            name,
            dup,
            long,
        }
    }
}

/// The bad inputs: one row each, `case(name, args, exit code, what the error says)` or a
/// shorthand for a group of rows with the same command.
#[rustfmt::skip]
fn cases(i: &Inputs) -> Vec<Case> {
    let id = i.id.as_str();
    let name = i.name.as_str();
    let duration = |name, d: &str, says| case(name, &["timeout", "set", d, id], 2, says);
    let set30 = |name, more: &[&str], says| {
        case(name, &[&["timeout", "set", "30"][..], more].concat(), 2, says)
    };
    let serve = |name, faults: &str, says| {
        let args = ["sandbox", "serve", "--addr", "127.0.0.1:0", "--faults", faults];
        case(name, &args, 2, says)
    };
    let plan = |name, policy: &str, says| case(name, &["plan", "-f", policy], 2, says);
    let own = |name, flags: &[&str], says| case(name, &[flags, &["list"]].concat(), 2, says).own();
    vec![
        // Durations.
        duration("duration 0", "0", "invalid timeout"),
        duration("duration 61", "61", "out of range"),
        duration("duration 1.5s", "1.5s", "whole number"),
        duration("duration -3", "-3", "error"),
        duration("duration abc", "abc", "invalid timeout"),
        duration("duration 90000ms", "90000ms", "out of range"),
        duration("duration empty", "", "empty"),
        duration("duration whitespace", "   ", "empty"),
        duration("duration unknown unit", "30x", "unit"),
        duration("duration hours", "1h", "unit"),
        duration("duration fullwidth digits", "１０", "invalid timeout"),
        duration("duration arabic-indic digits", "٣٠", "invalid timeout"),
        duration("duration overflow", "99999999999999999999999", "out of range"),
        duration("duration control char", "3\u{7}0", "invalid timeout"),
        duration("duration 10 kB", &i.long, "invalid timeout"),
        // Names (positional ACTION).
        set30("name empty", &[""], "empty"),
        set30("name whitespace", &["   "], "empty"),
        set30("name 10 kB", &[&i.long], "characters long"),
        set30("name ANSI escape", &["Get\u{1b}[31mContact"], "control character"),
        set30("name newline", &["Get\nContact"], "control character"),
        set30("name NUL-like DEL", &["Get\u{7f}Contact"], "control character"),
        set30("name Cyrillic lookalike", &[&lookalike(name)], "no action"),
        set30("name zero-width space", &[&name.replacen(' ', " \u{200b}", 1)], "no action"),
        set30("name bidi override", &[&format!("\u{202e}{name}")], "no action"),
        set30("name wrong case", &[&name.to_uppercase()], "no action"),
        set30("name ambiguous", &[&i.dup], "matches"),
        case("get empty", &["get", ""], 2, "empty"),
        // Selectors.
        set30("no selector", &[], "no action selected"),
        set30("glob invalid", &["--name", "["], "invalid `--name`"),
        set30("glob empty", &["--name", ""], "empty"),
        set30("glob 10 kB", &["--name", &i.long], "characters long"),
        set30("glob matches nothing", &["--name", "zz-no-such-*"], "match no action"),
        set30("glob lookalike", &["--name", "*Соntact*"], "match no action"),
        set30("category whitespace", &["--category", "  "], "empty"),
        set30("category control", &["--category", "Web\tServices"], "control character"),
        set30("integration control", &["--integration", "a\rb"], "control character"),
        set30("id empty", &["--id", ""], "empty"),
        set30("id unknown", &["--id", "00000000-0000-0000-0000-000000000000"], "no action"),
        set30("bulk without --yes", &["--all"], "--yes"),
        case("concurrency 0", &["--concurrency", "0", "list"], 2, "error"),
        case("rate 0", &["--rate", "0", "list"], 2, "error"),
        case("output format", &["-o", "xml", "list"], 2, "error"),
        set30("unknown flag", &["--force-everything"], "error"),
        // --from-file.
        set30("from-file empty", &["--from-file", &i.ff_empty], "lists no action"),
        set30("from-file blank lines CRLF comments", &["--from-file", &i.ff_blank], "lists no action"),
        set30("from-file BOM CRLF duplicates", &["--from-file", &i.ff_bom_crlf_dups], "no action"),
        set30("from-file 100k lines", &["--yes", "--from-file", &i.ff_100k], "no actions"),
        set30("from-file one unknown among valid", &["--yes", "--from-file", &i.ff_mixed], "no action"),
        set30("from-file not UTF-8", &["--from-file", &i.ff_binary], "not utf-8"),
        set30("from-file control char", &["--from-file", &i.ff_control], "control character"),
        set30("from-file 10 kB line", &["--from-file", &i.ff_long], "characters long"),
        set30("from-file lookalike", &["--from-file", &i.ff_lookalike], "no action"),
        set30("from-file missing", &["--from-file", &i.ff_missing], "cannot read"),
        set30("from-file a folder", &["--from-file", &i.ff_dir], "cannot read"),
        set30("from-file stdin empty", &["--from-file", "-"], "lists no action").stdin(b""),
        set30("from-file stdin BOM only", &["--from-file", "-"], "lists no action")
            .stdin("\u{feff}\r\n".as_bytes()),
        // Runs.
        case("run id empty", &["undo", "", "--yes"], 2, "run"),
        case("run id whitespace", &["runs", "resume", "  "], 2, "run"),
        case("run id traversal", &["runs", "show", "../../etc"], 2, "no run"),
        case("run id unknown", &["undo", "nope", "--yes"], 2, "no run"),
        // Configuration files (fault files of `sandbox serve`).
        serve("faults malformed TOML", &i.faults_malformed, "invalid fault file"),
        serve("faults wrong type", &i.faults_types, "invalid fault file"),
        serve("faults unknown key", &i.faults_unknown, "unknown field"),
        serve("faults bad values", &i.faults_bad_value, "invalid fault file"),
        case("serve bad address", &["sandbox", "serve", "--addr", "localhost"], 2, "invalid value"),
        // dactl's config file and gc's.
        case("config malformed TOML", &["list"], 2, "not valid toml")
            .env("DACTL_CONFIG", Some(&i.cfg_malformed)),
        case("config unknown key", &["list"], 2, "not a known key")
            .env("DACTL_CONFIG", Some(&i.cfg_unknown)),
        case("config wrong type", &["list"], 2, "must be a string")
            .env("DACTL_CONFIG", Some(&i.cfg_type)),
        case("config two endpoints", &["--profile", "a", "list"], 2, "sets both")
            .own()
            .env("DACTL_CONFIG", Some(&i.cfg_two_endpoints)),
        case("config two secret sources", &["--profile", "a", "list"], 2, "2 secret sources")
            .own()
            .env("DACTL_CONFIG", Some(&i.cfg_two_secrets)),
        case("config unknown top-level key", &["list"], 2, "profile")
            .env("DACTL_CONFIG", Some(&i.cfg_top_level)),
        case("config missing", &["list"], 2, "no-config.toml")
            .env("DACTL_CONFIG", Some(&i.cfg_missing)),
        case("gc config malformed", &["list"], 2, "not valid toml").env("HOME", Some(&i.gc_home)),
        case("profile unknown", &["--profile", "nope", "list"], 2, "nope").own(),
        case("profile empty", &["--profile", "", "list"], 2, "profile").own(),
        case("env empty DACTL_PROFILE", &["list"], 2, "dactl_profile")
            .own()
            .env("DACTL_PROFILE", Some("")),
        // Policy files (timeouts as code).
        plan("policy malformed TOML", &i.pol_malformed, "p1.toml"),
        plan("policy unknown key", &i.pol_unknown, "unknown field"),
        plan("policy wrong type", &i.pol_type, "p3.toml"),
        case("policy timeout out of range", &["apply", "-f", &i.pol_range, "--yes"], 2, "p4.toml"),
        case("policy empty", &["apply", "-f", &i.pol_empty, "--yes"], 2, "p5.toml"),
        plan("policy rule without matcher", &i.pol_no_matcher, "p6.toml"),
        plan("policy bad glob", &i.pol_bad_glob, "p7.toml"),
        plan("policy 10 kB name", &i.pol_long, "p8.toml"),
        plan("policy control character", &i.pol_control, "p9.toml"),
        plan("policy missing", "/nonexistent/policy.toml", "policy.toml"),
        // Probe inputs, restore documents, output paths.
        case("probe input not JSON", &["probe", id, "--input", "{not json"], 2, "input"),
        case("probe input not an object", &["probe", id, "--input", "[1]"], 2, "input"),
        case("probe zero runs", &["probe", id, "--input", "{}", "-n", "0"], 2, "error"),
        case("probe too many runs", &["probe", id, "--input", "{}", "-n", "100000"], 2, "error"),
        case("probe input file missing", &["probe", id, "--input", "@/nonexistent/input.json"], 2, "input.json"),
        case("restore not JSON", &["restore", &i.doc_not_json, "--yes"], 2, "d1.json"),
        case("restore wrong shape", &["restore", &i.doc_wrong_shape, "--yes"], 2, "d2.json"),
        case("restore missing file", &["restore", "/nonexistent/doc.json", "--yes"], 2, "doc.json"),
        case("man into a file", &["man", "--dir", &i.man_on_file], 1, "not-a-folder"),
        case("completions unknown shell", &["completions", "tcsh"], 2, "error"),
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
        case("env both credential sets", &["list"], 2, "two different sets")
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
        own("url plain http off loopback", &["--base-url", "http://example.com"], "plain http"),
        own("url ftp", &["--base-url", "ftp://127.0.0.1"], "scheme"),
        own("url garbage", &["--base-url", "not a url"], "invalid base url"),
        own("url empty", &["--base-url", ""], "base url"),
        own("url user info", &["--base-url", "https://user:hunter2@api.mypurecloud.ie"], "user information"),
        own("url query", &["--base-url", "http://127.0.0.1:9/?token=x"], "query"),
        own("url bad port", &["--base-url", "http://127.0.0.1:99999"], "base url"),
        own("region unknown", &["--region", "mars-1"], "unknown region"),
        own("region empty", &["--region", ""], "region"),
        own("region is a URL", &["--region", "https://api.mypurecloud.ie"], "is a url"),
        own("region Cyrillic lookalike", &["--region", "mypurеcloud.ie"], "not a valid region"),
        own("region Unicode hyphen", &["--region", "eu\u{2010}west\u{2010}1"], "region"),
        own("sandbox with region", &["--sandbox", "--region", "eu-west-1"], "cannot be combined"),
    ]
}

/// What is wrong with how `c` was refused (nothing: `None`), named after the case.
fn check(h: &Harness, c: &Case) -> Option<String> {
    let from = h.journal().len();
    let o = run_case(h, c);
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
    (!problems.is_empty()).then(|| {
        format!(
            "{}: {}\n--- stderr (first 600 bytes)\n{}",
            c.name,
            problems.join("; "),
            err.chars().take(600).collect::<String>()
        )
    })
}

#[test]
fn bad_inputs_get_their_exit_code_an_error_line_and_no_write() {
    let h = Harness::new();
    let files = tempfile::tempdir().unwrap();
    let inputs = Inputs::write(&h, files.path());
    // One earlier run, so that run selectors have something to hit by mistake.
    assert_code(&h.run(&["timeout", "set", "29", &inputs.id]), 0);
    let cases = cases(&inputs);
    assert!(cases.len() >= 40, "{} cases", cases.len());

    let runs_before = std::fs::read_dir(h.runs_dir()).unwrap().count();
    let before = h.state();
    let failures: Vec<String> = cases.iter().filter_map(|c| check(&h, c)).collect();
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
        .find(|a| is_regular(a) && a["config"]["timeoutSeconds"] != 27)
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
    // `list` through the profile only, without the credential variables.
    let list = || {
        h.cmd_without_url()
            .env_remove("GENESYSCLOUD_OAUTHCLIENT_ID")
            .env_remove("GENESYSCLOUD_OAUTHCLIENT_SECRET")
            .env("DACTL_CONFIG", &cfg)
            .args(["--profile", "emu", "list"])
            .output()
            .unwrap()
    };
    let o = list();
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
    let o = list();
    assert_code(&o, 0);
    assert!(!stderr(&o).contains("readable by group or others"));
}
