//! `dactl runs list|show|resume`: past runs, from their folders under `$DACTL_HOME/runs/`.

use clap::Subcommand;
use serde::Serialize;
use serde_json::json;

use super::change;
use crate::actions::describe_timeout;
use crate::context::Context;
use crate::error::Exit;
use crate::output::{Format, Table};
use crate::run_ref;
use crate::runs::{self, Plan, RunDir, Summary, Verdict};
use crate::selection;

/// `runs` subcommands.
#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// Every run, newest last
    #[command(after_help = "Example:\n  dactl runs list -o json")]
    List,
    /// One run: its plan and what happened to each action
    #[command(after_help = "Example:\n  dactl runs show last")]
    Show {
        /// Run id (or a unique prefix, or `last`)
        run: String,
    },
    /// Continue a run that was interrupted or killed; finished actions are not written again
    #[command(after_help = "\
A write whose outcome is unknown (the process died after sending it) is settled by re-reading the
action first. Use the same --region/--base-url/--profile as the run.

Example:
  dactl runs resume last")]
    Resume {
        /// Run id (or a unique prefix, or `last`)
        run: String,
    },
}

/// `dactl runs list|show|resume`.
pub(crate) async fn run(ctx: &Context, command: RunsCommand) -> anyhow::Result<Exit> {
    match command {
        RunsCommand::List => runs_list(ctx),
        RunsCommand::Show { run } => runs_show(ctx, &run),
        RunsCommand::Resume { run } => runs_resume(ctx, &run).await,
    }
}

fn runs_list(ctx: &Context) -> anyhow::Result<Exit> {
    #[derive(Serialize)]
    struct RunRecord {
        id: String,
        started_at: String,
        command: String,
        status: String,
        changed: u64,
        unchanged: u64,
        skipped: u64,
        failed: u64,
        planned: usize,
    }
    let mut records = Vec::new();
    for id in runs::list_run_ids(&ctx.home) {
        let path = runs::runs_root(&ctx.home).join(&id);
        let Ok(plan) = std::fs::read(path.join("plan.json"))
            .map_err(anyhow::Error::from)
            .and_then(|b| serde_json::from_slice::<Plan>(&b).map_err(anyhow::Error::from))
        else {
            continue;
        };
        let summary = runs::read_summary(&path);
        let status = runs::RunStatus::of(summary.as_ref());
        let s = summary.unwrap_or_else(|| {
            let events = runs::read_journal(&path).unwrap_or_default();
            let folded = runs::fold(&events);
            Summary {
                changed: folded.values().filter(|l| l.done).count() as u64,
                ..Summary::default()
            }
        });
        records.push(RunRecord {
            id,
            started_at: plan.created_at,
            command: plan.command,
            status: status.label().into(),
            changed: s.changed,
            unchanged: s.unchanged,
            skipped: s.skipped,
            failed: s.failed,
            planned: plan.rows.len(),
        });
    }
    let mut t = Table::new(&["RUN", "STARTED", "STATUS", "CHANGED", "FAILED", "COMMAND"]);
    for r in &records {
        t.row(vec![
            r.id.clone(),
            // On a terminal `2026-12-02T07:22:30.484Z` reads `2026-12-02 07:22`; CSV and
            // JSON keep the full time.
            match (
                ctx.printer.format,
                ctx.printer.style.width,
                r.started_at.get(..16),
            ) {
                (Format::Table, Some(_), Some(t)) if !ctx.printer.style.wide => {
                    t.replacen('T', " ", 1)
                }
                _ => r.started_at.clone(),
            },
            r.status.clone(),
            r.changed.to_string(),
            r.failed.to_string(),
            r.command.clone(),
        ]);
    }
    ctx.printer.records(&t, &records)?;
    Ok(Exit::Ok)
}

