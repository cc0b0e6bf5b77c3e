//! Runs on disk: `$DACTL_HOME/runs/<run-id>/` holds `plan.json` (what was decided), `journal.ndjson`
//! (one flushed line per step, appended as it happens), `backups/<action-id>.json` (the pre-image
//! of every action before its first write, mode 0600), `preimages/<action-id>.json` (the state a
//! later write was computed from, when a conflict or a resume made it differ from the backup)
//! and `summary.json` (written at the end).
//!
//! The journal is the source of truth for `runs resume` and `undo`: an action is finished when a
//! `done` line exists for it; a `patch` line without a following `patched` line marks a write
//! whose outcome is unknown (the process died between sending the PATCH and journalling its
//! response), which resume settles by re-reading the action before deciding anything.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use genesys_client::Action;
use serde::{Deserialize, Serialize};

use crate::actions::Kind;
use crate::error::Failure;
use crate::fsutil;

/// What a run does to each action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Operation {
    /// `timeout set`.
    Set {
        /// New timeout in seconds.
        timeout: i64,
    },
    /// `timeout unset`.
    Unset,
    /// `undo RUN`.
    Undo {
        /// The run being undone.
        of: String,
    },
    /// `apply -f POLICY` (per-row timeouts).
    Policy,
    /// `restore FILE...`: whole configurations written back from `get -o json` or `backup`
    /// files (the documents are kept in the run's `targets/` folder).
    Restore {
        /// The files or folders given.
        sources: Vec<String>,
    },
}

/// How much is re-read after writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "kebab-case")]
pub enum VerifyMode {
    /// Check every PATCH response; re-read the first action of the run in full before any other.
    #[default]
    Canary,
    /// Check every PATCH response and re-read every action in full.
    Full,
    /// Check PATCH responses only.
    Off,
}

/// What the plan decided for one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The timeout will be written.
    Change,
    /// Already at the target: no write.
    Unchanged,
    /// Cannot be changed (see the reason).
    Skip,
}

impl Verdict {
    /// Text for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Change => "change",
            Verdict::Unchanged => "unchanged",
            Verdict::Skip => "skip",
        }
    }
}

/// One row of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanRow {
    /// Action id.
    pub id: String,
    /// Action name.
    pub name: String,
    /// Category.
    pub category: Option<String>,
    /// Integration id.
    pub integration_id: Option<String>,
    /// Kind of action.
    pub kind: Kind,
    /// Explicit timeout before the run (`null` = platform default).
    pub old_timeout: Option<i64>,
    /// Timeout after the run (`null` = platform default).
    pub new_timeout: Option<i64>,
    /// Decision.
    pub verdict: Verdict,
    /// Why an action is unchanged or skipped.
    pub reason: Option<String>,
    /// Whether the action has an unpublished draft.
    pub draft: bool,
    /// A warning for this action (e.g. the draft would revert the change).
    pub warning: Option<String>,
    /// Version at plan time.
    pub version: Option<i64>,
    /// Flows that use the action, from Architect's dependency index (`--show-flows` only;
    /// advisory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flows: Option<u64>,
    /// A function data action's function timeout (15 when the function sets none); absent
    /// for other actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_timeout_seconds: Option<i64>,
    /// The timeout that stops the action after the plan: min(new timeout or 60, function
    /// timeout); absent where the plan did not work it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_timeout_seconds: Option<i64>,
}

/// The plan of a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    /// Run id.
    pub run_id: String,
    /// When the plan was made (RFC 3339).
    pub created_at: String,
    /// The command line, without secrets.
    pub command: String,
    /// What is done.
    pub operation: Operation,
    /// The API base URL.
    pub target: String,
    /// Whether drafts are patched too.
    pub also_draft: bool,
    /// Verification mode.
    pub verify: VerifyMode,
    /// Only write where the current timeout is still the planned old one; otherwise report
    /// `changed since` and leave the action alone (`undo` without `--force`).
    #[serde(default)]
    pub require_old: bool,
    /// One row per selected action.
    pub rows: Vec<PlanRow>,
}

