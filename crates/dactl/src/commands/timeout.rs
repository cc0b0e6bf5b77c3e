//! `dactl timeout set|unset`: change the timeout of selected actions through the change flow
//! ([`super::change`]).

use std::collections::HashMap;

use clap::{Args, Subcommand};
use genesys_client::Action;

use super::change;
use super::flows;
use crate::actions::Kind;
use crate::args::SelectorArgs;
use crate::context::Context;
use crate::error::{Exit, Failure};
use crate::runs::{Operation, Plan, Verdict, VerifyMode};
use crate::selection;

/// `timeout` subcommands.
#[derive(Debug, Subcommand)]
pub enum TimeoutCommand {
    /// Set the timeout: `dactl timeout set 45s "Get Contact"` or with selectors
    #[command(after_help = "\
DURATION: 30, 30s, 30000ms or 1m; a whole number of seconds from 1 to 60.

Built-in (`static*`) and custom-auth actions cannot take a timeout: named explicitly they are
refused (exit 1); in a selection they are skipped with the reason. A write of more than one
action asks for confirmation on a terminal and needs --yes elsewhere.

Examples:
  dactl timeout set 45s \"Lookup Order Status\"
  dactl timeout set 20 --category Orders --dry-run
  dactl timeout set 1m --name 'Get Queue*' --yes --also-draft
  dactl list --name 'Search*' -o json | jq -r '.[].id' | dactl timeout set 30s --from-file - --yes")]
    Set {
        /// New timeout, 1 to 60 seconds
        duration: String,
        // The actions, and whether to write them.
        #[command(flatten)]
        targets: Targets,
        /// Also set the timeout of an open draft (it is never published)
        #[arg(long)]
        also_draft: bool,
        /// Verification: `canary` re-reads the first action in full before writing others,
        /// `full` re-reads every action, `off` checks PATCH responses only
        #[arg(long, value_enum, default_value_t = VerifyMode::Canary)]
        verify: VerifyMode,
        /// Show how many flows use each action in the plan (one request per action)
        #[arg(long)]
        show_flows: bool,
    },
    /// Remove the explicit timeout (the platform default of 60 s applies)
    #[command(after_help = "\
Examples:
  dactl timeout unset \"Lookup Order Status\"
  dactl timeout unset --category Orders --yes")]
    Unset {
        // The actions, and whether to write them.
        #[command(flatten)]
        targets: Targets,
        /// Also remove the timeout of an open draft (it is never published)
        #[arg(long)]
        also_draft: bool,
        /// Verification mode
        #[arg(long, value_enum, default_value_t = VerifyMode::Canary)]
        verify: VerifyMode,
        /// Show how many flows use each action in the plan (one request per action)
        #[arg(long)]
        show_flows: bool,
    },
}

// Shared by `set` and `unset` (with no doc comment: clap would take it for the command's).
#[derive(Debug, Args)]
pub struct Targets {
    /// Actions by id or exact name
    pub actions: Vec<String>,
    /// Which actions
    #[command(flatten)]
    pub selectors: SelectorArgs,
    /// Show the plan; write nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// `dactl timeout set|unset`.
pub(crate) async fn run(ctx: &Context, command: TimeoutCommand) -> anyhow::Result<Exit> {
    let (op, targets, also_draft, verify, show_flows) = match command {
        TimeoutCommand::Set {
            duration,
            targets,
            also_draft,
            verify,
            show_flows,
        } => {
            let t = crate::duration::parse_timeout(&duration).map_err(|e| {
                Failure::usage(e.to_string()).hint(
                    "give a whole number of seconds from 1 to 60: `30`, `30s`, `30000ms` or `1m`",
                )
            })?;
            let op = Operation::Set { timeout: t };
            (op, targets, also_draft, verify, show_flows)
        }
        TimeoutCommand::Unset {
            targets,
            also_draft,
            verify,
            show_flows,
        } => (Operation::Unset, targets, also_draft, verify, show_flows),
    };
    change(ctx, op, targets, also_draft, verify, show_flows).await
}

/// Plan and run a timeout change of the selected actions.
async fn change(
    ctx: &Context,
    op: Operation,
    targets: Targets,
    also_draft: bool,
    verify: VerifyMode,
    show_flows: bool,
) -> anyhow::Result<Exit> {
    let Targets {
        actions,
        selectors,
        dry_run,
    } = targets;
    let sel = selection::selectors(actions, selectors)?;
    if sel.is_empty() {
        return Err(Failure::usage("no action selected")
            .hint("name actions (`dactl timeout set 30s \"Get Contact\"`) or use --id, --name, --category, --integration, --from-file or --all")
            .into());
    }
    let explicit_only =
        sel.name.is_none() && sel.category.is_none() && sel.integration.is_none() && !sel.all;
    let new = match &op {
        Operation::Set { timeout } => Some(*timeout),
        _ => None,
    };
    let session = ctx.session().await?;
    let (selected, drafts) = crate::fastpath::load_for_change(&session, &sel, new, dry_run).await?;
    if selected.is_empty() {
        return Err(selection::no_match(&session, &sel).await.into());
    }
    let mut rows = change::plan_rows(&selected, &drafts, &|_| new, also_draft);
    selection::functions(ctx, &session, &selected)
        .await
        .annotate(&mut rows, &selected);
    if show_flows {
        flows::annotate_flows(ctx, &session, &mut rows, &flows::secure_ids(&selected)).await;
    }
    if explicit_only && rows.len() == 1 && rows[0].verdict == Verdict::Skip {
        let r = &rows[0];
        return Err(Failure::new(
            Exit::Failed,
            format!(
                "cannot change the timeout of `{}`: {}",
                r.name,
                r.reason.clone().unwrap_or_default()
            ),
        )
        .hint(match r.kind {
            Kind::Builtin => "built-in actions are read-only in the public API",
            _ => "the platform rejects a timeout on custom-authentication actions",
        })
        .into());
    }
    let plan = Plan {
        also_draft,
        verify,
        ..change::new_plan(ctx, &session, op, rows)
    };
    let listed: HashMap<String, Action> = selected.into_iter().map(|a| (a.id.clone(), a)).collect();
    change::execute_plan(ctx, session, plan, listed, dry_run, None, HashMap::new()).await
}
