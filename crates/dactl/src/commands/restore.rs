//! `dactl restore FILE...`: write whole configurations back from `dactl get -o json` output or
//! `dactl backup` folders, through the same safe engine as a timeout change (pre-image backup,
//! run journal, canary verification, resume, undo).
//!
//! Input is validated before any request: every document must be an action (`id`, `name`,
//! `config`) with its template text inlined (a file holding a template only by URI came from a
//! raw API read and cannot restore the template); an id may appear once. Built-in and
//! custom-authentication actions are skipped. Each document is compared with the action's
//! current state (templates by text): equal → `unchanged`; different → `change`, with the
//! differing fields named in the plan. Restore writes `name`, `category` and `config` (what
//! `PATCH /api/v2/integrations/actions/{id}` accepts); it never creates or deletes actions and
//! never touches `contract`, `secure` or drafts.
//!
//! The rows come from the one planner ([`crate::planner`]: the desired state is the whole
//! document) and run through the one write loop ([`crate::engine`]). `dactl undo RUN` of a
//! restore run ([`super::undo`]) writes back the run's pre-images where the action is still
//! what the restore wrote (`--force` overrides).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use genesys_client::Action;
use serde_json::Value;

use clap::Args;

use super::change;
use crate::actions::{self, explicit_timeout};
use crate::context::Context;
use crate::error::{Exit, Failure};
use crate::planner::{self, Desired};
use crate::runs::{Operation, PlanRow, Verdict};
use crate::selection;

/// Arguments of `restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Files or backup folders
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Show what would be restored; write nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// `dactl restore FILE...`.
pub(crate) async fn run(ctx: &Context, args: RestoreArgs) -> anyhow::Result<Exit> {
    restore(ctx, args.files, args.dry_run).await
}

fn bad_input(source: &str, problem: impl std::fmt::Display) -> Failure {
    Failure::usage(format!("`{source}`: {problem}"))
}

/// Read one action document and check it can be restored.
fn parse_document(source: &str, v: Value) -> Result<Action, Failure> {
    if !v.is_object() {
        return Err(bad_input(source, "is not a JSON object").hint(
            "restore takes the output of `dactl get ACTION -o json` or a `dactl backup` folder",
        ));
    }
    let a: Action = serde_json::from_value(v).map_err(|e| bad_input(source, e))?;
    if a.id.trim().is_empty() {
        return Err(bad_input(source, "has no action `id`"));
    }
    if a.name.trim().is_empty() {
        return Err(bad_input(source, "has no action `name`"));
    }
    if a.config.is_none() {
        return Err(bad_input(source, "has no `config`").hint(
            "a listing without `includeConfig=true` omits it; use `dactl get ACTION -o json`",
        ));
    }
    let (req, succ) = actions::template_refs(&a);
    if let Some(t) = req.or(succ) {
        return Err(bad_input(
            source,
            format!("holds the template `{t}` by URI only, not its text; restoring it would erase the template"),
        )
        .hint("save actions with `dactl get ACTION -o json` or `dactl backup`, which inline template text"));
    }
    if let Some(t) = explicit_timeout(&a) {
        if !(1..=60).contains(&t) {
            return Err(bad_input(
                source,
                format!("`config.timeoutSeconds` is {t}; it must be 1 to 60"),
            ));
        }
    }
    Ok(a)
}

fn read_json(path: &Path) -> Result<Value, Failure> {
    let bytes = std::fs::read(path)
        .map_err(|e| Failure::usage(format!("cannot read `{}`: {e}", path.display())))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::usage(format!("`{}` is not UTF-8 text", path.display())))?;
    serde_json::from_str(&text).or_else(|first| {
        // `get -o ndjson` output, or several documents one a line.
        let lines: Result<Vec<Value>, _> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str)
            .collect();
        match lines {
            Ok(v) if !v.is_empty() => Ok(Value::Array(v)),
            _ => Err(Failure::usage(format!(
                "`{}` is not JSON: {first}",
                path.display()
            ))),
        }
    })
}

