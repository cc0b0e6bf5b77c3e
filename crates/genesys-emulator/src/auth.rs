//! Access tokens and the per-token rate limit.
//!
//! Tokens are random opaque strings (48 characters from a 62-symbol alphabet; the sandbox
//! never needs cryptographic strength) tied to the org of the client that obtained them, and
//! expire `token_ttl` after issue. Unknown or expired tokens get 401 `authentication.required`.
//!
//! Rate limit (genesys-api.md §5, the platform's 300 requests/minute per client-credentials
//! token): a fixed 60-second window per token that opens at the token's first request in it.
//! Request `limit + 1` inside a window is refused with 429 and `Retry-After` = the whole
//! seconds (rounded up) until the window closes. A fixed window is the pessimistic choice: a
//! client that bursts waits for the full window, so its handling of long waits gets exercised.
//!
//! Whether the platform counts per token or per OAuth client is unknown (genesys-api.md U19),
//! so it is a realism setting of each org ([`RateLimitScope`]): `token` (the default) keeps one
//! window per token, `client` one per client id of the org, shared by all its tokens.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::realism::RateLimitScope;

/// Length of the rate-limit window.
pub(crate) const WINDOW: Duration = Duration::from_secs(60);

/// One issued token.
#[derive(Clone, Debug)]
pub(crate) struct TokenInfo {
    /// Index of the org in `Config::orgs`.
    pub org: usize,
    pub client_id: String,
    pub expires_at: Instant,
    window: Window,
}

/// A fixed window opened by the first request in it.
#[derive(Clone, Debug, Default)]
struct Window {
    start: Option<Instant>,
    count: u32,
}

impl Window {
    /// Count one request against `limit`; `Err(seconds)` to wait when the window is full.
    fn hit(&mut self, limit: u32, now: Instant) -> Result<(), u64> {
        match self.start.filter(|s| now.duration_since(*s) < WINDOW) {
            None => {
                self.start = Some(now);
                self.count = 1;
            }
            Some(start) => {
                if self.count >= limit {
                    let left = WINDOW.saturating_sub(now.duration_since(start));
                    return Err(ceil_secs(left).max(1));
                }
                self.count += 1;
            }
        }
        Ok(())
    }
}

/// Outcome of checking a bearer token.
#[derive(Debug)]
pub(crate) enum Check {
    Ok { org: usize, client_id: String },
    Unauthorized,
    RateLimited { retry_after: u64 },
}

/// All tokens of the emulator (shared by the orgs).
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    map: HashMap<String, TokenInfo>,
    /// The windows of the orgs whose limit counts per client, by org and client id.
    clients: HashMap<(usize, String), Window>,
}

pub(crate) fn random_token() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..48)
        .map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char)
        .collect()
}

impl Tokens {
    /// Issues a token for `client_id` of org `org`.
    pub fn issue(&mut self, org: usize, client_id: &str, ttl: Duration, now: Instant) -> String {
        // Forget expired tokens now and then so that the map stays small.
        if self.map.len() > 1024 {
            self.map.retain(|_, t| t.expires_at > now);
        }
        let token = random_token();
        self.map.insert(
            token.clone(),
            TokenInfo {
                org,
                client_id: client_id.to_owned(),
                expires_at: now + ttl,
                window: Window::default(),
            },
        );
        token
    }

    /// Every token still known (issued and not yet forgotten), for tests.
    pub fn all(&self) -> Vec<String> {
        self.map.keys().cloned().collect()
    }

    /// The client id of a token, valid or not (for the journal).
    pub fn client_of(&self, token: &str) -> Option<String> {
        self.map.get(token).map(|t| t.client_id.clone())
    }

    /// Makes a token expired now.
    pub fn expire(&mut self, token: &str, now: Instant) {
        if let Some(t) = self.map.get_mut(token) {
            t.expires_at = now;
        }
    }