/// One journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Event {
    /// The run started (or was resumed).
    Start {
        /// Time.
        ts: String,
        /// true when this is `runs resume`.
        resume: bool,
    },
    /// The pre-image was saved.
    Backup {
        /// Time.
        ts: String,
        /// Action id.
        id: String,
        /// Version of the pre-image.
        version: Option<i64>,
        /// Backup file, relative to the run folder.
        file: String,
    },
    /// A PATCH is about to be sent.
    Patch {
        /// Time.
        ts: String,
        /// Action id.
        id: String,
        /// Version sent.
        from_version: i64,
        /// Timeout before.
        old_timeout: Option<i64>,
        /// Timeout sent.
        new_timeout: Option<i64>,
        /// `published` or `draft`.
        target: String,
    },
    /// The PATCH was answered with success.
    Patched {
        /// Time.
        ts: String,
        /// Action id.
        id: String,
        /// Version after the write.
        to_version: Option<i64>,
        /// `ININ-Correlation-ID` of the response.
        correlation_id: Option<String>,
        /// `published` or `draft`.
        target: String,
    },
    /// The outcome of a write is unknown: its answer never came or could not be read (a
    /// timeout, a dropped connection, a 5xx after the body was sent, an unreadable 2xx body).
    /// Settled by reading the action before anything else is done to it.
    Unknown {
        /// Time.
        ts: String,
        /// Action id.
        id: String,
        /// What happened.
        message: String,
        /// `published` or `draft`.
        #[serde(default = "published")]
        target: String,
    },
    /// A version conflict; the action is re-read and the change re-applied.
    Conflict {
        /// Time.
        ts: String,
        /// Action id.
        id: String,
        /// What happened.
        message: String,
    },
    /// The action is finished: changed and verified.
    Done {
        /// Time.
        ts: String,
        /// Action id.
        id: String,
        /// Timeout before.
        old_timeout: Option<i64>,
        /// Timeout after.
        new_timeout: Option<i64>,
        /// Version after.
        version: Option<i64>,
        /// How it was verified.
        verified: String,
    },
    /// No write was needed (already at target, or found written on resume).
    Unchanged {
        /// Time.
        ts: String,
        /// Action id.
        id: String,
        /// Why.
        reason: String,
    },
    /// Skipped by kind.
    Skipped {
        /// Time.
        ts: String,
        /// Action id.
        id: String,
        /// Why.
        reason: String,
    },
    /// The action failed.
    Failed {
        /// Time.
        ts: String,
        /// Action id.
        id: String,
        /// Why.
        message: String,
    },
    /// The run ended.
    End {
        /// Time.
        ts: String,
        /// Final counts.
        summary: Summary,
    },
}

impl Event {
    /// The action the event is about, if any.
    pub fn action_id(&self) -> Option<&str> {
        match self {
            Event::Backup { id, .. }
            | Event::Patch { id, .. }
            | Event::Patched { id, .. }
            | Event::Unknown { id, .. }
            | Event::Conflict { id, .. }
            | Event::Done { id, .. }
            | Event::Unchanged { id, .. }
            | Event::Skipped { id, .. }
            | Event::Failed { id, .. } => Some(id),
            Event::Start { .. } | Event::End { .. } => None,
        }
    }
}

/// Final counts of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Written and verified.
    pub changed: u64,
    /// Already at target.
    pub unchanged: u64,
    /// Skipped (built-in, custom-auth, changed since).
    pub skipped: u64,
    /// Failed.
    pub failed: u64,
    /// Not started because the run was interrupted.
    pub not_started: u64,
    /// Whether Ctrl-C stopped the run.
    pub interrupted: bool,
    /// How the access tokens of `--tokens` above 1 fared (absent with one token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_pool: Option<TokenPool>,
}

/// How a run with several access tokens (`--tokens`) met the platform's rate limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPool {
    /// `--tokens`: the most tokens the run could take.
    pub tokens: u32,
    /// Tokens it took (lazily, as its workers needed them).
    pub taken: u32,
    /// The platform counted the limit per OAuth client, not per token: 429s came while every
    /// token was under its own limit, and the tokens fell back to one shared `--rate`.
    pub per_client: bool,
    /// 429 responses received (each waited out and re-sent).
    pub rate_limited: u64,
}

