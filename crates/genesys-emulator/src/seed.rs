//! Seed data: a realistic org, plus synthetic actions for load.
//!
//! The realistic org is fixed (ids are stable hashes of integration and action names, so the
//! same names always get the same ids) and covers what a client must cope with: seven
//! integrations (Salesforce, Zendesk, ServiceNow, generic web services, Genesys Cloud,
//! function data actions, and a custom-REST integration with user-defined OAuth), templates
//! whose text holds double quotes, backslashes, newlines, non-ASCII and emoji, actions with and
//! without templates, secure and non-secure actions, unset and explicit timeouts, a built-in
//! `static_…` action, a `customAuth_-_<integrationId>` action, two actions with open drafts, two
//! actions with the same name in different integrations, unknown (future) fields inside
//! `config`, `config.request` and `config.response`, and per-action simulated latencies, two
//! of which exceed their effective timeout.
//!
//! `synthetic_actions = N` appends N generated actions drawn from a SplitMix64 generator seeded
//! with `seed`: the same seed and N give a byte-identical state.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::faults::SplitMix;
use crate::store::{fnv1a, OrgData, ACTIONS_PATH};

/// A UUID-shaped id derived from a string (stable across runs and versions).
pub(crate) fn stable_uuid(key: &str) -> String {
    let a = fnv1a(key.as_bytes());
    let b = fnv1a(format!("{key}\u{1f}uuid").as_bytes());
    format_uuid(a, b)
}

pub(crate) fn format_uuid(a: u64, b: u64) -> String {
    let a = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
    let b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFFF,
        b >> 48,
        b & 0xFFFF_FFFF_FFFF
    )
}

/// An integration of the seed org.
struct Integ {
    id: String,
    name: &'static str,
    kind: &'static str,
    credential: &'static str,
}

const INTEGRATIONS: [(&str, &str, &str); 7] = [
    (
        "Salesforce Data Actions",
        "salesforce-datadip",
        "salesforceCredentials",
    ),
    (
        "Zendesk Data Actions",
        "zendesk-datadip",
        "zendeskCredentials",
    ),
    (
        "ServiceNow Data Actions",
        "custom-rest-actions",
        "basicAuth",
    ),
    (
        "Web Services Data Actions",
        "custom-rest-actions",
        "userDefined",
    ),
    (
        "Genesys Cloud Data Actions",
        "purecloud-data-actions",
        "pureCloudOAuthClient",
    ),
    (
        "Function Data Actions",
        "function-data-actions",
        "userDefined",
    ),
    (
        "Acme CRM (OAuth)",
        "custom-rest-actions",
        "userDefinedOAuth",
    ),
];

const SALESFORCE: usize = 0;
const ZENDESK: usize = 1;
const SERVICENOW: usize = 2;
const WEB: usize = 3;
const GENESYS: usize = 4;
const FUNCTION: usize = 5;
const ACME: usize = 6;

fn integrations() -> Vec<Integ> {
    INTEGRATIONS
        .iter()
        .map(|(name, kind, credential)| Integ {
            id: stable_uuid(&format!("integration/{name}")),
            name,
            kind,
            credential,
        })
        .collect()
}

fn integration_doc(i: &Integ) -> Value {
    json!({
        "id": i.id,
        "name": i.name,
        "integrationType": { "id": i.kind },
        "intendedState": "ENABLED",
        "credentialType": i.credential,
        "selfUri": format!("/api/v2/integrations/{}", i.id),
    })
}

/// The function settings (`FunctionConfig`) of a seeded function data action; `timeout` is
/// `Function.timeoutSeconds` (`None`: the function sets none, the platform default of 15 s).
fn function_doc(action_id: &str, timeout: Option<i64>) -> Value {
    let mut function = json!({
        "id": stable_uuid(&format!("function/{action_id}")),
        "name": format!("function-{action_id}"),
        "description": "Genesys Cloud Function of this data action.",
        "zipId": stable_uuid(&format!("zip/{action_id}")),
        "handler": "src/index.handler",
        "runtime": "nodejs22.x",
    });
    if let Some(t) = timeout {
        function["timeoutSeconds"] = json!(t);
    }
    json!({
        "id": action_id,
        "function": function,
        "zip": {
            "id": stable_uuid(&format!("zip/{action_id}")),
            "name": "function.zip",
            "status": "Available",
        },
        "uploadExceptionHistory": [],
        "selfUri": format!("{ACTIONS_PATH}/{action_id}/function"),
    })
}

