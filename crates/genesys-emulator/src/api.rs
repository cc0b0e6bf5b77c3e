//! The HTTP layer: routes, the request pipeline and the API handlers.
//!
//! Every request goes through [`pipeline`], in this order:
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
//! Handlers that write take the org's write lock once and check the version and write inside
//! it (one critical section).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, Extension, Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::auth::{ceil_secs, Check};
use crate::error::{ApiError, ApiResult};
use crate::faults::{EditField, FaultAction};
use crate::http::{
    full_view, is_json_content_type, json_body, org_of, page_uri, paging, set, sort_order,
    static_refusal, Ctx, DropConnection, Params,
};
use crate::store::{kind_of, render, template_text, version_of, Filter, Kind, View, ACTIONS_PATH};
use crate::validate::{self, Update};
use crate::{admin, ops};
use crate::{ConflictStatus, Emulator, JournalEntry, Org, PatchResponse, Realism};

/// The token endpoint (on the login host in the real platform; same host here).
pub(crate) const TOKEN_PATH: &str = "/oauth/token";
/// Prefix of the loopback-only admin endpoints.
pub(crate) const ADMIN_PREFIX: &str = "/__emulator";
/// Largest request body accepted (413 beyond).
const MAX_BODY: usize = 8 * 1024 * 1024;
/// Most ids in an `ids` filter.
const MAX_IDS: usize = 50;
/// The correlation id header.
const CORRELATION_HEADER: &str = "ININ-Correlation-ID";

pub(crate) fn router(emu: Emulator) -> Router {
    let base = ACTIONS_PATH;
    Router::new()
        .route(TOKEN_PATH, post(token))
        .route(base, get(list_actions))
        .route(&format!("{base}/drafts"), get(list_drafts))
        .route(&format!("{base}/categories"), get(ops::categories))
        .route(
            &format!("{base}/{{id}}"),
            get(get_action).patch(patch_action),
        )
        .route(
            &format!("{base}/{{id}}/draft"),
            get(get_draft)
                .patch(patch_draft)
                .post(ops::create_draft)
                .delete(ops::delete_draft),
        )
        .route(
            &format!("{base}/{{id}}/draft/publish"),
            post(ops::publish_draft),
        )
        .route(
            &format!("{base}/{{id}}/draft/validation"),
            get(ops::validate_draft),
        )
        .route(&format!("{base}/{{id}}/draft/test"), post(ops::test_draft))
        .route(&format!("{base}/{{id}}/test"), post(ops::test_action))
        .route(&format!("{base}/{{id}}/execute"), post(ops::execute_action))
        .route(&format!("{base}/{{id}}/templates/{{file}}"), get(template))
        .route(
            &format!("{base}/{{id}}/draft/templates/{{file}}"),
            get(draft_template),
        )
        .merge(admin::routes())
        .merge(crate::architect::routes())
        .merge(crate::integrations::routes())
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(emu.clone(), pipeline))
        .with_state(emu)
}

pub(crate) fn new_correlation_id() -> String {
    crate::seed::format_uuid(fastrand::u64(..), fastrand::u64(..))
}

fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// `Authorization: Basic base64(id:secret)`.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

fn form_field<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// The request pipeline (see the module docs).
async fn pipeline(State(emu): State<Emulator>, req: Request, next: Next) -> Response {
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

async fn fallback() -> ApiError {
    ApiError::not_found()
}

// ---------------------------------------------------------------- OAuth

fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({
            "error": error,
            "description": description,
            "error_description": description,
        })),
    )
        .into_response()
}

/// `POST /oauth/token`: client credentials (Basic auth, or `client_id`/`client_secret` in the form).
async fn token(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
) -> Response {
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&ctx.body).unwrap_or_default();
    match form_field(&form, "grant_type") {
        Some("client_credentials") => {}
        Some(other) => {
            return token_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                &format!("unsupported grant type: {other}"),
            )
        }
        None => {
            return token_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            )
        }
    }
    let creds = basic_credentials(&headers).or_else(|| {
        Some((
            form_field(&form, "client_id")?.to_owned(),
            form_field(&form, "client_secret")?.to_owned(),
        ))
    });
    let Some((id, secret)) = creds else {
        return token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication is required",
        );
    };
    let Some(org) = emu
        .inner
        .orgs
        .iter()
        .position(|o| o.creds.client_id == id && o.creds.client_secret == secret)
    else {
        return token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client not found or bad client credentials",
        );
    };
    let ttl = emu.config().token_ttl;
    let token = emu.tokens().issue(org, &id, ttl, Instant::now());
    Json(json!({
        "access_token": token,
        "token_type": "bearer",
        "expires_in": ceil_secs(ttl),
    }))
    .into_response()
}

