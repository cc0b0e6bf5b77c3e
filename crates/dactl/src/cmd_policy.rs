//! `dactl plan -f POLICY.toml [--detailed-exitcode]` and `dactl apply -f POLICY.toml`:
//! timeouts as code (the file format is in [`crate::policy`]).
//!
//! Both read the policy and validate it before connecting, then read every action and give
//! each the timeout of the first rule that matches it (or the `default`). Actions no rule
//! matches, with no `default`, are left out of the plan entirely. `plan` prints the diff
//! against the live org and writes nothing; with `--detailed-exitcode` it follows Terraform's
//! contract for drift checks in CI: 0 the org matches, 1 an error (of any kind), 2 changes
//! are pending. `apply`
//! turns the same plan into a bulk run (`Operation::Policy`, one new timeout per row), so
//! confirmation, backups, the journal, `runs resume` and `undo` work as for `timeout set`.

use std::collections::HashMap;
use std::path::Path;

use genesys_client::Action;
use serde::Serialize;
use serde_json::json;

use crate::actions::describe_timeout;
use crate::app::App;
use crate::cli::SelectorArgs;
use crate::error::{Exit, Failure};
use crate::output::{self, Format, Table};
use crate::policy::Policy;
use crate::runs::{self, Operation, Plan, PlanRow, Verdict, VerifyMode};
use crate::selector;
use crate::session::Session;

/// A plan row with the rule that decided it.
#[derive(Debug, Serialize)]
struct PolicyRow<'a> {
    #[serde(flatten)]
    row: &'a PlanRow,
    rule: &'a str,
}

/// What a policy means for the org.
struct PolicyPlan {
    rows: Vec<PlanRow>,
    /// Rule label by action id.
    rules: HashMap<String, String>,
    listed: HashMap<String, Action>,
    /// Actions no rule matches (and no default).
    left_alone: usize,
}

impl PolicyPlan {
    fn count(&self, v: Verdict) -> usize {
        self.rows.iter().filter(|r| r.verdict == v).count()
    }
}