/// A hand-written action of the realistic org.
#[derive(Default)]
struct Spec {
    integ: usize,
    /// Explicit id (built-in and custom-auth actions); otherwise a stable hash.
    id: Option<String>,
    name: &'static str,
    /// Defaults to the integration's name.
    category: Option<&'static str>,
    version: i64,
    secure: bool,
    timeout: Option<i64>,
    method: &'static str,
    url: &'static str,
    headers: &'static [(&'static str, &'static str)],
    request_template: Option<&'static str>,
    success_template: Option<&'static str>,
    map: &'static [(&'static str, &'static str)],
    defaults: &'static [(&'static str, &'static str)],
    input: &'static [(&'static str, &'static str)],
    output: &'static [(&'static str, &'static str)],
    latency_ms: u64,
    /// Adds fields the contract does not know, in config, request and response.
    future_fields: bool,
    /// An open draft: (draft version, its timeout).
    draft: Option<(i64, Option<i64>)>,
    /// A function data action's `Function.timeoutSeconds` (`Some(None)`: the function sets
    /// none); `None` for other actions.
    function_timeout: Option<Option<i64>>,
}

fn string_map(pairs: &[(&str, &str)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
            .collect(),
    )
}

fn schema(title: &str, description: &str, props: &[(&str, &str)], required: bool) -> Value {
    let mut properties = Map::new();
    for (name, ty) in props {
        properties.insert(
            (*name).to_owned(),
            json!({ "type": ty, "description": format!("The {name}.") }),
        );
    }
    let req: Vec<&str> = if required {
        props.iter().take(1).map(|(n, _)| *n).collect()
    } else {
        Vec::new()
    };
    json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": title,
        "description": description,
        "type": "object",
        "required": req,
        "properties": properties,
    })
}

/// The fields every action document has, in wire order.
#[allow(clippy::too_many_arguments)]
fn action_doc(
    id: &str,
    name: &str,
    integration_id: &str,
    category: &str,
    contract: Value,
    version: i64,
    secure: bool,
    config: Value,
) -> Value {
    json!({
        "id": id,
        "name": name,
        "integrationId": integration_id,
        "category": category,
        "contract": contract,
        "version": version,
        "secure": secure,
        "config": config,
        "selfUri": format!("{ACTIONS_PATH}/{id}"),
    })
}

fn config_doc(
    timeout: Option<i64>,
    request: Map<String, Value>,
    response: Map<String, Value>,
) -> Map<String, Value> {
    let mut config = Map::new();
    if let Some(t) = timeout {
        config.insert("timeoutSeconds".into(), json!(t));
    }
    config.insert("request".into(), Value::Object(request));
    config.insert("response".into(), Value::Object(response));
    config
}

/// Accumulates the documents of one org.
struct Builder {
    integs: Vec<Integ>,
    functions: Vec<Value>,
    actions: Vec<Value>,
    drafts: Vec<Value>,
    latency: HashMap<String, u64>,
}

impl Builder {
    fn add_spec(&mut self, s: Spec) {
        let integ = &self.integs[s.integ];
        let id =
            s.id.clone()
                .unwrap_or_else(|| stable_uuid(&format!("action/{}/{}", integ.name, s.name)));
        let mut request = Map::new();
        request.insert("requestUrlTemplate".into(), json!(s.url));
        if let Some(t) = s.request_template {
            request.insert("requestTemplate".into(), json!(t));
        }
        request.insert("requestType".into(), json!(s.method));
        request.insert("headers".into(), string_map(s.headers));
        let mut response = Map::new();
        response.insert("translationMap".into(), string_map(s.map));
        response.insert("translationMapDefaults".into(), string_map(s.defaults));
        if let Some(t) = s.success_template {
            response.insert("successTemplate".into(), json!(t));
        }
        if s.future_fields {
            request.insert("followRedirects".into(), json!(true));
            response.insert(
                "responseCaching".into(),
                json!({ "enabled": true, "ttlSeconds": 30 }),
            );
        }
        let mut config = config_doc(s.timeout, request, response);
        if s.future_fields {
            config.insert(
                "retryPolicy".into(),
                json!({ "maxRetries": 2, "backoff": "exponential", "note": "field unknown to the published contract" }),
            );
        }
        let contract = json!({
            "input": { "inputSchema": schema(&format!("{} Request", s.name), "Input of the action.", s.input, true) },
            "output": { "successSchema": schema(&format!("{} Response", s.name), "Translated result.", s.output, false) },
        });
        let category = s.category.unwrap_or(integ.name);
        let doc = action_doc(
            &id,
            s.name,
            &integ.id,
            category,
            contract,
            s.version,
            s.secure,
            Value::Object(config),
        );
        if let Some((draft_version, draft_timeout)) = s.draft {
            let mut draft = doc.clone();
            draft["version"] = json!(draft_version);
            draft["selfUri"] = json!(format!("{ACTIONS_PATH}/{id}/draft"));
            if let Some(cfg) = draft.get_mut("config").and_then(Value::as_object_mut) {
                match draft_timeout {
                    Some(t) => {
                        cfg.insert("timeoutSeconds".into(), json!(t));
                    }
                    None => {
                        cfg.shift_remove("timeoutSeconds");
                    }
                }
                if let Some(h) = cfg
                    .get_mut("request")
                    .and_then(|r| r.get_mut("headers"))
                    .and_then(Value::as_object_mut)
                {
                    h.insert(
                        "X-Draft-Note".into(),
                        json!("work in progress – ne pas publier"),
                    );
                }
            }
            self.drafts.push(draft);
        }
        if let Some(t) = s.function_timeout {
            self.functions.push(function_doc(&id, t));
        }
        self.latency.insert(id, s.latency_ms);
        self.actions.push(doc);
    }
}

