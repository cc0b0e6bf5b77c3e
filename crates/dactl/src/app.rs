//! The commands: each turns parsed arguments into library calls and renders the result.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::Context;
use genesys_client::{Action, ListQuery};
use serde::Serialize;
use serde_json::json;

use crate::actions::{self, describe_timeout, explicit_timeout, Kind};
use crate::cli::{
    AuthCommand, Cli, Command, GlobalArgs, ProfilesCommand, RunsCommand, SandboxCommand,
    SelectorArgs, TimeoutCommand,
};
use crate::engine::{
    self, CrashHook, CrashPoint, EngineOptions, Found, Outcome, Reporter, Status, Work,
};
use crate::error::{Exit, Failure};
use crate::output::{self, Format, Style, Table};
use crate::planner::{self, Desired};
use crate::runs::{self, Event, Operation, Plan, PlanRow, RunDir, Summary, Verdict, VerifyMode};
use crate::selector::{self, Selectors};
use crate::session::{self, Session};
use crate::settings::{self, ConnectionFlags, EnvVars};

/// Facts about the terminal, measured by the binary and injected.
#[derive(Debug, Clone, Copy, Default)]
pub struct Terminal {
    /// stdin is a terminal (confirmation prompts are possible).
    pub stdin_tty: bool,
    /// stdout is a terminal.
    pub stdout_tty: bool,
    /// stderr is a terminal (progress bars are possible).
    pub stderr_tty: bool,
    /// Terminal width.
    pub width: Option<u16>,
}

/// Everything a command needs, resolved once.
///
/// Commands are `impl App` methods; a new command can live in its own module with its own
/// `impl App` block.
pub struct App {
    pub(crate) global: GlobalArgs,
    pub(crate) env: EnvVars,
    pub(crate) home: PathBuf,
    pub(crate) format: Format,
    pub(crate) style: Style,
    pub(crate) term: Terminal,
    pub(crate) stop: Arc<AtomicBool>,
    pub(crate) crash: Option<CrashPoint>,
    pub(crate) command_line: String,
}

