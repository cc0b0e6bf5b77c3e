//! The safe change, for one action or ten thousand (DESIGN.md §4): one per-action write loop
//! for every write of dactl (`timeout set/unset`, `apply`, `restore`, `undo`), fed by the one
//! planner ([`crate::planner`]) with the desired state of each action: a timeout, or a whole
//! document.
//!
//! For each action whose plan verdict is `change`:
//! 1. Take the pre-image: the config from the `includeConfig` listing (or a fresh GET on resume
//!    and after a conflict) with the text of every referenced template inlined. An action that
//!    an earlier attempt of the run sent a write to is read first, whatever the journal's last
//!    word: the read settles whether that write landed.
//! 2. Save it in the run's `backups/` folder (0600, fsynced) and journal it, before any write.
//! 3. Journal the intent, then PATCH `{name, category, version, config}`: the full pre-image
//!    config (or the document), `*Uri` fields dropped, template text inlined.
//! 4. On a version conflict (409, or 400 "does not match … version"), re-read and re-apply the
//!    same change to the fresh state, at most [`MAX_CONFLICT_RETRIES`] times. If what the plan
//!    was made from moved (the timeout, or for a document anything), report a conflict (or, under
//!    the plan's guard, skip) instead of overwriting it. A write without a usable answer (a
//!    timeout, a dropped connection, a 5xx after sending, an unreadable body) is journalled
//!    `unknown`: the action is re-read (after the client's jittered backoff, at most
//!    [`MAX_TRANSIENT_WRITE_RETRIES`] times) and only written again if the write did not land.
//!    Whenever the config about to be written is not the saved backup's, it is saved as
//!    `preimages/<id>.json` first, so that a write found landed later is verified against the
//!    state it was computed from.
//! 5. Verify. A 2xx means the platform took the body; its answer is evidence only where it
//!    carries a config or a version, and an answer without either is no failure. The read-back
//!    decides: the canary (first action of the run, before any other is written) or, with
//!    `--verify full`, every action is re-read in full (templates included); so is any action
//!    whose answer disagrees with the write.
//! 6. With `--also-draft`, patch an open draft's timeout too (never publish it).
//! 7. Journal `done` and append to the audit log.
//!
//! Workers run with bounded concurrency; the client's shared rate limiter paces every request
//! and a 429 pauses all of them. Ctrl-C stops launching new actions; writes in flight finish
//! and are journalled.
//!
//! The engine returns what happened, as types: one [`Outcome`] per action (a failure as an
//! [`ActionFailure`]) and the run's [`Summary`], or a [`RunError`] when the run could not go on
//! (its folder cannot be written). Exit codes and hints are the CLI's
//! ([`crate::error`]); so is what the test crash hook ([`CrashHook`]) does.

mod crash;
mod draft;
mod failure;
mod verify;
mod write;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use genesys_client::{Action, Client};
use serde::Serialize;

pub use crash::{CrashHook, CrashPoint, CrashStep};
pub use failure::ActionFailure;

use crate::planner::Desired;
use crate::runs::{ActionLog, Event, Plan, PlanRow, RunDir, Step, Summary, Verdict, VerifyMode};

/// How many times a version conflict is re-read and re-applied before giving up. A conflict
/// costs one re-read and one write; eight in a row means the action is being edited
/// continuously, and a human should look at it.
pub const MAX_CONFLICT_RETRIES: u32 = 8;

/// How many times a write that failed with a transient error (5xx, dropped connection,
/// timeout, 429 retries exhausted) is settled by a re-read and sent again before giving up.
pub const MAX_TRANSIENT_WRITE_RETRIES: u32 = 5;

/// The final state of one action in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Written and verified.
    Changed,
    /// No write needed.
    Unchanged,
    /// Skipped (kind, or changed since).
    Skipped,
    /// Failed.
    Failed,
    /// Not started (interrupted).
    NotStarted,
}

impl Status {
    /// Text for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Changed => "changed",
            Status::Unchanged => "unchanged",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
            Status::NotStarted => "not started",
        }
    }
}

/// The result of one action.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// Action id.
    pub id: String,
    /// Action name.
    pub name: String,
    /// Final status.
    pub status: Status,
    /// Timeout before.
    pub old_timeout: Option<i64>,
    /// Timeout after (as planned).
    pub new_timeout: Option<i64>,
    /// Version before the write.
    pub from_version: Option<i64>,
    /// Version after the write.
    pub to_version: Option<i64>,
    /// `ININ-Correlation-ID` of the write.
    pub correlation_id: Option<String>,
    /// Details: the reason, the error, or a warning.
    pub message: Option<String>,
    /// For a failure: why (the CLI maps it to an exit code and hints).
    #[serde(skip)]
    pub failure: Option<Arc<ActionFailure>>,
    /// For an action planned as a change that needed no write: what was found when it was read.
    #[serde(skip)]
    pub found: Option<Found>,
}

