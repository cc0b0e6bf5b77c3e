//! A profile's client secret, read when a command connects: from an environment variable, a
//! file, or the OS keyring (service [`KEYRING_SERVICE`](super::KEYRING_SERVICE), account = the profile's name; only in a
//! dactl built with `--features keyring`). This is the only code that touches secret files or
//! the keyring.

use genesys_client::Secret;

use crate::env::EnvVars;
use crate::error::Failure;

use super::files::{file_mode, readable_by_others, readable_warning};
#[cfg(feature = "keyring")]
use super::KEYRING_SERVICE;
use super::{Profile, SecretRef};

/// Read the secret a profile points at. This is the only place that touches secret files or
/// the keyring. Returns the secret and any warning (e.g. a secret file readable by others).
pub fn read_secret(
    profile: &Profile,
    secret: &SecretRef,
    env: &EnvVars,
) -> Result<(Secret, Vec<String>), Failure> {
    match secret {
        SecretRef::Plain { secret, .. } => Ok((secret.clone(), Vec::new())),
        SecretRef::Env(var) => match env.non_empty(var)? {
            Some(v) => Ok((Secret::new(v.trim().to_string()), Vec::new())),
            None => Err(Failure::usage(format!(
                "{} reads its secret from `{var}`, which is not set",
                profile.label()
            ))
            .hint(format!(
                "export `{var}`, or change the profile's `client_secret_env`"
            ))),
        },
        SecretRef::File(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::usage(format!(
                    "cannot read the secret file `{}` of {}: {e}",
                    path.display(),
                    profile.label()
                ))
            })?;
            let s = text.trim();
            if s.is_empty() {
                return Err(Failure::usage(format!(
                    "the secret file `{}` of {} is empty",
                    path.display(),
                    profile.label()
                )));
            }
            let warnings = match file_mode(path) {
                Some(m) if readable_by_others(Some(m)) => vec![readable_warning(path, m)],
                _ => Vec::new(),
            };
            Ok((Secret::new(s.to_string()), warnings))
        }
        SecretRef::Keyring { account } => keyring_get(profile, account).map(|s| (s, Vec::new())),
    }
}

#[cfg(feature = "keyring")]
fn keyring_get(profile: &Profile, account: &str) -> Result<Secret, Failure> {
    let entry = keyring::Entry::new(KEYRING_SERVICE, account).map_err(|e| {
        Failure::usage(format!(
            "cannot open the OS keyring for {}: {e}",
            profile.label()
        ))
    })?;
    match entry.get_password() {
        Ok(s) if !s.trim().is_empty() => Ok(Secret::new(s.trim().to_string())),
        Ok(_) | Err(keyring::Error::NoEntry) => Err(Failure::usage(format!(
            "the OS keyring has no secret for {} (service `{KEYRING_SERVICE}`, account `{account}`)",
            profile.label()
        ))
        .hint(format!(
            "store it with `dactl profiles set-secret {account}` (reads the secret from stdin)"
        ))
        .hint(KEYRING_LINUX_HINT)),
        Err(e) => Err(Failure::usage(format!(
            "cannot read the OS keyring for {}: {e}",
            profile.label()
        ))
        .hint(KEYRING_LINUX_HINT)),
    }
}

/// On Linux the keyring is the kernel's (keyutils): sessions without one cannot use it.
#[cfg(feature = "keyring")]
const KEYRING_LINUX_HINT: &str = "on Linux dactl uses the kernel keyring (keyutils), which a session without a user keyring (a container, some SSH or cron sessions) cannot use; there, use `client_secret_file` or `client_secret_env`";

#[cfg(not(feature = "keyring"))]
fn keyring_get(profile: &Profile, _account: &str) -> Result<Secret, Failure> {
    Err(Failure::usage(format!(
        "{} keeps its secret in the OS keyring, but this dactl was built without keyring support",
        profile.label()
    ))
    .hint("rebuild with `cargo install --path crates/dactl --features keyring`, or use `client_secret_env` / `client_secret_file`"))
}

/// Store a profile's secret in the OS keyring (`dactl profiles set-secret`).
#[cfg(feature = "keyring")]
pub fn keyring_set(account: &str, secret: &Secret) -> Result<(), Failure> {
    let entry = keyring::Entry::new(KEYRING_SERVICE, account)
        .map_err(|e| Failure::usage(format!("cannot open the OS keyring: {e}")))?;
    entry.set_password(secret.expose()).map_err(|e| {
        Failure::usage(format!("cannot write to the OS keyring: {e}")).hint(KEYRING_LINUX_HINT)
    })
}

/// Store a profile's secret in the OS keyring: unavailable in this build.
#[cfg(not(feature = "keyring"))]
pub fn keyring_set(_account: &str, _secret: &Secret) -> Result<(), Failure> {
    Err(
        Failure::usage("this dactl was built without keyring support")
            .hint("rebuild with `cargo install --path crates/dactl --features keyring`"),
    )
}
