//! The token pool: `N` access tokens of one OAuth client, each with its own rate limiter, shared
//! by every request of a [`Client`](crate::Client); and its fallback to one shared limiter when
//! the platform turns out to count its limit per client.
//!
//! **Why.** The platform allows 300 requests a minute per client-credentials token
//! (`client.credentials.token.rate.per.minute`). Whether that limit counts per token or per
//! OAuth client is not published (genesys-api.md U19): the Terraform provider keeps a pool of
//! tokens (`token_pool_size`) and the platform's own Data Actions integration spreads its calls
//! over several, which only pays if it counts per token. A pool must therefore win where the
//! limit is per token and lose nothing where it is per client.
//!
//! **Algorithm.** The pool has `N` slots, each a [`TokenCache`] and a [`RateLimiter`] at the
//! client's rate (so `N` tokens may send `N × rate` a minute). Slot 0 is the token of a
//! one-token client; with `N = 1` the pool is exactly that client (one token, one limiter,
//! nothing else is consulted).
//!
//! - *Lazily.* A request takes a permit from the ready slot whose limiter would make it wait
//!   least (lowest slot first among equals). Only when every ready slot would make it wait, and
//!   no slot is being opened, does it open the next slot: it fetches that slot's token (from the
//!   [`TokenStore`](crate::TokenStore) first, as slot 0 does) and sends with it. A command that
//!   stays within one token's burst never takes a second token. A 429 from the token endpoint
//!   is waited out by the request that opens the slot, while the others keep using the ready
//!   slots. A slot other than 0 whose token cannot be fetched at all (retries exhausted) is
//!   given up for the process and the request goes on with the others: an extra token never
//!   fails a request that one token would have served.
//! - *Per token.* A 429 on a slot pauses that slot only (its `Retry-After`): the token's own
//!   minute is spent, the others' are not.
//! - *Per client.* The limiters keep every token under its own limit, so a 429 on a token that
//!   is under its limit while another token also sent in the last minute means that the
//!   platform counts the client's requests together. The pool then **falls back** once and for
//!   good to one shared limiter at the client's rate: it is seeded with the start times of every
//!   token's requests in the last minute (so the next permits wait for the client's minute to
//!   pass, not only for the `Retry-After`), paused for the `Retry-After`, and from then on every
//!   request takes its permit there and sends with slot 0's token. Requests that were already
//!   waiting for a slot's permit take a shared one instead when they wake. So the fallback costs
//!   one 429 for each request that was in flight when the first arrived (at most the workers
//!   plus the listing's concurrent pages), each of them re-sent after the pause (a 429 was not
//!   processed), and nothing is lost.
//!
//! A wrong diagnosis (a per-token limit below `--rate` while two tokens are busy) is harmless:
//! the shared limiter sends less than each token may.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::auth::TokenCache;
use crate::ratelimit::RateLimiter;

/// The platform's minute, over which a token's use is judged.
const MINUTE: Duration = Duration::from_secs(60);

/// A slot with no token yet (or whose token could not be fetched).
const CLOSED: u8 = 0;
/// A slot whose token is being fetched.
const OPENING: u8 = 1;
/// A slot with a token.
const READY: u8 = 2;
/// A slot whose token could not be fetched: not used again by this process.
const GIVEN_UP: u8 = 3;

/// One access token and its limiter.
pub(crate) struct Slot {
    /// The slot's limiter at the client's rate.
    pub(crate) limiter: RateLimiter,
    /// The slot's token (single flight, as for a one-token client).
    pub(crate) tokens: TokenCache,
    state: AtomicU8,
}

/// Where a request took its permit: the slot whose token it sends, and whether the permit came
/// from the shared limiter of the per-client fallback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Permit {
    /// The slot whose token the request carries.
    pub(crate) slot: usize,
    /// Taken from the shared limiter.
    pub(crate) shared: bool,
}

