//! Function data actions: which actions are function data actions, and the timeout of their
//! function (DESIGN §1, genesys-api.md §7 "Known since").
//!
//! **Classification.** A function data action is an action of an integration whose
//! `integrationType.id` is `function-data-actions`. Its category is the admin's free text and
//! its config has no `function` key, so nothing in the action tells it apart. Each command that
//! classifies actions reads `GET /api/v2/integrations?integrationType=function-data-actions`
//! once (every page, through the shared rate limiter), started together with the actions
//! listing ([`IntegrationsPrefetch::start`] in [`crate::selection::load`]), so a change of one regular action
//! costs no extra round trip; the type of each listed integration is checked again in case a
//! server ignores the filter. An action whose integration is not among them is regular.
//!
//! **Names.** The integrations' names (`--integration NAME`, `get`, `list`, the integration of
//! a name several actions share) come from a listing of every type, read only by the commands
//! and paths that show or match them ([`IntegrationsPrefetch::names`]): kept off the write path,
//! where an org with many integrations would pay for their pages.
//!
//! When the listing is refused (the OAuth client lacks `integrations:integration:view`) or
//! fails, dactl falls back to the old heuristic (a category containing "function data action",
//! or a `function` key in the config) and says so once.
//!
//! **Function timeout.** For function actions only, `GET …/actions/{id}/function` is read, at
//! `--concurrency` at a time. `Function.timeoutSeconds` is 1..=15 s, 15 when the function sets
//! none; a function that cannot be read (404, or a refused `integrations:actionFunction:view`,
//! said once) counts as 15 s, its ceiling. The function is stopped at the smaller of the
//! action's timeout (or the platform's 60 s) and its own: that is the *effective* timeout that
//! `list`, `get`, `report`, plans and `probe` show. A plan that raises a function action past
//! its function's timeout keeps the change and notes it (`function stops at 10 s`). dactl never
//! writes function settings (a draft and a publish whose effect on the package is unknown, U20).

use std::collections::{HashMap, HashSet};

use genesys_client::{
    Action, Client, ErrorKind, Integration, FUNCTION_DEFAULT_TIMEOUT, FUNCTION_INTEGRATION_TYPE,
};

use crate::actions::{self, Kind};
use crate::duration::DEFAULT_TIMEOUT;
use crate::runs::PlanRow;

/// The permission that reading the integrations needs.
pub const INTEGRATION_VIEW: &str = "integrations:integration:view";
/// The permission that reading a function's settings needs.
pub const FUNCTION_VIEW: &str = "integrations:actionFunction:view";

/// The timeout that stops an action: the action's own (or the platform default of 60 s),
/// and for a function action also its function's, whichever is smaller.
pub fn effective_timeout(timeout: Option<i64>, function_timeout: Option<i64>) -> i64 {
    let action = timeout.unwrap_or(DEFAULT_TIMEOUT);
    function_timeout.map_or(action, |f| f.min(action))
}

/// The plan note of a function action whose new timeout exceeds its function's.
pub fn ceiling_note(new_timeout: Option<i64>, function_timeout: i64) -> Option<String> {
    (new_timeout.unwrap_or(DEFAULT_TIMEOUT) > function_timeout).then(|| {
        format!(
            "function stops at {function_timeout} s (its own timeout; dactl does not change it)"
        )
    })
}

/// What a command knows about function data actions.
#[derive(Debug, Clone, Default)]
pub struct Functions {
    /// Ids of the integrations of type `function-data-actions`; `None` when they could not be
    /// read (the heuristic classifies then).
    integrations: Option<HashSet<String>>,
    /// The function's timeout of each function action read (action id → seconds).
    timeouts: HashMap<String, i64>,
}

impl Functions {
    /// Classification by the integrations' types.
    pub fn by_type(function_integrations: HashSet<String>) -> Functions {
        Functions {
            integrations: Some(function_integrations),
            timeouts: HashMap::new(),
        }
    }

    /// Classification by the old heuristic (the integrations could not be read).
    pub fn heuristic() -> Functions {
        Functions::default()
    }

    /// Record the function timeout of a function action.
    pub fn set_timeout(&mut self, action_id: &str, seconds: i64) {
        self.timeouts.insert(action_id.to_string(), seconds);
    }

    /// The kind of an action: built-in and custom-auth by id; function by its integration's
    /// type (or, without the integrations, by the heuristic); otherwise regular.
    pub fn kind(&self, a: &Action) -> Kind {
        let heuristic = actions::kind(a);
        match (&self.integrations, heuristic) {
            (_, Kind::Builtin | Kind::CustomAuth) => heuristic,
            (None, k) => k,
            (Some(ids), _) => {
                if a.integration_id.as_ref().is_some_and(|i| ids.contains(i)) {
                    Kind::Function
                } else {
                    Kind::Regular
                }
            }
        }
    }

