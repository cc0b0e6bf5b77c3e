//! Speed where it counts: the short critical path of a change of one action, and enough
//! workers for a bulk run to use the whole rate.
//!
//! **One action.** A first change of one action costs five sequential round trips, whatever
//! the org's size, counting the token and the verification:
//!
//! 1. the token;
//! 2. the listing narrowed to the action (by id, or by the server's name filter) with its
//!    config, in parallel with the drafts listing when the id is known;
//! 3. the text of the action's templates (both at once), in parallel with the drafts listing
//!    narrowed to the action's id when the action was named;
//! 4. the PATCH;
//! 5. the verification: the action and its templates, re-read at once.
//!
//! Later commands save two of them. The token is kept between commands
//! ([`crate::token_cache`]): four. And when an earlier command saw the action ([`crate::seen`])
//! and nobody has changed it since, its templates are read together with it: three.
//!
//! [`crate::selection::load`] lists the drafts of the whole org in parallel with the listing, which costs
//! extra round trips once the org has more than a page of drafts. For one action named by its
//! exact name this module lists the drafts of that action only, together with its template
//! text (which the engine then does not fetch again).
//!
//! Otherwise the action and its templates are deliberately *not* read in parallel before a
//! write: the template text could then predate a concurrent edit whose version the action read
//! already shows, and a PATCH with that version would succeed and put the old text back. Read
//! in this order, an edit after the version was read makes the PATCH fail with a conflict
//! (which the engine handles by re-reading), so no concurrent edit is ever lost. The exception
//! above keeps this guarantee by another route: the version the PATCH carries was seen by an
//! earlier command, before the templates were read, and the action read must still show it
//! (the argument is in [`crate::seen`]).
//!
//! **Bulk workers.** The client's limiter spaces requests at the rate; the workers must keep it
//! busy. By Little's law a run needs `actions per second × seconds per action` workers: at the
//! default verification an action makes [`REQUESTS_PER_ACTION`] requests in two sequential
//! round trips (its templates at once, then the PATCH), so with a rate of `R` requests/min and
//! a mean round trip `L` it needs `R / 60 / 3 × (2 L + 5 ms)` workers, times
//! [`HEADROOM`] for the spread of latencies. Without `--concurrency`, a run takes that (from the
//! latency the listing just measured), and never fewer than the default 4 nor more than 64:
//! 4 at 3,000/min and 20 ms, 8 at 3,000/min and 150 ms, 4 at the default 300/min up to a
//! 0.8 s round trip. With `--tokens N` the rate is the pool's total, `N × R`. A given
//! `--concurrency` is always used as given.

use std::collections::HashSet;
use std::time::Duration;

use genesys_client::{Action, Client, ListQuery, REQUEST_TEMPLATE, SUCCESS_TEMPLATE};

use crate::actions::{self, explicit_timeout};
use crate::context::Context;
use crate::selector::Selectors;
use crate::session::Session;

