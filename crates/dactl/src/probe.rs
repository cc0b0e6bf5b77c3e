//! Timeout advice from measured latency: the statistics of `dactl probe`, its terminal
//! histogram, its recommendation, and the probe records kept under `$DACTL_HOME/probes/`.
//!
//! **What is measured.** Each sample is one test execution of the action (X1), timed on the
//! client from sending the request to the end of the response (no rate-limit or token wait,
//! see `genesys_client::execution`). A sample is `ok` (the result says `success: true`),
//! `timeout` (the action ran past its execution timeout; its duration is then the timeout,
//! not the backend's real latency), `failed` (the action failed for another reason, such as
//! an input that does not satisfy its contract: such a call says nothing about the backend's
//! speed) or `error` (the request itself failed, e.g. a 503). The latency distribution is made
//! of the `ok` and `timeout` samples.
//!
//! **Percentiles** use the nearest-rank method: p(q) is the value at rank `ceil(q · n)` of the
//! sorted samples, so every reported figure is a latency that was actually observed and p99
//! of fewer than 100 samples is the maximum.
//!
//! **Recommendation.** Genesys advises sizing the timeout from the observed p99 latency, with
//! headroom (its example: p99 1 s → 3 s; genesys-api.md §3). dactl recommends
//! `ceil(p99 × 3)` seconds, clamped to the platform's 1..=60. No recommendation is made
//! without at least one `ok` sample. Below [`ROUGH_BELOW`] (20) timed executions there is no
//! p99 to speak of: the advice is `ceil(max × 3)` and the output says it is rough. When some samples timed out, the true p99 is above the
//! current timeout and the figure is a lower bound; the report says so.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::duration::{MAX_TIMEOUT, MIN_TIMEOUT};
use crate::fsutil;

/// Multiplier applied to p99 (Genesys's example: p99 1 s → 3 s).
pub const HEADROOM: f64 = 3.0;

/// How one test execution ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SampleOutcome {
    /// `success: true`.
    Ok,
    /// The action ran past its execution timeout.
    Timeout,
    /// The action failed for another reason (not a latency signal).
    Failed,
    /// The request failed (no result).
    Error,
}

impl SampleOutcome {
    /// Text for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            SampleOutcome::Ok => "ok",
            SampleOutcome::Timeout => "timeout",
            SampleOutcome::Failed => "failed",
            SampleOutcome::Error => "error",
        }
    }

    /// Whether the sample belongs to the latency distribution.
    pub fn measures_latency(self) -> bool {
        matches!(self, SampleOutcome::Ok | SampleOutcome::Timeout)
    }
}

/// One test execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// 1-based order of start.
    pub seq: u32,
    /// Client-side duration in milliseconds (`null` when the request failed).
    pub elapsed_ms: Option<f64>,
    /// How it ended.
    pub outcome: SampleOutcome,
    /// Why it did not succeed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Summary statistics of a probe.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Test executions run.
    pub executions: u32,
    /// `ok` samples.
    pub ok: u32,
    /// `timeout` samples.
    pub timeouts: u32,
    /// `failed` and `error` samples.
    pub failed: u32,
    /// Median latency, ms.
    pub p50_ms: Option<f64>,
    /// 95th percentile, ms.
    pub p95_ms: Option<f64>,
    /// 99th percentile, ms.
    pub p99_ms: Option<f64>,
    /// Slowest, ms.
    pub max_ms: Option<f64>,
    /// Fastest, ms.
    pub min_ms: Option<f64>,
}

