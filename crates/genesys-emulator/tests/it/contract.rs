//! Contract conformance: every response of every implemented operation, on success and error
//! paths, validates against the vendored Swagger 2.0 contract
//! (`contract/integrations-openapi.json`, made by `contract/convert-contract.py` from
//! genesys-integrations-api-openapi.yml): the status is declared for the operation, and the
//! body matches the declared schema (`$ref`, `type`, `format: int32`, `required`, `enum`,
//! `properties`, `items`, `additionalProperties`). A 204 has no body; `text/plain` operations
//! answer text.

use crate::common::*;
use genesys_emulator::{Config, FaultAction, FaultRule, Trigger};
use reqwest::Method;
use serde_json::{json, Value};

const CONTRACT: &str = include_str!("../../contract/integrations-openapi.json");

struct Contract {
    doc: Value,
}

impl Contract {
    fn load() -> Contract {
        Contract {
            doc: serde_json::from_str(CONTRACT).expect("contract JSON"),
        }
    }

    /// The operation whose path template matches `path` best (most literal segments).
    fn operation(&self, method: &str, path: &str) -> Option<(String, &Value)> {
        let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut best: Option<(usize, String, &Value)> = None;
        for (template, ops) in self.doc["paths"].as_object()? {
            let tsegs: Vec<&str> = template.trim_start_matches('/').split('/').collect();
            if tsegs.len() != segs.len() {
                continue;
            }
            let mut literal = 0;
            let matched = tsegs.iter().zip(&segs).all(|(t, s)| {
                if t.starts_with('{') {
                    true
                } else {
                    literal += usize::from(t == s);
                    t == s
                }
            });
            let Some(op) = ops.get(method.to_lowercase()) else {
                continue;
            };
            if matched && best.as_ref().is_none_or(|(l, _, _)| literal > *l) {
                best = Some((literal, template.clone(), op));
            }
        }
        best.map(|(_, t, op)| (t, op))
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.rsplit('/').next().unwrap_or("");
                self.resolve(&self.doc["definitions"][name])
            }
            None => schema,
        }
    }

    fn validate(&self, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
        let schema = self.resolve(schema);
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
            let ok = allowed.iter().any(|a| a == value);
            if !ok {
                errors.push(format!("{at}: {value} not in enum {allowed:?}"));
            }
        }
        let ty = schema
            .get("type")
            .and_then(Value::as_str)
            .or_else(|| schema.get("properties").map(|_| "object"));
        match ty {
            Some("object") => {
                let Some(obj) = value.as_object() else {
                    errors.push(format!("{at}: expected object, got {value}"));
                    return;
                };
                for req in schema
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let name = req.as_str().unwrap_or("");
                    if !obj.contains_key(name) {
                        errors.push(format!("{at}: missing required `{name}`"));
                    }
                }
                let props = schema.get("properties").and_then(Value::as_object);
                for (k, v) in obj {
                    match props.and_then(|p| p.get(k)) {
                        Some(ps) => self.validate(ps, v, &format!("{at}.{k}"), errors),
                        None => match schema.get("additionalProperties") {
                            Some(Value::Bool(false)) => {
                                errors.push(format!("{at}: unexpected `{k}`"))
                            }
                            Some(ap @ Value::Object(_)) => {
                                self.validate(ap, v, &format!("{at}.{k}"), errors)
                            }
                            _ => {}
                        },
                    }
                }
            }
            Some("array") => match value.as_array() {
                Some(items) => {
                    if let Some(is) = schema.get("items") {
                        for (i, item) in items.iter().enumerate() {
                            self.validate(is, item, &format!("{at}[{i}]"), errors);
                        }
                    }
                }
                None => errors.push(format!("{at}: expected array, got {value}")),
            },
            Some("string") if !value.is_string() => {
                errors.push(format!("{at}: expected string, got {value}"))
            }
            Some("boolean") if !value.is_boolean() => {
                errors.push(format!("{at}: expected boolean, got {value}"))
            }
            Some("number") if !value.is_number() => {
                errors.push(format!("{at}: expected number, got {value}"))
            }
            Some("integer") => match value.as_i64() {
                Some(n)
                    if schema.get("format").and_then(Value::as_str) == Some("int32")
                        && i32::try_from(n).is_err() =>
                {
                    errors.push(format!("{at}: {n} is not an int32"))
                }
                Some(_) => {}
                None => errors.push(format!("{at}: expected integer, got {value}")),
            },
            _ => {}
        }
    }

    /// Checks one response; returns the problems found.
    fn check(&self, method: &str, path: &str, r: &Resp) -> Vec<String> {
        let Some((template, op)) = self.operation(method, path) else {
            return vec![format!(
                "{method} {path}: no such operation in the contract"
            )];
        };
        let status = r.status.as_u16().to_string();
        let Some(decl) = op["responses"].get(&status) else {
            return vec![format!("{method} {template}: status {status} not declared")];
        };
        let label = format!("{method} {template} {status}");
        let ct = r.header("content-type").unwrap_or_default();
        let Some(schema) = decl.get("schema") else {
            return if r.text.is_empty() {
                vec![]
            } else {
                vec![format!("{label}: body where none is declared")]
            };
        };
        let produces_text = op["produces"]
            .as_array()
            .is_some_and(|p| p.iter().any(|x| x == "text/plain"));
        if produces_text && r.status.is_success() {
            return if ct.starts_with("text/plain") {
                vec![]
            } else {
                vec![format!("{label}: content type {ct}")]
            };
        }
        if !ct.starts_with("application/json") {
            return vec![format!("{label}: content type `{ct}`, expected JSON")];
        }
        let Ok(body) = serde_json::from_str::<Value>(&r.text) else {
            return vec![format!("{label}: body is not JSON")];
        };
        let mut errors = Vec::new();
        self.validate(schema, &body, "$", &mut errors);
        errors
            .into_iter()
            .map(|e| format!("{label}: {e}"))
            .collect()
    }
}

