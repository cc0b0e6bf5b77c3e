//! Client-credentials authentication: secrets, credentials and the process-wide token cache.
//!
//! The client obtains one access token per process with the OAuth client-credentials grant
//! (`POST {login_base}/oauth/token`, `Authorization: Basic base64(id:secret)`, form body
//! `grant_type=client_credentials`) and shares it between all requests and workers.
//!
//! **Single flight.** The cache is a `tokio::sync::Mutex` around the current token. A caller
//! that finds no valid token fetches one *while holding the lock*, so N concurrent callers
//! cause exactly one token request; the others wait on the lock and then reuse the result.
//!
//! **Refresh before expiry.** A token is used until `expires_in - min(60 s, expires_in / 10)`
//! after it was obtained (86 340 s of a 24 h token, 270 s of a 5 min token), measured with the
//! injected clock, so a long bulk run never sends a token that is about to expire.
//!
//! **401.** A request that gets a 401 invalidates the token it used (only that one: each token
//! has a generation number, so N requests failing with the same stale token cause one refresh)
//! and is re-sent once with a fresh token; a second 401 is an `Error::Auth`, never a loop.
//!
//! **Between processes.** With a [`TokenStore`] in the client options, the first token a process
//! needs is taken from the store when it still has more than [`STORED_TOKEN_MIN_LIFE`] to live,
//! and every token fetched is handed to the store, so that a second command skips the login
//! round trip. The platform limits requests per token, so the token travels with the start
//! times of its requests in the last minute: a process that takes it over starts its rate
//! limiter from them, and takes a new token (a full budget, for one round trip) instead when
//! less than half a burst, or less than half the minute's budget, is left of the kept one's. The store is consulted once per
//! process; a 401 on the token the store holds
//! discards it (and the request is re-sent once with a fresh token, as above), while a 401 on an
//! older token of a bulk run's workers leaves the fresh one kept. How the store keeps the
//! token is its business: dactl's keeps it encrypted with a key derived from the client secret.
//!
//! **A pool of tokens.** With [`ClientOptions::tokens`](crate::ClientOptions::tokens) above 1
//! each token of the pool (see the `pool` module) has a cache of its own, with all of the above:
//! single flight, refresh, the 401 rule, and a place in the store (slot `i`,
//! [`TokenStore::load_slot`]) with its own request history. Slot 0 is the one token of a
//! one-token client.
//!
//! Secrets live in [`Secret`], which has no `Display` and whose `Debug` prints `Secret(***)`.
//! The only code that exposes a secret builds the token request's `Authorization` header;
//! header values holding the secret or the token are marked sensitive.

use std::time::{Duration, Instant, SystemTime};

use reqwest::header::HeaderValue;

/// A secret: no Display, Debug prints `Secret(***)`. Only the token request exposes it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret value.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The secret value. Call only where it is put on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// OAuth client credentials and a description of where they came from.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// The OAuth client id (not secret).
    pub client_id: String,
    /// The OAuth client secret.
    pub client_secret: Secret,
    /// Human description of where they came from, e.g. "environment
    /// (GENESYSCLOUD_OAUTHCLIENT_ID/GENESYSCLOUD_OAUTHCLIENT_SECRET)" or "profile `prod`
    /// (/home/u/.config/dactl/config.toml)". Shown in 401 errors. Never a value.
    pub source: String,
}

impl Credentials {
    /// Credentials with the given id, secret and source description.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        source: impl Into<String>,
    ) -> Self {
        Credentials {
            client_id: client_id.into(),
            client_secret: Secret::new(client_secret),
            source: source.into(),
        }
    }
}

/// The `Authorization: Basic …` header of the token request (sensitive).
pub(crate) fn basic_auth_header(creds: &Credentials) -> Option<HeaderValue> {
    use base64::Engine as _;
    let raw = format!("{}:{}", creds.client_id, creds.client_secret.expose());
    let encoded = base64::engine::general_purpose::STANDARD.encode(raw.as_bytes());
    let mut value = HeaderValue::from_str(&format!("Basic {encoded}")).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// The `Authorization: Bearer …` header for a token (sensitive).
pub(crate) fn bearer_header(token: &str) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}")).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// The successful token response. No `Debug`: it holds the token.
#[derive(serde::Deserialize)]
pub(crate) struct TokenResponse {
    pub(crate) access_token: String,
    #[serde(default)]
    pub(crate) token_type: Option<String>,
    #[serde(default)]
    pub(crate) expires_in: Option<ExpiresIn>,
}

