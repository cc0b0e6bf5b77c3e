//! dactl's own config: `[profiles.NAME]` tables, parsed with serde into [`RawFile`] and
//! checked strictly (unknown keys, wrong types, two endpoints, two secret sources, an id
//! without a secret); every error names the file and the key.
//!
//! The checks report in this order: an unknown key anywhere, then a value of the wrong type or
//! a blank string (key by key, in the file's sorted order), then each profile's combination of
//! keys (by profile name).

use std::collections::BTreeMap;

use genesys_client::Secret;
use serde::Deserialize;

use crate::env::EnvVars;
use crate::error::Failure;

use super::de::{self, NonBlank, Problem};
use super::files::{bad_key, expand_path, parse_toml, readable_by_others, readable_warning};
use super::{
    check_tokens, ConfigFile, Endpoint, Profile, SecretRef, Tool, PROFILE_KEYS, TOKENS_HINT,
};

/// The whole file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    profiles: BTreeMap<String, RawProfile>,
}

/// One `[profiles.NAME]` table, as written (its keys are [`PROFILE_KEYS`]). No `Debug`: it may
/// hold a secret.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    region: Option<NonBlank>,
    base_url: Option<NonBlank>,
    client_id: Option<NonBlank>,
    client_secret_env: Option<NonBlank>,
    client_secret_file: Option<NonBlank>,
    client_secret_keyring: Option<bool>,
    client_secret: Option<NonBlank>,
    tokens: Option<i64>,
    ca_file: Option<NonBlank>,
}

/// The failure for a deserialization error, with the hint its key calls for.
fn failure(file: &ConfigFile, e: de::Error) -> Failure {
    let key = e.key.clone().unwrap_or_default();
    let f = bad_key(&file.path, &key, &e.problem_text());
    let depth = key.split('.').count();
    match (&e.problem, depth) {
        (Problem::Unknown, 1) => f.hint(
            "dactl's config holds only `[profiles.NAME]` tables; see `dactl profiles --help`",
        ),
        (Problem::Unknown, _) => f.hint(format!("a profile may hold: {}", PROFILE_KEYS.join(", "))),
        (Problem::Type { .. }, 3) if key.ends_with(".tokens") => f.hint(TOKENS_HINT),
        _ => f,
    }
}

/// Parse dactl's config. Pure: `file` holds the text and mode, `env` expands `~`.
pub fn parse_dactl(file: &ConfigFile, env: &EnvVars) -> Result<Vec<Profile>, Failure> {
    let root = parse_toml(file)?;
    let raw: RawFile = de::from_value(toml::Value::Table(root)).map_err(|e| failure(file, e))?;
    raw.profiles
        .into_iter()
        .map(|(name, p)| profile(file, &name, p, env))
        .collect()
}

/// Check one profile's combination of keys and build it.
fn profile(
    file: &ConfigFile,
    name: &str,
    raw: RawProfile,
    env: &EnvVars,
) -> Result<Profile, Failure> {
    let path = &file.path;
    let text = |v: Option<NonBlank>| v.map(|v| v.0);
    let endpoint = match (text(raw.region), text(raw.base_url)) {
        (Some(_), Some(_)) => {
            return Err(Failure::usage(format!(
                "`{}`: profile `{name}` sets both `region` and `base_url`",
                path.display()
            ))
            .hint("keep one: `base_url` reaches any server, `region` a Genesys Cloud region"))
        }
        (Some(r), None) => Some(Endpoint::Region(r)),
        (None, Some(u)) => Some(Endpoint::BaseUrl(u)),
        (None, None) => None,
    };
    let client_id = text(raw.client_id);
    let ca_file = text(raw.ca_file).map(|f| expand_path(&f, path, env));
    let mut warnings = Vec::new();
    let mut sources: Vec<SecretRef> = Vec::new();
    if let Some(v) = text(raw.client_secret_env) {
        sources.push(SecretRef::Env(v));
    }
    if let Some(f) = text(raw.client_secret_file) {
        sources.push(SecretRef::File(expand_path(&f, path, env)));
    }
    if raw.client_secret_keyring == Some(true) {
        sources.push(SecretRef::Keyring {
            account: name.to_string(),
        });
    }
    if let Some(s) = text(raw.client_secret) {
        warnings.push(format!(
            "profile `{name}` keeps its client secret in plain text in `{}`; prefer `client_secret_env`, `client_secret_file` or `client_secret_keyring`",
            path.display()
        ));
        if let Some(m) = file.mode.filter(|m| readable_by_others(Some(*m))) {
            warnings.push(readable_warning(path, m));
        }
        sources.push(SecretRef::Plain {
            secret: Secret::new(s),
            file: path.clone(),
        });
    }
    if sources.len() > 1 {
        let kinds: Vec<&str> = sources.iter().map(SecretRef::kind).collect();
        return Err(Failure::usage(format!(
            "`{}`: profile `{name}` has {} secret sources ({})",
            path.display(),
            sources.len(),
            kinds.join(", ")
        ))
        .hint("keep exactly one of `client_secret_env`, `client_secret_file`, `client_secret_keyring`, `client_secret`"));
    }
    let secret = sources.pop();
    let tokens = raw
        .tokens
        .map(|n| {
            check_tokens(
                n,
                &format!("`{}`: `profiles.{name}.tokens`", path.display()),
            )
        })
        .transpose()?;
    match (&client_id, &secret) {
        (Some(_), None) => {
            return Err(Failure::usage(format!(
                "`{}`: profile `{name}` sets `client_id` but no secret",
                path.display()
            ))
            .hint("add `client_secret_env = \"VAR\"`, `client_secret_file = \"PATH\"` or `client_secret_keyring = true`"))
        }
        (None, Some(_)) => {
            return Err(Failure::usage(format!(
                "`{}`: profile `{name}` has a secret but no `client_id`",
                path.display()
            ))
            .hint("add `client_id = \"…\"` (the OAuth client's id)"))
        }
        _ => {}
    }
    Ok(Profile {
        name: name.to_string(),
        tool: Tool::Dactl,
        path: path.clone(),
        endpoint,
        client_id,
        secret,
        tokens,
        ca_file,
        warnings,
    })
}
