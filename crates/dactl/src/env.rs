//! Every environment variable dactl reads, by name, and [`EnvVars`], the snapshot of the
//! environment that is injected into the code that reads them.
//!
//! The binary takes one snapshot of the process environment at start and passes it down; tests
//! pass a map. Library code never calls `std::env::var`: it asks an [`EnvVars`] for one of the
//! names below (or, for `client_secret_env`, for the variable a profile names).
//!
//! The values may be secrets, so [`EnvVars`] has no `Display`, and its `Debug` shows how many
//! variables it holds, never their names or values.

use std::collections::BTreeMap;

use crate::error::Failure;

/// Where dactl keeps its state (runs, backups, kept tokens, the sandbox); must not be empty.
pub const DACTL_HOME: &str = "DACTL_HOME";
/// The base folder of user data: dactl's state is `$XDG_DATA_HOME/dactl` without `DACTL_HOME`.
pub const XDG_DATA_HOME: &str = "XDG_DATA_HOME";
/// The user's home folder: the fallback for the state and config folders, gc's
/// `~/.gc/config.toml`, and `~` in the paths of a config file.
pub const HOME: &str = "HOME";
/// dactl's config file; when set, the file must exist.
pub const DACTL_CONFIG: &str = "DACTL_CONFIG";
/// The base folder of user config: dactl's config is `$XDG_CONFIG_HOME/dactl/config.toml`.
pub const XDG_CONFIG_HOME: &str = "XDG_CONFIG_HOME";
/// The profile to use when `--profile` is not given.
pub const DACTL_PROFILE: &str = "DACTL_PROFILE";
/// The Genesys Cloud region (or domain) to reach, below `--region`/`--base-url`.
pub const GENESYSCLOUD_REGION: &str = "GENESYSCLOUD_REGION";
/// The OAuth client id (the official SDKs' name); goes with
/// [`GENESYSCLOUD_OAUTHCLIENT_SECRET`].
pub const GENESYSCLOUD_OAUTHCLIENT_ID: &str = "GENESYSCLOUD_OAUTHCLIENT_ID";
/// The OAuth client secret (the official SDKs' name); goes with
/// [`GENESYSCLOUD_OAUTHCLIENT_ID`].
pub const GENESYSCLOUD_OAUTHCLIENT_SECRET: &str = "GENESYSCLOUD_OAUTHCLIENT_SECRET";
/// The OAuth client id (short name); goes with [`GENESYS_CLIENT_SECRET`].
pub const GENESYS_CLIENT_ID: &str = "GENESYS_CLIENT_ID";
/// The OAuth client secret (short name); goes with [`GENESYS_CLIENT_ID`].
pub const GENESYS_CLIENT_SECRET: &str = "GENESYS_CLIENT_SECRET";
/// The overall timeout of one HTTP attempt, in seconds (0.1 to 3600; see [`crate::net`]).
pub const DACTL_HTTP_TIMEOUT: &str = "DACTL_HTTP_TIMEOUT";
/// `0`, `off`, `false` or `no` stops the client from opening the API connection while the first
/// token is fetched (see [`crate::net`]).
pub const DACTL_PRECONNECT: &str = "DACTL_PRECONNECT";
/// `off` (or `0`, `false`, `no`) stops dactl from keeping access tokens between commands (see
/// [`crate::token_cache`]).
pub const DACTL_TOKEN_CACHE: &str = "DACTL_TOKEN_CACHE";
/// Any non-empty value turns colour off (<https://no-color.org>).
pub const NO_COLOR: &str = "NO_COLOR";
/// A tracing filter (such as `genesys_client=debug`) that replaces the level `-v` sets.
pub const DACTL_LOG: &str = "DACTL_LOG";
/// The terminal width for tables, when stdout is a terminal.
pub const COLUMNS: &str = "COLUMNS";
/// Test hook: `1` makes dactl behave as on a terminal (fitted tables, summaries, the prompt).
pub const DACTL_TEST_TTY: &str = "DACTL_TEST_TTY";
/// Test hook: the point at which a run stops as if the process died (see
/// [`crate::engine::CrashPoint`]).
pub const DACTL_TEST_CRASH_AT: &str = "DACTL_TEST_CRASH_AT";

/// An injected snapshot of the environment variables.
#[derive(Clone, Default)]
pub struct EnvVars {
    vars: BTreeMap<String, String>,
}

/// Shows how many variables there are: names and values may say too much.
impl std::fmt::Debug for EnvVars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvVars")
            .field("len", &self.vars.len())
            .finish_non_exhaustive()
    }
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

    /// The value of a variable that is set and not blank (an empty value counts as unset).
    pub fn non_blank(&self, name: &str) -> Option<&str> {
        self.raw(name).filter(|v| !v.trim().is_empty())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_value() {
        let e = EnvVars::from_pairs([(GENESYS_CLIENT_SECRET.to_string(), "s3cr3t".to_string())]);
        let d = format!("{e:?}");
        assert!(
            !d.contains("s3cr3t") && !d.contains(GENESYS_CLIENT_SECRET),
            "{d}"
        );
    }

    #[test]
    fn empty_values() {
        let e = EnvVars::from_pairs([(HOME.to_string(), " ".to_string())]);
        assert_eq!(e.raw(HOME), Some(" "));
        assert_eq!(e.non_blank(HOME), None);
        assert!(e.non_empty(HOME).is_err());
        assert_eq!(e.non_empty(DACTL_HOME).unwrap(), None);
    }
}
