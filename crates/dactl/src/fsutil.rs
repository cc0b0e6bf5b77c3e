//! Private files and folders: every file dactl writes under `DACTL_HOME` (journals, backups,
//! plans, the audit log, sandbox state) is created mode 0600 in folders of mode 0700, because
//! backups hold the full configuration of actions, which may include internal URLs and headers.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};

/// Create a folder (and its parents) with mode 0700; tighten it if it already exists.
pub fn private_dir(path: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    b.mode(0o700);
    b.create(path)?;
    #[cfg(unix)]
    {
        let meta = fs::metadata(path)?;
        if meta.permissions().mode() & 0o077 != 0 {
            fs::set_permissions(path, fs::Permissions::from_mode(0o700))?;
        }
    }
    Ok(())
}

fn private_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    o.mode(0o600);
    o
}

/// Write a whole file atomically (temp file, fsync, rename), mode 0600.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomically(path, bytes, true)
}

/// Write a whole file atomically (temp file, rename), mode 0600, without waiting for the disk:
/// for advisory files whose loss costs nothing (the kept token, the versions seen).
pub fn write_private_unsynced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomically(path, bytes, false)
}

fn write_atomically(path: &Path, bytes: &[u8], sync: bool) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        private_dir(parent)?;
    }
    let tmp = path.with_extension(format!("tmp.{}.{}", std::process::id(), fastrand::u32(..)));
    {
        let mut f = private_options().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        if sync {
            f.sync_all()?;
        }
    }
    fs::rename(&tmp, path)?;
    Ok(())
}

/// A file name that stands for `parts` (hosts, client ids) without showing them: 32 hex digits
/// of the SHA-256 of the parts, each prefixed with its length.
pub fn hashed_name(parts: &[&[u8]]) -> String {
    let mut key = Vec::new();
    for part in parts {
        key.extend_from_slice(&(part.len() as u64).to_be_bytes());
        key.extend_from_slice(part);
    }
    let digest = ring::digest::digest(&ring::digest::SHA256, &key);
    digest.as_ref()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Open a file for appending (created 0600 if absent).
pub fn open_append(path: &Path) -> io::Result<File> {
    if let Some(parent) = path.parent() {
        private_dir(parent)?;
    }
    private_options().append(true).create(true).open(path)
}

/// Append one line (a `\n` is added) and flush it to the OS in a single write.
pub fn append_line(file: &mut File, line: &str) -> io::Result<()> {
    let mut buf = Vec::with_capacity(line.len() + 1);
    buf.extend_from_slice(line.as_bytes());
    buf.push(b'\n');
    file.write_all(&buf)?;
    file.flush()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn modes_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        private_dir(&sub).unwrap();
        assert_eq!(
            fs::metadata(&sub).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let f = sub.join("x.json");
        write_private(&f, b"{}").unwrap();
        assert_eq!(
            fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let g = sub.join("j.ndjson");
        let mut h = open_append(&g).unwrap();
        append_line(&mut h, "{}").unwrap();
        assert_eq!(
            fs::metadata(&g).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(fs::read_to_string(&g).unwrap(), "{}\n");
    }
}
