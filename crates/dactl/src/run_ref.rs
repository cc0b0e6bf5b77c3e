//! Which run a command means, and what undoing it would do.
//!
//! `last` (or `latest`) in `dactl undo last` and `dactl runs resume last` is the newest run
//! made **against the current target** (the sandbox, or the API base URL that the flags,
//! environment and profile resolve to), not the newest run of any org: an admin who works on
//! two orgs undoes the run they just made on this one. `runs show last` and `runs list` need
//! no target and keep meaning the newest run of all.
//!
//! Before an undo, [`check_undo`] says plainly what is about to happen in two cases that
//! surprised a new user: the run was interrupted (finishing it is `runs resume`, not undo), and
//! the run is itself an undo (undoing it re-applies the original change, so it needs
//! `--force`).

use std::path::Path;

use crate::context::Context;
use crate::error::Failure;
use crate::runs::{self, Operation, Plan, RunStatus};

/// The target this command line reaches, as plans record it (`sandbox` or the API base
/// URL). Resolved without any request and without printing the settings' warnings (the
/// session prints them).
pub(crate) fn target_label(ctx: &Context) -> anyhow::Result<String> {
    let flags = ctx.connection_flags();
    let files = if flags.sandbox {
        crate::profiles::ConfigFiles::default()
    } else {
        crate::profiles::load_files(&ctx.env)?
    };
    let res = crate::settings::resolve(&flags, &ctx.env, &files)?;
    Ok(match res.target {
        crate::settings::TargetSpec::Sandbox => "sandbox".to_string(),
        crate::settings::TargetSpec::Remote { environment, .. } => environment.api_base,
    })
}

/// Resolve a run reference: `last`/`latest` is the newest run against the current target;
/// anything else is an id or a unique prefix (as [`runs::find_run`]). Returns the run id.
pub(crate) fn resolve_run_ref(ctx: &Context, run: &str) -> anyhow::Result<String> {
    let r = run.trim();
    if r != "last" && r != "latest" {
        return Ok(r.to_string());
    }
    let target = target_label(ctx)?;
    let ids = runs::list_run_ids(&ctx.home);
    if ids.is_empty() {
        return Err(Failure::usage("there are no runs yet").into());
    }
    let root = runs::runs_root(&ctx.home);
    for id in ids.iter().rev() {
        let plan = std::fs::read(root.join(id).join("plan.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<Plan>(&b).ok());
        if plan.is_some_and(|p| p.target == target) {
            return Ok(id.clone());
        }
    }
    Err(
        Failure::usage(format!("there is no run against `{target}` yet"))
            .hint(format!(
                "`last` means the newest run against the current target; the {} run(s) in `dactl runs list` were made against other targets: give the run id, with the same --sandbox/--base-url/--region/--profile as that run",
                ids.len()
            ))
            .into(),
    )
}

/// Say what undoing the run in `path` means when it is not simply "put back its change":
/// an interrupted run is finished with `runs resume`; an undo run is undone only with
/// `--force`, since that re-applies the change it had put back.
pub(crate) fn check_undo(
    ctx: &Context,
    path: &Path,
    plan: &Plan,
    dry_run: bool,
    force: bool,
) -> anyhow::Result<()> {
    let resume = ctx.next_step(&["runs", "resume", &plan.run_id]);
    let ending = RunStatus::of(runs::read_summary(path).as_ref());
    if let Operation::Undo { of } = &plan.operation {
        let what = format!(
            "run `{}` is itself an undo (of run `{of}`): undoing it writes back what run `{of}` had set",
            plan.run_id
        );
        if !force {
            let mut f = Failure::usage(what);
            if !ending.finished() {
                f = f.hint(format!(
                    "the undo was interrupted; finish it with: {resume}"
                ));
            }
            let mut args = vec!["undo", plan.run_id.as_str(), "--force"];
            if dry_run {
                args.push("--dry-run");
            }
            return Err(f
                .hint(format!(
                    "to re-apply run `{of}`'s change anyway: {}",
                    ctx.next_step(&args)
                ))
                .into());
        }
        ctx.say(&format!("note: {what}"));
    }
    if !ending.finished() {
        ctx.say(&format!(
            "note: run `{}` did not finish ({}); to finish it instead of undoing what it did: {resume}",
            plan.run_id,
            if ending == RunStatus::Interrupted {
                "interrupted"
            } else {
                "it stopped without a summary"
            }
        ));
    }
    Ok(())
}