/// The nearest-rank percentile of sorted values (`q` in 0..=1): always a value that occurs.
/// At `q` = 0.5 it is the lower median (of 8 and 60 it is 8, never a 34 that no value has),
/// which the report shows for timeouts.
pub fn percentile<T: Copy>(sorted: &[T], q: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The latencies of the distribution (ok and timeout samples), sorted.
pub fn latencies(samples: &[Sample]) -> Vec<f64> {
    let mut v: Vec<f64> = samples
        .iter()
        .filter(|s| s.outcome.measures_latency())
        .filter_map(|s| s.elapsed_ms)
        .filter(|ms| ms.is_finite())
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Statistics of samples.
pub fn stats(samples: &[Sample]) -> Stats {
    let l = latencies(samples);
    let count = |o: SampleOutcome| samples.iter().filter(|s| s.outcome == o).count() as u32;
    Stats {
        executions: samples.len() as u32,
        ok: count(SampleOutcome::Ok),
        timeouts: count(SampleOutcome::Timeout),
        failed: count(SampleOutcome::Failed) + count(SampleOutcome::Error),
        p50_ms: percentile(&l, 0.50),
        p95_ms: percentile(&l, 0.95),
        p99_ms: percentile(&l, 0.99),
        max_ms: l.last().copied(),
        min_ms: l.first().copied(),
    }
}

/// The recommended timeout for a p99 latency: `ceil(p99 × 3)` seconds within 1..=60.
pub fn recommend(p99_ms: f64) -> i64 {
    let secs = (p99_ms / 1000.0 * HEADROOM).ceil();
    if !secs.is_finite() {
        return MAX_TIMEOUT;
    }
    (secs as i64).clamp(MIN_TIMEOUT, MAX_TIMEOUT)
}

/// Below this many timed executions a p99 is not an estimate: the advice is based on the
/// slowest one (the max), and the output says the figure is rough.
pub const ROUGH_BELOW: u32 = 20;

/// Whether the probe had too few timed executions for a p99 (see [`ROUGH_BELOW`]).
pub fn is_rough(s: &Stats) -> bool {
    s.ok + s.timeouts < ROUGH_BELOW
}

/// The recommendation for a probe, if one can be made (at least one `ok` sample): from the
/// p99, or from the max when the probe [`is_rough`].
pub fn recommendation(s: &Stats) -> Option<i64> {
    if s.ok == 0 {
        return None;
    }
    if is_rough(s) {
        return s.max_ms.map(recommend);
    }
    s.p99_ms.map(recommend)
}

/// A recommendation capped at a function data action's function timeout (the function is
/// stopped there whatever the action's timeout): the figure, and whether the cap applied.
pub fn cap_at_function(recommended: i64, function_timeout: Option<i64>) -> (i64, bool) {
    match function_timeout {
        Some(f) if recommended > f => (f, true),
        _ => (recommended, false),
    }
}

/// One bar of the histogram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    /// Lower bound, ms (inclusive).
    pub from_ms: f64,
    /// Upper bound, ms (exclusive, inclusive for the last bin).
    pub to_ms: f64,
    /// Samples in the bin.
    pub count: u32,
}

/// Equal-width bins over [min, max] of sorted latencies: `max_bins` at most, fewer for few
/// samples (about √n), one bin when every value is the same.
pub fn histogram(sorted: &[f64], max_bins: usize) -> Vec<Bin> {
    let (Some(&lo), Some(&hi)) = (sorted.first(), sorted.last()) else {
        return Vec::new();
    };
    let n = ((sorted.len() as f64).sqrt().ceil() as usize).clamp(1, max_bins.max(1));
    if hi <= lo || n == 1 {
        return vec![Bin {
            from_ms: lo,
            to_ms: hi,
            count: sorted.len() as u32,
        }];
    }
    let width = (hi - lo) / n as f64;
    let mut bins: Vec<Bin> = (0..n)
        .map(|i| Bin {
            from_ms: lo + width * i as f64,
            to_ms: if i + 1 == n {
                hi
            } else {
                lo + width * (i + 1) as f64
            },
            count: 0,
        })
        .collect();
    for &v in sorted {
        let i = (((v - lo) / width).floor() as usize).min(n - 1);
        bins[i].count += 1;
    }
    bins
}

/// Milliseconds for people: `87 ms`, `1.43 s`.
pub fn human_ms(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

/// The histogram drawn with block characters, one line a bin, bars scaled to `width`.
pub fn render_histogram(bins: &[Bin], width: usize) -> String {
    let max = bins.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    // Labels in ms, with a decimal only when the bins are narrower than 10 ms, so that
    // neighbouring bins never read the same.
    let bin_w = bins.first().map(|b| b.to_ms - b.from_ms).unwrap_or(0.0);
    let decimals = if bin_w > 0.0 && bin_w < 10.0 { 1 } else { 0 };
    let labels: Vec<String> = bins
        .iter()
        .map(|b| format!("{:.decimals$} – {:.decimals$} ms", b.from_ms, b.to_ms))
        .collect();
    let label_w = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for (b, label) in bins.iter().zip(&labels) {
        let len = (b.count as usize * width).div_ceil(max as usize);
        let bar = if b.count > 0 {
            "█".repeat(len.max(1))
        } else {
            String::new()
        };
        out.push_str(&format!("  {label:>label_w$} │{bar:<width$} {}\n", b.count));
    }
    out
}

/// What `dactl probe` stores and `dactl report` shows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProbeRecord {
    /// Action id.
    pub action_id: String,
    /// Action name at probe time.
    pub action_name: String,
    /// The API base URL (`sandbox` for the sandbox).
    pub target: String,
    /// When the probe ended (RFC 3339).
    pub probed_at: String,
    /// Test executions asked for.
    pub requested: u32,
    /// Executions at once.
    pub concurrency: u32,
    /// The names of the input fields sent (never their values, which may be personal data).
    pub input_keys: Vec<String>,
    /// The action's explicit timeout at probe time (`null` = platform default).
    pub timeout_seconds: Option<i64>,
    /// A function data action's function timeout (15 when the function sets none); absent
    /// for other actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_timeout_seconds: Option<i64>,
    /// The timeout that stopped the executions: min(timeout or 60, function timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_timeout_seconds: Option<i64>,
    /// Statistics.
    pub stats: Stats,
    /// `ceil(p99 × 3)` within 1..=60, when at least one execution succeeded.
    pub recommended_timeout_seconds: Option<i64>,
    /// Every execution.
    pub samples: Vec<Sample>,
}

/// `$DACTL_HOME/probes`.
pub fn probes_dir(home: &Path) -> PathBuf {
    home.join("probes")
}

/// Save a probe as `probes/<action id>.json` (mode 0600; the latest probe of an action wins).
pub fn save(home: &Path, record: &ProbeRecord) -> anyhow::Result<PathBuf> {
    let path = probes_dir(home).join(crate::runs::backup_file_name(&record.action_id));
    fsutil::write_private(&path, &serde_json::to_vec_pretty(record)?)?;
    Ok(path)
}

/// Every stored probe made against `target` (unreadable files are skipped), by action id.
pub fn load_all(home: &Path, target: &str) -> Vec<ProbeRecord> {
    let Ok(entries) = std::fs::read_dir(probes_dir(home)) else {
        return Vec::new();
    };
    let mut out: Vec<ProbeRecord> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| std::fs::read(e.path()).ok())
        .filter_map(|b| serde_json::from_slice::<ProbeRecord>(&b).ok())
        .filter(|r| r.target == target)
        .collect();
    out.sort_by(|a, b| a.action_id.cmp(&b.action_id));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample(seq: u32, ms: f64, outcome: SampleOutcome) -> Sample {
        Sample {
            seq,
            elapsed_ms: Some(ms),
            outcome,
            message: None,
        }
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.50), Some(50.0));
        assert_eq!(percentile(&v, 0.95), Some(95.0));
        assert_eq!(percentile(&v, 0.99), Some(99.0));
        assert_eq!(percentile(&v, 1.0), Some(100.0));
        // Fewer than 100 samples: p99 is the maximum.
        let few = [10.0, 20.0, 30.0];
        assert_eq!(percentile(&few, 0.99), Some(30.0));
        assert_eq!(percentile(&few, 0.50), Some(20.0));
        assert_eq!(percentile::<f64>(&[], 0.5), None);
        assert_eq!(percentile(&[7.0], 0.0), Some(7.0));
    }

    #[test]
    fn recommendation_follows_genesys_guidance() {
        // p99 1 s -> 3 s (the community announcement's example).
        assert_eq!(recommend(1000.0), 3);
        assert_eq!(recommend(420.0), 2); // 1.26 s rounds up
        assert_eq!(recommend(333.0), 1);
        assert_eq!(recommend(1.0), 1); // clamped to the minimum
        assert_eq!(recommend(0.0), 1);
        assert_eq!(recommend(19_999.0), 60);
        assert_eq!(recommend(25_000.0), 60); // clamped to the maximum
        assert_eq!(recommend(f64::INFINITY), 60);
    }

    #[test]
    fn stats_exclude_failures_from_the_distribution() {
        let samples = vec![
            sample(1, 100.0, SampleOutcome::Ok),
            sample(2, 300.0, SampleOutcome::Ok),
            sample(3, 5000.0, SampleOutcome::Timeout),
            sample(4, 2.0, SampleOutcome::Failed),
            Sample {
                seq: 5,
                elapsed_ms: None,
                outcome: SampleOutcome::Error,
                message: Some("503".into()),
            },
        ];
        let s = stats(&samples);
        assert_eq!((s.executions, s.ok, s.timeouts, s.failed), (5, 2, 1, 2));
        assert_eq!(s.min_ms, Some(100.0));
        assert_eq!(s.p50_ms, Some(300.0));
        assert_eq!(s.p99_ms, Some(5000.0));
        assert_eq!(recommendation(&s), Some(15));
        let only_failures = stats(&[sample(1, 2.0, SampleOutcome::Failed)]);
        assert_eq!(recommendation(&only_failures), None);
        let only_timeouts = stats(&[sample(1, 5000.0, SampleOutcome::Timeout)]);
        assert_eq!(recommendation(&only_timeouts), None);
    }

    #[test]
    fn histogram_bins_cover_every_sample() {
        let v: Vec<f64> = (0..50).map(|i| 100.0 + f64::from(i) * 2.0).collect();
        let bins = histogram(&v, 10);
        assert_eq!(bins.len(), 8); // ceil(sqrt(50))
        assert_eq!(bins.iter().map(|b| b.count).sum::<u32>(), 50);
        assert_eq!(bins[0].from_ms, 100.0);
        assert_eq!(bins.last().unwrap().to_ms, 198.0);
        let same = histogram(&[5.0, 5.0, 5.0], 10);
        assert_eq!(same.len(), 1);
        assert_eq!(same[0].count, 3);
        assert!(histogram(&[], 10).is_empty());
        let text = render_histogram(&bins, 20);
        assert_eq!(text.lines().count(), 8);
        assert!(text.contains('█'));
        assert!(text.contains("100 – 112 ms"), "{text}");
        let narrow = render_histogram(&histogram(&[1000.0, 1001.0, 1002.0, 1003.0], 10), 10);
        assert!(narrow.contains("1000.0 – 1001.5 ms"), "{narrow}");
    }

    #[test]
    fn recommendations_are_capped_at_the_function_timeout() {
        assert_eq!(cap_at_function(21, Some(10)), (10, true));
        assert_eq!(cap_at_function(8, Some(10)), (8, false));
        assert_eq!(cap_at_function(10, Some(10)), (10, false));
        assert_eq!(cap_at_function(45, None), (45, false));
    }

    #[test]
    fn human_units() {
        assert_eq!(human_ms(87.4), "87 ms");
        assert_eq!(human_ms(1430.0), "1.43 s");
    }

    #[test]
    fn records_are_private_and_filtered_by_target() {
        let home = tempfile::tempdir().unwrap();
        let rec = ProbeRecord {
            action_id: "a-1".into(),
            action_name: "A".into(),
            target: "sandbox".into(),
            probed_at: "2026-01-01T00:00:00Z".into(),
            requested: 1,
            concurrency: 1,
            input_keys: vec!["phoneNumber".into()],
            timeout_seconds: Some(10),
            function_timeout_seconds: None,
            effective_timeout_seconds: Some(10),
            stats: stats(&[sample(1, 10.0, SampleOutcome::Ok)]),
            recommended_timeout_seconds: Some(1),
            samples: vec![sample(1, 10.0, SampleOutcome::Ok)],
        };
        let path = save(home.path(), &rec).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert_eq!(load_all(home.path(), "sandbox").len(), 1);
        assert!(load_all(home.path(), "https://api.mypurecloud.ie").is_empty());
    }

    proptest! {
        #[test]
        fn recommendation_is_always_in_range(p99 in 0.0f64..1.0e9) {
            let r = recommend(p99);
            prop_assert!((1..=60).contains(&r));
            // At least 3 × p99 unless clamped at 60.
            prop_assert!(r == 60 || (r as f64) * 1000.0 >= p99 * 3.0 - 1e-6);
        }

        #[test]
        fn percentiles_are_ordered(mut v in proptest::collection::vec(0.0f64..1.0e6, 1..200)) {
            v.sort_by(f64::total_cmp);
            let p50 = percentile(&v, 0.5).unwrap();
            let p95 = percentile(&v, 0.95).unwrap();
            let p99 = percentile(&v, 0.99).unwrap();
            prop_assert!(p50 <= p95 && p95 <= p99 && p99 <= *v.last().unwrap());
        }
    }
}
