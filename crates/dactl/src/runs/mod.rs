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

mod dir;
mod journal;

pub use dir::{
    backup_file_name, find_run, list_run_ids, read_summary, runs_root, FindRunError, RunDir,
    RunStatus,
};
pub use journal::{
    fold, read_journal, ActionLog, ActionState, DamagedJournal, Event, Step, Summary, Target,
    TokenPool,
};

use serde::{Deserialize, Serialize};

use crate::actions::Kind;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_sort_by_time() {
        let a = new_run_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_run_id();
        assert!(a < b, "{a} < {b}");
        assert_eq!(a.len(), "20261129T182822123Z-0a1b".len());
    }
}
