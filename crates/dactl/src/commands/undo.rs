//! `dactl undo RUN`: put back what a run changed, as a run of its own.

use std::collections::HashMap;

use anyhow::Context as _;
use clap::Args;
use genesys_client::Action;

use super::change;
use crate::actions;
use crate::context::Context;
use crate::error::Exit;
use crate::planner::{self, Desired};
use crate::run_ref;
use crate::runs::{self, Operation, Plan, PlanRow, Verdict};
use crate::selection;

/// Arguments of `undo`.
#[derive(Debug, Args)]
pub struct UndoArgs {
    /// Run id (or a unique prefix, or `last`: the newest run against this target)
    pub run: String,
    /// Show what would be restored; write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Restore even where the timeout changed since the run; also needed to undo an undo
    /// (which writes back what the undone run had set)
    #[arg(long)]
    pub force: bool,
}

/// `dactl undo`.
pub(crate) async fn run(ctx: &Context, args: UndoArgs) -> anyhow::Result<Exit> {
    undo(ctx, &args.run, args.dry_run, args.force).await
}

/// The rows of a run that it sent a write to (whatever the journal's last word: a write
/// whose outcome was unknown may have landed); `None` (after saying so) when there are none.
pub(crate) fn written_rows<'p>(
    ctx: &Context,
    plan: &'p Plan,
    folded: &std::collections::BTreeMap<String, runs::ActionLog>,
) -> Option<Vec<&'p PlanRow>> {
    let written: Vec<&PlanRow> = plan
        .rows
        .iter()
        .filter(|r| folded.get(&r.id).is_some_and(|l| l.done || l.patch_sent))
        .collect();
    if written.is_empty() {
        ctx.say(&format!(
            "run {} changed no action; nothing to undo",
            plan.run_id
        ));
        return None;
    }
    Some(written)
}

/// `undo RUN`: put back the state before the run on every action the run sent a write to
/// (a timeout run: the previous timeout; a restore run: the whole pre-image), where the
/// action is still what the run left (`--force`: whatever it is now). Through the one
/// planner and the one write loop, as a run of its own (resumable, undoable).
async fn undo(ctx: &Context, run: &str, dry_run: bool, force: bool) -> anyhow::Result<Exit> {
    let path = runs::find_run(&ctx.home, &run_ref::resolve_run_ref(ctx, run)?)?;
    let plan0: Plan = serde_json::from_slice(&std::fs::read(path.join("plan.json"))?)
        .context("the run's plan is damaged")?;
    run_ref::check_undo(ctx, &path, &plan0, dry_run, force)?;
    let events = runs::read_journal(&path)?;
    let folded = runs::fold(&events);
    let session = change::session_for_run(ctx, &plan0, "undo").await?;
    let Some(written) = written_rows(ctx, &plan0, &folded) else {
        session.close()?;
        return Ok(Exit::Ok);
    };
    let read = |dir: &str, id: &str| -> Option<Action> {
        let p = path.join(dir).join(runs::backup_file_name(id));
        serde_json::from_slice(&std::fs::read(p).ok()?).ok()
    };
    let ids: Vec<String> = written.iter().map(|r| r.id.clone()).collect();
    let listed = selection::list_by_ids(&session, &ids).await?;
    let mut rows = Vec::new();
    let mut targets = HashMap::new();
    for r in written {
        let Some(current) = listed.get(&r.id) else {
            let mut row = planner::skip_row(r, "the action no longer exists");
            row.old_timeout = None;
            row.new_timeout = r.old_timeout;
            rows.push(row);
            continue;
        };
        let log = &folded[&r.id];
        let row = match read("targets", &r.id) {
            // A restore run (or the undo of one): the whole documents.
            Some(written_doc) => {
                let Some(before) = read("backups", &r.id) else {
                    rows.push(planner::skip_row(r, "the run's backup is missing"));
                    continue;
                };
                let now = actions::inline_templates(&session.client, current, false).await?;
                let row = planner::plan_row(planner::Intent {
                    current: &now,
                    desired: Desired::Document(Box::new(before.clone())),
                    guard: Some(Desired::Document(Box::new(written_doc))),
                    force,
                    unchanged: "already at its state before the run",
                    draft: None,
                });
                if row.verdict == Verdict::Change {
                    targets.insert(r.id.clone(), before);
                }
                row
            }
            // A timeout run: the timeouts it wrote (the journal's, else the plan's).
            None => {
                let (run_old, run_new) = log
                    .done_change
                    .or(log.sent_change)
                    .unwrap_or((r.old_timeout, r.new_timeout));
                let mut row = planner::plan_row(planner::Intent {
                    current,
                    desired: Desired::Timeout(run_old),
                    guard: Some(Desired::Timeout(run_new)),
                    force,
                    unchanged: if log.done {
                        "already at its previous timeout"
                    } else {
                        "already at its previous timeout (the run's write had not landed)"
                    },
                    draft: None,
                });
                // A run that also set the draft's timeout restores the draft too.
                row.draft = plan0.also_draft && r.draft;
                row
            }
        };
        rows.push(row);
    }
    let live: Vec<Action> = listed.values().cloned().collect();
    selection::functions(ctx, &session, &live)
        .await
        .annotate(&mut rows, &live);
    let operation = Operation::Undo {
        of: plan0.run_id.clone(),
    };
    let plan = Plan {
        also_draft: plan0.also_draft,
        verify: plan0.verify,
        require_old: !force,
        ..change::new_plan(ctx, &session, operation, rows)
    };
    change::execute_plan(ctx, session, plan, listed, dry_run, None, targets).await
}
