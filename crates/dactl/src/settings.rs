//! Settings, resolved once.
//!
//! Flags, environment and defaults are merged by pure functions over an injected [`EnvVars`]
//! (the binary passes the process environment; tests pass a map). Library code never reads
//! `std::env`. Precedence: flag > environment > default.
//!
//! Credentials come from `GENESYSCLOUD_OAUTHCLIENT_ID`/`GENESYSCLOUD_OAUTHCLIENT_SECRET` (the
//! variables the official CLI and the Terraform provider read) or from
//! `GENESYS_CLIENT_ID`/`GENESYS_CLIENT_SECRET`. When both sets are present and disagree, dactl
//! refuses to guess. The region comes from `--region`, then `GENESYSCLOUD_REGION`, then the
//! default `us-east-1` (the official SDKs' default); `--base-url` overrides both.

use std::collections::BTreeMap;
use std::path::PathBuf;

use genesys_client::{Credentials, Environment, Secret};

use crate::error::Failure;

/// An injected snapshot of the environment variables.
#[derive(Debug, Clone, Default)]
pub struct EnvVars {
    vars: BTreeMap<String, String>,
}

impl EnvVars {
    /// Build from `(name, value)` pairs, e.g. `std::env::vars()`.
    pub fn from_pairs<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Self {
        EnvVars {
            vars: pairs.into_iter().collect(),
        }
    }

    /// The raw value of a variable, if set (possibly empty).
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// A variable that is set; an empty value is an error that names the variable.
    pub fn non_empty(&self, name: &str) -> Result<Option<&str>, Failure> {
        match self.raw(name) {
            None => Ok(None),
            Some(v) if v.trim().is_empty() => Err(Failure::usage(format!(
                "the environment variable `{name}` is set but empty"
            ))
            .hint(format!("set it to a value, or unset it: `unset {name}`"))),
            Some(v) => Ok(Some(v)),
        }
    }
}

/// Where dactl keeps its state: `DACTL_HOME`, else `$XDG_DATA_HOME/dactl`, else
/// `$HOME/.local/share/dactl`.
pub fn resolve_home(env: &EnvVars) -> Result<PathBuf, Failure> {
    if let Some(h) = env.non_empty("DACTL_HOME")? {
        return Ok(PathBuf::from(h));
    }
    if let Some(x) = env.raw("XDG_DATA_HOME").filter(|v| !v.trim().is_empty()) {
        return Ok(PathBuf::from(x).join("dactl"));
    }
    if let Some(h) = env.raw("HOME").filter(|v| !v.trim().is_empty()) {
        return Ok(PathBuf::from(h).join(".local/share/dactl"));
    }
    Err(Failure::usage("cannot find a folder for dactl's state")
        .hint("set `DACTL_HOME` to a writable folder"))
}

/// The connection inputs given as flags.
#[derive(Debug, Clone, Default)]
pub struct ConnectionFlags {
    /// `--region`.
    pub region: Option<String>,
    /// `--base-url`.
    pub base_url: Option<String>,
    /// `--sandbox`.
    pub sandbox: bool,
    /// `--profile` (profiles are resolved by a later layer; accepted here for precedence).
    pub profile: Option<String>,
}

/// Where the commands send their requests.
#[derive(Debug, Clone)]
pub enum Target {
    /// The embedded emulator, state under `$DACTL_HOME/sandbox`.
    Sandbox,
    /// A Genesys Cloud org (or any emulator reached by URL).
    Remote {
        /// API and login hosts.
        environment: Environment,
        /// Client credentials.
        credentials: Credentials,
    },
}

const ENV_SETS: [(&str, &str); 2] = [
    (
        "GENESYSCLOUD_OAUTHCLIENT_ID",
        "GENESYSCLOUD_OAUTHCLIENT_SECRET",
    ),
    ("GENESYS_CLIENT_ID", "GENESYS_CLIENT_SECRET"),
];

/// Read client credentials from the environment. `Ok(None)` when none are set.
pub fn credentials_from_env(env: &EnvVars) -> Result<Option<Credentials>, Failure> {
    let mut found: Vec<Credentials> = Vec::new();
    for (id_var, secret_var) in ENV_SETS {
        let id = env.non_empty(id_var)?;
        let secret = env.non_empty(secret_var)?;
        match (id, secret) {
            (Some(id), Some(secret)) => found.push(Credentials {
                client_id: id.trim().to_string(),
                client_secret: Secret::new(secret.to_string()),
                source: format!("environment variables `{id_var}`/`{secret_var}`"),
            }),
            (Some(_), None) => {
                return Err(
                    Failure::usage(format!("`{id_var}` is set but `{secret_var}` is not"))
                        .hint(format!("export `{secret_var}` too, or unset `{id_var}`")),
                )
            }
            (None, Some(_)) => {
                return Err(
                    Failure::usage(format!("`{secret_var}` is set but `{id_var}` is not"))
                        .hint(format!("export `{id_var}` too, or unset `{secret_var}`")),
                )
            }
            (None, None) => {}
        }
    }
    if found.len() == 2 {
        let same = found[0].client_id == found[1].client_id
            && found[0].client_secret.expose() == found[1].client_secret.expose();
        if !same {
            return Err(Failure::usage(
                "two different sets of client credentials are in the environment",
            )
            .hint("`GENESYSCLOUD_OAUTHCLIENT_ID`/`_SECRET` and `GENESYS_CLIENT_ID`/`_SECRET` disagree; unset one pair"));
        }
    }
    Ok(found.into_iter().next())
}

