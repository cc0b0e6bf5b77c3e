//! Profiles: named connection settings, from dactl's own config file and (read only) from the
//! official `gc` CLI's `~/.gc/config.toml`.
//!
//! **dactl's config** is found at `DACTL_CONFIG` (which must exist when set), else
//! `$XDG_CONFIG_HOME/dactl/config.toml`, else `~/.config/dactl/config.toml` (a missing default
//! file simply means no dactl profiles). It holds `[profiles.NAME]` tables:
//!
//! ```toml
//! [profiles.prod]
//! region = "eu-west-1"                 # or base_url = "https://api.mypurecloud.ie"
//! client_id = "3f0c…"
//! client_secret_env = "PROD_GENESYS_SECRET"   # or one of:
//! # client_secret_file = "~/.config/dactl/prod.secret"   (relative paths: beside this file)
//! # client_secret_keyring = true       (OS keyring, service `dactl`, account `prod`;
//! #                                     needs a dactl built with `--features keyring`)
//! # client_secret = "…"                (accepted for parity with gc, with a warning)
//! tokens = 4                           # optional: access tokens shared by the workers
//!                                      # (1-10, like `--tokens`; default 1)
//! ca_file = "~/corp-ca.pem"            # optional: an extra trusted CA (PEM), like --ca-file
//! ```
//!
//! The file is checked strictly: an unknown key, a wrong type, two endpoints or two secret
//! sources are errors that name the file and the key (exit 2). A secret is never required in
//! plain text; where one is found in a file that group or others can read, dactl warns.
//!
//! **gc's config** (`~/.gc/config.toml`) has one top-level table per profile; dactl reads the
//! keys `environment` (a region such as `eu-west-1` or `me_central_1`, a domain such as
//! `mypurecloud.ie`, or `localhost[:port]`), `client_credentials` (the client id) and
//! `client_secret`, and ignores the others (gc writes many). dactl never writes that file.
//!
//! Parsing is pure: the caller reads the files ([`load_files`]) and passes their text and
//! permission bits in, so tests need no disk. A profile name may be written `gc:NAME` to pick
//! the gc profile when dactl's config has one of the same name.

mod dactl;
mod de;
mod files;
mod gc;
mod secrets;

use std::path::PathBuf;

use genesys_client::Secret;
use serde::Serialize;

use crate::env::EnvVars;
use crate::error::Failure;

pub use dactl::parse_dactl;
pub use files::{config_paths, file_mode, load_files, readable_warning};
pub use gc::parse_gc;
pub use secrets::{keyring_set, read_secret};

/// Keys allowed in a `[profiles.NAME]` table of dactl's config.
pub const PROFILE_KEYS: &[&str] = &[
    "region",
    "base_url",
    "client_id",
    "client_secret_env",
    "client_secret_file",
    "client_secret_keyring",
    "client_secret",
    "tokens",
    "ca_file",
];

/// The keyring service under which profile secrets are stored (the account is the profile name).
pub const KEYRING_SERVICE: &str = "dactl";

/// The most access tokens `--tokens` (or a profile's `tokens`) may ask for.
pub const MAX_TOKENS: u32 = genesys_client::MAX_TOKENS;

/// The hint of a bad `--tokens` or `tokens`.
pub const TOKENS_HINT: &str = "give a whole number from 1 to 10: each token may send `--rate` requests a minute; more than 1 pays only where the platform counts its limit per token (see `dactl --help`)";

/// Check a number of access tokens from `what` (a flag or a profile key): 1 to [`MAX_TOKENS`].
pub fn check_tokens(n: i64, what: &str) -> Result<u32, Failure> {
    match u32::try_from(n) {
        Ok(v) if (1..=MAX_TOKENS).contains(&v) => Ok(v),
        _ => Err(Failure::usage(format!(
            "{what} must be from 1 to {MAX_TOKENS} access tokens, not `{n}`"
        ))
        .hint(TOKENS_HINT)),
    }
}

/// Which tool's config a profile came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tool {
    /// dactl's own config.
    Dactl,
    /// The official gc CLI's `~/.gc/config.toml` (read only).
    Gc,
}

impl Tool {
    /// `dactl` or `gc`.
    pub fn as_str(self) -> &'static str {
        match self {
            Tool::Dactl => "dactl",
            Tool::Gc => "gc",
        }
    }
}

