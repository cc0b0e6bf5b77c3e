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

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use genesys_client::{Action, Client, Response, UpdateActionInput, UpdateDraftInput};
use serde::Serialize;

use crate::actions::{self, describe_timeout, explicit_timeout};
use crate::planner::{same_document, Desired};
use crate::runs::{ActionLog, Event, Plan, PlanRow, RunDir, Summary, Verdict, VerifyMode};

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
    /// For a failure: the exit code its error maps to.
    #[serde(skip)]
    pub exit: Option<crate::error::Exit>,
    /// For a failure: hints from its error (a missing permission, where credentials came from).
    #[serde(skip)]
    pub hints: Vec<String>,
}

/// A test hook that ends the process at a named step (set by `DACTL_TEST_CRASH_AT=step:n`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrashPoint {
    /// One of `after-backup`, `after-intent`, `after-patch`, `after-patched`, `after-done`.
    pub step: String,
    /// Crash at the nth time the step is reached (1-based).
    pub nth: u64,
}

impl CrashPoint {
    /// Parse `step:n`.
    pub fn parse(s: &str) -> Option<CrashPoint> {
        let (step, n) = s.split_once(':').unwrap_or((s, "1"));
        Some(CrashPoint {
            step: step.to_string(),
            nth: n.parse().ok()?,
        })
    }
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
    /// Crash hook for tests.
    pub crash: Option<CrashPoint>,
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
    crash_counts: Mutex<HashMap<String, u64>>,
    audit: Mutex<Option<std::fs::File>>,
    stop: Arc<AtomicBool>,
    writes: AtomicU64,
}

impl Ctx {
    fn log(&self, ev: Event) -> anyhow::Result<()> {
        self.run.log(&ev)
    }