    /// The function's own timeout of a function action (15 when unknown or unset); `None`
    /// for any other kind.
    pub fn function_timeout(&self, a: &Action) -> Option<i64> {
        (self.kind(a) == Kind::Function).then(|| {
            self.timeouts
                .get(&a.id)
                .copied()
                .unwrap_or(FUNCTION_DEFAULT_TIMEOUT)
        })
    }

    /// The effective timeout of an action with timeout `timeout` (its own, or a planned one).
    pub fn effective(&self, a: &Action, timeout: Option<i64>) -> i64 {
        effective_timeout(timeout, self.function_timeout(a))
    }

    /// Set the kind, the function and effective timeouts (after the plan) of plan rows, and
    /// note a change that raises a function action past its function's timeout.
    pub fn annotate(&self, rows: &mut [PlanRow], listed: &[Action]) {
        let by_id: HashMap<&str, &Action> = listed.iter().map(|a| (a.id.as_str(), a)).collect();
        for r in rows.iter_mut() {
            let Some(a) = by_id.get(r.id.as_str()) else {
                continue;
            };
            r.kind = self.kind(a);
            r.function_timeout_seconds = self.function_timeout(a);
            // What will stop the action after the run: a skipped action keeps its timeout.
            let after = if r.verdict == crate::runs::Verdict::Skip {
                r.old_timeout
            } else {
                r.new_timeout
            };
            r.effective_timeout_seconds = Some(self.effective(a, after));
            let note = r
                .function_timeout_seconds
                .filter(|_| r.verdict == crate::runs::Verdict::Change)
                .and_then(|f| ceiling_note(r.new_timeout, f));
            if let Some(note) = note {
                r.warning = Some(match r.warning.take() {
                    Some(w) => format!("{note}; {w}"),
                    None => note,
                });
            }
        }
    }
}

/// What became of the integrations listing.
#[derive(Debug, Clone)]
enum Listing {
    /// Ids of the function integrations, and every integration's name by id when the listing
    /// was of every type.
    Read(HashSet<String>, Option<HashMap<String, String>>),
    /// The listing was refused for a missing permission.
    Refused,
    /// It failed otherwise.
    Failed(String),
}

#[derive(Default)]
enum State {
    #[default]
    Idle,
    /// The listing task, and whether it lists every type (and so names them).
    Running(
        tokio::task::JoinHandle<Result<Vec<Integration>, genesys_client::Error>>,
        bool,
    ),
    Done(Listing),
}

/// The integrations listing of one command: started once, alongside the first actions read,
/// and awaited when the classification is needed.
#[derive(Default)]
pub struct IntegrationsPrefetch {
    state: tokio::sync::Mutex<State>,
    names: tokio::sync::OnceCell<HashMap<String, String>>,
}

impl std::fmt::Debug for IntegrationsPrefetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntegrationsPrefetch")
            .finish_non_exhaustive()
    }
}

fn function_ids(list: &[Integration]) -> HashSet<String> {
    list.iter()
        .filter(|i| i.is_function())
        .map(|i| i.id.clone())
        .collect()
}

fn names_by_id(list: Vec<Integration>) -> HashMap<String, String> {
    list.into_iter()
        .filter_map(|i| Some((i.id, i.name?)))
        .collect()
}

impl IntegrationsPrefetch {
    /// Start the listing in the background, unless it was started already. Call it once the
    /// client has its token: a task started before would fetch a token of its own when the
    /// caller's attempt fails, and try refused credentials twice.
    pub fn start(&self, client: &Client) {
        self.start_listing(client, false);
    }

    /// [`IntegrationsPrefetch::start`] for a command that also shows or matches the
    /// integrations' names: one listing of every type serves both.
    pub fn start_with_names(&self, client: &Client) {
        self.start_listing(client, true);
    }

    fn start_listing(&self, client: &Client, all_types: bool) {
        let Ok(mut state) = self.state.try_lock() else {
            return;
        };
        if matches!(*state, State::Idle) {
            let client = client.clone();
            *state = State::Running(
                tokio::spawn(async move {
                    let only = (!all_types).then_some(FUNCTION_INTEGRATION_TYPE);
                    client.list_integrations(only).await
                }),
                all_types,
            );
        }
    }

    /// Every integration's name by id, read once per command (every type, every page);
    /// empty when they cannot be read: messages and tables then show ids, and the
    /// classification says why once.
    pub async fn names(&self, client: &Client) -> HashMap<String, String> {
        if let Listing::Read(_, Some(names)) = self.outcome(client).await {
            return names;
        }
        self.names
            .get_or_init(|| async {
                match client.list_integrations(None).await {
                    Ok(list) => names_by_id(list),
                    Err(e) => {
                        tracing::debug!(error = %e, "integration names not read");
                        HashMap::new()
                    }
                }
            })
            .await
            .clone()
    }

