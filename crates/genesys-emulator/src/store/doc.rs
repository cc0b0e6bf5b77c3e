//! One stored document: its kind (from the id), its fields, and its wire form.
//!
//! [`render`] turns a stored document into what the API returns: templates by URI (never
//! text), `config` only on request, `contract` only when expanded, every other field (known or
//! not) as stored, in stored order.

use serde_json::{Map, Value};

use super::ACTIONS_PATH;

/// Template file names (the Terraform provider's constants).
const REQUEST_TEMPLATE_FILE: &str = "requesttemplate.vm";
const SUCCESS_TEMPLATE_FILE: &str = "successtemplate.vm";

/// Kinds of action, from the id prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Built-in `static*` action: read-only.
    Static,
    /// `customAuth*` action: no timeout allowed, listed only with `includeAuthActions=true`.
    CustomAuth,
    /// Anything else.
    Regular,
}

/// The kind of action `id`, from its prefix.
pub(crate) fn kind_of(id: &str) -> Kind {
    if id.starts_with("static") {
        Kind::Static
    } else if id.starts_with("customAuth") {
        Kind::CustomAuth
    } else {
        Kind::Regular
    }
}

/// How a document is rendered.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct View {
    pub include_config: bool,
    pub include_contract: bool,
    /// Render as a draft (template URIs under `/draft/templates`).
    pub draft: bool,
}

/// A string field of a document ("" when absent).
pub(crate) fn str_field<'a>(doc: &'a Value, key: &str) -> &'a str {
    doc.get(key).and_then(Value::as_str).unwrap_or("")
}

/// `version` of a document (0 when absent).
pub(crate) fn version_of(doc: &Value) -> i64 {
    doc.get("version").and_then(Value::as_i64).unwrap_or(0)
}

/// The template text stored in `doc`'s config for `file`, if any.
pub(crate) fn template_text<'a>(doc: &'a Value, file: &str) -> Option<&'a str> {
    let (section, key) = match file {
        REQUEST_TEMPLATE_FILE => ("request", "requestTemplate"),
        SUCCESS_TEMPLATE_FILE => ("response", "successTemplate"),
        _ => return None,
    };
    doc.get("config")?.get(section)?.get(key)?.as_str()
}

fn template_uri(id: &str, draft: bool, file: &str) -> String {
    if draft {
        format!("{ACTIONS_PATH}/{id}/draft/templates/{file}")
    } else {
        format!("{ACTIONS_PATH}/{id}/templates/{file}")
    }
}

/// The wire form of a stored document.
pub(crate) fn render(doc: &Value, view: View) -> Value {
    let Some(map) = doc.as_object() else {
        return doc.clone();
    };
    let id = map.get("id").and_then(Value::as_str).unwrap_or("");
    let mut out = Map::with_capacity(map.len());
    for (k, v) in map {
        match k.as_str() {
            "config" if !view.include_config => {}
            "contract" if !view.include_contract => {}
            "config" => {
                out.insert(k.clone(), render_config(v, id, view.draft));
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

/// Replaces template text by its URI, in place of the text (key order kept).
fn render_config(config: &Value, id: &str, draft: bool) -> Value {
    let Some(map) = config.as_object() else {
        return config.clone();
    };
    let mut out = Map::with_capacity(map.len());
    for (k, v) in map {
        let section = match k.as_str() {
            "request" => Some((
                "requestTemplate",
                "requestTemplateUri",
                REQUEST_TEMPLATE_FILE,
            )),
            "response" => Some((
                "successTemplate",
                "successTemplateUri",
                SUCCESS_TEMPLATE_FILE,
            )),
            _ => None,
        };
        match (section, v.as_object()) {
            (Some((text_key, uri_key, file)), Some(inner)) => {
                let mut sec = Map::with_capacity(inner.len());
                for (ik, iv) in inner {
                    if ik == text_key {
                        sec.insert(
                            uri_key.to_owned(),
                            Value::String(template_uri(id, draft, file)),
                        );
                    } else if ik != uri_key {
                        sec.insert(ik.clone(), iv.clone());
                    }
                }
                out.insert(k.clone(), Value::Object(sec));
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn render_replaces_text_by_uri_in_place() {
        let doc = json!({"id":"a","name":"A","version":1,
            "config":{"timeoutSeconds":5,"request":{"requestUrlTemplate":"/x","requestTemplate":"t","requestType":"GET"},
                      "response":{"translationMap":{},"successTemplate":"s"}},
            "selfUri":"/api/v2/integrations/actions/a"});
        let out = render(
            &doc,
            View {
                include_config: true,
                ..View::default()
            },
        );
        let req = &out["config"]["request"];
        let keys: Vec<&String> = req
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            ["requestUrlTemplate", "requestTemplateUri", "requestType"]
        );
        assert_eq!(
            req["requestTemplateUri"],
            "/api/v2/integrations/actions/a/templates/requesttemplate.vm"
        );
        assert_eq!(
            out["config"]["response"]["successTemplateUri"],
            "/api/v2/integrations/actions/a/templates/successtemplate.vm"
        );
        assert!(render(&doc, View::default()).get("config").is_none());
        let d = render(
            &doc,
            View {
                include_config: true,
                draft: true,
                ..View::default()
            },
        );
        assert_eq!(
            d["config"]["request"]["requestTemplateUri"],
            "/api/v2/integrations/actions/a/draft/templates/requesttemplate.vm"
        );
    }
}
