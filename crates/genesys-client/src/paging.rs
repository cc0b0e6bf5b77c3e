//! Complete listings: every page, no duplicates, and a count that matches `total`.
//!
//! The algorithm, designed against the known failure of trusting an empty page (an export
//! that stopped at 250 of 289 actions):
//!
//! 1. Read page 1 with the requested `pageSize` (100 by default) and the filters
//!    (`includeConfig`, `includeAuthActions` always sent as literal `true`/`false`;
//!    `category`, `name`, `secure` when given).
//! 2. Take the page size the server **echoes**, never the requested one: a server that caps
//!    `pageSize` at 25 tells us so in `pageSize` and in `pageCount`.
//! 3. The number of pages is `pageCount`; when it is missing, `ceil(total / echoed pageSize)`.
//!    A listing without `total` cannot be checked and is refused.
//! 4. Read pages `2..=pageCount` concurrently, at most `list_concurrency` at a time; every
//!    request still goes through the client's shared rate limiter.
//! 5. Concatenate in page order and drop repeated ids (an entity that moved between pages
//!    while we read), then require `count == total`; anything else is `Error::Protocol`
//!    ("listing returned N of TOTAL actions"), never a silently short result.
//!
//! `ids` filters are sent in chunks of 50 (the documented maximum); each chunk is a listing of
//! its own with its own `total`, and the chunks' results are merged, deduplicated by id.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use reqwest::Method;

use crate::client::{encode_query, Client, ListQuery};
use crate::error::Error;
use crate::models::{Action, EntityListing};

/// Most ids per `ids=` query parameter.
pub const IDS_PER_REQUEST: usize = 50;
/// Sanity bound on the number of pages of one listing.
const MAX_PAGES: i64 = 100_000;

fn bool_str(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// The filter part of a listing query (everything but `pageSize` and `pageNumber`).
pub(crate) fn filter_query(q: &ListQuery, ids: Option<&str>) -> String {
    let mut parts = vec![
        format!("includeConfig={}", bool_str(q.include_config)),
        format!("includeAuthActions={}", bool_str(q.include_auth_actions)),
    ];
    if let Some(c) = &q.category {
        parts.push(format!("category={}", encode_query(c)));
    }
    if let Some(n) = &q.name {
        parts.push(format!("name={}", encode_query(n)));
    }
    if let Some(ids) = ids {
        parts.push(format!("ids={}", encode_query(ids)));
    }
    if let Some(s) = q.secure {
        parts.push(format!("secure={}", bool_str(s)));
    }
    parts.join("&")
}

/// An entity of a paged listing: what the listing rules need to know about it.
pub(crate) trait Entity: serde::de::DeserializeOwned + Send + 'static {
    /// Singular noun for messages (`action`).
    const NOUN: &'static str;
    /// Plural noun for messages (`actions`).
    const PLURAL: &'static str;
    /// The entity's id (dedupe key; must not be empty).
    fn entity_id(&self) -> &str;
}

impl Entity for Action {
    const NOUN: &'static str = "action";
    const PLURAL: &'static str = "actions";
    fn entity_id(&self) -> &str {
        &self.id
    }
}

impl Entity for crate::integrations::Integration {
    const NOUN: &'static str = "integration";
    const PLURAL: &'static str = "integrations";
    fn entity_id(&self) -> &str {
        &self.id
    }
}

fn protocol(message: String, correlation_id: Option<String>) -> Error {
    Error::Protocol {
        message,
        correlation_id,
    }
}

impl Client {
    /// One page of a listing.
    async fn get_page<T: Entity>(
        &self,
        base: &str,
        filters: &str,
        page_number: i64,
    ) -> Result<(EntityListing<T>, Option<String>), Error> {
        let sep = if filters.is_empty() { "" } else { "&" };
        let pq = format!(
            "{base}?pageSize={}&pageNumber={page_number}{sep}{filters}",
            self.inner.opts.page_size.max(1)
        );
        let method = Method::GET;
        let resp = self
            .inner
            .execute(&method, &pq, None, "application/json")
            .await?;
        let page: EntityListing<T> = Self::decode(&method, base, &resp)?;
        if let Some(pos) = page.entities.iter().position(|a| a.entity_id().is_empty()) {
            return Err(Error::Decode {
                method: method.to_string(),
                path: base.to_string(),
                json_path: format!("entities[{pos}].id"),
                message: format!("the {} id is empty", T::NOUN),
                correlation_id: resp.correlation_id,
            });
        }
        if page.total.is_none() && page.entities.is_empty() {
            if let Some(body) = crate::client::sniff_error_body(&resp.body) {
                return Err(protocol(
                    format!(
                        "GET {base} page {page_number} answered HTTP {} with an error document \
                         instead of a listing: {}",
                        resp.status,
                        body.message.as_deref().unwrap_or("(no message)")
                    ),
                    resp.correlation_id,
                ));
            }
        }
        Ok((page, resp.correlation_id))
    }

