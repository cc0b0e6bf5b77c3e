//! Values with a simple rule of their own: where dactl keeps its state, and how many access
//! tokens the workers share.

use std::path::PathBuf;

use crate::env::{self, EnvVars};
use crate::error::Failure;

use super::Resolution;

/// The access tokens shared by the workers: `--tokens` (already checked), else the profile's
/// `tokens`, else 1 (flag > profile > default; no environment variable).
pub fn tokens(flag: Option<u32>, res: &Resolution) -> u32 {
    flag.or_else(|| res.profile.as_ref().and_then(|(p, _)| p.tokens))
        .unwrap_or(1)
}

/// Where dactl keeps its state: `DACTL_HOME`, else `$XDG_DATA_HOME/dactl`, else
/// `$HOME/.local/share/dactl`.
pub fn resolve_home(env: &EnvVars) -> Result<PathBuf, Failure> {
    if let Some(h) = env.non_empty(env::DACTL_HOME)? {
        return Ok(PathBuf::from(h));
    }
    if let Some(x) = env.non_blank(env::XDG_DATA_HOME) {
        return Ok(PathBuf::from(x).join("dactl"));
    }
    if let Some(h) = env.non_blank(env::HOME) {
        return Ok(PathBuf::from(h).join(".local/share/dactl"));
    }
    Err(Failure::usage("cannot find a folder for dactl's state")
        .hint("set `DACTL_HOME` to a writable folder"))
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
}
