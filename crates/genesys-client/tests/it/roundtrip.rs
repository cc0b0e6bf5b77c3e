//! Property tests: the wire models are lossless. Any JSON object with valid known fields and
//! arbitrary unknown fields (nested values of every JSON type) deserializes and serializes
//! back to an equal `serde_json::Value`, through values and through text.

use genesys_client::{Action, ActionConfig, EntityListing, ErrorBody, UpdateDraftInput};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

/// Keys that cannot collide with any known field (none starts with `x`).
fn unknown_key() -> impl Strategy<Value = String> {
    "x[a-zA-Z0-9_ é]{0,8}"
}

fn any_key() -> impl Strategy<Value = String> {
    "\\PC{0,8}"
}

fn text() -> impl Strategy<Value = String> {
    "\\PC{0,16}"
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        // Binary fractions print and parse exactly.
        (-100_000i32..100_000).prop_map(|n| Value::from(f64::from(n) / 8.0)),
        text().prop_map(Value::from),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((any_key(), inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn non_null_json() -> impl Strategy<Value = Value> {
    any_json().prop_filter("known optional fields are never null", |v| !v.is_null())
}

fn unknown_fields() -> impl Strategy<Value = Vec<(String, Value)>> {
    prop::collection::vec((unknown_key(), any_json()), 0..4)
}

fn string_map() -> impl Strategy<Value = Value> {
    prop::collection::vec((any_key(), text().prop_map(Value::from)), 0..4)
        .prop_map(|kv| Value::Object(kv.into_iter().collect()))
}

fn object(known: Vec<(&'static str, Option<Value>)>, extra: Vec<(String, Value)>) -> Value {
    let mut m = Map::new();
    for (k, v) in extra {
        m.insert(k, v);
    }
    for (k, v) in known {
        if let Some(v) = v {
            m.insert(k.to_string(), v);
        }
    }
    Value::Object(m)
}

fn opt_text() -> impl Strategy<Value = Option<Value>> {
    prop::option::of(text().prop_map(Value::from))
}

fn request_config() -> impl Strategy<Value = Value> {
    (
        opt_text(),
        opt_text(),
        opt_text(),
        opt_text(),
        prop::option::of(string_map()),
        unknown_fields(),
    )
        .prop_map(|(url, tpl, uri, ty, headers, extra)| {
            object(
                vec![
                    ("requestUrlTemplate", url),
                    ("requestTemplate", tpl),
                    ("requestTemplateUri", uri),
                    ("requestType", ty),
                    ("headers", headers),
                ],
                extra,
            )
        })
}

fn response_config() -> impl Strategy<Value = Value> {
    (
        prop::option::of(string_map()),
        prop::option::of(string_map()),
        opt_text(),
        opt_text(),
        unknown_fields(),
    )
        .prop_map(|(tm, tmd, st, stu, extra)| {
            object(
                vec![
                    ("translationMap", tm),
                    ("translationMapDefaults", tmd),
                    ("successTemplate", st),
                    ("successTemplateUri", stu),
                ],
                extra,
            )
        })
}

fn action_config() -> impl Strategy<Value = Value> {
    (
        prop::option::of(any::<i64>().prop_map(Value::from)),
        prop::option::of(request_config()),
        prop::option::of(response_config()),
        unknown_fields(),
    )
        .prop_map(|(timeout, req, resp, extra)| {
            object(
                vec![
                    ("timeoutSeconds", timeout),
                    ("request", req),
                    ("response", resp),
                ],
                extra,
            )
        })
}

fn action() -> impl Strategy<Value = Value> {
    (
        text(),
        prop::option::of("\\PC{1,16}".prop_map(Value::from)),
        (opt_text(), opt_text(), opt_text()),
        prop::option::of(any::<i64>().prop_map(Value::from)),
        prop::option::of(any::<bool>().prop_map(Value::from)),
        prop::option::of(action_config()),
        prop::option::of(non_null_json()),
        unknown_fields(),
    )
        .prop_map(
            |(
                id,
                name,
                (integration, category, self_uri),
                version,
                secure,
                config,
                contract,
                extra,
            )| {
                object(
                    vec![
                        ("id", Some(Value::from(id))),
                        ("name", name),
                        ("integrationId", integration),
                        ("category", category),
                        ("version", version),
                        ("secure", secure),
                        ("config", config),
                        ("contract", contract),
                        ("selfUri", self_uri),
                    ],
                    extra,
                )
            },
        )
}

fn error_body() -> impl Strategy<Value = Value> {
    (
        (
            opt_text(),
            opt_text(),
            prop::option::of(any::<i64>().prop_map(Value::from)),
        ),
        (opt_text(), opt_text(), opt_text(), opt_text()),
        prop::option::of(string_map()),
        prop::option::of(prop::collection::vec(any_json(), 0..3).prop_map(Value::Array)),
        prop::option::of(prop::collection::vec(any_json(), 0..3).prop_map(Value::Array)),
        prop::option::of(non_null_json()),
        unknown_fields(),
    )
        .prop_map(
            |(
                (message, code, status),
                (eid, ename, mwp, ctx),
                params,
                details,
                errors,
                limit,
                extra,
            )| {
                object(
                    vec![
                        ("message", message),
                        ("code", code),
                        ("status", status),
                        ("entityId", eid),
                        ("entityName", ename),
                        ("messageWithParams", mwp),
                        ("messageParams", params),
                        ("contextId", ctx),
                        ("details", details),
                        ("errors", errors),
                        ("limit", limit),
                    ],
                    extra,
                )
            },
        )
}

fn listing() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(action(), 0..3),
        prop::option::of(any::<i64>().prop_map(Value::from)),
        prop::option::of(any::<i64>().prop_map(Value::from)),
        (opt_text(), opt_text(), opt_text()),
        unknown_fields(),
    )
        .prop_map(
            |(entities, total, page_count, (first, next, self_uri), extra)| {
                object(
                    vec![
                        ("entities", Some(Value::Array(entities))),
                        ("total", total),
                        ("pageCount", page_count),
                        ("firstUri", first),
                        ("nextUri", next),
                        ("selfUri", self_uri),
                    ],
                    extra,
                )
            },
        )
}

/// Value → T → Value, and text → T → text, are both the identity.
fn assert_lossless<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(doc: &Value) {
    let typed: T = serde_json::from_value(doc.clone()).unwrap();
    assert_eq!(&serde_json::to_value(&typed).unwrap(), doc);
    let text = serde_json::to_string(doc).unwrap();
    let typed_from_text: T = serde_json::from_str(&text).unwrap();
    assert_eq!(typed_from_text, typed);
    let back: Value =
        serde_json::from_str(&serde_json::to_string(&typed_from_text).unwrap()).unwrap();
    let expected: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(back, expected);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn actions_round_trip(doc in action()) {
        assert_lossless::<Action>(&doc);
    }

    #[test]
    fn configs_round_trip(doc in action_config()) {
        assert_lossless::<ActionConfig>(&doc);
    }

    #[test]
    fn error_bodies_round_trip(doc in error_body()) {
        assert_lossless::<ErrorBody>(&doc);
    }

    #[test]
    fn listings_round_trip(doc in listing()) {
        assert_lossless::<EntityListing<Action>>(&doc);
    }

    #[test]
    fn draft_inputs_round_trip(version in any::<i64>(), config in prop::option::of(action_config()), extra in unknown_fields()) {
        let doc = object(vec![("version", Some(Value::from(version))), ("config", config)], extra);
        assert_lossless::<UpdateDraftInput>(&doc);
    }

    /// Changing only the timeout of a decoded action changes only that one value.
    #[test]
    fn timeout_change_touches_nothing_else(doc in action(), timeout in 1i64..=60) {
        let mut action: Action = serde_json::from_value(doc.clone()).unwrap();
        action.config.get_or_insert_with(ActionConfig::default).timeout_seconds = Some(timeout);
        let mut expected = doc.clone();
        let obj = expected.as_object_mut().unwrap();
        let config = obj.entry("config").or_insert_with(|| Value::Object(Map::new()));
        config.as_object_mut().unwrap().insert("timeoutSeconds".into(), Value::from(timeout));
        prop_assert_eq!(serde_json::to_value(&action).unwrap(), expected);
    }
}
