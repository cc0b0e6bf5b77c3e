//! Settings, resolved once.
//!
//! Flags, environment, profiles and defaults are merged by one pure function,
//! [`Settings::resolve`], over the global flags, an injected [`EnvVars`] (the binary passes the
//! process environment; tests pass a map) and the text of the config files ([`ConfigFiles`],
//! read by the caller with [`crate::profiles::load_files`]). Library code never reads
//! `std::env`; every variable is named in [`crate::env`].
//!
//! **Precedence, field by field: flag > environment > profile > default.**
//!
//! | field | flag | environment | profile | default |
//! |---|---|---|---|---|
//! | state folder ([`resolve_home`]) | – | `DACTL_HOME`, `XDG_DATA_HOME`, `HOME` | – | none: an error |
//! | output format | `-o`, `--wide` | – | – | table |
//! | colour | `--no-color` | `NO_COLOR` | – | on a terminal |
//! | concurrency, rate | `--concurrency`, `--rate` | – | – | clap's defaults |
//! | endpoint | `--base-url`, then `--region` | `GENESYSCLOUD_REGION` | `base_url` or `region` (gc: `environment`) | `us-east-1` |
//! | credentials (id and secret, always as a pair) | – | `GENESYSCLOUD_OAUTHCLIENT_ID`/`_SECRET`, or `GENESYS_CLIENT_ID`/`_SECRET` | `client_id` + secret source | none: an error |
//! | access tokens ([`tokens`]) | `--tokens` | – | `tokens` | 1 |
//! | extra trusted CA | `--ca-file` | – | `ca_file` | none |
//! | HTTP timeout ([`crate::net`]) | – | `DACTL_HTTP_TIMEOUT` | – | the client's (90 s) |
//! | pre-connect ([`crate::net`]) | – | `DACTL_PRECONNECT` | – | on |
//! | token cache ([`crate::token_cache`]) | – | `DACTL_TOKEN_CACHE` | – | on |
//!
//! The profile layer is the profile named by `--profile`, else by `DACTL_PROFILE`, else the
//! profile called `default` when one exists (dactl's config first, then gc's). A profile named
//! explicitly (by flag or `DACTL_PROFILE`) that must yield to credential variables in the
//! environment for a *different* client id is an error rather than a silent switch of org; a
//! `GENESYSCLOUD_REGION` that overrides an explicitly named profile's endpoint is a warning.
//!
//! When both credential sets are in the environment and disagree, dactl refuses to guess.
//! Secrets named by a profile (a variable, a file, the keyring) are read afterwards by
//! [`Settings::read_secret`] (or [`materialize`]), the only step with I/O.
//!
//! **Two layers.** [`Common`] (state folder, format, colour, a checked `--tokens`) is what every
//! command has: the binary resolves it before any command runs. [`Settings`] adds the connection
//! (target, tokens, HTTP timeout, token cache) and is resolved only by the commands that connect,
//! so that `runs list` or `completions` work without credentials, as they always have. The
//! checks fire in this order: `--tokens`, the state folder, the target, `DACTL_HTTP_TIMEOUT`,
//! `DACTL_TOKEN_CACHE`; all before any request.
//! [`crate::session::Session::open`] takes a [`Settings`] and nothing else.

mod credentials;
mod regions;
mod target;
mod values;

use std::path::PathBuf;
use std::time::Duration;

use genesys_client::ClientOptions;

use crate::args::{GlobalArgs, OutputArg};
use crate::error::Failure;
use crate::output::Format;
use crate::token_cache::Keep;

pub use crate::env::EnvVars;
pub use crate::profiles::{check_tokens, ConfigFiles, MAX_TOKENS, TOKENS_HINT};
pub use credentials::credentials_from_env;
pub use target::{
    materialize, resolve, resolve_target, ConnectionFlags, Resolution, SecretSpec, SelectedBy,
    Target, TargetSpec,
};
pub use values::{resolve_home, tokens};