/// `expires_in` as a number or, leniently, a numeric string.
#[derive(serde::Deserialize)]
#[serde(untagged)]
pub(crate) enum ExpiresIn {
    Number(serde_json::Number),
    Text(String),
}

impl ExpiresIn {
    /// Whole seconds, when the value is a non-negative number.
    pub(crate) fn seconds(&self) -> Option<u64> {
        match self {
            ExpiresIn::Number(n) => n.as_u64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .map(|f| f as u64)
            }),
            ExpiresIn::Text(s) => s.trim().parse().ok(),
        }
    }
}

/// The token endpoint's error document.
#[derive(serde::Deserialize, Debug, Default)]
pub(crate) struct TokenError {
    #[serde(default)]
    pub(crate) error: Option<String>,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) error_description: Option<String>,
    #[serde(default)]
    pub(crate) message: Option<String>,
}

impl TokenError {
    /// The most specific explanation the server gave.
    pub(crate) fn detail(&self) -> Option<String> {
        self.error_description
            .clone()
            .or_else(|| self.description.clone())
            .or_else(|| self.message.clone())
            .or_else(|| self.error.clone())
            .filter(|s| !s.is_empty())
    }
}

/// Lifetime assumed when the token response has no `expires_in`.
pub(crate) const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(600);

/// When to stop using a token obtained at `obtained` that lives `expires_in`.
pub(crate) fn refresh_at(obtained: Instant, expires_in: Duration) -> Instant {
    let margin = (expires_in / 10).min(Duration::from_secs(60));
    obtained + expires_in.saturating_sub(margin)
}

/// A token from a [`TokenStore`] is used only when it has at least this long to live.
pub const STORED_TOKEN_MIN_LIFE: Duration = Duration::from_secs(120);

/// An access token kept between processes, with the wall-clock time it expires and when it
/// was last used.
pub struct StoredToken {
    /// The access token.
    pub access_token: Secret,
    /// When the token endpoint said it expires (time of issue + `expires_in`).
    pub expires_at: SystemTime,
    /// Start times of the requests sent with it in the last minute, oldest first. The platform
    /// counts its rate limit per token, so a process that takes the token over takes over this
    /// budget too (see [`Client::save_token_usage`](crate::Client::save_token_usage)).
    pub recent: Vec<SystemTime>,
}

impl std::fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredToken")
            .field("access_token", &self.access_token)
            .field("expires_at", &self.expires_at)
            .field("recent", &self.recent.len())
            .finish()
    }
}

/// Keeps the access token between processes (see the module documentation). Implementations
/// must never fail the request: a store that cannot read or write simply has no token.
pub trait TokenStore: Send + Sync + std::fmt::Debug {
    /// The token saved earlier, if there is one this store can read.
    fn load(&self) -> Option<StoredToken>;
    /// Keep `token` for later processes.
    fn save(&self, token: &StoredToken);
    /// Forget the saved token: the server refused it.
    fn discard(&self);
    /// The token saved earlier for slot `slot` of a token pool
    /// ([`ClientOptions::tokens`](crate::ClientOptions::tokens)); slot 0 is the token of
    /// [`TokenStore::load`]. A store that keeps one token keeps none for the other slots.
    fn load_slot(&self, slot: usize) -> Option<StoredToken> {
        if slot == 0 {
            self.load()
        } else {
            None
        }
    }
    /// Keep `token` as slot `slot`'s (slot 0: [`TokenStore::save`]).
    fn save_slot(&self, slot: usize, token: &StoredToken) {
        if slot == 0 {
            self.save(token);
        }
    }
    /// Forget slot `slot`'s token (slot 0: [`TokenStore::discard`]).
    fn discard_slot(&self, slot: usize) {
        if slot == 0 {
            self.discard();
        }
    }
}

/// A cached access token.
#[derive(Clone)]
pub(crate) struct CachedToken {
    pub(crate) header: HeaderValue,
    pub(crate) refresh_at: Instant,
    pub(crate) generation: u64,
    /// The token itself and its wall-clock expiry, for a [`TokenStore`].
    pub(crate) secret: Secret,
    pub(crate) expires_at: SystemTime,
}

/// The cached token built from a stored one that still lives long enough at `now_wall`;
/// `now` is the injected clock's present.
pub(crate) fn from_stored(
    stored: &StoredToken,
    now: Instant,
    now_wall: SystemTime,
    generation: u64,
) -> Option<CachedToken> {
    let left = stored.expires_at.duration_since(now_wall).ok()?;
    if left < STORED_TOKEN_MIN_LIFE || stored.access_token.is_empty() {
        return None;
    }
    Some(CachedToken {
        header: bearer_header(stored.access_token.expose())?,
        refresh_at: refresh_at(now, left),
        generation,
        secret: stored.access_token.clone(),
        expires_at: stored.expires_at,
    })
}