/// The pool (see the module documentation).
pub(crate) struct Pool {
    pub(crate) slots: Vec<Slot>,
    /// The limiter of the per-client fallback (`None` for a one-token pool).
    shared: Option<RateLimiter>,
    per_client: AtomicBool,
    /// Serialises the fallback.
    fallback: Mutex<()>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("tokens", &self.slots.len())
            .field("per_client", &self.per_client())
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// A pool of `size` slots (at least 1), each limiter made by `limiter()`.
    pub(crate) fn new(size: usize, limiter: impl Fn() -> RateLimiter) -> Pool {
        let slots: Vec<Slot> = (0..size.max(1))
            .map(|_| Slot {
                limiter: limiter(),
                tokens: TokenCache::new(),
                state: AtomicU8::new(CLOSED),
            })
            .collect();
        let shared = (slots.len() > 1).then(|| slots[0].limiter.fresh_like());
        Pool {
            slots,
            shared,
            per_client: AtomicBool::new(false),
            fallback: Mutex::new(()),
        }
    }

    /// Whether the pool fell back to one shared limiter (the platform counts per client).
    pub(crate) fn per_client(&self) -> bool {
        self.per_client.load(Ordering::SeqCst)
    }

    /// Slots that have a token.
    pub(crate) fn ready(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| s.state.load(Ordering::SeqCst) == READY)
            .count()
    }

    /// Slot `slot` has a token now.
    pub(crate) fn mark_ready(&self, slot: usize) {
        if let Some(s) = self.slots.get(slot) {
            s.state.store(READY, Ordering::SeqCst);
        }
    }

    /// Slot `slot`'s token could not be fetched. Slot 0 is asked again by the next request
    /// (as a one-token client would); any other is given up: the pool goes on without it.
    pub(crate) fn mark_failed(&self, slot: usize) {
        if let Some(s) = self.slots.get(slot) {
            if slot > 0 {
                s.state.store(GIVEN_UP, Ordering::SeqCst);
            }
        }
    }

    /// The limiter whose start times are slot `slot`'s token's use (for the token store).
    pub(crate) fn usage_limiter(&self, slot: usize) -> &RateLimiter {
        match &self.shared {
            Some(shared) if slot == 0 && self.per_client() => shared,
            _ => &self.slots[slot].limiter,
        }
    }

    /// The slot a request should take its permit from: the ready one that makes it wait
    /// least, or a newly opened one when every ready slot would make it wait.
    fn pick(&self) -> usize {
        if self.slots.len() == 1 {
            return 0;
        }
        let mut best: Option<(usize, Duration)> = None;
        let mut closed = None;
        let mut opening = false;
        for (i, s) in self.slots.iter().enumerate() {
            match s.state.load(Ordering::SeqCst) {
                READY => {
                    let wait = s.limiter.next_wait();
                    if best.is_none_or(|(_, w)| wait < w) {
                        best = Some((i, wait));
                    }
                }
                OPENING => opening = true,
                CLOSED if closed.is_none() => closed = Some(i),
                _ => {}
            }
        }
        match (best, closed) {
            (Some((i, wait)), _) if wait.is_zero() || opening => i,
            // No token yet: the first request opens slot 0; the others wait for its token
            // (single flight), as with one token.
            (None, _) if opening => 0,
            (best, Some(c)) => {
                let open = self.slots[c].state.compare_exchange(
                    CLOSED,
                    OPENING,
                    Ordering::SeqCst,
                    Ordering::SeqCst,
                );
                match (open, best) {
                    (Ok(_), _) => {
                        tracing::debug!(token = c + 1, "taking another access token of the pool");
                        c
                    }
                    (Err(_), Some((i, _))) => i,
                    (Err(_), None) => 0,
                }
            }
            (Some((i, _)), None) => i,
            (None, None) => 0,
        }
    }

    /// Wait for a permit (and for any 429 pause of its limiter).
    pub(crate) async fn acquire(&self) -> Permit {
        loop {
            if let (true, Some(shared)) = (self.per_client(), &self.shared) {
                shared.acquire().await;
                return Permit {
                    slot: 0,
                    shared: true,
                };
            }
            let slot = self.pick();
            self.slots[slot].limiter.acquire().await;
            if !self.per_client() {
                return Permit {
                    slot,
                    shared: false,
                };
            }
            // The pool fell back while this request waited: a shared permit instead.
        }
    }

    /// A 429 answered a request sent with `permit`; every request that would use the same
    /// budget waits `wait`. Returns true when this 429 made the pool fall back to one shared
    /// limiter.
    pub(crate) fn on_429(&self, permit: Permit, wait: Duration) -> bool {
        let Some(shared) = &self.shared else {
            self.slots[0].limiter.pause_for(wait);
            return false;
        };
        if permit.shared || self.per_client() {
            shared.pause_for(wait);
            return false;
        }
        let slot = &self.slots[permit.slot];
        let limit = slot.limiter.per_window() as usize;
        let under_own_limit = limit > 0 && slot.limiter.started_within(MINUTE) < limit;
        let busy = self
            .slots
            .iter()
            .filter(|s| s.limiter.started_within(MINUTE) > 0)
            .count();
        if !(under_own_limit && busy >= 2) {
            slot.limiter.pause_for(wait);
            return false;
        }
        let _guard = self.fallback.lock().unwrap_or_else(|e| e.into_inner());
        if self.per_client() {
            shared.pause_for(wait);
            return false;
        }
        let ages = self.recent_ages();
        let sent = ages.len();
        shared.seed(&ages);
        shared.pause_for(wait);
        self.per_client.store(true, Ordering::SeqCst);
        tracing::warn!(
            tokens = busy,
            sent_last_minute = sent,
            retry_after_s = wait.as_secs(),
            "429 while every token was under its own limit: the platform counts the limit per \
             OAuth client; the pool falls back to one shared limit"
        );
        true
    }

    /// Ages of every slot's permits of the last minute.
    fn recent_ages(&self) -> Vec<Duration> {
        let Some(shared) = &self.shared else {
            return Vec::new();
        };
        let now = shared.now();
        self.slots
            .iter()
            .flat_map(|s| s.limiter.recent_starts())
            .filter(|s| *s <= now)
            .map(|s| now.duration_since(s))
            .filter(|age| *age < crate::ratelimit::WINDOW)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use std::sync::Arc;

    fn pool(size: usize, rate: u32, clock: &Arc<ManualClock>) -> Pool {
        let clock: Arc<dyn Clock> = clock.clone();
        Pool::new(size, || RateLimiter::new(rate, clock.clone()))
    }

    /// Acquire and, like the transport after fetching a token, mark the slot ready.
    async fn take(p: &Pool) -> Permit {
        let permit = p.acquire().await;
        p.mark_ready(permit.slot);
        permit
    }

    #[tokio::test]
    async fn one_token_is_one_limiter_and_never_falls_back() {
        let clock = Arc::new(ManualClock::new());
        let p = pool(1, 60, &clock); // burst 12
        for _ in 0..20 {
            assert_eq!(
                take(&p).await,
                Permit {
                    slot: 0,
                    shared: false
                }
            );
        }
        // As a one-token limiter: 8 permits after the burst, one a second.
        assert_eq!(clock.sleeps(), vec![Duration::from_secs(1); 8]);
        assert!(!p.on_429(
            Permit {
                slot: 0,
                shared: false
            },
            Duration::from_secs(9)
        ));
        assert!(!p.per_client());
        take(&p).await;
        assert_eq!(clock.sleeps().last(), Some(&Duration::from_secs(9)));
    }

    #[tokio::test]
    async fn tokens_are_taken_only_when_the_ready_ones_would_wait() {
        let clock = Arc::new(ManualClock::new());
        let p = pool(4, 60, &clock); // burst 12 per token
        for _ in 0..12 {
            assert_eq!(take(&p).await.slot, 0);
        }
        assert_eq!(p.ready(), 1, "one burst needs one token");
        // The 13th would wait for token 1's limiter: a second token instead.
        assert_eq!(take(&p).await.slot, 1);
        for _ in 0..11 {
            assert_eq!(take(&p).await.slot, 1);
        }
        for _ in 0..24 {
            take(&p).await;
        }
        assert_eq!(p.ready(), 4);
        assert!(clock.sleeps().is_empty(), "{:?}", clock.sleeps());
        // Then the four share the work, each at its own rate: 4 a second.
        for _ in 0..8 {
            take(&p).await;
        }
        assert_eq!(clock.total_slept(), Duration::from_secs(2));
    }

    #[tokio::test]
    async fn a_slot_being_opened_is_not_opened_twice() {
        let clock = Arc::new(ManualClock::new());
        let p = pool(3, 60, &clock);
        for _ in 0..12 {
            take(&p).await;
        }
        // Slot 1 is being opened (its token not there yet): others use slot 0 and wait.
        let opening = p.acquire().await;
        assert_eq!(opening.slot, 1);
        assert_eq!(p.acquire().await.slot, 0);
        p.mark_failed(1);
        // Its token could not be fetched at all: the pool goes on without it.
        assert_eq!(take(&p).await.slot, 2);
        for _ in 0..40 {
            assert_ne!(take(&p).await.slot, 1);
        }
    }

    #[tokio::test]
    async fn a_429_on_a_token_at_its_own_limit_pauses_that_token_only() {
        let clock = Arc::new(ManualClock::new());
        let p = pool(2, 5, &clock); // 5 a minute per token, burst 1
        for _ in 0..10 {
            take(&p).await;
        }
        assert_eq!(p.ready(), 2);
        assert_eq!(p.slots[0].limiter.started_within(MINUTE), 5);
        // Slot 0 spent its minute: a 429 there is the token's own limit, not the client's.
        assert!(!p.on_429(
            Permit {
                slot: 0,
                shared: false
            },
            Duration::from_secs(50)
        ));
        assert!(!p.per_client());
        assert!(p.slots[0].limiter.next_wait() >= Duration::from_secs(50));
        assert!(p.slots[1].limiter.next_wait() < Duration::from_secs(50));
        assert_eq!(take(&p).await.slot, 1);
    }

    #[tokio::test]
    async fn a_429_under_every_token_limit_falls_back_to_one_shared_limiter() {
        let clock = Arc::new(ManualClock::new());
        // 60/min per token, burst 12; 30 requests in the first seconds: slots 0, 1 and 2
        // busy, each under 60.
        let p = pool(3, 60, &clock);
        for _ in 0..30 {
            take(&p).await;
        }
        assert_eq!(p.ready(), 3);
        assert!(clock.sleeps().is_empty());
        let permit = Permit {
            slot: 2,
            shared: false,
        };
        assert!(p.on_429(permit, Duration::from_secs(20)));
        assert!(p.per_client());
        // Later 429s of requests already in flight only extend the pause.
        assert!(!p.on_429(
            Permit {
                slot: 1,
                shared: false
            },
            Duration::from_secs(5)
        ));
        // From now on one limiter at 60/min for the whole client, slot 0's token: the 30
        // requests already sent count, so after the 20 s pause the minute has room for 30.
        let next = take(&p).await;
        assert_eq!(
            next,
            Permit {
                slot: 0,
                shared: true
            }
        );
        assert!(clock.total_slept() >= Duration::from_secs(20));
        let start = clock.elapsed();
        for _ in 0..40 {
            take(&p).await;
        }
        // Never more than 60 in any minute again: the 31 + 40 permits spread past the first
        // minute (61 s window).
        assert!(
            clock.elapsed() >= Duration::from_secs(61),
            "{:?}",
            clock.elapsed()
        );
        assert!(clock.elapsed() > start);
        assert_eq!(p.usage_limiter(0).recent_starts().len(), 60);
    }

    #[tokio::test]
    async fn a_429_with_one_busy_token_is_not_taken_for_a_per_client_limit() {
        let clock = Arc::new(ManualClock::new());
        let p = pool(3, 60, &clock);
        for _ in 0..5 {
            take(&p).await;
        }
        assert_eq!(p.ready(), 1);
        assert!(!p.on_429(
            Permit {
                slot: 0,
                shared: false
            },
            Duration::from_secs(7)
        ));
        assert!(!p.per_client());
        // Slot 0 is paused: the next request takes another token rather than wait.
        let next = take(&p).await;
        assert_eq!(next.slot, 1);
        assert!(clock.sleeps().is_empty());
    }
}
