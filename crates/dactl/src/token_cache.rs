//! The access token kept between commands, so that only the first command of a session pays the
//! login round trip (about a fifth of a one-action change, see `bench/RESULTS.md`).
//!
//! **Where.** `$DACTL_HOME/tokens/<name>.json`, mode 0600 in a 0700 folder, written atomically
//! and without waiting for the disk (a lost file costs one login).
//! One file per login host, API host and client id; the name is a hash of the three, so the file
//! names say nothing about the org.
//!
//! **Encrypted with the client secret.** The file holds the token sealed with
//! ChaCha20-Poly1305 under a key derived from the client secret (HKDF-SHA256, salted with this
//! format's label, the hosts and the client id as context). The expiry time is authenticated
//! with it. So the file is useless without the secret, and whoever has the secret can get a
//! token anyway: the cache adds nothing to what the secret already gives. A changed secret
//! cannot open the old file, which then counts as empty. The token never appears in clear in
//! any file, log or output (tests search for it).
//!
//! **Rate budget.** The platform limits requests per token, so the file also lists when the
//! token's requests of the last minute started (in clear: times are not secret). The next
//! command starts its rate limiter from them, or takes a new token when less than half a burst,
//! or half the minute's budget, is left of the kept one's (see `genesys_client::auth`).
//!
//! **A pool of tokens.** With `--tokens N` each token of the pool is kept the same way, with its
//! own request history: the first in the file above (so `--tokens 1` keeps exactly what it
//! always kept), token `i` of the pool (from 1) beside it as `<name>.<i>.json`. Each is taken
//! over by the next command for the same place in its pool.
//!
//! **When.** A kept token is used only with at least two minutes to live
//! ([`genesys_client::auth::STORED_TOKEN_MIN_LIFE`]); a 401 discards it and the request is
//! re-sent once with a new token. `auth check` always logs in anew (it tests the credentials)
//! and keeps the new token. `--sandbox` keeps none (its tokens die with the process).
//! `DACTL_TOKEN_CACHE=off` turns the cache off; `dactl auth forget` deletes every kept token.
//!
//! The primitives are `ring`'s, already in the build through rustls: no new dependency.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use genesys_client::{Credentials, Environment, Secret, StoredToken, TokenStore};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::hkdf;
use ring::rand::{SecureRandom, SystemRandom};

use crate::env::EnvVars;
use crate::error::Failure;

/// The variable that turns the token cache off (`off`, `0`, `false`, `no`) or on (the default).
pub const TOKEN_CACHE_VAR: &str = crate::env::DACTL_TOKEN_CACHE;

/// Label of the file format, the HKDF salt and the start of the authenticated data.
const LABEL: &[u8] = b"dactl token cache v1";
/// Files larger than this are not token files (a minute of requests at 60,000/min fits).
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// How a command uses the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Neither read nor write (cache off, or the sandbox).
    Off,
    /// Use a kept token and keep new ones.
    ReadWrite,
    /// Always log in, keep the new token (`auth check`).
    WriteOnly,
}

/// Whether `DACTL_TOKEN_CACHE` allows the cache; a value that is neither on nor off is a usage
/// error.
pub fn enabled(env: &EnvVars) -> Result<bool, Failure> {
    let Some(raw) = env.non_empty(TOKEN_CACHE_VAR)? else {
        return Ok(true);
    };
    match raw.trim().to_ascii_lowercase().as_str() {
        "on" | "1" | "true" | "yes" => Ok(true),
        "off" | "0" | "false" | "no" => Ok(false),
        _ => Err(Failure::usage(format!(
            "`{TOKEN_CACHE_VAR}` must be `on` or `off`, not `{}`",
            crate::text::shorten(raw)
        ))
        .hint(format!(
            "`{TOKEN_CACHE_VAR}=off` logs in anew for every command"
        ))),
    }
}

/// The folder of kept tokens.
pub fn dir(home: &Path) -> PathBuf {
    home.join("tokens")
}

/// Delete every kept token; returns how many files were deleted.
pub fn forget_all(home: &Path) -> std::io::Result<usize> {
    let entries = match std::fs::read_dir(dir(home)) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut n = 0;
    for entry in entries {
        let path = entry?.path();
        if path.is_file() {
            std::fs::remove_file(&path)?;
            if path.extension().is_some_and(|x| x == "json") {
                n += 1;
            }
        }
    }
    Ok(n)
}

