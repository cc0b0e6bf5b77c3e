//! Loopback-only admin endpoints under `/__emulator`.
//!
//! | method + path | does |
//! |---|---|
//! | `GET /__emulator/faults` | the fault rules (JSON array) |
//! | `PUT /__emulator/faults` | replace them (array or `{"faults": [...]}`); counters restart |
//! | `DELETE /__emulator/faults` | remove them (204) |
//! | `POST /__emulator/reset` | back to the seeded state, journal and faults cleared (204) |
//! | `GET /__emulator/requests` | the journal (JSON array) |
//! | `DELETE /__emulator/requests` | clear the journal (204) |
//! | `GET /__emulator/state[?clientId=ID]` | an org's state document (default org without `clientId`) |
//! | `PUT /__emulator/state` | load a state document into the default org (204) |
//! | `GET /__emulator/realism[?clientId=ID]` | an org's realism settings (see `realism`) |
//! | `PUT /__emulator/realism[?clientId=ID]` | replace them (`{"test_timeout": "http504"}`) |
//!
//! They need no token and are not journaled; a peer that is not on loopback gets 403 (the
//! request pipeline checks the `ConnectInfo` peer before routing here).

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::faults::parse_faults_json;
use crate::Emulator;

/// The admin routes (merged into the main router).
pub(crate) fn routes() -> Router<Emulator> {
    Router::new()
        .route(
            "/__emulator/faults",
            get(get_faults).put(put_faults).delete(delete_faults),
        )
        .route("/__emulator/reset", post(reset))
        .route(
            "/__emulator/requests",
            get(get_requests).delete(delete_requests),
        )
        .route("/__emulator/state", get(get_state).put(put_state))
        .route("/__emulator/realism", get(get_realism).put(put_realism))
}

fn client_id_param(q: Option<&str>) -> Option<String> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(q.unwrap_or("")).unwrap_or_default();
    pairs
        .into_iter()
        .find(|(k, _)| k == "clientId")
        .map(|(_, v)| v)
}

fn no_such_org(id: Option<&str>) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not.found",
        format!("no org has client id [{}]", id.unwrap_or("")),
    )
}

async fn get_realism(State(emu): State<Emulator>, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    let id = client_id_param(q.as_deref());
    let r = emu
        .realism(id.as_deref())
        .ok_or_else(|| no_such_org(id.as_deref()))?;
    Ok(Json(serde_json::to_value(r).unwrap_or(Value::Null)))
}

async fn put_realism(
    State(emu): State<Emulator>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let r: crate::Realism = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid realism settings: {e}")))?;
    let id = client_id_param(q.as_deref());
    if !emu.set_realism(id.as_deref(), r) {
        return Err(no_such_org(id.as_deref()));
    }
    Ok(Json(serde_json::to_value(r).unwrap_or(Value::Null)))
}

async fn get_faults(State(emu): State<Emulator>) -> Json<Value> {
    Json(serde_json::to_value(emu.faults()).unwrap_or(Value::Null))
}

async fn put_faults(State(emu): State<Emulator>, body: Bytes) -> ApiResult<Json<Value>> {
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::bad_request("the body must be UTF-8 JSON"))?;
    let rules = parse_faults_json(text)
        .map_err(|e| ApiError::bad_request(format!("invalid fault rules: {e}")))?;
    emu.set_faults(rules);
    Ok(Json(
        serde_json::to_value(emu.faults()).unwrap_or(Value::Null),
    ))
}

async fn delete_faults(State(emu): State<Emulator>) -> Response {
    emu.set_faults(Vec::new());
    StatusCode::NO_CONTENT.into_response()
}

async fn reset(State(emu): State<Emulator>) -> Response {
    emu.reset();
    StatusCode::NO_CONTENT.into_response()
}

async fn get_requests(State(emu): State<Emulator>) -> Json<Value> {
    Json(serde_json::to_value(emu.journal()).unwrap_or(Value::Null))
}

async fn delete_requests(State(emu): State<Emulator>) -> Response {
    emu.clear_journal();
    StatusCode::NO_CONTENT.into_response()
}

async fn get_state(State(emu): State<Emulator>, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(q.as_deref().unwrap_or("")).unwrap_or_default();
    match pairs.iter().find(|(k, _)| k == "clientId") {
        None => Ok(Json(emu.state())),
        Some((_, id)) => emu.org_state(id).map(Json).ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not.found",
                format!("no org has client id [{id}]"),
            )
        }),
    }
}

async fn put_state(State(emu): State<Emulator>, body: Bytes) -> ApiResult<Response> {
    let doc: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the body must be a state document: {e}")))?;
    emu.load_state(doc).map_err(ApiError::bad_request)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
