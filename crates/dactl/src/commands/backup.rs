//! `dactl backup --out DIR`: save selected actions as restorable JSON documents plus an index.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use serde_json::json;

use crate::actions::{self, describe_timeout, explicit_timeout};
use crate::args::SelectorArgs;
use crate::context::Context;
use crate::error::{Exit, Failure};
use crate::output::{Format, Table};
use crate::runs;
use crate::selection;

/// Arguments of `backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Which actions
    #[command(flatten)]
    pub selectors: SelectorArgs,
    /// Folder to write (created, mode 0700)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// `dactl backup`.
pub(crate) async fn run(ctx: &Context, args: BackupArgs) -> anyhow::Result<Exit> {
    backup(ctx, args.selectors, &args.out).await
}

async fn backup(ctx: &Context, s: SelectorArgs, out: &Path) -> anyhow::Result<Exit> {
    let sel = selection::selectors(Vec::new(), s)?;
    if sel.is_empty() {
        return Err(Failure::usage("no action selected")
            .hint("use --all, or --name, --category, --integration, --id, --from-file")
            .into());
    }
    let session = ctx.session().await?;
    let (selected, _) = selection::load(&session, &sel).await?;
    crate::fsutil::private_dir(out)
        .with_context(|| format!("cannot create `{}`", out.display()))?;
    let inlined = crate::fanout::bounded(ctx.global.concurrency.into(), selected, |a| {
        let client = session.client.clone();
        async move { actions::inline_templates(&client, &a, false).await }
    })
    .await;
    let mut index = Vec::new();
    for a in inlined {
        let a = a?;
        let file = runs::backup_file_name(&a.id);
        crate::fsutil::write_private(&out.join(&file), &serde_json::to_vec_pretty(&a)?)?;
        index.push(json!({"id": a.id, "name": a.name, "category": a.category, "integrationId": a.integration_id,
            "version": a.version, "timeoutSeconds": explicit_timeout(&a), "file": file}));
    }
    index.sort_by(|a, b| {
        a["name"]
            .as_str()
            .cmp(&b["name"].as_str())
            .then(a["id"].as_str().cmp(&b["id"].as_str()))
    });
    let doc = json!({"created_at": runs::now(), "target": session.api_base, "count": index.len(), "actions": index});
    crate::fsutil::write_private(&out.join("index.json"), &serde_json::to_vec_pretty(&doc)?)?;
    session.close()?;
    ctx.say(&format!(
        "backed up {} actions to {}",
        index.len(),
        out.display()
    ));
    match ctx.printer.format {
        Format::Json => ctx.printer.json(&doc)?,
        _ => {
            let mut t = Table::new(&["NAME", "ID", "TIMEOUT", "VERSION", "FILE"]);
            for e in &index {
                t.row(vec![
                    e["name"].as_str().unwrap_or_default().to_string(),
                    e["id"].as_str().unwrap_or_default().to_string(),
                    describe_timeout(e["timeoutSeconds"].as_i64()),
                    e["version"]
                        .as_i64()
                        .map(|v| v.to_string())
                        .unwrap_or_default(),
                    e["file"].as_str().unwrap_or_default().to_string(),
                ]);
            }
            ctx.printer.records(&t, &index)?;
        }
    }
    Ok(Exit::Ok)
}
