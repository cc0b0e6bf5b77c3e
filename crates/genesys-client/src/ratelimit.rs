//! Client-wide rate limiter and 429 pause, driven by the injected clock.
//!
//! Genesys Cloud allows 300 requests per minute per client-credentials token, and a single
//! [`Client`](crate::Client) (one token) is shared by every worker of a run, so the limit is
//! enforced here, once per client, rather than per worker.
//!
//! **Algorithm: evenly spaced permits with a burst (GCRA), capped by a sliding window.** With
//! `rate` requests per minute the emission interval is `T = 60 s / rate`. The limiter keeps one
//! "theoretical arrival time" `tat`. A request arriving at `now` takes the slot `max(tat, now)`
//! and moves `tat` one interval further; it may go at once if its slot is at most
//! `τ = T · (burst - 1)` ahead of `now`, otherwise it waits until `slot - τ`. The slot is
//! reserved *before* sleeping, so waiting requests queue in arrival order and never stampede.
//!
//! The burst is twelve seconds' worth of permits (`rate / 5`, at least 1, at most 100): 60 at
//! the default 300/min. That is what an interactive command needs to run at the speed of the
//! network instead of the speed of the limiter: one safe change makes about 8 requests, a
//! listing of 5,000 actions about 52, and with a burst of a second's worth (5) both waited for
//! hundreds of milliseconds up to seconds on a budget they were nowhere near spending.
//!
//! A burst alone would let `rate + burst - 1` requests start within one minute, which a server
//! counting per minute answers with 429s. So every permit also respects a **sliding window**:
//! at most `rate` permits start within any [`WINDOW`] (60 s plus a 1 s margin for network
//! jitter between our clock and the server's). The start times of the last `rate` permits are
//! kept (a ring of at most `rate` instants); the next permit starts no earlier than the oldest
//! of them plus the window. Time spent held back by the window does not refill the burst (the
//! theoretical arrival time moves with the held-back permit), so a long bulk run spends its
//! burst once, waits `burst × T` at the end of its first window, and from then on goes evenly
//! spaced at `rate · 60/61` per minute (98.4 % of the limit), never above the limit.
//! `rate = 0` disables both (the pause still applies).
//!
//! **429 pause.** A 429 means the token's budget is spent for every worker, not only the one
//! that saw it. `RateLimiter::pause_for` sets a shared `paused_until = now + Retry-After`
//! (only ever moved forward); every request, including ones already holding a slot, waits
//! until that instant before it is sent, and the next free slot moves to the end of the pause
//! so that later requests resume at the steady rate rather than in a burst.
//!
//! All waiting goes through [`Clock::sleep`], so tests with a `ManualClock` observe the
//! spacing and the pauses without sleeping.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::clock::Clock;

/// The sliding window: a minute, plus a second of margin for jitter between our send times and
/// the server's arrival times.
pub(crate) const WINDOW: Duration = Duration::from_secs(61);

/// Permits that may start at once: twelve seconds' worth of the rate, at least 1, at most
/// [`MAX_BURST`].
pub(crate) fn burst_for(rate_per_minute: u32) -> u32 {
    (rate_per_minute / 5).clamp(1, MAX_BURST)
}

/// The largest burst: a listing of 10,000 actions (101 pages) and a change of one action
/// fit in it; a larger one would only make a long run's first window lumpier.
pub(crate) const MAX_BURST: u32 = 100;

/// The shared limiter of one client.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    clock: Arc<dyn Clock>,
    /// Emission interval; `None` = unlimited.
    interval: Option<Duration>,
    /// Burst tolerance τ.
    tolerance: Duration,
    /// Most permits per [`WINDOW`] (the rate); 0 = unlimited.
    per_window: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    tat: Option<Instant>,
    paused_until: Option<Instant>,
    /// Start times of the last `per_window` permits, oldest first (non-decreasing).
    recent: VecDeque<Instant>,
}

impl RateLimiter {
    /// A limiter for `rate_per_minute` requests (0 = unlimited) with the default burst.
    #[cfg(test)]
    pub(crate) fn new(rate_per_minute: u32, clock: Arc<dyn Clock>) -> Self {
        Self::with_burst(rate_per_minute, burst_for(rate_per_minute), clock)
    }

    /// A limiter for `rate_per_minute` requests (0 = unlimited) of which `burst` (at least 1)
    /// may start at once.
    pub(crate) fn with_burst(rate_per_minute: u32, burst: u32, clock: Arc<dyn Clock>) -> Self {
        let (interval, tolerance) = if rate_per_minute == 0 {
            (None, Duration::ZERO)
        } else {
            let interval = Duration::from_secs(60) / rate_per_minute;
            (Some(interval), interval * (burst.max(1) - 1))
        };
        RateLimiter {
            clock,
            interval,
            tolerance,
            per_window: rate_per_minute as usize,
            state: Mutex::new(State::default()),
        }
    }

    /// Permits that may start at once.
    pub(crate) fn burst(&self) -> u32 {
        match self.interval {
            Some(i) if !i.is_zero() => (self.tolerance.as_nanos() / i.as_nanos()) as u32 + 1,
            _ => u32::MAX,
        }
    }

