//! `dactl plan -f POLICY.toml [--detailed-exitcode]` and `dactl apply -f POLICY.toml`:
//! timeouts as code (the file format is in [`crate::policy`]).
//!
//! Both read the policy and validate it before connecting, then read every action and give
//! each the timeout of the first rule that matches it (or the `default`). Actions no rule
//! matches, with no `default`, are left out of the plan entirely. `plan` prints the diff
//! against the live org and writes nothing; with `--detailed-exitcode` it follows Terraform's
//! contract for drift checks in CI: 0 the org matches, 1 an error (of any kind), 2 changes
//! are pending. `apply`
//! turns the same plan into a bulk run (`Operation::Policy`, one new timeout per row), so
//! confirmation, backups, the journal, `runs resume` and `undo` work as for `timeout set`.

use std::collections::HashMap;
use std::path::Path;

use genesys_client::Action;
use serde::Serialize;
use serde_json::json;

use std::path::PathBuf;

use clap::Args;

use super::change;
use super::flows;
use crate::context::Context;
use crate::error::{Exit, Failure};
use crate::output::{self, Format, Table};
use crate::policy::Policy;
use crate::runs::{Operation, Plan, PlanRow, Verdict, VerifyMode};
use crate::selection;
use crate::selector;
use crate::session::Session;

/// Arguments of `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The policy file
    #[arg(short = 'f', long = "file", value_name = "POLICY.toml")]
    pub file: PathBuf,
    /// Exit codes for CI, as Terraform's: 0 the org matches, 1 an error, 2 changes pending
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Show how many flows use each action (one request per action)
    #[arg(long)]
    pub show_flows: bool,
}

/// Arguments of `apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The policy file
    #[arg(short = 'f', long = "file", value_name = "POLICY.toml")]
    pub file: PathBuf,
    /// Also set the timeout of open drafts (they are never published)
    #[arg(long)]
    pub also_draft: bool,
    /// Verification mode
    #[arg(long, value_enum, default_value_t = VerifyMode::Canary)]
    pub verify: VerifyMode,
    /// Show how many flows use each action in the plan (one request per action)
    #[arg(long)]
    pub show_flows: bool,
}

/// `dactl plan -f POLICY.toml`.
pub(crate) async fn plan(ctx: &Context, args: PlanArgs) -> anyhow::Result<Exit> {
    match plan_policy(ctx, &args.file, args.detailed_exitcode, args.show_flows).await {
        // Terraform's contract: 2 means changes, so every error is 1 (rendered here, with
        // the one renderer, since the binary would map it to its own code).
        Err(e) if args.detailed_exitcode => {
            eprint!("{}", crate::error::render(&e));
            Ok(Exit::Failed)
        }
        r => r,
    }
}

/// `dactl apply -f POLICY.toml`.
pub(crate) async fn apply(ctx: &Context, args: ApplyArgs) -> anyhow::Result<Exit> {
    apply_policy(
        ctx,
        &args.file,
        args.also_draft,
        args.verify,
        args.show_flows,
    )
    .await
}

/// A plan row with the rule that decided it.
#[derive(Debug, Serialize)]
struct PolicyRow<'a> {
    #[serde(flatten)]
    row: &'a PlanRow,
    rule: &'a str,
}

/// What a policy means for the org.
struct PolicyPlan {
    rows: Vec<PlanRow>,
    /// Rule label by action id.
    rules: HashMap<String, String>,
    listed: HashMap<String, Action>,
    /// Actions no rule matches (and no default).
    left_alone: usize,
}

impl PolicyPlan {
    fn count(&self, v: Verdict) -> usize {
        self.rows.iter().filter(|r| r.verdict == v).count()
    }
}

