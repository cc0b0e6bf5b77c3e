//! The request pipeline. Every request goes through [`pipeline`], in this order:
//! 1. a fresh correlation id (sent back as `ININ-Correlation-ID` on every response and as
//!    `contextId` in every `ErrorBody`);
//! 2. the body is buffered (it is journaled when it is JSON);
//! 3. the fault plan decides (`Status` and `Drop` answer at once, `ExpireToken` expires the
//!    request's token, `ConcurrentEdit` is applied after authentication, latency rules sleep;
//!    `DropAfter` and `StatusAfter` let the handler apply the request, then lose its answer);
//! 4. the configured latency;
//! 5. `/api/…` requests: bearer token check (401), then the rate limit (429), per token or
//!    per client as the org's realism setting says;
//! 6. the handler; error responses get their `ErrorBody`;
//! 7. the journal entry.
//!
//! Admin endpoints (`/__emulator/…`, see `admin`) skip steps 2-5 and 7 and answer only
//! loopback peers (403 otherwise; the peer comes from `ConnectInfo`, none = refused).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use super::token::{basic_credentials, bearer_token, form_field};
use super::{ADMIN_PREFIX, TOKEN_PATH};
use crate::auth::Check;
use crate::error::ApiError;
use crate::faults::{EditField, FaultAction};
use crate::http::{is_json_content_type, Ctx, DropConnection};
use crate::store::{kind_of, Kind, ACTIONS_PATH};
use crate::{Emulator, JournalEntry, Org};

/// Largest request body accepted (413 beyond).
const MAX_BODY: usize = 8 * 1024 * 1024;
/// The correlation id header.
const CORRELATION_HEADER: &str = "ININ-Correlation-ID";

/// A fresh correlation id (UUID-shaped).
fn new_correlation_id() -> String {
    crate::seed::format_uuid(fastrand::u64(..), fastrand::u64(..))
}

/// The request pipeline (see the module docs).
pub(super) async fn pipeline(State(emu): State<Emulator>, req: Request, next: Next) -> Response {
    let received_us = emu.now_us();
    let correlation_id = new_correlation_id();
    let path = req.uri().path().to_owned();
    if path.starts_with(ADMIN_PREFIX) {
        let peer = req.extensions().get::<ConnectInfo<SocketAddr>>();
        let resp = if peer.is_some_and(|ConnectInfo(addr)| addr.ip().is_loopback()) {
            next.run(req).await
        } else {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "not.authorized",
                "The emulator's admin endpoints answer loopback peers only.",
            )
            .into_response()
        };
        return finish(resp, &correlation_id);
    }
    let method = req.method().as_str().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let (mut parts, body) = req.into_parts();
    let mut entry = JournalEntry {
        seq: 0,
        method: method.clone(),
        path: path.clone(),
        query,
        status: 0,
        body: None,
        client_id: None,
        correlation_id: correlation_id.clone(),
        fault: None,
        handled_status: None,
        received_us,
        answered_us: 0,
    };
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            let resp = finish(
                ApiError::for_status(StatusCode::PAYLOAD_TOO_LARGE).into_response(),
                &correlation_id,
            );
            entry.status = resp.status().as_u16();
            emu.record(entry);
            return resp;
        }
    };
    let json = (!body.is_empty()).then(|| {
        serde_json::from_slice::<Value>(&body)
            .map(Arc::new)
            .map_err(|e| e.to_string())
    });
    // The token request's body may hold the client secret: never journaled.
    entry.body = match &json {
        Some(Ok(v)) if path != TOKEN_PATH => Some((**v).clone()),
        _ => None,
    };
    let token = bearer_token(&parts.headers);
    entry.client_id = if path == TOKEN_PATH {
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
        basic_credentials(&parts.headers)
            .map(|(id, _)| id)
            .or_else(|| form_field(&form, "client_id").map(str::to_owned))
    } else {
        token.as_deref().and_then(|t| emu.tokens().client_of(t))
    };
    let decision = emu.fault_plan().decide(&method, &path);
    entry.fault = decision
        .action
        .as_ref()
        .map(|(n, _)| n.clone())
        .or_else(|| decision.fired.first().cloned());
    let delay = emu.config().latency + Duration::from_millis(decision.latency_ms);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }

    let mut edit = None;
    let mut after = None;
    let early = match decision.action.map(|(_, a)| a) {
        Some(FaultAction::Status {
            status,
            retry_after,
            code,
            message,
        }) => Some(status_fault(status, retry_after, code, message).into_response()),
        Some(FaultAction::Drop) => Some(drop_response()),
        Some(a @ (FaultAction::DropAfter | FaultAction::StatusAfter { .. })) => {
            after = Some(a);
            None
        }
        Some(FaultAction::ExpireToken) => {
            if let Some(t) = &token {
                emu.tokens().expire(t, Instant::now());
            }
            None
        }
        Some(FaultAction::ConcurrentEdit { field }) => {
            edit = Some(field);
            None
        }
        Some(FaultAction::Latency { .. }) | None => None,
    };
    let resp = match early {
        Some(resp) => resp,
        None => {
            let mut org = 0;
            let mut refused = None;
            if path.starts_with("/api/") {
                let limit = emu.config().rate_limit_per_minute;
                let scope_of = |org: usize| {
                    emu.inner
                        .orgs
                        .get(org)
                        .map(|o| o.realism().rate_limit_scope)
                        .unwrap_or_default()
                };
                match emu
                    .tokens()
                    .check(token.as_deref(), limit, Instant::now(), scope_of)
                {
                    Check::Ok { org: o, client_id } => {
                        org = o;
                        entry.client_id = Some(client_id);
                        let granted = emu.inner.orgs[o].creds.permissions.as_deref();
                        refused = crate::perms::check(granted, &method, &path).err();
                    }
                    Check::Unauthorized => refused = Some(ApiError::auth_required()),
                    Check::RateLimited { retry_after } => {
                        refused = Some(ApiError::rate_limited(retry_after))
                    }
                }
                if let (None, Some(field)) = (&refused, edit) {
                    concurrent_edit(&emu.inner.orgs[org], &path, field);
                }
            }
            match refused {
                Some(err) => err.into_response(),
                None => {
                    let content_type = parts
                        .headers
                        .get(header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    parts.extensions.insert(Ctx {
                        correlation_id: correlation_id.clone(),
                        org,
                        body: body.clone(),
                        json,
                        content_type,
                    });
                    let resp = next.run(Request::from_parts(parts, Body::from(body))).await;
                    if after.is_some() {
                        entry.handled_status = Some(resp.status().as_u16());
                    }
                    match after {
                        // The request was applied; its answer is lost.
                        Some(FaultAction::DropAfter) => drop_response(),
                        Some(FaultAction::StatusAfter { status }) => {
                            status_fault(status, None, None, None).into_response()
                        }
                        _ => resp,
                    }
                }
            }
        }
    };
    let resp = finish(resp, &correlation_id);
    entry.status = if resp.extensions().get::<DropConnection>().is_some() {
        0
    } else {
        resp.status().as_u16()
    };
    emu.record(entry);
    resp
}