impl TokenPool {
    /// The note of a run whose client has more than one token, from the client's counters.
    pub fn of(client: &genesys_client::Client) -> Option<TokenPool> {
        let tokens = client.options().tokens;
        if tokens <= 1 {
            return None;
        }
        let stats = client.stats();
        Some(TokenPool {
            tokens,
            taken: stats.tokens_taken,
            per_client: stats.per_client_limit,
            rate_limited: stats.rate_limited,
        })
    }

    /// The sentence that says the pool fell back, for the run's last lines and `runs show`.
    pub fn fallback_note(&self, rate: Option<u32>) -> Option<String> {
        if !self.per_client {
            return None;
        }
        let rate = rate.map_or("`--rate`".to_string(), |r| format!("{r} requests/min"));
        Some(format!(
            "the platform counted the rate limit per OAuth client, not per access token: the {} tokens fell back to one shared limit of {rate} after {} × 429 (each waited out and re-sent); more tokens bring nothing here",
            self.taken.max(2),
            self.rate_limited
        ))
    }

    /// The notes of every attempt of a run (its `end` lines), combined: per client if any
    /// attempt found so, 429s added up.
    pub fn of_journal(events: &[Event]) -> Option<TokenPool> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::End { summary, .. } => summary.token_pool.clone(),
                _ => None,
            })
            .reduce(|a, b| TokenPool {
                tokens: a.tokens.max(b.tokens),
                taken: a.taken.max(b.taken),
                per_client: a.per_client || b.per_client,
                rate_limited: a.rate_limited + b.rate_limited,
            })
    }
}

fn published() -> String {
    "published".to_string()
}

/// The current time as RFC 3339 (UTC, seconds).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A new run id: sortable by time to the millisecond (so `last` is the newest run even when
/// two runs start within one second), with a random suffix for uniqueness.
pub fn new_run_id() -> String {
    format!(
        "{}-{:04x}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%3fZ"),
        fastrand::u16(..)
    )
}

/// An open run folder.
#[derive(Debug)]
pub struct RunDir {
    /// Run id.
    pub id: String,
    /// Folder path.
    pub path: PathBuf,
    journal: Mutex<fs::File>,
}

/// The folder that holds every run.
pub fn runs_root(home: &Path) -> PathBuf {
    home.join("runs")
}

impl RunDir {
    /// Create the folder of a new run and write its plan.
    pub fn create(home: &Path, plan: &Plan) -> anyhow::Result<RunDir> {
        let path = runs_root(home).join(&plan.run_id);
        fsutil::private_dir(&path.join("backups"))
            .with_context(|| format!("cannot create the run folder `{}`", path.display()))?;
        fsutil::write_private(&path.join("plan.json"), &serde_json::to_vec_pretty(plan)?)
            .context("cannot write the plan")?;
        Self::open_journal(plan.run_id.clone(), path)
    }

    /// Open an existing run for resuming.
    pub fn open(home: &Path, run_id: &str) -> anyhow::Result<(RunDir, Plan, Vec<Event>)> {
        let path = find_run(home, run_id)?;
        let plan: Plan = serde_json::from_slice(
            &fs::read(path.join("plan.json"))
                .with_context(|| format!("cannot read the plan of run `{run_id}`"))?,
        )
        .with_context(|| format!("the plan of run `{run_id}` is damaged"))?;
        let events = read_journal(&path)?;
        drop_torn_tail(&path.join("journal.ndjson"))?;
        let dir = Self::open_journal(plan.run_id.clone(), path)?;
        Ok((dir, plan, events))
    }

    fn open_journal(id: String, path: PathBuf) -> anyhow::Result<RunDir> {
        let f = fsutil::open_append(&path.join("journal.ndjson"))
            .context("cannot open the run journal")?;
        Ok(RunDir {
            id,
            path,
            journal: Mutex::new(f),
        })
    }

