//! `dactl get ACTION`: one action, as a table of its fields or (`-o json`) the whole
//! document with its template text inlined.

use clap::Args;

use crate::actions::{self, describe_timeout};
use crate::args::SelectorArgs;
use crate::context::Context;
use crate::error::{Exit, Failure};
use crate::output::{effective_cell, Format, Table};
use crate::selection;

/// Arguments of `get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// Action id or exact name
    pub action: String,
}

/// `dactl get`.
pub(crate) async fn run(ctx: &Context, args: GetArgs) -> anyhow::Result<Exit> {
    get(ctx, args.action).await
}

async fn get(ctx: &Context, action: String) -> anyhow::Result<Exit> {
    let sel = selection::selectors(vec![action], SelectorArgs::default())?;
    let session = ctx.session().await?;
    session.client.authenticate().await?;
    session.integrations.start_with_names(&session.client);
    let (found, drafts) = selection::load(&session, &sel).await?;
    let Some(listed) = found.into_iter().next() else {
        return Err(Failure::usage("no such action").into());
    };
    let client = &session.client;
    let (full, fx, names) = tokio::join!(
        client.get_action(&listed.id),
        selection::functions(ctx, &session, std::slice::from_ref(&listed)),
        session.integrations.names(client)
    );
    let full = full?;
    let inlined = actions::inline_templates(client, &full.body, false).await?;
    if let Some(seen) = &session.seen {
        seen.record_action(&full.body);
    }
    session.close()?;
    let draft = drafts.contains(&inlined.id);
    match ctx.printer.format {
        Format::Json | Format::Ndjson => {
            let s = if ctx.printer.format == Format::Json {
                serde_json::to_string_pretty(&inlined)?
            } else {
                serde_json::to_string(&inlined)?
            };
            ctx.printer.emit(&format!("{s}\n"))?;
        }
        Format::Table | Format::Csv => {
            let mut t = Table::new(&["FIELD", "VALUE"]);
            let cfg = inlined.config.clone().unwrap_or_default();
            let req = cfg.request.clone().unwrap_or_default();
            let resp = cfg.response.clone().unwrap_or_default();
            let rows: Vec<(&str, String)> = vec![
                ("name", inlined.name.clone()),
                ("id", inlined.id.clone()),
                ("category", inlined.category.clone().unwrap_or_default()),
                (
                    "integration",
                    match inlined.integration_id.as_deref() {
                        Some(id) => match names.get(id) {
                            Some(name) => format!("{name} ({id})"),
                            None => id.to_string(),
                        },
                        None => String::new(),
                    },
                ),
                ("kind", fx.kind(&inlined).as_str().into()),
                ("timeout", describe_timeout(cfg.timeout_seconds)),
                (
                    "function timeout",
                    fx.function_timeout(&inlined)
                        .map(|f| f.to_string())
                        .unwrap_or_else(|| "-".into()),
                ),
                (
                    "effective timeout",
                    effective_cell(cfg.timeout_seconds, fx.function_timeout(&inlined)),
                ),
                (
                    "version",
                    inlined.version.map(|v| v.to_string()).unwrap_or_default(),
                ),
                (
                    "secure",
                    inlined.secure.map(|v| v.to_string()).unwrap_or_default(),
                ),
                (
                    "draft",
                    if draft {
                        "yes (unpublished draft open)".into()
                    } else {
                        "no".into()
                    },
                ),
                (
                    "request",
                    format!(
                        "{} {}",
                        req.request_type.unwrap_or_default(),
                        req.request_url_template.unwrap_or_default()
                    ),
                ),
                (
                    "request template",
                    req.request_template
                        .map(|t| format!("{} characters", t.chars().count()))
                        .unwrap_or_else(|| "none".into()),
                ),
                (
                    "success template",
                    resp.success_template
                        .map(|t| format!("{} characters", t.chars().count()))
                        .unwrap_or_else(|| "none".into()),
                ),
            ];
            for (k, v) in rows {
                t.row(vec![k.to_string(), v]);
            }
            let s = ctx.printer.table_text(&t);
            ctx.printer.emit(&s)?;
        }
    }
    Ok(Exit::Ok)
}
