//! One org's state: action documents kept as raw JSON, plus the indexes that serve listings.
//!
//! Published actions and drafts are stored in their wire shape (`Action`), except that
//! templates are kept as text (`requestTemplate`, `successTemplate`); `doc` reads single
//! documents and renders them for the wire. Unknown fields survive untouched.
//!
//! Listings walk a `BTreeSet<(lowercased name, id)>` so that a page of a 10,000-action org is a
//! filtered walk, never a sort per request. When the filter needs nothing but the key (no
//! `category`, `ids` or `secure`: the listing every client pages through), the walk reads keys
//! only and looks up just the page's documents; a document lookup per action made that
//! listing cost about a millisecond of CPU per request at 10,000 actions. Every mutation goes through methods here that keep
//! the index in step; callers hold the org's write lock across check and write.

mod doc;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{json, Map, Value};

pub(crate) use self::doc::{kind_of, render, str_field, template_text, version_of, Kind, View};

/// The base path of the integrations-actions API.
pub(crate) const ACTIONS_PATH: &str = "/api/v2/integrations/actions";
/// `integrationType.id` of the integrations that hold function data actions.
pub(crate) const FUNCTION_INTEGRATION_TYPE: &str = "function-data-actions";
/// `Function.timeoutSeconds` when the function sets none (also its maximum).
pub(crate) const FUNCTION_DEFAULT_TIMEOUT: u64 = 15;
fn index_key(doc: &Value) -> (String, String) {
    (
        str_field(doc, "name").to_lowercase(),
        str_field(doc, "id").to_owned(),
    )
}

/// One org's data.
#[derive(Clone, Debug, Default)]
pub(crate) struct OrgData {
    /// Integration documents (`Integration`, with `integrationType.id`).
    pub integrations: Vec<Value>,
    /// Function settings (`FunctionConfig`) of function data actions, by action id.
    functions: HashMap<String, Value>,
    actions: HashMap<String, Value>,
    drafts: HashMap<String, Value>,
    /// Simulated latency of test/execute per action id, in ms.
    latency_ms: HashMap<String, u64>,
    order: BTreeSet<(String, String)>,
    draft_order: BTreeSet<(String, String)>,
}

/// Listing filters (already validated).
#[derive(Clone, Debug, Default)]
pub(crate) struct Filter {
    pub category: Option<String>,
    /// Lowercased.
    pub name: Option<String>,
    pub ids: Option<BTreeSet<String>>,
    pub secure: Option<bool>,
    pub include_auth: bool,
}

impl Filter {
    /// Whether the filter can be decided on an index key alone (lowercased name, id).
    fn on_key_only(&self) -> bool {
        self.category.is_none() && self.ids.is_none() && self.secure.is_none()
    }

    /// The conditions that read only the index key: custom-auth exclusion and the name.
    fn accepts_key(&self, (lname, id): &(String, String)) -> bool {
        (self.include_auth || kind_of(id) != Kind::CustomAuth)
            && self
                .name
                .as_ref()
                .is_none_or(|n| lname.contains(n.as_str()))
    }

    /// Whether `doc` (whose lowercased name is `lname`) passes the filter.
    fn accepts(&self, doc: &Value, lname: &str) -> bool {
        let id = str_field(doc, "id");
        if !self.include_auth && kind_of(id) == Kind::CustomAuth {
            return false;
        }
        if let Some(ids) = &self.ids {
            if !ids.contains(id) {
                return false;
            }
        }
        if let Some(c) = &self.category {
            if !str_field(doc, "category").eq_ignore_ascii_case(c) {
                return false;
            }
        }
        if let Some(n) = &self.name {
            if !lname.contains(n.as_str()) {
                return false;
            }
        }
        if let Some(s) = self.secure {
            if doc.get("secure").and_then(Value::as_bool).unwrap_or(false) != s {
                return false;
            }
        }
        true
    }
}

/// One page of a listing.
pub(crate) struct Page {
    pub entities: Vec<Value>,
    pub total: usize,
}