    fn crash_check(&self, step: &str) {
        let Some(cp) = &self.opts.crash else { return };
        if cp.step != step {
            return;
        }
        let mut m = self.crash_counts.lock().unwrap_or_else(|e| e.into_inner());
        let n = m.entry(step.to_string()).or_insert(0);
        *n += 1;
        if *n == cp.nth {
            eprintln!("dactl: test crash hook reached at {step}:{}", cp.nth);
            std::process::exit(137);
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
) -> anyhow::Result<(Vec<Outcome>, Summary, RunDir)> {
    let ctx = Arc::new(Ctx {
        client,
        run,
        also_draft: plan.also_draft,
        stop: opts.stop.clone(),
        opts,
        crash_counts: Mutex::new(HashMap::new()),
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
    pending.sort_by_key(|(i, w)| (w.log.last.as_deref() == Some("failed"), *i));
    let mut rest = pending.into_iter();
    let mut canary_failed = false;
    let canary = if canary_passed { None } else { rest.next() };
    if let Some((i, w)) = canary {
        if !ctx.stop.load(Ordering::SeqCst) {
            let full = ctx.opts.verify != VerifyMode::Off;
            let o = apply(&ctx, w, full).await;
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
        let sem = Arc::new(tokio::sync::Semaphore::new(ctx.opts.concurrency.max(1)));
        let mut set = tokio::task::JoinSet::new();
        let mut skipped_by_stop = Vec::new();
        for (i, w) in rest {
            let permit = tokio::select! {
                p = sem.clone().acquire_owned() => p?,
                _ = wait_stop(&ctx.stop) => { skipped_by_stop.push((i, w)); continue; }
            };
            if ctx.stop.load(Ordering::SeqCst) {
                drop(permit);
                skipped_by_stop.push((i, w));
                continue;
            }
            let ctx2 = ctx.clone();
            let rep = reporter.clone();
            set.spawn(async move {
                let full = ctx2.opts.verify == VerifyMode::Full;
                let o = apply(&ctx2, w, full).await;
                rep.finished(&o);
                drop(permit);
                (i, o)
            });
        }
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
    let ctx = Arc::try_unwrap(ctx)
        .map_err(|_| anyhow::anyhow!("internal error: run context still shared"))?;
    Ok((outcomes, summary, ctx.run))
}

async fn wait_stop(stop: &AtomicBool) {
    loop {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
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
        exit: None,
        hints: Vec::new(),
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
    match w.row.verdict {
        Verdict::Change => Ok(None),
        Verdict::Unchanged => {
            if w.log.last.is_none() {
                ctx.log(Event::Unchanged {
                    ts: crate::runs::now(),
                    id: w.row.id.clone(),
                    reason: w.row.reason.clone().unwrap_or_default(),
                })?;
            }
            Ok(Some(base_outcome(&w.row, Status::Unchanged)))
        }
        Verdict::Skip => {
            if w.log.last.is_none() {
                ctx.log(Event::Skipped {
                    ts: crate::runs::now(),
                    id: w.row.id.clone(),
                    reason: w.row.reason.clone().unwrap_or_default(),
                })?;
            }
            Ok(Some(base_outcome(&w.row, Status::Skipped)))
        }
    }
}

/// Read an action fresh, with its templates inlined.
///
/// When a pre-image is known, the templates it had are fetched in the same round trip as the
/// action (by their standard file names); the action's own URIs then confirm the names, and
/// anything unexpected is fetched afterwards. This keeps a verification read to one round trip.
///
/// Only a *verification* may read that way. A read that a write will be based on passes
/// `like: None`: the action (and its version) first, the templates after. Read in parallel, the
/// template text could predate a concurrent edit whose version the action read already shows,
/// and a PATCH with that version would succeed and silently put the old template back. Read in
/// this order, any edit after the version was read makes the PATCH fail with a conflict.
async fn read_fresh(
    client: &Client,
    id: &str,
    like: Option<&Action>,
) -> Result<(Action, Option<String>), genesys_client::Error> {
    use genesys_client::{REQUEST_TEMPLATE, SUCCESS_TEMPLATE};
    let had = |f: fn(&genesys_client::ActionConfig) -> bool| {
        like.and_then(|a| a.config.as_ref()).is_some_and(f)
    };
    let want_req = had(|c| {
        c.request
            .as_ref()
            .is_some_and(|r| r.request_template.is_some())
    });
    let want_succ = had(|c| {
        c.response
            .as_ref()
            .is_some_and(|r| r.success_template.is_some())
    });
    let prefetch = |want: bool, file: &'static str| async move {
        if want {
            client
                .get_template(id, file, false)
                .await
                .ok()
                .map(|r| r.body)
        } else {
            None
        }
    };
    let (action, req_text, succ_text) = tokio::join!(
        client.get_action(id),
        prefetch(want_req, REQUEST_TEMPLATE),
        prefetch(want_succ, SUCCESS_TEMPLATE)
    );
    let r = action?;
    let (req_ref, succ_ref) = actions::template_refs(&r.body);
    let req_ok = req_ref.as_deref() == Some(REQUEST_TEMPLATE) && req_text.is_some();
    let succ_ok = succ_ref.as_deref() == Some(SUCCESS_TEMPLATE) && succ_text.is_some();
    if (req_ref.is_none() || req_ok) && (succ_ref.is_none() || succ_ok) {
        let pre = actions::with_template_text(
            &r.body,
            req_text.filter(|_| req_ok),
            succ_text.filter(|_| succ_ok),
        );
        return Ok((pre, r.correlation_id));
    }
    let pre = actions::inline_templates(client, &r.body, false).await?;
    Ok((pre, r.correlation_id))
}

/// What the answer to a PATCH that succeeded shows (DESIGN.md §4.5: evidence, not proof).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Evidence {
    /// The answer carries a config that shows the write and a version that rose.
    Proof,
    /// The answer carries no config but a version that rose.
    VersionRose,
    /// The answer carries neither config nor version, or was unreadable: no evidence.
    Nothing,
    /// The answer contradicts the write (this is what it shows); the read-back decides.
    Contradicts(String),
}

impl Evidence {
    /// Judge an answer against the action that was sent (`sent`: at the version written over).
    fn of(sent: &Action, answered: Option<&Action>) -> Evidence {
        let Some(after) = answered else {
            return Evidence::Nothing;
        };
        if after.config.is_some() {
            // A config without a version: the config is evidence, the missing version is not.
            let mut after = after.clone();
            if after.version.is_none() {
                after.version = sent.version.map(|v| v + 1);
            }
            return match actions::verify_response(sent, &after, explicit_timeout(sent)) {
                Ok(()) => Evidence::Proof,
                Err(p) => Evidence::Contradicts(p),
            };
        }
        match (sent.version, after.version) {
            (Some(a), Some(b)) if b > a => Evidence::VersionRose,
            (_, None) => Evidence::Nothing,
            (a, b) => Evidence::Contradicts(format!("version did not go up ({a:?} -> {b:?})")),
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Evidence::Proof => "response",
            Evidence::VersionRose => "response version (the answer carried no config)",
            Evidence::Nothing => "none: the answer carried neither config nor version",
            Evidence::Contradicts(_) => "the answer disagreed",
        }
    }
}

/// How a PATCH ended, as far as the engine can know.
enum Answer {
    /// 2xx: the platform took the body. The decoded answer, when it could be read.
    Taken(Option<Box<Response<Action>>>),
    /// No usable answer (timeout, reset, 5xx after sending): the write may or may not have
    /// landed. Carries the error, and whether a backoff should come before the re-read.
    Unknown(genesys_client::Error, bool),
    /// An answer that could not be understood (an error document in a 2xx, a redirect): the
    /// write may have landed, which a re-read settles; if it did not, it is not sent again.
    Unreadable(genesys_client::Error),
    /// The write was refused with a version conflict (409, or 400 "does not match … version").
    Conflict(genesys_client::Error),
    /// The write was refused for another reason (nothing landed).
    Refused(genesys_client::Error),
}

/// The journal's `patched` line for a write the platform took (`target`: `published` or
/// `draft`), with what its answer says, where it says it.
fn patched(id: &str, answer: &Option<Box<Response<Action>>>, target: &str) -> Event {
    Event::Patched {
        ts: crate::runs::now(),
        id: id.to_string(),
        to_version: answer.as_ref().and_then(|r| r.body.version),
        correlation_id: answer.as_ref().and_then(|r| r.correlation_id.clone()),
        target: target.into(),
    }
}

fn classify(result: Result<Response<Action>, genesys_client::Error>) -> Answer {
    use genesys_client::ErrorKind;
    match result {
        Ok(r) => Answer::Taken(Some(Box::new(r))),
        Err(e) if e.is_version_conflict() => Answer::Conflict(e),
        // A 2xx whose body is not an action (empty, not JSON): taken, no evidence.
        Err(e @ genesys_client::Error::Decode { .. }) => {
            tracing::warn!("the answer to a write could not be read; the read-back decides: {e}");
            Answer::Taken(None)
        }
        // Any other answer that could not be understood: settle by reading.
        Err(e) if e.kind() == ErrorKind::Protocol => Answer::Unreadable(e),
        // 429 (retries exhausted) was refused before anything was applied, but a transport
        // error or a 5xx after the body was sent leaves the outcome unknown.
        Err(e) if matches!(e.kind(), ErrorKind::Transient | ErrorKind::RateLimited) => {
            Answer::Unknown(e, true)
        }
        Err(e) => Answer::Refused(e),
    }
}

/// Journal the intent, send a PATCH (with the test crash hooks around it) and journal what
/// came back: `patched` for a 2xx, `unknown` when the outcome cannot be known. The outer
/// `Result` is a journal failure.
async fn send_patch(
    ctx: &Ctx,
    row: &PlanRow,
    body: &UpdateActionInput,
    current: Option<i64>,
    new: Option<i64>,
) -> anyhow::Result<Answer> {
    ctx.log(Event::Patch {
        ts: crate::runs::now(),
        id: row.id.clone(),
        from_version: body.version,
        old_timeout: current,
        new_timeout: new,
        target: "published".into(),
    })?;
    ctx.crash_check("after-intent");
    ctx.writes.fetch_add(1, Ordering::SeqCst);
    let result = ctx.client.patch_action(&row.id, body).await;
    ctx.crash_check("after-patch");
    let answer = classify(result);
    match &answer {
        Answer::Taken(resp) => {
            ctx.log(patched(&row.id, resp, "published"))?;
            ctx.crash_check("after-patched");
        }
        Answer::Unknown(e, _) | Answer::Unreadable(e) => ctx.log(Event::Unknown {
            ts: crate::runs::now(),
            id: row.id.clone(),
            message: format!("{e}"),
            target: "published".into(),
        })?,
        Answer::Conflict(_) | Answer::Refused(_) => {}
    }
    Ok(answer)
}

/// Journal `done` for a write, append the audit line, and build the outcome.
#[allow(clippy::too_many_arguments)]
fn finish_write(
    ctx: &Ctx,
    row: &PlanRow,
    name: &str,
    operation: &str,
    current: Option<i64>,
    new: Option<i64>,
    from_version: Option<i64>,
    to_version: Option<i64>,
    correlation_id: Option<String>,
    verified: String,
) -> anyhow::Result<Outcome> {
    ctx.log(Event::Done {
        ts: crate::runs::now(),
        id: row.id.clone(),
        old_timeout: current,
        new_timeout: new,
        version: to_version,
        verified: verified.clone(),
    })?;
    ctx.crash_check("after-done");
    ctx.audit(serde_json::json!({
        "ts": crate::runs::now(),
        "run": ctx.run.id,
        "target": ctx.opts.target,
        "id": row.id,
        "name": name,
        "operation": operation,
        "old_timeout": current,
        "new_timeout": new,
        "from_version": from_version,
        "to_version": to_version,
        "correlation_id": correlation_id,
        "verified": verified,
    }));
    let mut o = base_outcome(row, Status::Changed);
    o.from_version = from_version;
    o.to_version = to_version;
    o.correlation_id = correlation_id;
    Ok(o)
}

/// The pre-image of an action: from the listing on a first attempt, read fresh (action first,
/// then templates) on resume or when the listing did not include it.
async fn pre_image(ctx: &Ctx, w: &Work) -> Result<Action, genesys_client::Error> {
    match (&w.listed, w.log.patch_sent) {
        (Some(a), false) => actions::inline_templates(&ctx.client, a, false).await,
        _ => Ok(read_fresh(&ctx.client, &w.row.id, None).await?.0),
    }
}

async fn apply(ctx: &Ctx, w: Work, full_verify: bool) -> Outcome {
    let id = w.row.id.clone();
    match write_one(ctx, &w, full_verify).await {
        Ok(o) => o,
        Err(e) => {
            let msg = format!("{e:#}");
            let _ = ctx.log(Event::Failed {
                ts: crate::runs::now(),
                id,
                message: msg.clone(),
            });
            let mut o = base_outcome(&w.row, Status::Failed);
            o.message = Some(msg);
            o.exit = Some(crate::error::exit_code_for(&e));
            o.hints = crate::error::hints_for(&e);
            o.correlation_id = e
                .chain()
                .find_map(|c| c.downcast_ref::<genesys_client::Error>())
                .and_then(|e| e.correlation_id().map(str::to_string));
            o
        }
    }
}

/// The one per-action write loop (DESIGN.md §4), for a timeout and for a whole document:
/// read → backup → PATCH → verify → journal, with one retry, backoff and conflict policy.
///
/// - The state is read first: from the listing on a first attempt; fresh when an earlier
///   attempt sent a write (its outcome is settled by that read before anything else).
/// - Already in the desired state: `done` when a write of this run may have put it there (an
///   unknown outcome, settled now), `unchanged` otherwise.
/// - Moved away from the state the plan was made from (another timeout, another document):
///   `skipped` under the plan's guard (`undo` without `--force`), a conflict otherwise; never
///   overwritten.
/// - The pre-image is backed up (0600, fsynced, journalled) before the first write; a later
///   basis that differs from it (after a re-read) is saved in `preimages/` first.
/// - A 2xx: the platform took the body. The answer is evidence only where it carries it; the
///   read-back (`--verify canary|full`, or an answer that disagrees) decides.
/// - A version conflict: re-read and re-apply to the fresh state, at most
///   [`MAX_CONFLICT_RETRIES`] times.
/// - No usable answer (timeout, reset, 5xx): journalled `unknown`; after the client's jittered
///   backoff the action is re-read, and written again only when the write had not landed, at
///   most [`MAX_TRANSIENT_WRITE_RETRIES`] times.
async fn write_one(ctx: &Ctx, w: &Work, full_verify: bool) -> anyhow::Result<Outcome> {
    let row = &w.row;
    let client = &ctx.client;
    let desired = &w.desired;
    let new = desired.timeout();
    let (name, operation) = match desired {
        Desired::Timeout(_) => (row.name.clone(), "timeout"),
        Desired::Document(d) => (d.name.clone(), "restore"),
    };

    let mut pre = pre_image(ctx, w).await?;
    // A write of this run may have landed (an earlier attempt sent one and did not finish).
    let mut maybe_landed = w.log.patch_sent && !w.log.done;
    // The state the plan was made from: for a document, the backup (the state before this run
    // first wrote) or, before any write, the state read now.
    let planned = match desired {
        Desired::Timeout(_) => None,
        Desired::Document(_) => Some(ctx.run.load_backup(&row.id).unwrap_or_else(|| pre.clone())),
    };
    let unmoved = |a: &Action| match &planned {
        None => explicit_timeout(a) == row.old_timeout,
        Some(p) => same_document(a, p),
    };
    // The version of the pre-image last saved (backup or `preimages/`); `None`: not known here.
    let mut saved_version = None;
    let mut backed_up = ctx.run.backup_path(&row.id).exists();
    let mut conflicts = 0;
    let mut transient = 0;
    // An answer that could not be understood, for a write that the re-read shows not landed.
    let mut not_understood: Option<genesys_client::Error> = None;
    loop {
        let current = explicit_timeout(&pre);
        if desired.reached(&pre) {
            if maybe_landed {
                return landed(ctx, row, &name, operation, &pre, desired).await;
            }
            let reason = match desired {
                Desired::Timeout(_) => "already at the target when read",
                Desired::Document(_) => "already matches the document when read",
            };
            ctx.log(Event::Unchanged {
                ts: crate::runs::now(),
                id: row.id.clone(),
                reason: reason.into(),
            })?;
            let mut o = base_outcome(row, Status::Unchanged);
            o.message = Some(reason.into());
            return Ok(o);
        }
        if let Some(e) = not_understood.take() {
            return Err(anyhow::Error::new(e).context(
                "the write's answer could not be understood, and the action read since shows \
                 it did not land; not sent again",
            ));
        }
        if !unmoved(&pre) {
            let msg = match &planned {
                None => format!(
                    "changed since: the timeout is now {} (planned from {}); not overwritten",
                    describe_timeout(current),
                    describe_timeout(row.old_timeout)
                ),
                Some(p) => format!(
                    "changed since: the action was edited since it was read ({}); not overwritten",
                    Desired::Document(Box::new(p.clone())).difference(&pre)
                ),
            };
            if ctx.opts.require_old {
                ctx.log(Event::Skipped {
                    ts: crate::runs::now(),
                    id: row.id.clone(),
                    reason: msg.clone(),
                })?;
                let mut o = base_outcome(row, Status::Skipped);
                o.message = Some(msg);
                return Ok(o);
            }
            anyhow::bail!("conflict: {msg}");
        }

        // Backup before the first write; the basis of a later write when it differs.
        if !backed_up {
            if let Some(file) = ctx.run.save_backup(&pre)? {
                saved_version = Some(pre.version);
                ctx.log(Event::Backup {
                    ts: crate::runs::now(),
                    id: row.id.clone(),
                    version: pre.version,
                    file,
                })?;
            }
            backed_up = true;
            ctx.crash_check("after-backup");
        }
        let want = desired.apply_to(&pre);
        let body = actions::patch_body(&want, new).map_err(|m| anyhow::anyhow!(m))?;
        if saved_version != Some(pre.version) {
            ctx.run.save_preimage(&pre)?;
            saved_version = Some(pre.version);
        }
        match send_patch(ctx, row, &body, current, new).await? {
            Answer::Taken(resp) => {
                let evidence = Evidence::of(&want, resp.as_ref().map(|r| &r.body));
                let verified = match (&evidence, full_verify) {
                    (Evidence::Contradicts(p), _) => {
                        let v = read_back(ctx, &row.id, &want, new).await.map_err(|e| {
                            e.context(format!(
                                "the write was taken (HTTP 2xx) but its answer disagreed ({p})"
                            ))
                        })?;
                        format!("{v}; the answer disagreed: {p}")
                    }
                    (_, true) => {
                        let v = read_back(ctx, &row.id, &want, new).await?;
                        match evidence {
                            Evidence::Proof => format!("response and {v}"),
                            _ => v,
                        }
                    }
                    (e, false) => e.label().to_string(),
                };
                let draft_note = draft_step(ctx, row).await?;
                let (to_version, correlation_id) = resp
                    .map(|r| (r.body.version, r.correlation_id.clone()))
                    .unwrap_or_default();
                let mut o = finish_write(
                    ctx,
                    row,
                    &name,
                    operation,
                    current,
                    new,
                    Some(body.version),
                    to_version,
                    correlation_id,
                    verified,
                )?;
                o.message = draft_note.or_else(|| row.warning.clone()).or_else(|| {
                    matches!(desired, Desired::Document(_))
                        .then(|| "configuration restored".to_string())
                });
                return Ok(o);
            }
            Answer::Conflict(e) => {
                conflicts += 1;
                if conflicts > MAX_CONFLICT_RETRIES {
                    return Err(anyhow::Error::new(e).context(format!(
                        "the action kept changing: {conflicts} version conflicts in a row"
                    )));
                }
                ctx.log(Event::Conflict {
                    ts: crate::runs::now(),
                    id: row.id.clone(),
                    message: format!("version {} is stale; re-reading", body.version),
                })?;
            }
            Answer::Unknown(e, backoff) => {
                maybe_landed = true;
                transient += 1;
                if transient > MAX_TRANSIENT_WRITE_RETRIES {
                    return Err(anyhow::Error::new(e).context(format!(
                        "the outcome of the write is unknown after {transient} attempts \
                         (`dactl runs resume` or `dactl undo` settle it by reading the action)"
                    )));
                }
                tracing::warn!(id = %row.id, "the write has no usable answer; re-reading: {e}");
                if backoff {
                    let opts = client.options();
                    opts.clock
                        .sleep(opts.retry.backoff(transient, fastrand::f64()))
                        .await;
                }
            }
            Answer::Unreadable(e) => {
                maybe_landed = true;
                not_understood = Some(e);
            }
            Answer::Refused(e) => return Err(e.into()),
        }
        // A write may follow this read: action first, then templates.
        pre = read_fresh(client, &row.id, None).await?.0;
    }
}

/// Re-read the action in full (templates included) and check it is what was written.
async fn read_back(ctx: &Ctx, id: &str, want: &Action, new: Option<i64>) -> anyhow::Result<String> {
    let (fresh, _) = read_fresh(&ctx.client, id, Some(want)).await?;
    actions::verify_full(want, &fresh, new)
        .map_err(|p| anyhow::anyhow!("verification by re-reading failed: {p}"))?;
    Ok("full re-read".into())
}

/// A write whose outcome was unknown (or a resumed run's) turned out to have landed: check the
/// action against the state the write was computed from, then journal `done`.
async fn landed(
    ctx: &Ctx,
    row: &PlanRow,
    name: &str,
    operation: &str,
    live: &Action,
    desired: &Desired,
) -> anyhow::Result<Outcome> {
    let new = desired.timeout();
    let basis = ctx
        .run
        .load_preimage(&row.id)
        .or_else(|| ctx.run.load_backup(&row.id));
    let mut note = None;
    if let (Desired::Timeout(_), Some(basis)) = (desired, &basis) {
        if let Err(problem) = actions::verify_full(basis, live, new) {
            // One write after the basis is this run's: it must show nothing else. More than
            // one: someone edited the action after this write landed; theirs is kept.
            let writes_since = live.version.zip(basis.version).map(|(l, b)| l - b);
            if writes_since == Some(1) {
                anyhow::bail!(
                    "the write landed but the action differs from the state it was computed from: {problem}"
                );
            }
            note = Some(format!(
                "the write landed; the action was edited again since ({problem})"
            ));
        }
    }
    let draft_note = draft_step(ctx, row).await?;
    let mut o = finish_write(
        ctx,
        row,
        name,
        operation,
        row.old_timeout,
        new,
        basis.as_ref().and_then(|b| b.version),
        live.version,
        None,
        "re-read (the write's answer was lost; it had landed)".into(),
    )?;
    o.message = note
        .or(draft_note)
        .or_else(|| Some("the earlier write had landed; verified by re-reading".into()));
    Ok(o)
}

/// With `--also-draft`, set the open draft's timeout too (it is never published). The same
/// rules as for the published action: a version conflict (409, or 400 "does not match …
/// version") re-reads the draft and re-applies the timeout; an answer without config is no
/// failure, and neither is a lost answer: the draft is re-read and decides.
async fn draft_step(ctx: &Ctx, row: &PlanRow) -> anyhow::Result<Option<String>> {
    if !row.draft {
        return Ok(None);
    }
    if !ctx.also_draft {
        return Ok(row.warning.clone());
    }
    let client = &ctx.client;
    let read = || async {
        let d = client.get_draft(&row.id).await?;
        actions::inline_templates(client, &d.body, true).await
    };
    let mut draft = read().await?;
    let mut attempts = 0;
    loop {
        if explicit_timeout(&draft) == row.new_timeout {
            return Ok(Some(if attempts == 0 {
                "draft already at the target".into()
            } else {
                "draft updated too (not published)".into()
            }));
        }
        attempts += 1;
        if attempts > MAX_CONFLICT_RETRIES {
            anyhow::bail!(
                "the draft of `{}` could not be updated after {MAX_CONFLICT_RETRIES} attempts",
                row.id
            );
        }
        let version = draft
            .version
            .ok_or_else(|| anyhow::anyhow!("the draft of `{}` has no version", row.id))?;
        let mut config = draft.config.clone().unwrap_or_default();
        config.timeout_seconds = row.new_timeout;
        let body = UpdateDraftInput {
            name: Some(draft.name.clone()),
            category: draft.category.clone(),
            version,
            config: Some(config),
            extra: draft_contract(&draft),
        };
        ctx.log(Event::Patch {
            ts: crate::runs::now(),
            id: row.id.clone(),
            from_version: version,
            old_timeout: explicit_timeout(&draft),
            new_timeout: row.new_timeout,
            target: "draft".into(),
        })?;
        let result = client.patch_draft(&row.id, &body).await;
        let answered = match classify(result) {
            Answer::Taken(r) => {
                ctx.log(patched(&row.id, &r, "draft"))?;
                r.map(|r| r.body)
            }
            Answer::Conflict(_) => {
                tracing::info!(id = %row.id, "the draft's version is stale; re-reading it");
                None
            }
            Answer::Unreadable(e) => {
                ctx.log(Event::Unknown {
                    ts: crate::runs::now(),
                    id: row.id.clone(),
                    message: format!("{e}"),
                    target: "draft".into(),
                })?;
                None
            }
            Answer::Unknown(e, backoff) => {
                ctx.log(Event::Unknown {
                    ts: crate::runs::now(),
                    id: row.id.clone(),
                    message: format!("{e}"),
                    target: "draft".into(),
                })?;
                if backoff {
                    let opts = client.options();
                    opts.clock
                        .sleep(opts.retry.backoff(attempts, fastrand::f64()))
                        .await;
                }
                None
            }
            Answer::Refused(e) => return Err(e.into()),
        };
        // The answer counts only where it shows the config; otherwise the draft is re-read.
        match answered {
            Some(a) if a.config.is_some() && explicit_timeout(&a) == row.new_timeout => {
                return Ok(Some("draft updated too (not published)".into()));
            }
            _ => draft = read().await?,
        }
    }
}

/// The draft's contract in the `UpdateDraftInput` shape (input.inputSchema,
/// output.successSchema), so that a replacing PATCH keeps it.
fn draft_contract(draft: &Action) -> serde_json::Map<String, serde_json::Value> {
    let mut extra = serde_json::Map::new();
    let Some(c) = draft.contract.as_ref() else {
        return extra;
    };
    let input = c.pointer("/input/inputSchema").cloned();
    let output = c.pointer("/output/successSchema").cloned();
    if let (Some(i), Some(o)) = (input, output) {
        extra.insert(
            "contract".into(),
            serde_json::json!({"input": {"inputSchema": i}, "output": {"successSchema": o}}),
        );
    }
    extra
}

/// The journal state of every action of a run, for [`Work::log`].
pub fn logs_by_id(events: &[Event]) -> BTreeMap<String, ActionLog> {
    crate::runs::fold(events)
}