    /// Append one event to the journal and flush it.
    pub fn log(&self, ev: &Event) -> anyhow::Result<()> {
        let line = serde_json::to_string(ev)?;
        let mut f = self.journal.lock().unwrap_or_else(|e| e.into_inner());
        fsutil::append_line(&mut f, &line).context("cannot append to the run journal")
    }

    /// Path of an action's backup file.
    pub fn backup_path(&self, id: &str) -> PathBuf {
        self.path.join("backups").join(backup_file_name(id))
    }

    /// Save a pre-image (mode 0600, fsynced) unless one exists already (the first one wins:
    /// it is the state before the run touched the action).
    pub fn save_backup(&self, pre: &Action) -> anyhow::Result<Option<String>> {
        let p = self.backup_path(&pre.id);
        if p.exists() {
            return Ok(None);
        }
        fsutil::write_private(&p, &serde_json::to_vec_pretty(pre)?)
            .with_context(|| format!("cannot write the backup of `{}`", pre.id))?;
        Ok(Some(format!("backups/{}", backup_file_name(&pre.id))))
    }

    /// Read a saved pre-image.
    pub fn load_backup(&self, id: &str) -> Option<Action> {
        let bytes = fs::read(self.backup_path(id)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Save the pre-image a write is about to be computed from, when it is not the backup's
    /// (after a version conflict or a transient failure, or on resume): mode 0600, fsynced,
    /// replacing the previous one. Resume verifies a write that landed against it.
    pub fn save_preimage(&self, pre: &Action) -> anyhow::Result<()> {
        let p = self.path.join("preimages").join(backup_file_name(&pre.id));
        fsutil::write_private(&p, &serde_json::to_vec_pretty(pre)?)
            .with_context(|| format!("cannot write the pre-image of `{}`", pre.id))
    }

    /// The latest pre-image saved by [`RunDir::save_preimage`], if any.
    pub fn load_preimage(&self, id: &str) -> Option<Action> {
        let p = self.path.join("preimages").join(backup_file_name(id));
        serde_json::from_slice(&fs::read(p).ok()?).ok()
    }

    /// Path of an action's target document (restore runs).
    pub fn target_path(&self, id: &str) -> PathBuf {
        self.path.join("targets").join(backup_file_name(id))
    }

    /// Save the document a restore run writes to an action (mode 0600), so that `runs resume`
    /// writes the same thing.
    pub fn save_target(&self, doc: &Action) -> anyhow::Result<()> {
        fsutil::write_private(&self.target_path(&doc.id), &serde_json::to_vec_pretty(doc)?)
            .with_context(|| format!("cannot save the restore document of `{}`", doc.id))
    }

    /// The document a restore run writes to an action, if this is a restore run.
    pub fn load_target(&self, id: &str) -> Option<Action> {
        let bytes = fs::read(self.target_path(id)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Write the summary.
    pub fn write_summary(&self, s: &Summary) -> anyhow::Result<()> {
        fsutil::write_private(
            &self.path.join("summary.json"),
            &serde_json::to_vec_pretty(s)?,
        )
        .context("cannot write the run summary")
    }
}

/// A file name for an action id (ids are UUIDs or `static_…`/`customAuth_-_…`; anything else is
/// made safe).
pub fn backup_file_name(id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}.json")
}

/// Find a run folder by id (or a unique prefix of one, or `last`).
pub fn find_run(home: &Path, run_id: &str) -> anyhow::Result<PathBuf> {
    let root = runs_root(home);
    let ids = list_run_ids(home);
    let run_id = run_id.trim();
    if run_id.is_empty() {
        // An empty prefix would match every run.
        return Err(Failure::usage("no run given")
            .hint("give a run id (or a unique prefix of one, or `last`); `dactl runs list` shows them")
            .into());
    }
    if run_id == "last" || run_id == "latest" {
        return ids
            .last()
            .map(|id| root.join(id))
            .ok_or_else(|| Failure::usage("there are no runs yet").into());
    }
    if ids.iter().any(|i| i == run_id) {
        return Ok(root.join(run_id));
    }
    let matches: Vec<&String> = ids.iter().filter(|i| i.starts_with(run_id)).collect();
    match matches.len() {
        1 => Ok(root.join(matches[0])),
        0 => Err(
            Failure::usage(format!("no run `{}`", crate::selector::shorten(run_id)))
                .hint("`dactl runs list` shows the runs")
                .into(),
        ),
        n => {
            Err(Failure::usage(format!("`{run_id}` matches {n} runs; give more of the id")).into())
        }
    }
}

/// Ids of every run, oldest first.
pub fn list_run_ids(home: &Path) -> Vec<String> {
    let mut ids: Vec<String> = fs::read_dir(runs_root(home))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().join("plan.json").exists())
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

/// Read a run's journal. A torn last line (the process died mid-write) is ignored.
pub fn read_journal(path: &Path) -> anyhow::Result<Vec<Event>> {
    let text = match fs::read_to_string(path.join("journal.ndjson")) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).context("cannot read the run journal"),
    };
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Event>(line) {
            Ok(ev) => out.push(ev),
            Err(_) if i + 1 == lines.len() => {} // torn tail
            Err(e) => {
                return Err(Failure::new(
                    crate::error::Exit::Failed,
                    format!("the run journal is damaged at line {}: {e}", i + 1),
                )
                .into())
            }
        }
    }
    Ok(out)
}