/// The settings every command has, resolved before it runs.
#[derive(Debug, Clone)]
pub struct Common {
    /// Where dactl keeps its state ([`resolve_home`]).
    pub home: PathBuf,
    /// The output format (`-o wide` is [`Format::Table`] with [`Common::wide`]).
    pub format: Format,
    /// Colour is allowed: no `--no-color`, and `NO_COLOR` unset or empty (the caller adds
    /// whether stdout is a terminal).
    pub color: bool,
    /// `--wide` or `-o wide`: a table with nothing left out.
    pub wide: bool,
    /// `--tokens`, checked (1 to [`MAX_TOKENS`]).
    pub tokens: Option<u32>,
}

impl Common {
    /// Resolve the common settings. `--tokens` is checked first, then the state folder.
    pub fn resolve(global: &GlobalArgs, env: &EnvVars) -> Result<Common, Failure> {
        // Bad input is refused before anything else (no request is sent).
        let tokens = global
            .tokens
            .map(|n| check_tokens(n, "`--tokens`"))
            .transpose()?;
        let home = resolve_home(env)?;
        Ok(Common {
            home,
            format: global.output.map(OutputArg::format).unwrap_or_default(),
            color: !global.no_color && env.raw(crate::env::NO_COLOR).is_none_or(str::is_empty),
            wide: global.wide || global.output == Some(OutputArg::Wide),
            tokens,
        })
    }
}

/// Everything a command that connects needs, resolved once by [`Settings::resolve`].
#[derive(Debug, Clone)]
pub struct Settings {
    /// What every command has.
    pub common: Common,
    /// The target flags of the command line (for next steps).
    pub flags: ConnectionFlags,
    /// Where to connect, where each part came from, and warnings.
    pub resolution: Resolution,
    /// Workers at once (`--concurrency`).
    pub concurrency: u16,
    /// Requests a minute per access token (`--rate`).
    pub rate: u32,
    /// Access tokens shared by the workers ([`tokens`]).
    pub tokens: u32,
    /// An extra trusted CA: `--ca-file`, else the profile's `ca_file`.
    pub ca_file: Option<PathBuf>,
    /// `DACTL_HTTP_TIMEOUT`, when set.
    pub http_timeout: Option<Duration>,
    /// `DACTL_PRECONNECT`.
    pub preconnect: bool,
    /// How the access token is kept between commands (`DACTL_TOKEN_CACHE`).
    pub token_cache: Keep,
}

impl Settings {
    /// Resolve every setting of a command that connects (the precedence table and the order
    /// of the checks are in the module docs). Pure: `files` holds the config files' text, and
    /// no secret is read.
    pub fn resolve(
        global: &GlobalArgs,
        env: &EnvVars,
        files: &ConfigFiles,
    ) -> Result<Settings, anyhow::Error> {
        let common = Common::resolve(global, env)?;
        let flags = ConnectionFlags::from_global(global);
        let resolution = resolve(&flags, env, files)?;
        let http_timeout = crate::net::http_timeout(env)?;
        let token_cache = if crate::token_cache::enabled(env)? {
            Keep::ReadWrite
        } else {
            Keep::Off
        };
        let ca_file = global.ca_file.clone().or_else(|| {
            resolution
                .profile
                .as_ref()
                .and_then(|(p, _)| p.ca_file.clone())
        });
        Ok(Settings {
            tokens: tokens(common.tokens, &resolution),
            common,
            flags,
            resolution,
            concurrency: global.concurrency,
            rate: global.rate,
            ca_file,
            http_timeout,
            preconnect: crate::net::preconnect(env),
            token_cache,
        })
    }

    /// Read the secret a profile points at (environment, file or keyring), once, and keep it.
    /// Returns warnings about the secret's storage.
    pub fn read_secret(&mut self, env: &EnvVars) -> Result<Vec<String>, Failure> {
        let (target, warnings) = materialize(&self.resolution, env)?;
        if let (Target::Remote { credentials, .. }, TargetSpec::Remote { secret, .. }) =
            (target, &mut self.resolution.target)
        {
            *secret = SecretSpec::Value(credentials.client_secret);
        }
        Ok(warnings)
    }