    /// Validates a token and counts the request against its rate limit, per token or per
    /// client as `scope_of` says for the token's org.
    pub fn check(
        &mut self,
        token: Option<&str>,
        limit: Option<u32>,
        now: Instant,
        scope_of: impl Fn(usize) -> RateLimitScope,
    ) -> Check {
        let Some(info) = token.and_then(|t| self.map.get_mut(t)) else {
            return Check::Unauthorized;
        };
        if info.expires_at <= now {
            return Check::Unauthorized;
        }
        if let Some(limit) = limit {
            let window = match scope_of(info.org) {
                RateLimitScope::Token => &mut info.window,
                RateLimitScope::Client => self
                    .clients
                    .entry((info.org, info.client_id.clone()))
                    .or_default(),
            };
            if let Err(retry_after) = window.hit(limit, now) {
                return Check::RateLimited { retry_after };
            }
        }
        Check::Ok {
            org: info.org,
            client_id: info.client_id.clone(),
        }
    }
}

/// Whole seconds, rounded up.
pub(crate) fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn per_token(_: usize) -> RateLimitScope {
        RateLimitScope::Token
    }

    #[test]
    fn the_limit_counts_per_token_or_per_client() {
        let t0 = Instant::now();
        for (scope, second_token_refused) in [
            (RateLimitScope::Token, false),
            (RateLimitScope::Client, true),
        ] {
            let mut tokens = Tokens::default();
            let a = tokens.issue(0, "c", Duration::from_secs(100), t0);
            let b = tokens.issue(0, "c", Duration::from_secs(100), t0);
            let other_org = tokens.issue(1, "c", Duration::from_secs(100), t0);
            let other_client = tokens.issue(0, "d", Duration::from_secs(100), t0);
            let at = |s: u64| t0 + Duration::from_secs(s);
            let scope_of = |_: usize| scope;
            assert!(matches!(
                tokens.check(Some(&a), Some(2), at(0), scope_of),
                Check::Ok { .. }
            ));
            assert!(matches!(
                tokens.check(Some(&a), Some(2), at(1), scope_of),
                Check::Ok { .. }
            ));
            // Token `a` spent the limit: its third request waits for its window either way.
            assert!(matches!(
                tokens.check(Some(&a), Some(2), at(2), scope_of),
                Check::RateLimited { retry_after: 58 }
            ));
            // Another token of the same client: its own window, or the client's full one.
            let second = tokens.check(Some(&b), Some(2), at(10), scope_of);
            match second {
                Check::RateLimited { retry_after } => {
                    assert!(second_token_refused);
                    assert_eq!(retry_after, 50);
                }
                Check::Ok { .. } => assert!(!second_token_refused),
                Check::Unauthorized => panic!("unauthorized"),
            }
            // Other clients and other orgs never share the window.
            assert!(matches!(
                tokens.check(Some(&other_client), Some(2), at(10), scope_of),
                Check::Ok { .. }
            ));
            assert!(matches!(
                tokens.check(Some(&other_org), Some(2), at(10), scope_of),
                Check::Ok { .. }
            ));
            // A minute after it opened the client's window has room again.
            assert!(matches!(
                tokens.check(Some(&b), Some(2), at(61), scope_of),
                Check::Ok { .. }
            ));
        }
    }

    #[test]
    fn expiry_and_rate_limit() {
        let mut tokens = Tokens::default();
        let t0 = Instant::now();
        let tok = tokens.issue(0, "c", Duration::from_secs(100), t0);
        assert!(matches!(
            tokens.check(Some(&tok), Some(2), t0, per_token),
            Check::Ok { .. }
        ));
        assert!(matches!(
            tokens.check(Some(&tok), Some(2), t0, per_token),
            Check::Ok { .. }
        ));
        match tokens.check(
            Some(&tok),
            Some(2),
            t0 + Duration::from_millis(10_500),
            per_token,
        ) {
            Check::RateLimited { retry_after } => assert_eq!(retry_after, 50),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            tokens.check(Some(&tok), Some(2), t0 + Duration::from_secs(60), per_token),
            Check::Ok { .. }
        ));
        assert!(matches!(
            tokens.check(Some(&tok), None, t0 + Duration::from_secs(100), per_token),
            Check::Unauthorized
        ));
        assert!(matches!(
            tokens.check(Some("nope"), None, t0, per_token),
            Check::Unauthorized
        ));
        assert!(matches!(
            tokens.check(None, None, t0, per_token),
            Check::Unauthorized
        ));
    }
}
