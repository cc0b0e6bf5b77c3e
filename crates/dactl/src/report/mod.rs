//! The HTML report of `dactl report --html FILE`: one self-contained page about every
//! action's timeout.
//!
//! The page has no external asset of any kind (no script, stylesheet, font or image is
//! fetched): the style is one inline `<style>` block and the charts are inline SVG, so it can
//! be mailed, archived with a change ticket or opened offline. It needs no JavaScript (the
//! long lists fold with `<details>`). Every piece of text that comes from the org (names,
//! categories, ids, probe messages) goes through [`esc`], so an action named
//! `<script>…</script>` shows as text.
//!
//! Sections: summary tiles; the distribution of effective timeouts (1..=60 s; unset ones are
//! drawn at the 60 s platform default in their own colour); the actions at the platform
//! default; the outliers (see [`outliers`]); timeouts by category; the probe results stored by
//! `dactl probe`, each with a small latency histogram; and the full list.
//!
//! This module holds what the page says (the actions, the outliers); [`render`] in `html`
//! holds how it looks.

mod html;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::actions::Kind;
use crate::probe::{self, ProbeRecord};

pub use html::{esc, render, STANDS_OUT_SHOWN};

/// One action as the report sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ReportAction {
    /// Action id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Category.
    pub category: String,
    /// Integration id.
    pub integration_id: String,
    /// Kind.
    pub kind: Kind,
    /// Explicit timeout (`None` = platform default).
    pub timeout: Option<i64>,
    /// A function data action's function timeout (`None` for other actions).
    pub function_timeout: Option<i64>,
    /// Has an unpublished draft.
    pub draft: bool,
}

impl ReportAction {
    /// The timeout that applies: the action's (or the platform default), and for a function
    /// action at most its function's.
    pub fn effective(&self) -> i64 {
        crate::functions::effective_timeout(self.timeout, self.function_timeout)
    }

    fn changeable(&self) -> bool {
        self.kind.refusal().is_none()
    }
}

/// Everything the page shows.
#[derive(Debug, Clone)]
pub struct ReportInput {
    /// API base URL or `sandbox`.
    pub target: String,
    /// RFC 3339 time.
    pub generated_at: String,
    /// dactl's version.
    pub version: String,
    /// Every action.
    pub actions: Vec<ReportAction>,
    /// Stored probes of this target.
    pub probes: Vec<ProbeRecord>,
}

/// An action whose timeout stands out, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outlier {
    /// Action id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Effective timeout, seconds.
    pub timeout: i64,
    /// `high`, `low`, `too-tight`, `below-recommendation` or `generous`.
    pub kind: &'static str,
    /// One sentence for people.
    pub reason: String,
}

/// A timeout is `generous` only when it also exceeds the recommendation by this many seconds
/// (4 s against a recommended 1 s is not worth a line).
const GENEROUS_MARGIN: i64 = 5;