/// One config file's content, read by the caller.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its text.
    pub text: String,
    /// Unix permission bits (`None` where unknown).
    pub mode: Option<u32>,
}

/// The config files that exist, as read by [`load_files`].
#[derive(Debug, Clone, Default)]
pub struct ConfigFiles {
    /// dactl's config, if present.
    pub dactl: Option<ConfigFile>,
    /// gc's config, if present.
    pub gc: Option<ConfigFile>,
}

/// Where a profile sends requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A region name or domain (`eu-west-1`, `mypurecloud.ie`).
    Region(String),
    /// A base URL.
    BaseUrl(String),
}

/// Where a profile's client secret comes from. Never holds a value except [`SecretRef::Plain`],
/// whose value was written in a config file.
#[derive(Debug, Clone)]
pub enum SecretRef {
    /// An environment variable.
    Env(String),
    /// A file holding the secret (whitespace at its ends is ignored).
    File(PathBuf),
    /// The OS keyring (service [`KEYRING_SERVICE`], account = profile name).
    Keyring {
        /// Keyring account.
        account: String,
    },
    /// Written in the config file itself.
    Plain {
        /// The secret.
        secret: Secret,
        /// The file that holds it.
        file: PathBuf,
    },
}

impl SecretRef {
    /// Where the secret comes from, for humans: never the value.
    pub fn describe(&self) -> String {
        match self {
            SecretRef::Env(v) => format!("environment variable `{v}`"),
            SecretRef::File(p) => format!("file `{}`", p.display()),
            SecretRef::Keyring { account } => {
                format!("OS keyring (service `{KEYRING_SERVICE}`, account `{account}`)")
            }
            SecretRef::Plain { file, .. } => format!("plain text in `{}`", file.display()),
        }
    }

    /// A short machine-friendly name: `env`, `file`, `keyring`, `plain`.
    pub fn kind(&self) -> &'static str {
        match self {
            SecretRef::Env(_) => "env",
            SecretRef::File(_) => "file",
            SecretRef::Keyring { .. } => "keyring",
            SecretRef::Plain { .. } => "plain",
        }
    }
}

/// One profile.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Its name (gc profile names are lower-cased, as gc does).
    pub name: String,
    /// Which tool's config it is in.
    pub tool: Tool,
    /// The file it is in.
    pub path: PathBuf,
    /// Region or base URL, if set.
    pub endpoint: Option<Endpoint>,
    /// Client id, if set.
    pub client_id: Option<String>,
    /// Secret source, if set.
    pub secret: Option<SecretRef>,
    /// Access tokens shared by the workers (`tokens`, 1-10; dactl's config only).
    pub tokens: Option<u32>,
    /// An extra trusted CA (PEM), if set (`ca_file`; relative paths: beside the config).
    pub ca_file: Option<PathBuf>,
    /// Problems worth a warning (a secret in a readable file, ...).
    pub warnings: Vec<String>,
}

impl Profile {
    /// `profile `NAME` (dactl config `PATH`)`, for messages.
    pub fn label(&self) -> String {
        format!(
            "profile `{}` ({} config `{}`)",
            self.name,
            self.tool.as_str(),
            self.path.display()
        )
    }
}

/// Every profile: dactl's first, then gc's.
pub fn all_profiles(files: &ConfigFiles, env: &EnvVars) -> Result<Vec<Profile>, Failure> {
    let mut out = Vec::new();
    if let Some(f) = &files.dactl {
        out.extend(parse_dactl(f, env)?);
    }
    if let Some(f) = &files.gc {
        out.extend(parse_gc(f)?);
    }
    Ok(out)
}