impl OrgData {
    /// Builds an org from documents.
    pub fn new(
        integrations: Vec<Value>,
        actions: Vec<Value>,
        drafts: Vec<Value>,
        latency_ms: HashMap<String, u64>,
    ) -> Self {
        let mut org = OrgData {
            integrations,
            latency_ms,
            ..OrgData::default()
        };
        for a in actions {
            org.put_action(a);
        }
        for d in drafts {
            org.put_draft(d);
        }
        org
    }

    pub fn action(&self, id: &str) -> Option<&Value> {
        self.actions.get(id)
    }

    /// Adds function settings (`FunctionConfig` documents keyed by their `id`, the action id).
    pub fn with_functions(mut self, functions: Vec<Value>) -> Self {
        for f in functions {
            let id = str_field(&f, "id").to_owned();
            if !id.is_empty() {
                self.functions.insert(id, f);
            }
        }
        self
    }

    /// The type id of an integration (`integrationType.id`), if the org has it.
    pub fn integration_type(&self, integration_id: &str) -> Option<&str> {
        self.integrations
            .iter()
            .find(|i| str_field(i, "id") == integration_id)
            .and_then(|i| i.pointer("/integrationType/id"))
            .and_then(Value::as_str)
    }

    /// Whether an action belongs to an integration of type `function-data-actions`.
    pub fn is_function_action(&self, doc: &Value) -> bool {
        self.integration_type(str_field(doc, "integrationId")) == Some(FUNCTION_INTEGRATION_TYPE)
    }

    /// The function settings of a function data action: the stored `FunctionConfig`, or the
    /// default one (no `timeoutSeconds`: the platform default of 15 s applies) when none is
    /// stored; `None` for any other action.
    pub fn function_config(&self, id: &str) -> Option<Value> {
        let doc = self.actions.get(id)?;
        if !self.is_function_action(doc) {
            return None;
        }
        Some(self.functions.get(id).cloned().unwrap_or_else(|| {
            json!({
                "id": id,
                "function": {
                    "name": format!("function-{id}"),
                    "description": "",
                    "handler": "src/index.handler",
                    "runtime": "nodejs22.x",
                },
                "selfUri": format!("{ACTIONS_PATH}/{id}/function"),
            })
        }))
    }

    /// The function's own timeout of a function data action (default 15 s), `None` for any
    /// other action.
    pub fn function_timeout(&self, id: &str) -> Option<u64> {
        let f = self.function_config(id)?;
        Some(
            f.pointer("/function/timeoutSeconds")
                .and_then(Value::as_u64)
                .filter(|t| (1..=FUNCTION_DEFAULT_TIMEOUT).contains(t))
                .unwrap_or(FUNCTION_DEFAULT_TIMEOUT),
        )
    }

    pub fn draft(&self, id: &str) -> Option<&Value> {
        self.drafts.get(id)
    }

    pub fn latency_ms(&self, id: &str) -> u64 {
        self.latency_ms
            .get(id)
            .copied()
            .unwrap_or_else(|| default_latency_ms(id))
    }

    /// Inserts or replaces a published action (keyed by its `id`).
    pub fn put_action(&mut self, doc: Value) {
        let key = index_key(&doc);
        if let Some(old) = self.actions.get(&key.1) {
            self.order.remove(&index_key(old));
        }
        self.order.insert(key.clone());
        self.actions.insert(key.1, doc);
    }

    /// Inserts or replaces a draft (keyed by its action's `id`).
    pub fn put_draft(&mut self, doc: Value) {
        let key = index_key(&doc);
        if let Some(old) = self.drafts.get(&key.1) {
            self.draft_order.remove(&index_key(old));
        }
        self.draft_order.insert(key.clone());
        self.drafts.insert(key.1, doc);
    }

    pub fn remove_draft(&mut self, id: &str) -> Option<Value> {
        let old = self.drafts.remove(id)?;
        self.draft_order.remove(&index_key(&old));
        Some(old)
    }

    /// Mutable access to a published action's document. The name must not change through it
    /// (use [`OrgData::put_action`] for that).
    pub fn action_mut(&mut self, id: &str) -> Option<&mut Value> {
        self.actions.get_mut(id)
    }

    /// Mutable access to a draft's document (same rule as [`OrgData::action_mut`]).
    pub fn draft_mut(&mut self, id: &str) -> Option<&mut Value> {
        self.drafts.get_mut(id)
    }

