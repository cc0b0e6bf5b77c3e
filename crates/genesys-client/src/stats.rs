//! The request counters of a client ([`RequestStats`]), kept by the request pipeline and read
//! through [`Client::stats`](crate::Client::stats).

use std::collections::BTreeMap;
use std::time::Duration;

/// Counters since the client was created.
#[derive(Clone, Debug, Default)]
pub struct RequestStats {
    /// API requests sent (every attempt counts; token requests excluded).
    pub requests: u64,
    /// API requests by HTTP method.
    pub by_method: BTreeMap<String, u64>,
    /// Re-sends after a 429, a transient failure or a 401.
    pub retries: u64,
    /// 429 responses received.
    pub rate_limited: u64,
    /// Token requests sent.
    pub token_requests: u64,
    /// API requests answered with a 2xx status.
    pub answered: u64,
    /// Sum of the times those took, from sending to the whole body read: divided by
    /// `answered`, the mean round trip a caller can size its concurrency from.
    pub answered_elapsed: Duration,
    /// Access tokens the client has taken (at most
    /// [`ClientOptions::tokens`](crate::ClientOptions::tokens)).
    pub tokens_taken: u32,
    /// Whether 429s that came while every token was under its own limit showed that the
    /// platform counts the limit per OAuth client, so that the token pool fell back to one
    /// shared limiter at the rate (never with one token).
    pub per_client_limit: bool,
}

impl RequestStats {
    /// The mean time of an answered API request, if any was answered.
    pub fn mean_latency(&self) -> Option<Duration> {
        u32::try_from(self.answered)
            .ok()
            .filter(|n| *n > 0)
            .map(|n| self.answered_elapsed / n)
    }
}