/// Expand the arguments into `(source label, document)` pairs. A folder is a `dactl backup`
/// folder (its `index.json` names the files; without one, every `*.json` file); a file holds
/// one action, an array of actions, NDJSON, or a backup `index.json`.
pub fn load_documents(args: &[PathBuf]) -> Result<Vec<(String, Action)>, Failure> {
    let mut out: Vec<(String, Action)> = Vec::new();
    let mut files: Vec<PathBuf> = Vec::new();
    for arg in args {
        if arg.is_dir() {
            let index = arg.join("index.json");
            if index.exists() {
                files.push(index);
            } else {
                let mut found: Vec<PathBuf> = std::fs::read_dir(arg)
                    .map_err(|e| Failure::usage(format!("cannot read `{}`: {e}", arg.display())))?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .collect();
                found.sort();
                if found.is_empty() {
                    return Err(Failure::usage(format!(
                        "`{}` holds no JSON files",
                        arg.display()
                    )));
                }
                files.extend(found);
            }
        } else {
            files.push(arg.clone());
        }
    }
    for f in files {
        let label = f.display().to_string();
        let v = read_json(&f)?;
        match v {
            Value::Object(ref o) if o.contains_key("actions") && !o.contains_key("config") => {
                // A backup index: restore the files it lists.
                let dir = f.parent().unwrap_or(Path::new("."));
                let list = o["actions"]
                    .as_array()
                    .ok_or_else(|| bad_input(&label, "`actions` is not an array"))?;
                for entry in list {
                    let name = entry["file"]
                        .as_str()
                        .ok_or_else(|| bad_input(&label, "an entry of `actions` has no `file`"))?;
                    if name.contains('/') || name.contains('\\') || name.starts_with('.') {
                        return Err(bad_input(
                            &label,
                            format!("refusing the file name `{name}`"),
                        ));
                    }
                    let p = dir.join(name);
                    let l = p.display().to_string();
                    out.push((l.clone(), parse_document(&l, read_json(&p)?)?));
                }
            }
            Value::Array(items) => {
                for (i, item) in items.into_iter().enumerate() {
                    let l = format!("{label}[{i}]");
                    out.push((l.clone(), parse_document(&l, item)?));
                }
            }
            other => out.push((label.clone(), parse_document(&label, other)?)),
        }
    }
    if out.is_empty() {
        return Err(Failure::usage("no action document to restore"));
    }
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (src, a) in &out {
        if let Some(prev) = seen.insert(a.id.as_str(), src.as_str()) {
            return Err(Failure::usage(format!(
                "action `{}` appears twice: in `{prev}` and `{src}`",
                a.id
            ))
            .hint("restore one document per action"));
        }
    }
    Ok(out)
}

