//! Wire models of the integrations-actions API, lossless by construction.
//!
//! Each struct names the fields the client reasons about, with the exact JSON names of the
//! published contract (`genesys-integrations-api-openapi.yml`), and keeps every other field in
//! a `#[serde(flatten)] extra` map. A document read from the server and written back therefore
//! keeps fields this crate does not know about (new platform features, `function` settings,
//! ...) untouched. Optional fields are skipped when `None`, so an absent field stays absent.
//!
//! Two deliberate, documented approximations: an explicit JSON `null` on a known optional
//! field reads as `None` and is written back as an absent field (the platform does not send
//! nulls), and [`Action::name`] reads an absent name as `""` and skips an empty name when
//! writing (so that one odd entity cannot fail a whole listing).
//!
//! With `serde_json`'s `preserve_order` feature the unknown fields keep their relative order;
//! known fields are written first, in declaration order.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// File name of the stored request template (`requestTemplateUri`'s last segment).
pub const REQUEST_TEMPLATE: &str = "requesttemplate.vm";
/// File name of the stored success template (`successTemplateUri`'s last segment).
pub const SUCCESS_TEMPLATE: &str = "successtemplate.vm";

/// Last path segment of a template URI (`…/templates/requesttemplate.vm` →
/// `requesttemplate.vm`), ignoring any query string or fragment.
pub fn template_file_name(uri: &str) -> Option<&str> {
    let uri = uri.split(['?', '#']).next().unwrap_or(uri);
    let last = uri.rsplit('/').next()?;
    if last.is_empty() {
        None
    } else {
        Some(last)
    }
}

fn is_empty_str(s: &str) -> bool {
    s.is_empty()
}

/// An integration action ("Data Action"), published or draft.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    /// The action id; `static*` for built-in actions, `customAuth*` for custom-auth actions.
    pub id: String,
    /// Display name (absent reads as empty).
    #[serde(default, skip_serializing_if = "is_empty_str")]
    pub name: String,
    /// The integration the action belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_id: Option<String>,
    /// Category name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Version, for optimistic concurrency on writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// Whether the action accepts sensitive data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secure: Option<bool>,
    /// Request/response configuration (only with `includeConfig=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ActionConfig>,
    /// The contract (only with `expand=contract`), kept as opaque JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<Value>,
    /// URI of this object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
    /// Every other field, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Action {
    /// Built-in action (`static*` id): the public API cannot change it.
    pub fn is_static(&self) -> bool {
        self.id.starts_with("static")
    }

    /// Custom-authentication action (`customAuth*` id): `timeoutSeconds` is invalid on it.
    pub fn is_custom_auth(&self) -> bool {
        self.id.starts_with("customAuth")
    }

    /// The explicit timeout in seconds, if one is set (absent means the platform default).
    pub fn timeout_seconds(&self) -> Option<i64> {
        self.config.as_ref().and_then(|c| c.timeout_seconds)
    }
}

/// `ActionConfig`: the timeout plus request and response processing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionConfig {
    /// Execution timeout in seconds (1-60); absent means the platform default of 60 s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i64>,
    /// Outbound request configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestConfig>,
    /// Response processing configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseConfig>,
    /// Every other field, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `RequestConfig`: how the action calls the third-party service.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestConfig {
    /// URL template with placeholders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_url_template: Option<String>,
    /// Velocity template of the request body (inline text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_template: Option<String>,
    /// URI of the stored request template (responses reference templates this way).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_template_uri: Option<String>,
    /// HTTP method of the outbound request (opaque string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_type: Option<String>,
    /// Outbound headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Map<String, Value>>,
    /// Every other field, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `ResponseConfig`: how the third-party response is translated.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseConfig {
    /// Attribute name → JSON path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translation_map: Option<Map<String, Value>>,
    /// Attribute name → fallback value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translation_map_defaults: Option<Map<String, Value>>,
    /// Velocity template of the result (inline text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_template: Option<String>,
    /// URI of the stored success template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_template_uri: Option<String>,
    /// Every other field, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A page of a listing (`ActionEntityListing` and friends).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityListing<T> {
    /// The entities of this page.
    #[serde(default = "Vec::new")]
    pub entities: Vec<T>,
    /// The page size the server actually used (it may cap the requested one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<i64>,
    /// 1-based page number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_number: Option<i64>,
    /// Total number of entities across all pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    /// Number of pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_count: Option<i64>,
    /// URI of the first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_uri: Option<String>,
    /// URI of the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_uri: Option<String>,
    /// URI of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_uri: Option<String>,
    /// URI of the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_uri: Option<String>,
    /// URI of this page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
    /// Every other field, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl<T> Default for EntityListing<T> {
    fn default() -> Self {
        EntityListing {
            entities: Vec::new(),
            page_size: None,
            page_number: None,
            total: None,
            page_count: None,
            first_uri: None,
            next_uri: None,
            previous_uri: None,
            last_uri: None,
            self_uri: None,
            extra: Map::new(),
        }
    }
}

