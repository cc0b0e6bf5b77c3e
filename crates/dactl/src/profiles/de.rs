//! A serde `Deserializer` over a parsed TOML value whose errors are structured: the dotted key
//! they concern and what is wrong with it, so that the derived config types report a bad file
//! in dactl's own words ("`profiles.p.client_id` must be a string, not an integer") and never
//! quote a value (a config file may hold a secret).
//!
//! Two things differ from `toml`'s own deserializer: in strict mode a struct reports an unknown key before any
//! bad value (serde passes the struct's field names, so they are checked up front), and a date
//! is never taken for a string.

use std::fmt;

use serde::de::{
    self, DeserializeSeed, Expected, IntoDeserializer, MapAccess, Unexpected, Visitor,
};

/// What is wrong with a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// The key is not one the table may hold.
    Unknown,
    /// The value has the wrong type: `expected` and `found` read "a string", "an integer", ….
    Type {
        /// What the key must hold.
        expected: String,
        /// What it holds.
        found: &'static str,
    },
    /// Anything else, in words that follow the key (e.g. "is empty").
    Other(String),
}

/// A deserialization error: the key (dotted, relative to the value deserialized; `None` for the
/// value itself) and the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Error {
    /// The dotted key, e.g. `profiles.p.region`.
    pub key: Option<String>,
    /// What is wrong with it.
    pub problem: Problem,
}

impl Error {
    /// The same error, seen from the table that holds `key`.
    fn under(mut self, key: &str) -> Self {
        self.key = Some(match self.key.take() {
            Some(inner) => format!("{key}.{inner}"),
            None => key.to_string(),
        });
        self
    }

    /// The words after the key: "is not a known key", "must be a string, not an integer", ….
    pub fn problem_text(&self) -> String {
        match &self.problem {
            Problem::Unknown => "is not a known key".to_string(),
            Problem::Type { expected, found } => format!("must be {expected}, not {found}"),
            Problem::Other(words) => words.clone(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(k) => write!(f, "`{k}` {}", self.problem_text()),
            None => f.write_str(&self.problem_text()),
        }
    }
}

impl std::error::Error for Error {}

/// How serde's `Expected` texts read in dactl's messages.
fn expected_words(exp: &dyn Expected) -> String {
    let e = exp.to_string();
    match e.as_str() {
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" => "an integer".to_string(),
        "a map" => "a table".to_string(),
        _ if e.starts_with("struct ") => "a table".to_string(),
        _ => e,
    }
}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error {
            key: None,
            problem: Problem::Other(msg.to_string()),
        }
    }

    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        let found = match unexp {
            Unexpected::Bool(_) => "a boolean",
            Unexpected::Signed(_) | Unexpected::Unsigned(_) => "an integer",
            Unexpected::Float(_) => "a float",
            Unexpected::Str(_) | Unexpected::Char(_) => "a string",
            Unexpected::Seq => "an array",
            Unexpected::Map => "a table",
            Unexpected::Other(DATE) => DATE,
            _ => "another type",
        };
        Error {
            key: None,
            problem: Problem::Type {
                expected: expected_words(exp),
                found,
            },
        }
    }

    fn unknown_field(field: &str, _expected: &'static [&'static str]) -> Self {
        Error {
            key: Some(field.to_string()),
            problem: Problem::Unknown,
        }
    }
}

/// A TOML value as serde's [`Unexpected`].
fn unexpected(v: &toml::Value) -> Unexpected<'_> {
    match v {
        toml::Value::String(s) => Unexpected::Str(s),
        toml::Value::Integer(i) => Unexpected::Signed(*i),
        toml::Value::Float(x) => Unexpected::Float(*x),
        toml::Value::Boolean(b) => Unexpected::Bool(*b),
        toml::Value::Datetime(_) => Unexpected::Other(DATE),
        toml::Value::Array(_) => Unexpected::Seq,
        toml::Value::Table(_) => Unexpected::Map,
    }
}

/// How a TOML date is named in messages.
const DATE: &str = "a date";

/// Deserialize a TOML value; `strict` (for types that deny unknown fields) checks a struct's
/// keys before its values.
pub(crate) struct ValueDe {
    value: toml::Value,
    strict: bool,
}

