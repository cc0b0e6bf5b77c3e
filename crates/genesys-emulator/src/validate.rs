//! Request bodies of the write operations, checked against the contract and normalised.
//!
//! `UpdateActionInput` (P1), `UpdateDraftInput` (D3) and `PublishDraftInput` (D4) all require an
//! int32 `version`; a missing one is 400 `bad.request`, a wrong type 400 `invalid.value`. The
//! config is normalised for storage with the emulator's pessimistic semantics
//! (genesys-api.md §7): it REPLACES the stored config, so what is absent is gone; `*Uri` fields
//! are dropped (only template text is stored); unknown fields are kept verbatim;
//! `timeoutSeconds` must be an integer in 1..=60 (400 `constraint.validation`), and `null`
//! clears it like omission does; custom-auth actions take no timeout at all.

use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};
use crate::store::Kind;

/// Longest `name` / `category` (contract: "up to 256 characters").
const MAX_NAME_CHARS: usize = 256;

/// A validated P1 or D3 body.
#[derive(Debug)]
pub(crate) struct Update {
    pub version: i64,
    pub name: Option<String>,
    pub category: Option<String>,
    /// The config to store (replaces the old one).
    pub config: Value,
    /// D3 only.
    pub contract: Option<Value>,
    /// D3 only.
    pub secure: Option<bool>,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn wrong_type(field: &str, v: &Value, expected: &str) -> ApiError {
    ApiError::invalid_value(format!(
        "Value [{}] is not valid for field type [{expected}] of field [{field}]",
        match v {
            Value::String(s) => s.clone(),
            other => type_name(other).to_owned(),
        }
    ))
}

fn body_object(body: Option<&Value>) -> ApiResult<&Map<String, Value>> {
    match body {
        Some(Value::Object(m)) => Ok(m),
        Some(other) => Err(ApiError::bad_request(format!(
            "The request body must be a JSON object, not {}",
            type_name(other)
        ))),
        None => Err(ApiError::bad_request(
            "The request could not be understood by the server due to malformed syntax: a JSON body is required.",
        )),
    }
}

/// The required int32 `version` of a body.
pub(crate) fn version_field(map: &Map<String, Value>) -> ApiResult<i64> {
    match map.get("version") {
        None | Some(Value::Null) => Err(ApiError::bad_request("Missing required field [version]")),
        Some(v) => match v.as_i64() {
            Some(n) if i32::try_from(n).is_ok() => Ok(n),
            _ => Err(wrong_type("version", v, "int32")),
        },
    }
}

fn opt_string(map: &Map<String, Value>, key: &str) -> ApiResult<Option<String>> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            if s.chars().count() > MAX_NAME_CHARS {
                return Err(ApiError::constraint(format!(
                    "{key} can be up to {MAX_NAME_CHARS} characters long"
                )));
            }
            if s.trim().is_empty() {
                return Err(ApiError::constraint(format!("{key} must not be blank")));
            }
            Ok(Some(s.clone()))
        }
        Some(v) => Err(wrong_type(key, v, "string")),
    }
}

/// PublishDraftInput: `{version}`.
pub(crate) fn publish_input(body: Option<&Value>) -> ApiResult<i64> {
    version_field(body_object(body)?)
}

/// UpdateActionInput (P1) or UpdateDraftInput (D3) for an action of `kind`.
pub(crate) fn update_input(body: Option<&Value>, kind: Kind, draft: bool) -> ApiResult<Update> {
    let map = body_object(body)?;
    let version = version_field(map)?;
    let name = opt_string(map, "name")?;
    let category = opt_string(map, "category")?;
    let config = match map.get("config") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(v) => sanitize_config(v, kind)?,
    };
    let (contract, secure) = if draft {
        let contract = match map.get("contract") {
            None | Some(Value::Null) => None,
            Some(c) => Some(contract_input(c)?),
        };
        let secure = match map.get("secure") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(v) => return Err(wrong_type("secure", v, "boolean")),
        };
        (contract, secure)
    } else {
        (None, None)
    };
    Ok(Update {
        version,
        name,
        category,
        config,
        contract,
        secure,
    })
}

/// ActionContractInput: `input.inputSchema` and `output.successSchema` are required objects.
fn contract_input(c: &Value) -> ApiResult<Value> {
    let obj = c
        .as_object()
        .ok_or_else(|| wrong_type("contract", c, "ActionContractInput"))?;
    for (part, schema) in [("input", "inputSchema"), ("output", "successSchema")] {
        match obj.get(part) {
            Some(Value::Object(p)) => match p.get(schema) {
                Some(Value::Object(_)) => {}
                Some(v) => {
                    return Err(wrong_type(
                        &format!("contract.{part}.{schema}"),
                        v,
                        "JsonSchemaDocument",
                    ))
                }
                None => {
                    return Err(ApiError::bad_request(format!(
                        "Missing required field [contract.{part}.{schema}]"
                    )))
                }
            },
            Some(v) => return Err(wrong_type(&format!("contract.{part}"), v, "object")),
            None => {
                return Err(ApiError::bad_request(format!(
                    "Missing required field [contract.{part}]"
                )))
            }
        }
    }
    Ok(c.clone())
}

