//! Settings, resolved once.
//!
//! Flags, environment, profiles and defaults are merged by one pure function, [`resolve`], over
//! an injected [`EnvVars`] (the binary passes the process environment; tests pass a map) and the
//! text of the config files ([`ConfigFiles`], read by the caller). Library code never reads
//! `std::env`.
//!
//! **Precedence, field by field: flag > environment > profile > default.**
//!
//! | field | flag | environment | profile | default |
//! |---|---|---|---|---|
//! | endpoint | `--base-url`, then `--region` | `GENESYSCLOUD_REGION` | `base_url` or `region` (gc: `environment`) | `us-east-1` |
//! | credentials (id and secret, always as a pair) | – | `GENESYSCLOUD_OAUTHCLIENT_ID`/`_SECRET`, or `GENESYS_CLIENT_ID`/`_SECRET` | `client_id` + secret source | none: an error |
//!
//! The profile layer is the profile named by `--profile`, else by `DACTL_PROFILE`, else the
//! profile called `default` when one exists (dactl's config first, then gc's). A profile named
//! explicitly (by flag or `DACTL_PROFILE`) that must yield to credential variables in the
//! environment for a *different* client id is an error rather than a silent switch of org; a
//! `GENESYSCLOUD_REGION` that overrides an explicitly named profile's endpoint is a warning.
//!
//! When both credential sets are in the environment and disagree, dactl refuses to guess.
//! Secrets named by a profile (a variable, a file, the keyring) are read afterwards by
//! [`materialize`], the only step with I/O.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use genesys_client::{Credentials, Environment, Secret};

use crate::error::Failure;
use crate::profiles::{self, ConfigFiles, Endpoint, Profile, SecretRef};

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
    /// `--profile`.
    pub profile: Option<String>,
    /// `--ca-file` (not part of the resolution: carried so that a printed next step keeps it).
    pub ca_file: Option<std::path::PathBuf>,
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

/// How a profile was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectedBy {
    /// `--profile NAME`.
    Flag,
    /// `DACTL_PROFILE`.
    Env,
    /// The implicit profile called `default`.
    Default,
}

impl SelectedBy {
    /// For messages.
    pub fn describe(self) -> &'static str {
        match self {
            SelectedBy::Flag => "--profile",
            SelectedBy::Env => "DACTL_PROFILE",
            SelectedBy::Default => "the `default` profile",
        }
    }
}

/// The client secret to use: a value already known, or a reference to read.
#[derive(Debug, Clone)]
pub enum SecretSpec {
    /// The value (from the environment).
    Value(Secret),
    /// To be read by [`materialize`].
    Ref(SecretRef),
}

/// The resolved target before secrets are read.
#[derive(Debug, Clone)]
pub enum TargetSpec {
    /// The embedded emulator.
    Sandbox,
    /// A Genesys Cloud org (or any emulator reached by URL).
    Remote {
        /// API and login hosts.
        environment: Environment,
        /// Client id.
        client_id: String,
        /// Client secret, or where to read it.
        secret: SecretSpec,
        /// Where the credentials came from (never a value).
        source: String,
    },
}

/// The outcome of [`resolve`]: the target, where each part came from, and warnings.
#[derive(Debug, Clone)]
pub struct Resolution {
    /// Where to connect.
    pub target: TargetSpec,
    /// The profile layer, if any, and how it was chosen.
    pub profile: Option<(Profile, SelectedBy)>,
    /// Where the endpoint came from (`--base-url`, `GENESYSCLOUD_REGION`, a profile, `default`).
    pub endpoint_source: String,
    /// Things the user should know (printed as `warning:` lines).
    pub warnings: Vec<String>,
}

fn profile_names(all: &[Profile]) -> String {
    if all.is_empty() {
        return "there are no profiles".to_string();
    }
    let names: Vec<String> = all
        .iter()
        .map(|p| match p.tool {
            profiles::Tool::Dactl => format!("`{}`", p.name),
            profiles::Tool::Gc => format!("`{}` (gc)", p.name),
        })
        .collect();
    format!("known profiles: {}", names.join(", "))
}

