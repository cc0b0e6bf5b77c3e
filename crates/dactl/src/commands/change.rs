//! The change flow shared by every command that writes (`timeout set|unset`, `apply`,
//! `restore`, `undo`, `runs resume`): plan rows through the one planner, the plan shown and
//! confirmed, then the one write loop ([`crate::engine::execute`]) with its progress, results
//! and next steps.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use genesys_client::Action;

use crate::context::Context;
use crate::engine::{self, CrashHook, EngineOptions, Outcome, Status, Work};
use crate::error::{Exit, Failure};
use crate::output::Format;
use crate::planner::{self, Desired};
use crate::runs::{self, Event, Operation, Plan, PlanRow, RunDir, Summary, Verdict, VerifyMode};
use crate::session::Session;

/// Plan rows for a timeout change (`timeout set/unset`, `apply`), through the one planner.
pub(crate) fn plan_rows(
    selected: &[Action],
    drafts: &HashSet<String>,
    new: &dyn Fn(&Action) -> Option<i64>,
    also_draft: bool,
) -> Vec<PlanRow> {
    selected
        .iter()
        .map(|a| {
            planner::plan_row(planner::Intent {
                current: a,
                desired: Desired::Timeout(new(a)),
                guard: None,
                force: false,
                unchanged: "already at the target",
                draft: drafts.contains(&a.id).then(|| {
                    if also_draft {
                        "has an unpublished draft: its timeout is set too (not published)".to_string()
                    } else {
                        "has an unpublished draft: publishing it later would revert this change (use --also-draft)".to_string()
                    }
                }),
            })
        })
        .collect()
}

/// A new run's plan of `rows` against the session's target, from this command line; it
/// changes only published actions, verifies the canary and requires no old value unless the
/// caller says otherwise (`Plan { also_draft, ..new_plan(..) }`).
pub(crate) fn new_plan(
    ctx: &Context,
    session: &Session,
    operation: Operation,
    rows: Vec<PlanRow>,
) -> Plan {
    Plan {
        run_id: runs::new_run_id(),
        created_at: runs::now(),
        command: ctx.command_line.clone(),
        operation,
        target: session.api_base.clone(),
        also_draft: false,
        verify: VerifyMode::Canary,
        require_old: false,
        rows,
    }
}