/// Normalises an `ActionConfig` for storage (see the module docs).
pub(crate) fn sanitize_config(config: &Value, kind: Kind) -> ApiResult<Value> {
    let map = config
        .as_object()
        .ok_or_else(|| wrong_type("config", config, "ActionConfig"))?;
    let mut out = Map::with_capacity(map.len());
    for (k, v) in map {
        match k.as_str() {
            "timeoutSeconds" => {
                if v.is_null() {
                    continue;
                }
                if kind == Kind::CustomAuth {
                    return Err(ApiError::constraint(
                        "timeoutSeconds is invalid for Custom Authentication Actions",
                    ));
                }
                let n = match v {
                    Value::Number(n) => n,
                    other => return Err(wrong_type("config.timeoutSeconds", other, "int32")),
                };
                match n.as_i64() {
                    Some(t) if (1..=60).contains(&t) => {
                        out.insert(k.clone(), Value::from(t));
                    }
                    _ => {
                        return Err(ApiError::constraint(format!(
                            "config.timeoutSeconds must be an integer between 1 and 60 seconds, not [{n}]"
                        )))
                    }
                }
            }
            "request" => {
                if v.is_null() {
                    continue;
                }
                out.insert(
                    k.clone(),
                    section(
                        v,
                        "config.request",
                        &["requestUrlTemplate", "requestTemplate", "requestType"],
                        &["headers"],
                        "requestTemplateUri",
                    )?,
                );
            }
            "response" => {
                if v.is_null() {
                    continue;
                }
                out.insert(
                    k.clone(),
                    section(
                        v,
                        "config.response",
                        &["successTemplate"],
                        &["translationMap", "translationMapDefaults"],
                        "successTemplateUri",
                    )?,
                );
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(Value::Object(out))
}

/// A `RequestConfig` / `ResponseConfig`: typed string fields, string maps, the URI dropped.
fn section(
    v: &Value,
    path: &str,
    strings: &[&str],
    maps: &[&str],
    uri_key: &str,
) -> ApiResult<Value> {
    let map = v.as_object().ok_or_else(|| wrong_type(path, v, "object"))?;
    let mut out = Map::with_capacity(map.len());
    for (k, val) in map {
        if k == uri_key {
            continue;
        }
        if strings.contains(&k.as_str()) {
            match val {
                Value::Null => continue,
                Value::String(_) => {}
                other => return Err(wrong_type(&format!("{path}.{k}"), other, "string")),
            }
        } else if maps.contains(&k.as_str()) {
            match val {
                Value::Null => continue,
                Value::Object(m) => {
                    if let Some((mk, mv)) = m.iter().find(|(_, mv)| !mv.is_string()) {
                        return Err(wrong_type(&format!("{path}.{k}.{mk}"), mv, "string"));
                    }
                }
                other => {
                    return Err(wrong_type(
                        &format!("{path}.{k}"),
                        other,
                        "map<string,string>",
                    ))
                }
            }
        }
        out.insert(k.clone(), val.clone());
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timeout_rules() {
        let ok = |t: Value| sanitize_config(&json!({ "timeoutSeconds": t }), Kind::Regular);
        assert_eq!(ok(json!(1)).expect("1")["timeoutSeconds"], 1);
        assert_eq!(ok(json!(60)).expect("60")["timeoutSeconds"], 60);
        assert!(ok(Value::Null)
            .expect("null")
            .get("timeoutSeconds")
            .is_none());
        for bad in [json!(0), json!(61), json!(1.5), json!(-3)] {
            assert_eq!(ok(bad).expect_err("bad").code, "constraint.validation");
        }
        assert_eq!(ok(json!("30")).expect_err("string").code, "invalid.value");
        let ca = sanitize_config(&json!({ "timeoutSeconds": 10 }), Kind::CustomAuth);
        assert_eq!(ca.expect_err("custom auth").code, "constraint.validation");
    }

    #[test]
    fn drops_uris_keeps_unknown() {
        let c = sanitize_config(
            &json!({"request":{"requestTemplateUri":"/x","future":1},"response":{"successTemplateUri":"/y","successTemplate":"t"},"extra":true}),
            Kind::Regular,
        )
        .expect("valid");
        assert_eq!(
            c,
            json!({"request":{"future":1},"response":{"successTemplate":"t"},"extra":true})
        );
    }

    #[test]
    fn version_is_required_and_typed() {
        let e =
            update_input(Some(&json!({"config":{}})), Kind::Regular, false).expect_err("missing");
        assert_eq!((e.status.as_u16(), e.code.as_str()), (400, "bad.request"));
        let e =
            update_input(Some(&json!({"version":"3"})), Kind::Regular, false).expect_err("type");
        assert_eq!((e.status.as_u16(), e.code.as_str()), (400, "invalid.value"));
    }
}