pub(crate) async fn restore(
    ctx: &Context,
    files: Vec<PathBuf>,
    dry_run: bool,
) -> anyhow::Result<Exit> {
    let docs = load_documents(&files)?;
    let session = ctx.session().await?;
    let ids: Vec<String> = docs.iter().map(|(_, a)| a.id.clone()).collect();
    let listed = selection::list_by_ids(&session, &ids).await?;
    let drafts: HashSet<String> = session
        .client
        .list_drafts(&genesys_client::ListQuery {
            ids: ids.clone(),
            include_auth_actions: true,
            ..genesys_client::ListQuery::default()
        })
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect();
    // Current state with template text, to compare with each document.
    let inlined = crate::fanout::bounded(ctx.global.concurrency.into(), listed.values(), |a| {
        let (a, client) = (a.clone(), session.client.clone());
        async move { actions::inline_templates(&client, &a, false).await }
    })
    .await;
    let mut current: HashMap<String, Action> = HashMap::new();
    for a in inlined {
        let a = a?;
        current.insert(a.id.clone(), a);
    }
    let mut rows = Vec::new();
    let mut targets = HashMap::new();
    for (_, doc) in &docs {
        let Some(now) = current.get(&doc.id) else {
            let kind = actions::kind(doc);
            rows.push(PlanRow {
                id: doc.id.clone(),
                name: doc.name.clone(),
                category: doc.category.clone(),
                integration_id: doc.integration_id.clone(),
                kind,
                old_timeout: None,
                new_timeout: explicit_timeout(doc),
                verdict: Verdict::Skip,
                reason: Some(kind.refusal().map(str::to_string).unwrap_or_else(|| {
                    "no action with this id in the target org (restore never creates actions)"
                        .to_string()
                })),
                draft: false,
                warning: None,
                version: None,
                flows: None,
                function_timeout_seconds: None,
                effective_timeout_seconds: None,
            });
            continue;
        };
        let row = planner::plan_row(planner::Intent {
            current: now,
            desired: Desired::Document(Box::new(doc.clone())),
            guard: None,
            force: false,
            unchanged: "already matches the file",
            draft: drafts.contains(&doc.id).then(|| {
                "has an unpublished draft: publishing it later would replace this restore"
                    .to_string()
            }),
        });
        if row.verdict == Verdict::Change {
            targets.insert(doc.id.clone(), doc.clone());
        }
        rows.push(row);
    }
    let live: Vec<Action> = current.values().cloned().collect();
    selection::functions(ctx, &session, &live)
        .await
        .annotate(&mut rows, &live);
    let operation = Operation::Restore {
        sources: files.iter().map(|f| f.display().to_string()).collect(),
    };
    let plan = change::new_plan(ctx, &session, operation, rows);
    change::execute_plan(ctx, session, plan, current, dry_run, None, targets).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documents_are_validated_before_any_request() {
        let ok = json!({"id":"a","name":"A","version":3,"config":{"timeoutSeconds":20,
            "request":{"requestTemplate":"x"}}});
        assert!(parse_document("f", ok).is_ok());
        let uri = json!({"id":"a","name":"A","config":{"request":{"requestTemplateUri":"/x/templates/requesttemplate.vm"}}});
        let e = parse_document("f", uri).unwrap_err();
        assert!(e.message.contains("by URI only"), "{}", e.message);
        let e = parse_document("f", json!({"id":"a","name":"A"})).unwrap_err();
        assert!(e.message.contains("no `config`"));
        let e = parse_document("f", json!({"name":"A","config":{}})).unwrap_err();
        assert!(
            e.message.contains("`id`") || e.message.contains("id"),
            "{}",
            e.message
        );
        let e = parse_document(
            "f",
            json!({"id":"a","name":"A","config":{"timeoutSeconds":90}}),
        )
        .unwrap_err();
        assert!(e.message.contains("1 to 60"));
        let e = parse_document("f", json!([1])).unwrap_err();
        assert!(e.message.contains("not a JSON object"));
    }

    #[test]
    fn load_documents_reads_files_folders_and_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let a = json!({"id":"a","name":"A","config":{"timeoutSeconds":5}});
        let b = json!({"id":"b","name":"B","config":{}});
        std::fs::write(dir.path().join("a.json"), a.to_string()).unwrap();
        std::fs::write(dir.path().join("b.json"), b.to_string()).unwrap();
        std::fs::write(
            dir.path().join("index.json"),
            json!({"actions":[{"id":"a","file":"a.json"},{"id":"b","file":"b.json"}]}).to_string(),
        )
        .unwrap();
        let docs = load_documents(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(docs.len(), 2);
        let docs = load_documents(&[dir.path().join("a.json")]).unwrap();
        assert_eq!(docs[0].1.id, "a");
        // the same action twice
        let e =
            load_documents(&[dir.path().join("a.json"), dir.path().join("a.json")]).unwrap_err();
        assert!(e.message.contains("appears twice"));
        // NDJSON
        std::fs::write(dir.path().join("x.ndjson"), format!("{a}\n{b}\n")).unwrap();
        assert_eq!(
            load_documents(&[dir.path().join("x.ndjson")])
                .unwrap()
                .len(),
            2
        );
        // an index naming a path outside its folder
        std::fs::write(
            dir.path().join("bad.json"),
            json!({"actions":[{"file":"../a.json"}]}).to_string(),
        )
        .unwrap();
        assert!(load_documents(&[dir.path().join("bad.json")]).is_err());
    }
}
