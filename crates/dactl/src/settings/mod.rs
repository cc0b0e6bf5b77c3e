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
//! | access tokens ([`tokens`]) | `--tokens` | – | `tokens` | 1 |
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

mod credentials;
mod regions;
mod target;
mod values;

pub use crate::env::EnvVars;
pub use crate::profiles::{check_tokens, MAX_TOKENS, TOKENS_HINT};
pub use credentials::credentials_from_env;
pub use target::{
    materialize, resolve, resolve_target, ConnectionFlags, Resolution, SecretSpec, SelectedBy,
    Target, TargetSpec,
};
pub use values::{resolve_home, tokens};
