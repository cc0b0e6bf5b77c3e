//! `dactl profiles list` and `dactl profiles set-secret`: every profile dactl can see, where it
//! came from and where its secret comes from (never the secret itself).

use std::io::Read;

use serde::Serialize;

use clap::Subcommand;

use crate::context::Context;
use crate::error::{Exit, Failure};
use crate::output::Table;
use crate::profiles::{self, Endpoint, SecretRef, Tool};
use crate::settings::SelectedBy;

/// `profiles` subcommands.
#[derive(Debug, Subcommand)]
pub enum ProfilesCommand {
    /// Every profile: where it came from, its region or base URL, client id, and secret source
    #[command(after_help = "\
The secret itself is never shown, only where it comes from. NOTE says which profile is in use
and flags secrets kept in plain text or in files others can read.

Examples:
  dactl profiles list
  dactl profiles list -o json")]
    List,
    /// Store a profile's client secret in the OS keyring (read from stdin; needs --features keyring)
    #[command(after_help = "\
The profile must set `client_secret_keyring = true`. The secret is stored under service `dactl`,
account NAME.

Example:
  printf %s \"$SECRET\" | dactl profiles set-secret prod")]
    SetSecret {
        /// Profile name (in dactl's config)
        name: String,
    },
}

/// `dactl profiles list|set-secret`.
pub(crate) async fn run(ctx: &Context, command: ProfilesCommand) -> anyhow::Result<Exit> {
    match command {
        ProfilesCommand::List => profiles_list(ctx),
        ProfilesCommand::SetSecret { name } => profiles_set_secret(ctx, &name),
    }
}

/// One row of `profiles list -o json` (field names are part of the documented output).
#[derive(Debug, Serialize)]
struct ProfileRecord {
    name: String,
    tool: Tool,
    file: String,
    region: Option<String>,
    base_url: Option<String>,
    client_id: Option<String>,
    secret_source: Option<String>,
    secret_kind: Option<&'static str>,
    active: bool,
    note: String,
}

pub(crate) fn profiles_list(ctx: &Context) -> anyhow::Result<Exit> {
    let files = profiles::load_files(&ctx.env)?;
    let all = profiles::all_profiles(&files, &ctx.env)?;
    // Which profile the current flags and environment select (same rules as `resolve`).
    let selected: Option<(String, SelectedBy)> = match (
        ctx.global.profile.as_deref(),
        ctx.env.non_empty(crate::env::DACTL_PROFILE)?,
    ) {
        (Some(n), _) => Some((n.to_string(), SelectedBy::Flag)),
        (None, Some(n)) => Some((n.to_string(), SelectedBy::Env)),
        (None, None) => Some(("default".to_string(), SelectedBy::Default)),
    };
    let active = selected
        .as_ref()
        .and_then(|(n, by)| profiles::find(&all, n).map(|p| (p.tool, p.name.clone(), *by)));
    let mut records = Vec::new();
    let mut table = Table::new(&[
        "NAME",
        "FROM",
        "REGION / BASE URL",
        "CLIENT ID",
        "SECRET FROM",
        "NOTE",
    ]);
    for p in &all {
        let is_active = active
            .as_ref()
            .is_some_and(|(t, n, _)| *t == p.tool && *n == p.name);
        let mut notes: Vec<String> = Vec::new();
        if is_active {
            if let Some((_, _, by)) = &active {
                notes.push(format!("in use ({})", by.describe()));
            }
        }
        if p.tool == Tool::Gc
            && all
                .iter()
                .any(|o| o.tool == Tool::Dactl && o.name == p.name)
        {
            notes.push(format!(
                "shadowed by dactl's `{}`; select it as `gc:{}`",
                p.name, p.name
            ));
        }
        if p.client_id.is_none() {
            notes.push("no credentials (endpoint only)".into());
        }
        notes.extend(p.warnings.iter().map(|w| {
            if w.contains("plain text") {
                "secret in plain text".to_string()
            } else if w.contains("readable by group or others") {
                "file readable by others".to_string()
            } else {
                w.clone()
            }
        }));
        let (region, base_url) = match &p.endpoint {
            Some(Endpoint::Region(r)) => (Some(r.clone()), None),
            Some(Endpoint::BaseUrl(u)) => (None, Some(u.clone())),
            None => (None, None),
        };
        table.row(vec![
            p.name.clone(),
            format!("{} {}", p.tool.as_str(), p.path.display()),
            region
                .clone()
                .or_else(|| base_url.clone())
                .unwrap_or_else(|| "-".into()),
            p.client_id.clone().unwrap_or_else(|| "-".into()),
            p.secret
                .as_ref()
                .map(SecretRef::describe)
                .unwrap_or_else(|| "-".into()),
            notes.join("; "),
        ]);
        records.push(ProfileRecord {
            name: p.name.clone(),
            tool: p.tool,
            file: p.path.display().to_string(),
            region,
            base_url,
            client_id: p.client_id.clone(),
            secret_source: p.secret.as_ref().map(SecretRef::describe),
            secret_kind: p.secret.as_ref().map(SecretRef::kind),
            active: is_active,
            note: notes.join("; "),
        });
    }
    if let Some((n, by)) = &selected {
        if *by != SelectedBy::Default && active.is_none() {
            return Err(Failure::usage(format!(
                "no profile named `{n}` (selected by {})",
                by.describe()
            ))
            .hint("run `dactl profiles list` without `--profile` and `DACTL_PROFILE` to see every profile")
            .into());
        }
    }
    if all.is_empty() {
        let (dactl, _, gc) = profiles::config_paths(&ctx.env)?;
        ctx.say(&format!(
            "no profiles: dactl reads `{}` and gc's `{}`",
            dactl.map(|p| p.display().to_string()).unwrap_or_default(),
            gc.map(|p| p.display().to_string()).unwrap_or_default()
        ));
    }
    ctx.printer.records(&table, &records)?;
    Ok(Exit::Ok)
}

