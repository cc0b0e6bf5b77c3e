//! `dactl list`: actions with their timeout, effective timeout, kind and draft flag.

use clap::Args;
use serde::Serialize;

use crate::actions::{describe_timeout, explicit_timeout, Kind};
use crate::args::SelectorArgs;
use crate::context::Context;
use crate::error::Exit;
use crate::output::{effective_cell, Table};
use crate::selection;

/// Arguments of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Which actions (default: all)
    #[command(flatten)]
    pub selectors: SelectorArgs,
}

/// `dactl list`.
pub(crate) async fn run(ctx: &Context, args: ListArgs) -> anyhow::Result<Exit> {
    list(ctx, args.selectors).await
}

/// One row of `list` (DESIGN §3).
#[derive(Debug, Serialize)]
struct ListRecord<'a> {
    id: &'a str,
    name: &'a str,
    category: Option<&'a str>,
    integration_id: Option<&'a str>,
    /// The integration's name (null when the integrations could not be read).
    integration_name: Option<&'a str>,
    timeout_seconds: Option<i64>,
    kind: Kind,
    function_timeout_seconds: Option<i64>,
    effective_timeout_seconds: i64,
    draft: bool,
    secure: Option<bool>,
    version: Option<i64>,
}

async fn list(ctx: &Context, s: SelectorArgs) -> anyhow::Result<Exit> {
    let sel = selection::selectors(Vec::new(), s)?;
    let session = ctx.session().await?;
    // One integrations listing classifies the actions and names their integrations
    // (started once the token is there, so that refused credentials are tried once).
    session.client.authenticate().await?;
    session.integrations.start_with_names(&session.client);
    let (actions_, drafts) = selection::load(&session, &sel).await?;
    let fx = selection::functions(ctx, &session, &actions_).await;
    let names = session.integrations.names(&session.client).await;
    if actions_.is_empty() && !sel.is_empty() && !sel.all {
        for h in selection::no_match(&session, &sel).await.hints {
            ctx.say(&format!("note: {h}"));
        }
    }
    session.close()?;
    let mut table = Table::new(&[
        "NAME",
        "CATEGORY",
        "TIMEOUT",
        "EFFECTIVE",
        "KIND",
        "DRAFT",
        "ID",
        "INTEGRATION",
    ]);
    let mut records = Vec::new();
    for a in &actions_ {
        let draft = drafts.contains(&a.id);
        let function_timeout = fx.function_timeout(a);
        let integration_name = a
            .integration_id
            .as_deref()
            .and_then(|i| names.get(i))
            .map(String::as_str);
        table.row(vec![
            a.name.clone(),
            a.category.clone().unwrap_or_default(),
            describe_timeout(explicit_timeout(a)),
            effective_cell(explicit_timeout(a), function_timeout),
            fx.kind(a).as_str().to_string(),
            if draft { "yes".into() } else { String::new() },
            a.id.clone(),
            integration_name
                .or(a.integration_id.as_deref())
                .unwrap_or_default()
                .to_string(),
        ]);
        records.push(ListRecord {
            id: &a.id,
            name: &a.name,
            category: a.category.as_deref(),
            integration_id: a.integration_id.as_deref(),
            integration_name,
            timeout_seconds: explicit_timeout(a),
            kind: fx.kind(a),
            function_timeout_seconds: function_timeout,
            effective_timeout_seconds: fx.effective(a, explicit_timeout(a)),
            draft,
            secure: a.secure,
            version: a.version,
        });
    }
    ctx.printer.records(&table, &records)?;
    Ok(Exit::Ok)
}
