//! Speed where it counts: the short critical path of a change of one action, and enough
//! workers for a bulk run to use the whole rate.
//!
//! **One action.** A change of one action costs five sequential round trips, whatever the org's size, counting
//! the token and the verification:
//!
//! 1. the token;
//! 2. the listing narrowed to the action (by id, or by the server's name filter) with its
//!    config, in parallel with the drafts listing when the id is known;
//! 3. the text of the action's templates (both at once), in parallel with the drafts listing
//!    narrowed to the action's id when the action was named;
//! 4. the PATCH;
//! 5. the verification: the action and its templates, re-read at once.
//!
//! [`App::load`] lists the drafts of the whole org in parallel with the listing, which costs
//! extra round trips once the org has more than a page of drafts. For one action named by its
//! exact name this module lists the drafts of that action only, together with its template
//! text (which the engine then does not fetch again).
//!
//! The action and its templates are deliberately *not* read in parallel before a write: the
//! template text could then predate a concurrent edit whose version the action read already
//! shows, and a PATCH with that version would succeed and put the old text back. Read in this
//! order, an edit after the version was read makes the PATCH fail with a conflict (which the
//! engine handles by re-reading), so no concurrent edit is ever lost.
//!
//! **Bulk workers.** The client's limiter spaces requests at the rate; the workers must keep it
//! busy. By Little's law a run needs `actions per second × seconds per action` workers: at the
//! default verification an action makes [`REQUESTS_PER_ACTION`] requests in two sequential
//! round trips (its templates at once, then the PATCH), so with a rate of `R` requests/min and
//! a mean round trip `L` it needs `R / 60 / 3 × (2 L + 5 ms)` workers, times
//! [`HEADROOM`] for the spread of latencies. Without `--concurrency`, a run takes that (from the
//! latency the listing just measured), and never fewer than the default 4 nor more than 64:
//! 4 at 3,000/min and 20 ms, 8 at 3,000/min and 150 ms, 4 at the default 300/min up to a
//! 0.8 s round trip. A given `--concurrency` is always used as given.

use std::collections::HashSet;
use std::time::Duration;

use genesys_client::{Action, Client, ListQuery};

use crate::actions::{self, explicit_timeout};
use crate::app::App;
use crate::selector::Selectors;
use crate::session::Session;

impl App {
    /// Like [`App::load`], with the short path for one action named by its exact name: the
    /// drafts of that action only, fetched together with its template text. The returned
    /// action then carries its template text inline (its `*Uri` fields dropped) when a write
    /// will follow, so that the engine does not read it again.
    pub(crate) async fn load_for_change(
        &self,
        session: &Session,
        sel: &Selectors,
        target: Option<i64>,
        dry_run: bool,
    ) -> anyhow::Result<(Vec<Action>, HashSet<String>)> {
        let q = sel.server_query();
        if q.name.is_none() || !q.ids.is_empty() {
            // Ids known up front (drafts already narrowed and in parallel), or a selection
            // that is not one named action.
            return self.load(session, sel).await;
        }
        let client = &session.client;
        let listing = client.list_actions(&q).await?;
        let selected = match sel.select(&listing) {
            Ok(v) if !v.is_empty() => v,
            // No exact match through the server's filter: the general path falls back to the
            // whole listing and reports what matches.
            _ => return self.load(session, sel).await,
        };
        drop(listing);
        let dq = ListQuery {
            ids: selected.iter().map(|a| a.id.clone()).collect(),
            include_auth_actions: true,
            ..ListQuery::default()
        };
        let writes = |a: &Action| {
            !dry_run && actions::kind(a).refusal().is_none() && explicit_timeout(a) != target
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

impl App {
    /// Workers for a bulk run: `--concurrency` when given, else [`auto_concurrency`] from the
    /// rate and the latency measured so far (the default 4 when nothing was measured).
    pub(crate) fn bulk_concurrency(&self, client: &Client) -> usize {
        if self.global.concurrency_given {
            return usize::from(self.global.concurrency);
        }
        let Some(latency) = client.stats().mean_latency() else {
            return usize::from(self.global.concurrency);
        };
        let n =
            auto_concurrency(self.global.rate, latency).max(usize::from(self.global.concurrency));
        if n > usize::from(self.global.concurrency) {
            tracing::info!(
                workers = n,
                latency_ms = latency.as_millis() as u64,
                rate = self.global.rate,
                "more workers to keep the rate busy"
            );
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
