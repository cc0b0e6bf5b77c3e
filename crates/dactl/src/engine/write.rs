//! The one per-action write loop: read → backup → PATCH → verify → journal.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use genesys_client::{Action, Response, UpdateActionInput};

use super::draft::draft_step;
use super::verify::{read_back, read_fresh, Evidence};
use super::{
    base_outcome, journal_no_write, ActionFailure, CrashStep, Ctx, Found, Outcome, Status, Work,
    MAX_CONFLICT_RETRIES, MAX_TRANSIENT_WRITE_RETRIES,
};
use crate::actions::{self, describe_timeout, explicit_timeout};
use crate::planner::{same_document, Desired};
use crate::runs::{Event, PlanRow, Target};

/// What one action's write ends in: an outcome, or why it failed.
type Written = Result<Outcome, ActionFailure>;

/// How a PATCH ended, as far as the engine can know.
pub(super) enum Answer {
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
pub(super) fn patched(id: &str, answer: &Option<Box<Response<Action>>>, target: Target) -> Event {
    Event::Patched {
        ts: crate::runs::now(),
        id: id.to_string(),
        to_version: answer.as_ref().and_then(|r| r.body.version),
        correlation_id: answer.as_ref().and_then(|r| r.correlation_id.clone()),
        target,
    }
}

/// The journal's `unknown` line for a write without a usable answer.
pub(super) fn unknown(id: &str, e: &genesys_client::Error, target: Target) -> Event {
    Event::Unknown {
        ts: crate::runs::now(),
        id: id.to_string(),
        message: format!("{e}"),
        target,
    }
}

/// Wait the client's jittered backoff before re-reading after the `attempt`th write without a
/// usable answer.
pub(super) async fn back_off(client: &genesys_client::Client, attempt: u32) {
    let opts = client.options();
    opts.clock
        .sleep(opts.retry.backoff(attempt, fastrand::f64()))
        .await;
}

pub(super) fn classify(result: Result<Response<Action>, genesys_client::Error>) -> Answer {
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
        target: Target::Published,
    })?;
    ctx.crash_check(CrashStep::AfterIntent);
    ctx.writes.fetch_add(1, Ordering::SeqCst);
    let result = ctx.client.patch_action(&row.id, body).await;
    ctx.crash_check(CrashStep::AfterPatch);
    let answer = classify(result);
    match &answer {
        Answer::Taken(resp) => {
            ctx.log(patched(&row.id, resp, Target::Published))?;
            ctx.crash_check(CrashStep::AfterPatched);
        }
        Answer::Unknown(e, _) | Answer::Unreadable(e) => {
            ctx.log(unknown(&row.id, e, Target::Published))?
        }
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
    ctx.crash_check(CrashStep::AfterDone);
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

/// Write one action; a failure is journalled (`failed`) and becomes the outcome.
pub(super) async fn apply(ctx: &Ctx, w: Work, full_verify: bool) -> Outcome {
    let id = w.row.id.clone();
    match write_one(ctx, &w, full_verify).await {
        Ok(o) => o,
        Err(e) => {
            let msg = e.chain_text();
            let _ = ctx.log(Event::Failed {
                ts: crate::runs::now(),
                id,
                message: msg.clone(),
            });
            let mut o = base_outcome(&w.row, Status::Failed);
            o.message = Some(msg);
            o.correlation_id = e
                .client_error()
                .and_then(|e| e.correlation_id().map(str::to_string));
            o.failure = Some(Arc::new(e));
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
async fn write_one(ctx: &Ctx, w: &Work, full_verify: bool) -> Written {
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
            let (reason, found) = match desired {
                Desired::Timeout(_) => ("already at the target when read", Found::AtTarget),
                Desired::Document(_) => (
                    "already matches the document when read",
                    Found::MatchesDocument,
                ),
            };
            journal_no_write(ctx, &row.id, Status::Unchanged, reason.into())?;
            let mut o = base_outcome(row, Status::Unchanged);
            o.message = Some(reason.into());
            o.found = Some(found);
            return Ok(o);
        }
        if let Some(e) = not_understood.take() {
            return Err(ActionFailure::NotUnderstood(e));
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
                journal_no_write(ctx, &row.id, Status::Skipped, msg.clone())?;
                let mut o = base_outcome(row, Status::Skipped);
                o.message = Some(msg);
                return Ok(o);
            }
            return Err(ActionFailure::Conflict(msg));
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
            ctx.crash_check(CrashStep::AfterBackup);
        }
        let want = desired.apply_to(&pre);
        let body = actions::patch_body(&want, new).map_err(ActionFailure::CannotWrite)?;
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
                            ActionFailure::AnswerDisagreed {
                                problem: p.clone(),
                                source: Box::new(e),
                            }
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
                    return Err(ActionFailure::KeptChanging {
                        conflicts,
                        source: e,
                    });
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
                    return Err(ActionFailure::Unsettled {
                        attempts: transient,
                        source: e,
                    });
                }
                tracing::warn!(id = %row.id, "the write has no usable answer; re-reading: {e}");
                if backoff {
                    back_off(client, transient).await;
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

/// A write whose outcome was unknown (or a resumed run's) turned out to have landed: check the
/// action against the state the write was computed from, then journal `done`.
async fn landed(
    ctx: &Ctx,
    row: &PlanRow,
    name: &str,
    operation: &str,
    live: &Action,
    desired: &Desired,
) -> Written {
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
                return Err(ActionFailure::LandedDiffers(problem));
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
