//! The short critical path of a change of one action.
//!
//! A change of one action costs five sequential round trips, whatever the org's size, counting
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

use std::collections::HashSet;

use genesys_client::{Action, ListQuery};

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
