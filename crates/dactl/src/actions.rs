//! What dactl knows about one action: its kind, its effective timeout, its pre-image with
//! template text inlined, the PATCH body that changes only the timeout, and the checks that
//! prove a write changed nothing else.
//!
//! The platform returns stored Velocity templates by reference (`requestTemplateUri`,
//! `successTemplateUri`), and a PATCH replaces `config` whole, so a body that does not carry the
//! template text would erase the templates (genesys-api.md §3, U1/U2). The pre-image therefore
//! has every referenced template's text inlined and the `*Uri` fields dropped; the PATCH body is
//! that config with `timeoutSeconds` changed and nothing else.

use genesys_client::{
    template_file_name, Action, ActionConfig, Client, UpdateActionInput, REQUEST_TEMPLATE,
    SUCCESS_TEMPLATE,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::duration::DEFAULT_TIMEOUT;

/// The kind of an action, which decides whether its timeout can be changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// An ordinary data action.
    Regular,
    /// A function data action (its function has a separate 1..15 s limit).
    Function,
    /// A built-in (`static*`) action: read-only.
    Builtin,
    /// A custom-authentication (`customAuth*`) action: a timeout is invalid on it.
    CustomAuth,
}

impl Kind {
    /// Text for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Regular => "regular",
            Kind::Function => "function",
            Kind::Builtin => "built-in",
            Kind::CustomAuth => "custom-auth",
        }
    }

    /// Why the timeout of this kind cannot be changed, if it cannot.
    pub fn refusal(self) -> Option<&'static str> {
        match self {
            Kind::Builtin => Some("built-in action (static), read-only"),
            Kind::CustomAuth => Some("custom-auth action, a timeout is invalid on it"),
            Kind::Regular | Kind::Function => None,
        }
    }
}

/// Classify an action by what the action itself shows: built-in and custom-auth by id, and a
/// function data action by the old heuristic (a category containing "function data action",
/// or a `function` key in the config). The platform gives function actions a free-text
/// category and no such key, so commands classify with
/// [`Functions::kind`](crate::functions::Functions::kind), which reads the integration's type
/// and falls back to this only when the integrations cannot be read.
pub fn kind(a: &Action) -> Kind {
    if a.is_static() {
        Kind::Builtin
    } else if a.is_custom_auth() {
        Kind::CustomAuth
    } else if a
        .category
        .as_deref()
        .is_some_and(|c| c.to_ascii_lowercase().contains("function data action"))
        || a.config
            .as_ref()
            .is_some_and(|c| c.extra.contains_key("function"))
    {
        Kind::Function
    } else {
        Kind::Regular
    }
}

/// The explicit timeout, if set.
pub fn explicit_timeout(a: &Action) -> Option<i64> {
    a.config.as_ref().and_then(|c| c.timeout_seconds)
}

/// The timeout that applies: the explicit one, or the platform default of 60 s.
pub fn effective_timeout(a: &Action) -> i64 {
    explicit_timeout(a).unwrap_or(DEFAULT_TIMEOUT)
}

/// `30` or `60 (default)`.
pub fn describe_timeout(t: Option<i64>) -> String {
    timeout_text(t, "")
}

/// `30 s` or `60 s (default)`, for prose and tables that speak in seconds.
pub fn describe_timeout_secs(t: Option<i64>) -> String {
    timeout_text(t, " s")
}

fn timeout_text(t: Option<i64>, unit: &str) -> String {
    match t {
        Some(s) => format!("{s}{unit}"),
        None => format!("{DEFAULT_TIMEOUT}{unit} (default)"),
    }
}

/// Whether the action's config references templates by URI that still need their text.
pub fn template_refs(a: &Action) -> (Option<String>, Option<String>) {
    let Some(c) = a.config.as_ref() else {
        return (None, None);
    };
    let req = c
        .request
        .as_ref()
        .filter(|r| r.request_template.is_none())
        .and_then(|r| r.request_template_uri.as_deref())
        .map(|u| {
            template_file_name(u)
                .unwrap_or(REQUEST_TEMPLATE)
                .to_string()
        });
    let succ = c
        .response
        .as_ref()
        .filter(|r| r.success_template.is_none())
        .and_then(|r| r.success_template_uri.as_deref())
        .map(|u| {
            template_file_name(u)
                .unwrap_or(SUCCESS_TEMPLATE)
                .to_string()
        });
    (req, succ)
}

/// Fetch the text of every template the action references (in parallel) and return the
/// pre-image: the action with the text inlined and the `*Uri` fields dropped.
pub async fn inline_templates(
    client: &Client,
    action: &Action,
    draft: bool,
) -> Result<Action, genesys_client::Error> {
    let (req, succ) = template_refs(action);
    let id = action.id.as_str();
    let fetch = |file: Option<String>| async move {
        match file {
            Some(f) => client
                .get_template(id, &f, draft)
                .await
                .map(|r| Some(r.body)),
            None => Ok(None),
        }
    };
    let (req_text, succ_text) = tokio::try_join!(fetch(req), fetch(succ))?;
    Ok(with_template_text(action, req_text, succ_text))
}