    /// The target, its secret read by [`Settings::read_secret`].
    pub fn target(&self) -> Result<Target, Failure> {
        if let TargetSpec::Remote {
            secret: SecretSpec::Ref(_),
            ..
        } = &self.resolution.target
        {
            return Err(Failure::usage(
                "internal error: the client secret was not read before connecting",
            ));
        }
        Ok(materialize(&self.resolution, &EnvVars::default())?.0)
    }

    /// The same settings for `auth check`, which tests the credentials: always a new login
    /// (the new token is kept unless the cache is off), with one access token.
    pub fn for_credential_check(&self) -> Settings {
        Settings {
            token_cache: match self.token_cache {
                Keep::Off => Keep::Off,
                Keep::ReadWrite | Keep::WriteOnly => Keep::WriteOnly,
            },
            tokens: 1,
            ..self.clone()
        }
    }

    /// The API client's options: user agent, rate, tokens, HTTP timeout, extra CA, where the
    /// endpoint came from, and the pre-connect.
    pub fn client_options(&self) -> ClientOptions {
        let defaults = ClientOptions::default();
        if let Some(f) = &self.ca_file {
            tracing::info!(file = %f.display(), "extra trusted CA");
        }
        ClientOptions {
            user_agent: format!("dactl/{}", env!("CARGO_PKG_VERSION")),
            rate_per_minute: self.rate,
            request_timeout: self.http_timeout.unwrap_or(defaults.request_timeout),
            tokens: self.tokens,
            ca_file: self.ca_file.clone(),
            endpoint_source: Some(self.resolution.endpoint_source.clone()),
            preconnect: self.preconnect,
            ..defaults
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn global(args: &[&str]) -> GlobalArgs {
        let mut words = vec!["dactl"];
        words.extend(args);
        words.push("list");
        crate::cli::Cli::try_parse_from(words).unwrap().global
    }

    fn env(pairs: &[(&str, &str)]) -> EnvVars {
        EnvVars::from_pairs(pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())))
    }

    const CREDS: &[(&str, &str)] = &[
        ("HOME", "/h"),
        ("GENESYS_CLIENT_ID", "id"),
        ("GENESYS_CLIENT_SECRET", "s"),
    ];

    fn files(profile: &str) -> ConfigFiles {
        ConfigFiles {
            dactl: Some(crate::profiles::ConfigFile {
                path: PathBuf::from("/c.toml"),
                text: format!("[profiles.default]\n{profile}"),
                mode: Some(0o600),
            }),
            gc: None,
        }
    }

    fn message(e: anyhow::Error) -> String {
        format!("{e:#}")
    }

    #[test]
    fn common_settings() {
        let c = Common::resolve(&global(&["-o", "wide", "--tokens", "3"]), &env(CREDS)).unwrap();
        assert_eq!(c.home, PathBuf::from("/h/.local/share/dactl"));
        assert_eq!(
            (c.format, c.wide, c.tokens, c.color),
            (Format::Table, true, Some(3), true)
        );
        let c = Common::resolve(
            &global(&["-o", "json"]),
            &env(&[("HOME", "/h"), ("NO_COLOR", "1")]),
        )
        .unwrap();
        assert_eq!((c.format, c.wide, c.color), (Format::Json, false, false));
        // An empty NO_COLOR does not count; --no-color always does.
        assert!(
            Common::resolve(&global(&[]), &env(&[("HOME", "/h"), ("NO_COLOR", "")]))
                .unwrap()
                .color
        );
        assert!(
            !Common::resolve(&global(&["--no-color"]), &env(CREDS))
                .unwrap()
                .color
        );
    }

