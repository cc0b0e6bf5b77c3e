//! The safe change, for one action or ten thousand (DESIGN.md §4).
//!
//! For each action whose plan verdict is `change`:
//! 1. Take the pre-image: the config from the `includeConfig` listing (or a fresh GET on resume
//!    and after a conflict) with the text of every referenced template inlined.
//! 2. Save it in the run's `backups/` folder (0600, fsynced) and journal it, before any write.
//! 3. Journal the intent, then PATCH `{name, category, version, config}`: the full pre-image
//!    config, `*Uri` fields dropped, only `timeoutSeconds` changed.
//! 4. On a version conflict, re-read and re-apply the same change to the fresh state, at most
//!    [`MAX_CONFLICT_RETRIES`] times. If the timeout itself moved, report a conflict instead of
//!    overwriting it. A write that failed with a transient error has an unknown outcome: the
//!    action is re-read (after the client's jittered backoff, at most
//!    [`MAX_TRANSIENT_WRITE_RETRIES`] times) and only written again if the first attempt did
//!    not land. Whenever the config about to be written is not the saved backup's (after a
//!    re-read, or on resume), it is saved as `preimages/<id>.json` first, so that a resume that
//!    finds the write landed verifies it against the state it was computed from.
//! 5. Verify the PATCH response against the pre-image; re-read in full (templates included) the
//!    canary (first action of the run, before any other is written) or, with `--verify full`,
//!    every action.
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
    /// For a restore: the whole document (name, category, config with template text) to write
    /// instead of changing only the timeout.
    pub target: Option<Action>,
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

/// Journal the intent, send the PATCH of the published action (with the test crash hooks
/// around it) and journal a successful answer. The outer `Result` is a journal failure; the
/// inner one is the API's answer, for the caller to settle (conflict, transient, final).
async fn send_patch(
    ctx: &Ctx,
    row: &PlanRow,
    body: &UpdateActionInput,
    current: Option<i64>,
    new: Option<i64>,
) -> anyhow::Result<Result<Response<Action>, genesys_client::Error>> {
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
    if let Ok(resp) = &result {
        ctx.log(Event::Patched {
            ts: crate::runs::now(),
            id: row.id.clone(),
            to_version: resp.body.version,
            correlation_id: resp.correlation_id.clone(),
            target: "published".into(),
        })?;
        ctx.crash_check("after-patched");
    }
    Ok(result)
}

/// Verify a write that was answered with success: the PATCH response against the state the
/// body was computed from, and with `full_verify` a fresh read (templates included). Returns
/// how it was verified, for the journal.
async fn verify_write(
    ctx: &Ctx,
    id: &str,
    basis: &Action,
    answered: &Action,
    new: Option<i64>,
    full_verify: bool,
) -> anyhow::Result<String> {
    actions::verify_response(basis, answered, new)
        .map_err(|p| anyhow::anyhow!("verification of the PATCH response failed: {p}"))?;
    if !full_verify {
        return Ok("response".into());
    }
    let (fresh, _) = read_fresh(&ctx.client, id, Some(basis)).await?;
    actions::verify_full(basis, &fresh, new)
        .map_err(|p| anyhow::anyhow!("verification by re-reading failed: {p}"))?;
    Ok("response and full re-read".into())
}

/// Journal `done` for a verified write, append the audit line, and build the outcome.
#[allow(clippy::too_many_arguments)]
fn finish_write(
    ctx: &Ctx,
    row: &PlanRow,
    name: &str,
    operation: &str,
    current: Option<i64>,
    new: Option<i64>,
    from_version: i64,
    resp: Response<Action>,
    verified: String,
) -> anyhow::Result<Outcome> {
    ctx.log(Event::Done {
        ts: crate::runs::now(),
        id: row.id.clone(),
        old_timeout: current,
        new_timeout: new,
        version: resp.body.version,
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
        "to_version": resp.body.version,
        "correlation_id": resp.correlation_id,
        "verified": verified,
    }));
    let mut o = base_outcome(row, Status::Changed);
    o.from_version = Some(from_version);
    o.to_version = resp.body.version;
    o.correlation_id = resp.correlation_id;
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