    /// A page of published actions or drafts, in name order (ascending or descending).
    pub fn list(
        &self,
        drafts: bool,
        filter: &Filter,
        descending: bool,
        page_size: usize,
        page_number: usize,
        view: View,
    ) -> Page {
        let (order, docs) = if drafts {
            (&self.draft_order, &self.drafts)
        } else {
            (&self.order, &self.actions)
        };
        let start = page_size.saturating_mul(page_number.saturating_sub(1));
        let mut entities = Vec::new();
        let mut total = 0usize;
        let key_only = filter.on_key_only();
        let mut visit = |key: &(String, String)| {
            // Fast path: decide on the key; look a document up only when it is on the page.
            let doc = if key_only {
                if !filter.accepts_key(key) {
                    return;
                }
                None
            } else {
                match docs.get(&key.1) {
                    Some(doc) if filter.accepts(doc, &key.0) => Some(doc),
                    _ => return,
                }
            };
            if total >= start && entities.len() < page_size {
                if let Some(doc) = doc.or_else(|| docs.get(&key.1)) {
                    entities.push(render(doc, view));
                }
            }
            total += 1;
        };
        // With an id filter, only look at those ids.
        if let Some(ids) = &filter.ids {
            let mut keys: Vec<(String, String)> = ids
                .iter()
                .filter_map(|id| docs.get(id).map(index_key))
                .collect();
            keys.sort();
            if descending {
                keys.reverse();
            }
            keys.iter().for_each(&mut visit);
        } else if descending {
            order.iter().rev().for_each(&mut visit);
        } else {
            order.iter().for_each(&mut visit);
        }
        Page { entities, total }
    }

    /// Distinct categories of the published actions, sorted by name.
    pub fn categories(&self, secure: Option<bool>) -> Vec<String> {
        let mut set: BTreeMap<String, String> = BTreeMap::new();
        for doc in self.actions.values() {
            if let Some(s) = secure {
                if doc.get("secure").and_then(Value::as_bool).unwrap_or(false) != s {
                    continue;
                }
            }
            let c = str_field(doc, "category");
            if !c.is_empty() {
                set.entry(c.to_lowercase()).or_insert_with(|| c.to_owned());
            }
        }
        set.into_values().collect()
    }

    /// The whole org as one document, with deterministic order (see `Emulator::state`).
    pub fn to_state(&self, org_name: &str) -> Value {
        let mut ids: Vec<&String> = self.actions.keys().collect();
        ids.sort();
        let actions: Vec<Value> = ids.iter().map(|id| self.actions[*id].clone()).collect();
        let mut dids: Vec<&String> = self.drafts.keys().collect();
        dids.sort();
        let drafts: Vec<Value> = dids.iter().map(|id| self.drafts[*id].clone()).collect();
        let mut latency = Map::new();
        for id in &ids {
            latency.insert((*id).clone(), json!(self.latency_ms(id)));
        }
        let mut fids: Vec<&String> = self.functions.keys().collect();
        fids.sort();
        let functions: Vec<Value> = fids.iter().map(|id| self.functions[*id].clone()).collect();
        json!({
            "org": { "name": org_name },
            "integrations": self.integrations,
            "functions": functions,
            "categories": self.categories(None),
            "actions": actions,
            "drafts": drafts,
            "x-emulator": { "latencyMs": latency },
        })
    }