    /// The listing's outcome (started now if it was not).
    async fn outcome(&self, client: &Client) -> Listing {
        self.start(client);
        let mut state = self.state.lock().await;
        let listing = match std::mem::take(&mut *state) {
            State::Done(l) => l,
            State::Running(task, all_types) => match task.await {
                Ok(Ok(list)) => {
                    Listing::Read(function_ids(&list), all_types.then(|| names_by_id(list)))
                }
                Ok(Err(e)) if e.kind() == ErrorKind::Permission => Listing::Refused,
                Ok(Err(e)) => Listing::Failed(e.to_string()),
                Err(e) => Listing::Failed(format!("the listing task failed: {e}")),
            },
            State::Idle => Listing::Failed("the listing was never started".to_string()),
        };
        *state = State::Done(listing.clone());
        listing
    }
}

/// What a command knows about function data actions among `listed`: their classification
/// (see the module doc) and, for function actions, their function's timeout, read with at most
/// `concurrency` requests at once. Read failures are said once each through `warn` and never
/// fail the command.
pub(crate) async fn classify(
    client: &Client,
    integrations: &IntegrationsPrefetch,
    listed: &[Action],
    concurrency: usize,
    warn: &(dyn Fn(&str) + Sync),
) -> Functions {
    let mut fx = match integrations.outcome(client).await {
        Listing::Read(ids, _) => Functions::by_type(ids),
        Listing::Refused => {
            warn(&format!(
                "the OAuth client may not read the integrations (`{INTEGRATION_VIEW}`): function data actions are recognised by their category only"
            ));
            Functions::heuristic()
        }
        Listing::Failed(why) => {
            warn(&format!(
                "cannot read the integrations ({why}): function data actions are recognised by their category only"
            ));
            Functions::heuristic()
        }
    };
    let ids: Vec<String> = listed
        .iter()
        .filter(|a| fx.kind(a) == Kind::Function)
        .map(|a| a.id.clone())
        .collect();
    if ids.is_empty() {
        return fx;
    }
    let read = crate::fanout::bounded(concurrency, ids, |id| {
        let client = client.clone();
        async move {
            let r = client.get_action_function(&id, false).await;
            (id, r)
        }
    })
    .await;
    let mut refused = false;
    let mut failed: Option<String> = None;
    for (id, r) in read {
        match r {
            Ok(c) => fx.set_timeout(&id, c.body.timeout_seconds()),
            // No function settings to read: the function runs with the default.
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) if e.kind() == ErrorKind::Permission => refused = true,
            Err(e) => {
                failed.get_or_insert_with(|| e.to_string());
            }
        }
    }
    if refused {
        warn(&format!(
            "the OAuth client may not read function settings (`{FUNCTION_VIEW}`): function timeouts are shown as {FUNCTION_DEFAULT_TIMEOUT} s, their maximum"
        ));
    }
    if let Some(why) = failed {
        warn(&format!(
            "cannot read some function settings ({why}): their function timeouts are shown as {FUNCTION_DEFAULT_TIMEOUT} s, their maximum"
        ));
    }
    fx
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn action(v: serde_json::Value) -> Action {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn effective_is_the_smaller_of_action_and_function() {
        assert_eq!(effective_timeout(None, None), 60);
        assert_eq!(effective_timeout(Some(30), None), 30);
        assert_eq!(effective_timeout(None, Some(15)), 15);
        assert_eq!(effective_timeout(Some(45), Some(10)), 10);
        assert_eq!(effective_timeout(Some(5), Some(10)), 5);
        assert_eq!(ceiling_note(Some(10), 10), None);
        assert_eq!(
            ceiling_note(Some(45), 15).as_deref(),
            Some("function stops at 15 s (its own timeout; dactl does not change it)")
        );
        assert!(ceiling_note(None, 15).is_some(), "unset means 60 s");
    }

    #[test]
    fn classification_by_integration_type_beats_the_category() {
        let f = action(
            json!({"id": "f", "name": "F", "integrationId": "fi", "category": "Scheduling"}),
        );
        let named = action(
            json!({"id": "n", "name": "N", "integrationId": "ri", "category": "My Function Data Actions"}),
        );
        let st = action(json!({"id": "static_1", "name": "S", "integrationId": "fi"}));
        let by_type = Functions::by_type(HashSet::from(["fi".to_string()]));
        assert_eq!(by_type.kind(&f), Kind::Function);
        assert_eq!(by_type.kind(&named), Kind::Regular);
        assert_eq!(by_type.kind(&st), Kind::Builtin);
        let heuristic = Functions::heuristic();
        assert_eq!(heuristic.kind(&f), Kind::Regular);
        assert_eq!(heuristic.kind(&named), Kind::Function);
        let mut fx = by_type;
        assert_eq!(fx.function_timeout(&f), Some(15));
        fx.set_timeout("f", 10);
        assert_eq!(fx.function_timeout(&f), Some(10));
        assert_eq!(fx.function_timeout(&named), None);
        assert_eq!(fx.effective(&f, Some(45)), 10);
        assert_eq!(fx.effective(&named, None), 60);
    }
}