/// `includeConfig` / `expand` / `flatten` of G1 and D1.
fn single_view(p: &Params, draft: bool) -> ApiResult<View> {
    let include_contract = match p.get("expand") {
        None | Some("") => false,
        Some(v) if v.split(',').all(|e| e.trim() == "contract") => true,
        Some(v) => return Err(ApiError::invalid_query(v, "expand", "contract")),
    };
    p.flag("flatten")?;
    Ok(View {
        include_config: p.flag("includeConfig")?.unwrap_or(false),
        include_contract,
        draft,
    })
}

/// Applies a validated P1/D3 body: config replaced, name/category/contract/secure when given.
fn apply_update(doc: &mut Value, u: Update, new_version: i64) {
    if let Some(n) = u.name {
        set(doc, "name", json!(n));
    }
    if let Some(c) = u.category {
        set(doc, "category", json!(c));
    }
    if let Some(c) = u.contract {
        set(doc, "contract", c);
    }
    set(doc, "version", json!(new_version));
    if let Some(s) = u.secure {
        set(doc, "secure", json!(s));
    }
    set(doc, "config", u.config);
}

// ---------------------------------------------------------------- listings

async fn list_actions(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    list(&emu, &ctx, q.as_deref(), false)
}

async fn list_drafts(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    list(&emu, &ctx, q.as_deref(), true)
}

fn list(emu: &Emulator, ctx: &Ctx, raw: Option<&str>, drafts: bool) -> ApiResult<Json<Value>> {
    let p = Params::parse(raw)?;
    let (size, number) = paging(&p, emu.config().max_page_size)?;
    let descending = sort_order(&p)?;
    let ids = match p.get("ids") {
        None => None,
        Some(v) => {
            let set: std::collections::BTreeSet<String> = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            if set.len() > MAX_IDS {
                return Err(ApiError::invalid_query(
                    v,
                    "ids",
                    &format!("at most {MAX_IDS} comma-separated ids"),
                ));
            }
            Some(set)
        }
    };
    let filter = Filter {
        category: p
            .get("category")
            .filter(|c| !c.is_empty())
            .map(str::to_owned),
        name: p
            .get("name")
            .filter(|n| !n.is_empty())
            .map(str::to_lowercase),
        ids,
        secure: p.flag("secure")?,
        include_auth: p.flag("includeAuthActions")?.unwrap_or(false),
    };
    let view = View {
        include_config: p.flag("includeConfig")?.unwrap_or(false),
        include_contract: false,
        draft: drafts,
    };
    let page = org_of(emu, ctx)
        .read()
        .list(drafts, &filter, descending, size, number, view);
    let base = if drafts {
        format!("{ACTIONS_PATH}/drafts")
    } else {
        ACTIONS_PATH.to_owned()
    };
    let page_count = page.total.div_ceil(size);
    let last = page_count.max(1);
    let mut out = Map::new();
    out.insert("entities".into(), Value::Array(page.entities));
    out.insert("pageSize".into(), json!(size));
    out.insert("pageNumber".into(), json!(number));
    out.insert("total".into(), json!(page.total));
    out.insert("pageCount".into(), json!(page_count));
    out.insert("firstUri".into(), json!(page_uri(&base, &p, size, 1)));
    if number > 1 {
        out.insert(
            "previousUri".into(),
            json!(page_uri(&base, &p, size, (number - 1).min(last))),
        );
    }
    if number < page_count {
        out.insert(
            "nextUri".into(),
            json!(page_uri(&base, &p, size, number + 1)),
        );
    }
    out.insert("lastUri".into(), json!(page_uri(&base, &p, size, last)));
    out.insert("selfUri".into(), json!(page_uri(&base, &p, size, number)));
    Ok(Json(Value::Object(out)))
}

// ---------------------------------------------------------------- single actions

async fn get_action(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let view = single_view(&Params::parse(q.as_deref())?, false)?;
    let data = org_of(&emu, &ctx).read();
    let doc = data
        .action(&id)
        .ok_or_else(|| ApiError::action_not_found(&id))?;
    Ok(Json(render(doc, view)))
}