pub(crate) fn profiles_set_secret(ctx: &Context, name: &str) -> anyhow::Result<Exit> {
    let files = profiles::load_files(&ctx.env)?;
    let all = profiles::all_profiles(&files, &ctx.env)?;
    let p = all
        .iter()
        .find(|p| p.tool == Tool::Dactl && p.name == name)
        .ok_or_else(|| {
            Failure::usage(format!("dactl's config has no profile named `{name}`")).hint(
                "add `[profiles.NAME]` with `client_id` and `client_secret_keyring = true` first",
            )
        })?;
    if !matches!(p.secret, Some(SecretRef::Keyring { .. })) {
        return Err(Failure::usage(format!(
            "{} does not read its secret from the keyring",
            p.label()
        ))
        .hint("set `client_secret_keyring = true` in the profile (and remove its other secret source)")
        .into());
    }
    if ctx.term.stdin_tty {
        eprint!(
            "client secret for profile `{name}` (input is not hidden; paste and press Enter): "
        );
    }
    let mut buf = String::new();
    std::io::stdin()
        .read_to_string(&mut buf)
        .map_err(|e| Failure::usage(format!("cannot read the secret from stdin: {e}")))?;
    let secret = buf.lines().next().unwrap_or("").trim().to_string();
    if secret.is_empty() {
        return Err(Failure::usage("no secret on stdin")
            .hint("pipe it in: `printf %s \"$SECRET\" | dactl profiles set-secret NAME`")
            .into());
    }
    profiles::keyring_set(name, &genesys_client::Secret::new(secret))?;
    let record = serde_json::json!({"profile": name, "stored": true,
        "service": profiles::KEYRING_SERVICE, "account": name});
    let mut t = Table::new(&["PROFILE", "STORED IN"]);
    t.row(vec![
        name.to_string(),
        format!(
            "OS keyring (service `{}`, account `{name}`)",
            profiles::KEYRING_SERVICE
        ),
    ]);
    ctx.printer.records(&t, &[record])?;
    Ok(Exit::Ok)
}
