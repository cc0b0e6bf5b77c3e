//! `dactl sandbox serve|reset`: the built-in emulator of the Genesys Cloud API.

use anyhow::Context as _;
use clap::Subcommand;
use serde_json::json;

use crate::context::Context;
use crate::error::{Exit, Failure};
use crate::output::{Format, Table};
use crate::session;

/// `sandbox` subcommands.
// Parsed once per process: the size of the serve flags does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the emulator for any client; prints its base URL and credentials
    #[command(after_help = "\
Point any client at the printed base URL: dactl --base-url URL …, the official SDKs (login on the
same host), or curl. Admin endpoints on loopback only: /__emulator/faults, /__emulator/reset,
/__emulator/requests (the request journal), /__emulator/state.
`--tls` serves HTTPS with a throwaway CA and prints the path of its PEM: pass it to dactl with
`--ca-file PATH` (or `SSL_CERT_FILE=PATH`).

Examples:
  dactl sandbox serve --addr 127.0.0.1:8080
  dactl sandbox serve --actions 10000 --rate-limit 300 --faults faults.toml
  dactl sandbox serve --tls --latency 100 --handshake-latency 100")]
    Serve(genesys_emulator::cli::ServeArgs),
    /// Throw away the sandbox's saved state (the next `--sandbox` command starts from the seed org)
    #[command(after_help = "Example:\n  dactl sandbox reset")]
    Reset,
}

/// `dactl sandbox serve|reset`.
pub(crate) async fn run(ctx: &Context, command: SandboxCommand) -> anyhow::Result<Exit> {
    match command {
        SandboxCommand::Reset => sandbox_reset(ctx),
        SandboxCommand::Serve(args) => sandbox_serve(ctx, args).await,
    }
}

fn sandbox_reset(ctx: &Context) -> anyhow::Result<Exit> {
    let f = session::sandbox_state_file(&ctx.home);
    match std::fs::remove_file(&f) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot remove `{}`", f.display())),
    }
    ctx.say("the sandbox is back to its seed org");
    let mut t = Table::new(&["SANDBOX", "STATE FILE"]);
    t.row(vec!["reset".into(), f.display().to_string()]);
    let rec = json!({"sandbox": "reset", "state_file": f.display().to_string()});
    ctx.printer.records(&t, &[rec])?;
    Ok(Exit::Ok)
}

async fn sandbox_serve(ctx: &Context, a: genesys_emulator::cli::ServeArgs) -> anyhow::Result<Exit> {
    let config = a
        .to_config()
        .map_err(|e| Failure::usage(format!("invalid emulator settings: {e}")))?;
    let addr = a.addr;
    let org = config.orgs.first().cloned();
    let emulator = genesys_emulator::Emulator::new(config);
    let default_ca = ctx.home.join("sandbox").join("ca.pem");
    let (running, ca_file) = a
        .start(&emulator, &default_ca)
        .await
        .with_context(|| format!("cannot serve on {addr}"))?;
    let (id, secret) = org
        .map(|o| (o.client_id, o.client_secret))
        .unwrap_or_default();
    let ca_text = ca_file
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let mut rec = json!({"base_url": running.base_url, "client_id": id, "client_secret": secret});
    if ca_file.is_some() {
        rec["ca_file"] = json!(ca_text);
    }
    match ctx.printer.format {
        Format::Table => ctx.printer.emit(&format!(
            "base URL:      {}\nclient id:     {id}\nclient secret: {secret}\n{}",
            running.base_url,
            if ca_file.is_some() {
                format!("CA file:       {ca_text}\n")
            } else {
                String::new()
            }
        ))?,
        Format::Json => ctx.printer.json(&rec)?,
        _ => {
            let mut t = Table::new(&["base_url", "client_id", "client_secret"]);
            t.row(vec![running.base_url.clone(), id.clone(), secret.clone()]);
            ctx.printer.records(&t, &[rec])?;
        }
    }
    let trust = if ca_file.is_some() {
        format!("--ca-file {} ", crate::suggest::shell_quote(&ca_text))
    } else {
        String::new()
    };
    // The emulator's secret is not a secret (it guards a throwaway org on loopback), and a
    // line that can be pasted as is beats one with a placeholder.
    ctx.say(&format!(
        "try: GENESYSCLOUD_OAUTHCLIENT_ID={} GENESYSCLOUD_OAUTHCLIENT_SECRET={} dactl {trust}--base-url {} list\nCtrl-C stops the emulator",
        crate::suggest::shell_quote(&id),
        crate::suggest::shell_quote(&secret),
        crate::suggest::shell_quote(&running.base_url)
    ));
    while !ctx.stop.load(std::sync::atomic::Ordering::SeqCst) {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    running.shutdown();
    Ok(Exit::Ok)
}
