//! Injected time: the clock every wait of the client goes through.
//!
//! The rate limiter, the 429 pause, retry backoff and token expiry all read `now()` and wait
//! with `sleep()` of one [`Clock`]. Production uses [`SystemClock`] (tokio's timer); tests use
//! [`ManualClock`], whose `sleep()` returns at once after moving virtual time forward and
//! recording the requested delay, so that tests assert the exact waits without ever sleeping.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A source of time and of sleeps.
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    /// The current instant.
    fn now(&self) -> Instant;
    /// A future that completes after `d`.
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// The real clock: `Instant::now()` and `tokio::time::sleep`.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(d))
    }
}

/// Test clock: sleep() returns immediately, advances virtual now() and records every
/// requested delay.
///
/// Virtual time is shared: a sleep by any task moves `now()` for all of them, so concurrent
/// sleeps add up rather than overlap. Zero-length sleeps are not recorded.
#[derive(Debug)]
pub struct ManualClock {
    start: Instant,
    state: Mutex<ManualState>,
}

#[derive(Debug, Default)]
struct ManualState {
    offset: Duration,
    sleeps: Vec<Duration>,
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock {
            start: Instant::now(),
            state: Mutex::new(ManualState::default()),
        }
    }
}

impl ManualClock {
    /// A manual clock starting at the current real instant.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every delay passed to `sleep()` so far, in order (zero-length sleeps excluded).
    pub fn sleeps(&self) -> Vec<Duration> {
        self.lock().sleeps.clone()
    }

    /// Sum of all recorded sleeps.
    pub fn total_slept(&self) -> Duration {
        self.lock().sleeps.iter().sum()
    }

    /// Move virtual time forward without recording a sleep (time passing elsewhere).
    pub fn advance(&self, d: Duration) {
        self.lock().offset += d;
    }

    /// Virtual time elapsed since the clock was created.
    pub fn elapsed(&self) -> Duration {
        self.lock().offset
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ManualState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + self.lock().offset
    }

    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        if !d.is_zero() {
            let mut state = self.lock();
            state.offset += d;
            state.sleeps.push(d);
        }
        Box::pin(std::future::ready(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn manual_clock_records_and_advances() {
        let clock = ManualClock::new();
        let t0 = clock.now();
        clock.sleep(Duration::from_secs(7)).await;
        clock.sleep(Duration::ZERO).await;
        clock.advance(Duration::from_secs(1));
        assert_eq!(clock.now() - t0, Duration::from_secs(8));
        assert_eq!(clock.sleeps(), vec![Duration::from_secs(7)]);
        assert_eq!(clock.total_slept(), Duration::from_secs(7));
    }
}