/// Run a parsed command line. Returns the exit code for a handled outcome; errors are rendered
/// by the caller.
pub async fn run(
    cli: Cli,
    env: EnvVars,
    term: Terminal,
    stop: Arc<AtomicBool>,
    command_line: String,
) -> anyhow::Result<Exit> {
    let common = settings::Common::resolve(&cli.global, &env)?;
    let app = App {
        format: common.format,
        style: Style {
            color: term.stdout_tty && common.color,
            width: if term.stdout_tty { term.width } else { None },
            wide: common.wide,
        },
        crash: env
            .raw(crate::env::DACTL_TEST_CRASH_AT)
            .and_then(CrashPoint::parse),
        global: cli.global,
        env,
        home: common.home,
        term,
        stop,
        command_line,
    };
    match cli.command {
        Command::List { selectors } => app.list(selectors).await,
        Command::Get { action } => app.get(action).await,
        Command::Timeout(TimeoutCommand::Set {
            duration,
            actions,
            selectors,
            dry_run,
            also_draft,
            verify,
            show_flows,
        }) => {
            let t = crate::duration::parse_timeout(&duration).map_err(|e| {
                Failure::usage(e.to_string()).hint(
                    "give a whole number of seconds from 1 to 60: `30`, `30s`, `30000ms` or `1m`",
                )
            })?;
            app.change(
                Operation::Set { timeout: t },
                actions,
                selectors,
                dry_run,
                also_draft,
                verify,
                show_flows,
            )
            .await
        }
        Command::Timeout(TimeoutCommand::Unset {
            actions,
            selectors,
            dry_run,
            also_draft,
            verify,
            show_flows,
        }) => {
            app.change(
                Operation::Unset,
                actions,
                selectors,
                dry_run,
                also_draft,
                verify,
                show_flows,
            )
            .await
        }
        Command::Runs(RunsCommand::List) => app.runs_list(),
        Command::Runs(RunsCommand::Show { run }) => app.runs_show(&run),
        Command::Runs(RunsCommand::Resume { run }) => app.runs_resume(&run).await,
        Command::Undo {
            run,
            dry_run,
            force,
        } => app.undo(&run, dry_run, force).await,
        Command::Backup { selectors, out } => app.backup(selectors, &out).await,
        Command::Auth(AuthCommand::Check) => app.auth_check().await,
        Command::Auth(AuthCommand::Forget) => app.auth_forget(),
        Command::Profiles(ProfilesCommand::List) => app.profiles_list(),
        Command::Profiles(ProfilesCommand::SetSecret { name }) => app.profiles_set_secret(&name),
        Command::Restore { files, dry_run } => app.restore(files, dry_run).await,
        Command::Completions { shell } => app.completions(shell),
        Command::Man { dir } => app.man(dir.as_deref()),
        Command::Sandbox(SandboxCommand::Reset) => app.sandbox_reset(),
        Command::Probe {
            action,
            input,
            count,
            all,
            name,
            category,
            integration,
            ids,
            from_file,
        } => {
            let mut refused = Vec::new();
            for (given, flag) in [
                (all, "--all"),
                (name.is_some(), "--name"),
                (category.is_some(), "--category"),
                (integration.is_some(), "--integration"),
                (!ids.is_empty(), "--id"),
                (from_file.is_some(), "--from-file"),
            ] {
                if given {
                    refused.push(flag);
                }
            }
            if refused.is_empty() && action.is_none() {
                return Err(Failure::usage("`probe` needs one ACTION")
                    .hint("name the action by id or exact name: `dactl probe \"Get Contact\" --input '{}'`")
                    .into());
            }
            app.probe(crate::cmd_probe::ProbeArgs {
                action: action.unwrap_or_default(),
                input,
                count,
                refused,
            })
            .await
        }
        Command::Flows { action, published } => app.flows(action, published).await,
        Command::Plan {
            file,
            detailed_exitcode,
            show_flows,
        } => match app.plan_policy(&file, detailed_exitcode, show_flows).await {
            // Terraform's contract: 2 means changes, so every error is 1 (rendered here, with
            // the one renderer, since the binary would map it to its own code).
            Err(e) if detailed_exitcode => {
                eprint!("{}", crate::error::render(&e));
                Ok(Exit::Failed)
            }
            r => r,
        },
        Command::Apply {
            file,
            also_draft,
            verify,
            show_flows,
        } => {
            app.apply_policy(&file, also_draft, verify, show_flows)
                .await
        }
        Command::Report { html } => app.report(&html).await,
        Command::Sandbox(SandboxCommand::Serve(args)) => app.sandbox_serve(args).await,
    }
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

/// The EFFECTIVE cell: `60`, or `10 (fn)` when the function's timeout is the one that stops
/// the action (short, so that `list` keeps one line a row at 80 columns; KIND says `function`).
fn effective_cell(timeout: Option<i64>, function_timeout: Option<i64>) -> String {
    let e = crate::functions::effective_timeout(timeout, function_timeout);
    match function_timeout {
        Some(f) if f == e => format!("{e} (fn)"),
        _ => e.to_string(),
    }
}

impl App {
    /// The connection flags of this command line.
    pub(crate) fn connection_flags(&self) -> ConnectionFlags {
        ConnectionFlags::from_global(&self.global)
    }

    /// Resolve the settings of a command that connects (DESIGN §3 precedence; see
    /// [`settings::Settings::resolve`]), read the secret, and print the warnings.
    pub(crate) fn resolve_settings(&self) -> anyhow::Result<settings::Settings> {
        let files = if self.global.sandbox {
            crate::profiles::ConfigFiles::default()
        } else {
            crate::profiles::load_files(&self.env)?
        };
        let mut settings = settings::Settings::resolve(&self.global, &self.env, &files)?;
        let warnings = settings.read_secret(&self.env)?;
        let res = &settings.resolution;
        for w in res.warnings.iter().chain(&warnings) {
            self.warn(w);
        }
        if let settings::TargetSpec::Remote {
            environment,
            source,
            ..
        } = &res.target
        {
            tracing::info!(api = %environment.api_base, endpoint_from = %res.endpoint_source, credentials_from = %source, "target resolved");
        }
        Ok(settings)
    }

    pub(crate) async fn session(&self) -> anyhow::Result<Session> {
        Session::open(&self.resolve_settings()?).await
    }

    /// A next step to print: `dactl` with this command line's target flags, then `args`,
    /// shell-quoted (see [`crate::suggest`]).
    pub(crate) fn next_step(&self, args: &[&str]) -> String {
        crate::suggest::next_step(&self.connection_flags(), args)
    }

    pub(crate) fn say(&self, msg: &str) {
        if !self.global.quiet {
            eprintln!("{msg}");
        }
    }

    /// A `warning:` line on stderr (shown even with `--quiet`).
    pub(crate) fn warn(&self, msg: &str) {
        eprintln!("warning: {msg}");
    }

    pub(crate) fn selectors(
        &self,
        actions: Vec<String>,
        s: SelectorArgs,
    ) -> anyhow::Result<Selectors> {
        let from_file = match &s.from_file {
            None => None,
            Some(f) => {
                let content = if f == "-" {
                    let mut buf = String::new();
                    std::io::Read::read_to_string(&mut std::io::stdin(), &mut buf)
                        .context("cannot read the action list from stdin")?;
                    buf
                } else {
                    let bytes = std::fs::read(f).map_err(|e| {
                        Failure::usage(format!("cannot read `{}`: {e}", selector::shorten(f)))
                    })?;
                    String::from_utf8(bytes).map_err(|_| {
                        Failure::usage(format!("`{}` is not UTF-8 text", selector::shorten(f)))
                    })?
                };
                Some((f.clone(), selector::parse_reference_lines(&content)))
            }
        };
        let sel = Selectors {
            actions,
            ids: s.ids,
            name: s.name,
            category: s.category,
            integration: s.integration,
            from_file,
            all: s.all,
            integration_names: HashMap::new(),
        };
        sel.validate()?;
        Ok(sel)
    }

    /// Read the listing (with config) and the draft ids, and apply the selectors.
    pub(crate) async fn load(
        &self,
        session: &Session,
        sel: &Selectors,
    ) -> anyhow::Result<(Vec<Action>, HashSet<String>)> {
        let client = &session.client;
        // Alongside the actions: the integrations that tell function data actions apart
        // (started once the token is there, so that refused credentials are tried once).
        client.authenticate().await?;
        if sel.integration.is_some() {
            // `--integration` may be a name: the listing that classifies names them too.
            session.integrations.start_with_names(client);
        } else {
            session.integrations.start(client);
        }
        let q = sel.server_query();
        let dq = ListQuery {
            ids: q.ids.clone(),
            include_auth_actions: true,
            ..ListQuery::default()
        };
        let (listing, drafts) = tokio::try_join!(client.list_actions(&q), client.list_drafts(&dq))?;
        let names = match sel.integration {
            Some(_) => session.integrations.names(client).await,
            None => HashMap::new(),
        };
        let drafts: HashSet<String> = drafts.into_iter().map(|d| d.id).collect();
        let narrowed = q.name.is_some() || !q.ids.is_empty();
        let named;
        let sel = if names.is_empty() {
            sel
        } else {
            named = Selectors {
                integration_names: names,
                ..sel.clone()
            };
            &named
        };
        let selected = match sel.select(&listing) {
            Err(_) if narrowed => {
                // The server's filters are a shortcut; fall back to the whole listing.
                let full = ListQuery {
                    include_config: true,
                    include_auth_actions: true,
                    category: q.category.clone(),
                    ..ListQuery::default()
                };
                let listing = client.list_actions(&full).await?;
                sel.select(&listing).map_err(|e| (e, listing))
            }
            other => other.map_err(|e| (e, listing)),
        };
        match selected {
            Ok(v) => Ok((v, drafts)),
            Err((e, listing)) if sel.integration_names.is_empty() => {
                // Only on the way to an error: say it again with the integrations' names.
                let names = session.integrations.names(client).await;
                if names.is_empty() {
                    return Err(e.into());
                }
                let named = Selectors {
                    integration_names: names,
                    ..sel.clone()
                };
                Err(named.select(&listing).err().unwrap_or(e).into())
            }
            Err((e, _)) => Err(e.into()),
        }
    }

    async fn list(&self, s: SelectorArgs) -> anyhow::Result<Exit> {
        let sel = self.selectors(Vec::new(), s)?;
        let session = self.session().await?;
        // One integrations listing classifies the actions and names their integrations
        // (started once the token is there, so that refused credentials are tried once).
        session.client.authenticate().await?;
        session.integrations.start_with_names(&session.client);
        let (actions_, drafts) = self.load(&session, &sel).await?;
        let fx = self.functions(&session, &actions_).await;
        let names = session.integrations.names(&session.client).await;
        if actions_.is_empty() && !sel.is_empty() && !sel.all {
            for h in self.no_match(&session, &sel).await.hints {
                self.say(&format!("note: {h}"));
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
        output::emit(&output::render(self.format, self.style, &table, &records)?)?;
        Ok(Exit::Ok)
    }

    /// The error for selectors that match nothing, with the nearest categories, names or
    /// integrations of the org (one more listing: this is the error path).
    pub(crate) async fn no_match(&self, session: &Session, sel: &Selectors) -> Failure {
        let q = ListQuery {
            include_auth_actions: true,
            ..ListQuery::default()
        };
        let mut f = Failure::usage("the selectors match no action");
        match session.client.list_actions(&q).await {
            Ok(all) => {
                for h in selector::no_match_hints(sel, &all) {
                    f = f.hint(h);
                }
            }
            Err(_) => f = f.hint("`dactl list` shows every action, its category and its id"),
        }
        f
    }

    async fn get(&self, action: String) -> anyhow::Result<Exit> {
        let sel = self.selectors(vec![action], SelectorArgs::default())?;
        let session = self.session().await?;
        session.client.authenticate().await?;
        session.integrations.start_with_names(&session.client);
        let (found, drafts) = self.load(&session, &sel).await?;
        let Some(listed) = found.into_iter().next() else {
            return Err(Failure::usage("no such action").into());
        };
        let client = &session.client;
        let (full, fx, names) = tokio::join!(
            client.get_action(&listed.id),
            self.functions(&session, std::slice::from_ref(&listed)),
            session.integrations.names(client)
        );
        let full = full?;
        let inlined = actions::inline_templates(client, &full.body, false).await?;
        if let Some(seen) = &session.seen {
            seen.record_action(&full.body);
        }
        session.close()?;
        let draft = drafts.contains(&inlined.id);
        match self.format {
            Format::Json | Format::Ndjson => {
                let s = if self.format == Format::Json {
                    serde_json::to_string_pretty(&inlined)?
                } else {
                    serde_json::to_string(&inlined)?
                };
                output::emit(&format!("{s}\n"))?;
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
                let s = if self.format == Format::Csv {
                    t.to_csv()
                } else {
                    format!("{}\n", t.render(self.style))
                };
                output::emit(&s)?;
            }
        }
        Ok(Exit::Ok)
    }

    /// Plan rows for a timeout change (`timeout set/unset`, `apply`), through the one planner.
    pub(crate) fn plan_rows(
        &self,
        selected: &[Action],
        drafts: &HashSet<String>,
        new: &dyn Fn(&Action) -> Option<i64>,
        also_draft: bool,
    ) -> Vec<PlanRow> {
        selected
            .iter()
            .map(|a| {
                planner::plan_row(planner::Intent {
                    current: a,
                    desired: Desired::Timeout(new(a)),
                    guard: None,
                    force: false,
                    unchanged: "already at the target",
                    draft: drafts.contains(&a.id).then(|| {
                        if also_draft {
                            "has an unpublished draft: its timeout is set too (not published)".to_string()
                        } else {
                            "has an unpublished draft: publishing it later would revert this change (use --also-draft)".to_string()
                        }
                    }),
                })
            })
            .collect()
    }

    pub(crate) fn plan_table(rows: &[PlanRow]) -> Table {
        let flows = rows.iter().any(|r| r.flows.is_some());
        let functions = rows.iter().any(|r| r.function_timeout_seconds.is_some());
        let mut headers = vec!["NAME", "ID", "OLD", "NEW"];
        if functions {
            headers.push("EFFECTIVE");
        }
        headers.push("VERDICT");
        if flows {
            headers.push("USED BY");
        }
        headers.push("NOTE");
        let mut t = Table::new(&headers);
        for r in rows {
            let verdict = match (&r.verdict, &r.reason) {
                (Verdict::Skip, Some(reason)) => format!("skip: {reason}"),
                (v, _) => v.as_str().to_string(),
            };
            let mut cells = vec![
                r.name.clone(),
                r.id.clone(),
                describe_timeout(r.old_timeout),
                describe_timeout(r.new_timeout),
            ];
            if functions {
                cells.push(effective_cell(r.new_timeout, r.function_timeout_seconds));
            }
            cells.push(verdict);
            if flows {
                cells.push(crate::cmd_flows::used_by(r.flows));
            }
            cells.push(
                r.warning
                    .clone()
                    .or_else(|| {
                        // A restore explains what differs in `reason`.
                        (r.verdict == Verdict::Change)
                            .then(|| r.reason.clone())
                            .flatten()
                    })
                    .unwrap_or_default(),
            );
            t.row(cells);
        }
        t
    }

    /// Whether a table of `n` rows is summarised to one screen (see [`crate::screen`]).
    pub(crate) fn summarise(&self, n: usize) -> bool {
        self.format == Format::Table
            && self.style.width.is_some()
            && !self.style.wide
            && n > crate::screen::SCREEN_ROWS
    }

    pub(crate) fn emit_plan(&self, plan: &Plan, dry_run: bool) -> anyhow::Result<()> {
        let s = match self.format {
            Format::Json => format!(
                "{}\n",
                serde_json::to_string_pretty(&json!({"plan": plan}))?
            ),
            Format::Table if self.summarise(plan.rows.len()) => {
                crate::screen::summarised_plan(plan, self.style, (!dry_run).then_some(&self.home))
            }
            _ => output::render(
                self.format,
                self.style,
                &Self::plan_table(&plan.rows),
                &plan.rows,
            )?,
        };
        output::emit(&s)?;
        Ok(())
    }

    /// Ask before writing `n` actions; `Ok(false)` when the answer is no. `counts` goes next
    /// to the prompt, so that the decision is made on the numbers even when the plan scrolled.
    pub(crate) fn confirm(&self, n: usize, what: &str, counts: &str) -> anyhow::Result<bool> {
        if n <= 1 || self.global.yes {
            return Ok(true);
        }
        if self.term.stdin_tty && self.term.stderr_tty {
            eprint!(
                "{what} {} actions ({counts})? [y/N] ",
                crate::screen::thousands(n)
            );
            let _ = std::io::stderr().flush();
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            return Ok(matches!(
                line.trim().to_ascii_lowercase().as_str(),
                "y" | "yes"
            ));
        }
        Err(Failure::usage(format!(
            "refusing to change {n} actions without confirmation"
        ))
        .hint("review the plan with `--dry-run`, then pass `--yes`")
        .into())
    }

    #[allow(clippy::too_many_arguments)]
    async fn change(
        &self,
        op: Operation,
        actions_: Vec<String>,
        s: SelectorArgs,
        dry_run: bool,
        also_draft: bool,
        verify: VerifyMode,
        show_flows: bool,
    ) -> anyhow::Result<Exit> {
        let sel = self.selectors(actions_, s)?;
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
        let session = self.session().await?;
        let (selected, drafts) = self.load_for_change(&session, &sel, new, dry_run).await?;
        if selected.is_empty() {
            return Err(self.no_match(&session, &sel).await.into());
        }
        let mut rows = self.plan_rows(&selected, &drafts, &|_| new, also_draft);
        self.functions(&session, &selected)
            .await
            .annotate(&mut rows, &selected);
        if show_flows {
            self.annotate_flows(
                &session,
                &mut rows,
                &crate::cmd_flows::secure_ids(&selected),
            )
            .await;
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
            run_id: runs::new_run_id(),
            created_at: runs::now(),
            command: self.command_line.clone(),
            operation: op,
            target: session.api_base.clone(),
            also_draft,
            verify,
            require_old: false,
            rows,
        };
        let listed: HashMap<String, Action> =
            selected.into_iter().map(|a| (a.id.clone(), a)).collect();
        self.execute_plan(session, plan, listed, dry_run, None)
            .await
    }

    pub(crate) async fn execute_plan(
        &self,
        session: Session,
        plan: Plan,
        listed: HashMap<String, Action>,
        dry_run: bool,
        resume: Option<(RunDir, Vec<Event>)>,
    ) -> anyhow::Result<Exit> {
        self.execute_plan_with_targets(session, plan, listed, dry_run, resume, HashMap::new())
            .await
    }

    /// [`Self::execute_plan`] for restores: `targets` are whole documents to write (saved in
    /// the run folder before any write, so that resume writes the same thing).
    pub(crate) async fn execute_plan_with_targets(
        &self,
        session: Session,
        plan: Plan,
        listed: HashMap<String, Action>,
        dry_run: bool,
        resume: Option<(RunDir, Vec<Event>)>,
        targets: HashMap<String, Action>,
    ) -> anyhow::Result<Exit> {
        let changes = plan
            .rows
            .iter()
            .filter(|r| r.verdict == Verdict::Change)
            .count();
        let needs_confirm = changes > 1 && !self.global.yes && resume.is_none();
        if dry_run || (needs_confirm && self.format == Format::Table) {
            self.emit_plan(&plan, dry_run)?;
        }
        let warned: Vec<&PlanRow> = plan
            .rows
            .iter()
            .filter(|r| r.warning.is_some() && r.verdict == Verdict::Change)
            .collect();
        // A row whose only warning is its draft can be counted in one line; a function
        // action's ceiling (or both) is said per action.
        let past_function = |r: &PlanRow| {
            r.function_timeout_seconds
                .is_some_and(|f| crate::functions::ceiling_note(r.new_timeout, f).is_some())
        };
        let (drafts, others): (Vec<&PlanRow>, Vec<&PlanRow>) = warned
            .into_iter()
            .partition(|r| r.draft && !past_function(r));
        let summarised = self.summarise(plan.rows.len()) && (dry_run || needs_confirm);
        let individually = if summarised {
            // The summary on stdout has the drafts line already.
            others
        } else if drafts.len() > 3 {
            // One line with a count, not one warning per action.
            if let Some(d) = crate::screen::drafts_line(&plan.rows, plan.also_draft) {
                self.say(&format!("warning: {d}"));
            }
            others
        } else {
            drafts.into_iter().chain(others).collect()
        };
        for r in individually {
            self.say(&format!(
                "warning: `{}` {}",
                r.name,
                r.warning.clone().unwrap_or_default()
            ));
        }
        if let Some(seen) = &session.seen {
            for r in &plan.rows {
                seen.record(&r.id, &r.name, r.version, r.old_timeout);
            }
        }
        if dry_run {
            session.close()?;
            self.say(&format!(
                "dry run: {changes} to change, {} unchanged, {} skipped; nothing was written",
                plan.rows
                    .iter()
                    .filter(|r| r.verdict == Verdict::Unchanged)
                    .count(),
                plan.rows
                    .iter()
                    .filter(|r| r.verdict == Verdict::Skip)
                    .count()
            ));
            return Ok(Exit::Ok);
        }
        if changes == 0 {
            session.close()?;
            let rows: Vec<Outcome> = plan.rows.iter().map(Outcome::of_row).collect();
            self.emit_results(
                &plan,
                &rows,
                &Summary {
                    unchanged: plan
                        .rows
                        .iter()
                        .filter(|r| r.verdict == Verdict::Unchanged)
                        .count() as u64,
                    skipped: plan
                        .rows
                        .iter()
                        .filter(|r| r.verdict == Verdict::Skip)
                        .count() as u64,
                    ..Summary::default()
                },
            )?;
            self.say("nothing to change");
            return Ok(Exit::Ok);
        }
        if resume.is_none() {
            let what = match plan.operation {
                Operation::Restore { .. } => "Restore the configuration of",
                _ => "Change the timeout of",
            };
            let mut counts = crate::screen::plan_counts(&plan.rows);
            let drafts = plan
                .rows
                .iter()
                .filter(|r| r.draft && r.verdict == Verdict::Change)
                .count();
            if drafts > 0 {
                counts.push_str(&format!(
                    ", {} with a draft",
                    crate::screen::thousands(drafts)
                ));
            }
            if !self.confirm(changes, what, &counts)? {
                session.close()?;
                // Not an error: nothing failed. The exit code stays 1, so that a script
                // never takes a declined change for a done one.
                eprintln!("cancelled; nothing was written");
                return Ok(Exit::Failed);
            }
        }
        let (run, events, is_resume) = match resume {
            Some((run, events)) => (run, events, true),
            None => (RunDir::create(&self.home, &plan)?, Vec::new(), false),
        };
        for t in targets.values() {
            run.save_target(t)?;
        }
        let logs = engine::logs_by_id(&events);
        // Moved, not cloned: a bulk run holds each action's listing once.
        let mut listed = listed;
        let work: Vec<Work> = plan
            .rows
            .iter()
            .map(|r| Work {
                row: r.clone(),
                listed: listed.remove(&r.id),
                log: logs.get(&r.id).cloned().unwrap_or_default(),
                desired: match targets
                    .get(&r.id)
                    .cloned()
                    .or_else(|| run.load_target(&r.id))
                {
                    Some(doc) => Desired::Document(Box::new(doc)),
                    None => Desired::Timeout(r.new_timeout),
                },
            })
            .collect();
        let opts = EngineOptions {
            concurrency: self.bulk_concurrency(&session.client),
            verify: plan.verify,
            also_draft: plan.also_draft,
            require_old: plan.require_old,
            crash: self.crash.map(|at| {
                CrashHook::new(at, |at| {
                    eprintln!("dactl: test crash hook reached at {at}");
                    std::process::exit(137);
                })
            }),
            audit_file: self.home.join("audit.ndjson"),
            target: plan.target.clone(),
            stop: self.stop.clone(),
        };
        let show_progress = self.term.stderr_tty && !self.global.quiet && !self.global.no_progress;
        // Work finished before a resume is counted apart: the bar and its rate are this
        // attempt's writes only.
        let done_before: HashSet<String> = work
            .iter()
            .filter(|w| w.log.done && w.row.verdict == Verdict::Change)
            .map(|w| w.row.id.clone())
            .collect();
        let reporter = Arc::new(ProgressReporter::new(
            changes as u64,
            done_before,
            show_progress,
            self.format == Format::Ndjson,
        ));
        let run_id = run.id.clone();
        let (outcomes, summary, _run) = engine::execute(
            session.client.clone(),
            run,
            &plan,
            work,
            opts,
            reporter.clone(),
            is_resume,
        )
        .await?;
        reporter.finish();
        if let Some(seen) = &session.seen {
            for o in outcomes.iter().filter(|o| o.status == Status::Changed) {
                seen.record(&o.id, &o.name, o.to_version, o.new_timeout);
            }
        }
        session.close()?;
        self.emit_results(&plan, &outcomes, &summary)?;
        self.say(&format!(
            "run {run_id}: {} changed, {} unchanged, {} skipped, {} failed{}",
            crate::screen::thousands(summary.changed as usize),
            crate::screen::thousands(summary.unchanged as usize),
            crate::screen::thousands(summary.skipped as usize),
            crate::screen::thousands(summary.failed as usize),
            if summary.not_started > 0 {
                format!(
                    ", {} not started",
                    crate::screen::thousands(summary.not_started as usize)
                )
            } else {
                String::new()
            }
        ));
        if let Some(note) = summary
            .token_pool
            .as_ref()
            .and_then(|p| p.fallback_note(Some(self.global.rate)))
        {
            self.warn(&note);
        }
        if summary.changed > 0 {
            self.say(&format!(
                "undo with: {}",
                self.next_step(&["undo", &run_id])
            ));
        }
        let exit = Exit::for_run(&summary, &outcomes);
        if summary.interrupted {
            self.say(&format!(
                "interrupted; continue with: {}",
                self.next_step(&["runs", "resume", &run_id])
            ));
            return Ok(exit);
        }
        if summary.failed > 0 {
            let mut hints: Vec<String> = Vec::new();
            for o in outcomes.iter().filter(|o| o.status == Status::Failed) {
                eprintln!(
                    "error: `{}` ({}): {}",
                    o.name,
                    o.id,
                    o.message.clone().unwrap_or_default()
                );
                let failure_hints = o
                    .failure
                    .as_deref()
                    .map(crate::error::hints_for_failure)
                    .unwrap_or_default();
                for h in failure_hints {
                    // Correlation ids differ per action; general hints are printed once.
                    if !hints.contains(&h) && !h.contains("ININ-Correlation-ID") {
                        hints.push(h);
                    }
                }
            }
            for h in &hints {
                eprintln!("hint: {h}");
            }
            if plan.rows.len() > 1 && summary.not_started > 0 {
                self.say(&format!(
                    "the canary failed, so no other action was written; fix the cause and run: {}",
                    self.next_step(&["runs", "resume", &run_id])
                ));
            }
        }
        Ok(exit)
    }

    pub(crate) fn emit_results(
        &self,
        plan: &Plan,
        outcomes: &[Outcome],
        summary: &Summary,
    ) -> anyhow::Result<()> {
        match self.format {
            Format::Ndjson => {
                // Per-action lines were printed as they finished; close with the summary.
                output::emit(&format!(
                    "{}\n",
                    serde_json::to_string(&json!({"run_id": plan.run_id, "summary": summary}))?
                ))?;
            }
            Format::Json => {
                let doc = json!({"run_id": plan.run_id, "plan": plan, "results": outcomes, "summary": summary});
                output::emit(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
            }
            Format::Table | Format::Csv => {
                let mut t = Table::new(&["NAME", "ID", "OLD", "NEW", "STATUS", "DETAIL"]);
                // A table never lists the rows Ctrl-C left `not started` (they are counted and
                // resumed); on a terminal it shows one screen of rows.
                let table = self.format == Format::Table;
                let (shown, left) = if table {
                    crate::screen::outcome_rows(outcomes, self.summarise(outcomes.len()))
                } else {
                    (outcomes.iter().collect(), 0)
                };
                if table && (left > 0 || shown.len() < outcomes.len()) {
                    output::emit(&format!(
                        "results: {}\n",
                        crate::screen::outcome_counts(outcomes)
                    ))?;
                }
                for o in shown {
                    t.row(vec![
                        o.name.clone(),
                        o.id.clone(),
                        describe_timeout(o.old_timeout),
                        describe_timeout(o.new_timeout),
                        o.status.as_str().to_string(),
                        o.message.clone().unwrap_or_default(),
                    ]);
                }
                let s = if self.format == Format::Csv {
                    t.to_csv()
                } else if t.rows.is_empty() {
                    String::new()
                } else {
                    format!("{}\n", t.render(self.style))
                };
                output::emit(&s)?;
                if left > 0 {
                    output::emit(&format!(
                        "{} of {} rows shown (failed first); every row: {}\n",
                        crate::screen::thousands(t.rows.len()),
                        crate::screen::thousands(t.rows.len() + left),
                        self.next_step(&["runs", "show", &plan.run_id, "--wide"])
                    ))?;
                }
            }
        }
        Ok(())
    }

    fn runs_list(&self) -> anyhow::Result<Exit> {
        #[derive(Serialize)]
        struct RunRecord {
            id: String,
            started_at: String,
            command: String,
            status: String,
            changed: u64,
            unchanged: u64,
            skipped: u64,
            failed: u64,
            planned: usize,
        }
        let mut records = Vec::new();
        for id in runs::list_run_ids(&self.home) {
            let path = runs::runs_root(&self.home).join(&id);
            let Ok(plan) = std::fs::read(path.join("plan.json"))
                .map_err(anyhow::Error::from)
                .and_then(|b| serde_json::from_slice::<Plan>(&b).map_err(anyhow::Error::from))
            else {
                continue;
            };
            let summary: Option<Summary> = std::fs::read(path.join("summary.json"))
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok());
            let (status, s) = match summary {
                Some(s) if s.interrupted => ("interrupted", s),
                Some(s) if s.failed > 0 => ("partial", s),
                Some(s) => ("completed", s),
                None => {
                    let events = runs::read_journal(&path).unwrap_or_default();
                    let folded = runs::fold(&events);
                    let s = Summary {
                        changed: folded.values().filter(|l| l.done).count() as u64,
                        ..Summary::default()
                    };
                    ("incomplete", s)
                }
            };
            records.push(RunRecord {
                id,
                started_at: plan.created_at,
                command: plan.command,
                status: status.into(),
                changed: s.changed,
                unchanged: s.unchanged,
                skipped: s.skipped,
                failed: s.failed,
                planned: plan.rows.len(),
            });
        }
        let mut t = Table::new(&["RUN", "STARTED", "STATUS", "CHANGED", "FAILED", "COMMAND"]);
        for r in &records {
            t.row(vec![
                r.id.clone(),
                // On a terminal `2026-12-02T07:22:30.484Z` reads `2026-12-02 07:22`; CSV and
                // JSON keep the full time.
                match (self.format, self.style.width, r.started_at.get(..16)) {
                    (Format::Table, Some(_), Some(t)) if !self.style.wide => {
                        t.replacen('T', " ", 1)
                    }
                    _ => r.started_at.clone(),
                },
                r.status.clone(),
                r.changed.to_string(),
                r.failed.to_string(),
                r.command.clone(),
            ]);
        }
        output::emit(&output::render(self.format, self.style, &t, &records)?)?;
        Ok(Exit::Ok)
    }

    fn runs_show(&self, run: &str) -> anyhow::Result<Exit> {
        let path = runs::find_run(&self.home, run)?;
        let plan: Plan = serde_json::from_slice(&std::fs::read(path.join("plan.json"))?)?;
        let events = runs::read_journal(&path)?;
        let folded = runs::fold(&events);
        #[derive(Serialize)]
        struct Row<'a> {
            id: &'a str,
            name: &'a str,
            old_timeout: Option<i64>,
            new_timeout: Option<i64>,
            verdict: Verdict,
            state: runs::ActionState,
        }
        let mut t = Table::new(&["NAME", "ID", "OLD", "NEW", "VERDICT", "STATE"]);
        let mut records = Vec::new();
        for r in &plan.rows {
            let l = folded.get(&r.id).cloned().unwrap_or_default();
            let state = runs::ActionState::of(&l, r.verdict);
            t.row(vec![
                r.name.clone(),
                r.id.clone(),
                describe_timeout(r.old_timeout),
                describe_timeout(r.new_timeout),
                r.verdict.as_str().into(),
                state.label().into(),
            ]);
            records.push(Row {
                id: &r.id,
                name: &r.name,
                old_timeout: r.old_timeout,
                new_timeout: r.new_timeout,
                verdict: r.verdict,
                state,
            });
        }
        let pool = runs::TokenPool::of_journal(&events);
        if self.format == Format::Json {
            let mut doc = json!({"run_id": plan.run_id, "created_at": plan.created_at, "command": plan.command,
                "operation": plan.operation, "target": plan.target, "actions": records});
            if let Some(p) = &pool {
                doc["token_pool"] = json!(p);
            }
            output::emit(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
        } else {
            if self.format == Format::Table {
                self.say(&format!(
                    "run {} ({}), {}: {}",
                    plan.run_id, plan.created_at, plan.target, plan.command
                ));
            }
            if let Some(note) = pool.as_ref().and_then(|p| p.fallback_note(None)) {
                self.say(&format!("note: {note}"));
            }
            if self.summarise(t.rows.len()) {
                // One screen: counts by state, then the rows not done first.
                let mut counts: Vec<(&str, usize)> = Vec::new();
                for r in &records {
                    match counts.iter_mut().find(|(s, _)| *s == r.state.label()) {
                        Some((_, n)) => *n += 1,
                        None => counts.push((r.state.label(), 1)),
                    }
                }
                let mut order: Vec<usize> = (0..t.rows.len()).collect();
                order.sort_by_key(|&i| (records[i].state.rank(), i));
                let shown = Table {
                    headers: t.headers.clone(),
                    rows: order
                        .iter()
                        .take(crate::screen::SCREEN_ROWS)
                        .map(|&i| t.rows[i].clone())
                        .collect(),
                };
                let counts: Vec<String> = counts
                    .iter()
                    .map(|(s, n)| format!("{} {s}", crate::screen::thousands(*n)))
                    .collect();
                output::emit(&format!(
                    "{} actions: {}\n{}\n{} of {} rows shown: failed first, then pending; every row: {}\n",
                    crate::screen::thousands(t.rows.len()),
                    counts.join(", "),
                    shown.render(self.style),
                    crate::screen::SCREEN_ROWS,
                    crate::screen::thousands(t.rows.len()),
                    self.next_step(&["runs", "show", &plan.run_id, "--wide"])
                ))?;
            } else {
                output::emit(&output::render(self.format, self.style, &t, &records)?)?;
            }
        }
        Ok(Exit::Ok)
    }

    async fn runs_resume(&self, run: &str) -> anyhow::Result<Exit> {
        let (dir, plan, events) = RunDir::open(&self.home, &self.resolve_run_ref(run)?)?;
        let session = self.session_for_run(&plan, "resume").await?;
        let ids: Vec<String> = plan
            .rows
            .iter()
            .filter(|r| r.verdict == Verdict::Change)
            .map(|r| r.id.clone())
            .collect();
        let listed = self.list_by_ids(&session, &ids).await?;
        self.say(&format!("resuming run {}", plan.run_id));
        self.execute_plan(session, plan, listed, false, Some((dir, events)))
            .await
    }

    /// Open a session for acting on an earlier run, refusing a different target than the run's.
    pub(crate) async fn session_for_run(&self, plan: &Plan, verb: &str) -> anyhow::Result<Session> {
        let session = self.session().await?;
        if session.api_base != plan.target {
            return Err(Failure::usage(format!(
                "run `{}` was made against `{}`, not `{}`",
                plan.run_id, plan.target, session.api_base
            ))
            .hint(format!(
                "{verb} with the same --region/--base-url/--sandbox/--profile as the run"
            ))
            .into());
        }
        Ok(session)
    }

    /// The rows of a run that it sent a write to (whatever the journal's last word: a write
    /// whose outcome was unknown may have landed); `None` (after saying so) when there are none.
    pub(crate) fn written_rows<'p>(
        &self,
        plan: &'p Plan,
        folded: &std::collections::BTreeMap<String, runs::ActionLog>,
    ) -> Option<Vec<&'p PlanRow>> {
        let written: Vec<&PlanRow> = plan
            .rows
            .iter()
            .filter(|r| folded.get(&r.id).is_some_and(|l| l.done || l.patch_sent))
            .collect();
        if written.is_empty() {
            self.say(&format!(
                "run {} changed no action; nothing to undo",
                plan.run_id
            ));
            return None;
        }
        Some(written)
    }

    pub(crate) async fn list_by_ids(
        &self,
        session: &Session,
        ids: &[String],
    ) -> anyhow::Result<HashMap<String, Action>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let q = ListQuery {
            ids: ids.to_vec(),
            include_config: true,
            include_auth_actions: true,
            ..ListQuery::default()
        };
        let listing = session.client.list_actions(&q).await?;
        Ok(listing.into_iter().map(|a| (a.id.clone(), a)).collect())
    }

    /// `undo RUN`: put back the state before the run on every action the run sent a write to
    /// (a timeout run: the previous timeout; a restore run: the whole pre-image), where the
    /// action is still what the run left (`--force`: whatever it is now). Through the one
    /// planner and the one write loop, as a run of its own (resumable, undoable).
    async fn undo(&self, run: &str, dry_run: bool, force: bool) -> anyhow::Result<Exit> {
        let path = runs::find_run(&self.home, &self.resolve_run_ref(run)?)?;
        let plan0: Plan = serde_json::from_slice(&std::fs::read(path.join("plan.json"))?)
            .context("the run's plan is damaged")?;
        self.check_undo(&path, &plan0, dry_run, force)?;
        let events = runs::read_journal(&path)?;
        let folded = runs::fold(&events);
        let session = self.session_for_run(&plan0, "undo").await?;
        let Some(written) = self.written_rows(&plan0, &folded) else {
            session.close()?;
            return Ok(Exit::Ok);
        };
        let read = |dir: &str, id: &str| -> Option<Action> {
            let p = path.join(dir).join(runs::backup_file_name(id));
            serde_json::from_slice(&std::fs::read(p).ok()?).ok()
        };
        let ids: Vec<String> = written.iter().map(|r| r.id.clone()).collect();
        let listed = self.list_by_ids(&session, &ids).await?;
        let mut rows = Vec::new();
        let mut targets = HashMap::new();
        for r in written {
            let Some(current) = listed.get(&r.id) else {
                let mut row = planner::skip_row(r, "the action no longer exists");
                row.old_timeout = None;
                row.new_timeout = r.old_timeout;
                rows.push(row);
                continue;
            };
            let log = &folded[&r.id];
            let row = match read("targets", &r.id) {
                // A restore run (or the undo of one): the whole documents.
                Some(written_doc) => {
                    let Some(before) = read("backups", &r.id) else {
                        rows.push(planner::skip_row(r, "the run's backup is missing"));
                        continue;
                    };
                    let now = actions::inline_templates(&session.client, current, false).await?;
                    let row = planner::plan_row(planner::Intent {
                        current: &now,
                        desired: Desired::Document(Box::new(before.clone())),
                        guard: Some(Desired::Document(Box::new(written_doc))),
                        force,
                        unchanged: "already at its state before the run",
                        draft: None,
                    });
                    if row.verdict == Verdict::Change {
                        targets.insert(r.id.clone(), before);
                    }
                    row
                }
                // A timeout run: the timeouts it wrote (the journal's, else the plan's).
                None => {
                    let (run_old, run_new) = log
                        .done_change
                        .or(log.sent_change)
                        .unwrap_or((r.old_timeout, r.new_timeout));
                    let mut row = planner::plan_row(planner::Intent {
                        current,
                        desired: Desired::Timeout(run_old),
                        guard: Some(Desired::Timeout(run_new)),
                        force,
                        unchanged: if log.done {
                            "already at its previous timeout"
                        } else {
                            "already at its previous timeout (the run's write had not landed)"
                        },
                        draft: None,
                    });
                    // A run that also set the draft's timeout restores the draft too.
                    row.draft = plan0.also_draft && r.draft;
                    row
                }
            };
            rows.push(row);
        }
        let live: Vec<Action> = listed.values().cloned().collect();
        self.functions(&session, &live)
            .await
            .annotate(&mut rows, &live);
        let plan = Plan {
            run_id: runs::new_run_id(),
            created_at: runs::now(),
            command: self.command_line.clone(),
            operation: Operation::Undo {
                of: plan0.run_id.clone(),
            },
            target: session.api_base.clone(),
            also_draft: plan0.also_draft,
            verify: plan0.verify,
            require_old: !force,
            rows,
        };
        self.execute_plan_with_targets(session, plan, listed, dry_run, None, targets)
            .await
    }

    async fn backup(&self, s: SelectorArgs, out: &Path) -> anyhow::Result<Exit> {
        let sel = self.selectors(Vec::new(), s)?;
        if sel.is_empty() {
            return Err(Failure::usage("no action selected")
                .hint("use --all, or --name, --category, --integration, --id, --from-file")
                .into());
        }
        let session = self.session().await?;
        let (selected, _) = self.load(&session, &sel).await?;
        crate::fsutil::private_dir(out)
            .with_context(|| format!("cannot create `{}`", out.display()))?;
        let sem = Arc::new(tokio::sync::Semaphore::new(
            self.global.concurrency as usize,
        ));
        let mut set = tokio::task::JoinSet::new();
        for a in selected.clone() {
            let client = session.client.clone();
            let sem = sem.clone();
            set.spawn(async move {
                let _p = sem.acquire_owned().await;
                actions::inline_templates(&client, &a, false).await
            });
        }
        let mut index = Vec::new();
        while let Some(r) = set.join_next().await {
            let a = r??;
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
        self.say(&format!(
            "backed up {} actions to {}",
            index.len(),
            out.display()
        ));
        match self.format {
            Format::Json => output::emit(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?,
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
                output::emit(&output::render(self.format, self.style, &t, &index)?)?;
            }
        }
        Ok(Exit::Ok)
    }

    fn sandbox_reset(&self) -> anyhow::Result<Exit> {
        let f = session::sandbox_state_file(&self.home);
        match std::fs::remove_file(&f) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove `{}`", f.display())),
        }
        self.say("the sandbox is back to its seed org");
        let mut t = Table::new(&["SANDBOX", "STATE FILE"]);
        t.row(vec!["reset".into(), f.display().to_string()]);
        let rec = json!({"sandbox": "reset", "state_file": f.display().to_string()});
        output::emit(&output::render(self.format, self.style, &t, &[rec])?)?;
        Ok(Exit::Ok)
    }

    async fn sandbox_serve(&self, a: genesys_emulator::cli::ServeArgs) -> anyhow::Result<Exit> {
        let config = a
            .to_config()
            .map_err(|e| Failure::usage(format!("invalid emulator settings: {e}")))?;
        let addr = a.addr;
        let org = config.orgs.first().cloned();
        let emulator = genesys_emulator::Emulator::new(config);
        let default_ca = self.home.join("sandbox").join("ca.pem");
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
        let mut rec =
            json!({"base_url": running.base_url, "client_id": id, "client_secret": secret});
        if ca_file.is_some() {
            rec["ca_file"] = json!(ca_text);
        }
        match self.format {
            Format::Table => output::emit(&format!(
                "base URL:      {}\nclient id:     {id}\nclient secret: {secret}\n{}",
                running.base_url,
                if ca_file.is_some() {
                    format!("CA file:       {ca_text}\n")
                } else {
                    String::new()
                }
            ))?,
            Format::Json => output::emit(&format!("{}\n", serde_json::to_string_pretty(&rec)?))?,
            _ => {
                let mut t = Table::new(&["base_url", "client_id", "client_secret"]);
                t.row(vec![running.base_url.clone(), id.clone(), secret.clone()]);
                output::emit(&output::render(self.format, self.style, &t, &[rec])?)?;
            }
        }
        let trust = if ca_file.is_some() {
            format!("--ca-file {} ", crate::suggest::shell_quote(&ca_text))
        } else {
            String::new()
        };
        // The emulator's secret is not a secret (it guards a throwaway org on loopback), and a
        // line that can be pasted as is beats one with a placeholder.
        self.say(&format!(
            "try: GENESYSCLOUD_OAUTHCLIENT_ID={} GENESYSCLOUD_OAUTHCLIENT_SECRET={} dactl {trust}--base-url {} list\nCtrl-C stops the emulator",
            crate::suggest::shell_quote(&id),
            crate::suggest::shell_quote(&secret),
            crate::suggest::shell_quote(&running.base_url)
        ));
        while !self.stop.load(std::sync::atomic::Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        running.shutdown();
        Ok(Exit::Ok)
    }
}

/// Progress bar on stderr (when it is a terminal) and NDJSON result lines on stdout.
///
/// The rate is this attempt's finished writes over its elapsed time: a running mean, which
/// neither jumps between samples nor counts what an earlier attempt did; it is rounded to a
/// whole number (one decimal below 10/s), and the ETA is derived from it. Actions finished
/// before a resume are shown apart (`+877 done before`) and are not in the bar.
struct ProgressReporter {
    bar: Option<indicatif::ProgressBar>,
    done_before: HashSet<String>,
    ndjson: bool,
}

/// `51/s`, `2.5/s`.
fn rate_text(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        "–/s".to_string()
    } else if per_sec >= 10.0 {
        format!("{:.0}/s", per_sec)
    } else {
        format!("{:.1}/s", per_sec)
    }
}