    /// Count permits that another process took `ages` ago with the same token (the platform's
    /// limit is per token), as if this limiter had granted them: in the sliding window and in
    /// the theoretical arrival time.
    pub(crate) fn seed(&self, ages: &[Duration]) {
        let Some(interval) = self.interval else {
            return;
        };
        let now = self.clock.now();
        let mut starts: Vec<Instant> = ages.iter().filter_map(|a| now.checked_sub(*a)).collect();
        starts.sort();
        let mut st = self.lock();
        for start in starts {
            let slot = match st.tat {
                Some(tat) if tat > start => tat,
                _ => start,
            };
            st.tat = Some(slot + interval);
            if st.recent.len() >= self.per_window {
                st.recent.pop_front();
            }
            st.recent.push_back(start);
        }
    }

    /// Permits that could start at once now: what is left of the burst, and of the window.
    #[cfg(test)]
    pub(crate) fn immediate_capacity(&self) -> u32 {
        let (burst, window) = self.headroom();
        burst.min(window)
    }

    /// What is left now of the burst, and of the sliding window's budget.
    pub(crate) fn headroom(&self) -> (u32, u32) {
        let Some(interval) = self.interval.filter(|i| !i.is_zero()) else {
            return (u32::MAX, u32::MAX);
        };
        let st = self.lock();
        let now = self.clock.now();
        let ahead = st
            .tat
            .filter(|t| *t > now)
            .map_or(Duration::ZERO, |t| t - now);
        let burst_left = match self.tolerance.checked_sub(ahead) {
            Some(room) => (room.as_nanos() / interval.as_nanos()) as u32 + 1,
            None => 0,
        };
        let in_window = st
            .recent
            .iter()
            .filter(|s| now.saturating_duration_since(**s) < WINDOW)
            .count();
        (burst_left, self.per_window.saturating_sub(in_window) as u32)
    }

    /// The present, by this limiter's clock.
    pub(crate) fn now(&self) -> Instant {
        self.clock.now()
    }

    /// Most permits per window (the rate).
    pub(crate) fn per_window(&self) -> u32 {
        self.per_window as u32
    }

    /// A limiter with the same rate, burst and clock, and nothing granted yet.
    pub(crate) fn fresh_like(&self) -> RateLimiter {
        RateLimiter {
            clock: self.clock.clone(),
            interval: self.interval,
            tolerance: self.tolerance,
            per_window: self.per_window,
            state: Mutex::new(State::default()),
        }
    }

    /// How long a permit asked for now would wait (the slot, the window and any 429 pause),
    /// without taking it: the token pool sends a request with the token that waits least.
    pub(crate) fn next_wait(&self) -> Duration {
        let st = self.lock();
        let now = self.clock.now();
        let mut start = now;
        if self.interval.is_some() {
            let slot = match st.tat {
                Some(tat) if tat > now => tat,
                _ => now,
            };
            start = now.max(slot.checked_sub(self.tolerance).unwrap_or(now));
            if st.recent.len() >= self.per_window {
                if let Some(oldest) = st.recent.front() {
                    start = start.max(*oldest + WINDOW);
                }
            }
        }
        if let Some(until) = st.paused_until {
            start = start.max(until);
        }
        start.saturating_duration_since(now)
    }

    /// Permits started within the last `window` (60 s: the platform's minute).
    pub(crate) fn started_within(&self, window: Duration) -> usize {
        let st = self.lock();
        let now = self.clock.now();
        st.recent
            .iter()
            .filter(|s| now.saturating_duration_since(**s) < window)
            .count()
    }