// The client's error is large by design (it carries the decoded ErrorBody); this is cold code.
#[allow(clippy::result_large_err)]
fn endpoint_env(ep: &Endpoint) -> Result<Environment, genesys_client::Error> {
    match ep {
        Endpoint::Region(r) => Environment::from_region(r),
        Endpoint::BaseUrl(u) => Environment::from_base_url(u),
    }
}

/// A region named by `from`. An unknown region name is an error that says where the value
/// came from, suggests the nearest region and lists every region as a small table; URLs and
/// domains keep the client's own message.
fn region_env(r: &str, from: &str) -> Result<Environment, anyhow::Error> {
    match Environment::from_region(r.trim()) {
        Ok(e) => Ok(e),
        Err(e) if r.contains("://") || r.contains('.') => Err(e.into()),
        Err(_) => {
            let names = genesys_client::REGIONS.iter().map(|(n, _)| *n);
            let typed = r.trim().replace('_', "-");
            let near = crate::suggest::nearest(&typed, names, 2);
            let mut f = Failure::usage(format!(
                "unknown region `{}` (from {from})",
                crate::selector::shorten(r.trim())
            ));
            if !near.is_empty() {
                f = f.hint(format!("did you mean {}?", crate::suggest::or_list(&near)));
            }
            f = f.hint("the regions (`-` or `_` both work; a domain such as `mypurecloud.ie` works too, any other host needs --base-url):");
            let cells: Vec<String> = genesys_client::REGIONS
                .iter()
                .map(|(n, d)| format!("{n:<15}{d:<23}"))
                .collect();
            let half = cells.len().div_ceil(2);
            for i in 0..half {
                let right = cells.get(i + half).map(String::as_str).unwrap_or("");
                f = f.detail(format!("  {}{}", cells[i], right).trim_end().to_string());
            }
            Err(f.into())
        }
    }
}