/// The file as written (JSON). No `Debug`: nothing in it is for display.
#[derive(serde::Serialize, serde::Deserialize)]
struct TokenFile {
    format: u32,
    /// Unix seconds.
    expires_at: u64,
    nonce: String,
    sealed: String,
    /// Start times (Unix milliseconds) of the requests sent with the token in the last minute:
    /// the platform's rate limit is per token, so the next command paces itself from them.
    #[serde(default)]
    recent_ms: Vec<u64>,
}

/// The encrypted file store of one login host, API host and client id.
pub struct FileTokenStore {
    path: PathBuf,
    key: LessSafeKey,
    context: Vec<u8>,
    read: bool,
}

impl std::fmt::Debug for FileTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileTokenStore")
            .field("path", &self.path)
            .field("read", &self.read)
            .finish_non_exhaustive()
    }
}

impl FileTokenStore {
    /// The store for `env` and `creds` under `home`; `read: false` never returns a kept token.
    pub fn new(home: &Path, env: &Environment, creds: &Credentials, read: bool) -> FileTokenStore {
        let mut context = Vec::new();
        for part in [
            env.login_base.as_bytes(),
            env.api_base.as_bytes(),
            creds.client_id.as_bytes(),
        ] {
            context.extend_from_slice(&(part.len() as u64).to_be_bytes());
            context.extend_from_slice(part);
        }
        let name = crate::fsutil::hashed_name(&[
            env.login_base.as_bytes(),
            env.api_base.as_bytes(),
            creds.client_id.as_bytes(),
        ]);
        FileTokenStore {
            path: dir(home).join(format!("{name}.json")),
            key: derive_key(&creds.client_secret, &context),
            context,
            read,
        }
    }

    /// The file this store reads and writes (the first token of a pool).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file of token `slot` of a pool (0: [`FileTokenStore::path`]).
    pub fn slot_path(&self, slot: usize) -> PathBuf {
        if slot == 0 {
            return self.path.clone();
        }
        let stem = self
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.path.with_file_name(format!("{stem}.{slot}.json"))
    }

    fn aad(&self, expires_at: u64) -> Vec<u8> {
        [LABEL, &self.context, &expires_at.to_be_bytes()].concat()
    }

    fn seal(&self, token: &str, expires_at: u64, recent_ms: Vec<u64>) -> Option<TokenFile> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).ok()?;
        let mut buf = token.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(self.aad(expires_at)),
                &mut buf,
            )
            .ok()?;
        let b64 = base64::engine::general_purpose::STANDARD;
        Some(TokenFile {
            format: 1,
            expires_at,
            nonce: b64.encode(nonce),
            sealed: b64.encode(buf),
            recent_ms,
        })
    }

    fn open(&self, file: &TokenFile) -> Result<String, &'static str> {
        if file.format != 1 {
            return Err("unknown format");
        }
        let b64 = base64::engine::general_purpose::STANDARD;
        let nonce: [u8; NONCE_LEN] = b64
            .decode(&file.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or("malformed nonce")?;
        let mut buf = b64.decode(&file.sealed).map_err(|_| "malformed data")?;
        let plain = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(self.aad(file.expires_at)),
                &mut buf,
            )
            .map_err(|_| "it does not open with this client secret (changed, or altered)")?;
        String::from_utf8(plain.to_vec()).map_err(|_| "not text")
    }

    fn read_file(&self, path: &Path) -> Result<Option<TokenFile>, &'static str> {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(_) => return Err("cannot read it"),
        };
        if meta.len() > MAX_FILE_BYTES {
            return Err("too large");
        }
        let bytes = std::fs::read(path).map_err(|_| "cannot read it")?;
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|_| "not a token file")
    }
}

fn derive_key(secret: &Secret, context: &[u8]) -> LessSafeKey {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, LABEL).extract(secret.expose().as_bytes());
    let info = [context];
    #[allow(clippy::expect_used)]
    let okm = prk
        .expand(&info, &CHACHA20_POLY1305)
        // Cannot fail: the output length (32) is far below HKDF-SHA256's limit.
        .expect("HKDF-SHA256 yields 32 bytes");
    LessSafeKey::new(UnboundKey::from(okm))
}

fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl TokenStore for FileTokenStore {
    fn load(&self) -> Option<StoredToken> {
        self.load_slot(0)
    }

    fn save(&self, token: &StoredToken) {
        self.save_slot(0, token);
    }

    fn discard(&self) {
        self.discard_slot(0);
    }

    fn load_slot(&self, slot: usize) -> Option<StoredToken> {
        if !self.read {
            return None;
        }
        let path = self.slot_path(slot);
        let file = match self.read_file(&path) {
            Ok(Some(f)) => f,
            Ok(None) => return None,
            Err(why) => {
                tracing::debug!(path = %path.display(), why, "kept token not used");
                return None;
            }
        };
        match self.open(&file) {
            Ok(token) => Some(StoredToken {
                access_token: Secret::new(token),
                expires_at: SystemTime::UNIX_EPOCH + Duration::from_secs(file.expires_at),
                recent: file
                    .recent_ms
                    .iter()
                    .map(|ms| SystemTime::UNIX_EPOCH + Duration::from_millis(*ms))
                    .collect(),
            }),
            Err(why) => {
                tracing::debug!(path = %path.display(), why, "kept token not used");
                None
            }
        }
    }

    fn save_slot(&self, slot: usize, token: &StoredToken) {
        let path = self.slot_path(slot);
        let recent_ms = token
            .recent
            .iter()
            .filter_map(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as u64)
            .collect();
        let Some(file) = self.seal(
            token.access_token.expose(),
            unix_seconds(token.expires_at),
            recent_ms,
        ) else {
            tracing::debug!("token not kept: sealing failed");
            return;
        };
        let result = serde_json::to_vec(&file)
            .map_err(std::io::Error::other)
            .and_then(|bytes| crate::fsutil::write_private_unsynced(&path, &bytes));
        match result {
            Ok(()) => tracing::debug!(path = %path.display(), "access token kept, encrypted"),
            Err(e) => tracing::debug!(path = %path.display(), error = %e, "token not kept"),
        }
    }

    fn discard_slot(&self, slot: usize) {
        let path = self.slot_path(slot);
        match std::fs::remove_file(&path) {
            Ok(()) => tracing::debug!(path = %path.display(), "kept token discarded"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::debug!(path = %path.display(), error = %e, "kept token not discarded")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Environment {
        Environment::from_base_url("http://127.0.0.1:9").unwrap()
    }

    fn creds(secret: &str) -> Credentials {
        Credentials::new("client-a", secret, "test")
    }

    const TOKEN: &str = "tok-0123456789-the-access-token";

    fn kept(life: u64) -> StoredToken {
        StoredToken {
            access_token: Secret::new(TOKEN),
            expires_at: SystemTime::now() + Duration::from_secs(life),
            recent: vec![SystemTime::UNIX_EPOCH + Duration::from_millis(1_800_000_000_123)],
        }
    }

    #[test]
    fn a_kept_token_comes_back_and_is_not_in_the_file() {
        let home = tempfile::tempdir().unwrap();
        let store = FileTokenStore::new(home.path(), &env(), &creds("secret-1"), true);
        assert!(store.load().is_none());
        store.save(&kept(3600));
        let back = store.load().unwrap();
        assert_eq!(back.access_token.expose(), TOKEN);
        assert_eq!(
            back.recent,
            kept(1).recent,
            "the token's recent use travels with it"
        );
        let text = std::fs::read_to_string(store.path()).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(TOKEN);
        for needle in [TOKEN, "0123456789", b64.as_str(), "secret-1", "client-a"] {
            assert!(!text.contains(needle), "{needle} in {text}");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(store.path()), 0o600);
            assert_eq!(mode(&dir(home.path())), 0o700);
        }
    }

    #[test]
    fn another_secret_client_or_host_cannot_use_it() {
        let home = tempfile::tempdir().unwrap();
        FileTokenStore::new(home.path(), &env(), &creds("secret-1"), true).save(&kept(3600));
        let other_secret = FileTokenStore::new(home.path(), &env(), &creds("secret-2"), true);
        assert!(other_secret.load().is_none());
        let other_client = FileTokenStore::new(
            home.path(),
            &env(),
            &Credentials::new("client-b", "secret-1", "t"),
            true,
        );
        assert!(other_client.load().is_none());
        let other_host = FileTokenStore::new(
            home.path(),
            &Environment::from_base_url("http://127.0.0.1:10").unwrap(),
            &creds("secret-1"),
            true,
        );
        assert!(other_host.load().is_none());
    }

    #[test]
    fn an_altered_file_is_not_used() {
        let home = tempfile::tempdir().unwrap();
        let store = FileTokenStore::new(home.path(), &env(), &creds("s"), true);
        store.save(&kept(3600));
        let mut file: serde_json::Value =
            serde_json::from_slice(&std::fs::read(store.path()).unwrap()).unwrap();
        // A later expiry: the authenticated data no longer matches.
        file["expires_at"] = (file["expires_at"].as_u64().unwrap() + 86_400).into();
        std::fs::write(store.path(), serde_json::to_vec(&file).unwrap()).unwrap();
        assert!(store.load().is_none());
        for junk in ["", "{", "[]", "{\"format\":2}"] {
            std::fs::write(store.path(), junk).unwrap();
            assert!(store.load().is_none(), "{junk}");
        }
    }

    #[test]
    fn write_only_never_reads_and_discard_deletes() {
        let home = tempfile::tempdir().unwrap();
        let write_only = FileTokenStore::new(home.path(), &env(), &creds("s"), false);
        write_only.save(&kept(3600));
        assert!(write_only.load().is_none());
        let store = FileTokenStore::new(home.path(), &env(), &creds("s"), true);
        assert!(store.load().is_some());
        store.discard();
        assert!(!store.path().exists());
        store.discard();
        assert!(store.load().is_none());
    }

    #[test]
    fn each_token_of_a_pool_has_its_own_file_with_its_history() {
        let home = tempfile::tempdir().unwrap();
        let store = FileTokenStore::new(home.path(), &env(), &creds("s"), true);
        assert_eq!(store.slot_path(0), store.path());
        assert_ne!(store.slot_path(1), store.path());
        assert_eq!(store.slot_path(1).parent(), store.path().parent());
        let mut second = kept(3600);
        second.access_token = Secret::new("tok-second-of-the-pool");
        second.recent = vec![SystemTime::UNIX_EPOCH + Duration::from_millis(1_800_000_000_999)];
        store.save(&kept(3600));
        store.save_slot(3, &second);
        assert_eq!(store.load().unwrap().access_token.expose(), TOKEN);
        let back = store.load_slot(3).unwrap();
        assert_eq!(back.access_token.expose(), "tok-second-of-the-pool");
        assert_eq!(back.recent, second.recent);
        assert!(store.load_slot(2).is_none());
        let text = std::fs::read_to_string(store.slot_path(3)).unwrap();
        assert!(!text.contains("tok-second"), "{text}");
        // Discarding one token of the pool leaves the others.
        store.discard_slot(3);
        assert!(store.load_slot(3).is_none());
        assert!(store.load().is_some());
        store.save_slot(1, &second);
        assert_eq!(forget_all(home.path()).unwrap(), 2);
    }

    #[test]
    fn forget_all_counts_the_files() {
        let home = tempfile::tempdir().unwrap();
        assert_eq!(forget_all(home.path()).unwrap(), 0);
        FileTokenStore::new(home.path(), &env(), &creds("s"), true).save(&kept(3600));
        FileTokenStore::new(home.path(), &env(), &creds("s2"), true).save(&kept(3600));
        let other = Credentials::new("client-b", "s", "t");
        FileTokenStore::new(home.path(), &env(), &other, true).save(&kept(3600));
        assert_eq!(forget_all(home.path()).unwrap(), 2);
        assert_eq!(std::fs::read_dir(dir(home.path())).unwrap().count(), 0);
    }

    #[test]
    fn the_variable_is_on_or_off() {
        let with = |v: &str| EnvVars::from_pairs([(TOKEN_CACHE_VAR.to_string(), v.to_string())]);
        assert!(enabled(&EnvVars::default()).unwrap());
        for on in ["on", "1", "TRUE", "yes"] {
            assert!(enabled(&with(on)).unwrap(), "{on}");
        }
        for off in ["off", "0", "false", "No "] {
            assert!(!enabled(&with(off)).unwrap(), "{off}");
        }
        for bad in ["", "maybe", "2"] {
            assert!(enabled(&with(bad)).is_err(), "{bad}");
        }
    }
}
