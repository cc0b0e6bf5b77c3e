//! Architect dependency tracking, enough to answer "which flows use this data action"
//! (genesys-api.md §1, A1 and A2).
//!
//! | method + path | answers |
//! |---|---|
//! | `GET /api/v2/architect/dependencytracking/consumingresources?id&objectType` (A2) | paged `ConsumingResourcesEntityListing` of `Dependency` |
//! | `GET /api/v2/architect/dependencytracking/object?id[&objectType][&consumingResources]` (A1) | `DependencyObject` |
//!
//! The flows are seed data (`seed/org.json`), fixed and deterministic: a dozen hand-written
//! flows of the realistic org (inbound call, chat, message, in-queue, bot, workflow and
//! common-module flows) reference some of its actions by name, several actions are used by no flow at all,
//! and one flow exists only as a checked-in (unpublished) version. With synthetic actions,
//! each generated action is used by 0 to 3 of 24 generated flows, chosen from a hash of its
//! id. The index is built once from the seeded org, like Architect's own index, which is built
//! separately from the actions: it does not follow later renames or deletions (U15: its
//! freshness on the platform is unknown, so clients must treat it as advisory).
//!
//! A secure action may be indexed as `SECUREACTION` rather than `DATAACTION` (genesys-api.md
//! §7): here every other consumer of a secure action (as the seed made it) is indexed under
//! `SECUREACTION` and the others under `DATAACTION`, so a client must ask for both and merge.
//!
//! Pessimistic choices: `id` and `objectType` are required on A2 (400 `bad.request`
//! otherwise); an `objectType` outside the SDK enum is 400 `invalid.query.param.value`; an id
//! the index does not know gives an empty listing on A2 and 404 on A1; `flowFilter` and
//! `resourceType` (repeatable) filter as documented; paging echoes the effective `pageSize`.

use std::collections::HashMap;

use axum::extract::{Extension, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::http::{org_of, page_uri, paging, Ctx, Params};
use crate::seed::{seed_flows, stable_uuid};
use crate::store::{fnv1a, OrgData};
use crate::Emulator;

/// Path of A2.
pub(crate) const CONSUMING_PATH: &str = "/api/v2/architect/dependencytracking/consumingresources";
/// Path of A1.
pub(crate) const OBJECT_PATH: &str = "/api/v2/architect/dependencytracking/object";
/// The object type of a data action.
const DATA_ACTION: &str = "DATAACTION";
/// The object type under which the index may keep a secure data action.
const SECURE_ACTION: &str = "SECUREACTION";

/// `objectType` values accepted (the SDK's `DependencyObject.type` enum, abridged to the
/// consumable kinds; anything else is refused).
const OBJECT_TYPES: &[&str] = &[
    "ACDLANGUAGE",
    "ACDSKILL",
    "ACDWRAPUPCODE",
    "BOTFLOW",
    "BRIDGEACTION",
    "COMMONMODULEFLOW",
    "COMPOSERSCRIPT",
    "CONTACTLIST",
    "DATAACTION",
    "DATATABLE",
    "EMAILROUTE",
    "EMERGENCYGROUP",
    "FLOWOUTCOME",
    "GROUP",
    "INBOUNDCALLFLOW",
    "INBOUNDCHATFLOW",
    "INBOUNDEMAILFLOW",
    "INBOUNDSHORTMESSAGEFLOW",
    "INQUEUECALLFLOW",
    "IVRCONFIGURATION",
    "LANGUAGE",
    "OUTBOUNDCALLFLOW",
    "QUEUE",
    "SCHEDULE",
    "SCHEDULEGROUP",
    "SECUREACTION",
    "SECURECALLFLOW",
    "SURVEYINVITEFLOW",
    "SYSTEMPROMPT",
    "USER",
    "USERPROMPT",
    "WORKFLOW",
];

/// One flow of the index.
#[derive(Clone, Debug)]
pub(crate) struct Flow {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    /// Latest version, `"N.0"`.
    pub version: String,
    /// false: only a checked-in version exists.
    pub published: bool,
}

impl Flow {
    fn dependency(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "type": self.kind,
            "deleted": false,
            "updated": false,
            "stateUnknown": false,
            "selfUri": format!("/api/v2/flows/{}", self.id),
        })
    }
}

