//! The public client: the integrations-actions endpoints on top of the request pipeline.
//!
//! A [`Client`] is cheap to clone (an `Arc` inside) and is meant to be created once per
//! process and shared by every worker: it owns the one `reqwest::Client`, the one access
//! token and the one rate limiter. Each endpoint method builds its path and query, sends it
//! through the shared pipeline (see the `transport` module) and decodes the answer with
//! `serde_path_to_error`, so that a decode error names the JSON path that did not fit.

use std::sync::Arc;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::auth::Credentials;
use crate::error::Error;
use crate::models::{Action, ErrorBody, UpdateActionInput, UpdateDraftInput};
use crate::region::Environment;
use crate::transport::{build_inner, Inner, RawResponse};

pub use crate::options::{ClientOptions, MAX_TOKENS};
pub use crate::stats::RequestStats;

/// Characters escaped in a path segment (RFC 3986 unreserved characters stay).
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Characters escaped in a query value (unreserved characters and `,` stay).
pub(crate) const QUERY_VALUE: &AsciiSet = &PATH_SEGMENT.remove(b',');

/// Percent-encode one path segment.
pub(crate) fn encode_segment(s: &str) -> String {
    utf8_percent_encode(s, PATH_SEGMENT).to_string()
}

/// Percent-encode one query value.
pub(crate) fn encode_query(s: &str) -> String {
    utf8_percent_encode(s, QUERY_VALUE).to_string()
}

const ACCEPT_JSON: &str = "application/json";
const ACCEPT_TEMPLATE: &str = "text/plain, application/json";
const ACTIONS: &str = "/api/v2/integrations/actions";

/// Filters of a listing.
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    /// `category`: exact category name.
    pub category: Option<String>,
    /// `name`: partial name match (server side).
    pub name: Option<String>,
    /// `ids`: only these ids; the client sends them in chunks of 50.
    pub ids: Vec<String>,
    /// `includeAuthActions`: also list custom-auth actions.
    pub include_auth_actions: bool,
    /// `includeConfig`: include each action's `config`.
    pub include_config: bool,
    /// `secure`: only secure (`true`) or non-secure (`false`) actions; `None` = both.
    pub secure: Option<bool>,
}

/// A decoded response with its status and correlation id.
#[derive(Clone, Debug)]
pub struct Response<T> {
    /// The decoded body.
    pub body: T,
    /// HTTP status (2xx).
    pub status: u16,
    /// `ININ-Correlation-ID` of the response.
    pub correlation_id: Option<String>,
}

/// The Genesys Cloud client. Cheap to clone; `Debug` never prints secrets or tokens.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("environment", &self.inner.env)
            .field("client_id", &self.inner.creds.client_id)
            .field("credential_source", &self.inner.creds.source)
            .field("user_agent", &self.inner.opts.user_agent)
            .field("rate_per_minute", &self.inner.opts.rate_per_minute)
            .field("tokens", &self.inner.opts.tokens)
            .finish_non_exhaustive()
    }
}

/// If `body` is a JSON object that looks like an `ErrorBody` (no `id`, has `message` or
/// `code`), return it.
pub(crate) fn sniff_error_body(body: &[u8]) -> Option<ErrorBody> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let obj = v.as_object()?;
    if obj.contains_key("id") || !(obj.contains_key("message") || obj.contains_key("code")) {
        return None;
    }
    serde_json::from_value(v).ok()
}

impl Client {
    /// A client for `env` with `creds`. Validates the environment (https unless loopback) and
    /// the credentials' presence; sends nothing.
    pub fn new(env: Environment, creds: Credentials, opts: ClientOptions) -> Result<Client, Error> {
        Ok(Client {
            inner: build_inner(env, creds, opts)?,
        })
    }

    /// The environment this client talks to.
    pub fn environment(&self) -> &Environment {
        &self.inner.env
    }

