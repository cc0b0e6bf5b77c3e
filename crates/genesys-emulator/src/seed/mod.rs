//! Seed data: a realistic org, plus synthetic actions for load.
//!
//! The realistic org is data, in `seed/org.json` (included at build time); this module turns
//! it into documents. The same file holds the hand-written Architect flows that `architect`
//! indexes. Ids are stable hashes of integration and action names, so the same names
//! always get the same ids. The org covers what a client must cope with: seven integrations
//! (Salesforce, Zendesk, ServiceNow, generic web services, Genesys Cloud, function data
//! actions, and a custom-REST integration with user-defined OAuth), templates whose text holds
//! double quotes, backslashes, newlines, non-ASCII and emoji, actions with and without
//! templates, secure and non-secure actions, unset and explicit timeouts, a built-in
//! `static_…` action, a `customAuth_-_<integrationId>` action, two actions with open drafts, two
//! actions with the same name in different integrations, unknown (future) fields inside
//! `config`, `config.request` and `config.response`, and per-action simulated latencies, two
//! of which exceed their effective timeout.
//!
//! `synthetic_actions = N` appends N generated actions drawn from a SplitMix64 generator seeded
//! with `seed` (their vocabulary is in the same data file): the same seed and N give a
//! byte-identical state.

mod file;

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use self::file::{IntegSpec, Spec, Vocabulary, SEED};

use crate::faults::SplitMix;
use crate::store::{fnv1a, OrgData, ACTIONS_PATH};

/// A UUID-shaped id derived from a string (stable across runs and versions).
pub(crate) fn stable_uuid(key: &str) -> String {
    let a = fnv1a(key.as_bytes());
    let b = fnv1a(format!("{key}\u{1f}uuid").as_bytes());
    format_uuid(a, b)
}

/// A UUID-shaped id (version 4 and variant bits set) from two 64-bit numbers.
pub(crate) fn format_uuid(a: u64, b: u64) -> String {
    let a = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
    let b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFFF,
        b >> 48,
        b & 0xFFFF_FFFF_FFFF
    )
}

/// The hand-written flows of the realistic org.
pub(crate) fn seed_flows() -> &'static [file::FlowSpec] {
    &SEED.flows
}

/// An integration of the seed org, with its id.
struct Integ {
    id: String,
    spec: &'static IntegSpec,
}

fn integration_doc(i: &Integ) -> Value {
    json!({
        "id": i.id,
        "name": i.spec.name,
        "integrationType": { "id": i.spec.integration_type },
        "intendedState": "ENABLED",
        "credentialType": i.spec.credential_type,
        "selfUri": format!("/api/v2/integrations/{}", i.id),
    })
}

/// The function settings (`FunctionConfig`) of a seeded function data action; `timeout` is
/// `Function.timeoutSeconds` (`None`: the function sets none, the platform default of 15 s).
fn function_doc(action_id: &str, timeout: Option<i64>) -> Value {
    let mut function = json!({
        "id": stable_uuid(&format!("function/{action_id}")),
        "name": format!("function-{action_id}"),
        "description": "Genesys Cloud Function of this data action.",
        "zipId": stable_uuid(&format!("zip/{action_id}")),
        "handler": "src/index.handler",
        "runtime": "nodejs22.x",
    });
    if let Some(t) = timeout {
        function["timeoutSeconds"] = json!(t);
    }
    json!({
        "id": action_id,
        "function": function,
        "zip": {
            "id": stable_uuid(&format!("zip/{action_id}")),
            "name": "function.zip",
            "status": "Available",
        },
        "uploadExceptionHistory": [],
        "selfUri": format!("{ACTIONS_PATH}/{action_id}/function"),
    })
}

fn string_map(pairs: &[(&str, &str)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
            .collect(),
    )
}

fn schema(title: &str, description: &str, props: &[(String, String)], required: bool) -> Value {
    let mut properties = Map::new();
    for (name, ty) in props {
        properties.insert(
            name.clone(),
            json!({ "type": ty, "description": format!("The {name}.") }),
        );
    }
    let req: Vec<&str> = if required {
        props.iter().take(1).map(|(n, _)| n.as_str()).collect()
    } else {
        Vec::new()
    };
    json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": title,
        "description": description,
        "type": "object",
        "required": req,
        "properties": properties,
    })
}

/// The fields every action document has, in wire order.
#[allow(clippy::too_many_arguments)]
fn action_doc(
    id: &str,
    name: &str,
    integration_id: &str,
    category: &str,
    contract: Value,
    version: i64,
    secure: bool,
    config: Value,
) -> Value {
    json!({
        "id": id,
        "name": name,
        "integrationId": integration_id,
        "category": category,
        "contract": contract,
        "version": version,
        "secure": secure,
        "config": config,
        "selfUri": format!("{ACTIONS_PATH}/{id}"),
    })
}

fn config_doc(
    timeout: Option<i64>,
    request: Map<String, Value>,
    response: Map<String, Value>,
) -> Map<String, Value> {
    let mut config = Map::new();
    if let Some(t) = timeout {
        config.insert("timeoutSeconds".into(), json!(t));
    }
    config.insert("request".into(), Value::Object(request));
    config.insert("response".into(), Value::Object(response));
    config
}