/// Find a profile by name: dactl's first, then gc's; `gc:NAME` picks gc's.
pub fn find<'a>(profiles: &'a [Profile], name: &str) -> Option<&'a Profile> {
    if let Some(n) = name.strip_prefix("gc:") {
        let n = n.to_lowercase();
        return profiles.iter().find(|p| p.tool == Tool::Gc && p.name == n);
    }
    profiles
        .iter()
        .find(|p| p.tool == Tool::Dactl && p.name == name)
        .or_else(|| {
            let n = name.to_lowercase();
            profiles.iter().find(|p| p.tool == Tool::Gc && p.name == n)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn env(pairs: &[(&str, &str)]) -> EnvVars {
        EnvVars::from_pairs(pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())))
    }

    fn file(path: &str, text: &str, mode: u32) -> ConfigFile {
        ConfigFile {
            path: PathBuf::from(path),
            text: text.to_string(),
            mode: Some(mode),
        }
    }

    /// A dactl profile `name` in `/c.toml` with client id `a` and nothing else.
    fn with_client_id(name: &str) -> Profile {
        Profile {
            name: name.into(),
            tool: Tool::Dactl,
            path: PathBuf::from("/c.toml"),
            endpoint: None,
            client_id: Some("a".into()),
            secret: None,
            tokens: None,
            ca_file: None,
            warnings: vec![],
        }
    }

    /// A `~/.gc/config.toml` as the gc CLI writes it (viper: one table per profile, every key
    /// written, the environment stored as the mapped domain).
    pub(crate) const GC_FIXTURE: &str = include_str!("../../tests/fixtures/gc-config.toml");

    #[test]
    fn gc_fixture_is_read_correctly() {
        let f = file("/home/u/.gc/config.toml", GC_FIXTURE, 0o644);
        let ps = parse_gc(&f).unwrap();
        let names: Vec<&str> = ps.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["default", "emea-prod", "local", "mideast"]);
        let d = &ps[0];
        assert_eq!(d.tool, Tool::Gc);
        assert_eq!(
            d.endpoint,
            Some(Endpoint::Region("mypurecloud.com".to_string()))
        );
        assert_eq!(
            d.client_id.as_deref(),
            Some("0b7a5b1c-1111-4e1e-9a55-6c4b3c2d1e0f")
        );
        match &d.secret {
            Some(SecretRef::Plain { secret, file }) => {
                assert_eq!(secret.expose(), "gc-default-secret");
                assert_eq!(file, &PathBuf::from("/home/u/.gc/config.toml"));
            }
            other => panic!("{other:?}"),
        }
        // 0644 holds a secret: warned, and the warning never quotes the secret.
        assert!(d.warnings.iter().any(|w| w.contains("chmod 600")));
        assert!(!d.warnings.iter().any(|w| w.contains("gc-default-secret")));
        assert_eq!(
            ps[1].endpoint,
            Some(Endpoint::Region("mypurecloud.ie".to_string()))
        );
        assert_eq!(
            ps[2].endpoint,
            Some(Endpoint::BaseUrl("http://localhost:8080".to_string()))
        );
        assert_eq!(
            ps[3].endpoint,
            Some(Endpoint::Region("me_central_1".to_string()))
        );
        // the region forms gc writes all resolve
        for p in &ps {
            match p.endpoint.as_ref().unwrap() {
                Endpoint::Region(r) => {
                    genesys_client::Environment::from_region(r).unwrap();
                }
                Endpoint::BaseUrl(u) => {
                    genesys_client::Environment::from_base_url(u).unwrap();
                }
            }
        }
        // a private file: no warning
        let ps = parse_gc(&file("/x", GC_FIXTURE, 0o600)).unwrap();
        assert!(ps.iter().all(|p| p.warnings.is_empty()));
    }

    #[test]
    fn gc_wrong_type_names_file_and_key() {
        let e = parse_gc(&file("/g.toml", "[p]\nclient_secret = 5\n", 0o600)).unwrap_err();
        assert_eq!(e.exit, crate::error::Exit::Usage);
        assert!(e.message.contains("/g.toml"), "{}", e.message);
        assert!(e.message.contains("`p.client_secret`"), "{}", e.message);
    }

    #[test]
    fn dactl_profiles_parse() {
        let text = r#"
[profiles.prod]
region = "eu-west-1"
client_id = "abc"
client_secret_env = "PROD_SECRET"

[profiles.lab]
base_url = "http://127.0.0.1:9000"
client_id = "lab"
client_secret_file = "lab.secret"

[profiles.home]
client_id = "h"
client_secret_file = "~/s/home.secret"

[profiles.kr]
client_id = "k"
client_secret_keyring = true

[profiles.regiononly]
region = "ap_northeast_1"
"#;
        let ps = parse_dactl(
            &file("/cfg/dactl/config.toml", text, 0o600),
            &env(&[("HOME", "/home/u")]),
        )
        .unwrap();
        assert_eq!(ps.len(), 5);
        // Profiles come sorted by name.
        let names: Vec<&str> = ps.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["home", "kr", "lab", "prod", "regiononly"]);
        let ps: Vec<&Profile> = ["prod", "lab", "home", "kr", "regiononly"]
            .iter()
            .map(|n| ps.iter().find(|p| p.name == *n).unwrap())
            .collect();
        assert!(matches!(&ps[0].secret, Some(SecretRef::Env(v)) if v == "PROD_SECRET"));
        assert!(
            matches!(&ps[1].secret, Some(SecretRef::File(p)) if p == Path::new("/cfg/dactl/lab.secret"))
        );
        assert!(
            matches!(&ps[2].secret, Some(SecretRef::File(p)) if p == Path::new("/home/u/s/home.secret"))
        );
        assert!(matches!(&ps[3].secret, Some(SecretRef::Keyring { account }) if account == "kr"));
        assert!(ps[4].secret.is_none() && ps[4].client_id.is_none());
        assert!(ps.iter().all(|p| p.warnings.is_empty()));
        assert_eq!(
            ps[1].endpoint,
            Some(Endpoint::BaseUrl("http://127.0.0.1:9000".into()))
        );
    }

    #[test]
    fn dactl_errors_name_file_and_key() {
        let cases: &[(&str, &str)] = &[
            ("[profiles.p]\nregoin = \"x\"\n", "`profiles.p.regoin` is not a known key"),
            ("[profiles.p]\nclient_id = 7\n", "`profiles.p.client_id` must be a string, not an integer"),
            ("[profiles.p]\nclient_secret_keyring = \"yes\"\n", "`profiles.p.client_secret_keyring` must be a boolean"),
            ("[profiles.p]\nregion = \"\"\n", "`profiles.p.region` is empty"),
            ("colour = true\n", "`colour` is not a known key"),
            ("profiles = 3\n", "`profiles` must be a table"),
            ("[profiles]\np = 1\n", "`profiles.p` must be a table"),
            ("[[profiles.p]]\nregion = \"x\"\n", "`profiles.p` must be a table, not an array"),
            ("[profiles.p]\nregion = 1979-05-27\n", "`profiles.p.region` must be a string, not a date"),
            ("[profiles.p]\ntokens = \"4\"\n", "`profiles.p.tokens` must be an integer, not a string"),
            ("[profiles.p]\nregion = \"a\"\nbase_url = \"https://x\"\n", "both `region` and `base_url`"),
            ("[profiles.p]\nclient_id = \"a\"\n", "sets `client_id` but no secret"),
            ("[profiles.p]\nclient_secret_env = \"A\"\n", "has a secret but no `client_id`"),
            ("[profiles.p]\nclient_id = \"a\"\nclient_secret_env = \"A\"\nclient_secret_file = \"f\"\n", "2 secret sources (env, file)"),
            ("[profiles.p\n", "is not valid TOML"),
        ];
        for (text, want) in cases {
            let e = parse_dactl(&file("/c/config.toml", text, 0o600), &env(&[])).unwrap_err();
            assert_eq!(e.exit, crate::error::Exit::Usage, "{text}");
            assert!(e.message.contains("/c/config.toml"), "{}", e.message);
            assert!(e.message.contains(want), "{text}: {}", e.message);
        }
    }

    /// `PROFILE_KEYS` (listed in hints, used by the fuzz tests) are the keys the parser takes.
    #[test]
    fn profile_keys_are_the_parsed_keys() {
        for key in PROFILE_KEYS {
            let text = format!("[profiles.p]\n{key} = []\n");
            let e = parse_dactl(&file("/c.toml", &text, 0o600), &env(&[])).unwrap_err();
            assert!(e.message.contains("must be a"), "{key}: {}", e.message);
        }
    }

    #[test]
    fn plain_secret_is_accepted_with_warnings() {
        let text = "[profiles.p]\nclient_id = \"a\"\nclient_secret = \"s3cr3t\"\n";
        let ps = parse_dactl(&file("/c/config.toml", text, 0o644), &env(&[])).unwrap();
        let w = &ps[0].warnings;
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("plain text"));
        assert!(w[1].contains("mode 644"));
        assert!(w.iter().all(|w| !w.contains("s3cr3t")));
        let ps = parse_dactl(&file("/c/config.toml", text, 0o600), &env(&[])).unwrap();
        assert_eq!(ps[0].warnings.len(), 1);
    }

    #[test]
    fn find_prefers_dactl_and_gc_prefix_picks_gc() {
        let mut files = ConfigFiles {
            dactl: Some(file(
                "/d.toml",
                "[profiles.default]\nregion = \"eu-west-1\"\n",
                0o600,
            )),
            gc: Some(file("/g.toml", GC_FIXTURE, 0o600)),
        };
        let ps = all_profiles(&files, &env(&[])).unwrap();
        assert_eq!(find(&ps, "default").unwrap().tool, Tool::Dactl);
        assert_eq!(find(&ps, "gc:default").unwrap().tool, Tool::Gc);
        assert_eq!(find(&ps, "EMEA-Prod").unwrap().name, "emea-prod");
        assert!(find(&ps, "nope").is_none());
        files.dactl = None;
        let ps = all_profiles(&files, &env(&[])).unwrap();
        assert_eq!(find(&ps, "default").unwrap().tool, Tool::Gc);
    }

    #[test]
    fn config_path_precedence() {
        let (p, explicit, gc) = config_paths(&env(&[
            ("DACTL_CONFIG", "/x.toml"),
            ("XDG_CONFIG_HOME", "/xdg"),
            ("HOME", "/h"),
        ]))
        .unwrap();
        assert_eq!(p.unwrap(), PathBuf::from("/x.toml"));
        assert!(explicit);
        assert_eq!(gc.unwrap(), PathBuf::from("/h/.gc/config.toml"));
        let (p, explicit, _) =
            config_paths(&env(&[("XDG_CONFIG_HOME", "/xdg"), ("HOME", "/h")])).unwrap();
        assert_eq!(p.unwrap(), PathBuf::from("/xdg/dactl/config.toml"));
        assert!(!explicit);
        let (p, _, _) = config_paths(&env(&[("HOME", "/h")])).unwrap();
        assert_eq!(p.unwrap(), PathBuf::from("/h/.config/dactl/config.toml"));
        assert!(config_paths(&env(&[("DACTL_CONFIG", " ")])).is_err());
    }

    #[test]
    fn secrets_from_env_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let sf = dir.path().join("s");
        std::fs::write(&sf, "  file-secret\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&sf, std::fs::Permissions::from_mode(0o640)).unwrap();
        }
        let p = with_client_id("p");
        let (s, w) = read_secret(&p, &SecretRef::File(sf.clone()), &env(&[])).unwrap();
        assert_eq!(s.expose(), "file-secret");
        #[cfg(unix)]
        assert!(w[0].contains("mode 640"), "{w:?}");
        let _ = w;
        let (s, _) = read_secret(&p, &SecretRef::Env("V".into()), &env(&[("V", "ev")])).unwrap();
        assert_eq!(s.expose(), "ev");
        let e = read_secret(&p, &SecretRef::Env("V".into()), &env(&[])).unwrap_err();
        assert!(e.message.contains("`V`, which is not set"));
        let e = read_secret(&p, &SecretRef::File(dir.path().join("none")), &env(&[])).unwrap_err();
        assert!(e.message.contains("cannot read the secret file"));
    }

    #[cfg(not(feature = "keyring"))]
    #[test]
    fn keyring_without_the_feature_explains() {
        let p = with_client_id("kr");
        let e = read_secret(
            &p,
            &SecretRef::Keyring {
                account: "kr".into(),
            },
            &env(&[]),
        )
        .unwrap_err();
        assert!(e.message.contains("without keyring support"));
        assert!(e.hints[0].contains("--features keyring"));
    }

    #[cfg(feature = "keyring")]
    #[test]
    fn keyring_round_trip_with_the_mock_store() {
        // The mock back end keeps entries in memory per `Entry`; no D-Bus, no OS keyring.
        keyring::set_default_credential_builder(keyring::mock::default_credential_builder());
        let p = with_client_id("kr");
        let r = SecretRef::Keyring {
            account: "kr".into(),
        };
        // The mock store does not share entries between `Entry` values, so a fresh read finds
        // nothing: that path must explain how to store the secret.
        let e = read_secret(&p, &r, &env(&[])).unwrap_err();
        assert!(e.message.contains("has no secret"), "{}", e.message);
        assert!(e.hints[0].contains("profiles set-secret kr"));
        keyring_set("kr", &Secret::new("k")).unwrap();
    }
}