fn runs_show(ctx: &Context, run: &str) -> anyhow::Result<Exit> {
    let path = runs::find_run(&ctx.home, run)?;
    let plan: Plan = serde_json::from_slice(&std::fs::read(path.join("plan.json"))?)?;
    let events = runs::read_journal(&path)?;
    let folded = runs::fold(&events);
    #[derive(Serialize)]
    struct Row<'a> {
        id: &'a str,
        name: &'a str,
        old_timeout: Option<i64>,
        new_timeout: Option<i64>,
        verdict: Verdict,
        state: runs::ActionState,
    }
    let mut t = Table::new(&["NAME", "ID", "OLD", "NEW", "VERDICT", "STATE"]);
    let mut records = Vec::new();
    for r in &plan.rows {
        let l = folded.get(&r.id).cloned().unwrap_or_default();
        let state = runs::ActionState::of(&l, r.verdict);
        t.row(vec![
            r.name.clone(),
            r.id.clone(),
            describe_timeout(r.old_timeout),
            describe_timeout(r.new_timeout),
            r.verdict.as_str().into(),
            state.label().into(),
        ]);
        records.push(Row {
            id: &r.id,
            name: &r.name,
            old_timeout: r.old_timeout,
            new_timeout: r.new_timeout,
            verdict: r.verdict,
            state,
        });
    }
    let pool = runs::TokenPool::of_journal(&events);
    if ctx.printer.format == Format::Json {
        let mut doc = json!({"run_id": plan.run_id, "created_at": plan.created_at, "command": plan.command,
            "operation": plan.operation, "target": plan.target, "actions": records});
        if let Some(p) = &pool {
            doc["token_pool"] = json!(p);
        }
        ctx.printer.json(&doc)?;
    } else {
        if ctx.printer.format == Format::Table {
            ctx.say(&format!(
                "run {} ({}), {}: {}",
                plan.run_id, plan.created_at, plan.target, plan.command
            ));
        }
        if let Some(note) = pool.as_ref().and_then(|p| p.fallback_note(None)) {
            ctx.say(&format!("note: {note}"));
        }
        if ctx.printer.summarise(t.rows.len()) {
            // One screen: counts by state, then the rows not done first.
            let mut counts: Vec<(&str, usize)> = Vec::new();
            for r in &records {
                match counts.iter_mut().find(|(s, _)| *s == r.state.label()) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((r.state.label(), 1)),
                }
            }
            let mut order: Vec<usize> = (0..t.rows.len()).collect();
            order.sort_by_key(|&i| (records[i].state.rank(), i));
            let shown = Table {
                headers: t.headers.clone(),
                rows: order
                    .iter()
                    .take(crate::screen::SCREEN_ROWS)
                    .map(|&i| t.rows[i].clone())
                    .collect(),
            };
            let counts: Vec<String> = counts
                .iter()
                .map(|(s, n)| format!("{} {s}", crate::screen::thousands(*n)))
                .collect();
            ctx.printer.emit(&format!(
                "{} actions: {}\n{}\n{} of {} rows shown: failed first, then pending; every row: {}\n",
                crate::screen::thousands(t.rows.len()),
                counts.join(", "),
                shown.render(ctx.printer.style),
                crate::screen::SCREEN_ROWS,
                crate::screen::thousands(t.rows.len()),
                ctx.next_step(&["runs", "show", &plan.run_id, "--wide"])
            ))?;
        } else {
            ctx.printer.records(&t, &records)?;
        }
    }
    Ok(Exit::Ok)
}

async fn runs_resume(ctx: &Context, run: &str) -> anyhow::Result<Exit> {
    let (dir, plan, events) = RunDir::open(&ctx.home, &run_ref::resolve_run_ref(ctx, run)?)?;
    let session = change::session_for_run(ctx, &plan, "resume").await?;
    let ids: Vec<String> = plan
        .rows
        .iter()
        .filter(|r| r.verdict == Verdict::Change)
        .map(|r| r.id.clone())
        .collect();
    let listed = selection::list_by_ids(&session, &ids).await?;
    ctx.say(&format!("resuming run {}", plan.run_id));
    change::execute_plan(
        ctx,
        session,
        plan,
        listed,
        false,
        Some((dir, events)),
        std::collections::HashMap::new(),
    )
    .await
}