/// Accumulates the documents of one org.
struct Builder {
    integs: Vec<Integ>,
    functions: Vec<Value>,
    actions: Vec<Value>,
    drafts: Vec<Value>,
    latency: HashMap<String, u64>,
}

impl Builder {
    fn add_spec(&mut self, s: &Spec) {
        let Some(integ) = self.integs.iter().find(|i| i.spec.key == s.integration) else {
            panic!("seed/org.json: action {:?} names no integration", s.name);
        };
        let id = match &s.id {
            Some(id) => id.replace("{integrationId}", &integ.id),
            None => stable_uuid(&format!("action/{}/{}", integ.spec.name, s.name)),
        };
        let mut request = Map::new();
        request.insert("requestUrlTemplate".into(), json!(s.request_url_template));
        if let Some(t) = &s.request_template {
            request.insert("requestTemplate".into(), json!(t));
        }
        request.insert("requestType".into(), json!(s.request_type));
        request.insert("headers".into(), s.headers.to_value());
        let mut response = Map::new();
        response.insert("translationMap".into(), s.translation_map.to_value());
        response.insert(
            "translationMapDefaults".into(),
            s.translation_map_defaults.to_value(),
        );
        if let Some(t) = &s.success_template {
            response.insert("successTemplate".into(), json!(t));
        }
        if s.future_fields {
            request.insert("followRedirects".into(), json!(true));
            response.insert(
                "responseCaching".into(),
                json!({ "enabled": true, "ttlSeconds": 30 }),
            );
        }
        let mut config = config_doc(s.timeout_seconds, request, response);
        if s.future_fields {
            config.insert(
                "retryPolicy".into(),
                json!({ "maxRetries": 2, "backoff": "exponential", "note": "field unknown to the published contract" }),
            );
        }
        let contract = json!({
            "input": { "inputSchema": schema(&format!("{} Request", s.name), "Input of the action.", &s.input.0, true) },
            "output": { "successSchema": schema(&format!("{} Response", s.name), "Translated result.", &s.output.0, false) },
        });
        let category = s.category.as_deref().unwrap_or(&integ.spec.name);
        let doc = action_doc(
            &id,
            &s.name,
            &integ.id,
            category,
            contract,
            s.version,
            s.secure,
            Value::Object(config),
        );
        if let Some(d) = &s.draft {
            let mut draft = doc.clone();
            draft["version"] = json!(d.version);
            draft["selfUri"] = json!(format!("{ACTIONS_PATH}/{id}/draft"));
            if let Some(cfg) = draft.get_mut("config").and_then(Value::as_object_mut) {
                match d.timeout_seconds {
                    Some(t) => {
                        cfg.insert("timeoutSeconds".into(), json!(t));
                    }
                    None => {
                        cfg.shift_remove("timeoutSeconds");
                    }
                }
                if let Some(h) = cfg
                    .get_mut("request")
                    .and_then(|r| r.get_mut("headers"))
                    .and_then(Value::as_object_mut)
                {
                    h.insert(
                        "X-Draft-Note".into(),
                        json!("work in progress – ne pas publier"),
                    );
                }
            }
            self.drafts.push(draft);
        }
        if let Some(f) = &s.function {
            self.functions.push(function_doc(&id, f.timeout_seconds));
        }
        self.latency.insert(id, s.latency_ms);
        self.actions.push(doc);
    }
}

