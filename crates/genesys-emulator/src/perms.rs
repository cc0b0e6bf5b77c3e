//! The permission model: which permissions each route needs (genesys-api.md §1, checked in ANY
//! mode), and the 403 the platform answers when the OAuth client's role lacks them.
//!
//! An org whose [`OrgCredentials::permissions`](crate::OrgCredentials) is `None` holds every
//! permission (the default). With `Some(list)` only the listed permissions are granted; a
//! `*` segment matches anything (`integrations:*:*`). A request that needs none of the granted
//! permissions gets 403 `missing.permissions` whose message names the permission, as the
//! platform's does, so that clients can tell the user what to add to the role.

use axum::http::StatusCode;

use crate::error::ApiError;
use crate::store::ACTIONS_PATH;

const VIEW: &[&str] = &["integrations:action:view", "bridge:actions:view"];
const EDIT: &[&str] = &["integrations:action:edit"];
const DELETE: &[&str] = &["integrations:action:delete"];
const EXECUTE: &[&str] = &["integrations:action:execute", "bridge:actions:execute"];
const EXECUTE_DRAFT: &[&str] = &["integrations:action:execute"];

/// Architect dependency tracking (A1, A2).
const DEPENDENCY_TRACKING: &[&str] = &["architect:dependencyTracking:view"];
/// Integrations (`GET /api/v2/integrations[/{id}]`).
const INTEGRATION_VIEW: &[&str] = &["integrations:integration:view"];
const INTEGRATION_EDIT: &[&str] = &["integrations:integration:edit"];
/// Function settings of function data actions.
const FUNCTION_VIEW: &[&str] = &["integrations:actionFunction:view"];
const FUNCTION_EDIT: &[&str] = &["integrations:actionFunction:edit"];

/// The permissions (any one of them) a request needs; `None` for paths outside the actions API
/// and Architect's dependency tracking.
pub(crate) fn required(method: &str, path: &str) -> Option<&'static [&'static str]> {
    if path.starts_with("/api/v2/architect/dependencytracking") {
        return Some(DEPENDENCY_TRACKING);
    }
    let Some(rest) = path.strip_prefix(ACTIONS_PATH) else {
        // The integrations themselves: `/api/v2/integrations` and `/api/v2/integrations/{id}`.
        let rest = path.strip_prefix(crate::integrations::INTEGRATIONS_PATH)?;
        let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        return match (method, segs.as_slice()) {
            ("GET", [] | [_]) => Some(INTEGRATION_VIEW),
            (_, [] | [_]) => Some(INTEGRATION_EDIT),
            _ => None,
        };
    };
    let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    Some(match (method, segs.as_slice()) {
        ("GET", [_, "function"] | [_, "draft", "function"]) => FUNCTION_VIEW,
        (_, [_, "function"] | [_, "draft", "function", ..]) => FUNCTION_EDIT,
        ("GET", [_, "draft", "validation"]) => EDIT,
        ("GET", _) => VIEW,
        ("DELETE", [_, "draft"]) => DELETE,
        ("POST", [_, "draft", "test"]) => EXECUTE_DRAFT,
        ("POST", [_, "test"]) | ("POST", [_, "execute"]) => EXECUTE,
        _ => EDIT,
    })
}

fn grants(granted: &str, wanted: &str) -> bool {
    let g: Vec<&str> = granted.split(':').collect();
    let w: Vec<&str> = wanted.split(':').collect();
    g.len() == w.len() && g.iter().zip(&w).all(|(g, w)| *g == "*" || g == w)
}