/// Which flows consume which action (by action id), built once from the seeded org.
#[derive(Clone, Debug, Default)]
pub(crate) struct FlowIndex {
    flows: Vec<Flow>,
    by_action: HashMap<String, Vec<usize>>,
    /// Actions that were `secure` when the index was built: the index keeps every other of
    /// their consumers (the first, third, ...) under `SECUREACTION`, the rest under
    /// `DATAACTION`, so that only a client asking for both sees them all.
    secure: std::collections::HashSet<String>,
}

/// Generated flows for synthetic actions.
const SYNTHETIC_FLOWS: usize = 24;
const SYNTHETIC_KINDS: &[&str] = &[
    "INBOUNDCALLFLOW",
    "INQUEUECALLFLOW",
    "INBOUNDCHATFLOW",
    "WORKFLOW",
    "BOTFLOW",
    "COMMONMODULEFLOW",
];

fn is_synthetic_name(name: &str) -> bool {
    // Generated names end with "(S00001)".
    name.len() > 8
        && name.ends_with(')')
        && name
            .get(name.len() - 8..)
            .is_some_and(|tail| tail.starts_with("(S"))
}

impl FlowIndex {
    /// Build the index from the seeded org.
    pub(crate) fn build(seeded: &OrgData) -> FlowIndex {
        let state = seeded.to_state("");
        let actions = state["actions"].as_array().cloned().unwrap_or_default();
        let mut index = FlowIndex::default();
        let find = |name: &str, category: Option<&str>| -> Option<String> {
            actions
                .iter()
                .find(|a| {
                    a["name"].as_str() == Some(name)
                        && category.is_none_or(|c| a["category"].as_str() == Some(c))
                })
                .and_then(|a| a["id"].as_str())
                .map(str::to_owned)
        };
        index.secure = actions
            .iter()
            .filter(|a| a["secure"].as_bool() == Some(true))
            .filter_map(|a| a["id"].as_str())
            .map(str::to_owned)
            .collect();
        for spec in seed_flows() {
            let ix = index.flows.len();
            index.flows.push(Flow {
                id: stable_uuid(&format!("flow/{}", spec.name)),
                name: spec.name.clone(),
                kind: &spec.kind,
                version: format!("{}.0", spec.version),
                published: spec.published,
            });
            for u in &spec.uses {
                if let Some(id) = find(&u.action, u.category.as_deref()) {
                    index.by_action.entry(id).or_default().push(ix);
                }
            }
        }
        let synthetic: Vec<&str> = actions
            .iter()
            .filter(|a| a["name"].as_str().is_some_and(is_synthetic_name))
            .filter_map(|a| a["id"].as_str())
            .collect();
        if !synthetic.is_empty() {
            let first = index.flows.len();
            for i in 0..SYNTHETIC_FLOWS {
                index.flows.push(Flow {
                    id: stable_uuid(&format!("flow/synthetic/{i}")),
                    name: format!("Generated Flow {:02}", i + 1),
                    kind: SYNTHETIC_KINDS[i % SYNTHETIC_KINDS.len()],
                    version: format!("{}.0", 1 + i % 5),
                    published: true,
                });
            }
            for id in synthetic {
                let h = fnv1a(format!("flows/{id}").as_bytes());
                let count = (h % 4) as usize;
                let mut used = Vec::new();
                for k in 0..count {
                    let f = first + ((h >> 8) as usize + k * 7) % SYNTHETIC_FLOWS;
                    if !used.contains(&f) {
                        used.push(f);
                    }
                }
                if !used.is_empty() {
                    index.by_action.insert(id.to_owned(), used);
                }
            }
        }
        index
    }