    /// Rebuilds an org from a document made by [`OrgData::to_state`].
    pub fn from_state(doc: &Value) -> Result<Self, String> {
        let obj = doc.as_object().ok_or("state must be a JSON object")?;
        let list = |key: &str, required: bool| -> Result<Vec<Value>, String> {
            match obj.get(key) {
                None | Some(Value::Null) if !required => Ok(Vec::new()),
                Some(Value::Array(items)) => Ok(items.clone()),
                _ => Err(format!("state: `{key}` must be an array")),
            }
        };
        let integrations = list("integrations", false)?;
        let actions = list("actions", true)?;
        let drafts = list("drafts", false)?;
        for (what, docs) in [("actions", &actions), ("drafts", &drafts)] {
            for (i, d) in docs.iter().enumerate() {
                let ok = d
                    .get("id")
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty())
                    && d.get("name").and_then(Value::as_str).is_some()
                    && d.get("version").and_then(Value::as_i64).is_some();
                if !ok {
                    return Err(format!(
                        "state: `{what}[{i}]` needs a string `id`, a string `name` and an integer `version`"
                    ));
                }
            }
        }
        let mut latency = HashMap::new();
        if let Some(Value::Object(m)) = obj.get("x-emulator").and_then(|e| e.get("latencyMs")) {
            for (k, v) in m {
                if let Some(ms) = v.as_u64() {
                    latency.insert(k.clone(), ms);
                }
            }
        }
        let functions = list("functions", false)?;
        let org = OrgData::new(integrations, actions, drafts, latency).with_functions(functions);
        for id in org.drafts.keys() {
            if !org.actions.contains_key(id) {
                return Err(format!("state: draft `{id}` has no published action"));
            }
        }
        Ok(org)
    }
}

/// Latency of an action that has none recorded: a stable function of its id (80..1580 ms).
pub(crate) fn default_latency_ms(id: &str) -> u64 {
    80 + fnv1a(id.as_bytes()) % 1500
}

/// FNV-1a, for stable ids and latencies.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every listing (key-only fast path or document filter) equals a naive reference: filter
    /// every document, sort by (lowercased name, id), then page.
    #[test]
    fn listing_matches_a_naive_reference() {
        let mut org = OrgData::default();
        let names = [
            "Alpha",
            "alpha",
            "Beta",
            "GAMMA ray",
            "gamma",
            "Delta-ab",
            "ab",
            "Zeta",
        ];
        let categories = ["Orders", "orders", "Utilities"];
        for i in 0..60usize {
            let id = if i % 13 == 0 {
                format!("customAuth_-_{i:02}")
            } else {
                format!("id-{:02}", (i * 37) % 100)
            };
            org.put_action(json!({"id": id, "name": names[i % names.len()],
                "category": categories[i % 3],
                "secure": i % 4 == 0, "version": 1}));
        }
        let some_ids: BTreeSet<String> = ["id-37", "id-74", "customAuth_-_13", "nope"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let filters = [
            Filter::default(),
            Filter {
                include_auth: true,
                ..Filter::default()
            },
            Filter {
                name: Some("ab".into()),
                ..Filter::default()
            },
            Filter {
                name: Some("a".into()),
                include_auth: true,
                ..Filter::default()
            },
            Filter {
                category: Some("ORDERS".into()),
                ..Filter::default()
            },
            Filter {
                secure: Some(true),
                name: Some("gamma".into()),
                ..Filter::default()
            },
            Filter {
                ids: Some(some_ids),
                include_auth: true,
                ..Filter::default()
            },
        ];
        for filter in &filters {
            let mut want: Vec<&Value> = org
                .actions
                .values()
                .filter(|d| filter.accepts(d, &index_key(d).0))
                .collect();
            want.sort_by_key(|d| index_key(d));
            for descending in [false, true] {
                let mut want = want.clone();
                if descending {
                    want.reverse();
                }
                for size in [1usize, 7, 100] {
                    for number in 1..=(want.len() / size + 2) {
                        let page =
                            org.list(false, filter, descending, size, number, View::default());
                        let got: Vec<&str> =
                            page.entities.iter().map(|e| str_field(e, "id")).collect();
                        let expected: Vec<&str> = want
                            .iter()
                            .skip(size * (number - 1))
                            .take(size)
                            .map(|d| str_field(d, "id"))
                            .collect();
                        assert_eq!(
                            got, expected,
                            "{filter:?} desc={descending} size={size} page={number}"
                        );
                        assert_eq!(page.total, want.len(), "{filter:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn index_follows_renames() {
        let mut org = OrgData::default();
        org.put_action(json!({"id":"1","name":"b","version":1}));
        org.put_action(json!({"id":"2","name":"a","version":1}));
        org.put_action(json!({"id":"1","name":"c","version":2}));
        let page = org.list(false, &Filter::default(), false, 10, 1, View::default());
        let names: Vec<&str> = page.entities.iter().map(|e| str_field(e, "name")).collect();
        assert_eq!(names, ["a", "c"]);
        assert_eq!(page.total, 2);
    }
}
