//! The draft lifecycle (D2, D4, D5, D6), test and execute (X1-X3), and categories (C1).
//!
//! Drafts have their own version counter: D2 creates version 1 from the published action
//! (409 `request.conflict` when a draft exists), D3 bumps it, D4 takes `{version}` = the
//! current draft version (stale: 409, with the I1961 wording "Supplied version X does not match
//! latest draft version Y"), makes the draft the published action with the published version
//! plus one, and deletes the draft.
//!
//! Test and execute simulate the call: every action has a deterministic latency (state
//! metadata `x-emulator.latencyMs`). The effective timeout is `config.timeoutSeconds`, or the
//! platform default of 60 s, and for a function data action the smaller of that and its
//! function's own timeout (`Function.timeoutSeconds`, default 15 s). The emulator sleeps
//! `min(latency, timeout) × Config::execution_time_scale`; when the latency exceeds the
//! timeout the call fails. How a test reports that is unpublished (U18), so the org's realism
//! setting `test_timeout` chooses: `body` (default) returns 200 with a `TestExecutionResult`
//! whose `success` is false, whose "Execute request" step failed, and whose `error` is an
//! `ErrorBody` with status 504 and code `request.timeout`; `http504` answers the test call
//! with HTTP 504 `request.timeout`, `http408` with HTTP 408 `client.timeout` (statuses the
//! contract declares for the operation). Execute always answers 504 `request.timeout`.
//! Results are made up from the action's `successSchema`.

use std::time::Duration;

use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use crate::error::{ApiError, ApiResult};
use crate::http::{
    find_action, find_draft, full_view, json_body, org_of, paging, set, sort_order, static_refusal,
    Ctx, Params,
};
use crate::store::{fnv1a, kind_of, render, str_field, version_of, Kind, ACTIONS_PATH};
use crate::validate;
use crate::{Emulator, TestTimeout};

/// Platform default execution timeout when `timeoutSeconds` is absent.
const DEFAULT_TIMEOUT_SECS: u64 = 60;

/// D2: a new draft from the published action. No body.
pub(crate) async fn create_draft(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let mut data = org_of(&emu, &ctx).write();
    let published = find_action(&data, &id)?;
    if kind_of(&id) == Kind::Static {
        return Err(static_refusal(&id));
    }
    if data.draft(&id).is_some() {
        return Err(ApiError::conflict(format!(
            "A draft already exists for action [{id}]"
        )));
    }
    let mut draft = published.clone();
    set(&mut draft, "version", json!(1));
    set(
        &mut draft,
        "selfUri",
        json!(format!("{ACTIONS_PATH}/{id}/draft")),
    );
    let out = render(&draft, full_view(true));
    data.put_draft(draft);
    Ok(Json(out))
}

/// What D5 finds wrong with a draft.
fn draft_problems(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let request = doc.get("config").and_then(|c| c.get("request"));
    if request
        .and_then(|r| r.get("requestUrlTemplate"))
        .and_then(Value::as_str)
        .is_none_or(|s| s.trim().is_empty())
    {
        problems.push("config.request.requestUrlTemplate is required".to_owned());
    }
    if request
        .and_then(|r| r.get("requestType"))
        .and_then(Value::as_str)
        .is_none_or(|s| s.trim().is_empty())
    {
        problems.push("config.request.requestType is required".to_owned());
    }
    let contract = doc.get("contract");
    for (part, schema) in [("input", "inputSchema"), ("output", "successSchema")] {
        if !contract
            .and_then(|c| c.get(part))
            .and_then(|p| p.get(schema))
            .is_some_and(Value::is_object)
        {
            problems.push(format!("contract.{part}.{schema} is required"));
        }
    }
    problems
}

/// D5: validate the draft.
pub(crate) async fn validate_draft(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let data = org_of(&emu, &ctx).read();
    let draft = find_draft(&data, &id)?;
    let errors: Vec<Value> = draft_problems(draft)
        .iter()
        .map(|m| ApiError::invalid_value(m.clone()).body(&ctx.correlation_id))
        .collect();
    Ok(Json(
        json!({ "valid": errors.is_empty(), "errors": errors }),
    ))
}

