//! Messages that say what to do next: whole commands that can be pasted, and "did you mean"
//! suggestions.
//!
//! **Next steps.** Every command dactl prints for the user to run next (`undo with:`,
//! `continue with:`, `apply with:`, …) is built by [`next_step`]: `dactl`, then the flags that
//! chose the target of this command line (`--sandbox`, `--profile`, `--region`,
//! `--base-url`), then the command's own words, each quoted for a POSIX shell. Pasted into the
//! same shell it reaches the same org: the environment (`GENESYSCLOUD_*`, `DACTL_PROFILE`)
//! is still there, and only flags were missing before.
//!
//! **Suggestions.** The "did you mean" helpers live in [`crate::text`] (a leaf module, so
//! that settings and profiles can use them); they are re-exported here.

pub use crate::text::{nearest, or_list};

use crate::settings::ConnectionFlags;

/// Quote one word for a POSIX shell: unchanged when it holds only characters no shell treats
/// specially, else in single quotes (a `'` inside becomes `'\''`). Hand-written: the rule is
/// five lines, and the quoting crates would add a dependency for it.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The target flags of a command line, as words to repeat in a next step.
pub fn target_words(flags: &ConnectionFlags) -> Vec<String> {
    let mut out = Vec::new();
    if flags.sandbox {
        out.push("--sandbox".to_string());
    }
    if let Some(p) = &flags.profile {
        out.extend(["--profile".to_string(), p.clone()]);
    }
    if let Some(r) = &flags.region {
        out.extend(["--region".to_string(), r.clone()]);
    }
    if let Some(u) = &flags.base_url {
        out.extend(["--base-url".to_string(), u.clone()]);
    }
    if let Some(f) = &flags.ca_file {
        out.extend(["--ca-file".to_string(), f.display().to_string()]);
    }
    out
}

/// A whole command to print as a next step: `dactl`, the target flags, then `args`, each
/// word shell-quoted.
pub fn next_step(flags: &ConnectionFlags, args: &[&str]) -> String {
    let mut words = vec!["dactl".to_string()];
    words.extend(target_words(flags).iter().map(|w| shell_quote(w)));
    words.extend(args.iter().map(|w| shell_quote(w)));
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_is_posix() {
        assert_eq!(shell_quote("undo"), "undo");
        assert_eq!(
            shell_quote("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(shell_quote("Get Contact"), "'Get Contact'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
    }

    #[test]
    fn next_step_carries_the_target_flags() {
        let f = ConnectionFlags {
            base_url: Some("http://127.0.0.1:9/x y".into()),
            profile: Some("prod".into()),
            ..ConnectionFlags::default()
        };
        assert_eq!(
            next_step(&f, &["undo", "RUN"]),
            "dactl --profile prod --base-url 'http://127.0.0.1:9/x y' undo RUN"
        );
        let c = ConnectionFlags {
            region: Some("eu-west-1".into()),
            ca_file: Some("/etc/corp ca.pem".into()),
            ..ConnectionFlags::default()
        };
        assert_eq!(
            next_step(&c, &["runs", "show", "last"]),
            "dactl --region eu-west-1 --ca-file '/etc/corp ca.pem' runs show last"
        );
        let s = ConnectionFlags {
            sandbox: true,
            ..ConnectionFlags::default()
        };
        assert_eq!(
            next_step(&s, &["apply", "-f", "my policy.toml"]),
            "dactl --sandbox apply -f 'my policy.toml'"
        );
    }
}