/// Resolve flags, environment, profiles and defaults into a target (DESIGN §3; the precedence
/// table is in the module docs). Pure: no file, keyring or environment access.
pub fn resolve(
    flags: &ConnectionFlags,
    env: &EnvVars,
    files: &ConfigFiles,
) -> Result<Resolution, anyhow::Error> {
    if flags.sandbox {
        if flags.base_url.is_some() || flags.region.is_some() || flags.profile.is_some() {
            return Err(Failure::usage(
                "`--sandbox` cannot be combined with `--region`, `--base-url` or `--profile`",
            )
            .hint(
                "the sandbox is an emulator inside dactl; drop `--sandbox` to reach another server",
            )
            .into());
        }
        return Ok(Resolution {
            target: TargetSpec::Sandbox,
            profile: None,
            endpoint_source: "--sandbox".into(),
            warnings: Vec::new(),
        });
    }
    let all = profiles::all_profiles(files, env)?;
    let mut warnings: Vec<String> = Vec::new();
    let chosen = match (flags.profile.as_deref(), env.non_empty("DACTL_PROFILE")?) {
        (Some(n), _) => Some((n.trim().to_string(), SelectedBy::Flag)),
        (None, Some(n)) => Some((n.trim().to_string(), SelectedBy::Env)),
        (None, None) => None,
    };
    let profile: Option<(Profile, SelectedBy)> = match chosen {
        Some((name, by)) => match profiles::find(&all, &name) {
            Some(p) => Some((p.clone(), by)),
            None => {
                return Err(Failure::usage(format!(
                    "no profile named `{name}` (selected by {})",
                    by.describe()
                ))
                .hint(profile_names(&all))
                .hint("`dactl profiles list` shows every profile and the file it is in")
                .into())
            }
        },
        None => profiles::find(&all, "default").map(|p| (p.clone(), SelectedBy::Default)),
    };
    if let Some((p, _)) = &profile {
        warnings.extend(p.warnings.iter().cloned());
    }
    let explicit = profile
        .as_ref()
        .filter(|(_, by)| *by != SelectedBy::Default)
        .map(|(p, _)| p);

    // Endpoint.
    let env_region = env.non_empty("GENESYSCLOUD_REGION")?.map(str::to_string);
    let (environment, endpoint_source) = if let Some(url) = flags.base_url.as_deref() {
        (
            Environment::from_base_url(url.trim())?,
            "--base-url".to_string(),
        )
    } else if let Some(r) = flags.region.as_deref() {
        (
            region_env(r, "the flag `--region`")?,
            "--region".to_string(),
        )
    } else if let Some(r) = env_region {
        let e = region_env(&r, "the environment variable `GENESYSCLOUD_REGION`")?;
        if let Some(p) = explicit {
            if let Some(ep) = &p.endpoint {
                if endpoint_env(ep).ok().as_ref() != Some(&e) {
                    warnings.push(format!(
                        "`GENESYSCLOUD_REGION={r}` overrides the endpoint of {} (environment > profile); unset it to use the profile's",
                        p.label()
                    ));
                }
            }
        }
        (e, "environment variable `GENESYSCLOUD_REGION`".to_string())
    } else if let Some((p, ep)) = profile
        .as_ref()
        .and_then(|(p, _)| p.endpoint.as_ref().map(|ep| (p, ep)))
    {
        let e = endpoint_env(ep).with_context(|| format!("in {}", p.label()))?;
        (e, p.label())
    } else {
        (
            Environment::from_region("us-east-1")?,
            "the default region `us-east-1`".to_string(),
        )
    };

    // Credentials, always as a pair.
    let from_env = credentials_from_env(env)?;
    let (client_id, secret, source) = match from_env {
        Some(c) => {
            if let Some(p) = explicit {
                if let Some(pid) = &p.client_id {
                    if *pid != c.client_id {
                        return Err(Failure::usage(format!(
                            "{} names client `{pid}`, but {} hold client `{}`",
                            p.label(),
                            c.source,
                            c.client_id
                        ))
                        .hint("the environment outranks profiles; unset those variables to use the profile, or drop the profile selection")
                        .into());
                    }
                }
            }
            (c.client_id, SecretSpec::Value(c.client_secret), c.source)
        }
        None => match profile
            .as_ref()
            .and_then(|(p, _)| Some((p, p.client_id.clone()?, p.secret.clone()?)))
        {
            Some((p, id, secret)) => {
                let source = format!("{}, secret from {}", p.label(), secret.describe());
                (id, SecretSpec::Ref(secret), source)
            }
            None => {
                let mut f = Failure::usage(
                    "no client credentials: set `GENESYSCLOUD_OAUTHCLIENT_ID` and `GENESYSCLOUD_OAUTHCLIENT_SECRET`, or use a profile",
                );
                if let Some((p, _)) = &profile {
                    f = f.hint(format!("{} has no client id and secret", p.label()));
                }
                return Err(f
                    .hint("`dactl profiles --help` shows how to keep credentials in a profile")
                    .hint("or try dactl with no org at all: `dactl --sandbox list`")
                    .into());
            }
        },
    };
    Ok(Resolution {
        target: TargetSpec::Remote {
            environment,
            client_id,
            secret,
            source,
        },
        profile,
        endpoint_source,
        warnings,
    })
}

/// Read the secret a resolution points at (environment, file or keyring) and build the
/// [`Target`]. Returns warnings about the secret's storage.
pub fn materialize(res: &Resolution, env: &EnvVars) -> Result<(Target, Vec<String>), Failure> {
    match &res.target {
        TargetSpec::Sandbox => Ok((Target::Sandbox, Vec::new())),
        TargetSpec::Remote {
            environment,
            client_id,
            secret,
            source,
        } => {
            let (secret, warnings) = match secret {
                SecretSpec::Value(s) => (s.clone(), Vec::new()),
                SecretSpec::Ref(r) => {
                    let Some((p, _)) = &res.profile else {
                        return Err(Failure::usage(
                            "internal error: a secret reference without a profile",
                        ));
                    };
                    profiles::read_secret(p, r, env)?
                }
            };
            Ok((
                Target::Remote {
                    environment: environment.clone(),
                    credentials: Credentials {
                        client_id: client_id.clone(),
                        client_secret: secret,
                        source: source.clone(),
                    },
                },
                warnings,
            ))
        }
    }
}