impl<'de> IntoDeserializer<'de, Error> for ValueDe {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> de::Deserializer<'de> for ValueDe {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let strict = self.strict;
        match self.value {
            toml::Value::String(s) => visitor.visit_string(s),
            toml::Value::Integer(i) => visitor.visit_i64(i),
            toml::Value::Float(x) => visitor.visit_f64(x),
            toml::Value::Boolean(b) => visitor.visit_bool(b),
            toml::Value::Datetime(_) => {
                Err(de::Error::invalid_type(Unexpected::Other(DATE), &visitor))
            }
            toml::Value::Array(a) => visitor.visit_seq(de::value::SeqDeserializer::new(
                a.into_iter().map(|value| ValueDe { value, strict }),
            )),
            toml::Value::Table(t) => visitor.visit_map(TableDe {
                entries: t.into_iter(),
                value: None,
                strict,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // Only a table is a struct (serde would also take an array, field by field).
        let t = match &self.value {
            toml::Value::Table(t) => t,
            other => return Err(de::Error::invalid_type(unexpected(other), &visitor)),
        };
        if self.strict {
            if let Some(k) = t.keys().find(|k| !fields.contains(&k.as_str())) {
                return Err(de::Error::unknown_field(k, fields));
            }
        }
        self.deserialize_any(visitor)
    }

    /// A key the type ignores (gc's many keys) is skipped whatever it holds, a date included.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
    }
}

/// The entries of a table, each value's errors put under its key.
struct TableDe {
    entries: <toml::Table as IntoIterator>::IntoIter,
    value: Option<(String, toml::Value)>,
    strict: bool,
}

impl<'de> MapAccess<'de> for TableDe {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((k, v)) = self.entries.next() else {
            return Ok(None);
        };
        let key = seed.deserialize(k.clone().into_deserializer())?;
        self.value = Some((k, v));
        Ok(Some(key))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some((k, v)) = self.value.take() else {
            return Err(de::Error::custom("has no value"));
        };
        seed.deserialize(ValueDe {
            value: v,
            strict: self.strict,
        })
        .map_err(|e| e.under(&k))
    }
}

/// A string that is not blank, trimmed.
pub(crate) struct NonBlank(pub String);

impl<'de> serde::Deserialize<'de> for NonBlank {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.trim() {
            "" => Err(de::Error::custom("is empty")),
            t => Ok(NonBlank(t.to_string())),
        }
    }
}

/// A string, trimmed; blank is `None` (gc writes every key, many of them empty).
pub(crate) fn blank_is_none<'de, D: de::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    let s: Option<String> = serde::Deserialize::deserialize(d)?;
    Ok(s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()))
}

/// Deserialize `T`, whose structs deny unknown fields, from a TOML value: an unknown key is
/// reported before any bad value.
pub(crate) fn from_value<T: serde::de::DeserializeOwned>(value: toml::Value) -> Result<T, Error> {
    T::deserialize(ValueDe {
        value,
        strict: true,
    })
}

/// Deserialize `T`, whose structs ignore unknown fields, from a TOML value.
pub(crate) fn from_value_lenient<T: serde::de::DeserializeOwned>(
    value: toml::Value,
) -> Result<T, Error> {
    T::deserialize(ValueDe {
        value,
        strict: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // only the errors are looked at
    struct T {
        a: Option<String>,
        b: Option<bool>,
        n: Option<i64>,
    }

    fn err(text: &str) -> String {
        let v: toml::Table = text.parse().unwrap();
        from_value::<T>(toml::Value::Table(v))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn errors_name_the_key_and_both_types() {
        assert_eq!(err("a = 1"), "`a` must be a string, not an integer");
        assert_eq!(err("b = \"x\""), "`b` must be a boolean, not a string");
        assert_eq!(err("n = 1.5"), "`n` must be an integer, not a float");
        assert_eq!(err("a = 1979-05-27"), "`a` must be a string, not a date");
        assert_eq!(err("a = [\"x\"]"), "`a` must be a string, not an array");
        // An unknown key is reported before a bad value, whatever their order.
        assert_eq!(err("a = 1\nz = 2"), "`z` is not a known key");
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)] // only whether it parses is looked at
    struct Lenient {
        a: Option<String>,
    }

    #[test]
    fn lenient_types_skip_any_other_key() {
        let v: toml::Table =
            "a = \"x\"\nwhen = 1979-05-27\nlist = [1979-05-27]\n[t]\nd = 1979-05-27\n"
                .parse()
                .unwrap();
        let l: Lenient = from_value_lenient(toml::Value::Table(v)).unwrap();
        assert_eq!(l.a.as_deref(), Some("x"));
    }
}