/// On resume, a write that had landed before the process died: journal `done`, no new write.
fn landed_on_resume(
    ctx: &Ctx,
    row: &PlanRow,
    new: Option<i64>,
    version: Option<i64>,
) -> anyhow::Result<Outcome> {
    ctx.log(Event::Done {
        ts: crate::runs::now(),
        id: row.id.clone(),
        old_timeout: row.old_timeout,
        new_timeout: new,
        version,
        verified: "re-read on resume (the write had landed)".into(),
    })?;
    let mut o = base_outcome(row, Status::Changed);
    o.to_version = version;
    o.message = Some("the earlier write had landed; verified on resume".into());
    Ok(o)
}

async fn apply(ctx: &Ctx, w: Work, full_verify: bool) -> Outcome {
    let id = w.row.id.clone();
    match apply_inner(ctx, &w, full_verify).await {
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

async fn apply_inner(ctx: &Ctx, w: &Work, full_verify: bool) -> anyhow::Result<Outcome> {
    if let Some(target) = &w.target {
        return apply_document(ctx, w, target, full_verify).await;
    }
    let row = &w.row;
    let new = row.new_timeout;
    let client = &ctx.client;

    // 1. The pre-image. From the listing on a first attempt; fresh on resume.
    let mut pre = pre_image(ctx, w).await?;

    // A resumed action whose write already landed: verify against the pre-image that write was
    // computed from (the latest one saved, else the backup), no write.
    if w.log.patch_sent
        && explicit_timeout(&pre) == new
        && explicit_timeout(&pre) != row.old_timeout
    {
        let original = ctx
            .run
            .load_preimage(&row.id)
            .or_else(|| ctx.run.load_backup(&row.id));
        let check = match &original {
            Some(orig) => actions::verify_full(orig, &pre, new),
            None => Ok(()),
        };
        if let Err(problem) = check {
            anyhow::bail!(
                "the earlier write landed but the action differs from its backup: {problem}"
            );
        }
        draft_step(ctx, row).await?;
        return landed_on_resume(ctx, row, new, pre.version);
    }

    // 2. Backup before any write.
    // The version of the pre-image last saved (backup or `preimages/`); `None`: not known here.
    let mut saved_version = None;
    if let Some(file) = ctx.run.save_backup(&pre)? {
        saved_version = Some(pre.version);
        ctx.log(Event::Backup {
            ts: crate::runs::now(),
            id: row.id.clone(),
            version: pre.version,
            file,
        })?;
    }
    ctx.crash_check("after-backup");

    let mut conflicts = 0;
    let mut transient = 0;
    loop {
        let current = explicit_timeout(&pre);
        if current == new {
            ctx.log(Event::Unchanged {
                ts: crate::runs::now(),
                id: row.id.clone(),
                reason: "already at the target when read".into(),
            })?;
            let mut o = base_outcome(row, Status::Unchanged);
            o.message = Some("already at the target when read".into());
            return Ok(o);
        }
        if current != row.old_timeout {
            let msg = format!(
                "changed since: the timeout is now {} (planned from {}); not overwritten",
                describe_timeout(current),
                describe_timeout(row.old_timeout)
            );
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

        // 3. Intent, then PATCH.
        let body = actions::patch_body(&pre, new).map_err(|m| anyhow::anyhow!(m))?;
        if saved_version != Some(pre.version) {
            ctx.run.save_preimage(&pre)?;
            saved_version = Some(pre.version);
        }
        match send_patch(ctx, row, &body, current, new).await? {
            Ok(resp) => {
                // 5. Verify.
                let verified =
                    verify_write(ctx, &row.id, &pre, &resp.body, new, full_verify).await?;
                // 6. Draft.
                let draft_note = draft_step(ctx, row).await?;
                // 7. Journal and audit.
                let mut o = finish_write(
                    ctx,
                    row,
                    &row.name,
                    "timeout",
                    current,
                    new,
                    body.version,
                    resp,
                    verified,
                )?;
                o.message = draft_note.or_else(|| row.warning.clone());
                return Ok(o);
            }
            Err(e) if e.is_version_conflict() && conflicts < MAX_CONFLICT_RETRIES => {
                conflicts += 1;
                ctx.log(Event::Conflict {
                    ts: crate::runs::now(),
                    id: row.id.clone(),
                    message: format!("version {} is stale; re-reading", body.version),
                })?;
                // The next PATCH is based on this read: action first, then templates.
                pre = read_fresh(client, &row.id, None).await?.0;
            }
            Err(e) if e.is_version_conflict() => {
                return Err(anyhow::Error::new(e).context(format!(
                    "the action kept changing: {} version conflicts in a row",
                    MAX_CONFLICT_RETRIES + 1
                )));
            }
            Err(e)
                if matches!(
                    e.kind(),
                    genesys_client::ErrorKind::Transient | genesys_client::ErrorKind::RateLimited
                ) && transient < MAX_TRANSIENT_WRITE_RETRIES =>
            {
                transient += 1;
                // The outcome of the write is unknown: re-read before deciding anything, after
                // the same jittered backoff the client uses for reads.
                tracing::warn!(id = %row.id, "write failed with a transient error; re-reading: {e}");
                let opts = client.options();
                opts.clock
                    .sleep(opts.retry.backoff(transient, fastrand::f64()))
                    .await;
                // A write may follow this read: action first, then templates.
                let (fresh, _) = read_fresh(client, &row.id, None).await?;
                if explicit_timeout(&fresh) == new && fresh.version > pre.version {
                    actions::verify_full(&pre, &fresh, new).map_err(|p| {
                        anyhow::anyhow!("the write landed but verification failed: {p}")
                    })?;
                    let draft_note = draft_step(ctx, row).await?;
                    ctx.log(Event::Done {
                        ts: crate::runs::now(),
                        id: row.id.clone(),
                        old_timeout: current,
                        new_timeout: new,
                        version: fresh.version,
                        verified: "full re-read (the response was lost)".into(),
                    })?;
                    let mut o = base_outcome(row, Status::Changed);
                    o.from_version = Some(body.version);
                    o.to_version = fresh.version;
                    o.message = draft_note;
                    return Ok(o);
                }
                pre = fresh;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// True when two inlined actions have the same name, category and config (templates by text).
pub fn same_document(a: &Action, b: &Action) -> bool {
    a.name == b.name
        && a.category == b.category
        && serde_json::to_value(&a.config).ok() == serde_json::to_value(&b.config).ok()
}

/// The restore path (`dactl restore`, and `undo` of a restore run): write a whole document
/// with the same guarantees as a timeout change. The pre-image is backed up and journalled
/// first; the PATCH carries the document's name, category and full config (template text
/// inlined) at the current version; the response and (canary/full) a re-read must equal the
/// document. A version conflict is re-applied only when the fresh state still equals the state
/// the plan was made from; a concurrent edit of anything is reported, never overwritten.
async fn apply_document(
    ctx: &Ctx,
    w: &Work,
    target: &Action,
    full_verify: bool,
) -> anyhow::Result<Outcome> {
    let row = &w.row;
    let client = &ctx.client;
    let new = explicit_timeout(target);
    let mut pre = pre_image(ctx, w).await?;
    if w.log.patch_sent && same_document(&pre, target) {
        return landed_on_resume(ctx, row, new, pre.version);
    }
    let planned = pre.clone();
    if let Some(file) = ctx.run.save_backup(&pre)? {
        ctx.log(Event::Backup {
            ts: crate::runs::now(),
            id: row.id.clone(),
            version: pre.version,
            file,
        })?;
    }
    ctx.crash_check("after-backup");
    let mut attempts = 0;
    loop {
        attempts += 1;
        if same_document(&pre, target) {
            let reason = "already matches the document when read".to_string();
            ctx.log(Event::Unchanged {
                ts: crate::runs::now(),
                id: row.id.clone(),
                reason: reason.clone(),
            })?;
            let mut o = base_outcome(row, Status::Unchanged);
            o.message = Some(reason);
            return Ok(o);
        }
        let mut want = target.clone();
        want.id = pre.id.clone();
        want.version = pre.version;
        let body = actions::patch_body(&want, new).map_err(|m| anyhow::anyhow!(m))?;
        let current = explicit_timeout(&pre);
        match send_patch(ctx, row, &body, current, new).await? {
            Ok(resp) => {
                let verified =
                    verify_write(ctx, &row.id, &want, &resp.body, new, full_verify).await?;
                let mut o = finish_write(
                    ctx,
                    row,
                    &want.name,
                    "restore",
                    current,
                    new,
                    body.version,
                    resp,
                    verified,
                )?;
                o.message = Some(
                    row.warning
                        .clone()
                        .unwrap_or_else(|| "configuration restored".into()),
                );
                return Ok(o);
            }
            Err(e)
                if attempts <= MAX_CONFLICT_RETRIES
                    && (e.is_version_conflict()
                        || matches!(
                            e.kind(),
                            genesys_client::ErrorKind::Transient
                                | genesys_client::ErrorKind::RateLimited
                        )) =>
            {
                let conflict = e.is_version_conflict();
                if conflict {
                    ctx.log(Event::Conflict {
                        ts: crate::runs::now(),
                        id: row.id.clone(),
                        message: format!("version {} is stale; re-reading", body.version),
                    })?;
                } else {
                    tracing::warn!(id = %row.id, "write failed with a transient error; re-reading: {e}");
                }
                // A write may follow this read: action first, then templates.
                let (fresh, _) = read_fresh(client, &row.id, None).await?;
                if !conflict && same_document(&fresh, target) && fresh.version > pre.version {
                    ctx.log(Event::Done {
                        ts: crate::runs::now(),
                        id: row.id.clone(),
                        old_timeout: current,
                        new_timeout: new,
                        version: fresh.version,
                        verified: "full re-read (the response was lost)".into(),
                    })?;
                    let mut o = base_outcome(row, Status::Changed);
                    o.to_version = fresh.version;
                    o.message = Some("configuration restored".into());
                    return Ok(o);
                }
                if !same_document(&fresh, &planned) && !same_document(&fresh, target) {
                    let a = serde_json::to_value(&planned.config).unwrap_or_default();
                    let b = serde_json::to_value(&fresh.config).unwrap_or_default();
                    anyhow::bail!(
                        "conflict: the action was edited since it was read ({}); not overwritten",
                        actions::first_difference(&a, &b, "config")
                    );
                }
                pre = fresh;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// With `--also-draft`, set the open draft's timeout too (it is never published).
async fn draft_step(ctx: &Ctx, row: &PlanRow) -> anyhow::Result<Option<String>> {
    if !row.draft {
        return Ok(None);
    }
    if !ctx.also_draft {
        return Ok(row.warning.clone());
    }
    let client = &ctx.client;
    let d = client.get_draft(&row.id).await?;
    let draft = actions::inline_templates(client, &d.body, true).await?;
    if explicit_timeout(&draft) == row.new_timeout {
        return Ok(Some("draft already at the target".into()));
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
    let r = client.patch_draft(&row.id, &body).await?;
    ctx.log(Event::Patched {
        ts: crate::runs::now(),
        id: row.id.clone(),
        to_version: r.body.version,
        correlation_id: r.correlation_id,
        target: "draft".into(),
    })?;
    if explicit_timeout(&r.body) != row.new_timeout {
        anyhow::bail!("the draft PATCH response does not show the new timeout");
    }
    Ok(Some("draft updated too (not published)".into()))
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
