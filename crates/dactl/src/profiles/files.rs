//! Finding and reading the config files: the only file I/O of profile resolution, and the
//! helpers the two parsers share (TOML syntax errors with their line, `~` in paths, the warning
//! for a secret in a file that others can read).

use std::path::{Path, PathBuf};

use crate::env::{self, EnvVars};
use crate::error::Failure;

use super::{ConfigFile, ConfigFiles};

/// Paths of the config files: (dactl's, whether it was named by `DACTL_CONFIG`, gc's).
pub fn config_paths(env: &EnvVars) -> Result<(Option<PathBuf>, bool, Option<PathBuf>), Failure> {
    let home = env.non_blank(env::HOME).map(PathBuf::from);
    let gc = home.as_ref().map(|h| h.join(".gc").join("config.toml"));
    if let Some(p) = env.non_empty(env::DACTL_CONFIG)? {
        return Ok((Some(PathBuf::from(p)), true, gc));
    }
    if let Some(x) = env.non_blank(env::XDG_CONFIG_HOME) {
        return Ok((Some(PathBuf::from(x).join("dactl/config.toml")), false, gc));
    }
    Ok((home.map(|h| h.join(".config/dactl/config.toml")), false, gc))
}

fn read_config(path: &Path, must_exist: bool) -> Result<Option<ConfigFile>, Failure> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8(bytes)
                .map_err(|_| Failure::usage(format!("`{}` is not UTF-8 text", path.display())))?;
            Ok(Some(ConfigFile {
                path: path.to_path_buf(),
                text,
                mode: file_mode(path),
            }))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => Ok(None),
        Err(e) => Err(Failure::usage(format!(
            "cannot read the config file `{}`: {e}",
            path.display()
        ))
        .hint(if must_exist {
            "`DACTL_CONFIG` names a file that must exist; fix the path or unset it"
        } else {
            "check the file's permissions"
        })),
    }
}

/// Unix permission bits of a file (`None` elsewhere or when unreadable).
pub fn file_mode(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .ok()
            .map(|m| m.permissions().mode() & 0o777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Read the config files that exist (the only I/O of profile resolution).
pub fn load_files(env: &EnvVars) -> Result<ConfigFiles, Failure> {
    let (dactl, explicit, gc) = config_paths(env)?;
    Ok(ConfigFiles {
        dactl: match dactl {
            Some(p) => read_config(&p, explicit)?,
            None => None,
        },
        gc: match gc {
            Some(p) => read_config(&p, false)?,
            None => None,
        },
    })
}

pub(crate) fn readable_by_others(mode: Option<u32>) -> bool {
    mode.is_some_and(|m| m & 0o077 != 0)
}

/// The warning for a secret kept in a file that group or others can read.
pub fn readable_warning(path: &Path, mode: u32) -> String {
    format!(
        "`{}` holds a client secret and is readable by group or others (mode {:o}); run `chmod 600 {}`",
        path.display(),
        mode,
        path.display()
    )
}
pub(crate) fn bad_key(path: &Path, key: &str, problem: &str) -> Failure {
    Failure::usage(format!("`{}`: `{key}` {problem}", path.display()))
}

pub(crate) fn parse_toml(file: &ConfigFile) -> Result<toml::Table, Failure> {
    file.text.parse::<toml::Table>().map_err(|e| {
        Failure::usage(format!(
            "`{}` is not valid TOML: {}",
            file.path.display(),
            e.message()
        ))
        .hint(match e.span() {
            Some(span) => {
                let line = file.text[..span.start.min(file.text.len())]
                    .matches('\n')
                    .count()
                    + 1;
                format!("the problem is on line {line}")
            }
            None => "check the file's syntax".to_string(),
        })
    })
}

pub(crate) fn expand_path(raw: &str, base: &Path, env: &EnvVars) -> PathBuf {
    if let Some(rest) = raw.strip_prefix("~/") {
        if let Some(h) = env.raw(env::HOME).filter(|h| !h.is_empty()) {
            return PathBuf::from(h).join(rest);
        }
    }
    let p = PathBuf::from(raw);
    if p.is_absolute() {
        p
    } else {
        base.parent().unwrap_or(Path::new(".")).join(p)
    }
}
