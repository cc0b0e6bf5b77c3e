//! `dactl auth check`: can these credentials read and change Data Actions, and which optional
//! features will work? Nothing is changed.
//!
//! 1. **token**: a client-credentials token is requested (a failure names where the
//!    credentials came from).
//! 2. **view** (required): `GET /api/v2/integrations/actions?pageSize=100` lists the first
//!    page of actions; it needs `integrations:action:view` (or `bridge:actions:view`). At the
//!    same time the drafts listing (`pageSize=1`) and the integrations of type
//!    `function-data-actions` are read, to find real ids to probe with.
//! 3. **edit** (required): `GET /api/v2/integrations/actions/{id}/draft/validation`. The
//!    contract requires `integrations:action:edit` for this *read* (genesys-api.md §1, D5), so
//!    it probes the edit permission without writing anything. It is decisive only on an action
//!    with an open draft (200 = allowed, 403 = missing), so such an action is used when the org
//!    has one. On an action without a draft the answer is 404, and whether the platform checks
//!    the permission before it finds no draft is unpublished: that reports **unknown**, as does
//!    a 400 or 409, which says nothing about the permission. A 403 is always decisive. (A PATCH
//!    with a stale version would be decisive but is a write that would land if the platform
//!    ever stopped checking versions.)
//! 4. **optional** rows, each marked optional, for the features that need more:
//!    - `integrations:action:execute` (`probe`): `POST …/actions/{made-up id}/test` with `{}`.
//!      No action has that id, so nothing runs; 403 = missing, anything else = unknown (the
//!      lookup may come before the permission check).
//!    - `architect:dependencyTracking:view` (`flows`, `--show-flows`): the consumers of a real
//!      action (`pageSize=1`); 200 = ok, 403 = missing.
//!    - `integrations:integration:view` (telling function data actions apart): the
//!      integrations listing read in step 2; 200 = ok, 403 = missing.
//!    - `integrations:actionFunction:view` (function timeouts): `GET …/actions/{id}/function`
//!      of a function data action from the first page when there is one (200 = ok), else of a
//!      made-up id (403 = missing, anything else = unknown).
//!
//! A missing required permission is reported by name with a hint, and exits 4; a missing
//! optional one is reported with what it disables, and the command still exits 0.

use std::collections::HashSet;

use genesys_client::{ErrorKind, Method};
use serde::Serialize;
use serde_json::Value;

use clap::Subcommand;

use crate::context::Context;
use crate::error::{Exit, Failure};
use crate::output::{self, Format, Table};
use crate::settings::TargetSpec;

/// `auth` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Get a token, list one action (view permission) and probe the edit permission; changes nothing
    #[command(after_help = "\
The edit permission is probed with GET /api/v2/integrations/actions/{id}/draft/validation, a
read that the API guards with integrations:action:edit, on an action with an open draft when
there is one: 403 means missing, 200 granted; any other answer is `unknown`. Optional rows
follow for integrations:action:execute (probe), architect:dependencyTracking:view (flows),
integrations:integration:view and integrations:actionFunction:view (function data actions).
Nothing is written. A missing required permission is named, with a hint, and the exit code is
4; a missing optional one is named with what it disables.

Examples:
  dactl auth check
  dactl --profile prod auth check -o json")]
    Check,
    /// Delete the access tokens kept between commands (every profile); the next command logs in
    #[command(after_help = "\
After a login, dactl keeps the access token in $DACTL_HOME/tokens/, encrypted with a key derived
from the client secret, so that the next commands skip the login round trip. A kept token is used
only while it has at least two minutes to live; a refused one is discarded and replaced once.
DACTL_TOKEN_CACHE=off turns this off. `auth forget` deletes every kept token; rotating the client
secret makes the old ones unreadable anyway.

Examples:
  dactl auth forget")]
    Forget,
}

/// `dactl auth check|forget`.
pub(crate) async fn run(ctx: &Context, command: AuthCommand) -> anyhow::Result<Exit> {
    match command {
        AuthCommand::Check => auth_check(ctx).await,
        AuthCommand::Forget => auth_forget(ctx),
    }
}

/// The permission that reading needs (or `bridge:actions:view`).
pub const VIEW: &str = "integrations:action:view";
/// The permission that changing a timeout needs.
pub const EDIT: &str = "integrations:action:edit";
/// The permission that test executions (`probe`) need (or `bridge:actions:execute`).
pub const EXECUTE: &str = "integrations:action:execute";
/// The permission that Architect's dependency tracking (`flows`) needs.
pub const DEPENDENCY: &str = super::flows::DEPENDENCY_PERMISSION;
/// The permission that reading the integrations (function classification) needs.
pub const INTEGRATION_VIEW: &str = crate::functions::INTEGRATION_VIEW;
/// The permission that reading function settings (function timeouts) needs.
pub const FUNCTION_VIEW: &str = crate::functions::FUNCTION_VIEW;