/// Writes the `ErrorBody` of error responses and the correlation header.
fn finish(mut resp: Response, correlation_id: &str) -> Response {
    let err = resp.extensions_mut().remove::<ApiError>().or_else(|| {
        let json = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_json_content_type);
        (resp.status().as_u16() >= 400 && !json).then(|| ApiError::for_status(resp.status()))
    });
    if let Some(err) = err {
        let body = serde_json::to_vec(&err.body(correlation_id)).unwrap_or_default();
        resp.headers_mut().remove(header::CONTENT_LENGTH);
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        *resp.body_mut() = Body::from(body);
    }
    if let Ok(v) = HeaderValue::from_str(correlation_id) {
        resp.headers_mut().insert(CORRELATION_HEADER, v);
    }
    resp
}

fn status_fault(
    status: u16,
    retry_after: Option<u64>,
    code: Option<String>,
    message: Option<String>,
) -> ApiError {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut err = match (status, retry_after) {
        (StatusCode::TOO_MANY_REQUESTS, Some(secs)) => ApiError::rate_limited(secs),
        _ => ApiError::for_status(status),
    };
    if let Some(c) = code {
        err.code = c;
    }
    if let Some(m) = message {
        err.message = m;
    }
    err.retry_after = retry_after;
    err
}

/// A `Drop` fault: `server::serve` closes the connection when it sees the marker; served any
/// other way (plain `axum::serve`), the client gets this bare 502 instead.
fn drop_response() -> Response {
    let mut resp = ApiError::new(
        StatusCode::BAD_GATEWAY,
        "bad.gateway",
        "connection dropped by an emulator fault",
    )
    .into_response();
    resp.extensions_mut().insert(DropConnection);
    resp
}

/// A `ConcurrentEdit` fault: another user changes the action (or draft) in `path`.
fn concurrent_edit(org: &Org, path: &str, field: EditField) {
    let Some(rest) = path
        .strip_prefix(ACTIONS_PATH)
        .and_then(|r| r.strip_prefix('/'))
    else {
        return;
    };
    let mut segs = rest.split('/');
    let Some(id) = segs.next().filter(|s| !s.is_empty()) else {
        return;
    };
    let draft = segs.next() == Some("draft");
    let field = if kind_of(id) == Kind::CustomAuth {
        EditField::Other
    } else {
        field
    };
    let mut data = org.write();
    let doc = if draft {
        data.draft_mut(id)
    } else {
        data.action_mut(id)
    };
    let Some(doc) = doc.and_then(Value::as_object_mut) else {
        return;
    };
    let version = doc.get("version").and_then(Value::as_i64).unwrap_or(0) + 1;
    let config = doc
        .entry("config")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(cfg) = config.as_object_mut() {
        match field {
            EditField::Timeout => {
                let cur = cfg.get("timeoutSeconds").and_then(Value::as_i64);
                let new = if cur == Some(45) { 44 } else { 45 };
                cfg.insert("timeoutSeconds".into(), json!(new));
            }
            EditField::Other => {
                let request = cfg
                    .entry("request")
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Some(req) = request.as_object_mut() {
                    let headers = req
                        .entry("headers")
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Some(h) = headers.as_object_mut() {
                        h.insert(
                            "X-Concurrent-Edit".into(),
                            json!(format!("edited by another user (version {version})")),
                        );
                    }
                }
            }
        }
    }
    doc.insert("version".into(), json!(version));
}