/// Cut a torn last line (the process died in the middle of writing it) off the journal, so
/// that the lines a resume appends are not glued to it.
fn drop_torn_tail(journal: &Path) -> anyhow::Result<()> {
    let bytes = match fs::read(journal) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).context("cannot read the run journal"),
    };
    if bytes.is_empty() || bytes.ends_with(b"\n") {
        return Ok(());
    }
    let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let f = fs::OpenOptions::new()
        .write(true)
        .open(journal)
        .context("cannot repair the run journal")?;
    f.set_len(keep as u64)
        .and_then(|()| f.sync_all())
        .context("cannot repair the run journal")
}

/// What the journal says about each action.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionLog {
    /// A `done` line exists.
    pub done: bool,
    /// Timeouts of the `done` line.
    pub done_change: Option<(Option<i64>, Option<i64>)>,
    /// A `patch` line of the published action was written: a write was sent and may have
    /// landed, whatever the journal says after it. `undo` considers every such action.
    pub patch_sent: bool,
    /// Timeouts (before, sent) of the last `patch` line of the published action.
    pub sent_change: Option<(Option<i64>, Option<i64>)>,
    /// The last write of the published action has no known outcome: a `patch` line without a
    /// `patched`, `conflict` or `done` line after it (the process died, or the answer was
    /// lost: an `unknown` line). Settled by reading the action first.
    pub unknown: bool,
    /// Last terminal state other than done.
    pub last: Option<String>,
}