/// The action with the given template texts inlined and every `*Uri` template field dropped.
pub fn with_template_text(
    action: &Action,
    req_text: Option<String>,
    succ_text: Option<String>,
) -> Action {
    let mut pre = action.clone();
    if let Some(c) = pre.config.as_mut() {
        if let Some(r) = c.request.as_mut() {
            if let Some(t) = req_text {
                r.request_template = Some(t);
            }
            r.request_template_uri = None;
        }
        if let Some(r) = c.response.as_mut() {
            if let Some(t) = succ_text {
                r.success_template = Some(t);
            }
            r.success_template_uri = None;
        }
    }
    pre
}

/// Build the PATCH body from a pre-image: the full config, only `timeoutSeconds` changed.
pub fn patch_body(pre: &Action, new_timeout: Option<i64>) -> Result<UpdateActionInput, String> {
    let version = pre
        .version
        .ok_or_else(|| format!("action `{}` has no version; refusing to write", pre.id))?;
    let mut config: ActionConfig = pre.config.clone().ok_or_else(|| {
        format!(
            "action `{}` was read without its config; refusing to write",
            pre.id
        )
    })?;
    config.timeout_seconds = new_timeout;
    Ok(UpdateActionInput {
        name: pre.name.clone(),
        category: pre.category.clone(),
        version,
        config,
    })
}

/// Config as JSON with the template fields (text and URI) and the timeout removed, for
/// comparing everything else.
fn config_sans_templates(c: Option<&ActionConfig>) -> Value {
    let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.remove("timeoutSeconds");
        if let Some(r) = o.get_mut("request").and_then(Value::as_object_mut) {
            r.remove("requestTemplate");
            r.remove("requestTemplateUri");
        }
        if let Some(r) = o.get_mut("response").and_then(Value::as_object_mut) {
            r.remove("successTemplate");
            r.remove("successTemplateUri");
        }
    }
    v
}

fn has_request_template(c: Option<&ActionConfig>) -> bool {
    c.and_then(|c| c.request.as_ref())
        .is_some_and(|r| r.request_template.is_some() || r.request_template_uri.is_some())
}

fn has_success_template(c: Option<&ActionConfig>) -> bool {
    c.and_then(|c| c.response.as_ref())
        .is_some_and(|r| r.success_template.is_some() || r.success_template_uri.is_some())
}