/// An id no action has: probes that must not touch a real action use it.
const MADE_UP_ID: &str = "dactl-auth-check-probe";

/// One check of `auth check` (field names are part of the documented output).
#[derive(Debug, Clone, Serialize)]
struct CheckRecord {
    check: &'static str,
    permission: Option<&'static str>,
    /// Whether dactl's core work (list, change a timeout) needs it.
    optional: bool,
    /// `ok`, `missing` or `unknown`.
    status: &'static str,
    detail: String,
    correlation_id: Option<String>,
}

fn forbidden(e: &genesys_client::Error) -> bool {
    e.kind() == ErrorKind::Permission
}

fn server_message(e: &genesys_client::Error) -> String {
    e.error_body()
        .and_then(|b| b.message.clone())
        .unwrap_or_else(|| e.to_string())
}

/// What a missing optional permission disables.
fn disables(permission: &str) -> &'static str {
    match permission {
        EXECUTE => "`dactl probe` cannot run test executions",
        DEPENDENCY => "`dactl flows` and `--show-flows` cannot list the flows that use an action",
        INTEGRATION_VIEW => "function data actions are recognised by their category only",
        _ => "function timeouts are shown as 15 s, their maximum",
    }
}

/// A check whose answer is data: `Ok` = allowed, 403 = missing, `unknown` otherwise.
fn judged(
    check: &'static str,
    permission: &'static str,
    optional: bool,
    r: Result<genesys_client::Response<Value>, genesys_client::Error>,
    ok_detail: &str,
    unknown_detail: &dyn Fn(&genesys_client::Error) -> String,
) -> CheckRecord {
    let (status, detail, correlation_id) = match r {
        Ok(r) => ("ok", ok_detail.to_string(), r.correlation_id),
        Err(e) if forbidden(&e) => (
            "missing",
            server_message(&e),
            e.correlation_id().map(str::to_string),
        ),
        Err(e) => (
            "unknown",
            unknown_detail(&e),
            e.correlation_id().map(str::to_string),
        ),
    };
    CheckRecord {
        check,
        permission: Some(permission),
        optional,
        status,
        detail,
        correlation_id,
    }
}

fn http(e: &genesys_client::Error) -> String {
    match e.status() {
        Some(s) => format!("HTTP {s}"),
        None => e.to_string(),
    }
}

