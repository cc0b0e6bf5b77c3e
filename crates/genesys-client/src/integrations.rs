//! Integrations and function settings: what tells a function data action apart, and the
//! timeout of its function (genesys-api.md §7, "Known since").
//!
//! - `GET /api/v2/integrations` lists the org's integrations (`IntegrationEntityListing`,
//!   paged like the actions listing; permission `integrations:integration:view`). A function
//!   data action is an action of an integration whose `integrationType.id` is
//!   [`FUNCTION_INTEGRATION_TYPE`]; its category is the admin's free text and its config has
//!   no `function` key, so nothing else tells it apart. [`Client::list_integrations`] can ask
//!   the server to filter by type (`integrationType=…`, a query parameter of the contract);
//!   callers must still check each entity's type, in case a server ignores the filter.
//! - `GET /api/v2/integrations/actions/{id}/function` (and `…/draft/function`) answers the
//!   action's `FunctionConfig` (`{id, function: Function, zip, uploadExceptionHistory,
//!   selfUri}`), permission `integrations:actionFunction:view`. `Function.timeoutSeconds` is
//!   1..=15 and defaults to 15 ([`FUNCTION_DEFAULT_TIMEOUT`]) when the function sets none.
//!
//! Writing function settings (a draft, then a publish) is deliberately not offered: whether a
//! publish keeps the uploaded function package is unknown (U20).

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::{encode_query, encode_segment, Client, Response};
use crate::error::Error;

/// `integrationType.id` of the integrations that hold function data actions.
pub const FUNCTION_INTEGRATION_TYPE: &str = "function-data-actions";
/// `Function.timeoutSeconds` when the function sets none (also its maximum).
pub const FUNCTION_DEFAULT_TIMEOUT: i64 = 15;

/// `IntegrationType`, as far as the client needs it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationType {
    /// The type id, e.g. `function-data-actions`, `custom-rest-actions`.
    #[serde(default)]
    pub id: String,
    /// Every other field, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `Integration`, as far as the client needs it (lossless).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Integration {
    /// The integration id (an action's `integrationId`).
    #[serde(default)]
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The integration's type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_type: Option<IntegrationType>,
    /// Every other field, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Integration {
    /// The type id, when the integration carries one.
    pub fn type_id(&self) -> Option<&str> {
        self.integration_type.as_ref().map(|t| t.id.as_str())
    }

    /// Whether this integration holds function data actions.
    pub fn is_function(&self) -> bool {
        self.type_id()
            .is_some_and(|t| t.eq_ignore_ascii_case(FUNCTION_INTEGRATION_TYPE))
    }
}

/// `Function`: the settings of an action's function.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Function {
    /// The function's timeout, 1..=15 s; absent means [`FUNCTION_DEFAULT_TIMEOUT`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i64>,
    /// Every other field (`handler`, `runtime`, ...), kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `FunctionConfig`: an action's function settings and package state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionConfig {
    /// The action id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The function settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<Function>,
    /// Every other field (`zip`, `uploadExceptionHistory`, ...), kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl FunctionConfig {
    /// The timeout at which the function is stopped: its own setting, or the default of 15 s
    /// when it sets none (or sets a value outside 1..=15, which the contract forbids).
    pub fn timeout_seconds(&self) -> i64 {
        self.function
            .as_ref()
            .and_then(|f| f.timeout_seconds)
            .filter(|t| (1..=FUNCTION_DEFAULT_TIMEOUT).contains(t))
            .unwrap_or(FUNCTION_DEFAULT_TIMEOUT)
    }
}

impl Client {
    /// `GET /api/v2/integrations`, every page (the listing rules of [`crate::paging`]).
    /// `integration_type` asks the server for that type only (`integrationType=`); check
    /// [`Integration::type_id`] of the result all the same.
    pub async fn list_integrations(
        &self,
        integration_type: Option<&str>,
    ) -> Result<Vec<Integration>, Error> {
        let filters = integration_type
            .map(|t| format!("integrationType={}", encode_query(t)))
            .unwrap_or_default();
        self.list_entities::<Integration>("/api/v2/integrations", filters)
            .await
    }

    /// `GET /api/v2/integrations/actions/{id}/function` (draft: `…/{id}/draft/function`).
    pub async fn get_action_function(
        &self,
        id: &str,
        draft: bool,
    ) -> Result<Response<FunctionConfig>, Error> {
        let path = format!(
            "/api/v2/integrations/actions/{}{}/function",
            encode_segment(id),
            if draft { "/draft" } else { "" }
        );
        let method = Method::GET;
        let resp = self
            .inner
            .execute(&method, &path, None, "application/json")
            .await?;
        let body: FunctionConfig = Self::decode(&method, &path, &resp)?;
        Ok(Response {
            body,
            status: resp.status,
            correlation_id: resp.correlation_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_timeout_defaults_to_fifteen() {
        let c: FunctionConfig = serde_json::from_value(serde_json::json!({
            "id": "a", "function": {"handler": "src/index.handler", "runtime": "nodejs22.x",
            "timeoutSeconds": 7}, "zip": {"status": "Published"}}))
        .unwrap();
        assert_eq!(c.timeout_seconds(), 7);
        // Unknown fields survive.
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(back["zip"]["status"], "Published");
        assert_eq!(back["function"]["runtime"], "nodejs22.x");
        for v in [
            serde_json::json!({"id": "a"}),
            serde_json::json!({"function": {}}),
            serde_json::json!({"function": {"timeoutSeconds": 0}}),
            serde_json::json!({"function": {"timeoutSeconds": 99}}),
        ] {
            let c: FunctionConfig = serde_json::from_value(v.clone()).unwrap();
            assert_eq!(c.timeout_seconds(), FUNCTION_DEFAULT_TIMEOUT, "{v}");
        }
    }

    #[test]
    fn integration_type_is_read_from_integration_type_id() {
        let i: Integration = serde_json::from_value(serde_json::json!({
            "id": "i1", "name": "Functions", "intendedState": "ENABLED",
            "integrationType": {"id": "function-data-actions", "name": "Function Data Actions"}}))
        .unwrap();
        assert!(i.is_function());
        assert_eq!(i.extra["intendedState"], "ENABLED");
        let other: Integration = serde_json::from_value(
            serde_json::json!({"id": "i2", "integrationType": {"id": "custom-rest-actions"}}),
        )
        .unwrap();
        assert!(!other.is_function());
        let untyped: Integration = serde_json::from_value(serde_json::json!({"id": "i3"})).unwrap();
        assert!(!untyped.is_function());
    }
}