impl Outcome {
    /// The outcome of a row that the engine does not write (an `unchanged` or `skip` verdict).
    pub fn of_row(row: &PlanRow) -> Outcome {
        base_outcome(
            row,
            match row.verdict {
                Verdict::Skip => Status::Skipped,
                _ => Status::Unchanged,
            },
        )
    }
}

/// What the read before a planned write found, when no write was needed after all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// The timeout was already the target.
    AtTarget,
    /// The action already matched the document.
    MatchesDocument,
}

/// Options of an execution.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Actions in flight at once.
    pub concurrency: usize,
    /// Verification mode.
    pub verify: VerifyMode,
    /// Patch open drafts too.
    pub also_draft: bool,
    /// Only write where the current timeout is the planned old one (`undo` without `--force`
    /// reports `changed since` otherwise).
    pub require_old: bool,
    /// Crash hook for tests: the caller decides what happens when it is reached.
    pub crash: Option<CrashHook>,
    /// `$DACTL_HOME/audit.ndjson`.
    pub audit_file: PathBuf,
    /// Label of the target for the audit log.
    pub target: String,
    /// Set by Ctrl-C: launch no new action.
    pub stop: Arc<AtomicBool>,
}

struct Ctx {
    client: Client,
    run: RunDir,
    opts: EngineOptions,
    also_draft: bool,
    audit: Mutex<Option<std::fs::File>>,
    stop: Arc<AtomicBool>,
    writes: AtomicU64,
}

impl Ctx {
    fn log(&self, ev: Event) -> anyhow::Result<()> {
        self.run.log(&ev)
    }

    fn crash_check(&self, step: CrashStep) {
        if let Some(hook) = &self.opts.crash {
            hook.check(step);
        }
    }

    fn audit(&self, line: serde_json::Value) {
        let mut g = self.audit.lock().unwrap_or_else(|e| e.into_inner());
        if g.is_none() {
            *g = crate::fsutil::open_append(&self.opts.audit_file).ok();
        }
        if let Some(f) = g.as_mut() {
            if let Err(e) = crate::fsutil::append_line(f, &line.to_string()) {
                tracing::warn!("cannot append to the audit log: {e}");
            }
        }
    }
}

/// Per-action inputs to the engine.
#[derive(Debug, Clone)]
pub struct Work {
    /// The plan row.
    pub row: PlanRow,
    /// The action as listed (with config), if it was read at plan time.
    pub listed: Option<Action>,
    /// What the journal already says (on resume).
    pub log: ActionLog,
    /// The state to write: a timeout, or a whole document (name, category, config with
    /// template text), from the one planner ([`crate::planner`]).
    pub desired: Desired,
}

