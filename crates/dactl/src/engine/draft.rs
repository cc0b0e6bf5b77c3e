//! `--also-draft`: the open draft's timeout, patched after the published action's.

use genesys_client::{Action, UpdateDraftInput};

use super::write::{back_off, classify, patched, unknown, Answer};
use super::{ActionFailure, Ctx, MAX_CONFLICT_RETRIES};
use crate::actions::{self, explicit_timeout};
use crate::runs::{Event, PlanRow, Target};

/// With `--also-draft`, set the open draft's timeout too (it is never published). The same
/// rules as for the published action: a version conflict (409, or 400 "does not match …
/// version") re-reads the draft and re-applies the timeout; an answer without config is no
/// failure, and neither is a lost answer: the draft is re-read and decides.
pub(super) async fn draft_step(ctx: &Ctx, row: &PlanRow) -> Result<Option<String>, ActionFailure> {
    if !row.draft {
        return Ok(None);
    }
    if !ctx.also_draft {
        return Ok(row.warning.clone());
    }
    let client = &ctx.client;
    let read = || async {
        let d = client.get_draft(&row.id).await?;
        actions::inline_templates(client, &d.body, true).await
    };
    let mut draft = read().await?;
    let mut attempts = 0;
    loop {
        if explicit_timeout(&draft) == row.new_timeout {
            return Ok(Some(if attempts == 0 {
                "draft already at the target".into()
            } else {
                "draft updated too (not published)".into()
            }));
        }
        attempts += 1;
        if attempts > MAX_CONFLICT_RETRIES {
            return Err(ActionFailure::DraftKeptChanging {
                id: row.id.clone(),
                attempts: MAX_CONFLICT_RETRIES,
            });
        }
        let version = draft
            .version
            .ok_or_else(|| ActionFailure::DraftWithoutVersion { id: row.id.clone() })?;
        let mut config = draft.config.clone().unwrap_or_default();
        config.timeout_seconds = row.new_timeout;
        let body = UpdateDraftInput {
            name: Some(draft.name.clone()),
            category: draft.category.clone(),
            version,
            config: Some(config),
            extra: draft_contract(&draft),
        };
        ctx.log(Event::Patch {
            ts: crate::runs::now(),
            id: row.id.clone(),
            from_version: version,
            old_timeout: explicit_timeout(&draft),
            new_timeout: row.new_timeout,
            target: Target::Draft,
        })?;
        let result = client.patch_draft(&row.id, &body).await;
        let answered = match classify(result) {
            Answer::Taken(r) => {
                ctx.log(patched(&row.id, &r, Target::Draft))?;
                r.map(|r| r.body)
            }
            Answer::Conflict(_) => {
                tracing::info!(id = %row.id, "the draft's version is stale; re-reading it");
                None
            }
            Answer::Unreadable(e) => {
                ctx.log(unknown(&row.id, &e, Target::Draft))?;
                None
            }
            Answer::Unknown(e, backoff) => {
                ctx.log(unknown(&row.id, &e, Target::Draft))?;
                if backoff {
                    back_off(client, attempts).await;
                }
                None
            }
            Answer::Refused(e) => return Err(e.into()),
        };
        // The answer counts only where it shows the config; otherwise the draft is re-read.
        match answered {
            Some(a) if a.config.is_some() && explicit_timeout(&a) == row.new_timeout => {
                return Ok(Some("draft updated too (not published)".into()));
            }
            _ => draft = read().await?,
        }
    }
}

/// The draft's contract in the `UpdateDraftInput` shape (input.inputSchema,
/// output.successSchema), so that a replacing PATCH keeps it.
fn draft_contract(draft: &Action) -> serde_json::Map<String, serde_json::Value> {
    let mut extra = serde_json::Map::new();
    let Some(c) = draft.contract.as_ref() else {
        return extra;
    };
    let input = c.pointer("/input/inputSchema").cloned();
    let output = c.pointer("/output/successSchema").cloned();
    if let (Some(i), Some(o)) = (input, output) {
        extra.insert(
            "contract".into(),
            serde_json::json!({"input": {"inputSchema": i}, "output": {"successSchema": o}}),
        );
    }
    extra
}
