//! The schema of `seed/org.json`, the seed org's data file, and the file itself, parsed once.
//!
//! Every struct denies unknown fields, so that a typo in the data file fails the build's tests
//! instead of being ignored; string maps (`headers`, `translationMap`, schema properties) keep
//! the file's order.

use std::fmt;
use std::sync::LazyLock;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

/// The seed org's data file.
const ORG_JSON: &str = include_str!("../../seed/org.json");

/// `seed/org.json`, parsed once. The file is part of the build, so a parse error is a bug
/// caught by any test that seeds an org.
pub(super) static SEED: LazyLock<SeedFile> = LazyLock::new(|| {
    let mut de = serde_json::Deserializer::from_str(ORG_JSON);
    match SeedFile::deserialize(&mut de) {
        Ok(file) => file,
        Err(e) => panic!("seed/org.json: {e}"),
    }
});

/// The whole data file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SeedFile {
    pub(super) integrations: Vec<IntegSpec>,
    pub(super) actions: Vec<Spec>,
    pub(super) flows: Vec<FlowSpec>,
    pub(super) synthetic: Vocabulary,
}

/// An integration of the seed org.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct IntegSpec {
    /// What actions name it by in the data file.
    pub(super) key: String,
    pub(super) name: String,
    /// `integrationType.id`.
    pub(super) integration_type: String,
    pub(super) credential_type: String,
}

/// A hand-written action of the realistic org.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct Spec {
    /// Why the action is there (documentation only).
    #[serde(default, rename = "note")]
    _note: Option<String>,
    /// The key of its integration.
    pub(super) integration: String,
    /// Explicit id (built-in and custom-auth actions; `{integrationId}` is replaced by the
    /// integration's id); otherwise a stable hash.
    pub(super) id: Option<String>,
    pub(super) name: String,
    /// Defaults to the integration's name.
    pub(super) category: Option<String>,
    pub(super) version: i64,
    #[serde(default)]
    pub(super) secure: bool,
    pub(super) timeout_seconds: Option<i64>,
    /// A function data action's function settings.
    pub(super) function: Option<FunctionSpec>,
    pub(super) request_type: String,
    pub(super) request_url_template: String,
    pub(super) headers: Pairs,
    pub(super) request_template: Option<String>,
    pub(super) success_template: Option<String>,
    #[serde(default)]
    pub(super) translation_map: Pairs,
    #[serde(default)]
    pub(super) translation_map_defaults: Pairs,
    /// Input properties: name and JSON type.
    #[serde(default)]
    pub(super) input: Pairs,
    /// Output properties: name and JSON type.
    #[serde(default)]
    pub(super) output: Pairs,
    pub(super) latency_ms: u64,
    /// Adds fields the contract does not know, in config, request and response.
    #[serde(default)]
    pub(super) future_fields: bool,
    /// An open draft.
    pub(super) draft: Option<DraftSpec>,
}

/// The function behind a function data action.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct FunctionSpec {
    /// `Function.timeoutSeconds` (`None`: the function sets none, the platform default of 15 s).
    pub(super) timeout_seconds: Option<i64>,
}

/// An open draft of a seeded action.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct DraftSpec {
    pub(super) version: i64,
    pub(super) timeout_seconds: Option<i64>,
}

/// A hand-written Architect flow of the realistic org (see `architect`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FlowSpec {
    pub name: String,
    /// The flow type (`INBOUNDCALLFLOW`, `WORKFLOW`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Latest version.
    pub version: u32,
    /// false: only a checked-in version exists.
    pub published: bool,
    /// The actions the flow calls.
    pub uses: Vec<FlowUse>,
}

/// An action a seeded flow calls: by name, and by category where the name is not unique.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FlowUse {
    pub action: String,
    pub category: Option<String>,
}

/// What synthetic actions are drawn from.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct Vocabulary {
    pub(super) verbs: Vec<String>,
    pub(super) nouns: Vec<String>,
    pub(super) qualifiers: Vec<String>,
    pub(super) categories: Vec<String>,
    pub(super) timeout_seconds: Vec<i64>,
    pub(super) success_templates: Vec<String>,
    pub(super) request_templates: Vec<String>,
    /// Headers of GET actions.
    pub(super) read_headers: Pairs,
    /// Headers of the other actions.
    pub(super) write_headers: Pairs,
}

/// A JSON object of strings, in file order.
#[derive(Default)]
pub(super) struct Pairs(pub(super) Vec<(String, String)>);

impl<'de> Deserialize<'de> for Pairs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = Pairs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pairs, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry::<String, String>()? {
                    pairs.push(pair);
                }
                Ok(Pairs(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor)
    }
}

impl Pairs {
    pub(super) fn to_value(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_names_a_known_integration() {
        let keys: Vec<&str> = SEED.integrations.iter().map(|i| i.key.as_str()).collect();
        for a in &SEED.actions {
            assert!(keys.contains(&a.integration.as_str()), "{}", a.name);
        }
        let mut unique = keys.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), keys.len(), "integration keys are unique");
    }
}
