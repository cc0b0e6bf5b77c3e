//! Run one request per item, a bounded number at a time: the shape shared by backup, restore,
//! the flow counts and the function settings (the engine's write loop and probe have their
//! own, since they stop early).

use std::future::Future;
use std::sync::Arc;

/// Run `f` on every item on the runtime, at most `limit` (at least 1) at a time, and return the
/// results in the order the items were given. A task that panicked panics here too.
pub async fn bounded<I, T, F, Fut>(limit: usize, items: I, f: F) -> Vec<T>
where
    I: IntoIterator,
    F: Fn(I::Item) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let permits = Arc::new(tokio::sync::Semaphore::new(limit.max(1)));
    let mut set = tokio::task::JoinSet::new();
    let mut count = 0;
    for (i, item) in items.into_iter().enumerate() {
        let task = f(item);
        let permits = permits.clone();
        set.spawn(async move {
            // The semaphore is never closed, so the permit always comes.
            let _permit = permits.acquire_owned().await;
            (i, task.await)
        });
        count += 1;
    }
    let mut out: Vec<Option<T>> = (0..count).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((i, r)) => out[i] = Some(r),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Cancelled: only when the runtime shuts down, and then nobody reads this.
            Err(_) => {}
        }
    }
    out.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::bounded;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn keeps_the_order_and_the_bound() {
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let out = bounded(3, 0..20u64, |n| {
            let running = running.clone();
            let peak = peak.clone();
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                // Later items finish first, so completion order differs from input order.
                tokio::time::sleep(Duration::from_millis(20 - n)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                n * 2
            }
        })
        .await;
        assert_eq!(out, (0..20).map(|n| n * 2).collect::<Vec<_>>());
        assert!(peak.load(Ordering::SeqCst) <= 3, "more than 3 at once");
        assert!(peak.load(Ordering::SeqCst) >= 2, "never ran two at once");
    }

    #[tokio::test]
    async fn a_limit_of_zero_still_runs() {
        let out = bounded(0, ["a", "b"], |s| async move { s.len() }).await;
        assert_eq!(out, vec![1, 1]);
    }
}