/// N generated actions spread over the first five integrations, deterministic from `seed`.
fn synthetic(b: &mut Builder, words: &Vocabulary, seed: u64, n: usize) {
    let mut rng = SplitMix::new(seed ^ 0x005E_ED0F_AC71_0125);
    for i in 0..n {
        let integ_ix = rng.below(5) as usize;
        let integ = &b.integs[integ_ix];
        let id = format_uuid(rng.next_u64(), rng.next_u64());
        let verb = rng.pick(&words.verbs).as_str();
        let name = format!(
            "{verb} {} {} (S{:05})",
            rng.pick(&words.nouns),
            rng.pick(&words.qualifiers),
            i + 1
        );
        let category = if rng.chance(0.5) {
            integ.spec.name.clone()
        } else {
            rng.pick(&words.categories).clone()
        };
        let method = match verb {
            "Create" | "Sync" => "POST",
            "Update" => "PATCH",
            "Cancel" => "DELETE",
            _ => "GET",
        };
        let timeout = if rng.chance(0.4) {
            None
        } else {
            Some(*rng.pick(&words.timeout_seconds))
        };
        let mut request = Map::new();
        request.insert(
            "requestUrlTemplate".into(),
            json!(format!(
                "https://svc{}.example.com/api/items/${{input.id}}",
                rng.below(40)
            )),
        );
        if rng.chance(0.5) {
            request.insert(
                "requestTemplate".into(),
                json!(rng.pick(&words.request_templates)),
            );
        }
        request.insert("requestType".into(), json!(method));
        let headers = if method == "GET" {
            &words.read_headers
        } else {
            &words.write_headers
        };
        request.insert("headers".into(), headers.to_value());
        let mut response = Map::new();
        response.insert(
            "translationMap".into(),
            string_map(&[
                ("result", "$.result"),
                ("found", "$.found"),
                ("status", "$.status"),
            ]),
        );
        response.insert(
            "translationMapDefaults".into(),
            string_map(&[("found", "false")]),
        );
        if rng.chance(0.6) {
            response.insert(
                "successTemplate".into(),
                json!(rng.pick(&words.success_templates)),
            );
        }
        let input = [("id".to_owned(), "string".to_owned())];
        let output = [
            ("result".to_owned(), "string".to_owned()),
            ("found".to_owned(), "boolean".to_owned()),
        ];
        let contract = json!({
            "input": { "inputSchema": schema(&format!("{name} Request"), "Input of the action.", &input, true) },
            "output": { "successSchema": schema(&format!("{name} Response"), "Translated result.", &output, false) },
        });
        let version = 1 + rng.below(25) as i64;
        let secure = rng.chance(0.15);
        let doc = action_doc(
            &id,
            &name,
            &integ.id,
            &category,
            contract,
            version,
            secure,
            Value::Object(config_doc(timeout, request, response)),
        );
        if rng.chance(0.02) {
            let mut draft = doc.clone();
            draft["version"] = json!(1 + rng.below(3) as i64);
            draft["selfUri"] = json!(format!("{ACTIONS_PATH}/{id}/draft"));
            b.drafts.push(draft);
        }
        let roll = rng.below(100);
        let latency = if roll < 90 {
            40 + rng.below(2_460)
        } else if roll < 97 {
            2_500 + rng.below(17_500)
        } else {
            20_000 + rng.below(70_000)
        };
        b.latency.insert(id, latency);
        b.actions.push(doc);
    }
}

/// The seeded org: the realistic actions plus `synthetic` generated ones.
pub(crate) fn seed_org(seed: u64, synthetic_actions: usize) -> OrgData {
    let file: &'static file::SeedFile = &SEED;
    let mut b = Builder {
        integs: file
            .integrations
            .iter()
            .map(|spec| Integ {
                id: stable_uuid(&format!("integration/{}", spec.name)),
                spec,
            })
            .collect(),
        functions: Vec::new(),
        actions: Vec::new(),
        drafts: Vec::new(),
        latency: HashMap::new(),
    };
    for s in &file.actions {
        b.add_spec(s);
    }
    synthetic(&mut b, &file.synthetic, seed, synthetic_actions);
    let integrations = b.integs.iter().map(integration_doc).collect();
    OrgData::new(integrations, b.actions, b.drafts, b.latency).with_functions(b.functions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{kind_of, Kind};

    #[test]
    fn realistic_org_has_every_kind() {
        let org = seed_org(42, 0);
        let state = org.to_state("x");
        let actions = state["actions"].as_array().expect("actions");
        assert!((25..=40).contains(&actions.len()), "{}", actions.len());
        let ids: Vec<&str> = actions.iter().filter_map(|a| a["id"].as_str()).collect();
        assert_eq!(ids.iter().filter(|i| kind_of(i) == Kind::Static).count(), 1);
        assert_eq!(
            ids.iter()
                .filter(|i| kind_of(i) == Kind::CustomAuth)
                .count(),
            1
        );
        assert_eq!(state["drafts"].as_array().map(Vec::len), Some(2));
        let dup = actions
            .iter()
            .filter(|a| a["name"] == "Get Contact By Phone Number")
            .count();
        assert_eq!(dup, 2);
        // Function data actions: told apart by their integration's type only.
        let functions: Vec<&Value> = actions
            .iter()
            .filter(|a| org.is_function_action(a))
            .collect();
        assert_eq!(functions.len(), 2);
        for f in &functions {
            let c = f["category"].as_str().expect("category").to_lowercase();
            assert!(!c.contains("function"), "{c}");
            assert!(f["config"].get("function").is_none());
        }
        let timeouts: Vec<Option<u64>> = functions
            .iter()
            .map(|f| org.function_timeout(f["id"].as_str().expect("id")))
            .collect();
        assert!(timeouts.contains(&Some(10)) && timeouts.contains(&Some(15)));
        assert_eq!(state["functions"].as_array().map(Vec::len), Some(2));
        let text = serde_json::to_string(&state).expect("json");
        for needle in [
            "\\\\",
            "\\n",
            "é",
            "ü",
            "日本",
            "🎫",
            "retryPolicy",
            "followRedirects",
            "responseCaching",
        ] {
            assert!(text.contains(needle), "missing {needle}");
        }
    }

    #[test]
    fn synthetic_is_deterministic() {
        let a = serde_json::to_string(&seed_org(7, 200).to_state("x")).expect("json");
        let b = serde_json::to_string(&seed_org(7, 200).to_state("x")).expect("json");
        let c = serde_json::to_string(&seed_org(8, 200).to_state("x")).expect("json");
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
