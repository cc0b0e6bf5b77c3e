//! Run folders on disk: `$DACTL_HOME/runs/<run-id>/` with its plan, journal, backups,
//! pre-images, restore targets and summary; finding a run by id, prefix or `last`.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use genesys_client::Action;

use super::journal::{drop_torn_tail, read_journal, Event, Summary};
use super::Plan;
use crate::fsutil;

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

/// Why no run folder was found for what the user gave.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FindRunError {
    /// An empty id (it would match every run).
    #[error("no run given")]
    NoneGiven,
    /// `last` with no run at all.
    #[error("there are no runs yet")]
    NoRuns,
    /// No run has this id or prefix.
    #[error("no run `{}`", crate::text::shorten(.0))]
    NoSuchRun(String),
    /// More than one run starts with this prefix.
    #[error("`{prefix}` matches {count} runs; give more of the id")]
    Ambiguous {
        /// The prefix given.
        prefix: String,
        /// Runs it matches.
        count: usize,
    },
}

/// Find a run folder by id (or a unique prefix of one, or `last`).
pub fn find_run(home: &Path, run_id: &str) -> Result<PathBuf, FindRunError> {
    let root = runs_root(home);
    let ids = list_run_ids(home);
    let run_id = run_id.trim();
    if run_id.is_empty() {
        return Err(FindRunError::NoneGiven);
    }
    if run_id == "last" || run_id == "latest" {
        return ids
            .last()
            .map(|id| root.join(id))
            .ok_or(FindRunError::NoRuns);
    }
    if ids.iter().any(|i| i == run_id) {
        return Ok(root.join(run_id));
    }
    let matches: Vec<&String> = ids.iter().filter(|i| i.starts_with(run_id)).collect();
    match matches.len() {
        1 => Ok(root.join(matches[0])),
        0 => Err(FindRunError::NoSuchRun(run_id.to_string())),
        count => Err(FindRunError::Ambiguous {
            prefix: run_id.to_string(),
            count,
        }),
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

/// How a run ended, from its `summary.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Finished, nothing failed.
    Completed,
    /// Finished with failures.
    Partial,
    /// Stopped by Ctrl-C.
    Interrupted,
    /// No summary: the process died, or the run is still going.
    Incomplete,
}

impl RunStatus {
    /// The status a summary says (`None`: there is none).
    pub fn of(summary: Option<&Summary>) -> RunStatus {
        match summary {
            Some(s) if s.interrupted => RunStatus::Interrupted,
            Some(s) if s.failed > 0 => RunStatus::Partial,
            Some(_) => RunStatus::Completed,
            None => RunStatus::Incomplete,
        }
    }

    /// Finished, with or without failures.
    pub fn finished(self) -> bool {
        matches!(self, RunStatus::Completed | RunStatus::Partial)
    }

    /// Text for `runs list`.
    pub fn label(self) -> &'static str {
        match self {
            RunStatus::Completed => "completed",
            RunStatus::Partial => "partial",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Incomplete => "incomplete",
        }
    }
}

/// The summary of the run in `path`, when it finished writing one.
pub fn read_summary(path: &Path) -> Option<Summary> {
    fs::read(path.join("summary.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runs::{fold, now, Operation, VerifyMode};

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
            target: crate::runs::Target::Published,
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
    fn backup_names_are_safe() {
        assert_eq!(
            backup_file_name("customAuth_-_abc"),
            "customAuth_-_abc.json"
        );
        assert_eq!(backup_file_name("../x"), "___x.json");
    }
}