/// Resolve where to connect from flags and the environment only (no config files).
pub fn resolve_target(flags: &ConnectionFlags, env: &EnvVars) -> Result<Target, anyhow::Error> {
    let res = resolve(flags, env, &ConfigFiles::default())?;
    Ok(materialize(&res, env)?.0)
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

    const DACTL_CFG: &str = r#"
[profiles.default]
region = "eu-west-1"
client_id = "dactl-default-id"
client_secret_env = "DEFAULT_SECRET"

[profiles.prod]
region = "ap-northeast-1"
client_id = "prod-id"
client_secret_env = "PROD_SECRET"

[profiles.regiononly]
base_url = "http://127.0.0.1:9"
"#;

    struct Case {
        what: &'static str,
        region: Option<&'static str>,
        base_url: Option<&'static str>,
        profile: Option<&'static str>,
        env: &'static [(&'static str, &'static str)],
        dactl: bool,
        gc: bool,
        /// Ok((api_base, client_id, source contains, endpoint source contains)) or Err(message part)
        want: Result<(&'static str, &'static str, &'static str, &'static str), &'static str>,
    }

    const ENV_CREDS: &[(&str, &str)] = &[
        ("GENESYSCLOUD_OAUTHCLIENT_ID", "env-id"),
        ("GENESYSCLOUD_OAUTHCLIENT_SECRET", "env-secret"),
        ("DEFAULT_SECRET", "ds"),
        ("PROD_SECRET", "ps"),
    ];
    const NO_CREDS: &[(&str, &str)] = &[("DEFAULT_SECRET", "ds"), ("PROD_SECRET", "ps")];

    /// The precedence matrix: flag > environment > profile > default, field by field.
    #[test]
    fn precedence_matrix() {
        let jp = "https://api.mypurecloud.jp";
        let ie = "https://api.mypurecloud.ie";
        let us = "https://api.mypurecloud.com";
        let au = "https://api.mypurecloud.com.au";
        let cases = [
            Case {
                what: "nothing at all",
                region: None,
                base_url: None,
                profile: None,
                env: &[],
                dactl: false,
                gc: false,
                want: Err("no client credentials"),
            },
            Case {
                what: "env creds only: default region",
                region: None,
                base_url: None,
                profile: None,
                env: ENV_CREDS,
                dactl: false,
                gc: false,
                want: Ok((
                    us,
                    "env-id",
                    "GENESYSCLOUD_OAUTHCLIENT_ID",
                    "default region",
                )),
            },
            Case {
                what: "implicit default profile gives everything",
                region: None,
                base_url: None,
                profile: None,
                env: NO_CREDS,
                dactl: true,
                gc: false,
                want: Ok((
                    ie,
                    "dactl-default-id",
                    "profile `default` (dactl config",
                    "profile `default`",
                )),
            },
            Case {
                what: "env creds beat the implicit default profile's",
                region: None,
                base_url: None,
                profile: None,
                env: ENV_CREDS,
                dactl: true,
                gc: false,
                want: Ok((
                    ie,
                    "env-id",
                    "GENESYSCLOUD_OAUTHCLIENT_ID",
                    "profile `default`",
                )),
            },
            Case {
                what: "env region beats the default profile's region",
                region: None,
                base_url: None,
                profile: None,
                env: &[
                    ("GENESYSCLOUD_REGION", "ap-southeast-2"),
                    ("DEFAULT_SECRET", "ds"),
                ],
                dactl: true,
                gc: false,
                want: Ok((
                    au,
                    "dactl-default-id",
                    "profile `default`",
                    "GENESYSCLOUD_REGION",
                )),
            },
            Case {
                what: "--region beats env region and profile",
                region: Some("ap_northeast_1"),
                base_url: None,
                profile: None,
                env: &[
                    ("GENESYSCLOUD_REGION", "ap-southeast-2"),
                    ("DEFAULT_SECRET", "ds"),
                ],
                dactl: true,
                gc: false,
                want: Ok((jp, "dactl-default-id", "profile `default`", "--region")),
            },
            Case {
                what: "--base-url beats --region",
                region: Some("eu-west-1"),
                base_url: Some("http://127.0.0.1:1"),
                profile: None,
                env: ENV_CREDS,
                dactl: false,
                gc: false,
                want: Ok(("http://127.0.0.1:1", "env-id", "GENESYSCLOUD", "--base-url")),
            },
            Case {
                what: "--profile selects another profile",
                region: None,
                base_url: None,
                profile: Some("prod"),
                env: NO_CREDS,
                dactl: true,
                gc: false,
                want: Ok((jp, "prod-id", "profile `prod`", "profile `prod`")),
            },
            Case {
                what: "DACTL_PROFILE selects a profile",
                region: None,
                base_url: None,
                profile: None,
                env: &[("DACTL_PROFILE", "prod"), ("PROD_SECRET", "ps")],
                dactl: true,
                gc: false,
                want: Ok((jp, "prod-id", "profile `prod`", "profile `prod`")),
            },
            Case {
                what: "--profile beats DACTL_PROFILE",
                region: None,
                base_url: None,
                profile: Some("default"),
                env: &[("DACTL_PROFILE", "prod"), ("DEFAULT_SECRET", "ds")],
                dactl: true,
                gc: false,
                want: Ok((
                    ie,
                    "dactl-default-id",
                    "profile `default`",
                    "profile `default`",
                )),
            },
            Case {
                what: "explicit profile + env creds of another client: refuse",
                region: None,
                base_url: None,
                profile: Some("prod"),
                env: ENV_CREDS,
                dactl: true,
                gc: false,
                want: Err("names client `prod-id`"),
            },
            Case {
                what: "explicit profile without creds + env creds: env creds",
                region: None,
                base_url: None,
                profile: Some("regiononly"),
                env: ENV_CREDS,
                dactl: true,
                gc: false,
                want: Ok((
                    "http://127.0.0.1:9",
                    "env-id",
                    "GENESYSCLOUD_OAUTHCLIENT_ID",
                    "profile `regiononly`",
                )),
            },
            Case {
                what: "--region beats an explicit profile's region",
                region: Some("eu-west-1"),
                base_url: None,
                profile: Some("prod"),
                env: NO_CREDS,
                dactl: true,
                gc: false,
                want: Ok((ie, "prod-id", "profile `prod`", "--region")),
            },
            Case {
                what: "unknown profile",
                region: None,
                base_url: None,
                profile: Some("nope"),
                env: NO_CREDS,
                dactl: true,
                gc: true,
                want: Err("no profile named `nope`"),
            },
            Case {
                what: "gc default profile when dactl has none",
                region: None,
                base_url: None,
                profile: None,
                env: &[],
                dactl: false,
                gc: true,
                want: Ok((
                    us,
                    "0b7a5b1c-1111-4e1e-9a55-6c4b3c2d1e0f",
                    "profile `default` (gc config",
                    "gc config",
                )),
            },
            Case {
                what: "dactl's default shadows gc's",
                region: None,
                base_url: None,
                profile: None,
                env: NO_CREDS,
                dactl: true,
                gc: true,
                want: Ok((ie, "dactl-default-id", "dactl config", "dactl config")),
            },
            Case {
                what: "gc: prefix picks gc's profile",
                region: None,
                base_url: None,
                profile: Some("gc:default"),
                env: NO_CREDS,
                dactl: true,
                gc: true,
                want: Ok((
                    us,
                    "0b7a5b1c-1111-4e1e-9a55-6c4b3c2d1e0f",
                    "gc config",
                    "gc config",
                )),
            },
            Case {
                what: "gc localhost environment",
                region: None,
                base_url: None,
                profile: Some("local"),
                env: &[],
                dactl: false,
                gc: true,
                want: Ok((
                    "http://localhost:8080",
                    "dactl-sandbox",
                    "profile `local`",
                    "profile `local`",
                )),
            },
            Case {
                what: "gc underscore-only region key",
                region: None,
                base_url: None,
                profile: Some("mideast"),
                env: &[],
                dactl: false,
                gc: true,
                want: Ok((
                    "https://api.mec1.pure.cloud",
                    "7e6f5a4b-3333-4c2d-9e8f-1a2b3c4d5e6f",
                    "gc config",
                    "profile `mideast`",
                )),
            },
        ];
        for c in cases {
            let flags = ConnectionFlags {
                region: c.region.map(str::to_string),
                base_url: c.base_url.map(str::to_string),
                sandbox: false,
                profile: c.profile.map(str::to_string),
                ca_file: None,
            };
            let files = ConfigFiles {
                dactl: c.dactl.then(|| profiles::ConfigFile {
                    path: PathBuf::from("/cfg/dactl/config.toml"),
                    text: DACTL_CFG.to_string(),
                    mode: Some(0o600),
                }),
                gc: c.gc.then(|| profiles::ConfigFile {
                    path: PathBuf::from("/home/u/.gc/config.toml"),
                    text: include_str!("../tests/fixtures/gc-config.toml").to_string(),
                    mode: Some(0o600),
                }),
            };
            let e = env(c.env);
            let got = resolve(&flags, &e, &files);
            match (c.want, got) {
                (Ok((api, id, src, ep_src)), Ok(res)) => {
                    let (target, _) = materialize(&res, &e).unwrap();
                    let Target::Remote {
                        environment,
                        credentials,
                    } = target
                    else {
                        panic!("{}: remote expected", c.what)
                    };
                    assert_eq!(environment.api_base, api, "{}", c.what);
                    assert_eq!(credentials.client_id, id, "{}", c.what);
                    assert!(
                        credentials.source.contains(src),
                        "{}: source {:?}",
                        c.what,
                        credentials.source
                    );
                    assert!(
                        res.endpoint_source.contains(ep_src),
                        "{}: endpoint source {:?}",
                        c.what,
                        res.endpoint_source
                    );
                    assert!(
                        !format!("{:?}", credentials).contains("secret\""),
                        "{}",
                        c.what
                    );
                }
                (Err(msg), Err(err)) => {
                    assert!(format!("{err:#}").contains(msg), "{}: {err:#}", c.what);
                    assert_eq!(
                        crate::error::exit_code_for(&err),
                        crate::error::Exit::Usage,
                        "{}",
                        c.what
                    );
                }
                (want, got) => panic!("{}: want {want:?}, got {got:?}", c.what),
            }
        }
    }

    #[test]
    fn env_region_over_an_explicit_profile_warns() {
        let files = ConfigFiles {
            dactl: Some(profiles::ConfigFile {
                path: PathBuf::from("/c.toml"),
                text: DACTL_CFG.to_string(),
                mode: Some(0o600),
            }),
            gc: None,
        };
        let flags = ConnectionFlags {
            profile: Some("prod".into()),
            ..Default::default()
        };
        let res = resolve(
            &flags,
            &env(&[("GENESYSCLOUD_REGION", "eu-west-1")]),
            &files,
        )
        .unwrap();
        assert!(
            res.warnings
                .iter()
                .any(|w| w.contains("overrides the endpoint of profile `prod`")),
            "{:?}",
            res.warnings
        );
        // A bad region in a profile names the profile.
        let files = ConfigFiles {
            dactl: Some(profiles::ConfigFile {
                path: PathBuf::from("/c.toml"),
                text: "[profiles.default]\nregion = \"mars-1\"\n".into(),
                mode: Some(0o600),
            }),
            gc: None,
        };
        let err = resolve(&ConnectionFlags::default(), &env(ENV_CREDS), &files).unwrap_err();
        let r = crate::error::render(&err);
        assert!(
            r.contains("in profile `default`") && r.contains("unknown region `mars-1`"),
            "{r}"
        );
        assert!(r.contains("eu-west-1 (mypurecloud.ie)"), "{r}");
    }

    #[test]
    fn sandbox_refuses_profile_flag() {
        let flags = ConnectionFlags {
            sandbox: true,
            profile: Some("p".into()),
            ..Default::default()
        };
        assert!(resolve(&flags, &env(&[]), &ConfigFiles::default()).is_err());
    }
}
