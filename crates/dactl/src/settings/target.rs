//! The target: where the commands send their requests, and with which client credentials.
//!
//! [`resolve`] merges flags, environment and profiles (the precedence table is in the
//! [`crate::settings`] docs) without reading a file, a secret or the process environment;
//! [`materialize`] then reads the secret a profile points at, the only step with I/O.

use anyhow::Context;
use genesys_client::{Credentials, Environment, Secret};

use crate::env::{self, EnvVars};
use crate::error::Failure;
use crate::profiles::{self, ConfigFiles, Profile, SecretRef};

use super::credentials::credentials_from_env;
use super::regions::{endpoint_env, region_env};

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

impl ConnectionFlags {
    /// The connection flags of a command line.
    pub fn from_global(global: &crate::args::GlobalArgs) -> Self {
        ConnectionFlags {
            region: global.region.clone(),
            base_url: global.base_url.clone(),
            sandbox: global.sandbox,
            profile: global.profile.clone(),
            ca_file: global.ca_file.clone(),
        }
    }
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
            SelectedBy::Env => crate::env::DACTL_PROFILE,
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
    let chosen = match (flags.profile.as_deref(), env.non_empty(env::DACTL_PROFILE)?) {
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
    let env_region = env.non_empty(env::GENESYSCLOUD_REGION)?.map(str::to_string);
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
    use std::path::PathBuf;

    fn env(pairs: &[(&str, &str)]) -> EnvVars {
        EnvVars::from_pairs(pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())))
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

    /// A case with no flag, no variable and no config file: each case says what it adds.
    const NONE: Case = Case {
        what: "",
        region: None,
        base_url: None,
        profile: None,
        env: &[],
        dactl: false,
        gc: false,
        want: Err(""),
    };

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
                want: Err("no client credentials"),
                ..NONE
            },
            Case {
                what: "env creds only: default region",
                env: ENV_CREDS,
                want: Ok((
                    us,
                    "env-id",
                    "GENESYSCLOUD_OAUTHCLIENT_ID",
                    "default region",
                )),
                ..NONE
            },
            Case {
                what: "implicit default profile gives everything",
                env: NO_CREDS,
                dactl: true,
                want: Ok((
                    ie,
                    "dactl-default-id",
                    "profile `default` (dactl config",
                    "profile `default`",
                )),
                ..NONE
            },
            Case {
                what: "env creds beat the implicit default profile's",
                env: ENV_CREDS,
                dactl: true,
                want: Ok((
                    ie,
                    "env-id",
                    "GENESYSCLOUD_OAUTHCLIENT_ID",
                    "profile `default`",
                )),
                ..NONE
            },
            Case {
                what: "env region beats the default profile's region",
                env: &[
                    ("GENESYSCLOUD_REGION", "ap-southeast-2"),
                    ("DEFAULT_SECRET", "ds"),
                ],
                dactl: true,
                want: Ok((
                    au,
                    "dactl-default-id",
                    "profile `default`",
                    "GENESYSCLOUD_REGION",
                )),
                ..NONE
            },
            Case {
                what: "--region beats env region and profile",
                region: Some("ap_northeast_1"),
                env: &[
                    ("GENESYSCLOUD_REGION", "ap-southeast-2"),
                    ("DEFAULT_SECRET", "ds"),
                ],
                dactl: true,
                want: Ok((jp, "dactl-default-id", "profile `default`", "--region")),
                ..NONE
            },
            Case {
                what: "--base-url beats --region",
                region: Some("eu-west-1"),
                base_url: Some("http://127.0.0.1:1"),
                env: ENV_CREDS,
                want: Ok(("http://127.0.0.1:1", "env-id", "GENESYSCLOUD", "--base-url")),
                ..NONE
            },
            Case {
                what: "--profile selects another profile",
                profile: Some("prod"),
                env: NO_CREDS,
                dactl: true,
                want: Ok((jp, "prod-id", "profile `prod`", "profile `prod`")),
                ..NONE
            },
            Case {
                what: "DACTL_PROFILE selects a profile",
                env: &[("DACTL_PROFILE", "prod"), ("PROD_SECRET", "ps")],
                dactl: true,
                want: Ok((jp, "prod-id", "profile `prod`", "profile `prod`")),
                ..NONE
            },
            Case {
                what: "--profile beats DACTL_PROFILE",
                profile: Some("default"),
                env: &[("DACTL_PROFILE", "prod"), ("DEFAULT_SECRET", "ds")],
                dactl: true,
                want: Ok((
                    ie,
                    "dactl-default-id",
                    "profile `default`",
                    "profile `default`",
                )),
                ..NONE
            },
            Case {
                what: "explicit profile + env creds of another client: refuse",
                profile: Some("prod"),
                env: ENV_CREDS,
                dactl: true,
                want: Err("names client `prod-id`"),
                ..NONE
            },
            Case {
                what: "explicit profile without creds + env creds: env creds",
                profile: Some("regiononly"),
                env: ENV_CREDS,
                dactl: true,
                want: Ok((
                    "http://127.0.0.1:9",
                    "env-id",
                    "GENESYSCLOUD_OAUTHCLIENT_ID",
                    "profile `regiononly`",
                )),
                ..NONE
            },
            Case {
                what: "--region beats an explicit profile's region",
                region: Some("eu-west-1"),
                profile: Some("prod"),
                env: NO_CREDS,
                dactl: true,
                want: Ok((ie, "prod-id", "profile `prod`", "--region")),
                ..NONE
            },
            Case {
                what: "unknown profile",
                profile: Some("nope"),
                env: NO_CREDS,
                dactl: true,
                gc: true,
                want: Err("no profile named `nope`"),
                ..NONE
            },
            Case {
                what: "gc default profile when dactl has none",
                gc: true,
                want: Ok((
                    us,
                    "0b7a5b1c-1111-4e1e-9a55-6c4b3c2d1e0f",
                    "profile `default` (gc config",
                    "gc config",
                )),
                ..NONE
            },
            Case {
                what: "dactl's default shadows gc's",
                env: NO_CREDS,
                dactl: true,
                gc: true,
                want: Ok((ie, "dactl-default-id", "dactl config", "dactl config")),
                ..NONE
            },
            Case {
                what: "gc: prefix picks gc's profile",
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
                ..NONE
            },
            Case {
                what: "gc localhost environment",
                profile: Some("local"),
                gc: true,
                want: Ok((
                    "http://localhost:8080",
                    "dactl-sandbox",
                    "profile `local`",
                    "profile `local`",
                )),
                ..NONE
            },
            Case {
                what: "gc underscore-only region key",
                profile: Some("mideast"),
                gc: true,
                want: Ok((
                    "https://api.mec1.pure.cloud",
                    "7e6f5a4b-3333-4c2d-9e8f-1a2b3c4d5e6f",
                    "gc config",
                    "profile `mideast`",
                )),
                ..NONE
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
                    text: include_str!("../../tests/fixtures/gc-config.toml").to_string(),
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