    /// The flows that consume action `id`, as indexed under `object_type` (`DATAACTION` or
    /// `SECUREACTION`; see [`FlowIndex::secure`]).
    fn consumers<'a>(&'a self, id: &str, object_type: &str) -> impl Iterator<Item = &'a Flow> {
        let secure = self.secure.contains(id);
        let want_secure = object_type == SECURE_ACTION;
        self.by_action
            .get(id)
            .into_iter()
            .flatten()
            .enumerate()
            .filter(move |(k, _)| {
                let indexed_secure = secure && k % 2 == 0;
                indexed_secure == want_secure
            })
            .map(|(_, &i)| &self.flows[i])
    }

    /// The dependency documents of the consumers of `id` as `object_type`: published flows
    /// only when `flow_filter` is `Some(true)`, and only flows of `types` (any when empty).
    fn dependencies(
        &self,
        id: &str,
        object_type: &str,
        flow_filter: Option<bool>,
        types: &[String],
    ) -> Vec<Value> {
        self.consumers(id, object_type)
            .filter(|f| flow_filter != Some(true) || f.published)
            .filter(|f| types.is_empty() || types.iter().any(|t| t == f.kind))
            .map(Flow::dependency)
            .collect()
    }
}

/// The routes (merged into the main router).
pub(crate) fn routes() -> Router<Emulator> {
    Router::new()
        .route(CONSUMING_PATH, get(consuming_resources))
        .route(OBJECT_PATH, get(object))
}

fn object_type(p: &Params, required: bool) -> ApiResult<Option<String>> {
    match p.get("objectType") {
        None | Some("") if required => Err(ApiError::bad_request(
            "The query parameter [objectType] is required.",
        )),
        None | Some("") => Ok(None),
        Some(t) if OBJECT_TYPES.contains(&t) => Ok(Some(t.to_owned())),
        Some(t) => Err(ApiError::invalid_query(
            t,
            "objectType",
            &OBJECT_TYPES.join(", "),
        )),
    }
}

fn required_id(p: &Params) -> ApiResult<String> {
    match p.get("id") {
        Some(id) if !id.trim().is_empty() => Ok(id.trim().to_owned()),
        _ => Err(ApiError::bad_request(
            "The query parameter [id] is required.",
        )),
    }
}

/// `flowFilter`: Some(true) = published only, Some(false) = checked in (every flow here has
/// a checked-in version).
fn flow_filter(p: &Params) -> ApiResult<Option<bool>> {
    match p.get("flowFilter") {
        None | Some("") => Ok(None),
        Some(v) if v.eq_ignore_ascii_case("published") => Ok(Some(true)),
        Some(v) if v.eq_ignore_ascii_case("checkedIn") => Ok(Some(false)),
        Some(v) => Err(ApiError::invalid_query(
            v,
            "flowFilter",
            "checkedIn, published",
        )),
    }
}

/// A2: the consumers of an object, paged.
async fn consuming_resources(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    p: Params,
) -> ApiResult<Json<Value>> {
    let id = required_id(&p)?;
    let kind = object_type(&p, true)?;
    let filter = flow_filter(&p)?;
    let types = p.all("resourceType");
    let (size, number) = paging(&p, emu.config().max_page_size)?;
    let org = org_of(&emu, &ctx);
    let flows: Vec<Value> = if let Some(k @ (DATA_ACTION | SECURE_ACTION)) = kind.as_deref() {
        org.flows.dependencies(&id, k, filter, &types)
    } else {
        Vec::new()
    };
    let total = flows.len();
    let page_count = total.div_ceil(size);
    let entities: Vec<Value> = flows
        .into_iter()
        .skip(size.saturating_mul(number - 1))
        .take(size)
        .collect();
    let uri = |n: usize| page_uri(CONSUMING_PATH, &p, size, n);
    let mut doc = json!({
        "entities": entities,
        "pageSize": size,
        "pageNumber": number,
        "total": total,
        "pageCount": page_count,
        "firstUri": uri(1),
        "selfUri": uri(number),
        "lastUri": uri(page_count.max(1)),
    });
    if number < page_count {
        doc["nextUri"] = json!(uri(number + 1));
    }
    if number > 1 {
        doc["previousUri"] = json!(uri(number - 1));
    }
    Ok(Json(doc))
}