/// Calls and checks; remembers every (operation, status) seen.
struct Checker {
    env: Env,
    contract: Contract,
    problems: Vec<String>,
    seen: std::collections::BTreeSet<String>,
}

impl Checker {
    async fn call(&mut self, method: Method, path: &str, body: Option<&Value>) -> Resp {
        let r = self.env.call(method.clone(), path, body).await;
        self.record(method.as_str(), path, &r);
        r
    }

    async fn call_with(
        &mut self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Resp {
        let r = self.env.call_with(token, method.clone(), path, body).await;
        self.record(method.as_str(), path, &r);
        r
    }

    fn record(&mut self, method: &str, path: &str, r: &Resp) {
        let path_only = path.split('?').next().unwrap_or(path);
        self.problems
            .extend(self.contract.check(method, path_only, r));
        if let Some((t, _)) = self.contract.operation(method, path_only) {
            self.seen
                .insert(format!("{method} {t} {}", r.status.as_u16()));
        }
    }

    fn expect(&self, r: &Resp, status: u16) {
        assert_eq!(r.status.as_u16(), status, "{}", r.text);
    }
}

#[test]
fn validator_catches_violations() {
    let c = Contract::load();
    let mut errors = Vec::new();
    let action = json!({"$ref": "#/definitions/Action"});
    c.validate(
        &action,
        &json!({"id": "x", "version": "1", "config": {"timeoutSeconds": 1.5}}),
        "$",
        &mut errors,
    );
    assert_eq!(errors.len(), 2, "{errors:?}");
    errors.clear();
    c.validate(
        &json!({"$ref": "#/definitions/PublishDraftInput"}),
        &json!({}),
        "$",
        &mut errors,
    );
    assert_eq!(errors, ["$: missing required `version`"]);
    errors.clear();
    c.validate(
        &json!({"$ref": "#/definitions/RequestConfig"}),
        &json!({"headers": {"a": 1}}),
        "$",
        &mut errors,
    );
    assert_eq!(errors.len(), 1);
}

#[tokio::test]
async fn every_response_conforms() {
    let env = start(Config {
        execution_time_scale: 0.001,
        ..Config::default()
    })
    .await;
    let mut c = Checker {
        env,
        contract: Contract::load(),
        problems: Vec::new(),
        seen: Default::default(),
    };
    let case = c.env.stored("Create Case");
    let id = case["id"].as_str().expect("id").to_owned();
    let a = format!("{ACTIONS}/{id}");
    let drafted = c.env.id_of("Update Case Status");
    let st = c.env.id_of("Get Authenticated User");
    let slow = c.env.id_of("Get Weather Forecast");
    let patch = |v: &Value, t: Value| {
        json!({"name": v["name"], "category": v["category"], "version": v["version"], "config": {
        "timeoutSeconds": t, "request": v["config"]["request"], "response": v["config"]["response"]}})
    };

    // Listings.
    for q in [
        "",
        "?includeConfig=true&pageSize=500",
        "?includeAuthActions=true&includeConfig=true&pageSize=3&pageNumber=2",
        "?pageNumber=99",
        "?name=zz",
    ] {
        let r = c.call(Method::GET, &format!("{ACTIONS}{q}"), None).await;
        c.expect(&r, 200);
        let r = c
            .call(Method::GET, &format!("{ACTIONS}/drafts{q}"), None)
            .await;
        c.expect(&r, 200);
    }
    let r = c
        .call(Method::GET, &format!("{ACTIONS}?pageSize=0"), None)
        .await;
    c.expect(&r, 400);
    let r = c
        .call(Method::GET, &format!("{ACTIONS}/drafts?sortOrder=up"), None)
        .await;
    c.expect(&r, 400);
    let r = c
        .call(
            Method::GET,
            &format!("{ACTIONS}/categories?pageSize=3"),
            None,
        )
        .await;
    c.expect(&r, 200);
    let r = c
        .call(
            Method::GET,
            &format!("{ACTIONS}/categories?secure=sometimes"),
            None,
        )
        .await;
    c.expect(&r, 400);

    // Single reads.
    for q in ["", "?expand=contract&includeConfig=true"] {
        let r = c.call(Method::GET, &format!("{a}{q}"), None).await;
        c.expect(&r, 200);
        let r = c
            .call(Method::GET, &format!("{ACTIONS}/{drafted}/draft{q}"), None)
            .await;
        c.expect(&r, 200);
    }
    let r = c
        .call(Method::GET, &format!("{a}?expand=everything"), None)
        .await;
    c.expect(&r, 400);
    let r = c
        .call(Method::GET, &format!("{ACTIONS}/missing"), None)
        .await;
    c.expect(&r, 404);
    let r = c.call(Method::GET, &format!("{a}/draft"), None).await;
    c.expect(&r, 404);
    let r = c
        .call(
            Method::GET,
            &format!("{a}/templates/requesttemplate.vm"),
            None,
        )
        .await;
    c.expect(&r, 200);
    let r = c
        .call(Method::GET, &format!("{a}/templates/nothing.vm"), None)
        .await;
    c.expect(&r, 404);
    let r = c
        .call(
            Method::GET,
            &format!("{ACTIONS}/{drafted}/draft/templates/successtemplate.vm"),
            None,
        )
        .await;
    c.expect(&r, 200);
    let r = c
        .call(
            Method::GET,
            &format!("{a}/draft/templates/successtemplate.vm"),
            None,
        )
        .await;
    c.expect(&r, 404);

    // P1.
    let r = c
        .call(Method::PATCH, &a, Some(&patch(&case, json!(20))))
        .await;
    c.expect(&r, 200);
    let r = c
        .call(Method::PATCH, &a, Some(&patch(&case, json!(20))))
        .await;
    c.expect(&r, 409);
    let fresh = c.env.stored("Create Case");
    for bad in [json!(0), json!(61), json!("x")] {
        let r = c.call(Method::PATCH, &a, Some(&patch(&fresh, bad))).await;
        c.expect(&r, 400);
    }
    let r = c
        .call(Method::PATCH, &a, Some(&json!({"config": {}})))
        .await;
    c.expect(&r, 400);
    let r = c
        .call(Method::PATCH, &a, Some(&json!({"version": true})))
        .await;
    c.expect(&r, 400);
    let r = c
        .call(
            Method::PATCH,
            &format!("{ACTIONS}/{st}"),
            Some(&json!({"version": 1})),
        )
        .await;
    c.expect(&r, 400);
    let r = c
        .call(
            Method::PATCH,
            &format!("{ACTIONS}/missing"),
            Some(&json!({"version": 1})),
        )
        .await;
    c.expect(&r, 404);
    let raw = c
        .env
        .http
        .patch(c.env.url(&a))
        .bearer_auth(&c.env.token)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .expect("send");
    let r = into_resp(raw).await;
    c.record("PATCH", &a, &r);
    c.expect(&r, 415);

    // Draft lifecycle on Create Case.
    let d = format!("{a}/draft");
    let r = c.call(Method::POST, &d, None).await;
    c.expect(&r, 200);
    let r = c.call(Method::POST, &d, None).await;
    c.expect(&r, 409);
    let r = c
        .call(Method::POST, &format!("{ACTIONS}/{st}/draft"), None)
        .await;
    c.expect(&r, 400);
    let draft = r_json(
        &c.call(Method::GET, &format!("{d}?includeConfig=true"), None)
            .await,
    );
    let mut body = patch(&c.env.stored("Create Case"), json!(33));
    body["version"] = draft["version"].clone();
    let r = c.call(Method::PATCH, &d, Some(&body)).await;
    c.expect(&r, 200);
    let r = c.call(Method::PATCH, &d, Some(&body)).await;
    c.expect(&r, 409);
    let r = c.call(Method::GET, &format!("{d}/validation"), None).await;
    c.expect(&r, 200);
    let r = c
        .call(
            Method::GET,
            &format!("{ACTIONS}/{slow}/draft/validation"),
            None,
        )
        .await;
    c.expect(&r, 404);
    let r = c
        .call(
            Method::POST,
            &format!("{d}/test"),
            Some(&json!({"subject": "s", "callerName": "c", "priority": "p", "contactId": "1"})),
        )
        .await;
    c.expect(&r, 200);
    let r = c
        .call(
            Method::POST,
            &format!("{d}/publish"),
            Some(&json!({"version": 1})),
        )
        .await;
    // A stale publish answers 400 "Supplied version N does not match latest draft version M",
    // as the platform does.
    c.expect(&r, 400);
    let r = c
        .call(Method::POST, &format!("{d}/publish"), Some(&json!({})))
        .await;
    c.expect(&r, 400);
    let r = c
        .call(
            Method::POST,
            &format!("{d}/publish"),
            Some(&json!({"version": 2})),
        )
        .await;
    c.expect(&r, 200);
    let r = c
        .call(
            Method::POST,
            &format!("{d}/publish"),
            Some(&json!({"version": 2})),
        )
        .await;
    c.expect(&r, 404);
    let r = c
        .call(Method::DELETE, &format!("{ACTIONS}/{drafted}/draft"), None)
        .await;
    c.expect(&r, 204);
    let r = c
        .call(Method::DELETE, &format!("{ACTIONS}/{drafted}/draft"), None)
        .await;
    c.expect(&r, 404);
    // An invalid draft.
    let r = c
        .call(Method::POST, &format!("{ACTIONS}/{slow}/draft"), None)
        .await;
    c.expect(&r, 200);
    let r = c
        .call(
            Method::PATCH,
            &format!("{ACTIONS}/{slow}/draft"),
            Some(&json!({"version": 1, "config": {}})),
        )
        .await;
    c.expect(&r, 200);
    let r = c
        .call(
            Method::GET,
            &format!("{ACTIONS}/{slow}/draft/validation"),
            None,
        )
        .await;
    c.expect(&r, 200);

    // Test and execute.
    let input = json!({"subject": "s", "callerName": "c", "priority": "p", "contactId": "1"});
    let r = c
        .call(Method::POST, &format!("{a}/test"), Some(&input))
        .await;
    c.expect(&r, 200);
    let r = c
        .call(Method::POST, &format!("{a}/test"), Some(&json!({})))
        .await;
    c.expect(&r, 200);
    let r = c
        .call(
            Method::POST,
            &format!("{ACTIONS}/{slow}/test"),
            Some(&json!({"postalCode": "1"})),
        )
        .await;
    c.expect(&r, 200);
    let r = c
        .call(Method::POST, &format!("{a}/test"), Some(&json!("text")))
        .await;
    c.expect(&r, 400);
    let r = c
        .call(
            Method::POST,
            &format!("{ACTIONS}/missing/test"),
            Some(&input),
        )
        .await;
    c.expect(&r, 404);
    let r = c
        .call(Method::POST, &format!("{a}/execute"), Some(&input))
        .await;
    c.expect(&r, 200);
    let r = c
        .call(
            Method::POST,
            &format!("{ACTIONS}/{slow}/execute"),
            Some(&json!({"postalCode": "1"})),
        )
        .await;
    c.expect(&r, 504);
    let r = c
        .call(Method::POST, &format!("{a}/execute"), Some(&json!({})))
        .await;
    c.expect(&r, 400);

    // Integrations (how function data actions are told apart) and function settings.
    for q in [
        "",
        "?pageSize=2&pageNumber=2",
        "?integrationType=function-data-actions",
        "?pageNumber=99",
    ] {
        let r = c
            .call(Method::GET, &format!("/api/v2/integrations{q}"), None)
            .await;
        c.expect(&r, 200);
    }
    let listing = r_json(
        &c.call(
            Method::GET,
            "/api/v2/integrations?integrationType=function-data-actions",
            None,
        )
        .await,
    );
    assert_eq!(listing["total"], 1, "{listing}");
    let function_integration = listing["entities"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(
        listing["entities"][0]["integrationType"]["id"],
        "function-data-actions"
    );
    let r = c
        .call(Method::GET, "/api/v2/integrations?pageSize=0", None)
        .await;
    c.expect(&r, 400);
    let r = c
        .call(
            Method::GET,
            &format!("/api/v2/integrations/{function_integration}"),
            None,
        )
        .await;
    c.expect(&r, 200);
    let r = c
        .call(Method::GET, "/api/v2/integrations/missing", None)
        .await;
    c.expect(&r, 404);
    let function_action = c.env.id_of("Compute Callback Slot");
    let r = c
        .call(
            Method::GET,
            &format!("{ACTIONS}/{function_action}/function"),
            None,
        )
        .await;
    c.expect(&r, 200);
    assert_eq!(r_json(&r)["function"]["timeoutSeconds"], 10);
    let unset = c.env.id_of("Hash Customer Identifier");
    let r = c
        .call(Method::GET, &format!("{ACTIONS}/{unset}/function"), None)
        .await;
    c.expect(&r, 200);
    assert!(r_json(&r)["function"].get("timeoutSeconds").is_none());
    for (p, status) in [
        (format!("{a}/function"), 404),
        (format!("{ACTIONS}/missing/function"), 404),
        (format!("{ACTIONS}/{function_action}/draft/function"), 404),
    ] {
        let r = c.call(Method::GET, &p, None).await;
        c.expect(&r, status);
    }
    let r = c
        .call(
            Method::POST,
            &format!("{ACTIONS}/{function_action}/draft"),
            None,
        )
        .await;
    c.expect(&r, 200);
    let r = c
        .call(
            Method::GET,
            &format!("{ACTIONS}/{function_action}/draft/function"),
            None,
        )
        .await;
    c.expect(&r, 200);

    // A timed-out test answered as HTTP 504 or 408 (realism `test_timeout`, U18).
    for (how, status) in [
        (genesys_emulator::TestTimeout::Http504, 504),
        (genesys_emulator::TestTimeout::Http408, 408),
    ] {
        c.env.emu.set_realism(
            None,
            genesys_emulator::Realism {
                test_timeout: how,
                ..genesys_emulator::Realism::default()
            },
        );
        let r = c
            .call(
                Method::POST,
                &format!("{ACTIONS}/{slow}/test"),
                Some(&json!({"postalCode": "1"})),
            )
            .await;
        c.expect(&r, status);
    }
    c.env
        .emu
        .set_realism(None, genesys_emulator::Realism::default());

    // Authentication, rate limit and injected faults.
    let r = c
        .call_with("expired-or-unknown", Method::GET, &a, None)
        .await;
    c.expect(&r, 401);
    let r = c
        .call_with(
            "expired-or-unknown",
            Method::PATCH,
            &a,
            Some(&json!({"version": 1})),
        )
        .await;
    c.expect(&r, 401);
    c.env.emu.set_faults(vec![
        FaultRule {
            name: None,
            method: Some("GET".into()),
            path: format!("{ACTIONS}/*"),
            trigger: Trigger::Always,
            action: FaultAction::Status {
                status: 429,
                retry_after: Some(3),
                code: None,
                message: None,
            },
            times: Some(1),
        },
        FaultRule {
            name: None,
            method: None,
            path: "/api/**".into(),
            trigger: Trigger::Always,
            action: FaultAction::Status {
                status: 503,
                retry_after: None,
                code: None,
                message: None,
            },
            times: Some(2),
        },
    ]);
    let r = c.call(Method::GET, &a, None).await;
    c.expect(&r, 429);
    let r = c.call(Method::GET, ACTIONS, None).await;
    c.expect(&r, 503);
    let r = c
        .call(Method::POST, &format!("{a}/execute"), Some(&input))
        .await;
    c.expect(&r, 503);

    assert!(
        c.problems.is_empty(),
        "contract violations:\n{}",
        c.problems.join("\n")
    );
    // Every implemented operation was exercised.
    let ops: std::collections::BTreeSet<String> = c
        .seen
        .iter()
        .map(|s| {
            s.rsplit_once(' ')
                .map(|(o, _)| o.to_owned())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(ops.len(), 20, "{ops:#?}");
}

fn r_json(r: &Resp) -> Value {
    r.json()
}