/// Like [`crate::selection::load`], with the short paths for one action:
///
/// - named by its exact name: the drafts of that action only, fetched together with its
///   template text;
/// - seen by an earlier command (by id or exact name, see [`crate::seen`]): its template
///   text read together with the action itself, used only when the action still has the
///   version the earlier command saw.
///
/// The returned action then carries its template text inline (its `*Uri` fields dropped)
/// when a write will follow, so that the engine does not read it again.
pub(crate) async fn load_for_change(
    session: &Session,
    sel: &Selectors,
    target: Option<i64>,
    dry_run: bool,
) -> anyhow::Result<(Vec<Action>, HashSet<String>)> {
    let q = sel.server_query();
    let client = &session.client;
    // Alongside the first read: the integrations that tell function actions apart
    // (started once the token is there, so that refused credentials are tried once).
    client.authenticate().await?;
    session.integrations.start(client);
    let writes = |a: &Action| {
        !dry_run && actions::kind(a).refusal().is_none() && explicit_timeout(a) != target
    };
    let seen = match (session.seen.as_ref(), q.ids.as_slice(), q.name.as_deref()) {
        _ if dry_run => None,
        (Some(s), [id], None) => s.by_id(id),
        (Some(s), [], Some(name)) => s.by_name(name),
        _ => None,
    }
    // Seen at the target already: most likely nothing to write, so nothing to read ahead.
    .filter(|(_, s)| s.timeout != target);
    if let Some((seen_id, seen)) = seen {
        // The action and its templates at once; the drafts too, narrowed to the seen id.
        let dq = ListQuery {
            ids: vec![seen_id.clone()],
            include_auth_actions: true,
            ..ListQuery::default()
        };
        let by_id = !q.ids.is_empty();
        let listing = async {
            if by_id {
                crate::selection::load(session, sel).await
            } else {
                let (listing, drafts) =
                    tokio::try_join!(client.list_actions(&q), client.list_drafts(&dq))?;
                Ok((
                    sel.select(&listing).unwrap_or_default(),
                    drafts.into_iter().map(|d| d.id).collect(),
                ))
            }
        };
        let (loaded, texts) = tokio::join!(listing, prefetch_templates(client, &seen_id));
        let (selected, drafts) = loaded?;
        let seen_one = match selected.as_slice() {
            [one] if one.id == seen_id => Some(one),
            _ => None,
        };
        if let Some(one) = seen_one.filter(|a| writes(a)) {
            if let Some(pre) = with_prefetched(one, seen.version, texts) {
                tracing::debug!(id = %one.id, version = seen.version, "templates read with the action: its version is the one an earlier command saw");
                return Ok((vec![pre], drafts));
            }
            tracing::debug!(id = %one.id, "the action changed since an earlier command saw it; templates read after its version");
        }
        if seen_one.is_some() || by_id {
            return Ok((selected, drafts));
        }
        // Named, and the name now leads elsewhere: the general path below.
    }
    if q.name.is_none() || !q.ids.is_empty() {
        // Ids known up front (drafts already narrowed and in parallel), or a selection
        // that is not one named action.
        return crate::selection::load(session, sel).await;
    }
    let listing = client.list_actions(&q).await?;
    let selected = match sel.select(&listing) {
        Ok(v) if !v.is_empty() => v,
        // No exact match through the server's filter: the general path falls back to the
        // whole listing and reports what matches.
        _ => return crate::selection::load(session, sel).await,
    };
    drop(listing);
    let dq = ListQuery {
        ids: selected.iter().map(|a| a.id.clone()).collect(),
        include_auth_actions: true,
        ..ListQuery::default()
    };
    let inline = async {
        match selected.as_slice() {
            [one] if writes(one) => actions::inline_templates(client, one, false)
                .await
                .map(|pre| vec![pre]),
            _ => Ok(selected.clone()),
        }
    };
    let (drafts, selected) = tokio::try_join!(client.list_drafts(&dq), inline)?;
    Ok((selected, drafts.into_iter().map(|d| d.id).collect()))
}

/// The texts of an action's templates by their standard file names, read at once. A failure
/// is `None`: the normal path then reads what is missing, after the action's version.
async fn prefetch_templates(client: &Client, id: &str) -> (Option<String>, Option<String>) {
    let get = |file: &'static str| async move {
        client
            .get_template(id, file, false)
            .await
            .ok()
            .map(|r| r.body)
    };
    tokio::join!(get(REQUEST_TEMPLATE), get(SUCCESS_TEMPLATE))
}

/// `listed` with the template texts read together with it, when that is as safe as reading them
/// after its version: it still has `seen_version`, the version an earlier command saw (so the
/// PATCH, sent with it, succeeds only if nothing was written since, and then the texts are that
/// version's), and it references exactly the templates that were read.
pub(crate) fn with_prefetched(
    listed: &Action,
    seen_version: i64,
    (req_text, succ_text): (Option<String>, Option<String>),
) -> Option<Action> {
    if listed.version != Some(seen_version) {
        return None;
    }
    let (req_ref, succ_ref) = actions::template_refs(listed);
    let usable = |r: &Option<String>, text: &Option<String>, standard: &str| match r {
        None => true,
        Some(name) => name == standard && text.is_some(),
    };
    if !usable(&req_ref, &req_text, REQUEST_TEMPLATE)
        || !usable(&succ_ref, &succ_text, SUCCESS_TEMPLATE)
    {
        return None;
    }
    Some(actions::with_template_text(
        listed,
        req_text.filter(|_| req_ref.is_some()),
        succ_text.filter(|_| succ_ref.is_some()),
    ))
}

/// Requests one action costs at the default verification: its two templates and the PATCH.
pub(crate) const REQUESTS_PER_ACTION: f64 = 3.0;
/// Margin over Little's law, for the spread of round trips.
pub(crate) const HEADROOM: f64 = 1.5;
/// Local work per action (backup fsync, journal lines), added to its two round trips.
const LOCAL_WORK: Duration = Duration::from_millis(5);
/// The default and the floor of the automatic concurrency.
pub(crate) const DEFAULT_CONCURRENCY: usize = 4;
/// The ceiling (the same as `--concurrency`'s).
pub(crate) const MAX_CONCURRENCY: usize = 64;

/// Workers that keep a rate of `rate_per_minute` busy at a mean round trip of `latency`
/// (see the module doc), between [`DEFAULT_CONCURRENCY`] and [`MAX_CONCURRENCY`].
pub(crate) fn auto_concurrency(rate_per_minute: u32, latency: Duration) -> usize {
    let actions_per_second = f64::from(rate_per_minute) / 60.0 / REQUESTS_PER_ACTION;
    let seconds_per_action = (2 * latency + LOCAL_WORK).as_secs_f64();
    let needed = (actions_per_second * seconds_per_action * HEADROOM).ceil();
    if needed.is_nan() || needed <= DEFAULT_CONCURRENCY as f64 {
        DEFAULT_CONCURRENCY
    } else if needed >= MAX_CONCURRENCY as f64 {
        MAX_CONCURRENCY
    } else {
        needed as usize
    }
}