/// Resolve where to connect: the sandbox, or an environment with credentials.
pub fn resolve_target(flags: &ConnectionFlags, env: &EnvVars) -> Result<Target, anyhow::Error> {
    if flags.sandbox {
        if flags.base_url.is_some() || flags.region.is_some() {
            return Err(Failure::usage(
                "`--sandbox` cannot be combined with `--region` or `--base-url`",
            )
            .hint(
                "the sandbox is an emulator inside dactl; drop `--sandbox` to reach another server",
            )
            .into());
        }
        return Ok(Target::Sandbox);
    }
    let environment = if let Some(url) = flags.base_url.as_deref() {
        Environment::from_base_url(url.trim())?
    } else {
        let region = match flags.region.as_deref() {
            Some(r) => Some(r.to_string()),
            None => env.non_empty("GENESYSCLOUD_REGION")?.map(str::to_string),
        };
        Environment::from_region(region.as_deref().unwrap_or("us-east-1").trim())?
    };
    let credentials = credentials_from_env(env)?.ok_or_else(|| {
        Failure::usage("no client credentials: set `GENESYSCLOUD_OAUTHCLIENT_ID` and `GENESYSCLOUD_OAUTHCLIENT_SECRET`")
            .hint("or try dactl with no org at all: `dactl --sandbox list`")
    })?;
    Ok(Target::Remote {
        environment,
        credentials,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> EnvVars {
        EnvVars::from_pairs(pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())))
    }

    #[test]
    fn home_precedence() {
        assert_eq!(
            resolve_home(&env(&[("DACTL_HOME", "/x"), ("HOME", "/h")])).unwrap(),
            PathBuf::from("/x")
        );
        assert_eq!(
            resolve_home(&env(&[("XDG_DATA_HOME", "/d"), ("HOME", "/h")])).unwrap(),
            PathBuf::from("/d/dactl")
        );
        assert_eq!(
            resolve_home(&env(&[("HOME", "/h")])).unwrap(),
            PathBuf::from("/h/.local/share/dactl")
        );
        assert!(resolve_home(&env(&[("DACTL_HOME", "")])).is_err());
    }

    #[test]
    fn credentials_sources() {
        let c = credentials_from_env(&env(&[
            ("GENESYS_CLIENT_ID", "id2"),
            ("GENESYS_CLIENT_SECRET", "s2"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(c.client_id, "id2");
        assert!(c.source.contains("GENESYS_CLIENT_ID"));
        assert!(!c.source.contains("s2"));
        assert!(credentials_from_env(&env(&[])).unwrap().is_none());
        // half a pair
        assert!(credentials_from_env(&env(&[("GENESYS_CLIENT_ID", "a")])).is_err());
        // empty variable
        let e = credentials_from_env(&env(&[
            ("GENESYSCLOUD_OAUTHCLIENT_ID", ""),
            ("GENESYSCLOUD_OAUTHCLIENT_SECRET", "x"),
        ]))
        .unwrap_err();
        assert!(e.message.contains("empty"));
        // both sets, different
        assert!(credentials_from_env(&env(&[
            ("GENESYSCLOUD_OAUTHCLIENT_ID", "a"),
            ("GENESYSCLOUD_OAUTHCLIENT_SECRET", "b"),
            ("GENESYS_CLIENT_ID", "c"),
            ("GENESYS_CLIENT_SECRET", "d"),
        ]))
        .is_err());
        // both sets, same: fine, the official names win
        let c = credentials_from_env(&env(&[
            ("GENESYSCLOUD_OAUTHCLIENT_ID", "a"),
            ("GENESYSCLOUD_OAUTHCLIENT_SECRET", "b"),
            ("GENESYS_CLIENT_ID", "a"),
            ("GENESYS_CLIENT_SECRET", "b"),
        ]))
        .unwrap()
        .unwrap();
        assert!(c.source.contains("GENESYSCLOUD_OAUTHCLIENT_ID"));
    }

    #[test]
    fn region_precedence_flag_over_env() {
        let e = env(&[
            ("GENESYSCLOUD_REGION", "eu-west-1"),
            ("GENESYS_CLIENT_ID", "a"),
            ("GENESYS_CLIENT_SECRET", "b"),
        ]);
        let flags = ConnectionFlags {
            region: Some("ap_northeast_1".into()),
            ..Default::default()
        };
        match resolve_target(&flags, &e).unwrap() {
            Target::Remote { environment, .. } => {
                assert_eq!(environment.api_base, "https://api.mypurecloud.jp")
            }
            Target::Sandbox => panic!("remote expected"),
        }
        match resolve_target(&ConnectionFlags::default(), &e).unwrap() {
            Target::Remote { environment, .. } => {
                assert_eq!(environment.api_base, "https://api.mypurecloud.ie")
            }
            Target::Sandbox => panic!("remote expected"),
        }
        match resolve_target(
            &ConnectionFlags::default(),
            &env(&[("GENESYS_CLIENT_ID", "a"), ("GENESYS_CLIENT_SECRET", "b")]),
        )
        .unwrap()
        {
            Target::Remote { environment, .. } => {
                assert_eq!(environment.api_base, "https://api.mypurecloud.com")
            }
            Target::Sandbox => panic!("remote expected"),
        }
    }

    #[test]
    fn sandbox_needs_no_credentials() {
        let flags = ConnectionFlags {
            sandbox: true,
            ..Default::default()
        };
        assert!(matches!(
            resolve_target(&flags, &env(&[])).unwrap(),
            Target::Sandbox
        ));
    }

    #[test]
    fn missing_credentials_is_usage() {
        let err = resolve_target(&ConnectionFlags::default(), &env(&[])).unwrap_err();
        assert_eq!(crate::error::exit_code_for(&err), crate::error::Exit::Usage);
    }
}