/// Check a PATCH response against the pre-image: new timeout, higher version, same name and
/// category, every other config field equal, and every template still present.
pub fn verify_response(
    pre: &Action,
    after: &Action,
    new_timeout: Option<i64>,
) -> Result<(), String> {
    let mut problems = Vec::new();
    if explicit_timeout(after) != new_timeout {
        problems.push(format!(
            "timeout is {} instead of {}",
            describe_timeout(explicit_timeout(after)),
            describe_timeout(new_timeout)
        ));
    }
    match (pre.version, after.version) {
        (Some(a), Some(b)) if b > a => {}
        (a, b) => problems.push(format!("version did not go up ({a:?} -> {b:?})")),
    }
    if pre.name != after.name {
        problems.push(format!("name changed to `{}`", after.name));
    }
    if pre.category != after.category {
        problems.push("category changed".to_string());
    }
    let (pc, ac) = (pre.config.as_ref(), after.config.as_ref());
    if has_request_template(pc) != has_request_template(ac) {
        problems.push("request template presence changed".to_string());
    }
    if has_success_template(pc) != has_success_template(ac) {
        problems.push("success template presence changed".to_string());
    }
    let (a, b) = (config_sans_templates(pc), config_sans_templates(ac));
    if a != b {
        problems.push(format!(
            "config differs outside the timeout: {}",
            first_difference(&a, &b, "config")
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Full verification: a fresh read with templates inlined must equal the pre-image in
/// everything but the timeout and the version.
pub fn verify_full(
    pre: &Action,
    fresh_inlined: &Action,
    new_timeout: Option<i64>,
) -> Result<(), String> {
    let mut problems = Vec::new();
    if explicit_timeout(fresh_inlined) != new_timeout {
        problems.push(format!(
            "re-read timeout is {} instead of {}",
            describe_timeout(explicit_timeout(fresh_inlined)),
            describe_timeout(new_timeout)
        ));
    }
    let mut want = serde_json::to_value(pre.config.as_ref()).unwrap_or(Value::Null);
    let mut got = serde_json::to_value(fresh_inlined.config.as_ref()).unwrap_or(Value::Null);
    for v in [&mut want, &mut got] {
        if let Some(o) = v.as_object_mut() {
            o.remove("timeoutSeconds");
        }
    }
    if want != got {
        problems.push(format!(
            "re-read config differs: {}",
            first_difference(&want, &got, "config")
        ));
    }
    if pre.name != fresh_inlined.name || pre.category != fresh_inlined.category {
        problems.push("re-read name or category differs".to_string());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// A short description of the first place where two JSON values differ.
pub fn first_difference(a: &Value, b: &Value, path: &str) -> String {
    match crate::jsondiff::differences(a, b).first() {
        Some(d) if d.b.is_none() => format!("`{}` is missing after the write", d.dotted(path)),
        Some(d) if d.a.is_none() => format!("`{}` appeared after the write", d.dotted(path)),
        Some(d) => format!("`{}` differs", d.dotted(path)),
        None => format!("`{path}` differs"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn action(v: Value) -> Action {
        serde_json::from_value(v).unwrap()
    }

    fn sample() -> Action {
        action(json!({
            "id": "a1", "name": "Get user", "category": "Users", "version": 7,
            "config": {
                "request": {"requestUrlTemplate": "/u", "requestType": "GET", "headers": {"X": "1"},
                            "requestTemplateUri": "/api/v2/integrations/actions/a1/templates/requesttemplate.vm",
                            "futureField": {"k": [1, 2]}},
                "response": {"translationMap": {"n": "$.n"}, "successTemplateUri": "/api/v2/integrations/actions/a1/templates/successtemplate.vm"},
                "unknownTop": true
            }
        }))
    }

    #[test]
    fn classification() {
        assert_eq!(
            kind(&action(json!({"id": "static_1", "name": "x"}))),
            Kind::Builtin
        );
        assert_eq!(
            kind(&action(json!({"id": "customAuth_-_9", "name": "x"}))),
            Kind::CustomAuth
        );
        assert_eq!(
            kind(&action(
                json!({"id": "f", "name": "x", "category": "My Function Data Actions"})
            )),
            Kind::Function
        );
        assert_eq!(kind(&sample()), Kind::Regular);
    }

    #[test]
    fn patch_body_inlines_and_changes_only_timeout() {
        let pre = with_template_text(
            &sample(),
            Some("{\"a\": \"é\\n\"}".into()),
            Some("${x}".into()),
        );
        let body = patch_body(&pre, Some(30)).unwrap();
        let v = serde_json::to_value(&body).unwrap();
        assert_eq!(v["version"], 7);
        assert_eq!(v["config"]["timeoutSeconds"], 30);
        assert_eq!(
            v["config"]["request"]["requestTemplate"],
            "{\"a\": \"é\\n\"}"
        );
        assert!(v["config"]["request"].get("requestTemplateUri").is_none());
        assert_eq!(v["config"]["response"]["successTemplate"], "${x}");
        assert!(v["config"]["response"].get("successTemplateUri").is_none());
        assert_eq!(v["config"]["request"]["futureField"], json!({"k": [1, 2]}));
        assert_eq!(v["config"]["unknownTop"], true);
        // unset removes the field
        let v = serde_json::to_value(patch_body(&pre, None).unwrap()).unwrap();
        assert!(v["config"].get("timeoutSeconds").is_none());
    }

    #[test]
    fn response_verification_catches_lost_fields() {
        let pre = with_template_text(&sample(), Some("r".into()), Some("s".into()));
        let mut after = sample();
        after.version = Some(8);
        after.config.as_mut().unwrap().timeout_seconds = Some(30);
        assert_eq!(verify_response(&pre, &after, Some(30)), Ok(()));
        let mut lost = after.clone();
        lost.config.as_mut().unwrap().extra.remove("unknownTop");
        assert!(verify_response(&pre, &lost, Some(30))
            .unwrap_err()
            .contains("unknownTop"));
        let mut no_tpl = after.clone();
        no_tpl
            .config
            .as_mut()
            .unwrap()
            .request
            .as_mut()
            .unwrap()
            .request_template_uri = None;
        assert!(verify_response(&pre, &no_tpl, Some(30))
            .unwrap_err()
            .contains("request template"));
        assert!(verify_response(&pre, &after, Some(31)).is_err());
        let mut same_version = after.clone();
        same_version.version = Some(7);
        assert!(verify_response(&pre, &same_version, Some(30)).is_err());
    }

    #[test]
    fn describe() {
        assert_eq!(describe_timeout(None), "60 (default)");
        assert_eq!(describe_timeout(Some(5)), "5");
        assert_eq!(describe_timeout_secs(None), "60 s (default)");
        assert_eq!(describe_timeout_secs(Some(5)), "5 s");
    }
}
