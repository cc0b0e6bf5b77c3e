//! The settings of a client ([`ClientOptions`]) and the most access tokens it may keep.
//!
//! A low module: the connection, the request pipeline and the public client all read these
//! settings, and none of them is needed to describe them.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::TokenStore;
use crate::clock::{Clock, SystemClock};
use crate::retry::RetryPolicy;

/// The most access tokens a client keeps at once ([`ClientOptions::tokens`]).
pub const MAX_TOKENS: u32 = 10;

/// Settings of a [`Client`](crate::Client).
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// `User-Agent` header; dactl sets `dactl/<version>`.
    pub user_agent: String,
    /// TCP/TLS connect timeout (10 s).
    pub connect_timeout: Duration,
    /// Overall timeout of one attempt (90 s; must exceed 60 s: test executions run up to the
    /// action timeout).
    pub request_timeout: Duration,
    /// Requests per minute per access token (300): with one token, shared by every request of
    /// this client; 0 = unlimited.
    pub rate_per_minute: u32,
    /// Access tokens shared by the requests (1, at most [`MAX_TOKENS`]), each with its own
    /// limiter at `rate_per_minute`, taken lazily; falls back to one shared limiter at
    /// `rate_per_minute` when 429s show that the platform counts per client (see
    /// [`RequestStats::per_client_limit`](crate::RequestStats::per_client_limit)).
    pub tokens: u32,
    /// Requests that may start at once before the spacing applies; `None` = twelve seconds'
    /// worth of the rate, at most 100 (see the `ratelimit` module).
    pub rate_burst: Option<u32>,
    /// Requested `pageSize` for listings (100); the one the server echoes is what counts.
    pub page_size: u32,
    /// Pages fetched in parallel once `pageCount` is known (8; each still takes a permit of
    /// the shared rate limiter).
    pub list_concurrency: usize,
    /// Response body cap in bytes (32 MiB).
    pub max_body_bytes: usize,
    /// Retry bounds and constants.
    pub retry: RetryPolicy,
    /// Source of time and sleeps ([`SystemClock`]).
    pub clock: Arc<dyn Clock>,
    /// Where the access token is kept between processes (`None`: one token per process).
    pub token_store: Option<Arc<dyn TokenStore>>,
    /// A PEM file of extra trusted CAs, on top of the operating system's store and the
    /// bundled roots (`--ca-file`).
    pub ca_file: Option<std::path::PathBuf>,
    /// Where the endpoint came from (`--region`, a profile, ...), named in the hint of a host
    /// name that does not resolve.
    pub endpoint_source: Option<String>,
    /// Open the API connection while the first token is fetched, when the login and API
    /// hosts differ (true; see the `connect` module).
    pub preconnect: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            user_agent: concat!("genesys-client/", env!("CARGO_PKG_VERSION")).to_string(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(90),
            rate_per_minute: 300,
            tokens: 1,
            rate_burst: None,
            page_size: 100,
            list_concurrency: 8,
            max_body_bytes: 32 * 1024 * 1024,
            retry: RetryPolicy::default(),
            clock: Arc::new(SystemClock),
            token_store: None,
            ca_file: None,
            endpoint_source: None,
            preconnect: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let o = ClientOptions::default();
        assert!(o.user_agent.starts_with("genesys-client/"));
        assert!(o.request_timeout > Duration::from_secs(60));
        assert_eq!(o.rate_per_minute, 300);
        assert_eq!(o.page_size, 100);
        assert_eq!(o.list_concurrency, 8);
        assert_eq!(o.max_body_bytes, 32 * 1024 * 1024);
        assert_eq!(o.retry.max_attempts, 6);
    }
}