/// D4: publish the draft.
pub(crate) async fn publish_draft(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let body = json_body(&ctx)?;
    let parsed = validate::publish_input(body.as_deref());
    let mut data = org_of(&emu, &ctx).write();
    let published_version = version_of(find_action(&data, &id)?);
    if kind_of(&id) == Kind::Static {
        return Err(static_refusal(&id));
    }
    let draft = find_draft(&data, &id)?;
    let version = parsed?;
    let draft_version = version_of(draft);
    if version != draft_version {
        // The platform answers a stale publish with 400 (terraform-provider-genesyscloud
        // issue 1961), whatever the org's conflict setting.
        return Err(ApiError::bad_request(format!(
            "Supplied version {version} does not match latest draft version {draft_version}"
        )));
    }
    let problems = draft_problems(draft);
    if !problems.is_empty() {
        return Err(ApiError::bad_request(format!(
            "The draft is not valid: {}",
            problems.join("; ")
        )));
    }
    let mut doc = draft.clone();
    set(&mut doc, "version", json!(published_version + 1));
    set(&mut doc, "selfUri", json!(format!("{ACTIONS_PATH}/{id}")));
    let out = render(&doc, full_view(false));
    data.remove_draft(&id);
    data.put_action(doc);
    Ok(Json(out))
}

/// D6: delete the draft (204).
pub(crate) async fn delete_draft(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let mut data = org_of(&emu, &ctx).write();
    find_action(&data, &id)?;
    if kind_of(&id) == Kind::Static {
        return Err(static_refusal(&id));
    }
    data.remove_draft(&id)
        .ok_or_else(|| ApiError::draft_not_found(&id))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---------------------------------------------------------------- test / execute

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Test { draft: bool },
    Execute,
}

/// X1: test the published action.
pub(crate) async fn test_action(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    run(&emu, &ctx, &id, Mode::Test { draft: false }).await
}

/// X2: test the draft.
pub(crate) async fn test_draft(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    run(&emu, &ctx, &id, Mode::Test { draft: true }).await
}

/// X3: execute the published action.
pub(crate) async fn execute_action(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    run(&emu, &ctx, &id, Mode::Execute).await
}

/// Replaces `${input.NAME}` with the input's value.
fn substitute(template: &str, input: &Map<String, Value>) -> String {
    let mut out = template.to_owned();
    for (k, v) in input {
        let value = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        out = out.replace(&format!("${{input.{k}}}"), &value);
    }
    out
}

/// A made-up result shaped by the success schema (inputs of the same name are echoed).
fn made_up_result(id: &str, doc: &Value, input: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    let props = doc
        .pointer("/contract/output/successSchema/properties")
        .and_then(Value::as_object);
    for (name, schema) in props.into_iter().flatten() {
        let h = fnv1a(format!("{id}/{name}").as_bytes());
        let value = match schema.get("type").and_then(Value::as_str) {
            _ if input.contains_key(name) => input[name].clone(),
            Some("integer") => json!(h % 1000),
            Some("number") => json!((h % 10_000) as f64 / 100.0),
            Some("boolean") => json!(h.is_multiple_of(2)),
            Some("array") => json!([]),
            Some("object") => json!({}),
            _ => json!(format!("{name}-{:04}", h % 10_000)),
        };
        out.insert(name.clone(), value);
    }
    Value::Object(out)
}

fn step(n: usize, name: &str, result: Value) -> Value {
    json!({ "step": n, "name": name, "success": true, "result": result })
}

fn failed_step(n: usize, name: &str, error: &Value) -> Value {
    json!({ "step": n, "name": name, "success": false, "error": error })
}