/// Read and validate a policy file (exit 2 on any problem, before any request).
pub(crate) fn read_policy(path: &Path) -> Result<Policy, Failure> {
    let label = selector::shorten(&path.display().to_string());
    let bytes =
        std::fs::read(path).map_err(|e| Failure::usage(format!("cannot read `{label}`: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::usage(format!("`{label}` is not UTF-8 text")))?;
    Policy::parse(&label, &text)
}

impl App {
    async fn policy_plan(
        &self,
        session: &Session,
        policy: &Policy,
        also_draft: bool,
        show_flows: bool,
    ) -> anyhow::Result<PolicyPlan> {
        let sel = self.selectors(
            Vec::new(),
            SelectorArgs {
                all: true,
                ..SelectorArgs::default()
            },
        )?;
        let (all, drafts) = self.load(session, &sel).await?;
        for w in policy.check_matches(&all)? {
            self.say(&format!("warning: {w}"));
        }
        let mut rules = HashMap::new();
        let mut matched = Vec::new();
        let mut left_alone = 0;
        for a in &all {
            match policy.target(a) {
                Some((_, source)) => {
                    rules.insert(a.id.clone(), policy.describe(source));
                    matched.push(a.clone());
                }
                None => left_alone += 1,
            }
        }
        let mut rows = self.plan_rows(
            &matched,
            &drafts,
            &|a| policy.target(a).map(|(t, _)| t),
            also_draft,
        );
        self.functions(session, &matched)
            .await
            .annotate(&mut rows, &matched);
        if show_flows {
            self.annotate_flows(session, &mut rows, &crate::cmd_flows::secure_ids(&matched))
                .await;
        }
        let listed = matched.into_iter().map(|a| (a.id.clone(), a)).collect();
        Ok(PolicyPlan {
            rows,
            rules,
            listed,
            left_alone,
        })
    }

    pub(crate) async fn plan_policy(
        &self,
        file: &Path,
        detailed_exitcode: bool,
        show_flows: bool,
    ) -> anyhow::Result<Exit> {
        let policy = read_policy(file)?;
        let session = self.session().await?;
        let p = self
            .policy_plan(&session, &policy, false, show_flows)
            .await?;
        let target = session.api_base.clone();
        session.close()?;
        let records: Vec<PolicyRow> = p
            .rows
            .iter()
            .map(|r| PolicyRow {
                row: r,
                rule: p.rules.get(&r.id).map(String::as_str).unwrap_or(""),
            })
            .collect();
        let changes = p.count(Verdict::Change);
        let flows = p.rows.iter().any(|r| r.flows.is_some());
        let mut headers = vec!["NAME", "ID", "OLD", "NEW", "RULE", "VERDICT"];
        if flows {
            headers.push("USED BY");
        }
        headers.push("NOTE");
        let mut t = Table::new(&headers);
        // The table shows what matters: changes and what cannot be changed. CSV and JSON
        // carry every matched action.
        let shown = |r: &PlanRow| self.format == Format::Csv || r.verdict != Verdict::Unchanged;
        for rec in records.iter().filter(|rec| shown(rec.row)) {
            let r = rec.row;
            let verdict = match (&r.verdict, &r.reason) {
                (Verdict::Skip, Some(reason)) => format!("skip: {reason}"),
                (v, _) => v.as_str().to_string(),
            };
            let mut cells = vec![
                r.name.clone(),
                r.id.clone(),
                describe_timeout(r.old_timeout),
                describe_timeout(r.new_timeout),
                rec.rule.to_string(),
                verdict,
            ];
            if flows {
                cells.push(crate::cmd_flows::used_by(r.flows));
            }
            cells.push(r.warning.clone().unwrap_or_default());
            t.row(cells);
        }
        let text = match self.format {
            Format::Json => format!(
                "{}\n",
                serde_json::to_string_pretty(&json!({
                    "policy": policy.file,
                    "target": target,
                    "summary": {
                        "change": changes,
                        "unchanged": p.count(Verdict::Unchanged),
                        "skip": p.count(Verdict::Skip),
                        "left_alone": p.left_alone,
                    },
                    "rows": records,
                }))?
            ),
            Format::Ndjson => output::ndjson(&records)?,
            Format::Csv => t.to_csv(),
            Format::Table if t.rows.is_empty() => String::new(),
            Format::Table if self.summarise(t.rows.len()) => {
                // One screen on a terminal (see `crate::screen`).
                let shown = Table {
                    headers: t.headers.clone(),
                    rows: t.rows[..crate::screen::SCREEN_ROWS].to_vec(),
                };
                format!(
                    "{}{}\n{} of {} rows shown. The whole plan: `-o json` or `-o csv`, or piped to `less`\n",
                    crate::screen::plan_head(
                        &p.rows,
                        false,
                        self.style.width.map(usize::from).unwrap_or(usize::MAX)
                    ),
                    shown.render(self.style),
                    crate::screen::SCREEN_ROWS,
                    crate::screen::thousands(t.rows.len())
                )
            }
            Format::Table => format!("{}\n", t.render(self.style)),
        };
        output::emit(&text)?;
        self.say(&format!(
            "plan: {changes} to change, {} unchanged, {} skipped; {} left alone (no rule matches{})",
            p.count(Verdict::Unchanged),
            p.count(Verdict::Skip),
            p.left_alone,
            if policy.default.is_some() {
                ""
            } else {
                ", no default"
            }
        ));
        if changes == 0 {
            self.say(&format!("no changes: the org matches `{}`", policy.file));
            return Ok(Exit::Ok);
        }
        self.say(&format!(
            "apply with: {}",
            self.next_step(&["apply", "-f", &file.display().to_string()])
        ));
        Ok(if detailed_exitcode {
            Exit::Changes
        } else {
            Exit::Ok
        })
    }

    pub(crate) async fn apply_policy(
        &self,
        file: &Path,
        also_draft: bool,
        verify: VerifyMode,
        show_flows: bool,
    ) -> anyhow::Result<Exit> {
        let policy = read_policy(file)?;
        let session = self.session().await?;
        let p = self
            .policy_plan(&session, &policy, also_draft, show_flows)
            .await?;
        if p.rows.is_empty() {
            session.close()?;
            self.say(&format!(
                "`{}` matches no action; nothing to change",
                policy.file
            ));
            return Ok(Exit::Ok);
        }
        let plan = Plan {
            run_id: runs::new_run_id(),
            created_at: runs::now(),
            command: self.command_line.clone(),
            operation: Operation::Policy,
            target: session.api_base.clone(),
            also_draft,
            verify,
            require_old: false,
            rows: p.rows,
        };
        self.execute_plan(session, plan, p.listed, false, None)
            .await
    }
}