/// The token cache: single flight through the async mutex.
pub(crate) struct TokenCache {
    pub(crate) slot: tokio::sync::Mutex<Option<CachedToken>>,
    pub(crate) next_generation: std::sync::atomic::AtomicU64,
    /// Set once the [`TokenStore`] has been asked (it is asked at most once per process).
    pub(crate) store_consulted: std::sync::atomic::AtomicBool,
    /// Generation of the token the store holds (loaded from it or saved to it); 0 = none.
    pub(crate) stored_generation: std::sync::atomic::AtomicU64,
}

impl TokenCache {
    pub(crate) fn new() -> Self {
        TokenCache {
            slot: tokio::sync::Mutex::new(None),
            next_generation: std::sync::atomic::AtomicU64::new(1),
            store_consulted: std::sync::atomic::AtomicBool::new(false),
            stored_generation: std::sync::atomic::AtomicU64::new(0),
        }
    }

    pub(crate) fn generation(&self) -> u64 {
        self.next_generation
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    /// Forget the token of generation `generation` if it is still the current one.
    pub(crate) async fn invalidate(&self, generation: u64) {
        let mut slot = self.slot.lock().await;
        if slot.as_ref().is_some_and(|t| t.generation == generation) {
            *slot = None;
        }
    }
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCache(***)")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn secret_debug_redacts() {
        let creds = Credentials::new("my-id", "hunter2-very-secret", "environment (X/Y)");
        let dbg = format!("{creds:?}");
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(dbg.contains("Secret(***)"));
        assert!(dbg.contains("my-id"));
        assert_eq!(creds.client_secret.expose(), "hunter2-very-secret");
    }

    #[test]
    fn basic_header_encodes_id_and_secret() {
        let creds = Credentials::new("id", "secret", "test");
        let h = basic_auth_header(&creds).unwrap();
        assert!(h.is_sensitive());
        assert_eq!(h.to_str().unwrap(), "Basic aWQ6c2VjcmV0");
        assert!(!format!("{h:?}").contains("aWQ6"));
    }

    #[test]
    fn refresh_margin() {
        let t0 = Instant::now();
        assert_eq!(
            refresh_at(t0, Duration::from_secs(86_400)) - t0,
            Duration::from_secs(86_340)
        );
        assert_eq!(
            refresh_at(t0, Duration::from_secs(300)) - t0,
            Duration::from_secs(270)
        );
        assert_eq!(
            refresh_at(t0, Duration::from_secs(10)) - t0,
            Duration::from_secs(9)
        );
        assert_eq!(refresh_at(t0, Duration::ZERO), t0);
    }

    #[test]
    fn stored_token_used_only_with_enough_life_left() {
        let now = Instant::now();
        let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let stored = |left: u64, token: &str| StoredToken {
            access_token: Secret::new(token),
            expires_at: wall + Duration::from_secs(left),
            recent: Vec::new(),
        };
        let t = from_stored(&stored(3_600, "tok"), now, wall, 7).unwrap();
        assert_eq!(t.generation, 7);
        assert_eq!(t.refresh_at - now, Duration::from_secs(3_540));
        assert!(t.header.is_sensitive());
        assert_eq!(t.header.to_str().unwrap(), "Bearer tok");
        assert!(from_stored(&stored(119, "tok"), now, wall, 1).is_none());
        assert!(from_stored(&stored(120, "tok"), now, wall, 1).is_some());
        assert!(from_stored(&stored(3_600, ""), now, wall, 1).is_none());
        let expired = StoredToken {
            access_token: Secret::new("tok"),
            expires_at: wall - Duration::from_secs(1),
            recent: Vec::new(),
        };
        assert!(from_stored(&expired, now, wall, 1).is_none());
        assert!(!format!("{expired:?}").contains("tok\""));
    }

    #[test]
    fn token_error_detail() {
        let e: TokenError = serde_json::from_str(
            r#"{"error":"invalid_client","description":"d","error_description":"bad client"}"#,
        )
        .unwrap();
        assert_eq!(e.detail().as_deref(), Some("bad client"));
        let e: TokenError = serde_json::from_str(r#"{"error":"invalid_client"}"#).unwrap();
        assert_eq!(e.detail().as_deref(), Some("invalid_client"));
    }
}