    /// The options this client was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.opts
    }

    /// Ensure a valid token (single flight; refreshed before expiry). Lets a caller overlap
    /// login with other work.
    pub async fn authenticate(&self) -> Result<(), Error> {
        self.inner.token(0).await.map(|_| ())
    }

    /// Hand the access token, with the start times of its requests in the last minute, to the
    /// [`TokenStore`](crate::TokenStore) of the options, so that the next process takes over
    /// the token's rate budget where this one leaves it. Call when the work is done; does
    /// nothing without a store or when the store holds another token.
    pub fn save_token_usage(&self) {
        self.inner.save_token_usage();
    }

    /// Counters since creation (benchmarks report requests per action from these).
    pub fn stats(&self) -> RequestStats {
        let mut stats = self
            .inner
            .stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        stats.tokens_taken = self.inner.pool.ready() as u32;
        stats.per_client_limit = self.inner.pool.per_client();
        stats
    }

    /// Decode a 2xx JSON response into `T`, naming the JSON path on failure.
    pub(crate) fn decode<T: DeserializeOwned>(
        method: &Method,
        path: &str,
        resp: &RawResponse,
    ) -> Result<T, Error> {
        if let Some(ct) = resp.content_type() {
            let ct = ct.to_ascii_lowercase();
            if !ct.contains("json") {
                return Err(Error::Protocol {
                    message: format!(
                        "{method} {path} answered HTTP {} with content type `{ct}`, expected JSON",
                        resp.status
                    ),
                    correlation_id: resp.correlation_id.clone(),
                });
            }
        }
        let de = &mut serde_json::Deserializer::from_slice(&resp.body);
        let value: T = serde_path_to_error::deserialize(&mut *de).map_err(|e| Error::Decode {
            method: method.to_string(),
            path: path.to_string(),
            json_path: e.path().to_string(),
            message: e.into_inner().to_string(),
            correlation_id: resp.correlation_id.clone(),
        })?;
        de.end().map_err(|e| Error::Decode {
            method: method.to_string(),
            path: path.to_string(),
            json_path: ".".to_string(),
            message: e.to_string(),
            correlation_id: resp.correlation_id.clone(),
        })?;
        Ok(value)
    }

    /// Decode a 2xx response that must be an `Action`; an error document where an action was
    /// expected is a protocol error, not a bogus action.
    fn decode_action(method: &Method, path: &str, resp: &RawResponse) -> Result<Action, Error> {
        match Self::decode::<Action>(method, path, resp) {
            Ok(action) if action.id.is_empty() => Err(Error::Decode {
                method: method.to_string(),
                path: path.to_string(),
                json_path: "id".to_string(),
                message: "the action id is empty".to_string(),
                correlation_id: resp.correlation_id.clone(),
            }),
            Ok(action) => Ok(action),
            Err(e @ Error::Decode { .. }) => {
                match sniff_error_body(&resp.body) {
                    Some(body) => Err(Error::Protocol {
                        message: format!(
                        "{method} {path} answered HTTP {} with an error document instead of an \
                         action: {}{}",
                        resp.status,
                        body.code.as_deref().map(|c| format!("`{c}` ")).unwrap_or_default(),
                        body.message.as_deref().unwrap_or("(no message)")
                    ),
                        correlation_id: resp.correlation_id.clone(),
                    }),
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn send_action(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&[u8]>,
    ) -> Result<Response<Action>, Error> {
        let path = path_and_query.split('?').next().unwrap_or(path_and_query);
        let resp = self
            .inner
            .execute(&method, path_and_query, body, ACCEPT_JSON)
            .await?;
        let action = Self::decode_action(&method, path, &resp)?;
        Ok(Response {
            body: action,
            status: resp.status,
            correlation_id: resp.correlation_id,
        })
    }

    fn to_json<T: serde::Serialize>(
        method: &Method,
        path: &str,
        body: &T,
    ) -> Result<Vec<u8>, Error> {
        serde_json::to_vec(body).map_err(|e| Error::Protocol {
            message: format!("cannot encode the body of {method} {path}: {e}"),
            correlation_id: None,
        })
    }

    /// `GET /api/v2/integrations/actions`, every page. Page 1 first, then pages
    /// 2..=pageCount concurrently (list_concurrency, within the rate limit); dedupe by id;
    /// the collected count must equal `total` else `Error::Protocol`.
    pub async fn list_actions(&self, q: &ListQuery) -> Result<Vec<Action>, Error> {
        self.list_all(ACTIONS, q).await
    }

    /// `GET /api/v2/integrations/actions/drafts`, same paging rules.
    pub async fn list_drafts(&self, q: &ListQuery) -> Result<Vec<Action>, Error> {
        self.list_all(&format!("{ACTIONS}/drafts"), q).await
    }

    /// `GET /api/v2/integrations/actions/{id}?expand=contract&includeConfig=true`
    pub async fn get_action(&self, id: &str) -> Result<Response<Action>, Error> {
        let pq = format!(
            "{ACTIONS}/{}?expand=contract&includeConfig=true",
            encode_segment(id)
        );
        self.send_action(Method::GET, &pq, None).await
    }

    /// `GET /api/v2/integrations/actions/{id}/templates/{file}` (draft:
    /// `…/{id}/draft/templates/{file}`), `Accept: text/plain, application/json`.
    pub async fn get_template(
        &self,
        id: &str,
        file_name: &str,
        draft: bool,
    ) -> Result<Response<String>, Error> {
        let path = format!(
            "{ACTIONS}/{}{}/templates/{}",
            encode_segment(id),
            if draft { "/draft" } else { "" },
            encode_segment(file_name)
        );
        let resp = self
            .inner
            .execute(&Method::GET, &path, None, ACCEPT_TEMPLATE)
            .await?;
        let text = String::from_utf8(resp.body).map_err(|e| Error::Decode {
            method: "GET".to_string(),
            path: path.clone(),
            json_path: ".".to_string(),
            message: format!("the template is not valid UTF-8: {e}"),
            correlation_id: resp.correlation_id.clone(),
        })?;
        Ok(Response {
            body: text,
            status: resp.status,
            correlation_id: resp.correlation_id,
        })
    }

    /// `PATCH /api/v2/integrations/actions/{id}`
    pub async fn patch_action(
        &self,
        id: &str,
        body: &UpdateActionInput,
    ) -> Result<Response<Action>, Error> {
        let path = format!("{ACTIONS}/{}", encode_segment(id));
        let bytes = Self::to_json(&Method::PATCH, &path, body)?;
        self.send_action(Method::PATCH, &path, Some(&bytes)).await
    }

    /// `GET /api/v2/integrations/actions/{id}/draft?expand=contract&includeConfig=true`
    /// (404 → `Error::Api` status 404, kind NotFound).
    pub async fn get_draft(&self, id: &str) -> Result<Response<Action>, Error> {
        let pq = format!(
            "{ACTIONS}/{}/draft?expand=contract&includeConfig=true",
            encode_segment(id)
        );
        self.send_action(Method::GET, &pq, None).await
    }

    /// `PATCH /api/v2/integrations/actions/{id}/draft`
    pub async fn patch_draft(
        &self,
        id: &str,
        body: &UpdateDraftInput,
    ) -> Result<Response<Action>, Error> {
        let path = format!("{ACTIONS}/{}/draft", encode_segment(id));
        let bytes = Self::to_json(&Method::PATCH, &path, body)?;
        self.send_action(Method::PATCH, &path, Some(&bytes)).await
    }

    /// Raw escape hatch for operations added later (drafts create/publish/validate/delete,
    /// test, categories, architect): same auth, rate limit, retry and error handling. `body`
    /// is JSON. Returns the decoded JSON (or `Null` on 204 / an empty body).
    ///
    /// `path_and_query` must start with `/` and is appended to the API base; absolute URLs
    /// are refused so the token never goes to another host.
    pub async fn request_json(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Response<serde_json::Value>, Error> {
        if !path_and_query.starts_with('/') || path_and_query.starts_with("//") {
            return Err(Error::Config {
                message: format!("request path `{path_and_query}` must start with a single `/`"),
                hint: Some(
                    "pass a path such as `/api/v2/integrations/actions/categories`".to_string(),
                ),
            });
        }
        let path = path_and_query.split('?').next().unwrap_or(path_and_query);
        let bytes = match body {
            Some(b) => Some(Self::to_json(&method, path, b)?),
            None => None,
        };
        let resp = self
            .inner
            .execute(&method, path_and_query, bytes.as_deref(), ACCEPT_JSON)
            .await?;
        let value = if resp.status == 204 || resp.body.iter().all(u8::is_ascii_whitespace) {
            serde_json::Value::Null
        } else {
            Self::decode(&method, path, &resp)?
        };
        Ok(Response {
            body: value,
            status: resp.status,
            correlation_id: resp.correlation_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding() {
        assert_eq!(encode_segment("a b/c"), "a%20b%2Fc");
        assert_eq!(encode_segment("requesttemplate.vm"), "requesttemplate.vm");
        assert_eq!(encode_query("a,b c&d"), "a,b%20c%26d");
    }
}