/// Run a plan: show it and ask for confirmation, then write through the engine, and show the
/// results and the next steps. `listed` are the actions as listed (moved into the work);
/// `resume` the run folder and journal of an interrupted run; `targets` (restores and their
/// undo) the whole documents to write, saved in the run folder before any write so that a
/// resume writes the same thing.
pub(crate) async fn execute_plan(
    ctx: &Context,
    session: Session,
    plan: Plan,
    listed: HashMap<String, Action>,
    dry_run: bool,
    resume: Option<(RunDir, Vec<Event>)>,
    targets: HashMap<String, Action>,
) -> anyhow::Result<Exit> {
    let changes = plan
        .rows
        .iter()
        .filter(|r| r.verdict == Verdict::Change)
        .count();
    let needs_confirm = changes > 1 && !ctx.printer.yes() && resume.is_none();
    if dry_run || (needs_confirm && ctx.printer.format == Format::Table) {
        ctx.printer
            .plan(&plan, (!dry_run).then_some(ctx.home.as_path()))?;
    }
    let warned: Vec<&PlanRow> = plan
        .rows
        .iter()
        .filter(|r| r.warning.is_some() && r.verdict == Verdict::Change)
        .collect();
    // A row whose only warning is its draft can be counted in one line; a function
    // action's ceiling (or both) is said per action.
    let past_function = |r: &PlanRow| {
        r.function_timeout_seconds
            .is_some_and(|f| crate::functions::ceiling_note(r.new_timeout, f).is_some())
    };
    let (drafts, others): (Vec<&PlanRow>, Vec<&PlanRow>) = warned
        .into_iter()
        .partition(|r| r.draft && !past_function(r));
    let summarised = ctx.printer.summarise(plan.rows.len()) && (dry_run || needs_confirm);
    let individually = if summarised {
        // The summary on stdout has the drafts line already.
        others
    } else if drafts.len() > 3 {
        // One line with a count, not one warning per action.
        if let Some(d) = crate::screen::drafts_line(&plan.rows, plan.also_draft) {
            ctx.say(&format!("warning: {d}"));
        }
        others
    } else {
        drafts.into_iter().chain(others).collect()
    };
    for r in individually {
        ctx.say(&format!(
            "warning: `{}` {}",
            r.name,
            r.warning.clone().unwrap_or_default()
        ));
    }
    if let Some(seen) = &session.seen {
        for r in &plan.rows {
            seen.record(&r.id, &r.name, r.version, r.old_timeout);
        }
    }
    if dry_run {
        session.close()?;
        ctx.say(&format!(
            "dry run: {changes} to change, {} unchanged, {} skipped; nothing was written",
            plan.rows
                .iter()
                .filter(|r| r.verdict == Verdict::Unchanged)
                .count(),
            plan.rows
                .iter()
                .filter(|r| r.verdict == Verdict::Skip)
                .count()
        ));
        return Ok(Exit::Ok);
    }
    if changes == 0 {
        session.close()?;
        let rows: Vec<Outcome> = plan.rows.iter().map(Outcome::of_row).collect();
        ctx.printer.results(
            &plan,
            &rows,
            &Summary {
                unchanged: plan
                    .rows
                    .iter()
                    .filter(|r| r.verdict == Verdict::Unchanged)
                    .count() as u64,
                skipped: plan
                    .rows
                    .iter()
                    .filter(|r| r.verdict == Verdict::Skip)
                    .count() as u64,
                ..Summary::default()
            },
            &every_row(ctx, &plan),
        )?;
        ctx.say("nothing to change");
        return Ok(Exit::Ok);
    }
    if resume.is_none() {
        let what = match plan.operation {
            Operation::Restore { .. } => "Restore the configuration of",
            _ => "Change the timeout of",
        };
        let mut counts = crate::screen::plan_counts(&plan.rows);
        let drafts = plan
            .rows
            .iter()
            .filter(|r| r.draft && r.verdict == Verdict::Change)
            .count();
        if drafts > 0 {
            counts.push_str(&format!(
                ", {} with a draft",
                crate::screen::thousands(drafts)
            ));
        }
        let refusal = Failure::usage(format!(
            "refusing to change {changes} actions without confirmation"
        ))
        .hint("review the plan with `--dry-run`, then pass `--yes`");
        let question = format!(
            "{what} {} actions ({counts})?",
            crate::screen::thousands(changes)
        );
        if changes > 1 && !ctx.printer.confirm(&question, refusal)? {
            session.close()?;
            // Not an error: nothing failed. The exit code stays 1, so that a script
            // never takes a declined change for a done one.
            ctx.printer.line("cancelled; nothing was written");
            return Ok(Exit::Failed);
        }
    }
    let (run, events, is_resume) = match resume {
        Some((run, events)) => (run, events, true),
        None => (RunDir::create(&ctx.home, &plan)?, Vec::new(), false),
    };
    for t in targets.values() {
        run.save_target(t)?;
    }
    let logs = engine::logs_by_id(&events);
    // Moved, not cloned: a bulk run holds each action's listing once.
    let mut listed = listed;
    let work: Vec<Work> = plan
        .rows
        .iter()
        .map(|r| Work {
            row: r.clone(),
            listed: listed.remove(&r.id),
            log: logs.get(&r.id).cloned().unwrap_or_default(),
            desired: match targets
                .get(&r.id)
                .cloned()
                .or_else(|| run.load_target(&r.id))
            {
                Some(doc) => Desired::Document(Box::new(doc)),
                None => Desired::Timeout(r.new_timeout),
            },
        })
        .collect();
    let opts = EngineOptions {
        concurrency: crate::fastpath::bulk_concurrency(ctx, &session.client),
        verify: plan.verify,
        also_draft: plan.also_draft,
        require_old: plan.require_old,
        crash: ctx.crash.map(|at| {
            CrashHook::new(at, |at| {
                eprintln!("dactl: test crash hook reached at {at}");
                std::process::exit(137);
            })
        }),
        audit_file: ctx.home.join("audit.ndjson"),
        target: plan.target.clone(),
        stop: ctx.stop.clone(),
    };
    // Work finished before a resume is counted apart: the bar and its rate are this
    // attempt's writes only.
    let done_before: HashSet<String> = work
        .iter()
        .filter(|w| w.log.done && w.row.verdict == Verdict::Change)
        .map(|w| w.row.id.clone())
        .collect();
    let reporter = Arc::new(ctx.printer.progress(changes as u64, done_before));
    let run_id = run.id.clone();
    let (outcomes, summary, _run) = engine::execute(
        session.client.clone(),
        run,
        &plan,
        work,
        opts,
        reporter.clone(),
        is_resume,
    )
    .await?;
    reporter.finish();
    if let Some(seen) = &session.seen {
        for o in outcomes.iter().filter(|o| o.status == Status::Changed) {
            seen.record(&o.id, &o.name, o.to_version, o.new_timeout);
        }
    }
    session.close()?;
    ctx.printer
        .results(&plan, &outcomes, &summary, &every_row(ctx, &plan))?;
    ctx.say(&format!(
        "run {run_id}: {} changed, {} unchanged, {} skipped, {} failed{}",
        crate::screen::thousands(summary.changed as usize),
        crate::screen::thousands(summary.unchanged as usize),
        crate::screen::thousands(summary.skipped as usize),
        crate::screen::thousands(summary.failed as usize),
        if summary.not_started > 0 {
            format!(
                ", {} not started",
                crate::screen::thousands(summary.not_started as usize)
            )
        } else {
            String::new()
        }
    ));
    if let Some(note) = summary
        .token_pool
        .as_ref()
        .and_then(|p| p.fallback_note(Some(ctx.global.rate)))
    {
        ctx.warn(&note);
    }
    if summary.changed > 0 {
        ctx.say(&format!("undo with: {}", ctx.next_step(&["undo", &run_id])));
    }
    let exit = Exit::for_run(&summary, &outcomes);
    if summary.interrupted {
        ctx.say(&format!(
            "interrupted; continue with: {}",
            ctx.next_step(&["runs", "resume", &run_id])
        ));
        return Ok(exit);
    }
    if summary.failed > 0 {
        let mut hints: Vec<String> = Vec::new();
        for o in outcomes.iter().filter(|o| o.status == Status::Failed) {
            ctx.printer.line(&format!(
                "error: `{}` ({}): {}",
                o.name,
                o.id,
                o.message.clone().unwrap_or_default()
            ));
            let failure_hints = o
                .failure
                .as_deref()
                .map(crate::error::hints_for_failure)
                .unwrap_or_default();
            for h in failure_hints {
                // Correlation ids differ per action; general hints are printed once.
                if !hints.contains(&h) && !h.contains("ININ-Correlation-ID") {
                    hints.push(h);
                }
            }
        }
        for h in &hints {
            ctx.printer.line(&format!("hint: {h}"));
        }
        if plan.rows.len() > 1 && summary.not_started > 0 {
            ctx.say(&format!(
                "the canary failed, so no other action was written; fix the cause and run: {}",
                ctx.next_step(&["runs", "resume", &run_id])
            ));
        }
    }
    Ok(exit)
}

/// Open a session for acting on an earlier run, refusing a different target than the run's.
pub(crate) async fn session_for_run(
    ctx: &Context,
    plan: &Plan,
    verb: &str,
) -> anyhow::Result<Session> {
    let session = ctx.session().await?;
    if session.api_base != plan.target {
        return Err(Failure::usage(format!(
            "run `{}` was made against `{}`, not `{}`",
            plan.run_id, plan.target, session.api_base
        ))
        .hint(format!(
            "{verb} with the same --region/--base-url/--sandbox/--profile as the run"
        ))
        .into());
    }
    Ok(session)
}

/// How to see every row of a run's results (when a terminal shows one screen of them).
fn every_row(ctx: &Context, plan: &Plan) -> String {
    ctx.next_step(&["runs", "show", &plan.run_id, "--wide"])
}
