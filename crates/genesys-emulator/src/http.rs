//! What every handler module shares: the request context the pipeline hands over, query
//! parameters, paging, the JSON body of writes and a few small document helpers.
//!
//! This module sits below the handlers (`api`, `ops`, `architect`, `integrations`) and uses
//! none of them, so that they can all use it without import circles.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::store::{OrgData, View};
use crate::{Emulator, Org};

/// Default `pageSize` of listings.
const DEFAULT_PAGE_SIZE: i64 = 25;

/// What the pipeline hands to the handlers.
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    pub correlation_id: String,
    /// Index of the caller's org (0 for unauthenticated routes).
    pub org: usize,
    pub body: Bytes,
    /// The body parsed as JSON (`None` when empty), or the parse error.
    pub json: Option<Result<Arc<Value>, String>>,
    pub content_type: Option<String>,
}

/// Response marker: close the connection without a response (a `Drop` fault).
#[derive(Clone, Copy, Debug)]
pub(crate) struct DropConnection;

/// Whether a `Content-Type` is JSON (`application/json`, `application/…+json`).
pub(crate) fn is_json_content_type(ct: &str) -> bool {
    let ct = ct.to_ascii_lowercase();
    ct.starts_with("application/json") || (ct.starts_with("application/") && ct.contains("+json"))
}

/// The org of the request's caller.
pub(crate) fn org_of<'a>(emu: &'a Emulator, ctx: &Ctx) -> &'a Org {
    &emu.inner.orgs[ctx.org]
}

/// Query parameters in order. As an extractor it answers 400 `bad.request` when the query
/// string cannot be parsed.
pub(crate) struct Params(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Params> {
        Params::parse(parts.uri.query())
    }
}

impl Params {
    pub(crate) fn parse(raw: Option<&str>) -> ApiResult<Params> {
        serde_urlencoded::from_str(raw.unwrap_or(""))
            .map(Params)
            .map_err(|_| ApiError::bad_request("The query string could not be parsed."))
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeatable parameter (`key=a&key=b` or `key=a,b`), trimmed, empty
    /// ones left out.
    pub(crate) fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| {
                v.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
            })
            .collect()
    }

    pub(crate) fn flag(&self, key: &str) -> ApiResult<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(ApiError::invalid_query(v, key, "true, false")),
        }
    }

    pub(crate) fn int(&self, key: &str) -> ApiResult<Option<i64>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| ApiError::invalid_query(v, key, "an integer")),
        }
    }
}

/// The view of write responses: everything.
pub(crate) fn full_view(draft: bool) -> View {
    View {
        include_config: true,
        include_contract: true,
        draft,
    }
}

/// The JSON body of a write: 415 for a non-JSON content type, 400 for malformed JSON.
pub(crate) fn json_body(ctx: &Ctx) -> ApiResult<Option<Arc<Value>>> {
    match &ctx.json {
        None => Ok(None),
        Some(parsed) => {
            if let Some(ct) = &ctx.content_type {
                if !is_json_content_type(ct) {
                    return Err(ApiError::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE));
                }
            }
            match parsed {
                Ok(v) => Ok(Some(v.clone())),
                Err(e) => Err(ApiError::bad_request(format!(
                    "The request could not be understood by the server due to malformed syntax: {e}"
                ))),
            }
        }
    }
}

/// The 400 a write to a built-in (`static_…`) action gets.
pub(crate) fn static_refusal(id: &str) -> ApiError {
    ApiError::bad_request(format!(
        "Action [{id}] is a built-in (static) action and cannot be modified."
    ))
}

/// Sets `key` of an object document (no-op on anything else).
pub(crate) fn set(doc: &mut Value, key: &str, value: Value) {
    if let Some(m) = doc.as_object_mut() {
        m.insert(key.to_owned(), value);
    }
}

/// Parsed paging parameters: (pageSize, pageNumber), pageSize capped.
pub(crate) fn paging(p: &Params, max_page_size: u32) -> ApiResult<(usize, usize)> {
    let size = p.int("pageSize")?.unwrap_or(DEFAULT_PAGE_SIZE);
    if size < 1 {
        return Err(ApiError::invalid_query(
            &size.to_string(),
            "pageSize",
            "an integer of at least 1",
        ));
    }
    let number = p.int("pageNumber")?.unwrap_or(1);
    if number < 1 {
        return Err(ApiError::invalid_query(
            &number.to_string(),
            "pageNumber",
            "an integer of at least 1",
        ));
    }
    let size = usize::try_from(size)
        .unwrap_or(usize::MAX)
        .min(max_page_size.max(1) as usize);
    Ok((size, usize::try_from(number).unwrap_or(usize::MAX)))
}

/// `sortOrder`: true when descending.
pub(crate) fn sort_order(p: &Params) -> ApiResult<bool> {
    if let Some(by) = p.get("sortBy") {
        if !by.is_empty() && !by.eq_ignore_ascii_case("name") {
            return Err(ApiError::invalid_query(by, "sortBy", "name"));
        }
    }
    match p.get("sortOrder") {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("asc") => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("desc") => Ok(true),
        Some(v) => Err(ApiError::invalid_query(v, "sortOrder", "ASC, DESC")),
    }
}

/// A relative page URI keeping the other query parameters.
pub(crate) fn page_uri(base: &str, p: &Params, size: usize, number: usize) -> String {
    let size_s = size.to_string();
    let number_s = number.to_string();
    let mut pairs: Vec<(&str, &str)> = vec![("pageSize", &size_s), ("pageNumber", &number_s)];
    pairs.extend(
        p.0.iter()
            .filter(|(k, _)| k != "pageSize" && k != "pageNumber")
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let q = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("{base}?{q}")
}

/// The published action `id`: 404 `not.found` naming the action when there is none.
pub(crate) fn find_action<'a>(data: &'a OrgData, id: &str) -> ApiResult<&'a Value> {
    data.action(id)
        .ok_or_else(|| ApiError::action_not_found(id))
}

/// The draft of action `id`: 404 naming the action when the action does not exist, 404 naming
/// the draft when the action has none.
pub(crate) fn find_draft<'a>(data: &'a OrgData, id: &str) -> ApiResult<&'a Value> {
    find_action(data, id)?;
    data.draft(id).ok_or_else(|| ApiError::draft_not_found(id))
}