/// Workers for a bulk run: `--concurrency` when given, else [`auto_concurrency`] from the
/// pool's total rate (`--rate` per token × `--tokens`) and the latency measured so far (the
/// default 4 when nothing was measured).
pub(crate) fn bulk_concurrency(ctx: &Context, client: &Client) -> usize {
    if ctx.global.concurrency_given {
        return usize::from(ctx.global.concurrency);
    }
    let Some(latency) = client.stats().mean_latency() else {
        return usize::from(ctx.global.concurrency);
    };
    let rate = pool_rate(ctx.global.rate, client.options().tokens);
    let n = auto_concurrency(rate, latency).max(usize::from(ctx.global.concurrency));
    if n > usize::from(ctx.global.concurrency) {
        tracing::info!(
            workers = n,
            latency_ms = latency.as_millis() as u64,
            rate,
            "more workers to keep the rate busy"
        );
    }
    n
}

/// The rate a pool of `tokens` access tokens may reach, each at `rate_per_minute`.
pub(crate) fn pool_rate(rate_per_minute: u32, tokens: u32) -> u32 {
    rate_per_minute.saturating_mul(tokens.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(version: i64, req_uri: Option<&str>) -> Action {
        let mut request = serde_json::json!({"requestUrlTemplate": "/x", "requestType": "POST"});
        if let Some(u) = req_uri {
            request["requestTemplateUri"] = u.into();
        }
        serde_json::from_value(serde_json::json!({
            "id": "a1", "name": "A", "version": version,
            "config": {"request": request, "response": {"translationMap": {}}}
        }))
        .unwrap()
    }

    #[test]
    fn prefetched_texts_are_used_only_at_the_seen_version_and_names() {
        let uri = "/api/v2/integrations/actions/a1/templates/requesttemplate.vm";
        let texts = || (Some("req text".to_string()), Some("succ text".to_string()));
        let pre = with_prefetched(&listed(4, Some(uri)), 4, texts()).unwrap();
        let req = pre.config.as_ref().unwrap().request.as_ref().unwrap();
        assert_eq!(req.request_template.as_deref(), Some("req text"));
        assert!(req.request_template_uri.is_none());
        // The action has no success template: the text read for it is not added.
        let resp = pre.config.as_ref().unwrap().response.as_ref().unwrap();
        assert!(resp.success_template.is_none());
        // Another version: an edit since the earlier command; read again after the version.
        assert!(with_prefetched(&listed(5, Some(uri)), 4, texts()).is_none());
        // A template under another file name, or a text that could not be read.
        let other = "/api/v2/integrations/actions/a1/templates/custom.vm";
        assert!(with_prefetched(&listed(4, Some(other)), 4, texts()).is_none());
        assert!(with_prefetched(&listed(4, Some(uri)), 4, (None, None)).is_none());
        // No template at all: nothing to read, usable as listed.
        assert!(with_prefetched(&listed(4, None), 4, (None, None)).is_some());
    }

    #[test]
    fn workers_follow_rate_times_latency() {
        let ms = Duration::from_millis;
        // The bulk issue's case: 3,000/min at 20 ms needs no more than the default.
        assert_eq!(auto_concurrency(3000, ms(20)), 4);
        // 16.7 actions/s × 305 ms × 1.5 = 7.6.
        assert_eq!(auto_concurrency(3000, ms(150)), 8);
        // The platform's default rate needs no more than 4 up to a 0.8 s round trip.
        assert_eq!(auto_concurrency(300, ms(500)), 4);
        // 1.67 actions/s × 2.005 s × 1.5 = 5.0.
        assert_eq!(auto_concurrency(300, ms(1000)), 6);
        assert_eq!(auto_concurrency(100_000, ms(300)), MAX_CONCURRENCY);
        assert_eq!(auto_concurrency(1, Duration::ZERO), DEFAULT_CONCURRENCY);
    }

    #[test]
    fn a_pool_of_tokens_is_sized_from_its_total_rate() {
        let ms = Duration::from_millis;
        assert_eq!(pool_rate(300, 1), 300);
        assert_eq!(pool_rate(300, 4), 1200);
        assert_eq!(pool_rate(100_000, 10), 1_000_000);
        // One token at 300/min needs 4 workers at a 1 s round trip... 6, and four tokens 21.
        assert_eq!(auto_concurrency(pool_rate(300, 1), ms(1000)), 6);
        // 6.67 actions/s × 2.005 s × 1.5 = 20.05.
        assert_eq!(auto_concurrency(pool_rate(300, 4), ms(1000)), 21);
    }
}