/// Fold a journal into per-action state. Journals written before the `unknown` step existed
/// fold the same way: a `patch` line without an answer after it is an unknown outcome.
pub fn fold(events: &[Event]) -> BTreeMap<String, ActionLog> {
    let mut m: BTreeMap<String, ActionLog> = BTreeMap::new();
    for ev in events {
        let Some(id) = ev.action_id() else { continue };
        let e = m.entry(id.to_string()).or_default();
        match ev {
            Event::Done {
                old_timeout,
                new_timeout,
                ..
            } => {
                e.done = true;
                e.unknown = false;
                e.done_change = Some((*old_timeout, *new_timeout));
            }
            Event::Patch {
                target,
                old_timeout,
                new_timeout,
                ..
            } if target != "draft" => {
                e.patch_sent = true;
                e.unknown = true;
                e.sent_change = Some((*old_timeout, *new_timeout));
            }
            Event::Patched { target, .. } | Event::Unknown { target, .. } if target != "draft" => {
                e.unknown = matches!(ev, Event::Unknown { .. });
            }
            Event::Conflict { .. } => e.unknown = false,
            Event::Unchanged { .. } => {
                e.unknown = false;
                e.last = Some("unchanged".into());
            }
            Event::Skipped { .. } => {
                e.unknown = false;
                e.last = Some("skipped".into());
            }
            Event::Failed { .. } => e.last = Some("failed".into()),
            _ => {}
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_round_trip_and_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let plan = Plan {
            run_id: "r1".into(),
            created_at: now(),
            command: "timeout set 30s x".into(),
            operation: Operation::Set { timeout: 30 },
            target: "http://127.0.0.1".into(),
            also_draft: false,
            verify: VerifyMode::Canary,
            require_old: false,
            rows: vec![],
        };
        let run = RunDir::create(dir.path(), &plan).unwrap();
        run.log(&Event::Patch {
            ts: now(),
            id: "a".into(),
            from_version: 1,
            old_timeout: None,
            new_timeout: Some(30),
            target: "published".into(),
        })
        .unwrap();
        drop(run);
        // a torn line at the end
        let mut f = fsutil::open_append(&dir.path().join("runs/r1/journal.ndjson")).unwrap();
        std::io::Write::write_all(&mut f, b"{\"step\":\"do").unwrap();
        let (run, plan2, events) = RunDir::open(dir.path(), "r").unwrap();
        assert_eq!(plan2.run_id, "r1");
        assert_eq!(events.len(), 1);
        // Resuming cuts the torn tail, so the lines it appends stay readable.
        run.log(&Event::Start {
            ts: now(),
            resume: true,
        })
        .unwrap();
        drop(run);
        let (_run, _, events) = RunDir::open(dir.path(), "r1").unwrap();
        assert_eq!(events.len(), 2, "{events:?}");
        let folded = fold(&events);
        assert!(folded["a"].patch_sent);
        assert!(!folded["a"].done);
    }

    #[test]
    fn fold_knows_which_writes_have_an_unknown_outcome() {
        // Lines as an older dactl wrote them (no `unknown` step) and as this one does.
        let lines = [
            r#"{"step":"patch","ts":"t","id":"a","from_version":1,"old_timeout":null,"new_timeout":30,"target":"published"}"#,
            r#"{"step":"patched","ts":"t","id":"a","to_version":2,"correlation_id":null,"target":"published"}"#,
            r#"{"step":"failed","ts":"t","id":"a","message":"verification failed"}"#,
            r#"{"step":"patch","ts":"t","id":"b","from_version":1,"old_timeout":5,"new_timeout":30,"target":"published"}"#,
            r#"{"step":"patch","ts":"t","id":"c","from_version":1,"old_timeout":5,"new_timeout":30,"target":"published"}"#,
            r#"{"step":"unknown","ts":"t","id":"c","message":"connection reset","target":"published"}"#,
            r#"{"step":"patch","ts":"t","id":"d","from_version":1,"old_timeout":5,"new_timeout":30,"target":"draft"}"#,
            r#"{"step":"patch","ts":"t","id":"e","from_version":1,"old_timeout":5,"new_timeout":30,"target":"published"}"#,
            r#"{"step":"unknown","ts":"t","id":"e","message":"reset"}"#,
            r#"{"step":"done","ts":"t","id":"e","old_timeout":5,"new_timeout":30,"version":2,"verified":"re-read"}"#,
        ];
        let events: Vec<Event> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let f = fold(&events);
        // A write answered 2xx, then a failure: sent, not unknown; undo still considers it.
        assert!(f["a"].patch_sent && !f["a"].unknown && !f["a"].done);
        assert_eq!(f["a"].sent_change, Some((None, Some(30))));
        // Killed after the intent: unknown.
        assert!(f["b"].patch_sent && f["b"].unknown);
        // Answer lost: unknown.
        assert!(f["c"].unknown);
        // A draft write is not a write of the published action.
        assert!(!f["d"].patch_sent);
        // Settled: done.
        assert!(f["e"].done && !f["e"].unknown);
    }

    #[test]
    fn run_ids_sort_by_time() {
        let a = new_run_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_run_id();
        assert!(a < b, "{a} < {b}");
        assert_eq!(a.len(), "20261129T182822123Z-0a1b".len());
    }

    #[test]
    fn backup_names_are_safe() {
        assert_eq!(
            backup_file_name("customAuth_-_abc"),
            "customAuth_-_abc.json"
        );
        assert_eq!(backup_file_name("../x"), "___x.json");
    }
}
