//! The one render of a probe's result (see [`super`]).

use serde_json::json;

use crate::actions::{describe_timeout_secs, Kind};
use crate::context::Context;
use crate::output::{Format, Table};
use crate::probe::{self, ProbeRecord, Sample, SampleOutcome};

/// A probe's result: the record as JSON, its samples as NDJSON or CSV, or on a terminal a
/// table of the statistics with the recommended timeout and what to do next.
pub(super) fn emit_probe(
    ctx: &Context,
    r: &ProbeRecord,
    kind: Kind,
    capped: bool,
) -> anyhow::Result<()> {
    let s = &r.stats;
    let ms = |v: Option<f64>| v.map(|x| (x * 10.0).round() / 10.0);
    match ctx.printer.format {
        Format::Json => {
            let mut doc = serde_json::to_value(r)?;
            doc["kind"] = json!(kind);
            ctx.printer.json(&doc)?;
        }
        Format::Ndjson => {
            let mut text = String::new();
            for smp in &r.samples {
                text.push_str(&serde_json::to_string(smp)?);
                text.push('\n');
            }
            text.push_str(&serde_json::to_string(&json!({
                "summary": {
                    "action_id": r.action_id, "action_name": r.action_name,
                    "timeout_seconds": r.timeout_seconds,
                    "function_timeout_seconds": r.function_timeout_seconds,
                    "effective_timeout_seconds": r.effective_timeout_seconds, "stats": s,
                    "recommended_timeout_seconds": r.recommended_timeout_seconds,
                }
            }))?);
            text.push('\n');
            ctx.printer.emit(&text)?;
        }
        Format::Csv => {
            let mut t = Table::new(&["seq", "elapsed_ms", "outcome", "message"]);
            for smp in &r.samples {
                t.row(vec![
                    smp.seq.to_string(),
                    ms(smp.elapsed_ms)
                        .map(|v| format!("{v:.1}"))
                        .unwrap_or_default(),
                    smp.outcome.as_str().to_string(),
                    smp.message.clone().unwrap_or_default(),
                ]);
            }
            ctx.printer.emit(&t.to_csv())?;
        }
        Format::Table => {
            let rough = probe::is_rough(s);
            let show = |v: Option<f64>| v.map(probe::human_ms).unwrap_or_else(|| "–".into());
            let mut t = Table::new(&["PROBE", "VALUE"]);
            let rows = [
                ("action", format!("{} ({})", r.action_name, r.action_id)),
                (
                    "executions",
                    format!(
                        "{} ({} ok, {} timed out, {} failed)",
                        s.executions, s.ok, s.timeouts, s.failed
                    ),
                ),
                ("p50", show(s.p50_ms)),
                (
                    "p95",
                    if rough {
                        format!("– (needs {} executions)", probe::ROUGH_BELOW)
                    } else {
                        show(s.p95_ms)
                    },
                ),
                (
                    "p99",
                    if rough {
                        format!("– (needs {} executions)", probe::ROUGH_BELOW)
                    } else {
                        show(s.p99_ms)
                    },
                ),
                ("max", show(s.max_ms)),
                (
                    "current timeout",
                    match r.function_timeout_seconds {
                        Some(f) => format!(
                            "{} (function: {f} s, effective: {} s)",
                            describe_timeout_secs(r.timeout_seconds),
                            r.effective_timeout_seconds.unwrap_or(f)
                        ),
                        None => describe_timeout_secs(r.timeout_seconds),
                    },
                ),
                (
                    "recommended timeout",
                    match (r.recommended_timeout_seconds, r.function_timeout_seconds) {
                        (Some(t), Some(f)) if capped => format!(
                            "{t} s ({} × 3 is more; capped at the function's own timeout of {f} s)",
                            if rough { "max" } else { "p99" }
                        ),
                        (Some(t), _) if rough => format!(
                            "{t} s (max × 3, rounded up, within 1..60; rough: {} timed executions)",
                            s.ok + s.timeouts
                        ),
                        (Some(t), _) => format!("{t} s (p99 × 3, rounded up, within 1..60)"),
                        (None, _) => "none (no successful execution)".into(),
                    },
                ),
            ];
            for (k, v) in rows {
                t.row(vec![k.to_string(), v]);
            }
            let mut text = format!("{}\n", t.render(ctx.printer.style));
            let lat = probe::latencies(&r.samples);
            if !lat.is_empty() {
                text.push_str("\nlatency (client side, ok and timed-out executions):\n");
                text.push_str(&probe::render_histogram(&probe::histogram(&lat, 12), 40));
            }
            let failures: Vec<&Sample> = r
                .samples
                .iter()
                .filter(|x| x.outcome != SampleOutcome::Ok)
                .collect();
            if !failures.is_empty() {
                text.push_str("\nnot successful:\n");
                let mut reasons: Vec<(String, u32)> = Vec::new();
                for f in failures {
                    let m = format!(
                        "{}: {}",
                        f.outcome.as_str(),
                        f.message.clone().unwrap_or_default()
                    );
                    match reasons.iter_mut().find(|(x, _)| *x == m) {
                        Some((_, n)) => *n += 1,
                        None => reasons.push((m, 1)),
                    }
                }
                for (m, n) in reasons {
                    text.push_str(&format!("  {n} × {m}\n"));
                }
            }
            ctx.printer.emit(&text)?;
        }
    }
    if s.timeouts > 0 {
        ctx.say(&format!(
            "note: {} of {} executions timed out: {}; the recommendation is a lower bound",
            s.timeouts,
            s.executions,
            too_tight_advice(r, &ctx.next_step(&["timeout", "set", "60s", &r.action_id]))
        ));
    }
    if probe::is_rough(s) && r.recommended_timeout_seconds.is_some() {
        ctx.say(&format!(
            "note: only {} timed executions: the estimate is rough, so the advice is based on the slowest one; `-n {}` or more gives a p99",
            s.ok + s.timeouts,
            probe::ROUGH_BELOW
        ));
    }
    if let Some(rec) = r.recommended_timeout_seconds {
        match kind.refusal() {
            Some(why) => ctx.say(&format!(
                "note: this is a {why}: its timeout cannot be changed"
            )),
            None => {
                if let (true, Some(f)) = (capped, r.function_timeout_seconds) {
                    ctx.say(&format!(
                        "note: the recommendation is capped at {f} s: this function data action's function stops at its own timeout of {f} s whatever the action's timeout (dactl does not change function settings)"
                    ));
                }
                if Some(rec) != r.timeout_seconds {
                    ctx.say(&format!(
                        "apply it with: {}",
                        ctx.next_step(&["timeout", "set", &format!("{rec}s"), &r.action_id])
                    ));
                } else {
                    ctx.say("the current timeout already matches the recommendation");
                }
            }
        }
    }
    Ok(())
}

/// What to do when executions timed out; `raise` is the whole command that raises the timeout.
pub(super) fn too_tight_advice(r: &ProbeRecord, raise: &str) -> String {
    let effective = r.effective_timeout_seconds.unwrap_or_else(|| {
        r.timeout_seconds
            .unwrap_or(crate::duration::DEFAULT_TIMEOUT)
    });
    match r.function_timeout_seconds {
        Some(f) if f <= effective && f < r.timeout_seconds.unwrap_or(crate::duration::DEFAULT_TIMEOUT) => format!(
            "the function's own timeout of {f} s is too tight for this backend; raising the action's timeout does not help (dactl does not change function settings)"
        ),
        _ => format!(
            "the timeout of {effective} s is too tight for this backend; raise it (e.g. `{raise}`) and probe again"
        ),
    }
}
