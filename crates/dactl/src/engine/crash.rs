//! A test hook that ends the process at a named step of the write loop (set by
//! `DACTL_TEST_CRASH_AT=step:n`). The engine only says when the point is reached; the caller
//! decides what happens then (the CLI exits with 137, as a killed process would).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A step of the write loop where the hook can fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashStep {
    /// The pre-image was saved and journalled.
    AfterBackup,
    /// The intent (`patch` line) was journalled; the PATCH is not sent yet.
    AfterIntent,
    /// The PATCH was answered; nothing is journalled about the answer yet.
    AfterPatch,
    /// The `patched` line was journalled.
    AfterPatched,
    /// The `done` line was journalled.
    AfterDone,
}

impl CrashStep {
    /// The step's name in `DACTL_TEST_CRASH_AT`.
    pub fn as_str(self) -> &'static str {
        match self {
            CrashStep::AfterBackup => "after-backup",
            CrashStep::AfterIntent => "after-intent",
            CrashStep::AfterPatch => "after-patch",
            CrashStep::AfterPatched => "after-patched",
            CrashStep::AfterDone => "after-done",
        }
    }

    fn parse(s: &str) -> Option<CrashStep> {
        [
            CrashStep::AfterBackup,
            CrashStep::AfterIntent,
            CrashStep::AfterPatch,
            CrashStep::AfterPatched,
            CrashStep::AfterDone,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// Where the hook fires: the nth time a step is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrashPoint {
    /// The step.
    pub step: CrashStep,
    /// Fire at the nth time the step is reached (1-based).
    pub nth: u64,
}

impl CrashPoint {
    /// Parse `step:n` (`step` alone: the first time). An unknown step is `None`.
    pub fn parse(s: &str) -> Option<CrashPoint> {
        let (step, n) = s.split_once(':').unwrap_or((s, "1"));
        Some(CrashPoint {
            step: CrashStep::parse(step)?,
            nth: n.parse().ok()?,
        })
    }
}

impl fmt::Display for CrashPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.step.as_str(), self.nth)
    }
}

/// The hook: where it fires, and what the caller does then.
#[derive(Clone)]
pub struct CrashHook {
    /// Where it fires.
    pub at: CrashPoint,
    reached: Arc<dyn Fn(&CrashPoint) + Send + Sync>,
    count: Arc<AtomicU64>,
}

impl CrashHook {
    /// A hook that calls `reached` when the point is reached (once: at the nth time).
    pub fn new(at: CrashPoint, reached: impl Fn(&CrashPoint) + Send + Sync + 'static) -> Self {
        CrashHook {
            at,
            reached: Arc::new(reached),
            count: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The write loop reached `step`.
    pub(crate) fn check(&self, step: CrashStep) {
        if self.at.step == step && self.count.fetch_add(1, Ordering::SeqCst) + 1 == self.at.nth {
            (self.reached)(&self.at);
        }
    }
}

impl fmt::Debug for CrashHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CrashHook").field("at", &self.at).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_once_at_the_nth_time_of_its_step() {
        let at = CrashPoint::parse("after-patch:2").unwrap();
        assert_eq!(at.to_string(), "after-patch:2");
        assert_eq!(CrashPoint::parse("after-done").unwrap().nth, 1);
        assert_eq!(CrashPoint::parse("bogus:1"), None);
        let fired = Arc::new(AtomicU64::new(0));
        let f = fired.clone();
        let hook = CrashHook::new(at, move |_| {
            f.fetch_add(1, Ordering::SeqCst);
        });
        hook.check(CrashStep::AfterIntent);
        hook.check(CrashStep::AfterPatch);
        assert_eq!(fired.load(Ordering::SeqCst), 0);
        hook.check(CrashStep::AfterPatch);
        hook.check(CrashStep::AfterPatch);
        assert_eq!(fired.load(Ordering::SeqCst), 1);
    }
}
