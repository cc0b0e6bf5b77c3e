//! Test harness: an emulator on 127.0.0.1 in this process, and the real `dactl` binary run
//! against it with a private `DACTL_HOME`.
#![allow(dead_code)]

pub mod proxy;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use std::cell::Cell;

use genesys_emulator::{
    Config, Emulator, FaultAction, FaultRule, JournalEntry, Realism, Running, Trigger,
};
use serde_json::Value;

pub const ID: &str = genesys_emulator::DEFAULT_CLIENT_ID;
pub const SECRET: &str = genesys_emulator::DEFAULT_CLIENT_SECRET;

thread_local! {
    /// The realism settings of the emulators this test thread starts (see [`both_realisms`]).
    static REALISM: Cell<Option<Realism>> = const { Cell::new(None) };
}

/// Run `f` with every harness it starts under `realism` (unless its config sets its own).
pub fn with_realism<R>(realism: Realism, f: impl FnOnce() -> R) -> R {
    REALISM.with(|r| r.set(Some(realism)));
    f()
}

/// The realism settings of this test thread's emulators.
pub fn realism() -> Realism {
    REALISM.with(Cell::get).unwrap_or_default()
}

/// Each test twice: `NAME::default` under the emulator's default realism settings (`full`
/// PATCH answers, 409 conflicts) and `NAME::pessimistic` under the other plausible platform
/// (`bare` answers without config, 400 "does not match … version" conflicts). DESIGN.md §6:
/// suites pass under both.
#[macro_export]
macro_rules! both_realisms {
    ($( $(#[$attr:meta])* fn $name:ident() $body:block )*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                fn body() $body
                $(#[$attr])*
                #[test]
                fn default() {
                    $crate::common::with_realism(genesys_emulator::Realism::default(), body)
                }
                $(#[$attr])*
                #[test]
                fn pessimistic() {
                    $crate::common::with_realism(genesys_emulator::Realism::pessimistic(), body)
                }
            }
        )*
    };
}

/// The runtime an emulator of a test runs on: two worker threads, whatever the machine.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

pub struct Harness {
    pub emu: Emulator,
    pub running: Option<Running>,
    pub home: tempfile::TempDir,
    pub rt: tokio::runtime::Runtime,
}

impl Harness {
    pub fn new() -> Self {
        Self::with_config(Config::default())
    }

    pub fn with_config(mut config: Config) -> Self {
        // The write settings of this thread (see `both_realisms!`), where a test sets none.
        for org in &mut config.orgs {
            let r = &mut org.realism;
            if (r.patch_response, r.conflict_status)
                == (
                    Realism::default().patch_response,
                    Realism::default().conflict_status,
                )
            {
                r.patch_response = realism().patch_response;
                r.conflict_status = realism().conflict_status;
            }
        }
        let rt = runtime();
        let emu = Emulator::new(config);
        let running = rt.block_on(emu.serve(([127, 0, 0, 1], 0).into())).unwrap();
        Harness {
            emu,
            running: Some(running),
            home: tempfile::tempdir().unwrap(),
            rt,
        }
    }

    pub fn base_url(&self) -> String {
        self.running.as_ref().unwrap().base_url.clone()
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// A `dactl` command against this emulator, with a clean environment.
    pub fn cmd(&self) -> Command {
        let mut c = self.cmd_without_url();
        c.arg("--base-url").arg(self.base_url());
        c
    }

    /// A `dactl` command with this harness's environment but no `--base-url`.
    pub fn cmd_without_url(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_dactl"));
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.home().join("user-home"))
            .env("DACTL_HOME", self.home())
            .env("GENESYSCLOUD_OAUTHCLIENT_ID", ID)
            .env("GENESYSCLOUD_OAUTHCLIENT_SECRET", SECRET)
            .env("NO_COLOR", "1");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    /// [`Harness::run`] with these environment variables set.
    pub fn run_env(&self, envs: &[(&str, &str)], args: &[&str]) -> Output {
        self.cmd()
            .envs(envs.iter().copied())
            .args(args)
            .output()
            .unwrap()
    }

    pub fn journal(&self) -> Vec<JournalEntry> {
        self.emu.journal()
    }

    pub fn writes(&self) -> Vec<JournalEntry> {
        self.emu
            .journal()
            .into_iter()
            .filter(|e| e.method != "GET" && !e.path.starts_with("/oauth"))
            .collect()
    }

    pub fn state(&self) -> Value {
        self.emu.state()
    }

    /// Every published action as JSON objects (from the emulator's state).
    pub fn actions(&self) -> Vec<Value> {
        find_actions(&self.state())
    }

    pub fn action_by_name(&self, name: &str) -> Value {
        let v: Vec<Value> = self
            .actions()
            .into_iter()
            .filter(|a| a["name"] == name)
            .collect();
        assert_eq!(v.len(), 1, "expected exactly one action named {name}");
        v.into_iter().next().unwrap()
    }

    pub fn runs_dir(&self) -> PathBuf {
        self.home().join("runs")
    }
}

/// Find the published action objects in a state document, whatever its layout: objects with
/// `id`, `name` and `config` under a key containing "action" but not "draft".
pub fn find_actions(state: &Value) -> Vec<Value> {
    fn walk(v: &Value, in_draft: bool, out: &mut Vec<Value>) {
        match v {
            Value::Object(m) => {
                if !in_draft
                    && m.contains_key("id")
                    && m.contains_key("name")
                    && m.contains_key("config")
                {
                    out.push(v.clone());
                    return;
                }
                for (k, child) in m {
                    let d = in_draft || k.to_lowercase().contains("draft");
                    walk(child, d, out);
                }
            }
            Value::Array(a) => {
                for child in a {
                    walk(child, in_draft, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(state, false, &mut out);
    out
}

/// Whether an action of the seed org is a regular one: not a static-response action
/// (`static…`) and not one with custom authentication (`customAuth…`), which behave apart.
pub fn is_regular(a: &Value) -> bool {
    let id = a["id"].as_str().unwrap_or("");
    !id.starts_with("static") && !id.starts_with("customAuth")
}

/// Paths (JSON-pointer-like) of every leaf that differs between two documents: dactl's own
/// walk ([`dactl::jsondiff`], unit-tested there), so that tests and messages agree on paths.
pub fn diff_paths(a: &Value, b: &Value) -> Vec<String> {
    dactl::jsondiff::differences(a, b)
        .iter()
        .map(|d| d.pointer())
        .collect()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
pub fn assert_code(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "exit code\n--- stdout\n{}\n--- stderr\n{}",
        stdout(o),
        stderr(o)
    );
}

/// The JSON document a command printed on stdout.
#[track_caller]
pub fn json_out(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e})\n--- stdout\n{}\n--- stderr\n{}",
            stdout(o),
            stderr(o)
        )
    })
}

/// The JSON documents a command printed on stdout, one a line (`-o ndjson`).
#[track_caller]
pub fn ndjson_out(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `text` (a command's stdout or stderr) contains `needle`; else the failure shows `text`.
#[track_caller]
pub fn assert_contains(text: &str, needle: &str) {
    assert!(text.contains(needle), "`{needle}` is missing from:\n{text}");
}

/// [`assert_code`] for one row of a table of cases: the failure names the row.
#[track_caller]
pub fn assert_case_code(case: &str, o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "{case}: exit code\n--- stdout\n{}\n--- stderr\n{}",
        stdout(o),
        stderr(o)
    );
}

/// A fault rule from its JSON form (the form of `sandbox serve --faults` files).
pub fn fault_rule(rule: Value) -> FaultRule {
    serde_json::from_value(rule).unwrap()
}

/// A seed-org action whose test executions the emulator simulates, and that flows use:
/// Salesforce "Get Contact By Phone Number" (input `phoneNumber`), 420 ms simulated latency,
/// timeout 10 s.
pub const CONTACT: &str = "93da3357-3952-4653-be94-b044c4a45e2f";
/// "Get Weather Forecast" (input `postalCode`): 7.5 s simulated latency, timeout 5 s (its
/// test executions always time out).
pub const WEATHER: &str = "556b2a73-5d06-4843-a773-4c28e0865bdf";

/// `dactl FLAGS… probe ACTION --input INPUT -n N --yes`.
pub fn probe(h: &Harness, flags: &[&str], action: &str, input: &str, n: &str) -> Output {
    let args = ["probe", action, "--input", input, "-n", n, "--yes"];
    h.run(&[flags, &args[..]].concat())
}

/// The path of every action's own endpoint, as a fault rule's glob.
pub const ACTION_PATH: &str = "/api/v2/integrations/actions/*";

/// A fault rule on the `n`th PATCH of an action (counted across all actions): `action`, in
/// its JSON form, instead of the normal answer or after it.
pub fn nth_patch_fault(name: &str, n: u64, action: Value) -> FaultRule {
    fault_rule(serde_json::json!({
        "name": name, "method": "PATCH", "path": ACTION_PATH,
        "trigger": {"type": "nth", "n": n}, "action": action
    }))
}

/// Once, on the `n`th request with `method` (any method: `None`) to `path`: `action`.
pub fn nth_fault(
    name: &str,
    method: Option<&str>,
    path: &str,
    n: u64,
    action: FaultAction,
) -> FaultRule {
    FaultRule {
        name: Some(name.into()),
        method: method.map(Into::into),
        path: path.into(),
        trigger: Trigger::Nth { n },
        action,
        times: Some(1),
    }
}

/// A 429 that asks for a wait of one second, as Genesys Cloud words it.
pub fn retry_after_429() -> FaultAction {
    FaultAction::Status {
        status: 429,
        retry_after: Some(1),
        code: Some("too.many.requests.retry.after".into()),
        message: None,
    }
}

/// The status this test thread's emulators refuse a stale version with.
pub fn conflict_status() -> u16 {
    match realism().conflict_status {
        genesys_emulator::ConflictStatus::Conflict409 => 409,
        genesys_emulator::ConflictStatus::BadRequest400 => 400,
    }
}

/// The command printed after `label` (e.g. `undo with:`) in `text`: from `dactl` to the end of
/// that line.
#[track_caller]
pub fn printed_step(text: &str, label: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.contains(label))
        .unwrap_or_else(|| panic!("no `{label}` line in:\n{text}"));
    let at = line[line.find(label).unwrap()..]
        .find("dactl ")
        .unwrap_or_else(|| panic!("no command after `{label}` in: {line}"))
        + line.find(label).unwrap();
    line[at..].trim_end_matches('`').to_string()
}

impl Harness {
    /// Run a printed command back exactly as printed, through `sh -c`, with this harness's
    /// environment and the `dactl` under test first on PATH.
    pub fn run_printed(&self, command: &str) -> Output {
        let bin = Path::new(env!("CARGO_BIN_EXE_dactl")).parent().unwrap();
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Command::new("sh")
            .arg("-c")
            .arg(command)
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.home().join("user-home"))
            .env("DACTL_HOME", self.home())
            .env("GENESYSCLOUD_OAUTHCLIENT_ID", ID)
            .env("GENESYSCLOUD_OAUTHCLIENT_SECRET", SECRET)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }
}
