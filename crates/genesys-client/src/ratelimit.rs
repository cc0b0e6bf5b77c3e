//! Client-wide rate limiter and 429 pause, driven by the injected clock.
//!
//! Genesys Cloud allows 300 requests per minute per client-credentials token, and a single
//! [`Client`](crate::Client) (one token) is shared by every worker of a run, so the limit is
//! enforced here, once per client, rather than per worker.
//!
//! **Algorithm: evenly spaced permits with a small burst (GCRA).** With `rate` requests per
//! minute the emission interval is `T = 60 s / rate`. The limiter keeps one "theoretical
//! arrival time" `tat`. A request arriving at `now` takes the slot `max(tat, now)` and moves
//! `tat` one interval further; it may go at once if its slot is at most `τ = T · (burst - 1)`
//! ahead of `now`, otherwise it sleeps until `slot - τ`. The slot is reserved *before*
//! sleeping, so waiting requests queue in arrival order and never stampede. The burst is one
//! second's worth of permits (`rate / 60`, at least 1, at most 10): 5 at the default 300/min,
//! which lets an interactive `get` (three or four requests) go without added latency while a
//! bulk run settles at exactly `rate` per minute. Over any minute at most `rate + burst - 1`
//! requests start; a 429 caused by the remainder is handled below. `rate = 0` disables the
//! spacing (the pause still applies).
//!
//! **429 pause.** A 429 means the token's budget is spent for every worker, not only the one
//! that saw it. `RateLimiter::pause_for` sets a shared `paused_until = now + Retry-After`
//! (only ever moved forward); every request, including ones already holding a slot, waits
//! until that instant before it is sent, and the next free slot moves to the end of the pause
//! so that later requests resume at the steady rate rather than in a burst.
//!
//! All waiting goes through [`Clock::sleep`], so tests with a `ManualClock` observe the
//! spacing and the pauses without sleeping.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::clock::Clock;

/// The shared limiter of one client.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    clock: Arc<dyn Clock>,
    /// Emission interval; `None` = unlimited.
    interval: Option<Duration>,
    /// Burst tolerance τ.
    tolerance: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    tat: Option<Instant>,
    paused_until: Option<Instant>,
}

impl RateLimiter {
    /// A limiter for `rate_per_minute` requests (0 = unlimited).
    pub(crate) fn new(rate_per_minute: u32, clock: Arc<dyn Clock>) -> Self {
        let (interval, tolerance) = if rate_per_minute == 0 {
            (None, Duration::ZERO)
        } else {
            let interval = Duration::from_secs(60) / rate_per_minute;
            let burst = (rate_per_minute / 60).clamp(1, 10);
            (Some(interval), interval * (burst - 1))
        };
        RateLimiter {
            clock,
            interval,
            tolerance,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wait for a permit and for any 429 pause to end (one sleep in the common case).
    pub(crate) async fn acquire(&self) {
        let wait = {
            let mut st = self.lock();
            let now = self.clock.now();
            let mut wait = Duration::ZERO;
            if let Some(interval) = self.interval {
                let slot = match st.tat {
                    Some(tat) if tat > now => tat,
                    _ => now,
                };
                st.tat = Some(slot + interval);
                wait = slot
                    .saturating_duration_since(now)
                    .saturating_sub(self.tolerance);
            }
            if let Some(until) = st.paused_until {
                wait = wait.max(until.saturating_duration_since(now));
            }
            wait
        };
        if !wait.is_zero() {
            self.clock.sleep(wait).await;
        }
        // A 429 seen by another request while we slept extends the wait.
        self.wait_pause().await;
    }

    /// Wait until no 429 pause is in force.
    pub(crate) async fn wait_pause(&self) {
        loop {
            let wait = {
                let st = self.lock();
                let now = self.clock.now();
                match st.paused_until {
                    Some(until) if until > now => until - now,
                    _ => return,
                }
            };
            self.clock.sleep(wait).await;
        }
    }

    /// Pause every request of this client for `d` from now (never shortens a pause).
    pub(crate) fn pause_for(&self, d: Duration) {
        let mut st = self.lock();
        let until = self.clock.now() + d;
        if st.paused_until.is_none_or(|p| p < until) {
            st.paused_until = Some(until);
        }
        // Requests that arrive later queue for slots after the pause, evenly spaced, instead
        // of all firing the moment it ends.
        if self.interval.is_some() && st.tat.is_none_or(|t| t < until) {
            st.tat = Some(until);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[tokio::test]
    async fn spaces_requests_after_the_burst() {
        let clock = Arc::new(ManualClock::new());
        let rl = RateLimiter::new(60, clock.clone()); // 1/s, burst 1
        for _ in 0..4 {
            rl.acquire().await;
        }
        assert_eq!(clock.sleeps(), vec![Duration::from_secs(1); 3]);
    }

    #[tokio::test]
    async fn burst_then_even_spacing() {
        let clock = Arc::new(ManualClock::new());
        let rl = RateLimiter::new(300, clock.clone()); // 200 ms, burst 5
        for _ in 0..5 {
            rl.acquire().await;
        }
        assert!(clock.sleeps().is_empty());
        for _ in 0..300 {
            rl.acquire().await;
        }
        // 305 requests in about a minute: 300 spaced by 200 ms, minus the burst.
        let total = clock.total_slept();
        assert!(total >= Duration::from_secs(59), "{total:?}");
        assert!(total <= Duration::from_secs(61), "{total:?}");
    }

    #[tokio::test]
    async fn unlimited_still_pauses() {
        let clock = Arc::new(ManualClock::new());
        let rl = RateLimiter::new(0, clock.clone());
        rl.acquire().await;
        rl.pause_for(Duration::from_secs(7));
        rl.pause_for(Duration::from_secs(2)); // does not shorten
        rl.acquire().await;
        rl.acquire().await;
        assert_eq!(clock.sleeps(), vec![Duration::from_secs(7)]);
    }

    #[tokio::test]
    async fn requests_after_a_pause_are_spaced() {
        let clock = Arc::new(ManualClock::new());
        let rl = RateLimiter::new(60, clock.clone());
        rl.acquire().await;
        rl.pause_for(Duration::from_secs(10));
        rl.acquire().await;
        rl.acquire().await;
        // The first waits out the pause, the next one interval more.
        assert_eq!(
            clock.sleeps(),
            vec![Duration::from_secs(10), Duration::from_secs(1)]
        );
    }

    #[tokio::test]
    async fn idle_time_is_not_banked_beyond_the_burst() {
        let clock = Arc::new(ManualClock::new());
        let rl = RateLimiter::new(60, clock.clone());
        rl.acquire().await;
        clock.advance(Duration::from_secs(3600));
        rl.acquire().await;
        rl.acquire().await;
        assert_eq!(clock.sleeps(), vec![Duration::from_secs(1)]);
    }
}