    /// The checks fire in the documented order: with every value bad, the first check's error
    /// is the one reported; mend it, and the next one's is.
    #[test]
    fn checks_fire_in_order() {
        let steps: [(&str, &str, &str); 4] = [
            ("DACTL_HOME", "", "`DACTL_HOME` is set but empty"),
            (
                "GENESYS_CLIENT_ID",
                "",
                "`GENESYS_CLIENT_ID` is set but empty",
            ),
            (
                "DACTL_HTTP_TIMEOUT",
                "soon",
                "`DACTL_HTTP_TIMEOUT` must be a number of seconds",
            ),
            (
                "DACTL_TOKEN_CACHE",
                "sometimes",
                "`DACTL_TOKEN_CACHE` must be `on` or `off`",
            ),
        ];
        let none = ConfigFiles::default();
        let mut vars: Vec<(&str, &str)> = steps.iter().map(|(k, v, _)| (*k, *v)).collect();
        vars.push(("GENESYS_CLIENT_SECRET", "s"));
        let e = Settings::resolve(&global(&["--tokens", "11"]), &env(&vars), &none).unwrap_err();
        assert!(message(e).contains("`--tokens` must be from 1 to 10"));
        for (i, (_, _, want)) in steps.iter().enumerate() {
            let e = Settings::resolve(&global(&[]), &env(&vars), &none).unwrap_err();
            assert!(message(e).contains(want), "step {i}");
            vars[i].1 = ["/h", "id", "2", "on"][i];
        }
        assert!(Settings::resolve(&global(&[]), &env(&vars), &none).is_ok());
    }

    /// flags, variables, profile body; then tokens, extra CA, token cache, HTTP timeout (s).
    type Row<'a> = (
        &'a [&'a str],
        &'a [(&'a str, &'a str)],
        &'a str,
        u32,
        Option<&'a str>,
        Keep,
        Option<u64>,
    );

    /// Tokens and the extra CA: flag > profile > default; the rest from flags and environment.
    #[test]
    fn connection_matrix() {
        let cases: &[Row] = &[
            (&[], &[], "", 1, None, Keep::ReadWrite, None),
            (
                &["--tokens", "2"],
                &[],
                "tokens = 4\n",
                2,
                None,
                Keep::ReadWrite,
                None,
            ),
            (
                &[],
                &[],
                "tokens = 4\nca_file = \"/p.pem\"\n",
                4,
                Some("/p.pem"),
                Keep::ReadWrite,
                None,
            ),
            (
                &["--ca-file", "/f.pem"],
                &[],
                "ca_file = \"/p.pem\"\n",
                1,
                Some("/f.pem"),
                Keep::ReadWrite,
                None,
            ),
            (
                &[],
                &[("DACTL_TOKEN_CACHE", "off"), ("DACTL_HTTP_TIMEOUT", "2")],
                "",
                1,
                None,
                Keep::Off,
                Some(2),
            ),
        ];
        for (flags, vars, profile, tokens, ca, keep, timeout) in cases {
            let mut all = CREDS.to_vec();
            all.extend(*vars);
            let s = Settings::resolve(&global(flags), &env(&all), &files(profile)).unwrap();
            assert_eq!(s.tokens, *tokens, "{flags:?} {profile}");
            assert_eq!(s.ca_file, ca.map(PathBuf::from), "{flags:?} {profile}");
            assert_eq!(s.token_cache, *keep, "{vars:?}");
            assert_eq!(s.http_timeout, timeout.map(Duration::from_secs), "{vars:?}");
            let o = s.client_options();
            assert_eq!(
                (o.tokens, o.ca_file, o.rate_per_minute),
                (s.tokens, s.ca_file.clone(), s.rate)
            );
            let check = s.for_credential_check();
            assert_eq!(check.tokens, 1);
            assert_eq!(check.token_cache == Keep::Off, *keep == Keep::Off);
        }
    }

    #[test]
    fn the_secret_is_read_once_before_connecting() {
        let vars = env(&[("HOME", "/h"), ("PSECRET", "from-profile")]);
        let mut s = Settings::resolve(
            &global(&[]),
            &vars,
            &files("client_id = \"pid\"\nclient_secret_env = \"PSECRET\"\n"),
        )
        .unwrap();
        assert!(s.target().is_err(), "not read yet");
        assert!(s.read_secret(&vars).unwrap().is_empty());
        match s.target().unwrap() {
            Target::Remote { credentials, .. } => {
                assert_eq!(credentials.client_secret.expose(), "from-profile");
                assert_eq!(credentials.client_id, "pid");
            }
            Target::Sandbox => panic!("remote expected"),
        }
        assert!(!format!("{s:?}").contains("from-profile"));
    }
}