    /// Start times of the permits in the sliding window, oldest first.
    pub(crate) fn recent_starts(&self) -> Vec<Instant> {
        self.lock().recent.iter().copied().collect()
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
                let paced = now.max(slot.checked_sub(self.tolerance).unwrap_or(now));
                let mut start = paced;
                if st.recent.len() >= self.per_window {
                    if let Some(oldest) = st.recent.pop_front() {
                        start = start.max(oldest + WINDOW);
                    }
                }
                if start > paced {
                    // Held back by the window: the time waited is not idle time, so it must
                    // not refill the burst. The next permits follow evenly spaced.
                    st.tat = Some(start + self.tolerance + interval);
                }
                if let Some(until) = st.paused_until {
                    start = start.max(until);
                }
                st.recent.push_back(start);
                wait = start.saturating_duration_since(now);
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

    #[test]
    fn burst_is_twelve_seconds_of_the_rate() {
        assert_eq!(burst_for(300), 60);
        assert_eq!(burst_for(3000), MAX_BURST);
        assert_eq!(burst_for(60), 12);
        assert_eq!(burst_for(4), 1);
    }

    #[tokio::test]
    async fn spaces_requests_after_the_burst() {
        let clock = Arc::new(ManualClock::new());
        let rl = RateLimiter::new(5, clock.clone()); // 12 s apart, burst 1
        for _ in 0..4 {
            rl.acquire().await;
        }
        assert_eq!(clock.sleeps(), vec![Duration::from_secs(12); 3]);
    }

    #[tokio::test]
    async fn a_single_change_and_a_large_listing_fit_in_the_burst() {
        let clock = Arc::new(ManualClock::new());
        let rl = RateLimiter::new(300, clock.clone()); // 200 ms apart, burst 60
        for _ in 0..60 {
            rl.acquire().await;
        }
        assert!(clock.sleeps().is_empty(), "{:?}", clock.sleeps());
        rl.acquire().await;
        // The 61st permit waits for its slot: one interval after the burst's last.
        assert_eq!(clock.sleeps(), vec![Duration::from_millis(200)]);
    }

    #[tokio::test]
    async fn a_long_run_never_exceeds_the_rate_in_any_window() {
        let clock = Arc::new(ManualClock::new());
        let rate = 300u32;
        let rl = RateLimiter::new(rate, clock.clone());
        let mut starts = Vec::new();
        for _ in 0..1_500 {
            rl.acquire().await;
            starts.push(clock.elapsed());
        }
        // No 60 s window holds more than `rate` starts...
        for (i, s) in starts.iter().enumerate() {
            let in_window = starts[i..]
                .iter()
                .take_while(|t| **t < *s + Duration::from_secs(60))
                .count();
            assert!(in_window <= rate as usize, "{in_window} starts after {s:?}");
        }
        // ...the run keeps close to the rate: 1,500 permits in about 5 windows of 61 s...
        let total = clock.elapsed();
        assert!(total >= Duration::from_secs(4 * 61), "{total:?}");
        assert!(total <= Duration::from_secs(5 * 61), "{total:?}");
        // ...and the burst is spent once: after the first window, permits are evenly spaced
        // (waiting for the window did not refill it).
        let later: Vec<Duration> = starts
            .iter()
            .copied()
            .filter(|t| *t > Duration::from_secs(62))
            .collect();
        let min_gap = later
            .windows(2)
            .map(|w| w[1] - w[0])
            .min()
            .unwrap_or_default();
        assert!(min_gap >= Duration::from_millis(199), "{min_gap:?}");
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
        let rl = RateLimiter::new(5, clock.clone()); // 12 s apart, burst 1
        rl.acquire().await;
        rl.pause_for(Duration::from_secs(30));
        rl.acquire().await;
        rl.acquire().await;
        // The first waits out the pause, the next one interval more.
        assert_eq!(
            clock.sleeps(),
            vec![Duration::from_secs(30), Duration::from_secs(12)]
        );
    }

    #[tokio::test]
    async fn permits_taken_by_an_earlier_process_are_counted() {
        let clock = Arc::new(ManualClock::new());
        // 60/min: one permit a second, a burst of 12.
        let l = RateLimiter::new(60, clock.clone());
        assert_eq!(l.burst(), 12);
        // An earlier process took 10 permits at once, a second ago.
        l.seed(&[Duration::from_secs(1); 10]);
        assert_eq!(l.recent_starts().len(), 10);
        // The burst is mostly spent: 3 go at once, then one a second.
        for _ in 0..11 {
            l.acquire().await;
        }
        let waited: Vec<Duration> = clock
            .sleeps()
            .into_iter()
            .filter(|s| !s.is_zero())
            .collect();
        assert_eq!(waited.len(), 8, "{waited:?}");
        assert_eq!(waited[0], Duration::from_secs(1));
        // And against the window: never more than 60 starts in any 61 s.
        let starts = l.recent_starts();
        assert_eq!(starts.len(), 21);
    }

    #[tokio::test]
    async fn immediate_capacity_is_what_is_left_of_the_burst() {
        let clock = Arc::new(ManualClock::new());
        let l = RateLimiter::new(60, clock.clone());
        assert_eq!(l.immediate_capacity(), 12);
        l.seed(&[Duration::from_secs(1); 10]);
        assert_eq!(l.immediate_capacity(), 3);
        // Ten evenly spread over the last ten seconds leave the burst whole.
        let spread = l.fresh_like();
        let ages: Vec<Duration> = (1..=10).map(Duration::from_secs).collect();
        spread.seed(&ages);
        assert_eq!(spread.immediate_capacity(), 12);
        assert_eq!(spread.headroom(), (12, 50));
        // A minute's worth spread over the last minute: the burst is back, the window spent.
        let busy = l.fresh_like();
        let ages: Vec<Duration> = (1..=59).map(Duration::from_secs).collect();
        busy.seed(&ages);
        assert_eq!(busy.headroom(), (12, 1));
        assert_eq!(busy.immediate_capacity(), 1);
        assert_eq!(RateLimiter::new(0, clock).immediate_capacity(), u32::MAX);
    }

    #[tokio::test]
    async fn idle_time_is_not_banked_beyond_the_burst() {
        let clock = Arc::new(ManualClock::new());
        let rl = RateLimiter::new(60, clock.clone()); // 1 s apart, burst 12
        rl.acquire().await;
        clock.advance(Duration::from_secs(3600));
        for _ in 0..13 {
            rl.acquire().await;
        }
        assert_eq!(clock.sleeps(), vec![Duration::from_secs(1)]);
    }
}