pub(crate) async fn auth_check(ctx: &Context) -> anyhow::Result<Exit> {
    let settings = ctx.resolve_settings()?;
    let res = &settings.resolution;
    let (api, creds_from, client_id) = match &res.target {
        TargetSpec::Sandbox => (
            "sandbox".to_string(),
            "the built-in sandbox".to_string(),
            genesys_emulator::DEFAULT_CLIENT_ID.to_string(),
        ),
        TargetSpec::Remote {
            environment,
            source,
            client_id,
            ..
        } => (
            environment.api_base.clone(),
            source.clone(),
            client_id.clone(),
        ),
    };
    if ctx.printer.format == Format::Table {
        ctx.say(&format!(
            "api:         {api} (from {})",
            res.endpoint_source
        ));
        ctx.say(&format!("client id:   {client_id}"));
        ctx.say(&format!("credentials: {creds_from}"));
    }
    // Always a new login (this command tests the credentials); the new token is kept.
    let session = crate::session::Session::open(&settings.for_credential_check()).await?;
    let client = session.client.clone();
    let mut checks: Vec<CheckRecord> = Vec::new();

    // 1. Token.
    if let Err(e) = client.authenticate().await {
        session.close()?;
        return Err(anyhow::Error::new(e).context("auth check: the token request failed"));
    }
    checks.push(CheckRecord {
        check: "token",
        permission: None,
        optional: false,
        status: "ok",
        detail: "client-credentials token obtained".into(),
        correlation_id: None,
    });

    // 2. View: the first page of actions; the drafts and the function integrations with it.
    let (listing, drafts, integrations) = tokio::join!(
        client.request_json(
            Method::GET,
            "/api/v2/integrations/actions?pageSize=100&pageNumber=1",
            None,
        ),
        client.request_json(
            Method::GET,
            "/api/v2/integrations/actions/drafts?pageSize=1&pageNumber=1",
            None,
        ),
        client.request_json(
            Method::GET,
            "/api/v2/integrations?integrationType=function-data-actions&pageSize=100&pageNumber=1",
            None,
        ),
    );
    let mut missing: Vec<&'static str> = Vec::new();
    let mut entities: Vec<Value> = Vec::new();
    match listing {
        Ok(r) => {
            entities = r.body["entities"].as_array().cloned().unwrap_or_default();
            let total = r.body["total"].as_i64();
            checks.push(CheckRecord {
                check: "view",
                permission: Some(VIEW),
                optional: false,
                status: "ok",
                detail: match (entities.first(), total) {
                    (Some(a), Some(t)) => format!(
                        "listed `{}` ({t} actions in the org)",
                        a["name"].as_str().unwrap_or("?")
                    ),
                    _ => "listing allowed; the org has no actions".into(),
                },
                correlation_id: r.correlation_id,
            });
        }
        Err(e) if forbidden(&e) => {
            missing.push(VIEW);
            checks.push(CheckRecord {
                check: "view",
                permission: Some(VIEW),
                optional: false,
                status: "missing",
                detail: server_message(&e),
                correlation_id: e.correlation_id().map(str::to_string),
            });
        }
        Err(e) => {
            session.close()?;
            return Err(anyhow::Error::new(e).context("auth check: listing actions failed"));
        }
    }
    // A real, writable action to probe with: built-in and custom-auth actions are not.
    let id_of = |a: &Value| a["id"].as_str().map(str::to_string);
    let writable = entities
        .iter()
        .filter_map(id_of)
        .find(|id| !id.starts_with("static") && !id.starts_with("customAuth"));
    let drafted = drafts.ok().and_then(|r| {
        r.body
            .pointer("/entities/0/id")
            .and_then(Value::as_str)
            .map(str::to_string)
    });

    // 3. Edit: a read that requires the edit permission; changes nothing.
    let (probe_id, how) = match (&drafted, &writable) {
        (Some(d), _) => (d.clone(), "an action with an open draft"),
        (None, Some(w)) => (w.clone(), "an action without an open draft"),
        (None, None) => (MADE_UP_ID.to_string(), "a made-up action id"),
    };
    let path = format!(
        "/api/v2/integrations/actions/{}/draft/validation",
        percent_encode(&probe_id)
    );
    match client.request_json(Method::GET, &path, None).await {
        Ok(r) => checks.push(CheckRecord {
            check: "edit",
            permission: Some(EDIT),
            optional: false,
            status: "ok",
            detail: format!(
                "draft validation (needs edit) of {how} answered 200; nothing was changed"
            ),
            correlation_id: r.correlation_id,
        }),
        Err(e) if forbidden(&e) => {
            missing.push(EDIT);
            checks.push(CheckRecord {
                check: "edit",
                permission: Some(EDIT),
                optional: false,
                status: "missing",
                detail: server_message(&e),
                correlation_id: e.correlation_id().map(str::to_string),
            });
        }
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::NotFound | ErrorKind::BadRequest | ErrorKind::Conflict
            ) =>
        {
            checks.push(CheckRecord {
                check: "edit",
                permission: Some(EDIT),
                optional: false,
                status: "unknown",
                detail: format!(
                    "draft validation (needs edit) of {how} answered {} without refusing the permission; that answer does not show whether the permission was checked (decisive only on an open draft); nothing was changed",
                    http(&e)
                ),
                correlation_id: e.correlation_id().map(str::to_string),
            });
        }
        Err(e) => {
            session.close()?;
            return Err(
                anyhow::Error::new(e).context("auth check: the edit-permission probe failed")
            );
        }
    }

    // 4. Optional permissions.
    let function_integrations: HashSet<String> = match &integrations {
        Ok(r) => r.body["entities"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|i| {
                i.pointer("/integrationType/id").and_then(Value::as_str)
                    == Some(genesys_client::FUNCTION_INTEGRATION_TYPE)
            })
            .filter_map(id_of)
            .collect(),
        Err(_) => HashSet::new(),
    };
    let function_action = entities
        .iter()
        .filter(|a| {
            a["integrationId"]
                .as_str()
                .is_some_and(|i| function_integrations.contains(i))
        })
        .find_map(id_of);
    let consumer_of = writable.clone().unwrap_or_else(|| MADE_UP_ID.to_string());
    let test_path = format!("/api/v2/integrations/actions/{MADE_UP_ID}/test");
    let flows_path = format!(
        "/api/v2/architect/dependencytracking/consumingresources?id={}&objectType=DATAACTION&pageSize=1&pageNumber=1",
        percent_encode(&consumer_of)
    );
    let function_path = format!(
        "/api/v2/integrations/actions/{}/function",
        percent_encode(function_action.as_deref().unwrap_or(MADE_UP_ID))
    );
    let empty = serde_json::json!({});
    let (execute, flows, function) = tokio::join!(
        client.request_json(Method::POST, &test_path, Some(&empty)),
        client.request_json(Method::GET, &flows_path, None),
        client.request_json(Method::GET, &function_path, None),
    );
    checks.push(judged(
        "execute",
        EXECUTE,
        true,
        execute,
        "test execution allowed",
        &|e| format!("a test of a made-up action (nothing runs) answered {} without refusing the permission; whether the platform looks the action up first is unpublished", http(e)),
    ));
    checks.push(judged(
        "flows",
        DEPENDENCY,
        true,
        flows,
        "dependency tracking answered",
        &|e| format!("dependency tracking answered {}", http(e)),
    ));
    checks.push(judged(
        "integrations",
        INTEGRATION_VIEW,
        true,
        integrations,
        &format!(
            "listed the integrations ({} of type function-data-actions)",
            function_integrations.len()
        ),
        &|e| format!("the integrations listing answered {}", http(e)),
    ));
    checks.push(judged(
        "function settings",
        FUNCTION_VIEW,
        true,
        function,
        "read the function settings of a function data action",
        &|e| match &function_action {
            Some(_) => format!("the function settings answered {}", http(e)),
            None => format!(
                "no function data action at hand: a made-up id answered {} without refusing the permission",
                http(e)
            ),
        },
    ));
    session.close()?;

    let mut t = Table::new(&["CHECK", "PERMISSION", "STATUS", "DETAIL"]);
    for c in &checks {
        t.row(vec![
            if c.optional {
                format!("{} (optional)", c.check)
            } else {
                c.check.to_string()
            },
            c.permission.unwrap_or("-").to_string(),
            c.status.to_string(),
            c.detail.clone(),
        ]);
    }
    let optional_missing: Vec<&'static str> = checks
        .iter()
        .filter(|c| c.optional && c.status == "missing")
        .filter_map(|c| c.permission)
        .collect();
    let unknown: Vec<&'static str> = checks
        .iter()
        .filter(|c| c.status == "unknown")
        .filter_map(|c| c.permission)
        .collect();
    let text = match ctx.printer.format {
        Format::Json => {
            let doc = serde_json::json!({
                "api_base": api,
                "endpoint_source": res.endpoint_source,
                "client_id": client_id,
                "credentials_source": creds_from,
                "ok": missing.is_empty(),
                "missing": missing,
                "optional_missing": optional_missing,
                "unknown": unknown,
                "checks": checks,
            });
            format!("{}\n", serde_json::to_string_pretty(&doc)?)
        }
        _ => output::render(ctx.printer.format, ctx.printer.style, &t, &checks)?,
    };
    ctx.printer.emit(&text)?;
    for p in &optional_missing {
        ctx.say(&format!(
            "optional: without `{p}`, {} (add it to the role to enable that)",
            disables(p)
        ));
    }
    if missing.is_empty() {
        if unknown.contains(&EDIT) {
            ctx.say("the OAuth client can read Data Actions; its edit permission could not be confirmed without writing (no open draft to probe with); the first `timeout set` will tell");
        } else {
            ctx.say("the OAuth client can read and change Data Action timeouts");
        }
        return Ok(Exit::Ok);
    }
    let list = missing
        .iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(" and ");
    let mut f = Failure::new(
        Exit::Auth,
        format!("the OAuth client's role is missing {list}"),
    )
    .hint(format!(
        "in Genesys Cloud admin, open Roles / Permissions, add {list} to the role assigned to this OAuth client (client-credentials clients get permissions from roles, not scopes), then run `dactl auth check` again"
    ));
    if missing.contains(&VIEW) {
        f = f
            .hint("without view, dactl cannot list or read actions (Integrations > Action > View)");
    }
    if missing.contains(&EDIT) {
        f = f.hint("without edit, dactl can list and back up, but `timeout set` and `restore` will fail (Integrations > Action > Edit)");
    }
    Err(f.into())
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `dactl auth forget`: delete every kept access token.
pub(crate) fn auth_forget(ctx: &Context) -> anyhow::Result<Exit> {
    use anyhow::Context as _;
    let folder = crate::token_cache::dir(&ctx.home);
    let n = crate::token_cache::forget_all(&ctx.home)
        .with_context(|| format!("cannot delete the kept tokens in `{}`", folder.display()))?;
    ctx.say(&format!(
        "{n} kept access token{} deleted; the next command logs in",
        if n == 1 { "" } else { "s" }
    ));
    let mut t = Table::new(&["FORGOTTEN", "FOLDER"]);
    t.row(vec![n.to_string(), folder.display().to_string()]);
    let rec = serde_json::json!({"forgotten": n, "folder": folder.display().to_string()});
    ctx.printer.records(&t, &[rec])?;
    Ok(Exit::Ok)
}
