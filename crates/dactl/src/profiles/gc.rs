//! gc's config (`~/.gc/config.toml`), read only: one table per profile, of which dactl reads
//! `environment`, `client_credentials` and `client_secret` and ignores the rest (gc writes many
//! keys, and they are gc's business).

use genesys_client::Secret;
use serde::Deserialize;

use crate::error::Failure;

use super::de;
use super::files::{bad_key, parse_toml, readable_by_others, readable_warning};
use super::{ConfigFile, Endpoint, Profile, SecretRef, Tool};

/// Map gc's `environment` value to an endpoint: `localhost[:port]` is plain HTTP on loopback
/// (as gc does), anything else is a region name or a domain.
fn gc_endpoint(env: &str) -> Endpoint {
    let e = env.trim();
    if e == "localhost" || e.starts_with("localhost:") {
        Endpoint::BaseUrl(format!("http://{e}"))
    } else {
        Endpoint::Region(e.to_string())
    }
}

/// The keys dactl reads from one gc profile (the others are ignored). No `Debug`: it holds a
/// secret.
#[derive(Deserialize)]
struct RawGcProfile {
    #[serde(default, deserialize_with = "de::blank_is_none")]
    environment: Option<String>,
    #[serde(default, deserialize_with = "de::blank_is_none")]
    client_credentials: Option<String>,
    #[serde(default, deserialize_with = "de::blank_is_none")]
    client_secret: Option<String>,
}

/// Parse gc's config (read only; unknown keys are gc's business and ignored).
pub fn parse_gc(file: &ConfigFile) -> Result<Vec<Profile>, Failure> {
    let path = &file.path;
    let root = parse_toml(file)?;
    let mut out = Vec::new();
    for (name, body) in root {
        // gc keeps only profile tables at the top level; anything else is not ours to judge.
        if !body.is_table() {
            continue;
        }
        let raw: RawGcProfile = de::from_value_lenient(body).map_err(|e| {
            let key = match &e.key {
                Some(k) => format!("{name}.{k}"),
                None => name.clone(),
            };
            bad_key(path, &key, &e.problem_text())
        })?;
        let endpoint = raw.environment.map(|e| gc_endpoint(&e));
        let mut warnings = Vec::new();
        let secret = raw.client_secret.map(|s| SecretRef::Plain {
            secret: Secret::new(s),
            file: path.clone(),
        });
        if secret.is_some() {
            if let Some(m) = file.mode.filter(|m| readable_by_others(Some(*m))) {
                warnings.push(readable_warning(path, m));
            }
        }
        out.push(Profile {
            name: name.to_lowercase(),
            tool: Tool::Gc,
            path: path.clone(),
            endpoint,
            client_id: raw.client_credentials,
            secret,
            tokens: None,
            ca_file: None,
            warnings,
        });
    }
    Ok(out)
}