/// The actions whose timeout stands out, on grounds an admin can act on. Each needs a probe
/// (`dactl probe`): without a measured latency, an unusual timeout is not a finding (a rare
/// 45 s may be exactly right for a slow backend).
/// - `too-tight`: test executions timed out, or the measured p99 reaches the timeout;
/// - `below-recommendation`: the timeout is below the probe's recommendation (p99 × 3);
/// - `generous`: the timeout is far above the measured p99 × 3 (over three times the
///   recommendation and `GENEROUS_MARGIN` (5 s) above it);
/// - `default-generous`: no timeout is set (the 60 s platform default applies) and the probe
///   shows a much shorter one would do (the same bound as `generous`).
pub fn outliers(actions: &[ReportAction], probes: &[ProbeRecord]) -> Vec<Outlier> {
    let mut out = Vec::new();
    let by_id: BTreeMap<&str, &ReportAction> = actions.iter().map(|a| (a.id.as_str(), a)).collect();
    for p in probes {
        let Some(a) = by_id.get(p.action_id.as_str()) else {
            continue;
        };
        if !a.changeable() {
            continue;
        }
        let t = a.effective();
        let p99 = p.stats.p99_ms;
        let (kind, reason) = if p.stats.timeouts > 0 || p99.is_some_and(|x| x >= t as f64 * 1000.0)
        {
            (
                "too-tight",
                format!(
                    "{} of {} test runs hit the {t} s timeout (slowest measured: {}): calls fail that would succeed with a longer timeout",
                    p.stats.timeouts,
                    p.stats.executions,
                    p.stats.max_ms.map(probe::human_ms).unwrap_or_else(|| "–".into())
                ),
            )
        } else if let Some(rec) = p.recommended_timeout_seconds {
            if t < rec {
                (
                    "below-recommendation",
                    format!("{t} s is shorter than the {rec} s the measured latency calls for (p99 × 3): slow calls will fail"),
                )
            } else if t > rec * 3 && t - rec >= GENEROUS_MARGIN {
                if a.timeout.is_none() {
                    (
                        "default-generous",
                        format!("no timeout set, so 60 s applies; measured p99 {} suggests {rec} s: a stuck backend holds the caller a whole minute", p99.map(probe::human_ms).unwrap_or_else(|| "–".into())),
                    )
                } else {
                    (
                        "generous",
                        format!("{t} s is far above the {rec} s the measured latency calls for (p99 × 3): a stuck backend holds the caller that long"),
                    )
                }
            } else {
                continue;
            }
        } else {
            continue;
        };
        out.push(Outlier {
            id: a.id.clone(),
            name: a.name.clone(),
            timeout: t,
            kind,
            reason,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{Sample, SampleOutcome};

    pub(super) fn act(id: &str, name: &str, t: Option<i64>) -> ReportAction {
        ReportAction {
            id: id.into(),
            name: name.into(),
            category: "Cat".into(),
            integration_id: "i".into(),
            kind: Kind::Regular,
            timeout: t,
            function_timeout: None,
            draft: false,
        }
    }

    pub(super) fn probe_of(id: &str, ms: &[f64], timeouts: usize) -> ProbeRecord {
        let mut samples: Vec<Sample> = ms
            .iter()
            .enumerate()
            .map(|(i, m)| Sample {
                seq: i as u32 + 1,
                elapsed_ms: Some(*m),
                outcome: SampleOutcome::Ok,
                message: None,
            })
            .collect();
        for k in 0..timeouts {
            samples.push(Sample {
                seq: (ms.len() + k + 1) as u32,
                elapsed_ms: Some(10_000.0),
                outcome: SampleOutcome::Timeout,
                message: Some("request.timeout".into()),
            });
        }
        let stats = probe::stats(&samples);
        ProbeRecord {
            action_id: id.into(),
            action_name: "p".into(),
            target: "t".into(),
            probed_at: "2026-01-01T00:00:00Z".into(),
            requested: samples.len() as u32,
            concurrency: 1,
            input_keys: vec![],
            timeout_seconds: None,
            function_timeout_seconds: None,
            effective_timeout_seconds: None,
            recommended_timeout_seconds: probe::recommendation(&stats),
            stats,
            samples,
        }
    }

    #[test]
    fn only_actionable_timeouts_stand_out() {
        let mut actions: Vec<ReportAction> =
            [3, 4, 5, 5, 6, 8, 10, 10, 10, 12, 15, 15, 20, 25, 30, 45, 60]
                .iter()
                .enumerate()
                .map(|(i, t)| act(&format!("a{i}"), &format!("A{i}"), Some(*t)))
                .collect();
        actions.push(act("slow", "Slow", Some(10)));
        actions.push(act("fast", "Fast", Some(40)));
        actions.push(act("unset", "Unset", None));
        actions.push(act("quick", "Quick at default", None));
        let probes = vec![
            probe_of("slow", &[9_000.0], 2),      // timed out: too tight
            probe_of("fast", &[100.0, 120.0], 0), // recommends 1 s: 40 s is generous
            probe_of("a5", &[2_000.0], 0),        // recommends 6 s: 8 s is fine
            probe_of("quick", &[300.0], 0),       // recommends 1 s, at the 60 s default
            probe_of("gone", &[1.0], 0),          // no such action: ignored
        ];
        let o = outliers(&actions, &probes);
        let kinds: Vec<(&str, &str)> = o.iter().map(|x| (x.id.as_str(), x.kind)).collect();
        // An unusual timeout without a probe is no finding (45 s, 60 s, 3 s).
        assert_eq!(
            kinds,
            vec![
                ("slow", "too-tight"),
                ("fast", "generous"),
                ("quick", "default-generous")
            ]
        );
        assert!(o.iter().all(|x| !x.reason.contains("Tukey")));
        let below = outliers(&[act("b", "B", Some(2))], &[probe_of("b", &[1_500.0], 0)]);
        assert_eq!(below[0].kind, "below-recommendation");
        // Over three times the recommendation but within the margin: not worth a line.
        assert!(outliers(&[act("q", "Q", Some(4))], &[probe_of("q", &[200.0], 0)]).is_empty());
    }
}