/// Why a run stopped as a whole (the failure of one action is in its [`Outcome`] instead).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The run folder could not be written (journal, summary).
    #[error(transparent)]
    RunFolder(#[from] anyhow::Error),
    /// A worker panicked.
    #[error(transparent)]
    Worker(#[from] tokio::task::JoinError),
    /// A bug: a worker still held the run when it ended.
    #[error("internal error: run context still shared")]
    StillShared,
}

/// Progress reporting hooks.
pub trait Reporter: Send + Sync {
    /// An action finished.
    fn finished(&self, outcome: &Outcome);
}

/// Execute a plan. Returns one outcome per row, in plan order, and the summary.
pub async fn execute(
    client: Client,
    run: RunDir,
    plan: &Plan,
    work: Vec<Work>,
    opts: EngineOptions,
    reporter: Arc<dyn Reporter>,
    resume: bool,
) -> Result<(Vec<Outcome>, Summary, RunDir), RunError> {
    let ctx = Arc::new(Ctx {
        client,
        run,
        also_draft: plan.also_draft,
        stop: opts.stop.clone(),
        opts,
        audit: Mutex::new(None),
        writes: AtomicU64::new(0),
    });
    ctx.log(Event::Start {
        ts: crate::runs::now(),
        resume,
    })?;

    let mut outcomes: Vec<Option<Outcome>> = vec![None; work.len()];
    let mut pending: Vec<(usize, Work)> = Vec::new();
    let canary_passed = work.iter().any(|w| w.log.done);
    for (i, w) in work.into_iter().enumerate() {
        if let Some(o) = settled(&ctx, &w)? {
            reporter.finished(&o);
            outcomes[i] = Some(o);
        } else {
            pending.push((i, w));
        }
    }

    // Canary: the first action is changed and verified in full before any other is written.
    // A resumed run whose canary already succeeded (some action is done) needs no new one; and
    // actions that failed in an earlier attempt go last, so that one action that keeps failing
    // for its own reason (a concurrent timeout change) cannot block every resume as its canary.
    pending.sort_by_key(|(i, w)| (w.log.last == Some(Step::Failed), *i));
    let mut rest = pending.into_iter();
    let mut canary_failed = false;
    let canary = if canary_passed { None } else { rest.next() };
    if let Some((i, w)) = canary {
        if !ctx.stop.load(Ordering::SeqCst) {
            let full = ctx.opts.verify != VerifyMode::Off;
            let o = write::apply(&ctx, w, full).await;
            canary_failed = o.status == Status::Failed;
            reporter.finished(&o);
            outcomes[i] = Some(o);
        } else {
            outcomes[i] = Some(not_started(&w));
        }
    }

    let rest: Vec<(usize, Work)> = rest.collect();
    if canary_failed {
        for (i, w) in rest {
            let mut o = not_started(&w);
            o.message = Some("not started: the canary (first action) failed".into());
            outcomes[i] = Some(o);
        }
    } else {
        let full = ctx.opts.verify == VerifyMode::Full;
        let (mut set, skipped_by_stop) =
            crate::fanout::start(ctx.opts.concurrency, rest, Some(&ctx.stop), |(i, w)| {
                let ctx = ctx.clone();
                let rep = reporter.clone();
                async move {
                    let o = write::apply(&ctx, w, full).await;
                    rep.finished(&o);
                    (i, o)
                }
            })
            .await;
        while let Some(r) = set.join_next().await {
            let (i, o) = r?;
            outcomes[i] = Some(o);
        }
        for (i, w) in skipped_by_stop {
            outcomes[i] = Some(not_started(&w));
        }
    }

    let outcomes: Vec<Outcome> = outcomes.into_iter().flatten().collect();
    let mut summary = Summary {
        interrupted: ctx.stop.load(Ordering::SeqCst),
        token_pool: crate::runs::TokenPool::of(&ctx.client),
        ..Summary::default()
    };
    for o in &outcomes {
        match o.status {
            Status::Changed => summary.changed += 1,
            Status::Unchanged => summary.unchanged += 1,
            Status::Skipped => summary.skipped += 1,
            Status::Failed => summary.failed += 1,
            Status::NotStarted => summary.not_started += 1,
        }
    }
    ctx.log(Event::End {
        ts: crate::runs::now(),
        summary: summary.clone(),
    })?;
    ctx.run.write_summary(&summary)?;
    let ctx = Arc::try_unwrap(ctx).map_err(|_| RunError::StillShared)?;
    Ok((outcomes, summary, ctx.run))
}

fn base_outcome(row: &PlanRow, status: Status) -> Outcome {
    Outcome {
        id: row.id.clone(),
        name: row.name.clone(),
        status,
        old_timeout: row.old_timeout,
        new_timeout: row.new_timeout,
        from_version: row.version,
        to_version: None,
        correlation_id: None,
        message: row.reason.clone(),
        failure: None,
        found: None,
    }
}

fn not_started(w: &Work) -> Outcome {
    let mut o = base_outcome(&w.row, Status::NotStarted);
    o.message = Some("not started (interrupted)".into());
    o
}

/// Rows that need no work: unchanged/skip verdicts, and actions the journal already finished.
fn settled(ctx: &Ctx, w: &Work) -> anyhow::Result<Option<Outcome>> {
    if w.log.done {
        let mut o = base_outcome(&w.row, Status::Changed);
        o.message = Some("already done in an earlier attempt of this run".into());
        return Ok(Some(o));
    }
    if w.row.verdict == Verdict::Change {
        return Ok(None);
    }
    let o = Outcome::of_row(&w.row);
    if w.log.last.is_none() {
        let reason = w.row.reason.clone().unwrap_or_default();
        journal_no_write(ctx, &w.row.id, o.status, reason)?;
    }
    Ok(Some(o))
}

/// Journal that an action needs no write: `skipped` for [`Status::Skipped`], `unchanged`
/// otherwise, with the reason.
fn journal_no_write(ctx: &Ctx, id: &str, status: Status, reason: String) -> anyhow::Result<()> {
    let (ts, id) = (crate::runs::now(), id.to_string());
    ctx.log(match status {
        Status::Skipped => Event::Skipped { ts, id, reason },
        _ => Event::Unchanged { ts, id, reason },
    })
}

/// The journal state of every action of a run, for [`Work::log`].
pub fn logs_by_id(events: &[Event]) -> BTreeMap<String, ActionLog> {
    crate::runs::fold(events)
}