/// `1m 05s`, `42s`.
fn eta_text(secs: f64) -> String {
    if !secs.is_finite() {
        return "–".to_string();
    }
    let s = secs.round() as u64;
    if s >= 60 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// Mean rate of a bar since it started.
fn mean_rate(state: &indicatif::ProgressState) -> f64 {
    let secs = state.elapsed().as_secs_f64();
    if secs < 0.5 {
        return f64::NAN;
    }
    state.pos() as f64 / secs
}

impl ProgressReporter {
    fn new(total: u64, done_before: HashSet<String>, show: bool, ndjson: bool) -> Self {
        let bar = show.then(|| {
            let before = done_before.len() as u64;
            let b = indicatif::ProgressBar::new(total.saturating_sub(before));
            let template = if before > 0 {
                format!("{{bar:30}} {{pos}}/{{len}} actions (+{before} done before the resume)  {{rate}}  ETA {{eta_mean}}  {{msg}}")
            } else {
                "{bar:30} {pos}/{len} actions  {rate}  ETA {eta_mean}  {msg}".to_string()
            };
            b.set_style(
                indicatif::ProgressStyle::with_template(&template)
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .with_key(
                        "rate",
                        |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                            let _ = w.write_str(&rate_text(mean_rate(s)));
                        },
                    )
                    .with_key(
                        "eta_mean",
                        |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                            let left = s.len().unwrap_or(0).saturating_sub(s.pos()) as f64;
                            let _ = w.write_str(&eta_text(left / mean_rate(s)));
                        },
                    ),
            );
            b
        });
        ProgressReporter {
            bar,
            done_before,
            ndjson,
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Reporter for ProgressReporter {
    fn finished(&self, o: &Outcome) {
        if let Some(b) = &self.bar {
            if !self.done_before.contains(&o.id)
                && (!matches!(o.status, Status::Unchanged | Status::Skipped)
                    || o.found == Some(Found::AtTarget))
            {
                b.inc(1);
            }
            if o.status == Status::Failed {
                b.set_message(format!("failed: {}", o.name));
            }
        }
        if self.ndjson {
            if let Ok(line) = serde_json::to_string(o) {
                let _ = output::emit(&format!("{line}\n"));
            }
        }
    }
}

#[cfg(test)]
mod progress_tests {
    use super::*;

    #[test]
    fn rate_and_eta_are_rounded() {
        assert_eq!(rate_text(51.2291), "51/s");
        assert_eq!(rate_text(2.46), "2.5/s");
        assert_eq!(rate_text(f64::NAN), "–/s");
        assert_eq!(eta_text(65.4), "1m 05s");
        assert_eq!(eta_text(9.6), "10s");
        assert_eq!(eta_text(f64::INFINITY), "–");
    }
}