/// Read and validate a policy file (exit 2 on any problem, before any request).
pub(crate) fn read_policy(path: &Path) -> Result<Policy, Failure> {
    let label = selector::shorten(&path.display().to_string());
    let bytes =
        std::fs::read(path).map_err(|e| Failure::usage(format!("cannot read `{label}`: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::usage(format!("`{label}` is not UTF-8 text")))?;
    Policy::parse(&label, &text)
}

async fn policy_plan(
    ctx: &Context,
    session: &Session,
    policy: &Policy,
    also_draft: bool,
    show_flows: bool,
) -> anyhow::Result<PolicyPlan> {
    let (all, drafts) = selection::load_all(session).await?;
    for w in policy.check_matches(&all)? {
        ctx.say(&format!("warning: {w}"));
    }
    let mut rules = HashMap::new();
    let mut matched = Vec::new();
    let mut left_alone = 0;
    for a in &all {
        match policy.target(a) {
            Some((_, source)) => {
                rules.insert(a.id.clone(), policy.describe(source));
                matched.push(a.clone());
            }
            None => left_alone += 1,
        }
    }
    let mut rows = change::plan_rows(
        &matched,
        &drafts,
        &|a| policy.target(a).map(|(t, _)| t),
        also_draft,
    );
    selection::functions(ctx, session, &matched)
        .await
        .annotate(&mut rows, &matched);
    if show_flows {
        flows::annotate_flows(ctx, session, &mut rows, &flows::secure_ids(&matched)).await;
    }
    let listed = matched.into_iter().map(|a| (a.id.clone(), a)).collect();
    Ok(PolicyPlan {
        rows,
        rules,
        listed,
        left_alone,
    })
}

pub(crate) async fn plan_policy(
    ctx: &Context,
    file: &Path,
    detailed_exitcode: bool,
    show_flows: bool,
) -> anyhow::Result<Exit> {
    let policy = read_policy(file)?;
    let session = ctx.session().await?;
    let p = policy_plan(ctx, &session, &policy, false, show_flows).await?;
    let target = session.api_base.clone();
    session.close()?;
    let records: Vec<PolicyRow> = p
        .rows
        .iter()
        .map(|r| PolicyRow {
            row: r,
            rule: p.rules.get(&r.id).map(String::as_str).unwrap_or(""),
        })
        .collect();
    let changes = p.count(Verdict::Change);
    // The table shows what matters: changes and what cannot be changed. CSV and JSON
    // carry every matched action.
    let csv = ctx.printer.format == Format::Csv;
    let t = crate::screen::plan_table(&p.rows, Some(&p.rules), |r| {
        csv || r.verdict != Verdict::Unchanged
    });
    let text = match ctx.printer.format {
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&json!({
                "policy": policy.file,
                "target": target,
                "summary": {
                    "change": changes,
                    "unchanged": p.count(Verdict::Unchanged),
                    "skip": p.count(Verdict::Skip),
                    "left_alone": p.left_alone,
                },
                "rows": records,
            }))?
        ),
        Format::Ndjson => output::ndjson(&records)?,
        Format::Csv => t.to_csv(),
        Format::Table if t.rows.is_empty() => String::new(),
        Format::Table if ctx.printer.summarise(t.rows.len()) => {
            // One screen on a terminal (see `crate::screen`).
            let shown = Table {
                headers: t.headers.clone(),
                rows: t.rows[..crate::screen::SCREEN_ROWS].to_vec(),
            };
            format!(
                "{}{}\n{} of {} rows shown. The whole plan: `-o json` or `-o csv`, or piped to `less`\n",
                crate::screen::plan_head(
                    &p.rows,
                    false,
                    ctx.printer.style.width.map(usize::from).unwrap_or(usize::MAX)
                ),
                shown.render(ctx.printer.style),
                crate::screen::SCREEN_ROWS,
                crate::screen::thousands(t.rows.len())
            )
        }
        Format::Table => format!("{}\n", t.render(ctx.printer.style)),
    };
    ctx.printer.emit(&text)?;
    ctx.say(&format!(
        "plan: {changes} to change, {} unchanged, {} skipped; {} left alone (no rule matches{})",
        p.count(Verdict::Unchanged),
        p.count(Verdict::Skip),
        p.left_alone,
        if policy.default.is_some() {
            ""
        } else {
            ", no default"
        }
    ));
    if changes == 0 {
        ctx.say(&format!("no changes: the org matches `{}`", policy.file));
        return Ok(Exit::Ok);
    }
    ctx.say(&format!(
        "apply with: {}",
        ctx.next_step(&["apply", "-f", &file.display().to_string()])
    ));
    Ok(if detailed_exitcode {
        Exit::Changes
    } else {
        Exit::Ok
    })
}

pub(crate) async fn apply_policy(
    ctx: &Context,
    file: &Path,
    also_draft: bool,
    verify: VerifyMode,
    show_flows: bool,
) -> anyhow::Result<Exit> {
    let policy = read_policy(file)?;
    let session = ctx.session().await?;
    let p = policy_plan(ctx, &session, &policy, also_draft, show_flows).await?;
    if p.rows.is_empty() {
        session.close()?;
        ctx.say(&format!(
            "`{}` matches no action; nothing to change",
            policy.file
        ));
        return Ok(Exit::Ok);
    }
    let plan = Plan {
        also_draft,
        verify,
        ..change::new_plan(ctx, &session, Operation::Policy, p.rows)
    };
    change::execute_plan(ctx, session, plan, p.listed, false, None, HashMap::new()).await
}
