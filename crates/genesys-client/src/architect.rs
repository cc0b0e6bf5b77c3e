//! Architect dependency tracking: which flows consume an object (genesys-api.md §1, A2).
//!
//! `GET /api/v2/architect/dependencytracking/consumingresources?id=…&objectType=DATAACTION`
//! answers a paged `ConsumingResourcesEntityListing` of `Dependency` objects (`id, name,
//! version, type, deleted, updated, stateUnknown, selfUri`). It needs
//! `architect:dependencyTracking:view`.
//!
//! The answer comes from Architect's dependency index, whose freshness no public source
//! states (U15), so callers must present it as advisory. Paging follows the listing rules of
//! [`crate::paging`] in a simpler, sequential form (a data action has few consumers): read
//! page 1, take the echoed `pageSize` and `pageCount` (or derive it from `total`), read the
//! remaining pages in order, drop repeated ids. Instead of failing on a count that does not
//! match `total`, the result says so ([`Consumers::complete`]); so does an HTTP 206, which
//! some integrators report while the index is being rebuilt (UNCONFIRMED).

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::{encode_query, Client};
use crate::error::Error;

/// The dependency-tracking object type of a data action.
pub const DATA_ACTION: &str = "DATAACTION";
/// The object type under which the index may keep a secure (`secure: true`) data action;
/// callers query both this and [`DATA_ACTION`] for secure actions and merge the answers.
pub const SECURE_ACTION: &str = "SECUREACTION";
/// Page size asked for; the server's echo is what counts.
const PAGE_SIZE: u32 = 100;
/// Sanity bound on pages.
const MAX_PAGES: i64 = 1_000;

/// `Dependency`: one object that consumes (or is consumed by) another.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dependency {
    /// Object id (a flow id for flows).
    #[serde(default)]
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Version, a string such as `"3.0"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Object type: `INBOUNDCALLFLOW`, `INQUEUECALLFLOW`, `WORKFLOW`, `BOTFLOW`, ...
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The object was deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
    /// The object changed since the index entry was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<bool>,
    /// The index does not know the object's state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_unknown: Option<bool>,
    /// URI of the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
    /// Every other field, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `flowFilter` of A2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowFilter {
    /// Only checked-in flow versions.
    CheckedIn,
    /// Only published flow versions.
    Published,
}

impl FlowFilter {
    fn as_str(self) -> &'static str {
        match self {
            FlowFilter::CheckedIn => "checkedIn",
            FlowFilter::Published => "published",
        }
    }
}

/// Every consumer of an object, and whether the answer looked complete.
#[derive(Clone, Debug, Default)]
pub struct Consumers {
    /// The consumers, in the server's order, without repeated ids.
    pub entities: Vec<Dependency>,
    /// The `total` the server announced on its first page, when it did.
    pub total: Option<i64>,
    /// False when a page came back with HTTP 206 or the count differs from `total`.
    pub complete: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Listing {
    #[serde(default)]
    entities: Vec<Dependency>,
    #[serde(default)]
    page_size: Option<i64>,
    #[serde(default)]
    total: Option<i64>,
    #[serde(default)]
    page_count: Option<i64>,
}

impl Client {
    /// Every consumer of data action `id`: the answer for [`DATA_ACTION`], merged (without
    /// repeated ids) with the answer for [`SECURE_ACTION`] when the action is `secure`, since
    /// the index may keep a secure action under either type. Both are read at once. A 400 for
    /// `SECUREACTION` (an index that does not know the type) leaves the `DATAACTION` answer as
    /// it is; any other failure of either read fails the whole.
    pub async fn action_consumers(
        &self,
        id: &str,
        secure: bool,
        flow_filter: Option<FlowFilter>,
    ) -> Result<Consumers, Error> {
        if !secure {
            return self.consuming_resources(id, DATA_ACTION, flow_filter).await;
        }
        let (data, secure) = tokio::join!(
            self.consuming_resources(id, DATA_ACTION, flow_filter),
            self.consuming_resources(id, SECURE_ACTION, flow_filter)
        );
        let mut out = data?;
        let extra = match secure {
            Ok(c) => c,
            Err(e) if e.kind() == crate::error::ErrorKind::BadRequest => return Ok(out),
            Err(e) => return Err(e),
        };
        let mut seen: std::collections::HashSet<String> =
            out.entities.iter().map(|d| d.id.clone()).collect();
        for d in extra.entities {
            if seen.insert(d.id.clone()) {
                out.entities.push(d);
            }
        }
        out.complete &= extra.complete;
        // Each index's own count; a flow indexed under both types counts twice here.
        out.total = out.total.zip(extra.total).map(|(a, b)| a + b);
        Ok(out)
    }

    /// Every object that consumes `id` of `object_type` (e.g. [`DATA_ACTION`]), all pages.
    pub async fn consuming_resources(
        &self,
        id: &str,
        object_type: &str,
        flow_filter: Option<FlowFilter>,
    ) -> Result<Consumers, Error> {
        let path = "/api/v2/architect/dependencytracking/consumingresources";
        let method = Method::GET;
        let mut filter = format!(
            "id={}&objectType={}",
            encode_query(id),
            encode_query(object_type)
        );
        if let Some(f) = flow_filter {
            filter.push_str(&format!("&flowFilter={}", f.as_str()));
        }
        let mut out = Consumers {
            complete: true,
            ..Consumers::default()
        };
        let mut seen = std::collections::HashSet::new();
        let mut page: i64 = 1;
        let mut page_count: i64 = 1;
        while page <= page_count {
            let pq = format!("{path}?{filter}&pageSize={PAGE_SIZE}&pageNumber={page}");
            let resp = self
                .inner
                .execute(&method, &pq, None, "application/json")
                .await?;
            if resp.status == 206 {
                out.complete = false;
            }
            let listing: Listing = Self::decode(&method, path, &resp)?;
            if page == 1 {
                out.total = listing.total;
                let size = listing.page_size.filter(|s| *s > 0);
                page_count = match (listing.page_count, listing.total, size) {
                    (Some(c), _, _) => c,
                    (None, Some(t), Some(s)) => (t + s - 1) / s,
                    _ => 1,
                };
                if !(0..=MAX_PAGES).contains(&page_count) {
                    return Err(Error::Protocol {
                        message: format!(
                            "GET {path} announced {page_count} pages; refusing to read them"
                        ),
                        correlation_id: resp.correlation_id,
                    });
                }
            }
            let empty = listing.entities.is_empty();
            for d in listing.entities {
                if seen.insert(d.id.clone()) {
                    out.entities.push(d);
                }
            }
            if empty && page > 1 {
                break;
            }
            page += 1;
        }
        if let Some(t) = out.total {
            if t != out.entities.len() as i64 {
                out.complete = false;
            }
        }
        Ok(out)
    }
}
