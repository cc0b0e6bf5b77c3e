//! `dactl auth check`: can these credentials read and change Data Actions? Nothing is changed.
//!
//! 1. **token**: a client-credentials token is requested (a failure names where the
//!    credentials came from).
//! 2. **view**: `GET /api/v2/integrations/actions?pageSize=1` lists one action; it needs
//!    `integrations:action:view` (or `bridge:actions:view`).
//! 3. **edit**: `GET /api/v2/integrations/actions/{id}/draft/validation` on that action (or on a
//!    made-up id when the org has none). The contract requires `integrations:action:edit` for
//!    this *read* (genesys-api.md §1, D5), so it probes the edit permission without writing
//!    anything: 403 means the permission is missing; any other answer (200 for an open draft,
//!    404 when there is none) means the permission check passed. This is the safe choice: the
//!    alternative, a PATCH with a deliberately stale version (409 = allowed), is a write that
//!    would land if the platform ever stopped checking versions.
//!
//! Missing permissions are reported by name with a hint, and exit 4.

use genesys_client::{ErrorKind, Method};
use serde::Serialize;

use crate::app::App;
use crate::error::{Exit, Failure};
use crate::output::{self, Format, Table};
use crate::settings::TargetSpec;

/// The permission that reading needs (or `bridge:actions:view`).
pub const VIEW: &str = "integrations:action:view";
/// The permission that changing a timeout needs.
pub const EDIT: &str = "integrations:action:edit";

/// One check of `auth check` (field names are part of the documented output).
#[derive(Debug, Clone, Serialize)]
struct CheckRecord {
    check: &'static str,
    permission: Option<&'static str>,
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

impl App {
    pub(crate) async fn auth_check(&self) -> anyhow::Result<Exit> {
        let (res, target) = self.resolve_settings()?;
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
        if self.format == Format::Table {
            self.say(&format!(
                "api:         {api} (from {})",
                res.endpoint_source
            ));
            self.say(&format!("client id:   {client_id}"));
            self.say(&format!("credentials: {creds_from}"));
        }
        // Always a new login (this command tests the credentials); the new token is kept.
        let keep = if crate::token_cache::enabled(&self.env)? {
            crate::token_cache::Keep::WriteOnly
        } else {
            crate::token_cache::Keep::Off
        };
        let session =
            crate::session::Session::open(&target, &self.home, self.connect_options(&res), keep)
                .await?;
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
            status: "ok",
            detail: "client-credentials token obtained".into(),
            correlation_id: None,
        });

        // 2. View: list one action.
        let mut probe_id = None;
        let mut missing: Vec<&'static str> = Vec::new();
        match client
            .request_json(
                Method::GET,
                "/api/v2/integrations/actions?pageSize=1&pageNumber=1",
                None,
            )
            .await
        {
            Ok(r) => {
                let first = r.body.pointer("/entities/0").cloned();
                probe_id = first
                    .as_ref()
                    .and_then(|a| a["id"].as_str())
                    .map(str::to_string);
                let total = r.body["total"].as_i64();
                checks.push(CheckRecord {
                    check: "view",
                    permission: Some(VIEW),
                    status: "ok",
                    detail: match (&first, total) {
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
                    status: "missing",
                    detail: server_message(&e),
                    correlation_id: e.correlation_id().map(str::to_string),
                });
            }
            Err(e) => {
                session.close()?;
                return Err(anyhow::Error::new(e).context("auth check: listing one action failed"));
            }
        }

        // 3. Edit: a read that requires the edit permission; changes nothing.
        let id = probe_id.unwrap_or_else(|| "dactl-auth-check-probe".to_string());
        let path = format!(
            "/api/v2/integrations/actions/{}/draft/validation",
            percent_encode(&id)
        );
        match client.request_json(Method::GET, &path, None).await {
            Ok(r) => checks.push(CheckRecord {
                check: "edit",
                permission: Some(EDIT),
                status: "ok",
                detail: "draft validation (needs edit) answered 200; nothing was changed".into(),
                correlation_id: r.correlation_id,
            }),
            Err(e) if forbidden(&e) => {
                missing.push(EDIT);
                checks.push(CheckRecord {
                    check: "edit",
                    permission: Some(EDIT),
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
                    status: "ok",
                    detail: format!(
                        "draft validation (needs edit) passed the permission check (HTTP {}: no open draft); nothing was changed",
                        e.status().unwrap_or(0)
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
        session.close()?;

        let mut t = Table::new(&["CHECK", "PERMISSION", "STATUS", "DETAIL"]);
        for c in &checks {
            t.row(vec![
                c.check.to_string(),
                c.permission.unwrap_or("-").to_string(),
                c.status.to_string(),
                c.detail.clone(),
            ]);
        }
        let text = match self.format {
            Format::Json => {
                let doc = serde_json::json!({
                    "api_base": api,
                    "endpoint_source": res.endpoint_source,
                    "client_id": client_id,
                    "credentials_source": creds_from,
                    "ok": missing.is_empty(),
                    "missing": missing,
                    "checks": checks,
                });
                format!("{}\n", serde_json::to_string_pretty(&doc)?)
            }
            _ => output::render(self.format, self.style, &t, &checks)?,
        };
        output::emit(&text)?;
        if missing.is_empty() {
            self.say("the OAuth client can read and change Data Action timeouts");
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
            f = f.hint(
                "without view, dactl cannot list or read actions (Integrations > Action > View)",
            );
        }
        if missing.contains(&EDIT) {
            f = f.hint("without edit, dactl can list and back up, but `timeout set` and `restore` will fail (Integrations > Action > Edit)");
        }
        Err(f.into())
    }
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

impl App {
    /// `dactl auth forget`: delete every kept access token.
    pub(crate) fn auth_forget(&self) -> anyhow::Result<Exit> {
        use anyhow::Context as _;
        let folder = crate::token_cache::dir(&self.home);
        let n = crate::token_cache::forget_all(&self.home)
            .with_context(|| format!("cannot delete the kept tokens in `{}`", folder.display()))?;
        self.say(&format!(
            "{n} kept access token{} deleted; the next command logs in",
            if n == 1 { "" } else { "s" }
        ));
        let mut t = Table::new(&["FORGOTTEN", "FOLDER"]);
        t.row(vec![n.to_string(), folder.display().to_string()]);
        let rec = serde_json::json!({"forgotten": n, "folder": folder.display().to_string()});
        output::emit(&output::render(self.format, self.style, &t, &[rec])?)?;
        Ok(Exit::Ok)
    }
}