async fn run(emu: &Emulator, ctx: &Ctx, id: &str, mode: Mode) -> ApiResult<Response> {
    let input = match json_body(ctx)?.as_deref() {
        None => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            return Err(ApiError::bad_request(
                "The request body must be a JSON object of input values",
            ))
        }
    };
    let (doc, latency_ms, function_timeout) = {
        let data = org_of(emu, ctx).read();
        let doc = match mode {
            Mode::Test { draft: true } => find_draft(&data, id)?,
            _ => find_action(&data, id)?,
        };
        (doc.clone(), data.latency_ms(id), data.function_timeout(id))
    };
    let realism = org_of(emu, ctx).realism();
    let latency_ms = crate::jitter::jittered(latency_ms, emu.config().execution_jitter);
    let cid = &ctx.correlation_id;
    let mut steps = Vec::new();

    // 1. Input against the input schema's required list.
    let missing: Vec<&str> = doc
        .pointer("/contract/input/inputSchema/required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|k| !input.contains_key(*k))
        .collect();
    if !missing.is_empty() {
        let err =
            ApiError::bad_request(format!("Missing required input(s): {}", missing.join(", ")));
        if mode == Mode::Execute {
            return Err(err);
        }
        let body = err.body(cid);
        steps.push(failed_step(1, "Validate input against schema", &body));
        return Ok(test_result(steps, Some(body), None));
    }
    steps.push(step(
        1,
        "Validate input against schema",
        json!({ "valid": true }),
    ));

    // 2-3. Resolve the URL and body templates.
    let request = doc.pointer("/config/request");
    let url = substitute(
        request
            .and_then(|r| r.get("requestUrlTemplate"))
            .and_then(Value::as_str)
            .unwrap_or(""),
        &input,
    );
    steps.push(step(
        2,
        "Resolve request URL template",
        json!({ "requestUrl": url }),
    ));
    if let Some(t) = request
        .and_then(|r| r.get("requestTemplate"))
        .and_then(Value::as_str)
    {
        let n = steps.len() + 1;
        steps.push(step(
            n,
            "Resolve request body template",
            json!({ "requestBody": substitute(t, &input) }),
        ));
    }

    // 4. The call itself, bounded by the effective timeout: the action's, and for a function
    // data action also its function's own (the function is stopped at the smaller).
    let action_timeout = doc
        .pointer("/config/timeoutSeconds")
        .and_then(Value::as_u64)
        .unwrap_or(DEFAULT_TIMEOUT_SECS);
    let timeout_secs = function_timeout.map_or(action_timeout, |f| f.min(action_timeout));
    let stopped_by_function = function_timeout.is_some_and(|f| f < action_timeout);
    let timeout_ms = timeout_secs * 1000;
    let waited_ms = latency_ms.min(timeout_ms);
    let scale = emu.config().execution_time_scale.max(0.0);
    let sleep = Duration::from_secs_f64(waited_ms as f64 / 1000.0 * scale);
    if !sleep.is_zero() {
        tokio::time::sleep(sleep).await;
    }
    let method = request
        .and_then(|r| r.get("requestType"))
        .and_then(Value::as_str)
        .unwrap_or("GET");
    if latency_ms > timeout_ms {
        let what = if stopped_by_function {
            "the function's timeout"
        } else {
            "its execution timeout"
        };
        let message = format!(
            "The request timed out: the action [{}] did not complete within {what} of {timeout_secs} seconds.",
            str_field(&doc, "name")
        );
        let err = ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "request.timeout",
            message.clone(),
        );
        if mode == Mode::Execute {
            return Err(err);
        }
        // U18: how a test reports the timeout is unpublished; the org's realism setting says.
        match realism.test_timeout {
            TestTimeout::Body => {}
            TestTimeout::Http504 => return Err(err),
            TestTimeout::Http408 => {
                return Err(ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "client.timeout",
                    message,
                ))
            }
        }
        let body = err.body(cid);
        let n = steps.len() + 1;
        steps.push(failed_step(n, "Execute request", &body));
        return Ok(test_result(steps, Some(body), None));
    }
    let n = steps.len() + 1;
    steps.push(step(
        n,
        "Execute request",
        json!({ "requestType": method, "statusCode": 200 }),
    ));

    // 5-6. Translation and output.
    let result = made_up_result(id, &doc, &input);
    if mode == Mode::Execute {
        return Ok(Json(result).into_response());
    }
    let n = steps.len() + 1;
    steps.push(step(n, "Resolve translation map", result.clone()));
    let n = steps.len() + 1;
    steps.push(step(
        n,
        "Validate output against schema",
        json!({ "valid": true }),
    ));
    Ok(test_result(steps, None, Some(result)))
}

/// A `TestExecutionResult` (always HTTP 200).
fn test_result(
    operations: Vec<Value>,
    error: Option<Value>,
    final_result: Option<Value>,
) -> Response {
    let mut out = Map::new();
    out.insert("operations".into(), Value::Array(operations));
    let success = error.is_none();
    if let Some(e) = error {
        out.insert("error".into(), e);
    }
    if let Some(r) = final_result {
        out.insert("finalResult".into(), r);
    }
    out.insert("success".into(), json!(success));
    Json(Value::Object(out)).into_response()
}

// ---------------------------------------------------------------- categories

/// C1: categories of the published actions, paged (no `*Uri` fields, as in the contract).
pub(crate) async fn categories(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    p: Params,
) -> ApiResult<Json<Value>> {
    let (size, number) = paging(&p, emu.config().max_page_size)?;
    let descending = sort_order(&p)?;
    let secure = p.flag("secure")?;
    let mut names = org_of(&emu, &ctx).read().categories(secure);
    if descending {
        names.reverse();
    }
    let total = names.len();
    let entities: Vec<Value> = names
        .into_iter()
        .skip(size.saturating_mul(number - 1))
        .take(size)
        .map(|name| json!({ "name": name }))
        .collect();
    Ok(Json(json!({
        "entities": entities,
        "pageSize": size,
        "pageNumber": number,
        "total": total,
        "pageCount": total.div_ceil(size),
    })))
}
