//! The journal of a run: `journal.ndjson`, one flushed line per step ([`Event`], tagged by its
//! [`Step`]), and what it says about each action once folded ([`ActionLog`]). The JSON of each
//! line is a contract: journals written by older versions of dactl must still read.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::Verdict;

/// The name of a journal line (its `step` field), and the journal's word on an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// The run started (or was resumed).
    Start,
    /// The pre-image was saved.
    Backup,
    /// A PATCH is about to be sent.
    Patch,
    /// The PATCH was answered with success.
    Patched,
    /// The outcome of a write is unknown.
    Unknown,
    /// A version conflict.
    Conflict,
    /// The action is finished: changed and verified.
    Done,
    /// No write was needed.
    Unchanged,
    /// Skipped.
    Skipped,
    /// The action failed.
    Failed,
    /// The run ended.
    End,
}

impl Step {
    /// The step's name, as in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Start => "start",
            Step::Backup => "backup",
            Step::Patch => "patch",
            Step::Patched => "patched",
            Step::Unknown => "unknown",
            Step::Conflict => "conflict",
            Step::Done => "done",
            Step::Unchanged => "unchanged",
            Step::Skipped => "skipped",
            Step::Failed => "failed",
            Step::End => "end",
        }
    }
}

/// Which version of an action a write goes to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// The published action.
    #[default]
    Published,
    /// Its open draft (never published by dactl).
    Draft,
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
        target: Target,
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
        target: Target,
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
        /// `published` or `draft` (`published` in journals older than the field).
        #[serde(default)]
        target: Target,
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
    /// The line's step.
    pub fn step(&self) -> Step {
        match self {
            Event::Start { .. } => Step::Start,
            Event::Backup { .. } => Step::Backup,
            Event::Patch { .. } => Step::Patch,
            Event::Patched { .. } => Step::Patched,
            Event::Unknown { .. } => Step::Unknown,
            Event::Conflict { .. } => Step::Conflict,
            Event::Done { .. } => Step::Done,
            Event::Unchanged { .. } => Step::Unchanged,
            Event::Skipped { .. } => Step::Skipped,
            Event::Failed { .. } => Step::Failed,
            Event::End { .. } => Step::End,
        }
    }

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
                return Err(DamagedJournal {
                    line: i + 1,
                    error: e,
                }
                .into())
            }
        }
    }
    Ok(out)
}

/// A journal line other than the last one does not read.
#[derive(Debug, thiserror::Error)]
#[error("the run journal is damaged at line {line}: {error}")]
pub struct DamagedJournal {
    /// The line (1-based).
    pub line: usize,
    /// What is wrong with it.
    pub error: serde_json::Error,
}

/// Cut a torn last line (the process died in the middle of writing it) off the journal, so
/// that the lines a resume appends are not glued to it.
pub(super) fn drop_torn_tail(journal: &Path) -> anyhow::Result<()> {
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
    /// The last terminal step other than `done`: `unchanged`, `skipped` or `failed`.
    pub last: Option<Step>,
}

/// Where an action of a run stands, from its plan row's verdict and what the journal says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionState {
    /// Changed and verified (a `done` line).
    Done,
    /// A write was sent and its outcome is not known (resume or undo settle it).
    OutcomeUnknown,
    /// The journal's last word on it: `unchanged`, `skipped` or `failed`.
    Ended(Step),
    /// To be written, not reached yet.
    Pending,
    /// Not to be written, by the plan (`unchanged` or `skip`).
    NotWritten(Verdict),
}

impl ActionState {
    /// The state of an action planned with `verdict` whose journal folds to `log`.
    pub fn of(log: &ActionLog, verdict: Verdict) -> ActionState {
        if log.done {
            ActionState::Done
        } else if log.unknown || (log.patch_sent && log.last.is_none()) {
            ActionState::OutcomeUnknown
        } else if let Some(last) = log.last {
            ActionState::Ended(last)
        } else if verdict == Verdict::Change {
            ActionState::Pending
        } else {
            ActionState::NotWritten(verdict)
        }
    }

    /// Text for tables and JSON.
    pub fn label(self) -> &'static str {
        match self {
            ActionState::Done => "done",
            ActionState::OutcomeUnknown => "write sent, outcome unknown (resume or undo settle it)",
            ActionState::Ended(step) => step.as_str(),
            ActionState::Pending => "pending",
            ActionState::NotWritten(verdict) => verdict.as_str(),
        }
    }

    /// Order for a summarised table, lowest first: failed or unknown, pending, not written
    /// (unchanged, skipped), done.
    pub fn rank(self) -> u8 {
        match self {
            ActionState::Done => 3,
            ActionState::Ended(Step::Unchanged | Step::Skipped) | ActionState::NotWritten(_) => 2,
            ActionState::Pending => 1,
            ActionState::Ended(_) | ActionState::OutcomeUnknown => 0,
        }
    }
}

impl Serialize for ActionState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
    }
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
            } if *target != Target::Draft => {
                e.patch_sent = true;
                e.unknown = true;
                e.sent_change = Some((*old_timeout, *new_timeout));
            }
            Event::Patched { target, .. } | Event::Unknown { target, .. }
                if *target != Target::Draft =>
            {
                e.unknown = matches!(ev, Event::Unknown { .. });
            }
            Event::Conflict { .. } => e.unknown = false,
            Event::Unchanged { .. } => {
                e.unknown = false;
                e.last = Some(Step::Unchanged);
            }
            Event::Skipped { .. } => {
                e.unknown = false;
                e.last = Some(Step::Skipped);
            }
            Event::Failed { .. } => e.last = Some(Step::Failed),
            _ => {}
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

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
        // The journal's bytes are a contract: a line read and written again is the same line.
        for (line, ev) in lines.iter().zip(&events) {
            if line.contains("\"target\"") || ev.step() != Step::Unknown {
                assert_eq!(serde_json::to_string(ev).unwrap(), *line);
                assert!(line.starts_with(&format!("{{\"step\":\"{}\"", ev.step().as_str())));
            }
        }
        let f = fold(&events);
        assert_eq!(f["a"].last, Some(Step::Failed));
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

        // What `runs show` says of each, and in which order it lists them.
        let state = |id: &str| ActionState::of(&f[id], Verdict::Change);
        assert_eq!(state("a"), ActionState::Ended(Step::Failed));
        assert_eq!(state("a").label(), "failed");
        assert_eq!(state("b"), ActionState::OutcomeUnknown);
        assert_eq!(state("e").label(), "done");
        let none = ActionLog::default();
        assert_eq!(ActionState::of(&none, Verdict::Change).label(), "pending");
        let skip = ActionState::of(&none, Verdict::Skip);
        assert_eq!((skip.label(), skip.rank()), ("skip", 2));
        assert_eq!(serde_json::to_string(&skip).unwrap(), "\"skip\"");
        let ranks: Vec<u8> = ["a", "b", "e"].iter().map(|id| state(id).rank()).collect();
        assert_eq!(ranks, [0, 0, 3]);
    }
}
