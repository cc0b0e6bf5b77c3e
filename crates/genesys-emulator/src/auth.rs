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

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Length of the rate-limit window.
pub(crate) const WINDOW: Duration = Duration::from_secs(60);

/// One issued token.
#[derive(Clone, Debug)]
pub(crate) struct TokenInfo {
    /// Index of the org in `Config::orgs`.
    pub org: usize,
    pub client_id: String,
    pub expires_at: Instant,
    window_start: Option<Instant>,
    window_count: u32,
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
                window_start: None,
                window_count: 0,
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

    /// Validates a token and counts the request against its rate limit.
    pub fn check(&mut self, token: Option<&str>, limit: Option<u32>, now: Instant) -> Check {
        let Some(info) = token.and_then(|t| self.map.get_mut(t)) else {
            return Check::Unauthorized;
        };
        if info.expires_at <= now {
            return Check::Unauthorized;
        }
        if let Some(limit) = limit {
            let open = info
                .window_start
                .filter(|start| now.duration_since(*start) < WINDOW);
            match open {
                None => {
                    info.window_start = Some(now);
                    info.window_count = 1;
                }
                Some(start) => {
                    if info.window_count >= limit {
                        let left = WINDOW.saturating_sub(now.duration_since(start));
                        return Check::RateLimited {
                            retry_after: ceil_secs(left).max(1),
                        };
                    }
                    info.window_count += 1;
                }
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

    #[test]
    fn expiry_and_rate_limit() {
        let mut tokens = Tokens::default();
        let t0 = Instant::now();
        let tok = tokens.issue(0, "c", Duration::from_secs(100), t0);
        assert!(matches!(
            tokens.check(Some(&tok), Some(2), t0),
            Check::Ok { .. }
        ));
        assert!(matches!(
            tokens.check(Some(&tok), Some(2), t0),
            Check::Ok { .. }
        ));
        match tokens.check(Some(&tok), Some(2), t0 + Duration::from_millis(10_500)) {
            Check::RateLimited { retry_after } => assert_eq!(retry_after, 50),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            tokens.check(Some(&tok), Some(2), t0 + Duration::from_secs(60)),
            Check::Ok { .. }
        ));
        assert!(matches!(
            tokens.check(Some(&tok), None, t0 + Duration::from_secs(100)),
            Check::Unauthorized
        ));
        assert!(matches!(
            tokens.check(Some("nope"), None, t0),
            Check::Unauthorized
        ));
        assert!(matches!(tokens.check(None, None, t0), Check::Unauthorized));
    }
}
