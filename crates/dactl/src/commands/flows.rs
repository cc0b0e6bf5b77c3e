//! `dactl flows ACTION`, and "used by N flows" in bulk plans (`--show-flows`): the blast
//! radius of a timeout change, from Architect's dependency tracking (genesys-api.md §1, A2).
//!
//! A secure action may be indexed as `SECUREACTION` rather than `DATAACTION` (genesys-api.md
//! §7): for secure actions both are asked and the answers merged.
//!
//! The answer comes from Architect's dependency index, whose freshness is undocumented (U15):
//! it is shown as advisory, never used to decide anything. `--show-flows` costs one request per
//! planned action (more for actions with over 100 consumers), so it is opt-in; a failure to
//! count (typically a missing `architect:dependencyTracking:view` permission) leaves the count
//! blank with one warning rather than failing the plan.

use std::collections::HashMap;

use genesys_client::{Consumers, Dependency, ErrorKind, FlowFilter};
use serde_json::json;

use clap::Args;

use crate::args::SelectorArgs;
use crate::context::Context;
use crate::error::{exit_for_kind, Exit, Failure};
use crate::output::{self, Format, Table};
use crate::runs::PlanRow;
use crate::selection;
use crate::session::Session;

/// Arguments of `flows`.
#[derive(Debug, Args)]
pub struct FlowsArgs {
    /// Action id or exact name
    pub action: String,
    /// Only published flow versions
    #[arg(long)]
    pub published: bool,
}

/// `dactl flows`.
pub(crate) async fn run(ctx: &Context, args: FlowsArgs) -> anyhow::Result<Exit> {
    flows(ctx, args.action, args.published).await
}

/// The permission dependency tracking needs.
pub(crate) const DEPENDENCY_PERMISSION: &str = "architect:dependencyTracking:view";

/// The ids of the secure actions among `actions`.
pub(crate) fn secure_ids(actions: &[genesys_client::Action]) -> std::collections::HashSet<String> {
    actions
        .iter()
        .filter(|a| a.secure == Some(true))
        .map(|a| a.id.clone())
        .collect()
}

pub(crate) async fn flows(ctx: &Context, action: String, published: bool) -> anyhow::Result<Exit> {
    let sel = selection::selectors(vec![action], SelectorArgs::default())?;
    let session = ctx.session().await?;
    let (found, _) = selection::load(&session, &sel).await?;
    let Some(a) = found.into_iter().next() else {
        return Err(Failure::usage("no such action").into());
    };
    let filter = published.then_some(FlowFilter::Published);
    // A secure action may be indexed as SECUREACTION: both are asked and merged.
    let consumers = session
        .client
        .action_consumers(&a.id, a.secure == Some(true), filter)
        .await
        .map_err(|e| {
            let mut f = Failure::new(
                exit_for_kind(e.kind()),
                format!("cannot list the flows that use `{}`: {e}", a.name),
            );
            if e.kind() == ErrorKind::Permission {
                f = f.hint(format!(
                    "dependency tracking needs the permission `{DEPENDENCY_PERMISSION}`"
                ));
            }
            f
        })?;
    session.close()?;
    let Consumers {
        entities,
        total,
        complete,
    } = consumers;
    let mut t = Table::new(&["FLOW", "TYPE", "VERSION", "ID"]);
    for d in &entities {
        t.row(vec![
            d.name.clone().unwrap_or_default(),
            d.kind.clone().unwrap_or_default(),
            d.version.clone().unwrap_or_default(),
            d.id.clone(),
        ]);
    }
    let text = match ctx.printer.format {
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&json!({
                "action": {"id": a.id, "name": a.name},
                "published_only": published,
                "complete": complete,
                "total": total,
                "flows": entities,
            }))?
        ),
        Format::Ndjson => output::ndjson::<Dependency>(&entities)?,
        Format::Csv => t.to_csv(),
        Format::Table if entities.is_empty() => String::new(),
        Format::Table => format!("{}\n", t.render(ctx.printer.style)),
    };
    ctx.printer.emit(&text)?;
    ctx.say(&format!(
        "{} used by {} (Architect's dependency index; advisory: it may lag behind recent changes)",
        a.name,
        crate::output::used_by(Some(entities.len() as u64)),
    ));
    if !complete {
        ctx.say(&format!(
            "warning: the dependency index answered {} of {} consumers or said it is incomplete; the list may be short",
            entities.len(),
            total.map(|t| t.to_string()).unwrap_or_else(|| "?".into())
        ));
    }
    Ok(Exit::Ok)
}

/// Fill `flows` ("used by N flows") of every plan row, one request per action at
/// `--concurrency` at a time (two for a secure action, in `secure`: the index may keep it
/// as `SECUREACTION`). Failures leave the count empty and are reported once.
pub(crate) async fn annotate_flows(
    ctx: &Context,
    session: &Session,
    rows: &mut [PlanRow],
    secure: &std::collections::HashSet<String>,
) {
    if rows.len() > 60 {
        let minutes = rows.len() as f64 / f64::from(ctx.global.rate.max(1));
        ctx.say(&format!(
            "counting the flows of {} actions: one request each, about {:.0} min at --rate {}/min",
            rows.len(),
            minutes.ceil(),
            ctx.global.rate
        ));
    }
    let read = crate::fanout::bounded(ctx.global.concurrency.into(), rows.iter(), |r| {
        let client = session.client.clone();
        let id = r.id.clone();
        let secure = secure.contains(&r.id);
        async move {
            let n = client.action_consumers(&id, secure, None).await;
            (id, n)
        }
    })
    .await;
    let mut counts: HashMap<String, u64> = HashMap::new();
    let mut first_error: Option<genesys_client::Error> = None;
    let mut failed = 0usize;
    let mut incomplete = 0usize;
    for (id, r) in read {
        match r {
            Ok(c) => {
                if !c.complete {
                    incomplete += 1;
                }
                counts.insert(id, c.entities.len() as u64);
            }
            Err(e) => {
                failed += 1;
                if first_error.is_none() {
                    first_error = Some(e);
                }
            }
        }
    }
    for r in rows.iter_mut() {
        r.flows = counts.get(&r.id).copied();
    }
    if let Some(e) = first_error {
        let hint = if e.kind() == ErrorKind::Permission {
            format!(" (the OAuth client needs `{DEPENDENCY_PERMISSION}`)")
        } else {
            String::new()
        };
        ctx.say(&format!(
            "warning: could not count the flows of {failed} action(s): {e}{hint}"
        ));
    }
    if incomplete > 0 {
        ctx.say(&format!(
            "warning: the dependency index gave incomplete answers for {incomplete} action(s)"
        ));
    }
    if !rows.is_empty() {
        ctx.say("flow counts come from Architect's dependency index: advisory, it may lag behind recent changes");
    }
}