    /// Every action of a listing endpoint, following the rules in the module doc.
    pub(crate) async fn list_all(&self, base: &str, q: &ListQuery) -> Result<Vec<Action>, Error> {
        let mut wanted: Vec<&str> = Vec::new();
        let mut seen_ids: HashSet<&str> = HashSet::new();
        for id in &q.ids {
            let id = id.trim();
            if !id.is_empty() && seen_ids.insert(id) {
                wanted.push(id);
            }
        }
        if wanted.is_empty() && !q.ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut out: Vec<Action> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut merge = |actions: Vec<Action>| {
            for a in actions {
                if seen.insert(a.id.clone()) {
                    out.push(a);
                }
            }
        };
        if wanted.is_empty() {
            merge(self.list_filtered(base, filter_query(q, None)).await?);
        } else {
            for chunk in wanted.chunks(IDS_PER_REQUEST) {
                let ids = chunk.join(",");
                merge(
                    self.list_filtered(base, filter_query(q, Some(&ids)))
                        .await?,
                );
            }
        }
        Ok(out)
    }

    /// Every entity of a listing endpoint other than the actions listings (no `ids`
    /// chunking), following the same rules.
    pub(crate) async fn list_entities<T: Entity>(
        &self,
        base: &str,
        filters: String,
    ) -> Result<Vec<T>, Error> {
        self.list_filtered::<T>(base, filters).await
    }

    /// One complete listing for one filter string.
    async fn list_filtered<T: Entity>(&self, base: &str, filters: String) -> Result<Vec<T>, Error> {
        let (first, corr) = self.get_page::<T>(base, &filters, 1).await?;
        let Some(total) = first.total else {
            return Err(protocol(
                format!("GET {base} returned a page without `total`; the listing cannot be checked for completeness"),
                corr,
            ));
        };
        if total < 0 {
            return Err(protocol(
                format!("GET {base} returned `total` {total}"),
                corr,
            ));
        }
        let echoed = first
            .page_size
            .filter(|s| *s > 0)
            .or_else(|| i64::try_from(first.entities.len()).ok().filter(|n| *n > 0));
        let page_count = match (first.page_count, echoed) {
            (Some(pc), _) if pc >= 0 => pc,
            (_, Some(size)) => (total + size - 1) / size,
            _ if total == 0 => 0,
            _ => {
                return Err(protocol(
                    format!(
                        "GET {base} page 1 has no entities, no `pageSize` and no `pageCount` but \
                         `total` {total}"
                    ),
                    corr,
                ))
            }
        };
        if page_count > MAX_PAGES {
            return Err(protocol(
                format!(
                    "GET {base} reports {page_count} pages, more than the {MAX_PAGES} accepted"
                ),
                corr,
            ));
        }
        tracing::debug!(path = base, total, page_count, page_size = ?echoed, "listing");

        let mut pages: BTreeMap<i64, Vec<T>> = BTreeMap::new();
        pages.insert(1, first.entities);
        if page_count > 1 {
            let filters = Arc::new(filters);
            let base_owned: Arc<str> = Arc::from(base);
            let permits = Arc::new(tokio::sync::Semaphore::new(
                self.inner.opts.list_concurrency.max(1),
            ));
            let mut tasks = tokio::task::JoinSet::new();
            for n in 2..=page_count {
                let client = self.clone();
                let filters = filters.clone();
                let base = base_owned.clone();
                let permits = permits.clone();
                tasks.spawn(async move {
                    let _permit = permits.acquire_owned().await;
                    client
                        .get_page::<T>(&base, &filters, n)
                        .await
                        .map(|(page, _)| (n, page.entities))
                });
            }
            while let Some(joined) = tasks.join_next().await {
                let (n, entities) = joined.map_err(|e| {
                    protocol(format!("a listing task of GET {base} failed: {e}"), None)
                })??;
                pages.insert(n, entities);
            }
        }

        let mut seen: HashSet<String> = HashSet::new();
        let mut actions: Vec<T> = Vec::new();
        for entities in pages.into_values() {
            for a in entities {
                if seen.insert(a.entity_id().to_string()) {
                    actions.push(a);
                }
            }
        }
        if i64::try_from(actions.len()).ok() != Some(total) {
            return Err(protocol(
                format!(
                    "listing returned {} of {total} {} (GET {base}, {page_count} pages of \
                     {}); refusing an incomplete listing",
                    actions.len(),
                    T::PLURAL,
                    echoed.map_or_else(|| "?".to_string(), |s| s.to_string())
                ),
                corr,
            ));
        }
        Ok(actions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_literal() {
        let q = ListQuery {
            include_config: true,
            ..ListQuery::default()
        };
        assert_eq!(
            filter_query(&q, None),
            "includeConfig=true&includeAuthActions=false"
        );
        let q = ListQuery {
            category: Some("My Cat".into()),
            name: Some("get&user".into()),
            include_auth_actions: true,
            secure: Some(false),
            ..ListQuery::default()
        };
        assert_eq!(
            filter_query(&q, Some("a,b")),
            "includeConfig=false&includeAuthActions=true&category=My%20Cat&name=get%26user&ids=a,b&secure=false"
        );
    }
}
