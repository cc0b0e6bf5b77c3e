//! Bounded fan-out: one task per item, at most `limit` running at once.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::task::JoinSet;

/// Start `f(item)` as a task for each item, in order, at most `limit` (at least 1) running at
/// once; a task holds its slot until its future ends. Collect the results with
/// [`JoinSet::join_next`], in the order they finish.
///
/// With `stop` given, no item is started once it is set (Ctrl-C): the items not started are
/// returned, in order.
pub async fn fan_out<T, R, F, Fut>(
    limit: usize,
    items: impl IntoIterator<Item = T>,
    stop: Option<&AtomicBool>,
    f: F,
) -> (JoinSet<R>, Vec<T>)
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = R> + Send + 'static,
    R: Send + 'static,
{
    let sem = Arc::new(tokio::sync::Semaphore::new(limit.max(1)));
    let mut set = JoinSet::new();
    let mut not_started = Vec::new();
    let stopped = || stop.is_some_and(|s| s.load(Ordering::SeqCst));
    for item in items {
        let permit = match stop {
            Some(stop) => tokio::select! {
                p = sem.clone().acquire_owned() => p,
                _ = wait_stop(stop) => { not_started.push(item); continue; }
            },
            None => sem.clone().acquire_owned().await,
        };
        // The semaphore is never closed.
        let Ok(permit) = permit else {
            not_started.push(item);
            continue;
        };
        if stopped() {
            drop(permit);
            not_started.push(item);
            continue;
        }
        let fut = f(item);
        set.spawn(async move {
            let r = fut.await;
            drop(permit);
            r
        });
    }
    (set, not_started)
}

async fn wait_stop(stop: &AtomicBool) {
    loop {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[tokio::test]
    async fn runs_every_item_within_the_limit() {
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let (mut set, left) = fan_out(3, 0..20, None, |i| {
            let (running, most) = (running.clone(), most.clone());
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::task::yield_now().await;
                running.fetch_sub(1, Ordering::SeqCst);
                i * 2
            }
        })
        .await;
        assert!(left.is_empty());
        let mut out = Vec::new();
        while let Some(r) = set.join_next().await {
            out.push(r.unwrap());
        }
        out.sort();
        assert_eq!(out, (0..20).map(|i| i * 2).collect::<Vec<_>>());
        assert!(most.load(Ordering::SeqCst) <= 3);
    }

    #[tokio::test]
    async fn starts_nothing_once_stopped() {
        let stop = AtomicBool::new(true);
        let (set, left) = fan_out(2, vec!["a", "b"], Some(&stop), |s| async move { s }).await;
        assert!(set.is_empty());
        assert_eq!(left, vec!["a", "b"]);
    }
}