const JSON_HEADERS: &[(&str, &str)] = &[
    ("Content-Type", "application/json"),
    ("UserAgent", "PureCloudIntegrations/1.0"),
];
const ACCEPT_JSON: &[(&str, &str)] = &[("Accept", "application/json")];

/// The hand-written actions of the realistic org.
fn realistic(b: &mut Builder) {
    let acme_id = b.integs[ACME].id.clone();
    let specs = vec![
        // --- Salesforce
        Spec {
            integ: SALESFORCE, name: "Get Contact By Phone Number", version: 4, timeout: Some(10), method: "GET",
            url: "/services/data/v56.0/search/?q=FIND+%7B${input.phoneNumber}%7D+IN+PHONE+FIELDS+RETURNING+Contact(Id,Name,Email)",
            headers: ACCEPT_JSON, request_template: Some("${input.rawRequest}"),
            success_template: Some(r#"{"contactId": ${successTemplateUtils.firstFromArray("${contactIds}", "$esc.quote$esc.quote")}, "name": "${name}"}"#),
            map: &[("contactIds", "$.searchRecords[*].Id"), ("name", "$.searchRecords[0].Name")],
            defaults: &[("name", "\"\"")],
            input: &[("phoneNumber", "string")], output: &[("contactId", "string"), ("name", "string")],
            latency_ms: 420, ..Spec::default()
        },
        Spec {
            integ: SALESFORCE, name: "Get Account By Account Number", version: 2, method: "GET",
            url: "/services/data/v56.0/query/?q=SELECT+Id,Name,Type+FROM+Account+WHERE+AccountNumber='${input.accountNumber}'",
            headers: ACCEPT_JSON, success_template: Some("${rawResult}"),
            map: &[("accountId", "$.records[0].Id"), ("accountName", "$.records[0].Name")],
            input: &[("accountNumber", "string")], output: &[("accountId", "string"), ("accountName", "string")],
            latency_ms: 380, ..Spec::default()
        },
        Spec {
            integ: SALESFORCE, name: "Create Case", version: 9, secure: true, timeout: Some(30), method: "POST",
            url: "/services/data/v56.0/sobjects/Case/", headers: JSON_HEADERS,
            request_template: Some("{\n  \"Subject\": \"Rückruf angefordert: \\\"${input.subject}\\\"\",\n  \"Description\": \"Anrufer ${input.callerName} – Priorität ${input.priority}\\nPfad: C:\\\\IVR\\\\callbacks\",\n  \"Origin\": \"Phone 📞\",\n  \"ContactId\": \"${input.contactId}\"\n}"),
            success_template: Some("{\"caseId\": \"${caseId}\", \"success\": ${success}}"),
            map: &[("caseId", "$.id"), ("success", "$.success")], defaults: &[("success", "false")],
            input: &[("subject", "string"), ("callerName", "string"), ("priority", "string"), ("contactId", "string")],
            output: &[("caseId", "string"), ("success", "boolean")],
            latency_ms: 910, ..Spec::default()
        },
        Spec {
            integ: SALESFORCE, name: "Update Case Status", version: 7, timeout: Some(20), method: "PATCH",
            url: "/services/data/v56.0/sobjects/Case/${input.caseId}", headers: JSON_HEADERS,
            request_template: Some("{\"Status\": \"${input.status}\", \"Comments\": \"Mis à jour par l'IVR — ${input.note}\"}"),
            success_template: Some("{}"),
            input: &[("caseId", "string"), ("status", "string"), ("note", "string")],
            latency_ms: 650, draft: Some((2, Some(45))), ..Spec::default()
        },
        // --- Zendesk
        Spec {
            integ: ZENDESK, name: "Get Contact By Phone Number", version: 3, method: "GET",
            url: "/api/v2/search.json?query=type:user%20phone:${input.phoneNumber}", headers: ACCEPT_JSON,
            success_template: Some("{\"userId\": ${userId}, \"email\": \"${email}\"}"),
            map: &[("userId", "$.results[0].id"), ("email", "$.results[0].email")], defaults: &[("userId", "0"), ("email", "\"\"")],
            input: &[("phoneNumber", "string")], output: &[("userId", "integer"), ("email", "string")],
            latency_ms: 300, ..Spec::default()
        },
        Spec {
            integ: ZENDESK, name: "Search Tickets By Requester", version: 5, timeout: Some(15), method: "GET",
            url: "/api/v2/search.json?query=type:ticket%20requester:${input.email}%20status<solved", headers: ACCEPT_JSON,
            success_template: Some("${rawResult}"),
            map: &[("ticketIds", "$.results[*].id"), ("count", "$.count")],
            input: &[("email", "string")], output: &[("ticketIds", "array"), ("count", "integer")],
            latency_ms: 1_200, draft: Some((1, Some(15))), ..Spec::default()
        },
        Spec {
            integ: ZENDESK, name: "Create Ticket", version: 11, secure: true, timeout: Some(25), method: "POST",
            url: "/api/v2/tickets.json", headers: JSON_HEADERS,
            request_template: Some("{\"ticket\": {\n  \"subject\": \"${input.subject} 🎫\",\n  \"comment\": {\"body\": \"Bonjour ${input.name},\\nvotre demande a été reçue.\\nÜbersetzung folgt — 日本語サポートあり.\"},\n  \"requester\": {\"email\": \"${input.email}\"}\n}}"),
            success_template: Some("{\"ticketId\": ${ticketId}}"),
            map: &[("ticketId", "$.ticket.id")],
            input: &[("subject", "string"), ("name", "string"), ("email", "string")], output: &[("ticketId", "integer")],
            latency_ms: 1_450, future_fields: true, ..Spec::default()
        },
        Spec {
            integ: ZENDESK, name: "Get Organization Fields", version: 1, method: "GET",
            url: "/api/v2/organizations/${input.organizationId}.json", headers: ACCEPT_JSON,
            map: &[("tier", "$.organization.organization_fields.tier")], defaults: &[("tier", "\"standard\"")],
            input: &[("organizationId", "string")], output: &[("tier", "string")],
            latency_ms: 260, ..Spec::default()
        },
        // --- ServiceNow
        Spec {
            integ: SERVICENOW, name: "Create Incident", version: 6, timeout: Some(45), method: "POST",
            url: "https://acme.service-now.com/api/now/table/incident", headers: JSON_HEADERS,
            request_template: Some("{\n  \"short_description\": \"IVR: ${esc.jsonEncode(${input.summary})}\",\n  \"description\": \"Café hotline \\\"Nord\\\"\\nLog: C:\\\\logs\\\\ivr\\\\${input.callId}.log\",\n  \"caller_id\": \"${input.callerSysId}\",\n  \"urgency\": \"2\"\n}"),
            success_template: Some("{\"number\": \"${number}\", \"sysId\": \"${sysId}\"}"),
            map: &[("number", "$.result.number"), ("sysId", "$.result.sys_id")],
            input: &[("summary", "string"), ("callId", "string"), ("callerSysId", "string")],
            output: &[("number", "string"), ("sysId", "string")],
            latency_ms: 2_300, ..Spec::default()
        },
        Spec {
            integ: SERVICENOW, name: "Get Incident By Number", version: 3, method: "GET",
            url: "https://acme.service-now.com/api/now/table/incident?sysparm_query=number=${input.number}&sysparm_limit=1",
            headers: ACCEPT_JSON, request_template: Some("${input.rawRequest}"), success_template: Some("${rawResult}"),
            map: &[("state", "$.result[0].state"), ("assignedTo", "$.result[0].assigned_to.display_value")],
            input: &[("number", "string")], output: &[("state", "string"), ("assignedTo", "string")],
            latency_ms: 1_100, ..Spec::default()
        },
        Spec {
            integ: SERVICENOW, name: "Update Incident State", version: 2, timeout: Some(12), method: "PUT",
            url: "https://acme.service-now.com/api/now/table/incident/${input.sysId}", headers: JSON_HEADERS,
            request_template: Some("{\"state\": \"${input.state}\", \"work_notes\": \"Updated from Genesys Cloud\"}"),
            input: &[("sysId", "string"), ("state", "string")],
            latency_ms: 800, ..Spec::default()
        },
        Spec {
            integ: SERVICENOW, name: "Lookup CMDB Configuration Item", version: 1, method: "GET",
            url: "https://acme.service-now.com/api/now/cmdb/instance/cmdb_ci?sysparm_query=serial_number=${input.serial}",
            headers: ACCEPT_JSON, success_template: Some("${rawResult}"),
            map: &[("ciName", "$.result[0].name")],
            input: &[("serial", "string")], output: &[("ciName", "string")],
            // Slower than the platform default of 60 s: tests and executions time out.
            latency_ms: 72_000, ..Spec::default()
        },
        // --- Generic web services
        Spec {
            integ: WEB, name: "Get Weather Forecast", category: Some("Utilities"), version: 3, timeout: Some(5), method: "GET",
            url: "https://api.weather.example/v1/forecast?postal=${input.postalCode}&lang=de", headers: ACCEPT_JSON,
            success_template: Some("{\"summary\": \"${summary}\", \"tempC\": ${tempC}}"),
            map: &[("summary", "$.daily[0].summary"), ("tempC", "$.daily[0].temperature.max")],
            defaults: &[("summary", "\"keine Daten\""), ("tempC", "0")],
            input: &[("postalCode", "string")], output: &[("summary", "string"), ("tempC", "number")],
            // Slower than its 5 s timeout.
            latency_ms: 7_500, ..Spec::default()
        },
        Spec {
            integ: WEB, name: "Lookup Order Status", category: Some("Orders"), version: 8, method: "POST",
            url: "https://orders.example.com/api/lookup", headers: JSON_HEADERS,
            request_template: Some("{\"orderId\": \"${input.orderId}\", \"locale\": \"ja-JP\", \"greeting\": \"ご注文ありがとうございます (日本)\"}"),
            success_template: Some("{\"status\": \"${status}\", \"eta\": \"${eta}\"}"),
            map: &[("status", "$.order.status"), ("eta", "$.order.eta")], defaults: &[("eta", "\"unbekannt\"")],
            input: &[("orderId", "string")], output: &[("status", "string"), ("eta", "string")],
            latency_ms: 540, ..Spec::default()
        },
        Spec {
            integ: WEB, name: "Validate Postal Code", category: Some("Utilities"), version: 1, timeout: Some(3), method: "GET",
            url: "https://geo.example.org/postal/${input.country}/${input.postalCode}", headers: ACCEPT_JSON,
            map: &[("valid", "$.valid")], defaults: &[("valid", "false")],
            input: &[("country", "string"), ("postalCode", "string")], output: &[("valid", "boolean")],
            latency_ms: 120, ..Spec::default()
        },
        Spec {
            integ: WEB, name: "Send SMS Notification", category: Some("Notifications"), version: 4, secure: true, timeout: Some(10), method: "POST",
            url: "https://sms.example.net/v2/messages", headers: &[("Content-Type", "application/json"), ("X-Api-Version", "2024-01")],
            request_template: Some("{\"to\": \"${input.phoneNumber}\",\n \"text\": \"Grüße! Ihr Termin am ${input.date} ist bestätigt ✅\\nAntworten Sie \\\"STOP\\\" zum Abmelden.\"}"),
            success_template: Some("{\"messageId\": \"${messageId}\"}"),
            map: &[("messageId", "$.id")],
            input: &[("phoneNumber", "string"), ("date", "string")], output: &[("messageId", "string")],
            latency_ms: 700, ..Spec::default()
        },
        Spec {
            integ: WEB, name: "Get Customer Profile", category: Some("Customer Profile"), version: 12, secure: true, timeout: Some(60), method: "GET",
            url: "https://crm.example.com/customers/${input.customerId}", headers: &[("Accept", "application/json"), ("X-Tenant", "eu-nord")],
            success_template: Some("{\"name\": \"${name}\", \"segment\": \"${segment}\", \"vip\": ${vip}}"),
            map: &[("name", "$.fullName"), ("segment", "$.segment"), ("vip", "$.flags.vip")], defaults: &[("vip", "false")],
            input: &[("customerId", "string")], output: &[("name", "string"), ("segment", "string"), ("vip", "boolean")],
            latency_ms: 1_900, ..Spec::default()
        },
        Spec {
            integ: WEB, name: "Check Store Hours", category: Some("Utilities"), version: 2, method: "GET",
            url: "https://stores.example.com/v1/stores/${input.storeId}/hours", headers: ACCEPT_JSON,
            request_template: Some("${input.rawRequest}"),
            map: &[("open", "$.openNow"), ("closesAt", "$.closesAt")],
            input: &[("storeId", "string")], output: &[("open", "boolean"), ("closesAt", "string")],
            latency_ms: 150, ..Spec::default()
        },
        Spec {
            integ: WEB, name: "Get Loyalty Points Balance", category: Some("Customer Profile"), version: 5, timeout: Some(8), method: "GET",
            url: "https://loyalty.example.com/members/${input.memberId}/balance", headers: ACCEPT_JSON,
            success_template: Some("{\"points\": ${points}, \"tier\": \"${tier}\"}"),
            map: &[("points", "$.balance.points"), ("tier", "$.tier.name")], defaults: &[("points", "0")],
            input: &[("memberId", "string")], output: &[("points", "integer"), ("tier", "string")],
            latency_ms: 330, future_fields: true, ..Spec::default()
        },
        Spec {
            integ: WEB, name: "Get Shipping Quote", category: Some("Orders"), version: 1, method: "POST",
            url: "https://shipping.example.com/quote", headers: JSON_HEADERS,
            request_template: Some("{\"from\": \"${input.fromPostal}\", \"to\": \"${input.toPostal}\", \"weightKg\": ${input.weightKg}}"),
            success_template: Some("{\"priceEur\": ${price}, \"carrier\": \"${carrier}\"}"),
            map: &[("price", "$.quote.price"), ("carrier", "$.quote.carrier")],
            input: &[("fromPostal", "string"), ("toPostal", "string"), ("weightKg", "number")],
            output: &[("priceEur", "number"), ("carrier", "string")],
            latency_ms: 2_600, ..Spec::default()
        },
        // --- Genesys Cloud
        Spec {
            integ: GENESYS, id: Some("static_e7b86b86-5c4d-4a34-9a5e-0b1c2d3e4f50".into()),
            name: "Get Authenticated User", version: 1, method: "GET",
            url: "/api/v2/users/me", headers: ACCEPT_JSON,
            map: &[("userId", "$.id"), ("userName", "$.name")],
            output: &[("userId", "string"), ("userName", "string")],
            latency_ms: 90, ..Spec::default()
        },
        Spec {
            integ: GENESYS, name: "Get User Presence", version: 3, timeout: Some(5), method: "GET",
            url: "/api/v2/users/${input.userId}/presences/purecloud", headers: ACCEPT_JSON,
            map: &[("presence", "$.presenceDefinition.systemPresence")],
            input: &[("userId", "string")], output: &[("presence", "string")],
            latency_ms: 140, ..Spec::default()
        },
        Spec {
            integ: GENESYS, name: "Get Queue Estimated Wait Time", version: 6, timeout: Some(4), method: "GET",
            url: "/api/v2/routing/queues/${input.queueId}/estimatedwaittime", headers: ACCEPT_JSON,
            success_template: Some("{\"ewtSeconds\": ${ewt}}"),
            map: &[("ewt", "$.results[0].estimatedWaitTimeSeconds")], defaults: &[("ewt", "-1")],
            input: &[("queueId", "string")], output: &[("ewtSeconds", "integer")],
            latency_ms: 210, ..Spec::default()
        },
        Spec {
            integ: GENESYS, name: "Get External Contact By Phone Number", version: 2, method: "GET",
            url: "/api/v2/externalcontacts/contacts?q=${input.phoneNumber}", headers: ACCEPT_JSON,
            request_template: Some("${input.rawRequest}"), success_template: Some("${rawResult}"),
            map: &[("contactId", "$.entities[0].id"), ("firstName", "$.entities[0].firstName")],
            input: &[("phoneNumber", "string")], output: &[("contactId", "string"), ("firstName", "string")],
            latency_ms: 230, ..Spec::default()
        },
        Spec {
            integ: GENESYS, name: "Set Participant Data", version: 4, secure: true, timeout: Some(10), method: "PATCH",
            url: "/api/v2/conversations/calls/${input.conversationId}/participants/${input.participantId}/attributes",
            headers: JSON_HEADERS,
            request_template: Some("{\"attributes\": {\"${input.key}\": \"$esc.jsonString(${input.value})\", \"source\": \"IVR – Datenübernahme\"}}"),
            input: &[("conversationId", "string"), ("participantId", "string"), ("key", "string"), ("value", "string")],
            latency_ms: 180, ..Spec::default()
        },
        Spec {
            integ: GENESYS, name: "Get Queue Members On Queue Count", version: 1, method: "POST",
            url: "/api/v2/analytics/queues/observations/query", headers: JSON_HEADERS,
            request_template: Some("{\"filter\": {\"type\": \"or\", \"predicates\": [{\"dimension\": \"queueId\", \"value\": \"${input.queueId}\"}]},\n \"metrics\": [\"oOnQueueUsers\"]}"),
            success_template: Some("{\"onQueue\": ${count}}"),
            map: &[("count", "$.results[0].data[0].stats.count")], defaults: &[("count", "0")],
            input: &[("queueId", "string")], output: &[("onQueue", "integer")],
            latency_ms: 320, ..Spec::default()
        },
        // --- Function data actions: free-text categories that do not say "function"; only
        // the integration's type tells them apart. The first function stops at 10 s.
        Spec {
            integ: FUNCTION, name: "Compute Callback Slot", category: Some("Scheduling"), version: 2, timeout: Some(15),
            function_timeout: Some(Some(10)), method: "POST",
            url: "/function", headers: JSON_HEADERS,
            request_template: Some("{\"timezone\": \"${input.timezone}\", \"preferred\": \"${input.preferred}\"}"),
            success_template: Some("${rawResult}"),
            map: &[("slot", "$.slot")],
            input: &[("timezone", "string"), ("preferred", "string")], output: &[("slot", "string")],
            latency_ms: 2_000, ..Spec::default()
        },
        Spec {
            integ: FUNCTION, name: "Hash Customer Identifier", category: Some("Security"), version: 1, secure: true,
            function_timeout: Some(None), method: "POST",
            url: "/function", headers: JSON_HEADERS,
            request_template: Some("{\"value\": \"${input.identifier}\", \"salt\": \"\\\\x00ü\"}"),
            map: &[("hash", "$.hash")],
            input: &[("identifier", "string")], output: &[("hash", "string")],
            latency_ms: 450, ..Spec::default()
        },
        // --- Custom REST with user-defined OAuth
        Spec {
            integ: ACME, id: Some(format!("customAuth_-_{acme_id}")), name: "Custom Auth - Acme CRM (OAuth)",
            version: 1, method: "POST", url: "https://auth.acme-crm.example/oauth2/token",
            headers: &[("Content-Type", "application/x-www-form-urlencoded"), ("Authorization", "Basic $encoding.base64(\"${credentials.clientId}:${credentials.clientSecret}\")")],
            request_template: Some("grant_type=client_credentials&scope=${esc.url(\"crm.read crm.write\")}"),
            success_template: Some("{\"token\": \"${token}\", \"tokenType\": \"${tokenType}\"}"),
            map: &[("token", "$.access_token"), ("tokenType", "$.token_type")],
            output: &[("token", "string"), ("tokenType", "string")],
            latency_ms: 400, ..Spec::default()
        },
        Spec {
            integ: ACME, name: "Get Acme Account Tier", version: 3, timeout: Some(6), method: "GET",
            url: "https://api.acme-crm.example/v3/accounts/${input.accountId}", headers: ACCEPT_JSON,
            map: &[("tier", "$.account.tier")], defaults: &[("tier", "\"bronze\"")],
            input: &[("accountId", "string")], output: &[("tier", "string")],
            latency_ms: 610, ..Spec::default()
        },
        Spec {
            integ: ACME, name: "Open Acme Support Ticket", version: 2, secure: true, method: "POST",
            url: "https://api.acme-crm.example/v3/tickets", headers: JSON_HEADERS,
            request_template: Some("{\"title\": \"${input.title}\", \"body\": \"${input.body}\\n-- sent by Genesys Cloud 🤖\"}"),
            success_template: Some("{\"ticket\": \"${ticketRef}\"}"),
            map: &[("ticketRef", "$.reference")],
            input: &[("title", "string"), ("body", "string")], output: &[("ticket", "string")],
            latency_ms: 880, ..Spec::default()
        },
    ];
    for s in specs {
        b.add_spec(s);
    }
}

const VERBS: &[&str] = &[
    "Get", "Lookup", "Search", "Create", "Update", "Validate", "Sync", "Check", "Fetch", "Cancel",
];
const NOUNS: &[&str] = &[
    "Invoice",
    "Order",
    "Shipment",
    "Subscription",
    "Appointment",
    "Account",
    "Payment",
    "Claim",
    "Ticket",
    "Lead",
    "Opportunity",
    "Device",
    "Reservation",
    "Voucher",
    "Refund",
    "Policy",
];
const QUALIFIERS: &[&str] = &[
    "By Phone Number",
    "By Email",
    "By Id",
    "Status",
    "Details",
    "History",
    "For Customer",
    "Eligibility",
];
const CATEGORIES: &[&str] = &[
    "Billing",
    "Orders",
    "Customer Profile",
    "Scheduling",
    "Claims",
    "Support",
];
const TIMEOUTS: &[i64] = &[2, 3, 5, 8, 10, 15, 20, 25, 30, 45, 60];
const SUCCESS_TEMPLATES: &[&str] = &[
    "${rawResult}",
    "{\"result\": \"${result}\", \"found\": ${found}}",
    "{\"status\": \"${status}\", \"message\": \"Vorgang erfolgreich – ${status}\"}",
];
const REQUEST_TEMPLATES: &[&str] = &[
    "${input.rawRequest}",
    "{\"id\": \"${input.id}\", \"channel\": \"voice\"}",
    "{\"query\": \"${esc.jsonEncode(${input.id})}\",\n \"note\": \"Anfrage über IVR — “${input.id}”\"}",
];

/// N generated actions spread over the first five integrations, deterministic from `seed`.
fn synthetic(b: &mut Builder, seed: u64, n: usize) {
    let mut rng = SplitMix::new(seed ^ 0x005E_ED0F_AC71_0125);
    for i in 0..n {
        let integ_ix = rng.below(5) as usize;
        let integ = &b.integs[integ_ix];
        let id = format_uuid(rng.next_u64(), rng.next_u64());
        let verb = *rng.pick(VERBS);
        let name = format!(
            "{verb} {} {} (S{:05})",
            rng.pick(NOUNS),
            rng.pick(QUALIFIERS),
            i + 1
        );
        let category = if rng.chance(0.5) {
            integ.name.to_owned()
        } else {
            (*rng.pick(CATEGORIES)).to_owned()
        };
        let method = match verb {
            "Create" | "Sync" => "POST",
            "Update" => "PATCH",
            "Cancel" => "DELETE",
            _ => "GET",
        };
        let timeout = if rng.chance(0.4) {
            None
        } else {
            Some(*rng.pick(TIMEOUTS))
        };
        let mut request = Map::new();
        request.insert(
            "requestUrlTemplate".into(),
            json!(format!(
                "https://svc{}.example.com/api/items/${{input.id}}",
                rng.below(40)
            )),
        );
        if rng.chance(0.5) {
            request.insert("requestTemplate".into(), json!(rng.pick(REQUEST_TEMPLATES)));
        }
        request.insert("requestType".into(), json!(method));
        request.insert(
            "headers".into(),
            string_map(if method == "GET" {
                ACCEPT_JSON
            } else {
                JSON_HEADERS
            }),
        );
        let mut response = Map::new();
        response.insert(
            "translationMap".into(),
            string_map(&[
                ("result", "$.result"),
                ("found", "$.found"),
                ("status", "$.status"),
            ]),
        );
        response.insert(
            "translationMapDefaults".into(),
            string_map(&[("found", "false")]),
        );
        if rng.chance(0.6) {
            response.insert("successTemplate".into(), json!(rng.pick(SUCCESS_TEMPLATES)));
        }
        let contract = json!({
            "input": { "inputSchema": schema(&format!("{name} Request"), "Input of the action.", &[("id", "string")], true) },
            "output": { "successSchema": schema(&format!("{name} Response"), "Translated result.", &[("result", "string"), ("found", "boolean")], false) },
        });
        let version = 1 + rng.below(25) as i64;
        let secure = rng.chance(0.15);
        let doc = action_doc(
            &id,
            &name,
            &integ.id,
            &category,
            contract,
            version,
            secure,
            Value::Object(config_doc(timeout, request, response)),
        );
        if rng.chance(0.02) {
            let mut draft = doc.clone();
            draft["version"] = json!(1 + rng.below(3) as i64);
            draft["selfUri"] = json!(format!("{ACTIONS_PATH}/{id}/draft"));
            b.drafts.push(draft);
        }
        let roll = rng.below(100);
        let latency = if roll < 90 {
            40 + rng.below(2_460)
        } else if roll < 97 {
            2_500 + rng.below(17_500)
        } else {
            20_000 + rng.below(70_000)
        };
        b.latency.insert(id, latency);
        b.actions.push(doc);
    }
}

/// The seeded org: the realistic actions plus `synthetic` generated ones.
pub(crate) fn seed_org(seed: u64, synthetic_actions: usize) -> OrgData {
    let mut b = Builder {
        integs: integrations(),
        functions: Vec::new(),
        actions: Vec::new(),
        drafts: Vec::new(),
        latency: HashMap::new(),
    };
    realistic(&mut b);
    synthetic(&mut b, seed, synthetic_actions);
    let integrations = b.integs.iter().map(integration_doc).collect();
    OrgData::new(integrations, b.actions, b.drafts, b.latency).with_functions(b.functions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{kind_of, Kind};

    #[test]
    fn realistic_org_has_every_kind() {
        let org = seed_org(42, 0);
        let state = org.to_state("x");
        let actions = state["actions"].as_array().expect("actions");
        assert!((25..=40).contains(&actions.len()), "{}", actions.len());
        let ids: Vec<&str> = actions.iter().filter_map(|a| a["id"].as_str()).collect();
        assert_eq!(ids.iter().filter(|i| kind_of(i) == Kind::Static).count(), 1);
        assert_eq!(
            ids.iter()
                .filter(|i| kind_of(i) == Kind::CustomAuth)
                .count(),
            1
        );
        assert_eq!(state["drafts"].as_array().map(Vec::len), Some(2));
        let dup = actions
            .iter()
            .filter(|a| a["name"] == "Get Contact By Phone Number")
            .count();
        assert_eq!(dup, 2);
        // Function data actions: told apart by their integration's type only.
        let functions: Vec<&Value> = actions
            .iter()
            .filter(|a| org.is_function_action(a))
            .collect();
        assert_eq!(functions.len(), 2);
        for f in &functions {
            let c = f["category"].as_str().expect("category").to_lowercase();
            assert!(!c.contains("function"), "{c}");
            assert!(f["config"].get("function").is_none());
        }
        let timeouts: Vec<Option<u64>> = functions
            .iter()
            .map(|f| org.function_timeout(f["id"].as_str().expect("id")))
            .collect();
        assert!(timeouts.contains(&Some(10)) && timeouts.contains(&Some(15)));
        assert_eq!(state["functions"].as_array().map(Vec::len), Some(2));
        let text = serde_json::to_string(&state).expect("json");
        for needle in [
            "\\\\",
            "\\n",
            "é",
            "ü",
            "日本",
            "🎫",
            "retryPolicy",
            "followRedirects",
            "responseCaching",
        ] {
            assert!(text.contains(needle), "missing {needle}");
        }
    }

    #[test]
    fn synthetic_is_deterministic() {
        let a = serde_json::to_string(&seed_org(7, 200).to_state("x")).expect("json");
        let b = serde_json::to_string(&seed_org(7, 200).to_state("x")).expect("json");
        let c = serde_json::to_string(&seed_org(8, 200).to_state("x")).expect("json");
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