/// Body of `PATCH /api/v2/integrations/actions/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateActionInput {
    /// Name of the action.
    pub name: String,
    /// Category of the action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The action's current version.
    pub version: i64,
    /// The full configuration (templates inlined, `*Uri` dropped).
    pub config: ActionConfig,
}

/// Body of `PATCH /api/v2/integrations/actions/{id}/draft`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateDraftInput {
    /// Name of the action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Category of the action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The draft's current version (the draft's own counter).
    pub version: i64,
    /// The full draft configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ActionConfig>,
    /// Other fields (`contract`, `secure`, ...), kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The platform's error document, sent with every non-2xx response.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// Human-readable message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Machine-readable code (`request.conflict`, `missing.permissions`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// HTTP status repeated in the body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<i64>,
    /// Id of the entity concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    /// Name of the entity concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_name: Option<String>,
    /// Message template with `{param}` placeholders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_with_params: Option<String>,
    /// Values of the placeholders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_params: Option<Map<String, Value>>,
    /// The correlation id, repeated from `ININ-Correlation-ID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_id: Option<String>,
    /// `Detail` objects, kept as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Vec<Value>>,
    /// Nested errors, kept as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<Value>>,
    /// The limit that was hit, kept as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<Value>,
    /// Every other field, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn template_names() {
        assert_eq!(
            template_file_name("/api/v2/integrations/actions/x/templates/requesttemplate.vm"),
            Some(REQUEST_TEMPLATE)
        );
        assert_eq!(
            template_file_name("https://h/a/successtemplate.vm?x=1"),
            Some(SUCCESS_TEMPLATE)
        );
        assert_eq!(template_file_name("a/b/"), None);
        assert_eq!(template_file_name(""), None);
    }

    #[test]
    fn example_action_round_trips() {
        let doc = json!({"id":"3f0c","name":"Get user","integrationId":"9b1e","category":"Users","version":7,"secure":false,
         "config":{"timeoutSeconds":20,
           "request":{"requestUrlTemplate":"/api/v2/users/${input.userId}","requestType":"GET","headers":{},
                      "requestTemplateUri":"/api/v2/integrations/actions/3f0c/templates/requesttemplate.vm", "newThing": [1, {"a": null}]},
           "response":{"translationMap":{"name":"$.name"},"translationMapDefaults":{},
                      "successTemplateUri":"/api/v2/integrations/actions/3f0c/templates/successtemplate.vm"},
           "futureField": {"x": 1}},
         "function": {"timeoutSeconds": 15},
         "selfUri":"/api/v2/integrations/actions/3f0c"});
        let action: Action = serde_json::from_value(doc.clone()).unwrap();
        assert_eq!(action.timeout_seconds(), Some(20));
        assert!(action.extra.contains_key("function"));
        assert_eq!(serde_json::to_value(&action).unwrap(), doc);
        assert!(!action.is_static());
        let s: Action = serde_json::from_value(json!({"id":"static_e7b8"})).unwrap();
        assert!(s.is_static());
        let c: Action = serde_json::from_value(json!({"id":"customAuth_-_9b1e"})).unwrap();
        assert!(c.is_custom_auth());
    }

    #[test]
    fn action_needs_id() {
        let err = serde_json::from_value::<Action>(
            json!({"message":"nope","code":"bad.request","status":400}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("id"), "{err}");
    }

    #[test]
    fn update_input_shape() {
        let body = UpdateActionInput {
            name: "n".into(),
            category: Some("c".into()),
            version: 3,
            config: ActionConfig {
                timeout_seconds: Some(15),
                ..ActionConfig::default()
            },
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"name":"n","category":"c","version":3,"config":{"timeoutSeconds":15}})
        );
    }
}
