//! One request per item, a bounded number at a time: the engine's write loop ([`start`], which
//! stops starting work at Ctrl-C), and backup, restore, the flow counts and the function
//! settings ([`bounded`]).

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
pub async fn start<T, R, F, Fut>(
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

/// Run `f` on every item, at most `limit` (at least 1) at a time, and return the results in
/// the order the items were given. A task that panicked panics here too.
pub async fn bounded<I, T, F, Fut>(limit: usize, items: I, f: F) -> Vec<T>
where
    I: IntoIterator,
    F: Fn(I::Item) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let mut out: Vec<Option<T>> = Vec::new();
    let (mut set, _) = start(limit, items.into_iter().enumerate(), None, |(i, item)| {
        let task = f(item);
        async move { (i, task.await) }
    })
    .await;
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((i, r)) => {
                if out.len() <= i {
                    out.resize_with(i + 1, || None);
                }
                out[i] = Some(r);
            }
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Cancelled: only when the runtime shuts down, and then nobody reads this.
            Err(_) => {}
        }
    }
    out.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
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

    #[tokio::test]
    async fn runs_every_item_within_the_limit() {
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let (mut set, left) = start(3, 0..20, None, |i| {
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
        let (set, left) = start(2, vec!["a", "b"], Some(&stop), |s| async move { s }).await;
        assert!(set.is_empty());
        assert_eq!(left, vec!["a", "b"]);
    }
}
