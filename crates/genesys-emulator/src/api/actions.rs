//! The actions themselves: listings (G1, D1), single actions and drafts, their templates, and
//! PATCH of the published action (P1) and of the draft (D3). Writes take the org's write lock
//! once and check the version and write inside it (one critical section).

use std::collections::BTreeSet;

use axum::extract::{Extension, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use crate::error::{ApiError, ApiResult};
use crate::http::{
    find_action, find_draft, full_view, json_body, org_of, page_uri, paging, set, sort_order,
    static_refusal, Ctx, Params,
};
use crate::store::{kind_of, render, template_text, version_of, Filter, Kind, View, ACTIONS_PATH};
use crate::validate::{self, Update};
use crate::{ConflictStatus, Emulator, PatchResponse, Realism};

/// Most ids in an `ids` filter.
const MAX_IDS: usize = 50;

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

pub(super) async fn list_actions(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    p: Params,
) -> ApiResult<Json<Value>> {
    list(&emu, &ctx, &p, false)
}

pub(super) async fn list_drafts(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    p: Params,
) -> ApiResult<Json<Value>> {
    list(&emu, &ctx, &p, true)
}

fn list(emu: &Emulator, ctx: &Ctx, p: &Params, drafts: bool) -> ApiResult<Json<Value>> {
    let (size, number) = paging(p, emu.config().max_page_size)?;
    let descending = sort_order(p)?;
    let ids = match p.get("ids") {
        None => None,
        Some(v) => {
            let set: BTreeSet<String> = v
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
    out.insert("firstUri".into(), json!(page_uri(&base, p, size, 1)));
    if number > 1 {
        out.insert(
            "previousUri".into(),
            json!(page_uri(&base, p, size, (number - 1).min(last))),
        );
    }
    if number < page_count {
        out.insert(
            "nextUri".into(),
            json!(page_uri(&base, p, size, number + 1)),
        );
    }
    out.insert("lastUri".into(), json!(page_uri(&base, p, size, last)));
    out.insert("selfUri".into(), json!(page_uri(&base, p, size, number)));
    Ok(Json(Value::Object(out)))
}

// ---------------------------------------------------------------- single actions

pub(super) async fn get_action(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    p: Params,
) -> ApiResult<Json<Value>> {
    get_one(&emu, &ctx, &id, &p, false)
}

pub(super) async fn get_draft(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    p: Params,
) -> ApiResult<Json<Value>> {
    get_one(&emu, &ctx, &id, &p, true)
}

/// G2 / D1: the published action or its draft.
fn get_one(emu: &Emulator, ctx: &Ctx, id: &str, p: &Params, draft: bool) -> ApiResult<Json<Value>> {
    let view = single_view(p, draft)?;
    let data = org_of(emu, ctx).read();
    let doc = if draft {
        find_draft(&data, id)?
    } else {
        find_action(&data, id)?
    };
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

pub(super) async fn template(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    Path((id, file)): Path<(String, String)>,
) -> ApiResult<Response> {
    let data = org_of(&emu, &ctx).read();
    template_response(find_action(&data, &id)?, &id, &file)
}

/// A template of the draft (404 naming the draft when there is none, whether or not the
/// action exists).
pub(super) async fn draft_template(
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
pub(super) async fn patch_action(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    patch(&emu, &ctx, &id, false)
}

/// D3: PATCH the draft (its own version counter).
pub(super) async fn patch_draft(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    patch(&emu, &ctx, &id, true)
}

/// P1 / D3: the body is validated, then the version is checked and the document written under
/// one write lock.
fn patch(emu: &Emulator, ctx: &Ctx, id: &str, draft: bool) -> ApiResult<Response> {
    let body = json_body(ctx)?;
    let kind = kind_of(id);
    let parsed = validate::update_input(body.as_deref(), kind, draft);
    let org = org_of(emu, ctx);
    let mut data = org.write();
    let published = find_action(&data, id)?;
    if kind == Kind::Static {
        return Err(static_refusal(id));
    }
    let current = if draft {
        find_draft(&data, id)?
    } else {
        published
    };
    let update = parsed?;
    let current_version = version_of(current);
    let realism = org.realism();
    if update.version != current_version {
        let supplied = update.version;
        let message = if draft {
            format!(
                "Supplied version {supplied} does not match latest draft version {current_version}"
            )
        } else {
            format!("Supplied version {supplied} does not match the current version {current_version} of action [{id}]")
        };
        return Err(stale_version(realism, message));
    }
    let mut doc = current.clone();
    apply_update(&mut doc, update, current_version + 1);
    let out = patch_answer(realism, &doc, draft);
    if draft {
        data.put_draft(doc);
    } else {
        data.put_action(doc);
    }
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
