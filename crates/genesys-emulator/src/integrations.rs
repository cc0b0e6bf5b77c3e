//! Integrations and the function settings of function data actions, as the platform serves
//! them (genesys-api.md §7, "Known since").
//!
//! | method + path | answers | permission |
//! |---|---|---|
//! | `GET /api/v2/integrations` | paged `IntegrationEntityListing` (`integrationType`, `ids` filters) | `integrations:integration:view` |
//! | `GET /api/v2/integrations/{integrationId}` | `Integration` | `integrations:integration:view` |
//! | `GET /api/v2/integrations/actions/{id}/function` | `FunctionConfig` | `integrations:actionFunction:view` |
//! | `GET /api/v2/integrations/actions/{id}/draft/function` | `FunctionConfig` of the draft | `integrations:actionFunction:view` |
//!
//! A function data action is an action of an integration whose `integrationType.id` is
//! `function-data-actions`: its category is free text and its config never has a `function`
//! key. Its function's timeout (`Function.timeoutSeconds`, 1..=15, default 15) lives only in
//! the `FunctionConfig`; a function that sets none is served without `timeoutSeconds`, the
//! pessimistic reading (a client must apply the default itself). Asking for the function of
//! any other action answers 404 `not.found`. Writing function settings is not served.

use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use crate::error::{ApiError, ApiResult};
use crate::http::{find_action, find_draft, org_of, page_uri, paging, Ctx, Params};
use crate::store::{str_field, ACTIONS_PATH};
use crate::Emulator;

/// Path of the integrations listing.
pub(crate) const INTEGRATIONS_PATH: &str = "/api/v2/integrations";
/// Most ids in an `ids` filter (the contract's `maxItems`).
const MAX_IDS: usize = 100;

/// The routes (merged into the main router).
pub(crate) fn routes() -> Router<Emulator> {
    Router::new()
        .route(INTEGRATIONS_PATH, get(list_integrations))
        .route(&format!("{INTEGRATIONS_PATH}/{{id}}"), get(get_integration))
        .route(&format!("{ACTIONS_PATH}/{{id}}/function"), get(function))
        .route(
            &format!("{ACTIONS_PATH}/{{id}}/draft/function"),
            get(draft_function),
        )
}

/// The wire form of a stored integration: `intendedState` (required by the contract) is
/// `ENABLED` when the document has none.
fn render_integration(doc: &Value) -> Value {
    let mut out = doc.as_object().cloned().unwrap_or_default();
    out.entry("intendedState")
        .or_insert_with(|| json!("ENABLED"));
    Value::Object(out)
}

fn integration_not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not.found",
        format!("Integration [{id}] was not found"),
    )
}

/// Every value of the `ids` parameter (`ids=a,b` or `ids=a&ids=b`).
fn ids_filter(p: &Params) -> ApiResult<Option<Vec<String>>> {
    let ids = p.all("ids");
    if ids.len() > MAX_IDS {
        return Err(ApiError::invalid_query(
            &ids.join(","),
            "ids",
            &format!("at most {MAX_IDS} ids"),
        ));
    }
    Ok((!ids.is_empty()).then_some(ids))
}

async fn list_integrations(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    p: Params,
) -> ApiResult<Json<Value>> {
    let (size, number) = paging(&p, emu.config().max_page_size)?;
    let ids = ids_filter(&p)?;
    let wanted_type = p.get("integrationType").filter(|t| !t.is_empty());
    let data = org_of(&emu, &ctx).read();
    let mut matching: Vec<&Value> = data
        .integrations
        .iter()
        .filter(|i| {
            wanted_type
                .is_none_or(|t| i.pointer("/integrationType/id").and_then(Value::as_str) == Some(t))
        })
        .filter(|i| {
            ids.as_ref()
                .is_none_or(|ids| ids.iter().any(|id| id == str_field(i, "id")))
        })
        .collect();
    matching.sort_by(|a, b| {
        str_field(a, "name")
            .to_lowercase()
            .cmp(&str_field(b, "name").to_lowercase())
            .then(str_field(a, "id").cmp(str_field(b, "id")))
    });
    let total = matching.len();
    let entities: Vec<Value> = matching
        .iter()
        .skip(size.saturating_mul(number - 1))
        .take(size)
        .map(|i| render_integration(i))
        .collect();
    let page_count = total.div_ceil(size);
    let last = page_count.max(1);
    let mut out = Map::new();
    out.insert("entities".into(), Value::Array(entities));
    out.insert("pageSize".into(), json!(size));
    out.insert("pageNumber".into(), json!(number));
    out.insert("total".into(), json!(total));
    out.insert("pageCount".into(), json!(page_count));
    let base = INTEGRATIONS_PATH;
    out.insert("firstUri".into(), json!(page_uri(base, &p, size, 1)));
    if number > 1 {
        out.insert(
            "previousUri".into(),
            json!(page_uri(base, &p, size, (number - 1).min(last))),
        );
    }
    if number < page_count {
        out.insert(
            "nextUri".into(),
            json!(page_uri(base, &p, size, number + 1)),
        );
    }
    out.insert("lastUri".into(), json!(page_uri(base, &p, size, last)));
    out.insert("selfUri".into(), json!(page_uri(base, &p, size, number)));
    Ok(Json(Value::Object(out)))
}

async fn get_integration(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let data = org_of(&emu, &ctx).read();
    data.integrations
        .iter()
        .find(|i| str_field(i, "id") == id)
        .map(|i| Json(render_integration(i)))
        .ok_or_else(|| integration_not_found(&id))
}

fn not_a_function(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not.found",
        format!("Action [{id}] is not a function data action"),
    )
}

async fn function(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    function_of(&emu, &ctx, &id, false)
}

async fn draft_function(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    function_of(&emu, &ctx, &id, true)
}

/// The function settings of the published action, or of its draft (the same settings, with
/// the draft's `selfUri`).
fn function_of(emu: &Emulator, ctx: &Ctx, id: &str, draft: bool) -> ApiResult<Json<Value>> {
    let data = org_of(emu, ctx).read();
    if draft {
        find_draft(&data, id)?;
    } else {
        find_action(&data, id)?;
    }
    let mut f = data.function_config(id).ok_or_else(|| not_a_function(id))?;
    if draft {
        if let Some(m) = f.as_object_mut() {
            m.insert(
                "selfUri".into(),
                json!(format!("{ACTIONS_PATH}/{id}/draft/function")),
            );
        }
    }
    Ok(Json(f))
}