/// A1: one object, with its consumers when `consumingResources=true`.
async fn object(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    p: Params,
) -> ApiResult<Json<Value>> {
    let id = required_id(&p)?;
    let kind = object_type(&p, false)?;
    let consuming = p.flag("consumingResources")?.unwrap_or(false);
    p.flag("consumedResources")?;
    let filter = flow_filter(&p)?;
    let types = p.all("consumingResourceType");
    if kind
        .as_deref()
        .is_some_and(|k| k != DATA_ACTION && k != SECURE_ACTION)
    {
        return Err(ApiError::not_found());
    }
    let indexed_as = kind.clone().unwrap_or_else(|| DATA_ACTION.to_owned());
    let org = org_of(&emu, &ctx);
    let (name, version) = {
        let data = org.read();
        let doc = data.action(&id).ok_or_else(ApiError::not_found)?;
        (
            doc["name"].as_str().unwrap_or("").to_owned(),
            doc["version"].as_i64().unwrap_or(1),
        )
    };
    let mut out = json!({
        "id": id,
        "name": name,
        "version": format!("{version}.0"),
        "type": indexed_as,
        "deleted": false,
        "updated": false,
        "stateUnknown": false,
    });
    if consuming {
        let list = org.flows.dependencies(&id, &indexed_as, filter, &types);
        out["consumingResources"] = Value::Array(list);
    }
    out["selfUri"] = json!(format!("{OBJECT_PATH}?id={id}"));
    Ok(Json(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::seed_org;

    #[test]
    fn index_is_deterministic_and_leaves_some_actions_unused() {
        let a = FlowIndex::build(&seed_org(42, 50));
        let b = FlowIndex::build(&seed_org(42, 50));
        let mut ka: Vec<(&String, &Vec<usize>)> = a.by_action.iter().collect();
        let mut kb: Vec<(&String, &Vec<usize>)> = b.by_action.iter().collect();
        ka.sort();
        kb.sort();
        assert_eq!(ka, kb);
        let seeded = seed_org(42, 0);
        let state = seeded.to_state("");
        let idx = FlowIndex::build(&seeded);
        let ids: Vec<&str> = state["actions"]
            .as_array()
            .expect("actions")
            .iter()
            .filter_map(|a| a["id"].as_str())
            .collect();
        let used = ids
            .iter()
            .filter(|id| idx.by_action.contains_key(**id))
            .count();
        assert!(
            used >= 20,
            "most realistic actions are used by a flow ({used})"
        );
        assert!(used < ids.len(), "some actions are used by no flow");
        // Every hand-written reference resolved to an action.
        let refs: usize = seed_flows().iter().map(|f| f.uses.len()).sum();
        let resolved: usize = idx.by_action.values().map(Vec::len).sum();
        assert_eq!(refs, resolved);
        // A secure action's consumers are split between the two object types.
        let secure = state["actions"]
            .as_array()
            .expect("actions")
            .iter()
            .find(|a| a["name"] == "Get Customer Profile")
            .and_then(|a| a["id"].as_str())
            .expect("secure action");
        let data = idx.consumers(secure, DATA_ACTION).count();
        let sec = idx.consumers(secure, SECURE_ACTION).count();
        assert_eq!((data, sec), (1, 2));
        let plain = ids
            .iter()
            .find(|id| !idx.secure.contains(**id) && idx.by_action.contains_key(**id))
            .expect("a non-secure action with flows");
        assert_eq!(idx.consumers(plain, SECURE_ACTION).count(), 0);
    }

    #[test]
    fn synthetic_names_are_recognised() {
        assert!(is_synthetic_name("Get Order Status (S00042)"));
        assert!(!is_synthetic_name("Get Order Status"));
        assert!(!is_synthetic_name("(S)"));
    }
}