/// `Ok` when `granted` (None = all) covers the request, else the platform's 403.
pub(crate) fn check(granted: Option<&[String]>, method: &str, path: &str) -> Result<(), ApiError> {
    let (Some(granted), Some(needed)) = (granted, required(method, path)) else {
        return Ok(());
    };
    if needed.iter().any(|n| granted.iter().any(|g| grants(g, n))) {
        return Ok(());
    }
    Err(if needed.len() == 1 {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "missing.permissions",
            format!(
                "Unable to perform the requested action. You are missing the following permission(s): [{}]",
                needed[0]
            ),
        )
    } else {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "missing.any.permissions",
            format!(
                "Unable to perform the requested action. You must have at least one of the following permissions assigned: [{}]",
                needed.join(", ")
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_need_the_documented_permissions() {
        let a = ACTIONS_PATH;
        assert_eq!(required("GET", a), Some(VIEW));
        assert_eq!(required("GET", &format!("{a}/x")), Some(VIEW));
        assert_eq!(
            required("GET", &format!("{a}/x/draft/validation")),
            Some(EDIT)
        );
        assert_eq!(required("PATCH", &format!("{a}/x")), Some(EDIT));
        assert_eq!(
            required("POST", &format!("{a}/x/draft/publish")),
            Some(EDIT)
        );
        assert_eq!(required("DELETE", &format!("{a}/x/draft")), Some(DELETE));
        assert_eq!(required("POST", &format!("{a}/x/test")), Some(EXECUTE));
        assert_eq!(
            required("POST", &format!("{a}/x/draft/test")),
            Some(EXECUTE_DRAFT)
        );
        assert_eq!(required("POST", "/oauth/token"), None);
        assert_eq!(
            required("GET", "/api/v2/integrations"),
            Some(INTEGRATION_VIEW)
        );
        assert_eq!(
            required("GET", "/api/v2/integrations/i-1"),
            Some(INTEGRATION_VIEW)
        );
        assert_eq!(
            required("GET", &format!("{a}/x/function")),
            Some(FUNCTION_VIEW)
        );
        assert_eq!(
            required("GET", &format!("{a}/x/draft/function")),
            Some(FUNCTION_VIEW)
        );
        assert_eq!(
            required("PUT", &format!("{a}/x/draft/function")),
            Some(FUNCTION_EDIT)
        );
        assert_eq!(required("GET", "/api/v2/integrations/credentials/x"), None);
        assert_eq!(
            required(
                "GET",
                "/api/v2/architect/dependencytracking/consumingresources"
            ),
            Some(DEPENDENCY_TRACKING)
        );
        assert_eq!(
            required("GET", "/api/v2/architect/dependencytracking/object"),
            Some(DEPENDENCY_TRACKING)
        );
    }

    #[test]
    fn grants_and_refusals() {
        let a = ACTIONS_PATH;
        let view_only = vec!["integrations:action:view".to_string()];
        assert!(check(None, "PATCH", &format!("{a}/x")).is_ok());
        assert!(check(Some(&view_only), "GET", a).is_ok());
        let e = check(Some(&view_only), "PATCH", &format!("{a}/x")).expect_err("refused");
        assert_eq!(e.status, StatusCode::FORBIDDEN);
        assert_eq!(e.code, "missing.permissions");
        assert!(e.message.contains("[integrations:action:edit]"));
        let e = check(Some(&[]), "GET", a).expect_err("refused");
        assert_eq!(e.code, "missing.any.permissions");
        assert!(e.message.contains("integrations:action:view"));
        let wild = vec!["integrations:*:*".to_string()];
        assert!(check(Some(&wild), "GET", &format!("{a}/x/draft/validation")).is_ok());
        let bridge = vec!["bridge:actions:view".to_string()];
        assert!(check(Some(&bridge), "GET", a).is_ok());
        // Action view does not reach the integrations or the function settings.
        let e = check(Some(&view_only), "GET", "/api/v2/integrations").expect_err("refused");
        assert!(e.message.contains("[integrations:integration:view]"));
        let e = check(Some(&view_only), "GET", &format!("{a}/x/function")).expect_err("refused");
        assert!(e.message.contains("[integrations:actionFunction:view]"));
    }
}