async fn get_draft(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let view = single_view(&Params::parse(q.as_deref())?, true)?;
    let data = org_of(&emu, &ctx).read();
    if data.action(&id).is_none() {
        return Err(ApiError::action_not_found(&id));
    }
    let doc = data
        .draft(&id)
        .ok_or_else(|| ApiError::draft_not_found(&id))?;
    Ok(Json(render(doc, view)))
}

fn template_response(doc: &Value, id: &str, file: &str) -> ApiResult<Response> {
    let text = template_text(doc, file).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not.found",
            format!("Template [{file}] is not set for action [{id}]"),
        )
    })?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=UTF-8")],
        text.to_owned(),
    )
        .into_response())
}

async fn template(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    Path((id, file)): Path<(String, String)>,
) -> ApiResult<Response> {
    let data = org_of(&emu, &ctx).read();
    let doc = data
        .action(&id)
        .ok_or_else(|| ApiError::action_not_found(&id))?;
    template_response(doc, &id, &file)
}

async fn draft_template(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    Path((id, file)): Path<(String, String)>,
) -> ApiResult<Response> {
    let data = org_of(&emu, &ctx).read();
    let doc = data
        .draft(&id)
        .ok_or_else(|| ApiError::draft_not_found(&id))?;
    template_response(doc, &id, &file)
}

/// P1: PATCH the published action (config replaced; version checked and bumped under one lock).
async fn patch_action(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let body = json_body(&ctx)?;
    let kind = kind_of(&id);
    let parsed = validate::update_input(body.as_deref(), kind, false);
    let mut data = org_of(&emu, &ctx).write();
    let current = data
        .action(&id)
        .ok_or_else(|| ApiError::action_not_found(&id))?;
    if kind == Kind::Static {
        return Err(static_refusal(&id));
    }
    let update = parsed?;
    let current_version = version_of(current);
    let realism = org_of(&emu, &ctx).realism();
    if update.version != current_version {
        return Err(stale_version(
            realism,
            format!(
                "Supplied version {} does not match the current version {current_version} of action [{id}]",
                update.version
            ),
        ));
    }
    let mut doc = current.clone();
    apply_update(&mut doc, update, current_version + 1);
    let out = patch_answer(realism, &doc, false);
    data.put_action(doc);
    Ok(out)
}

/// A write that carries a stale version: 409 `request.conflict` or 400 `bad.request` with the
/// same "Supplied version N does not match …" message, as the org's realism says.
fn stale_version(realism: Realism, message: String) -> ApiError {
    match realism.conflict_status {
        ConflictStatus::Conflict409 => ApiError::conflict(message),
        ConflictStatus::BadRequest400 => ApiError::bad_request(message),
    }
}

/// The answer to a successful PATCH (P1, D3), as the org's realism says: the written action
/// with its config (templates by URI), the action without its config, or an empty body.
fn patch_answer(realism: Realism, doc: &Value, draft: bool) -> Response {
    match realism.patch_response {
        PatchResponse::Full => Json(render(doc, full_view(draft))).into_response(),
        PatchResponse::Bare => {
            let mut out = render(doc, full_view(draft));
            if let Some(o) = out.as_object_mut() {
                o.remove("config");
                o.remove("contract");
            }
            Json(out).into_response()
        }
        PatchResponse::Empty => StatusCode::OK.into_response(),
    }
}

/// D3: PATCH the draft (its own version counter).
async fn patch_draft(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let body = json_body(&ctx)?;
    let kind = kind_of(&id);
    let parsed = validate::update_input(body.as_deref(), kind, true);
    let mut data = org_of(&emu, &ctx).write();
    if data.action(&id).is_none() {
        return Err(ApiError::action_not_found(&id));
    }
    if kind == Kind::Static {
        return Err(static_refusal(&id));
    }
    let current = data
        .draft(&id)
        .ok_or_else(|| ApiError::draft_not_found(&id))?;
    let update = parsed?;
    let current_version = version_of(current);
    let realism = org_of(&emu, &ctx).realism();
    if update.version != current_version {
        return Err(stale_version(
            realism,
            format!(
                "Supplied version {} does not match latest draft version {current_version}",
                update.version
            ),
        ));
    }
    let mut doc = current.clone();
    apply_update(&mut doc, update, current_version + 1);
    let out = patch_answer(realism, &doc, true);
    data.put_draft(doc);
    Ok(out)
}
