//! `dactl report --html FILE|-`: read every action (and the draft flags), add the probes stored
//! for this target, and write the self-contained page rendered by [`crate::report`].
//!
//! The file is written whole (temporary file in the same folder, then rename), created with
//! mode 0600 because it lists the org's actions; the folder's own mode is left as it is.

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use serde_json::json;

use std::path::PathBuf;

use clap::Args;

use crate::actions;
use crate::context::Context;
use crate::error::{Exit, Failure};
use crate::output::Format;
use crate::probe;
use crate::report::{self, ReportAction, ReportInput};
use crate::selection;

/// Arguments of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The page to write; `-` writes it to stdout
    #[arg(long, value_name = "FILE")]
    pub html: PathBuf,
}

/// `dactl report --html FILE`.
pub(crate) async fn run(ctx: &Context, args: ReportArgs) -> anyhow::Result<Exit> {
    report(ctx, &args.html).await
}

/// Write `bytes` to `path` atomically; a new file gets mode 0600.
fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report.html".into());
    let tmp = dir.join(format!(
        ".{name}.tmp.{}.{}",
        std::process::id(),
        fastrand::u32(..)
    ));
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let result = (|| {
        let mut f = o.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

pub(crate) async fn report(ctx: &Context, html: &Path) -> anyhow::Result<Exit> {
    // `-` is stdout, as `--from-file -` is stdin.
    let to_stdout = html.as_os_str() == "-";
    if to_stdout && matches!(ctx.printer.format, Format::Json | Format::Ndjson) {
        return Err(Failure::usage(
            "`--html -` writes the page to stdout, so `-o json` has no room there",
        )
        .hint("write the page to a file (`--html report.html -o json`), or drop `-o`")
        .into());
    }
    if !to_stdout && (html.as_os_str().is_empty() || html.is_dir()) {
        return Err(
            Failure::usage(format!("`{}` is not a file name", html.display()))
                .hint("give the page's file name, e.g. `dactl report --html timeouts.html`")
                .into(),
        );
    }
    let session = ctx.session().await?;
    let (all, drafts) = selection::load_all(&session).await?;
    let fx = selection::functions(ctx, &session, &all).await;
    let target = session.api_base.clone();
    session.close()?;
    let probes = probe::load_all(&ctx.home, &target);
    let input = ReportInput {
        target: target.clone(),
        generated_at: crate::runs::now(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        actions: all
            .iter()
            .map(|a| ReportAction {
                id: a.id.clone(),
                name: a.name.clone(),
                category: a.category.clone().unwrap_or_default(),
                integration_id: a.integration_id.clone().unwrap_or_default(),
                kind: fx.kind(a),
                timeout: actions::explicit_timeout(a),
                function_timeout: fx.function_timeout(a),
                draft: drafts.contains(&a.id),
            })
            .collect(),
        probes,
    };
    let page = report::render(&input);
    if to_stdout {
        ctx.printer.emit(&page)?;
    } else {
        write_file(html, page.as_bytes())
            .with_context(|| format!("cannot write `{}`", html.display()))?;
    }
    let outliers = report::outliers(&input.actions, &input.probes)
        .iter()
        .map(|o| o.id.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let probed = input
        .probes
        .iter()
        .filter(|p| input.actions.iter().any(|a| a.id == p.action_id))
        .count();
    let at_default = input
        .actions
        .iter()
        .filter(|a| a.timeout.is_none() && a.kind.refusal().is_none())
        .count();
    if matches!(ctx.printer.format, Format::Json | Format::Ndjson) {
        let doc = json!({"file": html.display().to_string(), "bytes": page.len(),
            "actions": input.actions.len(), "at_default": at_default,
            "outliers": outliers, "probed": probed, "target": target});
        ctx.printer
            .emit(&format!("{}\n", serde_json::to_string(&doc)?))?;
    }
    ctx.say(&format!(
        "wrote {}: {} actions, {at_default} at the platform default, {outliers} stand out, {probed} probed",
        if to_stdout {
            "the page to stdout".to_string()
        } else {
            html.display().to_string()
        },
        input.actions.len()
    ));
    Ok(Exit::Ok)
}
